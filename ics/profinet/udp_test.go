package profinet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"harborwatch/capture"
	"harborwatch/decode"
	"harborwatch/event"
	"harborwatch/internal/testutil"
	"harborwatch/proto"
)

// udpRT is one generated RT_CLASS_UDP datagram.
type udpRT struct {
	src, dst netip.AddrPort
	b        []byte
}

var (
	pnPLC   = netip.MustParseAddr("10.20.1.10")
	pnDrive = netip.MustParseAddr("10.20.1.21")
	pnIO    = netip.MustParseAddr("10.20.1.22")
	pnGroup = netip.MustParseAddr("239.192.0.7")
)

// udpTraffic is what the public captures lack, generated: a crane PLC
// exchanging RT_CLASS_UDP cyclic data with a drive (both directions, on
// 34962, the drive's provider going to stop and back), a remote I/O
// station sending to the PLC from another port and to a multicast group
// on 34963, the same FrameID 0xc001 used by two providers (two
// connections), cyclic frames on 34964 (PNIO-CM's port), and a low alarm
// from the drive.
func udpTraffic() []udpRT {
	run := uint8(StatusPrimary | StatusValid | StatusRun | StatusNoProblem)
	ap := netip.AddrPortFrom
	var out []udpRT
	add := func(src, dst netip.AddrPort, b []byte) { out = append(out, udpRT{src, dst, b}) }
	for i := range 12 {
		c := uint16(i * 32)
		add(ap(pnPLC, PortRT), ap(pnDrive, PortRT), cyclicFrame(0xc000, c, run))
		ds := run
		if i >= 5 && i < 8 {
			ds = run &^ StatusRun // the drive's provider in stop
		}
		if i == 9 {
			ds = run &^ StatusValid
		}
		add(ap(pnDrive, PortRT), ap(pnPLC, PortRT), cyclicFrame(0xc001, c, ds))
		if i%2 == 0 {
			add(ap(pnIO, 49160), ap(pnPLC, PortRT), cyclicFrame(0xc001, c, run))
			add(ap(pnIO, PortRTMC), ap(pnGroup, PortRTMC), cyclicFrame(0xf801, c, run))
		}
		if i%3 == 0 {
			add(ap(pnPLC, PortCM), ap(pnIO, PortCM), cyclicFrame(0xc002, c, run&^StatusNoProblem))
		}
	}
	add(ap(pnDrive, PortRT), ap(pnPLC, PortRT), rta(0xfe01, RTAData,
		block(blockAlarmLow, u16(1), u32(0), u16(2), u16(1), u32(0x30), u32(0x31), u16(0x0800))))
	return out
}

// udpConnKey names a connection over UDP as the tests and tshark do.
func udpConnKey(src, dst netip.AddrPort, id uint16) string {
	return fmt.Sprintf("%s %s 0x%04x", src, dst, id)
}

