package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"harborwatch/capture"
	"harborwatch/internal/synth"
)

type simulateOptions struct {
	out       string
	scenarios scenarioList
	seed      int64
	format    string
	list      bool
}

// scenarioList collects repeated --scenario flags; each may also hold a
// comma-separated list.
type scenarioList []string

func (l *scenarioList) String() string { return strings.Join(*l, ",") }

func (l *scenarioList) Set(s string) error {
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			*l = append(*l, n)
		}
	}
	return nil
}

func simulateCommand() *command {
	return &command{
		name:  "simulate",
		short: "write a synthetic terminal capture with known violations and its ground truth",
		usage: "harborwatch simulate --out FILE.pcap [--scenario NAME]... [--seed N] [--format pcap|pcapng] | --list",
		long: `
Generates a minute of a small container terminal's OT traffic — crane PLC
polling (S7comm, Modbus/TCP, EtherNet/IP), camera streams, name and time
service, the terminal operating system, vendor support through the
remote-access gateway — and injects the chosen scenarios, each a known
violation of the site's rules. Use it for drills, to try harborwatch, and to
test it: the output is deterministic for a seed.

Beside FILE.pcap it writes FILE.site.yaml, the site model the capture is
judged against, and FILE.truth.json, the findings an analysis must report
("must", each with rule, src, dst, app and scenario) and those it must not
("must_not"; an entry without a rule means no finding at all on that flow).

Without --scenario the scenarios of the shipped example capture are injected
(all but plc-program-download, plc-stop and authorized-maintenance); --list
shows every scenario. --scenario may be repeated or hold a comma-separated
list. With authorized-maintenance the capture falls inside the site's weekly
change window (Monday 2026-11-02 09:00Z) instead of Tuesday 2026-11-03.

Examples:
  harborwatch simulate --out drill.pcap
  harborwatch analyze --site drill.site.yaml drill.pcap
  harborwatch simulate --out rdp.pcapng --format pcapng --scenario remote-vendor-access --seed 7
  harborwatch simulate --list`,
		run: runSimulate,
	}
}

// truth is the FILE.truth.json document.
type truth struct {
	Version   int               `json:"version"`
	Capture   string            `json:"capture"`
	Site      string            `json:"site"`
	Seed      int64             `json:"seed"`
	Scenarios []string          `json:"scenarios"`
	Must      []synth.Violation `json:"must"`
	MustNot   []synth.Violation `json:"must_not"`
}

func runSimulate(_ context.Context, e *env, args []string) error {
	c := simulateCommand()
	var o simulateOptions
	fs := newFlags(c, e)
	fs.StringVar(&o.out, "out", "", "write the capture to `FILE` (and FILE.site.yaml, FILE.truth.json beside it)")
	fs.Var(&o.scenarios, "scenario", "inject scenario `NAME` (repeatable; default: all of the example's)")
	fs.Int64Var(&o.seed, "seed", 0, "seed of all randomness (`N`; 0 gives the example capture)")
	fs.StringVar(&o.format, "format", "pcap", "capture format: pcap or pcapng")
	fs.BoolVar(&o.list, "list", false, "list the scenarios and exit")
	if helpRequested(args) {
		printHelp(e.stdout, c, fs)
		return flag.ErrHelp
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("simulate: unexpected argument %q (see 'harborwatch simulate --help')", pos[0])
	}
	if o.list {
		for _, sc := range synth.TerminalScenarios {
			mark := " "
			if sc.Example {
				mark = "*"
			}
			fmt.Fprintf(e.stdout, "%-24s %s %s\n", sc.Name, mark, sc.Short)
		}
		fmt.Fprintln(e.stdout, "(* in the default selection)")
		return nil
	}
	if o.out == "" {
		return usagef("simulate: --out FILE is required (see 'harborwatch simulate --help')")
	}
	if o.format != "pcap" && o.format != "pcapng" {
		return usagef("simulate: --format %q: want pcap or pcapng", o.format)
	}
	var names []string // nil: the example's
	if len(o.scenarios) > 0 {
		names = o.scenarios
	}
	tr, err := synth.TerminalTruth(names)
	if err != nil {
		if errors.Is(err, synth.ErrUnknownScenario) {
			return usagef("simulate: %v (see 'harborwatch simulate --list')", err)
		}
		return err
	}

	base := strings.TrimSuffix(o.out, filepath.Ext(o.out))
	sitePath, truthPath := base+".site.yaml", base+".truth.json"
	opts := synth.TerminalOptions{Seed: o.seed, Scenarios: names}
	if err := writeFile(o.out, func(w io.Writer) error { return writeTerminal(w, o.format, opts) }); err != nil {
		return err
	}
	if err := os.WriteFile(sitePath, synth.TerminalSite, 0o644); err != nil {
		return err
	}
	doc := truth{
		Version: 1, Capture: filepath.Base(o.out), Site: filepath.Base(sitePath), Seed: o.seed,
		Scenarios: tr.Scenarios, Must: tr.Must, MustNot: tr.MustNot,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(truthPath, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "harborwatch: wrote %s, %s and %s (%d scenario(s), %d expected finding(s))\n",
		o.out, sitePath, truthPath, len(doc.Scenarios), len(doc.Must))
	return nil
}

// ngWriter adapts a one-interface pcapng writer to synth.PacketWriter.
type ngWriter struct {
	w  *capture.PcapNGWriter
	id int
}

func (n ngWriter) WritePacket(ts int64, data []byte, origLen int) error {
	return n.w.WritePacket(n.id, ts, data, origLen)
}

// writeTerminal writes the Terminal capture to w as pcap (microseconds,
// as the example) or pcapng.
func writeTerminal(w io.Writer, format string, opts synth.TerminalOptions) error {
	if format == "pcapng" {
		nw := capture.NewPcapNGWriter(w)
		id, err := nw.AddInterface(capture.LinkEthernet, 0, 6)
		if err != nil {
			return err
		}
		if err := synth.Terminal(ngWriter{nw, id}, opts); err != nil {
			return err
		}
		return nw.Flush()
	}
	pw, err := capture.NewPcapWriter(w, capture.LinkEthernet, 0, false)
	if err != nil {
		return err
	}
	if err := synth.Terminal(pw, opts); err != nil {
		return err
	}
	return pw.Flush()
}

// writeFile creates path and writes it with fn.
func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
