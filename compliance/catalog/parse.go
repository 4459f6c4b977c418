package catalog

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"harborwatch/finding"
	"harborwatch/internal/yamlfile"
)

// maxFileSize bounds what Parse accepts; the built-in catalog is some 50 KiB.
const maxFileSize = 1 << 20

// The keys of each mapping, in documentation order.
var (
	topKeys      = []string{"version", "controls"}
	controlKeys  = []string{"id", "title", "source", "summary", "citation", "evidence", "how", "rules", "attest_only"}
	citationKeys = []string{"document", "paragraph", "date", "date_kind", "url"}
	evidenceKeys = []string{"observed", "what"}

	sources   = []string{string(SourceMSCI), string(SourceUSCG), string(SourceMARSEC)}
	observed  = []string{string(ObservedRules), string(ObservedInventory), string(ObservedIntegrity), string(ObservedCoverage), string(ObservedAttest)}
	dateKinds = []string{"published", "effective", "issued", "due", "expires"}
)

// idPattern is the form of a control id: an upper-case prefix naming the
// source, then one or more upper-case or numeric parts.
var idPattern = regexp.MustCompile(`^(MSCI|USCG|MARSEC)(-[A-Z0-9]+)+$`)

// idPrefix is the id prefix of each source.
var idPrefix = map[Source]string{SourceMSCI: "MSCI-", SourceUSCG: "USCG-", SourceMARSEC: "MARSEC-"}

// Parse reads a catalog file (see the package documentation); name is used
// in problems and as Catalog.File. Parse reports every problem it finds,
// each with its line and column, as Problems sorted by position; it
// returns a Catalog only when there are none.
func Parse(name string, data []byte) (*Catalog, error) {
	d := &decoder{
		Reader: yamlfile.Reader{File: name, MaxSize: maxFileSize, Top: "a mapping with version and controls", RejectBlank: true},
		ids:    map[string]int{},
		citing: rulesCiting(),
	}
	c := &Catalog{File: name, byID: map[string]int{}}
	if root := d.Parse(data); root != nil {
		d.top(root, c)
	}
	if d.Len() > 0 {
		return nil, d.Problems()
	}
	for i, ctl := range c.controls {
		c.byID[ctl.ID] = i
	}
	return c, nil
}

// decoder reads one catalog file.
type decoder struct {
	yamlfile.Reader
	ids    map[string]int      // control id → line of its first entry
	citing map[string][]string // control id → the rules citing it
}

func (d *decoder) top(root *yaml.Node, c *Catalog) {
	m := d.Mapping(root, "", topKeys)
	if m == nil {
		return
	}
	if n, ok := m["version"]; !ok {
		d.Errorf(root, "missing version")
	} else if v, ok := d.Integer(n, "version"); ok {
		if v < 1 || v > 1<<20 {
			d.Errorf(n, "version: %d is out of range (1 or more)", v)
		} else {
			c.Version = int(v)
		}
	}
	n, ok := m["controls"]
	if !ok {
		d.Errorf(root, "missing controls")
		return
	}
	items := d.List(n, "controls")
	if len(items) == 0 && d.Resolve(n) != nil && d.Resolve(n).Kind == yaml.SequenceNode {
		d.Errorf(n, "controls: the list is empty")
	}
	for i, item := range items {
		if ctl, ok := d.control(item, i); ok {
			c.controls = append(c.controls, ctl)
		}
	}
}

// control reads one entry; ok is false when it has a problem.
func (d *decoder) control(n *yaml.Node, i int) (ctl Control, ok bool) {
	defer d.EnterItem(n)()
	before := d.Len()
	ctx := yamlfile.ItemCtx("control", "id", d.Resolve(n), i)
	item := n
	m := d.Mapping(n, ctx, controlKeys)
	if m == nil {
		return Control{}, false
	}
	ctl.Line, _ = d.Pos(item)
	ctl.ID = d.id(m, item, ctx)
	ctl.Title, _ = d.Required(m, item, "title", ctx)
	ctl.Summary, _ = d.Required(m, item, "summary", ctx)
	ctl.How, _ = d.Required(m, item, "how", ctx)
	if s, ok := d.Required(m, item, "source", ctx); ok {
		if !slices.Contains(sources, s) {
			d.Errorf(m["source"], "%s: unknown source %q%s", yamlfile.Field(ctx, "source"), yamlfile.Clip(s), yamlfile.Suggest(s, sources))
		} else {
			ctl.Source = Source(s)
			if ctl.ID != "" && !strings.HasPrefix(ctl.ID, idPrefix[ctl.Source]) {
				d.Errorf(m["id"], "%s: id %q does not start with %q as %s controls must", ctx, ctl.ID, idPrefix[ctl.Source], s)
			}
		}
	}
	ctl.Citation = d.citation(m, item, ctx)
	ctl.Evidence = d.evidence(m, item, ctx)
	if v, ok := m["attest_only"]; ok {
		ctl.AttestOnly, _ = d.Boolean(v, yamlfile.Field(ctx, "attest_only"))
	}
	if ctl.Source == SourceMARSEC && !ctl.AttestOnly {
		d.Errorf(item, "%s: marsec controls must be attest_only: true (their text is Sensitive Security Information)", ctx)
	}
	if ctl.AttestOnly && ctl.Evidence.Observed != "" && ctl.Evidence.Observed != ObservedAttest {
		d.Errorf(m["evidence"], "%s: an attest_only control must have evidence observed: attest, not %s", ctx, ctl.Evidence.Observed)
	}
	if ctl.ID != "" {
		ctl.Rules = slices.Clone(d.citing[ctl.ID])
		if v, ok := m["rules"]; ok {
			d.rules(v, ctl.ID, ctx)
		}
	}
	return ctl, d.Len() == before
}

