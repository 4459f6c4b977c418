package synth

import (
	"bufio"
	"bytes"
	"io"
	"testing"
	"time"

	"harborwatch/capture"
)

func TestMix(t *testing.T) {
	tests := []struct {
		name     string
		opts     MixOptions
		flows    int  // expected distinct flows (±10%)
		allKinds bool // every kind of flow appears
	}{
		{"few long flows", MixOptions{Packets: 3000, Flows: 10}, 10, false},
		{"a hundred per flow", MixOptions{Packets: 60000, Flows: 600}, 600, true},
		{"ten per flow", MixOptions{Packets: 50000, Flows: 5000}, 5000, true},
		{"more flows than the I/O adapters", MixOptions{Packets: 100000, Flows: 2000, Seed: 3}, 2000, true},
		{"under two frames per flow", MixOptions{Packets: 15000, Flows: 10000}, 10000, false},
		{"default flows", MixOptions{Packets: 20000}, 200, true},
		{"one frame", MixOptions{Packets: 1, Flows: 1}, 1, false},
		{"one flow", MixOptions{Packets: 500, Flows: 1}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := pcapBytes(t, true, func(w PacketWriter) error { return Mix(w, tt.opts) })
			fs := parseAll(t, readPcap(t, b))
			if len(fs) != tt.opts.Packets {
				t.Fatalf("%d frames, want %d", len(fs), tt.opts.Packets)
			}
			flows := map[flowKey]bool{}
			ports := map[uint16]bool{}
			for _, f := range fs {
				flows[keyOf(f)] = true
				ports[f.sport], ports[f.dport] = true, true
			}
			t.Logf("%d frames, %d distinct flows", len(fs), len(flows))
			if n := len(flows); n < tt.flows*9/10 || n > (tt.flows*11+9)/10 {
				t.Errorf("%d distinct flows, want %d ±10%%", n, tt.flows)
			}
			if tt.allKinds {
				for _, p := range []uint16{102, 502, 44818, 2222, 554, 53, 443} {
					if !ports[p] {
						t.Errorf("no flow on port %d", p)
					}
				}
			}
			if start := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC); fs[0].ts < start.UnixNano() || fs[0].ts >= start.Add(time.Second).UnixNano() {
				t.Errorf("first frame at %v", time.Unix(0, fs[0].ts).UTC())
			}
			if again := pcapBytes(t, true, func(w PacketWriter) error { return Mix(w, tt.opts) }); !bytes.Equal(again, b) {
				t.Error("not deterministic")
			}
		})
	}
}

func TestMixAllocs(t *testing.T) {
	var fc frameCounter
	m := newMixer(&fc, MixOptions{Packets: 1 << 40, Flows: 1 << 30})
	for range 200000 { // open flows, fill the session pool and the heap
		m.next()
	}
	if n := testing.AllocsPerRun(100000, func() { m.next() }); n != 0 {
		t.Fatalf("%v allocations per packet, want 0", n)
	}
	if m.b.Err() != nil || m.started < 2 {
		t.Fatalf("err %v, %d flows", m.b.Err(), m.started)
	}
}

// BenchmarkMix measures generation per packet, into a pcap writer and
// into nothing.
func BenchmarkMix(b *testing.B) {
	for _, bc := range []struct {
		name string
		w    func() PacketWriter
	}{
		{"pcap", func() PacketWriter {
			w, err := capture.NewPcapWriter(bufio.NewWriterSize(io.Discard, 1<<16), capture.LinkEthernet, 0, true)
			if err != nil {
				b.Fatal(err)
			}
			return w
		}},
		{"discard", func() PacketWriter { return &frameCounter{} }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := newMixer(bc.w(), MixOptions{Packets: 1 << 40, Flows: 1 << 30})
			for range 100000 {
				m.next()
			}
			b.ReportAllocs()
			start := time.Now()
			n := 0
			for b.Loop() {
				m.next()
				n++
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "pkts/s")
		})
	}
}

func BenchmarkTerminal(b *testing.B) {
	b.ReportAllocs()
	var fc frameCounter
	for b.Loop() {
		if err := Terminal(&fc, TerminalOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
