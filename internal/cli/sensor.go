//go:build linux

package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"harborwatch/analysis"
	"harborwatch/bus"
	"harborwatch/capture"
	"harborwatch/capture/live"
	"harborwatch/event"
	"harborwatch/export"
	"harborwatch/observe"
	"harborwatch/pipeline"
	"harborwatch/sink/jsonl"
	"harborwatch/site"
)

// tee hands what the run finds to several sinks.
type tee []pipeline.Sink

func (t tee) Event(e *event.Event) {
	for _, s := range t {
		s.Event(e)
	}
}
func (t tee) Finding(u *pipeline.FindingUpdate) {
	for _, s := range t {
		s.Finding(u)
	}
}
func (t tee) Flow(r *pipeline.FlowRecord) {
	for _, s := range t {
		s.Flow(r)
	}
}
func (t tee) Observation(o *observe.Observation) {
	for _, s := range t {
		s.Observation(o)
	}
}

// publishSink is the publisher as the run's sink: events only when asked.
type publishSink struct {
	*bus.Publisher
	events bool
}

func (p publishSink) Event(e *event.Event) {
	if p.events {
		p.Publisher.Event(e)
	}
}

// countFindings counts the new findings on their way to the sink.
type countFindings struct {
	pipeline.Sink
	n *atomic.Uint64
}

func (c countFindings) Finding(u *pipeline.FindingUpdate) {
	if u.Kind == pipeline.FindingNew {
		c.n.Add(1)
	}
	c.Sink.Finding(u)
}