// id reads and checks a control's id, and that no earlier entry has it.
func (d *decoder) id(m map[string]*yaml.Node, item *yaml.Node, ctx string) string {
	s, ok := d.Required(m, item, "id", ctx)
	if !ok {
		return ""
	}
	at := m["id"]
	if !idPattern.MatchString(s) {
		d.Errorf(at, "%s: id %q is not MSCI-, USCG- or MARSEC- followed by upper-case letters and digits in parts joined by '-'", ctx, yamlfile.Clip(s))
		return ""
	}
	line, _ := d.Pos(at)
	if first, dup := d.ids[s]; dup {
		d.Errorf(at, "%s: duplicate id (first at line %d)", ctx, first)
		return ""
	}
	d.ids[s] = line
	return s
}

func (d *decoder) citation(m map[string]*yaml.Node, item *yaml.Node, ctx string) Citation {
	var c Citation
	n, ok := m["citation"]
	if !ok {
		d.Errorf(item, "%s: missing citation", ctx)
		return c
	}
	cctx := yamlfile.Field(ctx, "citation")
	cm := d.Mapping(n, cctx, citationKeys)
	if cm == nil {
		return c
	}
	c.Document, _ = d.Required(cm, n, "document", cctx)
	c.Paragraph, _ = d.Required(cm, n, "paragraph", cctx)
	if s, ok := d.Required(cm, n, "date", cctx); ok {
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			d.Errorf(cm["date"], "%s: %q is not a date (YYYY-MM-DD)", yamlfile.Field(cctx, "date"), yamlfile.Clip(s))
		} else {
			c.Date = s
		}
	}
	d.Text(cm, "date_kind", cctx, &c.DateKind)
	if c.DateKind != "" && !slices.Contains(dateKinds, c.DateKind) {
		d.Errorf(cm["date_kind"], "%s: unknown date kind %q%s", yamlfile.Field(cctx, "date_kind"), yamlfile.Clip(c.DateKind), yamlfile.Suggest(c.DateKind, dateKinds))
		c.DateKind = ""
	}
	d.Text(cm, "url", cctx, &c.URL)
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			d.Errorf(cm["url"], "%s: %q is not an https URL", yamlfile.Field(cctx, "url"), yamlfile.Clip(c.URL))
			c.URL = ""
		}
	}
	return c
}

func (d *decoder) evidence(m map[string]*yaml.Node, item *yaml.Node, ctx string) Evidence {
	var e Evidence
	n, ok := m["evidence"]
	if !ok {
		d.Errorf(item, "%s: missing evidence", ctx)
		return e
	}
	ectx := yamlfile.Field(ctx, "evidence")
	em := d.Mapping(n, ectx, evidenceKeys)
	if em == nil {
		return e
	}
	e.What, _ = d.Required(em, n, "what", ectx)
	if s, ok := d.Required(em, n, "observed", ectx); ok {
		if !slices.Contains(observed, s) {
			d.Errorf(em["observed"], "%s: unknown value %q%s", yamlfile.Field(ectx, "observed"), yamlfile.Clip(s), yamlfile.Suggest(s, observed))
		} else {
			e.Observed = Observed(s)
		}
	}
	return e
}

// rules checks a control's rules list against the rule table: each rule
// exists, cites the control, is listed once, and none citing it is left
// out.
func (d *decoder) rules(n *yaml.Node, id, ctx string) {
	what := yamlfile.Field(ctx, "rules")
	var ids []string
	for _, r := range finding.Rules() {
		ids = append(ids, r.ID)
	}
	seen := map[string]bool{}
	d.Scalars(n, what, func(s string, at *yaml.Node) {
		r, ok := finding.Lookup(s)
		switch {
		case !ok:
			d.Errorf(at, "%s: unknown rule %q%s", what, yamlfile.Clip(s), yamlfile.Suggest(s, ids))
		case seen[s]:
			d.Errorf(at, "%s: %q is listed twice", what, s)
		case !slices.Contains(r.Controls, id):
			d.Errorf(at, "%s: rule %q does not cite %s (its controls: %s)", what, s, id, strings.Join(r.Controls, ", "))
		}
		seen[s] = true
	})
	if res := d.Resolve(n); res == nil || res.Kind != yaml.SequenceNode {
		return
	}
	var missing []string
	for _, r := range d.citing[id] {
		if !seen[r] {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		d.Errorf(n, "%s: leaves out %s, which cite %s (leave the key out to take them from the rule table)", what, strings.Join(missing, ", "), id)
	}
}
