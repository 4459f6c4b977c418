package supplier

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a catalog, at a 1-based line and column.
// Col is 0 when only the line is known (YAML syntax errors).
type Problem struct {
	File      string
	Line, Col int
	Msg       string
}

// Error formats p as "file:line:col: msg", leaving out the parts not known.
func (p Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
	}
	b.WriteString(p.Position())
	b.WriteString(": ")
	b.WriteString(p.Msg)
	return b.String()
}

// Position formats the line and column as "line:col", or "line" when the
// column is not known.
func (p Problem) Position() string {
	if p.Col > 0 {
		return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
	}
	return strconv.Itoa(p.Line)
}

// Problems is every problem found in a catalog, sorted by line and column.
type Problems []Problem

// Error joins the problems, one a line.
func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Error()
	}
	return strings.Join(s, "\n")
}

// maxFileSize bounds what Parse accepts; the built-in catalog is some 20 KiB.
const maxFileSize = 4 << 20

// maxAliasWork bounds the nodes visited through YAML aliases, against
// documents whose aliases nest to expand exponentially ("billion laughs").
const maxAliasWork = 100_000

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
	d := &decoder{file: name}
	var list []Supplier
	if root := d.parseYAML(data); root != nil {
		list = d.decode(root, "")
	}
	if len(d.probs) > 0 {
		return nil, d.sorted()
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
	d := &decoder{file: file, base: base}
	list := d.decode(n, "suppliers")
	if len(d.probs) > 0 {
		return nil, d.sorted()
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
	file      string
	base      *Catalog
	probs     Problems
	seen      map[Problem]bool // problems already reported, as aliases repeat them
	aliasWork int
	sizes     map[*yaml.Node]int // memo of treeSize
	via       *yaml.Node         // the alias through which the current item was reached
	item      int                // serial number of the current item

	idLines map[string]int
	claims  []claim
	refs    []ref
}

func (d *decoder) sorted() Problems {
	slices.SortStableFunc(d.probs, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return d.probs
}

func (d *decoder) problem(line, col int, format string, args ...any) {
	p := Problem{File: d.file, Line: max(line, 1), Col: col, Msg: fmt.Sprintf(format, args...)}
	if d.seen == nil {
		d.seen = map[Problem]bool{}
	}
	if !d.seen[p] {
		d.seen[p] = true
		d.probs = append(d.probs, p)
	}
}

// pos is where a problem with n is reported: at n, or at the alias through
// which the current item was reached, since the anchored text is not where
// the item is used.
func (d *decoder) pos(n *yaml.Node) (line, col int) {
	if d.via != nil {
		n = d.via
	}
	if n == nil || n.Line <= 0 {
		return 1, 1
	}
	return n.Line, n.Column
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	line, col := d.pos(n)
	d.problem(line, col, format, args...)
}

// enterItem starts reading a list item; problems inside an item reached
// through an alias are reported at the alias. The result ends the item.
func (d *decoder) enterItem(n *yaml.Node) func() {
	d.item++
	if n.Kind != yaml.AliasNode || d.via != nil {
		return func() {}
	}
	d.via = n
	return func() { d.via = nil }
}

// parseYAML checks the raw file and parses exactly one YAML document,
// returning its root node, or nil after reporting why there is none.
func (d *decoder) parseYAML(data []byte) *yaml.Node {
	if len(data) > maxFileSize {
		d.problem(1, 1, "file is larger than %d MiB", maxFileSize>>20)
		return nil
	}
	if !utf8.Valid(data) {
		line, col := badUTF8(data)
		d.problem(line, col, "file is not valid utf-8 text")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decodeYAML(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.problem(1, 1, "empty file")
		} else {
			d.syntaxError(err, data)
		}
		return nil
	}
	var extra yaml.Node
	switch err := decodeYAML(dec, &extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.syntaxError(err, data)
		return nil
	default:
		d.errorf(&extra, "more than one yaml document in the file")
		return nil
	}
	if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == "!!null") {
		d.problem(1, 1, "empty file")
		return nil
	}
	return doc.Content[0]
}

// decodeYAML is dec.Decode, with any panic of the YAML library turned into
// an error: hostile input must not bring the process down.
func decodeYAML(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failure: %v", r)
		}
	}()
	return dec.Decode(n)
}

