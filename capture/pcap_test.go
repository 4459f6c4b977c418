package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func TestNotCapture(t *testing.T) {
	random := make([]byte, 512)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	random[0] = 0x5c // not a magic
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "open x.txt: not a capture file (pcap or pcapng): file is empty"},
		{"html", []byte("<html><body>hello</body></html>\n"), "open x.txt: not a capture file (pcap or pcapng): starts with 3c 68 74 6d"},
		{"text", []byte("timestamp,src,dst\n"), "open x.txt: not a capture file (pcap or pcapng): starts with 74 69 6d 65"},
		{"random", random, "open x.txt: not a capture file (pcap or pcapng): " + fmt.Sprintf("starts with 5c % x", random[1:4])},
		{"three bytes", []byte{0xd4, 0xc3, 0xb2}, "open x.txt: not a capture file (pcap or pcapng): only 3 bytes: d4 c3 b2"},
		{"gzip", []byte{0x1f, 0x8b, 0x08, 0x00, 0, 0}, "open x.txt: not a capture file (pcap or pcapng): starts with 1f 8b 08 00 (gzip-compressed: decompress it first)"},
		{"pcap magic shifted", []byte{0, 0xd4, 0xc3, 0xb2, 0xa1}, "open x.txt: not a capture file (pcap or pcapng): starts with 00 d4 c3 b2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := NewReader(bytes.NewReader(tt.in), "x.txt")
			if err == nil {
				t.Fatalf("NewReader succeeded (%T), want an error", src)
			}
			if src != nil {
				t.Errorf("NewReader returned a Source (%T) with its error", src)
			}
			if !errors.Is(err, ErrNotCapture) {
				t.Errorf("error %v does not wrap ErrNotCapture", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\nwant    %q", err, tt.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	good := newPcap(le, false, 65535, 1)
	good.packet(10, 20, seq(1, 60))
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("pcap", func(t *testing.T) {
		p := write("good.pcap", good.b)
		src, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if src.Name() != p {
			t.Errorf("Name = %q, want %q", src.Name(), p)
		}
		got, err := readAll(t, src)
		if err != nil || len(got) != 1 || !bytes.Equal(got[0].Data, seq(1, 60)) {
			t.Errorf("read %d packets, err %v", len(got), err)
		}
		if err := src.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		var pk Packet
		if err := src.Next(&pk); err != io.EOF {
			t.Errorf("Next after Close = %v, want io.EOF", err)
		}
	})
	t.Run("text file", func(t *testing.T) {
		p := write("notes.txt", []byte("<html>"))
		_, err := Open(p)
		want := "open " + p + ": not a capture file (pcap or pcapng): starts with 3c 68 74 6d"
		if !errors.Is(err, ErrNotCapture) || err.Error() != want {
			t.Errorf("Open = %v, want %q", err, want)
		}
	})
	t.Run("directory", func(t *testing.T) {
		_, err := Open(dir)
		want := "open " + dir + ": is a directory, not a capture file (pcap or pcapng)"
		if !errors.Is(err, ErrNotCapture) || err.Error() != want {
			t.Errorf("Open = %v, want %q", err, want)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		p := write("empty.pcap", nil)
		_, err := Open(p)
		want := "open " + p + ": not a capture file (pcap or pcapng): file is empty"
		if !errors.Is(err, ErrNotCapture) || err.Error() != want {
			t.Errorf("Open = %v, want %q", err, want)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Open(filepath.Join(dir, "nope.pcap"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("damaged header", func(t *testing.T) {
		p := write("short.pcap", good.b[:20])
		_, err := Open(p)
		checkDamage(t, err, p, 0, 1, ErrTruncated, "truncated file header")
	})
}

// TestPcapFormats reads hand-built files in both byte orders with
// microsecond and nanosecond timestamps.
func TestPcapFormats(t *testing.T) {
	tests := []struct {
		name  string
		order byteOrder
		nanos bool
		frac  uint32 // fraction field of the first record
		ts    int64  // its timestamp in nanoseconds
	}{
		{"little-endian µs", le, false, 123456, 1595660608_123456000},
		{"big-endian µs", be, false, 123456, 1595660608_123456000},
		{"little-endian ns", le, true, 123456789, 1595660608_123456789},
		{"big-endian ns", be, true, 123456789, 1595660608_123456789},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The link field carries FCS length 2 with the P bit
			// (draft-ietf-opsawg-pcap section 4, figure 2): the link
			// type is still Ethernet.
			pb := newPcap(tt.order, tt.nanos, 96, 0x24000001)
			o1 := pb.packet(1595660608, tt.frac, seq(0, 60))
			o2 := pb.rec(1595660609, 0, 96, 1514, seq(7, 96)) // cut by snaplen
			o3 := pb.packet(4294967295, 0, nil)               // empty, last second of u32
			got, err := readAll(t, open(t, pb.b, "f.pcap"))
			if err != nil {
				t.Fatal(err)
			}
			checkPackets(t, got, []Packet{
				{Data: seq(0, 60), OrigLen: 60, TS: tt.ts, Link: LinkEthernet, Number: 1, Offset: o1},
				{Data: seq(7, 96), OrigLen: 1514, TS: 1595660609e9, Link: LinkEthernet, Number: 2, Offset: o2},
				{Data: []byte{}, OrigLen: 0, TS: 4294967295e9, Link: LinkEthernet, Number: 3, Offset: o3},
			})
			if o1 != 24 || o2 != 24+16+60 || o3 != o2+16+96 {
				t.Errorf("offsets %d %d %d", o1, o2, o3)
			}
		})
	}
}

// TestPcapDamage cuts and spoils a three-record file.
func TestPcapDamage(t *testing.T) {
	build := func(snaplen uint32, edit func(pb *pcapBuild)) []byte {
		pb := newPcap(le, false, snaplen, 1)
		pb.packet(100, 1, seq(1, 10)) // 24..50
		if edit != nil {
			edit(pb)
			return pb.b
		}
		pb.packet(101, 2, seq(2, 20)) // 50..86
		pb.packet(102, 3, seq(3, 30)) // 86..132
		return pb.b
	}
	whole := build(65535, nil)
	if len(whole) != 132 {
		t.Fatalf("fixture is %d bytes", len(whole))
	}
	tests := []struct {
		name    string
		in      []byte
		packets int
		offset  int64 // of the damage; -1: clean end
		kind    error
		msg     string
	}{
		{"whole", whole, 3, -1, nil, ""},
		{"cut at record boundary", whole[:86], 2, -1, nil, ""},
		{"cut after file header", whole[:24], 0, -1, nil, ""},
		{"cut in first record header", whole[:30], 0, 24, ErrTruncated, "truncated record header"},
		{"cut in record header", whole[:90], 2, 86, ErrTruncated, "truncated record header"},
		{"cut after record header", whole[:102], 2, 86, ErrTruncated, "truncated record data"},
		{"cut in record data", whole[:120], 2, 86, ErrTruncated, "truncated record data"},
		{"cut one byte short", whole[:131], 2, 86, ErrTruncated, "truncated record data"},
		{"captured longer than original", build(65535, func(pb *pcapBuild) {
			pb.rec(101, 0, 20, 19, seq(0, 20))
		}), 1, 50, ErrCorrupt, "captured length exceeds original length"},
		{"captured length absurd", build(65535, func(pb *pcapBuild) {
			pb.rec(101, 0, 0x7fffffff, 0x7fffffff, seq(0, 20))
		}), 1, 50, ErrCorrupt, "record length exceeds the snap length"},
		{"over 262144 with small snaplen", build(65535, func(pb *pcapBuild) {
			pb.rec(101, 0, 262145, 262145, make([]byte, 262145))
		}), 1, 50, ErrCorrupt, "record length exceeds the snap length"},
		{"262144 with small snaplen", build(65535, func(pb *pcapBuild) {
			pb.rec(101, 0, 262144, 262144, make([]byte, 262144))
		}), 2, -1, nil, ""},
		{"large snaplen allows large record", build(1<<20, func(pb *pcapBuild) {
			pb.rec(101, 0, 1<<20, 1<<20, make([]byte, 1<<20))
		}), 2, -1, nil, ""},
		{"over 16 MiB whatever the snaplen", build(1<<30, func(pb *pcapBuild) {
			pb.rec(101, 0, 16<<20+1, 16<<20+1, nil)
		}), 1, 50, ErrCorrupt, "record length exceeds the snap length"},
		{"claimed 16 MiB, 10 bytes there", build(1<<30, func(pb *pcapBuild) {
			pb.rec(101, 0, 16<<20, 16<<20, seq(0, 10))
		}), 1, 50, ErrTruncated, "truncated record data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, open(t, tt.in, "cut.pcap"))
			if len(got) != tt.packets {
				t.Errorf("got %d packets before the end, want %d", len(got), tt.packets)
			}
			for i, p := range got {
				if p.Number != int64(i+1) {
					t.Errorf("packet %d numbered %d", i+1, p.Number)
				}
			}
			if tt.offset < 0 {
				if err != nil {
					t.Fatalf("error %v, want a clean end", err)
				}
				return
			}
			checkDamage(t, err, "cut.pcap", tt.offset, int64(tt.packets+1), tt.kind, tt.msg)
		})
	}
}

func TestPcapHeaderDamage(t *testing.T) {
	good := newPcap(be, true, 65535, 1).b
	badVersion := bytes.Clone(good)
	badVersion[5] = 3 // big-endian major version 3
	tests := []struct {
		name string
		in   []byte
		kind error
		msg  string
	}{
		{"magic only", good[:4], ErrTruncated, "truncated file header"},
		{"cut header", good[:23], ErrTruncated, "truncated file header"},
		{"major version 3", badVersion, ErrCorrupt, "unsupported pcap version (want 2.x)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := NewReader(bytes.NewReader(tt.in), "h.pcap")
			if src != nil {
				t.Errorf("got a Source with the error")
			}
			checkDamage(t, err, "h.pcap", 0, 1, tt.kind, tt.msg)
		})
	}
}

// TestBufferReuse checks that Data lives in one buffer that grows only
// for a larger packet.
func TestBufferReuse(t *testing.T) {
	pb := newPcap(le, false, 65535, 1)
	pb.packet(1, 0, seq(0, 100))
	pb.packet(2, 0, seq(1, 50))
	pb.packet(3, 0, seq(2, 9000))
	pb.packet(4, 0, seq(3, 80))
	src := open(t, pb.b, "reuse.pcap")
	var p Packet
	var first [4]*byte
	for i := range first {
		if err := src.Next(&p); err != nil {
			t.Fatal(err)
		}
		first[i] = &p.Data[0]
	}
	if first[0] != first[1] {
		t.Errorf("a smaller packet moved to a new buffer")
	}
	if first[2] == first[1] {
		t.Errorf("a larger packet stayed in the small buffer")
	}
	if first[3] != first[2] {
		t.Errorf("a smaller packet after the large one moved to a new buffer")
	}
}

func TestDamageErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  DamageError
		want string
	}{
		{"after a packet", DamageError{File: "capture.pcap", Offset: 1234, Packet: 57, Err: errTruncRecordData},
			"capture.pcap: damaged at byte 1234 (after packet 56): truncated record data"},
		{"before any packet", DamageError{File: "a.pcapng", Offset: 0, Packet: 1, Err: errTruncFileHeader},
			"a.pcapng: damaged at byte 0 (before the first packet): truncated file header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if errors.Unwrap(&tt.err) != tt.err.Err {
				t.Errorf("Unwrap does not return Err")
			}
		})
	}
}

