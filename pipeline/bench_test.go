package pipeline

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
)

// benchCapture is a generated capture of the terminal mix, made once.
var benchCapture = sync.OnceValues(func() ([]byte, error) {
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		return nil, err
	}
	err = synth.Mix(w, synth.MixOptions{
		Packets: benchPackets,
		Flows:   20000,
		Seed:    1,
		Start:   time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC),
	})
	if err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
})

const benchPackets = 1_000_000

// BenchmarkAnalyze runs the whole analyze path — read, decode, flows,
// identification, parsers, detection — over a 1M-packet capture of the
// generated terminal mix, in memory, with 1 and 2 workers. allocs/op is per
// run of 1M packets; allocs/pkt divides it out.
func BenchmarkAnalyze(b *testing.B) {
	data, err := benchCapture()
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run(map[int]string{1: "workers=1", 2: "workers=2"}[workers], func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			var packets uint64
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				src, err := capture.NewReader(bytes.NewReader(data), "mix.pcap")
				if err != nil {
					b.Fatal(err)
				}
				res, err := Run(context.Background(), []capture.Source{src}, Options{Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				packets = res.Stats.Packets
			}
			runtime.ReadMemStats(&after)
			if packets != benchPackets {
				b.Fatalf("%d packets read, want %d", packets, benchPackets)
			}
			b.ReportMetric(float64(packets)*float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(packets)/float64(b.N), "allocs/pkt")
		})
	}
}
