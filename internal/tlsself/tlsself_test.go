package tlsself

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFingerprint(t *testing.T) {
	der := []byte("not really a certificate")
	sum := sha256.Sum256(der)
	got := Fingerprint(der)
	if !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(got) {
		t.Fatalf("Fingerprint = %q: want 32 upper-case hex pairs joined by colons", got)
	}
	if want := strings.ToUpper(hex.EncodeToString(sum[:])); strings.ReplaceAll(got, ":", "") != want {
		t.Fatalf("Fingerprint = %s, want %s with colons", got, want)
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cert, fp, created, err := LoadOrCreate(dir, []string{"harbor.example", "10.20.0.5", "harbor.example", " "})
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Fatal("created = false on first call")
	}
	if fp != Fingerprint(cert.Certificate[0]) {
		t.Fatalf("fingerprint %s does not match the certificate", fp)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"harbor.example", "localhost"}; !slices.Equal(leaf.DNSNames, want) {
		t.Errorf("DNS names %v, want %v", leaf.DNSNames, want)
	}
	var ips []string
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	if want := []string{"10.20.0.5", "127.0.0.1", "::1"}; !slices.Equal(ips, want) {
		t.Errorf("IP addresses %v, want %v", ips, want)
	}
	if life := leaf.NotAfter.Sub(leaf.NotBefore); life < 730*24*time.Hour || life > 732*24*time.Hour {
		t.Errorf("validity %v, want two years", life)
	}
	if time.Now().Before(leaf.NotBefore) || time.Now().After(leaf.NotAfter) {
		t.Errorf("not valid now: %v to %v", leaf.NotBefore, leaf.NotAfter)
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || leaf.IsCA {
		t.Errorf("ext key usage %v, CA %v: want server auth only, not a CA", leaf.ExtKeyUsage, leaf.IsCA)
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA || leaf.SerialNumber.Sign() <= 0 {
		t.Errorf("key %v, serial %v", leaf.PublicKeyAlgorithm, leaf.SerialNumber)
	}

	for name, want := range map[string]os.FileMode{KeyFile: 0o600, CertFile: 0o644} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", name, st.Mode().Perm(), want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("directory holds %d entries, want 2 (no temporary files left)", len(entries))
	}

	cert2, fp2, created2, err := LoadOrCreate(dir, []string{"other.example"})
	if err != nil {
		t.Fatal(err)
	}
	if created2 || fp2 != fp || !bytes.Equal(cert2.Certificate[0], cert.Certificate[0]) {
		t.Fatalf("second call: created %v, fingerprint %s; want the same certificate %s loaded", created2, fp2, fp)
	}
}

func TestLoadOrCreateHalfPair(t *testing.T) {
	dir := t.TempDir()
	if _, _, _, err := LoadOrCreate(dir, nil); err != nil {
		t.Fatal(err)
	}
	certPEM, _ := os.ReadFile(filepath.Join(dir, CertFile))
	if err := os.Remove(filepath.Join(dir, KeyFile)); err != nil {
		t.Fatal(err)
	}
	_, _, created, err := LoadOrCreate(dir, nil)
	if err == nil || created || !strings.Contains(err.Error(), KeyFile) {
		t.Fatalf("with the key missing: created %v, err %v; want an error naming %s", created, err, KeyFile)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, CertFile)); !bytes.Equal(now, certPEM) {
		t.Fatal("the lone certificate was overwritten")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, _, err := LoadOrCreate(dir, nil); err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	other := t.TempDir()
	if _, _, _, err := LoadOrCreate(other, nil); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	cases := []struct {
		name, cert, key string
		want            []string
	}{
		{"missing cert", missing, keyPath, []string{missing}},
		{"missing key", certPath, missing, []string{missing}},
		{"garbage cert", garbage, keyPath, []string{garbage, "CERTIFICATE"}},
		{"garbage key", certPath, garbage, []string{garbage, "PRIVATE KEY"}},
		{"key as cert", keyPath, keyPath, []string{keyPath, "CERTIFICATE"}},
		{"mismatched pair", certPath, filepath.Join(other, KeyFile), []string{certPath, filepath.Join(other, KeyFile)}},
	}
	for _, c := range cases {
		_, _, err := Load(c.cert, c.key)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not name %q", c.name, err, w)
			}
		}
	}
	if _, fp, err := Load(certPath, keyPath); err != nil || fp == "" {
		t.Fatalf("Load of the good pair: %q, %v", fp, err)
	}
}

// serve runs a TLS listener with cert on 127.0.0.1 that answers "ok" to
// each connection; it returns the address.
func serve(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				if err := c.(*tls.Conn).Handshake(); err == nil {
					io.WriteString(c, "ok")
				}
			}()
		}
	}()
	return ln.Addr().String()
}

var errPin = errors.New("fingerprint does not match the pin")

// pinned is a client configuration that trusts exactly the certificate
// whose fingerprint is pin.
func pinned(pin string) *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // replaced by VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no certificate")
			}
			if got := Fingerprint(cs.PeerCertificates[0].Raw); got != pin {
				return fmt.Errorf("%w: got %s", errPin, got)
			}
			return nil
		},
	}
}

func dialRead(addr string, cfg *tls.Config) (string, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestPinnedClient(t *testing.T) {
	cert, fp, _, err := LoadOrCreate(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, cert)

	got, err := dialRead(addr, pinned(fp))
	if err != nil || got != "ok" {
		t.Fatalf("pinned client: %q, %v; want ok", got, err)
	}

	wrong := strings.Replace(fp, fp[:2], "00", 1)
	if wrong == fp {
		wrong = "FF" + fp[2:]
	}
	got, err = dialRead(addr, pinned(wrong))
	if !errors.Is(err, errPin) || got != "" {
		t.Fatalf("wrong pin: %q, %v; want the handshake refused by the pin check", got, err)
	}

	// A client that verifies normally, trusting the certificate as its own
	// root, accepts it for localhost and 127.0.0.1 (the SANs) only.
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	for _, name := range []string{"localhost", "127.0.0.1"} {
		if got, err := dialRead(addr, &tls.Config{RootCAs: pool, ServerName: name}); err != nil || got != "ok" {
			t.Errorf("verifying client, server name %s: %q, %v", name, got, err)
		}
	}
	if _, err := dialRead(addr, &tls.Config{RootCAs: pool, ServerName: "elsewhere.example"}); err == nil {
		t.Error("verifying client accepted the certificate for a name it does not hold")
	}
}