func TestLinkTypeString(t *testing.T) {
	tests := []struct {
		link LinkType
		want string
	}{
		{LinkNull, "NULL"},
		{LinkEthernet, "EN10MB"},
		{LinkRaw, "RAW"},
		{LinkLinuxSLL, "LINUX_SLL"},
		{LinkIPv4, "IPV4"},
		{LinkIPv6, "IPV6"},
		{LinkLinuxSLL2, "LINUX_SLL2"},
		{LinkType(147), "LINKTYPE_147"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.link.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

// failingReader yields b, then fails.
type failingReader struct {
	b   []byte
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, r.err
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestReadError checks that a failing input is reported as an I/O error,
// not as damage, and ends the Source.
func TestReadError(t *testing.T) {
	errIO := errors.New("input/output error")
	pb := newPcap(le, false, 65535, 1)
	pb.packet(1, 0, seq(0, 10))
	nb := &ngBuild{}
	nb.shb(le, 1)
	nb.idb(1, 0)
	nb.packet(0, 1, seq(0, 10))
	tests := []struct {
		name    string
		in      []byte
		cut     int
		packets int
		want    string
	}{
		{"pcap record header", pb.b, len(pb.b), 1, "read r at byte 50: input/output error"},
		{"pcap record data", pb.b, 45, 0, "read r at byte 45: input/output error"},
		{"pcapng block", nb.b, len(nb.b) - 6, 0, "read r at byte 86: input/output error"},
		{"pcapng next block", nb.b, len(nb.b), 1, "read r at byte 92: input/output error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := NewReader(&failingReader{b: tt.in[:tt.cut], err: errIO}, "r")
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, src)
			if len(got) != tt.packets {
				t.Errorf("%d packets, want %d", len(got), tt.packets)
			}
			var de *DamageError
			if !errors.Is(err, errIO) || errors.As(err, &de) {
				t.Fatalf("error = %v, want the read error and no damage", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q, want %q", err, tt.want)
			}
		})
	}
	t.Run("at open", func(t *testing.T) {
		_, err := NewReader(&failingReader{err: errIO}, "r")
		if !errors.Is(err, errIO) || errors.Is(err, ErrNotCapture) || err.Error() != "open r: input/output error" {
			t.Errorf("error = %v", err)
		}
	})
}
