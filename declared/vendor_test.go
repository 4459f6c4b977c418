package declared

import (
	"reflect"
	"strings"
	"testing"
)

// TestReadVendorCraneAssembly: a crane maker's BOM without harborwatch
// properties — the subject is the crane by its type and name, its devices
// nest under an electrical house and a router, and their addresses come
// from vendor-namespaced properties.
func TestReadVendorCraneAssembly(t *testing.T) {
	const f = "testdata/bom-zpmc-sts07.cdx.json"
	r := ReadFile(f)
	wantProblems(t, "problems", r.Problems, nil)
	wantProblems(t, "notices", r.Notices, []string{
		f + `:10:18: component "zpmc-sts07" (metadata.component): read as crane "STS-07" by its type and name (the property harborwatch:crane makes it explicit)`,
		f + `:17:9: component "zpmc-sts07" (metadata.component): property "zpmc:contractNo" is not read on the crane (it is read as the crane)`,
		f + `:43:17: component "sts07-plc" (metadata.component.components[0].components[0]): unknown property "zpmc:rack": not read`,
		f + `:91:17: component "sts07-router-modem" (metadata.component.components[1].components[0]): unknown property "zpmc:imei": not read`,
		f + `:106:13: component "sts07-cam-trolley" (metadata.component.components[2]): unknown property "zpmc:location": not read`,
	})
	want := Crane{ID: "STS-07", Name: "Ship-to-Shore Container Crane STS-07", Manufacturer: "Shanghai Zhenhua Heavy Industries Co., Ltd.",
		Model: "STS 65t twin-lift", Supplier: "ZPMC", Source: f + ":10:18"}
	if len(r.Cranes) != 1 || r.Cranes[0] != want {
		t.Fatalf("cranes %+v, want %+v", r.Cranes, want)
	}
	type rel struct{ id, parent, crane string }
	var got []rel
	for _, a := range r.Assets {
		got = append(got, rel{a.ID, a.Parent, a.Crane})
	}
	wantRels := []rel{
		{"sts07-ehouse", "STS-07", "STS-07"},
		{"sts07-plc", "sts07-ehouse", "STS-07"},
		{"sts07-hoist-drive", "sts07-ehouse", "STS-07"},
		{"sts07-trolley-drive", "sts07-ehouse", "STS-07"},
		{"sts07-router", "STS-07", "STS-07"},
		{"sts07-router-modem", "sts07-router", "STS-07"},
		{"sts07-cam-trolley", "STS-07", "STS-07"},
	}
	if !reflect.DeepEqual(got, wantRels) {
		t.Errorf("assets %v, want %v", got, wantRels)
	}
	checkAsset(t, findAsset(t, r.Assets, "sts07-plc"), Asset{
		ID: "sts07-plc", Name: "SIMATIC S7-1500 CPU 1516-3 PN/DP", IPs: addrs("10.20.7.10", "10.20.70.10"),
		MACs: macs("28:63:36:07:00:10"), Kind: "plc", Vendor: "Siemens AG", Model: "SIMATIC S7-1500 CPU 1516-3 PN/DP",
		Supplier: "ZPMC", Crane: "STS-07", Zone: "sts07-control", Serial: "S C-J7T41207", Firmware: "V2.9.4",
		Source: f + ":27:13", BOMRef: "sts07-plc", Type: "device", Manufacturer: "Siemens AG",
		CPE: `cpe:2.3:h:siemens:simatic_s7-1500_cpu_1516-3_pn\/dp:-:*:*:*:*:*:*:*`, Parent: "sts07-ehouse", VLAN: "20",
	})
	modem := findAsset(t, r.Assets, "sts07-router-modem")
	if modem.Vendor != "Quectel Wireless Solutions Co., Ltd." || modem.Kind != "lte-modem" || modem.Firmware != "EC25EFAR06A06M4G" {
		t.Errorf("modem %+v", modem)
	}
	router := findAsset(t, r.Assets, "sts07-router")
	if router.Hostname != "sts07-rmt" || !reflect.DeepEqual(router.IPs, addrs("10.20.7.254")) || router.Vendor != "Teltonika Networks" {
		t.Errorf("router %+v", router)
	}
	// The camera's maker is in its CPE; ZPMC only supplied it.
	cam := findAsset(t, r.Assets, "sts07-cam-trolley")
	if cam.Vendor != "hikvision" || cam.Supplier != "ZPMC" || cam.Manufacturer != "" ||
		!reflect.DeepEqual(cam.MACs, macs("bc:ad:28:07:00:61")) || cam.Kind != "camera" {
		t.Errorf("camera %+v", cam)
	}
}