// sanitizeID makes a host name a bus id: letters, digits, '-' and '_'.
func sanitizeID(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

func droppedKinds(d map[string]uint64) string {
	if len(d) == 0 {
		return ""
	}
	var parts []string
	for _, k := range append(slices.Clip(bus.Kinds), bus.KindEvidence) {
		if d[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", d[k], k))
		}
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func sensorCommand() *command {
	return &command{
		name:  "sensor",
		short: "watch network interfaces live and write findings as they are raised",
		usage: "harborwatch sensor --interface IF[,IF…] | --file PCAP [--site FILE] [--out FILE] [--events FILE|bus] [--publish nats://HOST:PORT --site-id ID [--sensor-id ID] [--spool DIR] [--spool-max SIZE] [--heartbeat D] [--drain D]] [--metrics-addr HOST:PORT] [--export SPEC [--export-ca FILE]]… [--bpf EXPR] [--kernel-ring SIZE] [--ring SIZE [--ring-dir DIR]] [--evidence DIR] [--workers N] [--flow-memory SIZE] [--log-level LEVEL] [--log-format text|json]",
		long: `
Captures the traffic of one or more network interfaces — a crane network's
SPAN or TAP port — with Linux AF_PACKET and a TPACKET_V3 memory-mapped ring
(promiscuous, VLAN tags kept), analyzes it exactly as 'analyze' does, and
writes each finding as a JSON line (the finding object of the report, as
'analyze --findings' writes it) to --out or standard output as soon as it is
raised and each time it changes. --events writes the protocol events too.

It runs until SIGINT or SIGTERM, then finishes the analysis of what it read
(the inventory's findings come then) and reports the packets the kernel
dropped because their ring was full (--kernel-ring, default 32MiB per
interface: 2.7 s of 100 Mbit/s). It needs root or CAP_NET_RAW. SIGHUP reloads the site model (--site): the analysis ends as
at a stop and starts again, on reopened sockets, with the new model (a
model that does not load is reported and the old one kept). --file reads a
capture file instead, as if it were live (to
try a deployment without a SPAN port).

--publish sends findings, observations of devices, protocol events (with
--events; '--events bus' publishes them without writing a file), the
inventory's assets (when the sensor stops) and a heartbeat (every
--heartbeat, default 30s) to NATS JetStream, on the subjects
harborwatch.SITE.KIND.SENSOR of the stream HARBORWATCH, where 'harborwatch
serve --nats' stores them. --site-id names the site (default: the site
model's facility id); --sensor-id this sensor (default: the host name).
Everything goes through a bounded queue on disk (--spool, at most
--spool-max): while the link is down the sensor keeps queueing, and sends
the queue oldest first when the link returns; what does not fit is counted
and reported, and what is left when the sensor stops is sent by its next
start. With --publish, findings go to --out only when it is given.

--export sends each finding, as it is raised, to a SIEM: syslog (RFC 5424 with
CEF) over TCP or TLS, or ECS JSON lines to a file — once a run, as 'serve
--export' sends them; what could not be sent is counted at the stop.

Evidence: the sensor keeps the packets it read last in a ring (--ring,
default 256MiB: a preallocated file in --ring-dir, by default the --spool
folder, written in blocks of 4 MiB; not in memory, and removed at the end).
When a finding is raised, or its evidence packets change, those packets
(at most 20) are cut from the ring as a capture file — the packets
'analyze --evidence' writes for the finding on the same traffic — written
to --evidence DIR as DIR/<finding id>.pcap (.pcapng when the link types
differ) and, with --publish, queued for the NATS object store
harborwatch-evidence (object SITE/SENSOR/<finding id>.pcap). The finding's
line says where ("pcap": path or object, packets, bytes, sha256); packets
the ring no longer held are listed in its evidence's "missing". Packets
pushed out of the ring before a finding claimed them are counted (ring
overwrites: the heartbeat, the metrics, the closing summary). Without
--evidence and --publish, or with --ring 0, there is no ring.

--metrics-addr serves Prometheus metrics on a loopback address: packets,
the kernel's drops per interface, findings, ring overwrites, and the bus's
queue (pending, bytes on disk, dropped, published, connected).

` + bpfHelp + `

On an interface the kernel runs the filter on each packet before it enters
the ring, so what it rejects costs nothing (the kernel's counts are of the
packets it selected); an 802.1Q tag the kernel took off the frame is seen
where it was on the wire. With --file the packets left out are counted.

Examples:
  harborwatch sensor --interface eth1 --site site.yaml --out /var/log/harborwatch/findings.jsonl
  harborwatch sensor --interface eth1,eth2 --site site.yaml --publish nats://10.0.0.5:4222 \
    --site-id terminal-3 --sensor-id sts01 --spool /var/lib/harborwatch/spool
  harborwatch sensor --interface eth1 --site site.yaml --evidence /var/lib/harborwatch/evidence --ring 1GiB
  harborwatch sensor --interface eth1 --site site.yaml --bpf 'tcp port 502 or 102 or (vlan 110 and tcp port 502)'`,
		run: runSensor,
	}
}

func runSensor(ctx context.Context, e *env, args []string) error {
	c := sensorCommand()
	fs := newFlags(c, e)
	var ifaces, file, siteFile, out, events, kernelRing, flowMemory string
	var pubURL, siteID, sensorID, spoolDir, spoolMax, heartbeat, drain, metricsAddr, bpfExpr string
	var workers int
	fs.StringVar(&ifaces, "interface", "", "capture on `IF` (several: IF1,IF2)")
	fs.StringVar(&file, "file", "", "read the capture `PCAP` instead of interfaces, as if live")
	fs.StringVar(&pubURL, "publish", e.getenv("HARBORWATCH_PUBLISH"), "publish to NATS JetStream at `URL` (nats://HOST:PORT)")
	fs.StringVar(&siteID, "site-id", e.getenv("HARBORWATCH_SITE_ID"), "the site's `ID` on the bus (default: the site model's facility id)")
	fs.StringVar(&sensorID, "sensor-id", e.getenv("HARBORWATCH_SENSOR_ID"), "this sensor's `ID` on the bus (default: the host name)")
	fs.StringVar(&spoolDir, "spool", envOr(e, "HARBORWATCH_SPOOL", "harborwatch-spool"), "the queue's folder `DIR` (kept across restarts)")
	fs.StringVar(&spoolMax, "spool-max", "256MiB", "bound the queue on disk to `SIZE`")
	fs.StringVar(&heartbeat, "heartbeat", "30s", "publish a heartbeat every `D`")
	fs.StringVar(&metricsAddr, "metrics-addr", e.getenv("HARBORWATCH_METRICS_ADDR"), "serve Prometheus /metrics on `HOST:PORT` (loopback only)")
	fs.StringVar(&drain, "drain", "10s", "at the end, go on sending the queue for at most `D` (the rest waits for the next start)")
	fs.StringVar(&siteFile, "site", e.getenv("HARBORWATCH_SITE"), "site model `FILE` (site.yaml)")
	var exports multiFlag
	var exportCA string
	fs.Var(&exports, "export", "send each finding as it is raised to `SPEC`: syslog://HOST:PORT, syslog+tls://HOST:PORT or file:PATH (repeatable)")
	fs.StringVar(&exportCA, "export-ca", "", "PEM `FILE` of the CA that signs the syslog+tls server's certificate")
	fs.StringVar(&out, "out", "", "append findings as JSON lines to `FILE` (default: standard output)")
	fs.StringVar(&events, "events", "", "append protocol events as JSON lines to `FILE` (with --publish, also publish them; 'bus': publish only)")
	fs.StringVar(&kernelRing, "kernel-ring", "32MiB", "kernel capture ring `SIZE` per interface (TPACKET_V3)")
	evOpts := evidenceFlags(fs, e)
	fs.StringVar(&bpfExpr, "bpf", e.getenv("HARBORWATCH_BPF"), "capture only the packets the filter `EXPR` selects (tcpdump syntax, a subset: see above)")
	fs.IntVar(&workers, "workers", envInt(e, "HARBORWATCH_WORKERS"), "`N` parallel workers (0 = one per CPU)")
	fs.StringVar(&flowMemory, "flow-memory", envOr(e, "HARBORWATCH_FLOW_MEMORY", "64MiB"), "`SIZE` memory budget of the analysis (flows, reassembly, hosts; beyond it the least recent are evicted and counted)")
	logOpts := logFlags(fs, e)
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if err := logOpts.start(e, fs, "sensor"); err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("sensor takes no arguments, not %q", pos[0])
	}
	if (ifaces == "") == (file == "") {
		return usagef("sensor: give --interface or --file (one of them)")
	}
	bpf, err := newSensorBPF(bpfExpr)
	if err != nil {
		return err
	}
	ringBytes, err := parseBytes(kernelRing)
	if err != nil || ringBytes <= 0 {
		return usagef("sensor: --kernel-ring %q: want a size such as 64MiB", kernelRing)
	}
	mem, err := parseBytes(flowMemory)
	if err != nil {
		return usagef("sensor: --flow-memory %q: %v", flowMemory, err)
	}
	// The Go heap held to what the budget needs, as analyze holds it: a
	// sensor runs for months beside other services.
	defer holdMemory(e, mem, workers)()
	var st *site.Site
	if siteFile != "" {
		if st, err = site.Load(siteFile); err != nil {
			return siteProblems(e, err)
		}
	}
	var metricsLn net.Listener
	if metricsAddr != "" {
		mh, _, err := net.SplitHostPort(metricsAddr)
		if err != nil || !isLoopback(mh) {
			return usagef("sensor: --metrics-addr %q: want a loopback HOST:PORT (it serves without a token)", metricsAddr)
		}
		if metricsLn, err = net.Listen("tcp", metricsAddr); err != nil {
			return fmt.Errorf("sensor: metrics: %w", err)
		}
		defer metricsLn.Close()
	}
	var pubOpts *bus.Options
	var hbEvery, drainFor time.Duration
	if pubURL != "" {
		if siteID == "" && st != nil {
			siteID = st.Facility.ID
		}
		if err := bus.CheckID("site", siteID); err != nil {
			return usagef("sensor: --site-id: %v (give --site-id, or a site model with a facility id)", err)
		}
		if sensorID == "" {
			h, _ := os.Hostname()
			sensorID = sanitizeID(h)
		}
		if err := bus.CheckID("sensor", sensorID); err != nil {
			return usagef("sensor: --sensor-id: %v", err)
		}
		max, err := parseBytes(spoolMax)
		if err != nil || max < 64<<10 {
			return usagef("sensor: --spool-max %q: want a size of at least 64KiB", spoolMax)
		}
		if hbEvery, err = time.ParseDuration(heartbeat); err != nil || hbEvery < 100*time.Millisecond {
			return usagef("sensor: --heartbeat %q: want a duration such as 30s", heartbeat)
		}
		if drainFor, err = time.ParseDuration(drain); err != nil || drainFor < 0 {
			return usagef("sensor: --drain %q: want a duration such as 10s", drain)
		}
		pubOpts = &bus.Options{URL: pubURL, Site: siteID, Sensor: sensorID, Spool: spoolDir, SpoolMax: max}
	} else if events == "bus" {
		return usagef("sensor: --events bus needs --publish")
	}
	var findingsW io.Writer = e.stdout
	if pubOpts != nil && out == "" {
		findingsW = nil
	}
	if out != "" {
		f, err := os.OpenFile(out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return usagef("sensor: --out: %v", err)
		}
		defer f.Close()
		findingsW = f
	}
	streams := jsonl.Streams{Findings: findingsW}
	if events != "" && events != "bus" {
		f, err := os.OpenFile(events, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return usagef("sensor: --events: %v", err)
		}
		defer f.Close()
		streams.Events = f
	}
	var fileSrc capture.Source
	if file != "" {
		if fileSrc, err = capture.Open(file); err != nil {
			return usagef("sensor: --file: %v", err)
		}
		defer fileSrc.Close()
		fileSrc = bpf.wrap(fileSrc)
	}
	var ifNames []string
	for name := range strings.SplitSeq(ifaces, ",") {
		if name = strings.TrimSpace(name); name != "" {
			ifNames = append(ifNames, name)
		}
	}
	// The live sources of the current analysis: reopened after a reload.
	var srcMu sync.Mutex
	var srcs []*live.Source
	current := func() []*live.Source {
		srcMu.Lock()
		defer srcMu.Unlock()
		return slices.Clone(srcs)
	}
	closeSources := func() {
		srcMu.Lock()
		defer srcMu.Unlock()
		for _, s := range srcs {
			s.Close()
		}
		srcs = nil
	}
	defer closeSources()
	openSources := func() ([]capture.Source, error) {
		var caps []capture.Source
		if fileSrc != nil {
			caps = append(caps, fileSrc)
		}
		for _, name := range ifNames {
			s, err := live.Open(name, bpf.liveOptions(int(ringBytes)))
			if err != nil {
				closeSources()
				return nil, err
			}
			srcMu.Lock()
			srcs = append(srcs, s)
			srcMu.Unlock()
			caps = append(caps, s)
		}
		return caps, nil
	}
	names := slices.Clone(ifNames)
	if file != "" {
		names = append([]string{file}, names...)
	}
	js := jsonl.New(streams)
	js.Captures(names)
	var sink pipeline.Sink = js
	log := e.logger()
	to := map[bool]string{true: out, false: "standard output"}[out != ""]
	var pub *bus.Publisher
	if pubOpts != nil {
		pubOpts.Logger = log
		if pub, err = bus.NewPublisher(*pubOpts); err != nil {
			return err
		}
		sink = tee{js, publishSink{pub, events != ""}}
		to = fmt.Sprintf("NATS %s as site %s, sensor %s (run %s, queue %s)", pubURL, siteID, sensorID, pub.Run(), spoolDir)
		if out != "" {
			to += " and " + out
		}
	}
	ev, err := evOpts.start(e, spoolDir, len(names), sink, pub, siteID, sensorID)
	if err != nil {
		if pub != nil {
			pub.Close(drainFor)
		}
		return err
	}
	if ev != nil {
		defer ev.ring.Close()
		sink = ev
	}
	if len(exports) > 0 {
		var xs []export.Exporter
		for _, spec := range exports {
			x, err := export.Open(spec, export.Options{Logger: log, Version: Version, CAFile: exportCA})
			if err != nil {
				closeExporters(e, exports, xs)
				if pub != nil {
					pub.Close(drainFor)
				}
				return usagef("sensor: --export: %v", err)
			}
			xs = append(xs, x)
		}
		defer closeExporters(e, exports, xs)
		exportSite := siteID
		if exportSite == "" && st != nil {
			exportSite = st.Facility.ID
		}
		sink = exportSink{Sink: sink, xs: xs, site: exportSite, warn: func(m string) { log.Warn(m) }}
	}
	fmt.Fprintf(e.stderr, "harborwatch sensor: capturing on %s; findings to %s\n", strings.Join(names, ", "), to)
	// SIGHUP reloads the site model: the analysis ends as at a stop, and a
	// new one begins with the new model on reopened sources (a capture
	// file cannot be read again: with --file SIGHUP is ignored).
	hup := make(chan os.Signal, 1)
	if file == "" {
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
	}
	var progMu sync.Mutex // progress is replaced at a reload
	progress := &pipeline.Progress{}
	var findings atomic.Uint64
	start := time.Now()
	beat := func(stopping bool) bus.Heartbeat {
		progMu.Lock()
		snap := progress.Snapshot()
		progMu.Unlock()
		h := bus.Heartbeat{Started: start.UTC(), Interfaces: names, Version: Version, Stopping: stopping,
			Packets: snap.Packets, Bytes: snap.Bytes, Findings: findings.Load(), RingOverwrites: ev.overwrites()}
		for _, s := range current() {
			if ks, err := s.Stats(); err == nil {
				h.KernelDrops += ks.Drops
			}
		}
		return h
	}
	if metricsLn != nil {
		ms := sensorMetrics(metricsLn, func() *pipeline.Progress { progMu.Lock(); defer progMu.Unlock(); return progress }, ifNames, current, findings.Load, func() *bus.Publisher { return pub }, ev.overwrites)
		defer ms.Close()
		fmt.Fprintf(e.stderr, "harborwatch sensor: metrics at http://%s/metrics\n", metricsLn.Addr())
	}
	for {
		caps, err := openSources()
		if err != nil {
			if pub != nil {
				pub.Close(drainFor)
			}
			return err
		}
		// A signal stops the sources: the analysis then ends as at the
		// end of a file, with the inventory's findings.
		var reload atomic.Bool
		stopped := make(chan struct{})
		go func() {
			select {
			case <-ctx.Done():
			case <-hup:
				reload.Store(true)
			case <-stopped:
			}
			for _, s := range current() {
				s.Stop()
			}
		}()
		hbDone := make(chan struct{})
		if pub != nil {
			pub.Heartbeat(beat(false))
			go func() {
				t := time.NewTicker(hbEvery)
				defer t.Stop()
				for {
					select {
					case <-hbDone:
						return
					case <-t.C:
						pub.Heartbeat(beat(false))
					}
				}
			}()
		}
		if ev != nil {
			caps = ev.tapSources(caps)
		}
		// Live sources end when stopped (above); a file ends when read, or
		// at the signal.
		runCtx := context.WithoutCancel(ctx)
		if len(ifNames) == 0 {
			runCtx = ctx
		}
		res, err := analysis.Run(runCtx, analysis.Options{Sources: caps, Site: st, Workers: workers, FlowMemory: mem, Batches: 4,
			Sink: countFindings{sink, &findings}, Findings: true, Events: events != "", Observations: pub != nil, Progress: progress, Logger: log})
		close(hbDone)
		close(stopped)
		if err != nil {
			if pub != nil {
				pub.Close(drainFor)
			}
			return err
		}
		if pub != nil {
			for i := range res.Inventory.Assets {
				if err := pub.Asset(&res.Inventory.Assets[i]); err != nil {
					log.Warn(err.Error())
				}
			}
			pub.Heartbeat(beat(!reload.Load()))
		}
		for _, s := range current() {
			if ks, err := s.Stats(); err == nil {
				fmt.Fprintf(e.stderr, "harborwatch sensor: %s: the kernel passed %d packets and dropped %d (the kernel ring was full)\n", s.Name(), ks.Packets, ks.Drops)
			}
		}
		bpf.report(e.stderr, len(ifNames))
		closeSources()
		fmt.Fprintf(e.stderr, "harborwatch sensor: analysis ended after %.0f s: %d packets analyzed, %d findings\n",
			time.Since(start).Seconds(), res.Document.Stats.Packets, len(res.Document.Findings))
		if !reload.Load() || ctx.Err() != nil {
			break
		}
		if siteFile != "" {
			if next, err := site.Load(siteFile); err != nil {
				fmt.Fprintf(e.stderr, "harborwatch sensor: SIGHUP: the site model %s does not load; the analysis goes on with the one before:\n%v\n", siteFile, err)
			} else {
				st = next
			}
		}
		if pub != nil {
			pub.NewRun()
		}
		start = time.Now()
		progMu.Lock()
		progress = &pipeline.Progress{}
		progMu.Unlock()
		fmt.Fprintf(e.stderr, "harborwatch sensor: SIGHUP: reloaded the site model %s; the analysis starts again\n", siteFile)
	}
	if ev != nil {
		ev.report(e.stderr)
	}
	if pub != nil {
		ps := pub.Close(drainFor)
		fmt.Fprintf(e.stderr, "harborwatch sensor: published %d messages to NATS; %d left in the queue for the next start; %d dropped (the queue was full)%s\n",
			ps.Published, ps.Pending, ps.DroppedTotal(), droppedKinds(ps.Dropped))
	}
	if err := js.Err(); err != nil {
		return fmt.Errorf("sensor: write: %w", err)
	}
	fmt.Fprintln(e.stderr, "harborwatch sensor: stopped")
	return nil
}
