// Package tlsself gives harborwatch serve its TLS certificate: the one an
// operator supplies (Load), or a self-signed one it creates on first start
// and keeps in its data directory (LoadOrCreate). Clients of a self-signed
// server pin its SHA-256 fingerprint (Fingerprint), which the server prints
// at start.
package tlsself

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The file names LoadOrCreate uses in its directory.
const (
	CertFile = "server.crt"
	KeyFile  = "server.key"
)

// validityYears is how long a created certificate is valid.
const validityYears = 2

// Fingerprint returns the SHA-256 of a DER certificate as browsers show
// it: upper-case hex pairs joined by colons ("AB:01:…", 95 characters).
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	b.Grow(len(sum) * 3)
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// Load reads a PEM certificate (chain, leaf first) and its PEM private key
// and returns them with the leaf's fingerprint. Its errors name the file
// at fault.
func Load(certFile, keyFile string) (tls.Certificate, string, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("TLS certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("TLS key: %w", err)
	}
	if err := checkPEM(certPEM, "CERTIFICATE"); err != nil {
		return tls.Certificate{}, "", fmt.Errorf("TLS certificate %s: %w", certFile, err)
	}
	if err := checkPEM(keyPEM, "PRIVATE KEY"); err != nil {
		return tls.Certificate{}, "", fmt.Errorf("TLS key %s: %w", keyFile, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("TLS certificate %s with key %s: %w", certFile, keyFile, err)
	}
	return cert, Fingerprint(cert.Certificate[0]), nil
}

// checkPEM reports an error unless data holds a PEM block whose type ends
// with suffix ("PRIVATE KEY" matches "EC PRIVATE KEY" and the others).
func checkPEM(data []byte, suffix string) error {
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return fmt.Errorf("no PEM %s block", suffix)
		}
		if strings.HasSuffix(b.Type, suffix) {
			return nil
		}
	}
}

// LoadOrCreate returns the certificate kept in dir (CertFile, KeyFile).
// When neither file exists it first creates them: an ECDSA P-256 key and a
// self-signed certificate for the hosts given (names or IP addresses) and
// localhost, 127.0.0.1 and ::1, valid for two years, for server
// authentication; the key is written with mode 0600, the certificate
// 0644, each through a temporary file renamed into place. created reports
// whether it did. When only one of the files exists it is an error: it
// does not overwrite a key or a certificate it did not make as a pair.
func LoadOrCreate(dir string, hosts []string) (cert tls.Certificate, fingerprint string, created bool, err error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	certOK, err := exists(certPath)
	if err != nil {
		return tls.Certificate{}, "", false, err
	}
	keyOK, err := exists(keyPath)
	if err != nil {
		return tls.Certificate{}, "", false, err
	}
	switch {
	case certOK && keyOK:
		cert, fingerprint, err = Load(certPath, keyPath)
		return cert, fingerprint, false, err
	case certOK:
		return tls.Certificate{}, "", false, fmt.Errorf("TLS: %s exists but %s does not; supply both, or remove it to have a new pair created", certPath, keyPath)
	case keyOK:
		return tls.Certificate{}, "", false, fmt.Errorf("TLS: %s exists but %s does not; supply both, or remove it to have a new pair created", keyPath, certPath)
	}
	certPEM, keyPEM, err := generate(hosts, time.Now())
	if err != nil {
		return tls.Certificate{}, "", false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, "", false, fmt.Errorf("TLS: %w", err)
	}
	if err := writeAtomic(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, "", false, err
	}
	if err := writeAtomic(certPath, certPEM, 0o644); err != nil {
		return tls.Certificate{}, "", false, err
	}
	cert, fingerprint, err = Load(certPath, keyPath)
	return cert, fingerprint, err == nil, err
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("TLS: %w", err)
}

// generate makes a key and a self-signed certificate, both PEM.
func generate(hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("TLS: generating key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("TLS: generating serial number: %w", err)
	}
	dns, ips := sans(hosts)
	cn := "harborwatch"
	if len(dns) > 0 {
		cn = dns[0]
	}
	notBefore := now.Add(-time.Hour).UTC() // clients whose clocks lag a little
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"harborwatch self-signed"}},
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(validityYears, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("TLS: creating certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("TLS: encoding key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// sans splits hosts, and the loopback names always added, into DNS names
// and IP addresses, without duplicates or empty entries, in order.
func sans(hosts []string) (dns []string, ips []net.IP) {
	seen := map[string]bool{}
	for _, h := range append(append([]string(nil), hosts...), "localhost", "127.0.0.1", "::1") {
		h = strings.TrimSpace(h)
		if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil {
			if !seen[ip.String()] {
				seen[ip.String()] = true
				ips = append(ips, ip)
			}
			continue
		}
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if h != "" && !seen[h] {
			seen[h] = true
			dns = append(dns, h)
		}
	}
	return dns, ips
}

// writeAtomic writes data to path through a temporary file in the same
// directory, synced and renamed into place, with mode perm.
func writeAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("TLS: writing %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("TLS: writing %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("TLS: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("TLS: writing %s: %w", path, err)
	}
	return nil
}
