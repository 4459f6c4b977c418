package opcua

import "testing"

// BenchmarkFeed feeds the test captures' messages (sessions, reads,
// publishes, an encrypted channel) to per-flow Analyzers.
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

// BenchmarkDetail builds every message's event detail.
func BenchmarkDetail(b *testing.B) {
	chunks, flows := captureChunks(b)
	as := make([]Analyzer, flows)
	detail := func(m *Message) { m.Detail(map[string]any{}) }
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := chunks[i%len(chunks)]
		if i%len(chunks) == 0 {
			for j := range as {
				as[j].Reset()
			}
		}
		_, _ = as[c.flow].Feed(c.b, c.fromClient, detail)
	}
}
