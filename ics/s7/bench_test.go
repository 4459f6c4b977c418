package s7

import "testing"

// BenchmarkFeed feeds the PDUs of each capture, and of the synthetic
// download flow, to warm Analyzers; one iteration is one pass.
func BenchmarkFeed(b *testing.B) {
	for _, name := range []string{"snap7", "s7ident", "s7comm_plus", "synthetic"} {
		b.Run(name, func(b *testing.B) {
			chunks, flows := synthetic(), 1
			if name != "synthetic" {
				chunks, flows = chunksOf(b, "testdata/"+name+".pcap")
			}
			as := make([]Analyzer, flows)
			pdus := 0
			count := func(m *Message) { pdus++; readAll(m) }
			octets := 0
			for _, c := range chunks {
				as[c.flow].Feed(c.b, c.fromClient, count)
				octets += len(c.b)
			}
			perPass := pdus
			b.SetBytes(int64(octets))
			b.ReportAllocs()
			iters := 0
			for b.Loop() {
				feedChunks(b, as, chunks)
				iters++
			}
			b.ReportMetric(float64(perPass*iters)/b.Elapsed().Seconds(), "PDUs/s")
		})
	}
}
