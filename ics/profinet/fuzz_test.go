package profinet

import (
	"errors"
	"net/netip"
	"testing"

	"harborwatch/ics/dcerpc"
)

// FuzzCM parses arbitrary datagrams as PNIO-CM: no panic, no read past
// the input, errors are ErrNotCM, and every method and the detail answer.
func FuzzCM(f *testing.F) {
	_, dgrams := captureFrames(f)
	for _, d := range dgrams {
		f.Add(d)
	}
	f.Add(cl(true, RoleDevice, dcerpc.CLResponse, OpRead, 0, 0, stub(0, cat(
		record(blockReadRes, 0, 1, indexIM0, uint32(len(im0Block())), 0), im0Block()))))
	f.Add(cl(false, RoleDevice, dcerpc.CLFault, OpWrite, 0, 0, u32(0x1c010003)))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m CM
		err := ParseCM(b, &m)
		if err != nil {
			if !errors.Is(err, ErrNotCM) {
				t.Fatalf("%x: %v", b, err)
			}
			return
		}
		if m.Op() == "" || m.Name() == "" || m.NRecords > maxRecords || m.NBlocks > maxBlocks {
			t.Fatalf("%x: op %q name %q records %d blocks %d", b, m.Op(), m.Name(), m.NRecords, m.NBlocks)
		}
		_, _, _ = m.Status(), m.Func(), m.Request()
		d := map[string]any{}
		m.Detail(d)
		if d["pdu_type"] == nil {
			t.Fatalf("%x: detail %v", b, d)
		}
	})
}

// FuzzL2 reads arbitrary frames as PROFINET real-time frames: no panic,
// errors are ErrShort, every emitted frame answers its methods and
// detail, and the connection table stays within its bound.
func FuzzL2(f *testing.F) {
	frames, _ := captureFrames(f)
	for _, fr := range frames {
		f.Add(fr.b, fr.src[5])
	}
	f.Add(rta(0xfe01, RTAData, block(blockAlarmLow, u16(1), u32(0), u16(2), u16(1), u32(0x30), u32(0x31), u16(0x0800))), byte(1))
	f.Add(dcpFrame(0xfefd, 4, 0, dcpBlock(2, 2, []byte("crane-7"))), byte(2))
	var a L2
	f.Fuzz(func(t *testing.T, b []byte, src byte) {
		err := a.Frame(b, [6]byte{0, 1, 2, 3, 4, src}, [6]byte{1}, uint16(src), func(fr *Frame) {
			if fr.Op() == "" || fr.Name() == "" || fr.Proto() == "" {
				t.Fatalf("%x: op %q name %q", b, fr.Op(), fr.Name())
			}
			_, _, _ = fr.Status(), fr.Func(), fr.Request()
			_ = fr.NewIP()
			d := map[string]any{}
			fr.Detail(d)
			if d["frame_id"] == nil {
				t.Fatalf("%x: detail %v", b, d)
			}
		})
		if err != nil && !errors.Is(err, ErrShort) {
			t.Fatalf("%x: %v", b, err)
		}
		if a.NConns() > maxConns*3/4 {
			t.Fatalf("%d connections", a.NConns())
		}
	})
}

// FuzzUDP reads arbitrary datagrams as RT_CLASS_UDP frames, as the
// pipeline does what ProbeRT accepts: no panic, errors are ErrShort or
// ErrNotFrame, a datagram the probe accepts is read without error, every
// emitted frame answers its methods and detail, and the connection table
// stays within its bound.
func FuzzUDP(f *testing.F) {
	for _, d := range udpTraffic() {
		f.Add(d.b, d.src.Port())
	}
	f.Add(rta(0xfc01, RTAErr, u32(0xcf81fd0f)), uint16(PortRT))
	f.Add(cyclicFrame(0x8000, 1, 0x35), uint16(PortRT))
	var a L2
	dst := netip.MustParseAddrPort("10.0.0.2:34962")
	f.Fuzz(func(t *testing.T, b []byte, port uint16) {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(port)}), port)
		err := a.UDP(b, src, dst, func(fr *Frame) {
			if fr.Op() == "" || fr.Name() == "" || fr.Proto() == "" || !fr.UDP {
				t.Fatalf("%x: op %q name %q", b, fr.Op(), fr.Name())
			}
			_, _, _ = fr.Status(), fr.Func(), fr.Request()
			d := map[string]any{}
			fr.Detail(d)
			if d["frame_id"] == nil || d["transport"] != "udp" {
				t.Fatalf("%x: detail %v", b, d)
			}
		})
		if err != nil && !errors.Is(err, ErrShort) && !errors.Is(err, ErrNotFrame) {
			t.Fatalf("%x: %v", b, err)
		}
		if err != nil && ProbeRT.Check(PortRT, b, true) != 0 {
			t.Fatalf("%x: probe accepted what UDP refused: %v", b, err)
		}
		if a.NConns() > MaxConns {
			t.Fatalf("%d connections", a.NConns())
		}
	})
}
