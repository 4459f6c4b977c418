package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"harborwatch/analysis"
	"harborwatch/capture/filter"
	"harborwatch/finding"
	"harborwatch/pipeline"
	"harborwatch/report"
	"harborwatch/site"
	"harborwatch/vuln"
)

type analyzeOptions struct {
	site         string
	format       string
	out          string
	events       string
	findings     string
	flows        string
	observations string
	failOn       string
	workers      int
	flowMemory   string
	cpuProfile   string
	evidence     string
	csaf         listFlag
	bpf          string
}

func analyzeCommand() *command {
	return &command{
		name:  "analyze",
		short: "analyze packet captures against the site model and report findings",
		usage: "harborwatch analyze [--site FILE] [--format text|json] [--out FILE] [--events FILE] [--findings FILE] [--flows FILE] [--observations FILE] [--evidence DIR] [--csaf FILE|DIR]... [--fail-on SEVERITY] [--bpf EXPR] [--workers N] [--flow-memory SIZE] [--cpuprofile FILE] [--log-level LEVEL] [--log-format text|json] CAPTURE...",
		long: `
Reads pcap and pcapng captures of the port's OT networks (several files are one
timeline, merged by time), follows every flow, identifies the applications and
judges what it sees against the site model: traffic between zones that no
conduit allows, crane networks talking to external addresses, remote-access
sessions that bypass the remote-access gateway, cleartext file transfers into
crane networks, prohibited destinations (the LOGINK platform is built in),
multi-homed hosts, devices missing from the inventory, and operations on
crane controllers (Modbus, S7, EtherNet/IP: program downloads, stops,
firmware, configuration, writes) that no conduit or change window allows.

Without --site every private address is in zone "unzoned" and public
addresses are "external"; only the rules that need no site can fire:
prohibited destinations, and controller operations other than reads,
identity, diagnostics, sessions, I/O and writes.

A damaged or truncated capture is not fatal: every packet before the damage
is analyzed and the damage is reported (stderr and the report's stats). A
file that is missing, unreadable, a directory, not a capture, or a capture
whose file header is damaged is bad input (exit 2), named with the reason.

Outputs (--out, the streams, --evidence, --cpuprofile) are checked before
the analysis starts: a path that is a symbolic link, a directory, one of
the inputs or another output, or in a missing directory is refused (exit
2). Each file is written beside its target under a temporary name and
renamed into place once complete: a failed write (a full disk) leaves the
previous file as it was, and says so. A stream file thus takes its name at
the end of the run; to follow a stream live, give "-" or a named pipe
(written in place, as devices such as /dev/null are).

Streams for a SIEM, written while the capture is read (JSON lines; "-" is
standard output; docs/formats/): --events FILE, the protocol events in
packet-time order; --findings FILE, each finding when it is made and each
time it changes (the last line of an id is the finding the report shows;
findings reach it no later than one second of packet time after the packet
that makes them, even on a connection that never ends); --flows FILE, one
line per flow when it ends, and one a minute while a long flow lasts, with
the fields of Zeek's conn.log and the zones and assets of both ends;
--observations FILE, news of devices as it comes (an address seen for the
first time, what a device says of itself, a discovery station).

Memory: --flow-memory is the run's one memory budget, shared evenly by the
workers. In each worker a quarter holds the host tables (hosts, MACs,
device identities, discovery stations: entries beyond it are not
remembered, counted in hosts_dropped), the rest the flow table and the TCP
reassembly buffers charged against it (the least recently used flow is
evicted beyond it, counted in evicted_flows; the incomplete PDU of the
stream that waited longest is dropped, counted in tcp_shed_bytes). The text
report says what the budget dropped. The whole process stays under the
budget + 64 MiB + 16 MiB a worker (the Go runtime is held to it, unless
GOMEMLIMIT says otherwise). A --flow-memory too small for the flow tables'
floor (1,024 flows a worker) is raised to that floor, with a warning naming
it.

Logs: --log-level info says when the run starts, each capture opened, and
the counts at the end; warnings (damaged captures, the flow-memory floor)
show at the default level, warn. --log-format text or json writes them as
records with time and level, for a log collector.

With --evidence DIR each finding's evidence packets (at most 20 per finding,
64 MiB in all) are written to DIR/<finding id>.pcap (.pcapng when they mix
link types) to open in Wireshark, and the report names each capture by its
SHA-256 and each finding's file with its size and SHA-256.

` + bpfHelp + `

The packets it leaves out are not analyzed and are counted in the report
(stats.filtered); packet numbers stay those of the captures.

Environment: HARBORWATCH_SITE, HARBORWATCH_FORMAT, HARBORWATCH_WORKERS,
HARBORWATCH_FLOW_MEMORY, HARBORWATCH_FAIL_ON, HARBORWATCH_LOG_LEVEL and
HARBORWATCH_LOG_FORMAT set the flags' defaults; flags win. A bad value in
one of them is an error (exit 2), as a bad flag is.

Examples:
  harborwatch analyze --site examples/terminal/site.yaml examples/terminal/terminal.pcap
  harborwatch analyze --site site.yaml --format json --out report.json day1.pcapng day2.pcapng
  harborwatch analyze --site site.yaml --events events.jsonl --fail-on high capture.pcap
  harborwatch analyze --site site.yaml --findings findings.jsonl --flows conn.jsonl capture.pcap
  harborwatch analyze --site site.yaml --evidence evidence/ capture.pcap
  harborwatch analyze --site site.yaml --bpf 'vlan 110 and (tcp port 502 or udp port 47808)' capture.pcap

SIGINT or SIGTERM (Ctrl-C) stops the reading within a second; the report of
what was read is then written, its first line (text) or "partial": true with
"partial_reason" in stats (JSON) saying it is partial, and the streams end
with what was found by then. Evidence files are not written for a stopped
run. A second signal quits at once, writing nothing more.

Exit codes: 0 done, 1 failure, 2 bad usage or input, 3 a finding at or above
--fail-on exists, 130 (SIGINT) or 143 (SIGTERM) stopped by the signal, after
writing the partial report.`,
		run: runAnalyze,
	}
}

