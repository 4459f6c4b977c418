package remote

import (
	"bytes"
	"testing"

	"harborwatch/internal/testutil"
)

// FuzzRDP feeds arbitrary payloads to ParseRDPConnectionRequest: it must not
// panic, must return slices inside the input, and must agree with itself
// when the PDU is cut to its TPKT length.
func FuzzRDP(f *testing.F) {
	for _, tc := range rdpCases {
		f.Add(tc.in)
	}
	for _, p := range testutil.Payloads(f, "testdata/s7ident.pcap") {
		f.Add(p.Data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)]
		var r RDPRequest
		if ParseRDPConnectionRequest(b, &r) != nil {
			if r.Cookie != nil || r.RoutingToken != nil || r.HasNegReq || r.RequestedProtocols != 0 {
				t.Fatal("fields set on error")
			}
			return
		}
		within(t, b, r.Cookie)
		within(t, b, r.RoutingToken)
		n := int(b[2])<<8 | int(b[3])
		var r2 RDPRequest
		if err := ParseRDPConnectionRequest(b[:n:n], &r2); err != nil {
			t.Fatalf("cut to tpkt length: %v", err)
		}
		if !bytes.Equal(r.Cookie, r2.Cookie) || r.RequestedProtocols != r2.RequestedProtocols || r.HasNegReq != r2.HasNegReq {
			t.Fatal("cut to tpkt length: different result")
		}
		if r.HasCorrelation && !r.HasNegReq {
			t.Fatal("correlation without negotiation request")
		}
	})
}

// FuzzBanners feeds arbitrary payloads to every probe: no panic, results
// alias the input where they should, and accepted inputs have the shape the
// probe promises.
func FuzzBanners(f *testing.F) {
	for _, tc := range sshCases {
		f.Add(tc.in)
	}
	for _, tc := range tvCases {
		f.Add(tc.in)
	}
	for _, tc := range nameCases {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte("RFB 003.008\n"))
	f.Add([]byte("anydesk/6.2.0"))
	f.Add([]byte{0xff, 0xfd, 0x18})
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)]
		if s, ok := SSHBanner(b); ok {
			if !bytes.HasPrefix(b, s) || !bytes.HasPrefix(s, []byte("SSH-")) || len(s) > maxSSHLine-1 {
				t.Fatalf("SSHBanner(%q) = %q", b, s)
			}
			if bytes.ContainsAny(s, "\r\n\x00") {
				t.Fatalf("banner %q holds a line break or NUL", s)
			}
		}
		if v, ok := RFBVersion(b); ok {
			if len(v) != 7 || &v[0] != &b[4] {
				t.Fatalf("RFBVersion(%q) = %q", b, v)
			}
		}
		if Telnet(b) && (len(b) < 3 || b[0] != 0xff) {
			t.Fatalf("Telnet(%x)", b)
		}
		if TeamViewer(b) && len(b) < 4 {
			t.Fatalf("TeamViewer(%x)", b)
		}
		if AnyDeskName(b) && !bytes.Contains(asciiLower(b), []byte("anydesk.com")) {
			t.Fatalf("AnyDeskName(%q)", b)
		}
		if TeamViewerName(b) {
			n := bytes.TrimSuffix(asciiLower(b), []byte("."))
			found := false
			for _, d := range teamViewerDomains {
				found = found || bytes.Equal(n, []byte(d)) || bytes.HasSuffix(n, []byte("."+d))
			}
			if !found {
				t.Fatalf("TeamViewerName(%q)", b)
			}
		}
		if AnyDeskALPN(b) != bytes.HasPrefix(asciiLower(b), []byte("anydesk/")) {
			t.Fatalf("AnyDeskALPN(%q)", b)
		}
	})
}

// asciiLower lower-cases ASCII letters only, as DNS and ALPN comparisons do.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}