func TestUDPCyclic(t *testing.T) {
	var a L2
	var frames []Frame
	for _, d := range udpTraffic() {
		if err := a.UDP(d.b, d.src, d.dst, func(f *Frame) { frames = append(frames, *f) }); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	a.Conns(func(c *IOConn) {
		got[udpConnKey(c.SrcAddr, c.DstAddr, c.FrameID)] = fmt.Sprintf("%d frames, %d bytes, %d changes, %d stopped, %d invalid, cycle %d",
			c.Packets, c.Bytes, c.Changes, c.Stopped, c.Invalid, c.Cycle)
	})
	want := map[string]string{
		"10.20.1.10:34962 10.20.1.21:34962 0xc000":  "12 frames, 480 bytes, 0 changes, 0 stopped, 0 invalid, cycle 352",
		"10.20.1.21:34962 10.20.1.10:34962 0xc001":  "12 frames, 480 bytes, 4 changes, 3 stopped, 1 invalid, cycle 352",
		"10.20.1.22:49160 10.20.1.10:34962 0xc001":  "6 frames, 240 bytes, 0 changes, 0 stopped, 0 invalid, cycle 320",
		"10.20.1.22:34963 239.192.0.7:34963 0xf801": "6 frames, 240 bytes, 0 changes, 0 stopped, 0 invalid, cycle 320",
		"10.20.1.10:34964 10.20.1.22:34964 0xc002":  "4 frames, 160 bytes, 0 changes, 0 stopped, 0 invalid, cycle 288",
	}
	if len(got) != len(want) {
		t.Errorf("connections %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if a.Frames[ClassUDP] != 40 || a.Frames[ClassAlarmLow] != 1 || a.Errors != 0 || a.NConns() != 5 {
		t.Errorf("frames %v, errors %d, connections %d", a.Frames, a.Errors, a.NConns())
	}
	// Emitted: each connection's first frame, each change of the drive's
	// data status (stop, run, invalid, valid), the alarm.
	var names []string
	for _, f := range frames {
		switch {
		case f.Class == ClassUDP:
			if !f.UDP || f.Op() != event.OpIO || f.Name() != "RT_CLASS_UDP" || f.Proto() != EventRT || f.First == f.Changed {
				t.Errorf("frame %+v: op %s name %s", f, f.Op(), f.Name())
			}
			names = append(names, fmt.Sprintf("%s first=%v", udpConnKey(f.SrcAddr, f.DstAddr, f.FrameID), f.First))
		case f.Class == ClassAlarmLow:
			names = append(names, f.Name()+" "+f.Op())
		}
	}
	if len(names) != 5+4+1 || names[len(names)-1] != "Alarm Low DATA-RTA-PDU diagnostics" {
		t.Errorf("emitted %q", names)
	}
	d := map[string]any{}
	frames[0].Detail(d)
	if d["transport"] != "udp" || d["src_mac"] != nil || d["class"] != "RT_CLASS_UDP" || d["data_length"] != 40 {
		t.Errorf("detail %v", d)
	}
}

func TestUDPErrors(t *testing.T) {
	var a L2
	src, dst := netip.MustParseAddrPort("10.0.0.1:34962"), netip.MustParseAddrPort("10.0.0.2:34962")
	nop := func(*Frame) {}
	for _, c := range []struct {
		name string
		b    []byte
		err  error
	}{
		{"empty", nil, ErrShort},
		{"cyclic without status", frame(0xc000, []byte{1, 2, 3}), ErrShort},
		{"DCP over UDP", frame(0xfefe, make([]byte, 10)), ErrNotFrame},
		{"RT_CLASS_1 multicast range end", frame(0xfc00, make([]byte, 10)), ErrNotFrame},
		{"DCE-RPC", cl(false, RoleDevice, 0, OpRead, 0, 0, nil), ErrNotFrame},
	} {
		if err := a.UDP(c.b, src, dst, nop); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
		}
	}
	if a.Errors != 5 || a.NConns() != 0 {
		t.Errorf("errors %d, connections %d", a.Errors, a.NConns())
	}
	// A full table counts the frames and the connections it had no room for.
	var b L2
	for i := range maxConns {
		s := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), PortRT)
		b.UDP(cyclicFrame(0xc000, 0, 0x35), s, dst, nop)
		b.UDP(cyclicFrame(0xc000, 1, 0x35), s, dst, nop)
	}
	if b.NConns() != MaxConns || b.Dropped != 2*(maxConns-MaxConns) || b.DroppedConns < 230 || b.DroppedConns > maxConns-MaxConns {
		t.Errorf("connections %d, dropped %d frames of %d connections", b.NConns(), b.Dropped, b.DroppedConns)
	}
}

