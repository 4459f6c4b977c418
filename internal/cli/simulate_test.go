package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/declared"
	"harborwatch/finding"
	"harborwatch/internal/synth"
	"harborwatch/site"
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
		{"help", []string{"simulate", "--help"}, ExitOK, []string{"Usage: harborwatch simulate", "--scenario", "--seed", "--cranes N",
			"--duration D", "--rate PPS", "truth.json", "inventory.csv", "--cranes 2", "Examples:"}, ""},
		{"listed in main help", []string{"--help"}, ExitOK, []string{"simulate"}, ""},
		{"no --out", []string{"simulate"}, ExitUsage, nil, "--out FILE is required"},
		{"bad format", []string{"simulate", "--out", filepath.Join(dir, "a.pcap"), "--format", "erf"}, ExitUsage, nil, `--format "erf"`},
		{"unknown scenario", []string{"simulate", "--out", filepath.Join(dir, "b.pcap"), "--scenario", "crane-egress,alien-invasion"}, ExitUsage, nil, `unknown scenario "alien-invasion"`},
		{"positional argument", []string{"simulate", "--out", filepath.Join(dir, "c.pcap"), "extra"}, ExitUsage, nil, `unexpected argument "extra"`},
		{"bad seed", []string{"simulate", "--out", filepath.Join(dir, "d.pcap"), "--seed", "x"}, ExitUsage, nil, "invalid value"},
		{"unwritable", []string{"simulate", "--out", filepath.Join(dir, "no", "such", "e.pcap")}, ExitUsage, nil, "--out " + filepath.Join(dir, "no", "such", "e.pcap") + ": directory " + filepath.Join(dir, "no", "such") + " does not exist"},
		{"one crane", []string{"simulate", "--out", filepath.Join(dir, "f.pcap"), "--cranes", "1"}, ExitUsage, nil, "--cranes 1: want 2 to 24"},
		{"too many cranes", []string{"simulate", "--out", filepath.Join(dir, "g.pcap"), "--cranes", "25"}, ExitUsage, nil, "--cranes 25"},
		{"short with scenarios", []string{"simulate", "--out", filepath.Join(dir, "h.pcap"), "--duration", "30s"}, ExitUsage, nil, "duration 30s is shorter than the scenarios' 1m0s"},
		{"bad duration", []string{"simulate", "--out", filepath.Join(dir, "i.pcap"), "--duration", "soon"}, ExitUsage, nil, "invalid value"},
		{"negative rate", []string{"simulate", "--out", filepath.Join(dir, "j.pcap"), "--rate", "-5"}, ExitUsage, nil, "rate -5"},
		{"rate too high", []string{"simulate", "--out", filepath.Join(dir, "k.pcap"), "--rate", "2000000"}, ExitUsage, nil, "want 0 to 1000000"},
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
	for _, f := range []string{"a", "b", "c", "d", "f", "g", "h", "i", "j", "k"} {
		for _, ext := range []string{".pcap", ".site.yaml", ".truth.json", ".inventory.csv"} {
			if _, err := os.Stat(filepath.Join(dir, f+ext)); err == nil {
				t.Errorf("%s%s written despite bad usage", f, ext)
			}
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
	pcap, site, inventory string
	truth                 truth
	stderr                string
}

func simulate(t *testing.T, name string, args ...string) simulated {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	r := runCLI(t, nil, append([]string{"simulate", "--out", out}, args...)...)
	if r.code != ExitOK || r.stdout != "" || !strings.Contains(r.stderr, "wrote "+out) {
		t.Fatalf("simulate %v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
	}
	base := strings.TrimSuffix(out, filepath.Ext(out))
	s := simulated{pcap: out, site: base + ".site.yaml", inventory: base + ".inventory.csv", stderr: r.stderr}
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
	t.Run("two cranes is the example", func(t *testing.T) {
		s := simulate(t, "drill.pcap", "--cranes", "2")
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
		if tr.Version != 1 || tr.Capture != "drill.pcap" || tr.Site != "drill.site.yaml" || tr.Inventory != "drill.inventory.csv" ||
			tr.Seed != 0 || tr.Cranes != 2 || tr.Duration != "1m0s" || tr.Rate != 0 {
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
			if v.Rule != "" && !slices.Contains([]string{"plc-program-download", "plc-stop", "authorized-maintenance", "program-integrity", "remote-program-update",
				"bms-hvac-override", "opcua-crane-write", "substation-telecontrol"}, v.Scenario) {
				t.Errorf("must_not entry %+v of a selected scenario", v)
			}
			if v.Src == "10.50.1.10" && v.Dst == "10.40.0.53" {
				t.Errorf("must_not lists the TOS name service, which carries the LOGINK lookups")
			}
		}
	})
	t.Run("default: four cranes, stats, inventory", func(t *testing.T) {
		s := simulate(t, "four.pcap")
		if s.truth.Cranes != 4 || !regexp.MustCompile(`: [0-9,]+ packets, [0-9.]+ MB, [0-9,]+ flows in [0-9.]+ s \(4 cranes, 8 scenarios, 21 expected findings\)`).MatchString(s.stderr) {
			t.Errorf("truth %+v, stderr %q", s.truth, s.stderr)
		}
		st, err := site.Load(s.site)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Cranes) != 4 || len(st.Assets) != 50 {
			t.Errorf("site: %d cranes, %d assets", len(st.Cranes), len(st.Assets))
		}
		b, err := os.ReadFile(s.inventory)
		if err != nil {
			t.Fatal(err)
		}
		header, _, _ := strings.Cut(string(b), "\n")
		if header != "id,name,ip,mac,kind,vendor,model,supplier,origin,crane,zone,criticality,serial,firmware,notes" {
			t.Errorf("inventory header %q", header)
		}
		inv := declared.ReadCSV(s.inventory, bytes.NewReader(b))
		if len(inv.Problems) != 0 || len(inv.Assets) != len(st.Assets) {
			t.Fatalf("inventory: %d assets, problems %v", len(inv.Assets), inv.Problems)
		}
		for i, a := range inv.Assets {
			sa := st.Assets[i]
			if a.ID != sa.ID || !slices.Equal(a.IPs, sa.IPs) || !slices.Equal(a.MACs, sa.MACs) || a.Vendor != sa.Vendor ||
				a.Supplier != sa.Supplier || a.Crane != sa.Crane {
				t.Errorf("inventory row %d %+v, site asset %+v", i, a, sa)
			}
		}
	})
	t.Run("duration and rate", func(t *testing.T) {
		s := simulate(t, "load.pcap", "--cranes", "3", "--duration", "90s", "--rate", "2000", "--scenario", "crane-egress")
		if s.truth.Duration != "1m30s" || s.truth.Rate != 2000 || s.truth.Cranes != 3 {
			t.Errorf("truth header %+v", s.truth)
		}
		src, err := capture.Open(s.pcap)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		var p capture.Packet
		var n int
		var first, last int64
		for src.Next(&p) == nil {
			if n == 0 {
				first = p.TS
			}
			last = p.TS
			n++
		}
		if n < 175_000 || n > 185_000 || last-first < 89e9 {
			t.Errorf("%d packets over %v, want 180,000 over 90 s", n, time.Duration(last-first))
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
		s := simulate(t, "two.pcap", "--scenario", "camera-on-control-vlan", "--scenario", "unknown-device,camera-on-control-vlan")
		if !slices.Equal(s.truth.Scenarios, []string{"unknown-device", "camera-on-control-vlan"}) || len(s.truth.Must) != 4 {
			t.Errorf("truth %+v", s.truth)
		}
	})
	t.Run("deterministic for a seed", func(t *testing.T) {
		a := simulate(t, "a.pcap", "--seed", "3", "--scenario", "logink-lookup", "--rate", "500")
		b := simulate(t, "b.pcap", "--seed", "3", "--scenario", "logink-lookup", "--rate", "500")
		c := simulate(t, "c.pcap", "--seed", "4", "--scenario", "logink-lookup", "--rate", "500")
		ab, _ := os.ReadFile(a.pcap)
		bb, _ := os.ReadFile(b.pcap)
		cb, _ := os.ReadFile(c.pcap)
		if len(ab) == 0 || !bytes.Equal(ab, bb) || bytes.Equal(ab, cb) {
			t.Errorf("seed 3 twice equal: %v; seed 3 vs 4 equal: %v", bytes.Equal(ab, bb), bytes.Equal(ab, cb))
		}
	})
}

// compareTruth checks the findings of a JSON report against a truth file
// (finding.Check): every "must" finding, no other finding, none twice,
// nothing on a "must_not" flow.
func compareTruth(t *testing.T, report []byte, tr truth) {
	t.Helper()
	var doc struct {
		Findings []finding.Finding `json:"findings"`
	}
	if err := json.Unmarshal(report, &doc); err != nil {
		t.Fatal(err)
	}
	m := finding.Check(doc.Findings, synth.Expects(tr.Must), synth.Expects(tr.MustNot))
	for _, p := range m.Problems() {
		t.Error(p)
	}
}

// TestScenarioEndToEnd simulates each scenario alone on terminals of two
// and four cranes, analyzes the capture against the site written beside
// it and compares the findings with the truth file: every "must" finding,
// no other finding, nothing on a "must_not" flow.
func TestScenarioEndToEnd(t *testing.T) {
	for _, cranes := range []string{"2", "4"} {
		for _, sc := range synth.TerminalScenarios {
			t.Run(sc.Name+"/cranes="+cranes, func(t *testing.T) {
				s := simulate(t, sc.Name+".pcap", "--scenario", sc.Name, "--cranes", cranes)
				if len(s.truth.Must)+len(s.truth.MustNot) == 0 {
					t.Fatal("empty truth")
				}
				evs := filepath.Join(t.TempDir(), "events.jsonl")
				r := runCLI(t, nil, "analyze", "--site", s.site, "--format", "json", "--workers", "1", "--events", evs, s.pcap)
				if r.code != ExitOK {
					t.Fatalf("analyze: exit %d: %s", r.code, r.stderr)
				}
				compareTruth(t, []byte(r.stdout), s.truth)
				// A negative scenario proves something only if its traffic
				// is there: the download is seen, and judged allowed.
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
			})
		}
	}
}

func TestSimulateCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	file := filepath.Join(t.TempDir(), "big.pcap")
	code := run(ctx, e, []string{"simulate", "--out", file, "--duration", "10h", "--rate", "100000"})
	if code != ExitFailure || !strings.Contains(errb.String(), "context canceled") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	// A cancelled generation leaves no file, not even a temporary one
	// (see outputs).
	if ents, err := os.ReadDir(filepath.Dir(file)); err != nil || len(ents) != 0 {
		t.Errorf("files after cancel: %v, %v", ents, err)
	}
}

func TestSimulateProgress(t *testing.T) {
	var errb syncBuffer
	e := &env{stderr: &errb, stderrTTY: true}
	var packets, bytes atomic.Int64
	packets.Store(1_500_000)
	bytes.Store(300e6)
	stop := simulateProgress(e, &packets, &bytes, 0)
	time.Sleep(1200 * time.Millisecond)
	stop()
	s := errb.String()
	if !strings.Contains(s, "\r\033[Ksimulating: 1500000 packets, 300.0 MB, ") || !strings.HasSuffix(s, "\r\033[K") {
		t.Errorf("progress %q", s)
	}
	// Not on a pipe.
	var quiet syncBuffer
	stop = simulateProgress(&env{stderr: &quiet}, &packets, &bytes, 0)
	time.Sleep(600 * time.Millisecond)
	stop()
	if quiet.String() != "" {
		t.Errorf("progress on a pipe: %q", quiet.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the progress goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
