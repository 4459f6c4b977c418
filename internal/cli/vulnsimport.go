package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"harborwatch/internal/textsafe"
	"harborwatch/store"
	"harborwatch/vuln"
)

func vulnsImportCommand() *command {
	return &command{
		name:  "vulns import",
		short: "import CSAF 2.0 advisories into the server's store",
		usage: "harborwatch vulns import [--data DIR | --db URL] FILE|DIR...",
		long: `
Imports security advisories in CSAF 2.0 JSON (as CISA publishes its ICS
advisories; a folder mirrored offline — no network is used) into the store
of 'harborwatch serve'. Folders are read recursively for *.json; a file
named on the command line is read whatever its name. The server matches
every capture it analyzes against the advisories stored (as well as those
of its --csaf), and lists them and the matches per asset in its API.

An advisory is kept by its tracking id, one revision at a time. Importing
the same revision again changes nothing; a newer one (a later current
release date, or on the same date a higher tracking version) replaces the
stored one; an older one is left out. Each file gets one line:

  imported   ID  revision V of DATE  FILE   (new)
  updated    ID  revision V of DATE  FILE   (replaced revision W of DATE)
  unchanged  ID  revision V of DATE  FILE   (stored: the same or newer)
  rejected   FILE: FIELD: what is wrong      (not a CSAF 2.0 document)

then the counts. Every file rejected is also written to standard error; the
others are imported all the same, and the command exits 2. Each advisory
imported or updated is recorded in the audit log.

Examples:
  harborwatch vulns import --data /var/lib/harborwatch csaf-mirror/
  harborwatch vulns import --db postgres://hw@db:5432/hw icsa-24-284-01.json`,
		run: runVulnsImport,
	}
}

// importCounts is what an import did.
type importCounts struct {
	Imported, Updated, Unchanged, Rejected int
}

func runVulnsImport(ctx context.Context, e *env, args []string) error {
	c := vulnsImportCommand()
	fs := newFlags(c, e)
	d := bindData(fs, e)
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("vulns import: no advisories: give CSAF files or folders (see 'harborwatch vulns import --help')")
	}
	for _, p := range pos {
		if _, err := os.Stat(p); err != nil {
			return usagef("vulns import: %s: cannot read it: %v", textsafe.String(p), unwrapPath(err))
		}
	}
	files, err := vuln.Files(pos...)
	if err != nil {
		return usagef("vulns import: %v", err)
	}
	if len(files) == 0 {
		return usagef("vulns import: no *.json file in %s", textsafe.String(fmt.Sprint(pos)))
	}
	st, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var n importCounts
	ew := &errWriter{w: e.stdout}
	p := func(format string, args ...any) { fmt.Fprintf(ew, format, args...) }
	s := textsafe.String
	rev := func(version string, t time.Time) string {
		return "revision " + version + " of " + t.UTC().Format(time.DateOnly)
	}
	actor := localActor()
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		a, data, err := vuln.ReadFile(f)
		if err != nil {
			n.Rejected++
			var ve *vuln.Error
			if !errors.As(err, &ve) {
				err = fmt.Errorf("%s: %v", f, unwrapPath(err))
			}
			p("rejected   %s\n", s(err.Error()))
			fmt.Fprintf(e.stderr, "harborwatch: vulns import: rejected %s\n", s(err.Error()))
			continue
		}
		sa := store.Advisory{ID: a.ID, Title: a.Title, Publisher: a.Publisher, Version: a.Version, Current: a.Current,
			File: f, Doc: data, By: actor}
		outcome, prev, err := st.PutAdvisory(ctx, sa)
		if err != nil {
			return fmt.Errorf("vulns import: %s: %w", f, err)
		}
		line := fmt.Sprintf("%-10s %s  %s  %s", outcome, s(a.ID), s(rev(a.Version, a.Current)), s(f))
		switch outcome {
		case store.AdvisoryImported:
			n.Imported++
		case store.AdvisoryUpdated:
			n.Updated++
			line += "  (replaced " + s(rev(prev.Version, prev.Current)) + ")"
		case store.AdvisoryUnchanged:
			n.Unchanged++
			line += "  (stored: " + s(rev(prev.Version, prev.Current)) + ")"
		}
		p("%s\n", line)
		if outcome == store.AdvisoryUnchanged {
			continue
		}
		detail, _ := json.Marshal(map[string]string{"outcome": outcome, "version": a.Version,
			"current_release": a.Current.UTC().Format(time.RFC3339), "file": f, "title": a.Title})
		if err := auditLocal(ctx, st, "advisory.import", "advisory:"+a.ID, "ok", string(detail)); err != nil {
			return fmt.Errorf("vulns import: audit: %w", err)
		}
	}
	p("ADVISORIES: %s: %d imported, %d updated, %d unchanged, %d rejected\n",
		nouns(len(files), "file", "files"), n.Imported, n.Updated, n.Unchanged, n.Rejected)
	if ew.err != nil {
		return ew.err
	}
	if n.Rejected > 0 {
		fmt.Fprintf(e.stderr, "harborwatch: vulns import: %s rejected (the others were imported)\n", nouns(n.Rejected, "file", "files"))
		return exitError{ExitUsage}
	}
	return nil
}
