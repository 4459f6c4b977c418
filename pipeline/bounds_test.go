package pipeline

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"harborwatch/capture"
	"harborwatch/detect"
	"harborwatch/observe"
)

// Generators of hostile captures: many hosts, many pending PDUs. They
// build the frames by hand so that the tests hold no large files.

// tcp4 is an IPv4 TCP segment (header checksum set, TCP checksum zero).
func tcp4(src, dst netip.Addr, sport, dport uint16, seq uint32, flags uint8, payload []byte) []byte {
	ip := ipv4Header(src, dst, 6, 0x40, 20+len(payload))
	ip = binary.BigEndian.AppendUint16(ip, sport)
	ip = binary.BigEndian.AppendUint16(ip, dport)
	ip = binary.BigEndian.AppendUint32(ip, seq)
	ip = binary.BigEndian.AppendUint32(ip, 0)
	ip = append(ip, 5<<4, flags)
	ip = binary.BigEndian.AppendUint16(ip, 65535)
	ip = append(ip, 0, 0, 0, 0)
	return append(ip, payload...)
}

func hostN(base byte, i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, base, byte(i >> 8), byte(i)})
}

// pcapOf runs gen over a pcap writer and returns the capture's bytes.
func pcapOf(t testing.TB, gen func(write func(ts int64, frame []byte))) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	gen(func(ts int64, frame []byte) {
		if err := w.WritePacket(ts, frame, len(frame)); err != nil {
			t.Fatal(err)
		}
	})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const t0 = int64(1793700000) * 1e9

// synFlood: n SYNs, each from its own MAC and address, to one server.
func synFlood(n int) func(write func(int64, []byte)) {
	return func(write func(int64, []byte)) {
		srv := netip.AddrFrom4([4]byte{10, 1, 0, 1})
		for i := range n {
			mac := [6]byte{0x02, 0x10, 0, byte(i >> 16), byte(i >> 8), byte(i)}
			src := netip.AddrFrom4([4]byte{10, 2 + byte(i>>16), byte(i >> 8), byte(i)})
			write(t0+int64(i)*1000, eth([6]byte{0x02, 0, 0, 0, 0, 1}, mac, 0x0800, tcp4(src, srv, 40000, 502, 1, 0x02, nil)))
		}
	}
}

// s7Pending: n S7 connections, each sending segs segments of a TPKT
// packet announcing 65,535 bytes that never completes, interleaved so
// that every connection waits at once.
func s7Pending(n, segs int) func(write func(int64, []byte)) {
	return func(write func(int64, []byte)) {
		plc := netip.AddrFrom4([4]byte{10, 1, 0, 2})
		seg := make([]byte, 1400)
		first := append([]byte{3, 0, 0xff, 0xff, 2, 0xf0, 0x80, 0x32, 1}, make([]byte, 1400-9)...)
		ts := t0
		for i := range n { // each opens with a SYN: its first bytes start a PDU
			cl := hostN(3, i)
			mac := [6]byte{0x02, 0x20, 0, 0, byte(i >> 8), byte(i)}
			ts += 1000
			write(ts, eth([6]byte{0x02, 0, 0, 0, 0, 2}, mac, 0x0800, tcp4(cl, plc, 50000, 102, 0, 0x02, nil)))
		}
		for j := range segs {
			pl := seg
			if j == 0 {
				pl = first
			}
			for i := range n {
				cl := hostN(3, i)
				mac := [6]byte{0x02, 0x20, 0, 0, byte(i >> 8), byte(i)}
				ts += 1000
				write(ts, eth([6]byte{0x02, 0, 0, 0, 0, 2}, mac, 0x0800, tcp4(cl, plc, 50000, 102, uint32(1+j*len(seg)), 0x18, pl)))
			}
		}
	}
}

// TestHostsBudget: a SYN from each of many MACs fills the observation
// tables only up to their share of the budget; the rest are counted.
func TestHostsBudget(t *testing.T) {
	const n = 20000
	data := pcapOf(t, synFlood(n))
	mem := FlowMemoryFloor(1)
	res := runBytes(t, data, "gen.pcap", Options{Workers: 1, FlowMemory: mem})
	st := res.Stats
	share := budgetOf(mem, 1).hostBytes
	if max := int(share / observe.HostBytes); len(res.Assets) > max {
		t.Errorf("%d assets kept in %d bytes, want at most %d", len(res.Assets), share, max)
	}
	if st.HostsDropped == 0 || !st.MemoryDropped() {
		t.Errorf("no host dropped: %+v", st)
	}
	if st.Packets != n {
		t.Errorf("%d packets, want %d", st.Packets, n)
	}
	roomy := runBytes(t, data, "gen.pcap", Options{Workers: 1, FlowMemory: 256 << 20})
	if roomy.Stats.HostsDropped != 0 || len(roomy.Assets) < n {
		t.Errorf("256 MiB: %d hosts dropped, %d assets", roomy.Stats.HostsDropped, len(roomy.Assets))
	}
}

// TestReassemblyBudget: connections each holding most of a 64 KiB PDU
// are charged to the flow memory; beyond it the pending bytes of the
// stream that waited longest are dropped and counted, never silently.
func TestReassemblyBudget(t *testing.T) {
	const flows, segs = 200, 40
	data := pcapOf(t, s7Pending(flows, segs))
	src, err := capture.NewReader(bytes.NewReader(data), "gen.pcap")
	if err != nil {
		t.Fatal(err)
	}
	b := budgetOf(2<<20, 1)
	s := newShard(detect.New(detect.Options{}), observe.New(observe.Options{}), b, false, []string{"gen.pcap"})
	var p capture.Packet
	var peak int64
	for src.Next(&p) == nil {
		s.handle(&p)
		if s.reasm > s.reasmLimit() {
			t.Fatalf("reassembly holds %d bytes, limit %d", s.reasm, s.reasmLimit())
		}
		peak = max(peak, s.reasm)
	}
	if s.shedBytes == 0 {
		t.Fatalf("nothing shed: reassembly peaked at %d bytes", peak)
	}
	t.Logf("reassembly peak %d bytes, limit %d, shed %d", peak, s.reasmLimit(), s.shedBytes)

	res := runBytes(t, data, "gen.pcap", Options{Workers: 1, FlowMemory: 2 << 20})
	st := res.Stats
	if st.TCPShedBytes == 0 || st.TCPDroppedBytes < st.TCPShedBytes || st.TCPGaps == 0 {
		t.Errorf("shed %d, dropped %d, gaps %d", st.TCPShedBytes, st.TCPDroppedBytes, st.TCPGaps)
	}
	// The segments after a shed PDU start no TPKT packet: the analyzer
	// skips them looking for one, counted, not silently.
	if st.Analyzers["s7comm"].SkippedBytes == 0 {
		t.Errorf("no s7comm bytes skipped after the shed PDUs: %+v", st.Analyzers)
	}
	// With room, every byte sent waits for the rest of its PDU and is
	// dropped (counted) at the flow's end.
	roomy := runBytes(t, data, "gen.pcap", Options{Workers: 1, FlowMemory: 256 << 20})
	if roomy.Stats.TCPShedBytes != 0 || roomy.Stats.TCPDroppedBytes != uint64(flows*segs*1400) {
		t.Errorf("256 MiB: shed %d, dropped %d", roomy.Stats.TCPShedBytes, roomy.Stats.TCPDroppedBytes)
	}
}
