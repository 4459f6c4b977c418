package inventory

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"harborwatch/app"
	"harborwatch/declared"
	"harborwatch/finding"
	"harborwatch/observe"
	"harborwatch/site"
)

const cameraSite = `version: 1
facility: {id: t, name: "Test terminal"}
zones:
  - {id: sts01-control, kind: crane-control, crane: STS-01, cidrs: [10.10.1.0/24], vlans: [110]}
  - {id: sts01-cctv, kind: crane-noncritical, crane: STS-01, cidrs: [10.10.2.0/24], vlans: [120]}
  - {id: crane-mgmt, kind: crane-management, cidrs: [10.10.9.0/24], vlans: [90]}
conduits:
  - {from: "kind:crane-noncritical", to: crane-mgmt, protocols: [rtsp], ports: [554]}
cranes:
  - {id: STS-01, manufacturer: ZPMC, remote_management: true}
assets:
  - {id: plc1, ip: 10.10.1.5, mac: "00:1b:1b:01:00:05", kind: plc, vendor: Siemens, supplier: ZPMC, crane: STS-01, criticality: core-control}
  - {id: nvr1, ip: 10.10.9.40, mac: "3c:52:82:09:00:28", kind: server, vendor: HP}
  - {id: cam1, ip: CAMIP, mac: "44:19:b6:01:02:0b", kind: camera, crane: STS-01, criticality: non-critical}
`

var (
	camMAC = [6]byte{0x44, 0x19, 0xb6, 1, 2, 0x0b} // a Hikvision MA-L block
	plcMAC = [6]byte{0x00, 0x1b, 0x1b, 1, 0, 5}
	nvrMAC = [6]byte{0x3c, 0x52, 0x82, 9, 0, 0x28}
)

