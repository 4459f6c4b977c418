package cli

import (
	"bufio"
	"context"

	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"harborwatch/capture"
	"harborwatch/declared"
	"harborwatch/internal/synth"
	"harborwatch/report"
	"harborwatch/site"
)

type simulateOptions struct {
	out       string
	scenarios listFlag
	seed      int64
	format    string
	list      bool
	cranes    int
	duration  time.Duration
	rate      int
}

// defaultCranes is the terminal simulate writes without --cranes.
const defaultCranes = 4

func simulateCommand() *command {
	return &command{
		name:  "simulate",
		short: "write a synthetic terminal capture with known violations and its ground truth",
		usage: "harborwatch simulate --out FILE.pcap [--scenario NAME]... [--cranes N] [--duration D] [--rate PPS] [--seed N] [--format pcap|pcapng] [--log-level LEVEL] [--log-format text|json] | --list",
		long: `
Generates the OT traffic of a container terminal of N ship-to-shore cranes —
each with its control network (main PLC speaking S7comm on odd cranes,
EtherNet/IP on even ones, drives, spreader controller, remote I/O, cabin
HMI) and its camera network (cameras, OCR server) — with the crane
management systems polling every crane, camera streams, name and time
service, job orders from the terminal operating system, updates through the
edge mirror, vendor support through the remote-access gateway and the
building management server reading the HVAC controller of STS-01's
electrical house over BACnet/IP. It injects
the chosen scenarios, each a known violation of the site's rules. Use it for
drills, to try harborwatch, to test it and to benchmark it: the output is
deterministic for a seed.

Beside FILE.pcap it writes FILE.site.yaml, the site model the capture is
judged against (every generated device declared); FILE.inventory.csv, the
same devices as a declared inventory; and FILE.truth.json, the findings an
analysis must report ("must", each with rule, src, dst, app and scenario)
and those it must not ("must_not"; an entry without a rule means no finding
at all on that flow). It also writes the recovery registers of the cranes,
FILE.backups.csv and FILE.spares.csv (for 'backup import' and 'spares
import'), with gaps in known places, and FILE.readiness.json, the gaps a
'readiness --at 2026-11-02T12:00:00Z' report must list.

Without --scenario the scenarios of the shipped example are injected (all
but plc-program-download, plc-stop and authorized-maintenance); --list shows
every scenario. --scenario may be repeated or hold a comma-separated list.
With authorized-maintenance the capture falls inside the site's weekly change
window (Monday 2026-11-02 09:00Z) instead of Tuesday 2026-11-03. The
scenarios take the first minute: --duration is at least 1m with them.

--rate adds background load — more polling, short request/response
conversations, camera streams, all between declared hosts over allowed
conduits, so that it causes no finding — up to PPS packets per second of
capture time (the normal traffic alone is about 75 a crane). The capture is
written as it is generated, in constant memory, at about a million packets a
second or more: --duration 10m --rate 10000 gives a gigabyte.

The shipped example (examples/terminal) is --cranes 2 --seed 0 with the
default scenarios, duration and rate.

Examples:
  harborwatch simulate --out drill.pcap
  harborwatch analyze --site drill.site.yaml drill.pcap
  harborwatch simulate --out example.pcap --cranes 2
  harborwatch simulate --out rdp.pcapng --format pcapng --scenario remote-vendor-access --seed 7
  harborwatch simulate --out big.pcap --cranes 8 --duration 10m --rate 10000
  harborwatch simulate --list`,
		run: runSimulate,
	}
}

// truth is the FILE.truth.json document.
type truth struct {
	Version   int               `json:"version"`
	Capture   string            `json:"capture"`
	Site      string            `json:"site"`
	Inventory string            `json:"inventory"`
	Seed      int64             `json:"seed"`
	Cranes    int               `json:"cranes"`
	Duration  string            `json:"duration"`
	Rate      int               `json:"rate"`
	Scenarios []string          `json:"scenarios"`
	Must      []synth.Violation `json:"must"`
	MustNot   []synth.Violation `json:"must_not"`
}

