package catalog

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/finding"
)

var update = flag.Bool("update", false, "rewrite testdata/*.bad.yaml.errors")

// formatProblems renders problems as the golden files hold them: one
// "line:col: message" a line.
func formatProblems(ps Problems) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Position())
		b.WriteString(": ")
		b.WriteString(p.Msg)
		b.WriteByte('\n')
	}
	return b.String()
}

func load(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("the built-in catalog is broken:\n%v", err)
	}
	return c
}

func TestLoad(t *testing.T) {
	c := load(t)
	if c.Version != 1 || c.File != "compliance/catalog/controls.yaml" {
		t.Errorf("version %d, file %q", c.Version, c.File)
	}
	if c2, _ := Load(); c2 != c {
		t.Error("Load parsed the embedded file twice")
	}
	counts := map[Source]int{}
	for _, ctl := range c.Controls() {
		counts[ctl.Source]++
	}
	want := map[Source]int{SourceMSCI: 29, SourceUSCG: 34, SourceMARSEC: 2}
	for s, n := range want {
		if counts[s] != n {
			t.Errorf("%s: %d controls, want %d", s, counts[s], n)
		}
	}
	if len(counts) != len(want) {
		t.Errorf("sources %v", counts)
	}
	ctls := c.Controls()
	if ctls[0].ID != "MSCI-GOV-1" || ctls[len(ctls)-1].ID != "MARSEC-105-5" {
		t.Errorf("not in file order: first %s, last %s", ctls[0].ID, ctls[len(ctls)-1].ID)
	}
	for i := 1; i < len(ctls); i++ {
		if ctls[i].Line <= ctls[i-1].Line {
			t.Errorf("%s at line %d after %s at line %d", ctls[i].ID, ctls[i].Line, ctls[i-1].ID, ctls[i-1].Line)
		}
	}
}

func TestControl(t *testing.T) {
	c := load(t)
	ctl, ok := c.Control("USCG-ACCT-1")
	if !ok {
		t.Fatal("USCG-ACCT-1 missing")
	}
	if ctl.Source != SourceUSCG || ctl.Citation.Paragraph != "§101.650(a)(1)" || ctl.Citation.Date != "2025-07-16" ||
		ctl.Citation.DateKind != "effective" || ctl.Evidence.Observed != ObservedRules || !slices.Equal(ctl.Rules, []string{finding.RuleICSAuthFailure}) ||
		ctl.AttestOnly || ctl.Title == "" || ctl.Summary == "" || ctl.How == "" || ctl.Evidence.What == "" {
		t.Errorf("USCG-ACCT-1: %+v", ctl)
	}
	if _, ok := c.Control("USCG-NOPE-1"); ok {
		t.Error("unknown id found")
	}
	// The catalog hands out copies.
	ctl.Rules[0] = "x"
	c.Controls()[0].Title = "x"
	if again, _ := c.Control("USCG-ACCT-1"); again.Rules[0] != finding.RuleICSAuthFailure {
		t.Error("Control shares its Rules with the catalog")
	}
	if c.Controls()[0].Title == "x" {
		t.Error("Controls shares its controls with the catalog")
	}
}

// TestRuleControlsExist: every control a rule emits is in the catalog, and
// ForRule and Control.Rules agree with the rule table.
func TestRuleControlsExist(t *testing.T) {
	c := load(t)
	used := map[string]bool{}
	for _, r := range finding.Rules() {
		for _, id := range r.Controls {
			used[id] = true
			ctl, ok := c.Control(id)
			if !ok {
				t.Errorf("rule %s cites %s, which the catalog does not define", r.ID, id)
				continue
			}
			if !slices.Contains(ctl.Rules, r.ID) {
				t.Errorf("%s.Rules %v lacks %s", id, ctl.Rules, r.ID)
			}
		}
		var got []string
		for _, ctl := range c.ForRule(r.ID) {
			got = append(got, ctl.ID)
		}
		if !slices.Equal(got, r.Controls) {
			t.Errorf("ForRule(%s) = %v, want %v", r.ID, got, r.Controls)
		}
	}
	if len(used) < 20 {
		t.Errorf("only %d control ids used by rules", len(used))
	}
	if c.ForRule("no.such-rule") != nil {
		t.Error("ForRule of an unknown rule is not nil")
	}
	// Conversely: a control with rules is cited by exactly those rules,
	// and a control judged by rules has some.
	for _, ctl := range c.Controls() {
		for _, rid := range ctl.Rules {
			if r, _ := finding.Lookup(rid); !slices.Contains(r.Controls, ctl.ID) {
				t.Errorf("%s lists rule %s, which does not cite it", ctl.ID, rid)
			}
		}
		if ctl.Evidence.Observed == ObservedRules && len(ctl.Rules) == 0 {
			t.Errorf("%s is observed by rules but no rule cites it", ctl.ID)
		}
		if used[ctl.ID] != (len(ctl.Rules) > 0) {
			t.Errorf("%s: used %v, rules %v", ctl.ID, used[ctl.ID], ctl.Rules)
		}
	}
}

