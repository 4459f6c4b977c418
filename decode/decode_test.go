package decode

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"testing"

	"harborwatch/capture"
)

type decodeCase struct {
	name     string
	link     capture.LinkType
	data     []byte
	want     Packet
	counters Counters // Packets is implied
	// For malformed input: the sentinel and the layer it is counted at.
	err   error
	layer Layer
}

// with returns a copy of p changed by f, to derive expectations from a base.
func with(p Packet, f func(*Packet)) Packet {
	f(&p)
	return p
}

func runCase(t *testing.T, tc decodeCase) {
	t.Helper()
	var d Decoder
	p := Packet{Payload: []byte("stale"), Src: ip6B, NVLAN: 9, Truncated: true} // Decode must reset
	err := d.Decode(tc.link, tc.data, &p)
	if tc.err == nil {
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if n := d.Errors.Total(); n != 0 {
			t.Errorf("Errors.Total = %d, want 0", n)
		}
	} else {
		if !errors.Is(err, tc.err) {
			t.Fatalf("Decode error = %v, want %v", err, tc.err)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Decode error %v (%T) is not an *Error", err, err)
		}
		if e.Layer() != tc.layer {
			t.Fatalf("Decode error %v: layer %v, want %v", err, e.Layer(), tc.layer)
		}
		want := fmt.Sprintf("decode: %s: %s", tc.layer, tc.err.Error()[len("decode: "):])
		if err.Error() != want {
			t.Errorf("Error() = %q, want %q", err.Error(), want)
		}
		var we Errors
		we[tc.layer] = 1
		if d.Errors != we {
			t.Errorf("Errors = %v, want %v", d.Errors, we)
		}
	}
	comparePacket(t, &p, &tc.want)
	wc := tc.counters
	wc.Packets = 1
	if d.Counters != wc {
		t.Errorf("Counters =\n\t%+v\nwant\n\t%+v", d.Counters, wc)
	}
	if p.Payload != nil && !within(p.Payload, tc.data) {
		t.Errorf("Payload does not alias the input")
	}
}

func comparePacket(t *testing.T, got, want *Packet) {
	t.Helper()
	if !bytes.Equal(got.Payload, want.Payload) {
		t.Errorf("Payload = % x, want % x", got.Payload, want.Payload)
	}
	g, w := *got, *want
	g.Payload, w.Payload = nil, nil
	if !reflect.DeepEqual(g, w) {
		t.Errorf("Packet =\n\t%s\nwant\n\t%s\n%+v", &g, &w, g)
	}
}

// within reports whether sub lies inside b's memory.
func within(sub, b []byte) bool {
	if len(sub) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	s0, s1 := &sub[0], &sub[len(sub)-1]
	for i := range b {
		if &b[i] == s0 {
			return i+len(sub) <= len(b) && &b[i+len(sub)-1] == s1
		}
	}
	return false
}

