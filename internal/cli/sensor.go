//go:build linux

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"harborwatch/analysis"
	"harborwatch/capture"
	"harborwatch/capture/live"
	"harborwatch/sink/jsonl"
	"harborwatch/site"
)

func sensorCommand() *command {
	return &command{
		name:  "sensor",
		short: "watch network interfaces live and write findings as they are raised",
		usage: "harborwatch sensor --interface IF[,IF…] [--site FILE] [--out FILE] [--events FILE] [--ring SIZE] [--workers N] [--flow-memory SIZE] [--log-level LEVEL] [--log-format text|json]",
		long: `
Captures the traffic of one or more network interfaces — a crane network's
SPAN or TAP port — with Linux AF_PACKET and a TPACKET_V3 memory-mapped ring
(promiscuous, VLAN tags kept), analyzes it exactly as 'analyze' does, and
writes each finding as a JSON line (the finding object of the report, as
'analyze --findings' writes it) to --out or standard output as soon as it is
raised and each time it changes. --events writes the protocol events too.

It runs until SIGINT or SIGTERM, then finishes the analysis of what it read
(the inventory's findings come then) and reports the packets the kernel
dropped because the ring was full (--ring, default 64MiB). It needs root or
CAP_NET_RAW.

Example:
  harborwatch sensor --interface eth1 --site site.yaml --out /var/log/harborwatch/findings.jsonl`,
		run: runSensor,
	}
}

func runSensor(ctx context.Context, e *env, args []string) error {
	c := sensorCommand()
	fs := newFlags(c, e)
	var ifaces, siteFile, out, events, ring, flowMemory string
	var workers int
	fs.StringVar(&ifaces, "interface", "", "capture on `IF` (several: IF1,IF2)")
	fs.StringVar(&siteFile, "site", e.getenv("HARBORWATCH_SITE"), "site model `FILE` (site.yaml)")
	fs.StringVar(&out, "out", "", "append findings as JSON lines to `FILE` (default: standard output)")
	fs.StringVar(&events, "events", "", "append protocol events as JSON lines to `FILE`")
	fs.StringVar(&ring, "ring", "64MiB", "kernel ring `SIZE` per interface")
	fs.IntVar(&workers, "workers", envInt(e, "HARBORWATCH_WORKERS"), "`N` parallel workers (0 = one per CPU)")
	fs.StringVar(&flowMemory, "flow-memory", envOr(e, "HARBORWATCH_FLOW_MEMORY", "256MiB"), "`SIZE` memory budget of the analysis")
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
	if ifaces == "" {
		return usagef("sensor: --interface is required")
	}
	ringBytes, err := parseBytes(ring)
	if err != nil || ringBytes <= 0 {
		return usagef("sensor: --ring %q: want a size such as 64MiB", ring)
	}
	mem, err := parseBytes(flowMemory)
	if err != nil {
		return usagef("sensor: --flow-memory %q: %v", flowMemory, err)
	}
	var st *site.Site
	if siteFile != "" {
		if st, err = site.Load(siteFile); err != nil {
			return siteProblems(e, err)
		}
	}
	var findingsW io.Writer = e.stdout
	if out != "" {
		f, err := os.OpenFile(out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return usagef("sensor: --out: %v", err)
		}
		defer f.Close()
		findingsW = f
	}
	streams := jsonl.Streams{Findings: findingsW}
	if events != "" {
		f, err := os.OpenFile(events, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return usagef("sensor: --events: %v", err)
		}
		defer f.Close()
		streams.Events = f
	}
	var srcs []*live.Source
	var caps []capture.Source
	defer func() {
		for _, s := range srcs {
			s.Close()
		}
	}()
	for _, name := range strings.Split(ifaces, ",") {
		s, err := live.Open(strings.TrimSpace(name), live.Options{Ring: int(ringBytes)})
		if err != nil {
			return err
		}
		srcs, caps = append(srcs, s), append(caps, s)
	}
	sink := jsonl.New(streams)
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = s.Name()
	}
	sink.Captures(names)
	log := e.logger()
	fmt.Fprintf(e.stderr, "harborwatch sensor: capturing on %s; findings to %s\n", strings.Join(names, ", "), map[bool]string{true: out, false: "standard output"}[out != ""])
	// A signal stops the sources: the analysis then ends as at the end
	// of a file, with the inventory's findings.
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-stopped:
		}
		for _, s := range srcs {
			s.Stop()
		}
	}()
	defer close(stopped)
	start := time.Now()
	res, err := analysis.Run(context.WithoutCancel(ctx), analysis.Options{Sources: caps, Site: st, Workers: workers, FlowMemory: mem,
		Sink: sink, Findings: true, Events: events != "", Logger: log})
	if err != nil {
		return err
	}
	if err := sink.Err(); err != nil {
		return fmt.Errorf("sensor: write: %w", err)
	}
	for _, s := range srcs {
		if ks, err := s.Stats(); err == nil {
			fmt.Fprintf(e.stderr, "harborwatch sensor: %s: the kernel passed %d packets and dropped %d (ring full)\n", s.Name(), ks.Packets, ks.Drops)
		}
	}
	fmt.Fprintf(e.stderr, "harborwatch sensor: stopped after %.0f s: %d packets analyzed, %d findings\n",
		time.Since(start).Seconds(), res.Document.Stats.Packets, len(res.Document.Findings))
	return nil
}
