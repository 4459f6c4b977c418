package decode

import (
	"encoding/binary"
	"net/netip"
)

// Packet builders for hand-made test frames. Lengths and counts are filled
// in from the parts; tests that want bad values patch the bytes afterwards
// with put16.

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// put16 returns a copy of b with the 16-bit big-endian value v at off.
func put16(b []byte, off int, v uint16) []byte {
	c := append([]byte(nil), b...)
	binary.BigEndian.PutUint16(c[off:], v)
	return c
}

// put8 returns a copy of b with v at off.
func put8(b []byte, off int, v byte) []byte {
	c := append([]byte(nil), b...)
	c[off] = v
	return c
}

func bytesN(n int, fill byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = fill + byte(i)
	}
	return b
}

var (
	macA = [6]byte{0x00, 0x1d, 0x9c, 0xc8, 0x03, 0xe7}
	macB = [6]byte{0xac, 0x64, 0x17, 0x46, 0x0d, 0x51}

	ip4A = netip.MustParseAddr("192.168.0.1")
	ip4B = netip.MustParseAddr("192.168.0.3")
	ip6A = netip.MustParseAddr("fe80::21d:9cff:fec8:3e7")
	ip6B = netip.MustParseAddr("2001:db8::502")
)

// eth builds an Ethernet header: dst, src, then the type and any tags given
// as a flat list of 16-bit words (e.g. 0x8100, 10, 0x0800).
func eth(dst, src [6]byte, words ...uint16) []byte {
	b := cat(dst[:], src[:])
	for _, w := range words {
		b = append(b, u16(w)...)
	}
	return b
}

type ip4 struct {
	src, dst netip.Addr
	proto    uint8
	ttl      uint8
	flags    uint16 // flags and fragment offset word
	options  []byte // multiple of 4
	payload  []byte
}

func (h ip4) bytes() []byte {
	ihl := 20 + len(h.options)
	b := make([]byte, 20, ihl+len(h.payload))
	b[0] = 0x40 | byte(ihl/4)
	binary.BigEndian.PutUint16(b[2:], uint16(ihl+len(h.payload)))
	binary.BigEndian.PutUint16(b[4:], 0x1234)
	binary.BigEndian.PutUint16(b[6:], h.flags)
	b[8] = h.ttl
	b[9] = h.proto
	s, d := h.src.As4(), h.dst.As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	return cat(b, h.options, h.payload)
}

func ip6(src, dst netip.Addr, nh, hop uint8, payload []byte) []byte {
	b := make([]byte, 40)
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6] = nh
	b[7] = hop
	s, d := src.As16(), dst.As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return cat(b, payload)
}

// ext6 builds an IPv6 extension header in the RFC 8200 common format with
// n 8-byte units in all.
func ext6(nh uint8, n int) []byte {
	b := make([]byte, 8*n)
	b[0] = nh
	b[1] = byte(n - 1)
	b[2] = 1 // a Pad1 option, anything goes
	return b
}

// frag6 builds an IPv6 fragment header.
func frag6(nh uint8, off uint16, more bool) []byte {
	b := make([]byte, 8)
	b[0] = nh
	w := off &^ 7
	if more {
		w |= 1
	}
	binary.BigEndian.PutUint16(b[2:], w)
	binary.BigEndian.PutUint32(b[4:], 0xcafe)
	return b
}

// ah6 builds an authentication header with a 12-byte ICV (24 bytes).
func ah6(nh uint8) []byte {
	b := make([]byte, 24)
	b[0] = nh
	b[1] = 24/4 - 2
	binary.BigEndian.PutUint32(b[4:], 0x100) // SPI
	binary.BigEndian.PutUint32(b[8:], 7)     // sequence
	return b
}

type tcpHdr struct {
	sport, dport uint16
	seq, ack     uint32
	flags        uint8
	win          uint16
	options      []byte // multiple of 4
	payload      []byte
}

