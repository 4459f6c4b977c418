package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"harborwatch/analysis"
	"harborwatch/finding"
	"harborwatch/internal/synth"
	"harborwatch/internal/textsafe"
	"harborwatch/report"
	"harborwatch/site"
)

type demoOptions struct {
	keep   string
	format string
	serve  bool
	addr   string
}

func demoCommand() *command {
	return &command{
		name:  "demo",
		short: "simulate a terminal with every scenario, analyze it and show the report",
		usage: "harborwatch demo [--keep DIR] [--format text|json] [--serve [--addr HOST:PORT]] [--log-level LEVEL] [--log-format text|json]",
		long: `
Runs the whole path on a simulated container terminal: it generates a minute
of the OT traffic of four ship-to-shore cranes with every scenario injected
(remote vendor access, a multi-homed host, crane egress, firmware over TFTP,
insecure file transfers, LOGINK lookups, an unknown device, a Hikvision
camera on a crane-control VLAN, a program download and a PLC stop from the
wrong places, an authorized maintenance inside the change window, which
must cause no finding, a program upload and changed block download in the
window, and a block download from the remote-access gateway), analyzes it against the site model generated with it
exactly as 'harborwatch analyze --site' does, and prints the report.

It then compares the findings with the generator's ground truth and says
whether every expected finding was reported and nothing else: exit 0 when
so, 1 when not.

The files (capture, site model, inventory, truth, JSON report) are written
to a temporary folder removed at the end — so the evidence paths of the
report point into a folder that is gone once the demo ends — or to DIR with
--keep, kept, with the command to analyze them again.

With --serve it then loads the terminal (its site model and capture) into a
temporary data directory and serves the web console on loopback, printing
its address and a one-time login, until Ctrl-C.

Examples:
  harborwatch demo
  harborwatch demo --serve
  harborwatch demo --keep demo
  harborwatch demo --format json > report.json`,
		run: runDemo,
	}
}

// demoCranes is the size of the demo terminal.
const demoCranes = 4

// demoFlowMemory is analyze's default --flow-memory, 256MiB.
const demoFlowMemory = 256 << 20

