package declared

import (
	"reflect"
	"strings"
	"testing"

	"harborwatch/site"
)

func TestReadJSONGood(t *testing.T) {
	r := ReadFile("testdata/list.json")
	wantProblems(t, "problems", r.Problems, nil)
	wantProblems(t, "notices", r.Notices, []string{`testdata/list.json:14:6: asset "sts03-nvr2": unknown key "location": ignored (reported once)`})
	wantCranes := []Crane{{
		ID: "STS-03", Name: "Ship-to-shore crane 3", Manufacturer: "ZPMC", Model: "STS 65t twin-lift", Supplier: "ZPMC",
		Origin: "CN", Source: "testdata/list.json:3:5",
	}}
	if !reflect.DeepEqual(r.Cranes, wantCranes) {
		t.Errorf("cranes %+v\nwant %+v", r.Cranes, wantCranes)
	}
	want := []Asset{
		{
			ID: "sts03-spreader-io", Name: "Spreader I/O", IPs: addrs("10.10.21.8"), MACs: macs("00:1b:1b:21:00:08"), Kind: "plc",
			Vendor: "Siemens AG", Model: "S7-1200", Supplier: "Bromma", Origin: "DE", Crane: "STS-03", Zone: "sts03-control",
			Criticality: site.CriticalityCoreControl, Serial: "40121", Firmware: "V4.6", Notes: "on the spreader head",
			Source: "testdata/list.json:7:5",
		},
		{
			ID: "sts03-nvr2", Name: "nvr-sts03", IPs: addrs("10.10.22.51", "fd00:22::50"), MACs: macs("24:28:fd:22:00:33"),
			Vendor: "Hangzhou Hikvision Digital Technology Co., Ltd.", Kind: "nvr", Origin: "CN", Crane: "STS-03",
			Criticality: site.CriticalityNonCritical, Source: "testdata/list.json:11:5",
		},
		{ID: "sts03-ups2", MACs: macs("00:c0:b7:21:00:34"), Kind: "ups", Source: "testdata/list.json:15:5"},
	}
	if len(r.Assets) != len(want) {
		t.Fatalf("assets %v", ids(r.Assets))
	}
	for i := range want {
		checkAsset(t, r.Assets[i], want[i])
	}
}

func TestReadJSONShapes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		ids      []string
		cranes   int
		problems []string
		notices  []string
	}{
		{name: "bare array", in: `[{"id": "a"}, {"tag": "b", "ip": "10.0.0.1", "ips": ["10.0.0.2"], "macs": []}]`, ids: []string{"a", "b"}},
		{name: "cranes only", in: `{"cranes": [{"id": "STS-01"}, {"id": "STS-02", "commissioned": 2021}]}`, cranes: 2,
			notices: []string{`t.json:1:48: crane "STS-02": unknown key "commissioned": ignored`}},
		{name: "empty array", in: " [ ] \n"},
		{name: "byte-order mark", in: "\ufeff[{\"id\": \"a\"}]", ids: []string{"a"}},
		{name: "number id", in: `[{"id": 17}]`, ids: []string{"17"}},
		{
			name: "unknown top-level key and a near miss",
			in:   `{"asset": [], "assets": [{"id": "a", "vendr": "x"}, {"id": "b", "vendr": "y"}]}`,
			ids:  []string{"a", "b"},
			notices: []string{
				`t.json:1:2: unknown key "asset" (did you mean "assets"?): ignored`,
				`t.json:1:38: asset "a": unknown key "vendr" (did you mean "vendor"?): ignored (reported once)`,
			},
		},
		{
			name: "duplicate key", in: "[\n{\"id\": \"a\", \"ip\": \"10.0.0.1\", \"ip\": \"10.0.0.2\"},\n{\"id\": \"b\"}]",
			ids:      []string{"b"},
			problems: []string{`t.json:2:31: asset "a": duplicate key "ip" (first at 2:13)`},
		},
		{
			name: "id given twice by aliases", in: `[{"id": "a", "asset_id": "b"}]`,
			problems: []string{`t.json:1:14: asset "a": key "asset_id" gives id again (already given by "id")`},
		},
		{
			name: "null id", in: `[{"id": null}]`,
			problems: []string{`t.json:1:9: asset #1: id: empty id`},
		},
		{name: "top-level string", in: `"assets"`, problems: []string{`t.json:1:1: expected an object with "assets" or an array of assets, got the string "assets"`}},
		{name: "neither assets nor cranes", in: `{"devices": []}`,
			problems: []string{`t.json:1:1: expected an object with "assets" or "cranes", or an array of assets`},
			notices:  []string{`t.json:1:2: unknown key "devices": ignored`}},
		{name: "assets not an array", in: `{"assets": {"id": "a"}}`, problems: []string{`t.json:1:12: assets: expected an array, got an object`}},
		{name: "cranes not an array", in: `{"cranes": 3}`, problems: []string{`t.json:1:12: cranes: expected an array, got the number 3`}},
		{
			name: "a BOM", in: `{"bomFormat": "CycloneDX", "specVersion": "1.6"}`,
			problems: []string{`t.json:1:1: this is a CycloneDX BOM (it has bomFormat), not an asset list: read it as a BOM`},
		},
		{name: "empty", in: "  \n", problems: []string{"t.json:1:1: empty file"}},
		{name: "truncated", in: "[{\"id\": \"a\"},\n {\"id\": ", problems: []string{"t.json:2:9: json syntax error: unexpected end of file"}},
		{name: "trailing data", in: "[]\n[]", problems: []string{"t.json:2:1: unexpected data after the top-level value"}},
		{name: "bad literal", in: `[{"id": tru}]`, problems: []string{"t.json:1:9: json syntax error: invalid character '}' in literal true (expecting 'e')"}},
		{
			name: "crane problems", in: `{"cranes": [{"id": "A", "origin": "ZZ"}, {"name": "x"}, {"id": "A"}, {"id": "A"}, 5, {"id": "B", "name": [1]}]}`,
			cranes: 1,
			problems: []string{
				`t.json:1:35: crane "A": origin: "ZZ" is not a two-letter ISO 3166 country code such as CN`,
				`t.json:1:42: crane #2: missing id`,
				`t.json:1:70: duplicate crane id "A" (first at 1:57)`,
				`t.json:1:83: crane #5: expected an object, got the number 5`,
				`t.json:1:106: crane "B": name: expected a string, got an array`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ReadJSON("t.json", strings.NewReader(tc.in))
			wantProblems(t, "problems", r.Problems, tc.problems)
			wantProblems(t, "notices", r.Notices, tc.notices)
			if got := ids(r.Assets); strings.Join(got, " ") != strings.Join(tc.ids, " ") {
				t.Errorf("assets %v, want %v", got, tc.ids)
			}
			if len(r.Cranes) != tc.cranes {
				t.Errorf("%d cranes, want %d", len(r.Cranes), tc.cranes)
			}
		})
	}
}

