package declared

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"harborwatch/site"
)

func TestReadCSVGood(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    []Asset
		notices []string
	}{
		{
			name: "documented header",
			in: "id,name,ip,mac,kind,vendor,model,supplier,origin,crane,zone,criticality,serial,firmware,notes\n" +
				"sts03-plc1,Main PLC,10.10.21.5;10.10.21.105 fd00:21::5,001b.1b21.0005;00-1B-1B-21-00-85,plc,Siemens AG," +
				"S7-1500 CPU 1516-3 PN/DP,ZPMC,de,STS-03,sts03-control,Core-Control,S C-X4U21034,V3.1.0,\"main PLC, e-house\"\n",
			want: []Asset{{
				ID: "sts03-plc1", Name: "Main PLC", IPs: addrs("10.10.21.5", "10.10.21.105", "fd00:21::5"),
				MACs: macs("00:1b:1b:21:00:05", "00:1b:1b:21:00:85"), Kind: "plc", Vendor: "Siemens AG",
				Model: "S7-1500 CPU 1516-3 PN/DP", Supplier: "ZPMC", Origin: "DE", Crane: "STS-03", Zone: "sts03-control",
				Criticality: site.CriticalityCoreControl, Serial: "S C-X4U21034", Firmware: "V3.1.0",
				Notes: "main PLC, e-house", Source: "t.csv:2",
			}},
		},
		{
			name: "maintenance export: aliases, semicolons, byte-order mark, comments, CRLF",
			in: "\ufeff# exported from the maintenance system 2026-10-01\r\n" +
				"\r\n" +
				"Asset ID;Hostname;IP Address;MAC-Address;Manufacturer;Device Type;Country of Origin;Location;Serial Number;Firmware Version;Comments\r\n" +
				"sts03-cam2;sts03-cam-boom;10.10.22.12 10.10.22.112;24:28:fd:22:00:0c;Hangzhou Hikvision Digital Technology Co., Ltd.;camera;CN;boom tip;DS123;V5.7.3;\r\n" +
				"# decommissioned: sts03-cam3\r\n" +
				";;;;;;;;;;\r\n" +
				"sts03-nvr;nvr-sts03;10.10.22.50;;Hikvision;nvr;;e-house;;;\"two\r\nlines\"\r\n",
			want: []Asset{
				{
					ID: "sts03-cam2", Name: "sts03-cam-boom", IPs: addrs("10.10.22.12", "10.10.22.112"), MACs: macs("24:28:fd:22:00:0c"),
					Vendor: "Hangzhou Hikvision Digital Technology Co., Ltd.", Kind: "camera", Origin: "CN", Serial: "DS123",
					Firmware: "V5.7.3", Source: "t.csv:4",
				},
				{ID: "sts03-nvr", Name: "nvr-sts03", IPs: addrs("10.10.22.50"), Vendor: "Hikvision", Kind: "nvr", Notes: "two\nlines", Source: "t.csv:7"},
			},
			notices: []string{`t.csv:3:85: unknown column "Location": its values are ignored`},
		},
		{
			name: "tabs, only an id column",
			in:   "tag\tip\tmac\tnotes\nrtg-1\t\t\t\n",
			want: []Asset{{ID: "rtg-1", Source: "t.csv:2"}},
		},
		{
			name: "header only",
			in:   "id,name\n",
		},
		{
			name:    "unnamed column",
			in:      "id,,ip\na,x,10.0.0.1\n",
			want:    []Asset{{ID: "a", IPs: addrs("10.0.0.1"), Source: "t.csv:2"}},
			notices: []string{"t.csv:1:4: column 2 has no name: its values are ignored"},
		},
		{
			name: "quoted id starting with #",
			in:   "id,name\n\"#7\",seven\n",
			want: []Asset{{ID: "#7", Name: "seven", Source: "t.csv:2"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ReadCSV("t.csv", strings.NewReader(tc.in))
			wantProblems(t, "problems", r.Problems, nil)
			wantProblems(t, "notices", r.Notices, tc.notices)
			if len(r.Assets) != len(tc.want) {
				t.Fatalf("assets %v, want %d", ids(r.Assets), len(tc.want))
			}
			for i := range tc.want {
				checkAsset(t, r.Assets[i], tc.want[i])
			}
		})
	}
}

