package testutil

import (
	"errors"
	"net/netip"
	"testing"
)

// Feeder is a stream analyzer of a protocol: it parses what it can of b
// (one direction's reassembled bytes), emits each message, and returns
// the bytes it consumed.
type Feeder[M any] interface {
	Feed(b []byte, fromClient bool, emit func(*M)) (int, error)
}

// FeedTCP reassembles each TCP direction of the capture by sequence
// number and feeds one analyzer per flow (made by mk), as the pipeline
// does; msg gets each message with the segment that completed it. An
// error from Feed must wrap framing (else the test fails): the
// direction's pending bytes are dropped and counted. It returns the
// framing errors.
func FeedTCP[M any, F Feeder[M]](t testing.TB, path string, mk func() F, framing error, msg func(s *Segment, m *M)) int {
	t.Helper()
	type streamKey struct {
		client, server netip.AddrPort
		fromClient     bool
	}
	type stream struct {
		buf     []byte
		next    uint32
		started bool
	}
	flows := map[[2]netip.AddrPort]F{}
	streams := map[streamKey]*stream{}
	errs := 0
	for _, s := range Segments(t, path) {
		if s.Proto != 6 {
			continue
		}
		a, ok := flows[[2]netip.AddrPort{s.Client, s.Server}]
		if !ok {
			a = mk()
			flows[[2]netip.AddrPort{s.Client, s.Server}] = a
		}
		k := streamKey{s.Client, s.Server, s.FromClient}
		st := streams[k]
		if st == nil {
			st = new(stream)
			streams[k] = st
		}
		p := s.Payload
		if st.started {
			switch d := int32(s.Seq - st.next); {
			case d < 0 && int(-d) >= len(p):
				continue // a retransmission
			case d < 0:
				p = p[-d:]
			case d > 0:
				st.buf = st.buf[:0] // a hole: start over
			}
		}
		st.started = true
		st.next = s.Seq + uint32(len(s.Payload))
		st.buf = append(st.buf, p...)
		n, err := a.Feed(st.buf, s.FromClient, func(m *M) { msg(&s, m) })
		if err != nil {
			if !errors.Is(err, framing) {
				t.Fatalf("%s packet %d: error %v does not wrap %v", path, s.Number, err, framing)
			}
			errs++
			st.buf = st.buf[:0]
			continue
		}
		st.buf = append(st.buf[:0], st.buf[n:]...)
	}
	return errs
}
