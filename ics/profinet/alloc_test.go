package profinet

import (
	"testing"

	"harborwatch/decode"
	"harborwatch/internal/testutil"
	"harborwatch/proto"
)

// l2Frame is a PROFINET frame of a capture with its addresses.
type l2Frame struct {
	b        []byte
	src, dst [6]byte
	vlan     uint16
}

// captureFrames returns the layer-2 PROFINET frames and the PNIO-CM
// datagrams of the test captures.
func captureFrames(t testing.TB) (frames []l2Frame, dgrams [][]byte) {
	t.Helper()
	var dec decode.Decoder
	var p decode.Packet
	for _, name := range captures {
		for _, cp := range testutil.Frames(t, "testdata/"+name) {
			err := dec.Decode(cp.Link, cp.Data, &p)
			switch {
			case err == nil && p.L3 == decode.L3None && p.HasEth && p.EtherType == EtherType:
				frames = append(frames, l2Frame{p.Payload, p.SrcMAC, p.DstMAC, p.VLAN()})
			case p.HasL4 && p.Proto == decode.ProtoUDP && probe(p.Payload, true) != 0:
				dgrams = append(dgrams, p.Payload)
			}
		}
	}
	if len(frames) < 180 || len(dgrams) < 20 {
		t.Fatalf("%d frames, %d datagrams", len(frames), len(dgrams))
	}
	return frames, dgrams
}

// use asks of a frame or datagram what the pipeline asks of every one
// (the status only of failures: formatting it allocates).
type use struct{ n int }

func (u *use) frame(f *Frame) {
	u.n += len(f.Op()) + len(f.Name()) + f.Func() + len(f.Proto())
	if f.Request() {
		u.n++
	}
}

func (u *use) cm(m *CM) {
	u.n += len(m.Op()) + len(m.Name()) + m.Func()
	if m.Request() {
		u.n++
	}
}

// TestNoAllocs: reading the captures' real-time frames (cyclic data,
// alarms, DCP, PTCP), PNIO-CM datagrams and generated RT_CLASS_UDP
// datagrams, and probing them, allocates nothing once the I/O
// connections are known.
func TestNoAllocs(t *testing.T) {
	frames, dgrams := captureFrames(t)
	udp := udpTraffic()
	var a L2
	var cm CMAnalyzer
	var u use
	ef, ec := u.frame, u.cm
	round := func() {
		for _, f := range frames {
			a.Frame(f.b, f.src, f.dst, f.vlan, ef)
		}
		for _, d := range udp {
			if ProbeRT.Check(d.dst.Port(), d.b, true) != proto.Sure {
				t.Fatal("ProbeRT refused a datagram")
			}
			if err := a.UDP(d.b, d.src, d.dst, ef); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range dgrams {
			if probe(d, true) == 0 {
				t.Fatal("probe refused a datagram")
			}
			if err := cm.Datagram(d, true, ec); err != nil {
				t.Fatal(err)
			}
		}
	}
	round()
	if n := testing.AllocsPerRun(20, round); n != 0 {
		t.Errorf("%.1f allocations per round of %d frames, %d datagrams and %d RT_CLASS_UDP datagrams, want 0", n, len(frames), len(dgrams), len(udp))
	}
}
