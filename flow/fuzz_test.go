package flow

import (
	"net/netip"
	"testing"
	"time"

	"harborwatch/decode"
)

// Fuzz packets are 6 bytes each:
//
//	0: bits 0-1 protocol (TCP, UDP, ICMP, GRE), bit 2 IPv6, bit 3 VLAN 7,
//	   bits 4-5 damage (1: later fragment, 2: no L4 header), bit 6 no Ethernet
//	1: source: bits 0-1 host, bits 2-3 port (502, 102, 50000, 50001)
//	2: destination, as byte 1
//	3: TCP flags
//	4: time step: bits 0-6 count, bit 7 unit (1ms or 5s); 0xff steps back 30s
//	5: bits 0-1 sequence number, bits 2-7 payload length
const fuzzPktLen = 6

var (
	fuzzHosts4 = [4]netip.Addr{
		netip.AddrFrom4([4]byte{10, 0, 0, 1}), netip.AddrFrom4([4]byte{10, 0, 0, 2}),
		netip.AddrFrom4([4]byte{10, 0, 0, 3}), netip.AddrFrom4([4]byte{192, 168, 1, 1}),
	}
	fuzzHosts6 = [4]netip.Addr{
		netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2"),
		netip.MustParseAddr("fe80::3"), netip.MustParseAddr("::ffff:10.0.0.1"),
	}
	fuzzPorts = [4]uint16{502, 102, 50000, 50001}
	fuzzProto = [4]uint8{decode.ProtoTCP, decode.ProtoUDP, decode.ProtoICMP, 47}
)

// fuzzPacket fills p from one fuzz record and returns the time step.
func fuzzPacket(p *decode.Packet, b []byte) time.Duration {
	*p = decode.Packet{}
	p.L3, p.Proto = decode.L3IPv4, fuzzProto[b[0]&3]
	hosts := &fuzzHosts4
	if b[0]&4 != 0 {
		p.L3, hosts = decode.L3IPv6, &fuzzHosts6
	}
	if b[0]&8 != 0 {
		p.VLANs[0], p.NVLAN = 7, 1
	}
	p.Src, p.Dst = hosts[b[1]&3], hosts[b[2]&3]
	p.HasEth = b[0]&0x40 == 0
	p.SrcMAC = [6]byte{0x02, 0, 0, 0, 0, b[1]}
	p.DstMAC = [6]byte{0x02, 0, 0, 0, 0, b[2]}
	p.HasL4 = true
	p.SrcPort, p.DstPort = fuzzPorts[b[1]>>2&3], fuzzPorts[b[2]>>2&3]
	if p.Proto == decode.ProtoTCP {
		p.TCPFlags = b[3]
	}
	switch b[0] >> 4 & 3 {
	case 1:
		p.Frag, p.FragOff, p.HasL4 = true, 185, false
	case 2:
		p.HasL4 = false
	}
	if p.Proto == 47 {
		p.HasL4, p.SrcPort, p.DstPort = false, 0, 0
	}
	p.Seq = uint32(b[5] & 3)
	p.Payload = make([]byte, b[5]>>2)
	p.IPLen = 40 + len(p.Payload)
	switch {
	case b[4] == 0xff:
		return -30 * time.Second
	case b[4]&0x80 != 0:
		return time.Duration(b[4]&0x7f) * 5 * time.Second
	}
	return time.Duration(b[4]) * time.Millisecond
}

// fuzzSeed encodes records for the seed corpus.
func fuzzSeed(recs ...[fuzzPktLen]byte) []byte {
	var b []byte
	for _, r := range recs {
		b = append(b, r[:]...)
	}
	return b
}

