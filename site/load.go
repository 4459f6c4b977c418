package site

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"harborwatch/supplier"
)

// Problem is one thing wrong with a site file, at a 1-based line and
// column. Col is 0 when only the line is known (YAML syntax errors).
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

// Problems is every problem found in a site file, sorted by line and column.
type Problems []Problem

// Error joins the problems, one a line.
func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Error()
	}
	return strings.Join(s, "\n")
}

// maxFileSize bounds what Load reads and Parse accepts. Site files are a
// few kilobytes; the bound keeps a wrong path from filling memory.
const maxFileSize = 8 << 20

// maxAliasWork bounds the nodes visited through YAML aliases, against
// documents that nest aliases to expand exponentially ("billion laughs").
const maxAliasWork = 100_000

// Load reads and parses the site file at path. A file that cannot be read
// yields a wrapped operating-system error; a file with problems yields
// Problems.
func Load(path string) (*Site, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read site: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read site %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse parses and validates a site file. name is used in problems and as
// Site.File. Parse reports every problem it finds, not only the first, as
// Problems sorted by position; it returns a Site only when there are none.
func Parse(name string, data []byte) (*Site, error) {
	l := &loader{file: name, s: &Site{File: name}}
	l.load(data)
	if len(l.probs) > 0 {
		slices.SortStableFunc(l.probs, func(a, b Problem) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Col - b.Col
		})
		return nil, l.probs
	}
	l.s.compile()
	return l.s, nil
}

// The keys of each mapping, in documentation order.
var (
	topKeys      = []string{"version", "facility", "zones", "conduits", "cranes", "assets", "change_windows", "remote_access", "prohibited", "suppliers"}
	facilityKeys = []string{"id", "name", "port"}
	zoneKeys     = []string{"id", "kind", "name", "description", "crane", "cidrs", "vlans"}
	conduitKeys  = []string{"id", "description", "from", "to", "protocols", "ports", "operations", "windows"}
	craneKeys    = []string{"id", "name", "manufacturer", "model", "supplier", "origin", "commissioned", "remote_management"}
	assetKeys    = []string{
		"id", "name", "ip", "ips", "mac", "macs", "kind", "vendor", "model", "supplier", "origin",
		"crane", "criticality", "zone", "serial", "firmware", "notes",
	}
	windowKeys     = []string{"id", "start", "end", "every"}
	remoteKeys     = []string{"gateways"}
	prohibitedKeys = []string{"domains", "cidrs"}
)

type refKind uint8

const (
	refZone     refKind = iota // a zone id
	refEndpoint                // a zone id or kind:<kind>
	refCrane
	refWindow
)

// ref is a reference to check once every section is read.
type ref struct {
	kind refKind
	n    *yaml.Node // where it was written
	what string     // e.g. `conduit #2: from`
	id   string
}

// loader reads one file. Problems accumulate; reading goes on after each.
type loader struct {
	file      string
	s         *Site
	probs     Problems
	seen      map[Problem]bool // problems already reported, as aliases repeat them
	aliasWork int
	sizes     map[*yaml.Node]int // memo of treeSize
	via       *yaml.Node         // the alias through which the current item was reached
	item      int                // serial number of the current item

	zoneLines, craneLines, assetLines, windowLines, conduitLines map[string]int
	cidrOwner                                                    map[netip.Prefix]owner
	vlanOwner                                                    map[uint16]owner // VLANs of zones without CIDRs
	ipOwner                                                      map[netip.Addr]owner
	macOwner                                                     map[MAC]owner
	refs                                                         []ref
}

// owner is the item that first claimed a CIDR, VLAN, address or MAC.
type owner struct {
	what string
	line int
	item int
}

func (l *loader) owner(ctx string, n *yaml.Node) owner {
	line, _ := l.pos(n)
	return owner{ctx, line, l.item}
}

func (l *loader) problem(line, col int, format string, args ...any) {
	p := Problem{File: l.file, Line: max(line, 1), Col: col, Msg: fmt.Sprintf(format, args...)}
	if l.seen == nil {
		l.seen = map[Problem]bool{}
	}
	if !l.seen[p] {
		l.seen[p] = true
		l.probs = append(l.probs, p)
	}
}

