package pipeline

import (
	"bytes"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
)

// TestAnalyzerDropped: what an analyzer's fixed per-flow tables cannot
// hold is counted in the run's stats, not lost silently — here the I/O
// connections of one UDP flow beyond the 64 the CIP analyzer counts.
func TestAnalyzerDropped(t *testing.T) {
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	var ex []synth.Exchange
	for i := range 70 {
		ex = append(ex, synth.Exchange{Data: synth.ENIPIO(uint32(0x100+i), 1, 1, []byte{1, 2, 3, 4})})
	}
	b.UDP(hEWS, hPLC, 2222, 2222, ex...)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		res := runBytes(t, buf.Bytes(), "io.pcap", Options{Workers: workers})
		var dropped uint64
		for name, a := range res.Stats.Analyzers {
			dropped += a.Dropped
			if a.Dropped > 0 {
				t.Logf("%s: %+v", name, a)
			}
		}
		if dropped != 70-64 {
			t.Errorf("%d workers: %d dropped in the stats, want 6 (70 connections, 64 counted)", workers, dropped)
		}
	}
}
