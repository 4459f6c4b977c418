package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/site"
)

// TestTerminalEndToEnd analyzes the shipped example capture against the
// example site and compares the findings with the generator's ground truth:
// every deliberate violation is found, nothing else is, and the normal
// flows stay quiet — with 1 and 2 workers.
func TestTerminalEndToEnd(t *testing.T) {
	st, err := site.Load("../examples/terminal/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, v := range synth.TerminalViolations {
		want[fmt.Sprintf("%s %s>%s %s", v.Rule, v.Src, v.Dst, v.App)] = true
	}
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			srcs := openFile(t, "../examples/terminal/terminal.pcap")
			res, err := Run(context.Background(), srcs, Options{Site: st, Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			pairs := map[string]bool{}
			for _, f := range res.Findings {
				dst := ""
				if f.Dst.IP.IsValid() {
					dst = f.Dst.IP.String()
				}
				app := f.App
				if f.Rule == "segmentation.multi-homed" || f.Rule == "inventory.unknown-device" {
					app = ""
				}
				k := fmt.Sprintf("%s %s>%s %s", f.Rule, f.Src.IP, dst, app)
				if got[k] {
					t.Errorf("finding %s reported twice", k)
				}
				got[k] = true
				pairs[fmt.Sprintf("%s>%s %s", f.Src.IP, dst, app)] = true
			}
			for k := range want {
				if !got[k] {
					t.Errorf("missing finding %s", k)
				}
			}
			var extra []string
			for k := range got {
				if !want[k] {
					extra = append(extra, k)
				}
			}
			slices.Sort(extra)
			for _, k := range extra {
				t.Errorf("unexpected finding %s", k)
			}
			for _, q := range synth.TerminalQuiet {
				p := fmt.Sprintf("%s>%s %s", q.Src, q.Dst, q.App)
				if !pairs[p] {
					continue
				}
				// A quiet flow may share its endpoints and app with a
				// deliberate violation (the TOS server's DNS lookups of
				// prohibited names); anything else is a false positive.
				shared := false
				for _, v := range synth.TerminalViolations {
					if v.Src == q.Src && v.Dst == q.Dst && v.App == q.App {
						shared = true
					}
				}
				if !shared {
					t.Errorf("normal flow %s produced a finding", p)
				}
			}
		})
	}
}

// TestTerminalNormalOnly generates the terminal's normal traffic alone:
// against its own site it must produce no finding at all.
func TestTerminalNormalOnly(t *testing.T) {
	st, err := site.Load("../examples/terminal/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Terminal(w, synth.TerminalOptions{NoViolations: true, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewReader(&buf, "normal.pcap")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Packets < 1000 {
		t.Fatalf("only %d packets generated", res.Stats.Packets)
	}
	for _, f := range res.Findings {
		t.Errorf("finding on normal traffic: %s %s %s>%s %s", f.Severity, f.Rule, f.Src.IP, f.Dst.IP, f.App)
	}
}
