package flow

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"net/netip"
	"time"
	"unsafe"

	"harborwatch/decode"
)

// Endpoint is one side of a flow.
type Endpoint struct {
	Addr netip.Addr
	Port uint16  // TCP or UDP port; 0 for other protocols
	MAC  [6]byte // link-layer address this side's packets came from (zero if never seen)
}

// Flow is one bidirectional conversation. The Table owns its memory: the
// pointer Packet returns stays valid until the flow ends (OnEnd returns),
// after which the same memory holds another flow. Callers must not keep it
// past OnEnd.
type Flow[X any] struct {
	Key            Key
	Client, Server Endpoint // Client is the initiator (see Table.Packet)
	VLAN           uint16   // innermost VLAN id, as in Key
	Proto          uint8    // IP protocol, as in Key
	State          State    // TCP state; None for other protocols
	Handshake      bool     // the initiator is known from a SYN or SYN-ACK
	Packets        [2]uint64
	Bytes          [2]uint64 // IP-level bytes (decode.Packet.IPLen), indexed by Dir
	Payload        [2]uint64 // captured L4 payload bytes, indexed by Dir
	First, Last    int64     // timestamps of the first and last packet, ns
	X              X         // the caller's per-flow state, zero when the flow starts

	// Table bookkeeping.
	hash       uint64 // seeded bucket hash of Key
	stamp      int64  // table clock when last touched; orders the idle lists
	prev, next int32  // idle list links; next also links the free list
	hnext      int32  // bucket chain
	isn        uint32 // sequence number of the client's SYN (when synSeen)
	class      uint8  // idle list the flow is on
	fin        uint8  // bit per Dir: a FIN was seen from that side
	synSeen    bool
	live       bool
}

// Options configure a Table. Zero values select the defaults.
type Options[X any] struct {
	// MaxFlows bounds the table: when it is full, the least recently used
	// flow is evicted (Stats.Evicted, OnEnd with Evicted). Default 1<<20;
	// values above 1<<30 are lowered to 1<<30.
	MaxFlows int

	// Idle timeouts, on packet time: a flow ends (Expired) once the table's
	// clock is more than its timeout past the flow's last packet. TCP flows
	// default to 5m, UDP to 1m, other protocols (ICMP, …) to 1m. TCP flows
	// that are Closed or Reset use ClosedTimeout, default 10s.
	TCPTimeout, UDPTimeout, OtherTimeout, ClosedTimeout time.Duration

	// OnEnd, if not nil, is called when a flow ends, before its memory is
	// reused. The flow is valid only during the call; OnEnd must copy what
	// it keeps and must not call methods of the Table.
	OnEnd func(f *Flow[X], reason EndReason)
}

// Default option values.
const (
	DefaultMaxFlows      = 1 << 20
	DefaultTCPTimeout    = 5 * time.Minute
	DefaultUDPTimeout    = time.Minute
	DefaultOtherTimeout  = time.Minute
	DefaultClosedTimeout = 10 * time.Second
)

// Stats count what a Table did. Created = Active + Expired + Evicted + Flushed
// at all times.
type Stats struct {
	Created uint64 // flows started
	Active  uint64 // flows in the table now
	Expired uint64 // flows ended idle, or replaced by a new connection (Reused)
	Evicted uint64 // flows ended because the table was full
	Flushed uint64 // flows ended by Flush
	Reused  uint64 // of Expired: TCP flows ended by a new SYN on the same ports
	Skipped uint64 // packets that belong to no flow (non-first fragments, no L4 header, no IP)
	Peak    uint64 // most flows in the table at once
}

// Idle list classes: one list per timeout.
const (
	classTCP = iota
	classUDP
	classOther
	classClosed
	numClasses
)

