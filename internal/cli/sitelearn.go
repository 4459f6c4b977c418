package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"harborwatch/analysis"
	"harborwatch/event"
	"harborwatch/learn"
	"harborwatch/pipeline"
	"harborwatch/site"
)

func siteLearnCommand() *command {
	return &command{
		name:  "site learn",
		short: "draft a site model from captures",
		usage: "harborwatch site learn [--out FILE] [--site EXISTING] [--facility ID] [--csv FILE]... [--json FILE]... [--bom FILE]... [--workers N] [--log-level LEVEL] [--log-format text|json] CAPTURE...",
		long: `
Drafts a site model (site.yaml) from what the captures show, for a person to
review before it is used:

  zones     one per subnet (/24, /64) and VLAN seen, with a kind guessed from
            the roles of its hosts: ICS servers (PLCs, drives, I/O) make a
            crane-control zone, hosts that poll controllers crane-management,
            cameras crane-noncritical, name and time servers port-ot, hosts
            that reach other zones only by remote-access protocols
            remote-access, the rest business; subnets of one /16 with the
            same kind and VLANs are merged. Each zone says why.
  conduits  one per pair of zones and protocol seen, with the server ports and
            the ICS operations seen, and a comment with the flows, requests,
            first and last seen and the hosts. Operations that change what a
            controller runs (program download or upload, stop, start,
            firmware update, configuration change) are never allowed: they
            stay findings until a person allows them in a change window.
  assets    every device of the inventory, with vendor, model, firmware and
            supplier, and what identified it.
  gateways  hosts that reach other zones by remote-access protocols only.

What looks wrong is listed at the top as "# review:" lines: engineering
operations from outside a management zone, remote access into a crane zone
not through a gateway, cleartext file transfers into crane zones, internet
traffic from crane zones, cameras on control networks, devices of suppliers
of concern in crane zones, devices in two zones. The draft allows the
traffic it was learned from, problems included — analyzing the same captures
with it gives no segmentation finding — so the review lines are where the
problems are named. Cranes, change windows and prohibited lists are not
guessed.

With --site EXISTING the draft extends a site model instead of starting
afresh: hosts in its zones stay there, the devices it lists and the traffic
its conduits allow are not drafted again, and the output is its text with
the new zones, conduits and assets (their comments start with "learned:")
inserted after the last entry of each list; no line of it is changed. The
review lines and guessed gateways follow at the end, as comments. Lists to
extend must be block lists (- …), not flow style ([…]).

The draft is checked as 'harborwatch site check' checks a file before it is
written. A summary goes to standard error.

Examples:
  harborwatch site learn --out site.yaml monday.pcap tuesday.pcap
  harborwatch site learn --site site.yaml --out site-extended.yaml wednesday.pcap
  harborwatch site check site.yaml && harborwatch analyze --site site.yaml monday.pcap`,
		run: runSiteLearn,
	}
}

func runSiteLearn(ctx context.Context, e *env, args []string) error {
	c := siteLearnCommand()
	fs := newFlags(c, e)
	var out, facility, existing string
	var workers int
	fs.StringVar(&out, "out", "", "write the draft to `FILE` instead of standard output")
	fs.StringVar(&facility, "facility", "", "facility `ID` written into the draft (default learned)")
	fs.StringVar(&existing, "site", "", "extend the site model `FILE` instead of drafting a new one")
	fs.IntVar(&workers, "workers", envInt(e, "HARBORWATCH_WORKERS"), "`N` parallel workers (0 = one per CPU)")
	var csvs, jsons, boms listFlag
	fs.Var(&csvs, "csv", "the declared asset list `FILE` in CSV, as for 'inventory' (repeatable): devices seen but not in it get a review line")
	fs.Var(&jsons, "json", "the declared asset list `FILE` in JSON (repeatable)")
	fs.Var(&boms, "bom", "a CycloneDX BOM `FILE` of declared devices (repeatable)")
	logOpts := logFlags(fs, e)
	files, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if err := checkEnvInts(e, fs, "site learn", "workers"); err != nil {
		return err
	}
	if err := logOpts.start(e, fs, "site learn"); err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("site learn: no capture given (see 'harborwatch site learn --help')")
	}
	if workers < 0 {
		return usagef("site learn: %s: must be 0 or more", given(e, fs, "workers", strconv.Itoa(workers)))
	}
	workers = capWorkers(e, fs, workers)
	var ex *site.Site
	var exText []byte
	if existing != "" {
		if ex, err = site.Load(existing); err != nil {
			return siteProblems(e, err)
		}
		if exText, err = os.ReadFile(existing); err != nil {
			return usagef("site learn: --site %s: %v", existing, unwrapPath(err))
		}
	}
	imports, err := readDeclared(e, csvs, jsons, boms)
	if err != nil {
		return err
	}
	outs := newOutputs(e, "site learn", files...)
	outs.input(existing)
	outs.input(csvs...)
	outs.input(jsons...)
	outs.input(boms...)
	defer outs.abort()
	of, err := outs.create("out", cmp.Or(out, "-"))
	if err != nil {
		return err
	}
	l := learn.New()
	sink := pipeline.SinkFuncs{
		OnFlow: func(r *pipeline.FlowRecord) {
			if r.Open {
				return // counted at its end
			}
			l.Flow(&learn.Flow{Client: r.Client, Server: r.Server, Transport: r.Transport, App: r.App,
				Packets: r.Packets[0] + r.Packets[1], First: r.First, Last: r.Last})
		},
		OnEvent: func(ev *event.Event) {
			if ev.Dir != event.Request || ev.Op == "" {
				return
			}
			l.Op(&learn.Op{Client: ev.Src, Server: ev.Dst, Port: ev.DPort, Proto: ev.Proto, Op: ev.Op, TS: ev.TS})
		},
	}
	res, err := analyzeFiles(ctx, e, files, analysis.Options{Site: site.Default(), Workers: workers, Sink: sink, Flows: true, Events: true, Declared: imports}, nil)
	if err != nil {
		return err
	}
	d, err := l.Draft(learn.Options{Inventory: res.Inventory, Facility: facility, Captures: files, Findings: res.Document.Findings,
		Existing: ex, ExistingText: exText})
	if errors.Is(err, learn.ErrFlowList) {
		return usagef("site learn: --site %s: %v", existing, err)
	}
	if err != nil {
		return err
	}
	name := cmp.Or(out, "site.yaml")
	if _, err := site.Parse(name, d.YAML); err != nil {
		// A draft that does not load is a bug of the learner, not the
		// user's input.
		return fmt.Errorf("site learn: the draft does not pass 'site check' (please report this): %w", err)
	}
	if err := writeOut(of, func(w io.Writer) error { _, err := w.Write(d.YAML); return err }); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "harborwatch: site learn: %s, %s, %s, %s, %s to review (from %s, %s)\n",
		nouns(len(d.Zones), "zone", "zones"), nouns(len(d.Conduits), "conduit", "conduits"), nouns(len(d.Assets), "asset", "assets"),
		nouns(len(d.Gateways), "remote-access gateway", "remote-access gateways"), nouns(len(d.Reviews), "item", "items"),
		nouns(l.Flows, "flow", "flows"), nouns(l.Ops, "ICS request", "ICS requests"))
	return nil
}
