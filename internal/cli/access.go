package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"harborwatch/compliance"
	"harborwatch/internal/textsafe"
	"harborwatch/store"
)

func accessCommand() *command {
	return &command{
		name:  "access",
		short: "the access register: who maintains access to each crane and system",
		usage: "harborwatch access add --site ID --system S --holder NAME --path gateway|rcms|on-site --sources LIST [--crane ID] [--mfa] [--clause TEXT] [--clause-doc FILE] [--attester NAME] [--expires YYYY-MM-DD] [--data DIR | --db URL]\n       harborwatch access list --site ID [--unused-after D] [--data DIR | --db URL]\n       harborwatch access import [--data DIR | --db URL] FILE.csv\n       harborwatch access remove [--data DIR | --db URL] ENTRY-ID",
		long: `
The access register answers the advisory's question of who maintains access
to the facility's maritime technology: per crane and system, the vendor or
person (--holder), the path (the site's remote-access gateway, the crane
supplier's RCMS, or on site), the addresses their sessions come from
(--sources: addresses or CIDR prefixes, comma separated), whether MFA is in
place and the contract clause on data sharing and remote access — both
attested by --attester, the contract kept by its SHA-256 (--clause-doc) —
and when the access expires.

'access list' reconciles the register with what the wire showed: each entry
with when it was last used, the entries to review (expired, never used, or
not used for --unused-after), and the access.unregistered findings: remote
sessions and controller changes from sources no entry covers.

'access import FILE.csv' adds the rows of a CSV file with the columns
site,crane,system,holder,path,sources,mfa,clause,clause_sha256,attester,expires
(any order; an id column replaces existing entries). Sources are separated by
spaces or semicolons. Every bad row is reported as FILE:LINE:COLUMN and
nothing is stored unless every row is good (exit 2).

Every change is recorded in the audit log.

Examples:
  harborwatch access add --data /var/lib/harborwatch --site t3 --system cms01 --holder "Crane Vendor Support" \
    --path gateway --sources 10.20.0.10 --mfa --clause "Service contract 7.2" --clause-doc contract.pdf --attester "J. Officer"
  harborwatch access import --data /var/lib/harborwatch register.csv
  harborwatch access list --data /var/lib/harborwatch --site t3`,
		run: runAccess,
	}
}

