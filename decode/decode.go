package decode

import (
	"encoding/binary"
	"math/bits"
	"net/netip"

	"harborwatch/capture"
)

// EtherTypes (IEEE 802.3 §3.2.6 Length/Type; IEEE 802.1Q-2018 §9.5 tag
// protocol identifiers).
const (
	etherIPv4   = 0x0800
	etherARP    = 0x0806
	etherIPv6   = 0x86dd
	etherVLAN   = 0x8100 // 802.1Q C-tag
	etherQinQ   = 0x88a8 // 802.1ad S-tag
	etherQinQv1 = 0x9100 // pre-802.1ad vendor S-tag, still seen on switches
	// Length/Type values below this are an 802.3 length: an LLC frame follows.
	etherTypeMin = 0x0600
)

// Header lengths.
const (
	ethLen   = 14
	vlanLen  = 4
	sllLen   = 16
	sll2Len  = 20
	nullLen  = 4
	arpLen   = 28 // Ethernet/IPv4 ARP
	ipv4Min  = 20
	ipv6Len  = 40
	tcpMin   = 20
	udpLen   = 8
	icmpLen  = 4
	arpFixed = 8 // hardware type … opcode
)

// Linux ARPHRD_ device types carried in cooked headers (linux/if_arp.h).
const (
	arphrdEther   = 1
	arphrdNetlink = 824
)

// BSD loopback address families (LINKTYPE_NULL): AF_INET is 2 everywhere,
// AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD) or 30 (Darwin).
const (
	afInet         = 2
	afInet6BSD     = 24
	afInet6FreeBSD = 28
	afInet6Darwin  = 30
)

// IPv6 extension headers (RFC 8200 §4, IANA "IPv6 Extension Header Types").
const (
	ip6HopByHop = 0
	ip6Routing  = 43
	ip6Fragment = 44
	ip6ESP      = 50
	ip6AH       = 51
	ip6NoNext   = 59
	ip6DestOpts = 60
	ip6Mobility = 135
	ip6HIP      = 139
	ip6Shim6    = 140
	ip6Exp1     = 253
	ip6Exp2     = 254
)

// Decoder decodes link-layer frames into Packets and counts what it saw. The
// zero value is ready to use. A Decoder is not safe for concurrent use: give
// each goroutine its own and merge the counts with Errors.Add and
// Counters.Add.
type Decoder struct {
	Errors   Errors   // malformed headers, per layer
	Counters Counters // everything else
}

// Decode decodes one frame of the given link type into p, overwriting every
// field of p. p.Payload aliases data.
//
// On error Decode returns an *Error wrapping ErrTruncated, ErrMalformed or
// ErrUnsupportedLink and counts it in d.Errors at the failing layer; the
// fields of the layers below the failing one stay filled (a packet whose TCP
// header is bad still has its addresses) and the failing header's own
// fields are left zero (a bad IPv6 extension header leaves the fixed IPv6
// header's fields filled). A packet whose headers are whole but whose
// payload the capture cut short is not an error: p.Truncated is set and
// p.Payload holds what was captured.
func (d *Decoder) Decode(link capture.LinkType, data []byte, p *Packet) error {
	*p = Packet{}
	d.Counters.Packets++
	var err error
	switch link {
	case capture.LinkEthernet:
		err = d.ethernet(data, p)
	case capture.LinkLinuxSLL:
		err = d.sll(data, p)
	case capture.LinkLinuxSLL2:
		err = d.sll2(data, p)
	case capture.LinkRaw:
		err = d.rawIP(data, p)
	case capture.LinkIPv4:
		err = d.ipv4(data, p)
	case capture.LinkIPv6:
		err = d.ipv6(data, p)
	case capture.LinkNull:
		err = d.null(data, p)
	default:
		err = d.fail(LayerLink, kindUnsupported)
	}
	if p.Truncated && err == nil {
		d.Counters.Truncated++
	}
	return err
}

// Supports reports whether Decode knows the link type: for any other,
// Decode returns ErrUnsupportedLink. A caller that reads captures counts
// the packets of unsupported link types apart (they are not malformed:
// nothing here can read them).
func Supports(link capture.LinkType) bool {
	switch link {
	case capture.LinkEthernet, capture.LinkLinuxSLL, capture.LinkLinuxSLL2, capture.LinkRaw,
		capture.LinkIPv4, capture.LinkIPv6, capture.LinkNull:
		return true
	}
	return false
}