func runAnalyze(ctx context.Context, e *env, args []string) error {
	c := analyzeCommand()
	var o analyzeOptions
	fs := newFlags(c, e)
	fs.StringVar(&o.site, "site", e.getenv("HARBORWATCH_SITE"), "site model `FILE` (site.yaml)")
	fs.StringVar(&o.format, "format", envOr(e, "HARBORWATCH_FORMAT", "text"), "report `FORMAT`: text or json")
	fs.StringVar(&o.out, "out", "", "write the report to `FILE` instead of standard output")
	fs.StringVar(&o.events, "events", "", "write protocol events as JSON lines to `FILE`, as they happen, in packet-time order")
	fs.StringVar(&o.findings, "findings", "", "write findings as JSON lines to `FILE`, as they are made and each time they change (the last line of an id is the finding)")
	fs.StringVar(&o.observations, "observations", "", "write news of devices as JSON lines to `FILE` as it comes: addresses seen for the first time, what devices say of themselves, discovery stations")
	fs.StringVar(&o.flows, "flows", "", "write one JSON line per flow to `FILE` when it ends, and each minute of packet time while a long flow lasts (the fields of Zeek's conn.log, with zones and assets)")
	fs.StringVar(&o.failOn, "fail-on", e.getenv("HARBORWATCH_FAIL_ON"), "exit 3 when a finding of this `SEVERITY` or higher exists (low, medium, high, critical)")
	fs.IntVar(&o.workers, "workers", envInt(e, "HARBORWATCH_WORKERS"), "`N` parallel workers (0 = one per CPU; at most 4 a CPU)")
	fs.StringVar(&o.flowMemory, "flow-memory", envOr(e, "HARBORWATCH_FLOW_MEMORY", "256MiB"), "`SIZE` memory budget of the run (e.g. 64MiB, 1GiB): flow tables, TCP reassembly, host tables; what does not fit is dropped and counted")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the analysis to `FILE` (go tool pprof)")
	logOpts := logFlags(fs, e)
	fs.Var(&o.csaf, "csaf", "match the assets against the CSAF 2.0 advisories in `FILE|DIR` (repeatable): known vulnerabilities become vulnerability.known findings")
	fs.StringVar(&o.bpf, "bpf", "", "analyze only the packets the filter `EXPR` selects (tcpdump syntax, a subset: see above)")
	fs.StringVar(&o.evidence, "evidence", "", "write each finding's evidence packets to `DIR`/<finding id>.pcap (created if missing) and name the captures by SHA-256")
	files, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if err := checkEnvInts(e, fs, "analyze", "workers"); err != nil {
		return err
	}
	if err := logOpts.start(e, fs, "analyze"); err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("analyze: no capture given (see 'harborwatch analyze --help')")
	}
	if o.format != "text" && o.format != "json" {
		return usagef("analyze: %s: want text or json", given(e, fs, "format", o.format))
	}
	var failOn finding.Severity
	if o.failOn != "" {
		if failOn, err = finding.ParseSeverity(o.failOn); err != nil {
			return usagef("analyze: %s: %v", given(e, fs, "fail-on", o.failOn), err)
		}
	}
	if o.workers < 0 {
		return usagef("analyze: %s: must be 0 or more", given(e, fs, "workers", strconv.Itoa(o.workers)))
	}
	o.workers = capWorkers(e, fs, o.workers)
	mem, err := parseBytes(o.flowMemory)
	if err != nil {
		return usagef("analyze: %s: %v", given(e, fs, "flow-memory", o.flowMemory), err)
	}
	bpfProg, err := compileBPF("analyze", o.bpf, filter.Bytes)
	if err != nil {
		return err
	}
	defer holdMemory(e, mem, o.workers)()

	var st *site.Site // nil: site.Default(), and no facility in the report
	if o.site != "" {
		if st, err = site.Load(o.site); err != nil {
			return siteProblems(e, err)
		}
	}

	// Every output is checked, and its temporary file created, before the
	// analysis: a bad path fails at once.
	outs := newOutputs(e, "analyze", files...)
	outs.input(o.site)
	defer outs.abort()
	rep, err := outs.create("out", cmp.Or(o.out, "-"))
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		prof, err := outs.create("cpuprofile", o.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(prof); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			if err := prof.commit(); err != nil {
				e.logger().Error(err.Error())
			}
		}()
	}
	ev, err := startEvidence(outs, o.evidence, files)
	if err != nil {
		return err
	}
	out, err := openStreams(outs, streamFiles{o.events, o.findings, o.flows, o.observations})
	if err != nil {
		return err
	}
	defer out.close()
	aopts := analysis.Options{Site: st, Workers: o.workers, FlowMemory: mem}
	if len(o.csaf) > 0 {
		if aopts.Advisories, err = vuln.Load(o.csaf...); err != nil {
			return usagef("analyze: --csaf: %v", err)
		}
	}
	out.options(&aopts, files)
	var bpfSrcs filtered
	if bpfProg != nil {
		if bpfSrcs, aopts.Sources, err = openFiltered(files, bpfProg, ev.captureSums() != nil); err != nil {
			return err
		}
		defer bpfSrcs.close()
	}
	res, err := analyzeFiles(ctx, e, files, aopts, ev.captureSums())
	if bpfProg != nil && res != nil {
		res.Document.Stats.Filter, res.Document.Stats.Filtered = o.bpf, bpfSrcs.count()
	}
	err = linkTypeError("analyze", err)
	// A stopped run (SIGINT, SIGTERM) still has its report: what was read,
	// marked partial. It is written, and the run then exits with the
	// signal's code.
	stopped, _ := errors.AsType[*stoppedError](err)
	if err != nil && stopped == nil {
		return err
	}
	if err := out.close(); err != nil {
		return err
	}

	doc := res.Document
	logReport(e, doc)
	if stopped == nil {
		if err := ev.write(e, doc.Findings); err != nil {
			return err
		}
	} else if ev != nil {
		fmt.Fprintf(e.stderr, "harborwatch: evidence: not written to %s (the run was stopped; writing it would read the captures again)\n", ev.dir)
	}
	if err := writeOut(rep, func(w io.Writer) error {
		if o.format == "json" {
			return report.JSON(w, doc)
		}
		return report.Text(w, doc)
	}); err != nil {
		return err
	}
	if stopped != nil {
		return stopped
	}
	if failOn != 0 {
		for _, f := range doc.Findings {
			if f.Severity >= failOn {
				fmt.Fprintf(e.stderr, "harborwatch: %s; at least one at or above %s (--fail-on)\n", nouns(len(doc.Findings), "finding", "findings"), failOn)
				return exitError{ExitFailOn}
			}
		}
	}
	return nil
}

