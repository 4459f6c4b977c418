package integrity

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/site"
)

var (
	plc  = netip.MustParseAddr("10.10.1.5")
	ews  = netip.MustParseAddr("10.10.9.20")
	gw   = netip.MustParseAddr("10.20.0.10")
	w0   = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	hash = func(c byte) string { return strings.Repeat(string(c), 64) }
)

// s7End is the pair of events of an S7 "End upload"/"Download ended":
// the job and its ack-data both carry the block.
func s7End(op string, at time.Duration, client netip.Addr, block, sum string) []event.Event {
	d := func() map[string]any {
		return map[string]any{"block": map[string]any{"name": block, "sha256": sum, "length": 900, "complete": true}}
	}
	e := event.Event{TS: w0.Add(at), Proto: "s7comm", Op: op, Src: client, SPort: 50000, Dst: plc, DPort: 102, Dir: event.Request, Detail: d(), Capture: "c.pcap", Packet: int64(at / time.Millisecond)}
	r := e
	r.Src, r.SPort, r.Dst, r.DPort, r.Dir, r.Detail, r.Packet = plc, 102, client, 50000, event.Response, d(), e.Packet+1
	r.TS = e.TS.Add(time.Millisecond)
	return []event.Event{e, r}
}

func TestTransfers(t *testing.T) {
	var evs []event.Event
	evs = append(evs, s7End(event.OpProgramUpload, 0, ews, "FC12", hash('a'))...)
	evs = append(evs, event.Event{TS: w0.Add(time.Second), Proto: "s7comm", Op: event.OpProgramDownload, Src: gw, SPort: 50001, Dst: plc, DPort: 102})
	evs = append(evs, event.Event{TS: w0.Add(2 * time.Second), Proto: "modbus", Op: event.OpProgramUpload, Src: ews, SPort: 50002, Dst: plc, DPort: 502,
		Detail: map[string]any{"transfer": map[string]any{"direction": "upload", "partial": false, "blocks": 3, "bytes": 1200, "sha256": hash('b')}}})
	evs = append(evs, event.Event{TS: w0.Add(3 * time.Second), Proto: "enip", Op: event.OpFirmwareUpdate, Src: ews, SPort: 50003, Dst: plc, DPort: 44818,
		Detail: map[string]any{"file": map[string]any{"instance": 200, "length": 5000, "sha256": hash('c'), "complete": false}}})
	evs = append(evs, event.Event{TS: w0.Add(4 * time.Second), Proto: "s7comm", Op: event.OpRead, Src: ews, SPort: 50004, Dst: plc, DPort: 102})
	trs := Transfers(evs)
	var got []string
	for _, tr := range trs {
		got = append(got, tr.Op+" "+tr.Name+" "+tr.PLC.String()+"←"+tr.Client.String()+" "+short(tr.SHA256))
	}
	want := []string{
		"program-upload FC12 10.10.1.5←10.10.9.20 aaaaaaaaaaaa",
		"program-download  10.10.1.5←10.20.0.10 ",
		"program-upload umas-program 10.10.1.5←10.10.9.20 bbbbbbbbbbbb",
		"firmware-update cip-file-200 10.10.1.5←10.10.9.20 cccccccccccc",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("transfers\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !trs[3].Partial || trs[0].Partial || trs[2].Size != 1200 {
		t.Errorf("%+v", trs)
	}
}

func TestJudge(t *testing.T) {
	s, err := site.Parse("s.yaml", []byte(`version: 1
facility: {id: t, name: T}
zones:
  - {id: mgmt, kind: crane-management, cidrs: [10.10.9.0/24]}
  - {id: ctl, kind: crane-control, cidrs: [10.10.1.0/24]}
  - {id: vendor, kind: remote-access, cidrs: [10.20.0.0/28]}
assets:
  - {id: plc1, ip: 10.10.1.5, kind: plc}
`))
	if err != nil {
		t.Fatal(err)
	}
	base := &Manifest{Format: Format, Asset: "plc1", Kind: KindPLCProgram, Source: SourceWire, Created: w0,
		Entries: []Entry{{Path: "FC12", SHA256: hash('a')}, {Path: "DB5", SHA256: hash('d')}}}
	var evs []event.Event
	evs = append(evs, s7End(event.OpProgramUpload, 0, ews, "FC12", hash('a'))...)                // confirms
	evs = append(evs, s7End(event.OpProgramDownload, 10*time.Second, ews, "DB5", hash('d'))...)  // identical: nothing
	evs = append(evs, s7End(event.OpProgramDownload, 20*time.Second, ews, "FC12", hash('e'))...) // changed
	evs = append(evs, s7End(event.OpProgramDownload, 30*time.Second, gw, "OB35", hash('f'))...)  // new block, remote
	j := Judge(s, map[string]*Manifest{"plc1": base}, Transfers(evs))
	if len(j.Confirmed) != 1 || j.Confirmed[0].Block != "FC12" || !j.Confirmed[0].At.Equal(w0) || j.Judged != 4 || j.Assets["plc1"] {
		t.Fatalf("%+v", j)
	}
	var got []string
	for _, f := range j.Findings {
		got = append(got, f.Rule+" "+f.Severity.String()+" "+f.Src.IP.String()+" "+f.Dst.Asset)
	}
	want := []string{
		"integrity.program-changed critical 10.10.9.20 plc1",
		"integrity.program-changed critical 10.20.0.10 plc1",
		"integrity.remote-update high 10.20.0.10 plc1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range j.Findings {
		if f.Rule == finding.RuleIntegrityProgramChanged && f.Detail["block"] == "OB35" && !strings.Contains(f.Title, "not in the baseline") {
			t.Errorf("new block: %q", f.Title)
		}
		if f.Rule == finding.RuleIntegrityRemoteUpdate && !strings.Contains(f.Title, "remote-access zone vendor") {
			t.Errorf("remote: %q", f.Title)
		}
	}
	// Without a baseline, transfers are counted, never judged.
	j = Judge(s, nil, Transfers(evs))
	if j.Judged != 0 || j.Unbaselined != 4 || len(j.Findings) != 1 {
		t.Fatalf("no baseline: %+v", j)
	}
}

func TestLearnErrors(t *testing.T) {
	o := Options{Asset: "plc1", Kind: KindPLCProgram}
	if _, err := Learn(o, netip.Addr{}, nil, nil); err == nil || !strings.Contains(err.Error(), "no completed program upload") {
		t.Errorf("%v", err)
	}
	other := netip.MustParseAddr("10.10.2.5")
	evs := s7End(event.OpProgramUpload, 0, ews, "FC1", hash('a'))
	more := s7End(event.OpProgramUpload, time.Minute, ews, "FC1", hash('a'))
	for i := range more {
		if more[i].Dst == plc {
			more[i].Dst = other
		} else {
			more[i].Src = other
		}
	}
	trs := Transfers(append(evs, more...))
	if _, err := Learn(o, netip.Addr{}, nil, trs); err == nil || !strings.Contains(err.Error(), "uploads from 2 devices (10.10.1.5, 10.10.2.5)") {
		t.Errorf("%v", err)
	}
	m, err := Learn(o, plc, []string{"a.pcap"}, trs)
	if err != nil || len(m.Entries) != 1 || m.Origin[0] != "plc:10.10.1.5" {
		t.Fatalf("%+v %v", m, err)
	}
	if ip, ok := m.PLCOf(); !ok || ip != plc {
		t.Errorf("PLCOf %v", ip)
	}
}
