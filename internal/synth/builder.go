package synth

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/netip"
	"time"
)

// PacketWriter receives finished Ethernet frames in time order: ts in
// nanoseconds since the Unix epoch, the frame, and its length on the wire.
// capture.PcapWriter and capture.PcapNGWriter (through a one-interface
// adapter) satisfy it. data is valid only during the call.
type PacketWriter interface {
	WritePacket(ts int64, data []byte, origLen int) error
}

// Errors of the builder, for conversations it cannot put on the wire.
var (
	ErrFamily   = errors.New("synth: client and server addresses are not both IPv4 or both IPv6")
	ErrDatagram = errors.New("synth: datagram larger than the link MTU")
)

// Host is one end of a conversation. VLAN 0 means untagged.
//
// The capture is modelled as a monitor port that sees every conversation
// once, on the VLAN where it enters the network: the client's VLAN, or the
// server's when the client is untagged. Both directions of a conversation
// therefore carry the same 802.1Q tag, as a flow table keyed by VLAN and
// 5-tuple expects. Frames carry the hosts' own MAC addresses; hosts outside
// the site are given the MAC of the site's edge router.
type Host struct {
	Name string
	MAC  [6]byte
	IP   netip.Addr
	VLAN uint16
	TTL  uint8 // initial IPv4 TTL or IPv6 hop limit; 0 means 64
}

// Exchange is one application message of a conversation: Data sent by the
// client (or by the server if FromServer), After the previous exchange's
// last segment (the first exchange: after the handshake). A reply never
// comes sooner than the peer could answer (one round trip as seen from the
// client side). An empty Data is a pause.
type Exchange struct {
	FromServer bool
	Data       []byte
	After      time.Duration

	// patch rewrites a counter into Data as it goes on the wire, so that a
	// repeated exchange (see Builder.tcp) still carries fresh transaction
	// ids. Only this package sets it.
	patch   patchKind
	patchAt uint16
}

type patchKind uint8

const (
	patchNone patchKind = iota
	patchBE16           // counter as big-endian uint16 at patchAt
	patchLE16           // little-endian uint16
	patchLE32           // little-endian uint32
	patchRTP            // RTP sequence number (BE16) at patchAt, timestamp (BE32, 90 kHz clock at 10 frames/s) after it
)

// Timing and sizes of the modelled stacks.
const (
	mss4       = 1460 // TCP maximum segment size over IPv4 on Ethernet
	mss6       = 1440 // over IPv6
	mtu        = 1500
	minFrame   = 60 // Ethernet minimum frame length without FCS; shorter frames are zero padded
	linkBitsNS = 1  // ns per bit at 1 Gbit/s, for serialization gaps between back-to-back segments
	maxFrame   = 14 + 4 + mtu
	minGap     = 5e3 // ns between two messages a host sends back to back
)

// Stream supplies the exchanges of a long conversation one at a time, so
// that a conversation of hours holds a couple of messages in memory, not
// all of them. Next returns the next exchange, or false when the
// conversation ends (a TCP conversation then closes). The Data of an
// exchange must stay unchanged until Next has returned two more exchanges
// or the conversation has ended: a Stream may alternate between two
// buffers. Next is called from within the Builder's methods (Advance,
// Flush, Stop and the session constructors) and may draw from Rand.
type Stream interface {
	Next() (Exchange, bool)
}

// Builder writes conversations as Ethernet frames, in time order, to a
// PacketWriter. Conversations are scheduled at the builder's clock (Now)
// and run concurrently: Advance moves the clock and writes every frame due
// by then; Flush runs everything scheduled to its end; Stop ends the
// capture at a moment, cutting conversations still open. Frames are built
// in one reused buffer and go straight to the writer: memory holds only the
// open conversations, never the capture.
//
// Randomness (ports, sequence numbers, round-trip times, IP ids) comes from
// one generator seeded by New, so the same calls give the same bytes.
//
// The first error of the writer is sticky: it stops all output and is
// returned by Err, Flush and Stop. A Builder is not safe for concurrent use.
type Builder struct {
	w      PacketWriter
	now    int64
	rng    *rand.Rand
	frame  [maxFrame]byte
	q      []qent // min-heap on (next frame time, id); hand-written, as container/heap would go through an interface on every packet
	free   []*session
	nextID uint64
	err    error
	n      int64
	bytes  int64
	flows  int64
	hook   func(*session) // called as each session ends (Mix's accounting)

	progress func() // called every progressEvery frames
}

// qent is a heap entry: a session and the time of its next frame, kept in
// the entry so that sifting compares without touching the sessions (with
// tens of thousands of open sessions, chasing their pointers costs more
// than building the frames).
type qent struct {
	t  int64
	id uint64
	s  *session
}

