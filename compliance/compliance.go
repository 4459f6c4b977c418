package compliance

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"harborwatch/compliance/catalog"
	"harborwatch/finding"
	"harborwatch/site"
	"harborwatch/store"
)

// Status is where a site stands on one control.
type Status string

// The statuses, from best to worst (Attested and NotAssessed aside).
const (
	Satisfied    Status = "satisfied"
	Partly       Status = "partly"
	NotSatisfied Status = "not-satisfied"
	NotAssessed  Status = "not-assessed"
	Attested     Status = "attested"
)

// Statuses lists every status in report order.
var Statuses = []Status{NotSatisfied, Partly, NotAssessed, Attested, Satisfied}

// String returns s as reports write it.
func (s Status) String() string { return string(s) }

// MarshalText implements encoding.TextMarshaler.
func (s Status) MarshalText() ([]byte, error) { return []byte(s), nil }

// Defaults of Policy.
const (
	DefaultMaxAge      = 30 * 24 * time.Hour
	DefaultUnusedAfter = 90 * 24 * time.Hour
)

// Policy sets the ages that make evidence stale. The zero value takes the
// defaults.
type Policy struct {
	// MaxAge is how old the newest evidence of a status may be before the
	// status is stale, and how recently a zone must have been seen to count
	// as covered; 0 → DefaultMaxAge.
	MaxAge time.Duration
	// UnusedAfter is how long an access register entry may go unused
	// before it is a review item; 0 → DefaultUnusedAfter.
	UnusedAfter time.Duration
}

func (p Policy) maxAge() time.Duration { return cmp.Or(p.MaxAge, DefaultMaxAge) }
func (p Policy) unused() time.Duration { return cmp.Or(p.UnusedAfter, DefaultUnusedAfter) }

// Zone is a zone of the site model that should be monitored.
type Zone struct {
	ID, Kind, Crane string
}

// Zones returns the zones of a site model that monitoring should cover:
// the crane zones and the remote-access zones, in file order.
func Zones(s *site.Site) []Zone {
	var out []Zone
	for _, z := range s.Zones {
		if z.Builtin || !(z.Kind.IsCrane() || z.Kind == site.KindRemoteAccess) {
			continue
		}
		out = append(out, Zone{ID: z.ID, Kind: string(z.Kind), Crane: z.Crane})
	}
	return out
}

// Input is what Evaluate judges: one site's stored state.
type Input struct {
	Site   string
	Now    time.Time // the time of the evaluation
	Policy Policy
	// Zones are the zones to cover (Zones of the site model); nil when the
	// site has no model.
	Zones        []Zone
	Findings     []store.Finding // every state
	Assets       []store.Asset
	Captures     []store.Capture
	Attestations []store.Attestation
	Access       []store.AccessEntry
	// Derived are findings made at evaluation time (Reconcile's
	// access.unregistered, the readiness gaps of the registers), judged as
	// open findings.
	Derived []finding.Finding
	// Registers are the recovery registers: what decides the controls
	// whose rules judge the registers, not the wire.
	Registers Registers
}

// Registers counts the recovery registers' entries, with the newest
// change or verification of each.
type Registers struct {
	Backups, Spares, Baselines, Verifications int
	// LastVerified is the newest baseline verification (zero: none).
	LastVerified time.Time
}

// register names the register a rule judges ("" for a rule of the wire):
// "backups", "spares" or "baselines".
func register(rule string) string {
	r, ok := finding.Lookup(rule)
	if !ok || r.Counts != "check" {
		return ""
	}
	switch {
	case strings.HasPrefix(rule, "recovery.spares"), strings.HasPrefix(rule, "recovery.rebuild"):
		return "spares"
	case strings.HasPrefix(rule, "recovery."):
		return "backups"
	case strings.HasPrefix(rule, "integrity."):
		return "baselines"
	}
	return ""
}

