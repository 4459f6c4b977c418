package yamlfile

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

// DefaultMaxSize is the file size Parse accepts when Reader.MaxSize is 0.
const DefaultMaxSize = 4 << 20

// MaxAliasWork bounds the nodes visited through YAML aliases, against
// documents whose aliases nest to expand exponentially ("billion laughs").
const MaxAliasWork = 100_000

// Reader reads one YAML file strictly. Problems accumulate; reading goes on
// after each, so one pass reports them all. Set the exported fields before
// the first call; the zero value of each is documented.
type Reader struct {
	// File names the file in problems.
	File string
	// MaxSize is the largest input Parse accepts, in bytes, and is named
	// in MiB in the problem; 0 means DefaultMaxSize.
	MaxSize int
	// Top says what the whole file must be, as in "the file must be a
	// list of suppliers": Mapping reports it when ctx is "", and List
	// when what is "". Empty means "a mapping" or "a list".
	Top string
	// RejectBlank makes Scalar report a value that is only white space.
	RejectBlank bool

	probs     Problems
	seen      map[Problem]bool // problems already reported, as aliases repeat them
	aliasWork int
	sizes     map[*yaml.Node]int // memo of treeSize
	via       *yaml.Node         // the alias through which the current item was reached
	item      int                // serial number of the current item
}

// ErrorAt reports a problem at a line and column (0 when not known). A
// problem reported twice, as an alias repeats it, is kept once.
func (r *Reader) ErrorAt(line, col int, format string, args ...any) {
	p := Problem{File: r.File, Line: max(line, 1), Col: col, Msg: fmt.Sprintf(format, args...)}
	if r.seen == nil {
		r.seen = map[Problem]bool{}
	}
	if !r.seen[p] {
		r.seen[p] = true
		r.probs = append(r.probs, p)
	}
}

// Errorf reports a problem with n, at Pos(n).
func (r *Reader) Errorf(n *yaml.Node, format string, args ...any) {
	line, col := r.Pos(n)
	r.ErrorAt(line, col, format, args...)
}

// Pos is where a problem with n is reported: at n, or at the alias through
// which the current item was reached, since the anchored text is not where
// the item is used. A node without a position is at 1:1.
func (r *Reader) Pos(n *yaml.Node) (line, col int) {
	if r.via != nil {
		n = r.via
	}
	if n == nil || n.Line <= 0 {
		return 1, 1
	}
	return n.Line, n.Column
}

// EnterItem starts reading a list item; problems inside an item reached
// through an alias are reported at the alias. The result ends the item.
func (r *Reader) EnterItem(n *yaml.Node) func() {
	r.item++
	if n.Kind != yaml.AliasNode || r.via != nil {
		return func() {}
	}
	r.via = n
	return func() { r.via = nil }
}

// Item is the serial number of the current item, counted from 1 by
// EnterItem: values claimed twice within one item and across two items
// are told apart by it.
func (r *Reader) Item() int { return r.item }

// Len is the number of problems reported so far.
func (r *Reader) Len() int { return len(r.probs) }

// Problems returns the problems reported so far, sorted by line and column
// (in the order reported where those are equal), or nil when there are none.
func (r *Reader) Problems() Problems {
	slices.SortStableFunc(r.probs, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return r.probs
}

// Parse checks the raw file — size, UTF-8 — and parses exactly one YAML
// document, returning its root node, or nil after reporting why there is
// none.
func (r *Reader) Parse(data []byte) *yaml.Node {
	limit := r.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	if len(data) > limit {
		r.ErrorAt(1, 1, "file is larger than %d MiB", limit>>20)
		return nil
	}
	if !utf8.Valid(data) {
		line, col := badUTF8(data)
		r.ErrorAt(line, col, "file is not valid utf-8 text")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			r.ErrorAt(1, 1, "empty file")
		} else {
			r.syntaxError(err, data)
		}
		return nil
	}
	var extra yaml.Node
	switch err := decode(dec, &extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		r.syntaxError(err, data)
		return nil
	default:
		r.Errorf(&extra, "more than one yaml document in the file")
		return nil
	}
	if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == "!!null") {
		r.ErrorAt(1, 1, "empty file")
		return nil
	}
	return doc.Content[0]
}

// decode is dec.Decode, with any panic of the YAML library turned into an
// error: hostile input must not bring the process down.
func decode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failure: %v", r)
		}
	}()
	return dec.Decode(n)
}

// syntaxError reports a YAML library error such as
// "yaml: line 3: did not find expected key" at its line.
func (r *Reader) syntaxError(err error, data []byte) {
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
	r.ErrorAt(line, 0, "yaml syntax error: %s", msg)
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

// Resolve follows aliases to the node they name, counting the work. It
// returns nil, after one report, at an alias to an unknown anchor or once
// aliases have expanded to more than MaxAliasWork nodes.
func (r *Reader) Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		alias := n
		n = n.Alias
		if n == nil {
			r.Errorf(alias, "alias to an unknown anchor")
			return nil
		}
		before := r.aliasWork
		r.aliasWork += r.treeSize(n)
		if r.aliasWork > MaxAliasWork {
			if before <= MaxAliasWork {
				r.Errorf(alias, "aliases expand to more than %d nodes", MaxAliasWork)
			}
			return nil
		}
	}
	return n
}

