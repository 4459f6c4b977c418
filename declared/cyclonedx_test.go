package declared

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"harborwatch/site"
)

// exampleIDs are the components of examples/cranes/sts-03.cdx.*, in file
// order (parents before their components).
var exampleIDs = []string{
	"sts03-plc1", "sts03-plc1-fw", "sts03-io1", "sts03-hoist-drive", "sts03-sw-control", "sts03-sw-cctv",
	"sts03-sw-cctv-vrp", "sts03-cam1", "sts03-router", "sts03-router-modem", "sts03-cms-pc", "sts03-cms-pc-os",
	"sts03-simocrane-cms",
}

func TestReadCycloneDXExample(t *testing.T) {
	results := map[string]Result{}
	for _, f := range []string{"../examples/cranes/sts-03.cdx.json", "../examples/cranes/sts-03.cdx.xml"} {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r := ReadCycloneDX(f, bytes.NewReader(data))
			results[f] = r
			wantProblems(t, "problems", r.Problems, nil)
			wantProblems(t, "notices", r.Notices, nil)
			if len(r.Cranes) != 1 {
				t.Fatalf("cranes %+v", r.Cranes)
			}
			cr := r.Cranes[0]
			cr.Source = ""
			wantCrane := Crane{
				ID: "STS-03", Name: "STS-03", Manufacturer: "Shanghai Zhenhua Heavy Industries Co., Ltd. (ZPMC)",
				Model: "STS 65t twin-lift", Supplier: "ZPMC", Origin: "CN",
			}
			if cr != wantCrane {
				t.Errorf("crane %+v\nwant  %+v", cr, wantCrane)
			}
			if got := ids(r.Assets); !reflect.DeepEqual(got, exampleIDs) {
				t.Fatalf("assets %v\nwant   %v", got, exampleIDs)
			}
			byID := map[string]Asset{}
			for _, a := range r.Assets {
				byID[a.ID] = a
				if a.Crane != "STS-03" {
					t.Errorf("%s: Crane %q", a.ID, a.Crane)
				}
				if _, ok := byID[a.Parent]; !ok && a.Parent != "STS-03" {
					t.Errorf("%s: Parent %q is neither the crane nor an earlier asset", a.ID, a.Parent)
				}
				if !strings.HasPrefix(a.Source, f+":") {
					t.Errorf("%s: Source %q", a.ID, a.Source)
				}
			}
			sw := byID["sts03-sw-cctv"]
			sw.Source = ""
			checkAsset(t, sw, Asset{
				ID: "sts03-sw-cctv", Name: "Huawei S5735-L", IPs: addrs("10.10.22.2"), MACs: macs("00:1e:10:22:00:02"),
				Kind: "switch", Vendor: "Huawei Technologies Co., Ltd.", Model: "S5735-L24T4S-A", Supplier: "ZPMC",
				Origin: "CN", Crane: "STS-03", Zone: "sts03-cctv", Firmware: "V200R021C10SPC600",
				Criticality: site.CriticalityNonCritical, BOMRef: "sts03-sw-cctv", Type: "device",
				Manufacturer: "Huawei Technologies Co., Ltd.", Description: "Switch of the crane camera network", Parent: "STS-03",
			})
			modem := byID["sts03-router-modem"]
			modem.Source = ""
			checkAsset(t, modem, Asset{
				ID: "sts03-router-modem", Name: "EC25", MACs: macs("50:80:4a:21:00:fe"), Kind: "lte-modem",
				Vendor: "Quectel Wireless Solutions Co., Ltd.", Model: "EC25", Origin: "CN", Crane: "STS-03",
				Firmware: "EC25EFAR06A08M4G", BOMRef: "sts03-router-modem", Type: "device",
				Manufacturer: "Quectel Wireless Solutions Co., Ltd.", Description: "LTE Cat 4 module inside the router",
				Parent: "sts03-router",
			})
			cms := byID["sts03-simocrane-cms"]
			cms.Source = ""
			checkAsset(t, cms, Asset{
				ID: "sts03-simocrane-cms", Name: "SIMOCRANE CMS", Vendor: "Siemens AG", Crane: "STS-03",
				BOMRef: "sts03-simocrane-cms", Type: "application", Version: "5.2", Publisher: "Siemens AG", Group: "SIMOCRANE",
				PURL:        "pkg:generic/siemens/simocrane-cms@5.2",
				Description: "Crane management system: diagnostics, statistics and maintenance", Parent: "sts03-cms-pc",
			})
			plc := byID["sts03-plc1"]
			if plc.Firmware != "V3.1.0" || plc.Serial != "S C-X4U21034" || plc.Criticality != site.CriticalityCoreControl ||
				plc.Zone != "sts03-control" || !reflect.DeepEqual(plc.IPs, addrs("10.10.21.5")) {
				t.Errorf("plc %+v", plc)
			}
			if fw := byID["sts03-plc1-fw"]; fw.Type != "firmware" || fw.Version != "V3.1.0" || fw.Parent != "sts03-plc1" {
				t.Errorf("plc firmware %+v", fw)
			}
			if cam := byID["sts03-cam1"]; cam.Vendor != "Hangzhou Hikvision Digital Technology Co., Ltd." ||
				!reflect.DeepEqual(cam.MACs, macs("24:28:fd:22:00:0b")) || !reflect.DeepEqual(cam.IPs, addrs("10.10.22.11")) {
				t.Errorf("camera %+v", cam)
			}
		})
	}
	// The XML is the same BOM: the same assets, from other lines.
	j, x := results["../examples/cranes/sts-03.cdx.json"], results["../examples/cranes/sts-03.cdx.xml"]
	if len(j.Assets) != len(x.Assets) {
		t.Fatalf("json %d assets, xml %d", len(j.Assets), len(x.Assets))
	}
	for i := range j.Assets {
		a, b := j.Assets[i], x.Assets[i]
		if a.Source == b.Source {
			t.Errorf("%s: same Source %q", a.ID, a.Source)
		}
		a.Source, b.Source = "", ""
		checkAsset(t, b, a)
	}
}

