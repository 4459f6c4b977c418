package synth

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"time"
)

// MixOptions configures Mix. Zero values take the defaults given.
type MixOptions struct {
	Packets int       // frames to write, exactly; 0 means 1,000,000
	Flows   int       // distinct flows, to within a few percent; 0 means Packets/100
	Seed    int64     // seeds all randomness
	Start   time.Time // when the traffic starts; zero means 2026-11-03T09:00:00Z
}

// Mix writes a realistic mix of port OT traffic for benchmarks: S7comm,
// Modbus/TCP and EtherNet/IP polling of crane PLCs and drives, class 1 I/O,
// camera streams over RTSP, DNS, and short HTTPS connections, between the
// hosts of a terminal of eight cranes. It writes exactly opts.Packets
// frames spread over about opts.Flows flows (each a distinct VLAN and
// 5-tuple), with up to a thousand flows open at a time.
//
// Messages come from templates built once; only their transaction ids
// change, so generation allocates nothing per packet and runs at several
// million packets per second. The output is deterministic.
func Mix(w PacketWriter, opts MixOptions) error {
	m := newMixer(w, opts)
	for m.b.n < m.total && m.b.err == nil {
		if !m.next() {
			break
		}
	}
	return m.b.err
}

type mixKind uint8

const (
	mixS7 mixKind = iota
	mixModbus
	mixENIP
	mixIO
	mixRTSP
	mixDNS
	mixHTTPS
	nMixKinds
)

// template is a kind of flow: its transport, server port, the exchanges
// it opens with and those it repeats, and its measured frame counts.
type template struct {
	kind      sessionKind
	port      uint16
	pre, body []Exchange
	fixed     int // frames of a run with no body pass
	perPass   int // frames each body pass adds
}

type mixer struct {
	b        *Builder
	total    int64
	flows    int
	open     int // flows open at a time
	started  int
	planned  int64 // frames promised to flows started so far (less what ended flows did not use)
	tmpl     [nMixKinds]template
	mgmt     []Host // crane management: clients of polls
	plcs     []Host
	drives   []Host
	plc2s    []Host
	adapters []Host // class 1 I/O targets, 24 per crane
	cams     []Host
	tos      []Host
	dns, nvr Host
	https    Host
	port     uint16
	adapter  int
}

func newMixer(w PacketWriter, opts MixOptions) *mixer {
	if opts.Packets <= 0 {
		opts.Packets = 1_000_000
	}
	if opts.Flows <= 0 {
		opts.Flows = max(1, opts.Packets/100)
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	}
	m := &mixer{
		b:     New(w, opts.Start, opts.Seed),
		total: int64(opts.Packets),
		flows: opts.Flows,
		open:  min(1024, max(1, opts.Flows/16)),
		port:  32768,
	}
	m.b.hook = m.onDone
	m.hosts()
	m.templates()
	return m
}

func mixHost(ip netip.Addr, vlan uint16, ttl uint8, oui byte, n int) Host {
	return Host{IP: ip, VLAN: vlan, TTL: ttl, MAC: [6]byte{0x00, 0x1b, oui, byte(n >> 16), byte(n >> 8), byte(n)}}
}