func TestReadJSONBad(t *testing.T) {
	for _, tc := range []struct {
		file     string
		problems []string
		notices  []string
		ids      []string
		cranes   []string
	}{
		{
			file: "testdata/wrong-type.json",
			problems: []string{
				`testdata/wrong-type.json:4:33: asset "bad-ip-type": ip: expected a string or an array of strings, got an object`,
				`testdata/wrong-type.json:5:5: asset #3: expected an object, got the string "not-an-object"`,
				`testdata/wrong-type.json:6:48: asset "bad-ips-item": ips: expected a string, got the number 7`,
				`testdata/wrong-type.json:7:39: asset "bad-crit": criticality: expected a string, got true`,
				`testdata/wrong-type.json:8:5: asset #6: missing id`,
				`testdata/wrong-type.json:9:5: asset "good-1": duplicate id "good-1" (first at 3:5)`,
				`testdata/wrong-type.json:12:41: crane "STS-09": origin: "China" is not a two-letter ISO 3166 country code such as CN`,
			},
			notices: []string{`testdata/wrong-type.json:13:3: unknown key "sites": ignored`},
			ids:     []string{"good-1", "good-2"},
			cranes:  []string{"STS-10"},
		},
		{
			// a syntax error in the middle: nothing can be trusted, one problem
			file:     "testdata/syntax.json",
			problems: []string{`testdata/syntax.json:4:36: json syntax error: invalid character '}' looking for beginning of object key string`},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r := ReadFile(tc.file)
			wantProblems(t, "problems", r.Problems, tc.problems)
			wantProblems(t, "notices", r.Notices, tc.notices)
			if got := ids(r.Assets); strings.Join(got, " ") != strings.Join(tc.ids, " ") {
				t.Errorf("assets %v, want %v", got, tc.ids)
			}
			var cranes []string
			for _, c := range r.Cranes {
				cranes = append(cranes, c.ID)
			}
			if strings.Join(cranes, " ") != strings.Join(tc.cranes, " ") {
				t.Errorf("cranes %v, want %v", cranes, tc.cranes)
			}
		})
	}
}

func TestNearMiss(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"vendor", "vendr", true}, {"vendor", "vednor", true}, {"vendor", "vendorx", true}, {"vendor", "xendor", true},
		{"vendor", "vendor", false}, {"vendor", "vndr", false}, {"ip", "mac", false}, {"", "a", true}, {"ab", "ba", true},
	} {
		if got := nearMiss(tc.a, tc.b); got != tc.want {
			t.Errorf("nearMiss(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
