package remote

import (
	"errors"
	"testing"
)

// rdpCR wraps the variable part of an X.224 Connection Request in a TPKT
// header and the 7-byte class 0 CR TPDU, with consistent lengths.
func rdpCR(variable ...any) []byte {
	v := cat(variable...)
	n := 11 + len(v)
	return cat([]byte{3, 0, byte(n >> 8), byte(n), byte(n - 5), 0xe0, 0, 0, 0, 0, 0}, v)
}

// negReq builds an RDP_NEG_REQ ([MS-RDPBCGR] §2.2.1.1.1).
func negReq(flags byte, protocols uint32) []byte {
	return []byte{1, flags, 8, 0, byte(protocols), byte(protocols >> 8), byte(protocols >> 16), byte(protocols >> 24)}
}

var correlationID = hx("0123456789abcdef0123456789abcdef")

type rdpCase struct {
	name string
	in   []byte
	want RDPRequest
	err  error
}

// The expected values of the first four cases were checked against
// tshark 4.0 (tpkt, cotp and rdp dissectors).
var rdpCases = []rdpCase{
	{
		// [MS-RDPBCGR] §4.1.1, Client X.224 Connection Request PDU.
		name: "spec example",
		in: hx(`03 00 00 2c 27 e0 00 00 00 00 00 43 6f 6f 6b 69
			65 3a 20 6d 73 74 73 68 61 73 68 3d 65 6c 74 6f
			6e 73 0d 0a 01 00 08 00 00 00 00 00`),
		want: RDPRequest{Cookie: []byte("eltons"), HasNegReq: true, RequestedProtocols: ProtocolRDP},
	},
	{
		// mstsc on Windows 10/11: TLS, CredSSP and CredSSP-EX, with
		// correlation info.
		name: "mstsc with correlation",
		in: hx(`030000524de00000000000436f6f6b69653a206d737473686173683d6f70657261746f720d0a
			010808000b000000 060024000123456789abcdef0123456789abcdef00000000000000000000000000000000`),
		want: RDPRequest{
			Cookie: []byte("operator"), HasNegReq: true, NegFlags: NegCorrelationInfoPresent,
			RequestedProtocols: ProtocolSSL | ProtocolHybrid | ProtocolHybridEx,
			HasCorrelation:     true, Correlation: [16]byte(correlationID),
		},
	},
	{
		name: "routing token",
		in:   rdpCR("Cookie: msts=3640205228.15629.0000\r\n", negReq(0, 3)),
		want: RDPRequest{RoutingToken: []byte("msts=3640205228.15629.0000"), HasNegReq: true, RequestedProtocols: 3},
	},
	{
		// nmap's RDP probe: no cookie, TLS and CredSSP.
		name: "no cookie",
		in:   hx("030000130ee000000000000100080003000000"),
		want: RDPRequest{HasNegReq: true, RequestedProtocols: 3},
	},
	{
		name: "cookie only",
		in:   rdpCR("Cookie: mstshash=admin\r\n"),
		want: RDPRequest{Cookie: []byte("admin")},
	},
	{
		name: "token and cookie",
		in:   rdpCR("Cookie: msts=1.2.3\r\n", "Cookie: mstshash=bob\r\n", negReq(NegRestrictedAdminModeRequired, ProtocolHybrid)),
		want: RDPRequest{Cookie: []byte("bob"), RoutingToken: []byte("msts=1.2.3"), HasNegReq: true, NegFlags: 1, RequestedProtocols: ProtocolHybrid},
	},
	{
		name: "empty cookie",
		in:   rdpCR("Cookie: mstshash=\r\n", negReq(0, 1)),
		want: RDPRequest{Cookie: []byte{}, HasNegReq: true, RequestedProtocols: 1},
	},
	{name: "bare request", in: rdpCR(), want: RDPRequest{}},
	{
		name: "coalesced next pdu ignored",
		in:   cat(rdpCR(negReq(0, 1)), hx("0300000802f08000")),
		want: RDPRequest{HasNegReq: true, RequestedProtocols: 1},
	},
	{name: "credit nibble", in: func() []byte { b := rdpCR(); b[5] = 0xe3; return b }(), want: RDPRequest{}},
	{name: "options nibble", in: func() []byte { b := rdpCR(); b[10] = 0x02; return b }(), want: RDPRequest{}},

	{name: "tpkt version 2", in: func() []byte { b := rdpCR(); b[0] = 2; return b }(), err: ErrTPKT},
	{name: "tpkt reserved", in: func() []byte { b := rdpCR(); b[1] = 1; return b }(), err: ErrTPKT},
	{name: "tls client hello", in: hx("160301020001"), err: ErrTPKT},
	{name: "tpkt length 10", in: hx("0300000a05e0000000000000"), err: ErrRDPLength},
	{name: "tpkt length past end", in: hx("0300000c06e000000000"), err: ErrRDPTruncated},
	{name: "li mismatch", in: func() []byte { b := rdpCR(negReq(0, 1)); b[4]--; return b }(), err: ErrRDPLength},
	{name: "connection confirm", in: func() []byte { b := rdpCR(); b[5] = 0xd0; return b }(), err: ErrX224},
	{name: "data tpdu", in: hx("0300000b06f0800000000000")[:11], err: ErrX224},
	{name: "class 4", in: func() []byte { b := rdpCR(); b[10] = 0x40; return b }(), err: ErrX224},
	{name: "cookie without crlf", in: rdpCR("Cookie: mstshash=eve\n"), err: ErrRDPCookie},
	{name: "cookie cut by length", in: rdpCR("Cookie: mstshash=eve\r"), err: ErrRDPCookie},
	{name: "three cookies", in: rdpCR("Cookie: a\r\n", "Cookie: b\r\n", "Cookie: c\r\n"), err: ErrNotRDP},
	{name: "neg req length 9", in: rdpCR([]byte{1, 0, 9, 0, 1, 0, 0, 0, 0}), err: ErrRDPNegReq},
	{name: "neg req short", in: rdpCR([]byte{1, 0, 8, 0, 1, 0}), err: ErrRDPNegReq},
	{name: "neg rsp type", in: rdpCR([]byte{2, 0, 8, 0, 1, 0, 0, 0}), err: ErrNotRDP},
	{name: "neg req trailing", in: rdpCR(negReq(0, 1), "xx"), err: ErrRDPLength},
	{name: "correlation missing", in: rdpCR(negReq(NegCorrelationInfoPresent, 1)), err: ErrRDPCorrelation},
	{name: "correlation bad type", in: rdpCR(negReq(NegCorrelationInfoPresent, 1), []byte{7, 0, 36, 0}, make([]byte, 32)), err: ErrRDPCorrelation},
	{name: "correlation bad length", in: rdpCR(negReq(NegCorrelationInfoPresent, 1), []byte{6, 0, 35, 0}, make([]byte, 32)), err: ErrRDPCorrelation},
	{name: "correlation flags", in: rdpCR(negReq(NegCorrelationInfoPresent, 1), []byte{6, 1, 36, 0}, make([]byte, 32)), err: ErrRDPCorrelation},
	// S7comm's COTP CR (s7ident.pcap frame 4): TSAP parameters, not RDP.
	{name: "s7 cotp cr", in: hx("0300001611e00000000100c0010ac1020100c2020101"), err: ErrNotRDP},
	{name: "empty", in: nil, err: ErrRDPTruncated},
}

