package compliance

import (
	"context"
	"fmt"
	"time"

	"harborwatch/compliance/catalog"
	"harborwatch/finding"
	"harborwatch/recovery"
	"harborwatch/site"
	"harborwatch/store"
)

// Limits of Gather: a site with more stored findings or matching events
// is evaluated on the first ones, and the report says so (Truncated).
const (
	MaxFindings = 100_000
	MaxEvents   = 100_000
)

// Gathered is one site's evaluation with what it was made from.
type Gathered struct {
	Input      Input
	Report     *Report
	Reconciled Reconciled
	// Truncated names what hit a limit ("" when nothing did).
	Truncated []string
}

// Gather reads a site's state from st, reconciles its access register
// with its findings and events, and evaluates it against the built-in
// catalog at now. A site whose stored model does not parse is evaluated
// without zones (coverage not assessed); the error is not fatal.
func Gather(ctx context.Context, st store.Store, siteID string, now time.Time, policy Policy) (*Gathered, error) {
	cat, err := catalog.Load()
	if err != nil {
		return nil, err
	}
	s, err := st.Site(ctx, siteID)
	if err != nil {
		return nil, fmt.Errorf("site %q: %w", siteID, err)
	}
	g := &Gathered{}
	in := Input{Site: siteID, Now: now, Policy: policy}
	if s.YAML != "" {
		if m, err := site.Parse(siteID+".yaml", []byte(s.YAML)); err == nil {
			in.Zones = Zones(m)
		} else {
			g.Truncated = append(g.Truncated, "the stored site model does not parse: coverage is not judged")
		}
	}
	q := store.FindingQuery{Site: siteID, Limit: 1000, Now: now}
	for {
		fs, next, err := st.Findings(ctx, q)
		if err != nil {
			return nil, err
		}
		in.Findings = append(in.Findings, fs...)
		if next == "" {
			break
		}
		if len(in.Findings) >= MaxFindings {
			g.Truncated = append(g.Truncated, fmt.Sprintf("findings: only the first %d", MaxFindings))
			break
		}
		q.Cursor = next
	}
	if in.Assets, err = st.Assets(ctx, siteID); err != nil {
		return nil, err
	}
	if in.Captures, err = st.Captures(ctx, siteID, 0); err != nil {
		return nil, err
	}
	if in.Attestations, err = st.Attestations(ctx, siteID); err != nil {
		return nil, err
	}
	if in.Access, err = st.AccessEntries(ctx, siteID); err != nil {
		return nil, err
	}
	uses := UsesFromFindings(in.Findings)
	var evs []store.StoredEvent
	var queries []store.EventQuery
	for _, op := range changeOps {
		queries = append(queries, store.EventQuery{Site: siteID, Op: op})
	}
	for _, p := range remoteProtos {
		queries = append(queries, store.EventQuery{Site: siteID, Proto: p})
	}
	for _, eq := range queries {
		eq.Limit = 10000
		for {
			page, next, err := st.Events(ctx, eq)
			if err != nil {
				return nil, err
			}
			evs = append(evs, page...)
			if next == "" {
				break
			}
			if len(evs) >= MaxEvents {
				g.Truncated = append(g.Truncated, fmt.Sprintf("events: only the first %d", MaxEvents))
				break
			}
			eq.Cursor = next
		}
	}
	// An event of a session or change a finding already stands for adds
	// nothing but a second count.
	type key struct{ src, dst, kind string }
	have := map[key]bool{}
	for _, u := range uses {
		have[key{u.Src.IP.String(), u.Dst.IP.String(), u.Kind}] = true
	}
	for _, u := range UsesFromEvents(evs) {
		if !have[key{u.Src.IP.String(), u.Dst.IP.String(), u.Kind}] {
			uses = append(uses, u)
		}
	}
	g.Reconciled = Reconcile(siteID, in.Access, uses, now, policy)
	in.Derived = g.Reconciled.Findings
	gaps, err := gatherRegisters(ctx, st, s, &in)
	if err != nil {
		return nil, err
	}
	in.Derived = append(in.Derived, gaps...)
	g.Input = in
	g.Report = Evaluate(cat, in)
	return g, nil
}

// gatherRegisters counts the recovery registers into in.Registers and
// returns the readiness gaps of the site's cranes (default policy) that no
// stored finding already stands for: the registers are judged at
// evaluation time, as 'harborwatch readiness' would, whether or not it was
// run. Registers that hold nothing are not judged (the controls they
// decide are left to attestations).
func gatherRegisters(ctx context.Context, st store.Store, s store.Site, in *Input) ([]finding.Finding, error) {
	bs, err := st.Backups(ctx, "")
	if err != nil {
		return nil, err
	}
	ss, err := st.Spares(ctx, "")
	if err != nil {
		return nil, err
	}
	bls, err := st.Baselines(ctx)
	if err != nil {
		return nil, err
	}
	vs, err := st.Verifications(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	reg := Registers{Backups: len(bs), Spares: len(ss), Baselines: len(bls), Verifications: len(vs)}
	for _, v := range vs {
		if v.At.After(reg.LastVerified) {
			reg.LastVerified = v.At
		}
	}
	in.Registers = reg
	if len(bs) == 0 && len(ss) == 0 || s.YAML == "" {
		return nil, nil
	}
	m, err := site.Parse(s.ID+".yaml", []byte(s.YAML))
	if err != nil || len(m.Cranes) == 0 {
		return nil, nil
	}
	var cranes []string
	for _, c := range m.Cranes {
		cranes = append(cranes, c.ID)
	}
	changes, err := recovery.StoreChanges(ctx, st)
	if err != nil {
		return nil, err
	}
	rep := recovery.Readiness(cranes, bs, ss, changes, recovery.Policy{}, in.Now)
	stored := map[string]bool{}
	for _, f := range in.Findings {
		stored[f.ID] = true
	}
	var out []finding.Finding
	for _, f := range rep.Findings() {
		reg := register(f.Rule)
		if stored[f.ID] || reg == "" || in.Registers.count(reg) == 0 {
			continue
		}
		out = append(out, f)
	}
	return out, nil
}