// fail counts a bad header at layer l and returns its error.
func (d *Decoder) fail(l Layer, k kind) error {
	d.Errors[l]++
	return &errTable[l][k]
}

// short returns the error for a header of need bytes of which the capture
// holds have and the enclosing header declares wire: malformed when even the
// declared length cannot hold the header, truncated when only the capture is
// short.
func (d *Decoder) short(l Layer, need, have, wire int) error {
	if need > wire {
		return d.fail(l, kindMalformed)
	}
	if need > have {
		return d.fail(l, kindTruncated)
	}
	return nil
}

// ethernet decodes an Ethernet II or 802.3 MAC header (IEEE 802.3 §3.2:
// destination, source, Length/Type).
func (d *Decoder) ethernet(b []byte, p *Packet) error {
	if len(b) < ethLen {
		return d.fail(LayerEthernet, kindTruncated)
	}
	p.HasEth = true
	p.DstMAC = [6]byte(b[0:6])
	p.SrcMAC = [6]byte(b[6:12])
	return d.ether(binary.BigEndian.Uint16(b[12:]), b[ethLen:], p)
}

// ether dispatches on an EtherType, first peeling VLAN tags (IEEE
// 802.1Q-2018 §9.6: TPID, then a TCI of PCP:3 DEI:1 VID:12, then the next
// Length/Type). Tags are taken in any order and depth; each costs 4 bytes,
// so the loop is bounded by the frame.
func (d *Decoder) ether(et uint16, b []byte, p *Packet) error {
	for et == etherVLAN || et == etherQinQ || et == etherQinQv1 {
		if len(b) < vlanLen {
			return d.fail(LayerVLAN, kindTruncated)
		}
		id := binary.BigEndian.Uint16(b) & 0x0fff
		if p.NVLAN == 0 {
			p.VLANs[0] = id
		} else {
			p.VLANs[1] = id
		}
		p.NVLAN++
		et = binary.BigEndian.Uint16(b[2:])
		b = b[vlanLen:]
	}
	if p.NVLAN > 0 {
		d.Counters.VLAN++
	}
	switch {
	case et == etherIPv4:
		p.EtherType = et
		return d.ipv4(b, p)
	case et == etherIPv6:
		p.EtherType = et
		return d.ipv6(b, p)
	case et == etherARP:
		p.EtherType = et
		return d.arp(b, p)
	case et < etherTypeMin:
		// 802.3 length field: an LLC (802.2) frame (CDP, STP, …), not
		// decoded here; Payload is the LLC header and what follows, cut to
		// the length field (the rest is Ethernet padding).
		p.LLC = true
		p.Payload = b[:min(int(et), len(b))]
		p.PayloadLen = int(et)
		d.other()
		return nil
	default:
		// Another EtherType (LLDP, PROFINET, …): Payload is what follows it.
		p.EtherType = et
		p.Payload = b
		p.PayloadLen = len(b)
		d.other()
		return nil
	}
}

// other counts a frame whose link payload is not decoded.
func (d *Decoder) other() {
	d.Counters.Other++
	d.Counters.NonIP++
}

// sll decodes a Linux cooked capture v1 header (tcpdump LINKTYPE_LINUX_SLL):
// packet type(2) ARPHRD type(2) address length(2) address(8) protocol(2).
func (d *Decoder) sll(b []byte, p *Packet) error {
	if len(b) < sllLen {
		return d.fail(LayerSLL, kindTruncated)
	}
	hatype := binary.BigEndian.Uint16(b[2:])
	halen := binary.BigEndian.Uint16(b[4:])
	cooked(hatype, int(halen), b[6:14], p)
	return d.cookedProto(hatype, binary.BigEndian.Uint16(b[14:]), b[sllLen:], p)
}

// sll2 decodes a Linux cooked capture v2 header (tcpdump
// LINKTYPE_LINUX_SLL2): protocol(2) reserved(2) interface index(4) ARPHRD
// type(2) packet type(1) address length(1) address(8).
func (d *Decoder) sll2(b []byte, p *Packet) error {
	if len(b) < sll2Len {
		return d.fail(LayerSLL2, kindTruncated)
	}
	hatype := binary.BigEndian.Uint16(b[8:])
	cooked(hatype, int(b[11]), b[12:20], p)
	return d.cookedProto(hatype, binary.BigEndian.Uint16(b), b[sll2Len:], p)
}

