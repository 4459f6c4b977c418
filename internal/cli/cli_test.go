package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

const (
	exampleSite = "../../examples/terminal/site.yaml"
	examplePcap = "../../examples/terminal/terminal.pcap"
)

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs harborwatch in-process with the given environment.
func runCLI(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), e, args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func TestHelpAndUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout bool
	}{
		{"no arguments", nil, ExitUsage, nil, []string{"Usage:", "analyze"}, true},
		{"--help", []string{"--help"}, ExitOK, []string{"Commands:", "analyze", "site", "Exit codes"}, nil, false},
		{"help analyze", []string{"help", "analyze"}, ExitOK, []string{"Usage: harborwatch analyze", "Examples:", "--fail-on", "--flow-memory", "HARBORWATCH_SITE"}, nil, false},
		{"analyze -h", []string{"analyze", "-h"}, ExitOK, []string{"--site"}, nil, false},
		{"site --help", []string{"site", "--help"}, ExitOK, []string{"site check FILE", "FILE:LINE:COLUMN"}, nil, false},
		{"unknown command", []string{"analyse"}, ExitUsage, nil, []string{`unknown command "analyse"`}, true},
		{"unknown flag", []string{"analyze", "--sight", "x", examplePcap}, ExitUsage, nil, []string{"flag provided but not defined: -sight"}, true},
		{"no capture", []string{"analyze", "--site", exampleSite}, ExitUsage, nil, []string{"no capture given"}, true},
		{"bad format", []string{"analyze", "--format", "xml", examplePcap}, ExitUsage, nil, []string{`--format "xml"`}, true},
		{"bad fail-on", []string{"analyze", "--fail-on", "severe", examplePcap}, ExitUsage, nil, []string{"unknown severity"}, true},
		{"bad flow memory", []string{"analyze", "--flow-memory", "lots", examplePcap}, ExitUsage, nil, []string{"not a size"}, true},
		{"version", []string{"version"}, ExitOK, []string{"harborwatch "}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			if tt.noStdout && r.stdout != "" {
				t.Errorf("stdout not empty:\n%s", r.stdout)
			}
		})
	}
}

func TestAnalyzeExampleGolden(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			r := runCLI(t, nil, "analyze", "--site", exampleSite, "--format", format, "--workers", "1", examplePcap)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if r.stderr != "" {
				t.Errorf("stderr not empty: %s", r.stderr)
			}
			testutil.Golden(t, "TestAnalyzeExample."+format, []byte(r.stdout))
		})
	}
}

// TestWorkersAgree checks that sharding does not change the result.
func TestWorkersAgree(t *testing.T) {
	one := runCLI(t, nil, "analyze", "--site", exampleSite, "--format", "json", "--workers", "1", examplePcap)
	for _, w := range []string{"2", "3", "8"} {
		r := runCLI(t, nil, "analyze", "--site", exampleSite, "--format", "json", "--workers", w, examplePcap)
		if r.code != 0 || r.stdout != one.stdout {
			t.Errorf("--workers %s gives another report (exit %d)", w, r.code)
		}
	}
}

