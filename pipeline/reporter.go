package pipeline

import (
	"net/netip"
	"time"

	"harborwatch/app"
	"harborwatch/decode"
	"harborwatch/detect"
	"harborwatch/event"
	"harborwatch/flow"
	"harborwatch/proto"
	"harborwatch/runstats"
)

// anState is the state of a flow whose analyzer keeps one per flow
// (proto.Spec.PerFlow): the protocol's Flow and, for stream analyzers on
// TCP, the two reassembled directions. States are taken from the shard's
// free list when a flow's first payload reaches its analyzer and returned
// when the flow ends, so steady state allocates nothing. Other analyzers'
// flows hold no state here: one Flow per transport serves them all.
type anState struct {
	fl      proto.Flow
	spec    int // index in the shard's analyzers
	stream  bool
	streams [2]flow.Stream

	// Reassembly memory (memory.go): what the streams' buffers hold, as
	// charged to the shard, and the links of the shard's list of states
	// whose streams hold buffers.
	mem        int64
	prev, next *anState
	listed     bool
}

// feed gives a payload to the flow's analyzer: through the direction's
// reassembly for a stream analyzer on TCP, else payload by payload.
func (s *shard) feed(f *flow.Flow[flowX], dir flow.Dir, pl []byte) {
	x := &f.X
	spec := s.an.specOf[x.line-1]
	if spec < 0 {
		return // identified only
	}
	r := &s.rep
	r.f, r.dir, r.spec = f, dir, spec
	fromClient := dir == flow.FromClient
	if !s.an.specs[spec].PerFlow {
		if _, err := s.an.shared(spec, f.Proto).Feed(r, fromClient, pl); err != nil {
			r.framing()
		}
		return
	}
	st := x.st
	if st == nil {
		st = s.open(f, spec)
	}
	if !st.stream {
		if _, err := st.fl.Feed(r, fromClient, pl); err != nil {
			r.framing()
		}
		return
	}
	str := &st.streams[dir]
	data, _ := str.Add(s.pkt.Seq, pl, s.cur.TS)
	if data == nil {
		return
	}
	n, err := st.fl.Feed(r, fromClient, data)
	if err != nil {
		r.framing()
		str.Drop()
	} else {
		str.Done(data, n)
	}
	s.charge(st)
}

func (s *shard) open(f *flow.Flow[flowX], spec int) *anState {
	var st *anState
	if n := len(s.an.free); n > 0 {
		st = s.an.free[n-1]
		s.an.free = s.an.free[:n-1]
	} else {
		st = new(anState)
		s.reasm += anStateBytes
	}
	st.spec = spec
	st.stream = s.an.specs[spec].Stream && f.Proto == decode.ProtoTCP
	st.fl = s.an.analyzer(spec).Open(proto.Transport(f.Proto))
	f.X.st = st
	return st
}

// release gives a flow's analyzer state back, counting the reassembly's
// gaps and dropped bytes.
func (s *shard) release(f *flow.Flow[flowX]) {
	st := f.X.st
	if st == nil {
		return
	}
	f.X.st = nil
	if st.stream {
		for i := range st.streams {
			str := &st.streams[i]
			str.Close()
			ss := str.Stats()
			s.tcpGaps += ss.Gaps
			s.tcpDropped += ss.DroppedBytes
			str.Reset()
		}
		s.waiting.remove(st)
	}
	s.an.ans[st.spec].Close(st.fl)
	st.fl = nil
	s.an.free = append(s.an.free, st)
}

// reporter turns what an analyzer reports about the payload being fed
// into detection calls and events. It is the shard's one proto.Reporter,
// pointed at the flow and direction of each Feed call.
type reporter struct {
	s    *shard
	f    *flow.Flow[flowX]
	dir  flow.Dir
	spec int
}

var _ proto.Reporter = (*reporter)(nil)

func (r *reporter) Events() bool { return r.s.emit }

// EventOp implements proto.Reporter: false for the operations of
// Options.SkipEventOps, counted in Stats.EventsFiltered.
func (r *reporter) EventOp(op string) bool {
	if r.s.skipOps&event.OpBit(op) != 0 {
		r.s.filtered++
		return false
	}
	return true
}

func (r *reporter) Event(e proto.Event) {
	r.s.addEvent(r.s.newEvent(e.Response, &e))
}

func (r *reporter) Name(n proto.Name) {
	s := r.s
	s.det.Name(s.fill(r.f), n.Source, n.Name, s.mark(), s.cur.TS)
}

func (r *reporter) File(fl proto.File) {
	s := r.s
	s.det.File(s.fill(r.f), fl.Op, fl.Name, s.mark(), s.cur.TS)
}

// Op judges what the flow's client asks and what the server answers. A
// request the server sends (an S7 PLC's download-block jobs during a
// download) belongs to the client's operation already judged; a container
// is judged through the services it carries.
func (r *reporter) Op(o proto.Op) {
	s, f := r.s, r.f
	x := &f.X
	fromClient := r.dir == flow.FromClient
	switch {
	case o.Container:
	case fromClient && o.Request:
		x.ops |= event.OpBit(o.Op)
		if !detect.Judges(o.Op) {
			break // reads, I/O, sessions…: no finding by themselves
		}
		c := s.fill(f)
		if s.det.Op(c, o.Op, o.Name(), nil, s.mark(), s.cur.TS) {
			x.judged = true
			s.det.OpObject(c, o.Op, o.Object()) // a finding: rare, the detail may allocate
		}
	case !fromClient && !o.Request && (o.Op == event.OpAuth || x.judged):
		s.det.OpResult(s.fill(f), o.Op, o.Status(), s.mark(), s.cur.TS)
	}
}

