package bacnet

import (
	"testing"

	"harborwatch/internal/testutil"
)

// datagrams returns the UDP payloads of the test captures, in order.
func datagrams(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for _, c := range captures {
		for _, s := range testutil.Segments(t, "testdata/"+c) {
			if s.Proto == 17 {
				out = append(out, s.Payload)
			}
		}
	}
	return out
}

// sink keeps what the methods return so that nothing is optimised away.
type sink struct {
	n    int
	strs int
}

func (s *sink) emit(m *Message) {
	s.n += m.Func()
	s.strs += len(m.Name()) + len(m.Op()) + len(m.Status())
	if m.Request() {
		s.n++
	}
}

// TestZeroAllocs: parsing a datagram and asking its name, operation,
// status and function allocates nothing.
func TestZeroAllocs(t *testing.T) {
	dgs := datagrams(t)
	var a Analyzer
	var s sink
	emit := s.emit
	allocs := testing.AllocsPerRun(5, func() {
		for i, b := range dgs {
			if err := a.Datagram(b, i%2 == 0, emit); err != nil {
				t.Fatal(err)
			}
		}
	})
	if perPDU := allocs / float64(len(dgs)); allocs != 0 {
		t.Errorf("%.0f allocations for %d datagrams (%.3f per PDU), want 0", allocs, len(dgs), perPDU)
	}
	if s.n == 0 || s.strs == 0 {
		t.Error("nothing emitted")
	}
}
