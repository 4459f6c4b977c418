package vuln

import (
	"net/netip"
	"slices"
	"testing"

	"harborwatch/finding"
	"harborwatch/inventory"
	"harborwatch/site"
)

func TestSeverity(t *testing.T) {
	cases := []struct {
		cvss float64
		cc   bool
		want finding.Severity
	}{
		{9.8, false, finding.Critical}, {9.0, false, finding.Critical}, {8.9, false, finding.High}, {7.0, false, finding.High},
		{6.9, false, finding.Medium}, {4.0, false, finding.Medium}, {3.9, false, finding.Low}, {0, false, finding.Low},
		{9.8, true, finding.Critical}, {7.5, true, finding.Critical}, {4.7, true, finding.High}, {2.0, true, finding.Medium},
	}
	for _, c := range cases {
		if got := Severity(c.cvss, c.cc); got != c.want {
			t.Errorf("Severity(%v, %v) = %s, want %s", c.cvss, c.cc, got, c.want)
		}
	}
}

// TestFindings: an identity seen on the wire (S7 order number and
// firmware) matches as a declared one does; a crane-control zone raises
// the severity one step; the detail carries the advisory, CVEs, CVSS,
// rule, remediation and citation.
func TestFindings(t *testing.T) {
	st, err := site.Parse("site.yaml", []byte(`version: 1
facility: {id: t, name: T}
zones:
  - {id: sts01-control, kind: crane-control, crane: STS-01, cidrs: [10.10.1.0/24]}
  - {id: mgmt, kind: crane-management, cidrs: [10.10.9.0/24]}
cranes:
  - {id: STS-01}
`))
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{Assets: []inventory.Asset{
		{ID: "10.10.1.5", IPs: []netip.Addr{netip.MustParseAddr("10.10.1.5")}, Zones: []string{"sts01-control"}, Crane: "STS-01", Observed: true,
			Identity: map[string]any{"vendor": "Siemens", "order_number": "6ES7 515-2AN03-0AB0", "firmware": "V3.1.2", "module_type": "CPU 1515-2 PN"}},
		{ID: "10.10.9.5", IPs: []netip.Addr{netip.MustParseAddr("10.10.9.5")}, Zones: []string{"mgmt"}, Observed: true,
			Identity: map[string]any{"vendor": "Siemens", "order_number": "6ES7 515-2AN03-0AB0", "firmware": "V3.1.2"}},
		{ID: "sts01-plc-new", Zones: []string{"sts01-control"}, Crane: "STS-01", Declared: true,
			Vendor: "Siemens", Model: "6ES7 515-2AN03-0AB0", Firmware: "V3.1.4"},
	}}
	advs := advisories(t)
	var only []*Advisory
	for _, a := range advs {
		if a.ID == "ICSA-24-284-01" {
			only = append(only, a)
		}
	}
	fs := Findings(inv, only, st)
	if len(fs) != 2 {
		t.Fatalf("%d findings, want 2: %+v", len(fs), fs)
	}
	// CVE-2024-46886 has CVSS 4.7 (medium): high in crane-control.
	sev := map[string]finding.Severity{}
	for _, f := range fs {
		sev[f.Src.Asset] = f.Severity
		if f.Rule != finding.RuleVulnKnown || !slices.Contains(f.Techniques, "T0866") || len(f.Controls) == 0 {
			t.Errorf("finding %+v", f)
		}
		d := f.Detail
		if d["advisory"] != "ICSA-24-284-01" || d["cvss"] != 4.7 || d["citation"] != "https://www.cisa.gov/news-events/ics-advisories/icsa-24-284-01" ||
			!slices.Equal(d["cves"].([]string), []string{"CVE-2024-46886"}) || len(d["remediations"].([]string)) == 0 {
			t.Errorf("detail %v", d)
		}
		if r, _ := d["rule"].(string); r != `order number 6ES7515-2AN03-0AB0; firmware V3.1.2 (wire) in range "vers:all/<V3.1.4" (vers:all/ with a constraint (not valid vers) read as vers:generic/)` {
			t.Errorf("rule %q", r)
		}
	}
	if sev["10.10.1.5"] != finding.High || sev["10.10.9.5"] != finding.Medium {
		t.Errorf("severities %v, want high in crane-control, medium elsewhere", sev)
	}
	if fs[0].ID == fs[1].ID {
		t.Error("two findings with one id")
	}
}