// TestReadVendorPlainProperties: a flat BOM with plain property names in
// any case and spelling, a crane named by a plain crane property, CPEs and
// a purl for the makers, and bad addresses reported.
func TestReadVendorPlainProperties(t *testing.T) {
	const f = "testdata/bom-plain-rtg12.cdx.json"
	r := ReadFile(f)
	wantProblems(t, "problems", r.Problems, []string{
		f + `:43:9: component "rtg12-hmi" (components[2]): property ip: bad address "10.30.12.300": want an IPv4 or IPv6 address; value dropped`,
		f + `:44:9: component "rtg12-hmi" (components[2]): property mac: bad mac "00:00:bc:12:00:0g": want a MAC address such as 00:1b:1b:aa:bb:cc; value dropped`,
	})
	wantProblems(t, "notices", r.Notices, []string{
		f + `:7:18: component "RTG 12" (metadata.component): read as crane "RTG-12" by its property crane (the property harborwatch:crane makes it explicit)`,
		f + `:46:9: component "rtg12-hmi" (components[2]): unknown property "location": not read`,
	})
	if len(r.Cranes) != 1 || r.Cranes[0].ID != "RTG-12" || r.Cranes[0].Supplier != "Konecranes" {
		t.Fatalf("cranes %+v", r.Cranes)
	}
	if got := ids(r.Assets); !reflect.DeepEqual(got, []string{"ControlLogix 1756-L83E", "rtg12-switch", "rtg12-hmi", "rtg12-hmi-os", "rtg12-gateway-agent"}) {
		t.Errorf("assets %v", got)
	}
	for _, a := range r.Assets {
		if a.Crane != "RTG-12" || a.Parent != "RTG-12" {
			t.Errorf("%s: crane %q parent %q", a.ID, a.Crane, a.Parent)
		}
	}
	plc := findAsset(t, r.Assets, "ControlLogix 1756-L83E")
	if plc.Vendor != "rockwellautomation" || plc.Firmware != "33.011" || plc.Kind != "plc" ||
		!reflect.DeepEqual(plc.IPs, addrs("10.30.12.5")) || !reflect.DeepEqual(plc.MACs, macs("00:00:bc:12:00:05")) {
		t.Errorf("plc %+v", plc)
	}
	// IPAddress and ipv4 both give 10.30.12.2: read once.
	sw := findAsset(t, r.Assets, "rtg12-switch")
	if !reflect.DeepEqual(sw.IPs, addrs("10.30.12.2", "192.168.127.253")) || sw.Firmware != "3.8" || sw.Vendor != "moxa" ||
		!reflect.DeepEqual(sw.MACs, macs("00:90:e8:12:00:02")) {
		t.Errorf("switch %+v", sw)
	}
	if hmi := findAsset(t, r.Assets, "rtg12-hmi"); len(hmi.IPs)+len(hmi.MACs) != 0 || hmi.Hostname != "rtg12-hmi" {
		t.Errorf("hmi %+v", hmi)
	}
	if os := findAsset(t, r.Assets, "rtg12-hmi-os"); os.Version != "1.4.1" || os.Vendor != "rockwellautomation" || os.Model != "" {
		t.Errorf("os %+v", os)
	}
	if app := findAsset(t, r.Assets, "rtg12-gateway-agent"); app.Version != "2.3.1" || app.Vendor != "konecranes" {
		t.Errorf("app %+v", app)
	}
}