func (h tcpHdr) bytes() []byte {
	off := 20 + len(h.options)
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b, h.sport)
	binary.BigEndian.PutUint16(b[2:], h.dport)
	binary.BigEndian.PutUint32(b[4:], h.seq)
	binary.BigEndian.PutUint32(b[8:], h.ack)
	b[12] = byte(off/4) << 4
	b[13] = h.flags
	binary.BigEndian.PutUint16(b[14:], h.win)
	return cat(b, h.options, h.payload)
}

func udp(sport, dport uint16, payload []byte) []byte {
	return cat(u16(sport), u16(dport), u16(uint16(8+len(payload))), u16(0), payload)
}

func icmp(typ, code uint8, payload []byte) []byte {
	return cat([]byte{typ, code, 0, 0}, payload)
}

func arp(op uint16, sha [6]byte, spa netip.Addr, tha [6]byte, tpa netip.Addr) []byte {
	s, t := spa.As4(), tpa.As4()
	return cat(u16(1), u16(0x0800), []byte{6, 4}, u16(op), sha[:], s[:], tha[:], t[:])
}

func sll(pkttype, hatype uint16, addr []byte, proto uint16) []byte {
	a := make([]byte, 8)
	copy(a, addr)
	return cat(u16(pkttype), u16(hatype), u16(uint16(len(addr))), a, u16(proto))
}

func sll2(proto uint16, ifindex uint32, hatype uint16, pkttype uint8, addr []byte) []byte {
	a := make([]byte, 8)
	copy(a, addr)
	return cat(u16(proto), u16(0), u32(ifindex), u16(hatype), []byte{pkttype, byte(len(addr))}, a)
}

func nullHdr(af uint32, bigEndian bool) []byte {
	if bigEndian {
		return u32(af)
	}
	return binary.LittleEndian.AppendUint32(nil, af)
}

// Reference packets used by several tests (table, truncation, allocations,
// fuzz seeds, benchmarks).
var (
	s7Payload = bytesN(19, 0x03)

	// Ethernet, VLAN 10, IPv4, TCP with 12 bytes of options and a payload,
	// then 6 bytes of Ethernet padding the IPv4 total length cuts off.
	pktTCP4VLAN = cat(
		eth([6]byte{0, 0x0e, 0x8c, 0xf2, 0xa5, 0xa4}, macA, 0x8100, 0x200a, 0x0800),
		ip4{src: ip4A, dst: ip4B, proto: ProtoTCP, ttl: 64, flags: 0x4000,
			payload: tcpHdr{sport: 49154, dport: 102, seq: 934096608, ack: 1378466098,
				flags: TCPPsh | TCPAck, win: 63943, options: bytesN(12, 1), payload: s7Payload}.bytes()}.bytes(),
		make([]byte, 6),
	)

	// Ethernet, IPv6, hop-by-hop (8), routing (16), destination options
	// (8), UDP.
	pktUDP6Ext = cat(
		eth(macB, macA, 0x86dd),
		ip6(ip6A, ip6B, ip6HopByHop, 255, cat(
			ext6(ip6Routing, 1), ext6(ip6DestOpts, 2), ext6(ProtoUDP, 1),
			udp(2222, 44818, bytesN(24, 0x40)))),
	)

	pktARP = cat(
		eth([6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, macA, 0x0806),
		arp(ARPRequest, macA, ip4A, [6]byte{}, ip4B),
		make([]byte, 18),
	)

	// Linux cooked v2, IPv6, TCP SYN.
	pktSLL2 = cat(
		sll2(0x86dd, 3, arphrdEther, 0, macB[:]),
		ip6(ip6B, ip6A, ProtoTCP, 64, tcpHdr{sport: 40000, dport: 502, seq: 1, flags: TCPSyn, win: 64240,
			options: []byte{2, 4, 5, 0xb4, 1, 1, 4, 2}}.bytes()),
	)

	// Linux cooked v1, IPv4, UDP.
	pktSLL = cat(
		sll(0, arphrdEther, macA[:], 0x0800),
		ip4{src: ip4A, dst: ip4B, proto: ProtoUDP, ttl: 128, payload: udp(53, 5353, bytesN(12, 0))}.bytes(),
	)
)
