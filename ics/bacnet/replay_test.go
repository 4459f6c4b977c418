package bacnet

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
	Request    bool
	Type       int // APDU type, -1 without APDU
	Invoke     int
	Sequence   int // segment sequence number of a segmented message, else 0
	Func       int
	Name       string
	Op         string
	Status     string
	Malformed  bool
	Detail     map[string]any
}

// replayResult is a capture's messages in order, and its framing errors.
type replayResult struct {
	Records       []record
	FramingErrors int
}

// replay feeds each UDP datagram of the capture to its flow's Analyzer, as
// the pipeline does. With details it also records each Message's Detail.
func replay(t testing.TB, path string, details bool) replayResult {
	t.Helper()
	var res replayResult
	flows := map[[2]netip.AddrPort]*Analyzer{}
	for _, s := range testutil.Segments(t, path) {
		if s.Proto != 17 {
			continue
		}
		k := [2]netip.AddrPort{s.Client, s.Server}
		a := flows[k]
		if a == nil {
			a = new(Analyzer)
			flows[k] = a
		}
		err := a.Datagram(s.Payload, s.FromClient, func(m *Message) {
			r := record{Packet: s.Number, Client: s.Client, Server: s.Server, FromClient: s.FromClient,
				Request: m.Request(), Type: -1, Invoke: -1, Func: m.Func(), Name: m.Name(), Op: m.Op(),
				Status: m.Status(), Malformed: m.Malformed()}
			if m.HasAPDU {
				r.Type = int(m.Type)
				if m.Type != UnconfirmedRequest {
					r.Invoke = int(m.Invoke)
				}
				if m.Segmented() {
					r.Sequence = int(m.Sequence)
				}
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
		}
	}
	return res
}