// cooked keeps the sender address of a cooked header when it is an Ethernet
// MAC (the only address kind Packet holds).
func cooked(hatype uint16, halen int, addr []byte, p *Packet) {
	if hatype == arphrdEther && halen == 6 {
		p.HasEth = true
		p.SrcMAC = [6]byte(addr)
	}
}

// sllLLC is the cooked headers' protocol value for an 802.2 LLC frame
// (Linux ETH_P_802_2).
const sllLLC = 0x0004

// cookedProto dispatches on a cooked header's protocol field: an EtherType,
// except for netlink devices and the small Linux values (802.2 LLC, 802.3
// Novell, CAN, …) which ether counts as Other.
func (d *Decoder) cookedProto(hatype, proto uint16, b []byte, p *Packet) error {
	switch {
	case hatype == arphrdNetlink:
		d.other()
		return nil
	case proto == sllLLC:
		// An 802.2 LLC frame whose length field the cooked header dropped.
		p.LLC = true
		p.Payload, p.PayloadLen = b, len(b)
		d.other()
		return nil
	case proto < etherTypeMin:
		// Other pseudo-protocols (Novell 802.3, CAN, …): not decoded.
		d.other()
		return nil
	}
	return d.ether(proto, b, p)
}

// null decodes a BSD loopback header (tcpdump LINKTYPE_NULL): a 4-byte
// address family in the byte order of the host that captured. Families are
// small numbers, so a value above 0xffff was written big-endian on a little-
// endian reader (or the reverse) and is swapped back.
func (d *Decoder) null(b []byte, p *Packet) error {
	if len(b) < nullLen {
		return d.fail(LayerNull, kindTruncated)
	}
	af := binary.LittleEndian.Uint32(b)
	if af > 0xffff {
		af = bits.ReverseBytes32(af)
	}
	switch af {
	case afInet:
		return d.ipv4(b[nullLen:], p)
	case afInet6BSD, afInet6FreeBSD, afInet6Darwin:
		return d.ipv6(b[nullLen:], p)
	}
	d.other()
	return nil
}

// rawIP decodes a packet without link header (LINKTYPE_RAW): the IP version
// is the first nibble. Anything that is not version 6 is judged as IPv4, so
// an empty packet or an unknown version counts at layer ipv4.
func (d *Decoder) rawIP(b []byte, p *Packet) error {
	if len(b) > 0 && b[0]>>4 == 6 {
		return d.ipv6(b, p)
	}
	return d.ipv4(b, p)
}

// arp decodes an ARP packet (RFC 826): hardware type(2) protocol type(2)
// hardware length(1) protocol length(1) opcode(2), then sender hardware and
// protocol addresses and target hardware and protocol addresses. Addresses
// are decoded for Ethernet/IPv4 only; other ARP packets keep just the
// opcode.
func (d *Decoder) arp(b []byte, p *Packet) error {
	if len(b) < arpFixed {
		return d.fail(LayerARP, kindTruncated)
	}
	htype := binary.BigEndian.Uint16(b)
	ptype := binary.BigEndian.Uint16(b[2:])
	if htype == arphrdEther && ptype == etherIPv4 {
		if b[4] != 6 || b[5] != 4 {
			return d.fail(LayerARP, kindMalformed)
		}
		if len(b) < arpLen {
			return d.fail(LayerARP, kindTruncated)
		}
		p.ARPSender = [6]byte(b[8:14])
		p.Src = netip.AddrFrom4([4]byte(b[14:18]))
		p.Dst = netip.AddrFrom4([4]byte(b[24:28]))
	}
	p.L3 = L3ARP
	p.ARPOp = binary.BigEndian.Uint16(b[6:])
	d.Counters.ARP++
	d.Counters.NonIP++
	return nil
}