// syntaxError reports a YAML library error such as
// "yaml: line 3: did not find expected key" at its line.
func (d *decoder) syntaxError(err error, data []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil && n > 0 {
				line, msg = n, after
				// The library numbers the lines of parser (not scanner)
				// errors from 0; its messages tell which is which.
				if parserErrors[msg] {
					line++
				}
			}
		}
	}
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok && line == 1 {
		// Reported without a line: find the first use of the alias.
		name, _, _ = strings.Cut(name, "' referenced")
		if i := bytes.Index(data, []byte("*"+name)); i >= 0 {
			line = 1 + bytes.Count(data[:i], []byte("\n"))
		}
	}
	d.problem(line, 0, "yaml syntax error: %s", msg)
}

// parserErrors are the messages of the YAML library's parser, as opposed to
// its scanner (gopkg.in/yaml.v3 parserc.go).
var parserErrors = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// badUTF8 returns the line and column (in characters) of the first byte of
// data that is not valid UTF-8.
func badUTF8(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return line, col
}

// resolve follows aliases to the node they name, counting the work. It
// returns nil, after one report, once aliases have expanded too far.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		alias := n
		n = n.Alias
		if n == nil {
			d.errorf(alias, "alias to an unknown anchor")
			return nil
		}
		before := d.aliasWork
		d.aliasWork += d.treeSize(n)
		if d.aliasWork > maxAliasWork {
			if before <= maxAliasWork {
				d.errorf(alias, "aliases expand to more than %d nodes", maxAliasWork)
			}
			return nil
		}
	}
	return n
}

// treeSize counts the nodes under n, aliases counting one each.
func (d *decoder) treeSize(n *yaml.Node) int {
	if size, ok := d.sizes[n]; ok {
		return size
	}
	if d.sizes == nil {
		d.sizes = map[*yaml.Node]int{}
	}
	d.sizes[n] = 1 // a node that contains itself counts once
	size := 1
	if n.Kind != yaml.AliasNode {
		for _, c := range n.Content {
			size += d.treeSize(c)
		}
	}
	d.sizes[n] = size
	return size
}

// describe names what a node holds, for "expected X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "an empty value"
		}
		return strconv.Quote(clip(n.Value))
	}
	return "something else"
}

// clip shortens s for quoting in a message.
func clip(s string) string {
	const n = 60
	if len(s) <= n {
		return s
	}
	for i := n; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return "…"
}

func field(ctx, key string) string { return ctx + ": " + key }

// itemCtx names the i-th item of a list for messages: by the value of key
// when it has one, else by its 1-based position.
func itemCtx(noun, key string, n *yaml.Node, i int) string {
	if n != nil && n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			k, v := n.Content[j], n.Content[j+1]
			if k.Kind == yaml.ScalarNode && k.Value == key && v.Kind == yaml.ScalarNode && v.Value != "" {
				return fmt.Sprintf("%s %q", noun, clip(v.Value))
			}
		}
	}
	return fmt.Sprintf("%s #%d", noun, i+1)
}

// mapping checks that n is a mapping of known, distinct plain keys and
// returns their values. It returns nil when n is not a mapping.
func (d *decoder) mapping(n *yaml.Node, ctx string, keys []string) map[string]*yaml.Node {
	at := n
	if n = d.resolve(n); n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(at, "%s: expected a mapping, got %s", ctx, describe(n))
		return nil
	}
	m := make(map[string]*yaml.Node, len(n.Content)/2)
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if r := d.resolve(k); r != nil && r.Kind == yaml.ScalarNode && k.Kind == yaml.AliasNode {
			k = &yaml.Node{Kind: yaml.ScalarNode, Tag: r.Tag, Value: r.Value, Line: k.Line, Column: k.Column}
		}
		switch {
		case k.Kind != yaml.ScalarNode:
			d.errorf(k, "keys must be plain words in %s", ctx)
			continue
		case k.ShortTag() == "!!merge":
			d.errorf(k, "merge keys (<<) are not supported in %s", ctx)
			continue
		}
		key := k.Value
		if first, dup := seen[key]; dup {
			d.errorf(k, "duplicate key %q in %s (first at line %d)", clip(key), ctx, first)
			continue
		}
		seen[key] = k.Line
		if !slices.Contains(keys, key) {
			d.errorf(k, "unknown key %q in %s%s", clip(key), ctx, suggest(key, keys))
			continue
		}
		m[key] = n.Content[i+1]
	}
	return m
}

