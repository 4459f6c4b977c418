package tls

import (
	"bytes"
	cryptotls "crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// goClientHello returns the first record a crypto/tls client writes with
// cfg: its ClientHello.
func goClientHello(t testing.TB, cfg *cryptotls.Config) []byte {
	t.Helper()
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = cryptotls.Client(client, cfg).Handshake()
		client.Close()
	}()
	hdr := make([]byte, recordHeaderLen)
	if _, err := io.ReadFull(server, hdr); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, recordHeaderLen+int(binary.BigEndian.Uint16(hdr[3:])))
	copy(b, hdr)
	if _, err := io.ReadFull(server, b[recordHeaderLen:]); err != nil {
		t.Fatal(err)
	}
	server.Close()
	<-done
	return b
}

// show renders a ClientHello for comparison.
func show(h *ClientHello) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "record=%#04x version=%#04x sni=%q alpn=[", h.RecordVersion, h.Version, h.SNI)
	for i, p := range h.ALPN {
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%q", p)
	}
	sb.WriteString("] versions=[")
	for i, v := range h.SupportedVersions {
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%#04x", v)
	}
	fmt.Fprintf(&sb, "] truncated=%t", h.Truncated)
	return sb.String()
}

const allVersions = "versions=[0x0304 0x0303 0x0302 0x0301]"

