package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"harborwatch/finding"
	"harborwatch/recovery"
	"harborwatch/store"
)

// TestReadinessTruth: the simulated terminal of 4 cranes and its
// registers with gaps in known places; readiness lists exactly those
// gaps, each a stored finding, and every change is audited.
func TestReadinessTruth(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	pcap := filepath.Join(dir, "t.pcap")
	if r := runCLI(t, nil, "simulate", "--out", pcap, "--cranes", "4", "--scenario", "crane-egress"); r.code != ExitOK ||
		!strings.Contains(r.stderr, "wrote the recovery registers") {
		t.Fatalf("simulate: %s", r.stderr)
	}
	var truth readinessTruth
	b, err := os.ReadFile(filepath.Join(dir, "t.readiness.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	if len(truth.Gaps) != 9 || truth.Cranes != 4 {
		t.Fatalf("truth %+v", truth)
	}
	for _, imp := range [][]string{{"backup", "t.backups.csv"}, {"spares", "t.spares.csv"}} {
		if r := runCLI(t, nil, imp[0], "import", "--data", data, filepath.Join(dir, imp[1])); r.code != ExitOK {
			t.Fatalf("%s import: exit %d %s", imp[0], r.code, r.stderr)
		}
	}
	r := runCLI(t, nil, "readiness", "--data", data, "--site", filepath.Join(dir, "t.site.yaml"), "--at", truth.At.Format("2006-01-02T15:04:05Z"), "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("readiness: exit %d %s", r.code, r.stderr)
	}
	var rep recovery.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, c := range rep.Cranes {
		for _, g := range c.Gaps {
			got = append(got, g.Crane+" "+g.Rule+" "+g.Item)
		}
	}
	for _, g := range truth.Gaps {
		want = append(want, g.Crane+" "+g.Rule+" "+g.Item)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("gaps\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(rep.Cranes) != 4 {
		t.Fatalf("%d cranes", len(rep.Cranes))
	}

	// The gaps are findings in the store with their controls; running
	// again sees them again rather than doubling them.
	runCLI(t, nil, "readiness", "--data", data, "--site", filepath.Join(dir, "t.site.yaml"), "--at", truth.At.Format("2006-01-02T15:04:05Z"))
	s := openData(t, data)
	ctx := context.Background()
	fs, _, _ := s.Findings(ctx, store.FindingQuery{Limit: 1000})
	if len(fs) != 9 {
		t.Fatalf("%d stored findings, want 9", len(fs))
	}
	for _, f := range fs {
		r, _ := finding.Lookup(f.Rule)
		if !strings.HasPrefix(f.Rule, "recovery.") || !slices.Equal(f.Controls, r.Controls) || f.Occurrences != 2 {
			t.Errorf("%s %v occurrences %d", f.Rule, f.Controls, f.Occurrences)
		}
	}
	log, _ := s.AuditLog(ctx, 0, 0)
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
	}
	if !slices.Equal(actions, []string{"backup.import", "spares.import", "readiness.run", "readiness.run"}) {
		t.Fatalf("audit %v", actions)
	}
}

func TestRegisterCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	file := filepath.Join(dir, "plc.zip")
	os.WriteFile(file, []byte("program v1"), 0o644)
	r := runCLI(t, nil, "backup", "add", "--data", data, "--crane", "STS-01", "--asset", "sts01-plc1", "--item", "plc-program",
		"--file", file, "--offline", "--taken", "2026-11-01", "--restore-tested", "2026-11-01", "--restore-result", "pass", "--id", "K1")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "backup K1: STS-01 plc-program of sts01-plc1") {
		t.Fatalf("add: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, nil, "backup", "verify", "--data", data); r.code != ExitOK || !strings.Contains(r.stdout, "K1  ok") {
		t.Fatalf("verify: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	os.WriteFile(file, []byte("program v2"), 0o644)
	if r := runCLI(t, nil, "backup", "verify", "--data", data, "K1"); r.code != ExitFailOn || !strings.Contains(r.stdout, "K1  MISMATCH") {
		t.Fatalf("verify changed: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	// An entry kept offline elsewhere is skipped, not a mismatch.
	if r := runCLI(t, nil, "backup", "add", "--data", data, "--crane", "STS-01", "--item", "switch-config", "--sha256", strings.Repeat("b", 64),
		"--location", "safe B", "--id", "K2"); r.code != ExitOK {
		t.Fatalf("add K2: %s", r.stderr)
	}
	if r := runCLI(t, nil, "backup", "verify", "--data", data); r.code != ExitFailOn || !strings.Contains(r.stdout, `K2  skipped: "safe B" is not a file here`) {
		t.Fatalf("verify all: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, nil, "backup", "verify", "--data", data, "K2"); r.code != ExitUsage {
		t.Fatalf("verify K2: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	for _, bad := range [][]string{
		{"backup", "add", "--crane", "STS-01", "--item", "os-image"},
		{"backup", "add", "--crane", "STS-01", "--item", "tapes"},
		{"backup", "add", "--crane", "STS-01", "--item", "plc-program", "--restore-tested", "2026-01-01"},
		{"spares", "add", "--crane", "STS-01", "--component", "toaster"},
	} {
		if r := runCLI(t, nil, append(bad, "--data", data)...); r.code != ExitUsage {
			t.Errorf("%v: exit %d %s", bad, r.code, r.stderr)
		}
	}
	if r := runCLI(t, nil, "spares", "add", "--data", data, "--crane", "STS-01", "--component", "plc", "--on-hand", "0", "--required", "2", "--id", "P1"); r.code != ExitOK {
		t.Fatalf("spares add: %s", r.stderr)
	}
	r = runCLI(t, nil, "readiness", "--data", data, "--format", "csv", "--at", "2026-11-02T00:00:00Z")
	if !strings.Contains(r.stdout, "STS-01,recovery.backup-mismatch,plc-program,sts01-plc1,K1,") ||
		!strings.Contains(r.stdout, `STS-01,recovery.spares-short,plc,,P1,"plc: 0 on hand, 2 required"`) {
		t.Fatalf("readiness csv:\n%s", r.stdout)
	}
	// The export reads back as the same register.
	r = runCLI(t, nil, "backup", "list", "--data", data, "--format", "csv", "--crane", "STS-01")
	bs, problems, _, err := recovery.ReadBackups("export", strings.NewReader(r.stdout))
	if err != nil || len(problems) != 0 || len(bs) != 2 || bs[1].ID != "K1" || bs[1].SHA256 == "" || !bs[1].Offline || bs[0].Location != "safe B" {
		t.Fatalf("round trip %+v %v %v", bs, problems, err)
	}
	// Bad rows are named by file:line:col and skipped; good ones kept.
	csvFile := filepath.Join(dir, "bad.csv")
	os.WriteFile(csvFile, []byte("crane,item,taken_at,offline,colour\nSTS-02,plc-program,2026-10-01,yes,red\nSTS-02,floppy,2026-10-01,no,\nSTS-02,plc-program,yesterday,no,\n"), 0o644)
	r = runCLI(t, nil, "backup", "import", "--data", data, csvFile)
	if r.code != ExitUsage || !strings.Contains(r.stderr, csvFile+":3:8: item: \"floppy\" is not one of") ||
		!strings.Contains(r.stderr, csvFile+":4:20: taken_at: \"yesterday\" is not a date") ||
		!strings.Contains(r.stderr, csvFile+":1:29: column \"colour\" is not one harborwatch reads") ||
		!strings.Contains(r.stderr, "1 row added or replaced, 2 bad rows skipped") {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
}

// TestRegisterDelete: 'backup delete' and 'spares delete' remove the
// entry and audit it; an unknown id is a usage error.
func TestRegisterDelete(t *testing.T) {
	data := t.TempDir()
	if r := runCLI(t, nil, "backup", "add", "--data", data, "--crane", "STS-01", "--item", "switch-config", "--sha256", strings.Repeat("b", 64),
		"--location", "safe", "--taken", "2026-10-01", "--id", "K9"); r.code != ExitOK {
		t.Fatalf("backup add: %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "spares", "add", "--data", data, "--crane", "STS-01", "--component", "plc", "--on-hand", "1", "--required", "1", "--id", "P9"); r.code != ExitOK {
		t.Fatalf("spares add: %d %s", r.code, r.stderr)
	}
	for _, c := range []struct{ cmd, id, action string }{{"backup", "K9", "backup.delete"}, {"spares", "P9", "spare.delete"}} {
		if r := runCLI(t, nil, c.cmd, "delete", "--data", data, c.id); r.code != ExitOK {
			t.Fatalf("%s delete %s: %d %s", c.cmd, c.id, r.code, r.stderr)
		}
		if r := runCLI(t, nil, c.cmd, "list", "--data", data, "--format", "csv"); strings.Contains(r.stdout, c.id) {
			t.Errorf("%s list after the delete still names %s:\n%s", c.cmd, c.id, r.stdout)
		}
		if r := runCLI(t, nil, c.cmd, "delete", "--data", data, c.id); r.code != ExitUsage || !strings.Contains(r.stderr, c.id) {
			t.Errorf("%s delete of a deleted id: %d %s, want a usage error naming it", c.cmd, r.code, r.stderr)
		}
		if r := runCLI(t, nil, c.cmd, "delete", "--data", data); r.code != ExitUsage {
			t.Errorf("%s delete without an id: %d, want a usage error", c.cmd, r.code)
		}
	}
	s := openData(t, data)
	log, _ := s.AuditLog(context.Background(), 0, 0)
	var got []string
	for _, e := range log {
		if strings.HasSuffix(e.Action, ".delete") {
			got = append(got, e.Action+" "+e.Target)
		}
	}
	if !slices.Equal(got, []string{"backup.delete backup:K9", "spare.delete spare:P9"}) {
		t.Errorf("audited deletions %q", got)
	}
}
