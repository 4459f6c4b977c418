package supplier

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"harborwatch/internal/yamlfile"
)

// Problem is one thing wrong with a catalog, at a 1-based line and column.
// Col is 0 when only the line is known (YAML syntax errors).
type Problem = yamlfile.Problem

// Problems is every problem found in a catalog, sorted by line and column.
type Problems = yamlfile.Problems

// maxFileSize bounds what Parse accepts; the built-in catalog is some 20 KiB.
const maxFileSize = 4 << 20

// The keys of an entry and of a listing, in documentation order.
var (
	entryKeys = []string{
		"id", "name", "aliases", "parent", "country", "concern", "products",
		"oui_orgs", "ouis", "purl", "domains", "exclude", "lists", "note",
	}
	listingKeys = []string{"name", "citation", "date", "status", "note"}
)

// Parse reads a catalog file: a YAML list of entries (see
// docs/formats/suppliers.md). name is used in problems and as Supplier.File.
// Parse reports every problem it finds, each with its line and column, as
// Problems sorted by position; it returns a Catalog only when there are none.
func Parse(name string, data []byte) (*Catalog, error) {
	d := newDecoder(name, nil)
	var list []Supplier
	if root := d.Parse(data); root != nil {
		list = d.decode(root, "")
	}
	if d.Len() > 0 {
		return nil, d.Problems()
	}
	entries := make([]*entry, len(list))
	for i := range list {
		entries[i] = &entry{Supplier: list[i]}
	}
	return build(entries), nil
}

// Decode reads a list of catalog entries from a YAML node — the suppliers
// section of site.yaml — with the rules of Parse, naming file in problems
// and in Supplier.File. The entries are meant to extend base (which may be
// nil) through With: an entry with the id of an entry of base replaces it,
// and no other entry may claim a name, alias, organisation, prefix, package
// URL or domain of base. Decode returns the entries, or the problems sorted
// by position.
func Decode(file string, n *yaml.Node, base *Catalog) ([]Supplier, Problems) {
	d := newDecoder(file, base)
	list := d.decode(n, "suppliers")
	if d.Len() > 0 {
		return nil, d.Problems()
	}
	return list, nil
}

// claim is a name, organisation, prefix, package URL or domain that an
// entry uses and no other entry may.
type claim struct {
	ns, key   string // namespace ("name", "org", …) and normalised value
	what      string // as the entry wrote it, for messages: `alias "Hikvision"`
	ctx       string // the claiming entry, for messages: `supplier "hik"`
	id        string // the claiming entry's id
	item      int    // serial number of the claiming item; -1 for the base catalog
	file      string
	line, col int
}

// ref is a parent written as an id, checked once every entry is read.
type ref struct {
	id, parent, ctx string
	line, col       int
}

// decoder reads one list of entries. Problems accumulate; reading goes on
// after each.
type decoder struct {
	yamlfile.Reader
	base *Catalog

	idLines map[string]int
	claims  []claim
	refs    []ref
}

func newDecoder(file string, base *Catalog) *decoder {
	return &decoder{
		Reader: yamlfile.Reader{File: file, MaxSize: maxFileSize, Top: "a list of suppliers", RejectBlank: true},
		base:   base,
	}
}

// claim records that the current entry uses a value.
func (d *decoder) claim(ns, key, what, ctx, id string, at *yaml.Node) {
	line, col := d.Pos(at)
	d.claims = append(d.claims, claim{ns, key, what, ctx, id, d.Item(), d.File, line, col})
}

// decode reads a list of entries, then checks what needs them all: claims
// of names and prefixes, and parents written as ids.
func (d *decoder) decode(n *yaml.Node, what string) []Supplier {
	items := d.List(n, what)
	d.idLines = map[string]int{}
	var list []Supplier
	for i, item := range items {
		if s, ok := d.entry(item, i); ok {
			list = append(list, s)
		}
	}
	d.checkClaims()
	d.checkRefs()
	return list
}