func FuzzTable(f *testing.F) {
	const (
		cl  = 2<<2 | 0 // 10.0.0.1:50000
		srv = 0<<2 | 1 // 10.0.0.2:502
	)
	// The scenarios of the table tests.
	f.Add(fuzzSeed( // handshake, data, close both ways
		[6]byte{0, cl, srv, syn, 1, 0}, [6]byte{0, srv, cl, synack, 1, 0}, [6]byte{0, cl, srv, ack, 1, 0},
		[6]byte{0, cl, srv, psh, 1, 12 << 2}, [6]byte{0, srv, cl, psh, 1, 11 << 2},
		[6]byte{0, cl, srv, fin, 1, 0}, [6]byte{0, srv, cl, fin, 1, 0}, [6]byte{0, cl, srv, ack, 1, 0}))
	f.Add(fuzzSeed( // refused, retried on the same port, then idle past the closed timeout
		[6]byte{0, cl, srv, syn, 1, 1}, [6]byte{0, srv, cl, rstack, 1, 0}, [6]byte{0, cl, srv, syn, 1, 1},
		[6]byte{0, cl, srv, syn, 1, 2}, [6]byte{0, srv, cl, rstack, 1, 0}, [6]byte{1, cl, srv, 0, 0x83, 0}))
	f.Add(fuzzSeed( // midstream from the server port, syn-ack first, udp and icmp
		[6]byte{0, srv, cl, psh, 1, 4}, [6]byte{0, srv | 2<<2, cl | 1, synack, 1, 0},
		[6]byte{1, srv, cl, 0, 1, 8}, [6]byte{2, 1, 2, 0, 1, 8}, [6]byte{3, 1, 2, 0, 1, 0}))
	f.Add(fuzzSeed( // VLAN, IPv6, fragments, missing L4, skipped packets
		[6]byte{8, cl, srv, syn, 1, 0}, [6]byte{4, cl, srv, syn, 1, 0}, [6]byte{0x10, cl, srv, 0, 1, 0},
		[6]byte{0x21, cl, srv, 0, 1, 0}, [6]byte{0x44, cl, srv, psh, 1, 0}))
	f.Add(fuzzSeed( // more flows than the table holds, then time going back and forth
		[6]byte{0, 0, 1, syn, 1, 0}, [6]byte{0, 1, 2, syn, 1, 0}, [6]byte{0, 2, 3, syn, 1, 0},
		[6]byte{0, 3, 4, syn, 1, 0}, [6]byte{0, 4, 5, syn, 1, 0}, [6]byte{0, 5, 6, syn, 1, 0},
		[6]byte{0, 6, 7, syn, 1, 0}, [6]byte{0, 7, 8, syn, 1, 0}, [6]byte{0, 8, 9, syn, 1, 0},
		[6]byte{1, 9, 10, 0, 0xff, 0}, [6]byte{1, 10, 11, 0, 0xff, 0}, [6]byte{2, 11, 12, 0, 0x8c, 0}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxFlows = 8
		var ended, endedPackets uint64
		tab := New(Options[uint64]{
			MaxFlows:   maxFlows,
			TCPTimeout: time.Minute, UDPTimeout: 20 * time.Second, OtherTimeout: 20 * time.Second, ClosedTimeout: 5 * time.Second,
			OnEnd: func(f *Flow[uint64], r EndReason) {
				if !f.live || r > Flushed || f.X != f.Packets[0]+f.Packets[1] {
					t.Fatalf("OnEnd(%+v, %v)", f, r)
				}
				ended++
				endedPackets += f.X
			},
		})
		var (
			p      decode.Packet
			ts     int64
			counts uint64 // packets put in flows
		)
		for ; len(data) >= fuzzPktLen; data = data[fuzzPktLen:] {
			ts += int64(fuzzPacket(&p, data))
			f, dir, isNew := tab.Packet(&p, ts)
			tab.check(t)
			if tab.Len() > maxFlows {
				t.Fatalf("Len %d > MaxFlows", tab.Len())
			}
			if f == nil {
				if isNew {
					t.Fatal("nil flow is new")
				}
				continue
			}
			counts++
			f.X++
			k, _ := KeyOf(&p)
			if f.Key != k || f.VLAN != k.VLAN || f.Proto != k.Proto {
				t.Fatalf("packet %+v in flow %+v", k, f.Key)
			}
			sp, dp := ports(&p)
			from, to := f.endpoint(dir), f.endpoint(1-dir)
			if from.Addr != p.Src || from.Port != sp || to.Addr != p.Dst || to.Port != dp {
				t.Fatalf("dir %v does not match packet %v:%d → %v:%d in %+v", dir, p.Src, sp, p.Dst, dp, f)
			}
			if isNew != (f.X == 1) || f.Packets[0]+f.Packets[1] != f.X {
				t.Fatalf("isNew %v, packets %v, seen %d", isNew, f.Packets, f.X)
			}
			if f.Proto != decode.ProtoTCP && f.State != None {
				t.Fatalf("%d flow in state %v", f.Proto, f.State)
			}
		}
		tab.Flush()
		tab.check(t)
		st := tab.Stats()
		if st.Active != 0 || ended != st.Created || endedPackets != counts {
			t.Fatalf("after Flush: stats %+v, OnEnd %d calls for %d of %d packets", st, ended, endedPackets, counts)
		}
	})
}
