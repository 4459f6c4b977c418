package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"harborwatch/incident"
	"harborwatch/internal/textsafe"
	"harborwatch/signing"
	"harborwatch/store"
)

func incidentCommand() *command {
	return &command{
		name:  "incident",
		short: "open incidents from findings; report draft, signed evidence bundle, STIX",
		usage: "harborwatch incident open --site ID [--title T] [--data DIR | --db URL] FINDING-ID...\n" +
			"       harborwatch incident list [--site ID] [--data DIR | --db URL]\n" +
			"       harborwatch incident show [--format text|json|html] [--out FILE] [--data DIR | --db URL] INCIDENT-ID\n" +
			"       harborwatch incident update [--status open|reported|closed] [--note TEXT] [--field KEY=VALUE]... [--data DIR | --db URL] INCIDENT-ID\n" +
			"       harborwatch incident bundle --key KEY.key --out FILE.zip [--data DIR | --db URL] INCIDENT-ID\n" +
			"       harborwatch incident verify --pub KEY.pub FILE.zip\n" +
			"       harborwatch incident stix [--out FILE] [--data DIR | --db URL] INCIDENT-ID",
		long: `
When findings show something happening — a PLC stopped, a program pushed, a
session from nowhere — open an incident from them. 'incident show' drafts the
report the National Response Center (1-800-424-8802, without delay) and CISA
ask for: all 22 fields of the merged list, each filled from what harborwatch
knows, suggested for the officer to confirm, or marked TO BE ADDED BY A
PERSON; whether it looks reportable under 33 CFR 101 (guidance: the
Cybersecurity Officer decides) and the time since detection; a timeline from
the findings and the events around them; the contacts of the advisory.

'incident update' records what a person adds: --field KEY=VALUE for a field
of the draft (reporter, entity, functional_impact, information_impact,
recoverability, actor, actions, notifications, ...), --note, --status.

'incident bundle' writes a zip with the draft (JSON, HTML, text), the
findings, the timeline, the STIX indicators and the pcaps of the evidence
packets, and a manifest of their SHA-256s signed with the facility's ed25519
key (make one with 'harborwatch keygen'); 'incident verify' checks a bundle
with the public key: signature, every file's hash, nothing added or removed.

'incident stix' writes the indicators (external addresses contacted,
prohibited domains, names of transferred files) as a STIX 2.1 bundle marked
TLP:AMBER, for the information-sharing exchanges the advisory recommends.

Every change is recorded in the audit log.

Examples:
  harborwatch incident open --data /var/lib/harborwatch --site t3 HW-6568C0C8A04E
  harborwatch incident show --data /var/lib/harborwatch I3f0c9a1b2c3d4e5f
  harborwatch incident update --data /var/lib/harborwatch --field reporter="J. Officer, CySO, +1 555 0100" I3f0c9a1b2c3d4e5f
  harborwatch incident bundle --data /var/lib/harborwatch --key /etc/harborwatch/officer.key --out inc.zip I3f0c9a1b2c3d4e5f
  harborwatch incident verify --pub officer.pub inc.zip`,
		run: runIncident,
	}
}