var (
	dstMAC = [6]byte{0, 0x0e, 0x8c, 0xf2, 0xa5, 0xa4}

	// Expected decodes of the reference packets.
	wantTCP4VLAN = Packet{
		HasEth: true, SrcMAC: macA, DstMAC: dstMAC,
		VLANs: [2]uint16{10}, NVLAN: 1, EtherType: 0x0800, L3: L3IPv4,
		Src: ip4A, Dst: ip4B, TTL: 64, IPLen: 71, Proto: ProtoTCP, HasL4: true,
		SrcPort: 49154, DstPort: 102, TCPFlags: TCPPsh | TCPAck, Seq: 934096608, Ack: 1378466098, Window: 63943,
		Payload: s7Payload, PayloadLen: 19,
	}
	wantUDP6Ext = Packet{
		HasEth: true, SrcMAC: macA, DstMAC: macB, EtherType: 0x86dd, L3: L3IPv6,
		Src: ip6A, Dst: ip6B, TTL: 255, IPLen: 40 + 8 + 16 + 8 + 8 + 24, Proto: ProtoUDP, HasL4: true,
		SrcPort: 2222, DstPort: 44818, Payload: bytesN(24, 0x40), PayloadLen: 24,
	}
	wantARP = Packet{
		HasEth: true, SrcMAC: macA, DstMAC: [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		EtherType: 0x0806, L3: L3ARP, ARPOp: ARPRequest, ARPSender: macA, Src: ip4A, Dst: ip4B,
	}
	wantSLL2 = Packet{
		HasEth: true, SrcMAC: macB, EtherType: 0x86dd, L3: L3IPv6,
		Src: ip6B, Dst: ip6A, TTL: 64, IPLen: 68, Proto: ProtoTCP, HasL4: true,
		SrcPort: 40000, DstPort: 502, TCPFlags: TCPSyn, Seq: 1, Window: 64240, Payload: []byte{},
	}
	wantSLL = Packet{
		HasEth: true, SrcMAC: macA, EtherType: 0x0800, L3: L3IPv4,
		Src: ip4A, Dst: ip4B, TTL: 128, IPLen: 40, Proto: ProtoUDP, HasL4: true,
		SrcPort: 53, DstPort: 5353, Payload: bytesN(12, 0), PayloadLen: 12,
	}
)

// udp4 is an IPv4/UDP packet without link header.
func udp4(payload []byte) []byte {
	return ip4{src: ip4A, dst: ip4B, proto: ProtoUDP, ttl: 128, payload: udp(53, 5353, payload)}.bytes()
}

// wantUDP4 is the decode of udp4(bytesN(12, 0)) with no link header.
var wantUDP4 = with(wantSLL, func(p *Packet) { p.HasEth, p.SrcMAC, p.EtherType = false, [6]byte{}, 0 })

func TestDecode(t *testing.T) {
	tcpSeg := tcpHdr{sport: 3033, dport: 44818, seq: 7, ack: 9, flags: TCPAck, win: 512, payload: []byte("enip")}.bytes()
	wantTCP := Packet{L3: L3IPv4, Src: ip4A, Dst: ip4B, TTL: 64, IPLen: 44, Proto: ProtoTCP, HasL4: true,
		SrcPort: 3033, DstPort: 44818, TCPFlags: TCPAck, Seq: 7, Ack: 9, Window: 512, Payload: []byte("enip"), PayloadLen: 4}
	tcp4 := ip4{src: ip4A, dst: ip4B, proto: ProtoTCP, ttl: 64, payload: tcpSeg}.bytes()
	echo := cat(u16(0x1234), u16(1), []byte("ping"))
	icmp6Echo := ip6(ip6A, ip6B, ProtoICMPv6, 64, icmp(128, 0, echo))
	wantICMP6 := Packet{L3: L3IPv6, Src: ip6A, Dst: ip6B, TTL: 64, IPLen: 52, Proto: ProtoICMPv6, HasL4: true,
		SrcPort: 128, Payload: echo, PayloadLen: 8}
	// A later IPv4 fragment: offset 185 units = 1480 bytes.
	laterFrag := ip4{src: ip4A, dst: ip4B, proto: ProtoUDP, ttl: 64, flags: 185, payload: bytesN(40, 0)}.bytes()
	lldp := cat(eth([6]byte{0x01, 0x80, 0xc2, 0, 0, 0x0e}, macA, 0x88cc), bytesN(46, 0))
	stp := cat(eth([6]byte{0x01, 0x80, 0xc2, 0, 0, 0}, macA, 38), []byte{0x42, 0x42, 0x03}, bytesN(35, 0))

	cases := []decodeCase{
		{name: "ethernet/vlan/ipv4/tcp", link: capture.LinkEthernet, data: pktTCP4VLAN, want: wantTCP4VLAN,
			counters: Counters{VLAN: 1, IPv4: 1, TCP: 1}},
		{name: "ethernet/qinq 88a8/ipv4/tcp", link: capture.LinkEthernet,
			data: cat(eth(dstMAC, macA, 0x88a8, 100, 0x8100, 0xe014, 0x0800), tcp4),
			want: with(wantTCP, func(p *Packet) {
				p.HasEth, p.SrcMAC, p.DstMAC, p.EtherType = true, macA, dstMAC, 0x0800
				p.VLANs, p.NVLAN = [2]uint16{100, 20}, 2
			}),
			counters: Counters{VLAN: 1, IPv4: 1, TCP: 1}},
		{name: "ethernet/three tags 9100/ipv4/tcp", link: capture.LinkEthernet,
			data: cat(eth(dstMAC, macA, 0x9100, 5, 0x8100, 6, 0x8100, 7, 0x0800), tcp4),
			want: with(wantTCP, func(p *Packet) {
				p.HasEth, p.SrcMAC, p.DstMAC, p.EtherType = true, macA, dstMAC, 0x0800
				p.VLANs, p.NVLAN = [2]uint16{5, 7}, 3
			}),
			counters: Counters{VLAN: 1, IPv4: 1, TCP: 1}},
		{name: "ethernet/ipv6/hop-by-hop+routing+dstopts/udp", link: capture.LinkEthernet, data: pktUDP6Ext,
			want: wantUDP6Ext, counters: Counters{IPv6: 1, UDP: 1}},
		{name: "ipv6/ah/tcp", link: capture.LinkIPv6, data: ip6(ip6A, ip6B, ip6AH, 64, cat(ah6(ProtoTCP), tcpSeg)),
			want:     with(wantTCP, func(p *Packet) { p.L3, p.Src, p.Dst, p.IPLen = L3IPv6, ip6A, ip6B, 40+24+24 }),
			counters: Counters{IPv6: 1, TCP: 1}},
		{name: "ipv6/mobility/no next header", link: capture.LinkIPv6, data: ip6(ip6A, ip6B, ip6Mobility, 64, ext6(ip6NoNext, 2)),
			want:     Packet{L3: L3IPv6, Src: ip6A, Dst: ip6B, TTL: 64, IPLen: 56, Proto: ip6NoNext},
			counters: Counters{IPv6: 1, OtherL4: 1}},
		{name: "ethernet/ipv6/no next header, padded", link: capture.LinkEthernet,
			data: cat(eth(macB, macA, 0x86dd), ip6(ip6A, ip6B, ip6NoNext, 1, nil), make([]byte, 6)),
			want: Packet{HasEth: true, SrcMAC: macA, DstMAC: macB, EtherType: 0x86dd, L3: L3IPv6,
				Src: ip6A, Dst: ip6B, TTL: 1, IPLen: 40, Proto: ip6NoNext},
			counters: Counters{IPv6: 1, OtherL4: 1}},
		{name: "ipv6/first fragment/udp longer than fragment", link: capture.LinkIPv6,
			data: ip6(ip6A, ip6B, ip6Fragment, 64, cat(frag6(ProtoUDP, 0, true), put16(udp(5000, 5001, bytesN(16, 0)), 4, 3000))),
			want: Packet{L3: L3IPv6, Src: ip6A, Dst: ip6B, TTL: 64, IPLen: 72, Frag: true, Proto: ProtoUDP, HasL4: true,
				SrcPort: 5000, DstPort: 5001, Payload: bytesN(16, 0), PayloadLen: 16},
			counters: Counters{IPv6: 1, Fragments: 1, UDP: 1}},
		{name: "ipv6/later fragment", link: capture.LinkIPv6,
			data: ip6(ip6A, ip6B, ip6Fragment, 64, cat(frag6(ProtoUDP, 1232, false), bytesN(40, 0))),
			want: Packet{L3: L3IPv6, Src: ip6A, Dst: ip6B, TTL: 64, IPLen: 88, Frag: true, FragOff: 1232, Proto: ProtoUDP,
				Payload: bytesN(40, 0), PayloadLen: 40},
			counters: Counters{IPv6: 1, Fragments: 1}},
		{name: "ipv6/atomic fragment/icmpv6", link: capture.LinkIPv6,
			data: ip6(ip6A, ip6B, ip6Fragment, 64, cat(frag6(ProtoICMPv6, 0, false), icmp(128, 0, echo))),
			want: with(wantICMP6, func(p *Packet) { p.IPLen = 60 }), counters: Counters{IPv6: 1, ICMPv6: 1}},
		{name: "ipv6/icmpv6 echo", link: capture.LinkIPv6, data: icmp6Echo, want: wantICMP6,
			counters: Counters{IPv6: 1, ICMPv6: 1}},
		{name: "ipv6/esp", link: capture.LinkIPv6, data: ip6(ip6A, ip6B, ip6ESP, 64, bytesN(16, 0)),
			want: Packet{L3: L3IPv6, Src: ip6A, Dst: ip6B, TTL: 64, IPLen: 56, Proto: ip6ESP,
				Payload: bytesN(16, 0), PayloadLen: 16},
			counters: Counters{IPv6: 1, OtherL4: 1}},
		{name: "ipv6/udp length 0 (jumbogram)", link: capture.LinkIPv6,
			data: ip6(ip6A, ip6B, ProtoUDP, 64, put16(udp(1, 2, bytesN(4, 0)), 4, 0)),
			want: Packet{L3: L3IPv6, Src: ip6A, Dst: ip6B, TTL: 64, IPLen: 52, Proto: ProtoUDP, HasL4: true,
				SrcPort: 1, DstPort: 2, Payload: bytesN(4, 0), PayloadLen: 4},
			counters: Counters{IPv6: 1, UDP: 1}},
		{name: "ipv6/payload length 0 (segmentation offload)", link: capture.LinkIPv6, data: put16(icmp6Echo, 4, 0),
			want: wantICMP6, counters: Counters{IPv6: 1, ICMPv6: 1}},
		{name: "ipv4/icmp echo", link: capture.LinkIPv4,
			data: ip4{src: ip4A, dst: ip4B, proto: ProtoICMP, ttl: 64, payload: icmp(8, 0, echo)}.bytes(),
			want: Packet{L3: L3IPv4, Src: ip4A, Dst: ip4B, TTL: 64, IPLen: 32, Proto: ProtoICMP, HasL4: true,
				SrcPort: 8, Payload: echo, PayloadLen: 8},
			counters: Counters{IPv4: 1, ICMP: 1}},
		{name: "ipv4/icmp port unreachable", link: capture.LinkIPv4,
			data: ip4{src: ip4A, dst: ip4B, proto: ProtoICMP, ttl: 64, payload: icmp(3, 3, cat(u32(0), udp4(nil)[:28]))}.bytes(),
			want: Packet{L3: L3IPv4, Src: ip4A, Dst: ip4B, TTL: 64, IPLen: 56, Proto: ProtoICMP, HasL4: true,
				SrcPort: 3, DstPort: 3, Payload: cat(u32(0), udp4(nil)[:28]), PayloadLen: 32},
			counters: Counters{IPv4: 1, ICMP: 1}},
		{name: "ipv4/options/igmp", link: capture.LinkIPv4,
			data: ip4{src: ip4A, dst: ip4B, proto: 2, ttl: 1, options: []byte{0x94, 4, 0, 0}, payload: bytesN(8, 0x11)}.bytes(),
			want: Packet{L3: L3IPv4, Src: ip4A, Dst: ip4B, TTL: 1, IPLen: 32, Proto: 2,
				Payload: bytesN(8, 0x11), PayloadLen: 8},
			counters: Counters{IPv4: 1, OtherL4: 1}},
		{name: "ipv4/first fragment/tcp", link: capture.LinkIPv4,
			data: ip4{src: ip4A, dst: ip4B, proto: ProtoTCP, ttl: 64, flags: 0x2000, payload: tcpSeg}.bytes(),
			want: with(wantTCP, func(p *Packet) { p.Frag = true }), counters: Counters{IPv4: 1, Fragments: 1, TCP: 1}},
		{name: "ipv4/first fragment/udp longer than fragment", link: capture.LinkIPv4,
			data: ip4{src: ip4A, dst: ip4B, proto: ProtoUDP, ttl: 64, flags: 0x2000, payload: put16(udp(5000, 5001, bytesN(16, 0)), 4, 3000)}.bytes(),
			want: Packet{L3: L3IPv4, Src: ip4A, Dst: ip4B, TTL: 64, IPLen: 44, Frag: true, Proto: ProtoUDP, HasL4: true,
				SrcPort: 5000, DstPort: 5001, Payload: bytesN(16, 0), PayloadLen: 16},
			counters: Counters{IPv4: 1, Fragments: 1, UDP: 1}},
		{name: "ipv4/later fragment", link: capture.LinkIPv4, data: laterFrag,
			want: Packet{L3: L3IPv4, Src: ip4A, Dst: ip4B, TTL: 64, IPLen: 60, Frag: true, FragOff: 1480, Proto: ProtoUDP,
				Payload: bytesN(40, 0), PayloadLen: 40},
			counters: Counters{IPv4: 1, Fragments: 1}},
		{name: "ipv4/middle fragment, MF set", link: capture.LinkIPv4, data: put16(laterFrag, 6, 0x2000|185),
			want: Packet{L3: L3IPv4, Src: ip4A, Dst: ip4B, TTL: 64, IPLen: 60, Frag: true, FragOff: 1480, Proto: ProtoUDP,
				Payload: bytesN(40, 0), PayloadLen: 40},
			counters: Counters{IPv4: 1, Fragments: 1}},
		{name: "ipv4/payload cut by snaplen", link: capture.LinkEthernet, data: pktTCP4VLAN[:18+20+32+5],
			want:     with(wantTCP4VLAN, func(p *Packet) { p.Payload, p.Truncated = s7Payload[:5], true }),
			counters: Counters{Truncated: 1, VLAN: 1, IPv4: 1, TCP: 1}},
		{name: "sll/ipv4/udp payload cut by snaplen", link: capture.LinkLinuxSLL, data: pktSLL[:len(pktSLL)-4],
			want:     with(wantSLL, func(p *Packet) { p.Payload, p.Truncated = bytesN(8, 0), true }),
			counters: Counters{Truncated: 1, IPv4: 1, UDP: 1}},
		{name: "ipv4/udp length shorter than ip payload", link: capture.LinkIPv4,
			data: cat(put16(udp4(bytesN(12, 0)), 2, 44), []byte{9, 9, 9, 9}),
			want: with(wantUDP4, func(p *Packet) { p.IPLen = 44; p.Payload = bytesN(12, 0) }), counters: Counters{IPv4: 1, UDP: 1}},
		{name: "ipv4/total length 0 (segmentation offload)", link: capture.LinkIPv4, data: put16(tcp4, 2, 0),
			want: wantTCP, counters: Counters{IPv4: 1, TCP: 1}},
		{name: "arp request", link: capture.LinkEthernet, data: pktARP, want: wantARP,
			counters: Counters{NonIP: 1, ARP: 1}},
		{name: "vlan/arp reply", link: capture.LinkEthernet,
			data: cat(eth(macA, macB, 0x8100, 7, 0x0806), arp(ARPReply, macB, ip4B, macA, ip4A)),
			want: Packet{HasEth: true, SrcMAC: macB, DstMAC: macA, VLANs: [2]uint16{7}, NVLAN: 1, EtherType: 0x0806,
				L3: L3ARP, ARPOp: ARPReply, ARPSender: macB, Src: ip4B, Dst: ip4A},
			counters: Counters{NonIP: 1, VLAN: 1, ARP: 1}},
		{name: "arp over other hardware: opcode only", link: capture.LinkEthernet, data: put16(pktARP, 14, 6),
			want:     with(wantARP, func(p *Packet) { p.ARPSender, p.Src, p.Dst = [6]byte{}, netip.Addr{}, netip.Addr{} }),
			counters: Counters{NonIP: 1, ARP: 1}},
		{name: "802.3 llc (stp)", link: capture.LinkEthernet, data: stp,
			want:     Packet{HasEth: true, SrcMAC: macA, DstMAC: [6]byte{0x01, 0x80, 0xc2, 0, 0, 0}, LLC: true, Payload: stp[14:52], PayloadLen: 38},
			counters: Counters{NonIP: 1, Other: 1}},
		{name: "lldp", link: capture.LinkEthernet, data: lldp,
			want:     Packet{HasEth: true, SrcMAC: macA, DstMAC: [6]byte{0x01, 0x80, 0xc2, 0, 0, 0x0e}, EtherType: 0x88cc, Payload: lldp[14:], PayloadLen: 46},
			counters: Counters{NonIP: 1, Other: 1}},
		{name: "sll/ipv4/udp", link: capture.LinkLinuxSLL, data: pktSLL, want: wantSLL,
			counters: Counters{IPv4: 1, UDP: 1}},
		{name: "sll loopback device: no mac", link: capture.LinkLinuxSLL, data: cat(sll(4, 772, make([]byte, 6), 0x0800), udp4(bytesN(12, 0))),
			want: with(wantUDP4, func(p *Packet) { p.EtherType = 0x0800 }), counters: Counters{IPv4: 1, UDP: 1}},
		{name: "sll netlink", link: capture.LinkLinuxSLL, data: cat(sll(4, arphrdNetlink, nil, 0), bytesN(20, 0)),
			counters: Counters{NonIP: 1, Other: 1}},
		{name: "sll 802.2 llc", link: capture.LinkLinuxSLL, data: cat(sll(0, arphrdEther, macB[:], 4), bytesN(20, 0)),
			want: Packet{HasEth: true, SrcMAC: macB, LLC: true, Payload: bytesN(20, 0), PayloadLen: 20}, counters: Counters{NonIP: 1, Other: 1}},
		{name: "sll2/ipv6/tcp syn", link: capture.LinkLinuxSLL2, data: pktSLL2, want: wantSLL2,
			counters: Counters{IPv6: 1, TCP: 1}},
		{name: "sll2/vlan/ipv4/udp", link: capture.LinkLinuxSLL2, data: cat(sll2(0x8100, 1, arphrdEther, 4, macA[:]), u16(30), u16(0x0800), udp4(bytesN(12, 0))),
			want: with(wantSLL, func(p *Packet) { p.VLANs, p.NVLAN = [2]uint16{30}, 1 }), counters: Counters{VLAN: 1, IPv4: 1, UDP: 1}},
		{name: "raw/ipv4", link: capture.LinkRaw, data: udp4(bytesN(12, 0)), want: wantUDP4,
			counters: Counters{IPv4: 1, UDP: 1}},
		{name: "raw/ipv6", link: capture.LinkRaw, data: icmp6Echo, want: wantICMP6,
			counters: Counters{IPv6: 1, ICMPv6: 1}},
		{name: "null AF_INET little-endian", link: capture.LinkNull, data: cat(nullHdr(afInet, false), udp4(bytesN(12, 0))),
			want: wantUDP4, counters: Counters{IPv4: 1, UDP: 1}},
		{name: "null AF_INET big-endian", link: capture.LinkNull, data: cat(nullHdr(afInet, true), udp4(bytesN(12, 0))),
			want: wantUDP4, counters: Counters{IPv4: 1, UDP: 1}},
		{name: "null AF_INET6 24", link: capture.LinkNull, data: cat(nullHdr(afInet6BSD, false), icmp6Echo),
			want: wantICMP6, counters: Counters{IPv6: 1, ICMPv6: 1}},
		{name: "null AF_INET6 28", link: capture.LinkNull, data: cat(nullHdr(afInet6FreeBSD, true), icmp6Echo),
			want: wantICMP6, counters: Counters{IPv6: 1, ICMPv6: 1}},
		{name: "null AF_INET6 30", link: capture.LinkNull, data: cat(nullHdr(afInet6Darwin, false), icmp6Echo),
			want: wantICMP6, counters: Counters{IPv6: 1, ICMPv6: 1}},
		{name: "null unknown family", link: capture.LinkNull, data: cat(nullHdr(7, false), bytesN(20, 0)),
			counters: Counters{NonIP: 1, Other: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runCase(t, tc) })
	}
}

func TestDecodeMalformed(t *testing.T) {
	ethIP4 := Packet{HasEth: true, SrcMAC: macA, DstMAC: dstMAC, VLANs: [2]uint16{10}, NVLAN: 1, EtherType: 0x0800}
	ip4Hdr := with(wantTCP4VLAN, func(p *Packet) {
		p.HasL4, p.SrcPort, p.DstPort, p.TCPFlags, p.Seq, p.Ack, p.Window, p.Payload, p.PayloadLen = false, 0, 0, 0, 0, 0, 0, nil, 0
	})
	ip6Hdr := with(wantUDP6Ext, func(p *Packet) {
		p.Proto, p.HasL4, p.SrcPort, p.DstPort, p.Payload, p.PayloadLen = 0, false, 0, 0, nil, 0
	})
	const ipOff = 18 // IPv4 header offset in pktTCP4VLAN
	const tcpOff = ipOff + 20
	const ip6Off = 14
	const udp6Off = ip6Off + 40 + 32

	cases := []decodeCase{
		{name: "ethernet/short", link: capture.LinkEthernet, data: pktTCP4VLAN[:13], err: ErrTruncated, layer: LayerEthernet},
		{name: "vlan/cut", link: capture.LinkEthernet, data: pktTCP4VLAN[:16], err: ErrTruncated, layer: LayerVLAN,
			want: Packet{HasEth: true, SrcMAC: macA, DstMAC: dstMAC}},
		{name: "ipv4/version 5", link: capture.LinkEthernet, data: put8(pktTCP4VLAN, ipOff, 0x55), err: ErrMalformed, layer: LayerIPv4,
			want: ethIP4, counters: Counters{VLAN: 1}},
		{name: "ipv4/ihl 4", link: capture.LinkEthernet, data: put8(pktTCP4VLAN, ipOff, 0x44), err: ErrMalformed, layer: LayerIPv4,
			want: ethIP4, counters: Counters{VLAN: 1}},
		{name: "ipv4/total length below header", link: capture.LinkEthernet, data: put16(pktTCP4VLAN, ipOff+2, 19), err: ErrMalformed, layer: LayerIPv4,
			want: ethIP4, counters: Counters{VLAN: 1}},
		{name: "ipv4/total length below ihl", link: capture.LinkEthernet, data: put16(put8(pktTCP4VLAN, ipOff, 0x46), ipOff+2, 22), err: ErrMalformed, layer: LayerIPv4,
			want: ethIP4, counters: Counters{VLAN: 1}},
		{name: "ipv4/options cut", link: capture.LinkIPv4, data: ip4{src: ip4A, dst: ip4B, proto: ProtoUDP, options: make([]byte, 8), payload: udp(1, 2, nil)}.bytes()[:24], err: ErrTruncated, layer: LayerIPv4},
		{name: "ipv4 link/ipv6 packet", link: capture.LinkIPv4, data: icmp6EchoPkt(), err: ErrMalformed, layer: LayerIPv4},
		{name: "raw/empty", link: capture.LinkRaw, data: nil, err: ErrTruncated, layer: LayerIPv4},
		{name: "raw/version 0", link: capture.LinkRaw, data: make([]byte, 40), err: ErrMalformed, layer: LayerIPv4},
		{name: "ipv6 link/ipv4 packet", link: capture.LinkIPv6, data: cat(udp4(bytesN(12, 0)), make([]byte, 20)), err: ErrMalformed, layer: LayerIPv6},
		{name: "ipv6/short", link: capture.LinkIPv6, data: icmp6EchoPkt()[:39], err: ErrTruncated, layer: LayerIPv6},
		{name: "ipv6/hop-by-hop longer than payload", link: capture.LinkEthernet, data: put8(pktUDP6Ext, ip6Off+41, 20),
			err: ErrMalformed, layer: LayerIPv6, want: ip6Hdr, counters: Counters{IPv6: 1}},
		{name: "ipv6/payload too short for extension header", link: capture.LinkEthernet, data: put16(pktUDP6Ext, ip6Off+4, 4),
			err: ErrMalformed, layer: LayerIPv6, want: with(ip6Hdr, func(p *Packet) { p.IPLen = 44 }), counters: Counters{IPv6: 1}},
		{name: "ipv6/extension header cut by capture", link: capture.LinkEthernet, data: pktUDP6Ext[:ip6Off+40+12],
			err: ErrTruncated, layer: LayerIPv6, want: with(ip6Hdr, func(p *Packet) { p.Truncated = true }), counters: Counters{IPv6: 1}},
		{name: "ipv6/ah longer than payload", link: capture.LinkIPv6, data: ip6(ip6A, ip6B, ip6AH, 64, put8(ah6(ProtoTCP), 1, 200)),
			err: ErrMalformed, layer: LayerIPv6, want: Packet{L3: L3IPv6, Src: ip6A, Dst: ip6B, TTL: 64, IPLen: 64}, counters: Counters{IPv6: 1}},
		{name: "ipv6/fragment header cut", link: capture.LinkIPv6, data: ip6(ip6A, ip6B, ip6Fragment, 64, make([]byte, 4)),
			err: ErrMalformed, layer: LayerIPv6, want: Packet{L3: L3IPv6, Src: ip6A, Dst: ip6B, TTL: 64, IPLen: 44}, counters: Counters{IPv6: 1}},
		{name: "tcp/data offset 4", link: capture.LinkEthernet, data: put8(pktTCP4VLAN, tcpOff+12, 0x40), err: ErrMalformed, layer: LayerTCP,
			want: ip4Hdr, counters: Counters{VLAN: 1, IPv4: 1}},
		{name: "tcp/data offset beyond ip payload", link: capture.LinkEthernet, data: put8(pktTCP4VLAN, tcpOff+12, 0xf0), err: ErrMalformed, layer: LayerTCP,
			want: ip4Hdr, counters: Counters{VLAN: 1, IPv4: 1}},
		{name: "tcp/fixed header cut by capture", link: capture.LinkEthernet, data: pktTCP4VLAN[:tcpOff+12], err: ErrTruncated, layer: LayerTCP,
			want: with(ip4Hdr, func(p *Packet) { p.Truncated = true }), counters: Counters{VLAN: 1, IPv4: 1}},
		{name: "tcp/header beyond ip total length", link: capture.LinkEthernet, data: put16(pktTCP4VLAN, ipOff+2, 30), err: ErrMalformed, layer: LayerTCP,
			want: with(ip4Hdr, func(p *Packet) { p.IPLen = 30 }), counters: Counters{VLAN: 1, IPv4: 1}},
		{name: "udp/length 7", link: capture.LinkIPv4, data: put16(udp4(bytesN(12, 0)), 24, 7), err: ErrMalformed, layer: LayerUDP,
			want: udp4Hdr(), counters: Counters{IPv4: 1}},
		{name: "udp/length beyond ip payload", link: capture.LinkIPv4, data: put16(udp4(bytesN(12, 0)), 24, 21), err: ErrMalformed, layer: LayerUDP,
			want: udp4Hdr(), counters: Counters{IPv4: 1}},
		{name: "udp/header cut by capture", link: capture.LinkIPv4, data: udp4(bytesN(12, 0))[:26], err: ErrTruncated, layer: LayerUDP,
			want: with(udp4Hdr(), func(p *Packet) { p.Truncated = true }), counters: Counters{IPv4: 1}},
		{name: "udp/ipv6 payload shorter than header", link: capture.LinkEthernet, data: put16(pktUDP6Ext, ip6Off+4, 36),
			err: ErrMalformed, layer: LayerUDP, want: with(ip6Hdr, func(p *Packet) { p.IPLen, p.Proto = 76, ProtoUDP }), counters: Counters{IPv6: 1}},
		{name: "udp/ipv6 length beyond payload", link: capture.LinkEthernet, data: put16(pktUDP6Ext, udp6Off+4, 33),
			err: ErrMalformed, layer: LayerUDP, want: with(ip6Hdr, func(p *Packet) { p.Proto = ProtoUDP }), counters: Counters{IPv6: 1}},
		{name: "icmp/ip payload of 2 bytes", link: capture.LinkIPv4, data: ip4{src: ip4A, dst: ip4B, proto: ProtoICMP, payload: []byte{8, 0}}.bytes(),
			err: ErrMalformed, layer: LayerICMP, want: Packet{L3: L3IPv4, Src: ip4A, Dst: ip4B, IPLen: 22, Proto: ProtoICMP}, counters: Counters{IPv4: 1}},
		{name: "icmpv6/cut by capture", link: capture.LinkIPv6, data: icmp6EchoPkt()[:42], err: ErrTruncated, layer: LayerICMPv6,
			want: Packet{L3: L3IPv6, Src: ip6A, Dst: ip6B, TTL: 64, IPLen: 52, Proto: ProtoICMPv6, Truncated: true}, counters: Counters{IPv6: 1}},
		{name: "arp/ipv4 with 8-byte hardware length", link: capture.LinkEthernet, data: put8(pktARP, 18, 8), err: ErrMalformed, layer: LayerARP,
			want: Packet{HasEth: true, SrcMAC: macA, DstMAC: wantARP.DstMAC, EtherType: 0x0806}},
		{name: "arp/cut in addresses", link: capture.LinkEthernet, data: pktARP[:14+20], err: ErrTruncated, layer: LayerARP,
			want: Packet{HasEth: true, SrcMAC: macA, DstMAC: wantARP.DstMAC, EtherType: 0x0806}},
		{name: "sll/short", link: capture.LinkLinuxSLL, data: pktSLL[:15], err: ErrTruncated, layer: LayerSLL},
		{name: "sll2/short", link: capture.LinkLinuxSLL2, data: pktSLL2[:19], err: ErrTruncated, layer: LayerSLL2},
		{name: "null/short", link: capture.LinkNull, data: []byte{2, 0, 0}, err: ErrTruncated, layer: LayerNull},
		{name: "unsupported link", link: 105, data: pktTCP4VLAN, err: ErrUnsupportedLink, layer: LayerLink},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runCase(t, tc) })
	}
}

