package incident

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"harborwatch/site"
	"harborwatch/store"
)

// MaxFindings is the most findings an incident may hold.
const MaxFindings = 200

// Open makes an incident of a site from findings (their ids). Its
// detection time, where the reporting clock starts, is the earliest
// first-seen packet time of the findings (now when they have none); the
// title defaults to the first finding's.
func Open(ctx context.Context, st store.Store, siteID string, ids []string, title, author string, now time.Time) (store.Incident, error) {
	if len(ids) == 0 || len(ids) > MaxFindings {
		return store.Incident{}, fmt.Errorf("an incident needs 1 to %d findings, got %d: %w", MaxFindings, len(ids), store.ErrInvalid)
	}
	in := store.Incident{Site: siteID, Status: store.IncidentOpen, Author: author, Title: title}
	for _, id := range ids {
		if slices.Contains(in.Findings, id) {
			continue
		}
		f, err := st.Finding(ctx, siteID, id)
		if err != nil {
			return in, err
		}
		in.Findings = append(in.Findings, f.ID)
		if in.Title == "" {
			in.Title = f.Title
		}
		if !f.FirstSeen.IsZero() && (in.Detected.IsZero() || f.FirstSeen.Before(in.Detected)) {
			in.Detected = f.FirstSeen
		}
	}
	if in.Detected.IsZero() {
		in.Detected = now
	}
	return st.AddIncident(ctx, in)
}

// Load reads an incident and what its draft needs from the store, and
// drafts its report at now. Findings that are gone are named in the
// returned notes.
func Load(ctx context.Context, st store.Store, id string, now time.Time) (*Report, []string, error) {
	in, err := st.Incident(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	inp := Input{Incident: in, Now: now}
	var notes []string
	for _, fid := range in.Findings {
		f, err := st.Finding(ctx, in.Site, fid)
		if err != nil {
			notes = append(notes, fmt.Sprintf("finding %s: %v", fid, err))
			continue
		}
		inp.Findings = append(inp.Findings, f)
	}
	if s, err := st.Site(ctx, in.Site); err == nil && s.YAML != "" {
		if m, err := site.Parse(in.Site+".yaml", []byte(s.YAML)); err == nil {
			inp.Site = m
		}
	}
	if inp.Assets, err = st.Assets(ctx, in.Site); err != nil {
		return nil, notes, err
	}
	// The events around the findings: a minute either side of their span.
	var first, last time.Time
	for _, f := range inp.Findings {
		if !f.FirstSeen.IsZero() && (first.IsZero() || f.FirstSeen.Before(first)) {
			first = f.FirstSeen
		}
		if f.LastSeen.After(last) {
			last = f.LastSeen
		}
	}
	if !first.IsZero() {
		evs, _, err := st.Events(ctx, store.EventQuery{Site: in.Site, Since: first.Add(-time.Minute), Until: last.Add(time.Minute), Limit: 10000})
		if err != nil {
			return nil, notes, err
		}
		inp.Events = evs
	}
	return Draft(inp), notes, nil
}

// WriteBundleOf writes the signed evidence bundle of a drafted incident
// to w: README.txt, report.json, report.html, report.txt, findings.json,
// events.json (the timeline: the findings' spans and the events around them), indicators.stix.json, the evidence
// pcaps (pcaps/), notes.txt when something could not be included, and the
// signed manifest.
func WriteBundleOf(ctx context.Context, st store.Store, r *Report, priv ed25519.PrivateKey, now time.Time, w io.Writer) (*Manifest, []string, error) {
	in := r.Incident
	caps := map[string]store.Capture{}
	for _, f := range r.Findings {
		for _, ev := range f.Evidence {
			if _, ok := caps[ev.Capture]; ok {
				continue
			}
			c, err := st.Capture(ctx, ev.Capture)
			if err == nil && c.Site == in.Site {
				caps[c.ID] = c
			}
		}
	}
	dir, err := os.MkdirTemp("", "harborwatch-incident")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	pcaps, notes, err := Pcaps(dir, r.Findings, caps)
	if err != nil {
		return nil, notes, err
	}
	js := func(v any) []byte {
		b, _ := json.MarshalIndent(v, "", "  ")
		return append(b, '\n')
	}
	var html, text bytes.Buffer
	if err := r.WriteHTML(&html); err != nil {
		return nil, notes, err
	}
	if err := r.WriteText(&text); err != nil {
		return nil, notes, err
	}
	items := []Item{
		{Name: "README.txt", Data: []byte(fmt.Sprintf("Evidence bundle of incident %s (site %s), made %s by harborwatch.\n"+
			"SENSITIVE SECURITY INFORMATION (49 CFR part 1520). TLP:AMBER+STRICT.\n"+
			"manifest.json lists every file with its SHA-256; manifest.sig is the hex ed25519 signature of manifest.json.\n"+
			"Check it with: harborwatch incident verify --pub KEY.pub BUNDLE.zip\n", in.ID, in.Site, now.UTC().Format(time.RFC3339)))},
		{Name: "report.json", Data: js(r)},
		{Name: "report.html", Data: html.Bytes()},
		{Name: "report.txt", Data: text.Bytes()},
		{Name: "findings.json", Data: js(r.Findings)},
		{Name: "events.json", Data: js(r.Timeline)},
		{Name: "indicators.stix.json", Data: js(STIX(in, r.Facility, r.Findings, r.Files, now))},
	}
	items = append(items, pcaps...)
	if len(notes) > 0 {
		items = append(items, Item{Name: "notes.txt", Data: []byte(strings.Join(notes, "\n") + "\n")})
	}
	m, err := WriteBundle(w, in.ID, in.Site, cmp.Or(now, time.Now()), items, priv)
	return m, notes, err
}