// list returns the items of a sequence; a missing key (nil) is an empty list.
func (d *decoder) list(n *yaml.Node, what string) []*yaml.Node {
	if n == nil {
		return nil
	}
	at := n
	if n = d.resolve(n); n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(at, "%s: expected a list, got %s", what, describe(n))
		return nil
	}
	return n.Content
}

// scalar returns the text of a non-blank scalar of any tag but null.
func (d *decoder) scalar(n *yaml.Node, what string) (string, bool) {
	at := n
	if n = d.resolve(n); n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.errorf(at, "%s: expected a value, got %s", what, describe(n))
		return "", false
	}
	if strings.TrimSpace(n.Value) == "" {
		d.errorf(at, "%s: blank text (leave the key out instead)", what)
		return "", false
	}
	return n.Value, true
}

// text reads optional text into *dst.
func (d *decoder) text(m map[string]*yaml.Node, key, ctx string, dst *string) {
	if n, ok := m[key]; ok {
		if s, ok := d.scalar(n, field(ctx, key)); ok {
			*dst = s
		}
	}
}

// required reads required text into *dst and reports whether it could.
func (d *decoder) required(m map[string]*yaml.Node, item *yaml.Node, key, ctx string, dst *string) bool {
	n, ok := m[key]
	if !ok {
		d.errorf(item, "%s: missing %s", ctx, key)
		return false
	}
	s, ok := d.scalar(n, field(ctx, key))
	if ok {
		*dst = s
	}
	return ok
}

// scalars reads a list of scalars, calling fn for each.
func (d *decoder) scalars(n *yaml.Node, what string, fn func(s string, at *yaml.Node)) {
	for _, item := range d.list(n, what) {
		if s, ok := d.scalar(item, what); ok {
			fn(s, item)
		}
	}
}

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, what string) (bool, bool) {
	at := n
	if n = d.resolve(n); n == nil {
		return false, false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		if v, err := strconv.ParseBool(strings.ToLower(n.Value)); err == nil {
			return v, true
		}
	}
	d.errorf(at, "%s: expected true or false, got %s", what, describe(n))
	return false, false
}