func TestAnalyzeJSONShape(t *testing.T) {
	r := runCLI(t, map[string]string{"HARBORWATCH_SITE": exampleSite, "HARBORWATCH_FORMAT": "json"}, "analyze", examplePcap)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Version int `json:"version"`
		Stats   struct {
			Captures []struct {
				File    string `json:"file"`
				Packets int    `json:"packets"`
			} `json:"captures"`
			Packets      int               `json:"packets"`
			Flows        int               `json:"flows"`
			EvictedFlows *int              `json:"evicted_flows"`
			DecodeErrors map[string]uint64 `json:"decode_errors"`
			FirstTS      string            `json:"first_ts"`
		} `json:"stats"`
		Findings []struct {
			ID       string `json:"id"`
			Rule     string `json:"rule"`
			Severity string `json:"severity"`
			Src      struct {
				IP   string `json:"ip"`
				Zone string `json:"zone"`
			} `json:"src"`
			Evidence []struct {
				Capture string  `json:"capture"`
				Packets []int64 `json:"packets"`
			} `json:"evidence"`
			Controls []string `json:"controls"`
		} `json:"findings"`
		Assets []struct {
			IP   string   `json:"ip"`
			Zone string   `json:"zone"`
			Apps []string `json:"apps"`
		} `json:"assets"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 1 || len(doc.Stats.Captures) != 1 || doc.Stats.Packets == 0 || doc.Stats.Packets != doc.Stats.Captures[0].Packets {
		t.Errorf("stats %+v", doc.Stats)
	}
	if doc.Stats.EvictedFlows == nil || doc.Stats.DecodeErrors == nil || doc.Stats.FirstTS == "" {
		t.Errorf("stats lack evicted_flows/decode_errors/first_ts: %+v", doc.Stats)
	}
	if len(doc.Findings) == 0 || len(doc.Assets) == 0 {
		t.Fatalf("%d findings, %d assets", len(doc.Findings), len(doc.Assets))
	}
	for _, f := range doc.Findings {
		if f.ID == "" || f.Rule == "" || f.Severity == "" || len(f.Evidence) == 0 || len(f.Evidence[0].Packets) == 0 || len(f.Controls) == 0 {
			t.Errorf("incomplete finding %+v", f)
		}
		if f.Evidence[0].Capture != examplePcap {
			t.Errorf("evidence names %q", f.Evidence[0].Capture)
		}
	}
}

func TestFailOn(t *testing.T) {
	r := runCLI(t, nil, "analyze", "--site", exampleSite, "--fail-on", "high", "--out", filepath.Join(t.TempDir(), "r.txt"), examplePcap)
	if r.code != ExitFailOn || !strings.Contains(r.stderr, "--fail-on") {
		t.Errorf("exit %d, want %d; stderr %s", r.code, ExitFailOn, r.stderr)
	}
	// Without a site, the example still has prohibited LOGINK lookups
	// (high) but nothing critical.
	r = runCLI(t, nil, "analyze", "--fail-on", "critical", "--format", "json", examplePcap)
	if r.code != ExitOK {
		t.Errorf("no site, --fail-on critical: exit %d: %s", r.code, r.stderr)
	}
	r = runCLI(t, map[string]string{"HARBORWATCH_FAIL_ON": "high"}, "analyze", examplePcap)
	if r.code != ExitFailOn {
		t.Errorf("HARBORWATCH_FAIL_ON=high: exit %d", r.code)
	}
}

func TestOutAndEvents(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	evs := filepath.Join(dir, "events.jsonl")
	r := runCLI(t, nil, "analyze", examplePcap, "--site", exampleSite, "--format", "json", "--out", out, "--events", evs)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if b, err := os.ReadFile(out); err != nil || !json.Valid(b) {
		t.Fatalf("report file: %v", err)
	}
	b, err := os.ReadFile(evs)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		var ev struct {
			Proto, Op, Name, Dir, Capture string
			Packet                        int64
		}
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if ev.Packet <= 0 || ev.Capture == "" || (ev.Dir != "request" && ev.Dir != "response") {
			t.Errorf("event lacks packet/capture/dir: %s", l)
		}
		seen[ev.Proto+" "+ev.Op+" "+ev.Name] = true
	}
	for _, want := range []string{
		"dns query gateway.logink.cn",
		"tls client-hello gateway.logink.cn",
		"http request example-bad.cn",
		"tftp upload s7-1500_fw_v3.1.bin",
		"ftp upload spreader_params.cfg",
		"smb upload STS01_project.zap16",
		"rdp session vendor",
	} {
		if !seen[want] {
			t.Errorf("no event %q", want)
		}
	}
}

func TestBadCaptures(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	example, err := os.ReadFile(examplePcap)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		file   string
		code   int
		stderr string
	}{
		{"empty file", write("empty.pcap", nil), ExitUsage, "empty"},
		{"random bytes", write("random.pcap", random), ExitUsage, "not a capture"},
		{"text file", write("notes.txt", []byte("crane maintenance notes\n")), ExitUsage, "not a capture"},
		{"missing file", filepath.Join(dir, "nope.pcap"), ExitUsage, "no such file"},
		{"damaged file header", write("header.pcap", example[:10]), ExitUsage, "header.pcap: damaged at byte 0 (before the first packet): truncated file header"},
		{"bad version", write("version.pcap", append(append([]byte{}, example[:4]...), append([]byte{9, 0}, example[6:]...)...)), ExitUsage, "version.pcap: damaged at byte 0 (before the first packet): unsupported pcap version"},
		{"directory", dir, ExitUsage, "open " + dir + ": is a directory, not a capture file"},
		{"truncated capture", write("cut.pcap", example[:len(example)*2/3]), ExitOK, "damaged at byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, "analyze", "--format", "json", tt.file)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", r.code, tt.code, r.stderr, tt.stderr)
			}
			if !strings.Contains(r.stderr, filepath.Base(tt.file)) {
				t.Errorf("stderr does not name the file: %q", r.stderr)
			}
			if tt.code == ExitOK {
				var doc struct {
					Stats struct {
						Captures []struct {
							Packets      int    `json:"packets"`
							Error        string `json:"error"`
							DamageOffset int64  `json:"damage_offset"`
						} `json:"captures"`
					} `json:"stats"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
					t.Fatal(err)
				}
				c := doc.Stats.Captures[0]
				if c.Packets == 0 || c.Error == "" || c.DamageOffset <= 0 || c.DamageOffset >= int64(len(example)*2/3) {
					t.Errorf("damaged capture stats %+v", c)
				}
			}
		})
	}
}

