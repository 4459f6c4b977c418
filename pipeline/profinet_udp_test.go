package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/detect"
	"harborwatch/ics/profinet"
	"harborwatch/internal/testutil"
	"harborwatch/observe"
	"harborwatch/runstats"
	"harborwatch/site"
)

// pnUDPDatagram is one generated UDP datagram.
type pnUDPDatagram struct {
	src, dst netip.AddrPort
	b        []byte
}

// pnCyclic is an RT_CLASS_UDP (or layer-2) cyclic frame: FrameID, 20 data
// bytes, cycle counter, data status, transfer status.
func pnCyclic(id, cycle uint16, ds byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, make([]byte, 20)...)
	b = binary.BigEndian.AppendUint16(b, cycle)
	return append(b, ds, 0)
}

// pnUDPTraffic: a crane PLC and a hoist drive exchange RT_CLASS_UDP data
// on 34962 (the drive's provider stops for three cycles), a remote I/O
// station publishes to a multicast group on 34963, and the drive raises a
// low alarm (a diagnosis alarm notification).
func pnUDPTraffic() []pnUDPDatagram {
	plc, drive := netip.MustParseAddrPort("10.20.1.10:34962"), netip.MustParseAddrPort("10.20.1.21:34962")
	rio, group := netip.MustParseAddrPort("10.20.1.22:34963"), netip.MustParseAddrPort("239.192.0.7:34963")
	var out []pnUDPDatagram
	for i := range 10 {
		c := uint16(i * 32)
		out = append(out, pnUDPDatagram{plc, drive, pnCyclic(0xc000, c, 0x35)})
		ds := byte(0x35)
		if i >= 4 && i < 7 {
			ds = 0x25
		}
		out = append(out, pnUDPDatagram{drive, plc, pnCyclic(0xc001, c, ds)})
		if i%2 == 0 {
			out = append(out, pnUDPDatagram{rio, group, pnCyclic(0xf801, c, 0x35)})
		}
	}
	alarm := append([]byte{0xfe, 0x01, 0x80, 1, 0x80, 2, 0x11, 1, 0, 3, 0, 2, 0, 26},
		0, 2, 0, 22, 1, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0x30, 0, 0, 0, 0x31, 0x08, 0)
	return append(out, pnUDPDatagram{drive, plc, alarm})
}