func loadSite(t *testing.T, text string) *site.Site {
	t.Helper()
	st, err := site.Parse("site.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// observed runs flows through an observation engine, as the pipeline does
// at the end of each flow, and returns its result.
func observed(st *site.Site, flows ...observe.Conn) *observe.Result {
	e := observe.New(observe.Options{Site: st})
	s := e.NewState()
	for i := range flows {
		s.Flow(&flows[i])
	}
	return e.Finish([]*observe.State{s})
}

func flowOf(client, server string, cmac, smac [6]byte, vlan uint16, a app.App, pkt int64) observe.Conn {
	cp, sp := netip.MustParseAddrPort(client), netip.MustParseAddrPort(server)
	c := observe.Conn{
		Client: observe.Endpoint{IP: cp.Addr(), Port: cp.Port(), MAC: cmac, HasMAC: true},
		Server: observe.Endpoint{IP: sp.Addr(), Port: sp.Port(), MAC: smac, HasMAC: true},
		VLAN:   vlan, Transport: 6, App: a, First: 1_000_000_000, Last: 2_000_000_000,
		Packets: [2]uint64{10, 10}, Bytes: [2]uint64{1000, 5000},
	}
	c.Marks[0] = finding.Mark{Packet: pkt}
	c.NMarks = 1
	return c
}

func findings(inv *Inventory, rule string) []finding.Finding {
	var out []finding.Finding
	for _, f := range inv.Findings {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

func asset(t *testing.T, inv *Inventory, id string) Asset {
	t.Helper()
	for _, a := range inv.Assets {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no asset %q in %d assets", id, len(inv.Assets))
	return Asset{}
}

// TestCameraIsolation: a camera with a Hikvision MAC on the crane-control
// VLAN is supplier.not-isolated; on its own camera VLAN it is not.
func TestCameraIsolation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ip       string
		vlan     uint16
		want     bool
		severity finding.Severity
	}{
		{"camera on the control VLAN", "10.10.1.77", 110, true, finding.High},
		{"camera on its own VLAN", "10.10.2.11", 120, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := loadSite(t, strings.Replace(cameraSite, "CAMIP", tc.ip, 1))
			res := observed(st,
				flowOf(tc.ip+":40000", "10.10.9.40:554", camMAC, nvrMAC, tc.vlan, app.RTSP, 7),
				flowOf("10.10.9.30:40001", "10.10.1.5:102", nvrMAC, plcMAC, 110, app.S7comm, 3))
			inv := Build(Options{Site: st, Observed: res, Captures: []string{"test.pcap"}})
			cam := asset(t, inv, "cam1")
			if len(cam.Concern) != 1 || cam.Concern[0].Supplier != "hikvision" || !cam.Concern[0].Maker ||
				!strings.Contains(cam.Concern[0].Reason, "44:19:b6:01:02:0b") || len(cam.Concern[0].Lists) == 0 {
				t.Fatalf("camera concern = %+v", cam.Concern)
			}
			if cam.OUIOrg == "" || !strings.Contains(strings.ToLower(cam.OUIOrg), "hikvision") || cam.Vendor != cam.OUIOrg || cam.VendorSource != "oui" {
				t.Errorf("camera vendor %q (%s), oui %q", cam.Vendor, cam.VendorSource, cam.OUIOrg)
			}
			if len(cam.Addresses) != 1 || cam.Addresses[0].IP.String() != tc.ip || cam.Addresses[0].Packets != 10 ||
				cam.Addresses[0].FirstSeen.UnixNano() != 1_000_000_000 {
				t.Errorf("camera addresses %+v", cam.Addresses)
			}
			got := findings(inv, finding.RuleNotIsolated)
			if !tc.want {
				if len(got) != 0 || cam.Isolation != "isolated" {
					t.Errorf("findings %+v, isolation %q", got, cam.Isolation)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("not-isolated findings = %+v", got)
			}
			f := got[0]
			if f.Severity != tc.severity || f.Src.IP.String() != tc.ip || f.Src.Asset != "cam1" || f.Src.Zone != "sts01-control" ||
				f.Detail["supplier"] != "hikvision" || len(f.Evidence) != 1 || f.Evidence[0].Packets[0] != 7 ||
				!slices.Contains(f.Controls, "MSCI-VLAN-2") || cam.Isolation != "not-isolated" {
				t.Errorf("finding %+v, isolation %q", f, cam.Isolation)
			}
			lists := f.Detail["lists"].([]map[string]any)
			if len(lists) == 0 || lists[0]["citation"] == "" || lists[0]["date"] == "" {
				t.Errorf("lists %v", lists)
			}
			// The PLC is delivered by ZPMC, a supplier of concern, but not
			// made by it: it belongs in the control zone.
			plc := asset(t, inv, "plc1")
			if len(plc.Concern) != 1 || plc.Concern[0].Supplier != "zpmc" || plc.Concern[0].Maker || plc.Isolation != "" {
				t.Errorf("plc concern %+v isolation %q", plc.Concern, plc.Isolation)
			}
		})
	}
}

// TestSharedVLAN: a device of concern outside the control zone but on a
// VLAN with core-control devices is not isolated either (medium).
func TestSharedVLAN(t *testing.T) {
	st := loadSite(t, strings.Replace(cameraSite, "CAMIP", "10.10.2.11", 1))
	res := observed(st,
		flowOf("10.10.2.11:40000", "10.10.9.40:554", camMAC, nvrMAC, 110, app.RTSP, 4))
	inv := Build(Options{Site: st, Observed: res})
	got := findings(inv, finding.RuleNotIsolated)
	if len(got) != 1 || got[0].Severity != finding.Medium || got[0].Detail["vlan"] != uint16(110) {
		t.Fatalf("findings %+v", got)
	}
}

// TestDeclaredOnly: without captures the declarations alone make the
// inventory; a declared Hikvision camera in a crane-control zone is a
// finding, and nothing is "missing".
func TestDeclaredOnly(t *testing.T) {
	st := loadSite(t, strings.Replace(cameraSite, "CAMIP", "10.10.1.77", 1))
	inv := Build(Options{Site: st})
	if len(inv.Assets) != 3 || len(findings(inv, finding.RuleMissingDevice)) != 0 {
		t.Fatalf("assets %d, findings %+v", len(inv.Assets), inv.Findings)
	}
	got := findings(inv, finding.RuleNotIsolated)
	if len(got) != 1 || got[0].Src.Asset != "cam1" || len(got[0].Evidence) != 0 || got[0].FirstSeen.IsZero() == false {
		t.Fatalf("findings %+v", got)
	}
	if cam := asset(t, inv, "cam1"); cam.Observed || !cam.Declared || cam.FirstSeen != nil || cam.Sources[0] != "site.yaml:14" {
		t.Errorf("cam1 %+v", cam)
	}
}

// TestMissingAndMismatch: a declared device not seen in a zone the capture
// covers is missing; one seen only with another MAC is a mismatch; so is
// one whose MAC block belongs to another known maker than declared.
func TestMissingAndMismatch(t *testing.T) {
	text := strings.Replace(cameraSite, "CAMIP", "10.10.2.11", 1)
	text += `  - {id: drive1, ip: 10.10.1.10, mac: "00:1c:01:01:00:0a", kind: drive, vendor: ABB, crane: STS-01, criticality: core-control}
  - {id: io1, ip: 10.10.1.30, mac: "00:1b:1b:01:00:1e", kind: remote-io, crane: STS-01}
  - {id: far1, ip: 10.99.0.1, kind: server}
  - {id: sw1, ip: 10.10.1.2, mac: "44:19:b6:01:00:02", kind: switch, vendor: Siemens}
`
	st := loadSite(t, text)
	other := [6]byte{0x00, 0x1b, 0x1b, 1, 0, 0x99}
	res := observed(st,
		flowOf("10.10.9.40:40001", "10.10.1.5:102", nvrMAC, plcMAC, 110, app.S7comm, 3),
		flowOf("10.10.9.40:40002", "10.10.1.30:102", nvrMAC, other, 110, app.S7comm, 5),
		flowOf("10.10.1.2:40003", "10.10.9.40:443", [6]byte{0x44, 0x19, 0xb6, 1, 0, 2}, nvrMAC, 110, app.HTTPS, 6))
	inv := Build(Options{Site: st, Observed: res})
	var got []string
	for _, f := range inv.Findings {
		if f.Rule == finding.RuleMissingDevice || f.Rule == finding.RuleMismatch {
			got = append(got, f.Rule+" "+f.Src.Asset+" "+f.Severity.String()+" "+f.Title)
		}
	}
	want := []string{
		"inventory.mismatch io1 medium io1 answers from MAC 00:1b:1b:01:00:99, declared 00:1b:1b:01:00:1e",
		"inventory.mismatch sw1 medium sw1 is declared Siemens but its MAC block is Hangzhou Hikvision Digital Technology Co., Ltd.'s",
		"inventory.missing-device drive1 low drive1 is declared in sts01-control but was never seen",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRoles: roles come from behaviour, each with its evidence.
func TestRoles(t *testing.T) {
	st := loadSite(t, strings.Replace(cameraSite, "CAMIP", "10.10.2.11", 1))
	ews := [6]byte{0x3c, 0x52, 0x82, 9, 0, 0x14}
	dl := flowOf("10.10.9.20:40003", "10.10.1.5:102", ews, plcMAC, 110, app.S7comm, 8)
	dl.Ops = 1<<2 | 1<<5 // program-download, plc-stop
	res := observed(st,
		flowOf("10.10.9.40:40001", "10.10.1.5:102", nvrMAC, plcMAC, 110, app.S7comm, 3),
		flowOf("10.10.9.40:40002", "10.10.1.6:502", nvrMAC, [6]byte{0, 0x1b, 0x1b, 1, 0, 6}, 110, app.Modbus, 4),
		flowOf("10.10.2.11:40000", "10.10.9.40:554", camMAC, nvrMAC, 120, app.RTSP, 9),
		dl)
	inv := Build(Options{Site: st, Observed: res})
	roleOf := func(id string) string {
		var out []string
		for _, r := range asset(t, inv, id).Roles {
			out = append(out, r.Role+": "+r.Evidence)
		}
		return strings.Join(out, "; ")
	}
	for id, want := range map[string]string{
		"plc1":                  "plc: serves s7comm",
		"nvr1":                  "hmi: polls 2 controllers over modbus, s7comm; camera: serves rtsp",
		"ip:10.10.9.20":         "",
		"mac:3c:52:82:09:00:14": "engineering-workstation: requested program-download, plc-stop",
		"cam1":                  "camera: MAC block of Hangzhou Hikvision Digital Technology Co.,Ltd., a maker of IP cameras",
	} {
		if want == "" {
			continue
		}
		if got := roleOf(id); got != want {
			t.Errorf("%s roles %q, want %q", id, got, want)
		}
	}
}

// TestBOMExample: the example crane BOM imports alone; its Huawei switch
// and its Quectel modem (inside the cellular router) are concerns with
// their citations, and the crane lists them with the path.
func TestBOMExample(t *testing.T) {
	r := declared.ReadFile("../examples/cranes/sts-03.cdx.json")
	if len(r.Problems) != 0 {
		t.Fatalf("problems: %v", r.Problems)
	}
	inv := Build(Options{Declared: []declared.Result{r}})
	want := map[string]string{"huawei": "", "quectel": ""}
	for _, a := range inv.Assets {
		for _, c := range a.Concern {
			if _, ok := want[c.Supplier]; ok && c.Maker {
				if len(c.Lists) == 0 || c.Lists[0].Citation == "" || c.Lists[0].Date == "" {
					t.Errorf("%s: %s concern without citation: %+v", a.ID, c.Supplier, c)
				}
				want[c.Supplier] = a.ID
			}
		}
	}
	for s, id := range want {
		if id == "" {
			t.Errorf("no asset of %s found as a concern", s)
		}
	}
	if len(inv.Cranes) != 1 || inv.Cranes[0].ID != "STS-03" {
		t.Fatalf("cranes %+v", inv.Cranes)
	}
	var paths []string
	for _, c := range inv.Cranes[0].Concerns {
		paths = append(paths, c.Path)
	}
	joined := strings.Join(paths, "\n")
	for _, p := range []string{"STS-03 ← Shanghai Zhenhua Heavy Industries Co., Ltd. (manufacturer)", "Quectel Wireless Solutions Co., Ltd. (by", "Huawei Technologies Co., Ltd. (by"} {
		if !strings.Contains(joined, p) {
			t.Errorf("crane paths lack %q:\n%s", p, joined)
		}
	}
	var modemPath string
	for _, c := range inv.Cranes[0].Concerns {
		if c.Supplier == "quectel" {
			modemPath = c.Path
		}
		if c.Supplier == "zpmc" && c.Asset != "" {
			t.Errorf("a component delivered by ZPMC repeats the crane's own concern: %s", c.Path)
		}
	}
	for _, a := range inv.Assets {
		if a.ID == "sts03-router-modem" && (len(a.Roles) != 1 || a.Roles[0].Role != RoleCellular) {
			t.Errorf("modem roles %+v", a.Roles)
		}
	}
	if !strings.HasPrefix(modemPath, "STS-03 ← sts03-router ← sts03-router-modem") {
		t.Errorf("modem path %q does not go through its router", modemPath)
	}
	var b bytes.Buffer
	if err := CranesText(&b, inv); err != nil || !strings.Contains(b.String(), "Crane STS-03") {
		t.Errorf("cranes text: %v\n%s", err, b.String())
	}
}

// TestRoundTrips: the CSV and CycloneDX outputs import back with the same
// assets and addresses.
func TestRoundTrips(t *testing.T) {
	st := loadSite(t, strings.Replace(cameraSite, "CAMIP", "10.10.1.77", 1))
	r := declared.ReadFile("../examples/cranes/sts-03.cdx.json")
	inv := Build(Options{Site: st, Declared: []declared.Result{r}})
	key := func(ids []string, ips [][]netip.Addr) string {
		var out []string
		for i, id := range ids {
			var s []string
			for _, ip := range ips[i] {
				s = append(s, ip.String())
			}
			out = append(out, id+"="+strings.Join(s, ","))
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}
	var ids []string
	var ips [][]netip.Addr
	for _, a := range inv.Assets {
		ids, ips = append(ids, a.ID), append(ips, a.IPs)
	}
	want := key(ids, ips)
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
		read  func(string, *bytes.Buffer) declared.Result
	}{
		{"csv", func(b *bytes.Buffer) error { return CSV(b, inv) }, func(n string, b *bytes.Buffer) declared.Result { return declared.ReadCSV(n, b) }},
		{"cyclonedx", func(b *bytes.Buffer) error { return CycloneDX(b, inv, BOMOptions{}) }, func(n string, b *bytes.Buffer) declared.Result { return declared.ReadCycloneDX(n, b) }},
		{"cyclonedx-xml", func(b *bytes.Buffer) error { return CycloneDX(b, inv, BOMOptions{XML: true}) }, func(n string, b *bytes.Buffer) declared.Result { return declared.ReadCycloneDX(n, b) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			got := tc.read("out", &b)
			if len(got.Problems) != 0 {
				t.Fatalf("problems: %v", got.Problems)
			}
			var ids []string
			var ips [][]netip.Addr
			for _, a := range got.Assets {
				ids, ips = append(ids, a.ID), append(ips, a.IPs)
			}
			if g := key(ids, ips); g != want {
				t.Errorf("round trip:\n got %s\nwant %s", g, want)
			}
		})
	}
}

// TestTextIsClean: control sequences never reach a terminal: imports
// refuse them (the row is skipped, the problem printed escaped), and the
// text table shows any that came another way escaped (textsafe.String).
func TestTextIsClean(t *testing.T) {
	r := declared.ReadCSV("x.csv", strings.NewReader("id,vendor\nplc\x1b[31m1,Evil\x1b]0;owned\x07Corp\nplc2,Good\n"))
	inv := Build(Options{Declared: []declared.Result{r}})
	inv.Assets[0].Vendor = "Evil\x1b]0;owned\x07Corp" // as if a device had said so
	var b bytes.Buffer
	if err := Text(&b, inv); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if len(inv.Assets) != 1 || len(inv.Problems) == 0 || !strings.Contains(out, `Evil\x1b]0;owned\x07Corp (declared)`) || strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("text %q", out)
	}
}