func (m *mixer) hosts() {
	v4 := func(a, b, c, d int) netip.Addr { return netip.AddrFrom4([4]byte{byte(a), byte(b), byte(c), byte(d)}) }
	n := 0
	for i := range 8 {
		m.mgmt = append(m.mgmt, mixHost(v4(10, 10, 9, 20+i), 90, 64, 0x09, n))
		n++
	}
	for c := 1; c <= 8; c++ {
		vc, vv := uint16(100+c), uint16(200+c)
		m.plcs = append(m.plcs, mixHost(v4(10, 10, c, 5), vc, 30, 0x1b, n+1))
		m.plc2s = append(m.plc2s, mixHost(v4(10, 10, c, 6), vc, 64, 0x1c, n+2))
		for d := range 4 {
			m.drives = append(m.drives, mixHost(v4(10, 10, c, 10+d), vc, 64, 0x05, n+3+d))
		}
		for a := range 24 {
			m.adapters = append(m.adapters, mixHost(v4(10, 10, c, 100+a), vc, 64, 0x1d, n+10+a))
		}
		for k := range 4 {
			m.cams = append(m.cams, mixHost(v4(10, 10, 100+c, 11+k), vv, 64, 0x40, n+40+k))
		}
		n += 64
	}
	for i := range 16 {
		m.tos = append(m.tos, mixHost(v4(10, 50, 1+i/8, 10+i), 0, 64, 0x50, n+i))
	}
	m.dns = mixHost(v4(10, 40, 0, 53), 0, 64, 0x56, n+100)
	m.nvr = mixHost(v4(10, 10, 9, 40), 90, 64, 0x09, n+101)
	m.https = mixHost(v4(10, 10, 9, 30), 90, 64, 0x09, n+102)
}

// patched marks an exchange's counter field.
func patched(e Exchange, k patchKind, at int) Exchange {
	e.patch, e.patchAt = k, uint16(at)
	return e
}