func runSimulate(ctx context.Context, e *env, args []string) error {
	c := simulateCommand()
	var o simulateOptions
	fs := newFlags(c, e)
	fs.StringVar(&o.out, "out", "", "write the capture to `FILE` (and beside it, named as FILE without its extension: .site.yaml, .inventory.csv, .truth.json, .backups.csv, .spares.csv, .readiness.json)")
	fs.Var(&o.scenarios, "scenario", "inject scenario `NAME` (repeatable; default: all of the example's)")
	fs.Int64Var(&o.seed, "seed", 0, "seed of all randomness (`N`)")
	fs.StringVar(&o.format, "format", "pcap", "capture `FORMAT`: pcap or pcapng")
	fs.BoolVar(&o.list, "list", false, "list the scenarios and exit")
	fs.IntVar(&o.cranes, "cranes", defaultCranes, fmt.Sprintf("`N` ship-to-shore cranes, %d to %d (the example has 2)", synth.MinCranes, synth.MaxCranes))
	fs.DurationVar(&o.duration, "duration", synth.TerminalDuration, "capture time `D` to generate, e.g. 90s, 10m, 2h")
	fs.IntVar(&o.rate, "rate", 0, fmt.Sprintf("background load up to `PPS` packets per second of capture time (at most %d; 0: normal traffic only)", synth.MaxTerminalRate))
	logOpts := logFlags(fs, e)
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if err := logOpts.start(e, fs, "simulate"); err != nil {
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
	opts := synth.TerminalOptions{Seed: o.seed, Scenarios: names, Cranes: o.cranes, Duration: o.duration, Rate: o.rate}
	e.logger().Info("simulation started", "out", o.out, "format", o.format, "cranes", o.cranes, "duration", o.duration.String(),
		"rate", o.rate, "seed", o.seed, "scenarios", len(names))
	outs := newOutputs(e, "simulate")
	defer outs.abort()
	r, err := simulateFiles(ctx, e, outs, o.out, o.format, opts)
	if err != nil {
		return err
	}
	e.logger().Info("simulation done", "packets", r.stats.Packets, "bytes", r.stats.Bytes, "flows", r.stats.Conversations,
		"expected_findings", len(r.truth.Must), "seconds", r.elapsed.Seconds())
	fmt.Fprintf(e.stderr, "harborwatch: wrote %s, %s, %s and %s: %s, %.1f MB, %s in %.2f s (%s, %s, %s)\n",
		r.capture, r.site, r.inventory, r.truthFile, nouns(r.stats.Packets, "packet", "packets"), float64(r.stats.Bytes)/1e6,
		nouns(r.stats.Conversations, "flow", "flows"), r.elapsed.Seconds(), nouns(r.cranes, "crane", "cranes"),
		nouns(len(r.truth.Scenarios), "scenario", "scenarios"), nouns(len(r.truth.Must), "expected finding", "expected findings"))
	fmt.Fprintf(e.stderr, "harborwatch: wrote the recovery registers %s and %s, and the gaps a readiness report at %s must list, %s\n",
		r.registers.backups, r.registers.spares, synth.RegistersAt.Format(time.RFC3339), r.registers.truth)
	return nil
}

// simulation is what simulateFiles wrote.
type simulation struct {
	capture, site, inventory, truthFile string
	registers                           *registerFiles
	truth                               truth
	stats                               synth.TerminalStats
	cranes                              int
	elapsed                             time.Duration
}

// simulateFiles writes the capture of opts to out in format, and its site
// model, inventory and truth beside it, as outputs of outs (the capture
// as --out): every path is checked before the generation starts, and each
// file is put in place once written. Bad options are usage errors.
func simulateFiles(ctx context.Context, e *env, outs *outputs, out, format string, opts synth.TerminalOptions) (simulation, error) {
	tr, err := synth.TerminalTruth(opts.Scenarios)
	if err != nil {
		if errors.Is(err, synth.ErrUnknownScenario) {
			return simulation{}, usagef("simulate: %v (see 'harborwatch simulate --list')", err)
		}
		return simulation{}, err
	}
	// Check the options before creating any file.
	if err := opts.Validate(); err != nil {
		switch {
		case errors.Is(err, synth.ErrCranes):
			return simulation{}, usagef("simulate: --cranes %d: want %d to %d", opts.Cranes, synth.MinCranes, synth.MaxCranes)
		case errors.Is(err, synth.ErrOptions):
			return simulation{}, usagef("simulate: %s", strings.TrimPrefix(err.Error(), "synth: bad terminal options: "))
		}
		return simulation{}, err
	}
	siteYAML, err := synth.TerminalSiteYAML(opts)
	if err != nil {
		return simulation{}, err
	}
	rows, err := synth.TerminalAssets(opts)
	if err != nil {
		return simulation{}, err
	}

	base := strings.TrimSuffix(out, filepath.Ext(out))
	r := simulation{capture: out, site: base + ".site.yaml", inventory: base + ".inventory.csv", truthFile: base + ".truth.json",
		cranes: max(opts.Cranes, 2)}
	capFile, err := outs.create("out", out)
	if err != nil {
		return r, err
	}
	side := make([]*outFile, 3)
	for i, p := range []string{r.site, r.inventory, r.truthFile} {
		if side[i], err = outs.create("", p); err != nil {
			return r, err
		}
	}
	if r.registers, err = createRegisters(outs, base); err != nil {
		return r, err
	}
	var packets, bytes atomic.Int64
	opts.Progress = func(s synth.TerminalStats) { packets.Store(s.Packets); bytes.Store(s.Bytes) }
	start := time.Now()
	stop := simulateProgress(e, &packets, &bytes, 2*time.Second)
	err = writeOut(capFile, func(w io.Writer) error {
		r.stats, err = writeTerminal(ctx, w, format, opts)
		return err
	})
	stop()
	r.elapsed = time.Since(start)
	if err != nil {
		return r, err
	}
	if err := writeOut(side[0], func(w io.Writer) error { _, err := w.Write(siteYAML); return err }); err != nil {
		return r, err
	}
	assets, err := declaredAssets(rows)
	if err != nil {
		return r, err
	}
	if err := writeOut(side[1], func(w io.Writer) error { return declared.WriteCSV(w, assets) }); err != nil {
		return r, err
	}
	d := opts.Duration
	if d == 0 {
		d = synth.TerminalDuration
	}
	r.truth = truth{
		Version: 1, Capture: filepath.Base(out), Site: filepath.Base(r.site), Inventory: filepath.Base(r.inventory),
		Seed: opts.Seed, Cranes: r.cranes, Duration: d.String(), Rate: opts.Rate,
		Scenarios: tr.Scenarios, Must: tr.Must, MustNot: tr.MustNot,
	}
	b, err := json.MarshalIndent(r.truth, "", "  ")
	if err != nil {
		return r, err
	}
	if err := r.registers.write(r.cranes); err != nil {
		return r, err
	}
	return r, writeOut(side[2], func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err })
}