// treeSize counts the nodes under n, aliases counting one each (their
// targets are counted when they are resolved in turn).
func (r *Reader) treeSize(n *yaml.Node) int {
	if size, ok := r.sizes[n]; ok {
		return size
	}
	if r.sizes == nil {
		r.sizes = map[*yaml.Node]int{}
	}
	r.sizes[n] = 1 // a node that contains itself counts once
	size := 1
	if n.Kind != yaml.AliasNode {
		for _, c := range n.Content {
			size += r.treeSize(c)
		}
	}
	r.sizes[n] = size
	return size
}

// Mapping checks that n is a mapping of known, distinct plain keys and
// returns their values; ctx names n in messages ("" for the whole file).
// It returns nil when n is not a mapping.
func (r *Reader) Mapping(n *yaml.Node, ctx string, keys []string) map[string]*yaml.Node {
	at := n
	if n = r.Resolve(n); n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		if ctx == "" {
			r.Errorf(at, "the file must be %s, got %s", r.top("a mapping"), Describe(n))
		} else {
			r.Errorf(at, "%s: expected a mapping, got %s", ctx, Describe(n))
		}
		return nil
	}
	m := make(map[string]*yaml.Node, len(n.Content)/2)
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if res := r.Resolve(k); res != nil && res.Kind == yaml.ScalarNode && k.Kind == yaml.AliasNode {
			k = &yaml.Node{Kind: yaml.ScalarNode, Tag: res.Tag, Value: res.Value, Line: k.Line, Column: k.Column}
		}
		switch {
		case k.Kind != yaml.ScalarNode:
			r.Errorf(k, "keys must be plain words %s", in(ctx))
			continue
		case k.ShortTag() == "!!merge":
			r.Errorf(k, "merge keys (<<) are not supported %s", in(ctx))
			continue
		}
		key := k.Value
		if first, dup := seen[key]; dup {
			r.Errorf(k, "duplicate key %q %s (first at line %d)", Clip(key), in(ctx), first)
			continue
		}
		seen[key] = k.Line
		if !slices.Contains(keys, key) {
			r.Errorf(k, "unknown key %q %s%s", Clip(key), in(ctx), Suggest(key, keys))
			continue
		}
		m[key] = n.Content[i+1]
	}
	return m
}

func (r *Reader) top(def string) string {
	if r.Top == "" {
		return def
	}
	return r.Top
}

func in(ctx string) string {
	if ctx == "" {
		return "at top level"
	}
	return "in " + ctx
}

// List returns the items of a sequence; a missing key (nil) is an empty
// list. what names n in messages ("" for the whole file).
func (r *Reader) List(n *yaml.Node, what string) []*yaml.Node {
	if n == nil {
		return nil
	}
	at := n
	if n = r.Resolve(n); n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		if what == "" {
			r.Errorf(at, "the file must be %s, got %s", r.top("a list"), Describe(n))
		} else {
			r.Errorf(at, "%s: expected a list, got %s", what, Describe(n))
		}
		return nil
	}
	return n.Content
}

// Scalar returns the text of a scalar of any tag but null (and, with
// RejectBlank, not only white space).
func (r *Reader) Scalar(n *yaml.Node, what string) (string, bool) {
	at := n
	if n = r.Resolve(n); n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		r.Errorf(at, "%s: expected a value, got %s", what, Describe(n))
		return "", false
	}
	if r.RejectBlank && strings.TrimSpace(n.Value) == "" {
		r.Errorf(at, "%s: blank text (leave the key out instead)", what)
		return "", false
	}
	return n.Value, true
}

// Text reads the optional text at key of m into *dst.
func (r *Reader) Text(m map[string]*yaml.Node, key, ctx string, dst *string) {
	if n, ok := m[key]; ok {
		if s, ok := r.Scalar(n, Field(ctx, key)); ok {
			*dst = s
		}
	}
}

// Required reads the required text at key of m, reporting it missing at
// item (the mapping's own node).
func (r *Reader) Required(m map[string]*yaml.Node, item *yaml.Node, key, ctx string) (string, bool) {
	n, ok := m[key]
	if !ok {
		r.Errorf(item, "%s: missing %s", ctx, key)
		return "", false
	}
	return r.Scalar(n, Field(ctx, key))
}

// Scalars reads a list of scalars, calling fn for each.
func (r *Reader) Scalars(n *yaml.Node, what string, fn func(s string, at *yaml.Node)) {
	for _, item := range r.List(n, what) {
		if s, ok := r.Scalar(item, what); ok {
			fn(s, item)
		}
	}
}

// Boolean reads true or false.
func (r *Reader) Boolean(n *yaml.Node, what string) (bool, bool) {
	at := n
	if n = r.Resolve(n); n == nil {
		return false, false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		if v, err := strconv.ParseBool(strings.ToLower(n.Value)); err == nil {
			return v, true
		}
	}
	r.Errorf(at, "%s: expected true or false, got %s", what, Describe(n))
	return false, false
}

// Integer reads a YAML integer (decimal, 0x, 0o or 0b) that fits in an
// int64.
func (r *Reader) Integer(n *yaml.Node, what string) (int64, bool) {
	at := n
	if n = r.Resolve(n); n == nil {
		return 0, false
	}
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!str" || n.ShortTag() == "!!float") && n.Style == 0 && allDigits(n.Value) {
		r.Errorf(at, "%s: integer %s is out of range", what, Clip(n.Value))
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		r.Errorf(at, "%s: expected an integer, got %s", what, Describe(n))
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil {
		r.Errorf(at, "%s: integer %s is out of range", what, Clip(n.Value))
		return 0, false
	}
	return v, true
}

func allDigits(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return s != "" && strings.Trim(s, "0123456789") == ""
}