func runDemo(ctx context.Context, e *env, args []string) error {
	c := demoCommand()
	var o demoOptions
	fs := newFlags(c, e)
	fs.StringVar(&o.keep, "keep", "", "write the files to `DIR` and keep them (default: a temporary folder, removed)")
	fs.StringVar(&o.format, "format", "text", "report `FORMAT`: text or json")
	fs.BoolVar(&o.serve, "serve", false, "then serve the terminal in the web console on loopback until Ctrl-C")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "with --serve: listen on `HOST:PORT` (loopback only; a busy port → any free one)")
	logOpts := logFlags(fs, e)
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if err := logOpts.start(e, fs, "demo"); err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("demo: unexpected argument %q (see 'harborwatch demo --help')", pos[0])
	}
	if o.format != "text" && o.format != "json" {
		return usagef("demo: --format %q: want text or json", o.format)
	}
	dir := o.keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "harborwatch-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		fmt.Fprintf(e.stderr, "harborwatch demo: the files (and the evidence the report points to) are in %s, deleted on exit; --keep DIR keeps them\n", textsafe.String(dir))
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	var all []string
	for _, sc := range synth.TerminalScenarios {
		all = append(all, sc.Name)
	}
	fmt.Fprintf(e.stderr, "harborwatch demo: simulating a terminal of %s with %s…\n", nouns(demoCranes, "crane", "cranes"), nouns(len(all), "scenario", "scenarios"))
	outs := newOutputs(e, "demo")
	defer outs.abort()
	sim, err := simulateFiles(ctx, e, outs, filepath.Join(dir, "terminal.pcap"), "pcap", synth.TerminalOptions{Cranes: demoCranes, Scenarios: all})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "harborwatch demo: %s of %s; analyzing…\n", nouns(sim.stats.Packets, "packet", "packets"), sim.truth.Duration)

	// The analysis is harborwatch analyze's (package analysis, with
	// analyze's defaults and log records; no HARBORWATCH_* variable turns
	// the demo's findings into an exit code), run once: its JSON document
	// is kept beside the capture and compared with the truth, and the
	// report is shown in the format asked for.
	st, err := site.Load(sim.site)
	if err != nil {
		return siteProblems(e, err)
	}
	an := &env{stdout: e.stdout, stderr: e.stderr, getenv: func(string) string { return "" }, stderrTTY: e.stderrTTY, log: logOpts.logger("analyze")}
	res, err := analyzeFiles(ctx, an, []string{sim.capture}, analysis.Options{Site: st, FlowMemory: demoFlowMemory}, nil)
	if err != nil {
		return err
	}
	logReport(an, res.Document)
	reportPath := filepath.Join(dir, "terminal.report.json")
	var doc bytes.Buffer
	if err := report.JSON(&doc, res.Document); err != nil {
		return err
	}
	rep, err := outs.create("", reportPath)
	if err != nil {
		return err
	}
	if err := writeOut(rep, func(w io.Writer) error { _, err := w.Write(doc.Bytes()); return err }); err != nil {
		return err
	}
	closing := e.stdout
	if o.format == "json" {
		if _, err := e.stdout.Write(doc.Bytes()); err != nil {
			return err
		}
		closing = e.stderr
	} else if err := writeOut(outs.stdout(), func(w io.Writer) error { return report.Text(w, res.Document) }); err != nil {
		return err
	}

	chk, err := checkDemo(doc.Bytes(), sim.truth)
	if err != nil {
		return err
	}
	fmt.Fprintf(closing, "\nGround truth: %s expected, %d reported", nouns(chk.Expected, "finding", "findings"), chk.Expected-len(chk.Missing))
	if len(chk.Missing)+len(chk.Unexpected) == 0 {
		fmt.Fprint(closing, ", nothing else")
	}
	fmt.Fprintln(closing, ".")
	for _, k := range chk.Missing {
		fmt.Fprintf(closing, "  missing:    %s\n", textsafe.String(k.String()))
	}
	for _, k := range chk.Unexpected {
		fmt.Fprintf(closing, "  unexpected: %s\n", textsafe.String(k.String()))
	}
	if chk.maintenance != "" {
		fmt.Fprintf(closing, "Authorized maintenance: %s\n", textsafe.String(chk.maintenance))
	}
	if o.keep != "" {
		fmt.Fprintf(closing, "Files: %s (capture), %s, %s, %s, %s\nAnalyze again: harborwatch analyze --site %s %s\n",
			textsafe.String(sim.capture), textsafe.String(sim.site), textsafe.String(sim.inventory), textsafe.String(sim.truthFile),
			textsafe.String(reportPath), textsafe.String(sim.site), textsafe.String(sim.capture))
	} else {
		fmt.Fprint(closing, "Files: written to a temporary folder, now removed; keep them with 'harborwatch demo --keep DIR'.\n"+
			"Analyze again: harborwatch analyze --site DIR/terminal.site.yaml DIR/terminal.pcap\n")
	}
	var differs error
	if len(chk.Missing)+len(chk.Unexpected) > 0 {
		differs = fmt.Errorf("demo: the analysis differs from the ground truth (%d missing, %d unexpected)", len(chk.Missing), len(chk.Unexpected))
	}
	if o.serve {
		if err := demoServe(ctx, e, dir, sim.site, sim.capture, o.addr, logOpts.logger("serve")); err != nil {
			return err
		}
	}
	return differs
}

// demoCheck is the comparison of a JSON report with the truth.
type demoCheck struct {
	finding.Match
	maintenance string // what became of the authorized maintenance
}

// checkDemo compares the findings of a JSON report with the truth (see
// finding.Check).
func checkDemo(report []byte, tr truth) (demoCheck, error) {
	var doc struct {
		Findings []finding.Finding `json:"findings"`
	}
	if err := json.NewDecoder(bytes.NewReader(report)).Decode(&doc); err != nil {
		return demoCheck{}, fmt.Errorf("demo: read the report: %w", err)
	}
	c := demoCheck{Match: finding.Check(doc.Findings, synth.Expects(tr.Must), synth.Expects(tr.MustNot))}
	for _, v := range tr.MustNot {
		if v.Scenario == "authorized-maintenance" && slices.Contains(tr.Scenarios, v.Scenario) {
			if slices.Contains(c.Forbidden, v.Expect()) {
				c.maintenance = "reported, though the change window allows it"
				break
			}
			c.maintenance = fmt.Sprintf("program download from %s to %s inside the change window: no finding, as it should be", v.Src, v.Dst)
		}
	}
	return c, nil
}
