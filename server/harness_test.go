package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"harborwatch/store"
	"harborwatch/store/sqlstore"
)

// harness is a server on loopback over a SQLite store in a temporary
// data directory.
type harness struct {
	t      *testing.T
	dir    string
	st     store.Store
	srv    *Server
	url    string
	cancel context.CancelFunc
	done   chan error
	tokens map[string]string // role → token secret
}

func startServer(t *testing.T, dir string, mod func(*Config)) *harness {
	t.Helper()
	return startServerWith(t, dir, mod, nil)
}

// startServerWith starts the server behind TLS with tc (nil: plain HTTP).
func startServerWith(t *testing.T, dir string, mod func(*Config), tc *tls.Config) *harness {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), filepath.Join(dir, "harborwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: st, Data: dir}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	scheme := "http://"
	if tc != nil {
		scheme = "https://"
	}
	h := &harness{t: t, dir: dir, st: st, srv: srv, url: scheme + ln.Addr().String(), cancel: cancel, done: make(chan error, 1), tokens: map[string]string{}}
	go func() { h.done <- srv.Serve(ctx, ln, tc) }()
	t.Cleanup(h.stop)
	for _, role := range []string{store.Viewer, store.Analyst, store.Admin} {
		h.tokens[role] = h.token(role, "test-"+role, "")
	}
	return h
}

// token stores a new token and returns its secret.
func (h *harness) token(role, name, expires string) string {
	h.t.Helper()
	tok, secret, err := NewToken(name, role, expires, "test", time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.st.AddToken(context.Background(), tok); err != nil {
		h.t.Fatal(err)
	}
	return secret
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		h.t.Error("the server did not stop within 30 s")
	}
	h.st.Close()
}

// do sends a request with the token of role ("" → none; a value not a
// role → that secret) and returns the status and body.
func (h *harness) do(method, path, role string, body any) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if role != "" {
		secret, ok := h.tokens[role]
		if !ok {
			secret = role
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// must is do expecting status want; it decodes the body into v (if not nil).
func (h *harness) must(want int, method, path, role string, body, v any) {
	h.t.Helper()
	code, out := h.do(method, path, role, body)
	if code != want {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			h.t.Fatalf("%s %s: %v: %s", method, path, err, out)
		}
	}
}

// waitCapture polls a capture until it is done or failed.
func (h *harness) waitCapture(id string) store.Capture {
	h.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		var c store.Capture
		h.must(200, "GET", "/api/v1/captures/"+id, store.Viewer, nil, &c)
		if c.Status == store.Done || c.Status == store.Failed {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("capture %s not analyzed within 2 minutes", id)
	return store.Capture{}
}

// allFindings pages through GET /api/v1/findings with query q.
func (h *harness) allFindings(q string) []store.Finding {
	h.t.Helper()
	var all []store.Finding
	cursor := ""
	for range 1000 {
		var page struct {
			Findings []store.Finding `json:"findings"`
			Next     string          `json:"next"`
		}
		path := "/api/v1/findings?limit=7&" + q
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		h.must(200, "GET", path, store.Viewer, nil, &page)
		all = append(all, page.Findings...)
		if page.Next == "" {
			return all
		}
		cursor = page.Next
	}
	h.t.Fatal("findings: more than 1000 pages")
	return nil
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