const (
	nilIdx    = -1
	slabShift = 12 // flows are allocated 4096 at a time
	slabSize  = 1 << slabShift
	slabMask  = slabSize - 1
	maxLimit  = 1 << 30 // flow indexes are int32
	// The clock is clamped to [0, maxClock] and timeouts to maxTimeout so
	// that stamp + timeout cannot overflow, whatever a capture file claims.
	maxClock   = 1 << 62 // year 2116
	maxTimeout = 1 << 61
	// expireBatch bounds the flows ended idle in one call to Packet.
	expireBatch = 64
)

type list struct{ head, tail int32 }

// Table is a bidirectional flow table with bounded memory. It is not safe
// for concurrent use: the pipeline gives each worker shard its own Table and
// sends every packet of a flow to the same shard (see Hash).
type Table[X any] struct {
	maxFlows int32
	timeout  [numClasses]int64
	onEnd    func(*Flow[X], EndReason)

	slabs  [][]Flow[X] // slab i holds flows i<<slabShift …
	nalloc int32       // flows allocated in slabs
	free   int32       // free list head

	buckets []int32 // chain heads, len a power of two
	seed    maphash.Seed

	lists     [numClasses]list // idle lists, most recently used first
	n         int32            // live flows
	now       int64            // table clock: the latest packet time seen
	nextCheck int64            // no flow can be idle past its timeout before this time

	stats Stats
}

// New returns an empty Table. Memory for flows is allocated as flows are
// created, 4096 at a time, up to MaxFlows, and reused after that.
func New[X any](opts Options[X]) *Table[X] {
	t := &Table[X]{
		maxFlows: int32(DefaultMaxFlows),
		onEnd:    opts.OnEnd,
		free:     nilIdx,
		seed:     maphash.MakeSeed(),
	}
	if opts.MaxFlows > 0 {
		t.maxFlows = int32(min(opts.MaxFlows, maxLimit))
	}
	t.timeout[classTCP] = orDefault(opts.TCPTimeout, DefaultTCPTimeout)
	t.timeout[classUDP] = orDefault(opts.UDPTimeout, DefaultUDPTimeout)
	t.timeout[classOther] = orDefault(opts.OtherTimeout, DefaultOtherTimeout)
	t.timeout[classClosed] = orDefault(opts.ClosedTimeout, DefaultClosedTimeout)
	for c := range t.lists {
		t.lists[c] = list{nilIdx, nilIdx}
	}
	t.buckets = newBuckets(min(t.maxFlows, slabSize))
	return t
}

func orDefault(d, def time.Duration) int64 {
	if d <= 0 {
		return int64(def)
	}
	return min(int64(d), maxTimeout)
}

// newBuckets returns a chain-head array of at least n (a power of two, at
// least 16) empty buckets.
func newBuckets(n int32) []int32 {
	size := max(16, 1<<bits.Len32(uint32(n-1)))
	b := make([]int32, size)
	for i := range b {
		b[i] = nilIdx
	}
	return b
}

// EntrySize returns the approximate memory one flow of a Table[X] takes:
// the Flow itself plus its share of the bucket array. It does not count
// memory X points to. A memory budget in bytes divided by EntrySize gives
// MaxFlows.
func EntrySize[X any]() uintptr {
	var f Flow[X]
	// Buckets are rounded up to a power of two: at most 2 int32 per flow.
	return unsafe.Sizeof(f) + 2*unsafe.Sizeof(int32(0))
}

// Mem returns the bytes the table has allocated: its flows (live or free,
// allocated a slab at a time) and its buckets. It does not count memory X
// points to.
func (t *Table[X]) Mem() int64 {
	var f Flow[X]
	return int64(t.nalloc)*int64(unsafe.Sizeof(f)) + int64(len(t.buckets))*int64(unsafe.Sizeof(int32(0)))
}

// Len returns the number of flows in the table.
func (t *Table[X]) Len() int { return int(t.n) }

// Stats returns the table's counters.
func (t *Table[X]) Stats() Stats {
	s := t.stats
	s.Active = uint64(t.n)
	return s
}

func (t *Table[X]) at(i int32) *Flow[X] {
	return &t.slabs[i>>slabShift][i&slabMask]
}

