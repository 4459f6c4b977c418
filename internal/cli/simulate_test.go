package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"harborwatch/capture"
	"harborwatch/internal/synth"
)

func TestSimulateUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"help", []string{"simulate", "--help"}, ExitOK, []string{"Usage: harborwatch simulate", "--scenario", "--seed", "truth.json", "Examples:"}, ""},
		{"listed in main help", []string{"--help"}, ExitOK, []string{"simulate"}, ""},
		{"no --out", []string{"simulate"}, ExitUsage, nil, "--out FILE is required"},
		{"bad format", []string{"simulate", "--out", filepath.Join(dir, "a.pcap"), "--format", "erf"}, ExitUsage, nil, `--format "erf"`},
		{"unknown scenario", []string{"simulate", "--out", filepath.Join(dir, "b.pcap"), "--scenario", "crane-egress,alien-invasion"}, ExitUsage, nil, `unknown scenario "alien-invasion"`},
		{"positional argument", []string{"simulate", "--out", filepath.Join(dir, "c.pcap"), "extra"}, ExitUsage, nil, `unexpected argument "extra"`},
		{"bad seed", []string{"simulate", "--out", filepath.Join(dir, "d.pcap"), "--seed", "x"}, ExitUsage, nil, "invalid value"},
		{"unwritable", []string{"simulate", "--out", filepath.Join(dir, "no", "such", "e.pcap")}, ExitFailure, nil, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", r.code, tt.code, r.stderr, tt.stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
		})
	}
	for _, f := range []string{"a", "b", "c", "d"} {
		if _, err := os.Stat(filepath.Join(dir, f+".pcap")); err == nil {
			t.Errorf("%s.pcap written despite bad usage", f)
		}
	}
}

func TestSimulateList(t *testing.T) {
	r := runCLI(t, nil, "simulate", "--list")
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != len(synth.TerminalScenarios)+1 {
		t.Fatalf("%d lines for %d scenarios:\n%s", len(lines), len(synth.TerminalScenarios), r.stdout)
	}
	for i, sc := range synth.TerminalScenarios {
		f := strings.Fields(lines[i])
		if len(f) < 2 || f[0] != sc.Name || !strings.HasSuffix(lines[i], sc.Short) || (f[1] == "*") != sc.Example {
			t.Errorf("line %d = %q, want %s, its mark and its description", i, lines[i], sc.Name)
		}
	}
	if !strings.Contains(r.stdout, "remote-vendor-access") || !strings.Contains(r.stdout, "camera-on-control") {
		t.Errorf("list lacks scenarios:\n%s", r.stdout)
	}
}

// simulated is what one simulate run wrote.
type simulated struct {
	pcap, site string
	truth      truth
}