func icmp6EchoPkt() []byte {
	return ip6(ip6A, ip6B, ProtoICMPv6, 64, icmp(128, 0, cat(u16(0x1234), u16(1), []byte("ping"))))
}

// udp4Hdr is wantUDP4 with the UDP fields unset.
func udp4Hdr() Packet {
	return with(wantUDP4, func(p *Packet) { p.HasL4, p.SrcPort, p.DstPort, p.Payload, p.PayloadLen = false, 0, 0, nil, 0 })
}

// boundary is where a header ends in a reference packet: cutting the packet
// before end fails at layer.
type boundary struct {
	layer Layer
	end   int
}

// TestTruncateEveryByte cuts each reference packet at every length and
// checks that Decode fails at the header the cut falls in, with
// ErrTruncated, and that a cut after the headers is a Truncated packet, not
// an error. TCP options count as after the headers: a snap length that cuts
// them keeps the fixed header's ports and flags.
func TestTruncateEveryByte(t *testing.T) {
	cases := []struct {
		name   string
		link   capture.LinkType
		data   []byte
		bounds []boundary
		ipEnd  int // end of the IP packet (0: no IP)
	}{
		{"ethernet/vlan/ipv4/tcp", capture.LinkEthernet, pktTCP4VLAN,
			[]boundary{{LayerEthernet, 14}, {LayerVLAN, 18}, {LayerIPv4, 38}, {LayerTCP, 58}}, 89},
		{"ethernet/ipv6/ext/udp", capture.LinkEthernet, pktUDP6Ext,
			[]boundary{{LayerEthernet, 14}, {LayerIPv6, 54}, {LayerIPv6, 62}, {LayerIPv6, 70}, {LayerIPv6, 78}, {LayerIPv6, 86}, {LayerUDP, 94}}, 118},
		{"ethernet/arp", capture.LinkEthernet, pktARP, []boundary{{LayerEthernet, 14}, {LayerARP, 42}}, 0},
		{"sll2/ipv6/tcp", capture.LinkLinuxSLL2, pktSLL2, []boundary{{LayerSLL2, 20}, {LayerIPv6, 60}, {LayerTCP, 80}}, 88},
		{"sll/ipv4/udp", capture.LinkLinuxSLL, pktSLL, []boundary{{LayerSLL, 16}, {LayerIPv4, 36}, {LayerUDP, 44}}, 56},
		{"null/ipv6/icmpv6", capture.LinkNull, cat(nullHdr(afInet6Darwin, false), icmp6EchoPkt()),
			[]boundary{{LayerNull, 4}, {LayerIPv6, 44}, {LayerICMPv6, 48}}, 56},
		{"ipv6/ah/fragment/tcp", capture.LinkIPv6,
			ip6(ip6A, ip6B, ip6AH, 64, cat(ah6(ip6Fragment), frag6(ProtoTCP, 0, true), tcpHdr{flags: TCPSyn, options: make([]byte, 4)}.bytes())),
			[]boundary{{LayerIPv6, 40}, {LayerIPv6, 64}, {LayerIPv6, 72}, {LayerTCP, 92}}, 96},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var full Packet
			var d Decoder
			if err := d.Decode(tc.link, tc.data, &full); err != nil {
				t.Fatalf("full packet: %v", err)
			}
			for n := range len(tc.data) {
				var d Decoder
				var p Packet
				data := tc.data[:n:n] // no capacity beyond the cut: a read past it panics
				err := d.Decode(tc.link, data, &p)
				layer, cut := Layer(0), false
				for _, b := range tc.bounds {
					if n < b.end {
						layer, cut = b.layer, true
						break
					}
				}
				if cut {
					var e *Error
					if !errors.Is(err, ErrTruncated) || !errors.As(err, &e) || e.Layer() != layer {
						t.Errorf("cut at %d: err = %v, want truncated %v", n, err, layer)
					}
					if d.Errors[layer] != 1 || d.Errors.Total() != 1 {
						t.Errorf("cut at %d: Errors = %v", n, d.Errors)
					}
					continue
				}
				if err != nil {
					t.Errorf("cut at %d: %v", n, err)
					continue
				}
				if want := n < tc.ipEnd; p.Truncated != want {
					t.Errorf("cut at %d: Truncated = %v, want %v", n, p.Truncated, want)
				}
				if p.PayloadLen != full.PayloadLen || p.Src != full.Src || p.DstPort != full.DstPort || p.ARPOp != full.ARPOp {
					t.Errorf("cut at %d: %s, want %s", n, &p, &full)
				}
				if !within(p.Payload, data) || !bytes.HasPrefix(full.Payload, p.Payload) {
					t.Errorf("cut at %d: payload % x not a prefix of % x", n, p.Payload, full.Payload)
				}
			}
		})
	}
}