// progressLine shows the analysis's progress on a terminal's stderr for
// runs longer than two seconds; it returns the function that stops and
// clears it.
func progressLine(e *env, p *pipeline.Progress) func() {
	return showProgress(e, "analyzing", 2*time.Second, p.Packets.Load, p.Bytes.Load)
}

// showProgress shows "what: N packets, MB, Mpps, elapsed" on a terminal's
// stderr, twice a second, once the work has run longer than after; it
// returns the function that stops and clears it.
func showProgress[N int64 | uint64](e *env, what string, after time.Duration, packets, bytes func() N) func() {
	if !e.stderrTTY {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		start := time.Now()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		shown := false
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(e.stderr, "\r\033[K")
				}
				return
			case now := <-t.C:
				el := now.Sub(start)
				if el < after {
					continue
				}
				n, b := float64(packets()), float64(bytes())
				fmt.Fprintf(e.stderr, "\r\033[K%s: %.0f packets, %.1f MB, %.2f Mpps, %s",
					what, n, b/1e6, n/el.Seconds()/1e6, el.Truncate(time.Second))
				shown = true
			}
		}
	}()
	return func() { close(done); <-finished }
}

// holdMemory holds the Go runtime to the memory limit that keeps a run
// with the budget mem over workers shards under pipeline.MemoryLimit
// (pipeline.GCLimit), unless GOMEMLIMIT sets a limit of its own; it
// returns the function that lifts the hold.
func holdMemory(e *env, mem int64, workers int) func() {
	if e.getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(pipeline.GCLimit(mem, workers))
	return func() { debug.SetMemoryLimit(prev) }
}