func (m *mixer) templates() {
	r := m.b.rng
	ms := func(f float64) time.Duration { return time.Duration(f * 1e6) }
	c := func(d []byte, after time.Duration) Exchange { return Exchange{Data: d, After: after} }
	s := func(d []byte, after time.Duration) Exchange { return Exchange{FromServer: true, Data: d, After: after} }

	items := []S7Item{{Area: S7AreaDB, DB: 10, Len: 32}, {Area: S7AreaFlags, Start: 100, Len: 4}}
	m.tmpl[mixS7] = template{kind: kindTCP, port: 102,
		pre: []Exchange{
			c(COTPConnectRequest(0x0001, S7TSAPClient, S7TSAPPLC), 0),
			s(COTPConnectConfirm(0x0001, 0x0044, S7TSAPClient, S7TSAPPLC), ms(1)),
			c(S7SetupCommunication(0, 480), ms(0.3)),
			s(S7SetupCommunicationAck(0, 480), ms(2)),
		},
		body: []Exchange{ // PDU reference at 4 (TPKT) + 3 (COTP) + 4
			patched(c(S7ReadVar(0, items...), ms(250)), patchBE16, 11),
			patched(s(S7ReadVarAck(0, appendRandom(nil, r, 32), appendRandom(nil, r, 4)), ms(2)), patchBE16, 11),
		}}
	m.tmpl[mixModbus] = template{kind: kindTCP, port: 502,
		body: []Exchange{
			patched(c(ModbusReadHoldingRequest(0, 1, 0, 16), ms(200)), patchBE16, 0),
			patched(s(ModbusReadHoldingResponse(0, 1, make([]uint16, 16)), ms(3)), patchBE16, 0),
		}}
	m.tmpl[mixENIP] = template{kind: kindTCP, port: 44818,
		pre: []Exchange{
			c(ENIPRegisterSession(0, 1), 0),
			s(ENIPRegisterSession(0x1a2b3c4d, 1), ms(1.5)),
		},
		body: []Exchange{ // sender context at 12
			patched(c(ENIPSendRRData(0x1a2b3c4d, 0, CIPReadTag("Hoist_Load", 1)), ms(500)), patchLE32, 12),
			patched(s(ENIPSendRRData(0x1a2b3c4d, 0, CIPReadTagReply(CIPTypeDINT, []byte{0x10, 0xa4, 0, 0})), ms(1.2)), patchLE32, 12),
		}}
	out := binary.LittleEndian.AppendUint32(nil, 1)
	m.tmpl[mixIO] = template{kind: kindUDP, port: 2222,
		body: []Exchange{ // encapsulation sequence number at 10
			patched(c(ENIPIO(0x36087300, 0, 0, append(out, 0x7f, 0x04, 0xb0, 0x04)), ms(50)), patchLE32, 10),
			patched(s(ENIPIO(0x7e2b0400, 0, 0, []byte{0x37, 0x06, 0xa6, 0x04, 0xb8, 0x88, 0, 0}), ms(0.5)), patchLE32, 10),
		}}
	url := "rtsp://10.10.9.40:554/record/cam"
	m.tmpl[mixRTSP] = template{kind: kindTCP, port: 554,
		pre: []Exchange{
			c(RTSPRequest("ANNOUNCE", url, 1, SDPVideo(netip.MustParseAddr("10.10.101.11"), "cam"), "Content-Type: application/sdp"), 0),
			s(RTSPResponse(200, 1, nil), ms(1.5)),
			c(RTSPRequest("SETUP", url+"/trackID=1", 2, nil, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record"), ms(0.5)),
			s(RTSPResponse(200, 2, nil, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record", "Session: 5a3c"), ms(1.5)),
			c(RTSPRequest("RECORD", url, 3, nil, "Session: 5a3c"), ms(0.5)),
			s(RTSPResponse(200, 3, nil, "Session: 5a3c"), ms(2)),
		},
		body: []Exchange{ // RTP sequence number at 4 ('$' header) + 2
			patched(c(RTSPInterleaved(0, RTPPacket(96, 0, 0, 0x5eed, true, H264FragmentA(r, true, true, false, 1000))), ms(100)), patchRTP, 6),
		}}
	m.tmpl[mixDNS] = template{kind: kindUDP, port: 53,
		pre: []Exchange{
			patched(c(DNSQuery(0, "cms01.t3.example", DNSTypeA), 0), patchBE16, 0),
			patched(s(DNSResponse(0, "cms01.t3.example", DNSTypeA, 300, netip.MustParseAddr("10.10.9.30")), ms(0.4)), patchBE16, 0),
		}}
	ch := TLSClientHello(r, "cms01.t3.example", "http/1.1")
	m.tmpl[mixHTTPS] = template{kind: kindTCP, port: 443,
		pre: []Exchange{
			c(ch, 0),
			s(TLSServerHello(r, ch, 2600), ms(2)),
			c(append(append(TLSChangeCipherSpec(), TLSAppData(r, 74)...), TLSAppData(r, 320)...), ms(0.8)),
			s(TLSAppData(r, 2100), ms(8)),
			c(TLSAppData(r, 19), ms(50)),
		}}
	// Measure what each template writes, on a scratch builder.
	for k := range m.tmpl {
		t := &m.tmpl[k]
		f0, f10 := m.dryRun(t, 0), m.dryRun(t, 10)
		t.fixed = f0
		t.perPass = max(1, (f10-f0)/10)
	}
}

// frameCounter counts frames and adds up their times after base.
type frameCounter struct {
	n         int
	base, sum int64
}

func (fc *frameCounter) WritePacket(ts int64, _ []byte, _ int) error {
	fc.n++
	fc.sum += ts - fc.base
	return nil
}

func (m *mixer) dryRun(t *template, passes int) int {
	n, _ := dryRun(t, m.mgmt[0], m.plcs[0], passes)
	return n
}

// dryRun plays a template between c and s with passes body passes on a
// scratch builder, and returns the frames written and their mean delay
// after the start.
func dryRun(t *template, c, s Host, passes int) (int, time.Duration) {
	start := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	fc := frameCounter{base: start.UnixNano()}
	b := New(&fc, start, 1)
	if t.kind == kindUDP {
		b.udp(c, s, 40000, t.port, t.pre, t.body, passes, 0)
	} else {
		b.tcp(c, s, 40000, t.port, t.pre, t.body, passes, 0)
	}
	b.Flush()
	if fc.n == 0 {
		return 0, 0
	}
	return fc.n, time.Duration(fc.sum / int64(fc.n))
}

// next starts flows as needed and writes one frame; false means there
// was nothing left to write.
func (m *mixer) next() bool {
	for len(m.b.q) < m.open || len(m.b.q) == 0 {
		budget := m.total - m.planned
		if budget <= 0 {
			break
		}
		remF := m.flows - m.started
		if remF <= 0 {
			if len(m.b.q) > 0 {
				break
			}
			// Frames promised to ended flows but not used: one last I/O
			// connection writes exactly what is left.
			m.start(mixIO, budget)
			continue
		}
		m.startPlanned(budget / int64(remF))
	}
	if len(m.b.q) == 0 {
		return false
	}
	m.b.step()
	return true
}

func (m *mixer) startPlanned(plan int64) {
	r := m.b.rng.IntN(100)
	switch {
	case plan <= 2:
		m.start(mixDNS, max(plan, 1)) // a query, and its answer if there is room
	case plan < 4 || r < 12:
		m.start(mixDNS, int64(m.tmpl[mixDNS].fixed))
	case plan < int64(m.tmpl[mixHTTPS].fixed)+4:
		m.start(mixModbus, plan)
	case r < 20:
		m.start(mixHTTPS, int64(m.tmpl[mixHTTPS].fixed))
	case r < 44:
		m.start(mixS7, plan)
	case r < 64:
		m.start(mixModbus, plan)
	case r < 76:
		m.start(mixENIP, plan)
	case r < 88:
		m.start(mixIO, plan)
	default:
		m.start(mixRTSP, plan)
	}
}

func (m *mixer) nextPort() uint16 {
	m.port++
	if m.port > 60999 {
		m.port = 32768
	}
	return m.port
}

// start opens a flow of kind k promised plan frames: as many body passes
// as fit, and a limit of plan frames.
func (m *mixer) start(k mixKind, plan int64) {
	t := &m.tmpl[k]
	if plan > m.total-m.planned {
		plan = m.total - m.planned
	}
	passes := 0
	if len(t.body) > 0 && plan > int64(t.fixed) {
		passes = int((plan - int64(t.fixed)) / int64(t.perPass))
		if t.kind == kindUDP {
			passes = int((plan - int64(t.fixed) + int64(t.perPass) - 1) / int64(t.perPass))
		}
	}
	rng := m.b.rng
	var c, s Host
	switch k {
	case mixS7:
		c, s = m.mgmt[rng.IntN(len(m.mgmt))], m.plcs[rng.IntN(len(m.plcs))]
	case mixModbus:
		c, s = m.mgmt[rng.IntN(len(m.mgmt))], m.drives[rng.IntN(len(m.drives))]
	case mixENIP:
		c, s = m.mgmt[rng.IntN(len(m.mgmt))], m.plc2s[rng.IntN(len(m.plc2s))]
	case mixIO:
		// Scanner and adapter of the same crane, in turn so that pairs
		// repeat only after every adapter has had one.
		s = m.adapters[m.adapter%len(m.adapters)]
		c = m.plcs[m.adapter%len(m.adapters)/24]
	case mixRTSP:
		c, s = m.cams[rng.IntN(len(m.cams))], m.nvr
	case mixDNS:
		if rng.IntN(2) == 0 {
			c = m.mgmt[rng.IntN(len(m.mgmt))]
		} else {
			c = m.tos[rng.IntN(len(m.tos))]
		}
		s = m.dns
	case mixHTTPS:
		c, s = m.tos[rng.IntN(len(m.tos))], m.https
	}
	m.started++
	m.planned += plan
	if t.kind == kindUDP {
		sport := m.nextPort()
		if k == mixIO {
			// Originators commonly send from port 2222 too; once
			// every adapter has a connection, further connections to the
			// same adapters come from other ports so that they stay
			// distinct flows.
			if m.adapter < len(m.adapters) {
				sport = 2222
			}
			m.adapter++
		}
		m.b.udp(c, s, sport, t.port, t.pre, t.body, passes, int(plan))
	} else {
		m.b.tcp(c, s, m.nextPort(), t.port, t.pre, t.body, passes, int(plan))
	}
}

// onDone gives back the frames a flow was promised and did not write.
func (m *mixer) onDone(s *session) {
	if s.limit > s.sent {
		m.planned -= int64(s.limit - s.sent)
	}
}

// load is Terminal's background load: conversations of the terminal's own
// kinds between declared hosts, over conduits the site allows, started
// every tick so that the whole capture carries about the target rate.
// Their messages come from templates built once (only transaction ids
// change), so the load allocates nothing per packet.
//
// Rate control: every tick, conversations are started until the frames
// written so far plus the frames promised to open background
// conversations reach rate × (elapsed + lead), lead being the mean delay
// between a conversation's start and its frames. Normal traffic counts
// in what was written, so the load only tops it up.
type load struct {
	t     *term
	rate  float64 // frames per ns
	lead  int64   // ns
	out   int64   // frames promised to open background conversations, not yet written
	kinds []loadKind
	sum   int // of the weights
	run   func()
}

// loadKind is one kind of background conversation: its share of the
// conversations started, the range of its body passes, and the host
// pairs (each with its template) it runs between.
type loadKind struct {
	weight int
	lo, hi int
	flows  []loadFlow
}

type loadFlow struct {
	c, s *node
	tm   *template
}

// loadTick is how often the load starts conversations.
const loadTick = 10 * time.Millisecond

func newLoad(t *term, rate int) *load {
	l := &load{t: t, rate: float64(rate) / 1e9}
	l.kinds = l.build()
	var frames, delay float64
	for i := range l.kinds {
		k := &l.kinds[i]
		if len(k.flows) == 0 {
			continue
		}
		l.sum += k.weight
		f := &k.flows[0]
		n, d := dryRun(f.tm, f.c.Host, f.s.Host, (k.lo+k.hi)/2)
		w := float64(k.weight) * float64(n)
		frames += w
		delay += w * float64(d)
	}
	l.lead = int64(delay / frames)
	l.run = l.tick
	t.every(0, loadTick, 0, l.run)
	return l
}

// tick starts conversations until the promise catches up with the rate.
func (l *load) tick() {
	t := l.t
	target := int64(l.rate * float64(t.b.now-t.start+l.lead))
	for n := 0; t.b.Packets()+l.out < target && n < 1<<16 && t.b.Err() == nil; n++ {
		l.start()
	}
}

func (l *load) start() {
	t := l.t
	rng := t.r
	w := rng.IntN(l.sum)
	k := &l.kinds[0]
	for i := range l.kinds {
		k = &l.kinds[i]
		if len(k.flows) == 0 {
			continue
		}
		if w < k.weight {
			break
		}
		w -= k.weight
	}
	f := &k.flows[rng.IntN(len(k.flows))]
	passes := k.lo + rng.IntN(k.hi-k.lo+1)
	ps := t.nodePorts(f.c)
	port := ps.take()
	var ss *session
	if f.tm.kind == kindUDP {
		ss = t.b.udp(f.c.Host, f.s.Host, port, f.tm.port, f.tm.pre, f.tm.body, passes, 0)
	} else {
		ss = t.b.tcp(f.c.Host, f.s.Host, port, f.tm.port, f.tm.pre, f.tm.body, passes, 0)
	}
	t.own(ss, ps, port)
	if ss == nil {
		return
	}
	planned := f.tm.fixed + passes*f.tm.perPass
	ss.tally, ss.planned = &l.out, planned
	l.out += int64(planned)
}

// build makes the kinds of background conversation of the model.
func (l *load) build() []loadKind {
	m := l.t.m
	r := l.t.r
	c := func(d []byte, after time.Duration) Exchange { return Exchange{Data: d, After: after} }
	s := func(d []byte, after time.Duration) Exchange { return Exchange{FromServer: true, Data: d, After: after} }
	measure := func(tm *template, a, b *node) *template {
		f0, _ := dryRun(tm, a.Host, b.Host, 0)
		f10, _ := dryRun(tm, a.Host, b.Host, 10)
		tm.fixed, tm.perPass = f0, max(1, (f10-f0)/10)
		return tm
	}
	var s7, cip, mb, ident, dnsK, tls, video loadKind
	s7 = loadKind{weight: 14, lo: 2, hi: 16}
	cip = loadKind{weight: 14, lo: 2, hi: 16}
	mb = loadKind{weight: 22, lo: 1, hi: 10}
	ident = loadKind{weight: 8}
	dnsK = loadKind{weight: 22}
	tls = loadKind{weight: 10}
	video = loadKind{weight: 10, lo: 8, hi: 30}

	items := []S7Item{{Area: S7AreaDB, DB: 10, Len: 24}, {Area: S7AreaFlags, Start: 100, Len: 2}}
	s7T := &template{kind: kindTCP, port: 102,
		pre: []Exchange{
			c(COTPConnectRequest(0x0002, S7TSAPClient, S7TSAPPLC), 0),
			s(COTPConnectConfirm(0x0002, 0x0047, S7TSAPClient, S7TSAPPLC), ms(1.1)),
			c(S7SetupCommunication(0, 480), ms(0.3)),
			s(S7SetupCommunicationAck(0, 480), ms(2.2)),
		},
		body: []Exchange{ // PDU reference at 4 (TPKT) + 3 (COTP) + 4
			patched(c(S7ReadVar(0, items...), ms(200)), patchBE16, 11),
			patched(s(S7ReadVarAck(0, appendRandom(nil, r, 24), appendRandom(nil, r, 2)), ms(2)), patchBE16, 11),
		}}
	cipT := &template{kind: kindTCP, port: 44818,
		pre: []Exchange{
			c(ENIPRegisterSession(0, 1), 0),
			s(ENIPRegisterSession(0x6b3c0a11, 1), ms(1.5)),
		},
		body: []Exchange{ // sender context at 12
			patched(c(ENIPSendRRData(0x6b3c0a11, 0, CIPReadTag("Gantry_Pos", 1)), ms(250)), patchLE32, 12),
			patched(s(ENIPSendRRData(0x6b3c0a11, 0, CIPReadTagReply(CIPTypeDINT, []byte{0x2c, 0x81, 0, 0})), ms(1.2)), patchLE32, 12),
		}}
	mbT := &template{kind: kindTCP, port: 502,
		body: []Exchange{
			patched(c(ModbusReadHoldingRequest(0, 1, 0, 10), ms(200)), patchBE16, 0),
			patched(s(ModbusReadHoldingResponse(0, 1, make([]uint16, 10)), ms(3)), patchBE16, 0),
		}}
	for _, cr := range m.cranes {
		for _, d := range cr.drives {
			mb.flows = append(mb.flows, loadFlow{c: m.cms, s: d, tm: mbT})
			if cr.s7 {
				mb.flows = append(mb.flows, loadFlow{c: cr.plc, s: d, tm: mbT})
			}
		}
		pairs := []loadFlow{{c: m.ews, s: cr.plc}, {c: m.cms, s: cr.plc}, {c: m.cms, s: cr.spreader}, {c: cr.hmi, s: cr.plc}}
		for _, p := range pairs {
			if cr.s7 {
				p.tm = s7T
				s7.flows = append(s7.flows, p)
			} else {
				p.tm = cipT
				cip.flows = append(cip.flows, p)
			}
		}
		if !cr.s7 {
			for _, d := range append([]*node{cr.plc, cr.spreader}, cr.rio...) {
				tm := &template{kind: kindUDP, port: 44818, pre: []Exchange{ // sender context at 12
					patched(c(ENIPListIdentity(0), 0), patchLE32, 12),
					patched(s(ENIPListIdentityReply(0, cr.identity[d]), ms(1.5)), patchLE32, 12),
				}}
				ident.flows = append(ident.flows, loadFlow{c: m.cms, s: d, tm: measure(tm, m.cms, d)})
			}
		}
		for _, pair := range [][2]*node{{cr.cams[0], m.nvr}, {cr.cams[1], cr.ocr}} {
			cam, rec := pair[0], pair[1]
			url := "rtsp://" + rec.IP.String() + ":554/record/" + cam.row.ID
			tm := &template{kind: kindTCP, port: 554,
				pre: []Exchange{
					c(RTSPRequest("ANNOUNCE", url, 1, SDPVideo(cam.IP, cam.row.ID), "Content-Type: application/sdp", "User-Agent: AXIS"), 0),
					s(RTSPResponse(200, 1, nil), ms(1.5)),
					c(RTSPRequest("SETUP", url+"/trackID=1", 2, nil, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record", "User-Agent: AXIS"), ms(0.5)),
					s(RTSPResponse(200, 2, nil, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record", "Session: 2f41c9"), ms(1.5)),
					c(RTSPRequest("RECORD", url, 3, nil, "Session: 2f41c9", "User-Agent: AXIS"), ms(0.5)),
					s(RTSPResponse(200, 3, nil, "Session: 2f41c9"), ms(2)),
				},
				body: []Exchange{ // RTP sequence number at 4 ('$' header) + 2, timestamp after it
					patched(c(appendRTPH264(nil, r, 0, 0, r.Uint32(), true, false, false, false, 500+r.IntN(400)), ms(100)), patchRTP, 6),
				}}
			video.flows = append(video.flows, loadFlow{c: cam, s: rec, tm: measure(tm, cam, rec)})
		}
		ch := TLSClientHello(r, "tos01.t3.example", "h2", "http/1.1")
		tls.flows = append(tls.flows, loadFlow{c: cr.ocr, s: m.tos, tm: measure(httpsTemplate(r, ch), cr.ocr, m.tos)})
	}
	ch := TLSClientHello(r, "cms01.t3.example", "h2", "http/1.1")
	tls.flows = append(tls.flows, loadFlow{c: m.tos, s: m.cms, tm: measure(httpsTemplate(r, ch), m.tos, m.cms)})
	for _, n := range []struct {
		name string
		addr *node
	}{{"cms01.t3.example", m.cms}, {"nvr01.t3.example", m.nvr}, {"ews01.t3.example", m.ews},
		{"ntp.t3.example", m.ntp}, {"updates.t3.example", m.upd}, {"tos01.t3.example", m.tos}} {
		tm := &template{kind: kindUDP, port: 53, pre: []Exchange{
			patched(c(DNSQuery(0, n.name, DNSTypeA), 0), patchBE16, 0),
			patched(s(DNSResponse(0, n.name, DNSTypeA, 300, n.addr.IP), ms(0.4)), patchBE16, 0),
		}}
		for _, cn := range []*node{m.ews, m.cms, m.nvr, m.tos} {
			dnsK.flows = append(dnsK.flows, loadFlow{c: cn, s: m.dns, tm: measure(tm, cn, m.dns)})
		}
	}
	for _, k := range []*loadKind{&s7, &cip, &mb} {
		if len(k.flows) > 0 {
			measure(k.flows[0].tm, k.flows[0].c, k.flows[0].s)
		}
	}
	return []loadKind{s7, cip, mb, ident, dnsK, tls, video}
}

// httpsTemplate is a short TLS 1.3 conversation: handshake, one request
// and its response, close_notify.
func httpsTemplate(r *rand.Rand, ch []byte) *template {
	c := func(d []byte, after time.Duration) Exchange { return Exchange{Data: d, After: after} }
	s := func(d []byte, after time.Duration) Exchange { return Exchange{FromServer: true, Data: d, After: after} }
	return &template{kind: kindTCP, port: 443,
		pre: []Exchange{
			c(ch, 0),
			s(TLSServerHello(r, ch, 2600), ms(2)),
			c(append(append(TLSChangeCipherSpec(), TLSAppData(r, 74)...), TLSAppData(r, 320)...), ms(0.8)),
			s(TLSAppData(r, 2100), ms(8)),
			c(TLSAppData(r, 19), ms(50)),
		}}
}
