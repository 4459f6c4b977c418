package enip

import (
	"slices"
	"testing"

	"harborwatch/internal/testutil"
	"harborwatch/proto"
)

func TestResync(t *testing.T) {
	reg := encapPDU(cmdRegisterSession, 0, 0, testCtx, cat(le16(1), le16(0)))
	get := sendRR(testCtx, request(0x0e, cat(cls(1), inst(1), attr(7)), nil))
	set := sendRR(testCtx, request(0x10, cat(cls(0xf5), inst(1), attr(6)), []byte("crane-7")))
	tests := []struct {
		name    string
		b       []byte
		want    []string
		skipped uint64
	}{
		{"on a boundary", slices.Concat(reg, get), []string{"RegisterSession", "Get_Attribute_Single"}, 0},
		{"after the rest of a cut PDU", slices.Concat(set[7:], get), []string{"Get_Attribute_Single"}, uint64(len(set) - 7)},
		// A cut PDU's tail from inside its header: its command field is
		// gone, and the bytes that follow do not make a header.
		{"after a header's tail", slices.Concat(get[2:], reg), []string{"RegisterSession"}, uint64(len(get) - 2)},
		{"after garbage", slices.Concat([]byte{0x65, 0, 4, 0, 9, 9, 9}, get), []string{"Get_Attribute_Single"}, 7},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 7, 1 << 16} {
			t.Run(tt.name, func(t *testing.T) {
				var a Analyzer
				got := testutil.FeedAfterGap[*Message](t, &a, tt.b, chunk)
				// SendRRData reports the encapsulation and the CIP service
				// it carries; only the services' names are compared.
				got = slices.DeleteFunc(got, func(s string) bool { return s == "SendRRData" })
				if !slices.Equal(got, tt.want) {
					t.Errorf("chunks of %d: messages %q, want %q", chunk, got, tt.want)
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
	f.Add(slices.Concat([]byte{0x65, 0}, sendRR(testCtx, request(0x0e, cat(cls(1), inst(1), attr(7)), nil))), uint8(1))
	f.Add(slices.Concat([]byte{0x65, 0}, sendRR(testCtx, request(0x0e, cat(cls(1), inst(1), attr(7)), nil))), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		testutil.CheckResync(t, func() *Analyzer { return &Analyzer{} }, b, chunk)
	})
}