func runIncident(ctx context.Context, e *env, args []string) error {
	c := incidentCommand()
	fs := newFlags(c, e)
	d := bindData(fs, e)
	var siteID, title, format, out, status, note, key, pub string
	var fields multiFlag
	fs.StringVar(&siteID, "site", "", "the site `ID`")
	fs.StringVar(&title, "title", "", "open: the incident's `TITLE` (default: the first finding's)")
	fs.StringVar(&format, "format", "text", "show: `FORMAT` text, json or html")
	fs.StringVar(&out, "out", "", "show, bundle, stix: write to `FILE`")
	fs.StringVar(&status, "status", "", "update: the new `STATUS` (open, reported, closed)")
	fs.StringVar(&note, "note", "", "update: append `TEXT` to the notes")
	fs.Var(&fields, "field", "update: set a report field, `KEY=VALUE` (repeatable; an empty VALUE clears it)")
	fs.StringVar(&key, "key", "", "bundle: the ed25519 private `KEY` file (harborwatch keygen)")
	fs.StringVar(&pub, "pub", "", "verify: the ed25519 public `KEY` file")
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("incident: want open, list, show, update, bundle, verify or stix (see 'harborwatch incident --help')")
	}
	verb, rest := pos[0], pos[1:]
	one := func() (string, error) {
		if len(rest) != 1 {
			return "", usagef("incident %s: want exactly one incident ID (see 'harborwatch incident list')", verb)
		}
		return rest[0], nil
	}
	if verb == "verify" {
		if len(rest) != 1 || pub == "" {
			return usagef("incident verify: want --pub KEY.pub and one bundle file")
		}
		pk, err := signing.ReadPublic(pub)
		if err != nil {
			return usageError{fmt.Errorf("incident verify: %w", err)}
		}
		f, err := os.Open(rest[0])
		if err != nil {
			return usageError{fmt.Errorf("incident verify: %w", err)}
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		m, err := incident.Verify(f, fi.Size(), pk)
		if err != nil {
			fmt.Fprintf(e.stdout, "%s: %v\n", textsafe.String(rest[0]), err)
			return exitError{ExitFailure}
		}
		fmt.Fprintf(e.stdout, "%s: verified: incident %s of site %s, %d files, signed by key %s on %s\n", textsafe.String(rest[0]),
			textsafe.String(m.Incident), textsafe.String(m.Site), len(m.Files), m.KeyID, m.Created.Format(time.RFC3339))
		return nil
	}
	st, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC()
	notFound := func(err error) error {
		if errors.Is(err, store.ErrNotFound) {
			return usageError{fmt.Errorf("incident %s: %w", verb, err)}
		}
		return err
	}
	switch verb {
	case "open":
		if siteID == "" || len(rest) == 0 {
			return usagef("incident open: want --site ID and at least one finding ID")
		}
		in, err := incident.Open(ctx, st, siteID, rest, title, localActor(), now)
		if err != nil {
			if errors.Is(err, store.ErrInvalid) {
				return usageError{err}
			}
			return notFound(err)
		}
		detail, _ := json.Marshal(map[string]any{"site": in.Site, "findings": in.Findings})
		if err := auditLocal(ctx, st, "incident.open", "incident:"+in.ID, "ok", string(detail)); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, in.ID)
		return nil
	case "list":
		ins, err := st.Incidents(ctx, siteID)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%-18s %-8s %-9s %-20s %-8s %s\n", "ID", "SITE", "STATUS", "DETECTED", "FINDINGS", "TITLE")
		for _, in := range ins {
			fmt.Fprintf(e.stdout, "%-18s %-8s %-9s %-20s %-8d %s\n", in.ID, textsafe.String(in.Site), in.Status, in.Detected.Format(time.RFC3339), len(in.Findings), textsafe.String(in.Title))
		}
		return nil
	case "show", "stix", "bundle":
		id, err := one()
		if err != nil {
			return err
		}
		if verb == "show" && format != "text" && format != "json" && format != "html" {
			return usagef("incident show: --format %q: want text, json or html", format)
		}
		if verb == "bundle" && (key == "" || out == "" || out == "-") {
			return usagef("incident bundle: want --key KEY.key and --out FILE.zip")
		}
		var priv []byte
		if verb == "bundle" {
			pk, err := signing.ReadPrivate(key)
			if err != nil {
				return usageError{fmt.Errorf("incident bundle: %w", err)}
			}
			priv = pk
		}
		r, notes, err := incident.Load(ctx, st, id, now)
		if err != nil {
			return notFound(err)
		}
		for _, n := range notes {
			fmt.Fprintf(e.stderr, "harborwatch incident: warning: %s\n", textsafe.String(n))
		}
		outs := newOutputs(e, "incident")
		defer outs.abort()
		target := out
		if target == "" {
			target = "-"
		}
		o, err := outs.create("out", target)
		if err != nil {
			return err
		}
		switch verb {
		case "show":
			switch format {
			case "json":
				enc := json.NewEncoder(o)
				enc.SetIndent("", "  ")
				err = enc.Encode(r)
			case "html":
				err = r.WriteHTML(o)
			default:
				err = r.WriteText(o)
			}
		case "stix":
			enc := json.NewEncoder(o)
			enc.SetIndent("", "  ")
			err = enc.Encode(incident.STIX(r.Incident, r.Facility, r.Findings, r.Files, now))
		case "bundle":
			var m *incident.Manifest
			var bnotes []string
			m, bnotes, err = incident.WriteBundleOf(ctx, st, r, priv, now, o)
			for _, n := range bnotes {
				fmt.Fprintf(e.stderr, "harborwatch incident: warning: %s\n", textsafe.String(n))
			}
			if err == nil {
				if err = o.commit(); err == nil {
					detail, _ := json.Marshal(map[string]any{"key_id": m.KeyID, "files": len(m.Files)})
					err = auditLocal(ctx, st, "incident.bundle", "incident:"+id, "ok", string(detail))
					fmt.Fprintf(e.stderr, "harborwatch incident: bundle of %s: %d files, signed by key %s\n", id, len(m.Files), m.KeyID)
				}
				return err
			}
		}
		if err != nil {
			return o.failed(err)
		}
		return o.commit()
	case "update":
		id, err := one()
		if err != nil {
			return err
		}
		in, err := st.Incident(ctx, id)
		if err != nil {
			return notFound(err)
		}
		if status != "" {
			in.Status = status
		}
		if note != "" {
			in.Notes = strings.TrimSpace(in.Notes + "\n" + now.Format(time.RFC3339) + " " + localActor() + ": " + note)
		}
		for _, kv := range fields {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.TrimSpace(k) == "" {
				return usagef("incident update: --field %q: want KEY=VALUE", kv)
			}
			if in.Fields == nil {
				in.Fields = map[string]string{}
			}
			if v == "" {
				delete(in.Fields, k)
			} else {
				in.Fields[k] = v
			}
		}
		in, err = st.UpdateIncident(ctx, in)
		if err != nil {
			if errors.Is(err, store.ErrInvalid) {
				return usageError{err}
			}
			return err
		}
		detail, _ := json.Marshal(map[string]any{"status": in.Status, "fields": len(fields), "note": note != ""})
		if err := auditLocal(ctx, st, "incident.update", "incident:"+in.ID, "ok", string(detail)); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "harborwatch: incident %s updated (%s)\n", in.ID, in.Status)
		return nil
	}
	return usagef("incident: unknown subcommand %q: want open, list, show, update, bundle, verify or stix", verb)
}