// pos is where a problem with n is reported: at n, or at the alias
// through which the current item was reached, since the anchored text is
// not where the item is used.
func (l *loader) pos(n *yaml.Node) (line, col int) {
	if l.via != nil {
		n = l.via
	}
	if n == nil || n.Line <= 0 {
		return 1, 1
	}
	return n.Line, n.Column
}

func (l *loader) errorf(n *yaml.Node, format string, args ...any) {
	line, col := l.pos(n)
	l.problem(line, col, format, args...)
}

// enterItem starts reading a list item; problems inside an item reached
// through an alias are reported at the alias. The result ends the item.
func (l *loader) enterItem(n *yaml.Node) func() {
	l.item++
	if n.Kind != yaml.AliasNode || l.via != nil {
		return func() {}
	}
	l.via = n
	return func() { l.via = nil }
}

func (l *loader) load(data []byte) {
	if len(data) > maxFileSize {
		l.problem(1, 1, "file is larger than %d MiB", maxFileSize>>20)
		return
	}
	if !utf8.Valid(data) {
		line, col := badUTF8(data)
		l.problem(line, col, "file is not valid utf-8 text")
		return
	}
	root := l.parseYAML(data)
	if root == nil {
		return
	}
	top := l.mapping(root, "", topKeys)
	if top == nil {
		return
	}
	l.zoneLines, l.craneLines, l.assetLines = map[string]int{}, map[string]int{}, map[string]int{}
	l.windowLines, l.conduitLines = map[string]int{}, map[string]int{}
	l.cidrOwner, l.vlanOwner = map[netip.Prefix]owner{}, map[uint16]owner{}
	l.ipOwner, l.macOwner = map[netip.Addr]owner{}, map[MAC]owner{}

	if v, ok := top["version"]; ok {
		if n, ok := l.integer(v, "version"); ok {
			if n != Version {
				l.errorf(v, "version: unsupported version %d (must be %d)", n, Version)
			}
			l.s.Version = int(n)
		}
	} else {
		l.errorf(root, "missing version (must be %d)", Version)
	}
	if v, ok := top["facility"]; ok {
		l.facility(v)
	}
	// Sections may come in any order: references between them are checked
	// once all are read, in checkRefs.
	for i, n := range l.list(top["cranes"], "cranes") {
		l.crane(n, i)
	}
	for i, n := range l.list(top["change_windows"], "change_windows") {
		l.window(n, i)
	}
	for i, n := range l.list(top["zones"], "zones") {
		l.zone(n, i)
	}
	for i, n := range l.list(top["conduits"], "conduits") {
		l.conduit(n, i)
	}
	for i, n := range l.list(top["assets"], "assets") {
		l.asset(n, i)
	}
	if v, ok := top["remote_access"]; ok {
		l.remoteAccess(v)
	}
	if v, ok := top["prohibited"]; ok {
		l.prohibited(v)
	}
	if v, ok := top["suppliers"]; ok {
		l.suppliers(v)
	}
	l.checkRefs()
}

// parseYAML parses exactly one YAML document and returns its root node, or
// nil after reporting why there is none.
func (l *loader) parseYAML(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decodeYAML(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.problem(1, 1, "empty file")
		} else {
			l.syntaxError(err, data)
		}
		return nil
	}
	var extra yaml.Node
	switch err := decodeYAML(dec, &extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		l.syntaxError(err, data)
		return nil
	default:
		l.errorf(&extra, "more than one yaml document in the file")
		return nil
	}
	if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == "!!null") {
		l.problem(1, 1, "empty file")
		return nil
	}
	return doc.Content[0]
}

// decodeYAML is dec.Decode, with any panic of the YAML library turned
// into an error: hostile input must not bring the process down.
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
func (l *loader) syntaxError(err error, data []byte) {
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
	l.problem(line, 0, "yaml syntax error: %s", msg)
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
func (l *loader) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		alias := n
		n = n.Alias
		if n == nil {
			l.errorf(alias, "alias to an unknown anchor")
			return nil
		}
		before := l.aliasWork
		l.aliasWork += l.treeSize(n)
		if l.aliasWork > maxAliasWork {
			if before <= maxAliasWork {
				l.errorf(alias, "aliases expand to more than %d nodes", maxAliasWork)
			}
			return nil
		}
	}
	return n
}

