package capture

import (
	"bytes"
	"testing"
)

// BenchmarkNext reads in-memory captures of 100,000 packets of mixed
// sizes (60 to 1514 bytes).
func BenchmarkNext(b *testing.B) {
	const n = 100_000
	pcapFile := genPcap(b, n, 1595660608e9, 1000)
	ngFile := genPcapNG(b, n, false)
	half1 := genPcap(b, n/2, 1595660608e9, 2000)
	half2 := genPcap(b, n/2, 1595660608e9+1000, 2000)
	tests := []struct {
		name string
		size int
		open func(b *testing.B) Source
	}{
		{"pcap", len(pcapFile), func(b *testing.B) Source { return open(b, pcapFile, "b.pcap") }},
		{"pcap+sha256", len(pcapFile), func(b *testing.B) Source {
			src, err := NewReaderWith(bytes.NewReader(pcapFile), "b.pcap", Options{Hash: true})
			if err != nil {
				b.Fatal(err)
			}
			return src
		}},
		{"pcapng", len(ngFile), func(b *testing.B) Source { return open(b, ngFile, "b.pcapng") }},
		{"merge2", len(half1) + len(half2), func(b *testing.B) Source {
			return Merge(open(b, half1, "1.pcap"), open(b, half2, "2.pcap"))
		}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(tt.size))
			var p Packet
			packets := 0
			for b.Loop() {
				src := tt.open(b)
				for src.Next(&p) == nil {
					packets++
				}
			}
			if packets%n != 0 {
				b.Fatalf("read %d packets, want a multiple of %d", packets, n)
			}
			b.ReportMetric(float64(packets)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}
