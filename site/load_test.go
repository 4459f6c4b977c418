package site

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harborwatch/internal/yamlfile"
	"harborwatch/supplier"
)

var update = flag.Bool("update", false, "rewrite testdata/*.bad.yaml.errors")

// formatProblems renders problems as the golden files hold them: one
// "line:col: message" a line.
func formatProblems(ps Problems) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Position())
		b.WriteString(": ")
		b.WriteString(p.Msg)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestLoadGood(t *testing.T) {
	files, err := filepath.Glob("testdata/*.good.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("good files: %v %v", files, err)
	}
	// The example shipped with harborwatch must load too.
	files = append(files, filepath.Join("..", "examples", "terminal", "site.yaml"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := Load(f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if s.File != f || s.Version != 1 {
				t.Errorf("File, Version = %q, %d", s.File, s.Version)
			}
		})
	}
}

func TestLoadBad(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil || len(files) < 10 {
		t.Fatalf("bad files: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := Load(f)
			if s != nil {
				t.Fatal("Load returned a Site for a bad file")
			}
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("Load error %v (%T) is not Problems", err, err)
			}
			for i, p := range ps {
				if p.File != f || p.Line < 1 || p.Col < 0 {
					t.Errorf("problem %d has position %q %d:%d", i, p.File, p.Line, p.Col)
				}
				if p.Msg == "" || strings.ToLower(p.Msg[:1]) != p.Msg[:1] {
					t.Errorf("problem %d: message %q does not start lower-case", i, p.Msg)
				}
				if i > 0 && (ps[i-1].Line > p.Line || ps[i-1].Line == p.Line && ps[i-1].Col > p.Col) {
					t.Errorf("problems %d and %d are out of order", i-1, i)
				}
			}
			got := formatProblems(ps)
			golden := f + ".errors"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("golden file: %v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func TestLoadTerminal(t *testing.T) {
	s, err := Load("testdata/terminal.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Facility != (Facility{ID: "t3", Name: "Terminal 3", Port: "Port of Example"}) {
		t.Errorf("Facility = %+v", s.Facility)
	}
	if len(s.Zones) != 8 || len(s.Conduits) != 7 || len(s.Cranes) != 2 || len(s.Assets) != 10 || len(s.ChangeWindows) != 1 {
		t.Fatalf("counts: %d zones, %d conduits, %d cranes, %d assets, %d windows",
			len(s.Zones), len(s.Conduits), len(s.Cranes), len(s.Assets), len(s.ChangeWindows))
	}
	z := s.Zones[0]
	if z.ID != "sts01-control" || z.Kind != KindCraneControl || z.Crane != "STS-01" ||
		len(z.CIDRs) != 1 || z.CIDRs[0] != netip.MustParsePrefix("10.10.1.0/24") ||
		len(z.VLANs) != 1 || z.VLANs[0] != 110 || z.Line != 8 || z.Builtin {
		t.Errorf("zone 0 = %+v", z)
	}
	c := s.Conduits[0]
	if c.From != "crane-mgmt" || c.To != "kind:crane-control" || strings.Join(c.Protocols, ",") != "s7comm,modbus,enip" ||
		len(c.Ports) != 3 || c.Ports[2] != (PortRange{44818, 44818}) || len(c.Operations) != 6 ||
		len(c.Windows) != 1 || c.Windows[0] != "weekly" || c.Line != 19 {
		t.Errorf("conduit 0 = %+v", c)
	}
	cr := s.Cranes[1]
	if cr != (Crane{ID: "STS-02", Manufacturer: "ZPMC", Model: "STS 65t twin-lift", Commissioned: 2021, RemoteManagement: true, Line: 34}) {
		t.Errorf("crane 1 = %+v", cr)
	}
	a := s.Assets[0]
	if a.ID != "sts01-plc1" || a.IP != netip.MustParseAddr("10.10.1.5") || a.MAC != (MAC{0x00, 0x1b, 0x1b, 0x01, 0x00, 0x05}) ||
		a.Kind != "plc" || a.Vendor != "Siemens" || a.Model != "S7-1500" || a.Supplier != "ZPMC" || a.Origin != "CN" ||
		a.Crane != "STS-01" || a.Criticality != CriticalityCoreControl || a.Line != 37 {
		t.Errorf("asset 0 = %+v", a)
	}
	if m := s.Assets[4].Model; m != "ControlLogix 5580" {
		t.Errorf("asset 4 model = %q", m)
	}
	w := s.ChangeWindows[0]
	if w.ID != "weekly" || !w.Start.Equal(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)) ||
		!w.End.Equal(time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)) || w.Every != 168*time.Hour {
		t.Errorf("window = %+v", w)
	}
	if g := s.RemoteAccess.Gateways; len(g) != 1 || g[0] != netip.MustParseAddr("10.20.0.10") {
		t.Errorf("gateways = %v", g)
	}
	if p := s.Prohibited; len(p.Domains) != 1 || p.Domains[0] != "example-bad.cn" ||
		len(p.CIDRs) != 1 || p.CIDRs[0] != netip.MustParsePrefix("192.0.2.0/24") {
		t.Errorf("prohibited = %+v", p)
	}
}

