package decode

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// L3 is the network-layer protocol of a decoded packet.
type L3 uint8

// Network layers.
const (
	L3None L3 = iota
	L3ARP
	L3IPv4
	L3IPv6
)

// String returns "none", "arp", "ipv4" or "ipv6" ("l3?" out of range).
func (l L3) String() string {
	switch l {
	case L3None:
		return "none"
	case L3ARP:
		return "arp"
	case L3IPv4:
		return "ipv4"
	case L3IPv6:
		return "ipv6"
	}
	return "l3?"
}

// MarshalText implements encoding.TextMarshaler with String.
func (l L3) MarshalText() ([]byte, error) {
	return []byte(l.String()), nil
}

// IP protocol numbers harborwatch decodes.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// TCP flag bits as they appear in the TCP header's flags byte.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPPsh = 0x08
	TCPAck = 0x10
	TCPUrg = 0x20
	TCPEce = 0x40
	TCPCwr = 0x80
)

// ARP opcodes.
const (
	ARPRequest = 1
	ARPReply   = 2
)

// Packet is one decoded packet. It is owned by the caller and reused: Decode
// overwrites every field. Payload aliases the input buffer and is valid only
// as long as that buffer is.
type Packet struct {
	HasEth bool    // an Ethernet (or cooked) header carried MAC addresses
	SrcMAC [6]byte // link-layer source (SLL: the sender's address, zero-padded)
	DstMAC [6]byte // link-layer destination (zero for SLL/SLL2 and raw IP)

	// VLANs holds the outermost VLAN id in VLANs[0] and, when there are two
	// tags or more, the innermost in VLANs[1] (middle tags of deeper stacks
	// are counted in NVLAN but not kept).
	VLANs [2]uint16
	NVLAN int // number of VLAN tags seen

	// EtherType is the innermost EtherType (0x0800, 0x86dd, 0x0806, …); 0 for
	// 802.3 length-field (LLC) frames, raw IP and BSD loopback.
	EtherType uint16
	// LLC is set for an 802.3 frame whose Length/Type field is a length:
	// Payload then holds its LLC (802.2) header and data.
	LLC bool
	L3  L3

	// ARP (L3 == L3ARP)
	ARPOp     uint16
	ARPSender [6]byte // sender hardware address
	// For ARP, Src is the sender protocol address and Dst the target.

	Src, Dst netip.Addr // IP source and destination (ARP: sender and target)
	TTL      uint8
	IPLen    int    // total IP packet length from the header (IPv4 total length, IPv6 40+payload length)
	Frag     bool   // IPv4 or IPv6 fragment (more-fragments set or offset != 0); no L4 is decoded for non-first fragments
	FragOff  uint16 // fragment offset in bytes (IPv4 and IPv6)

	Proto   uint8  // IP protocol of the L4 header (after IPv6 extension headers)
	HasL4   bool   // a TCP, UDP, ICMP or ICMPv6 header was decoded
	SrcPort uint16 // TCP/UDP ports; ICMP: SrcPort = type, DstPort = code
	DstPort uint16

	TCPFlags uint8
	Seq, Ack uint32
	Window   uint16

	// Payload is the L4 payload (what follows the TCP/UDP/ICMP header), cut
	// to the captured bytes. ICMP and ICMPv6 keep only their 4-byte common
	// header (type, code, checksum); the rest (echo id and sequence, the
	// quoted packet of an error, …) is Payload. For IP packets without a
	// decoded transport (non-first fragments, other protocols) it is the IP
	// payload with HasL4 false (nothing after an IPv6 No Next Header).
	// For a frame that is not IP or ARP (L3 == L3None) it is the frame's
	// payload after its EtherType, or its LLC header and data when LLC is
	// set.
	Payload []byte
	// PayloadLen is the length of Payload on the wire, from the IP and UDP
	// length fields; it exceeds len(Payload) when the packet is Truncated.
	// TCP sequence tracking needs it.
	PayloadLen int
	// Truncated is set when the capture holds fewer bytes than the headers
	// say the packet has (snaplen cut): Payload is then shorter than on the wire.
	Truncated bool
}

