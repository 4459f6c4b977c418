package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"harborwatch/pipeline"
)

// TestSynopsisListsFlags: each command's usage line names every flag its
// help lists, and its help exits 0.
func TestSynopsisListsFlags(t *testing.T) {
	flagLine := regexp.MustCompile(`^  --([a-z-]+)`)
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, nil, c.name, "--help")
			if r.code != ExitOK || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			lines := strings.Split(r.stdout, "\n")
			usage := strings.TrimPrefix(lines[0], "Usage: ")
			for i := 1; i < len(lines) && strings.HasPrefix(lines[i], "       harborwatch "); i++ {
				usage += "\n" + lines[i] // further forms of a command with subcommands
			}
			if usage != c.usage {
				t.Fatalf("first line %q", lines[0])
			}
			for _, l := range lines {
				if m := flagLine.FindStringSubmatch(l); m != nil && !strings.Contains(usage, "--"+m[1]) {
					t.Errorf("synopsis lacks --%s: %s", m[1], usage)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version", "--help"}, {"version", "-h"}, {"help", "version"}} {
		r := runCLI(t, nil, args...)
		if r.code != ExitOK || !strings.HasPrefix(r.stdout, "Usage: harborwatch version\n") || r.stderr != "" {
			t.Errorf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := runCLI(t, nil, "--version"); r.code != ExitOK || r.stdout != "harborwatch "+Version+"\n" {
		t.Errorf("--version: exit %d %q", r.code, r.stdout)
	}
	if r := runCLI(t, nil, "version", "extra"); r.code != ExitUsage || !strings.Contains(r.stderr, "no arguments") {
		t.Errorf("version extra: exit %d %q", r.code, r.stderr)
	}
}

// TestEnvValues: a bad HARBORWATCH_* value is an error naming the variable
// and the value, unless its flag overrides it; a good one sets the
// default.
func TestEnvValues(t *testing.T) {
	for _, tt := range []struct {
		name string
		vars map[string]string
		args []string
		code int
		want string
	}{
		{"workers", map[string]string{"HARBORWATCH_WORKERS": "abc"}, []string{"analyze", examplePcap}, ExitUsage, `HARBORWATCH_WORKERS="abc": not a whole number`},
		{"negative workers", map[string]string{"HARBORWATCH_WORKERS": "-2"}, []string{"analyze", examplePcap}, ExitUsage, `HARBORWATCH_WORKERS="-2": must be 0 or more`},
		{"inventory workers", map[string]string{"HARBORWATCH_WORKERS": "many"}, []string{"inventory", "--bom", exampleBOM}, ExitUsage, `HARBORWATCH_WORKERS="many"`},
		{"fail-on", map[string]string{"HARBORWATCH_FAIL_ON": "urgent"}, []string{"analyze", examplePcap}, ExitUsage, `HARBORWATCH_FAIL_ON="urgent": unknown severity`},
		{"format", map[string]string{"HARBORWATCH_FORMAT": "xml"}, []string{"analyze", examplePcap}, ExitUsage, `HARBORWATCH_FORMAT="xml": want text or json`},
		{"inventory format", map[string]string{"HARBORWATCH_FORMAT": "xml"}, []string{"inventory", "--bom", exampleBOM}, ExitUsage, `HARBORWATCH_FORMAT="xml": want text, json, csv`},
		{"flow memory", map[string]string{"HARBORWATCH_FLOW_MEMORY": "lots"}, []string{"analyze", examplePcap}, ExitUsage, `HARBORWATCH_FLOW_MEMORY="lots": not a size`},
		{"log level", map[string]string{"HARBORWATCH_LOG_LEVEL": "loud"}, []string{"analyze", examplePcap}, ExitUsage, `HARBORWATCH_LOG_LEVEL="loud": want debug, info, warn or error`},
		{"log format", map[string]string{"HARBORWATCH_LOG_FORMAT": "xml"}, []string{"inventory", "--bom", exampleBOM}, ExitUsage, `HARBORWATCH_LOG_FORMAT="xml": want text or json`},
		{"flag format", nil, []string{"analyze", "--log-format", "yaml", examplePcap}, ExitUsage, `--log-format "yaml": want text or json`},
		{"flag wins", map[string]string{"HARBORWATCH_WORKERS": "abc", "HARBORWATCH_FORMAT": "xml"}, []string{"analyze", "--workers", "1", "--format", "json", examplePcap}, ExitOK, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.vars, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", r.code, tt.code, r.stderr, tt.want)
			}
			if tt.code != ExitOK && r.stdout != "" {
				t.Errorf("stdout not empty: %q", r.stdout)
			}
		})
	}
	// HARBORWATCH_FORMAT is inventory's default format too.
	r := runCLI(t, map[string]string{"HARBORWATCH_FORMAT": "json"}, "inventory", "--bom", exampleBOM)
	if r.code != ExitOK || !json.Valid([]byte(r.stdout)) {
		t.Errorf("HARBORWATCH_FORMAT=json inventory: exit %d\n%.200s", r.code, r.stdout)
	}
}

