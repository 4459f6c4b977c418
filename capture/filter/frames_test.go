package filter

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"harborwatch/capture"
)

// Frames for the edge cases the shared captures lack: IPv4 fragments and
// options, IPv6 extension and fragment headers, SCTP, ARP and RARP,
// QinQ and 0x9100 tags, tags with priority bits, frames cut short.

var (
	macA  = []byte{0x00, 0x1b, 0x1b, 0x01, 0x00, 0x05}
	macB  = []byte{0x00, 0xa0, 0x45, 0x6d, 0xd3, 0x44}
	bcast = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

func ether(dst, src []byte, typ uint16, payload []byte) []byte {
	b := append(append([]byte{}, dst...), src...)
	b = binary.BigEndian.AppendUint16(b, typ)
	return append(b, payload...)
}

// tagged puts tags (TPID, TCI pairs) after the MAC addresses.
func tagged(f []byte, tags ...uint16) []byte {
	out := append([]byte{}, f[:12]...)
	for _, v := range tags {
		out = binary.BigEndian.AppendUint16(out, v)
	}
	return append(out, f[12:]...)
}

func ipv4(src, dst string, proto byte, fragWord uint16, opts int, payload []byte) []byte {
	ihl := 5 + opts
	h := make([]byte, 4*ihl)
	h[0] = 0x40 | byte(ihl)
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)+len(payload)))
	binary.BigEndian.PutUint16(h[6:], fragWord)
	h[8], h[9] = 64, proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	for i := 20; i < len(h); i++ {
		h[i] = 1 // NOP options
	}
	return append(h, payload...)
}

func ipv6(src, dst string, next byte, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6], h[7] = next, 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

func ports(sp, dp uint16, n int) []byte {
	b := binary.BigEndian.AppendUint16(nil, sp)
	b = binary.BigEndian.AppendUint16(b, dp)
	return append(b, make([]byte, n)...)
}

func arp(op uint16, spa, tpa string) []byte {
	b := []byte{0, 1, 8, 0, 6, 4}
	b = binary.BigEndian.AppendUint16(b, op)
	s, t := netip.MustParseAddr(spa).As4(), netip.MustParseAddr(tpa).As4()
	b = append(append(b, macA...), s[:]...)
	b = append(append(b, make([]byte, 6)...), t[:]...)
	return b
}

// edgeFrames returns the edge-case frames, each untagged and under the
// tags of tagSets.
func edgeFrames() [][]byte {
	var l3 [][]byte
	add := func(f []byte) { l3 = append(l3, f) }
	for _, pr := range []struct {
		proto  byte
		sp, dp uint16
	}{{6, 40000, 502}, {17, 47808, 47808}, {132, 2905, 102}, {6, 102, 51000}, {17, 53, 33000}} {
		// IPv4: whole, with options, first fragment, later fragment, DF set.
		add(ether(macA, macB, 0x0800, ipv4("10.10.1.5", "10.10.2.11", pr.proto, 0, 0, ports(pr.sp, pr.dp, 12))))
		add(ether(macB, macA, 0x0800, ipv4("10.10.2.11", "10.10.1.5", pr.proto, 0, 2, ports(pr.sp, pr.dp, 12))))
		add(ether(macA, macB, 0x0800, ipv4("192.168.1.1", "10.10.1.5", pr.proto, 0x2000, 0, ports(pr.sp, pr.dp, 12))))
		add(ether(macA, macB, 0x0800, ipv4("192.168.1.1", "10.10.1.5", pr.proto, 0x2000|185, 0, ports(pr.sp, pr.dp, 12))))
		add(ether(macA, macB, 0x0800, ipv4("192.168.1.1", "10.10.1.5", pr.proto, 185, 0, ports(pr.sp, pr.dp, 12))))
		add(ether(macA, macB, 0x0800, ipv4("10.10.9.30", "10.10.1.5", pr.proto, 0x4000, 0, ports(pr.sp, pr.dp, 12))))
		// IPv6: plain, behind a hop-by-hop header, behind a fragment header.
		add(ether(macA, macB, 0x86dd, ipv6("fe80::14ea:3851:8243:3893", "::1", pr.proto, ports(pr.sp, pr.dp, 12))))
		add(ether(macB, macA, 0x86dd, ipv6("2001:db8::5", "fe80::1", 0, append([]byte{pr.proto, 0, 1, 4, 0, 0, 0, 0}, ports(pr.sp, pr.dp, 12)...))))
		add(ether(macB, macA, 0x86dd, ipv6("2001:db8::5", "::1", 44, append([]byte{pr.proto, 0, 0, 0, 0, 0, 0, 1}, ports(pr.sp, pr.dp, 12)...))))
	}
	add(ether(macA, macB, 0x0800, ipv4("10.10.1.5", "10.10.1.1", 1, 0, 0, []byte{8, 0, 0, 0, 0, 1, 0, 1})))
	add(ether(macA, macB, 0x0800, ipv4("10.10.1.5", "224.0.0.22", 2, 0, 0, make([]byte, 8))))
	add(ether(macA, macB, 0x86dd, ipv6("fe80::14ea:3851:8243:3893", "ff02::1", 58, []byte{135, 0, 0, 0, 0, 0, 0, 0})))
	add(ether(macA, macB, 0x86dd, ipv6("fe80::14ea:3851:8243:3893", "ff02::1", 44, append([]byte{58, 0, 0, 0, 0, 0, 0, 1}, 128, 0, 0, 0))))
	add(ether(bcast, macA, 0x0806, arp(1, "10.10.1.5", "10.10.1.1")))
	add(ether(bcast, macB, 0x0806, arp(2, "192.168.1.1", "10.10.1.5")))
	add(ether(bcast, macB, 0x8035, arp(3, "10.10.1.5", "192.168.1.1")))
	add(ether(bcast, macB, 0x88cc, make([]byte, 46)))
	add(ether(macA, macB, 0x88b5, make([]byte, 1500)))
	add(ether(macA, macB, 0x0800, ipv4("10.10.1.5", "10.10.2.11", 6, 0, 0, ports(1, 2, 1400))))

	var out [][]byte
	for _, f := range l3 {
		out = append(out, f)
		for _, tags := range [][]uint16{{0x8100, 110}, {0x8100, 0xa000 | 210}, {0x88a8, 300, 0x8100, 110}, {0x9100, 300, 0x8100, 210}, {0x8100, 0}} {
			out = append(out, tagged(f, tags...))
		}
	}
	// Short frames: a load beyond them rejects the packet.
	out = append(out, macA[:5], ether(macA, macB, 0x0800, nil), ether(macA, macB, 0x0800, make([]byte, 10)),
		tagged(ether(macA, macB, 0x0800, nil), 0x8100, 110)[:16], ether(macA, macB, 0x86dd, make([]byte, 20)))
	return out
}

// writeEdges writes the edge-case frames into a pcap in dir; the last
// few are also cut short by the capture (snap length below the frame).
func writeEdges(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "edges.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := capture.NewPcapWriter(f, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	ts := int64(1_700_000_000) * 1e9
	for i, fr := range edgeFrames() {
		ts += 1e6
		orig := len(fr)
		if i%17 == 5 && len(fr) > 40 {
			fr = fr[:40] // a capture with a short snap length
		}
		if err := w.WritePacket(ts, fr, orig); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}