// progressEvery is how many frames pass between calls of the progress hook.
const progressEvery = 1 << 16

// New returns a builder whose clock starts at start and whose randomness is
// seeded by seed.
func New(w PacketWriter, start time.Time, seed int64) *Builder {
	return &Builder{
		w:   w,
		now: start.UnixNano(),
		rng: rand.New(rand.NewPCG(uint64(seed), 0x68617262)), // "harb"
	}
}

// Now returns the builder's clock.
func (b *Builder) Now() time.Time { return time.Unix(0, b.now).UTC() }

// Advance moves the clock forward by d (a negative d counts as zero) and
// writes every frame due by the new time.
func (b *Builder) Advance(d time.Duration) {
	if d > 0 {
		b.now += int64(d)
	}
	b.drain(b.now)
}

// Flush runs every scheduled conversation to its end and returns the
// sticky error. The clock moves to the last frame written, if later.
func (b *Builder) Flush() error {
	b.drain(1<<63 - 1)
	return b.err
}

// Stop writes the frames due before end, drops the rest (the capture ends
// with those conversations still open) and returns the sticky error.
func (b *Builder) Stop(end time.Time) error {
	t := end.UnixNano()
	b.drain(t - 1)
	for i := range b.q {
		b.release(b.q[i].s)
		b.q[i].s = nil
	}
	b.q = b.q[:0]
	if t > b.now {
		b.now = t
	}
	return b.err
}

// Err returns the first error of the writer, if any.
func (b *Builder) Err() error { return b.err }

// Packets returns the number of frames written so far.
func (b *Builder) Packets() int64 { return b.n }

// Bytes returns the number of frame bytes written so far.
func (b *Builder) Bytes() int64 { return b.bytes }

// Conversations returns the number of TCP and UDP conversations scheduled
// so far.
func (b *Builder) Conversations() int64 { return b.flows }

// Rand returns the builder's random generator, for payloads that need
// random bytes (TLS randoms, keys) drawn from the same seeded stream.
func (b *Builder) Rand() *rand.Rand { return b.rng }

// Port returns an ephemeral port (49152–65535, RFC 6335 §6).
func (b *Builder) Port() uint16 { return uint16(49152 + b.rng.IntN(16384)) }

// TCPSession schedules a TCP connection from c:sport to s:dport at the
// current time: the three-way handshake (MSS, window scale and SACK
// options), the exchanges as data segments of at most one MSS with correct
// sequence and acknowledgment numbers (the receiver acknowledges every
// second segment at once and a lone segment after its delayed-ACK time,
// unless it answers sooner), then a FIN/ACK teardown both ways started by
// the client.
func (b *Builder) TCPSession(c, s Host, sport, dport uint16, ex ...Exchange) {
	b.tcp(c, s, sport, dport, ex, nil, 0, 0)
}

// UDP schedules the exchanges as datagrams between c:sport and s:dport at
// the current time, one datagram per exchange. A payload larger than the
// MTU allows sets ErrDatagram.
func (b *Builder) UDP(c, s Host, sport, dport uint16, ex ...Exchange) {
	b.udp(c, s, sport, dport, ex, nil, 0, 0)
}

// TCPStream is TCPSession with the exchanges drawn from st as the
// conversation goes: handshake, st's exchanges until it ends, teardown.
func (b *Builder) TCPStream(c, s Host, sport, dport uint16, st Stream) {
	b.tcpStream(c, s, sport, dport, st)
}

// UDPStream is UDP with the exchanges drawn from st as the conversation
// goes.
func (b *Builder) UDPStream(c, s Host, sport, dport uint16, st Stream) {
	b.udpStream(c, s, sport, dport, st)
}

// ARP schedules an ARP request (RFC 826) from sender for target, broadcast
// on the sender's VLAN, at the current time.
func (b *Builder) ARP(sender Host, target netip.Addr) {
	b.arp(arpRequest, sender, Host{IP: target, VLAN: sender.VLAN})
}

// ARPReply schedules sender's ARP reply to to (sender has sender.IP at
// sender.MAC), unicast on the sender's VLAN, at the current time.
func (b *Builder) ARPReply(sender, to Host) { b.arp(arpReply, sender, to) }

const (
	arpRequest = 1
	arpReply   = 2
)

type sessionKind uint8

const (
	kindTCP sessionKind = iota + 1
	kindUDP
	kindRaw
)

// next item of a session after its current exchange
const (
	stepExchange = iota
	stepClose
	stepNone
)