// ipv4 decodes an IPv4 header (RFC 791 §3.1). Options are skipped. The total
// length cuts trailing link padding off the payload; a total length of 0 is
// taken as "the captured bytes", as Linux writes it for outgoing packets
// captured before TCP segmentation offload.
func (d *Decoder) ipv4(b []byte, p *Packet) error {
	if len(b) < ipv4Min {
		return d.fail(LayerIPv4, kindTruncated)
	}
	if b[0]>>4 != 4 {
		return d.fail(LayerIPv4, kindMalformed)
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < ipv4Min {
		return d.fail(LayerIPv4, kindMalformed)
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total == 0 {
		total = len(b)
	}
	if total < ihl {
		return d.fail(LayerIPv4, kindMalformed)
	}
	if len(b) < ihl {
		return d.fail(LayerIPv4, kindTruncated)
	}
	p.L3 = L3IPv4
	p.TTL = b[8]
	p.Proto = b[9]
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	p.IPLen = total
	d.Counters.IPv4++
	if total > len(b) {
		p.Truncated = true
	} else {
		b = b[:total]
	}
	// Flags(3) and fragment offset(13, in 8-byte units).
	ff := binary.BigEndian.Uint16(b[6:])
	off := (ff & 0x1fff) * 8
	if ff&0x2000 != 0 || off != 0 {
		p.Frag = true
		p.FragOff = off
		d.Counters.Fragments++
	}
	if off != 0 {
		p.Payload = b[ihl:]
		p.PayloadLen = total - ihl
		return nil
	}
	return d.transport(p.Proto, b[ihl:], total-ihl, p)
}

// ipv6 decodes an IPv6 header (RFC 8200 §3) and its extension headers (§4),
// leaving p.Proto at the first header that is not one. A payload length of
// 0 with a next header is a jumbogram (RFC 2675) or a packet captured before
// segmentation offload: the captured bytes are taken as its length.
func (d *Decoder) ipv6(b []byte, p *Packet) error {
	if len(b) < ipv6Len {
		return d.fail(LayerIPv6, kindTruncated)
	}
	if b[0]>>4 != 6 {
		return d.fail(LayerIPv6, kindMalformed)
	}
	wire := int(binary.BigEndian.Uint16(b[4:]))
	nh := b[6]
	rest := b[ipv6Len:]
	if wire == 0 && nh != ip6NoNext {
		wire = len(rest)
	}
	p.L3 = L3IPv6
	p.TTL = b[7]
	p.Src = netip.AddrFrom16([16]byte(b[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	p.IPLen = ipv6Len + wire
	d.Counters.IPv6++
	if wire > len(rest) {
		p.Truncated = true
	} else {
		rest = rest[:wire]
	}
	// Every extension header is at least 8 bytes, so this loop is bounded.
	for {
		var n int
		switch nh {
		case ip6HopByHop, ip6Routing, ip6DestOpts, ip6Mobility, ip6HIP, ip6Shim6, ip6Exp1, ip6Exp2:
			// RFC 8200 §4.3–4.6, RFC 6275 §6.1.1, RFC 7401 §5.1, RFC 5533
			// §5 (the RFC 7045 §4 common format): next header(1), length
			// in 8-byte units not counting the first 8.
			if err := d.short(LayerIPv6, 8, len(rest), wire); err != nil {
				return err
			}
			n = (int(rest[1]) + 1) * 8
		case ip6AH:
			// RFC 4302 §2.2: payload length in 4-byte units minus 2.
			if err := d.short(LayerIPv6, 8, len(rest), wire); err != nil {
				return err
			}
			n = (int(rest[1]) + 2) * 4
		case ip6Fragment:
			// RFC 8200 §4.5: next header(1) reserved(1) offset(13, in
			// 8-byte units) res(2) M(1) identification(4).
			if err := d.short(LayerIPv6, 8, len(rest), wire); err != nil {
				return err
			}
			fo := binary.BigEndian.Uint16(rest[2:])
			off := fo &^ 7
			if (off != 0 || fo&1 != 0) && !p.Frag {
				// An atomic fragment (offset 0, M clear) is a whole packet
				// (RFC 6946) and is not counted.
				p.Frag = true
				p.FragOff = off
				d.Counters.Fragments++
			}
			nh = rest[0]
			rest = rest[8:]
			wire -= 8
			if off != 0 {
				p.Proto = nh
				p.Payload = rest
				p.PayloadLen = wire
				return nil
			}
			continue
		case ip6NoNext:
			// RFC 8200 §4.7: whatever follows is ignored.
			p.Proto = nh
			d.Counters.OtherL4++
			return nil
		default:
			p.Proto = nh
			return d.transport(nh, rest, wire, p)
		}
		if err := d.short(LayerIPv6, n, len(rest), wire); err != nil {
			return err
		}
		nh = rest[0]
		rest = rest[n:]
		wire -= n
	}
}

// transport decodes the L4 header of proto from b, the captured IP payload,
// of which wire bytes are on the wire.
func (d *Decoder) transport(proto uint8, b []byte, wire int, p *Packet) error {
	switch proto {
	case ProtoTCP:
		return d.tcp(b, wire, p)
	case ProtoUDP:
		return d.udp(b, wire, p)
	case ProtoICMP:
		return d.icmp(LayerICMP, b, wire, p)
	case ProtoICMPv6:
		return d.icmp(LayerICMPv6, b, wire, p)
	}
	d.Counters.OtherL4++
	p.Payload = b
	p.PayloadLen = wire
	return nil
}

// tcp decodes a TCP header (RFC 9293 §3.1): ports(2+2) sequence(4)
// acknowledgment(4) data offset(4 bits) reserved(4 bits) flags(8) window(2)
// checksum(2) urgent pointer(2), then options up to the data offset, which
// are skipped.
func (d *Decoder) tcp(b []byte, wire int, p *Packet) error {
	if err := d.short(LayerTCP, tcpMin, len(b), wire); err != nil {
		return err
	}
	off := int(b[12]>>4) * 4
	if off < tcpMin {
		return d.fail(LayerTCP, kindMalformed)
	}
	if off > wire {
		return d.fail(LayerTCP, kindMalformed)
	}
	// Options cut off by the snap length: the fixed header is whole, so the
	// ports, flags and sequence numbers are kept (header-only captures must
	// not lose their SYNs); the packet is marked Truncated.
	if off > len(b) {
		off = len(b)
		p.Truncated = true
	}
	p.HasL4 = true
	p.SrcPort = binary.BigEndian.Uint16(b)
	p.DstPort = binary.BigEndian.Uint16(b[2:])
	p.Seq = binary.BigEndian.Uint32(b[4:])
	p.Ack = binary.BigEndian.Uint32(b[8:])
	p.TCPFlags = b[13]
	p.Window = binary.BigEndian.Uint16(b[14:])
	p.Payload = b[off:]
	p.PayloadLen = wire - int(b[12]>>4)*4
	d.Counters.TCP++
	return nil
}

// udp decodes a UDP header (RFC 768): ports(2+2) length(2) checksum(2). The
// length cuts the payload. In a first fragment the length covers the whole
// datagram, so only the fragment's bytes are taken; a length of 0 over IPv6
// is a jumbogram (RFC 2675 §4) and the IP payload length is used.
func (d *Decoder) udp(b []byte, wire int, p *Packet) error {
	if err := d.short(LayerUDP, udpLen, len(b), wire); err != nil {
		return err
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	switch {
	case n == 0 && p.L3 == L3IPv6:
		n = wire
	case n < udpLen:
		return d.fail(LayerUDP, kindMalformed)
	case p.Frag:
		n = min(n, wire)
	case n > wire:
		return d.fail(LayerUDP, kindMalformed)
	}
	p.HasL4 = true
	p.SrcPort = binary.BigEndian.Uint16(b)
	p.DstPort = binary.BigEndian.Uint16(b[2:])
	p.Payload = b[udpLen:min(n, len(b))]
	p.PayloadLen = n - udpLen
	d.Counters.UDP++
	return nil
}

// icmp decodes the common ICMP (RFC 792) or ICMPv6 (RFC 4443 §2.1) header:
// type(1) code(1) checksum(2). Type goes to SrcPort and code to DstPort;
// everything after the 4 bytes, including an echo's identifier and sequence
// number, is Payload.
func (d *Decoder) icmp(l Layer, b []byte, wire int, p *Packet) error {
	if err := d.short(l, icmpLen, len(b), wire); err != nil {
		return err
	}
	p.HasL4 = true
	p.SrcPort = uint16(b[0])
	p.DstPort = uint16(b[1])
	p.Payload = b[icmpLen:]
	p.PayloadLen = wire - icmpLen
	if l == LayerICMP {
		d.Counters.ICMP++
	} else {
		d.Counters.ICMPv6++
	}
	return nil
}
