package cli

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"harborwatch/auth"
	"harborwatch/compliance"
	"harborwatch/store"
)

func complianceCommand() *command {
	return &command{
		name:  "compliance",
		short: "where a site stands against the control catalog (text, JSON, CSV plan of action, HTML, OSCAL, PDF)",
		usage: "harborwatch compliance [--data DIR | --db URL] [--site ID] [--format text|json|csv|html|oscal|pdf] [--out FILE] [--at TIME] [--max-age D] [--unused-after D]",
		long: `
Evaluates every control of the catalog (MSCI Advisory 2026-007, 33 CFR part
101 subpart F, MARSEC Directives 105-4/105-5) for a site of the server's
store and writes where it stands, control by control, with the evidence that
decides each status:

  satisfied      nothing on the wire against it and every monitored zone seen
  partly         nothing against it, but not everything could be seen
  not-satisfied  open findings (or facts) against it
  not-assessed   nothing shows it either way: a person must attest it
  attested       a person attested it (an attestation in force)

A status whose newest evidence is older than --max-age is marked stale. The
access register (harborwatch access) is reconciled with what the wire shows:
remote sessions and controller changes from sources no entry covers are
access.unregistered findings.

Formats: text (a terminal), json, csv (the plan of action and milestones:
one row per control not satisfied, partly, not assessed or stale), html (a
printable report: cover, summary by source, every control with its evidence,
the plan of action), oscal (an OSCAL 1.1.3 assessment-results document) and
pdf (the HTML report printed by a headless Chromium or Chrome, which must be
installed; needs --out).

--site may be left out when the store holds one site. Attest controls with
'harborwatch attest'.

Examples:
  harborwatch compliance --data /var/lib/harborwatch --site t3
  harborwatch compliance --data /var/lib/harborwatch --site t3 --format csv --out poam.csv
  harborwatch compliance --data /var/lib/harborwatch --site t3 --format oscal --out t3-ar.json
  harborwatch compliance --data /var/lib/harborwatch --site t3 --format pdf --out t3.pdf`,
		run: runCompliance,
	}
}

type complianceOptions struct {
	site, format, out, at, maxAge, unused string
}

func runCompliance(ctx context.Context, e *env, args []string) error {
	c := complianceCommand()
	fs := newFlags(c, e)
	d := bindData(fs, e)
	var o complianceOptions
	fs.StringVar(&o.site, "site", "", "evaluate site `ID` (default: the only site of the store)")
	fs.StringVar(&o.format, "format", "text", "output `FORMAT`: text, json, csv, html, oscal or pdf")
	fs.StringVar(&o.out, "out", "", "write to `FILE` (default: standard output)")
	fs.StringVar(&o.at, "at", "", "evaluate at `TIME` (RFC 3339; default: now), e.g. to judge an old capture")
	fs.StringVar(&o.maxAge, "max-age", "30d", "evidence older than `D` is stale, and a zone not seen for D is not covered")
	fs.StringVar(&o.unused, "unused-after", "90d", "an access register entry not used for `D` is a review item")
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("compliance takes no arguments, got %q", pos[0])
	}
	formats := append(slices.Clone(compliance.Formats), "pdf")
	if !slices.Contains(formats, o.format) {
		return usagef("compliance: --format %q: want %s", o.format, strings.Join(formats, ", "))
	}
	if o.format == "pdf" && (o.out == "" || o.out == "-") {
		return usagef("compliance: --format pdf needs --out FILE")
	}
	policy, at, err := complianceTimes(o.at, o.maxAge, o.unused)
	if err != nil {
		return err
	}
	st, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	siteID, err := pickSite(ctx, st, o.site)
	if err != nil {
		return err
	}
	g, err := compliance.Gather(ctx, st, siteID, at, policy)
	if err != nil {
		return err
	}
	for _, w := range g.Truncated {
		fmt.Fprintf(e.stderr, "harborwatch compliance: warning: %s\n", w)
	}
	outs := newOutputs(e, "compliance")
	defer outs.abort()
	out, err := outs.create("out", cmp.Or(o.out, "-"))
	if err != nil {
		return err
	}
	if o.format == "pdf" {
		var h bytes.Buffer
		if err := g.Report.WriteHTML(&h); err != nil {
			return err
		}
		pdf, err := printPDF(ctx, h.Bytes())
		if err != nil {
			return err
		}
		if _, err := out.Write(pdf); err != nil {
			return out.failed(err)
		}
	} else if err := g.Report.Write(out, o.format); err != nil {
		return out.failed(err)
	}
	if err := out.commit(); err != nil {
		return err
	}
	r := g.Report
	fmt.Fprintf(e.stderr, "harborwatch compliance: site %s: %d controls: %d not satisfied, %d partly, %d not assessed, %d attested, %d satisfied (%d stale)\n",
		siteID, len(r.Results), r.Counts[compliance.NotSatisfied], r.Counts[compliance.Partly], r.Counts[compliance.NotAssessed],
		r.Counts[compliance.Attested], r.Counts[compliance.Satisfied], r.Stale)
	return nil
}

// complianceTimes parses --at, --max-age and --unused-after.
func complianceTimes(atFlag, maxAge, unused string) (compliance.Policy, time.Time, error) {
	var p compliance.Policy
	at := time.Now().UTC()
	if atFlag != "" {
		t, err := time.Parse(time.RFC3339, atFlag)
		if err != nil {
			return p, at, usagef("--at %q: want an RFC 3339 time such as 2026-11-03T10:00:00Z", atFlag)
		}
		at = t.UTC()
	}
	var err error
	if p.MaxAge, err = auth.ParseDuration(maxAge); err != nil || p.MaxAge <= 0 {
		return p, at, usagef("--max-age %q: want a positive duration such as 30d", maxAge)
	}
	if p.UnusedAfter, err = auth.ParseDuration(unused); err != nil || p.UnusedAfter <= 0 {
		return p, at, usagef("--unused-after %q: want a positive duration such as 90d", unused)
	}
	return p, at, nil
}

// pickSite returns the site asked for, or the store's only site.
func pickSite(ctx context.Context, st store.Store, id string) (string, error) {
	if id != "" {
		if _, err := st.Site(ctx, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return "", usagef("no site %q in the store", id)
			}
			return "", err
		}
		return id, nil
	}
	sites, err := st.Sites(ctx)
	if err != nil {
		return "", err
	}
	switch len(sites) {
	case 0:
		return "", usagef("the store holds no site: upload a site model first (PUT /api/v1/sites/ID)")
	case 1:
		return sites[0].ID, nil
	}
	ids := make([]string, len(sites))
	for i, s := range sites {
		ids[i] = s.ID
	}
	return "", usagef("the store holds %d sites (%s): choose one with --site", len(sites), strings.Join(ids, ", "))
}
