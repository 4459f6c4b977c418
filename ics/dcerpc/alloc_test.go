package dcerpc

import (
	"net/netip"
	"testing"

	"harborwatch/internal/testutil"
)

// chunk is one run of whole PDUs of a capture with its flow and direction.
type chunk struct {
	flow       int
	fromClient bool
	b          []byte
}

// captureChunks replays the test captures and keeps what each Feed
// consumed: fed again in order, these reproduce the PDUs without
// reassembly. It returns them with the number of flows.
func captureChunks(t testing.TB) (out []chunk, flows int) {
	t.Helper()
	ids := map[[2]netip.AddrPort]int{}
	type dir struct {
		flow       int
		fromClient bool
	}
	bufs := map[dir][]byte{}
	var as []*Analyzer
	for _, c := range captures {
		for _, s := range testutil.Segments(t, "testdata/"+c) {
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
			n, err := as[id].Feed(buf, s.FromClient, func(*Message) {})
			if n > 0 {
				out = append(out, chunk{id, s.FromClient, append([]byte(nil), buf[:n]...)})
			}
			if err != nil {
				n = len(buf)
			}
			bufs[d] = append(buf[:0], buf[n:]...)
		}
	}
	return out, len(ids)
}

type sink struct{ n, strs int }

// emit asks what detection asks of every PDU; the name only of calls of
// known methods and of other PDUs (an unknown method's name is built).
func (s *sink) emit(m *Message) {
	s.n += m.Func()
	s.strs += len(m.Op()) + len(m.Status()) + len(m.TypeName())
	if _, ok := m.method(); ok || !m.call() {
		s.strs += len(m.Name())
	}
	if m.Request() {
		s.n++
	}
}

// TestZeroAllocs: feeding the captures' PDUs (binds, calls, fragmented
// answers, endpoints handed out) and asking each one's operation, status
// and function allocates nothing.
func TestZeroAllocs(t *testing.T) {
	chunks, flows := captureChunks(t)
	as := make([]Analyzer, flows)
	var s sink
	emit := s.emit
	allocs := testing.AllocsPerRun(5, func() {
		for i := range as {
			as[i].Reset()
		}
		for _, c := range chunks {
			n, err := as[c.flow].Feed(c.b, c.fromClient, emit)
			if err != nil || n != len(c.b) {
				t.Fatalf("Feed: %d of %d, %v", n, len(c.b), err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%.0f allocations for %d chunks, want 0", allocs, len(chunks))
	}
	if s.n == 0 || s.strs == 0 {
		t.Error("nothing emitted")
	}
}
