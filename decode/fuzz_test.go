package decode

import (
	"errors"
	"testing"

	"harborwatch/capture"
)

var fuzzLinks = []capture.LinkType{
	capture.LinkNull, capture.LinkEthernet, capture.LinkRaw, capture.LinkLinuxSLL,
	capture.LinkIPv4, capture.LinkIPv6, capture.LinkLinuxSLL2,
}

// FuzzDecode: no panic, no read outside the input (the input has no spare
// capacity), Payload inside the input, and an error always moves exactly one
// layer counter.
func FuzzDecode(f *testing.F) {
	for _, s := range []struct {
		link capture.LinkType
		data []byte
	}{
		{capture.LinkEthernet, pktTCP4VLAN},
		{capture.LinkEthernet, pktUDP6Ext},
		{capture.LinkEthernet, pktARP},
		{capture.LinkLinuxSLL2, pktSLL2},
		{capture.LinkLinuxSLL, pktSLL},
		{capture.LinkRaw, icmp6EchoPkt()},
		{capture.LinkNull, cat(nullHdr(afInet, false), udp4(bytesN(12, 0)))},
		{capture.LinkIPv6, ip6(ip6A, ip6B, ip6AH, 64, cat(ah6(ip6Fragment), frag6(ProtoTCP, 0, true), tcpHdr{flags: TCPSyn}.bytes()))},
		{capture.LinkIPv4, ip4{src: ip4A, dst: ip4B, proto: ProtoUDP, flags: 185, payload: bytesN(40, 0)}.bytes()},
	} {
		f.Add(uint32(s.link), s.data)
	}
	for _, name := range []string{"s7comm_plus.pcap", "enip_cip_example.pcap"} {
		link, frames := readPcap(f, name)
		for i, fr := range frames {
			if i%50 == 0 {
				f.Add(uint32(link), fr)
			}
		}
	}
	f.Fuzz(func(t *testing.T, link uint32, data []byte) {
		// Map most link values onto supported ones so the corpus explores
		// the decoders, keeping some unsupported ones.
		l := capture.LinkType(link)
		if link < 1<<31 {
			l = fuzzLinks[link%uint32(len(fuzzLinks))]
		}
		data = data[:len(data):len(data)]
		var d Decoder
		var p Packet
		err := d.Decode(l, data, &p)
		if !within(p.Payload, data) {
			t.Fatalf("Payload outside the input")
		}
		if p.PayloadLen < len(p.Payload) {
			t.Fatalf("PayloadLen %d < len(Payload) %d", p.PayloadLen, len(p.Payload))
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if d.Errors[e.Layer()] != 1 || d.Errors.Total() != 1 {
				t.Fatalf("error %v: Errors = %v", err, d.Errors)
			}
			if p.HasL4 {
				t.Fatalf("error %v with HasL4", err)
			}
		} else if d.Errors.Total() != 0 {
			t.Fatalf("no error but Errors = %v", d.Errors)
		}
		_ = p.String()
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct {
		name string
		link capture.LinkType
		data []byte
	}{
		{"ethernet/vlan/ipv4/tcp", capture.LinkEthernet, pktTCP4VLAN},
		{"ethernet/ipv6/ext/udp", capture.LinkEthernet, pktUDP6Ext},
		{"ethernet/arp", capture.LinkEthernet, pktARP},
		{"sll/ipv4/udp", capture.LinkLinuxSLL, pktSLL},
		{"sll2/ipv6/tcp", capture.LinkLinuxSLL2, pktSLL2},
		{"raw/ipv6/icmpv6", capture.LinkRaw, icmp6EchoPkt()},
		{"null/ipv4/udp", capture.LinkNull, cat(nullHdr(afInet, false), udp4(bytesN(12, 0)))},
		{"error/tcp", capture.LinkEthernet, put8(pktTCP4VLAN, 18+20+12, 0x40)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var d Decoder
			var p Packet
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.data)))
			n := 0
			for b.Loop() {
				_ = d.Decode(bc.link, bc.data, &p)
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
	b.Run("capture/enip_cip_example", func(b *testing.B) {
		link, frames := readPcap(b, "enip_cip_example.pcap")
		var d Decoder
		var p Packet
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			_ = d.Decode(link, frames[n%len(frames)], &p)
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pkts/s")
	})
}