func (d *decoder) entry(n *yaml.Node, i int) (Supplier, bool) {
	defer d.EnterItem(n)()
	item := d.Resolve(n)
	ctx := yamlfile.ItemCtx("supplier", "id", item, i)
	m := d.Mapping(n, ctx, entryKeys)
	if m == nil {
		return Supplier{}, false
	}
	s := Supplier{File: d.File, Line: item.Line}
	errs, claims := d.Len(), len(d.claims)
	dupID := false

	if id, ok := d.Required(m, item, "id", ctx); ok {
		v := m["id"]
		if !validID(id) {
			d.Errorf(v, "%s: bad id %q: use up to 64 lower-case letters, digits, '_' and '-', starting with a letter", ctx, yamlfile.Clip(id))
		} else if first, dup := d.idLines[id]; dup {
			d.Errorf(v, "duplicate supplier id %q (first defined at line %d)", id, first)
			dupID = true
		} else {
			d.idLines[id], _ = d.Pos(v)
			s.ID = id
		}
	}

	// Names: the name and aliases for MatchName, oui_orgs for MatchOrg.
	var own []phrase // every phrase of the entry, for exclude
	name := func(ns, key, noun string, at *yaml.Node, text string) {
		p := pattern(text)
		if len(p) == 0 {
			d.Errorf(at, "%s: %q has no words besides corporate suffixes", yamlfile.Field(ctx, key), yamlfile.Clip(text))
			return
		}
		own = append(own, p)
		d.claim(ns, p.String(), fmt.Sprintf("%s %q", noun, yamlfile.Clip(text)), ctx, s.ID, at)
	}
	var ok bool
	if s.Name, ok = d.Required(m, item, "name", ctx); ok {
		name("name", "name", "name", m["name"], s.Name)
	}
	what := yamlfile.Field(ctx, "aliases")
	d.Scalars(m["aliases"], what, func(a string, at *yaml.Node) {
		s.Aliases = append(s.Aliases, a)
		name("name", "aliases", "alias", at, a)
	})
	what = yamlfile.Field(ctx, "oui_orgs")
	d.Scalars(m["oui_orgs"], what, func(o string, at *yaml.Node) {
		s.OUIOrgs = append(s.OUIOrgs, o)
		name("org", "oui_orgs", "oui_org", at, o)
	})

	if v, ok := m["parent"]; ok {
		if p, ok := d.Scalar(v, yamlfile.Field(ctx, "parent")); ok {
			s.Parent = p
			if validID(p) {
				line, col := d.Pos(v)
				d.refs = append(d.refs, ref{s.ID, p, ctx, line, col})
			}
		}
	}
	if v, ok := m["country"]; ok {
		if c, ok := d.Scalar(v, yamlfile.Field(ctx, "country")); ok {
			if s.Country, ok = yamlfile.Country(c); !ok {
				d.Errorf(v, "%s: country: %q is not a two-letter ISO 3166 country code such as CN", ctx, yamlfile.Clip(c))
			}
		}
	}
	concern, concernOK := false, false
	if v, ok := m["concern"]; !ok {
		d.Errorf(item, "%s: missing concern (true for a supplier of concern, false for a neutral manufacturer)", ctx)
	} else {
		concern, concernOK = d.Boolean(v, yamlfile.Field(ctx, "concern"))
		s.Concern = concern
	}

	what = yamlfile.Field(ctx, "products")
	d.Scalars(m["products"], what, func(p string, at *yaml.Node) {
		switch why := checkProduct(p); {
		case why != "":
			d.Errorf(at, "%s: bad product %q: %s", what, yamlfile.Clip(p), why)
		case slices.Contains(s.Products, p):
			d.Errorf(at, "%s: duplicate product %s", what, p)
		default:
			s.Products = append(s.Products, p)
		}
	})
	what = yamlfile.Field(ctx, "ouis")
	d.Scalars(m["ouis"], what, func(o string, at *yaml.Node) {
		val, bits, why := parseOUI(o)
		if why != "" {
			d.Errorf(at, "%s: bad prefix %q: %s", what, yamlfile.Clip(o), why)
			return
		}
		f := formatOUI(val, bits)
		s.OUIs = append(s.OUIs, f)
		d.claim("oui", f, "prefix "+f, ctx, s.ID, at)
	})
	what = yamlfile.Field(ctx, "purl")
	d.Scalars(m["purl"], what, func(p string, at *yaml.Node) {
		segs, ok := purlSegments(p, true)
		if !ok {
			d.Errorf(at, "%s: bad package url prefix %q: want pkg:TYPE/NAMESPACE, such as pkg:maven/com.huawei, without version, qualifiers or subpath", what, yamlfile.Clip(p))
			return
		}
		s.PURL = append(s.PURL, p)
		d.claim("purl", strings.Join(segs, "/"), fmt.Sprintf("package url prefix %q", yamlfile.Clip(p)), ctx, s.ID, at)
	})
	what = yamlfile.Field(ctx, "domains")
	d.Scalars(m["domains"], what, func(dom string, at *yaml.Node) {
		n, why := normalizeDomain(dom)
		if why != "" {
			d.Errorf(at, "%s: bad domain %q: %s", what, yamlfile.Clip(dom), why)
			return
		}
		s.Domains = append(s.Domains, n)
		d.claim("domain", n, "domain "+n, ctx, s.ID, at)
	})
	what = yamlfile.Field(ctx, "exclude")
	d.Scalars(m["exclude"], what, func(x string, at *yaml.Node) {
		p := words(x)
		for _, o := range own {
			if len(p) > len(o) && p.contains(o) {
				s.Exclude = append(s.Exclude, x)
				return
			}
		}
		for _, o := range own {
			if slices.Equal(p, o) {
				d.Errorf(at, "%s: %q is a name of this supplier itself, so it would never match", what, yamlfile.Clip(x))
				return
			}
		}
		d.Errorf(at, "%s: %q holds none of this supplier's names or oui_orgs as whole words, so it excludes nothing", what, yamlfile.Clip(x))
	})

	what = yamlfile.Field(ctx, "lists")
	for j, ln := range d.List(m["lists"], what) {
		if l, ok := d.listing(ln, j, ctx); ok {
			for _, prev := range s.Lists {
				if prev.Name == l.Name && prev.Date == l.Date {
					d.Errorf(ln, "%s: listing %q of %s is given twice", what, yamlfile.Clip(l.Name), l.Date)
					break
				}
			}
			s.Lists = append(s.Lists, l)
		}
	}
	if concernOK {
		switch {
		case concern && !yamlfile.Present(m["lists"]):
			d.Errorf(item, "%s: a supplier of concern needs at least one listing in lists (name, citation, date)", ctx)
		case !concern && yamlfile.Present(m["lists"]):
			d.Errorf(m["lists"], "%s: a supplier with concern: false has no listings (lists say why a supplier is of concern)", what)
		}
	}
	d.Text(m, "note", ctx, &s.Note)
	if dupID {
		// Its names would only repeat the duplicate id's problem.
		d.claims = d.claims[:claims]
	}
	return s, d.Len() == errs
}

