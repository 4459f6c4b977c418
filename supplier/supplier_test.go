package supplier

import (
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The suppliers the catalog must hold: those the maritime advisories,
// MARSEC directives and U.S. lists name for ports, and the neutral
// manufacturers found beside them.
var (
	concernIDs = []string{
		"zpmc", "cccc", "nuctech", "logink", "huawei", "zte", "hikvision", "dahua", "hytera",
		"china_mobile", "china_telecom", "china_unicom", "quectel", "fibocom", "cosco", "cnnc", "dji", "hesai",
	}
	neutralIDs = []string{"konecranes", "liebherr", "kalmar", "mitsui_es", "siemens", "rockwell", "schneider", "abb"}
)

func TestBuiltinEntries(t *testing.T) {
	c := Builtin()
	all := c.All()
	if len(all) != len(concernIDs)+len(neutralIDs) {
		t.Errorf("%d entries, want %d", len(all), len(concernIDs)+len(neutralIDs))
	}
	if !slices.IsSortedFunc(all, func(a, b *Supplier) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("All is not sorted by id")
	}
	seen := map[string]bool{}
	for _, s := range all {
		if seen[s.ID] {
			t.Errorf("id %s twice", s.ID)
		}
		seen[s.ID] = true
		if c.ByID(s.ID) != s {
			t.Errorf("ByID(%s) is not the entry of All", s.ID)
		}
		if s.File != builtinFile || s.Line < 1 || s.Name == "" || s.Note == "" || s.Country == "" {
			t.Errorf("%s: File %q, Line %d, Name %q, Note %q, Country %q", s.ID, s.File, s.Line, s.Name, s.Note, s.Country)
		}
		if len(s.Products) == 0 {
			t.Errorf("%s: no products", s.ID)
		}
		if p := s.Parent; validID(p) && c.Parent(s) == nil {
			t.Errorf("%s: parent %q names no entry", s.ID, p)
		}
	}
	for _, id := range concernIDs {
		if s := c.ByID(id); s == nil || !s.Concern || s.Country != "CN" {
			t.Errorf("concern entry %s = %+v", id, s)
		}
	}
	for _, id := range neutralIDs {
		if s := c.ByID(id); s == nil || s.Concern {
			t.Errorf("neutral entry %s = %+v", id, s)
		}
	}
	if c.ByID("nope") != nil || c.Parent(nil) != nil {
		t.Error("ByID or Parent found something for nothing")
	}
	if p := c.Parent(c.ByID("zpmc")); p == nil || p.ID != "cccc" {
		t.Errorf("parent of zpmc = %v", p)
	}
	if Builtin() != c {
		t.Error("Builtin parses again")
	}
}

// TestBuiltinListings checks the legal basis of every entry: a supplier of
// concern has at least one listing with a citation and a real date no later
// than 2026-12-31; a neutral one has none.
func TestBuiltinListings(t *testing.T) {
	last := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, s := range Builtin().All() {
		if !s.Concern {
			if len(s.Lists) != 0 {
				t.Errorf("neutral %s has listings", s.ID)
			}
			continue
		}
		if len(s.Lists) == 0 {
			t.Errorf("%s: no listing", s.ID)
		}
		for _, l := range s.Lists {
			d, err := time.Parse(time.DateOnly, l.Date)
			switch {
			case err != nil:
				t.Errorf("%s: %s: date %q: %v", s.ID, l.Name, l.Date, err)
			case d.After(last), d.Year() < 2000:
				t.Errorf("%s: %s: date %s is out of range", s.ID, l.Name, l.Date)
			}
			if strings.TrimSpace(l.Citation) == "" || strings.TrimSpace(l.Name) == "" {
				t.Errorf("%s: listing %+v lacks a name or citation", s.ID, l)
			}
			if !slices.Contains(statuses, string(l.Status)) {
				t.Errorf("%s: %s: status %q", s.ID, l.Name, l.Status)
			}
		}
	}
	// Statuses the catalog must state honestly.
	for _, tt := range []struct {
		id     string
		status Status
	}{
		{"fibocom", StatusRequested}, {"quectel", StatusRequested}, {"zte", StatusRemoved},
		{"china_telecom", StatusRemoved}, {"zpmc", StatusAdvisory}, {"huawei", StatusInForce},
	} {
		if !slices.ContainsFunc(Builtin().ByID(tt.id).Lists, func(l Listing) bool { return l.Status == tt.status }) {
			t.Errorf("%s has no %s listing", tt.id, tt.status)
		}
	}
	for _, l := range Builtin().ByID("fibocom").Lists {
		if l.Status != StatusRequested {
			t.Errorf("fibocom has a %s listing: %+v", l.Status, l)
		}
	}
	// ZPMC is not listed itself: its concern is the MARSEC directives.
	var zpmc []string
	for _, l := range Builtin().ByID("zpmc").Lists {
		zpmc = append(zpmc, l.Name)
	}
	if !slices.Contains(zpmc, "MARSEC Directive 105-4") || !slices.Contains(zpmc, "MARSEC Directive 105-5") {
		t.Errorf("zpmc listings %v", zpmc)
	}
}

// TestBuiltinNamesUnique checks, independently of the parser, that no name
// or alias of one entry reads as a name of another.
func TestBuiltinNamesUnique(t *testing.T) {
	owner := map[string]string{}
	for _, s := range Builtin().All() {
		for _, n := range append([]string{s.Name}, s.Aliases...) {
			k := refWords(n, true)
			if k == "" {
				t.Errorf("%s: name %q has no words", s.ID, n)
			}
			if o, dup := owner[k]; dup && o != s.ID {
				t.Errorf("%q is a name of %s and of %s", n, o, s.ID)
			}
			owner[k] = s.ID
		}
	}
}

func TestMatchName(t *testing.T) {
	c := Builtin()
	tests := []struct{ name, want string }{
		{"Huawei Technologies Co., Ltd.", "huawei"},
		{"HUAWEI", "huawei"},
		{"huawei technologies co.,ltd", "huawei"},
		{"Huawei Device Co., Ltd.", "huawei"},
		{"HiSilicon Balong 5000", "huawei"},
		{"华为技术有限公司", "huawei"},
		{"Quectel Wireless Solutions", "quectel"},
		{"Quectel EC25-AF", "quectel"},
		{"ZPMC", "zpmc"},
		{"Shanghai Zhenhua Heavy Industries", "zpmc"},
		{"Shanghai Zhenhua Heavy Industries Co. Ltd (ZPMC)", "zpmc"},
		{"上海振华重工(集团)股份有限公司", "zpmc"},
		{"ZTE Corporation", "zte"},
		{"zte", "zte"},
		{"Zhongxing Telecommunication Equipment Corp.", "zte"},
		{"Hikvision", "hikvision"},
		{"HiWatch DS-I200", "hikvision"},
		{"EZVIZ", "hikvision"},
		{"Prama Hikvision India Pvt. Ltd.", "hikvision"},
		{"Zhejiang Dahua Technology Co., Ltd.", "dahua"},
		{"Dahua", "dahua"},
		{"Imou", "dahua"},
		{"Hytera Communications Corp. Ltd.", "hytera"},
		{"Sepura Plc", "hytera"},
		{"Nuctech Company Limited", "nuctech"},
		{"NUCTECH", "nuctech"},
		{"LOGINK", "logink"},
		{"National Public Information Platform for Transportation and Logistics", "logink"},
		{"China Mobile IoT Company Limited", "china_mobile"},
		{"China Telecom (Americas) Corporation", "china_telecom"},
		{"China Unicom", "china_unicom"},
		{"Fibocom Wireless Inc.", "fibocom"},
		{"COSCO SHIPPING Ports", "cosco"},
		{"CCCC", "cccc"},
		{"China Communications Construction Company Ltd.", "cccc"},
		{"SZ DJI Technology Co., Ltd.", "dji"},
		{"Hesai", "hesai"},
		{"Siemens AG", "siemens"},
		{"SIEMENS", "siemens"},
		{"Rockwell Automation", "rockwell"},
		{"Allen-Bradley", "rockwell"},
		{"Schneider Electric", "schneider"},
		{"Konecranes Oyj", "konecranes"},
		{"Liebherr-Werk Nenzing", "liebherr"},
		{"Mitsui E&S Machinery", "mitsui_es"},
		{"ABB Oy Drives", "abb"},
		// The name with the most words wins, then the one written first.
		{"ZPMC / Siemens", "zpmc"},
		{"Siemens / ZPMC", "siemens"},
		{"Siemens SIMOCRANE on Shanghai Zhenhua Heavy Industries crane", "zpmc"},

		// Look-alikes.
		{"Shanghai Dahua Scale Factory", ""},
		{"Wuxi Zhongxing Optoelectronics", ""},
		{"Rockwell Collins", ""},
		{"Fujitsu Siemens Computers", ""},
		{"Nokia Siemens Networks", ""},
		{"Honor Device Co., Ltd.", ""},
		{"Prama India Private Limited", ""},
		{"Tongfang Co., Ltd.", ""},
		{"Aztec", ""},
		{"Huaweii", ""},
		{"Dahuan", ""},
		{"Chinamobile", ""},
		{"China", ""},
		{"Co., Ltd.", ""},
		{"", ""},
		{"Kalmarsund", ""},
		{strings.Repeat("Huawei ", 200), ""}, // longer than maxName
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if s := c.MatchName(tt.name); s != nil {
				got = s.ID
			}
			if got != tt.want {
				t.Errorf("MatchName(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestMatchPURL(t *testing.T) {
	c := Builtin()
	tests := []struct{ purl, want string }{
		{"pkg:maven/com.huawei/foo@1.0", "huawei"},
		{"pkg:maven/com.huawei.hms/push@6.1.0?type=aar", "huawei"},
		{"pkg:maven/com.huaweicloud.sdk/huaweicloud-sdk-core@3.1", "huawei"},
		{"PKG:MAVEN/COM.HUAWEI/foo", "huawei"},
		{"pkg://maven/com.huawei/foo", "huawei"},
		{"pkg:github/huawei/repo@v1#sub/dir", "huawei"},
		{"pkg:generic/hikvision", "hikvision"},
		{"pkg:generic/hikvision@5.7.3", "hikvision"},
		{"pkg:generic/hikvision/sdk@1", "hikvision"},
		{"pkg:maven/com.dji/dji-sdk@4.16", "dji"},
		{"pkg:maven/com.wondersgroup.cuteinfo/client@2.0", "logink"},
		{"pkg:generic/%7Apmc@1", "zpmc"},
		{"pkg:maven/com.huaweix/foo", ""},
		{"pkg:maven/com.wondersgroup/other", ""},
		{"pkg:npm/huawei", ""},
		{"pkg:maven/org.huawei/foo", ""},
		{"pkg:generic/hik", ""},
		{"https://github.com/huawei/repo", ""},
		{"pkg:", ""},
		{"pkg:maven", ""},
		{"pkg:ma ven/com.huawei/x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.purl, func(t *testing.T) {
			got := ""
			if s := c.MatchPURL(tt.purl); s != nil {
				got = s.ID
			}
			if got != tt.want {
				t.Errorf("MatchPURL(%q) = %q, want %q", tt.purl, got, tt.want)
			}
		})
	}
}

// ieeeRow is one row of testdata/oui-vendors-of-interest.csv.
type ieeeRow struct {
	registry, assignment, org, key string
	mac                            [6]byte // the first address of the assignment
}

func ieeeRows(t testing.TB) []ieeeRow {
	t.Helper()
	f, err := os.Open("testdata/oui-vendors-of-interest.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 2000 || strings.Join(recs[0], ",") != "registry,assignment,organization,vendor_key" {
		t.Fatalf("unexpected csv: %d rows, header %v", len(recs), recs[0])
	}
	var rows []ieeeRow
	for _, r := range recs[1:] {
		hex := r[1]
		v, err := strconv.ParseUint(hex+strings.Repeat("0", 12-len(hex)), 16, 64)
		if err != nil || (len(hex) != 6 && len(hex) != 7 && len(hex) != 9) {
			t.Fatalf("row %v: bad assignment", r)
		}
		row := ieeeRow{registry: r[0], assignment: hex, org: r[2], key: r[3]}
		for i := range row.mac {
			row.mac[i] = byte(v >> (40 - 8*i))
		}
		rows = append(rows, row)
	}
	return rows
}

// TestMatchIEEE attributes every row of the IEEE extract: a row of a
// catalog entry (or of its "_sub" brands) must be found by its
// organisation name or its prefix; the rows of other makers must never be
// given to a supplier of concern.
func TestMatchIEEE(t *testing.T) {
	c := Builtin()
	counts := map[string]int{}
	for _, r := range ieeeRows(t) {
		var got *Supplier
		if got = c.MatchOrg(r.org); got == nil {
			got = c.MatchOUI(r.mac)
		}
		id := strings.TrimSuffix(r.key, "_sub")
		if c.ByID(id) != nil {
			if got == nil || got.ID != id {
				t.Errorf("%s %s %q (%s): matched %v", r.registry, r.assignment, r.org, r.key, got)
			}
			counts[id]++
			continue
		}
		if got != nil && got.Concern {
			t.Errorf("%s %s %q (%s) given to supplier of concern %s", r.registry, r.assignment, r.org, r.key, got.ID)
		}
		counts["other"]++
	}
	// Every supplier with IEEE assignments in the extract is covered.
	for _, id := range []string{"huawei", "zte", "hikvision", "dahua", "hytera", "nuctech", "quectel", "fibocom",
		"china_mobile", "china_telecom", "china_unicom", "siemens", "rockwell", "schneider", "abb", "konecranes",
		"liebherr", "mitsui_es"} {
		if counts[id] == 0 {
			t.Errorf("no row for %s", id)
		}
	}
	if counts["huawei"] != 1398 || counts["other"] != 22+5+4 {
		t.Errorf("counts %v", counts)
	}
}

func TestMatchOUI(t *testing.T) {
	c := Builtin()
	tests := []struct {
		mac  [6]byte
		want string
	}{
		{[6]byte{0xc0, 0x9b, 0xf4, 0xb0, 0x00, 0x01}, "nuctech"},
		{[6]byte{0xc0, 0x9b, 0xf4, 0xbf, 0xff, 0xff}, "nuctech"},
		{[6]byte{0xc0, 0x9b, 0xf4, 0xa0, 0x00, 0x01}, ""}, // the neighbouring MA-M block
		{[6]byte{0x70, 0xb3, 0xd5, 0x0a, 0xe1, 0x23}, "hytera"},
		{[6]byte{0x70, 0xb3, 0xd5, 0x0a, 0xf1, 0x23}, ""},
		{[6]byte{0xc2, 0x9b, 0xf4, 0xb0, 0x00, 0x01}, ""}, // locally administered
		{[6]byte{}, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%x", tt.mac), func(t *testing.T) {
			got := ""
			if s := c.MatchOUI(tt.mac); s != nil {
				got = s.ID
			}
			if got != tt.want {
				t.Errorf("MatchOUI(%x) = %q, want %q", tt.mac, got, tt.want)
			}
		})
	}
	// The longer prefix wins.
	x := c.With([]Supplier{
		{ID: "wide", Name: "Wide", OUIs: []string{"C0-9B-F4"}},
		{ID: "narrow", Name: "Narrow", OUIs: []string{"C0-9B-F4-B1-2"}},
	})
	for mac, want := range map[[6]byte]string{
		{0xc0, 0x9b, 0xf4, 0x00, 0, 1}:    "wide",
		{0xc0, 0x9b, 0xf4, 0xb0, 0, 1}:    "nuctech",
		{0xc0, 0x9b, 0xf4, 0xb1, 0x2f, 1}: "narrow",
	} {
		if s := x.MatchOUI(mac); s == nil || s.ID != want {
			t.Errorf("MatchOUI(%x) = %v, want %s", mac, s, want)
		}
	}
	mac := [6]byte{0xc0, 0x9b, 0xf4, 0xb0, 0x00, 0x01}
	if n := testing.AllocsPerRun(100, func() { _ = c.MatchOUI(mac) }); n != 0 {
		t.Errorf("MatchOUI allocates %v times", n)
	}
}

func TestWith(t *testing.T) {
	c := Builtin()
	before := len(c.All())
	x := c.With([]Supplier{
		{ID: "hikvision", Name: "Hikvision (facility entry)", Concern: true, Aliases: []string{"Acme Vision"}},
		{ID: "acme", Name: "Acme Relabels Ltd", Parent: "hikvision", Concern: true, OUIOrgs: []string{"Acme Relabels"},
			PURL: []string{"pkg:generic/acme"}, Exclude: []string{"Acme Relabels Scale"}},
	})
	if len(c.All()) != before || c.ByID("acme") != nil || c.ByID("hikvision").Name != "Hangzhou Hikvision Digital Technology Co., Ltd." {
		t.Fatal("With changed the catalog it was called on")
	}
	if len(x.All()) != before+1 {
		t.Errorf("With: %d entries, want %d", len(x.All()), before+1)
	}
	for name, want := range map[string]string{
		"Acme Vision":                "hikvision",
		"EZVIZ":                      "", // the replaced entry's aliases are gone
		"Hikvision":                  "", // nor is its name
		"HIKVISION (facility entry)": "hikvision",
		"Acme Relabels Ltd":          "acme",
		"Quectel":                    "quectel",
		"Acme Relabels Scale Co Ltd": "",
	} {
		got := ""
		if s := x.MatchName(name); s != nil {
			got = s.ID
		}
		if got != want {
			t.Errorf("MatchName(%q) = %q, want %q", name, got, want)
		}
	}
	if s := x.MatchOrg("ACME RELABELS CO.,LTD"); s == nil || s.ID != "acme" {
		t.Errorf("MatchOrg = %v", s)
	}
	if s := x.MatchOrg("Acme Relabels Scale"); s != nil {
		t.Errorf("MatchOrg of an excluded name = %v", s)
	}
	if s := x.MatchPURL("pkg:generic/acme@2"); s == nil || s.ID != "acme" {
		t.Errorf("MatchPURL = %v", s)
	}
	if p := x.Parent(x.ByID("acme")); p == nil || p.Name != "Hikvision (facility entry)" {
		t.Errorf("Parent = %v", p)
	}
	// Broken values do not break the catalog; they match nothing.
	y := c.With([]Supplier{{ID: "bad", Name: "Co. Ltd.", OUIs: []string{"zz"}, PURL: []string{"nope"}}})
	if y.ByID("bad") == nil || y.MatchName("Co Ltd") != nil {
		t.Error("With of a broken entry")
	}
}

func TestStatus(t *testing.T) {
	b, err := StatusRequested.MarshalText()
	if err != nil || string(b) != "requested" || StatusRemoved.String() != "removed" {
		t.Errorf("MarshalText = %q, %v", b, err)
	}
}

func TestPattern(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Huawei Technologies Co., Ltd.", "huawei technologies"},
		{"HUAWEI TECHNOLOGIES CO.,LTD", "huawei technologies"},
		{"Hytera Communications Co .,ltd", "hytera communications"},
		{"ABB S.p.A.", "abb"},
		{"Acme B.V.", "acme"},
		{"Konecranes Oyj", "konecranes"},
		{"Mitsui E&S Co., Ltd.", "mitsui e s"},
		{"Allen-Bradley", "allen bradley"},
		{"China Mobile(Hangzhou) Information Technology Co.,Ltd.", "china mobile hangzhou information technology"},
		{"上海振华重工(集团)股份有限公司", "上 海 振 华 重 工"},
		{"Huawei华为", "huawei 华 为"},
		{"Unità Operativa", "unità operativa"},
		{"Group Holding Limited", ""},
		{"S.A.", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := pattern(tt.in).String(); got != tt.want {
			t.Errorf("pattern(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if tt.want != "" && refWords(tt.in, true) != tt.want {
			t.Errorf("refWords(%q) = %q, want %q", tt.in, refWords(tt.in, true), tt.want)
		}
	}
}

func BenchmarkMatchName(b *testing.B) {
	c := Builtin()
	b.ReportAllocs()
	for b.Loop() {
		_ = c.MatchName("HUAWEI TECHNOLOGIES CO.,LTD")
	}
}

func BenchmarkMatchOUI(b *testing.B) {
	c := Builtin()
	mac := [6]byte{0xc0, 0x9b, 0xf4, 0xb0, 0x00, 0x01}
	b.ReportAllocs()
	for b.Loop() {
		_ = c.MatchOUI(mac)
	}
}
