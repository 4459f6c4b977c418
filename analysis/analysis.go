package analysis

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"harborwatch/capture"
	"harborwatch/declared"
	"harborwatch/event"
	"harborwatch/inventory"
	"harborwatch/oui"
	"harborwatch/pipeline"
	"harborwatch/report"
	"harborwatch/site"
	"harborwatch/supplier"
	"harborwatch/vuln"
)

// Options configure a run. The zero value reads nothing (Run then fails);
// everything else has the defaults of pipeline.Options.
type Options struct {
	// Files are capture files (pcap or pcapng) to open, read and close.
	Files []string
	// Hash computes the SHA-256 of each file in Files as it is read (see
	// capture.Options.Hash), for Result.SHA256.
	Hash bool
	// Sources are captures already open, read after Files as part of the
	// same timeline; the caller closes them.
	Sources []capture.Source
	// Site is the facility's site model; nil → site.Default(), and the
	// document then names no facility.
	Site *site.Site
	// Workers is the number of shards working in parallel (0 → NumCPU).
	Workers int
	// FlowMemory bounds the flow tables' memory in bytes (0 → 256 MiB); a
	// value below pipeline.FlowMemoryFloor(Workers) is raised to the
	// floor, with a warning in the log.
	FlowMemory int64
	// Batches is pipeline.Options.Batches (0 → the pipeline's default).
	Batches int
	// Sink, when not nil, receives what the run finds as it happens, as
	// in pipeline.Options: events with Events, finding updates with
	// Findings, flows with Flows. With Findings, the inventory's findings
	// (made once the captures are read) follow the pipeline's, each as a
	// new finding stamped with the time of the last packet.
	Sink                                  pipeline.Sink
	Events, Findings, Flows, Observations bool
	// KeepEvent filters events in the shards, as pipeline.Options.KeepEvent.
	KeepEvent func() func(*event.Event) bool
	// SkipEventOps leaves out the events of these operations, as
	// pipeline.Options.SkipEventOps.
	SkipEventOps []string
	// Progress, when not nil, is updated as packets are read.
	Progress *pipeline.Progress
	// OnDamage, when not nil, is called with the *capture.DamageError of
	// each damaged capture (also logged as a warning), from the reading
	// goroutine.
	OnDamage func(error)
	// Declared are imported asset lists (CSV, JSON, CycloneDX BOMs) the
	// inventory reconciles with what the captures show.
	Declared []declared.Result
	// Advisories are CSAF advisories (vuln.Load) the inventory's assets
	// are matched against: each match is a vulnerability.known finding,
	// among the inventory's.
	Advisories []*vuln.Advisory
	// Logger receives the run's records (nil → discard).
	Logger *slog.Logger
}

// Result is what a run produced.
type Result struct {
	// Pipeline is the packet path's result: statistics, the detection's
	// findings and assets, and events when asked for without a Sink.
	Pipeline *pipeline.Result
	// Inventory is reconciled from the declarations (the site model and
	// Options.Declared) and what the captures show.
	Inventory *inventory.Inventory
	// Document is the report of the run: statistics, every finding (the
	// detection's and the inventory's, in finding.Sort's order) and the
	// inventory.
	Document *report.Document
	// SHA256 holds, per capture (Files, then Sources), the SHA-256 of its
	// input in lower-case hex: with Options.Hash for Files, and for
	// Sources opened with capture.Options.Hash; "" when unknown.
	SHA256 []string
}