// registersOf lists the registers that decide a control, nil when one of
// its rules is judged from the wire.
func registersOf(ctl catalog.Control) []string {
	var out []string
	for _, rule := range ctl.Rules {
		reg := register(rule)
		if reg == "" {
			return nil
		}
		if !slices.Contains(out, reg) {
			out = append(out, reg)
		}
	}
	return out
}

func (g Registers) count(reg string) int {
	switch reg {
	case "backups":
		return g.Backups
	case "spares":
		return g.Spares
	case "baselines":
		return g.Baselines
	}
	return 0
}

// judgeRegisters judges a control decided by the recovery registers: the
// readiness gaps and verifications against it, else what the registers
// hold; an empty register leaves it to an attestation.
func judgeRegisters(r *Result, regs []string, in Input, against, valid, expired int) {
	var empty, held []string
	for _, reg := range regs {
		n := in.Registers.count(reg)
		if n == 0 {
			empty = append(empty, reg)
			continue
		}
		held = append(held, fmt.Sprintf("%d %s", n, reg))
		r.Evidence = append(r.Evidence, Item{Kind: "register", Ref: reg, At: in.Now, Text: fmt.Sprintf("the %s register holds %d entries", reg, n)})
	}
	switch {
	case against > 0:
		r.Status, r.Reason = NotSatisfied, fmt.Sprintf("%d open finding(s) or readiness gap(s) against it", against)
	case len(empty) > 0:
		judgeAttest(r, valid, expired)
		r.Reason += fmt.Sprintf(" (the %s register is empty: record it with harborwatch %s, or attest)", strings.Join(empty, " and "), strings.TrimSuffix(strings.Join(empty, "/"), "s"))
	default:
		r.Status, r.Reason = Satisfied, fmt.Sprintf("the registers (%s) show no readiness gap or differing verification", strings.Join(held, ", "))
		if valid > 0 {
			r.Reason += fmt.Sprintf("; %d valid attestation(s)", valid)
		}
	}
}

// Item is one piece of evidence behind a status.
type Item struct {
	Kind  string    `json:"kind"` // finding, derived-finding (access.unregistered), asset, zone, inventory, attestation, access
	Ref   string    `json:"ref"`  // the finding, asset, zone, capture, attestation or entry id
	Text  string    `json:"text"`
	At    time.Time `json:"at,omitzero"` // when it was last observed or attested
	Stale bool      `json:"stale,omitempty"`
	// Against is true when the item counts against the control (an open
	// finding, an asset not isolated, a zone not seen).
	Against bool `json:"against,omitempty"`
}

// Result is the status of one control and the evidence that decides it.
type Result struct {
	Control  catalog.Control `json:"-"`
	ID       string          `json:"id"`
	Title    string          `json:"title"`
	Source   catalog.Source  `json:"source"`
	Observed string          `json:"observed"`
	Status   Status          `json:"status"`
	Stale    bool            `json:"stale"`
	Reason   string          `json:"reason"`
	Evidence []Item          `json:"evidence"`
	How      string          `json:"how"`
}

// ZoneCoverage is how recently a monitored zone was seen.
type ZoneCoverage struct {
	Zone     string    `json:"zone"`
	Kind     string    `json:"kind"`
	Crane    string    `json:"crane,omitempty"`
	Assets   int       `json:"assets"` // assets seen in it
	LastSeen time.Time `json:"last_seen,omitzero"`
	Fresh    bool      `json:"fresh"` // seen within the policy age
}

// Report is the evaluation of one site against the catalog.
type Report struct {
	Site            string            `json:"site"`
	At              time.Time         `json:"at"`
	MaxAge          string            `json:"max_age"`
	Catalog         int               `json:"catalog_version"`
	LastEvidence    time.Time         `json:"last_evidence,omitzero"` // newest packet time seen
	Captures        int               `json:"captures"`               // analyzed captures
	Coverage        []ZoneCoverage    `json:"coverage"`
	Results         []Result          `json:"controls"`
	Counts          map[Status]int    `json:"counts"`
	Stale           int               `json:"stale"`
	OpenFindings    int               `json:"open_findings"`
	DerivedFindings []finding.Finding `json:"derived_findings,omitempty"`
}

