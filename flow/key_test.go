package flow

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"

	"harborwatch/decode"
)

func TestKeyOf(t *testing.T) {
	a4 := netip.MustParseAddr
	tests := []struct {
		name   string
		p      pkt
		want   Key
		aIsSrc bool
	}{
		{"tcp lower source", pkt{src: "10.0.0.1:50000", dst: "10.0.0.2:502"},
			Key{Proto: 6, A: a4("10.0.0.1"), APort: 50000, B: a4("10.0.0.2"), BPort: 502}, true},
		{"tcp higher source", pkt{src: "10.0.0.2:502", dst: "10.0.0.1:50000"},
			Key{Proto: 6, A: a4("10.0.0.1"), APort: 50000, B: a4("10.0.0.2"), BPort: 502}, false},
		{"same address, ports order", pkt{src: "10.0.0.1:600", dst: "10.0.0.1:500", proto: decode.ProtoUDP},
			Key{Proto: 17, A: a4("10.0.0.1"), APort: 500, B: a4("10.0.0.1"), BPort: 600}, false},
		{"identical endpoints", pkt{src: "10.0.0.1:47808", dst: "10.0.0.1:47808", proto: decode.ProtoUDP},
			Key{Proto: 17, A: a4("10.0.0.1"), APort: 47808, B: a4("10.0.0.1"), BPort: 47808}, true},
		{"icmp ignores type and code", pkt{src: "10.0.0.9", dst: "10.0.0.3", proto: decode.ProtoICMP},
			Key{Proto: 1, A: a4("10.0.0.3"), B: a4("10.0.0.9")}, false},
		{"other protocol", pkt{src: "10.0.0.3", dst: "10.0.0.9", proto: 47},
			Key{Proto: 47, A: a4("10.0.0.3"), B: a4("10.0.0.9")}, true},
		{"vlan", pkt{src: "10.0.0.1:1", dst: "10.0.0.2:2", vlan: 30},
			Key{VLAN: 30, Proto: 6, A: a4("10.0.0.1"), APort: 1, B: a4("10.0.0.2"), BPort: 2}, true},
		{"ipv6", pkt{src: "[fd00::20]:102", dst: "[fd00::3]:49152"},
			Key{Proto: 6, A: a4("fd00::3"), APort: 49152, B: a4("fd00::20"), BPort: 102}, false},
		{"icmpv6", pkt{src: "fe80::1", dst: "fe80::2", proto: decode.ProtoICMPv6},
			Key{Proto: 58, A: a4("fe80::1"), B: a4("fe80::2")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, aIsSrc := KeyOf(tc.p.build(t))
			if k != tc.want || aIsSrc != tc.aIsSrc {
				t.Errorf("KeyOf = %+v, %v; want %+v, %v", k, aIsSrc, tc.want, tc.aIsSrc)
			}
		})
	}
}

func TestKeyOfQinQ(t *testing.T) {
	p := pkt{src: "10.0.0.1:1", dst: "10.0.0.2:2"}.build(t)
	p.VLANs, p.NVLAN = [2]uint16{100, 20}, 2
	if k, _ := KeyOf(p); k.VLAN != 20 {
		t.Errorf("VLAN = %d, want inner tag 20", k.VLAN)
	}
}

func TestHash(t *testing.T) {
	tests := []struct {
		name string
		p    pkt
		want uint64 // pinned (checked against an independent implementation): shards must not move between runs or builds
	}{
		{"modbus", pkt{src: "10.0.0.1:50000", dst: "10.0.0.2:502"}, 0x69a29a7c13087f43},
		{"s7 vlan", pkt{src: "192.168.10.5:49152", dst: "192.168.10.20:102", vlan: 10}, 0x0adff24d3b8b9009},
		{"ipv6 udp", pkt{src: "[fd00::1]:47808", dst: "[fd00::2]:47808", proto: decode.ProtoUDP}, 0x542e83681dd43590},
		{"icmp", pkt{src: "10.0.0.1", dst: "10.0.0.2", proto: decode.ProtoICMP}, 0x346c3e5e7f382fcf},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fwd := tc.p.build(t)
			rev := pkt{src: tc.p.dst, dst: tc.p.src, proto: tc.p.proto, vlan: tc.p.vlan}.build(t)
			h := Hash(fwd)
			if h != tc.want {
				t.Errorf("Hash = %#x, want %#x", h, tc.want)
			}
			if r := Hash(rev); r != h {
				t.Errorf("reverse Hash = %#x, forward %#x", r, h)
			}
			if k, _ := KeyOf(fwd); k.Hash() != h {
				t.Errorf("Key.Hash = %#x, Hash = %#x", k.Hash(), h)
			}
		})
	}
}