func TestReadCSVBad(t *testing.T) {
	for _, tc := range []struct {
		name     string
		file     string // in testdata, or
		in       string
		problems []string
		ids      []string
	}{
		{
			name: "one problem per row",
			file: "testdata/bad.csv",
			problems: []string{
				`testdata/bad.csv:4:17: asset "plc-2": ip: bad address "10.10.21.300": want an IPv4 or IPv6 address`,
				`testdata/bad.csv:5:26: asset "cam-1": mac: bad mac "24:28:fd:22:00": want a MAC address such as 00:1b:1b:aa:bb:cc`,
				`testdata/bad.csv:6:1: row has 6 fields, the header has 7`,
				`testdata/bad.csv:7:1: asset "plc-1": duplicate id "plc-1" (first at line 3)`,
				`testdata/bad.csv:8:67: asset "drv-1": criticality: unknown value "critical" (valid: core-control, non-critical, support)`,
				`testdata/bad.csv:9:60: asset "rtr-1": origin: "XX" is not a two-letter ISO 3166 country code such as CN`,
				`testdata/bad.csv:10:1: id: empty id`,
				`testdata/bad.csv:11:12: csv syntax error: bare " in non-quoted-field`,
				`testdata/bad.csv:12:1: asset "nvr-1": address 10.10.21.5 is already used by "plc-1" (line 3)`,
			},
			ids: []string{"plc-1", "ok-2"},
		},
		{
			name:     "maintenance export with one bad row",
			file:     "testdata/assets-bad-row.csv",
			problems: []string{`testdata/assets-bad-row.csv:5:37: asset "sts03-intercom": mac: bad mac "00:13:cb:22:00:4g": want a MAC address such as 00:1b:1b:aa:bb:cc`},
			ids:      []string{"sts03-spreader-plc", "sts03-gantry-drive", "sts03-hmi", "sts03-cam2", "sts03-nvr", "sts03-ups"},
		},
		{
			name:     "no id column",
			in:       "name,ip\nplc,10.0.0.1\n",
			problems: []string{"t.csv:1:1: the header has no id column (id, asset_id, asset id or tag): no row is read"},
		},
		{
			name:     "two ip columns",
			in:       "id,ip,IP Address\na,10.0.0.1,10.0.0.2\n",
			problems: []string{`t.csv:1:7: column "IP Address" is a second ip column (the first is column 2 "ip"): its values are not read`},
			ids:      []string{"a"},
		},
		{
			name:     "empty",
			in:       "# nothing but a comment\n\n",
			problems: []string{"t.csv:1:1: empty file: no header line"},
		},
		{
			name: "unterminated quote",
			in:   "id,name\na,\"open\nb,x\n",
			problems: []string{
				`t.csv:4:1: csv syntax error: extraneous or missing " in quoted-field (in the row starting at line 2)`,
			},
		},
		{
			name: "same address twice, control characters, too many values",
			in: "id,ip,name\na,10.0.0.1 10.0.0.1,x\nb,,\"bell\x07\"\nc,\"" + strings.Repeat("10.1.0.1 ", 1) +
				manyIPs(maxValues+1) + "\",\n",
			problems: []string{
				`t.csv:2:3: asset "a": ip: address 10.0.0.1 given twice`,
				`t.csv:3:4: asset "b": name: control character U+0007`,
				`t.csv:4:3: asset "c": ip: more than 64 addresses`,
			},
		},
		{
			name:     "duplicate mac",
			in:       "id,mac\na,00:1b:1b:00:00:01\nb,00-1B-1B-00-00-01\n",
			problems: []string{`t.csv:3:1: asset "b": mac 00:1b:1b:00:00:01 is already used by "a" (line 2)`},
			ids:      []string{"a"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Result
			if tc.file != "" {
				r = ReadFile(tc.file)
			} else {
				r = ReadCSV("t.csv", strings.NewReader(tc.in))
			}
			wantProblems(t, "problems", r.Problems, tc.problems)
			if got := ids(r.Assets); strings.Join(got, " ") != strings.Join(tc.ids, " ") {
				t.Errorf("assets %v, want %v", got, tc.ids)
			}
		})
	}
}

func manyIPs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "10.2.%d.%d ", i/200, 1+i%200)
	}
	return b.String()
}