func TestCitations(t *testing.T) {
	c := load(t)
	seen := map[string]bool{}
	for _, ctl := range c.Controls() {
		if seen[ctl.ID] {
			t.Errorf("duplicate id %s", ctl.ID)
		}
		seen[ctl.ID] = true
		ci := ctl.Citation
		if ci.Document == "" || ci.Paragraph == "" || ci.Date == "" || ci.DateKind == "" {
			t.Errorf("%s: incomplete citation %+v", ctl.ID, ci)
		}
		if _, err := time.Parse(time.DateOnly, ci.Date); err != nil {
			t.Errorf("%s: date %q: %v", ctl.ID, ci.Date, err)
		}
		// Every source of this catalog has a public address.
		if !strings.HasPrefix(ci.URL, "https://") {
			t.Errorf("%s: url %q", ctl.ID, ci.URL)
		}
		if ctl.Title == "" || ctl.Summary == "" || ctl.How == "" || ctl.Evidence.What == "" || ctl.Evidence.Observed == "" {
			t.Errorf("%s: a field is empty: %+v", ctl.ID, ctl)
		}
		if !strings.HasPrefix(ctl.ID, idPrefix[ctl.Source]) {
			t.Errorf("%s: source %s", ctl.ID, ctl.Source)
		}
		switch ctl.Source {
		case SourceMSCI:
			if !strings.Contains(ci.Document, "2026-007") || !strings.Contains(ci.URL, "maritime.dot.gov") {
				t.Errorf("%s: cites %q at %q", ctl.ID, ci.Document, ci.URL)
			}
		case SourceUSCG:
			if !strings.Contains(ci.Document, "33 CFR 101.6") || !strings.Contains(ci.Document, "2025-00708") || !strings.HasPrefix(ci.Paragraph, "§101.6") {
				t.Errorf("%s: cites %q %q", ctl.ID, ci.Document, ci.Paragraph)
			}
		}
	}
}

// TestUSCGParagraphs: §101.650 is covered paragraph by paragraph, and the
// sections on the owner, the CySO, the Plan, drills, records,
// communications and documentation each have a control.
func TestUSCGParagraphs(t *testing.T) {
	c := load(t)
	var paras []string
	for _, ctl := range c.Controls() {
		if ctl.Source == SourceUSCG {
			paras = append(paras, ctl.Citation.Paragraph)
		}
	}
	all := strings.Join(paras, "\n")
	for _, p := range []string{
		"§101.650(a)(1)", "§101.650(a)(2)", "§101.650(a)(3)", "§101.650(a)(4)", "§101.650(a)(5)", "§101.650(a)(6)", "§101.650(a)(7)",
		"§101.650(b)(1)", "§101.650(b)(2)", "§101.650(b)(3)", "§101.650(b)(4)", "§101.650(c)(1)", "§101.650(c)(2)",
		"§101.650(d)(1)", "§101.650(d)(2)", "§101.650(d)(3)", "§101.650(e)(1)", "§101.650(e)(2)", "§101.650(f)",
		"§101.650(g)(1)", "§101.650(g)(4)", "§101.650(h)(1)", "§101.650(h)(2)", "§101.650(i)",
		"§101.620", "§101.625", "§101.630", "§101.635", "§101.640", "§101.645", "§101.655", "§101.660",
	} {
		if !strings.Contains(all, p) {
			t.Errorf("no control cites %s", p)
		}
	}
	for id, date := range map[string]string{"USCG-TRN-1": "2026-01-12", "USCG-TRN-2": "2026-01-12", "USCG-PLAN-1": "2027-07-16", "USCG-RISK-1": "2027-07-16", "USCG-CYSO-1": "2027-07-16"} {
		if ctl, ok := c.Control(id); !ok || ctl.Citation.Date != date || ctl.Citation.DateKind != "due" {
			t.Errorf("%s: date %q (%s), want %s due", id, ctl.Citation.Date, ctl.Citation.DateKind, date)
		}
	}
}

