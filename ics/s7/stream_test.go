package s7

import (
	"maps"
	"net/netip"
	"testing"

	"harborwatch/internal/testutil"
)

// rec is a copy of one emitted Message, taken during the emit call.
type rec struct {
	packet      int64
	client      netip.AddrPort
	fromClient  bool
	kind        Kind
	request     bool
	malformed   bool
	op          string
	fn          int
	name        string
	status      string
	rosctr      uint8
	group       uint8
	userdataTyp uint8
	hasFunc     bool
	pduRef      uint16
	detail      map[string]any
}

func record(m *Message, packet int64, client netip.AddrPort) rec {
	d := map[string]any{}
	m.Detail(d)
	return rec{
		packet: packet, client: client, fromClient: m.FromClient(), kind: m.Kind,
		request: m.Request(), malformed: m.Malformed, op: m.Op(), fn: m.Func(),
		name: m.Name(), status: m.Status(), rosctr: m.ROSCTR, group: m.Group,
		userdataTyp: m.UserdataType, hasFunc: m.hasFunc, pduRef: m.PDURef,
		detail: maps.Clone(d),
	}
}

// side is the reassembly state of one direction of a TCP flow in tests.
type side struct {
	buf     []byte
	next    uint32
	started bool
}

// flowState is one flow's analyzer and its two directions.
type flowState struct {
	a     Analyzer
	sides [2]side
}

// segment is a payload packet of a capture.
type segment = testutil.Segment

// segmentsOf reads a capture's payload packets (once per test binary).
func segmentsOf(t testing.TB, path string) []segment {
	t.Helper()
	if s, ok := segCache[path]; ok {
		return s
	}
	s := testutil.Segments(t, path)
	segCache[path] = s
	return s
}

var segCache = map[string][]segment{}

// replay feeds the TCP payloads of a capture to one Analyzer per flow, in
// file order, reassembling each direction by sequence number (duplicates
// and retransmitted octets are dropped; a gap restarts the buffer), and
// calls fn for every Message.
func replay(t testing.TB, segs []segment, fn func(m *Message, seg *segment, f *flowState)) (framingErrors int) {
	t.Helper()
	flows := map[[2]netip.AddrPort]*flowState{}
	for i := range segs {
		seg := &segs[i]
		if seg.Proto != 6 || seg.Server.Port() != 102 {
			continue
		}
		k := [2]netip.AddrPort{seg.Client, seg.Server}
		f := flows[k]
		if f == nil {
			f = &flowState{}
			flows[k] = f
		}
		s := &f.sides[dirIndex(seg.FromClient)]
		p := seg.Payload
		if s.started {
			d := int32(seg.Seq - s.next)
			if d < 0 {
				if int(-d) >= len(p) {
					continue // retransmission or keep-alive of octets already seen
				}
				p = p[-d:]
			} else if d > 0 {
				s.buf = s.buf[:0] // gap
			}
		}
		s.started = true
		s.next = seg.Seq + uint32(len(seg.Payload))
		s.buf = append(s.buf, p...)
		n, err := f.a.Feed(s.buf, seg.FromClient, func(m *Message) { fn(m, seg, f) })
		if err != nil {
			framingErrors++
			s.buf = s.buf[:0]
			continue
		}
		s.buf = append(s.buf[:0], s.buf[n:]...)
	}
	return framingErrors
}

// framingErrors are the framing errors expected when replaying a capture.
//
// In s7comm_plus.pcap the connection from port 49155 is idle and began
// before the capture: its only payloads are two TCP keep-alive probes, one
// garbage octet each at the sequence number just below the window
// (RFC 1122 §4.2.3.6). The first is the first octet seen in that direction
// and is not TPKT; the second repeats its sequence number and is dropped as
// a retransmission.
var framingErrors = map[string]int{"testdata/s7comm_plus.pcap": 1}

// records replays a capture and returns copies of all Messages.
func records(t testing.TB, path string) []rec {
	t.Helper()
	var out []rec
	if n := replay(t, segmentsOf(t, path), func(m *Message, seg *segment, _ *flowState) {
		out = append(out, record(m, seg.Number, seg.Client))
	}); n != framingErrors[path] {
		t.Errorf("%s: %d framing errors, want %d", path, n, framingErrors[path])
	}
	return out
}