// TestReadCSVExample reads the example export field by field, and its copy
// with one bad row more to check that the bad row costs only itself.
func TestReadCSVExample(t *testing.T) {
	good := ReadFile("../examples/cranes/assets.csv")
	wantProblems(t, "problems", good.Problems, nil)
	wantProblems(t, "notices", good.Notices, nil)
	if len(good.Assets) != 6 {
		t.Fatalf("assets %v, want 6", ids(good.Assets))
	}
	checkAsset(t, good.Assets[0], Asset{
		ID: "sts03-spreader-plc", Name: "sts03-spreader", IPs: addrs("10.10.21.7"), MACs: macs("00:1b:1b:21:00:07"),
		Kind: "plc", Vendor: "Siemens AG", Model: "S7-1200 CPU 1215C", Supplier: "Bromma", Origin: "DE", Crane: "STS-03",
		Criticality: site.CriticalityCoreControl, Serial: "S C-H7T40121", Firmware: "V4.6", Notes: "on the spreader head",
		Source: "../examples/cranes/assets.csv:2",
	})
	checkAsset(t, good.Assets[3], Asset{
		ID: "sts03-cam2", Name: "sts03-cam-boom", IPs: addrs("10.10.22.12"), MACs: macs("24:28:fd:22:00:0c"),
		Kind: "camera", Vendor: "Hangzhou Hikvision Digital Technology Co., Ltd.", Model: "DS-2CD2T47G2-L", Supplier: "ZPMC",
		Origin: "CN", Crane: "STS-03", Criticality: site.CriticalityNonCritical, Notes: "boom tip",
		Source: "../examples/cranes/assets.csv:5",
	})
	// The testdata copy has one bad row more, at line 5; the rest is the same.
	bad := ReadFile("testdata/assets-bad-row.csv")
	if len(bad.Assets) != len(good.Assets) {
		t.Fatalf("%d assets beside a bad row, want %d", len(bad.Assets), len(good.Assets))
	}
	for i := range good.Assets {
		g, b := good.Assets[i], bad.Assets[i]
		g.Source, b.Source = "", ""
		checkAsset(t, b, g)
	}
}

func TestWriteCSVRoundTrip(t *testing.T) {
	var as []Asset
	for _, f := range []string{"../examples/cranes/sts-03.cdx.json", "testdata/list.json", "../examples/cranes/assets.csv"} {
		r := ReadFile(f)
		if len(r.Problems) > 0 || len(r.Assets) == 0 {
			t.Fatalf("%s: %d assets, problems %q", f, len(r.Assets), errs(r.Problems))
		}
		as = append(as, r.Assets...)
	}
	as = append(as,
		Asset{ID: "#not-a-comment", Name: `quote " and, comma`, Notes: "line\nbreak"},
		Asset{ID: "x-1", Name: "#hash", Vendor: "Ünïcödé GmbH", Model: "a;b"},
	)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, as); err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(buf.String(), "\n")
	if header != strings.Join(Columns, ",") {
		t.Errorf("header %q", header)
	}
	r := ReadCSV("out.csv", &buf)
	wantProblems(t, "problems", r.Problems, nil)
	wantProblems(t, "notices", r.Notices, nil)
	if len(r.Assets) != len(as) {
		t.Fatalf("read back %d assets, wrote %d", len(r.Assets), len(as))
	}
	for i, want := range as {
		want = csvFields(want)
		got := r.Assets[i]
		got.Source = ""
		checkAsset(t, got, want)
	}
}

// csvFields returns a with only the fields the CSV list holds.
func csvFields(a Asset) Asset {
	return Asset{
		ID: a.ID, Name: a.Name, IPs: a.IPs, MACs: a.MACs, Kind: a.Kind, Vendor: a.Vendor, Model: a.Model,
		Supplier: a.Supplier, Origin: a.Origin, Crane: a.Crane, Zone: a.Zone, Serial: a.Serial,
		Firmware: a.Firmware, Notes: a.Notes, Criticality: a.Criticality,
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteCSVError(t *testing.T) {
	err := WriteCSV(failWriter{}, []Asset{{ID: "a"}})
	if err == nil || err.Error() != "write csv: disk full" {
		t.Errorf("err = %v", err)
	}
}

func TestSniffComma(t *testing.T) {
	for in, want := range map[string]rune{
		"id,name\n":              ',',
		"# a;b;c\nid;name;ip\n":  ';',
		"id\tname\tip\n":         '\t',
		"id\n":                   ',',
		`"a;b",c` + "\n":         ',',
		"id;name,x;y\n":          ';',
		"":                       ',',
		"\n\n  \nid\tname,ip\n":  ',',
		"id,name;ip;zone\tx\n":   ';',
		"id;name;ip\tzone\tx\n":  ';',
		"id;name\tip\tzone\tx\n": '\t',
	} {
		if got := sniffComma([]byte(in)); got != want {
			t.Errorf("sniffComma(%q) = %q, want %q", in, got, want)
		}
	}
}
