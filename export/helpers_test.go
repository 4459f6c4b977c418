package export

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"harborwatch/finding"
	"harborwatch/store"
)

// nasty is a finding whose title and detail hold every character CEF
// escapes.
func nasty() store.Finding {
	return store.Finding{
		Finding: finding.Finding{
			ID: "HW-0123456789AB", Rule: finding.RuleICSWrite, Severity: finding.High,
			Title:     "Write | rung=3 \\ path\nnext",
			Src:       finding.Host{IP: netip.MustParseAddr("10.1.2.3"), MAC: "00:1d:9c:aa:bb:cc", Zone: "business", Asset: "hmi-1"},
			Dst:       finding.Host{IP: netip.MustParseAddr("10.20.0.5"), Zone: "crane-control", Asset: "plc-1"},
			Transport: "tcp", App: "modbus", DPort: 502,
			FirstSeen: time.Date(2026, 11, 2, 9, 0, 0, 10e6, time.UTC),
			LastSeen:  time.Date(2026, 11, 2, 9, 0, 59, 999e6, time.UTC),
			Count:     7, Evidence: []finding.Evidence{},
			Controls: []string{"MSCI-SEG-3", "USCG-SEG-2"}, Techniques: []string{"T0855", "T0836"},
			Detail: map[string]any{"note": "a=b|c\\d\r\nline2"},
		},
		Site: "t3", State: store.Open, Occurrences: 2,
	}
}

// at is the time of the changes the tests export.
var at = time.Date(2026, 11, 2, 9, 1, 2, 123456789, time.UTC)

// change returns a change of kind to f with id.
func change(kind, id string) Change {
	f := nasty()
	f.ID = id
	return Change{Kind: kind, At: at, Actor: "system", F: f}
}

// receiver is a syslog server on loopback: it parses octet-counted frames
// from every connection and sends the messages to frames.
type receiver struct {
	ln     net.Listener
	frames chan string
	conns  chan net.Conn
}

func newReceiver(t *testing.T, ln net.Listener) *receiver {
	t.Helper()
	r := &receiver{ln: ln, frames: make(chan string, 100), conns: make(chan net.Conn, 10)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.conns <- c
			go r.read(t, c)
		}
	}()
	return r
}

func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// freeAddr returns a loopback address no one listens on.
func freeAddr(t *testing.T) string {
	ln := listen(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func (r *receiver) read(t *testing.T, c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		n, err := br.ReadString(' ')
		if err != nil {
			return
		}
		size, err := strconv.Atoi(strings.TrimSuffix(n, " "))
		if err != nil || size <= 0 {
			t.Errorf("bad frame length %q", n)
			return
		}
		b := make([]byte, size)
		if _, err := io.ReadFull(br, b); err != nil {
			t.Errorf("frame of %d bytes cut short: %v", size, err)
			return
		}
		r.frames <- string(b)
	}
}

// next returns the next message, failing after 5 s.
func (r *receiver) next(t *testing.T) string {
	t.Helper()
	select {
	case m := <-r.frames:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no syslog message within 5 s")
		return ""
	}
}

// syslogMsg is a parsed RFC 5424 message.
type syslogMsg struct {
	PRI, Version, Timestamp, Hostname, AppName, ProcID, MsgID, SD, Msg string
}

var keyRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

var headerRE = regexp.MustCompile(`^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-) (.*)$`)

func parseSyslog(t *testing.T, m string) syslogMsg {
	t.Helper()
	g := headerRE.FindStringSubmatch(m)
	if g == nil {
		t.Fatalf("not an RFC 5424 message without structured data: %q", m)
	}
	return syslogMsg{g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9]}
}

// cef is a parsed CEF line: the 7 header fields after "CEF:0" unescaped,
// the raw extension and its values unescaped.
type cef struct {
	Header []string
	RawExt string
	Ext    map[string]string
}

// parseCEF parses a CEF line as a receiver does: the header ends at the
// 7th unescaped '|'; extension keys are the words before unescaped '='.
func parseCEF(s string) (cef, error) {
	var fields []string
	var cur strings.Builder
	i := 0
	for ; i < len(s) && len(fields) < 7; i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '|'):
			cur.WriteByte(s[i+1])
			i++
		case s[i] == '\\':
			return cef{}, fmt.Errorf("bad escape in header at %d", i)
		case s[i] == '|':
			fields = append(fields, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	if len(fields) != 7 || fields[0] != "CEF:0" {
		return cef{}, fmt.Errorf("header has %d fields, want 7 before the extension", len(fields))
	}
	c := cef{Header: fields[1:], RawExt: s[i:], Ext: map[string]string{}}
	ext := c.RawExt
	// the positions of the unescaped '=' signs
	var eqs []int
	for j := 0; j < len(ext); j++ {
		if ext[j] == '\\' {
			j++
			continue
		}
		if ext[j] == '=' {
			eqs = append(eqs, j)
		}
	}
	start := 0
	for k, eq := range eqs {
		key := ext[start:eq]
		if !keyRE.MatchString(key) {
			return cef{}, fmt.Errorf("bad extension key %q", key)
		}
		end := len(ext)
		if k+1 < len(eqs) {
			end = strings.LastIndexByte(ext[:eqs[k+1]], ' ')
			if end <= eq {
				return cef{}, fmt.Errorf("no space before the key after %q", key)
			}
		}
		v, err := unescapeValue(ext[eq+1 : end])
		if err != nil {
			return cef{}, fmt.Errorf("%s: %v", key, err)
		}
		c.Ext[key] = v
		start = end + 1
	}
	return c, nil
}

func unescapeValue(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("trailing backslash in %q", s)
		}
		i++
		switch s[i] {
		case '\\', '=':
			b.WriteByte(s[i])
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("bad escape \\%c in %q", s[i], s)
		}
	}
	return b.String(), nil
}

// selfSigned returns a TLS listener on loopback with a self-signed
// certificate for 127.0.0.1, and the path of a PEM file of that
// certificate.
func selfSigned(t *testing.T) (net.Listener, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test syslog"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	return ln, ca
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// fast are options that retry quickly.
func fast(o Options) Options {
	o.MinBackoff, o.MaxBackoff = 5*time.Millisecond, 20*time.Millisecond
	if o.Hostname == "" {
		o.Hostname = "sensor-1"
	}
	return o
}