func TestSiteCheck(t *testing.T) {
	r := runCLI(t, nil, "site", "check", exampleSite)
	if r.code != 0 || !strings.Contains(r.stdout, "ok: 11 zones, 12 conduits, 2 cranes, 30 assets") {
		t.Errorf("good site: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte(`version: 1
zones:
  - {id: a, kind: crane-control, cidr: [10.0.0.0/24]}
  - {id: b, kind: crane-contrl, cidrs: [10.0.1.0/33]}
conduits:
  - {from: a, to: c}
`), 0o644)
	r = runCLI(t, nil, "site", "check", bad)
	if r.code != ExitUsage {
		t.Errorf("bad site: exit %d", r.code)
	}
	pos := regexp.MustCompile(`bad\.yaml:(\d+):(\d+): `)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) < 5 {
		t.Fatalf("want at least 4 problems and a summary:\n%s", r.stderr)
	}
	for _, want := range []string{"bad.yaml:3:", "bad.yaml:4:", "bad.yaml:6:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("no problem at %s:\n%s", want, r.stderr)
		}
	}
	for _, l := range lines[:len(lines)-1] {
		if !pos.MatchString(l) {
			t.Errorf("problem without line:col: %q", l)
		}
	}
	// analyze with a bad site fails the same way, before reading captures.
	r = runCLI(t, nil, "analyze", "--site", bad, examplePcap)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "bad.yaml:3:") {
		t.Errorf("analyze with bad site: exit %d\n%s", r.code, r.stderr)
	}
	r = runCLI(t, nil, "site", "check")
	if r.code != ExitUsage {
		t.Errorf("site check without file: exit %d", r.code)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"256MiB": 256 << 20, "1GiB": 1 << 30, "500MB": 500e6, "4096": 4096, "64M": 64 << 20} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1MiB", "MiB", "1.5GiB"} {
		if _, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) accepted", in)
		}
	}
}

// TestCPUProfile: --cpuprofile writes a profile go tool pprof reads (a
// gzip-compressed protocol buffer).
func TestCPUProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	r := runCLI(t, nil, "analyze", "--cpuprofile", prof, "--workers", "1", examplePcap)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(prof)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("profile: %d bytes, err %v", len(b), err)
	}
	if r := runCLI(t, nil, "analyze", "--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir"), examplePcap); r.code == ExitOK {
		t.Error("an unwritable profile path is not an error")
	}
}