// treeSize counts the nodes under n, aliases counting one each (their
// targets are counted when they are resolved in turn).
func (l *loader) treeSize(n *yaml.Node) int {
	if size, ok := l.sizes[n]; ok {
		return size
	}
	if l.sizes == nil {
		l.sizes = map[*yaml.Node]int{}
	}
	l.sizes[n] = 1 // a node that contains itself counts once
	size := 1
	if n.Kind != yaml.AliasNode {
		for _, c := range n.Content {
			size += l.treeSize(c)
		}
	}
	l.sizes[n] = size
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
	return s[:n] + "…"
}

func in(ctx string) string {
	if ctx == "" {
		return "at top level"
	}
	return "in " + ctx
}

func field(ctx, key string) string {
	if ctx == "" {
		return key
	}
	return ctx + ": " + key
}

// itemCtx names the i-th item of a list for messages: by its id when it has
// one, else by its 1-based position.
func itemCtx(noun string, n *yaml.Node, i int) string {
	if n != nil && n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			k, v := n.Content[j], n.Content[j+1]
			if k.Kind == yaml.ScalarNode && k.Value == "id" && v.Kind == yaml.ScalarNode && v.Value != "" {
				return fmt.Sprintf("%s %q", noun, clip(v.Value))
			}
		}
	}
	return fmt.Sprintf("%s #%d", noun, i+1)
}

// mapping checks that n is a mapping of known, distinct plain keys and
// returns their values. It returns nil when n is not a mapping.
func (l *loader) mapping(n *yaml.Node, ctx string, keys []string) map[string]*yaml.Node {
	at := n
	if n = l.resolve(n); n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		if ctx == "" {
			l.errorf(at, "the file must be a mapping of keys (version, zones, …), got %s", describe(n))
		} else {
			l.errorf(at, "%s: expected a mapping, got %s", ctx, describe(n))
		}
		return nil
	}
	m := make(map[string]*yaml.Node, len(n.Content)/2)
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if r := l.resolve(k); r != nil && r.Kind == yaml.ScalarNode && k.Kind == yaml.AliasNode {
			k = &yaml.Node{Kind: yaml.ScalarNode, Tag: r.Tag, Value: r.Value, Line: k.Line, Column: k.Column}
		}
		switch {
		case k.Kind != yaml.ScalarNode:
			l.errorf(k, "keys must be plain words %s", in(ctx))
			continue
		case k.ShortTag() == "!!merge":
			l.errorf(k, "merge keys (<<) are not supported %s", in(ctx))
			continue
		}
		key := k.Value
		if first, dup := seen[key]; dup {
			l.errorf(k, "duplicate key %q %s (first at line %d)", clip(key), in(ctx), first)
			continue
		}
		seen[key] = k.Line
		if !slices.Contains(keys, key) {
			l.errorf(k, "unknown key %q %s%s", clip(key), in(ctx), suggest(key, keys))
			continue
		}
		m[key] = n.Content[i+1]
	}
	return m
}

// list returns the items of a sequence; a missing key (nil) is an empty list.
func (l *loader) list(n *yaml.Node, what string) []*yaml.Node {
	if n == nil {
		return nil
	}
	at := n
	if n = l.resolve(n); n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.errorf(at, "%s: expected a list, got %s", what, describe(n))
		return nil
	}
	return n.Content
}