func TestProbeRT(t *testing.T) {
	for _, c := range []struct {
		name string
		port uint16
		b    []byte
		want proto.Verdict
	}{
		{"cyclic on 34962", PortRT, cyclicFrame(0xc000, 1, 0x35), proto.Sure},
		{"multicast on 34963", PortRTMC, cyclicFrame(0xf801, 1, 0x35), proto.Sure},
		{"cyclic on 34964", PortCM, cyclicFrame(0xc000, 1, 0x35), proto.Sure},
		{"alarm", PortRT, rta(0xfc01, RTAAck, nil), proto.Sure},
		{"cut alarm", PortRT, rta(0xfc01, RTAAck, nil)[:10], proto.No},
		{"other port", 2222, cyclicFrame(0xc000, 1, 0x35), proto.No},
		{"PNIO-CM", PortCM, cl(false, RoleDevice, 0, OpRead, 0, 0, nil), proto.No},
		{"RT_CLASS_2", PortRT, cyclicFrame(0x8000, 1, 0x35), proto.No},
		{"short", PortRT, []byte{0xc0, 0, 0x35, 0}, proto.No},
	} {
		if got := ProbeRT.Check(c.port, c.b, true); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// udpPcap writes the generated datagrams as an Ethernet pcap.
func udpPcap(t testing.TB, ds []udpRT) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range ds {
		b := ethUDP(d.src, d.dst, d.b)
		if err := w.WritePacket(1_800_000_000_000_000_000+int64(i)*1_000_000, b, len(b)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ethUDP builds an Ethernet II / IPv4 / UDP frame (checksums set).
func ethUDP(src, dst netip.AddrPort, pl []byte) []byte {
	mac := func(a netip.Addr) []byte {
		if a.IsMulticast() {
			b := a.As4()
			return []byte{1, 0, 0x5e, b[1] & 0x7f, b[2], b[3]}
		}
		b := a.As4()
		return []byte{2, 0, b[0], b[1], b[2], b[3]}
	}
	udp := cat(u16(src.Port()), u16(dst.Port()), u16(uint16(8+len(pl))), u16(0), pl)
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	ip := cat([]byte{0x45, 0}, u16(uint16(20+len(udp))), u16(1), u16(0), []byte{64, 17}, u16(0), s4[:], d4[:])
	binary.BigEndian.PutUint16(ip[10:], checksum(ip))
	pseudo := cat(s4[:], d4[:], []byte{0, 17}, u16(uint16(len(udp))), udp)
	binary.BigEndian.PutUint16(udp[6:], checksum(pseudo))
	return cat(mac(dst.Addr()), mac(src.Addr()), u16(0x0800), ip, udp)
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// udpTsharkArgs: tshark 4.0 reads UDP 34962 as PN-RT (RT_CLASS_UDP) by
// itself; 34963 (multicast) and 34964 (PNIO-CM's port) only when told
// with -d.
var udpTsharkArgs = []string{"-d", "udp.port==34963,pn_rt", "-d", "udp.port==34964,pn_rt"}

// udpTsharkCounts were obtained with TShark 4.0.17 on the generated
// capture (udpTraffic): cyclic frames per connection, with those sent in
// stop and with invalid data, and alarm frames.
var udpTsharkCounts = map[string]int{
	"io/10.20.1.10:34962 10.20.1.21:34962 0xc000": 12,
	"io/10.20.1.21:34962 10.20.1.10:34962 0xc001": 12, "io-stop/10.20.1.21:34962 10.20.1.10:34962 0xc001": 3,
	"io-invalid/10.20.1.21:34962 10.20.1.10:34962 0xc001": 1,
	"io/10.20.1.22:49160 10.20.1.10:34962 0xc001":         6,
	"io/10.20.1.22:34963 239.192.0.7:34963 0xf801":        6,
	"io/10.20.1.10:34964 10.20.1.22:34964 0xc002":         4,
	"alarm/1": 1,
}

// udpOurs counts what the pipeline's way of reading (decode, then L2.UDP
// for what ProbeRT accepts) finds in the generated capture.
func udpOurs(t *testing.T, pcap []byte) map[string]int {
	src, err := capture.NewReader(bytes.NewReader(pcap), "udp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var a L2
	var dec decode.Decoder
	var p decode.Packet
	got := map[string]int{}
	for {
		var cp capture.Packet
		if err := src.Next(&cp); err != nil {
			break
		}
		if err := dec.Decode(cp.Link, cp.Data, &p); err != nil || p.Proto != decode.ProtoUDP {
			t.Fatalf("packet %d: %v", cp.Number, err)
		}
		if ProbeRT.Check(p.DstPort, p.Payload, true) != proto.Sure {
			t.Fatalf("packet %d: probe refused", cp.Number)
		}
		a.UDP(p.Payload, netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort), func(f *Frame) {
			if f.Class == ClassAlarmHigh || f.Class == ClassAlarmLow {
				got["alarm/"+strconv.Itoa(int(f.Alarm.PDUType))]++
			}
		})
	}
	a.Conns(func(c *IOConn) {
		k := udpConnKey(c.SrcAddr, c.DstAddr, c.FrameID)
		got["io/"+k] += int(c.Packets)
		if c.Stopped > 0 {
			got["io-stop/"+k] += int(c.Stopped)
		}
		if c.Invalid > 0 {
			got["io-invalid/"+k] += int(c.Invalid)
		}
	})
	return got
}

func TestUDPOracleCounts(t *testing.T) {
	testutil.DiffCounts(t, "udp", udpOurs(t, udpPcap(t, udpTraffic())), udpTsharkCounts)
}

// TestUDPOracleTshark runs tshark on the generated capture and checks
// udpTsharkCounts against it; without the -d options it decodes 34962
// only. Without tshark it skips, unless HARBORWATCH_REQUIRE_TSHARK=1.
func TestUDPOracleTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	path := filepath.Join(t.TempDir(), "udp.pcap")
	if err := os.WriteFile(path, udpPcap(t, udpTraffic()), 0o600); err != nil {
		t.Fatal(err)
	}
	count := func(extra ...string) map[string]int {
		args := append(append([]string{"-r", path}, extra...), "-Y", "pn_rt", "-T", "fields",
			"-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport", "-e", "pn_rt.frame_id", "-e", "pn_rt.ds",
			"-e", "pn_io.pdu_type.type")
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("tshark: %v", err)
		}
		got := map[string]int{}
		for line := range strings.Lines(string(out)) {
			r := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
			if len(r) < 7 {
				t.Fatalf("tshark: %q", line)
			}
			id, err := strconv.ParseUint(r[4], 0, 16)
			if err != nil {
				t.Fatalf("tshark: %q", line)
			}
			if ClassOfUDP(uint16(id)) != ClassUDP {
				n, err := strconv.ParseUint(r[6], 0, 8)
				if err != nil {
					t.Fatalf("tshark: %q", line)
				}
				got["alarm/"+strconv.Itoa(int(n))]++
				continue
			}
			ap := func(a, p string) netip.AddrPort { return netip.MustParseAddrPort(a + ":" + p) }
			k := udpConnKey(ap(r[0], r[1]), ap(r[2], r[3]), uint16(id))
			got["io/"+k]++
			ds, err := strconv.ParseUint(r[5], 0, 8)
			if err != nil {
				t.Fatalf("tshark: %q", line)
			}
			if ds&StatusRun == 0 {
				got["io-stop/"+k]++
			}
			if ds&StatusValid == 0 {
				got["io-invalid/"+k]++
			}
		}
		return got
	}
	testutil.DiffCounts(t, "tshark -d", count(udpTsharkArgs...), udpTsharkCounts)
	// By default tshark reads 34962 alone as PN-RT.
	plain := count()
	for k := range plain {
		if !strings.Contains(k, ":34962 ") && !strings.HasPrefix(k, "alarm/") {
			t.Errorf("tshark without -d decoded %s", k)
		}
	}
	if plain["io/10.20.1.10:34962 10.20.1.21:34962 0xc000"] != 12 || plain["io/10.20.1.22:34963 239.192.0.7:34963 0xf801"] != 0 {
		t.Errorf("tshark without -d: %v", plain)
	}
}
