package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"harborwatch/finding"
	"harborwatch/internal/synth"
)

// TestDemo runs the demo in-process, keeping its files: exit 0, a JSON
// report on stdout whose findings are the truth's (every scenario's
// must-findings, nothing else), the closing lines on stderr, the files in
// the folder.
func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	start := time.Now()
	r := runCLI(t, map[string]string{"HARBORWATCH_FAIL_ON": "low", "HARBORWATCH_FORMAT": "text"}, "demo", "--keep", dir, "--format", "json")
	t.Logf("demo --format json took %v", time.Since(start))
	if r.code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "terminal.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr truth
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	if len(tr.Scenarios) != len(synth.TerminalScenarios) || tr.Cranes != 4 {
		t.Fatalf("truth of %d scenarios, %d cranes", len(tr.Scenarios), tr.Cranes)
	}
	compareTruth(t, []byte(r.stdout), tr)
	for _, f := range []string{"terminal.pcap", "terminal.site.yaml", "terminal.inventory.csv", "terminal.truth.json", "terminal.report.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	for _, s := range []string{
		"simulating a terminal of 4 cranes with 16 scenarios",
		"Ground truth: 41 findings expected, 41 reported, nothing else.",
		"Authorized maintenance: program download from 10.10.9.20 to 10.10.1.5 inside the change window: no finding",
		"Analyze again: harborwatch analyze --site " + filepath.Join(dir, "terminal.site.yaml") + " " + filepath.Join(dir, "terminal.pcap"),
	} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
}

// TestDemoText runs the demo as a new user does: the text report with
// every expected finding, the comparison and where the files went.
func TestDemoText(t *testing.T) {
	start := time.Now()
	r := runCLI(t, nil, "demo")
	t.Logf("demo took %v", time.Since(start))
	if r.code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	tr, err := synth.TerminalTruth(func() []string {
		var all []string
		for _, sc := range synth.TerminalScenarios {
			all = append(all, sc.Name)
		}
		return all
	}())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range tr.Must {
		if !strings.Contains(r.stdout, v.Rule) || !strings.Contains(r.stdout, v.Src) {
			t.Errorf("report lacks %s from %s", v.Rule, v.Src)
		}
	}
	for _, s := range []string{"harborwatch analysis", "FINDINGS: 41", "Ground truth: 41 findings expected, 41 reported, nothing else.",
		"now removed; keep them with 'harborwatch demo --keep DIR'"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q", s)
		}
	}
	// Before the report, stderr says where the files are and that they go.
	if !regexp.MustCompile(`harborwatch demo: the files \(and the evidence the report points to\) are in \S+harborwatch-demo-\S+, deleted on exit; --keep DIR keeps them\n`).MatchString(r.stderr) {
		t.Errorf("stderr does not say the files are deleted:\n%s", r.stderr)
	}
	// The temporary folder is gone.
	var tmp string
	for _, l := range strings.Split(r.stdout, "\n") {
		if i := strings.Index(l, "harborwatch-demo-"); i >= 0 && tmp == "" {
			tmp = l[strings.LastIndex(l[:i], " ")+1 : i+len("harborwatch-demo-")]
			tmp += strings.Fields(l[i+len("harborwatch-demo-"):])[0]
		}
	}
	if tmp == "" {
		t.Fatal("no temporary folder named in the report")
	}
	if _, err := os.Stat(filepath.Dir(tmp)); err == nil {
		t.Errorf("%s still exists", filepath.Dir(tmp))
	}
}

func TestDemoUsage(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"demo", "--format", "xml"}, ExitUsage, `--format "xml"`},
		{[]string{"demo", "extra"}, ExitUsage, `unexpected argument "extra"`},
		{[]string{"demo", "--keep", "/dev/null/x"}, ExitFailure, "not a directory"},
	} {
		r := runCLI(t, nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, r.code, r.stderr)
		}
	}
	r := runCLI(t, nil, "demo", "--help")
	if r.code != ExitOK || !strings.Contains(r.stdout, "--keep DIR") || !strings.Contains(r.stdout, "Examples:") {
		t.Errorf("help: exit %d\n%s", r.code, r.stdout)
	}
	if r := runCLI(t, nil, "--help"); !strings.Contains(r.stdout, "demo") {
		t.Error("demo missing from the main help")
	}
}

// TestCheckDemo checks the comparison on reports that miss and add
// findings.
func TestCheckDemo(t *testing.T) {
	tr := truth{
		Scenarios: []string{"crane-egress", "authorized-maintenance", "camera-on-control-vlan"},
		Must: []synth.Violation{
			{Rule: "egress.external", Src: "10.10.11.5", Dst: "198.51.100.23", App: "https"},
			{Rule: "inventory.unknown-device", Src: "10.10.1.64"},
			{Rule: "no.such-rule", Src: "10.10.1.64"},
		},
		MustNot: []synth.Violation{{Rule: "ics.program-download", Src: "10.10.9.20", Dst: "10.10.1.5", App: "s7comm", Scenario: "authorized-maintenance"}},
	}
	report := `{"findings": [
		{"rule": "inventory.unknown-device", "src": {"ip": "10.10.1.64"}, "dst": {"ip": ""}, "app": "rtsp"},
		{"rule": "ics.program-download", "src": {"ip": "10.10.9.20"}, "dst": {"ip": "10.10.1.5"}, "app": "s7comm"}]}`
	c, err := checkDemo([]byte(report), tr)
	if err != nil {
		t.Fatal(err)
	}
	join := func(es []finding.Expect) string {
		var s []string
		for _, e := range es {
			s = append(s, e.String())
		}
		return strings.Join(s, "|")
	}
	if c.Expected != 3 || join(c.Missing) != "egress.external 10.10.11.5 → 198.51.100.23 (https)|no.such-rule 10.10.1.64" ||
		join(c.Unexpected) != "ics.program-download 10.10.9.20 → 10.10.1.5 (s7comm)" ||
		!strings.HasPrefix(c.maintenance, "reported") {
		t.Errorf("%+v", c)
	}
	if _, err := checkDemo([]byte("{"), tr); err == nil {
		t.Error("no error for a broken report")
	}
}
