package pipeline

import (
	"net/netip"

	"harborwatch/app"
	"harborwatch/capture"
	"harborwatch/decode"
	"harborwatch/detect"
	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/flow"
	"harborwatch/observe"
	"harborwatch/site"
)

// maxProbes is how many payload-carrying packets of a flow are offered to
// the identification probes before the flow is left unidentified.
const maxProbes = 6

// flowX is the pipeline's per-flow state, kept inline in the flow table.
type flowX struct {
	app       app.App
	line      uint8    // registry line (1-based) of the flow's protocol; 0: none
	done      bool     // identification finished
	probes    uint8    // payload packets probed
	swapped   bool     // judged with client and server exchanged (a data flow whose requester is the flow's responder)
	expected  bool     // attached by a control flow's announcement, not by a probe: not in the analyzer counts
	session   bool     // session event emitted
	judged    bool     // an ICS request of this flow was recorded as a finding
	confirmed bool     // counted as confirmed by its analyzer
	violated  bool     // counted as a violation of its analyzer
	logs      uint8    // low byte of the last FlowInterval index handed to the Sink as an open record
	state     uint8    // the analyzer's byte of per-flow state (proto.Reporter.State)
	ops       uint32   // ICS operations the client requested (event.OpBit)
	st        *anState // per-flow analyzer state, from the shard's free list
	marks     [observe.MaxConnMarks]finding.Mark
}

// expectKey names the responder of an announced data flow (TFTP, FTP
// data): the address and port the flow is opened to.
type expectKey struct {
	vlan      uint16
	transport uint8
	port      uint16
	addr      netip.Addr
}

// expectation announces a data flow to the endpoint of its key.
type expectation struct {
	line   uint8 // registry line (1-based) of the announcing flow
	once   bool  // used up by the first flow it labels (FTP)
	client netip.Addr
	until  int64
}

const maxExpect = 4096

// shard owns one flow table, one detection state and one observation
// state; it is driven by one goroutine.
type shard struct {
	dec    decode.Decoder
	pkt    decode.Packet
	flows  *flow.Table[flowX]
	det    *detect.State
	obs    *observe.State
	expect map[expectKey]expectation
	names  []string
	emit   bool
	site   *site.Site

	// Streaming (see stream.go); out is nil when the run does not stream.
	seq       uint64 // reading-order sequence number of the packet being handled
	idx       int    // the shard's index
	out       *syncSink
	mg        *merger
	evbuf     []seqd[event.Event]         // events not yet handed to the merger
	keep      func(*event.Event) bool     // Options.KeepEvent's filter (nil: every event)
	filtered  uint64                      // events keep refused, and of skipOps
	skipOps   uint32                      // Options.SkipEventOps as event.OpBit bits
	upbuf     []seqd[FindingUpdate]       // finding updates not yet handed to the merger
	obsbuf    []seqd[observe.Observation] // observations not yet handed to the merger
	news      bool                        // observations are handed to the Sink
	track     bool                        // findings are handed to the Sink
	flowLog   bool                        // flows are handed to the Sink
	epoch     int64                       // ns of packet time
	nextEpoch int64
	flowEvery int64 // ns between an open flow's records; 0: only at its end

	live     *liveShard // counters published for Progress.Snapshot, when asked
	sincePub int

	disc          discoveryState
	pn            pnState   // PROFINET at layer 2 (profinet.go)
	an            analyzers // the registry's analyzers, their flow states and counters
	rep           reporter  // what analyzers report to, pointed at each Feed's flow
	tcpGaps       uint64
	tcpDropped    uint64
	expectDropped uint64 // announcements of data flows dropped, the table being full

	// Memory (memory.go): the bytes of the flow table and reassembly,
	// what reassembly holds, the states whose streams hold buffers (least
	// recently fed last), and the bytes dropped to keep within them.
	flowBytes int64
	reasm     int64
	waiting   lru
	shedBytes uint64

	cur    *capture.Packet // packet being handled
	endPkt capture.Packet  // stands for it while a flow's held segments are drained at its end
	conn   observe.Conn
	rec    FlowRecord
}

