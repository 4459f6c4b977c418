package opcua

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
	Type       string // message type: HEL, MSG, …
	Service    int    // service id, 0 when unknown
	Request    bool
	Func       int
	Name       string
	Op         string
	Status     string
	Malformed  bool
	Encrypted  bool
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
			Type: typeCodes[m.Type], Request: m.Request(), Func: m.Func(), Name: m.Name(), Op: m.Op(),
			Status: m.Status(), Malformed: m.Malformed(), Encrypted: m.Encrypted}
		if m.HasService {
			r.Service = int(m.Service)
		}
		if details {
			r.Detail = map[string]any{}
			m.Detail(r.Detail)
		}
		res.Records = append(res.Records, r)
	})
	return res
}