// InputError is a capture that cannot be read as one: the file is
// missing, not readable, a directory, not a capture, or a capture whose
// file header is damaged (a *capture.DamageError before the first
// packet; damage after it is not fatal). It is the caller's input at
// fault (the CLI exits 2), not the run. Its message is the underlying
// error's.
type InputError struct {
	File string
	Err  error
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Run opens the captures, reads them as one timeline through the
// pipeline, builds the inventory and the report document. Damaged
// captures are not fatal: every packet before the damage is analyzed and
// the damage is logged, passed to OnDamage and counted in the statistics.
//
// When ctx is cancelled the pipeline stops reading within a few thousand
// packets and Run finishes with what was read (see pipeline.Run): the
// inventory and the document are built from it, and Document.Stats.Partial
// is set with the reason. The error is nil then.
func Run(ctx context.Context, opts Options) (*Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(opts.Files)+len(opts.Sources) == 0 {
		return nil, errors.New("analysis: no capture to read")
	}
	srcs := make([]capture.Source, 0, len(opts.Files)+len(opts.Sources))
	names := make([]string, 0, cap(srcs))
	opened := 0
	defer func() {
		for _, s := range srcs[:opened] {
			s.Close()
		}
	}()
	for _, f := range opts.Files {
		s, err := open(f, opts.Hash)
		if err != nil {
			return nil, err
		}
		srcs, names = append(srcs, s), append(names, f)
		opened++
		var size int64
		if fi, err := os.Stat(f); err == nil {
			size = fi.Size()
		}
		log.Info("opened capture "+f, "file", f, "bytes", size)
	}
	for _, s := range opts.Sources {
		srcs, names = append(srcs, s), append(names, s.Name())
	}

	popts := pipeline.Options{Site: opts.Site, Workers: opts.Workers, FlowMemory: opts.FlowMemory, Batches: opts.Batches,
		Sink: opts.Sink, Events: opts.Events, KeepEvent: opts.KeepEvent, SkipEventOps: opts.SkipEventOps, Findings: opts.Findings, Flows: opts.Flows, Observations: opts.Observations, Progress: opts.Progress}
	// Without a site model nothing is judged against zones: the report
	// says what was seen instead (report.Seen), counted from the run's
	// flows and ICS requests.
	var seen *report.Counter
	var shardSeen []*shardCounter
	if opts.Site == nil {
		// Requests are counted in the shards, by the event filter, so
		// that events nobody asked for are never merged across shards.
		seen = report.NewCounter()
		var mu sync.Mutex
		callerKeep, want := opts.KeepEvent, opts.Events
		popts.KeepEvent = func() func(*event.Event) bool {
			sc := &shardCounter{c: report.NewCounter()}
			var keep func(*event.Event) bool
			if callerKeep != nil {
				keep = callerKeep()
			}
			mu.Lock()
			shardSeen = append(shardSeen, sc)
			mu.Unlock()
			return func(e *event.Event) bool {
				if e.Dir == event.Request {
					sc.c.Op(e.Proto, e.Op, e.Src, e.Dst)
				}
				if !want {
					sc.dropped++
					return false
				}
				return keep == nil || keep(e)
			}
		}
		popts.Events = true
	}
	if floor := pipeline.FlowMemoryFloor(opts.Workers); opts.FlowMemory > 0 && opts.FlowMemory < floor {
		log.Warn(fmt.Sprintf("flow memory %s is below the floor of %s (1,024 flows a worker); using %s",
			sizeString(opts.FlowMemory), sizeString(floor), sizeString(floor)),
			"flow_memory", opts.FlowMemory, "floor", floor, "workers", opts.Workers)
		popts.FlowMemory = floor
	}
	popts.OnDamage = func(err error) {
		attrs := []any{"error", err.Error()}
		if de, ok := errors.AsType[*capture.DamageError](err); ok {
			attrs = append(attrs, "file", de.File, "offset", de.Offset, "packet", de.Packet)
		}
		log.Warn(err.Error(), attrs...)
		if opts.OnDamage != nil {
			opts.OnDamage(err)
		}
	}
	popts.OnUnknownLink = func(l capture.LinkType, file string) {
		log.Warn(fmt.Sprintf("%s: link type %s is not one harborwatch decodes: its packets are counted (stats.unknown_link_types), not analyzed", file, l),
			"file", file, "link_type", l.String())
	}
	// The inventory needs the MAC registry and the supplier catalog at the
	// end; parse them meanwhile on a spare core.
	go warmInventory()

	start := time.Now()
	res, err := pipeline.Run(ctx, srcs, popts)
	if err != nil {
		return nil, err
	}
	st := &res.Stats
	for _, sc := range shardSeen {
		seen.Merge(sc.c)
		st.EventsFiltered -= sc.dropped // made for the count only
	}
	if seen != nil {
		for name, a := range st.Analyzers {
			seen.Protocol(name, a.Confirmed)
		}
	}
	if st.Partial {
		log.Info(fmt.Sprintf("stopped after %s: %s", nouns(st.Packets, "packet", "packets"), st.PartialReason),
			"packets", st.Packets, "reason", st.PartialReason)
	}
	log.Info(fmt.Sprintf("analyzed %s, %s in %.2f s", nouns(st.Packets, "packet", "packets"), nouns(st.Flows, "flow", "flows"), time.Since(start).Seconds()),
		"packets", st.Packets, "bytes", st.Bytes, "flows", st.Flows, "evicted_flows", st.EvictedFlows,
		"tcp_gaps", st.TCPGaps, "tcp_dropped_bytes", st.TCPDroppedBytes, "decode_errors", st.DecodeErrorTotal(),
		"damaged_captures", st.Damaged(), "findings", len(res.Findings), "seconds", time.Since(start).Seconds())

	inv := inventory.Build(inventory.Options{Site: opts.Site, Declared: opts.Declared, Observed: res.Observation, Captures: names})
	if len(opts.Advisories) > 0 {
		vf := vuln.Findings(inv, opts.Advisories, opts.Site)
		inv.Findings = append(inv.Findings, vf...)
		log.Info(fmt.Sprintf("matched %s against %s: %s", nouns(uint64(len(inv.Assets)), "asset", "assets"),
			nouns(uint64(len(opts.Advisories)), "advisory", "advisories"), nouns(uint64(len(vf)), "known vulnerability finding", "known vulnerability findings")),
			"advisories", len(opts.Advisories), "findings", len(vf))
	}
	if opts.Sink != nil && opts.Findings {
		var last time.Time
		if st.LastTS != nil {
			last = *st.LastTS
		}
		for i := range inv.Findings {
			opts.Sink.Finding(&pipeline.FindingUpdate{Kind: pipeline.FindingNew, At: last, Finding: inv.Findings[i]})
		}
	}
	var fac *report.Facility
	if s := opts.Site; s != nil {
		fac = &report.Facility{ID: s.Facility.ID, Name: s.Facility.Name, Port: s.Facility.Port}
	}
	sums := make([]string, len(srcs))
	for i, s := range srcs {
		if sum, ok := capture.SHA256(s); ok {
			sums[i] = hex.EncodeToString(sum[:])
		}
	}
	doc := report.NewDocument(fac, res.Stats, res.Findings, inv)
	if seen != nil {
		doc.Seen = seen.Seen(inv.Assets)
	}
	return &Result{Pipeline: res, Inventory: inv, Document: doc, SHA256: sums}, nil
}

// shardCounter counts one shard's requests, and the events made for
// the count only.
type shardCounter struct {
	c       *report.Counter
	dropped uint64
}

// open opens one capture file; a missing, unreadable or non-capture file,
// and one whose file header is damaged, is an *InputError.
func open(path string, hash bool) (capture.Source, error) {
	s, err := capture.OpenWith(path, capture.Options{Hash: hash})
	if err != nil {
		_, damaged := errors.AsType[*capture.DamageError](err)
		if damaged || errors.Is(err, capture.ErrNotCapture) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return nil, &InputError{File: path, Err: err}
		}
		return nil, err
	}
	return s, nil
}

// warmInventory loads the embedded tables the inventory reads (both are
// parsed once, on first use).
func warmInventory() {
	oui.Default()
	supplier.Builtin()
}

// nouns formats a count of things: "1 packet", "1,207 packets".
func nouns(n uint64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return count(n) + " " + many
}

// count formats n with thousands separators.
func count(n uint64) string {
	s := fmt.Sprint(n)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// sizeString formats a byte count in the units a flow memory is given in
// (KiB, MiB, GiB).
func sizeString(n int64) string {
	for _, u := range []struct {
		mul  int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.mul {
			if n%u.mul == 0 {
				return fmt.Sprintf("%d%s", n/u.mul, u.name)
			}
			return fmt.Sprintf("%.1f%s", float64(n)/float64(u.mul), u.name)
		}
	}
	return fmt.Sprintf("%dB", n)
}
