package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"harborwatch/server"
	"harborwatch/store"
	"harborwatch/store/sqlstore"
	"harborwatch/web"
)

// demoServe serves the demo terminal in the console: a data directory
// under dir, the site model as site "demo", the capture queued, a user
// "demo" (admin) with a one-time password; until ctx ends.
func demoServe(ctx context.Context, e *env, dir, sitePath, capPath, addr string, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !isLoopback(host) {
		return usagef("demo: --addr %q: want a loopback HOST:PORT (the demo serves plain HTTP)", addr)
	}
	data := filepath.Join(dir, "server")
	if err := os.MkdirAll(filepath.Join(data, "captures"), 0o750); err != nil {
		return err
	}
	st, err := sqlstore.Open(ctx, filepath.Join(data, "harborwatch.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	yaml, err := os.ReadFile(sitePath)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if err := st.PutSite(ctx, store.Site{ID: "demo", YAML: string(yaml), Model: "{}", Updated: now, By: "demo"}); err != nil {
		return err
	}
	c := store.Capture{ID: "Cdemo" + hex.EncodeToString(randBytes(6)), Site: "demo", Name: filepath.Base(capPath), By: "demo", Created: now}
	c.Path = filepath.Join(data, "captures", c.ID+".cap")
	if c.SHA256, c.Size, err = copyHashed(capPath, c.Path); err != nil {
		return err
	}
	if _, err := st.AddCapture(ctx, c); err != nil {
		return err
	}
	pw := hex.EncodeToString(randBytes(9))
	u, err := server.NewUser("demo", store.Admin, pw, now)
	if err != nil {
		return err
	}
	if err := st.AddUser(ctx, u); err != nil {
		return err
	}
	srv, err := server.New(server.Config{Store: st, Data: data, Logger: log})
	if err != nil {
		return err
	}
	console, err := web.New(srv, log)
	if err != nil {
		return err
	}
	srv.Mount(console)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if ln, err = net.Listen("tcp", net.JoinHostPort(host, "0")); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "\nThe console: http://%s/ — log in as demo, password %s (this run only). Ctrl-C stops it.\n", ln.Addr(), pw)
	return srv.Serve(ctx, ln, nil)
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// copyHashed copies a file and returns its SHA-256 and size.
func copyHashed(from, to string) (string, int64, error) {
	in, err := os.Open(from)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return hex.EncodeToString(h.Sum(nil)), n, err
}
