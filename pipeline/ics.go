package pipeline

import (
	"time"

	"harborwatch/app"
	"harborwatch/decode"
	"harborwatch/detect"
	"harborwatch/event"
	"harborwatch/flow"
	"harborwatch/ics/enip"
	"harborwatch/ics/modbus"
	"harborwatch/ics/s7"
)

// icsState is the per-flow state of the industrial analyzers: the two
// reassembled TCP directions and the flow's one protocol analyzer. Both are
// taken from per-shard pools when a flow is identified as Modbus, S7 or
// EtherNet/IP, and returned when the flow ends, so steady state allocates
// nothing. A flow holds only its own protocol's analyzer: the EtherNet/IP
// one alone is several kilobytes, and a capture can have tens of thousands
// of ICS flows open at once.
type icsState struct {
	streams [2]flow.Stream
	modbus  *modbus.Analyzer
	s7      *s7.Analyzer
	enip    *enip.Analyzer
	judged  bool // a request of this flow was recorded as a finding
}

// icsMessage is what every analyzer's Message offers.
type icsMessage interface {
	Request() bool
	Op() string
	Func() int
	Name() string
	Status() string
	Detail(map[string]any)
}

// protoNamer is implemented by messages whose protocol differs from the
// flow's application (CIP inside EtherNet/IP, COTP under S7).
type protoNamer interface{ Proto() string }

// ICS analyzer error counters, reported in stats.decode_errors.
const (
	icsModbus = iota
	icsS7
	icsENIP
	numICS
)

var icsNames = [numICS]string{icsModbus: "modbus", icsS7: "s7comm", icsENIP: "enip"}

// icsHandlers are the analyzers' emit callbacks, bound once per shard so
// that passing them allocates nothing.
type icsHandlers struct {
	modbus func(*modbus.Message)
	s7     func(*s7.Message)
	enip   func(*enip.Message)
}

func (s *shard) initICS() {
	s.icsEmit = icsHandlers{
		modbus: func(m *modbus.Message) { s.onICS(m) },
		s7:     func(m *s7.Message) { s.onICS(m) },
		enip:   func(m *enip.Message) { s.onICS(m) },
	}
}

// icsPools are a shard's free ICS flow states and analyzers.
type icsPools struct {
	states []*icsState
	modbus []*modbus.Analyzer
	s7     []*s7.Analyzer
	enip   []*enip.Analyzer
}

func take[T any](free *[]*T) *T {
	if n := len(*free); n > 0 {
		x := (*free)[n-1]
		*free = (*free)[:n-1]
		return x
	}
	return new(T)
}

func (s *shard) getICS(a app.App) *icsState {
	st := take(&s.icsFree.states)
	switch a {
	case app.Modbus:
		st.modbus = take(&s.icsFree.modbus)
	case app.S7comm, app.S7commPlus:
		st.s7 = take(&s.icsFree.s7)
	case app.ENIP:
		st.enip = take(&s.icsFree.enip)
	}
	return st
}

func (s *shard) putICS(st *icsState) {
	for i := range st.streams {
		st.streams[i].Close()
		ss := st.streams[i].Stats()
		s.tcpGaps += ss.Gaps
		s.tcpDropped += ss.DroppedBytes
		st.streams[i].Reset()
	}
	if st.modbus != nil {
		st.modbus.Reset()
		s.icsFree.modbus = append(s.icsFree.modbus, st.modbus)
	}
	if st.s7 != nil {
		st.s7.Reset()
		s.icsFree.s7 = append(s.icsFree.s7, st.s7)
	}
	if st.enip != nil {
		st.enip.Reset()
		s.icsFree.enip = append(s.icsFree.enip, st.enip)
	}
	*st = icsState{streams: st.streams}
	s.icsFree.states = append(s.icsFree.states, st)
}

// feedICS gives a payload to the flow's industrial analyzer: TCP through
// the flow direction's reassembly, UDP datagram by datagram.
func (s *shard) feedICS(f *flow.Flow[flowX], dir flow.Dir, pl []byte) {
	x := &f.X
	if x.ics == nil {
		x.ics = s.getICS(x.app)
	}
	st := x.ics
	fromClient := dir == flow.FromClient
	s.icsFlow, s.dir = f, dir
	if f.Proto == decode.ProtoUDP {
		if st.enip != nil {
			if err := st.enip.Datagram(pl, fromClient, s.icsEmit.enip); err != nil {
				s.icsErrors[icsENIP]++
			}
		}
		return
	}
	str := &st.streams[dir]
	data := str.Add(s.pkt.Seq, pl)
	if data == nil {
		return
	}
	var n, which int
	var err error
	switch {
	case st.modbus != nil:
		which = icsModbus
		n, err = st.modbus.Feed(data, fromClient, s.icsEmit.modbus)
	case st.s7 != nil:
		which = icsS7
		n, err = st.s7.Feed(data, fromClient, s.icsEmit.s7)
	case st.enip != nil:
		which = icsENIP
		n, err = st.enip.Feed(data, fromClient, s.icsEmit.enip)
	default:
		return
	}
	if err != nil {
		s.icsErrors[which]++
		str.Drop()
		return
	}
	str.Done(data, n)
}