// listing reads one item of an entry's lists.
func (d *decoder) listing(n *yaml.Node, i int, entryCtx string) (Listing, bool) {
	item := d.Resolve(n)
	ctx := entryCtx + ": " + yamlfile.ItemCtx("listing", "name", item, i)
	m := d.Mapping(n, ctx, listingKeys)
	if m == nil {
		return Listing{}, false
	}
	errs := d.Len()
	l := Listing{Status: StatusInForce}
	l.Name, _ = d.Required(m, item, "name", ctx)
	l.Citation, _ = d.Required(m, item, "citation", ctx)
	var ok bool
	if l.Date, ok = d.Required(m, item, "date", ctx); ok {
		if why := parseDate(l.Date); why != "" {
			d.Errorf(m["date"], "%s: date: bad date %q: %s", ctx, yamlfile.Clip(l.Date), why)
		}
	}
	if v, ok := m["status"]; ok {
		if st, ok := d.Scalar(v, yamlfile.Field(ctx, "status")); ok {
			if slices.Contains(statuses, st) {
				l.Status = Status(st)
			} else {
				d.Errorf(v, "%s: unknown status %q%s", ctx, yamlfile.Clip(st), yamlfile.Suggest(st, statuses))
			}
		}
	}
	d.Text(m, "note", ctx, &l.Note)
	return l, d.Len() == errs
}

// checkClaims reports values that two entries claim, or that an entry
// claims from an entry of the base catalog it does not replace. Problems
// are reported at the later claim.
func (d *decoder) checkClaims() {
	first := map[[2]string]claim{}
	if d.base != nil {
		for _, e := range d.base.entries {
			if _, replaced := d.idLines[e.ID]; !replaced {
				for _, c := range baseClaims(e) {
					first[[2]string{c.ns, c.key}] = c
				}
			}
		}
	}
	for _, c := range d.claims {
		k := [2]string{c.ns, c.key}
		f, dup := first[k]
		switch {
		case !dup:
			first[k] = c
		case f.item == c.item:
			d.ErrorAt(c.line, c.col, "%s: %s is the same as its %s once case, punctuation and corporate suffixes are ignored", c.ctx, c.what, f.what)
		case f.item < 0 && f.file == builtinFile:
			d.ErrorAt(c.line, c.col, "%s: %s is already claimed by built-in supplier %q (to change that entry, give its id)", c.ctx, c.what, f.id)
		case f.item < 0:
			d.ErrorAt(c.line, c.col, "%s: %s is already claimed by supplier %q (%s, line %d)", c.ctx, c.what, f.id, f.file, f.line)
		default:
			d.ErrorAt(c.line, c.col, "%s: %s is already claimed by supplier %q (line %d)", c.ctx, c.what, f.id, f.line)
		}
	}
}

// baseClaims lists the claims of an entry of the base catalog.
func baseClaims(e *entry) []claim {
	var cs []claim
	add := func(ns, key string) {
		cs = append(cs, claim{ns: ns, key: key, id: e.ID, item: -1, file: e.File, line: e.Line})
	}
	add("name", pattern(e.Name).String())
	for _, a := range e.Aliases {
		add("name", pattern(a).String())
	}
	for _, o := range e.OUIOrgs {
		add("org", pattern(o).String())
	}
	for _, o := range e.OUIs {
		if val, bits, why := parseOUI(o); why == "" {
			add("oui", formatOUI(val, bits))
		}
	}
	for _, p := range e.PURL {
		if segs, ok := purlSegments(p, true); ok {
			add("purl", strings.Join(segs, "/"))
		}
	}
	for _, dom := range e.Domains {
		add("domain", dom)
	}
	return cs
}

// checkRefs reports parents written as ids that name no entry.
func (d *decoder) checkRefs() {
	for _, r := range d.refs {
		switch {
		case r.parent == r.id:
			d.ErrorAt(r.line, r.col, "%s: parent: %q is the supplier itself", r.ctx, r.parent)
		case d.idLines[r.parent] > 0, d.base != nil && d.base.byID[r.parent] != nil:
		default:
			d.ErrorAt(r.line, r.col, "%s: parent: %q is not the id of a supplier (write a parent that is not in the catalog by its name, such as CETC)", r.ctx, r.parent)
		}
	}
}