// Packet finds or creates the flow of p, counts p in it, advances its TCP
// state and marks it most recently used. It returns the flow, the direction
// of p within it and whether p started it. ts is the packet's time in ns; it
// drives the idle timeouts (the table's clock is the latest ts seen, so a
// packet that is late does not move it back).
//
// The caller passes only IPv4 and IPv6 packets. Packets that cannot be put
// in a flow return a nil flow and count in Stats.Skipped: IPv4 fragments
// other than the first (they carry no ports; the caller should not pass
// them), TCP or UDP packets whose header was not decoded, and packets
// without an IP layer.
//
// The client of a new flow is the sender of a SYN without ACK, the receiver
// of a SYN-ACK, and otherwise the sender of the first packet, unless that
// packet goes from a server's port to a client's ephemeral one (serverSide,
// see the package documentation), in which case its receiver. A SYN without ACK on a flow
// that is Closed or Reset (unless it repeats the flow's own SYN), or FinWait
// and idle for more than ClosedTimeout, ends that flow (Expired,
// Stats.Reused) and starts a new one: the ports were reused for a new
// connection.
func (t *Table[X]) Packet(p *decode.Packet, ts int64) (f *Flow[X], dir Dir, isNew bool) {
	if c := min(max(ts, 0), maxClock); c > t.now {
		t.now = c
	}
	if t.now > t.nextCheck {
		t.expire()
	}
	if (p.L3 != decode.L3IPv4 && p.L3 != decode.L3IPv6) ||
		(p.Frag && p.FragOff != 0) ||
		(!p.HasL4 && (p.Proto == decode.ProtoTCP || p.Proto == decode.ProtoUDP)) {
		t.stats.Skipped++
		return nil, 0, false
	}
	k, _ := KeyOf(p)
	h := t.hashKey(&k)
	i := t.lookup(h, &k)
	if i != nilIdx {
		f = t.at(i)
		switch {
		case t.now-f.stamp > t.timeout[f.class]:
			t.end(i, Expired)
			i = nilIdx
		case t.reused(f, p):
			t.stats.Reused++
			t.end(i, Expired)
			i = nilIdx
		}
	}
	if i == nilIdx {
		i = t.create(h, &k, p, ts)
		isNew = true
	}
	f = t.at(i)
	dir = FromServer
	if sp, _ := ports(p); p.Src == f.Client.Addr && sp == f.Client.Port {
		dir = FromClient
	}
	f.Packets[dir]++
	f.Bytes[dir] += uint64(max(p.IPLen, 0))
	f.Payload[dir] += uint64(len(p.Payload))
	if ts < f.First {
		f.First = ts
	}
	if ts > f.Last {
		f.Last = ts
	}
	if p.HasEth {
		if e := f.endpoint(dir); e.MAC == ([6]byte{}) {
			e.MAC = p.SrcMAC
		}
	}
	if f.Proto == decode.ProtoTCP {
		f.State = tcpStep(f.State, &f.fin, dir, p.TCPFlags)
	}
	t.touch(i, f)
	return f, dir, isNew
}

func (f *Flow[X]) endpoint(d Dir) *Endpoint {
	if d == FromClient {
		return &f.Client
	}
	return &f.Server
}

// reused reports whether p, a packet of flow f, opens a new connection on
// the same ports.
func (t *Table[X]) reused(f *Flow[X], p *decode.Packet) bool {
	if f.Proto != decode.ProtoTCP || p.TCPFlags&(decode.TCPSyn|decode.TCPAck|decode.TCPRst) != decode.TCPSyn {
		return false
	}
	switch f.State {
	case Closed, Reset:
		// A retransmission of the SYN that opened f is not a new connection.
		return !(f.synSeen && p.Seq == f.isn && p.Src == f.Client.Addr && p.SrcPort == f.Client.Port)
	case FinWait:
		return t.now-f.stamp > t.timeout[classClosed]
	}
	return false
}