// TestVendorShapes covers the smaller rules one by one.
func TestVendorShapes(t *testing.T) {
	const head = `{"bomFormat": "CycloneDX", "specVersion": "1.6", `
	type asset struct{ id, parent, crane, vendor string }
	for _, tc := range []struct {
		name              string
		in                string
		cranes            []string
		problems, notices []string
		assets            []asset
	}{
		{
			name: "a unit among the components is a crane",
			in: head + `"components": [{"type": "device", "bom-ref": "u", "name": "RTG 4 gantry crane",
			 "components": [{"type": "device", "name": "plc", "manufacturer": {"name": "Siemens AG"}}]}]}`,
			cranes:  []string{"RTG 4"},
			notices: []string{`t:1:65: component "u" (components[0]): read as crane "RTG 4" by its type and name (the property harborwatch:crane makes it explicit)`},
			assets:  []asset{{"plc", "RTG 4", "RTG 4", "Siemens AG"}},
		},
		{
			name:   "a crane-like name without devices below is a device",
			in:     head + `"components": [{"type": "device", "name": "crane scale", "components": [{"type": "firmware", "name": "fw"}]}]}`,
			assets: []asset{{"crane scale", "", "", ""}, {"fw", "crane scale", "", ""}},
		},
		{
			name: "harborwatch properties win over vendor ones; a different value is a problem",
			in: head + `"components": [{"type": "device", "name": "a", "properties": [{"name": "acme:Model", "value": "X"},
			 {"name": "harborwatch:model", "value": "Y"}, {"name": "acme:serial_number", "value": "7"}, {"name": "SN", "value": "7"}]}]}`,
			problems: []string{`t:1:112: component "a" (components[0]): property acme:Model: given again (first at 2:5); value dropped`},
			assets:   []asset{{"a", "", "", ""}},
		},
		{
			name: "bad cpe and purl are notices; a vlan out of range a problem",
			in: head + `"components": [{"type": "device", "name": "a", "cpe": "cpe:2.3:x", "properties": [{"name": "vlan", "value": "5000"}]},
			 {"type": "library", "name": "b", "purl": "npm/left-pad"}]}`,
			problems: []string{`t:1:132: component "a" (components[0]): property vlan: not a VLAN id from 1 to 4094; value dropped`},
			notices: []string{
				`t:1:65: component "a" (components[0]): cpe "cpe:2.3:x" is not a CPE 2.3 or 2.2 name: not read`,
				`t:2:5: component "b" (components[1]): purl "npm/left-pad" is not a package URL: not read`,
			},
			assets: []asset{{"a", "", "", ""}, {"b", "", "", ""}},
		},
		{
			name: "xml: crane subject and vendor properties",
			in: `<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><metadata><component type="device"><name>QC 3</name>` +
				`<properties><property name="acme:unit">QC-3</property></properties></component></metadata>` +
				`<components><component type="device" bom-ref="plc"><name>PLC</name><cpe>cpe:2.3:h:siemens:s7-1500:-</cpe>` +
				`<properties><property name="acme:ipAddress">10.0.3.5</property><property name="acme:slot">2</property></properties>` +
				`</component></components></bom>`,
			cranes: []string{"QC-3"},
			notices: []string{
				`t:1:60: component "QC 3" (metadata.component): read as crane "QC-3" by its property acme:unit (the property harborwatch:crane makes it explicit)`,
				`t:1:360: component "plc" (components[0]): unknown property "acme:slot": not read`,
			},
			assets: []asset{{"plc", "QC-3", "QC-3", "siemens"}},
		},
		{
			name: "supplier is the vendor only when nothing names the maker",
			in: head + `"components": [{"type": "device", "name": "a", "supplier": {"name": "ZPMC"}, "cpe": "cpe:/h:hikvision:ds-2cd2143g2-i"},
			 {"type": "device", "name": "b", "supplier": {"name": "ZPMC"}}]}`,
			assets: []asset{{"a", "", "", "hikvision"}, {"b", "", "", "ZPMC"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ReadCycloneDX("t", strings.NewReader(tc.in))
			wantProblems(t, "problems", r.Problems, tc.problems)
			wantProblems(t, "notices", r.Notices, tc.notices)
			var cranes []string
			for _, c := range r.Cranes {
				cranes = append(cranes, c.ID)
			}
			if !reflect.DeepEqual(cranes, tc.cranes) {
				t.Errorf("cranes %v, want %v", cranes, tc.cranes)
			}
			var got []asset
			for _, a := range r.Assets {
				got = append(got, asset{a.ID, a.Parent, a.Crane, a.Vendor})
			}
			if !reflect.DeepEqual(got, tc.assets) {
				t.Errorf("assets %v, want %v", got, tc.assets)
			}
		})
	}
}

func TestParseCPEAndPURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want product
		ok   bool
	}{
		{`cpe:2.3:h:siemens:simatic_s7-1500_cpu_1516-3_pn\/dp:-:*:*:*:*:*:*:*`, product{'h', "siemens", "simatic s7-1500 cpu 1516-3 pn/dp", ""}, true},
		{`cpe:2.3:o:siemens:simatic_s7-1500_cpu_firmware:2.9.4:*:*:*:*:*:*:*`, product{'o', "siemens", "simatic s7-1500 cpu firmware", "2.9.4"}, true},
		{`cpe:/h:moxa:eds-408a:1.0`, product{'h', "moxa", "eds-408a", "1.0"}, true},
		{`cpe:2.3:q:a:b`, product{}, false},
		{`pkg:generic/siemens/simocrane-cms@5.2`, product{0, "siemens", "simocrane-cms", "5.2"}, true},
		{`pkg:npm/%40angular/core@17.0.0?x=1#y`, product{0, "angular", "core", "17.0.0"}, true},
		{`pkg:pypi/requests@2.31.0`, product{0, "", "requests", "2.31.0"}, true},
		{`pkg:nothing`, product{}, false},
	} {
		var p product
		var ok bool
		if strings.HasPrefix(tc.in, "cpe:") {
			p, ok = parseCPE(tc.in)
		} else {
			p, ok = parsePURL(tc.in)
		}
		if p != tc.want || ok != tc.ok {
			t.Errorf("%s: %+v %v, want %+v %v", tc.in, p, ok, tc.want, tc.ok)
		}
	}
}