// scalar returns the text of a scalar of any tag but null.
func (l *loader) scalar(n *yaml.Node, what string) (string, bool) {
	at := n
	if n = l.resolve(n); n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		l.errorf(at, "%s: expected a value, got %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

// text reads optional free text into *dst.
func (l *loader) text(m map[string]*yaml.Node, key, ctx string, dst *string) {
	if n, ok := m[key]; ok {
		if s, ok := l.scalar(n, field(ctx, key)); ok {
			*dst = s
		}
	}
}

// id reads a required identifier.
func (l *loader) id(m map[string]*yaml.Node, item *yaml.Node, ctx string) (string, bool) {
	n, ok := m["id"]
	if !ok {
		l.errorf(item, "%s: missing id", ctx)
		return "", false
	}
	s, ok := l.scalar(n, field(ctx, "id"))
	if !ok {
		return "", false
	}
	if !validID(s) {
		l.errorf(n, "%s: bad id %q: use up to 128 letters, digits, '.', '_' and '-', starting with a letter or digit", ctx, clip(s))
		return "", false
	}
	return s, true
}

// unique records an id in lines and reports a duplicate.
func (l *loader) unique(lines map[string]int, noun, id string, n *yaml.Node) {
	if id == "" {
		return
	}
	if first, dup := lines[id]; dup {
		l.errorf(n, "duplicate %s id %q (first defined at line %d)", noun, id, first)
		return
	}
	lines[id], _ = l.pos(n)
}

// integer reads a YAML integer (decimal, 0x, 0o or 0b).
func (l *loader) integer(n *yaml.Node, what string) (int64, bool) {
	at := n
	if n = l.resolve(n); n == nil {
		return 0, false
	}
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!str" || n.ShortTag() == "!!float") && n.Style == 0 && allDigits(n.Value) {
		l.errorf(at, "%s: integer %s is out of range", what, clip(n.Value))
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		l.errorf(at, "%s: expected an integer, got %s", what, describe(n))
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil {
		l.errorf(at, "%s: integer %s is out of range", what, clip(n.Value))
		return 0, false
	}
	return v, true
}

func allDigits(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// boolean reads true or false.
func (l *loader) boolean(n *yaml.Node, what string) (bool, bool) {
	at := n
	if n = l.resolve(n); n == nil {
		return false, false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		if v, err := strconv.ParseBool(strings.ToLower(n.Value)); err == nil {
			return v, true
		}
	}
	l.errorf(at, "%s: expected true or false, got %s", what, describe(n))
	return false, false
}

// scalars reads a list of scalars, calling fn for each.
func (l *loader) scalars(n *yaml.Node, what string, fn func(s string, at *yaml.Node)) {
	for _, item := range l.list(n, what) {
		if s, ok := l.scalar(item, what); ok {
			fn(s, item)
		}
	}
}

func (l *loader) facility(n *yaml.Node) {
	m := l.mapping(n, "facility", facilityKeys)
	f := &l.s.Facility
	l.text(m, "id", "facility", &f.ID)
	l.text(m, "name", "facility", &f.Name)
	l.text(m, "port", "facility", &f.Port)
}

func (l *loader) zone(n *yaml.Node, i int) {
	defer l.enterItem(n)()
	item := l.resolve(n)
	ctx := itemCtx("zone", item, i)
	m := l.mapping(n, ctx, zoneKeys)
	if m == nil {
		return
	}
	z := &Zone{Line: item.Line}
	if id, ok := l.id(m, item, ctx); ok {
		if id == unzoned.ID || id == external.ID {
			l.errorf(m["id"], "%s: id %q is reserved for the built-in zone", ctx, id)
		} else {
			l.unique(l.zoneLines, "zone", id, m["id"])
		}
		z.ID = id
	}
	if v, ok := m["kind"]; !ok {
		l.errorf(item, "%s: missing kind%s", ctx, suggest("", kindNames()))
	} else if s, ok := l.scalar(v, field(ctx, "kind")); ok {
		if k := ZoneKind(s); k.Valid() {
			z.Kind = k
		} else {
			l.errorf(v, "%s: unknown kind %q%s", ctx, clip(s), suggest(s, kindNames()))
		}
	}
	l.text(m, "name", ctx, &z.Name)
	l.text(m, "description", ctx, &z.Description)
	if v, ok := m["crane"]; ok {
		if s, ok := l.scalar(v, field(ctx, "crane")); ok {
			z.Crane = s
			l.refs = append(l.refs, ref{refCrane, v, field(ctx, "crane"), s})
		}
	}
	what := field(ctx, "cidrs")
	l.scalars(m["cidrs"], what, func(s string, at *yaml.Node) {
		p, why := parsePrefix(s)
		if why != "" {
			l.errorf(at, "%s: bad cidr %q: %s", what, clip(s), why)
			return
		}
		if o, dup := l.cidrOwner[p]; dup {
			if o.item == l.item {
				l.errorf(at, "%s: duplicate cidr %s", what, p)
			} else {
				l.errorf(at, "%s: %s is already in %s (line %d)", what, p, o.what, o.line)
			}
			return
		}
		l.cidrOwner[p] = l.owner(ctx, at)
		z.CIDRs = append(z.CIDRs, p)
	})
	what = field(ctx, "vlans")
	var vlanNodes []*yaml.Node
	for _, at := range l.list(m["vlans"], what) {
		v, ok := l.integer(at, what)
		if !ok {
			continue
		}
		if v < 1 || v > 4094 {
			l.errorf(at, "%s: vlan %d is out of range 1..4094", what, v)
			continue
		}
		if slices.Contains(z.VLANs, uint16(v)) {
			l.errorf(at, "%s: duplicate vlan %d", what, v)
			continue
		}
		z.VLANs = append(z.VLANs, uint16(v))
		vlanNodes = append(vlanNodes, at)
	}
	if !present(m["cidrs"]) && !present(m["vlans"]) {
		l.errorf(item, "%s: no cidrs and no vlans, so nothing can be in the zone", ctx)
	}
	if !present(m["cidrs"]) {
		// A zone given by VLANs alone claims them: two such zones on
		// one VLAN would make the lookup ambiguous.
		for j, v := range z.VLANs {
			if o, dup := l.vlanOwner[v]; dup {
				l.errorf(vlanNodes[j], "%s: vlan %d is already the vlan of %s (line %d), which also has no cidrs", what, v, o.what, o.line)
				continue
			}
			l.vlanOwner[v] = l.owner(ctx, vlanNodes[j])
		}
	}
	l.s.Zones = append(l.s.Zones, z)
}

// present reports whether a key was given with something in it.
func present(n *yaml.Node) bool {
	return n != nil && !(n.Kind == yaml.SequenceNode && len(n.Content) == 0) &&
		!(n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func kindNames() []string {
	s := make([]string, len(zoneKinds))
	for i, k := range zoneKinds {
		s[i] = string(k)
	}
	return s
}

func (l *loader) conduit(n *yaml.Node, i int) {
	defer l.enterItem(n)()
	item := l.resolve(n)
	ctx := itemCtx("conduit", item, i)
	m := l.mapping(n, ctx, conduitKeys)
	if m == nil {
		return
	}
	c := Conduit{Line: item.Line}
	if _, ok := m["id"]; ok {
		if id, ok := l.id(m, item, ctx); ok {
			l.unique(l.conduitLines, "conduit", id, m["id"])
			c.ID = id
		}
	}
	l.text(m, "description", ctx, &c.Description)
	for _, end := range []struct {
		key string
		dst *string
	}{{"from", &c.From}, {"to", &c.To}} {
		v, ok := m[end.key]
		if !ok {
			l.errorf(item, "%s: missing %s (a zone id or kind:<zone kind>)", ctx, end.key)
			continue
		}
		if s, ok := l.scalar(v, field(ctx, end.key)); ok {
			*end.dst = s
			l.refs = append(l.refs, ref{refEndpoint, v, field(ctx, end.key), s})
		}
	}
	what := field(ctx, "protocols")
	l.scalars(m["protocols"], what, func(s string, at *yaml.Node) {
		app, ok := NormalizeApp(s)
		if !ok {
			if t, _, ok := strings.Cut(strings.ToLower(s), "/"); ok && (t == "tcp" || t == "udp") {
				l.errorf(at, "%s: bad protocol %q: want %s/PORT with PORT 1..65535", what, clip(s), t)
			} else {
				l.errorf(at, "%s: unknown protocol %q%s", what, clip(s), suggest(s, protocolNames()))
			}
			return
		}
		if slices.Contains(c.Protocols, app) {
			if strings.EqualFold(s, app) {
				l.errorf(at, "%s: duplicate protocol %s", what, app)
			} else {
				l.errorf(at, "%s: duplicate protocol %s (%q is %s)", what, app, clip(s), app)
			}
			return
		}
		c.Protocols = append(c.Protocols, app)
	})
	what = field(ctx, "ports")
	for _, at := range l.list(m["ports"], what) {
		r, ok := l.portRange(at, what)
		if !ok {
			continue
		}
		if slices.Contains(c.Ports, r) {
			l.errorf(at, "%s: duplicate port %s", what, r)
			continue
		}
		c.Ports = append(c.Ports, r)
	}
	what = field(ctx, "operations")
	l.scalars(m["operations"], what, func(s string, at *yaml.Node) {
		if !slices.Contains(operations, s) {
			l.errorf(at, "%s: unknown operation %q%s", what, clip(s), suggest(s, operations))
			return
		}
		if slices.Contains(c.Operations, s) {
			l.errorf(at, "%s: duplicate operation %s", what, s)
			return
		}
		c.Operations = append(c.Operations, s)
	})
	what = field(ctx, "windows")
	l.scalars(m["windows"], what, func(s string, at *yaml.Node) {
		if slices.Contains(c.Windows, s) {
			l.errorf(at, "%s: duplicate window %q", what, clip(s))
			return
		}
		c.Windows = append(c.Windows, s)
		l.refs = append(l.refs, ref{refWindow, at, what, s})
	})
	l.s.Conduits = append(l.s.Conduits, c)
}

func protocolNames() []string {
	return append(slices.Clone(apps), "tls", "cip", "tcp/PORT", "udp/PORT")
}

// portRange reads a port (integer or string) or an "A-B" range.
func (l *loader) portRange(n *yaml.Node, what string) (PortRange, bool) {
	at := n
	if n = l.resolve(n); n == nil {
		return PortRange{}, false
	}
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!str") {
		l.errorf(at, "%s: expected a port or a range such as 1024-2047, got %s", what, describe(n))
		return PortRange{}, false
	}
	r, why := parsePortRange(n.Value)
	if why != "" {
		l.errorf(at, "%s: bad port %q: %s", what, clip(n.Value), why)
		return PortRange{}, false
	}
	return r, true
}

func (l *loader) crane(n *yaml.Node, i int) {
	defer l.enterItem(n)()
	item := l.resolve(n)
	ctx := itemCtx("crane", item, i)
	m := l.mapping(n, ctx, craneKeys)
	if m == nil {
		return
	}
	c := Crane{Line: item.Line}
	if id, ok := l.id(m, item, ctx); ok {
		l.unique(l.craneLines, "crane", id, m["id"])
		c.ID = id
	}
	l.text(m, "name", ctx, &c.Name)
	l.text(m, "manufacturer", ctx, &c.Manufacturer)
	l.text(m, "model", ctx, &c.Model)
	l.text(m, "supplier", ctx, &c.Supplier)
	c.Origin = l.country(m, ctx)
	if v, ok := m["commissioned"]; ok {
		if y, ok := l.integer(v, field(ctx, "commissioned")); ok {
			if y < 1900 || y > 2200 {
				l.errorf(v, "%s: commissioned: %d is not a plausible year", ctx, y)
			} else {
				c.Commissioned = int(y)
			}
		}
	}
	if v, ok := m["remote_management"]; ok {
		c.RemoteManagement, _ = l.boolean(v, field(ctx, "remote_management"))
	}
	l.s.Cranes = append(l.s.Cranes, c)
}

// country reads an optional origin.
func (l *loader) country(m map[string]*yaml.Node, ctx string) string {
	v, ok := m["origin"]
	if !ok {
		return ""
	}
	s, ok := l.scalar(v, field(ctx, "origin"))
	if !ok {
		return ""
	}
	c, ok := normalizeCountry(s)
	if !ok {
		l.errorf(v, "%s: origin: %q is not a two-letter ISO 3166 country code such as CN", ctx, clip(s))
	}
	return c
}

func (l *loader) asset(n *yaml.Node, i int) {
	defer l.enterItem(n)()
	item := l.resolve(n)
	ctx := itemCtx("asset", item, i)
	m := l.mapping(n, ctx, assetKeys)
	if m == nil {
		return
	}
	a := &Asset{Line: item.Line}
	if id, ok := l.id(m, item, ctx); ok {
		l.unique(l.assetLines, "asset", id, m["id"])
		a.ID = id
	}
	if m["ip"] == nil && m["ips"] == nil && m["mac"] == nil && m["macs"] == nil {
		l.errorf(item, "%s: needs an ip or a mac (keys ip, ips, mac, macs)", ctx)
	}
	addIP := func(s string, at *yaml.Node, what string) {
		ip, why := parseAddr(s)
		if why != "" {
			l.errorf(at, "%s: bad address %q: %s", what, clip(s), why)
			return
		}
		if o, dup := l.ipOwner[ip]; dup {
			if o.item == l.item {
				l.errorf(at, "%s: duplicate address %s", what, ip)
			} else {
				l.errorf(at, "%s: address %s is already used by %s (line %d)", what, ip, o.what, o.line)
			}
			return
		}
		l.ipOwner[ip] = l.owner(ctx, at)
		a.IPs = append(a.IPs, ip)
	}
	addMAC := func(s string, at *yaml.Node, what string) {
		mac, why := parseMAC(s)
		if why != "" {
			l.errorf(at, "%s: bad mac %q: %s", what, clip(s), why)
			return
		}
		if o, dup := l.macOwner[mac]; dup {
			if o.item == l.item {
				l.errorf(at, "%s: duplicate mac %s", what, mac)
			} else {
				l.errorf(at, "%s: mac %s is already used by %s (line %d)", what, mac, o.what, o.line)
			}
			return
		}
		l.macOwner[mac] = l.owner(ctx, at)
		a.MACs = append(a.MACs, mac)
	}
	if v, ok := m["ip"]; ok {
		if s, ok := l.scalar(v, field(ctx, "ip")); ok {
			addIP(s, v, field(ctx, "ip"))
		}
	}
	what := field(ctx, "ips")
	l.scalars(m["ips"], what, func(s string, at *yaml.Node) { addIP(s, at, what) })
	if v, ok := m["mac"]; ok {
		if s, ok := l.scalar(v, field(ctx, "mac")); ok {
			addMAC(s, v, field(ctx, "mac"))
		}
	}
	what = field(ctx, "macs")
	l.scalars(m["macs"], what, func(s string, at *yaml.Node) { addMAC(s, at, what) })
	if len(a.IPs) > 0 {
		a.IP = a.IPs[0]
	}
	if len(a.MACs) > 0 {
		a.MAC = a.MACs[0]
	}
	l.text(m, "name", ctx, &a.Name)
	l.text(m, "kind", ctx, &a.Kind)
	l.text(m, "vendor", ctx, &a.Vendor)
	l.text(m, "model", ctx, &a.Model)
	l.text(m, "supplier", ctx, &a.Supplier)
	l.text(m, "serial", ctx, &a.Serial)
	l.text(m, "firmware", ctx, &a.Firmware)
	l.text(m, "notes", ctx, &a.Notes)
	a.Origin = l.country(m, ctx)
	if v, ok := m["criticality"]; ok {
		if s, ok := l.scalar(v, field(ctx, "criticality")); ok {
			if slices.Contains(criticalities, s) {
				a.Criticality = Criticality(s)
			} else {
				l.errorf(v, "%s: unknown criticality %q%s", ctx, clip(s), suggest(s, criticalities))
			}
		}
	}
	if v, ok := m["crane"]; ok {
		if s, ok := l.scalar(v, field(ctx, "crane")); ok {
			a.Crane = s
			l.refs = append(l.refs, ref{refCrane, v, field(ctx, "crane"), s})
		}
	}
	if v, ok := m["zone"]; ok {
		if s, ok := l.scalar(v, field(ctx, "zone")); ok {
			a.Zone = s
			l.refs = append(l.refs, ref{refZone, v, field(ctx, "zone"), s})
		}
	}
	l.s.Assets = append(l.s.Assets, a)
}

func (l *loader) window(n *yaml.Node, i int) {
	defer l.enterItem(n)()
	item := l.resolve(n)
	ctx := itemCtx("change window", item, i)
	m := l.mapping(n, ctx, windowKeys)
	if m == nil {
		return
	}
	w := Window{Line: item.Line}
	if id, ok := l.id(m, item, ctx); ok {
		l.unique(l.windowLines, "change window", id, m["id"])
		w.ID = id
	}
	start, okStart := l.time(m, item, ctx, "start")
	end, okEnd := l.time(m, item, ctx, "end")
	w.Start, w.End = start, end
	if okStart && okEnd && !end.After(start) {
		l.errorf(m["end"], "%s: end %s is not after start %s", ctx, end.Format(time.RFC3339), start.Format(time.RFC3339))
		okEnd = false
	}
	if v, ok := m["every"]; ok {
		if s, ok := l.scalar(v, field(ctx, "every")); ok {
			d, why := parseDuration(s)
			switch {
			case why != "":
				l.errorf(v, "%s: every: bad duration %q: %s", ctx, clip(s), why)
			case d <= 0:
				l.errorf(v, "%s: every: %q must be positive (leave every out for a one-off window)", ctx, clip(s))
			case okStart && okEnd && d < end.Sub(start):
				l.errorf(v, "%s: every %s is shorter than the window (%s), so it never closes", ctx, s, end.Sub(start))
			default:
				w.Every = d
			}
		}
	}
	l.s.ChangeWindows = append(l.s.ChangeWindows, w)
}

// time reads a required RFC 3339 time, in UTC.
func (l *loader) time(m map[string]*yaml.Node, item *yaml.Node, ctx, key string) (time.Time, bool) {
	v, ok := m[key]
	if !ok {
		l.errorf(item, "%s: missing %s", ctx, key)
		return time.Time{}, false
	}
	s, ok := l.scalar(v, field(ctx, key))
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		l.errorf(v, "%s: %s: bad time %q: want RFC 3339 with a zone, such as 2026-11-02T08:00:00Z", ctx, key, clip(s))
		return time.Time{}, false
	}
	return t.UTC(), true
}

func (l *loader) remoteAccess(n *yaml.Node) {
	m := l.mapping(n, "remote_access", remoteKeys)
	what := "remote_access: gateways"
	seen := map[netip.Addr]bool{}
	l.scalars(m["gateways"], what, func(s string, at *yaml.Node) {
		a, why := parseAddr(s)
		if why != "" {
			l.errorf(at, "%s: bad address %q: %s", what, clip(s), why)
			return
		}
		if seen[a] {
			l.errorf(at, "%s: duplicate gateway %s", what, a)
			return
		}
		seen[a] = true
		l.s.RemoteAccess.Gateways = append(l.s.RemoteAccess.Gateways, a)
	})
}

func (l *loader) prohibited(n *yaml.Node) {
	m := l.mapping(n, "prohibited", prohibitedKeys)
	p := &l.s.Prohibited
	what := "prohibited: domains"
	l.scalars(m["domains"], what, func(s string, at *yaml.Node) {
		d, why := normalizeDomain(s)
		if why != "" {
			l.errorf(at, "%s: bad domain %q: %s", what, clip(s), why)
			return
		}
		if slices.Contains(p.Domains, d) {
			l.errorf(at, "%s: duplicate domain %s", what, d)
			return
		}
		p.Domains = append(p.Domains, d)
	})
	what = "prohibited: cidrs"
	l.scalars(m["cidrs"], what, func(s string, at *yaml.Node) {
		c, why := parsePrefix(s)
		if why != "" {
			l.errorf(at, "%s: bad cidr %q: %s", what, clip(s), why)
			return
		}
		if slices.Contains(p.CIDRs, c) {
			l.errorf(at, "%s: duplicate cidr %s", what, c)
			return
		}
		p.CIDRs = append(p.CIDRs, c)
	})
}

// suppliers reads the facility's own supplier entries. They have the form
// of the built-in catalog's and are read and checked by package supplier,
// against that catalog: an entry with a built-in id replaces the built-in
// entry, and a new entry may not take the names, prefixes, package URLs or
// domains of a built-in one.
func (l *loader) suppliers(n *yaml.Node) {
	list, probs := supplier.Decode(l.file, n, supplier.Builtin())
	for _, p := range probs {
		l.problem(p.Line, p.Col, "%s", p.Msg)
	}
	l.s.Suppliers = list
}

// checkRefs reports references to zones, kinds, cranes and windows that the
// file does not define.
func (l *loader) checkRefs() {
	zones := append(sortedKeys(l.zoneLines), unzoned.ID, external.ID)
	for _, r := range l.refs {
		switch r.kind {
		case refEndpoint:
			if k, ok := strings.CutPrefix(r.id, kindPrefix); ok {
				if !ZoneKind(k).Valid() {
					l.errorf(r.n, "%s: unknown zone kind %q%s", r.what, clip(k), suggest(k, kindNames()))
				}
				continue
			}
			fallthrough
		case refZone:
			if !slices.Contains(zones, r.id) {
				l.errorf(r.n, "%s: zone %q is not defined%s", r.what, clip(r.id), suggest(r.id, zones))
			}
		case refCrane:
			if _, ok := l.craneLines[r.id]; !ok {
				l.errorf(r.n, "%s: crane %q is not defined in cranes%s", r.what, clip(r.id), suggest(r.id, sortedKeys(l.craneLines)))
			}
		case refWindow:
			if _, ok := l.windowLines[r.id]; !ok {
				l.errorf(r.n, "%s: change window %q is not defined in change_windows%s", r.what, clip(r.id), suggest(r.id, sortedKeys(l.windowLines)))
			}
		}
	}
}

func sortedKeys(m map[string]int) []string {
	s := make([]string, 0, len(m))
	for k := range m {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}