// pkt is one frame a session will write.
type pkt struct {
	t       int64
	dir     uint8 // 0 client to server, 1 server to client
	flags   uint8
	seq     uint32
	ack     uint32
	data    []byte
	patch   patchKind
	patchAt int // offset of the counter within data (may be out of range)
	ctr     uint32
}

// TCP flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpPSH = 0x08
	tcpACK = 0x10
)

type session struct {
	id      uint64
	kind    sessionKind
	hosts   [2]Host // client, server
	ports   [2]uint16
	vlan    uint16
	v6      bool
	mss     int
	ttl     [2]uint8
	ipid    [2]uint16
	label   uint32
	nxt     [2]uint32  // next sequence number each side sends
	unack   [2]int     // segments each side sent that the peer has not acknowledged
	lat     [2]int64   // how long after the other side's packet a reply by this side appears
	delack  [2]int64   // delayed-ACK time of each side's stack
	cur     []Exchange // the exchanges being played: the prefix, then the body
	body    []Exchange // played passes more times after the prefix
	passes  int
	i       int    // index of the next exchange in cur
	ctr     uint32 // counter written by exchange patches; advances on each pass
	step    int    // what comes after the last expanded item
	nextAt  int64  // when it starts
	last    int64  // time of the last data segment (or handshake ACK)
	lastD   uint8  // who sent it
	fresh   bool   // UDP: nothing sent yet
	pend    []pkt
	head    int
	limit   int // stop after this many frames (0: no limit)
	sent    int
	raw     [minFrame + 4]byte
	rawLen  int
	done    func(*session) // called when the session ends
	stream  Stream         // supplies exchanges once cur and the passes are played
	one     [1]Exchange    // the stream's current exchange (cur points here)
	owner   *portSet       // the client's ephemeral ports, freed when the session ends
	oport   uint16
	tally   *int64 // frames promised and not yet written (background load): one less per frame
	planned int    // what the session added to *tally
}

func (b *Builder) alloc() *session {
	var s *session
	if n := len(b.free); n > 0 {
		s = b.free[n-1]
		b.free = b.free[:n-1]
		pend := s.pend[:0]
		*s = session{pend: pend}
	} else {
		s = &session{pend: make([]pkt, 0, 8)}
	}
	b.nextID++
	s.id = b.nextID
	s.done = b.hook
	return s
}

func (b *Builder) release(s *session) {
	if s.done != nil {
		s.done(s)
	}
	if s.owner != nil {
		s.owner.free(s.oport)
		s.owner = nil
	}
	if s.tally != nil {
		*s.tally -= int64(s.planned - s.sent)
		s.tally = nil
	}
	s.cur, s.body = nil, nil
	s.done = nil
	s.stream = nil
	s.one[0] = Exchange{}
	for i := range s.pend {
		s.pend[i].data = nil
	}
	b.free = append(b.free, s)
}

// private reports whether a is a site-internal address (RFC 1918, ULA,
// link-local, loopback).
func private(a netip.Addr) bool {
	return a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLoopback()
}

// GatewayMAC is the MAC of the routing gateway of a VLAN as the builder
// models it: the VRRP virtual router MAC 00:00:5e:00:01:VRID (RFC 5798
// §7.3) with the VLAN's low byte as VRID (1 for untagged).
func GatewayMAC(vlan uint16) [6]byte {
	id := byte(vlan)
	if id == 0 {
		id = 1
	}
	return [6]byte{0x00, 0x00, 0x5e, 0x00, 0x01, id}
}

// OnWire returns the client and server of a conversation as the monitor
// sees them. A routed conversation (site-internal hosts in different
// subnets) is seen on the monitored VLAN — the client's, or the server's
// when the client is untagged — with the far host behind its gateway: the
// far side's frames carry the gateway's MAC, as on a real SPAN of that VLAN,
// where a host's own MAC never appears on a VLAN it is not on.
func OnWire(c, s Host) (Host, Host) {
	if !private(c.IP) || !private(s.IP) || sameSubnet(c.IP, s.IP) {
		return c, s
	}
	vlan := c.VLAN
	if vlan == 0 {
		vlan = s.VLAN
	}
	if c.VLAN == vlan {
		s.MAC = GatewayMAC(vlan)
	} else {
		c.MAC = GatewayMAC(vlan)
	}
	return c, s
}

// sameSubnet: /24 for IPv4, /64 for IPv6.
func sameSubnet(a, b netip.Addr) bool {
	bits := 24
	if a.Is6() {
		bits = 64
	}
	pa, err1 := a.Prefix(bits)
	pb, err2 := b.Prefix(bits)
	return err1 == nil && err2 == nil && pa == pb
}

