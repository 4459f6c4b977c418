package modbus

import (
	"errors"
	"net/netip"
	"testing"

	"harborwatch/internal/testutil"
)

// record is what a test keeps of one emitted Message.
type record struct {
	Packet     int64 // packet number of the segment that completed the ADU
	Client     netip.AddrPort
	Server     netip.AddrPort
	FromClient bool
	TID        int
	Unit       int
	Func       int
	Code       int
	Name       string
	Op         string
	Status     string
	Malformed  bool
	Address    int
	Quantity   int
	Detail     map[string]any
}

// replayResult is a capture's ADUs in order, with the stream's framing
// errors and sequence anomalies.
type replayResult struct {
	Records       []record
	FramingErrors int
	Retransmitted int // segments skipped as already seen
	Gaps          int // segments after missing bytes
}

// segmentsOf returns the TCP segments of a capture.
func segmentsOf(t testing.TB, path string) []testutil.Segment {
	t.Helper()
	var out []testutil.Segment
	for _, s := range testutil.Segments(t, path) {
		if s.Proto == 6 {
			out = append(out, s)
		}
	}
	return out
}

// streamKey names one direction of one flow.
type streamKey struct {
	client, server netip.AddrPort
	fromClient     bool
}

type stream struct {
	buf     []byte
	next    uint32
	started bool
}

// replay reassembles each TCP direction of the capture by sequence number
// and feeds one Analyzer per flow, as the pipeline does. With details it
// also records each Message's Detail.
func replay(t testing.TB, path string, details bool) replayResult {
	t.Helper()
	var res replayResult
	flows := map[[2]netip.AddrPort]*Analyzer{}
	streams := map[streamKey]*stream{}
	for _, s := range segmentsOf(t, path) {
		a := flows[[2]netip.AddrPort{s.Client, s.Server}]
		if a == nil {
			a = new(Analyzer)
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
				res.Retransmitted++
				continue
			case d < 0:
				p = p[-d:]
			case d > 0:
				res.Gaps++
				st.buf = st.buf[:0]
			}
		}
		st.started = true
		st.next = s.Seq + uint32(len(s.Payload))
		st.buf = append(st.buf, p...)
		n, err := a.Feed(st.buf, s.FromClient, func(m *Message) {
			r := record{Packet: s.Number, Client: s.Client, Server: s.Server, FromClient: m.Request(),
				TID: int(m.TID), Unit: int(m.Unit), Func: m.Func(), Code: int(m.Code), Name: m.Name(),
				Op: m.Op(), Status: m.Status(), Malformed: m.Malformed, Address: int(m.Address),
				Quantity: int(m.Quantity)}
			if details {
				r.Detail = map[string]any{}
				m.Detail(r.Detail)
			}
			res.Records = append(res.Records, r)
		})
		if n > len(st.buf) {
			t.Fatalf("%s packet %d: consumed %d of %d bytes", path, s.Number, n, len(st.buf))
		}
		if err != nil {
			if !errors.Is(err, ErrFraming) {
				t.Fatalf("%s packet %d: error %v does not wrap ErrFraming", path, s.Number, err)
			}
			res.FramingErrors++
			st.buf = st.buf[:0]
			continue
		}
		st.buf = append(st.buf[:0], st.buf[n:]...)
	}
	return res
}