// TestMARSEC: the directives are Sensitive Security Information: their
// entries ask for an attestation and quote nothing.
func TestMARSEC(t *testing.T) {
	c := load(t)
	var ids []string
	for _, ctl := range c.Controls() {
		if ctl.Source != SourceMARSEC {
			if ctl.AttestOnly {
				t.Errorf("%s is attest_only but not a MARSEC Directive", ctl.ID)
			}
			continue
		}
		ids = append(ids, ctl.ID)
		if !ctl.AttestOnly || ctl.Evidence.Observed != ObservedAttest || len(ctl.Rules) != 0 {
			t.Errorf("%s: attest_only %v, observed %s, rules %v", ctl.ID, ctl.AttestOnly, ctl.Evidence.Observed, ctl.Rules)
		}
		for what, s := range map[string]string{"summary": ctl.Summary, "evidence": ctl.Evidence.What, "how": ctl.How} {
			if len(s) > 200 {
				t.Errorf("%s: %s is %d bytes long, too long for a text that must only name the directive", ctl.ID, what, len(s))
			}
			if strings.ContainsAny(s, "\"“”") {
				t.Errorf("%s: %s quotes something: %q", ctl.ID, what, s)
			}
		}
		if !strings.Contains(ctl.Summary, "attest") || !strings.Contains(ctl.Summary, "SSI") || !strings.Contains(ctl.Evidence.What, "attestation") {
			t.Errorf("%s: summary %q / evidence %q does not ask for an attestation", ctl.ID, ctl.Summary, ctl.Evidence.What)
		}
		if !strings.Contains(ctl.Citation.Paragraph, "SSI") {
			t.Errorf("%s: paragraph %q", ctl.ID, ctl.Citation.Paragraph)
		}
	}
	if !slices.Equal(ids, []string{"MARSEC-105-4", "MARSEC-105-5"}) {
		t.Errorf("MARSEC controls %v", ids)
	}
}

func TestParseGood(t *testing.T) {
	data, err := os.ReadFile("testdata/small.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("small.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 3 || c.File != "small.yaml" || len(c.Controls()) != 2 {
		t.Fatalf("version %d, file %q, %d controls", c.Version, c.File, len(c.Controls()))
	}
	want := Control{
		ID: "MARSEC-105-4", Title: "MARSEC Directive 105-4", Source: SourceMARSEC, Summary: "Attest compliance.",
		Citation:   Citation{Document: "MARSEC Directive 105-4", Paragraph: "whole directive", Date: "2024-02-21"},
		Evidence:   Evidence{Observed: ObservedAttest, What: "An attestation."},
		How:        "Obtain it and comply.",
		AttestOnly: true, Line: 18,
	}
	if got, _ := c.Control("MARSEC-105-4"); !equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	seg, _ := c.Control("MSCI-SEG-1")
	if seg.Citation.URL != "https://www.maritime.dot.gov/msci/" || seg.Line != 3 || len(seg.Rules) != 5 {
		t.Errorf("MSCI-SEG-1: %+v", seg)
	}
	// ForRule leaves out what this catalog lacks.
	if got := c.ForRule(finding.RuleCrossZone); len(got) != 1 || got[0].ID != "MSCI-SEG-1" {
		t.Errorf("ForRule: %v", got)
	}
}

func equal(a, b Control) bool {
	return slices.Equal(a.Rules, b.Rules) && a.ID == b.ID && a.Title == b.Title && a.Source == b.Source &&
		a.Summary == b.Summary && a.Citation == b.Citation && a.Evidence == b.Evidence && a.How == b.How &&
		a.AttestOnly == b.AttestOnly && a.Line == b.Line
}

// TestParseRulesOmitted: without a rules key, a control's rules come from
// the rule table.
func TestParseRulesOmitted(t *testing.T) {
	data, err := os.ReadFile("testdata/small.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "    rules: [segmentation.cross-zone, segmentation.multi-homed, egress.external, supplier.not-isolated, vulnerability.known]\n", "", 1))
	c, err := Parse("small.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	seg, _ := c.Control("MSCI-SEG-1")
	want := []string{finding.RuleCrossZone, finding.RuleMultiHomed, finding.RuleEgressExternal, finding.RuleNotIsolated, finding.RuleVulnKnown}
	if !slices.Equal(seg.Rules, want) {
		t.Errorf("rules %v, want %v", seg.Rules, want)
	}
}

func TestParseBad(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil || len(files) < 8 {
		t.Fatalf("bad files: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(f, data)
			if c != nil {
				t.Fatal("Parse returned a Catalog for a bad file")
			}
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("Parse error %v (%T) is not Problems", err, err)
			}
			for i, p := range ps {
				if p.File != f || p.Line < 1 || p.Col < 0 {
					t.Errorf("problem %d has position %q %d:%d", i, p.File, p.Line, p.Col)
				}
				if p.Msg == "" || strings.ToLower(p.Msg[:1]) != p.Msg[:1] {
					t.Errorf("problem %d: message %q does not start lower-case", i, p.Msg)
				}
			}
			got := formatProblems(ps)
			golden := f + ".errors"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("golden file: %v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}
