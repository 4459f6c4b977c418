package capture

import (
	"bytes"
	"testing"
)

// genPcap writes n packets of varied sizes (the first the largest) with
// timestamps start, start+step, … through the package's writer.
func genPcap(tb testing.TB, n int, start, step int64) []byte {
	tb.Helper()
	var buf bytes.Buffer
	pw, err := NewPcapWriter(&buf, LinkEthernet, 0, true)
	if err != nil {
		tb.Fatal(err)
	}
	data := seq(0, 1514)
	for i := range n {
		size := 1514
		if i > 0 {
			size = 60 + i*37%1455
		}
		if err := pw.WritePacket(start+int64(i)*step, data[:size], size); err != nil {
			tb.Fatal(err)
		}
	}
	if err := pw.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// genPcapNG writes n packets over two interfaces of different link types
// and resolutions, with Simple Packet Blocks mixed in (by hand: the writer
// does not write them).
func genPcapNG(tb testing.TB, n int, withSPB bool) []byte {
	tb.Helper()
	var buf bytes.Buffer
	nw := NewPcapNGWriter(&buf)
	for _, res := range []uint8{6, 9} {
		if _, err := nw.AddInterface(LinkEthernet+LinkType(res/9*100), 0, res); err != nil {
			tb.Fatal(err)
		}
	}
	data := seq(0, 1514)
	for i := range n {
		size := 1514
		if i > 0 {
			size = 60 + i*37%1455
		}
		if withSPB && i%3 == 2 {
			if err := nw.Flush(); err != nil {
				tb.Fatal(err)
			}
			nb := &ngBuild{o: le}
			nb.spb(uint32(size), data[:size])
			buf.Write(nb.b)
			continue
		}
		if err := nw.WritePacket(i%2, 1595660608e9+int64(i)*1000, data[:size], size); err != nil {
			tb.Fatal(err)
		}
	}
	if err := nw.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestNextAllocs proves that reading a packet allocates nothing once the
// buffer has grown to the largest packet.
func TestNextAllocs(t *testing.T) {
	const n = 2000
	tests := []struct {
		name string
		src  func(t *testing.T) Source
	}{
		{"pcap", func(t *testing.T) Source { return open(t, genPcap(t, n, 0, 1000), "a.pcap") }},
		{"pcap big-endian", func(t *testing.T) Source {
			pb := newPcap(be, false, 65535, 1)
			for i := range n {
				pb.packet(uint32(i), 0, seq(0, 1514-i%1000))
			}
			return open(t, pb.b, "b.pcap")
		}},
		{"pcapng", func(t *testing.T) Source { return open(t, genPcapNG(t, n, false), "a.pcapng") }},
		{"pcapng with simple packets", func(t *testing.T) Source { return open(t, genPcapNG(t, n, true), "b.pcapng") }},
		{"merge", func(t *testing.T) Source {
			return Merge(
				open(t, genPcap(t, n, 0, 2000), "a.pcap"),
				open(t, genPcap(t, n, 1000, 2000), "b.pcap"),
				open(t, genPcapNG(t, n, false), "c.pcapng"),
			)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src(t)
			var p Packet
			if err := src.Next(&p); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(1000, func() {
				if err := src.Next(&p); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per packet, want 0", allocs)
			}
		})
	}
}
