package incident

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"harborwatch/internal/textsafe"
)

// WriteText writes the draft for a terminal: status, guidance and clock,
// then every field (those a person must add or confirm marked), the
// timeline and the contacts. Text from the store is escaped.
func (r *Report) WriteText(w io.Writer) error {
	var b bytes.Buffer
	s := textsafe.String
	in := r.Incident
	fmt.Fprintf(&b, "Incident %s (site %s): %s\nstatus %s; %d findings; opened %s by %s\n\n", in.ID, s(in.Site), s(in.Title), in.Status,
		len(in.Findings), in.Created.UTC().Format(time.RFC3339), s(in.Author))
	fmt.Fprintf(&b, "Reportable? %s (guidance; the CySO decides)\n", strings.ToUpper(r.Assessment.Level))
	for _, x := range r.Assessment.Reasons {
		fmt.Fprintf(&b, "  - %s\n", s(x))
	}
	fmt.Fprintf(&b, "Clock: detected %s, %s ago; %s\n\n", r.Clock.Detected.UTC().Format(time.RFC3339), r.Clock.Elapsed, r.Clock.Rule)
	fmt.Fprintln(&b, "Report draft (NRC call, CISA form):")
	for _, f := range r.Fields {
		mark := ""
		switch f.By {
		case ByPerson:
			mark = "  [TO BE ADDED BY A PERSON]"
		case Suggested:
			mark = "  [suggested: confirm]"
		}
		fmt.Fprintf(&b, "%2d. %s%s\n    %s\n", f.N, f.Label, mark, s(f.Value))
	}
	fmt.Fprintln(&b, "\nTimeline:")
	for _, e := range r.Timeline {
		fmt.Fprintf(&b, "  %s  %s", e.At.UTC().Format(time.RFC3339Nano), s(e.What))
		if e.Ref != "" {
			fmt.Fprintf(&b, "  [%s]", s(e.Ref))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintln(&b, "\nContacts:")
	for _, c := range r.Contacts {
		fmt.Fprintf(&b, "  %s: %s %s (%s)\n", c.Who, c.Phone, c.Email, c.When)
	}
	_, err := w.Write(b.Bytes())
	return err
}

//go:embed report.html
var reportHTML string

var reportTemplate = template.Must(template.New("incident").Funcs(template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format(time.RFC3339)
	},
	"upper": strings.ToUpper,
}).Parse(reportHTML))

// WriteHTML writes the draft as a printable page; everything is escaped.
func (r *Report) WriteHTML(w io.Writer) error {
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, r); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