func TestHashSeparates(t *testing.T) {
	base := pkt{src: "10.0.0.1:50000", dst: "10.0.0.2:502"}
	h := Hash(base.build(t))
	tests := []struct {
		name string
		p    pkt
	}{
		{"vlan", pkt{src: base.src, dst: base.dst, vlan: 1}},
		{"proto", pkt{src: base.src, dst: base.dst, proto: decode.ProtoUDP}},
		{"port", pkt{src: "10.0.0.1:50001", dst: base.dst}},
		{"address", pkt{src: "10.0.0.3:50000", dst: base.dst}},
		{"ports swapped between hosts", pkt{src: "10.0.0.1:502", dst: "10.0.0.2:50000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if Hash(tc.p.build(t)) == h {
				t.Errorf("same hash as base flow")
			}
		})
	}
}

// TestHashSpread checks that flows spread evenly over shards, both for
// random flows and for the regular address plans of OT networks.
func TestHashSpread(t *testing.T) {
	const n = 100_000
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(i int, p *decode.Packet) {
		var a, b [4]byte
		binary.BigEndian.PutUint32(a[:], rng.Uint32())
		binary.BigEndian.PutUint32(b[:], rng.Uint32())
		p.Src, p.Dst = netip.AddrFrom4(a), netip.AddrFrom4(b)
		p.SrcPort, p.DstPort = uint16(rng.Uint32()), uint16(rng.Uint32())
	}
	// Many clients in one /16 talking to one PLC port, sequential ports.
	plan := func(i int, p *decode.Packet) {
		p.Src = netip.AddrFrom4([4]byte{10, 20, byte(i >> 8 % 8), byte(i)})
		p.Dst = netip.AddrFrom4([4]byte{10, 20, 100, byte(i % 3)})
		p.SrcPort, p.DstPort = uint16(49152+i/2048), 502
	}
	ipv6 := func(i int, p *decode.Packet) {
		p.Src = netip.AddrFrom16([16]byte{0xfd, 0, 15: byte(i), 14: byte(i >> 8)})
		p.Dst = netip.AddrFrom16([16]byte{0xfd, 0, 15: 1})
		p.SrcPort, p.DstPort = uint16(i>>16), 44818
	}
	gens := []struct {
		name string
		fill func(int, *decode.Packet)
	}{{"random", random}, {"address plan", plan}, {"ipv6", ipv6}}
	for _, g := range gens {
		for _, shards := range []int{2, 4, 8} {
			t.Run(g.name+"/"+string(rune('0'+shards)), func(t *testing.T) {
				counts := make([]int, shards)
				p := &decode.Packet{L3: decode.L3IPv4, Proto: decode.ProtoTCP, HasL4: true}
				for i := range n {
					g.fill(i, p)
					counts[Hash(p)%uint64(shards)]++
				}
				even := n / shards
				for s, c := range counts {
					if c < even*95/100 || c > even*105/100 {
						t.Errorf("shard %d of %d has %d flows, want %d ±5%%", s, shards, c, even)
					}
				}
			})
		}
	}
}

func TestServerPort(t *testing.T) {
	tests := []struct {
		name string
		port uint16
		want bool
	}{
		{"zero", 0, true},
		{"modbus", 502, true},
		{"iso-tsap", 102, true},
		{"last system port", 1023, true},
		{"first user port", 1024, false},
		{"enip explicit", 44818, true},
		{"enip io", 2222, true},
		{"iec 104", 2404, true},
		{"vnc low", 5900, true},
		{"vnc high", 5910, true},
		{"past vnc", 5911, false},
		{"profinet", 34963, true},
		{"past profinet", 34965, false},
		{"bacnet", 47808, true},
		{"dnp3", 20000, true},
		{"opc ua", 4840, true},
		{"ephemeral", 49152, false},
		{"max", 65535, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := serverPort(tc.port); got != tc.want {
				t.Errorf("serverPort(%d) = %v, want %v", tc.port, got, tc.want)
			}
		})
	}
}

func TestKeyHashAllocs(t *testing.T) {
	p := pkt{src: "[fd00::1]:50000", dst: "[fd00::2]:502"}.build(t)
	var sink uint64
	if n := testing.AllocsPerRun(1000, func() {
		k, _ := KeyOf(p)
		sink += Hash(p) + k.Hash()
	}); n != 0 {
		t.Errorf("KeyOf+Hash: %v allocs, want 0", n)
	}
	_ = sink
}