func runAccess(ctx context.Context, e *env, args []string) error {
	c := accessCommand()
	fs := newFlags(c, e)
	d := bindData(fs, e)
	var a store.AccessEntry
	var sources, clauseDoc, expires, unused string
	fs.StringVar(&a.Site, "site", "", "the site `ID`")
	fs.StringVar(&a.Crane, "crane", "", "the crane `ID` (empty for a system not on a crane)")
	fs.StringVar(&a.System, "system", "", "the `SYSTEM` accessed (e.g. plc1, cms01, an asset id)")
	fs.StringVar(&a.Holder, "holder", "", "the vendor or person who holds the access (`NAME`)")
	fs.StringVar(&a.Path, "path", "", "the access `PATH`: gateway, rcms or on-site")
	fs.StringVar(&sources, "sources", "", "the `LIST` of addresses or CIDR prefixes the sessions come from, comma separated")
	fs.BoolVar(&a.MFA, "mfa", false, "MFA is in place on this path (attested by --attester)")
	fs.StringVar(&a.Clause, "clause", "", "the contract clause on data sharing and remote access (`TEXT`)")
	fs.StringVar(&clauseDoc, "clause-doc", "", "the contract `FILE`: its SHA-256 is kept")
	fs.StringVar(&a.Attester, "attester", "", "the `NAME` of who attests MFA and the clause")
	fs.StringVar(&expires, "expires", "", "the access expires on `YYYY-MM-DD`")
	fs.StringVar(&unused, "unused-after", "90d", "list: an entry not used for `D` is a review item")
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("access: want add, list, import or remove (see 'harborwatch access --help')")
	}
	switch pos[0] {
	case "add":
		if len(pos) != 1 {
			return usagef("access add takes no arguments")
		}
		for _, s := range strings.Split(sources, ",") {
			if s = strings.TrimSpace(s); s != "" {
				a.Sources = append(a.Sources, s)
			}
		}
		if expires != "" {
			t, err := time.Parse(time.DateOnly, expires)
			if err != nil {
				return usagef("access add: --expires %q: want YYYY-MM-DD", expires)
			}
			a.Expires = t
		}
		if clauseDoc != "" {
			if a.ClauseSHA256, _, err = hashFile(clauseDoc); err != nil {
				return usageError{fmt.Errorf("access add: --clause-doc: %w", err)}
			}
		}
		a.Author = localActor()
		if err := a.Check(); err != nil {
			return usagef("access add: %v", err)
		}
		st, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		if _, err := st.Site(ctx, a.Site); errors.Is(err, store.ErrNotFound) {
			return usagef("access add: no site %q in the store", a.Site)
		}
		if a, err = st.PutAccess(ctx, a); err != nil {
			return err
		}
		if err := auditAccess(ctx, st, "access.put", a); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, a.ID)
		return nil
	case "import":
		if len(pos) != 2 {
			return usagef("access import: want exactly one CSV file")
		}
		f, err := os.Open(pos[1])
		if err != nil {
			return usageError{fmt.Errorf("access import: %w", err)}
		}
		defer f.Close()
		entries, ps := compliance.ParseAccessCSV(pos[1], f)
		if len(ps) > 0 {
			for _, p := range ps {
				fmt.Fprintln(e.stderr, textsafe.String(p.Error()))
			}
			return usagef("access import: %d problem(s) in %s: nothing imported", len(ps), pos[1])
		}
		st, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, en := range entries {
			if _, err := st.Site(ctx, en.Site); errors.Is(err, store.ErrNotFound) {
				return usagef("access import: no site %q in the store: nothing imported", en.Site)
			}
		}
		for _, en := range entries {
			en.Author = localActor()
			en, err := st.PutAccess(ctx, en)
			if err != nil {
				return err
			}
			if err := auditAccess(ctx, st, "access.put", en); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, en.ID)
		}
		fmt.Fprintf(e.stderr, "harborwatch access: %d entries imported from %s\n", len(entries), pos[1])
		return nil
	case "remove":
		if len(pos) != 2 {
			return usagef("access remove: want exactly one entry ID (see 'harborwatch access list')")
		}
		st, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.DeleteAccess(ctx, pos[1]); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return usagef("access remove: no entry %q", pos[1])
			}
			return err
		}
		if err := auditLocal(ctx, st, "access.delete", "access:"+pos[1], "ok", ""); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "harborwatch: access entry %s removed\n", pos[1])
		return nil
	case "list":
		policy, now, err := complianceTimes("", "30d", unused)
		if err != nil {
			return err
		}
		st, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		siteID, err := pickSite(ctx, st, a.Site)
		if err != nil {
			return err
		}
		g, err := compliance.Gather(ctx, st, siteID, now, policy)
		if err != nil {
			return err
		}
		writeAccessList(e, g)
		return nil
	}
	return usagef("access: unknown subcommand %q: want add, list, import or remove", pos[0])
}

func auditAccess(ctx context.Context, st store.Store, action string, a store.AccessEntry) error {
	detail, _ := json.Marshal(map[string]any{"site": a.Site, "crane": a.Crane, "system": a.System, "holder": a.Holder, "path": a.Path,
		"sources": a.Sources, "mfa": a.MFA, "clause_sha256": a.ClauseSHA256})
	return auditLocal(ctx, st, action, "access:"+a.ID, "ok", string(detail))
}

func writeAccessList(e *env, g *compliance.Gathered) {
	s := textsafe.String
	fmt.Fprintf(e.stdout, "%-18s %-8s %-10s %-24s %-8s %-4s %-20s %s\n", "ID", "CRANE", "SYSTEM", "HOLDER", "PATH", "MFA", "LAST USED", "SOURCES")
	for _, a := range g.Input.Access {
		last := "never"
		if t := g.Reconciled.Used[a.ID]; !t.IsZero() {
			last = t.Format(time.RFC3339)
		}
		fmt.Fprintf(e.stdout, "%-18s %-8s %-10s %-24s %-8s %-4s %-20s %s\n", a.ID, s(a.Crane), s(a.System), s(a.Holder), a.Path,
			map[bool]string{true: "yes", false: "no"}[a.MFA], last, s(strings.Join(a.Sources, ",")))
	}
	if len(g.Reconciled.Reviews) > 0 {
		fmt.Fprintln(e.stdout, "\nTo review:")
		for _, r := range g.Reconciled.Reviews {
			fmt.Fprintf(e.stdout, "  %s (%s, %s): %s\n", r.Entry.ID, s(r.Entry.Holder), s(r.Entry.System), r.Reason)
		}
	}
	if len(g.Reconciled.Findings) > 0 {
		fmt.Fprintf(e.stdout, "\nUnregistered access (%s):\n", compliance.RuleUnregistered)
		for _, f := range g.Reconciled.Findings {
			fmt.Fprintf(e.stdout, "  %s %s → %s %s, %d×, last %s\n", f.ID, f.Src.IP, f.Dst.IP, s(f.App), f.Count, f.LastSeen.Format(time.RFC3339))
		}
	}
}
