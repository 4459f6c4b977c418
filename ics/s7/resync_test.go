package s7

import (
	"slices"
	"testing"

	"harborwatch/internal/testutil"
	"harborwatch/proto"
)

func TestResync(t *testing.T) {
	stop := job(4, plcStopParam(), nil)
	read := job(5, []byte{0x04, 1, 0x12, 0x0a, 0x10, 2, 0, 1, 0, 1, 0x84, 0, 0, 0}, nil) // read 1 byte of DB1
	tests := []struct {
		name    string
		b       []byte
		want    []string
		skipped uint64
	}{
		{"on a boundary", slices.Concat(stop, read), []string{"PLC Stop", "Read Var"}, 0},
		{"after the rest of a cut PDU", slices.Concat(stop[9:], stop, read), []string{"PLC Stop", "Read Var"}, uint64(len(stop) - 9)},
		// The rest of a PDU whose bytes look like a TPKT header (03 00)
		// with an impossible COTP or S7 header is skipped too.
		{"after bytes that look like TPKT", slices.Concat([]byte{0x32, 3, 0, 0, 0x20, 2, 0xf0, 0x80, 0x32, 9}, read),
			[]string{"Read Var"}, 10},
		{"connection request after garbage", slices.Concat([]byte{0xde, 0xad, 3}, cr(0xe0), read),
			[]string{"COTP Connection Request", "Read Var"}, 3},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 3, 1 << 16} {
			t.Run(tt.name, func(t *testing.T) {
				var a Analyzer
				if got := testutil.FeedAfterGap[*Message](t, &a, tt.b, chunk); !slices.Equal(got, tt.want) {
					t.Errorf("chunks of %d: PDUs %q, want %q", chunk, got, tt.want)
				}
				if got := a.Resyncs(); got != (proto.Resync{Count: 1, Skipped: tt.skipped}) {
					t.Errorf("chunks of %d: resyncs %+v, want 1 skipping %d", chunk, got, tt.skipped)
				}
			})
		}
	}
	// A gap drops the COTP fragments held for the direction: the PDU they
	// began was cut.
	var a Analyzer
	first := dt(s7(rosctrJob, 6, 0, 0, plcStopParam(), nil)[:6], false)
	if n, err := a.Feed(first, true, nil); err != nil || n != len(first) || len(a.dir[0].cotp) == 0 {
		t.Fatalf("fragment: %d, %v, held %d", n, err, len(a.dir[0].cotp))
	}
	if got := testutil.FeedAfterGap[*Message](t, &a, stop, 1<<16); !slices.Equal(got, []string{"PLC Stop"}) || len(a.dir[0].cotp) != 0 {
		t.Errorf("after a gap: %q, held %d", got, len(a.dir[0].cotp))
	}
	a.Reset()
	if a.Resyncs() != (proto.Resync{}) || a.dir[0].lost {
		t.Error("Reset kept resync state")
	}
}

// FuzzResync feeds arbitrary bytes after a gap, whole and in chunks of a
// fuzzer-chosen size (unconsumed bytes offered again): no panic, never
// more consumed than offered, every skipped byte consumed, and no framing
// error before a boundary is found.
func FuzzResync(f *testing.F) {
	f.Add(slices.Concat([]byte{1, 2, 3, 0}, job(4, plcStopParam(), nil)), uint8(1))
	f.Add(slices.Concat([]byte{1, 2, 3, 0}, job(4, plcStopParam(), nil)), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		testutil.CheckResync(t, func() *Analyzer { return &Analyzer{} }, b, chunk)
	})
}