// ClientHellos of openssl 3.0 s_client, curl 7.88 and wget 1.21 captured
// on loopback; expected values as tshark 4.0 decodes the same frames.
func TestParseClientHelloCaptured(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/clienthello_loopback.pcap")
	tests := []struct {
		name  string
		frame int
		want  string
	}{
		{"openssl TLS 1.3 with SNI and ALPN", 1,
			`record=0x0301 version=0x0303 sni="gateway.logink.cn" alpn=["h2" "http/1.1"] ` + allVersions + ` truncated=false`},
		{"openssl TLS 1.2 only", 2,
			`record=0x0301 version=0x0303 sni="crane01.sts.example.org" alpn=[] versions=[] truncated=false`},
		{"openssl without SNI", 3,
			`record=0x0301 version=0x0303 sni="" alpn=[] ` + allVersions + ` truncated=false`},
		{"curl", 4,
			`record=0x0301 version=0x0303 sni="gateway.logink.cn" alpn=["h2" "http/1.1"] ` + allVersions + ` truncated=false`},
		{"curl TLS 1.2 HTTP/1.1", 5,
			`record=0x0301 version=0x0303 sni="plc.crane01.sts.example.org" alpn=["http/1.1"] versions=[] truncated=false`},
		{"wget to an address", 6,
			`record=0x0301 version=0x0303 sni="" alpn=[] ` + allVersions + ` truncated=false`},
	}
	var h ClientHello
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ok := frames[tt.frame]
			if !ok {
				t.Fatalf("frame %d missing from testdata", tt.frame)
			}
			if !Probe(b) {
				t.Error("Probe = false")
			}
			if err := ParseClientHello(b, &h); err != nil {
				t.Fatal(err)
			}
			if got := show(&h); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseClientHelloGo(t *testing.T) {
	tests := []struct {
		name string
		cfg  *cryptotls.Config
		want string
	}{
		{"TLS 1.3 with ALPN",
			&cryptotls.Config{ServerName: "gateway.logink.cn", NextProtos: []string{"h2", "http/1.1"}},
			`record=0x0301 version=0x0303 sni="gateway.logink.cn" alpn=["h2" "http/1.1"] versions=[0x0304 0x0303] truncated=false`},
		{"TLS 1.2 only",
			&cryptotls.Config{ServerName: "plc.crane01.sts.example.org", MaxVersion: cryptotls.VersionTLS12},
			`record=0x0301 version=0x0303 sni="plc.crane01.sts.example.org" alpn=[] versions=[0x0303] truncated=false`},
		{"TLS 1.0 allowed",
			&cryptotls.Config{ServerName: "hmi.local", MinVersion: cryptotls.VersionTLS10, MaxVersion: cryptotls.VersionTLS11},
			`record=0x0301 version=0x0302 sni="hmi.local" alpn=[] versions=[0x0302 0x0301] truncated=false`},
		{"mixed case name",
			&cryptotls.Config{ServerName: "GateWay.LOGINK.cn"},
			`record=0x0301 version=0x0303 sni="gateway.logink.cn" alpn=[] versions=[0x0304 0x0303] truncated=false`},
		{"address: no SNI",
			&cryptotls.Config{ServerName: "10.20.1.12", NextProtos: []string{"modbus"}},
			`record=0x0301 version=0x0303 sni="" alpn=["modbus"] versions=[0x0304 0x0303] truncated=false`},
	}
	var h ClientHello
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := goClientHello(t, tt.cfg)
			if !Probe(b) {
				t.Error("Probe = false")
			}
			if err := ParseClientHello(b, &h); err != nil {
				t.Fatal(err)
			}
			if got := show(&h); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// Cut at every byte, a ClientHello gives ErrTruncated until its server
// name extension is complete, then the server name with Truncated set
// until the end.
func TestParseClientHelloEveryCut(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/clienthello_loopback.pcap")
	tests := []struct {
		name string
		b    []byte
		sni  string
	}{
		{"Go with post-quantum key share", goClientHello(t, &cryptotls.Config{
			ServerName: "gateway.logink.cn", NextProtos: []string{"h2", "http/1.1"}}), "gateway.logink.cn"},
		{"openssl", frames[1], "gateway.logink.cn"},
		{"openssl TLS 1.2", frames[2], "crane01.sts.example.org"},
		{"openssl without SNI", frames[3], ""},
		{"curl", frames[4], "gateway.logink.cn"},
		{"wget to an address", frames[6], ""},
	}
	var full, h ClientHello
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ParseClientHello(tt.b, &full); err != nil {
				t.Fatal(err)
			}
			// The host name is the last field of the server_name
			// extension: where it ends, the extension ends.
			reached := len(tt.b)
			if tt.sni != "" {
				i := bytes.Index(tt.b, []byte(tt.sni))
				if i < 0 {
					t.Fatal("name not in the bytes")
				}
				reached = i + len(tt.sni)
			}
			for i := 0; i <= len(tt.b); i++ {
				err := ParseClientHello(tt.b[:i], &h)
				if h.Truncated != (i < len(tt.b)) {
					t.Fatalf("cut %d: Truncated = %t", i, h.Truncated)
				}
				if i < reached {
					if !errors.Is(err, ErrTruncated) {
						t.Fatalf("cut %d: %v, want ErrTruncated", i, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("cut %d: %v", i, err)
				}
				if string(h.SNI) != tt.sni {
					t.Fatalf("cut %d: SNI %q, want %q", i, h.SNI, tt.sni)
				}
				if h.Version != full.Version || h.RecordVersion != full.RecordVersion {
					t.Fatalf("cut %d: %s, full %s", i, show(&h), show(&full))
				}
			}
		})
	}
}

// hello builds a ClientHello record around the given extensions block
// (nil: none) with a 32-octet session id and two cipher suites.
func hello(exts []byte) []byte {
	body := []byte{3, 3}
	body = append(body, bytes.Repeat([]byte{0xaa}, 32)...)
	body = append(body, 32)
	body = append(body, bytes.Repeat([]byte{0xbb}, 32)...)
	body = append(body, 0, 4, 0x13, 0x01, 0xc0, 0x2f, 1, 0)
	if exts != nil {
		body = binary.BigEndian.AppendUint16(body, uint16(len(exts)))
		body = append(body, exts...)
	}
	return record(append([]byte{typeClientHello, 0, byte(len(body) >> 8), byte(len(body))}, body...))
}

func record(hs []byte) []byte {
	return append([]byte{contentHandshake, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

func ext(typ uint16, data ...byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

func sniExt(names ...string) []byte {
	var list []byte
	for _, n := range names {
		list = append(list, 0)
		list = binary.BigEndian.AppendUint16(list, uint16(len(n)))
		list = append(list, n...)
	}
	return ext(extServerName, append(binary.BigEndian.AppendUint16(nil, uint16(len(list))), list...)...)
}

func alpnExt(protos ...string) []byte {
	var list []byte
	for _, p := range protos {
		list = append(list, byte(len(p)))
		list = append(list, p...)
	}
	return ext(extALPN, append(binary.BigEndian.AppendUint16(nil, uint16(len(list))), list...)...)
}

func versionsExt(vs ...uint16) []byte {
	list := []byte{byte(2 * len(vs))}
	for _, v := range vs {
		list = binary.BigEndian.AppendUint16(list, v)
	}
	return ext(extSupportedVersions, list...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

type builtCase struct {
	name    string
	b       []byte
	wantErr error
	want    string
}

// builtCases are hand-built records for TestParseClientHelloBuilt and
// FuzzClientHello.
func builtCases() []builtCase {
	tooLong := strings.Repeat("a", MaxSNI+1)
	edge := strings.Repeat("b", MaxSNI)
	changed := func(b []byte, off int, v byte) []byte {
		b = bytes.Clone(b)
		b[off] = v
		return b
	}
	base := hello(cat(sniExt("plc.local"), alpnExt("h2")))
	return []builtCase{
		{"minimal", base, nil,
			`record=0x0301 version=0x0303 sni="plc.local" alpn=["h2"] versions=[] truncated=false`},
		{"no extensions", hello(nil), nil,
			`record=0x0301 version=0x0303 sni="" alpn=[] versions=[] truncated=false`},
		{"empty extensions", hello([]byte{}), nil,
			`record=0x0301 version=0x0303 sni="" alpn=[] versions=[] truncated=false`},
		{"unknown extensions skipped", hello(cat(ext(0xfe0d, 1, 2, 3), ext(10), sniExt("a.b"))), nil,
			`record=0x0301 version=0x0303 sni="a.b" alpn=[] versions=[] truncated=false`},
		{"hostile server name escaped", hello(sniExt("Evil\r\n\x00\\.Example")), nil,
			`record=0x0301 version=0x0303 sni="evil\\013\\010\\000\\092.example" alpn=[] versions=[] truncated=false`},
		{"server name of 255 octets", hello(sniExt(edge)), nil,
			`record=0x0301 version=0x0303 sni="` + edge + `" alpn=[] versions=[] truncated=false`},
		{"server name of 256 octets", hello(sniExt(tooLong)), ErrServerName, ""},
		{"first host name kept", hello(sniExt("one", "two")), nil,
			`record=0x0301 version=0x0303 sni="one" alpn=[] versions=[] truncated=false`},
		{"other name type skipped", hello(ext(extServerName, 0, 8, 7, 0, 1, 'x', 0, 0, 1, 'y')), nil,
			`record=0x0301 version=0x0303 sni="y" alpn=[] versions=[] truncated=false`},
		{"GREASE versions dropped", hello(versionsExt(0x3a3a, VersionTLS13, VersionTLS12, 0xfafa)), nil,
			`record=0x0301 version=0x0303 sni="" alpn=[] versions=[0x0304 0x0303] truncated=false`},
		{"ALPN beyond capacity", hello(alpnExt("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")), nil,
			`record=0x0301 version=0x0303 sni="" alpn=["a" "b" "c" "d" "e" "f" "g" "h"] versions=[] truncated=false`},
		{"application data record", changed(base, 0, 23), ErrNotHandshake, ""},
		{"SSL 2.0 style", changed(base, 1, 2), ErrNotHandshake, ""},
		{"record version 3.5", changed(base, 2, 5), ErrNotHandshake, ""},
		{"record length 0", record(nil), ErrNotHandshake, ""},
		{"record over 2^14", changed(base, 3, 0x41), ErrNotHandshake, ""},
		{"server hello", changed(base, 5, 2), ErrNotClientHello, ""},
		{"handshake header cut by the record", record([]byte{1, 0}), ErrMalformed, ""},
		{"application data, first octet only", []byte{23}, ErrNotHandshake, ""},
		{"record version 3.9, cut", []byte{22, 3, 9}, ErrNotHandshake, ""},
		{"record header only", base[:5], ErrTruncated, ""},
		{"server hello, cut", []byte{22, 3, 3, 0, 90, 2, 0}, ErrNotClientHello, ""},
		{"body too short", record([]byte{1, 0, 0, 4, 3, 3, 0, 0}), ErrMalformed, ""},
		{"session id of 33", changed(base, 9+34, 33), ErrMalformed, ""},
		{"odd cipher suites length", changed(base, 9+34+33+1, 3), ErrMalformed, ""},
		{"cut before the compression methods", hello(nil)[:9+34+33+6], ErrTruncated, ""},
		{"no compression method", func() []byte {
			b := hello(nil)
			b = append(b[:9+34+33+6], 0) // empty compression_methods
			b[4], b[8] = b[4]-1, b[8]-1
			return b
		}(), ErrMalformed, ""},
		{"extensions past the hello", changed(base, 9+34+33+8+1, 0xff), ErrMalformed, ""},
		{"bytes after the extensions", func() []byte {
			b := hello(cat(sniExt("x")))
			b = append(b, 0)
			b[4]++ // record length
			b[8]++ // handshake length
			return b
		}(), ErrMalformed, ""},
		{"extension past the block", hello(cat(ext(5, 1, 2), []byte{0, 9, 0, 1})), ErrMalformed, ""},
		{"two server name extensions", hello(cat(sniExt("a"), sniExt("b"))), ErrMalformed, ""},
		{"empty host name", hello(sniExt("")), ErrMalformed, ""},
		{"server name list past the extension", hello(ext(extServerName, 0, 9, 0, 0, 1, 'a')), ErrMalformed, ""},
		{"empty ALPN protocol", hello(alpnExt("h2", "")), ErrMalformed, ""},
		{"odd supported versions", hello(ext(extSupportedVersions, 3, 3, 4, 3)), ErrMalformed, ""},
	}
}

func TestParseClientHelloBuilt(t *testing.T) {
	var h ClientHello
	for _, tt := range builtCases() {
		t.Run(tt.name, func(t *testing.T) {
			err := ParseClientHello(tt.b, &h)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if got := show(&h); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// A ClientHello fragmented over two records is read as far as the first
// record goes.
func TestParseClientHelloFragmented(t *testing.T) {
	full := hello(cat(alpnExt("h2"), sniExt("crane.local")))
	hs := full[recordHeaderLen:]
	b := cat(record(hs[:50]), record(hs[50:]))
	var h ClientHello
	if err := ParseClientHello(b, &h); !errors.Is(err, ErrTruncated) {
		t.Fatalf("error = %v, want ErrTruncated", err)
	}
	if !h.Truncated || h.Version != VersionTLS12 {
		t.Errorf("got %s", show(&h))
	}
}

// A reused ClientHello keeps nothing of the previous one.
func TestParseClientHelloReuse(t *testing.T) {
	var h ClientHello
	if err := ParseClientHello(hello(cat(sniExt("a"), alpnExt("h2"), versionsExt(VersionTLS13))), &h); err != nil {
		t.Fatal(err)
	}
	if err := ParseClientHello(hello(nil), &h); err != nil {
		t.Fatal(err)
	}
	want := `record=0x0301 version=0x0303 sni="" alpn=[] versions=[] truncated=false`
	if got := show(&h); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestProbe(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/clienthello_loopback.pcap")
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"openssl", frames[1], true},
		{"first 9 octets", frames[4][:9], true},
		{"8 octets", frames[4][:8], false},
		{"SSL 3.0 record", append([]byte{22, 3, 0}, frames[4][3:9]...), true},
		{"record version 3.5", append([]byte{22, 3, 5}, frames[4][3:9]...), false},
		{"alert", append([]byte{21}, frames[4][1:9]...), false},
		{"server hello", []byte{22, 3, 3, 0, 90, 2, 0, 0, 86}, false},
		{"tiny hello", []byte{22, 3, 1, 0, 90, 1, 0, 0, 40}, false},
		{"record over 2^14", []byte{22, 3, 1, 0x40, 1, 1, 0, 1, 0}, false},
		{"HTTP", []byte("GET / HTTP/1.1\r\n"), false},
		{"SSH", []byte("SSH-2.0-OpenSSH_9.2\r\n"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Probe(tt.b); got != tt.want {
				t.Errorf("Probe = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestMaxVersion(t *testing.T) {
	tests := []struct {
		name string
		h    ClientHello
		want uint16
	}{
		{"legacy only", ClientHello{Version: VersionTLS10}, VersionTLS10},
		{"supported versions", ClientHello{Version: VersionTLS12, SupportedVersions: []uint16{VersionTLS12, VersionTLS13}}, VersionTLS13},
		{"empty", ClientHello{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.MaxVersion(); got != tt.want {
				t.Errorf("MaxVersion = %#04x, want %#04x", got, tt.want)
			}
		})
	}
}

func TestVersionString(t *testing.T) {
	tests := []struct {
		v    uint16
		want string
	}{
		{VersionSSL30, "SSL 3.0"}, {VersionTLS10, "TLS 1.0"}, {VersionTLS11, "TLS 1.1"},
		{VersionTLS12, "TLS 1.2"}, {VersionTLS13, "TLS 1.3"},
		{0x7f1c, "0x7f1c"}, {0x0a0a, "0x0a0a"}, {1, "0x0001"}, {0, "0x0000"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := VersionString(tt.v); got != tt.want {
				t.Errorf("VersionString(%#x) = %q", tt.v, got)
			}
		})
	}
}

func TestAllocs(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/clienthello_loopback.pcap")
	goHello := goClientHello(t, &cryptotls.Config{ServerName: "gateway.logink.cn", NextProtos: []string{"h2", "http/1.1"}})
	var h ClientHello
	tests := []struct {
		name string
		f    func()
	}{
		{"openssl", func() { _ = ParseClientHello(frames[1], &h) }},
		{"Go", func() { _ = ParseClientHello(goHello, &h) }},
		{"cut", func() { _ = ParseClientHello(goHello[:100], &h) }},
		{"malformed", func() { _ = ParseClientHello(frames[2][:9], &h) }},
		{"Probe", func() { _ = Probe(frames[1]) }},
		{"MaxVersion", func() { _ = h.MaxVersion() }},
		{"VersionString known", func() { _ = VersionString(VersionTLS13) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.f); n != 0 {
				t.Errorf("%v allocs per run, want 0", n)
			}
		})
	}
}

func BenchmarkParseClientHello(b *testing.B) {
	frames := testutil.PayloadsByNumber(b, "testdata/clienthello_loopback.pcap")
	for _, bb := range []struct {
		name string
		b    []byte
	}{
		{"openssl", frames[1]},
		{"curl", frames[4]},
		{"Go", goClientHello(b, &cryptotls.Config{ServerName: "gateway.logink.cn", NextProtos: []string{"h2", "http/1.1"}})},
	} {
		b.Run(bb.name, func(b *testing.B) {
			var h ClientHello
			b.SetBytes(int64(len(bb.b)))
			b.ReportAllocs()
			for b.Loop() {
				if err := ParseClientHello(bb.b, &h); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hellos/s")
		})
	}
}
