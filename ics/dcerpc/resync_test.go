package dcerpc

import (
	"bytes"
	"slices"
	"testing"

	"harborwatch/internal/testutil"
)

// TestResync: after a gap, bytes starting inside a PDU (the end of a
// request whose stub holds a DCE-RPC version 4 header) are skipped to the
// next PDU, whatever the chunks the bytes come in; a stub holding a whole
// version 5 header is no boundary when the bytes after its length are no
// header (seen when they are there); the call whose fragments a gap cut
// is not decoded.
func TestResync(t *testing.T) {
	bind := bindPDU(1, 0, ifaces[ifEPM].UUID)
	calls := slices.Concat(bind, requestPDU(2, 0, 3), requestPDU(3, 0, 2))
	want := []string{"bind", "EPM.ept_map", "EPM.ept_lookup"}
	cl := clPDU(CLRequest, ifaces[ifEPM].UUID, 3, 1, 0, 0, nil)
	for _, tc := range []struct {
		name   string
		stub   []byte
		chunks []int
	}{
		{"a version 4 header", cl[:40], []int{1, 5, 16, 33, 1000}},
		{"a version 5 header", append(requestPDU(9, 0, 3), cl[:16]...), []int{1000}},
	} {
		cut := pdu(TypeRequest, 7, append([]byte{0, 0, 0, 0, 0, 0, 3, 0}, tc.stub...))
		stream := append(slices.Clone(cut[5:]), calls...)
		for _, chunk := range tc.chunks {
			var a Analyzer
			if got := testutil.FeedAfterGap[*Message](t, &a, stream, chunk); !slices.Equal(got, want) {
				t.Errorf("%s, chunks of %d: %q, want %q", tc.name, chunk, got, want)
			}
			if rs := a.Resyncs(); rs.Count != 1 || rs.Skipped != uint64(len(cut)-5) {
				t.Errorf("%s, chunks of %d: resyncs %+v, want 1 skipping %d", tc.name, chunk, rs, len(cut)-5)
			}
		}
	}
	// A gap in the middle of a fragmented answer: its endpoints are not
	// decoded from the pieces either side of it.
	var a Analyzer
	feedAll(t, &a, true, bind, requestPDU(2, 0, 3))
	es := []Endpoint{{Addr: genServer.IP, Port: 49670}}
	frags := fragments(TypeResponse, 2, make([]byte, 8), eptMapStub(300, es...), 100)
	feedAll(t, &a, false, frags[0])
	a.Gap(false)
	ms := feedAll(t, &a, false, bytes.Join(frags[2:], nil))
	if last := ms[len(ms)-1]; last.NEndpoints != 0 || a.JoinStats().Lost != 1 || a.Resyncs().Count != 1 {
		t.Errorf("after a gap: %d endpoints, stats %+v, resyncs %+v", last.NEndpoints, a.JoinStats(), a.Resyncs())
	}
}