// observedTTL is the TTL of a packet from→to as the monitor sees it: the
// sender's initial TTL, less one for a routed hop, less a dozen for a
// packet from outside the site.
func observedTTL(from, to Host) uint8 {
	t := from.TTL
	if t == 0 {
		t = 64
	}
	switch {
	case !private(from.IP):
		t -= 12
	case !sameSubnet(from.IP, to.IP):
		t--
	}
	return t
}

func (b *Builder) newSession(kind sessionKind, c, s Host, sport, dport uint16, pre, body []Exchange, passes, limit int) *session {
	if b.err != nil {
		return nil
	}
	if !c.IP.IsValid() || !s.IP.IsValid() || c.IP.Is4() != s.IP.Is4() {
		b.err = ErrFamily
		return nil
	}
	ss := b.alloc()
	b.flows++
	ss.kind = kind
	ss.hosts = [2]Host{c, s}
	ss.ports = [2]uint16{sport, dport}
	ss.vlan = c.VLAN
	if ss.vlan == 0 {
		ss.vlan = s.VLAN
	}
	ss.hosts[0], ss.hosts[1] = OnWire(c, s)
	ss.v6 = c.IP.Is6()
	ss.mss = mss4
	if ss.v6 {
		ss.mss = mss6
	}
	ss.ttl = [2]uint8{observedTTL(c, s), observedTTL(s, c)}
	ss.ipid = [2]uint16{uint16(b.rng.Uint32()), uint16(b.rng.Uint32())}
	ss.label = b.rng.Uint32() & 0xfffff
	// Round trip as seen next to the client: LAN, routed, or Internet.
	var rtt int64
	switch {
	case !private(c.IP) || !private(s.IP):
		rtt = 15e6 + b.rng.Int64N(30e6)
	case sameSubnet(c.IP, s.IP):
		rtt = 150e3 + b.rng.Int64N(250e3)
	default:
		rtt = 400e3 + b.rng.Int64N(800e3)
	}
	ss.lat = [2]int64{30e3 + b.rng.Int64N(50e3), rtt}
	ss.delack = [2]int64{delayedACK(c), delayedACK(s)}
	ss.cur, ss.body = pre, body
	ss.passes = passes
	ss.limit = limit
	ss.ctr = b.rng.Uint32()
	return ss
}

// delayedACK: Windows stacks (initial TTL 128) wait 200 ms, others 40 ms.
func delayedACK(h Host) int64 {
	if h.TTL == 128 {
		return 200e6
	}
	return 40e6
}

// tcp schedules a TCP session that plays the exchanges of pre, then those
// of body passes times (the counter patches advance on each pass). limit >
// 0 ends it abruptly after that many frames.
func (b *Builder) tcp(c, s Host, sport, dport uint16, pre, body []Exchange, passes, limit int) *session {
	ss := b.newSession(kindTCP, c, s, sport, dport, pre, body, passes, limit)
	if ss == nil {
		return nil
	}
	b.startTCP(ss)
	return ss
}

// startTCP schedules the handshake of a new TCP session.
func (b *Builder) startTCP(ss *session) {
	t := b.now
	isn := [2]uint32{b.rng.Uint32(), b.rng.Uint32()}
	ss.pend = append(ss.pend,
		pkt{t: t, dir: 0, flags: tcpSYN, seq: isn[0]},
		pkt{t: t + ss.lat[1], dir: 1, flags: tcpSYN | tcpACK, seq: isn[1], ack: isn[0] + 1},
		pkt{t: t + ss.lat[1] + ss.lat[0], dir: 0, flags: tcpACK, seq: isn[0] + 1, ack: isn[1] + 1},
	)
	ss.nxt = [2]uint32{isn[0] + 1, isn[1] + 1}
	ss.last = t + ss.lat[1] + ss.lat[0]
	ss.lastD = 0
	b.plan(ss)
	b.schedule(ss)
}

func (b *Builder) udp(c, s Host, sport, dport uint16, pre, body []Exchange, passes, limit int) *session {
	ss := b.newSession(kindUDP, c, s, sport, dport, pre, body, passes, limit)
	if ss == nil {
		return nil
	}
	b.startUDP(ss)
	return ss
}

func (b *Builder) startUDP(ss *session) {
	ss.last = b.now
	ss.fresh = true // the first datagram goes After from now, whichever side sends it
	b.plan(ss)
	b.schedule(ss)
}

func (b *Builder) tcpStream(c, s Host, sport, dport uint16, st Stream) *session {
	ss := b.newSession(kindTCP, c, s, sport, dport, nil, nil, 0, 0)
	if ss == nil {
		return nil
	}
	ss.stream = st
	b.startTCP(ss)
	return ss
}