// TestFlowMemoryFloor: a --flow-memory below the floor is raised to it,
// and the warning names the floor (package analysis words it; its tests
// pin the units).
func TestFlowMemoryFloor(t *testing.T) {
	r := runCLI(t, nil, "analyze", "--flow-memory", "1KiB", "--workers", "2", "--format", "json", examplePcap)
	m := regexp.MustCompile(`^harborwatch: warning: flow memory 1KiB is below the floor of (\S+) \(1,024 flows a worker\); using (\S+)\n$`).FindStringSubmatch(r.stderr)
	if r.code != ExitOK || m == nil {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if floor, err := parseBytes(m[1]); err != nil || floor != pipeline.FlowMemoryFloor(2) || m[2] != m[1] {
		t.Errorf("floor %q (%d, %v), using %q; want %d bytes both", m[1], floor, err, m[2], pipeline.FlowMemoryFloor(2))
	}
	def := runCLI(t, nil, "analyze", "--workers", "2", "--format", "json", examplePcap)
	if def.stdout != r.stdout {
		t.Error("the example's report changes at the floor")
	}
	if r := runCLI(t, nil, "analyze", "--flow-memory", "64MiB", "--workers", "2", "--out", filepath.Join(t.TempDir(), "r"), examplePcap); r.code != ExitOK || r.stderr != "" {
		t.Errorf("64MiB: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestLogs: --log-level and --log-format give the records a long run
// needs — start, each capture, damage, end with counts — as JSON or
// key=value lines on stderr; the default level shows only warnings.
func TestLogs(t *testing.T) {
	example, err := os.ReadFile(examplePcap)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, example[:len(example)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "analyze", "--log-level", "info", "--log-format", "json", "--format", "json", "--workers", "1", examplePcap, cut)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Stats struct{ Packets, Flows uint64 } `json:"stats"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	type record struct {
		Level, Msg, Component, File, Time string
		Offset, Packets, Flows            uint64
		Findings, Assets                  *int
	}
	var recs []record
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var rec record
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("not a JSON record: %q", l)
		}
		if rec.Component != "analyze" || rec.Time == "" {
			t.Errorf("record without component or time: %s", l)
		}
		recs = append(recs, rec)
	}
	want := []struct{ level, msg string }{
		{"INFO", "analysis of 2 captures started"},
		{"INFO", "opened capture " + examplePcap},
		{"INFO", "opened capture " + cut},
		{"WARN", cut + ": damaged at byte"},
		{"INFO", "analyzed "},
		{"INFO", "report: "},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(recs), len(want), r.stderr)
	}
	for i, w := range want {
		if recs[i].Level != w.level || !strings.HasPrefix(recs[i].Msg, w.msg) {
			t.Errorf("record %d: %s %q, want %s %q", i, recs[i].Level, recs[i].Msg, w.level, w.msg)
		}
	}
	if d := recs[3]; d.File != cut || d.Offset == 0 {
		t.Errorf("damage record %+v", d)
	}
	if end := recs[4]; end.Packets != doc.Stats.Packets || end.Flows != doc.Stats.Flows || end.Findings == nil {
		t.Errorf("end record %+v, stats %+v", end, doc.Stats)
	}
	if rep := recs[5]; rep.Findings == nil || rep.Assets == nil || *rep.Assets == 0 {
		t.Errorf("report record %+v", rep)
	}

	// key=value records; the level from the environment.
	r = runCLI(t, map[string]string{"HARBORWATCH_LOG_LEVEL": "info"}, "inventory", "--log-format", "text", "--bom", exampleBOM, "--format", "json")
	if r.code != ExitOK || !strings.Contains(r.stderr, "level=INFO msg=\"imported ") || !strings.Contains(r.stderr, "component=inventory") ||
		!strings.Contains(r.stderr, "as=bom") {
		t.Errorf("text records: exit %d\n%s", r.code, r.stderr)
	}
	// The default shows warnings only, as short lines; error hides them.
	r = runCLI(t, nil, "analyze", "--format", "json", cut)
	if r.code != ExitOK || !strings.HasPrefix(r.stderr, "harborwatch: warning: "+cut+": damaged at byte") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("default: %q", r.stderr)
	}
	r = runCLI(t, nil, "analyze", "--log-level", "error", "--format", "json", cut)
	if r.code != ExitOK || r.stderr != "" {
		t.Errorf("--log-level error: %q", r.stderr)
	}
	r = runCLI(t, nil, "analyze", "--log-level", "debug", "--format", "json", examplePcap)
	if r.code != ExitOK || !strings.Contains(r.stderr, "harborwatch: analyzed ") {
		t.Errorf("--log-level debug: %q", r.stderr)
	}
}

// TestSimulatePlurals: counts of one read as one.
func TestSimulatePlurals(t *testing.T) {
	r := runCLI(t, nil, "simulate", "--out", filepath.Join(t.TempDir(), "one.pcap"), "--cranes", "2", "--scenario", "crane-egress")
	if r.code != ExitOK || !strings.Contains(r.stderr, " s (2 cranes, 1 scenario, ") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
