package dcerpc

import (
	"errors"
	"net/netip"
	"testing"

	"harborwatch/internal/testutil"
)

// record is what a test keeps of one emitted Message.
type record struct {
	Packet     int64
	Client     netip.AddrPort
	Server     netip.AddrPort
	FromClient bool
	Type       string
	Opnum      int // -1 when unknown
	Request    bool
	Name       string
	Op         string
	Status     string
	Malformed  bool
	Endpoints  []Endpoint
	Detail     map[string]any
}

type replayResult struct {
	Records       []record
	FramingErrors int
}

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
// and feeds one Analyzer per flow, as the pipeline does.
func replay(t testing.TB, path string, details bool) replayResult {
	t.Helper()
	var res replayResult
	flows := map[[2]netip.AddrPort]*Analyzer{}
	streams := map[streamKey]*stream{}
	for _, s := range testutil.Segments(t, path) {
		if s.Proto != 6 {
			continue
		}
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
				continue
			case d < 0:
				p = p[-d:]
			case d > 0:
				st.buf = st.buf[:0]
			}
		}
		st.started = true
		st.next = s.Seq + uint32(len(s.Payload))
		st.buf = append(st.buf, p...)
		n, err := a.Feed(st.buf, s.FromClient, func(m *Message) {
			r := record{Packet: s.Number, Client: s.Client, Server: s.Server, FromClient: s.FromClient,
				Type: m.TypeName(), Opnum: -1, Request: m.Request(), Name: m.Name(), Op: m.Op(),
				Status: m.Status(), Malformed: m.Malformed(),
				Endpoints: append([]Endpoint(nil), m.Endpoints[:m.NEndpoints]...)}
			if m.HasOpnum {
				r.Opnum = int(m.Opnum)
			}
			if details {
				r.Detail = map[string]any{}
				m.Detail(r.Detail)
			}
			res.Records = append(res.Records, r)
		})
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