func (b *Builder) udpStream(c, s Host, sport, dport uint16, st Stream) *session {
	ss := b.newSession(kindUDP, c, s, sport, dport, nil, nil, 0, 0)
	if ss == nil {
		return nil
	}
	ss.stream = st
	b.startUDP(ss)
	return ss
}

func (b *Builder) arp(op uint16, sender, to Host) {
	if b.err != nil {
		return
	}
	if !sender.IP.Is4() || !to.IP.Is4() {
		b.err = ErrFamily
		return
	}
	ss := b.alloc()
	ss.kind = kindRaw
	f := ss.raw[:0]
	dst := [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	if op == arpReply {
		dst = to.MAC
	}
	f = append(f, dst[:]...)
	f = append(f, sender.MAC[:]...)
	if sender.VLAN != 0 {
		f = binary.BigEndian.AppendUint16(f, 0x8100)
		f = binary.BigEndian.AppendUint16(f, sender.VLAN&0x0fff)
	}
	f = binary.BigEndian.AppendUint16(f, 0x0806)
	// RFC 826: hardware Ethernet (1), protocol IPv4, lengths 6 and 4.
	f = append(f, 0, 1, 0x08, 0x00, 6, 4)
	f = binary.BigEndian.AppendUint16(f, op)
	f = append(f, sender.MAC[:]...)
	f = append(f, sender.IP.AsSlice()...)
	if op == arpReply {
		f = append(f, to.MAC[:]...)
	} else {
		f = append(f, 0, 0, 0, 0, 0, 0)
	}
	f = append(f, to.IP.AsSlice()...)
	for len(f) < minFrame {
		f = append(f, 0)
	}
	ss.rawLen = len(f)
	ss.pend = append(ss.pend, pkt{t: b.now})
	ss.step = stepNone
	b.schedule(ss)
}

// plan decides what follows the last expanded item and when.
func (b *Builder) plan(ss *session) {
	for {
		if ss.i < len(ss.cur) {
			e := &ss.cur[ss.i]
			d := uint8(0)
			if e.FromServer {
				d = 1
			}
			gap := int64(e.After)
			if gap < 0 {
				gap = 0
			}
			if ss.fresh {
				// as given
			} else if d != ss.lastD && gap < ss.lat[d] {
				gap = ss.lat[d]
			} else if d == ss.lastD && gap < minGap {
				gap = minGap
			}
			ss.step = stepExchange
			ss.nextAt = ss.last + gap
			return
		}
		if ss.passes > 0 && len(ss.body) > 0 {
			ss.passes--
			ss.cur = ss.body
			ss.i = 0
			ss.ctr++
			continue
		}
		if ss.stream != nil {
			if e, ok := ss.stream.Next(); ok {
				ss.one[0] = e
				ss.cur = ss.one[:]
				ss.i = 0
				continue
			}
			ss.stream = nil
		}
		if ss.kind == kindTCP {
			ss.step = stepClose
			ss.nextAt = ss.last + 1e6 // the client closes about a millisecond after the last message
			return
		}
		ss.step = stepNone
		return
	}
}

// nextDir is the side that speaks in the planned step.
func (ss *session) nextDir() uint8 {
	if ss.step == stepExchange && ss.cur[ss.i].FromServer {
		return 1
	}
	return 0
}

// push inserts p keeping pend[head:] sorted by time (stable). A session
// rarely holds more than a handful of pending frames (one message's
// segments and the peer's ACKs), so insertion beats a heap here.
func (ss *session) push(p pkt) {
	ss.pend = append(ss.pend, p)
	i := len(ss.pend) - 1
	for i > ss.head && ss.pend[i-1].t > p.t {
		ss.pend[i] = ss.pend[i-1]
		i--
	}
	ss.pend[i] = p
}

// expand turns the planned step into frames.
func (b *Builder) expand(ss *session) {
	if ss.head > 0 && ss.head == len(ss.pend) {
		ss.pend = ss.pend[:0]
		ss.head = 0
	} else if ss.head > 32 {
		n := copy(ss.pend, ss.pend[ss.head:])
		ss.pend = ss.pend[:n]
		ss.head = 0
	}
	switch ss.step {
	case stepExchange:
		e := &ss.cur[ss.i]
		ss.i++
		if ss.kind == kindTCP {
			b.expandTCP(ss, e)
		} else {
			b.expandUDP(ss, e)
		}
	case stepClose:
		t := ss.nextAt
		ss.push(pkt{t: t, dir: 0, flags: tcpFIN | tcpACK, seq: ss.nxt[0], ack: ss.nxt[1]})
		ss.nxt[0]++
		t += ss.lat[1]
		ss.push(pkt{t: t, dir: 1, flags: tcpFIN | tcpACK, seq: ss.nxt[1], ack: ss.nxt[0]})
		ss.nxt[1]++
		t += ss.lat[0]
		ss.push(pkt{t: t, dir: 0, flags: tcpACK, seq: ss.nxt[0], ack: ss.nxt[1]})
		ss.step = stepNone
	}
}

func (b *Builder) expandUDP(ss *session, e *Exchange) {
	d := uint8(0)
	if e.FromServer {
		d = 1
	}
	t := ss.nextAt
	if len(e.Data) > 0 {
		ss.push(pkt{t: t, dir: d, data: e.Data, patch: e.patch, patchAt: int(e.patchAt), ctr: ss.ctr})
		ss.lastD = d
		ss.fresh = false
	}
	ss.last = t
	b.plan(ss)
}

func (b *Builder) expandTCP(ss *session, e *Exchange) {
	x := uint8(0)
	if e.FromServer {
		x = 1
	}
	y := 1 - x
	t := ss.nextAt
	data := e.Data
	if len(data) == 0 {
		ss.last = t
		b.plan(ss)
		return
	}
	off := 0
	for off < len(data) {
		n := len(data) - off
		if n > ss.mss {
			n = ss.mss
		}
		flags := uint8(tcpACK)
		if off+n == len(data) {
			flags |= tcpPSH
		}
		ss.push(pkt{t: t, dir: x, flags: flags, seq: ss.nxt[x], ack: ss.nxt[y],
			data: data[off : off+n], patch: e.patch, patchAt: int(e.patchAt) - off, ctr: ss.ctr})
		ss.nxt[x] += uint32(n)
		ss.unack[y] = 0 // this segment acknowledges everything y sent
		ss.unack[x]++
		if ss.unack[x] >= 2 {
			ss.push(pkt{t: t + ss.lat[y], dir: y, flags: tcpACK, seq: ss.nxt[y], ack: ss.nxt[x]})
			ss.unack[x] = 0
		}
		ss.last = t
		off += n
		t += int64(n+78) * 8 * linkBitsNS // frame, preamble and gap at 1 Gbit/s
	}
	ss.lastD = x
	b.plan(ss)
	if ss.unack[x] == 0 {
		return
	}
	// A lone unacknowledged segment: y answers with data soon enough
	// (piggybacked ACK), or x sends more before y's delayed ACK fires (y
	// then acknowledges the pair), or y sends a pure ACK when the timer fires.
	ackAt := ss.last + ss.lat[y] + ss.delack[y]
	if ss.step != stepNone {
		nd := ss.nextDir()
		if nd == y && ss.nextAt <= ackAt {
			return
		}
		if nd == x && ss.nextAt < ss.last+ss.delack[y] {
			return
		}
	}
	ss.push(pkt{t: ackAt, dir: y, flags: tcpACK, seq: ss.nxt[y], ack: ss.nxt[x]})
	ss.unack[x] = 0
}

// normalize expands planned steps until the earliest pending frame is
// known; it reports whether the session has frames left.
func (b *Builder) normalize(ss *session) bool {
	for ss.step != stepNone && (ss.head == len(ss.pend) || ss.nextAt <= ss.pend[ss.head].t) {
		b.expand(ss)
	}
	return ss.head < len(ss.pend)
}

func (b *Builder) schedule(ss *session) {
	if !b.normalize(ss) {
		b.release(ss)
		return
	}
	b.q = append(b.q, qent{t: ss.pend[ss.head].t, id: ss.id, s: ss})
	b.up(len(b.q) - 1)
}

func (b *Builder) less(i, j int) bool {
	qi, qj := &b.q[i], &b.q[j]
	return qi.t < qj.t || qi.t == qj.t && qi.id < qj.id
}

func (b *Builder) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !b.less(i, p) {
			break
		}
		b.q[i], b.q[p] = b.q[p], b.q[i]
		i = p
	}
}

