package iec104

import (
	"net/netip"
	"testing"

	"harborwatch/internal/testutil"
)

// record is one emitted Message as the tests keep it.
type record struct {
	packet     int64
	fromClient bool
	format     Format
	name, op   string
	status     string
	request    bool
	malformed  bool
	prefix     int
	detail     map[string]any
}

// chunk is the bytes one Feed call consumed while replaying a capture:
// fed again in order, they reproduce the capture's APDUs.
type chunk struct {
	flow       int
	fromClient bool
	b          []byte
}

// replay feeds a capture's TCP payloads, in file order, to one Analyzer
// per flow with the caller's buffering (what Feed leaves is offered again
// with the next payload), and returns the Messages and the consumed
// chunks.
func replay(t testing.TB, path string) ([]record, []chunk, int) {
	t.Helper()
	type dir struct {
		flow       int
		fromClient bool
	}
	ids := map[[2]netip.AddrPort]int{}
	var as []*Analyzer
	bufs := map[dir][]byte{}
	var recs []record
	var chunks []chunk
	for _, s := range testutil.Segments(t, path) {
		if s.Proto != 6 {
			continue
		}
		k := [2]netip.AddrPort{s.Client, s.Server}
		id, ok := ids[k]
		if !ok {
			id = len(ids)
			ids[k] = id
			as = append(as, new(Analyzer))
		}
		d := dir{id, s.FromClient}
		buf := append(bufs[d], s.Payload...)
		n, err := as[id].Feed(buf, s.FromClient, func(m *Message) {
			det := map[string]any{}
			m.Detail(det)
			recs = append(recs, record{s.Number, s.FromClient, m.Format, m.Name(), m.Op(), m.Status(),
				m.Request(), m.Malformed, m.Prefix, det})
		})
		if err != nil {
			t.Fatalf("%s packet %d: %v", path, s.Number, err)
		}
		if n > 0 {
			chunks = append(chunks, chunk{id, s.FromClient, append([]byte(nil), buf[:n]...)})
		}
		bufs[d] = append(buf[:0:0], buf[n:]...)
	}
	return recs, chunks, len(ids)
}