// TestExampleRoundTrip checks that cyclonedx-go decodes and re-encodes the
// example BOM without losing anything, and that its XML encoding of the
// same BOM reads to the same assets.
func TestExampleRoundTrip(t *testing.T) {
	data, err := os.ReadFile("../examples/cranes/sts-03.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 {
		t.Errorf("specVersion %v", bom.SpecVersion)
	}
	var out bytes.Buffer
	if err := cdx.NewBOMEncoder(&out, cdx.BOMFileFormatJSON).EncodeVersion(&bom, cdx.SpecVersion1_6); err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("cyclonedx-go changed the BOM:\n%s", out.Bytes())
	}

	var xml bytes.Buffer
	if err := cdx.NewBOMEncoder(&xml, cdx.BOMFileFormatXML).EncodeVersion(&bom, cdx.SpecVersion1_6); err != nil {
		t.Fatal(err)
	}
	fromJSON := ReadCycloneDX("a", bytes.NewReader(data))
	fromXML := ReadCycloneDX("b", &xml)
	wantProblems(t, "xml problems", fromXML.Problems, nil)
	if len(fromXML.Assets) != len(fromJSON.Assets) {
		t.Fatalf("%d assets from the encoded XML, %d from the JSON", len(fromXML.Assets), len(fromJSON.Assets))
	}
	for i := range fromJSON.Assets {
		a, b := fromJSON.Assets[i], fromXML.Assets[i]
		a.Source, b.Source = "", ""
		checkAsset(t, b, a)
	}

	// The XML example is the same BOM as the JSON one.
	xdata, err := os.ReadFile("../examples/cranes/sts-03.cdx.xml")
	if err != nil {
		t.Fatal(err)
	}
	var xbom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(xdata), cdx.BOMFileFormatXML).Decode(&xbom); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(xbom.Components, bom.Components) || !reflect.DeepEqual(xbom.Metadata.Component, bom.Metadata.Component) {
		t.Error("the XML example's components differ from the JSON example's")
	}
}