// days writes a duration in days when it is whole days ("30d").
func days(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// open tells whether a finding counts against controls: open or
// acknowledged (resolved and suppressed ones do not).
func open(state string) bool { return state == store.Open || state == store.Acknowledged }

// Evaluate judges every control of cat on in.
func Evaluate(cat *catalog.Catalog, in Input) *Report {
	maxAge := in.Policy.maxAge()
	rep := &Report{Site: in.Site, At: in.Now.UTC(), MaxAge: days(maxAge), Catalog: cat.Version, Counts: map[Status]int{}}
	for _, c := range in.Captures {
		if c.Status == store.Done {
			rep.Captures++
		}
	}
	// The newest packet time: of assets and findings.
	for _, a := range in.Assets {
		if a.LastSeen != nil && a.LastSeen.After(rep.LastEvidence) {
			rep.LastEvidence = *a.LastSeen
		}
	}
	for _, f := range in.Findings {
		if f.LastSeen.After(rep.LastEvidence) {
			rep.LastEvidence = f.LastSeen
		}
	}
	wireStale := rep.LastEvidence.IsZero() || in.Now.Sub(rep.LastEvidence) > maxAge
	rep.Coverage = coverage(in, maxAge)
	facts := inventoryFacts(in.Assets)

	// Findings by the controls they cite.
	type fref struct {
		f       finding.Finding
		state   string
		derived bool // made by Reconcile, not stored
	}
	byControl := map[string][]fref{}
	add := func(f finding.Finding, state string, derived bool) {
		for _, id := range f.Controls {
			byControl[id] = append(byControl[id], fref{f, state, derived})
		}
		if open(state) {
			rep.OpenFindings++
		}
	}
	for _, f := range in.Findings {
		add(f.Finding, f.State, false)
	}
	for _, f := range in.Derived {
		add(f, store.Open, true)
	}
	rep.DerivedFindings = in.Derived
	atts := map[string][]store.Attestation{}
	for _, a := range in.Attestations {
		if a.Site == in.Site {
			atts[a.Control] = append(atts[a.Control], a)
		}
	}

	for _, ctl := range cat.Controls() {
		r := Result{Control: ctl, ID: ctl.ID, Title: ctl.Title, Source: ctl.Source, Observed: string(ctl.Evidence.Observed), How: ctl.How}
		// Attestations first: evidence for every kind of control.
		valid, expired := 0, 0
		for _, a := range atts[ctl.ID] {
			it := Item{Kind: "attestation", Ref: a.ID, At: a.At, Text: fmt.Sprintf("%s attested on %s: %s", a.By, a.At.Format(time.DateOnly), a.Statement)}
			if a.DocSHA256 != "" {
				it.Text += fmt.Sprintf(" (document %s, SHA-256 %s)", cmp.Or(a.Document, "unnamed"), a.DocSHA256)
			}
			switch {
			case a.Valid(in.Now):
				valid++
				if !a.Expires.IsZero() {
					it.Text += "; expires " + a.Expires.Format(time.DateOnly)
				}
			case !a.Withdrawn.IsZero():
				it.Text += "; withdrawn " + a.Withdrawn.Format(time.DateOnly)
				it.Stale = true
			default:
				expired++
				it.Text += "; expired " + a.Expires.Format(time.DateOnly)
				it.Stale = true
			}
			r.Evidence = append(r.Evidence, it)
		}
		var against, resolved int
		for _, fr := range byControl[ctl.ID] {
			kind := "finding"
			if fr.derived {
				kind = "derived-finding"
			}
			it := Item{Kind: kind, Ref: fr.f.ID, At: fr.f.LastSeen,
				Text: fmt.Sprintf("%s %s (%s): %s, %s → %s, seen %d×", fr.f.Rule, fr.state, fr.f.Severity, fr.f.Title, side(fr.f.Src), side(fr.f.Dst), fr.f.Count)}
			if open(fr.state) {
				it.Against = true
				against++
			} else {
				resolved++
			}
			r.Evidence = append(r.Evidence, it)
		}
		regs := registersOf(ctl)
		switch {
		case ctl.AttestOnly || ctl.Evidence.Observed == catalog.ObservedAttest && len(ctl.Rules) == 0 && !accessControl(ctl.ID):
			judgeAttest(&r, valid, expired)
		case len(regs) > 0 && !accessControl(ctl.ID):
			judgeRegisters(&r, regs, in, against, valid, expired)
		default:
			judgeWire(&r, ctl, in, rep, facts, against, resolved, valid, expired, wireStale)
		}
		r.Stale = r.Stale || (r.Status != NotAssessed && r.Status != Attested && wireStale && rep.Captures > 0)
		if r.Stale {
			rep.Stale++
		}
		slices.SortStableFunc(r.Evidence, func(a, b Item) int {
			if a.Against != b.Against {
				if a.Against {
					return -1
				}
				return 1
			}
			return 0
		})
		rep.Counts[r.Status]++
		rep.Results = append(rep.Results, r)
	}
	return rep
}

func side(h finding.Host) string {
	s := h.IP.String()
	if !h.IP.IsValid() {
		s = "-"
	}
	if h.Asset != "" {
		s += " (" + h.Asset + ")"
	} else if h.Zone != "" {
		s += " [" + h.Zone + "]"
	}
	return s
}

func judgeAttest(r *Result, valid, expired int) {
	switch {
	case valid > 0:
		r.Status, r.Reason = Attested, fmt.Sprintf("%d valid attestation(s)", valid)
	case expired > 0:
		r.Status, r.Stale, r.Reason = NotAssessed, true, "every attestation has expired or was withdrawn: attest again"
	default:
		r.Status, r.Reason = NotAssessed, "only a person can tell: needs an attestation"
	}
}

// accessControl tells whether the access register is evidence for a
// control (the controls the access.unregistered rule cites).
func accessControl(id string) bool {
	r, ok := finding.Lookup(RuleUnregistered)
	return ok && slices.Contains(r.Controls, id)
}

func judgeWire(r *Result, ctl catalog.Control, in Input, rep *Report, facts facts, against, resolved, valid, expired int, wireStale bool) {
	if rep.Captures == 0 {
		if valid > 0 {
			r.Status, r.Reason = Attested, fmt.Sprintf("no analyzed capture yet; %d valid attestation(s)", valid)
			return
		}
		r.Status, r.Reason = NotAssessed, "no analyzed capture of the site yet"
		return
	}
	var partly []string
	// The kind's own evidence.
	switch ctl.Evidence.Observed {
	case catalog.ObservedInventory:
		kinds := inventoryFactsFor[ctl.ID]
		if slices.Contains(kinds, "not-isolated") {
			for _, a := range facts.notIsolated {
				r.Evidence = append(r.Evidence, Item{Kind: "asset", Ref: a.id, At: a.at, Against: true, Text: "supplier of concern not isolated: " + a.text})
			}
			for _, a := range facts.unknownIso {
				r.Evidence = append(r.Evidence, Item{Kind: "asset", Ref: a.id, At: a.at, Text: "supplier of concern, isolation cannot be judged: " + a.text})
			}
			if n := len(facts.notIsolated); n > 0 {
				partly = append(partly, fmt.Sprintf("%d asset(s) of a supplier of concern not isolated in the latest inventory", n))
			}
			if n := len(facts.unknownIso); n > 0 {
				partly = append(partly, fmt.Sprintf("%d asset(s) of a supplier of concern whose isolation cannot be judged", n))
			}
		}
		if slices.Contains(kinds, "undeclared") {
			for _, a := range facts.undeclared {
				r.Evidence = append(r.Evidence, Item{Kind: "asset", Ref: a.id, At: a.at, Against: true, Text: "seen but not declared: " + a.text})
			}
			if n := len(facts.undeclared); n > 0 {
				partly = append(partly, fmt.Sprintf("%d device(s) seen but not declared in the latest inventory", n))
			}
		}
		if slices.Contains(kinds, "advisories") && valid == 0 {
			partly = append(partly, "no known-vulnerability finding, but whether the inventory was matched against current advisories (--csaf) only a person can attest")
		}
		r.Evidence = append(r.Evidence, Item{Kind: "inventory", Ref: in.Site, At: rep.LastEvidence, Text: fmt.Sprintf("%d assets (%d declared, %d observed)", facts.total, facts.declared, facts.observed)})
	case catalog.ObservedIntegrity:
		if len(ctl.Rules) == 0 {
			judgeAttest(r, valid, expired)
			r.Reason += " (program and firmware baselines are not judged by harborwatch yet)"
			return
		}
		switch {
		case valid > 0:
		case in.Registers.Baselines == 0:
			partly = append(partly, "no integrity baseline recorded (harborwatch baseline add or learn): attest the periodic check")
		case in.Now.Sub(in.Registers.LastVerified) > in.Policy.maxAge():
			partly = append(partly, fmt.Sprintf("no baseline verification within %s (harborwatch baseline verify, serve --reverify)", days(in.Policy.maxAge())))
		default:
			r.Evidence = append(r.Evidence, Item{Kind: "register", Ref: "baselines", At: in.Registers.LastVerified,
				Text: fmt.Sprintf("%d baseline(s), %d verification(s), the newest %s", in.Registers.Baselines, in.Registers.Verifications, in.Registers.LastVerified.Format(time.RFC3339))})
		}
	}
	if accessControl(ctl.ID) {
		n, unused := 0, 0
		for _, e := range in.Access {
			if e.Site != in.Site {
				continue
			}
			n++
			it := Item{Kind: "access", Ref: e.ID, At: e.Updated, Text: fmt.Sprintf("%s maintains %s via %s from %s; MFA %s",
				e.Holder, strings.TrimPrefix(e.Crane+"/"+e.System, "/"), e.Path, strings.Join(e.Sources, ", "), yesNo(e.MFA, "attested", "not attested"))}
			if !e.Expires.IsZero() && !in.Now.Before(e.Expires) {
				it.Text += "; EXPIRED " + e.Expires.Format(time.DateOnly)
				it.Against = true
				unused++
			}
			r.Evidence = append(r.Evidence, it)
		}
		if n == 0 {
			partly = append(partly, "the access register is empty")
		} else if unused > 0 {
			partly = append(partly, fmt.Sprintf("%d access register entr(ies) expired", unused))
		}
	}
	// Coverage counts for every control judged from the wire: what was not
	// seen cannot be judged.
	seen, fresh := 0, 0
	for _, z := range rep.Coverage {
		if !z.LastSeen.IsZero() {
			seen++
		}
		if z.Fresh {
			fresh++
		}
	}
	if ctl.Evidence.Observed == catalog.ObservedCoverage {
		for _, z := range rep.Coverage {
			it := Item{Kind: "zone", Ref: z.Zone, At: z.LastSeen, Against: !z.Fresh, Stale: !z.LastSeen.IsZero() && !z.Fresh}
			switch {
			case z.LastSeen.IsZero():
				it.Text = fmt.Sprintf("zone %s (%s) never seen", z.Zone, z.Kind)
			default:
				it.Text = fmt.Sprintf("zone %s (%s): %d assets, last seen %s", z.Zone, z.Kind, z.Assets, z.LastSeen.Format(time.RFC3339))
			}
			r.Evidence = append(r.Evidence, it)
		}
	}
	covered := len(rep.Coverage) > 0 && fresh == len(rep.Coverage)
	switch {
	case len(rep.Coverage) == 0:
		partly = append(partly, "the site model declares no crane or remote-access zone to cover")
	case !covered:
		partly = append(partly, fmt.Sprintf("%d of %d monitored zones seen within %s", fresh, len(rep.Coverage), days(in.Policy.maxAge())))
	}
	switch {
	case against > 0:
		r.Status, r.Reason = NotSatisfied, fmt.Sprintf("%d open finding(s) or fact(s) against it", against)
	case ctl.Evidence.Observed == catalog.ObservedCoverage && fresh == 0:
		r.Status, r.Reason = NotSatisfied, "no monitored zone seen within the policy age"
		if len(rep.Coverage) == 0 {
			r.Status, r.Reason = NotAssessed, "the site model declares no crane or remote-access zone to cover"
		}
	case len(partly) > 0:
		r.Status, r.Reason = Partly, strings.Join(partly, "; ")
	default:
		r.Status, r.Reason = Satisfied, "no open finding; every monitored zone seen within the policy age"
	}
	if resolved > 0 {
		r.Reason += fmt.Sprintf(" (%d resolved or suppressed)", resolved)
	}
	if valid > 0 && r.Status != NotSatisfied {
		r.Reason += fmt.Sprintf("; %d valid attestation(s)", valid)
	}
}

// inventoryFactsFor says which facts of the inventory bear on each
// inventory control: suppliers of concern not isolated, devices seen but
// not declared, and whether advisories were matched (which the store does
// not record: a person attests it).
var inventoryFactsFor = map[string][]string{
	"USCG-DEV-1":  {"not-isolated", "undeclared"},
	"USCG-DEV-3":  {"undeclared"},
	"USCG-DEV-4":  {"undeclared"},
	"MSCI-VULN-1": {"advisories"},
	"USCG-RISK-2": {"advisories"},
}

func yesNo(b bool, y, n string) string {
	if b {
		return y
	}
	return n
}

// coverage is how recently each monitored zone was seen: the newest last
// seen of the assets in it.
func coverage(in Input, maxAge time.Duration) []ZoneCoverage {
	out := make([]ZoneCoverage, 0, len(in.Zones))
	for _, z := range in.Zones {
		zc := ZoneCoverage{Zone: z.ID, Kind: z.Kind, Crane: z.Crane}
		for _, a := range in.Assets {
			if a.LastSeen == nil || !slices.Contains(assetZones(a), z.ID) {
				continue
			}
			zc.Assets++
			if a.LastSeen.After(zc.LastSeen) {
				zc.LastSeen = *a.LastSeen
			}
		}
		zc.Fresh = !zc.LastSeen.IsZero() && in.Now.Sub(zc.LastSeen) <= maxAge
		out = append(out, zc)
	}
	return out
}

// assetData is the part of a stored inventory asset the evaluation reads.
type assetData struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Zones     []string   `json:"zones"`
	Vendor    string     `json:"vendor"`
	Supplier  string     `json:"supplier"`
	Isolation string     `json:"isolation"`
	Declared  bool       `json:"declared"`
	Observed  bool       `json:"observed"`
	Concern   []struct{} `json:"concern"`
}

