package modbus

import (
	"slices"
	"testing"

	"harborwatch/internal/testutil"
	"harborwatch/proto"
)

func TestResync(t *testing.T) {
	write := adu(7, 1, WriteSingleRegister, be(10, 0x1234))
	read := adu(8, 1, ReadHoldingRegisters, be(0, 4))
	multi := adu(9, 1, WriteMultipleRegisters, be(0, 2), bs(4), be(0, 0, 2, 0))
	tests := []struct {
		name    string
		b       []byte
		want    []string
		skipped uint64
	}{
		{"on a boundary", slices.Concat(write, read), []string{"WRITE_SINGLE_REGISTER", "READ_HOLDING_REGISTERS"}, 0},
		{"after the rest of a cut ADU", slices.Concat(multi[5:], write, read), []string{"WRITE_SINGLE_REGISTER", "READ_HOLDING_REGISTERS"}, uint64(len(multi) - 5)},
		// The register values of the cut write hold 00 00 00 02 00 00:
		// protocol id 0, but length 2 then a next header that is not.
		{"after data that looks like MBAP", slices.Concat(multi[10:], read), []string{"READ_HOLDING_REGISTERS"}, uint64(len(multi) - 10)},
		{"after garbage", slices.Concat([]byte("garbage, no modbus here"), write), []string{"WRITE_SINGLE_REGISTER"}, 23},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 5, 1 << 16} {
			t.Run(tt.name, func(t *testing.T) {
				var a Analyzer
				if got := testutil.FeedAfterGap[*Message](t, &a, tt.b, chunk); !slices.Equal(got, tt.want) {
					t.Errorf("chunks of %d: ADUs %q, want %q", chunk, got, tt.want)
				}
				if got := a.Resyncs(); got != (proto.Resync{Count: 1, Skipped: tt.skipped}) {
					t.Errorf("chunks of %d: resyncs %+v, want 1 skipping %d", chunk, got, tt.skipped)
				}
			})
		}
	}
	var a Analyzer
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
	f.Add(slices.Concat([]byte{0, 0, 0, 2}, adu(7, 1, WriteSingleRegister, be(10, 0x1234))), uint8(1))
	f.Add(slices.Concat([]byte{0, 0, 0, 2}, adu(7, 1, WriteSingleRegister, be(10, 0x1234))), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		testutil.CheckResync(t, func() *Analyzer { return &Analyzer{} }, b, chunk)
	})
}