func TestReadCycloneDXBad(t *testing.T) {
	type asset struct{ id, parent string }
	for _, tc := range []struct {
		file     string
		problems []string
		notices  []string
		assets   []asset
		cranes   int
	}{
		{
			file:     "testdata/bom-truncated.cdx.json",
			problems: []string{"testdata/bom-truncated.cdx.json:83:17: json syntax error: unexpected end of file"},
		},
		{
			file:     "testdata/bom-bad.cdx.xml",
			problems: []string{"testdata/bom-bad.cdx.xml:68:26: xml syntax error: element <group> closed by </grp>"},
		},
		{
			file: "testdata/bom-props.cdx.json",
			problems: []string{
				`testdata/bom-props.cdx.json:16:9: component "rtg07-plc" (components[0]): property harborwatch:ip: bad address "10.0.7.300": want an IPv4 or IPv6 address; value dropped`,
				`testdata/bom-props.cdx.json:18:9: component "rtg07-plc" (components[0]): property harborwatch:criticality: unknown value "vital" (valid: core-control, non-critical, support); value dropped`,
				`testdata/bom-props.cdx.json:20:9: component "rtg07-plc" (components[0]): property harborwatch:kind: given again (first at 19:9); value dropped`,
				`testdata/bom-props.cdx.json:26:56: components[1]: cannot be decoded: name: expected a string, got a number; component skipped`,
				`testdata/bom-props.cdx.json:28:9: component "rtg07-gw-modem" (components[1].components[0]): mac 00:1b:1b:07:00:05 is already used by "rtg07-plc" (13:5); value dropped`,
				`testdata/bom-props.cdx.json:33:5: component "rtg07-plc" (components[2]): duplicate id "rtg07-plc" (first at 13:5); component skipped`,
				`testdata/bom-props.cdx.json:34:5: components[3]: component has neither bom-ref nor name; component skipped`,
				`testdata/bom-props.cdx.json:35:5: component "rtg07-sensor" (components[4]): unknown type "crane-part"; value dropped`,
				`testdata/bom-props.cdx.json:36:45: component "rtg07-sensor" (components[4]): property harborwatch:origin: "UK" is not an ISO 3166 country code (the United Kingdom is GB); value dropped`,
			},
			notices: []string{
				`testdata/bom-props.cdx.json:1:1: services: 1 not read (only components become assets)`,
				`testdata/bom-props.cdx.json:9:72: component "RTG-07" (metadata.component): property "harborwatch:ip" is not read on the crane (it has harborwatch:crane)`,
				`testdata/bom-props.cdx.json:21:9: component "rtg07-plc" (components[0]): unknown property "harborwatch:zone " (did you mean "zone"?): ignored`,
				`testdata/bom-props.cdx.json:22:9: component "rtg07-plc" (components[0]): unknown property "vendor:internal-id": not read`,
			},
			// the gateway cannot be decoded; its modem is kept, under the crane
			assets: []asset{{"rtg07-plc", "RTG-07"}, {"rtg07-gw-modem", "RTG-07"}, {"rtg07-sensor", "RTG-07"}},
			cranes: 1,
		},
		{
			file: "testdata/bom-props.cdx.xml",
			problems: []string{
				`testdata/bom-props.cdx.xml:17:9: component "rtg07-plc" (components[0]): property harborwatch:ip: bad address "10.0.7.256": want an IPv4 or IPv6 address; value dropped`,
				`testdata/bom-props.cdx.xml:21:9: components[0].components[0]: cannot be decoded: strconv.ParseBool: parsing "perhaps": invalid syntax; component skipped`,
			},
			assets: []asset{{"rtg07-plc", "RTG-07"}, {"rtg07-plc-fw2", "rtg07-plc"}},
			cranes: 1,
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r := ReadFile(tc.file)
			wantProblems(t, "problems", r.Problems, tc.problems)
			wantProblems(t, "notices", r.Notices, tc.notices)
			var got []asset
			for _, a := range r.Assets {
				got = append(got, asset{a.ID, a.Parent})
			}
			if !reflect.DeepEqual(got, tc.assets) {
				t.Errorf("assets %v, want %v", got, tc.assets)
			}
			if len(r.Cranes) != tc.cranes {
				t.Errorf("cranes %+v", r.Cranes)
			}
		})
	}
	// What was kept of the bad components is right, field by field.
	r := ReadFile("testdata/bom-props.cdx.json")
	plc := findAsset(t, r.Assets, "rtg07-plc")
	checkAsset(t, plc, Asset{
		ID: "rtg07-plc", Name: "PLC", Model: "PLC", IPs: addrs("10.0.7.5"), MACs: macs("00:1b:1b:07:00:05"), Kind: "plc",
		Crane: "RTG-07", Source: "testdata/bom-props.cdx.json:13:5", BOMRef: "rtg07-plc", Type: "device", Parent: "RTG-07",
	})
	modem := findAsset(t, r.Assets, "rtg07-gw-modem")
	if modem.Vendor != "Quectel Wireless Solutions Co., Ltd." || len(modem.MACs) != 0 {
		t.Errorf("modem: vendor from author %q, MACs %v (the taken one dropped)", modem.Vendor, modem.MACs)
	}
	if s := findAsset(t, r.Assets, "rtg07-sensor"); s.Vendor != "Vaisala" || s.Type != "" || s.Origin != "" {
		t.Errorf("sensor %+v", s)
	}
	if c := r.Cranes[0]; c.ID != "RTG-07" || c.Manufacturer != "Konecranes" || c.Supplier != "Konecranes" {
		t.Errorf("crane %+v: the supplier stands in for a missing manufacturer", c)
	}
	x := ReadFile("testdata/bom-props.cdx.xml")
	if plc := findAsset(t, x.Assets, "rtg07-plc"); plc.Firmware != "V3.0" || plc.Vendor != "Siemens AG" ||
		!reflect.DeepEqual(plc.IPs, addrs("10.0.7.5")) {
		t.Errorf("xml plc %+v", plc)
	}
}