func (b *Builder) down(i int) {
	n := len(b.q)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && b.less(r, l) {
			m = r
		}
		if !b.less(m, i) {
			return
		}
		b.q[i], b.q[m] = b.q[m], b.q[i]
		i = m
	}
}

// drain writes every frame due at or before limit.
func (b *Builder) drain(limit int64) {
	for len(b.q) > 0 && b.err == nil {
		if b.q[0].t > limit {
			return
		}
		b.step()
	}
}

// step writes the earliest pending frame of all sessions.
func (b *Builder) step() {
	ss := b.q[0].s
	p := &ss.pend[ss.head]
	if p.t > b.now {
		b.now = p.t
	}
	b.write(ss, p)
	ss.head++
	ss.sent++
	if ss.tally != nil {
		*ss.tally--
	}
	if (ss.limit > 0 && ss.sent >= ss.limit) || !b.normalize(ss) {
		n := len(b.q) - 1
		b.q[0] = b.q[n]
		b.q[n] = qent{}
		b.q = b.q[:n]
		if n > 0 {
			b.down(0)
		}
		b.release(ss)
		return
	}
	b.q[0].t = ss.pend[ss.head].t
	b.down(0)
}

// write builds the frame of p in the reused buffer and hands it over.
func (b *Builder) write(ss *session, p *pkt) {
	if b.err != nil {
		return
	}
	var f []byte
	if ss.kind == kindRaw {
		f = ss.raw[:ss.rawLen]
	} else {
		f = b.frame[:0]
		src, dst := &ss.hosts[p.dir], &ss.hosts[1-p.dir]
		f = append(f, dst.MAC[:]...)
		f = append(f, src.MAC[:]...)
		if ss.vlan != 0 {
			f = append(f, 0x81, 0x00, byte(ss.vlan>>8)&0x0f, byte(ss.vlan))
		}
		ipAt := len(f) + 2 // after the EtherType
		sport, dport := ss.ports[p.dir], ss.ports[1-p.dir]
		if ss.kind == kindTCP {
			f = ss.appendIP(f, p.dir, 6, tcpLen(p)+len(p.data))
			f = appendTCP(f, sport, dport, p, ss.mss)
		} else {
			if len(p.data) > mtu-udpOverhead(ss.v6) {
				b.err = ErrDatagram
				return
			}
			f = ss.appendIP(f, p.dir, 17, 8+len(p.data))
			f = binary.BigEndian.AppendUint16(f, sport)
			f = binary.BigEndian.AppendUint16(f, dport)
			f = binary.BigEndian.AppendUint16(f, uint16(8+len(p.data)))
			f = append(f, 0, 0)
		}
		dataAt := len(f)
		f = append(f, p.data...)
		applyPatch(f[dataAt:], p)
		l4At := ipAt + ipHeaderLen(ss.v6)
		finishL4(f[ipAt:l4At], f[l4At:], ss.kind == kindTCP, ss.v6)
		for len(f) < minFrame {
			f = append(f, 0)
		}
	}
	if err := b.w.WritePacket(p.t, f, len(f)); err != nil {
		b.err = err
		return
	}
	b.n++
	b.bytes += int64(len(f))
	if b.n%progressEvery == 0 && b.progress != nil {
		b.progress()
	}
}

