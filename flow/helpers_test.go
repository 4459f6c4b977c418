package flow

import (
	"net/netip"
	"testing"
	"time"

	"harborwatch/decode"
)

// pkt describes a test packet compactly; build turns it into a
// decode.Packet as the decoder would fill it.
type pkt struct {
	src, dst string // "addr:port" for TCP/UDP, bare addresses otherwise
	proto    uint8
	flags    uint8
	seq      uint32
	vlan     uint16
	payload  int
	ipLen    int // 0: header size + payload
	ts       time.Duration
}

var (
	macA = [6]byte{0x00, 0x1d, 0x9c, 0x01, 0x02, 0x03}
	macB = [6]byte{0x00, 0x0e, 0x8c, 0x0a, 0x0b, 0x0c}
)

func parseEndpoint(tb testing.TB, s string) (netip.Addr, uint16) {
	tb.Helper()
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), ap.Port()
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		tb.Fatalf("bad endpoint %q", s)
	}
	return a, 0
}

func (k pkt) build(tb testing.TB) *decode.Packet {
	tb.Helper()
	p := &decode.Packet{HasEth: true, SrcMAC: macA, DstMAC: macB}
	var sp, dp uint16
	p.Src, sp = parseEndpoint(tb, k.src)
	p.Dst, dp = parseEndpoint(tb, k.dst)
	p.L3, p.EtherType = decode.L3IPv4, 0x0800
	hdr := 20
	if p.Src.Is6() {
		p.L3, p.EtherType, hdr = decode.L3IPv6, 0x86dd, 40
	}
	if k.vlan != 0 {
		p.VLANs[0], p.NVLAN = k.vlan, 1
	}
	p.Proto = k.proto
	if p.Proto == 0 {
		p.Proto = decode.ProtoTCP
	}
	switch p.Proto {
	case decode.ProtoTCP:
		p.HasL4, p.SrcPort, p.DstPort, p.TCPFlags, p.Seq = true, sp, dp, k.flags, k.seq
		hdr += 20
	case decode.ProtoUDP:
		p.HasL4, p.SrcPort, p.DstPort = true, sp, dp
		hdr += 8
	case decode.ProtoICMP, decode.ProtoICMPv6:
		p.HasL4, p.SrcPort, p.DstPort = true, 8, 0 // echo request
		hdr += 8
	}
	p.Payload = make([]byte, k.payload)
	p.IPLen = k.ipLen
	if p.IPLen == 0 {
		p.IPLen = hdr + k.payload
	}
	return p
}

const (
	syn    = decode.TCPSyn
	synack = decode.TCPSyn | decode.TCPAck
	ack    = decode.TCPAck
	psh    = decode.TCPPsh | decode.TCPAck
	fin    = decode.TCPFin | decode.TCPAck
	rst    = decode.TCPRst
	rstack = decode.TCPRst | decode.TCPAck
)

// ended records OnEnd calls.
type ended struct {
	Key    Key
	Client Endpoint
	Reason EndReason
	Last   int64
	X      int
}

func recorder(log *[]ended) func(*Flow[int], EndReason) {
	return func(f *Flow[int], r EndReason) {
		*log = append(*log, ended{f.Key, f.Client, r, f.Last, f.X})
	}
}

// check verifies the table's internal invariants: every live flow is on the
// list of its class, lists are ordered by stamp and linked both ways, every
// live flow is found by its key, free and live flows add up to the slabs,
// and the counters balance.
func (t *Table[X]) check(tb testing.TB) {
	tb.Helper()
	live := 0
	for _, s := range t.slabs {
		for j := range s {
			if s[j].live {
				live++
			}
		}
	}
	if live != int(t.n) {
		tb.Fatalf("live flows %d, n %d", live, t.n)
	}
	if t.n > t.maxFlows || t.nalloc > t.maxFlows {
		tb.Fatalf("n %d nalloc %d over max %d", t.n, t.nalloc, t.maxFlows)
	}
	onLists := 0
	for c := range t.lists {
		prev := int32(nilIdx)
		for i := t.lists[c].head; i != nilIdx; i = t.at(i).next {
			f := t.at(i)
			if !f.live || int(f.class) != c || classOf(f) != f.class || f.prev != prev {
				tb.Fatalf("list %d: flow %d live %v class %d/%d prev %d want %d", c, i, f.live, f.class, classOf(f), f.prev, prev)
			}
			if prev != nilIdx && t.at(prev).stamp < f.stamp {
				tb.Fatalf("list %d not ordered by stamp at %d", c, i)
			}
			if got := t.lookup(f.hash, &f.Key); got != i {
				tb.Fatalf("flow %d (%v) found at %d", i, f.Key, got)
			}
			if f.hash != t.hashKey(&f.Key) {
				tb.Fatalf("flow %d: stale hash", i)
			}
			prev = i
			onLists++
		}
		if t.lists[c].tail != prev {
			tb.Fatalf("list %d tail %d, want %d", c, t.lists[c].tail, prev)
		}
	}
	if onLists != live {
		tb.Fatalf("%d flows on lists, %d live", onLists, live)
	}
	nfree := 0
	for i := t.free; i != nilIdx; i = t.at(i).next {
		if t.at(i).live {
			tb.Fatalf("live flow %d on free list", i)
		}
		nfree++
		if nfree > int(t.nalloc) {
			tb.Fatal("free list loops")
		}
	}
	if nfree+live != int(t.nalloc) {
		tb.Fatalf("free %d + live %d != allocated %d", nfree, live, t.nalloc)
	}
	s := t.Stats()
	if s.Created != s.Active+s.Expired+s.Evicted+s.Flushed {
		tb.Fatalf("stats do not balance: %+v", s)
	}
	if s.Peak < s.Active || s.Reused > s.Expired {
		tb.Fatalf("stats: %+v", s)
	}
}