// pnEthUDP builds an Ethernet II / IPv4 / UDP frame with its checksums.
func pnEthUDP(src, dst netip.AddrPort, pl []byte) []byte {
	be := binary.BigEndian
	sum := func(b []byte) uint16 {
		var s uint32
		for i := 0; i+1 < len(b); i += 2 {
			s += uint32(be.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			s += uint32(b[len(b)-1]) << 8
		}
		for s>>16 != 0 {
			s = s&0xffff + s>>16
		}
		return ^uint16(s)
	}
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	udp := be.AppendUint16(be.AppendUint16(be.AppendUint16(be.AppendUint16(nil, src.Port()), dst.Port()), uint16(8+len(pl))), 0)
	udp = append(udp, pl...)
	ip := append([]byte{0x45, 0, byte((20 + len(udp)) >> 8), byte(20 + len(udp)), 0, 1, 0, 0, 64, 17, 0, 0}, append(s4[:], d4[:]...)...)
	be.PutUint16(ip[10:], sum(ip))
	be.PutUint16(udp[6:], sum(slices.Concat(s4[:], d4[:], []byte{0, 17, byte(len(udp) >> 8), byte(len(udp))}, udp)))
	dmac := []byte{2, 0, d4[0], d4[1], d4[2], d4[3]}
	if dst.Addr().IsMulticast() {
		dmac = []byte{1, 0, 0x5e, d4[1] & 0x7f, d4[2], d4[3]}
	}
	return slices.Concat(dmac, []byte{2, 0, s4[0], s4[1], s4[2], s4[3]}, []byte{8, 0}, ip, udp)
}

func pnUDPPcap(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC).UnixNano()
	for i, d := range pnUDPTraffic() {
		b := pnEthUDP(d.src, d.dst, d.b)
		if err := w.WritePacket(t0+int64(i)*int64(time.Millisecond), b, len(b)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ioLines(io *runstats.CyclicIO) []string {
	var out []string
	for _, c := range io.Conns {
		out = append(out, fmt.Sprintf("%s %s %s>%s vlan %d 0x%04x %s: %d frames %d bytes, %d changes, %d stopped, %d invalid, last %s",
			c.Protocol, c.Transport, c.Provider, c.Consumer, c.VLAN, c.FrameID, c.Class, c.Frames, c.Bytes, c.Changes, c.Stopped, c.Invalid, c.LastStatus))
	}
	return out
}

// TestPROFINETUDP: RT_CLASS_UDP frames are read into the same counting
// and alarm handling as layer-2 ones, with the connection keyed by
// address and port: the run's stats count each connection, the events
// carry the addresses and ports (a connection's first frame, the drive's
// stop and run, the alarm), the flows are PROFINET's, one worker or three.
func TestPROFINETUDP(t *testing.T) {
	pcap := pnUDPPcap(t)
	for _, workers := range []int{1, 3} {
		src, err := capture.NewReader(bytes.NewReader(pcap), "pnudp.pcap")
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), []capture.Source{src}, Options{Workers: workers, Events: true})
		if err != nil {
			t.Fatal(err)
		}
		io := res.Stats.CyclicIO
		if io == nil {
			t.Fatalf("%d workers: no cyclic I/O in the stats", workers)
		}
		want := []string{
			"profinet udp 10.20.1.10:34962>10.20.1.21:34962 vlan 0 0xc000 RT_CLASS_UDP: 10 frames 200 bytes, 0 changes, 0 stopped, 0 invalid, last run",
			"profinet udp 10.20.1.21:34962>10.20.1.10:34962 vlan 0 0xc001 RT_CLASS_UDP: 10 frames 200 bytes, 2 changes, 3 stopped, 0 invalid, last run",
			"profinet udp 10.20.1.22:34963>239.192.0.7:34963 vlan 0 0xf801 RT_CLASS_UDP: 5 frames 100 bytes, 0 changes, 0 stopped, 0 invalid, last run",
		}
		if got := ioLines(io); !slices.Equal(got, want) || io.Frames != 25 || io.DroppedFrames != 0 {
			t.Errorf("%d workers: cyclic I/O %d frames, %d dropped\n%s\nwant\n%s", workers, io.Frames, io.DroppedFrames,
				strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		var evs []string
		for _, e := range res.Events {
			if e.Proto == "pn_rt" || e.Proto == "pn_io" {
				evs = append(evs, fmt.Sprintf("%s %s %s:%d>%s:%d %s %s %v", e.Proto, e.Dir, e.Src, e.SPort, e.Dst, e.DPort, e.Op, e.Name, e.Detail["transport"]))
			}
		}
		wantEv := []string{
			"pn_rt request 10.20.1.10:34962>10.20.1.21:34962 io RT_CLASS_UDP udp",
			"pn_rt request 10.20.1.21:34962>10.20.1.10:34962 io RT_CLASS_UDP udp",
			"pn_rt request 10.20.1.22:34963>239.192.0.7:34963 io RT_CLASS_UDP udp",
			"pn_rt request 10.20.1.21:34962>10.20.1.10:34962 io RT_CLASS_UDP udp", // stop
			"pn_rt request 10.20.1.21:34962>10.20.1.10:34962 io RT_CLASS_UDP udp", // run again
			"pn_io request 10.20.1.21:34962>10.20.1.10:34962 diagnostics Alarm Low DATA-RTA-PDU udp",
		}
		if !slices.Equal(evs, wantEv) {
			t.Errorf("%d workers: events\n%s\nwant\n%s", workers, strings.Join(evs, "\n"), strings.Join(wantEv, "\n"))
		}
		if a := res.Stats.Analyzers["profinet"]; a.Confirmed != 2 || a.Violations != 0 {
			t.Errorf("%d workers: analyzer counts %+v", workers, a)
		}
		if n := res.Stats.DecodeErrors["profinet"]; n != 0 {
			t.Errorf("%d workers: %d decode errors", workers, n)
		}
		for _, a := range res.Assets {
			if a.IP == netip.MustParseAddr("10.20.1.21") && !slices.Contains(a.Apps, "profinet") {
				t.Errorf("%d workers: the drive's applications %v", workers, a.Apps)
			}
		}
	}
}

// pnIOTshark are the cyclic frames per I/O connection of the shared
// PROFINET captures as tshark 4.0.17 counts them (pnIOOfTshark); the
// captures not listed have none.
var pnIOTshark = map[string]map[string]int{
	"profinet_io_cm_mixed_2.pcapng": {
		"00:09:91:43:e0:67>00:a0:45:6d:d3:43 0xc002": 46, "00:a0:45:6d:d3:43>00:09:91:43:e0:67 0xc000": 56,
	},
}

var pnCaptures = []string{"profinet_io_cm_mixed_2.pcapng", "profinet_io_cm_device.pcapng", "ChangeIPUsingDCP.pcap", "PROFINET-RT.pcap"}

// TestPROFINETCyclicStats: on every shared PROFINET capture the run's
// stats count the cyclic frames of each I/O connection as tshark does.
func TestPROFINETCyclicStats(t *testing.T) {
	for _, name := range pnCaptures {
		res := runPN(t, name, nil, 2)
		got := map[string]int{}
		if io := res.Stats.CyclicIO; io != nil {
			total := 0
			for _, c := range io.Conns {
				got[fmt.Sprintf("%s>%s 0x%04x", c.Provider, c.Consumer, c.FrameID)] += int(c.Frames)
				total += int(c.Frames)
				// tshark: pn_rt.ds 0x35 from the controller, 0x15 from the
				// device (its StationProblemIndicator says a problem).
				last := map[string]string{"00:a0:45:6d:d3:43": "run", "00:09:91:43:e0:67": "run, problem"}[c.Provider]
				if c.Stopped != 0 || c.Invalid != 0 || c.Changes != 0 || c.LastStatus != last || c.Transport != "ethernet" {
					t.Errorf("%s: connection %+v", name, c)
				}
			}
			if uint64(total) != io.Frames {
				t.Errorf("%s: %d frames, connections' sum %d", name, io.Frames, total)
			}
		}
		testutil.DiffCounts(t, name, got, pnIOTshark[name])
	}
}

// TestPROFINETCyclicTshark checks pnIOTshark against tshark itself, and
// the generated RT_CLASS_UDP capture's counts too (tshark reads 34962 as
// PN-RT by itself, 34963 only with -d udp.port==34963,pn_rt). Without
// tshark it skips, unless HARBORWATCH_REQUIRE_TSHARK=1.
func TestPROFINETCyclicTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	for _, name := range pnCaptures {
		testutil.DiffCounts(t, name, pnIOOfTshark(t, bin, "../ics/profinet/testdata/"+name), pnIOTshark[name])
	}
	path := filepath.Join(t.TempDir(), "pnudp.pcap")
	if err := os.WriteFile(path, pnUDPPcap(t), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewReader(bytes.NewReader(pnUDPPcap(t)), "pnudp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []capture.Source{src}, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]int{}
	for _, c := range res.Stats.CyclicIO.Conns {
		ours[fmt.Sprintf("%s>%s 0x%04x", c.Provider, c.Consumer, c.FrameID)] += int(c.Frames)
	}
	testutil.DiffCounts(t, "generated", ours, pnIOOfTshark(t, bin, path, "-d", "udp.port==34963,pn_rt"))
}

// pnIOOfTshark counts what tshark reads as cyclic PROFINET frames per
// connection: provider>consumer (MACs at layer 2, address:port over UDP)
// and FrameID.
func pnIOOfTshark(t *testing.T, bin, path string, extra ...string) map[string]int {
	args := slices.Concat([]string{"-r", path}, extra, []string{"-Y", "pn_rt.frame_id >= 0x0100 && pn_rt.frame_id < 0xfc00",
		"-T", "fields", "-e", "eth.src", "-e", "eth.dst", "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport", "-e", "pn_rt.frame_id"})
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", path, err)
	}
	got := map[string]int{}
	for line := range strings.Lines(string(out)) {
		r := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		if len(r) < 7 {
			t.Fatalf("tshark: %q", line)
		}
		id, err := strconv.ParseUint(r[6], 0, 16)
		if err != nil {
			t.Fatalf("tshark: %q", line)
		}
		k := r[0] + ">" + r[1]
		if r[3] != "" {
			k = r[2] + ":" + r[3] + ">" + r[4] + ":" + r[5]
		}
		got[fmt.Sprintf("%s 0x%04x", k, id)]++
	}
	return got
}

// TestPROFINETUDPNoAllocs drives a shard with RT_CLASS_UDP datagrams
// (cyclic data of three connections, an alarm), forward in time: once
// the flows and connections are known, reading them allocates nothing.
func TestPROFINETUDPNoAllocs(t *testing.T) {
	var frames []capture.Packet
	for _, d := range pnUDPTraffic() {
		frames = append(frames, capture.Packet{Link: capture.LinkEthernet, Data: pnEthUDP(d.src, d.dst, d.b)})
	}
	s := newShard(detect.New(detect.Options{}), observe.New(observe.Options{}), budget{flows: 1 << 12, flowBytes: 64 << 20}, false, []string{"a"})
	t0 := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC).UnixNano()
	var shift int64
	var cp capture.Packet
	round := func() {
		shift++
		for i := range frames {
			cp = frames[i]
			cp.TS = t0 + shift*int64(time.Second) + int64(i)
			cp.Number = int64(i + 1)
			s.handle(&cp)
		}
	}
	round()
	if n := testing.AllocsPerRun(20, round); n != 0 {
		t.Errorf("%.1f allocations per round of %d datagrams, want 0", n, len(frames))
	}
	if s.pn.l2 == nil || s.pn.l2.NConns() != 3 || s.pn.l2.Frames[profinet.ClassUDP] != 22*25 {
		t.Fatalf("reader %+v", s.pn.l2)
	}
}

// BenchmarkPROFINETUDP drives a shard with RT_CLASS_UDP datagrams, from
// decode through the flow table to the PROFINET reader.
func BenchmarkPROFINETUDP(b *testing.B) {
	var frames []capture.Packet
	for _, d := range pnUDPTraffic() {
		frames = append(frames, capture.Packet{Link: capture.LinkEthernet, Data: pnEthUDP(d.src, d.dst, d.b)})
	}
	s := newShard(detect.New(detect.Options{}), observe.New(observe.Options{}), budget{flows: 1 << 12, flowBytes: 64 << 20}, false, []string{"a"})
	ts := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC).UnixNano()
	var cp capture.Packet
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		cp = frames[i%len(frames)]
		ts += int64(time.Microsecond)
		cp.TS, cp.Number = ts, int64(i+1)
		s.handle(&cp)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pkts/s")
}

// TestPROFINETUDPSite: RT_CLASS_UDP flows are judged against the conduits
// like any other: the drive and the PLC in zones no conduit joins give a
// cross-zone finding on profinet; a conduit for profinet allows them.
func TestPROFINETUDPSite(t *testing.T) {
	const zones = `version: 1
zones:
  - {id: plc, kind: crane-control, cidrs: [10.20.1.0/28]}
  - {id: drives, kind: crane-control, cidrs: [10.20.1.16/28]}
`
	run := func(y string) []string {
		st, err := site.Parse("pn.yaml", []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		src, err := capture.NewReader(bytes.NewReader(pnUDPPcap(t)), "pnudp.pcap")
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		return findingLines(res)
	}
	got := run(zones)
	want := []string{"segmentation.cross-zone 10.20.1.10/02:00:0a:14:01:0a>10.20.1.21/02:00:0a:14:01:15 profinet udp critical"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
	if got := run(zones + "conduits:\n  - {from: plc, to: drives, protocols: [profinet]}\n"); len(got) != 0 {
		t.Errorf("with a conduit: findings %q", got)
	}
}
