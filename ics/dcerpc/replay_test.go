package dcerpc

import (
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

// replay reassembles each TCP direction of the capture by sequence number
// and feeds one Analyzer per flow, as the pipeline does.
func replay(t testing.TB, path string, details bool) replayResult {
	t.Helper()
	var res replayResult
	res.FramingErrors = testutil.FeedTCP(t, path, func() *Analyzer { return new(Analyzer) }, ErrFraming, func(s *testutil.Segment, m *Message) {
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
	return res
}