func newShard(eng *detect.Engine, oe *observe.Engine, b budget, emit bool, names []string) *shard {
	s := &shard{det: eng.NewState(), obs: oe.NewState(), expect: make(map[expectKey]expectation), names: names, emit: emit,
		site: eng.Site(), epoch: int64(defaultEpoch), flowBytes: b.flowBytes}
	s.flows = flow.New(flow.Options[flowX]{MaxFlows: b.flows, OnEnd: s.end})
	s.an = newAnalyzers(registry)
	s.rep.s = s
	return s
}

func (s *shard) mark() finding.Mark {
	return finding.Mark{File: int32(s.cur.File), Packet: s.cur.Number}
}

// handle runs one packet through decode, flow, identification, parsers and
// detection. It allocates nothing in steady state unless events are asked
// for or a finding is being recorded.
func (s *shard) handle(cp *capture.Packet) {
	s.cur = cp
	if s.track && cp.TS >= s.nextEpoch {
		s.tick(cp.TS)
	}
	if s.sincePub++; s.sincePub >= publishEvery {
		s.publish()
	}
	p := &s.pkt
	err := s.dec.Decode(cp.Link, cp.Data, p)
	switch p.L3 {
	case decode.L3ARP:
		if err == nil && p.HasEth {
			s.obs.ARP(p.ARPSender, p.Src, p.VLAN(), s.mark(), cp.TS)
		}
		return
	case decode.L3IPv4, decode.L3IPv6:
	case decode.L3None:
		if err == nil && len(p.Payload) > 0 {
			s.discover(p)
		}
		return
	default:
		return
	}
	if err != nil && !p.HasL4 {
		return // counted by the decoder
	}
	if p.Frag && p.FragOff != 0 {
		return // counted as a fragment; not reassembled
	}
	if p.Proto == decode.ProtoUDP && (p.DstPort == 67 || p.DstPort == 68) && (p.SrcPort == 67 || p.SrcPort == 68) && len(p.Payload) > 0 {
		s.dhcp(p)
	}
	f, dir, isNew := s.flows.Packet(p, cp.TS)
	if f == nil {
		return
	}
	x := &f.X
	if isNew {
		s.newFlow(f)
	}
	// The flow's first packets, as evidence; packet numbers are 1-based,
	// so a zero mark is a free slot (flowX has no byte to spare for a count).
	if n := x.nmarks(); n < len(x.marks) {
		x.marks[n] = s.mark()
	}
	if len(p.Payload) > 0 {
		s.inspect(f, dir)
	}
	// A flow that lasts is judged while open, once its application is
	// settled, so that its findings do not wait for an end that may never
	// come (a Modbus or S7 connection stays open for months).
	if x.done && x.probes < judgedOpen && cp.TS-f.First >= s.epoch {
		c := s.fill(f)
		x.probes = judgedOpen | s.det.FlowOpen(c)
		s.obs.Sight(c, c.Marks[0])
	}
	if s.flowLog && s.flowEvery > 0 {
		// One record per FlowInterval while the flow lasts; logs keeps the
		// low byte of the last interval recorded (a flow silent for exactly
		// 256 intervals skips one record).
		if k := (cp.TS - f.First) / s.flowEvery; k > 0 && uint8(k) != x.logs {
			x.logs = uint8(k)
			s.record(f, "", true)
		}
	}
}

func (s *shard) newFlow(f *flow.Flow[flowX]) {
	if len(s.expect) == 0 {
		return
	}
	// The announced endpoint is the flow's responder; the flow table
	// may have taken the other end for it (a flow seen without its
	// opening), so both ends are looked up.
	k := expectKey{vlan: f.VLAN, transport: f.Proto, addr: f.Server.Addr, port: f.Server.Port}
	e, ok := s.expect[k]
	if !ok {
		k.addr, k.port = f.Client.Addr, f.Client.Port
		if e, ok = s.expect[k]; !ok {
			return
		}
	}
	if e.until < s.cur.TS || e.once {
		delete(s.expect, k)
	}
	if e.until < s.cur.TS {
		return
	}
	// Labelled before any payload; a probe sure of another protocol on
	// one of the first payloads takes the flow back (inspect).
	f.X.app, f.X.line, f.X.done, f.X.expected = s.an.reg[e.line-1].app, e.line, true, true
	f.X.swapped = f.Client.Addr != e.client
}

