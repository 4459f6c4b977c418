package pipeline

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/site"
)

// dcomPortsSite puts an HMI in crane management and a control panel in
// crane control, with no conduit between them.
const dcomPortsSite = `version: 1
zones:
  - {id: hmi, kind: crane-management, cidrs: [10.10.9.0/24]}
  - {id: panel, kind: crane-control, cidrs: [10.10.1.0/24]}
`

// dcomPorts are the dynamic ports of the panel's DCOM servers, as a
// Windows host hands them out (old range and new).
var dcomPorts = func() []uint16 {
	ps := []uint16{1057, 1865, 49188}
	for i := range 36 {
		ps = append(ps, uint16(1100+37*i)) // 1100…2395
	}
	return ps
}()

// dcomCapture generates an HMI-to-panel DCOM conversation over the 39
// dynamic ports (the case that once made 39 cross-zone findings, one per
// port): for each, the HMI asks the panel's endpoint mapper (ept_map) when
// mapper is set, then connects to the port handed out; every other
// connection carries a bind and a request, the rest carry nothing (a
// connection opened and closed: identified by no payload). The panel
// calls back into the HMI on five dynamic ports of the HMI's.
func dcomCapture(t *testing.T, mapper bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	hmi, panel := hEWS, hPLC
	bindReq := func(callID uint32) []synth.Exchange {
		body := []byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0}
		body = append(body, 0x4d, 0x3a, 0xc1, 0x39, 0x1e, 0x01, 0xd0, 0x11, 0x96, 0x75, 0x00, 0x20, 0xaf, 0xd8, 0xad, 0xb3, 0, 0, 0, 0)
		body = append(body, make([]byte, 20)...)
		return []synth.Exchange{{Data: rpcPDU(11, callID, body)}, {Data: rpcPDU(0, callID+1, []byte{0, 0, 0, 0, 0, 0, 6, 0})}} // IOPCServer.GetStatus
	}
	sport := uint16(50000)
	for i, p := range dcomPorts {
		if mapper {
			b.TCPSession(hmi, panel, sport, 135, eptMap(p, panel.IP)...)
			sport++
			b.Advance(10 * time.Millisecond)
		}
		if i%2 == 0 {
			b.TCPSession(hmi, panel, sport, p, bindReq(uint32(i))...)
		} else {
			b.TCPSession(hmi, panel, sport, p)
		}
		sport++
		b.Advance(20 * time.Millisecond)
	}
	for i := range 5 {
		b.TCPSession(panel, hmi, uint16(60000+i), uint16(1500+i), bindReq(uint32(100+i))...)
		b.Advance(20 * time.Millisecond)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDCOMDynamicPorts: across 39 dynamic ports the HMI-to-panel DCOM
// conversation is one cross-zone finding per direction, application
// dcerpc, when the endpoint mapper's answers are seen; without them each
// connection that carried nothing is judged by its port.
func TestDCOMDynamicPorts(t *testing.T) {
	st, err := site.Parse("dcom.yaml", []byte(dcomPortsSite))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mapper bool
		want   int // findings from the HMI to the panel
	}{{true, 1}, {false, 1 + len(dcomPorts)/2}} {
		for _, workers := range []int{1, 3} {
			src, err := capture.NewReader(bytes.NewReader(dcomCapture(t, tc.mapper)), "dcom.pcap")
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			var fwd, back []string
			for _, f := range res.Findings {
				if f.Rule != "segmentation.cross-zone" {
					t.Errorf("finding %s %s", f.Rule, f.App)
					continue
				}
				line := f.Src.IP.String() + ">" + f.Dst.IP.String() + " " + f.App
				if f.Src.IP == hEWS.IP {
					fwd = append(fwd, line)
				} else {
					back = append(back, line)
				}
			}
			slices.Sort(fwd)
			if len(fwd) != tc.want || !slices.Contains(fwd, "10.10.9.20>10.10.1.5 dcerpc") ||
				!slices.Equal(back, []string{"10.10.1.5>10.10.9.20 dcerpc"}) {
				t.Errorf("mapper %v, %d workers: findings\n%s\n%s", tc.mapper, workers, strings.Join(fwd, "\n"), strings.Join(back, "\n"))
			}
			if tc.mapper && res.Stats.DecodeErrors["dcerpc"] != 0 {
				t.Errorf("decode errors %v", res.Stats.DecodeErrors)
			}
		}
	}
}