func udpOverhead(v6 bool) int {
	if v6 {
		return 48
	}
	return 28
}

func ipHeaderLen(v6 bool) int {
	if v6 {
		return 40
	}
	return 20
}

func tcpLen(p *pkt) int {
	if p.flags&tcpSYN != 0 {
		return 32
	}
	return 20
}

// appendIP appends the EtherType and the IP header for an L4 segment of
// l4len bytes (RFC 791 §3.1; RFC 8200 §3). The IPv4 checksum is filled;
// the L4 checksum is filled by finishL4.
func (ss *session) appendIP(f []byte, dir uint8, proto uint8, l4len int) []byte {
	src, dst := &ss.hosts[dir], &ss.hosts[1-dir]
	if ss.v6 {
		f = append(f, 0x86, 0xdd)
		f = binary.BigEndian.AppendUint32(f, 6<<28|ss.label)
		f = binary.BigEndian.AppendUint16(f, uint16(l4len))
		f = append(f, proto, ss.ttl[dir])
		s16, d16 := src.IP.As16(), dst.IP.As16()
		f = append(f, s16[:]...)
		return append(f, d16[:]...)
	}
	f = append(f, 0x08, 0x00)
	start := len(f)
	frag := uint16(0)
	if proto == 6 {
		frag = 0x4000 // DF
	}
	ss.ipid[dir]++
	f = append(f, 0x45, 0)
	f = binary.BigEndian.AppendUint16(f, uint16(20+l4len))
	f = binary.BigEndian.AppendUint16(f, ss.ipid[dir])
	f = binary.BigEndian.AppendUint16(f, frag)
	f = append(f, ss.ttl[dir], proto, 0, 0)
	s4, d4 := src.IP.As4(), dst.IP.As4()
	f = append(f, s4[:]...)
	f = append(f, d4[:]...)
	h := f[start:]
	binary.BigEndian.PutUint16(h[10:], ^fold(sum(0, h)))
	return f
}