func TestParseRDPConnectionRequest(t *testing.T) {
	for _, tc := range rdpCases {
		t.Run(tc.name, func(t *testing.T) {
			in := exact(tc.in)
			r := RDPRequest{Cookie: []byte("stale"), HasNegReq: true}
			err := ParseRDPConnectionRequest(in, &r)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				if r.Cookie != nil || r.HasNegReq {
					t.Fatal("stale fields survive an error")
				}
				return
			}
			checkRDP(t, &r, &tc.want)
		})
	}
}

func checkRDP(t *testing.T, got, want *RDPRequest) {
	t.Helper()
	if string(got.Cookie) != string(want.Cookie) || (got.Cookie == nil) != (want.Cookie == nil) {
		t.Errorf("Cookie = %q, want %q", got.Cookie, want.Cookie)
	}
	if string(got.RoutingToken) != string(want.RoutingToken) || (got.RoutingToken == nil) != (want.RoutingToken == nil) {
		t.Errorf("RoutingToken = %q, want %q", got.RoutingToken, want.RoutingToken)
	}
	if got.RequestedProtocols != want.RequestedProtocols || got.NegFlags != want.NegFlags || got.HasNegReq != want.HasNegReq {
		t.Errorf("neg req = %#x %#x %v, want %#x %#x %v", got.RequestedProtocols, got.NegFlags, got.HasNegReq,
			want.RequestedProtocols, want.NegFlags, want.HasNegReq)
	}
	if got.HasCorrelation != want.HasCorrelation || got.Correlation != want.Correlation {
		t.Errorf("correlation = %v %x, want %v %x", got.HasCorrelation, got.Correlation, want.HasCorrelation, want.Correlation)
	}
}

// TestRDPTruncated cuts every valid request at every byte: each prefix is
// ErrRDPTruncated, and nothing reads past the cut.
func TestRDPTruncated(t *testing.T) {
	for _, tc := range rdpCases {
		if tc.err != nil {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			n := int(tc.in[2])<<8 | int(tc.in[3])
			var r RDPRequest
			for i := range n {
				if err := ParseRDPConnectionRequest(exact(tc.in[:i]), &r); err != ErrRDPTruncated {
					t.Fatalf("prefix %d: err = %v, want ErrRDPTruncated", i, err)
				}
			}
		})
	}
}

// TestRDPCorrupt flips every byte of every valid request: no panic, and a
// success still yields slices inside the input.
func TestRDPCorrupt(t *testing.T) {
	for _, tc := range rdpCases {
		if tc.err != nil {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			var r RDPRequest
			for i := range tc.in {
				for _, x := range []byte{0x01, 0x80, 0xff} {
					in := exact(tc.in)
					in[i] ^= x
					if ParseRDPConnectionRequest(in, &r) == nil {
						within(t, in, r.Cookie)
						within(t, in, r.RoutingToken)
					}
				}
			}
		})
	}
}

// within fails unless s is empty or a subslice of b.
func within(t testing.TB, b, s []byte) {
	t.Helper()
	if len(s) == 0 {
		return
	}
	for i := 0; i+len(s) <= len(b); i++ {
		if &b[i] == &s[0] {
			return
		}
	}
	t.Fatalf("slice %q is not inside the input", s)
}