// fill sets s.conn from f as observation and the detectors see it.
func (s *shard) fill(f *flow.Flow[flowX]) *observe.Conn {
	c := &s.conn
	x := &f.X
	c.VLAN = f.VLAN
	c.Transport = f.Proto
	c.App = x.app
	c.First, c.Last = f.First, f.Last
	c.Client = observe.Endpoint{IP: f.Client.Addr, MAC: f.Client.MAC, HasMAC: f.Client.MAC != [6]byte{}, Port: f.Client.Port}
	c.Server = observe.Endpoint{IP: f.Server.Addr, MAC: f.Server.MAC, HasMAC: f.Server.MAC != [6]byte{}, Port: f.Server.Port}
	c.Packets = f.Packets
	c.Bytes = f.Bytes
	if x.swapped {
		c.Client, c.Server = c.Server, c.Client
		c.Packets[0], c.Packets[1] = c.Packets[1], c.Packets[0]
		c.Bytes[0], c.Bytes[1] = c.Bytes[1], c.Bytes[0]
	}
	c.Marks = x.marks
	c.NMarks = x.nmarks()
	c.Ops = x.ops
	return c
}

// judgedOpen in flowX.probes marks a flow judged while open
// (detect.State.FlowOpen), whose end then goes to FlowRest; the low bits
// keep the rules it fired (FlowOpen's bits, five of them). probes is read
// only until identification is done (it counts to maxProbes at most), and
// flowX has no byte to spare.
const judgedOpen = 0x80

// nmarks counts the evidence marks the flow holds.
func (x *flowX) nmarks() int {
	for i := range x.marks {
		if x.marks[i].Packet == 0 {
			return i
		}
	}
	return len(x.marks)
}

// end is the flow table's OnEnd: the flow's hosts are observed, and the
// flow judged, once, at its end. This is the one place hosts are recorded
// from flows: a flow judged while open (FlowOpen) records none until here.
func (s *shard) end(f *flow.Flow[flowX], why flow.EndReason) {
	if f.X.app == app.Unknown && f.Payload[0] == 0 && f.Payload[1] == 0 {
		f.X.app = app.ByPort(f.Proto, f.Server.Port)
	}
	if st := f.X.st; st != nil && st.stream && st.fl != nil {
		s.drainHeld(f, st)
	}
	c := s.fill(f)
	s.obs.Flow(c)
	if f.X.done && f.X.probes >= judgedOpen {
		s.det.FlowRest(c, f.X.probes&^judgedOpen)
	} else {
		s.det.Flow(c)
	}
	s.release(f)
	if s.flowLog {
		s.record(f, why.String(), false)
	}
}

func (s *shard) inspect(f *flow.Flow[flowX], dir flow.Dir) {
	x := &f.X
	pl := s.pkt.Payload
	if x.expected && x.probes < maxProbes {
		// A flow labelled by an announcement is a data flow of the
		// announcing protocol unless a probe is sure of one of its first
		// payloads: then it is that protocol's flow like any other (a
		// TFTP request sent again from the announced port is a request).
		x.probes++
		if line, sure := s.identify(f, dir, pl); line >= 0 && sure {
			x.expected, x.swapped = false, false
			s.attach(f, line)
		}
	}
	if !x.done && x.line == 0 && f.Proto == decode.ProtoTCP {
		s.probeStream(f, dir, pl) // feeds what it identifies
		return
	}
	if !x.done {
		x.probes++
		if line, sure := s.identify(f, dir, pl); line >= 0 {
			s.attach(f, line)
			x.done = sure
		}
		if x.probes >= maxProbes {
			x.done = true
		}
	}
	if x.line != 0 {
		s.feed(f, dir, pl)
	}
}