// appendTCP appends a TCP header (RFC 9293 §3.1). SYNs carry MSS, window
// scale 8 and SACK-permitted options (RFC 9293 §3.2, RFC 7323 §2, RFC 2018).
func appendTCP(f []byte, sport, dport uint16, p *pkt, mss int) []byte {
	f = binary.BigEndian.AppendUint16(f, sport)
	f = binary.BigEndian.AppendUint16(f, dport)
	f = binary.BigEndian.AppendUint32(f, p.seq)
	f = binary.BigEndian.AppendUint32(f, p.ack)
	if p.flags&tcpSYN != 0 {
		f = append(f, 8<<4, p.flags)
		f = binary.BigEndian.AppendUint16(f, 64240)
		f = append(f, 0, 0, 0, 0) // checksum, urgent pointer
		f = append(f, 2, 4, byte(mss>>8), byte(mss), 1, 3, 3, 8, 1, 1, 4, 2)
		return f
	}
	f = append(f, 5<<4, p.flags)
	f = binary.BigEndian.AppendUint16(f, 1026) // ×256 = 262656 bytes
	return append(f, 0, 0, 0, 0)
}

// finishL4 fills the TCP or UDP checksum over the pseudo-header (RFC 9293
// §3.1, RFC 768, RFC 8200 §8.1).
func finishL4(ip, l4 []byte, tcp bool, v6 bool) {
	var s uint64
	proto := uint64(17)
	if tcp {
		proto = 6
	}
	if v6 {
		s = sum(0, ip[8:40])
	} else {
		s = sum(0, ip[12:20])
	}
	s += proto + uint64(len(l4))
	s = sum(s, l4)
	c := ^fold(s)
	at := 6
	if tcp {
		at = 16
	} else if c == 0 {
		c = 0xffff // RFC 768: a computed zero is sent as all ones
	}
	binary.BigEndian.PutUint16(l4[at:], c)
}

// sum adds b to the one's-complement accumulator s, 32 bits at a time.
func sum(s uint64, b []byte) uint64 {
	for len(b) >= 8 {
		s += uint64(binary.BigEndian.Uint32(b)) + uint64(binary.BigEndian.Uint32(b[4:]))
		b = b[8:]
	}
	if len(b) >= 4 {
		s += uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

func fold(s uint64) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// applyPatch writes the session counter into the bytes of the segment.
func applyPatch(d []byte, p *pkt) {
	at := p.patchAt
	switch p.patch {
	case patchBE16:
		if at >= 0 && at+2 <= len(d) {
			binary.BigEndian.PutUint16(d[at:], uint16(p.ctr))
		}
	case patchLE16:
		if at >= 0 && at+2 <= len(d) {
			binary.LittleEndian.PutUint16(d[at:], uint16(p.ctr))
		}
	case patchLE32:
		if at >= 0 && at+4 <= len(d) {
			binary.LittleEndian.PutUint32(d[at:], p.ctr)
		}
	case patchRTP:
		if at >= 0 && at+6 <= len(d) {
			binary.BigEndian.PutUint16(d[at:], uint16(p.ctr))
			binary.BigEndian.PutUint32(d[at+2:], p.ctr*9000)
		}
	}
}

// portSet hands out one host's ephemeral ports in turn, as host stacks do,
// skipping the ports its open conversations hold, so that a new
// conversation never takes the 5-tuple of one still open.
type portSet struct {
	lo, hi uint16 // the range, inclusive
	next   uint16
	busy   [1024]uint64 // one bit per port
}

// newPortSet returns the ephemeral range of a host, starting at offset
// start into it: Windows stacks (initial TTL 128) use 49152–65535 (RFC 6335
// §6), others Linux's 32768–60999.
func newPortSet(ttl uint8, start uint16) *portSet {
	p := &portSet{lo: 32768, hi: 60999}
	if ttl == 128 {
		p.lo, p.hi = 49152, 65535
	}
	p.next = p.lo + start%(p.hi-p.lo+1)
	return p
}

// take returns the next free port and marks it held. When every port of
// the range is held it returns the next one anyway.
func (p *portSet) take() uint16 {
	n := int(p.hi-p.lo) + 1
	port := p.next
	for range n {
		if p.busy[port>>6]&(1<<(port&63)) == 0 {
			break
		}
		port = p.after(port)
	}
	p.busy[port>>6] |= 1 << (port & 63)
	p.next = p.after(port)
	return port
}

func (p *portSet) after(port uint16) uint16 {
	if port >= p.hi {
		return p.lo
	}
	return port + 1
}

func (p *portSet) free(port uint16) { p.busy[port>>6] &^= 1 << (port & 63) }