// present reports whether a key was given with something in it.
func present(n *yaml.Node) bool {
	return n != nil && !(n.Kind == yaml.SequenceNode && len(n.Content) == 0) &&
		!(n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// claim records that the current entry uses a value.
func (d *decoder) claim(ns, key, what, ctx, id string, at *yaml.Node) {
	line, col := d.pos(at)
	d.claims = append(d.claims, claim{ns, key, what, ctx, id, d.item, d.file, line, col})
}

// decode reads a list of entries, then checks what needs them all: claims
// of names and prefixes, and parents written as ids.
func (d *decoder) decode(n *yaml.Node, what string) []Supplier {
	at := n
	if n = d.resolve(n); n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		if what == "" {
			d.errorf(at, "the file must be a list of suppliers, got %s", describe(n))
		} else {
			d.errorf(at, "%s: expected a list, got %s", what, describe(n))
		}
		return nil
	}
	d.idLines = map[string]int{}
	var list []Supplier
	for i, item := range n.Content {
		if s, ok := d.entry(item, i); ok {
			list = append(list, s)
		}
	}
	d.checkClaims()
	d.checkRefs()
	return list
}

func (d *decoder) entry(n *yaml.Node, i int) (Supplier, bool) {
	defer d.enterItem(n)()
	item := d.resolve(n)
	ctx := itemCtx("supplier", "id", item, i)
	m := d.mapping(n, ctx, entryKeys)
	if m == nil {
		return Supplier{}, false
	}
	s := Supplier{File: d.file, Line: item.Line}
	errs, claims := len(d.probs), len(d.claims)
	dupID := false

	if v, ok := m["id"]; !ok {
		d.errorf(item, "%s: missing id", ctx)
	} else if id, ok := d.scalar(v, field(ctx, "id")); ok {
		if !validID(id) {
			d.errorf(v, "%s: bad id %q: use up to 64 lower-case letters, digits, '_' and '-', starting with a letter", ctx, clip(id))
		} else if first, dup := d.idLines[id]; dup {
			d.errorf(v, "duplicate supplier id %q (first defined at line %d)", id, first)
			dupID = true
		} else {
			d.idLines[id], _ = d.pos(v)
			s.ID = id
		}
	}

	// Names: the name and aliases for MatchName, oui_orgs for MatchOrg.
	var own []phrase // every phrase of the entry, for exclude
	name := func(ns, key, noun string, at *yaml.Node, text string) {
		p := pattern(text)
		if len(p) == 0 {
			d.errorf(at, "%s: %q has no words besides corporate suffixes", field(ctx, key), clip(text))
			return
		}
		own = append(own, p)
		d.claim(ns, p.String(), fmt.Sprintf("%s %q", noun, clip(text)), ctx, s.ID, at)
	}
	if d.required(m, item, "name", ctx, &s.Name) {
		name("name", "name", "name", m["name"], s.Name)
	}
	what := field(ctx, "aliases")
	d.scalars(m["aliases"], what, func(a string, at *yaml.Node) {
		s.Aliases = append(s.Aliases, a)
		name("name", "aliases", "alias", at, a)
	})
	what = field(ctx, "oui_orgs")
	d.scalars(m["oui_orgs"], what, func(o string, at *yaml.Node) {
		s.OUIOrgs = append(s.OUIOrgs, o)
		name("org", "oui_orgs", "oui_org", at, o)
	})

	if v, ok := m["parent"]; ok {
		if p, ok := d.scalar(v, field(ctx, "parent")); ok {
			s.Parent = p
			if validID(p) {
				line, col := d.pos(v)
				d.refs = append(d.refs, ref{s.ID, p, ctx, line, col})
			}
		}
	}
	if v, ok := m["country"]; ok {
		if c, ok := d.scalar(v, field(ctx, "country")); ok {
			if s.Country, ok = normalizeCountry(c); !ok {
				d.errorf(v, "%s: country: %q is not a two-letter ISO 3166 country code such as CN", ctx, clip(c))
			}
		}
	}
	concern, concernOK := false, false
	if v, ok := m["concern"]; !ok {
		d.errorf(item, "%s: missing concern (true for a supplier of concern, false for a neutral manufacturer)", ctx)
	} else {
		concern, concernOK = d.boolean(v, field(ctx, "concern"))
		s.Concern = concern
	}

	what = field(ctx, "products")
	d.scalars(m["products"], what, func(p string, at *yaml.Node) {
		switch why := checkProduct(p); {
		case why != "":
			d.errorf(at, "%s: bad product %q: %s", what, clip(p), why)
		case slices.Contains(s.Products, p):
			d.errorf(at, "%s: duplicate product %s", what, p)
		default:
			s.Products = append(s.Products, p)
		}
	})
	what = field(ctx, "ouis")
	d.scalars(m["ouis"], what, func(o string, at *yaml.Node) {
		val, bits, why := parseOUI(o)
		if why != "" {
			d.errorf(at, "%s: bad prefix %q: %s", what, clip(o), why)
			return
		}
		f := formatOUI(val, bits)
		s.OUIs = append(s.OUIs, f)
		d.claim("oui", f, "prefix "+f, ctx, s.ID, at)
	})
	what = field(ctx, "purl")
	d.scalars(m["purl"], what, func(p string, at *yaml.Node) {
		segs, ok := purlSegments(p, true)
		if !ok {
			d.errorf(at, "%s: bad package url prefix %q: want pkg:TYPE/NAMESPACE, such as pkg:maven/com.huawei, without version, qualifiers or subpath", what, clip(p))
			return
		}
		s.PURL = append(s.PURL, p)
		d.claim("purl", strings.Join(segs, "/"), fmt.Sprintf("package url prefix %q", clip(p)), ctx, s.ID, at)
	})
	what = field(ctx, "domains")
	d.scalars(m["domains"], what, func(dom string, at *yaml.Node) {
		n, why := normalizeDomain(dom)
		if why != "" {
			d.errorf(at, "%s: bad domain %q: %s", what, clip(dom), why)
			return
		}
		s.Domains = append(s.Domains, n)
		d.claim("domain", n, "domain "+n, ctx, s.ID, at)
	})
	what = field(ctx, "exclude")
	d.scalars(m["exclude"], what, func(x string, at *yaml.Node) {
		p := words(x)
		for _, o := range own {
			if len(p) > len(o) && p.contains(o) {
				s.Exclude = append(s.Exclude, x)
				return
			}
		}
		for _, o := range own {
			if slices.Equal(p, o) {
				d.errorf(at, "%s: %q is a name of this supplier itself, so it would never match", what, clip(x))
				return
			}
		}
		d.errorf(at, "%s: %q holds none of this supplier's names or oui_orgs as whole words, so it excludes nothing", what, clip(x))
	})

	what = field(ctx, "lists")
	for j, ln := range d.list(m["lists"], what) {
		if l, ok := d.listing(ln, j, ctx); ok {
			for _, prev := range s.Lists {
				if prev.Name == l.Name && prev.Date == l.Date {
					d.errorf(ln, "%s: listing %q of %s is given twice", what, clip(l.Name), l.Date)
					break
				}
			}
			s.Lists = append(s.Lists, l)
		}
	}
	if concernOK {
		switch {
		case concern && !present(m["lists"]):
			d.errorf(item, "%s: a supplier of concern needs at least one listing in lists (name, citation, date)", ctx)
		case !concern && present(m["lists"]):
			d.errorf(m["lists"], "%s: a supplier with concern: false has no listings (lists say why a supplier is of concern)", what)
		}
	}
	d.text(m, "note", ctx, &s.Note)
	if dupID {
		// Its names would only repeat the duplicate id's problem.
		d.claims = d.claims[:claims]
	}
	return s, len(d.probs) == errs
}

// listing reads one item of an entry's lists.
func (d *decoder) listing(n *yaml.Node, i int, entryCtx string) (Listing, bool) {
	item := d.resolve(n)
	ctx := entryCtx + ": " + itemCtx("listing", "name", item, i)
	m := d.mapping(n, ctx, listingKeys)
	if m == nil {
		return Listing{}, false
	}
	errs := len(d.probs)
	l := Listing{Status: StatusInForce}
	d.required(m, item, "name", ctx, &l.Name)
	d.required(m, item, "citation", ctx, &l.Citation)
	if d.required(m, item, "date", ctx, &l.Date) {
		if why := parseDate(l.Date); why != "" {
			d.errorf(m["date"], "%s: date: bad date %q: %s", ctx, clip(l.Date), why)
		}
	}
	if v, ok := m["status"]; ok {
		if st, ok := d.scalar(v, field(ctx, "status")); ok {
			if slices.Contains(statuses, st) {
				l.Status = Status(st)
			} else {
				d.errorf(v, "%s: unknown status %q%s", ctx, clip(st), suggest(st, statuses))
			}
		}
	}
	d.text(m, "note", ctx, &l.Note)
	return l, len(d.probs) == errs
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
			d.problem(c.line, c.col, "%s: %s is the same as its %s once case, punctuation and corporate suffixes are ignored", c.ctx, c.what, f.what)
		case f.item < 0 && f.file == builtinFile:
			d.problem(c.line, c.col, "%s: %s is already claimed by built-in supplier %q (to change that entry, give its id)", c.ctx, c.what, f.id)
		case f.item < 0:
			d.problem(c.line, c.col, "%s: %s is already claimed by supplier %q (%s, line %d)", c.ctx, c.what, f.id, f.file, f.line)
		default:
			d.problem(c.line, c.col, "%s: %s is already claimed by supplier %q (line %d)", c.ctx, c.what, f.id, f.line)
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
			d.problem(r.line, r.col, "%s: parent: %q is the supplier itself", r.ctx, r.parent)
		case d.idLines[r.parent] > 0, d.base != nil && d.base.byID[r.parent] != nil:
		default:
			d.problem(r.line, r.col, "%s: parent: %q is not the id of a supplier (write a parent that is not in the catalog by its name, such as CETC)", r.ctx, r.parent)
		}
	}
}
