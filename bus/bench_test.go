package bus

import (
	"testing"
	"time"
)

// BenchmarkPublish: finding messages through the disk queue to an
// embedded NATS, until JetStream acknowledged them all.
func BenchmarkPublish(b *testing.B) {
	ns, err := StartEmbedded("127.0.0.1:0", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Shutdown()
	p, err := NewPublisher(Options{URL: ns.URL(), Site: "b", Sensor: "s", Spool: b.TempDir(), SpoolMax: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	u := update(1)
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		p.Finding(u)
		n++
	}
	st := p.Close(time.Minute)
	if st.Published != uint64(n) {
		b.Fatalf("published %d of %d", st.Published, n)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkQueue: finding messages into the disk queue only (the link
// down): what the sensor's sink costs while it queues.
func BenchmarkQueue(b *testing.B) {
	p, err := NewPublisher(Options{URL: "nats://127.0.0.1:1", Site: "b", Sensor: "s", Spool: b.TempDir(), SpoolMax: 1 << 30, Retry: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(0)
	u := update(1)
	b.ReportAllocs()
	for b.Loop() {
		p.Finding(u)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
