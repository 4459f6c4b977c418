package testutil_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"harborwatch/capture"
	"harborwatch/internal/testutil"
)

// modbus is a 100-frame Ethernet capture of Modbus/TCP sessions (on
// loopback, then to a remote server); expected values below are what
// tshark 4.0 shows for it.
const modbus = "../../pipeline/testdata/modbus_example.pcap"

func TestFrames(t *testing.T) {
	fs := testutil.Frames(t, modbus)
	if len(fs) != 100 {
		t.Fatalf("%d frames, want 100", len(fs))
	}
	for i, f := range fs {
		if f.Number != int64(i+1) || f.Link != capture.LinkEthernet {
			t.Fatalf("frame %d: Number %d, Link %v", i+1, f.Number, f.Link)
		}
	}
	if f := fs[0]; f.TS != 1595660608237857000 || len(f.Data) != 74 || f.OrigLen != 74 {
		t.Errorf("frame 1: TS %d, %d of %d bytes; want 1595660608237857000, 74 of 74", f.TS, len(f.Data), f.OrigLen)
	}
	if f := fs[99]; f.TS != 1595890833407055000 || len(f.Data) != 75 {
		t.Errorf("frame 100: TS %d, %d bytes; want 1595890833407055000, 75", f.TS, len(f.Data))
	}
	// Data is copied: an early frame still holds its own bytes after the
	// reader has gone on to the end of the file.
	if want := hx(t, "000100000006040100010001"); !bytes.HasSuffix(fs[3].Data, want) {
		t.Errorf("frame 4 ends % x, want % x", fs[3].Data[len(fs[3].Data)-len(want):], want)
	}
}

func TestPayloads(t *testing.T) {
	ps := testutil.Payloads(t, modbus)
	if len(ps) != 48 { // tshark -Y 'tcp.len>0'
		t.Fatalf("%d payloads, want 48", len(ps))
	}
	for _, tc := range []struct {
		i    int
		want testutil.Payload
	}{
		{0, testutil.Payload{Number: 4, Proto: 6, Data: hx(t, "000100000006040100010001"),
			Src: netip.MustParseAddrPort("127.0.0.1:47785"), Dst: netip.MustParseAddrPort("127.0.0.1:502")}},
		{1, testutil.Payload{Number: 6, Proto: 6, Data: hx(t, "00010000000404010101"),
			Src: netip.MustParseAddrPort("127.0.0.1:502"), Dst: netip.MustParseAddrPort("127.0.0.1:47785")}},
		{47, testutil.Payload{Number: 100, Proto: 6, Data: hx(t, "000100000003008302"),
			Src: netip.MustParseAddrPort("3.15.227.20:502"), Dst: netip.MustParseAddrPort("192.168.1.6:37699")}},
	} {
		got := ps[tc.i]
		if got.Number != tc.want.Number || got.Src != tc.want.Src || got.Dst != tc.want.Dst ||
			got.Proto != tc.want.Proto || !bytes.Equal(got.Data, tc.want.Data) {
			t.Errorf("payload %d = %+v\nwant %+v", tc.i, got, tc.want)
		}
		if cap(got.Data) != len(got.Data) {
			t.Errorf("payload %d: cap %d, len %d: appending would write into the frame", tc.i, cap(got.Data), len(got.Data))
		}
	}
}

// TestPayloadsTshark compares PayloadsByNumber with the payloads tshark
// extracted from the application fixtures (testdata/*.hex beside each
// pcap: "frame<TAB>hex" from -e tcp.payload or -e udp.payload). Between
// them they hold UDP and TCP over IPv4 and IPv6.
func TestPayloadsTshark(t *testing.T) {
	for _, name := range []string{
		"../../app/dns/testdata/dig_dnsmasq",
		"../../app/tls/testdata/clienthello_loopback",
		"../../app/http/testdata/curl_wget_python",
	} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			got := testutil.PayloadsByNumber(t, name+".pcap")
			want := readHex(t, name+".hex")
			if !maps.EqualFunc(got, want, bytes.Equal) {
				t.Errorf("frames %v, want %v (or their bytes differ)", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
			}
		})
	}
}

// TestFixtureFails checks that a fixture that cannot be read fails the test
// rather than skipping it or yielding nothing.
func TestFixtureFails(t *testing.T) {
	b, err := os.ReadFile(modbus)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const handshake = 24 + 16 + 74 + 16 + 74 + 16 + 66 // file header, SYN, SYN-ACK, ACK
	var (
		missing   = filepath.Join(dir, "missing.pcap")
		notPcap   = write("not.pcap", []byte("not a capture at all"))
		cut       = write("cut.pcap", b[:handshake+4])
		noPayload = write("handshake.pcap", b[:handshake])
	)
	if n := len(testutil.Frames(t, noPayload)); n != 3 {
		t.Fatalf("handshake.pcap: %d frames, want 3", n)
	}
	for _, tc := range []struct {
		name string
		f    func(testing.TB)
		want string
	}{
		{"Frames/missing", func(tb testing.TB) { testutil.Frames(tb, missing) }, "missing.pcap"},
		{"Frames/not a capture", func(tb testing.TB) { testutil.Frames(tb, notPcap) }, "not a capture"},
		{"Frames/truncated", func(tb testing.TB) { testutil.Frames(tb, cut) }, "damaged at byte 286 (after packet 3)"},
		{"Payloads/missing", func(tb testing.TB) { testutil.Payloads(tb, missing) }, "missing.pcap"},
		{"Payloads/truncated", func(tb testing.TB) { testutil.Payloads(tb, cut) }, "damaged at byte 286 (after packet 3)"},
		{"Payloads/no payload", func(tb testing.TB) { testutil.Payloads(tb, noPayload) }, "no TCP or UDP payload"},
		{"PayloadsByNumber/missing", func(tb testing.TB) { testutil.PayloadsByNumber(tb, missing) }, "missing.pcap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, failed := fatal(t, tc.f)
			if !failed {
				t.Fatal("did not fail")
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("failed with %q, want it to mention %q", msg, tc.want)
			}
		})
	}
}

// recorder is a testing.TB whose Fatalf records the message and ends the
// goroutine, as testing.T's does.
type recorder struct {
	testing.TB
	msg    string
	failed bool
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg, r.failed = fmt.Sprintf(format, args...), true
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) {
	r.msg, r.failed = fmt.Sprint(args...), true
	runtime.Goexit()
}

// fatal runs f with a recorder and reports whether and how it failed.
func fatal(t *testing.T, f func(testing.TB)) (string, bool) {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.msg, r.failed
}

func hx(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readHex reads a file of "frame<TAB>hex payload" lines.
func readHex(t testing.TB, path string) map[int][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[int][]byte{}
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		num, payload, ok := strings.Cut(s.Text(), "\t")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			t.Fatalf("%s: bad line %q", path, s.Text())
		}
		m[n] = hx(t, payload)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}