func TestReadCycloneDXShapes(t *testing.T) {
	const ns = `xmlns="http://cyclonedx.org/schema/bom/1.6"`
	type asset struct{ id, parent, crane string }
	for _, tc := range []struct {
		name     string
		in       string
		problems []string
		notices  []string
		assets   []asset
	}{
		{name: "empty", in: " \n", problems: []string{"t:1:1: empty file"}},
		{name: "csv", in: "id,ip\n", problems: []string{"t:1:1: not a CycloneDX BOM: expected a JSON object ({) or XML (<)"}},
		{name: "json array", in: "[]", problems: []string{"t:1:1: not a CycloneDX BOM: expected a JSON object ({) or XML (<)"}},
		{name: "no bomFormat", in: `{"specVersion": "1.6"}`, problems: []string{`t:1:1: not a CycloneDX BOM: bomFormat must be "CycloneDX"`}},
		{name: "other bomFormat", in: `{"bomFormat": "SPDX"}`, problems: []string{`t:1:15: not a CycloneDX BOM: bomFormat must be "CycloneDX"`}},
		{name: "no specVersion", in: `{"bomFormat": "CycloneDX"}`, problems: []string{"t:1:1: missing specVersion"}},
		{
			name: "specVersion 2.0", in: `{"bomFormat": "CycloneDX", "specVersion": "2.0"}`,
			problems: []string{`t:1:43: unsupported specVersion the string "2.0" (read: 1.2, 1.3, 1.4, 1.5, 1.6, 1.7)`},
		},
		{
			name: "no crane: the subject holds the components",
			in: `{"bomFormat": "CycloneDX", "specVersion": "1.4", "metadata": {"component": {"type": "device", "bom-ref": "plc", "name": "PLC",
			 "components": [{"type": "firmware", "name": "fw"}]}}, "components": [{"type": "library", "name": "openssl", "version": "3.0.13"}]}`,
			assets: []asset{{"plc", "", ""}, {"fw", "plc", ""}, {"openssl", "plc", ""}},
		},
		{
			name: "crane on a component is inherited",
			in: `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "device", "name": "a",
			 "properties": [{"name": "harborwatch:crane", "value": "QC-2"}], "components": [{"type": "device", "name": "b"}]}]}`,
			assets: []asset{{"a", "", "QC-2"}, {"b", "a", "QC-2"}},
		},
		{
			name: "crane id from the bom-ref",
			in: `{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"component": {"type": "device", "bom-ref": "QC-3", "name": "Crane",
			 "properties": [{"name": "harborwatch:crane", "value": ""}], "components": [{"type": "device", "name": "a"}]}}}`,
			assets: []asset{{"a", "QC-3", "QC-3"}},
		},
		{
			name: "bad crane id",
			in: `{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"component": {"type": "device", "name": "",
			 "properties": [{"name": "harborwatch:crane", "value": ""}]}}, "components": [{"type": "device", "name": "a"}]}`,
			problems: []string{`t:2:20: metadata.component: harborwatch:crane: empty id`},
			assets:   []asset{{"a", "", ""}},
		},
		{
			name: "metadata, components and component of the wrong type",
			in:   `{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": [], "components": [3, {"type": "device", "name": "a", "components": {}}]}`,
			problems: []string{
				"t:1:62: metadata: expected an object, got an array",
				"t:1:81: components[0]: expected an object, got the number 3; skipped",
				"t:1:130: components[1].components: expected an array, got an object",
			},
			assets: []asset{{"a", "", ""}},
		},
		{
			name: "bad metadata keeps the components",
			in:   `{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"timestamp": 5}, "components": [{"type": "device", "name": "a"}]}`,
			problems: []string{
				"t:1:76: metadata: timestamp: expected a string, got a number; the BOM's manufacturer and supplier are not read",
			},
			assets: []asset{{"a", "", ""}},
		},
		{
			name:   "xml, prefixed",
			in:     `<c:bom xmlns:c="http://cyclonedx.org/schema/bom/1.5"><c:components><c:component type="device"><c:name>a</c:name></c:component></c:components></c:bom>`,
			assets: []asset{{"a", "", ""}},
		},
		{name: "xml wrong root", in: `<sbom ` + ns + `/>`, problems: []string{"t:1:1: not a CycloneDX BOM: the root element is <sbom>, not <bom>"}},
		{
			name:     "xml wrong namespace",
			in:       `<?xml version="1.0"?>` + "\n" + `<bom xmlns="http://example.com/bom"/>`,
			problems: []string{`t:2:1: unsupported namespace "http://example.com/bom" (read: http://cyclonedx.org/schema/bom/ followed by one of 1.2, 1.3, 1.4, 1.5, 1.6, 1.7)`},
		},
		{name: "xml two roots", in: `<bom ` + ns + `/><bom/>`, problems: []string{"t:1:51: more than one root element"}},
		{name: "xml not closed", in: "<bom " + ns + ">\n<components>", problems: []string{"t:2:13: xml syntax error: unexpected end of file: <components> is not closed"}},
		{name: "xml entity", in: "<bom " + ns + ">&bogus;</bom>", problems: []string{"t:1:56: xml syntax error: invalid character entity &bogus;"}},
		{
			name: "xml services",
			in:   "<bom " + ns + "><services><service><name>s</name></service><service><name>t</name></service></services></bom>",
			notices: []string{
				"t:1:1: services: 2 not read (only components become assets)",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ReadCycloneDX("t", strings.NewReader(tc.in))
			wantProblems(t, "problems", r.Problems, tc.problems)
			wantProblems(t, "notices", r.Notices, tc.notices)
			var got []asset
			for _, a := range r.Assets {
				got = append(got, asset{a.ID, a.Parent, a.Crane})
			}
			if !reflect.DeepEqual(got, tc.assets) {
				t.Errorf("assets %v, want %v", got, tc.assets)
			}
		})
	}
}

// TestComponentDepth checks the bound on nested components: the ones too
// deep are reported once, and the rest kept.
func TestComponentDepth(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [`)
	n := maxComponentDepth + 3
	for i := range n {
		fmt.Fprintf(&b, `{"type": "device", "name": "c%d", "components": [`, i)
	}
	b.WriteString(strings.Repeat("]}", n))
	b.WriteString("]}")
	r := ReadCycloneDX("deep.json", strings.NewReader(b.String()))
	if len(r.Assets) != maxComponentDepth+1 || len(r.Problems) != 1 ||
		!strings.Contains(r.Problems[0].Msg, "components nested deeper than 16 levels: not read") {
		t.Errorf("%d assets, problems %q", len(r.Assets), errs(r.Problems))
	}
	for i, a := range r.Assets {
		if i > 0 && a.Parent != r.Assets[i-1].ID {
			t.Errorf("%s: parent %q", a.ID, a.Parent)
		}
	}
}