// VLAN returns the innermost VLAN id, or 0 for untagged traffic.
func (p *Packet) VLAN() uint16 {
	switch {
	case p.NVLAN == 0:
		return 0
	case p.NVLAN == 1:
		return p.VLANs[0]
	default:
		return p.VLANs[1]
	}
}

// String describes p on one line in a tcpdump-like form, for debugging and
// test failures; it allocates and is not meant for the packet path:
//
//	eth ac:64:17:46:0d:51 > 00:00:00:00:00:00 ipv4 192.168.0.1 > 192.168.0.3 ttl 64 len 40 tcp 102 > 49154 [.] seq 1378466098 ack 934096608 win 8192 payload 0/0
func (p *Packet) String() string {
	var b strings.Builder
	sep := func() {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
	}
	if p.HasEth {
		fmt.Fprintf(&b, "eth %s > %s", mac(p.SrcMAC), mac(p.DstMAC))
	}
	switch {
	case p.NVLAN == 1:
		sep()
		fmt.Fprintf(&b, "vlan %d", p.VLANs[0])
	case p.NVLAN == 2:
		sep()
		fmt.Fprintf(&b, "vlan %d %d", p.VLANs[0], p.VLANs[1])
	case p.NVLAN > 2:
		sep()
		fmt.Fprintf(&b, "vlan %d … %d (%d tags)", p.VLANs[0], p.VLANs[1], p.NVLAN)
	}
	switch p.L3 {
	case L3ARP:
		sep()
		fmt.Fprintf(&b, "arp op %d", p.ARPOp)
		if p.Src.IsValid() {
			fmt.Fprintf(&b, " %s %s > %s", mac(p.ARPSender), p.Src, p.Dst)
		}
		return b.String()
	case L3IPv4, L3IPv6:
		sep()
		fmt.Fprintf(&b, "%s %s > %s ttl %d len %d", p.L3, p.Src, p.Dst, p.TTL, p.IPLen)
		if p.Frag {
			fmt.Fprintf(&b, " frag %d", p.FragOff)
		}
	default:
		if p.EtherType != 0 {
			sep()
			fmt.Fprintf(&b, "type 0x%04x", p.EtherType)
		}
		return b.String()
	}
	switch {
	case !p.HasL4:
		fmt.Fprintf(&b, " proto %d", p.Proto)
	case p.Proto == ProtoTCP:
		fmt.Fprintf(&b, " tcp %d > %d [%s] seq %d ack %d win %d", p.SrcPort, p.DstPort, tcpFlags(p.TCPFlags), p.Seq, p.Ack, p.Window)
	case p.Proto == ProtoUDP:
		fmt.Fprintf(&b, " udp %d > %d", p.SrcPort, p.DstPort)
	case p.Proto == ProtoICMP:
		fmt.Fprintf(&b, " icmp type %d code %d", p.SrcPort, p.DstPort)
	case p.Proto == ProtoICMPv6:
		fmt.Fprintf(&b, " icmpv6 type %d code %d", p.SrcPort, p.DstPort)
	}
	fmt.Fprintf(&b, " payload %d/%d", len(p.Payload), p.PayloadLen)
	if p.Truncated {
		b.WriteString(" truncated")
	}
	return b.String()
}

func mac(a [6]byte) string {
	return net.HardwareAddr(a[:]).String()
}

// tcpFlags writes flags as tcpdump does: S F P R U W E, and '.' for ACK.
func tcpFlags(f uint8) string {
	var s []byte
	for _, fl := range [...]struct {
		bit uint8
		c   byte
	}{{TCPSyn, 'S'}, {TCPFin, 'F'}, {TCPPsh, 'P'}, {TCPRst, 'R'}, {TCPUrg, 'U'}, {TCPCwr, 'W'}, {TCPEce, 'E'}, {TCPAck, '.'}} {
		if f&fl.bit != 0 {
			s = append(s, fl.c)
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return string(s)
}
