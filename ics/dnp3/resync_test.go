package dnp3

import (
	"slices"
	"testing"

	"harborwatch/internal/testutil"
	"harborwatch/proto"
)

func TestResync(t *testing.T) {
	cold := linkFrame(0xC4, 10, 1, []byte{0xC0, 0xC1, FuncColdRestart})
	read := linkFrame(0xC4, 10, 1, []byte{0xC0, 0xC2, FuncRead, 60, 1, 0x06})
	// A write whose data hold start octets and a length, but no header
	// whose CRC checks.
	write := linkFrame(0xC4, 10, 1, []byte{0xC0, 0xC3, FuncWrite, 110, 10, 0x00, 0, 0, 0x05, 0x64, 0x05, 0xC4, 1, 0, 10, 0, 0, 0})
	// A response of two transport segments: after a gap between them the
	// second alone makes no fragment.
	payload := make([]byte, 260)
	payload[0], payload[1], payload[2], payload[3] = 0xC4, FuncResponse, 0, 0
	seg1 := linkFrame(0x44, 1, 10, append([]byte{0x40 | 5}, payload[:249]...))
	seg2 := linkFrame(0x44, 1, 10, append([]byte{0x80 | 6}, payload[249:]...))
	tests := []struct {
		name    string
		b       []byte
		want    []string
		skipped uint64
	}{
		{"on a boundary", slices.Concat(cold, read), []string{"Cold Restart", "Read"}, 0},
		{"after the rest of a cut frame", slices.Concat(write[7:], read), []string{"Read"}, uint64(len(write) - 7)},
		{"after start octets in data", slices.Concat(write[14:], cold), []string{"Cold Restart"}, uint64(len(write) - 14)},
		{"after garbage", slices.Concat([]byte("\x05\x64 not a link header"), read), []string{"Read"}, 20},
		{"in a fragment", slices.Concat(seg1[40:], seg2, cold), []string{"Cold Restart"}, uint64(len(seg1) - 40)},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 7, 1 << 16} {
			t.Run(tt.name, func(t *testing.T) {
				var a Analyzer
				if got := testutil.FeedAfterGap[*Message](t, &a, tt.b, chunk); !slices.Equal(got, tt.want) {
					t.Errorf("chunks of %d: fragments %q, want %q", chunk, got, tt.want)
				}
				if got := a.Resyncs(); got != (proto.Resync{Count: 1, Skipped: tt.skipped}) {
					t.Errorf("chunks of %d: resyncs %+v, want 1 skipping %d", chunk, got, tt.skipped)
				}
			})
		}
	}
	// Without the gap the cut frame is a framing error.
	var a Analyzer
	if _, err := a.Feed(slices.Concat(write[7:], read), true, func(*Message) {}); err == nil {
		t.Error("the cut frame fed without a gap framed: the test proves nothing")
	}
	// A gap between the segments of a fragment drops it in reassembly too.
	a.Reset()
	var got []string
	a.Feed(seg1, false, func(m *Message) { got = append(got, m.Name()) })
	a.Gap(false)
	a.Feed(slices.Concat(seg2, cold), false, func(m *Message) { got = append(got, m.Name()) })
	if !slices.Equal(got, []string{"Cold Restart"}) || a.Resyncs() != (proto.Resync{Count: 1}) {
		t.Errorf("segments around a gap: %q, resyncs %+v", got, a.Resyncs())
	}
	a.Gap(true)
	a.Reset()
	if a.dir[1].lost || a.Resyncs() != (proto.Resync{}) {
		t.Error("Reset kept resync state")
	}
}

// FuzzResync feeds arbitrary bytes after a gap, whole and in chunks of a
// fuzzer-chosen size (unconsumed bytes offered again): no panic, never
// more consumed than offered, every skipped byte consumed, and no framing
// error before a boundary is found.
func FuzzResync(f *testing.F) {
	f.Add(slices.Concat([]byte{0, 0x05, 0x64, 5}, linkFrame(0xC4, 10, 1, []byte{0xC0, 0xC1, FuncColdRestart})), uint8(1))
	f.Add(slices.Concat([]byte("garbage"), linkFrame(0x44, 1, 10, []byte{0xC0, 0xC1, FuncResponse, 0, 0})), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		testutil.CheckResync(t, func() *Analyzer { return &Analyzer{} }, b, chunk)
	})
}

// TestResyncAllocs: resynchronising allocates nothing either.
func TestResyncAllocs(t *testing.T) {
	b := resyncInput()
	var a Analyzer
	emit := func(*Message) {}
	if n := testing.AllocsPerRun(100, func() {
		a.Gap(true)
		a.Feed(b, true, emit)
	}); n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}

// resyncInput is 4 KB of start octets with lengths whose header CRCs do
// not check, then a link frame.
func resyncInput() []byte {
	var b []byte
	for len(b) < 4096 {
		b = append(b, 0x05, 0x64, 0x05, 0xC4, 10, 0, 1, 0, 0x12, 0x34, 0x05)
	}
	return append(b, linkFrame(0xC4, 10, 1, []byte{0xC0, 0xC1, FuncColdRestart})...)
}

// BenchmarkResync measures finding the boundary after a gap in the worst
// input: a header whose CRC must be computed every few octets.
func BenchmarkResync(b *testing.B) {
	in := resyncInput()
	var a Analyzer
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		a.Gap(true)
		if n, _ := a.Feed(in, true, func(*Message) {}); n != len(in) {
			b.Fatalf("consumed %d of %d", n, len(in))
		}
	}
}
