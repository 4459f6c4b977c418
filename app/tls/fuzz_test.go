package tls

import (
	cryptotls "crypto/tls"
	"errors"
	"testing"

	"harborwatch/internal/testutil"
)

func FuzzClientHello(f *testing.F) {
	for _, p := range testutil.Payloads(f, "testdata/clienthello_loopback.pcap") {
		f.Add(p.Data)
	}
	for _, c := range builtCases() {
		f.Add(c.b)
	}
	f.Add(goClientHello(f, &cryptotls.Config{ServerName: "gateway.logink.cn", NextProtos: []string{"h2", "http/1.1"}}))
	sentinels := []error{ErrNotHandshake, ErrNotClientHello, ErrTruncated, ErrMalformed, ErrServerName}
	f.Fuzz(func(t *testing.T, b []byte) {
		var h ClientHello
		probed := Probe(b)
		err := ParseClientHello(b, &h)
		known := err == nil
		for _, e := range sentinels {
			known = known || errors.Is(err, e)
		}
		if !known {
			t.Fatalf("unexpected error %v", err)
		}
		if err == nil && !probed && len(b) >= 9 {
			t.Fatalf("parsed a ClientHello that Probe rejects: %s", show(&h))
		}
		if len(h.ALPN) > MaxALPN || len(h.SupportedVersions) > MaxVersions || len(h.SNI) > 4*MaxSNI {
			t.Fatalf("over capacity: %s", show(&h))
		}
		for _, c := range h.SNI {
			if c < 0x21 || c > 0x7e || ('A' <= c && c <= 'Z') {
				t.Fatalf("SNI %q holds %#x", h.SNI, c)
			}
		}
		for _, v := range h.SupportedVersions {
			if grease(v) {
				t.Fatalf("GREASE %#04x kept", v)
			}
		}
		if err == nil && h.SNI == nil && h.Truncated {
			t.Fatal("truncated without a server name but no error")
		}
	})
}
