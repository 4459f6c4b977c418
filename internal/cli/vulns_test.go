package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testAdvisories = "../../vuln/testdata/advisories"

// TestVulns: an asset list and the example site against the 32 advisories:
// matches per crane and per asset, with the rule, the severity (one step
// higher in crane-control), the citation; near misses absent; json and csv
// agree.
func TestVulns(t *testing.T) {
	dir := t.TempDir()
	assets := filepath.Join(dir, "assets.csv")
	if err := os.WriteFile(assets, []byte(`id,vendor,model,firmware,crane,zone,ip
sts01-cpu1515,Siemens,6ES7 515-2AN03-0AB0,V3.1.2,STS-01,sts01-control,10.10.1.50
sts01-cpu1515-new,Siemens,6ES7 515-2AN03-0AB0,V3.1.4,STS-01,sts01-control,10.10.1.51
mgmt-sinema,Siemens,SINEMA Remote Connect Server,V3.2,,crane-mgmt,10.10.9.50
mgmt-sinema-new,Siemens,SINEMA Remote Connect Server,V3.2 HF1,,crane-mgmt,10.10.9.51
`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"vulns", "--csaf", testAdvisories, "--site", "../../examples/terminal/site.yaml", "--csv", assets}
	r := runCLI(t, nil, args...)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, s := range []string{
		"VULNERABILITIES: 32 advisories read (1883 products, 17 version strings unparsed)",
		"CRANE STS-01:",
		"  sts01-cpu1515  Siemens, 6ES7 515-2AN03-0AB0, fw V3.1.2 (declared)",
		"    ICSA-24-284-01 AFFECTED  CVSS 4.7  high  CVE-2024-46886",
		`order number 6ES7515-2AN03-0AB0; firmware V3.1.2 (declared) in range "vers:all/<V3.1.4"`,
		"see   https://www.cisa.gov/news-events/ics-advisories/icsa-24-284-01",
		"NOT ON A CRANE:",
		"    ICSA-24-193-09 AFFECTED  CVSS 8.8  high  CVE-2024-39570 CVE-2024-39571",
		`firmware V3.2 (declared) in range "<V3.2_HF1"`,
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("text lacks %q:\n%s", s, r.stdout)
		}
	}
	for _, s := range []string{"sts01-cpu1515-new", "mgmt-sinema-new", "ICSA-24-074-03"} {
		if strings.Contains(r.stdout, s) {
			t.Errorf("text has the near miss %q:\n%s", s, r.stdout)
		}
	}
	if i, j := strings.Index(r.stdout, "CRANE STS-01"), strings.Index(r.stdout, "NOT ON A CRANE"); i < 0 || j < i {
		t.Errorf("cranes not before the assets on no crane")
	}

	r = runCLI(t, nil, append(args, "--format", "json")...)
	if r.code != ExitOK {
		t.Fatalf("json: exit %d\n%s", r.code, r.stderr)
	}
	var doc struct {
		Advisories struct{ Loaded, Products int }
		Cranes     []struct {
			Crane    string
			Assets   []string
			Severity string
		}
		Matches []struct {
			Asset, Advisory, Status, Severity, URL string
			CVEs                                   []string
		}
		Findings []struct {
			Rule     string
			Severity string
			Src      struct{ Asset string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Advisories.Loaded != 32 || doc.Advisories.Products != 1883 {
		t.Errorf("advisories %+v", doc.Advisories)
	}
	got := map[string]string{}
	for _, m := range doc.Matches {
		got[m.Asset+" "+m.Advisory] = m.Status + " " + m.Severity
	}
	for k, v := range map[string]string{
		"sts01-cpu1515 ICSA-24-284-01": "affected high",
		"mgmt-sinema ICSA-24-193-09":   "affected high",
	} {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	for k := range got {
		if strings.HasPrefix(k, "sts01-cpu1515-new ") || strings.HasPrefix(k, "mgmt-sinema-new ") {
			t.Errorf("near miss matched: %s", k)
		}
	}
	if len(doc.Findings) != len(doc.Matches) {
		t.Errorf("%d findings for %d matches", len(doc.Findings), len(doc.Matches))
	}
	for _, f := range doc.Findings {
		if f.Rule != "vulnerability.known" {
			t.Errorf("finding rule %s", f.Rule)
		}
	}
	if len(doc.Cranes) == 0 || doc.Cranes[0].Crane != "STS-01" {
		t.Errorf("cranes %+v", doc.Cranes)
	}

	r = runCLI(t, nil, append(args, "--format", "csv")...)
	if r.code != ExitOK {
		t.Fatalf("csv: exit %d\n%s", r.code, r.stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(doc.Matches)+1 || rows[0][0] != "crane" || rows[0][2] != "advisory" {
		t.Errorf("csv: %d rows for %d matches, header %v", len(rows), len(doc.Matches), rows[0])
	}
}

// TestVulnsBadInput: no --csaf, a file that is not CSAF, a bad format.
func TestVulnsBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"document": {"csaf_version": "1.2"}}`), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"vulns", "--bom", exampleBOM}, "no advisories"},
		{[]string{"vulns", "--csaf", bad, "--bom", exampleBOM}, "bad.json: document.csaf_version: \"1.2\", want \"2.0\""},
		{[]string{"vulns", "--csaf", filepath.Join(dir, "missing.json"), "--bom", exampleBOM}, "missing.json: cannot read it"},
		{[]string{"vulns", "--csaf", testAdvisories, "--bom", exampleBOM, "--format", "xml"}, "want text, json or csv"},
		{[]string{"vulns", "--csaf", testAdvisories}, "nothing to match"},
	} {
		r := runCLI(t, nil, c.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// TestAnalyzeCSAF: analyze --csaf adds vulnerability.known findings for
// the example's assets that the shared advisories list, to the report.
func TestAnalyzeCSAF(t *testing.T) {
	r := runCLI(t, nil, "analyze", "--site", "../../examples/terminal/site.yaml", "--csaf", "../../vuln/testdata/advisories",
		"--format", "json", "../../examples/terminal/terminal.pcap")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Findings []struct {
			Rule   string `json:"rule"`
			Src    struct{ Asset string }
			Detail map[string]any `json:"detail"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range doc.Findings {
		if f.Rule == "vulnerability.known" {
			got[f.Src.Asset] = true
		}
	}
	for _, want := range []string{"sts01-plc1", "sts02-plc1"} {
		if !got[want] {
			t.Errorf("no vulnerability.known finding for %s (got %v)", want, got)
		}
	}
	if r := runCLI(t, nil, "analyze", "--csaf", "../../examples/terminal/site.yaml", "../../examples/terminal/terminal.pcap"); r.code != ExitUsage {
		t.Errorf("--csaf with a file that is not CSAF: exit %d", r.code)
	}
}
