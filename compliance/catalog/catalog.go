package catalog

import (
	_ "embed"
	"slices"
	"sync"

	"harborwatch/finding"
	"harborwatch/internal/yamlfile"
)

// Problem is one thing wrong with a catalog file, at a 1-based line and
// column (0 when only the line is known).
type Problem = yamlfile.Problem

// Problems is every problem found in a catalog file, sorted by position.
type Problems = yamlfile.Problems

// Source is where a control comes from.
type Source string

// The sources of controls.
const (
	SourceMSCI   Source = "msci"   // MARAD MSCI advisory (2026-007)
	SourceUSCG   Source = "uscg"   // 33 CFR part 101 subpart F
	SourceMARSEC Source = "marsec" // MARSEC Directives 105-4 and 105-5 (SSI)
)

// Observed says how harborwatch can see whether a control is met.
type Observed string

// The ways a control can be observed.
const (
	ObservedRules     Observed = "rules"     // the findings of the rules that cite it
	ObservedInventory Observed = "inventory" // the asset inventory and its reconciliation
	ObservedIntegrity Observed = "integrity" // program and firmware hashes
	ObservedCoverage  Observed = "coverage"  // which links the captures cover
	ObservedAttest    Observed = "attest"    // only a person's attestation or records
)

// Citation says where a control comes from.
type Citation struct {
	Document  string // e.g. "33 CFR 101.650 (90 FR 6298, FR Doc 2025-00708)"
	Paragraph string // e.g. "§101.650(a)(1)"
	Date      string // YYYY-MM-DD
	// DateKind says what Date is: "published", "effective", "issued",
	// "due" or "expires"; "" when the file does not say.
	DateKind string
	URL      string // https URL of the source, "" when it has none
}

// Evidence is what satisfies a control.
type Evidence struct {
	Observed Observed
	What     string // the records, settings or observations that show it met
}

// Control is one entry of the catalog.
type Control struct {
	ID       string
	Title    string
	Source   Source
	Summary  string // the project's own reading of the source
	Citation Citation
	Evidence Evidence
	How      string // how to satisfy the control
	// Rules are the ids of the rules that cite the control, in the order
	// of the rule table; empty when none does.
	Rules []string
	// AttestOnly is true for controls that can only be attested (the
	// MARSEC Directives, whose text is not public).
	AttestOnly bool
	Line       int // line of the entry in the file
}

func (c Control) clone() Control {
	c.Rules = slices.Clone(c.Rules)
	return c
}

// Catalog is a versioned list of controls. It is immutable and safe for
// concurrent use.
type Catalog struct {
	// File names the file the catalog was read from.
	File string
	// Version is the catalog's version, as the file states it.
	Version  int
	controls []Control
	byID     map[string]int
}

// builtinFile names the embedded catalog in problems.
const builtinFile = "compliance/catalog/controls.yaml"

//go:embed controls.yaml
var builtinYAML []byte

var builtin = sync.OnceValues(func() (*Catalog, error) {
	return Parse(builtinFile, builtinYAML)
})

// Load returns the catalog shipped with harborwatch
// (compliance/catalog/controls.yaml), parsed on first use. An error, which
// the package's tests rule out, is Problems.
func Load() (*Catalog, error) { return builtin() }

// Control returns the control with the given id.
func (c *Catalog) Control(id string) (Control, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Control{}, false
	}
	return c.controls[i].clone(), true
}

// Controls returns every control, in file order.
func (c *Catalog) Controls() []Control {
	out := make([]Control, len(c.controls))
	for i, ctl := range c.controls {
		out[i] = ctl.clone()
	}
	return out
}

// ForRule returns the controls that a rule cites, in the rule's order;
// nil for an unknown rule. A control the rule cites but the catalog lacks
// is left out (the tests rule this out for the built-in catalog).
func (c *Catalog) ForRule(rule string) []Control {
	r, ok := finding.Lookup(rule)
	if !ok {
		return nil
	}
	var out []Control
	for _, id := range r.Controls {
		if ctl, ok := c.Control(id); ok {
			out = append(out, ctl)
		}
	}
	return out
}

// rulesCiting maps each control id to the rules citing it, in rule table
// order.
func rulesCiting() map[string][]string {
	m := map[string][]string{}
	for _, r := range finding.Rules() {
		for _, id := range r.Controls {
			if !slices.Contains(m[id], r.ID) {
				m[id] = append(m[id], r.ID)
			}
		}
	}
	return m
}
