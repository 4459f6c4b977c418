package bacnet

import "testing"

// BenchmarkDatagram parses the test captures' datagrams (mostly
// readProperty requests and acks, I-Am, ReinitializeDevice).
func BenchmarkDatagram(b *testing.B) {
	dgs := datagrams(b)
	var bytes int64
	for _, d := range dgs {
		bytes += int64(len(d))
	}
	var a Analyzer
	var s sink
	emit := s.emit
	b.SetBytes(bytes / int64(len(dgs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d := dgs[i%len(dgs)]
		if err := a.Datagram(d, i%2 == 0, emit); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetail builds the event detail of every datagram (done only
// when events are written).
func BenchmarkDetail(b *testing.B) {
	dgs := datagrams(b)
	var a Analyzer
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_ = a.Datagram(dgs[i%len(dgs)], true, func(m *Message) { m.Detail(map[string]any{}) })
	}
}