// hashKey is the bucket hash: seeded per table, so a sender cannot choose
// addresses that collide in every table.
func (t *Table[X]) hashKey(k *Key) uint64 {
	var b [39]byte
	a16, b16 := k.A.As16(), k.B.As16()
	copy(b[0:16], a16[:])
	copy(b[16:32], b16[:])
	binary.BigEndian.PutUint16(b[32:], k.APort)
	binary.BigEndian.PutUint16(b[34:], k.BPort)
	binary.BigEndian.PutUint16(b[36:], k.VLAN)
	b[38] = k.Proto
	return maphash.Bytes(t.seed, b[:])
}

func (t *Table[X]) lookup(h uint64, k *Key) int32 {
	for i := t.buckets[h&uint64(len(t.buckets)-1)]; i != nilIdx; {
		f := t.at(i)
		if f.hash == h && f.Key == *k {
			return i
		}
		i = f.hnext
	}
	return nilIdx
}

// create starts a flow for key k with p as its first packet and returns its
// index. The memory comes from the free list, a new slab, or the least
// recently used flow, which is evicted.
func (t *Table[X]) create(h uint64, k *Key, p *decode.Packet, ts int64) int32 {
	// Grow the buckets with the table, keeping chains at about one flow.
	if t.n >= int32(len(t.buckets)) && int32(len(t.buckets)) < t.maxFlows {
		t.rehash(newBuckets(2 * int32(len(t.buckets))))
	}
	if t.free == nilIdx {
		if t.nalloc < t.maxFlows {
			t.grow()
		} else {
			t.end(t.oldest(), Evicted)
		}
	}
	i := t.free
	f := t.at(i)
	t.free = f.next

	f.Key = *k
	f.VLAN, f.Proto = k.VLAN, k.Proto
	f.First, f.Last = ts, ts
	f.hash = h
	f.live = true
	sp, dp := ports(p)
	clientIsSrc := true
	if f.Proto == decode.ProtoTCP {
		switch p.TCPFlags & (decode.TCPSyn | decode.TCPAck) {
		case decode.TCPSyn:
			f.State, f.Handshake = SynSent, true
			f.synSeen, f.isn = true, p.Seq
		case decode.TCPSyn | decode.TCPAck:
			f.State, f.Handshake = SynAckSeen, true
			clientIsSrc = false
		default:
			f.State = Midstream
			clientIsSrc = !serverSide(sp, dp)
		}
	} else {
		clientIsSrc = !serverSide(sp, dp)
	}
	src := Endpoint{Addr: p.Src, Port: sp}
	dst := Endpoint{Addr: p.Dst, Port: dp}
	if p.HasEth {
		src.MAC, dst.MAC = p.SrcMAC, p.DstMAC
	}
	if clientIsSrc {
		f.Client, f.Server = src, dst
	} else {
		f.Client, f.Server = dst, src
	}

	b := &t.buckets[h&uint64(len(t.buckets)-1)]
	f.hnext, *b = *b, i
	f.class = classOf(f)
	t.push(f.class, i, f)
	f.stamp = t.now
	t.n++
	t.stats.Created++
	t.stats.Peak = max(t.stats.Peak, uint64(t.n))
	return i
}

// grow allocates the next slab and puts its flows on the free list.
func (t *Table[X]) grow() {
	n := min(slabSize, t.maxFlows-t.nalloc)
	s := make([]Flow[X], n)
	base := t.nalloc
	for j := n - 1; j >= 0; j-- {
		s[j].next = t.free
		t.free = base + j
	}
	t.slabs = append(t.slabs, s)
	t.nalloc += n
}

func (t *Table[X]) rehash(b []int32) {
	mask := uint64(len(b) - 1)
	for si, s := range t.slabs {
		for j := range s {
			f := &s[j]
			if !f.live {
				continue
			}
			head := &b[f.hash&mask]
			f.hnext, *head = *head, int32(si)<<slabShift|int32(j)
		}
	}
	t.buckets = b
}