func simulate(t *testing.T, name string, args ...string) simulated {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	r := runCLI(t, nil, append([]string{"simulate", "--out", out}, args...)...)
	if r.code != ExitOK || r.stdout != "" || !strings.Contains(r.stderr, "wrote "+out) {
		t.Fatalf("simulate %v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
	}
	base := strings.TrimSuffix(out, filepath.Ext(out))
	s := simulated{pcap: out, site: base + ".site.yaml"}
	b, err := os.ReadFile(base + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s.truth); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSimulateFiles(t *testing.T) {
	t.Run("default is the example", func(t *testing.T) {
		s := simulate(t, "drill.pcap")
		for _, c := range []struct{ got, want string }{{s.pcap, examplePcap}, {s.site, exampleSite}} {
			got, err := os.ReadFile(c.got)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(c.want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s", filepath.Base(c.got), c.want)
			}
		}
		tr := s.truth
		if tr.Version != 1 || tr.Capture != "drill.pcap" || tr.Site != "drill.site.yaml" || tr.Seed != 0 {
			t.Errorf("truth header %+v", tr)
		}
		if !slices.Equal(tr.Must, synth.TerminalViolations) {
			t.Errorf("must = %+v, want TerminalViolations", tr.Must)
		}
		want, err := synth.TerminalTruth(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tr.Scenarios, want.Scenarios) || len(tr.Scenarios) != 8 || !slices.Equal(tr.MustNot, want.MustNot) {
			t.Errorf("scenarios %v, must_not %+v", tr.Scenarios, tr.MustNot)
		}
		for _, v := range tr.MustNot {
			if v.Rule != "" && !slices.Contains([]string{"plc-program-download", "plc-stop", "authorized-maintenance"}, v.Scenario) {
				t.Errorf("must_not entry %+v of a selected scenario", v)
			}
			if v.Src == "10.50.1.10" && v.Dst == "10.40.0.53" {
				t.Errorf("must_not lists the TOS name service, which carries the LOGINK lookups")
			}
		}
	})
	t.Run("one scenario, pcapng, seed", func(t *testing.T) {
		s := simulate(t, "egress.pcapng", "--format", "pcapng", "--scenario", "crane-egress", "--seed", "7")
		tr := s.truth
		want := []synth.Violation{{Rule: "egress.external", Src: "10.10.11.5", Dst: "198.51.100.23", App: "https", Scenario: "crane-egress"}}
		if !slices.Equal(tr.Must, want) || !slices.Equal(tr.Scenarios, []string{"crane-egress"}) || tr.Seed != 7 {
			t.Errorf("truth %+v", tr)
		}
		// The other scenarios' findings must not appear.
		wantTruth, err := synth.TerminalTruth([]string{"crane-egress"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tr.MustNot, wantTruth.MustNot) || slices.ContainsFunc(tr.MustNot, func(v synth.Violation) bool { return v.Scenario == "crane-egress" }) {
			t.Errorf("must_not %+v", tr.MustNot)
		}
		b, err := os.ReadFile(s.pcap)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
			t.Errorf("no pcapng section header: % x", b[:min(8, len(b))])
		}
		src, err := capture.Open(s.pcap)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		var p capture.Packet
		pkts := 0
		for src.Next(&p) == nil {
			pkts++
		}
		if pkts < 1000 {
			t.Errorf("%d packets read back", pkts)
		}
	})
	t.Run("repeated and comma-separated scenarios", func(t *testing.T) {
		s := simulate(t, "two.pcap", "--scenario", "camera-on-control", "--scenario", "unknown-device,camera-on-control")
		if !slices.Equal(s.truth.Scenarios, []string{"unknown-device", "camera-on-control"}) || len(s.truth.Must) != 2 {
			t.Errorf("truth %+v", s.truth)
		}
	})
	t.Run("deterministic for a seed", func(t *testing.T) {
		a := simulate(t, "a.pcap", "--seed", "3", "--scenario", "logink-lookup")
		b := simulate(t, "b.pcap", "--seed", "3", "--scenario", "logink-lookup")
		c := simulate(t, "c.pcap", "--seed", "4", "--scenario", "logink-lookup")
		ab, _ := os.ReadFile(a.pcap)
		bb, _ := os.ReadFile(b.pcap)
		cb, _ := os.ReadFile(c.pcap)
		if len(ab) == 0 || !bytes.Equal(ab, bb) || bytes.Equal(ab, cb) {
			t.Errorf("seed 3 twice equal: %v; seed 3 vs 4 equal: %v", bytes.Equal(ab, bb), bytes.Equal(ab, cb))
		}
	})
}

// TestScenarioEndToEnd simulates each scenario alone, analyzes the capture
// against the site written beside it and compares the findings with the
// truth file: every "must" finding, no other finding, nothing on a
// "must_not" flow.
func TestScenarioEndToEnd(t *testing.T) {
	for _, sc := range synth.TerminalScenarios {
		t.Run(sc.Name, func(t *testing.T) {
			s := simulate(t, sc.Name+".pcap", "--scenario", sc.Name)
			if len(s.truth.Must)+len(s.truth.MustNot) == 0 {
				t.Fatal("empty truth")
			}
			evs := filepath.Join(t.TempDir(), "events.jsonl")
			r := runCLI(t, nil, "analyze", "--site", s.site, "--format", "json", "--workers", "1", "--events", evs, s.pcap)
			if r.code != ExitOK {
				t.Fatalf("analyze: exit %d: %s", r.code, r.stderr)
			}
			var doc struct {
				Findings []struct {
					Rule string `json:"rule"`
					Src  struct {
						IP string `json:"ip"`
					} `json:"src"`
					Dst struct {
						IP string `json:"ip"`
					} `json:"dst"`
					App string `json:"app"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			key := func(rule, src, dst, app string) string { return fmt.Sprintf("%s %s>%s %s", rule, src, dst, app) }
			got, flows := map[string]bool{}, map[string]bool{}
			for _, f := range doc.Findings {
				app := f.App
				if f.Rule == "segmentation.multi-homed" || f.Rule == "inventory.unknown-device" {
					app = ""
				}
				k := key(f.Rule, f.Src.IP, f.Dst.IP, app)
				if got[k] {
					t.Errorf("finding %s reported twice", k)
				}
				got[k] = true
				flows[key("", f.Src.IP, f.Dst.IP, app)] = true
			}
			want := map[string]bool{}
			for _, v := range s.truth.Must {
				want[key(v.Rule, v.Src, v.Dst, v.App)] = true
			}
			for k := range want {
				if !got[k] {
					t.Errorf("missing finding %s", k)
				}
			}
			for k := range got {
				if !want[k] {
					t.Errorf("unexpected finding %s", k)
				}
			}
			// A negative scenario proves something only if its traffic is
			// there: the download is seen, and judged allowed.
			if sc.Name == "authorized-maintenance" {
				b, err := os.ReadFile(evs)
				if err != nil {
					t.Fatal(err)
				}
				seen := false
				for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
					var ev struct{ Src, Dst, Op, Name, Dir string }
					if err := json.Unmarshal(l, &ev); err != nil {
						t.Fatalf("event %s: %v", l, err)
					}
					if ev.Src == "10.10.9.20" && ev.Dst == "10.10.1.5" && ev.Op == "program-download" && ev.Name == "PI-Service _INSE" && ev.Dir == "request" {
						seen = true
					}
				}
				if !seen {
					t.Error("no _INSE request from ews01 to sts01-plc1 among the events")
				}
			}
			for _, v := range s.truth.MustNot {
				if v.Rule == "" && flows[key("", v.Src, v.Dst, v.App)] {
					t.Errorf("normal flow %s>%s %s produced a finding", v.Src, v.Dst, v.App)
				}
				if k := key(v.Rule, v.Src, v.Dst, v.App); v.Rule != "" && got[k] {
					t.Errorf("forbidden finding %s", k)
				}
			}
		})
	}
}
