package dnp3

import (
	"net/netip"
	"testing"

	"harborwatch/internal/testutil"
)

// record is one emitted Message as the tests keep it.
type record struct {
	packet     int64
	fromClient bool
	kind       Kind
	linkDir    bool
	name, op   string
	status     string
	request    bool
	malformed  bool
	code       int
	iin        int
	conn       string // client and server: "10.0.0.1:20000 10.0.0.2:20000"
	detail     map[string]any
}

// chunk is the bytes one Feed call consumed while replaying a capture:
// fed again in order, they reproduce the capture's fragments.
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
	recs, chunks, flows, _ := replayErrs(t, path)
	return recs, chunks, flows
}

// replayErrs is replay, also returning the packets where Feed failed.
func replayErrs(t testing.TB, path string) (recs []record, chunks []chunk, flows int, errs []int64) {
	t.Helper()
	type dir struct {
		flow       int
		fromClient bool
	}
	ids := map[[2]netip.AddrPort]int{}
	var as []*Analyzer
	bufs := map[dir][]byte{}
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
			recs = append(recs, record{s.Number, s.FromClient, m.Kind, m.Link.Control&0x80 != 0, m.Name(), m.Op(), m.Status(),
				m.Request(), m.Malformed, m.Func(), int(m.IIN), s.Client.String() + " " + s.Server.String(), det})
		})
		if err != nil {
			// As the pipeline does: count the error, drop the buffer.
			errs = append(errs, s.Number)
			n = len(buf)
		}
		if n > 0 {
			chunks = append(chunks, chunk{id, s.FromClient, append([]byte(nil), buf[:n]...)})
		}
		bufs[d] = append(buf[:0:0], buf[n:]...)
	}
	return recs, chunks, len(ids), errs
}
