package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harborwatch/analysis"
	"harborwatch/site"
	"harborwatch/store"
	"harborwatch/store/sqlstore"
)

// terminalData makes a data directory whose store holds the example
// terminal analyzed as site t3 (as serve stores a run) and returns it.
func terminalData(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.Open(ctx, filepath.Join(dir, "harborwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	yaml, err := os.ReadFile(exampleSite)
	if err != nil {
		t.Fatal(err)
	}
	m, err := site.Parse(exampleSite, yaml)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutSite(ctx, store.Site{ID: "t3", YAML: string(yaml), Model: "{}", Updated: time.Now(), By: "test"}); err != nil {
		t.Fatal(err)
	}
	res, err := analysis.Run(ctx, analysis.Options{Files: []string{examplePcap}, Site: m, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.AddCapture(ctx, store.Capture{Site: "t3", Name: "terminal.pcap", Path: examplePcap, SHA256: strings.Repeat("1", 64), By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var assets []store.AssetData
	for _, a := range res.Inventory.Assets {
		raw, _ := json.Marshal(a)
		d := store.AssetData{ID: a.ID, Data: raw}
		if a.FirstSeen != nil {
			d.FirstSeen, d.LastSeen = *a.FirstSeen, *a.LastSeen
		}
		assets = append(assets, d)
	}
	fs := res.Document.Findings
	for i := range fs {
		for j := range fs[i].Evidence {
			fs[i].Evidence[j].Capture = c.ID
		}
	}
	if _, err := st.FinishRun(ctx, store.Run{Capture: c.ID, Site: "t3", At: time.Now(), Findings: fs, Assets: assets}); err != nil {
		t.Fatal(err)
	}
	return dir
}

const at = "2026-11-03T10:00:00Z"

func TestComplianceCommand(t *testing.T) {
	data := terminalData(t)
	r := runCLI(t, nil, "compliance", "--data", data, "--at", at)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"Compliance of site t3 at 2026-11-03T10:00:00Z", "MSCI-SEG-1     NOT-SATISFIED", "MARSEC-105-4   NOT-ASSESSED"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if !strings.Contains(r.stderr, "site t3: 65 controls:") {
		t.Errorf("stderr %q", r.stderr)
	}

	// Attest a MARSEC item with a document; the report counts it, the
	// audit log records it.
	doc := filepath.Join(t.TempDir(), "annex.pdf")
	os.WriteFile(doc, []byte("annex"), 0o600)
	r = runCLI(t, nil, "attest", "add", "--data", data, "--site", "t3", "--control", "MARSEC-105-4", "--by", "J. Officer",
		"--statement", "measures in place", "--document", doc, "--date", "2026-11-01", "--expires", "365d")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "A") {
		t.Fatalf("attest add: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	r = runCLI(t, nil, "attest", "list", "--data", data, "--site", "t3")
	if !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "MARSEC-105-4") {
		t.Errorf("attest list: %q", r.stdout)
	}
	out := filepath.Join(t.TempDir(), "poam.csv")
	r = runCLI(t, nil, "compliance", "--data", data, "--site", "t3", "--at", at, "--format", "csv", "--out", out)
	if r.code != ExitOK {
		t.Fatalf("csv: exit %d: %s", r.code, r.stderr)
	}
	b, _ := os.ReadFile(out)
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) < 10 || rows[0][1] != "control" {
		t.Fatalf("csv: %d rows, %v", len(rows), err)
	}
	for _, row := range rows {
		if row[1] == "MARSEC-105-4" {
			t.Error("the attested MARSEC item is in the plan of action")
		}
	}
	r = runCLI(t, nil, "compliance", "--data", data, "--at", at, "--format", "oscal")
	if r.code != ExitOK || !strings.Contains(r.stdout, `"oscal-version": "1.1.3"`) {
		t.Fatalf("oscal: exit %d, %s", r.code, r.stderr)
	}
	r = runCLI(t, nil, "audit", "verify", "--data", data)
	if r.code != ExitOK || !strings.Contains(r.stdout, "chain intact") {
		t.Fatalf("audit verify: %q", r.stdout)
	}
	r = runCLI(t, nil, "attest", "withdraw", "--data", data, id)
	if r.code != ExitOK {
		t.Fatalf("withdraw: %d %s", r.code, r.stderr)
	}
	if r = runCLI(t, nil, "attest", "withdraw", "--data", data, id); r.code != ExitUsage {
		t.Errorf("withdraw twice: exit %d", r.code)
	}

	for name, args := range map[string][]string{
		"bad format":    {"compliance", "--data", data, "--format", "xml"},
		"no site":       {"compliance", "--data", data, "--site", "nope"},
		"bad at":        {"compliance", "--data", data, "--at", "yesterday"},
		"bad max-age":   {"compliance", "--data", data, "--max-age", "-3d"},
		"pdf no out":    {"compliance", "--data", data, "--format", "pdf"},
		"bad control":   {"attest", "add", "--data", data, "--site", "t3", "--control", "NOPE-1", "--by", "x", "--statement", "y"},
		"no statement":  {"attest", "add", "--data", data, "--site", "t3", "--control", "MSCI-PHY-1", "--by", "x"},
		"missing doc":   {"attest", "add", "--data", data, "--site", "t3", "--control", "MSCI-PHY-1", "--by", "x", "--statement", "y", "--document", "/nonexistent"},
		"unknown verb":  {"attest", "sign", "--data", data},
		"positional":    {"compliance", "--data", data, "extra"},
		"unknown site2": {"attest", "add", "--data", data, "--site", "t9", "--control", "MSCI-PHY-1", "--by", "x", "--statement", "y"},
	} {
		if r := runCLI(t, nil, args...); r.code != ExitUsage {
			t.Errorf("%s: exit %d, want %d (%s)", name, r.code, ExitUsage, r.stderr)
		}
	}
	for _, c := range []string{"compliance", "attest"} {
		r := runCLI(t, nil, c, "--help")
		if r.code != ExitOK || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "Usage: harborwatch "+c) {
			t.Errorf("%s --help: %q", c, r.stdout)
		}
	}
}

// TestCompliancePDF prints the HTML report to PDF with Chromium (skipped
// without one, failed with HARBORWATCH_REQUIRE_CHROMIUM=1).
func TestCompliancePDF(t *testing.T) {
	if _, err := chromiumPath(); err != nil {
		if os.Getenv("HARBORWATCH_REQUIRE_CHROMIUM") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if _, err := exec.LookPath("chromium"); err != nil && testing.Short() {
		t.Skip("short")
	}
	data := terminalData(t)
	out := filepath.Join(t.TempDir(), "t3.pdf")
	r := runCLI(t, nil, "compliance", "--data", data, "--at", at, "--format", "pdf", "--out", out)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) || len(b) < 10000 || !bytes.Contains(b, []byte("/Type /Page")) && !bytes.Contains(b, []byte("/Type/Page")) {
		t.Fatalf("not a PDF of pages: %d bytes, %q", len(b), b[:min(len(b), 16)])
	}
}

func TestAccessCommand(t *testing.T) {
	data := terminalData(t)
	r := runCLI(t, nil, "access", "add", "--data", data, "--site", "t3", "--system", "cms01", "--holder", "Crane Vendor Support",
		"--path", "gateway", "--sources", "10.20.0.10", "--mfa", "--attester", "J. Officer")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "R") {
		t.Fatalf("add: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "access", "list", "--data", data, "--site", "t3")
	if r.code != ExitOK {
		t.Fatalf("list: exit %d %s", r.code, r.stderr)
	}
	// The register covers the gateway; the TOS workstation's RDP and
	// ews01's TeamViewer are not covered.
	for _, want := range []string{"Crane Vendor Support", "Unregistered access (access.unregistered):", "10.50.7.77 → 10.10.9.30"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, r.stdout)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("site,system,holder,path,sources\nt3,plc,vendor,teamviewer,10.1.1.1\n"), 0o600)
	r = runCLI(t, nil, "access", "import", "--data", data, bad)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "bad.csv:2:15: path \"teamviewer\"") || !strings.Contains(r.stderr, "nothing imported") {
		t.Errorf("import bad: exit %d %q", r.code, r.stderr)
	}
	good := filepath.Join(t.TempDir(), "good.csv")
	os.WriteFile(good, []byte("site,system,holder,path,sources\nt3,tos,terminal IT,on-site,10.50.7.77\nt3,ews01,vendor,rcms,10.10.9.20\n"), 0o600)
	r = runCLI(t, nil, "access", "import", "--data", data, good)
	if r.code != ExitOK || strings.Count(r.stdout, "\n") != 2 {
		t.Fatalf("import: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "access", "list", "--data", data, "--site", "t3")
	if strings.Contains(r.stdout, "10.50.7.77 → 10.10.9.30") {
		t.Errorf("after import, 10.50.7.77 is still unregistered:\n%s", r.stdout)
	}
	id := strings.Fields(strings.Split(r.stdout, "\n")[1])[0]
	if r := runCLI(t, nil, "access", "remove", "--data", data, id); r.code != ExitOK {
		t.Errorf("remove: %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "access", "remove", "--data", data, id); r.code != ExitUsage {
		t.Errorf("remove twice: %d", r.code)
	}
	if r := runCLI(t, nil, "audit", "verify", "--data", data); !strings.Contains(r.stdout, "4 entries, chain intact") {
		t.Errorf("audit: %q", r.stdout)
	}
	if r := runCLI(t, nil, "access", "add", "--data", data, "--site", "t3", "--system", "x", "--holder", "y", "--path", "ftp", "--sources", "1.2.3.4"); r.code != ExitUsage {
		t.Errorf("bad path: exit %d", r.code)
	}
	if r := runCLI(t, nil, "access", "--help"); r.code != ExitOK || !strings.Contains(r.stdout, "Examples:") {
		t.Errorf("help: %q", r.stdout)
	}
}

func TestIncidentCommand(t *testing.T) {
	data := terminalData(t)
	// The example's RDP from the TOS workstation.
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(data, "harborwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	fs, _, err := st.Findings(ctx, store.FindingQuery{Site: "t3", Rule: "remote-access.unmanaged", Limit: 10})
	st.Close()
	if err != nil || len(fs) == 0 {
		t.Fatal("no remote-access finding", err)
	}
	r := runCLI(t, nil, "incident", "open", "--data", data, "--site", "t3", fs[0].ID)
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "I") {
		t.Fatalf("open: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	r = runCLI(t, nil, "incident", "show", "--data", data, id)
	for _, want := range []string{"Reportable? POSSIBLE", "1-800-424-8802", "[TO BE ADDED BY A PERSON]", "22. Handling marks"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runCLI(t, nil, "incident", "update", "--data", data, "--field", "reporter=J. Officer", "--status", "reported", "--note", "called the NRC", id)
	if r.code != ExitOK {
		t.Fatalf("update: %d %s", r.code, r.stderr)
	}
	r = runCLI(t, nil, "incident", "show", "--data", data, "--format", "json", id)
	var rep struct {
		Incident struct{ Status, Notes string }
		Fields   []struct{ Key, Value, By string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Incident.Status != "reported" || !strings.Contains(rep.Incident.Notes, "called the NRC") || rep.Fields[2].Value != "J. Officer" || rep.Fields[2].By != "supplied" {
		t.Errorf("after update: %+v %+v", rep.Incident, rep.Fields[2])
	}
	keys := filepath.Join(t.TempDir(), "officer")
	if r := runCLI(t, nil, "keygen", "--out", keys); r.code != ExitOK {
		t.Fatal(r.stderr)
	}
	zipPath := filepath.Join(t.TempDir(), "inc.zip")
	r = runCLI(t, nil, "incident", "bundle", "--data", data, "--key", keys+".key", "--out", zipPath, id)
	if r.code != ExitOK {
		t.Fatalf("bundle: %d %s", r.code, r.stderr)
	}
	r = runCLI(t, nil, "incident", "verify", "--pub", keys+".pub", zipPath)
	if r.code != ExitOK || !strings.Contains(r.stdout, "verified: incident "+id) {
		t.Fatalf("verify: %d %q", r.code, r.stdout)
	}
	b, _ := os.ReadFile(zipPath)
	b[len(b)/3] ^= 0xff
	os.WriteFile(zipPath, b, 0o600)
	if r := runCLI(t, nil, "incident", "verify", "--pub", keys+".pub", zipPath); r.code != ExitFailure || !strings.Contains(r.stdout, "does not verify") {
		t.Errorf("verify of a damaged bundle: %d %q", r.code, r.stdout)
	}
	r = runCLI(t, nil, "incident", "stix", "--data", data, id)
	if r.code != ExitOK || !strings.Contains(r.stdout, `"type": "bundle"`) || !strings.Contains(r.stdout, `"spec_version": "2.1"`) {
		t.Errorf("stix: %d %s", r.code, r.stderr)
	}
	r = runCLI(t, nil, "incident", "list", "--data", data)
	if !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "reported") {
		t.Errorf("list: %q", r.stdout)
	}
	if r := runCLI(t, nil, "audit", "verify", "--data", data); !strings.Contains(r.stdout, "3 entries, chain intact") {
		t.Errorf("audit: %q", r.stdout)
	}
	for name, args := range map[string][]string{
		"no finding":      {"incident", "open", "--data", data, "--site", "t3"},
		"unknown finding": {"incident", "open", "--data", data, "--site", "t3", "HW-000000000000"},
		"unknown inc":     {"incident", "show", "--data", data, "Inope"},
		"bad status":      {"incident", "update", "--data", data, "--status", "escalated", id},
		"bad field":       {"incident", "update", "--data", data, "--field", "novalue", id},
		"bundle no key":   {"incident", "bundle", "--data", data, "--out", zipPath, id},
		"verify no pub":   {"incident", "verify", zipPath},
		"bad format":      {"incident", "show", "--data", data, "--format", "pdf", id},
	} {
		if r := runCLI(t, nil, args...); r.code != ExitUsage {
			t.Errorf("%s: exit %d, want 2 (%s)", name, r.code, r.stderr)
		}
	}
}