func decodeAsset(a store.Asset) assetData {
	var d assetData
	_ = json.Unmarshal(a.Data, &d) // a stored asset that does not decode has no facts
	return d
}

func assetZones(a store.Asset) []string { return decodeAsset(a).Zones }

type fact struct {
	id, text string
	at       time.Time
}

type facts struct {
	notIsolated, unknownIso, undeclared []fact
	total, declared, observed           int
}

func inventoryFacts(as []store.Asset) facts {
	var f facts
	for _, a := range as {
		d := decodeAsset(a)
		f.total++
		if d.Declared {
			f.declared++
		}
		if d.Observed {
			f.observed++
		}
		var at time.Time
		if a.LastSeen != nil {
			at = *a.LastSeen
		}
		text := strings.TrimSpace(cmp.Or(d.Name, a.ID) + " " + d.Vendor)
		if len(d.Zones) > 0 {
			text += " in " + strings.Join(d.Zones, ", ")
		}
		fa := fact{id: a.ID, text: text, at: at}
		switch {
		case len(d.Concern) > 0 && d.Isolation == "not-isolated":
			f.notIsolated = append(f.notIsolated, fa)
		case len(d.Concern) > 0 && d.Isolation == "unknown":
			f.unknownIso = append(f.unknownIso, fa)
		}
		if d.Observed && !d.Declared {
			f.undeclared = append(f.undeclared, fa)
		}
	}
	return f
}
