package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/decode"
	"harborwatch/detect"
	"harborwatch/event"
	"harborwatch/ics/profinet"
	"harborwatch/observe"
	"harborwatch/site"
)

// runPN runs the capture name of ics/profinet's test data against the
// site st (nil: none) with the given workers and events.
func runPN(t *testing.T, name string, st *site.Site, workers int) *Result {
	t.Helper()
	fh, err := os.Open("../ics/profinet/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	src, err := capture.NewReader(fh, name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: workers, Events: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func findingLines(res *Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.Rule+" "+f.Src.IP.String()+"/"+f.Src.MAC+">"+f.Dst.IP.String()+"/"+f.Dst.MAC+" "+f.App+" "+f.Transport+" "+f.Severity.String())
	}
	slices.Sort(out)
	return out
}

func eventLines(res *Result, protos ...string) []string {
	var out []string
	for _, e := range res.Events {
		if slices.Contains(protos, e.Proto) {
			out = append(out, e.Proto+" "+e.Dir+" "+e.Src.String()+">"+e.Dst.String()+" "+e.Op+" "+e.Name+" "+e.Status)
		}
	}
	return out
}

// TestPROFINETCM: the PNIO-CM calls of a controller to a device,
// though the device answers the Connect sent to 34964 from a port of its
// own (49152), to which the controller then sends its Write and Read:
// every request is the controller's, the Write is the one
// operation judged (ics.config-change, app profinet, from the
// controller), and the device's identity (object UUID) and the
// controller's station name reach the inventory. One worker or four give
// the same.
func TestPROFINETCM(t *testing.T) {
	const ctl, dev = "192.168.1.3", "192.168.1.2"
	for _, workers := range []int{1, 4} {
		res := runPN(t, "profinet_io_cm_mixed_2.pcapng", nil, workers)
		got := eventLines(res, "pn_io")
		want := []string{
			"pn_io request " + ctl + ">" + dev + " session Connect request ",
			"pn_io response " + dev + ">" + ctl + " session Connect response ",
			"pn_io request " + ctl + ">" + dev + " config-change Write request ",
			"pn_io response " + dev + ">" + ctl + " config-change Write response ",
			"pn_io request " + ctl + ">" + dev + " session Control request ",
			"pn_io response " + dev + ">" + ctl + " session Control response ",
			"pn_io request " + dev + ">" + ctl + " session Control request ",
			"pn_io response " + ctl + ">" + dev + " session Control response ",
			"pn_io request " + ctl + ">" + dev + " read Read request ",
			"pn_io response " + dev + ">" + ctl + " read Read response ",
			"pn_io request " + ctl + ">" + dev + " session Release request ",
			"pn_io response " + dev + ">" + ctl + " session Release response ",
			"pn_io response invalid IP>invalid IP session Alarm Low ERR-RTA-PDU RTA error 0xcf81fd0f",
			"pn_io response invalid IP>invalid IP session Alarm Low ERR-RTA-PDU RTA error 0xcf81fd02",
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%d workers: pn_io events\n%s\nwant\n%s", workers, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		var cc []string
		for _, l := range findingLines(res) {
			if strings.HasPrefix(l, "ics.") {
				cc = append(cc, l)
			}
		}
		wantF := []string{"ics.config-change " + ctl + "/00:a0:45:6d:d3:43>" + dev + "/00:09:91:43:e0:67 profinet udp high"}
		if !slices.Equal(cc, wantF) {
			t.Errorf("%d workers: ics findings %q, want %q", workers, cc, wantF)
		}
		for _, f := range res.Findings {
			if f.Rule == "ics.config-change" && (f.Detail["accepted"] != uint64(1) || f.Count != 1) {
				t.Errorf("%d workers: the Write's finding: count %d, detail %v (want its answer, from the device's port, accepted)", workers, f.Count, f.Detail)
			}
		}
		ids := map[string]map[string]any{}
		for _, a := range res.Assets {
			ids[a.IP.String()] = a.Identity
		}
		if d := ids[dev]; d["profinet_vendor_id"] != 346 || d["profinet_device_id"] != 3 {
			t.Errorf("%d workers: device identity %v", workers, d)
		}
		if c := ids[ctl]; c["profinet_initiator_name"] != "pc-worx-rt-basic-6d-d3-43" || c["profinet_vendor_id"] != 176 {
			t.Errorf("%d workers: controller identity %v", workers, c)
		}
		if n := res.Stats.DecodeErrors["profinet"]; n != 0 {
			t.Errorf("%d workers: %d profinet decode errors", workers, n)
		}
		if a := res.Stats.Analyzers["profinet"]; a.Confirmed == 0 || a.Violations != 0 {
			t.Errorf("%d workers: analyzer counts %+v", workers, a)
		}
	}
}

// TestPROFINETRealTime: the cyclic data of the two I/O connections is
// one io event each (their first frame; the data status never changes),
// and DCP frames are events under pn_dcp.
func TestPROFINETRealTime(t *testing.T) {
	res := runPN(t, "profinet_io_cm_mixed_2.pcapng", nil, 2)
	n := map[string]int{}
	for _, e := range res.Events {
		switch e.Proto {
		case "pn_rt":
			if e.Op != event.OpIO || e.Name != "RT_CLASS_1" {
				t.Errorf("pn_rt event %s %s", e.Op, e.Name)
			}
			n["pn_rt"]++
		case "pn_dcp":
			n["pn_dcp "+e.Name]++
		}
	}
	want := map[string]int{"pn_rt": 2, "pn_dcp DCP Identify request": 18, "pn_dcp DCP Identify response": 1}
	if len(n) != len(want) {
		t.Errorf("events %v, want %v", n, want)
	}
	for k, v := range want {
		if n[k] != v {
			t.Errorf("events %v, want %v", n, want)
			break
		}
	}
}

// dcpSite puts the SCALANCE of ChangeIPUsingDCP.pcap (found at
// 192.168.0.6 by its DCP answer) in crane control and declares the
// engineering tool that sets its address in the business zone by its
// MAC only.
const dcpSite = `version: 1
zones:
  - {id: control, kind: crane-control, cidrs: [192.168.0.0/24]}
  - {id: office, kind: business, cidrs: [10.1.0.0/16]}
assets:
  - {id: laptop, ip: 10.1.2.3, mac: "00:0c:29:ba:09:ea"}
`

// TestDCPSet: a DCP Set of the IP parameters is a config-change judged
// against the conduits (its status, accepted, in the finding), resolved
// to addresses by the site's declared MAC and by the station's own DCP
// answer; a conduit for profinet config-change allows it; without a site
// it is reported too.
func TestDCPSet(t *testing.T) {
	st, err := site.Parse("dcp.yaml", []byte(dcpSite))
	if err != nil {
		t.Fatal(err)
	}
	res := runPN(t, "ChangeIPUsingDCP.pcap", st, 1)
	got := findingLines(res)
	want := []string{"ics.config-change 10.1.2.3/00:0c:29:ba:09:ea>192.168.0.6/08:00:06:93:cf:32 profinet ethernet high"}
	if !slices.Equal(got, want) {
		t.Fatalf("findings %q, want %q", got, want)
	}
	f := res.Findings[0]
	if f.Detail["accepted"] != uint64(1) {
		t.Errorf("detail %v: want accepted 1", f.Detail)
	}
	if !strings.Contains(strings.Join(anyStrings(f.Detail["objects"]), ","), "IP 192.168.0.10 mask 255.255.255.0 gateway 192.168.0.1") {
		t.Errorf("detail %v: want the address set", f.Detail)
	}
	ev := eventLines(res, "pn_dcp")
	wantEv := []string{
		"pn_dcp request invalid IP>invalid IP identity DCP Identify request ",
		"pn_dcp response invalid IP>invalid IP identity DCP Identify response ",
		"pn_dcp request invalid IP>invalid IP config-change DCP Set request ",
		"pn_dcp response invalid IP>invalid IP config-change DCP Set response ",
	}
	if !slices.Equal(ev, wantEv) {
		t.Errorf("events %q, want %q", ev, wantEv)
	}

	allowed, err := site.Parse("dcp.yaml", []byte(dcpSite+"conduits:\n  - {from: office, to: control, protocols: [profinet], operations: [config-change]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := findingLines(runPN(t, "ChangeIPUsingDCP.pcap", allowed, 1)); len(got) != 0 {
		t.Errorf("with a conduit: findings %q", got)
	}
	// Without a site the tool's address is unknown: the finding names
	// the MACs, the station at the address it gave of itself.
	got = findingLines(runPN(t, "ChangeIPUsingDCP.pcap", nil, 1))
	want = []string{"ics.config-change invalid IP/00:0c:29:ba:09:ea>192.168.0.6/08:00:06:93:cf:32 profinet ethernet high"}
	if !slices.Equal(got, want) {
		t.Errorf("without a site: findings %q, want %q", got, want)
	}
}

func anyStrings(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// TestPROFINETNoAllocs drives a shard with the PROFINET frames of a real
// capture (cyclic data, alarms, DCP, PTCP), replayed forward in time:
// once the I/O connections and stations are known, reading them
// allocates nothing.
func TestPROFINETNoAllocs(t *testing.T) {
	var frames []capture.Packet
	var dec decode.Decoder
	var p decode.Packet
	src := openFile(t, "../ics/profinet/testdata/profinet_io_cm_mixed_2.pcapng")[0]
	for {
		var cp capture.Packet
		if err := src.Next(&cp); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if dec.Decode(cp.Link, cp.Data, &p); p.L3 == decode.L3None && p.EtherType == 0x8892 {
			cp.Data = slices.Clone(cp.Data)
			frames = append(frames, cp)
		}
	}
	if len(frames) < 150 {
		t.Fatalf("only %d PROFINET frames", len(frames))
	}
	s := newShard(detect.New(detect.Options{}), observe.New(observe.Options{}), budget{flows: 1 << 12, flowBytes: 64 << 20}, false, []string{"a"})
	var shift int64
	var cp capture.Packet
	round := func() {
		shift++
		for i := range frames {
			cp = frames[i]
			cp.TS = frames[len(frames)-1].TS + shift*1000 + int64(i)
			s.handle(&cp)
		}
	}
	round()
	if n := testing.AllocsPerRun(20, round); n != 0 {
		t.Errorf("%.1f allocations per round of %d frames, want 0", n, len(frames))
	}
	// One round before AllocsPerRun, one warm-up and 20 counted rounds.
	if s.pn.l2.NConns() != 2 || s.pn.l2.Frames[profinet.ClassRT1] != 22*102 {
		t.Errorf("%d connections, %d cyclic frames", s.pn.l2.NConns(), s.pn.l2.Frames[profinet.ClassRT1])
	}
}

// pnEth is an Ethernet frame of EtherType 0x8892 from src to dst.
func pnEth(dst, src [6]byte, payload ...[]byte) []byte {
	b := append(append(append([]byte(nil), dst[:]...), src[:]...), 0x88, 0x92)
	for _, p := range payload {
		b = append(b, p...)
	}
	return b
}

// pnTagged is pnEth with an 802.1Q priority tag (VLAN 0, priority 6).
func pnTagged(dst, src [6]byte, payload ...[]byte) []byte {
	b := pnEth(dst, src, payload...)
	return append(append(b[:12:12], 0x81, 0x00, 0xc0, 0x00), b[12:]...)
}

func be16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

// dcp is a DCP PDU: FrameID, service, type, xid, reserved, length, blocks.
func dcp(id uint16, service, typ uint8, xid uint32, blocks ...[]byte) []byte {
	var b []byte
	for _, x := range blocks {
		b = append(b, x...)
	}
	return append(append(be16(id), service, typ, byte(xid>>24), byte(xid>>16), byte(xid>>8), byte(xid), 0, 0), append(be16(uint16(len(b))), b...)...)
}

// dcpBlk is a DCP block: option, suboption, length, value (padded).
func dcpBlk(opt, sub uint8, v []byte) []byte {
	b := append([]byte{opt, sub}, be16(uint16(len(v)))...)
	b = append(b, v...)
	if len(v)%2 != 0 {
		b = append(b, 0)
	}
	return b
}

// TestPROFINETGenerated: what the public captures lack, generated — an
// engineering laptop in the office renames a crane drive by DCP (the
// drive refuses the name), resets it to factory settings, flashes its
// LED; the drive's controller goes to stop (its cyclic data says so) and
// the drive raises a diagnosis alarm. The renaming and the reset are one
// ics.config-change finding from the laptop to the drive (the refusal
// counted), the LED is no finding, and the stop and the alarm are events.
func TestPROFINETGenerated(t *testing.T) {
	st, err := site.Parse("pn.yaml", []byte(`version: 1
zones:
  - {id: control, kind: crane-control, cidrs: [10.10.1.0/24]}
  - {id: office, kind: business, cidrs: [10.50.0.0/16]}
assets:
  - {id: laptop, ip: 10.50.3.4, mac: "3c:52:82:00:00:09"}
`))
	if err != nil {
		t.Fatal(err)
	}
	laptop := [6]byte{0x3c, 0x52, 0x82, 0, 0, 9}
	drive := [6]byte{0x00, 0x1b, 0x1b, 0, 0, 7}
	plc := [6]byte{0x00, 0x1b, 0x1b, 0, 0, 5}
	q := be16(1)                     // BlockQualifier: permanent
	id := func(b ...[]byte) []byte { // an Identify response's block: BlockInfo, then the value
		var v []byte
		for _, x := range b {
			v = append(v, x...)
		}
		return append(be16(0), v...)
	}
	cyc := func(ds byte) []byte { return append(append(be16(0xc001), make([]byte, 40)...), 0x12, 0x34, ds, 0) }
	alarm := append(append(be16(0xfe01), 0x80, 1, 0x80, 2, 0x11, 1, 0, 3, 0, 2, 0, 26),
		0, 2, 0, 22, 1, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0x30, 0, 0, 0, 0x31, 0x08, 0)
	frames := [][]byte{
		pnEth(laptop, drive, dcp(0xfeff, 5, 1, 1, dcpBlk(2, 2, id([]byte("sts01-drive"))),
			dcpBlk(1, 2, id([]byte{10, 10, 1, 7}, []byte{255, 255, 255, 0}, []byte{10, 10, 1, 1})))),
		pnEth(drive, laptop, dcp(0xfefd, 4, 0, 2, dcpBlk(2, 2, append(q, "sts01-drive-x"...)))),
		pnEth(laptop, drive, dcp(0xfefd, 4, 1, 2, dcpBlk(5, 4, []byte{2, 2, 3}))),
		pnEth(drive, laptop, dcp(0xfefd, 4, 0, 3, dcpBlk(5, 6, q))),
		pnEth(laptop, drive, dcp(0xfefd, 4, 1, 3, dcpBlk(5, 4, []byte{5, 6, 0}))),
		pnEth(drive, laptop, dcp(0xfefd, 4, 0, 4, dcpBlk(5, 3, append(q, 1, 0)))),
		pnEth(drive, plc, cyc(0x35)),
		pnEth(drive, plc, cyc(0x35)),
		pnTagged(drive, plc, cyc(0x25)), // provider stop, in a priority-tagged frame (VLAN 0, priority 6) as PROFINET sends them
		pnEth(plc, drive, alarm),
	}
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC).UnixNano()
	for i, f := range frames {
		if err := w.WritePacket(t0+int64(i)*int64(time.Millisecond), f, len(f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewReader(&buf, "pn.pcap")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: 2, Events: true})
	if err != nil {
		t.Fatal(err)
	}
	got := findingLines(res)
	want := []string{"ics.config-change 10.50.3.4/3c:52:82:00:00:09>10.10.1.7/00:1b:1b:00:00:07 profinet ethernet high"}
	if !slices.Equal(got, want) {
		t.Fatalf("findings %q, want %q", got, want)
	}
	f := res.Findings[0]
	objs := strings.Join(anyStrings(f.Detail["objects"]), ",")
	if f.Count != 2 || f.Detail["accepted"] != uint64(1) || !strings.Contains(objs, "NameOfStation sts01-drive-x") ||
		!strings.Contains(objs, "factory reset") || !strings.Contains(fmt.Sprint(f.Detail["rejected"]), "block 2/2 error 3") {
		t.Errorf("finding count %d, detail %v", f.Count, f.Detail)
	}
	var evs []string
	for _, e := range res.Events {
		s := e.Proto + " " + e.Op + " " + e.Name
		if e.Proto == "pn_rt" {
			ds := e.Detail["data_status"].(map[string]any)
			s += " " + ds["provider"].(string)
			if e.Detail["previous_status"] != nil {
				s += " after run"
			}
		}
		if e.Proto == "pn_io" {
			s += " " + e.Detail["alarm_type"].(string)
		}
		evs = append(evs, s)
	}
	wantEv := []string{
		"pn_dcp identity DCP Identify response",
		"pn_dcp config-change DCP Set request", "pn_dcp config-change DCP Set response",
		"pn_dcp config-change DCP Set request", "pn_dcp config-change DCP Set response",
		"pn_dcp diagnostics DCP Set request",
		"pn_rt io RT_CLASS_1 run", "pn_rt io RT_CLASS_1 stop after run",
		"pn_io diagnostics Alarm Low DATA-RTA-PDU Diagnosis",
	}
	if !slices.Equal(evs, wantEv) {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(evs, "\n"), strings.Join(wantEv, "\n"))
	}
}