func TestLoadNotations(t *testing.T) {
	s, err := Load("testdata/notations.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := s.Conduits[0]
	if got := strings.Join(c.Protocols, ","); got != "s7comm,enip,tcp/4840,udp/161" {
		t.Errorf("protocols = %s", got)
	}
	var ports []string
	for _, p := range c.Ports {
		ports = append(ports, p.String())
	}
	if got := strings.Join(ports, ","); got != "102,44818,4840,161,20000-20100" {
		t.Errorf("ports = %s", got)
	}
	if got := strings.Join(s.Conduits[3].Protocols, ","); got != "s7comm,enip,tcp/4840,udp/161" {
		t.Errorf("aliased protocols = %s", got)
	}
	if got := s.Conduits[1].Protocols; len(got) != 1 || got[0] != "https" {
		t.Errorf("tls alias = %v", got)
	}
	a := s.Assets[0]
	var macs []string
	for _, m := range a.MACs {
		macs = append(macs, m.String())
	}
	if got := strings.Join(macs, " "); got != "00:1b:1b:07:00:05 00:1b:1b:07:00:06 00:1b:1b:07:00:07" {
		t.Errorf("macs = %s", got)
	}
	if len(a.IPs) != 3 || a.IPs[2] != netip.MustParseAddr("fd00:70:1::5") || a.IP != a.IPs[0] {
		t.Errorf("ips = %v, ip = %v", a.IPs, a.IP)
	}
	if a.Serial != "S C-X4U12345" || a.Firmware != "V2.9.4" || a.Notes != "spare in the store room" || a.Name != "main PLC" {
		t.Errorf("asset text = %+v", a)
	}
	if cr := s.Cranes[0]; cr.Origin != "CN" || cr.Commissioned != 2020 || cr.RemoteManagement || cr.Name != "Crane 7" {
		t.Errorf("crane = %+v", cr)
	}
	w := s.ChangeWindows[0]
	if !w.Start.Equal(time.Date(2026, 11, 3, 21, 0, 0, 0, time.UTC)) || w.Start.Location() != time.UTC || w.Every != 28*24*time.Hour {
		t.Errorf("window 0 = %+v", w)
	}
	if w := s.ChangeWindows[1]; w.Every != 0 || w.End.Nanosecond() != 500_000_000 {
		t.Errorf("window 1 = %+v", w)
	}
	if d := s.Prohibited.Domains; len(d) != 2 || d[0] != "example-bad.cn" {
		t.Errorf("domains = %v", d)
	}
	if s.Facility.Name != "Berth 7" || s.Zones[0].Description == "" || s.Zones[0].Name != "STS-07 control network" {
		t.Errorf("facility %+v / zone %+v", s.Facility, s.Zones[0])
	}
}

func TestLoadSuppliers(t *testing.T) {
	s, err := Load("testdata/suppliers.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Suppliers) != 3 {
		t.Fatalf("%d suppliers", len(s.Suppliers))
	}
	nb := s.Suppliers[0]
	if nb.ID != "northbay" || nb.Name != "Northbay Security Systems LLC" || nb.Parent != "hikvision" ||
		nb.Country != "US" || !nb.Concern || nb.File != "testdata/suppliers.good.yaml" || nb.Line != 11 ||
		len(nb.Lists) != 1 || nb.Lists[0].Date != "2018-08-13" || nb.Lists[0].Status != supplier.StatusInForce {
		t.Errorf("supplier 0 = %+v", nb)
	}
	if ai := s.Suppliers[1]; ai.ID != "acme_integration" || ai.Concern || len(ai.OUIs) != 1 || ai.OUIs[0] != "70-B3-D5-FF-0" || ai.Line != 24 {
		t.Errorf("supplier 1 = %+v", ai)
	}

	// The site's catalog is the built-in one with the site's entries.
	c := s.Catalog()
	builtin := len(supplier.Builtin().All())
	if len(c.All()) != builtin+2 {
		t.Errorf("catalog has %d entries, want %d", len(c.All()), builtin+2)
	}
	for name, want := range map[string]string{
		s.Assets[0].Vendor:       "northbay",
		s.Assets[0].Supplier:     "northbay",
		"Harbour Modems":         "quectel",
		"Hikvision":              "hikvision",
		"Acme Crane Integration": "acme_integration",
	} {
		if got := c.MatchName(name); got == nil || got.ID != want {
			t.Errorf("MatchName(%q) = %v, want %s", name, got, want)
		}
	}
	if p := c.Parent(c.ByID("northbay")); p == nil || p.ID != "hikvision" {
		t.Errorf("parent of northbay = %v", p)
	}
	if got := c.MatchOUI([6]byte{0x70, 0xb3, 0xd5, 0xff, 0x01, 0x02}); got == nil || got.ID != "acme_integration" {
		t.Errorf("MatchOUI = %v", got)
	}
	if supplier.Builtin().MatchName("Harbour Modems") != nil {
		t.Error("the site's entries leaked into the built-in catalog")
	}

	// Without a suppliers section, the built-in catalog.
	d := Default()
	if d.Catalog() != supplier.Builtin() || len(d.Suppliers) != 0 {
		t.Error("Default does not use the built-in catalog")
	}
	if (&Site{}).Catalog() != supplier.Builtin() {
		t.Error("a zero Site does not use the built-in catalog")
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load("testdata/no-such-file.yaml")
	var ps Problems
	if !errors.Is(err, fs.ErrNotExist) || errors.As(err, &ps) {
		t.Fatalf("Load of a missing file: %v", err)
	}
}

func TestParseInline(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "1:1: empty file\n"},
		{"blank lines", "\n\n  \n", "1:1: empty file\n"},
		{"null document", "---\n", "1:1: empty file\n"},
		{"bad utf-8", "version: 1\nfacility: {name: \"a\xffb\"}\n", "2:20: file is not valid utf-8 text\n"},
		{"scalar", "hello\n", "1:1: the file must be a mapping of keys (version, zones, …), got \"hello\"\n"},
		{"too large", "version: 1\n" + strings.Repeat("#", maxFileSize), "1:1: file is larger than 8 MiB\n"},
		{"version too big", "version: 99999999999999999999\n", "1:10: version: integer 99999999999999999999 is out of range\n"},
		{"version hex", "version: 0x1\n", ""},
		{"version float", "version: 1.0\n", "1:10: version: expected an integer, got \"1.0\"\n"},
		{"unknown anchor", "version: 1\nzones: *nope\n", "2: yaml syntax error: unknown anchor 'nope' referenced\n"},
		{"complex key", "version: 1\n? [a, b]\n: c\n", "2:3: keys must be plain words at top level\n"},
		{"alias key", "version: 1\nx: &k zones\n*k : []\n", "2:1: unknown key \"x\" at top level (valid: version, facility, zones, conduits, cranes, assets, change_windows, remote_access, prohibited, suppliers)\n"},
		{"long value", "version: 1\nzones: [{id: a, kind: " + strings.Repeat("k", 100) + ", vlans: [5]}]\n",
			"2:23: zone \"a\": unknown kind \"" + strings.Repeat("k", 60) + "…\" (valid: crane-control, crane-noncritical, crane-management, remote-access, untrusted-supplier, port-ot, business, dmz, external)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("inline.yaml", []byte(tt.in))
			if tt.want == "" {
				if err != nil || s == nil {
					t.Fatalf("Parse = %v, %v; want a Site", s, err)
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) || s != nil {
				t.Fatalf("Parse = %v, %v; want Problems", s, err)
			}
			if got := formatProblems(ps); got != tt.want {
				t.Errorf("problems:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestParseAliasBomb feeds a document whose aliases would make the loader
// visit 2×10^8 nodes; it must stop early with one problem, and report each
// repeated problem once.
func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nzones:\n  - &z {id: a, kind: business, cidrs: [")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "10.%d.%d.0/24", i/256, i%256)
	}
	b.WriteString("]}\n  - [")
	for i := range 100000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("*z")
	}
	b.WriteString("]\n")
	_, err := Parse("bomb.yaml", []byte(b.String()))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse = %v", err)
	}
	got := formatProblems(ps)
	want := "4:5: zone #2: expected a mapping, got a list\n"
	if got != want {
		t.Errorf("problems:\n%.2000s\nwant:\n%s", got, want)
	}

	// The same through a list of aliased items.
	b.Reset()
	b.WriteString("version: 1\nzones: &l [&z {id: a, kind: business, cidrs: [")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "10.%d.%d.0/24", i/256, i%256)
	}
	b.WriteString("]}")
	for range 100000 {
		b.WriteString(", *z")
	}
	b.WriteString("]\n")
	_, err = Parse("bomb.yaml", []byte(b.String()))
	if !errors.As(err, &ps) {
		t.Fatalf("Parse = %v", err)
	}
	limit := 0
	for _, p := range ps {
		if strings.HasPrefix(p.Msg, "aliases expand to more than") {
			limit++
		}
	}
	// Each aliased zone repeats one duplicate-id and 2000 cidr problems
	// at its alias; the loader gives up after maxAliasWork nodes.
	if limit != 1 || len(ps) > yamlfile.MaxAliasWork/2000*2002+10 {
		t.Errorf("%d problems, %d alias limits:\n%.2000s", len(ps), limit, formatProblems(ps))
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{"full", Problem{File: "site.yaml", Line: 3, Col: 7, Msg: "zone \"a\": missing kind"}, "site.yaml:3:7: zone \"a\": missing kind"},
		{"no column", Problem{File: "site.yaml", Line: 2, Msg: "yaml syntax error: x"}, "site.yaml:2: yaml syntax error: x"},
		{"no file", Problem{Line: 1, Col: 1, Msg: "empty file"}, "1:1: empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	ps := Problems{tests[0].p, tests[1].p}
	if got, want := ps.Error(), tests[0].want+"\n"+tests[1].want; got != want {
		t.Errorf("Problems.Error() = %q, want %q", got, want)
	}
}

// TestDocExample loads the complete example of the format description, so
// the documentation cannot drift from the loader.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "formats", "site-yaml.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## A complete example\n\n```yaml\n")
	if !ok {
		t.Fatal("no complete example in the format description")
	}
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("unterminated example")
	}
	s, err := Parse("site-yaml.md", []byte(example))
	if err != nil {
		t.Fatalf("the documented example does not load:\n%v", err)
	}
	if len(s.Zones) != 5 || len(s.Conduits) != 4 || len(s.Assets) != 2 {
		t.Errorf("example has %d zones, %d conduits, %d assets", len(s.Zones), len(s.Conduits), len(s.Assets))
	}
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/terminal.good.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("site.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