func (r *reporter) Identity(id proto.Identity) {
	s := r.s
	ip := s.pkt.Src
	if id.Server {
		ip = s.fill(r.f).Server.IP
	}
	if id.Key == "" {
		s.obs.Identity(ip, id.Fields, s.mark(), s.cur.TS)
		return
	}
	if s.obs.HasIdentity(ip, id.Key) {
		return
	}
	s.obs.Identity(ip, map[string]any{id.Key: printable(id.Value)}, s.mark(), s.cur.TS)
}

// Session emits one remote-access event per flow.
func (r *reporter) Session(se proto.Session) {
	x := &r.f.X
	if x.session || !r.s.emit {
		return
	}
	x.session = true
	r.s.addEvent(r.s.newEvent(r.dir == flow.FromServer, &proto.Event{Proto: se.Proto, Op: "session", Name: string(se.Name)}))
}

func (r *reporter) Expect(e proto.Expect) {
	if r.f.X.expected {
		return // a data flow announces none
	}
	s := r.s
	c := s.fill(r.f)
	to, once := e.Server, true
	switch {
	case !to.Addr().IsValid() && to.Port() == 0:
		to, once = netip.AddrPortFrom(c.Client.IP, c.Client.Port), false
	case !to.Addr().IsValid():
		to = netip.AddrPortFrom(c.Server.IP, to.Port())
	}
	k := expectKey{vlan: r.f.VLAN, transport: uint8(e.Transport), addr: to.Addr().Unmap(), port: to.Port()}
	s.expectData(k, expectation{line: r.f.X.line, once: once, client: c.Client.IP, until: s.cur.TS + e.Within})
}

func (r *reporter) State() *uint8 { return &r.f.X.state }

func (r *reporter) Service() string { return r.f.X.app.String() }

func (r *reporter) SetService(name string) {
	if a, ok := app.Parse(name); ok {
		r.f.X.app = a
	}
}

func (r *reporter) Confirm() { r.once(&r.f.X.confirmed, &r.s.an.counts[r.spec].confirmed) }

func (r *reporter) Violation() { r.once(&r.f.X.violated, &r.s.an.counts[r.spec].violations) }

// once counts a flow in the analyzer's counter n the first time it sets
// the flow's flag (not a flow attached by an announcement: it is in no
// analyzer's counts).
func (r *reporter) once(flag *bool, n *uint64) {
	if r.f.X.expected || *flag {
		return
	}
	*flag = true
	*n++
}

func (r *reporter) Malformed() {
	r.s.an.counts[r.spec].errors++
	r.Violation()
}

// framing counts a framing error returned by Feed.
func (r *reporter) framing() { r.Malformed() }

// newEvent builds the event of the packet being handled.
func (s *shard) newEvent(response bool, e *proto.Event) event.Event {
	p := &s.pkt
	d := event.Request
	if response {
		d = event.Response
	}
	capName := ""
	if s.cur.File < len(s.names) {
		capName = s.names[s.cur.File]
	}
	ev := event.Event{
		TS: time.Unix(0, s.cur.TS).UTC(), Proto: e.Proto, Dir: d,
		Src: p.Src, SPort: p.SrcPort, Dst: p.Dst, DPort: p.DstPort, VLAN: p.VLAN(),
		Packet: s.cur.Number, Capture: capName, File: s.cur.File,
		Op: e.Op, Name: e.Name, Status: e.Status, Detail: e.Detail,
	}
	if e.HasFunc {
		fn := e.Func
		ev.Func = &fn
	}
	return ev
}

// addEvent records an event of this shard.
func (s *shard) addEvent(ev event.Event) {
	if s.keep != nil && !s.keep(&ev) {
		s.filtered++
		return
	}
	s.evbuf = append(s.evbuf, seqd[event.Event]{seq: s.seq, v: ev})
}

// analyzerStats adds the shard's analyzer counters to st: framing errors
// and malformed PDUs to DecodeErrors, flows to Analyzers.
func (s *shard) analyzerStats(st *runstats.Stats) {
	for i, sp := range s.an.specs {
		c := s.an.counts[i]
		if c.errors > 0 {
			st.DecodeErrors[sp.Name] += c.errors
		}
		if c.confirmed+c.violations > 0 {
			a := st.Analyzers[sp.Name]
			a.Confirmed += c.confirmed
			a.Violations += c.violations
			st.Analyzers[sp.Name] = a
		}
	}
}

// expectData records the announcement of a data flow to k's endpoint;
// one that finds the table full of live announcements is dropped and
// counted.
func (s *shard) expectData(k expectKey, e expectation) {
	if _, ok := s.expect[k]; !ok && len(s.expect) >= maxExpect {
		for k, e := range s.expect { // drop stale announcements
			if e.until < s.cur.TS {
				delete(s.expect, k)
			}
		}
		if len(s.expect) >= maxExpect {
			s.expectDropped++
			return
		}
	}
	s.expect[k] = e
}
