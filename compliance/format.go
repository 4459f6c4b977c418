package compliance

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"harborwatch/compliance/catalog"
	"harborwatch/internal/textsafe"
)

// Formats lists the output formats of Write.
var Formats = []string{"text", "json", "csv", "html", "oscal"}

// Write writes the report in a format of Formats.
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "text":
		return r.WriteText(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		return r.WritePOAM(w)
	case "html":
		return r.WriteHTML(w)
	case "oscal":
		return r.WriteOSCAL(w)
	}
	return fmt.Errorf("unknown format %q: want %s", format, strings.Join(Formats, ", "))
}

// sources names the catalog's sources in report order.
var sources = []struct {
	id   catalog.Source
	name string
}{
	{catalog.SourceMSCI, "MSCI Advisory 2026-007"},
	{catalog.SourceUSCG, "33 CFR part 101 subpart F"},
	{catalog.SourceMARSEC, "MARSEC Directives 105-4 and 105-5"},
}

// SourceCount is how many controls of a source have each status.
type SourceCount struct {
	Source string
	Counts map[Status]int
	Total  int
}

// N returns how many controls of the source have the status named s.
func (sc SourceCount) N(s string) int { return sc.Counts[Status(s)] }

// BySource counts the results by source and status.
func (r *Report) BySource() []SourceCount {
	out := make([]SourceCount, 0, len(sources))
	for _, s := range sources {
		sc := SourceCount{Source: s.name, Counts: map[Status]int{}}
		for _, c := range r.Results {
			if c.Source == s.id {
				sc.Counts[c.Status]++
				sc.Total++
			}
		}
		out = append(out, sc)
	}
	return out
}

// Plan returns the results a plan of action must address: not satisfied,
// partly, and not assessed, in that order, then stale ones of the rest.
func (r *Report) Plan() []Result {
	var out []Result
	for _, st := range []Status{NotSatisfied, Partly, NotAssessed} {
		for _, c := range r.Results {
			if c.Status == st {
				out = append(out, c)
			}
		}
	}
	for _, c := range r.Results {
		if c.Stale && (c.Status == Satisfied || c.Status == Attested) {
			out = append(out, c)
		}
	}
	return out
}

func (c Result) statusText() string {
	if c.Stale {
		return string(c.Status) + " (stale)"
	}
	return string(c.Status)
}

// WriteText writes the report for a terminal: the summary, then one block
// per control with its reason and evidence. Text from the store is
// escaped (no terminal control sequences).
func (r *Report) WriteText(w io.Writer) error {
	var b bytes.Buffer
	s := textsafe.String
	fmt.Fprintf(&b, "Compliance of site %s at %s (catalog version %d, evidence stale after %s)\n", s(r.Site), r.At.Format(time.RFC3339), r.Catalog, r.MaxAge)
	last := "never"
	if !r.LastEvidence.IsZero() {
		last = r.LastEvidence.Format(time.RFC3339)
	}
	fmt.Fprintf(&b, "%s, newest traffic %s, %s, %s\n\n", count(r.Captures, "analyzed capture"), last, count(r.OpenFindings, "open finding"), count(len(r.DerivedFindings), "derived finding"))
	fmt.Fprintf(&b, "%-36s %5s %9s %7s %8s %9s %6s\n", "SOURCE", "TOTAL", "NOT-SATIS", "PARTLY", "ATTESTED", "SATISFIED", "NOT-AS")
	for _, sc := range r.BySource() {
		fmt.Fprintf(&b, "%-36s %5d %9d %7d %8d %9d %6d\n", sc.Source, sc.Total, sc.Counts[NotSatisfied], sc.Counts[Partly], sc.Counts[Attested], sc.Counts[Satisfied], sc.Counts[NotAssessed])
	}
	if len(r.Coverage) > 0 {
		b.WriteString("\nCoverage of monitored zones:\n")
		for _, z := range r.Coverage {
			seen := "never seen"
			if !z.LastSeen.IsZero() {
				seen = fmt.Sprintf("last seen %s (%d assets)", z.LastSeen.Format(time.RFC3339), z.Assets)
			}
			fresh := ""
			if !z.Fresh {
				fresh = "  NOT COVERED"
			}
			fmt.Fprintf(&b, "  %-24s %-18s %s%s\n", s(z.Zone), z.Kind, seen, fresh)
		}
	}
	b.WriteString("\n")
	for _, c := range r.Results {
		fmt.Fprintf(&b, "%-14s %-24s %s\n", c.ID, strings.ToUpper(c.statusText()), s(c.Title))
		fmt.Fprintf(&b, "    %s\n", s(c.Reason))
		for _, it := range c.Evidence {
			mark := " "
			if it.Against {
				mark = "!"
			}
			fmt.Fprintf(&b, "    %s %-11s %s\n", mark, it.Kind, s(it.Text))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WritePOAM writes the plan of action and milestones as CSV: one row per
// control that is not satisfied, partly satisfied, not assessed or stale,
// with the weakness (the evidence against it), the remediation (how to
// satisfy it) and the citation. Cells a spreadsheet would read as a
// formula are neutralised.
func (r *Report) WritePOAM(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"site", "control", "source", "title", "status", "stale", "reason", "weakness", "remediation", "citation", "evaluated"})
	for _, c := range r.Plan() {
		var against []string
		for _, it := range c.Evidence {
			if it.Against {
				against = append(against, it.Kind+" "+it.Ref+": "+it.Text)
			}
		}
		cit := strings.TrimSpace(c.Control.Citation.Document + " " + c.Control.Citation.Paragraph)
		if c.Control.Citation.Date != "" {
			cit += " (" + c.Control.Citation.Date + ")"
		}
		cw.Write(textsafe.Row([]string{r.Site, c.ID, string(c.Source), c.Title, string(c.Status), fmt.Sprint(c.Stale), c.Reason,
			strings.Join(against, "\n"), c.How, cit, r.At.Format(time.RFC3339)}))
	}
	cw.Flush()
	return cw.Error()
}

//go:embed report.html
var reportHTML string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"status":   func(s Status) string { return string(s) },
	"count":    func(m map[Status]int, s Status) int { return m[s] },
	"statuses": func() []Status { return Statuses },
	"findingLink": func(site, id string) string {
		return "/findings/" + site + "/" + id
	},
}).Parse(reportHTML))

// WriteHTML writes the printable report: a cover, the summary by source,
// coverage, each control with its status and evidence (findings link to
// the console's pages), and the plan of action. Everything is escaped.
func (r *Report) WriteHTML(w io.Writer) error {
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, struct {
		*Report
		Sources []SourceCount
		POAM    []Result
	}{r, r.BySource(), r.Plan()}); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// count is n and noun, plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
