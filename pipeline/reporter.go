package pipeline

import (
	"net/netip"
	"time"

	"harborwatch/app"
	"harborwatch/capture"
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
	gapped  proto.Gapped // fl, when it finds PDU boundaries again after a gap
	spec    int          // index in the shard's analyzers
	stream  bool
	streams [2]flow.Stream
	probed  int // while the flow is identified (spec -1): bytes searched and let go
	// The last packet fed per direction: held segments delivered when
	// the flow ends are reported with it.
	lastNum  [2]int64
	lastFile [2]int

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
	st.lastNum[dir], st.lastFile[dir] = s.cur.Number, s.cur.File
	data, gap := str.Add(s.pkt.Seq, pl, s.cur.TS)
	if data == nil {
		return
	}
	s.feedStream(st, str, fromClient, data, gap)
	s.charge(st)
}

// feedStream offers a direction's reassembled bytes to a stream analyzer.
// Bytes after a gap (a skipped hole, a flow seen midway) are announced to
// an analyzer that resynchronises; a framing error is counted, and such an
// analyzer is told of the gap and offered the rest at once, to skip to the
// next PDU boundary inside it. What it still cannot frame is dropped.
func (s *shard) feedStream(st *anState, str *flow.Stream, fromClient bool, data []byte, gap bool) {
	r := &s.rep
	if gap && st.gapped != nil {
		st.gapped.Gap(fromClient)
	}
	n, err := st.fl.Feed(r, fromClient, data)
	if err != nil {
		r.framing()
		if st.gapped != nil && st.gapped.Gap(fromClient) {
			var m int
			m, err = st.fl.Feed(r, fromClient, data[n:])
			n += max(m, 0)
			if err != nil {
				r.framing()
			}
		}
	}
	str.Done(data, n)
	if err != nil {
		str.Drop()
	}
}

// drainHeld hands the analyzer what a flow's streams still hold behind
// holes that never filled, as the flow ends: each run after a gap, with
// the flow's last packet of that direction as the packet being handled.
func (s *shard) drainHeld(f *flow.Flow[flowX], st *anState) {
	cur := s.cur
	r := &s.rep
	for d := range st.streams {
		str := &st.streams[d]
		if str.Held() == 0 {
			continue
		}
		s.endPkt = capture.Packet{TS: f.Last, Number: st.lastNum[d], File: st.lastFile[d]}
		s.cur = &s.endPkt
		r.f, r.dir, r.spec = f, flow.Dir(d), st.spec
		for data := str.Drain(); data != nil; data = str.Drain() {
			s.feedStream(st, str, d == int(flow.FromClient), data, true)
		}
	}
	s.cur = cur
}

// take returns an analyzer state from the free list, or a new one.
func (s *shard) take() *anState {
	if n := len(s.an.free); n > 0 {
		st := s.an.free[n-1]
		s.an.free = s.an.free[:n-1]
		return st
	}
	s.reasm += anStateBytes
	return new(anState)
}

func (s *shard) open(f *flow.Flow[flowX], spec int) *anState {
	st := s.take()
	st.spec = spec
	st.stream = s.an.specs[spec].Stream && f.Proto == decode.ProtoTCP
	st.fl = s.an.analyzer(spec).Open(proto.Transport(f.Proto))
	st.gapped = nil
	if st.stream {
		st.gapped, _ = st.fl.(proto.Gapped)
		if !f.Handshake {
			// Seen midway: the first bytes of each direction need not
			// start a PDU.
			st.streams[0].MarkGap()
			st.streams[1].MarkGap()
		}
	}
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
	if st.fl == nil {
		// Bytes buffered to identify a flow (openProbe): not an
		// analyzer's, not lost, unless the memory bound shed them.
		for i := range st.streams {
			ss := st.streams[i].Stats()
			s.tcpGaps += ss.Gaps
			s.tcpDropped += ss.DroppedBytes
			st.streams[i].Reset()
		}
		s.waiting.remove(st)
		s.an.free = append(s.an.free, st)
		return
	}
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
	if st.gapped != nil {
		rs := st.gapped.Resyncs()
		c := &s.an.counts[st.spec]
		c.resyncs += rs.Count
		c.skipped += rs.Skipped
	}
	if d, ok := st.fl.(proto.Dropper); ok {
		s.an.counts[st.spec].dropped += d.Dropped()
	}
	s.an.ans[st.spec].Close(st.fl)
	st.fl, st.gapped = nil, nil
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
	r.s.addEvent(r.s.newEvent(r.f, r.dir, e.Response, &e))
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
	// A flow judged with its sides exchanged (its requester is the flow
	// table's responder: a PROFINET device answering a Connect from a
	// port of its own) has its requests come from the flow's server.
	fromClient := (r.dir == flow.FromClient) != x.swapped
	switch {
	case o.Container:
	case fromClient && o.Request:
		x.ops |= event.OpBit(o.Op)
		if in, ok := o.PDU.(proto.Insecurer); ok {
			if why := in.Insecure(); why != "" {
				s.det.Insecure(s.fill(f), why, s.mark(), s.cur.TS)
			}
		}
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
	ip := r.f.Client.Addr // the sender's
	if r.dir == flow.FromServer {
		ip = r.f.Server.Addr
	}
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
	r.s.addEvent(r.s.newEvent(r.f, r.dir, r.dir == flow.FromServer, &proto.Event{Proto: se.Proto, Op: "session", Name: string(se.Name)}))
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

// newEvent builds the event of the packet being handled, sent in
// direction dir of flow f.
func (s *shard) newEvent(f *flow.Flow[flowX], dir flow.Dir, response bool, e *proto.Event) event.Event {
	src, dst := &f.Client, &f.Server
	if dir == flow.FromServer {
		src, dst = dst, src
	}
	return s.eventOf(src.Addr, src.Port, dst.Addr, dst.Port, f.VLAN, response, e)
}

// packetEvent builds the event of the packet being handled from its own
// addresses: a frame outside any flow (layer 2).
func (s *shard) packetEvent(response bool, e *proto.Event) event.Event {
	p := &s.pkt
	return s.eventOf(p.Src, p.SrcPort, p.Dst, p.DstPort, p.VLAN(), response, e)
}

func (s *shard) eventOf(src netip.Addr, sport uint16, dst netip.Addr, dport uint16, vlan uint16, response bool, e *proto.Event) event.Event {
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
		Src: src, SPort: sport, Dst: dst, DPort: dport, VLAN: vlan,
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
		if c.confirmed+c.violations+c.resyncs+c.skipped+c.dropped > 0 {
			a := st.Analyzers[sp.Name]
			a.Confirmed += c.confirmed
			a.Violations += c.violations
			a.Resyncs += c.resyncs
			a.SkippedBytes += c.skipped
			a.Dropped += c.dropped
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
