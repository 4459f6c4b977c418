package iec104

import (
	"slices"
	"testing"

	"harborwatch/internal/testutil"
	"harborwatch/proto"
)

func TestResync(t *testing.T) {
	startDT := []byte{0x68, 4, 7, 0, 0, 0}
	sFrame := []byte{0x68, 4, 1, 0, 8, 0}
	// A segment whose data hold what looks like an APDU start: 0x68, a
	// length of 6, an I-format control field, but an ASDU too short.
	trap := []byte{0x68, 0x17, 2, 0, 0, 0, 125, 1, 13, 0, 1, 0, 7, 0, 0, 3, 0, 1, 6, 0x68, 6, 0, 0, 0, 0}
	tests := []struct {
		name    string
		b       []byte
		want    []string
		skipped uint64
	}{
		{"on a boundary", slices.Concat(startDT, resetProcess), []string{"STARTDT act", "C_RP_NA_1"}, 0},
		{"after the rest of a cut APDU", slices.Concat(fileSegment[5:], clockSync, sFrame), []string{"C_CS_NA_1", "S"}, uint64(len(fileSegment) - 5)},
		{"after data that look like an APDU", slices.Concat(trap[7:], resetProcess), []string{"C_RP_NA_1"}, uint64(len(trap) - 7)},
		{"after garbage", slices.Concat([]byte("garbage, no telecontrol data"), fileSegment), []string{"F_SG_NA_1"}, 28},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 5, 1 << 16} {
			t.Run(tt.name, func(t *testing.T) {
				var a Analyzer
				if got := testutil.FeedAfterGap[*Message](t, &a, tt.b, chunk); !slices.Equal(got, tt.want) {
					t.Errorf("chunks of %d: APDUs %q, want %q", chunk, got, tt.want)
				}
				if got := a.Resyncs(); got != (proto.Resync{Count: 1, Skipped: tt.skipped}) {
					t.Errorf("chunks of %d: resyncs %+v, want 1 skipping %d", chunk, got, tt.skipped)
				}
			})
		}
	}
	// Without the gap the trap frames a malformed APDU that swallows the
	// reset's start.
	var a Analyzer
	var names []string
	a.Feed(slices.Concat(trap[7:], resetProcess), true, func(m *Message) { names = append(names, m.Name()) })
	if slices.Contains(names, "C_RP_NA_1") {
		t.Errorf("without a gap the trap is harmless (%q): the test proves nothing", names)
	}
	a.Gap(false)
	a.Reset()
	if a.lost != [2]bool{} || a.Resyncs() != (proto.Resync{}) {
		t.Error("Reset kept resync state")
	}
}

// FuzzResync feeds arbitrary bytes after a gap, whole and in chunks of a
// fuzzer-chosen size (unconsumed bytes offered again): no panic, never
// more consumed than offered, every skipped byte consumed, and no framing
// error before a boundary is found.
func FuzzResync(f *testing.F) {
	f.Add(slices.Concat(fileSegment[5:], clockSync), uint8(1))
	f.Add(slices.Concat([]byte{0x68, 6, 0, 0}, resetProcess), uint8(0))
	f.Add(slices.Concat([]byte("garbage"), []byte{0x68, 4, 0x43, 0, 0, 0}), uint8(3))
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

// resyncInput is 4 KB of the rest of cut APDUs, dense with start bytes
// and plausible lengths, then an APDU.
func resyncInput() []byte {
	var b []byte
	for len(b) < 4096 {
		b = append(b, 0x68, 0x0e, 0, 0, 0x68, 0x04, 0x68, 0x11, 2, 0)
	}
	return append(b, resetProcess...)
}

// BenchmarkResync measures finding the boundary after a gap in the worst
// input: a start byte every few octets.
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
