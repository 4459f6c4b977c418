package capture

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

// unhex decodes hex written with spaces and newlines.
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWriterBytes checks the writers' output byte for byte against the
// layouts in the drafts.
func TestWriterBytes(t *testing.T) {
	// 0x5f1bd940 s + 123456789 (0x075bcd15) ns; as one count of
	// nanoseconds, 0x1624ecde_71484d15.
	const ts = 1595660608_123456789
	tests := []struct {
		name  string
		write func(w io.Writer) error
		want  string
	}{
		{"pcap µs", func(w io.Writer) error {
			pw, err := NewPcapWriter(w, LinkEthernet, 0, false)
			if err != nil {
				return err
			}
			if err := pw.WritePacket(ts, []byte{1, 2, 3}, 60); err != nil {
				return err
			}
			return pw.Flush()
		}, `d4c3b2a1 0200 0400 00000000 00000000 00000400 01000000
		    40d91b5f 40e20100 03000000 3c000000 010203`},
		{"pcap ns", func(w io.Writer) error {
			pw, err := NewPcapWriter(w, LinkRaw, 1500, true)
			if err != nil {
				return err
			}
			if err := pw.WritePacket(ts, []byte{9}, 1); err != nil {
				return err
			}
			return pw.Flush()
		}, `4d3cb2a1 0200 0400 00000000 00000000 dc050000 65000000
		    40d91b5f 15cd5b07 01000000 01000000 09`},
		{"pcapng", func(w io.Writer) error {
			nw := NewPcapNGWriter(w)
			id, err := nw.AddInterface(LinkEthernet, 0, 9)
			if err != nil {
				return err
			}
			if err := nw.WritePacket(id, ts, []byte{1, 2, 3, 4, 5}, 64); err != nil {
				return err
			}
			return nw.Flush()
		}, `0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000
		    01000000 20000000 0100 0000 00000000 0900 0100 09000000 00000000 20000000
		    06000000 28000000 00000000 deec2416 154d4871
		    05000000 40000000 0102030405000000 28000000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(&buf); err != nil {
				t.Fatal(err)
			}
			want := unhex(t, tt.want)
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("wrote\n% x\nwant\n% x", buf.Bytes(), want)
			}
		})
	}
}

// TestWriterRoundTrip writes packets with the writers and reads them back.
func TestWriterRoundTrip(t *testing.T) {
	type in struct {
		iface int
		ts    int64
		data  []byte
		orig  int
	}
	pkts := []in{
		{0, 1595660608_123456789, seq(0, 60), 60},
		{1, 1595660608_123456790, seq(1, 1514), 1514},
		{0, 1595660609_000000001, seq(2, 200), 9000}, // cut by the caller
		{1, 1595660610_999999999, nil, 0},
		{1, 1595660611_500000000, seq(3, 3), 3},
	}
	t.Run("pcap", func(t *testing.T) {
		for _, nanos := range []bool{false, true} {
			var buf bytes.Buffer
			pw, err := NewPcapWriter(&buf, LinkEthernet, 100, nanos)
			if err != nil {
				t.Fatal(err)
			}
			var want []Packet
			off := int64(24)
			for i, p := range pkts {
				if err := pw.WritePacket(p.ts, p.data, p.orig); err != nil {
					t.Fatal(err)
				}
				ts, data := p.ts, p.data[:min(len(p.data), 100)]
				if !nanos {
					ts -= ts % 1000
				}
				want = append(want, Packet{Data: data, OrigLen: p.orig, TS: ts, Link: LinkEthernet, Number: int64(i + 1), Offset: off})
				off += int64(16 + len(data))
			}
			if err := pw.Flush(); err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, open(t, buf.Bytes(), "w.pcap"))
			if err != nil {
				t.Fatal(err)
			}
			checkPackets(t, got, want)
		}
	})
	t.Run("pcapng", func(t *testing.T) {
		for _, res := range [][2]uint8{{6, 9}, {9, 3}, {0, 1}} {
			var buf bytes.Buffer
			nw := NewPcapNGWriter(&buf)
			if id, err := nw.AddInterface(LinkEthernet, 0, res[0]); id != 0 || err != nil {
				t.Fatalf("AddInterface = %d, %v", id, err)
			}
			if id, err := nw.AddInterface(LinkRaw, 64, res[1]); id != 1 || err != nil {
				t.Fatalf("AddInterface = %d, %v", id, err)
			}
			var want []Packet
			off := int64(28 + 2*32)
			for i, p := range pkts {
				if err := nw.WritePacket(p.iface, p.ts, p.data, p.orig); err != nil {
					t.Fatal(err)
				}
				link, data, unit := LinkEthernet, p.data, int64(1)
				for range 9 - res[p.iface] {
					unit *= 10
				}
				if p.iface == 1 {
					link, data = LinkRaw, data[:min(len(data), 64)]
				}
				want = append(want, Packet{Data: data, OrigLen: p.orig, TS: p.ts - p.ts%unit, Link: link, Iface: p.iface, Number: int64(i + 1), Offset: off})
				off += int64(32 + (len(data)+3)&^3)
			}
			if err := nw.Flush(); err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, open(t, buf.Bytes(), "w.pcapng"))
			if err != nil {
				t.Fatal(err)
			}
			checkPackets(t, got, want)
		}
	})
}

func TestWriterErrors(t *testing.T) {
	pcapW := func(t *testing.T) *PcapWriter {
		pw, err := NewPcapWriter(io.Discard, LinkEthernet, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		return pw
	}
	ngW := func(t *testing.T) *PcapNGWriter {
		nw := NewPcapNGWriter(io.Discard)
		if _, err := nw.AddInterface(LinkEthernet, 0, 6); err != nil {
			t.Fatal(err)
		}
		return nw
	}
	tests := []struct {
		name string
		do   func(t *testing.T) error
		want error
	}{
		{"pcap link type over 16 bits", func(*testing.T) error {
			_, err := NewPcapWriter(io.Discard, 0x10000, 0, false)
			return err
		}, ErrBadLink},
		{"pcap negative snaplen", func(*testing.T) error {
			_, err := NewPcapWriter(io.Discard, LinkEthernet, -1, false)
			return err
		}, ErrBadSnaplen},
		{"pcap snaplen over 16 MiB", func(*testing.T) error {
			_, err := NewPcapWriter(io.Discard, LinkEthernet, 16<<20+1, false)
			return err
		}, ErrBadSnaplen},
		{"pcap timestamp before 1970", func(t *testing.T) error {
			return pcapW(t).WritePacket(-1, nil, 0)
		}, ErrBadTimestamp},
		{"pcap timestamp after 2106", func(t *testing.T) error {
			return pcapW(t).WritePacket(1<<32*1e9, nil, 0)
		}, ErrBadTimestamp},
		{"pcap original shorter than data", func(t *testing.T) error {
			return pcapW(t).WritePacket(0, seq(0, 10), 9)
		}, ErrBadLength},
		{"pcap original over 32 bits", func(t *testing.T) error {
			return pcapW(t).WritePacket(0, nil, 1<<32)
		}, ErrBadLength},
		{"pcapng link type over 16 bits", func(*testing.T) error {
			_, err := NewPcapNGWriter(io.Discard).AddInterface(0x10000, 0, 6)
			return err
		}, ErrBadLink},
		{"pcapng snaplen over 16 MiB", func(*testing.T) error {
			_, err := NewPcapNGWriter(io.Discard).AddInterface(LinkEthernet, 16<<20+1, 6)
			return err
		}, ErrBadSnaplen},
		{"pcapng resolution finer than ns", func(*testing.T) error {
			_, err := NewPcapNGWriter(io.Discard).AddInterface(LinkEthernet, 0, 10)
			return err
		}, ErrBadTSResol},
		{"pcapng undefined interface", func(t *testing.T) error {
			return ngW(t).WritePacket(1, 0, nil, 0)
		}, ErrBadInterface},
		{"pcapng negative interface", func(t *testing.T) error {
			return ngW(t).WritePacket(-1, 0, nil, 0)
		}, ErrBadInterface},
		{"pcapng no interface", func(*testing.T) error {
			return NewPcapNGWriter(io.Discard).WritePacket(0, 0, nil, 0)
		}, ErrBadInterface},
		{"pcapng timestamp before 1970", func(t *testing.T) error {
			return ngW(t).WritePacket(0, -1, nil, 0)
		}, ErrBadTimestamp},
		{"pcapng original shorter than data", func(t *testing.T) error {
			return ngW(t).WritePacket(0, 0, seq(0, 4), 3)
		}, ErrBadLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(t); !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

// TestWriterBuffering checks that the writers buffer, use a *bufio.Writer
// as given, and report write errors.
func TestWriterBuffering(t *testing.T) {
	t.Run("pcap buffers until Flush", func(t *testing.T) {
		var buf bytes.Buffer
		pw, err := NewPcapWriter(&buf, LinkEthernet, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := pw.WritePacket(0, seq(0, 100), 100); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != 0 {
			t.Errorf("%d bytes written before Flush", buf.Len())
		}
		if err := pw.Flush(); err != nil || buf.Len() != 24+16+100 {
			t.Errorf("Flush = %v, %d bytes", err, buf.Len())
		}
	})
	t.Run("caller's bufio.Writer used as is", func(t *testing.T) {
		var buf bytes.Buffer
		bw := bufio.NewWriterSize(&buf, 16)
		nw := NewPcapNGWriter(bw)
		if nw.w != bw {
			t.Errorf("the writer wrapped a *bufio.Writer again")
		}
		if err := nw.Flush(); err != nil || buf.Len() != 28 {
			t.Errorf("Flush = %v, %d bytes", err, buf.Len())
		}
	})
	t.Run("pcap write error", func(t *testing.T) {
		pw, err := NewPcapWriter(failWriter{}, LinkEthernet, 0, false)
		if err != nil {
			t.Fatal(err) // buffered: nothing written yet
		}
		if err := pw.Flush(); !errors.Is(err, errDiskFull) {
			t.Errorf("Flush = %v, want %v", err, errDiskFull)
		}
		if err := pw.WritePacket(0, seq(0, 10), 10); !errors.Is(err, errDiskFull) {
			t.Errorf("WritePacket after a failed Flush = %v, want %v", err, errDiskFull)
		}
	})
	t.Run("pcap header write error", func(t *testing.T) {
		bw := bufio.NewWriterSize(failWriter{}, 16) // the 24-byte header overflows it
		if _, err := NewPcapWriter(bw, LinkEthernet, 0, false); !errors.Is(err, errDiskFull) {
			t.Errorf("NewPcapWriter = %v, want %v", err, errDiskFull)
		}
	})
	t.Run("pcapng write error is sticky", func(t *testing.T) {
		bw := bufio.NewWriterSize(failWriter{}, 16)
		nw := NewPcapNGWriter(bw) // the 28-byte header overflows the buffer
		if _, err := nw.AddInterface(LinkEthernet, 0, 6); !errors.Is(err, errDiskFull) {
			t.Errorf("AddInterface = %v, want %v", err, errDiskFull)
		}
		if err := nw.WritePacket(0, 0, nil, 0); !errors.Is(err, errDiskFull) {
			t.Errorf("WritePacket = %v, want %v", err, errDiskFull)
		}
		if err := nw.Flush(); !errors.Is(err, errDiskFull) {
			t.Errorf("Flush = %v, want %v", err, errDiskFull)
		}
	})
}

func TestWriterAllocs(t *testing.T) {
	data := seq(0, 1514)
	pw, err := NewPcapWriter(io.Discard, LinkEthernet, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	nw := NewPcapNGWriter(io.Discard)
	if _, err := nw.AddInterface(LinkEthernet, 0, 9); err != nil {
		t.Fatal(err)
	}
	ts := int64(1595660608_123456789)
	tests := []struct {
		name  string
		write func() error
	}{
		{"pcap", func() error { ts++; return pw.WritePacket(ts, data, len(data)) }},
		{"pcapng", func() error { ts++; return nw.WritePacket(0, ts, data[:ts%1514], 1514) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(1000, func() {
				if err := tt.write(); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per packet, want 0", allocs)
			}
		})
	}
}
