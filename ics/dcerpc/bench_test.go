package dcerpc

import "testing"

// BenchmarkFeed feeds the test captures' PDUs (DCOM activation, OPC
// calls and callbacks, a fragmented endpoint mapper answer) to per-flow
// Analyzers.
func BenchmarkFeed(b *testing.B) {
	chunks, flows := captureChunks(b)
	as := make([]Analyzer, flows)
	var bytes int64
	for _, c := range chunks {
		bytes += int64(len(c.b))
	}
	var s sink
	emit := s.emit
	b.SetBytes(bytes / int64(len(chunks)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := chunks[i%len(chunks)]
		if i%len(chunks) == 0 {
			for j := range as {
				as[j].Reset()
			}
		}
		if _, err := as[c.flow].Feed(c.b, c.fromClient, emit); err != nil {
			b.Fatal(err)
		}
	}
}