// classOf returns the idle list, and so the timeout, that applies to f.
func classOf[X any](f *Flow[X]) uint8 {
	switch f.Proto {
	case decode.ProtoTCP:
		if f.State == Closed || f.State == Reset {
			return classClosed
		}
		return classTCP
	case decode.ProtoUDP:
		return classUDP
	}
	return classOther
}

// push puts flow i at the head of list c.
func (t *Table[X]) push(c uint8, i int32, f *Flow[X]) {
	l := &t.lists[c]
	f.prev, f.next = nilIdx, l.head
	if l.head != nilIdx {
		t.at(l.head).prev = i
	} else {
		l.tail = i
	}
	l.head = i
}

// unlink takes f off its idle list.
func (t *Table[X]) unlink(f *Flow[X]) {
	l := &t.lists[f.class]
	if f.prev != nilIdx {
		t.at(f.prev).next = f.next
	} else {
		l.head = f.next
	}
	if f.next != nilIdx {
		t.at(f.next).prev = f.prev
	} else {
		l.tail = f.prev
	}
}

// touch marks flow i used now: it moves to the head of the list of its
// (possibly new) class, which keeps every list ordered by stamp.
func (t *Table[X]) touch(i int32, f *Flow[X]) {
	c := classOf(f)
	if c != f.class || t.lists[c].head != i {
		t.unlink(f)
		f.class = c
		t.push(c, i, f)
	}
	f.stamp = t.now
	t.nextCheck = min(t.nextCheck, t.now+t.timeout[c])
}

// end ends flow i: OnEnd, then the flow leaves its list and bucket, is zeroed
// (dropping what X references) and goes on the free list.
func (t *Table[X]) end(i int32, r EndReason) {
	f := t.at(i)
	if t.onEnd != nil {
		t.onEnd(f, r)
	}
	switch r {
	case Expired:
		t.stats.Expired++
	case Evicted:
		t.stats.Evicted++
	case Flushed:
		t.stats.Flushed++
	}
	t.unlink(f)
	b := &t.buckets[f.hash&uint64(len(t.buckets)-1)]
	for *b != i {
		b = &t.at(*b).hnext
	}
	*b = f.hnext
	*f = Flow[X]{}
	f.next = t.free
	t.free = i
	t.n--
}

// oldest returns the least recently used flow: the tail with the smallest
// stamp. The table must not be empty.
func (t *Table[X]) oldest() int32 {
	v := int32(nilIdx)
	var vs int64
	for c := range t.lists {
		if i := t.lists[c].tail; i != nilIdx {
			if s := t.at(i).stamp; v == nilIdx || s < vs {
				v, vs = i, s
			}
		}
	}
	return v
}

// expire ends up to expireBatch flows that are idle past their timeout,
// oldest first within each list, and sets nextCheck to the earliest time
// another flow can become due. Each list is ordered by stamp and all its
// flows share one timeout, so only its tail needs checking. Flows left over
// past the batch are due at once, so the next call continues; a packet of
// such a flow still starts a new one (see Packet).
func (t *Table[X]) expire() {
	budget := expireBatch
	next := int64(1<<63 - 1)
	for c := range t.lists {
		to := t.timeout[c]
		for {
			i := t.lists[c].tail
			if i == nilIdx {
				break
			}
			s := t.at(i).stamp
			if t.now-s <= to || budget == 0 {
				next = min(next, s+to)
				break
			}
			t.end(i, Expired)
			budget--
		}
	}
	t.nextCheck = next
}

// Flush ends every flow, least recently used first, with OnEnd(Flushed). The
// table is empty afterwards and keeps its memory for reuse.
func (t *Table[X]) Flush() {
	for t.n > 0 {
		t.end(t.oldest(), Flushed)
	}
}

// Each calls fn for each flow in the table, in memory order, until fn
// returns false. fn must not call methods of the Table.
func (t *Table[X]) Each(fn func(*Flow[X]) bool) {
	for _, s := range t.slabs {
		for j := range s {
			if s[j].live && !fn(&s[j]) {
				return
			}
		}
	}
}
