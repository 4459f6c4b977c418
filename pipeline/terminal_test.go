package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/inventory"
	"harborwatch/site"
)

// checkTruth compares the findings of res with the ground truth
// (finding.Check): every "must" finding present, no other finding, none
// twice, no "must not" finding, and no finding at all on a normal flow
// that no expected finding shares.
func checkTruth(t *testing.T, st *site.Site, res *Result, tr synth.Truth) {
	t.Helper()
	// The inventory's reconciliation findings (supplier.not-isolated…)
	// join detection's, as in a report.
	inv := inventory.Build(inventory.Options{Site: st, Observed: res.Observation})
	m := tr.Check(slices.Concat(res.Findings, inv.Findings))
	for _, p := range m.Problems() {
		t.Error(p)
	}
}

// terminalCapture generates a terminal capture in memory, and the site
// model generated with it.
func terminalCapture(t *testing.T, opts synth.TerminalOptions) (*site.Site, []byte) {
	t.Helper()
	y, err := synth.TerminalSiteYAML(opts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := site.Parse("site.yaml", y)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Terminal(w, opts); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return st, buf.Bytes()
}

// runBytes analyzes a capture held in memory.
func runBytes(t testing.TB, data []byte, name string, opts Options) *Result {
	t.Helper()
	src, err := capture.NewReader(bytes.NewReader(data), name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []capture.Source{src}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// analyzeTerminal generates a terminal capture in memory and analyzes it
// against the site model generated with it.
func analyzeTerminal(t *testing.T, opts synth.TerminalOptions, workers int) (*site.Site, *Result) {
	t.Helper()
	st, data := terminalCapture(t, opts)
	res := runBytes(t, data, "terminal.pcap", Options{Site: st, Workers: workers})
	if res.Stats.Packets < 5000 || res.Stats.EvictedFlows != 0 || len(res.Stats.DecodeErrors) != 0 {
		t.Fatalf("%d packets, %d evicted flows, decode errors %v", res.Stats.Packets, res.Stats.EvictedFlows, res.Stats.DecodeErrors)
	}
	return st, res
}

// TestTerminalEndToEnd analyzes the shipped example capture against the
// example site and compares the findings with the generator's ground truth:
// every deliberate violation is found, nothing else is, and the normal
// flows stay quiet — with 1 and 2 workers.
func TestTerminalEndToEnd(t *testing.T) {
	st, err := site.Load("../examples/terminal/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := synth.TerminalTruth(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			srcs := openFile(t, "../examples/terminal/terminal.pcap")
			res, err := Run(context.Background(), srcs, Options{Site: st, Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			checkTruth(t, st, res, tr)
		})
	}
}

// TestTerminalScenarios generates each scenario alone, on terminals of two
// and four cranes, analyzes the capture against the generated site and
// compares the findings with the scenario's truth: no finding missing, none
// extra, none forbidden — the authorized maintenance among them, whose
// truth is the absence of findings.
func TestTerminalScenarios(t *testing.T) {
	for _, cranes := range []int{2, 4} {
		for _, sc := range synth.TerminalScenarios {
			t.Run(fmt.Sprintf("%s/cranes=%d", sc.Name, cranes), func(t *testing.T) {
				t.Parallel()
				tr, err := synth.TerminalTruth([]string{sc.Name})
				if err != nil {
					t.Fatal(err)
				}
				st, res := analyzeTerminal(t, synth.TerminalOptions{Cranes: cranes, Scenarios: []string{sc.Name}, Seed: int64(cranes)}, 2)
				checkTruth(t, st, res, tr)
			})
		}
	}
}

// TestTerminalBackground adds background load to every scenario that fits
// in one capture: the load must not change the findings.
func TestTerminalBackground(t *testing.T) {
	var all []string
	for _, sc := range synth.TerminalScenarios {
		all = append(all, sc.Name)
	}
	tr, err := synth.TerminalTruth(all)
	if err != nil {
		t.Fatal(err)
	}
	opts := synth.TerminalOptions{Cranes: 4, Scenarios: all, Rate: 3000, Duration: 90 * time.Second, Seed: 11}
	st, res := analyzeTerminal(t, opts, 2)
	if res.Stats.Packets < 250_000 {
		t.Errorf("%d packets, want about 270,000 (3000/s for 90 s)", res.Stats.Packets)
	}
	checkTruth(t, st, res, tr)
}

// TestTerminalNormalOnly generates the terminal's normal traffic alone:
// against its own site it must produce no finding at all.
func TestTerminalNormalOnly(t *testing.T) {
	for _, cranes := range []int{2, 5} {
		t.Run(fmt.Sprintf("cranes=%d", cranes), func(t *testing.T) {
			_, res := analyzeTerminal(t, synth.TerminalOptions{NoViolations: true, Seed: 7, Cranes: cranes, Rate: 500}, 2)
			for _, f := range res.Findings {
				t.Errorf("finding on normal traffic: %s %s %s>%s %s", f.Severity, f.Rule, f.Src.IP, f.Dst.IP, f.App)
			}
		})
	}
}