func TestVLAN(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Packet
		want uint16
	}{
		{"untagged", Packet{}, 0},
		{"one tag", Packet{VLANs: [2]uint16{10}, NVLAN: 1}, 10},
		{"qinq", Packet{VLANs: [2]uint16{100, 20}, NVLAN: 2}, 20},
		{"three tags", Packet{VLANs: [2]uint16{100, 7}, NVLAN: 3}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.VLAN(); got != tc.want {
				t.Errorf("VLAN() = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestPacketString(t *testing.T) {
	for _, tc := range []struct {
		name string
		link capture.LinkType
		data []byte
		want string
	}{
		{"tcp", capture.LinkEthernet, pktTCP4VLAN,
			"eth 00:1d:9c:c8:03:e7 > 00:0e:8c:f2:a5:a4 vlan 10 ipv4 192.168.0.1 > 192.168.0.3 ttl 64 len 71 tcp 49154 > 102 [P.] seq 934096608 ack 1378466098 win 63943 payload 19/19"},
		{"truncated", capture.LinkEthernet, pktTCP4VLAN[:80],
			"eth 00:1d:9c:c8:03:e7 > 00:0e:8c:f2:a5:a4 vlan 10 ipv4 192.168.0.1 > 192.168.0.3 ttl 64 len 71 tcp 49154 > 102 [P.] seq 934096608 ack 1378466098 win 63943 payload 10/19 truncated"},
		{"udp ipv6", capture.LinkEthernet, pktUDP6Ext,
			"eth 00:1d:9c:c8:03:e7 > ac:64:17:46:0d:51 ipv6 fe80::21d:9cff:fec8:3e7 > 2001:db8::502 ttl 255 len 104 udp 2222 > 44818 payload 24/24"},
		{"arp", capture.LinkEthernet, pktARP,
			"eth 00:1d:9c:c8:03:e7 > ff:ff:ff:ff:ff:ff arp op 1 00:1d:9c:c8:03:e7 192.168.0.1 > 192.168.0.3"},
		{"qinq syn", capture.LinkLinuxSLL2, cat(sll2(0x88a8, 1, 1, 0, macB[:]), u16(100), u16(0x8100), u16(20), u16(0x86dd), pktSLL2[20:]),
			"eth ac:64:17:46:0d:51 > 00:00:00:00:00:00 vlan 100 20 ipv6 2001:db8::502 > fe80::21d:9cff:fec8:3e7 ttl 64 len 68 tcp 40000 > 502 [S] seq 1 ack 0 win 64240 payload 0/0"},
		{"three tags lldp", capture.LinkEthernet, eth(macB, macA, 0x8100, 1, 0x8100, 2, 0x8100, 3, 0x88cc),
			"eth 00:1d:9c:c8:03:e7 > ac:64:17:46:0d:51 vlan 1 … 3 (3 tags) type 0x88cc"},
		{"icmp fragment", capture.LinkRaw, ip4{src: ip4A, dst: ip4B, proto: ProtoICMP, ttl: 9, flags: 0x2000, payload: icmp(0, 0, nil)}.bytes(),
			"ipv4 192.168.0.1 > 192.168.0.3 ttl 9 len 24 frag 0 icmp type 0 code 0 payload 0/0"},
		{"icmpv6", capture.LinkRaw, icmp6EchoPkt(),
			"ipv6 fe80::21d:9cff:fec8:3e7 > 2001:db8::502 ttl 64 len 52 icmpv6 type 128 code 0 payload 8/8"},
		{"later fragment", capture.LinkRaw, ip4{src: ip4A, dst: ip4B, proto: ProtoUDP, ttl: 9, flags: 1, payload: bytesN(8, 0)}.bytes(),
			"ipv4 192.168.0.1 > 192.168.0.3 ttl 9 len 28 frag 8 proto 17 payload 8/8"},
		{"arp over other hardware", capture.LinkEthernet, put16(pktARP, 14, 6),
			"eth 00:1d:9c:c8:03:e7 > ff:ff:ff:ff:ff:ff arp op 1"},
		{"nothing", capture.LinkNull, nullHdr(99, false), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			var p Packet
			if err := d.Decode(tc.link, tc.data, &p); err != nil {
				t.Fatal(err)
			}
			if got := p.String(); got != tc.want {
				t.Errorf("String() =\n\t%q\nwant\n\t%q", got, tc.want)
			}
		})
	}
}

func TestTCPFlags(t *testing.T) {
	for _, tc := range []struct {
		flags uint8
		want  string
	}{
		{0, "none"},
		{TCPSyn, "S"},
		{TCPSyn | TCPAck, "S."},
		{TCPFin | TCPPsh | TCPAck, "FP."},
		{TCPRst, "R"},
		{0xff, "SFPRUWE."},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := tcpFlags(tc.flags); got != tc.want {
				t.Errorf("tcpFlags(%#x) = %q, want %q", tc.flags, got, tc.want)
			}
		})
	}
}