// ngWriter adapts a one-interface pcapng writer to synth.PacketWriter.
type ngWriter struct {
	w  *capture.PcapNGWriter
	id int
}

func (n ngWriter) WritePacket(ts int64, data []byte, origLen int) error {
	return n.w.WritePacket(n.id, ts, data, origLen)
}

// ctxWriter stops a long generation when ctx is done: every 4096 packets
// it returns ctx's error, which the generator keeps and returns.
type ctxWriter struct {
	ctx context.Context
	w   synth.PacketWriter
	n   int
}

func (c *ctxWriter) WritePacket(ts int64, data []byte, origLen int) error {
	if c.n++; c.n&4095 == 0 {
		if err := c.ctx.Err(); err != nil {
			return err
		}
	}
	return c.w.WritePacket(ts, data, origLen)
}

// writeTerminal writes the Terminal capture to w as pcap (microseconds,
// as the example) or pcapng.
func writeTerminal(ctx context.Context, w io.Writer, format string, opts synth.TerminalOptions) (synth.TerminalStats, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	var pw synth.PacketWriter
	var flush func() error
	if format == "pcapng" {
		nw := capture.NewPcapNGWriter(bw)
		id, err := nw.AddInterface(capture.LinkEthernet, 0, 6)
		if err != nil {
			return synth.TerminalStats{}, err
		}
		pw, flush = ngWriter{nw, id}, nw.Flush
	} else {
		cw, err := capture.NewPcapWriter(bw, capture.LinkEthernet, 0, false)
		if err != nil {
			return synth.TerminalStats{}, err
		}
		pw, flush = cw, cw.Flush
	}
	st, err := synth.RunTerminal(&ctxWriter{ctx: ctx, w: pw}, opts)
	if err != nil {
		return st, err
	}
	if err := flush(); err != nil {
		return st, err
	}
	return st, bw.Flush()
}

// simulateProgress shows the generation's progress on a terminal's stderr
// for runs longer than after; it returns the function that stops and
// clears it.
func simulateProgress(e *env, packets, bytes *atomic.Int64, after time.Duration) func() {
	return showProgress(e, "simulating", after, packets.Load, bytes.Load)
}

// nouns formats a count of things as the report does: "1 crane",
// "4 cranes", "21,448 packets".
func nouns[N int | int64 | uint64](n N, one, many string) string {
	return report.Nouns(uint64(n), one, many)
}

// declaredAssets turns the generator's inventory rows into declared assets
// for the CSV writer (docs/formats/inventory-csv.md).
func declaredAssets(rows []synth.InventoryRow) ([]declared.Asset, error) {
	out := make([]declared.Asset, 0, len(rows))
	for _, r := range rows {
		a := declared.Asset{ID: r.ID, Name: r.Name, Kind: r.Kind, Vendor: r.Vendor, Model: r.Model,
			Supplier: r.Supplier, Origin: r.Origin, Crane: r.Crane, Zone: r.Zone, Serial: r.Serial,
			Firmware: r.Firmware, Notes: r.Notes, Criticality: site.Criticality(r.Criticality)}
		if r.IP != "" {
			ip, err := netip.ParseAddr(r.IP)
			if err != nil {
				return nil, fmt.Errorf("inventory row %s: %w", r.ID, err)
			}
			a.IPs = []netip.Addr{ip}
		}
		if r.MAC != "" {
			hw, err := net.ParseMAC(r.MAC)
			if err != nil || len(hw) != 6 {
				return nil, fmt.Errorf("inventory row %s: bad mac %q", r.ID, r.MAC)
			}
			a.MACs = []site.MAC{site.MAC(hw)}
		}
		out = append(out, a)
	}
	return out, nil
}