func envOr(e *env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(e *env, key string) int {
	n, _ := strconv.Atoi(e.getenv(key))
	return n
}

// parseBytes parses a size such as 256MiB, 1GiB, 512MB or a plain number
// of bytes.
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mul    int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mul = strings.TrimSuffix(s, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(strings.TrimSpace(s), "-") || err == nil && n > math.MaxInt64/mul {
		return 0, errors.New("too large")
	}
	if err != nil || n <= 0 {
		return 0, errors.New("not a size (e.g. 256MiB, 1GiB)")
	}
	return n * mul, nil
}

// maxWorkersPerCPU bounds --workers: each worker owns a flow table and
// queues, and more workers than this many per CPU only cost memory.
const maxWorkersPerCPU = 4

// capWorkers returns n, or maxWorkersPerCPU × NumCPU when n is above it,
// with a warning naming where n came from.
func capWorkers(e *env, fs *flag.FlagSet, n int) int {
	limit := maxWorkersPerCPU * runtime.NumCPU()
	if n <= limit {
		return n
	}
	e.logger().Warn(fmt.Sprintf("%s is more than %d workers a CPU (%s); using %d",
		given(e, fs, "workers", strconv.Itoa(n)), maxWorkersPerCPU, nouns(runtime.NumCPU(), "CPU", "CPUs"), limit),
		"workers", n, "cpus", runtime.NumCPU(), "using", limit)
	return limit
}