func TestLayer(t *testing.T) {
	want := []string{"ethernet", "vlan", "sll", "sll2", "null", "arp", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "link"}
	if len(want) != int(NumLayers) {
		t.Fatalf("NumLayers = %d, want %d", NumLayers, len(want))
	}
	for i, w := range want {
		t.Run(w, func(t *testing.T) {
			l := Layer(i)
			if l.String() != w {
				t.Errorf("String() = %q", l.String())
			}
			if b, err := l.MarshalText(); err != nil || string(b) != w {
				t.Errorf("MarshalText() = %q, %v", b, err)
			}
		})
	}
	t.Run("out of range", func(t *testing.T) {
		if s := NumLayers.String(); s != "layer?" {
			t.Errorf("String() = %q", s)
		}
	})
}

func TestL3(t *testing.T) {
	for _, tc := range []struct {
		l    L3
		want string
	}{{L3None, "none"}, {L3ARP, "arp"}, {L3IPv4, "ipv4"}, {L3IPv6, "ipv6"}, {L3IPv6 + 1, "l3?"}} {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.l.String(); got != tc.want {
				t.Errorf("String() = %q", got)
			}
			if b, err := tc.l.MarshalText(); err != nil || string(b) != tc.want {
				t.Errorf("MarshalText() = %q, %v", b, err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	a := Errors{LayerIPv4: 2, LayerTCP: 1}
	b := Errors{LayerTCP: 3, LayerLink: 5}
	a.Add(&b)
	t.Run("Add", func(t *testing.T) {
		if want := (Errors{LayerIPv4: 2, LayerTCP: 4, LayerLink: 5}); a != want {
			t.Errorf("Add = %v, want %v", a, want)
		}
	})
	t.Run("Total", func(t *testing.T) {
		if a.Total() != 11 {
			t.Errorf("Total = %d, want 11", a.Total())
		}
	})
	t.Run("Map", func(t *testing.T) {
		want := map[string]uint64{"ipv4": 2, "tcp": 4, "link": 5}
		if got := a.Map(); !reflect.DeepEqual(got, want) {
			t.Errorf("Map = %v, want %v", got, want)
		}
		var z Errors
		if got := z.Map(); len(got) != 0 {
			t.Errorf("zero Map = %v", got)
		}
	})
}

func TestCounters(t *testing.T) {
	// Every field set to a distinct value, so a field forgotten in Add or
	// Map shows.
	var a Counters
	v := reflect.ValueOf(&a).Elem()
	for i := range v.NumField() {
		v.Field(i).SetUint(uint64(i + 1))
	}
	if v.NumField() != 14 {
		t.Fatalf("Counters has %d fields: update Add, Map and this test", v.NumField())
	}
	sum := a
	sum.Add(&a)
	t.Run("Add", func(t *testing.T) {
		s := reflect.ValueOf(sum)
		for i := range s.NumField() {
			if got, want := s.Field(i).Uint(), uint64(2*(i+1)); got != want {
				t.Errorf("%s = %d, want %d", s.Type().Field(i).Name, got, want)
			}
		}
	})
	t.Run("Map", func(t *testing.T) {
		want := map[string]uint64{
			"packets": 1, "truncated": 2, "fragments": 3, "non_ip": 4, "other": 5, "other_l4": 6, "vlan": 7,
			"arp": 8, "ipv4": 9, "ipv6": 10, "tcp": 11, "udp": 12, "icmp": 13, "icmpv6": 14,
		}
		if got := a.Map(); !reflect.DeepEqual(got, want) {
			t.Errorf("Map = %v, want %v", got, want)
		}
		if got := (&Counters{TCP: 1}).Map(); !reflect.DeepEqual(got, map[string]uint64{"tcp": 1}) {
			t.Errorf("Map = %v", got)
		}
	})
}

// TestDecodeAllocs proves the packet path allocates nothing: each link and
// protocol combination, including the error path.
func TestDecodeAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		link capture.LinkType
		data []byte
	}{
		{"ethernet/vlan/ipv4/tcp", capture.LinkEthernet, pktTCP4VLAN},
		{"ethernet/ipv6/ext/udp", capture.LinkEthernet, pktUDP6Ext},
		{"ethernet/arp", capture.LinkEthernet, pktARP},
		{"sll2/ipv6/tcp", capture.LinkLinuxSLL2, pktSLL2},
		{"sll/ipv4/udp", capture.LinkLinuxSLL, pktSLL},
		{"raw/ipv6/icmpv6", capture.LinkRaw, icmp6EchoPkt()},
		{"error/tcp malformed", capture.LinkEthernet, put8(pktTCP4VLAN, 18+20+12, 0x40)},
		{"error/unsupported link", 105, pktTCP4VLAN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			var p Packet
			allocs := testing.AllocsPerRun(1000, func() {
				_ = d.Decode(tc.link, tc.data, &p)
			})
			if allocs != 0 {
				t.Errorf("Decode allocates %v times per packet, want 0", allocs)
			}
		})
	}
}

// TestSupports: Supports is true exactly for the link types Decode reads.
func TestSupports(t *testing.T) {
	var d Decoder
	var p Packet
	for l := range capture.LinkType(300) {
		err := d.Decode(l, pktTCP4VLAN, &p)
		if unsupported := errors.Is(err, ErrUnsupportedLink); Supports(l) == unsupported {
			t.Errorf("Supports(%v) = %v, Decode error %v", l, Supports(l), err)
		}
	}
}