// onICS judges one ICS PDU and, when events are asked for, records it.
func (s *shard) onICS(m icsMessage) {
	f := s.icsFlow
	op := m.Op()
	// Judge what the flow's client asks and what the server answers; a
	// request the server sends (an S7 PLC's download-block jobs during a
	// download) belongs to the client's operation already judged. A
	// Multiple Service Packet container is judged through its services.
	container := false
	if em, ok := m.(*enip.Message); ok {
		container = em.Container
	}
	fromClient := s.dir == flow.FromClient
	switch {
	case container:
	case fromClient && m.Request():
		f.X.ops |= event.OpBit(op)
		if !detect.Judges(op) {
			break // reads, I/O, sessions…: no finding by themselves
		}
		c := s.fill(f)
		if s.det.Op(c, op, m.Name(), nil, s.mark(), s.cur.TS) {
			f.X.ics.judged = true
			od := map[string]any{} // a finding: rare, the detail may allocate
			m.Detail(od)
			s.det.OpObject(c, op, objectOf(od))
		}
	case !fromClient && !m.Request() && (op == event.OpAuth || f.X.ics.judged):
		s.det.OpResult(s.fill(f), op, m.Status(), s.mark(), s.cur.TS)
	}
	if malformed(m) {
		s.icsMalformed[icsIndex(f.X.app)]++
	}
	var d map[string]any
	if op == event.OpIdentity && !fromClient && !m.Request() {
		// Identity answers are rare: their detail (which allocates) is
		// taken for the asset record even without events.
		d = map[string]any{}
		m.Detail(d)
		s.det.Identity(s.fill(f).Server.IP, identityOf(d["identity"]))
	}
	if !s.emit {
		return
	}
	proto := f.X.app.String()
	if pn, ok := m.(protoNamer); ok {
		proto = pn.Proto()
	}
	if d == nil {
		d = map[string]any{}
		m.Detail(d)
	}
	if len(d) == 0 {
		d = nil
	}
	fn := m.Func()
	dir := event.Request
	if !m.Request() {
		dir = event.Response
	}
	p := &s.pkt
	name := ""
	if s.cur.File < len(s.names) {
		name = s.names[s.cur.File]
	}
	s.addEvent(event.Event{
		TS: time.Unix(0, s.cur.TS).UTC(), Proto: proto, Dir: dir,
		Src: p.Src, SPort: p.SrcPort, Dst: p.Dst, DPort: p.DstPort, VLAN: p.VLAN(),
		Packet: s.cur.Number, Capture: name, File: s.cur.File,
		Op: op, Func: &fn, Name: m.Name(), Status: m.Status(), Detail: d,
	})
}

func icsIndex(a app.App) int {
	switch a {
	case app.Modbus:
		return icsModbus
	case app.ENIP:
		return icsENIP
	}
	return icsS7
}

// malformed reports a PDU that framed but whose content is not valid.
func malformed(m icsMessage) bool {
	switch m := m.(type) {
	case *modbus.Message:
		return m.Malformed
	case *s7.Message:
		return m.Malformed
	case *enip.Message:
		return m.Malformed
	}
	return false
}

// identityOf turns an analyzer's identity detail into a flat record.
func identityOf(v any) map[string]any {
	switch id := v.(type) {
	case map[string]any:
		return id
	case map[string]string:
		out := make(map[string]any, len(id))
		for k, x := range id {
			out[k] = x
		}
		return out
	}
	return nil
}

// objectOf names the object of an ICS request from its detail: the S7
// block file name or PI-service argument, the CIP tag or file, the UMAS
// block.
func objectOf(d map[string]any) string {
	for _, k := range []string{"filename", "pi_argument", "tag", "file", "block"} {
		switch v := d[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case map[string]any:
			if n, ok := v["name"].(string); ok && n != "" {
				return n
			}
		}
	}
	return ""
}
