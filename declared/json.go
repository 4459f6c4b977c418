package declared

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ReadJSON reads an asset list in JSON (docs/formats/inventory-csv.md,
// section JSON): {"assets": [...], "cranes": [...]} or a bare array of
// assets. Each object with a problem is reported at its line and column and
// skipped; every other one is kept.
func ReadJSON(name string, r io.Reader) Result {
	data, p := readAll(name, r)
	if p != nil {
		return Result{Problems: []Problem{*p}}
	}
	return readJSON(name, data)
}

func readJSON(name string, data []byte) Result {
	data = bytes.TrimPrefix(data, utf8BOM)
	c := newCollector(name, data)
	root := c.parseJSON(data)
	if root == nil {
		return c.result()
	}
	c.jsonList(root)
	return c.result()
}

// readJSONOrBOM reads a JSON file as a CycloneDX BOM when its top-level
// object has the key bomFormat, else as an asset list.
func readJSONOrBOM(name string, data []byte) Result {
	data = bytes.TrimPrefix(data, utf8BOM)
	c := newCollector(name, data)
	root := c.parseJSON(data)
	if root == nil {
		return c.result()
	}
	if root.kind == '{' && root.key("bomFormat") != nil {
		c.bomJSON(data, root)
	} else {
		c.jsonList(root)
	}
	return c.result()
}

// jnode is a JSON value and where it is in the input.
type jnode struct {
	kind     byte   // '{' object, '[' array, 's' string, 'n' number, 'b' true or false, 'z' null
	off, end int    // byte offsets of its first byte and just past its last
	str      string // a string's value, a number's or boolean's literal
	keys     []jkey // an object's members, in input order
	items    []*jnode
}

// jkey is one member of an object.
type jkey struct {
	name string
	off  int // offset of the key's opening quote
	val  *jnode
}

// key returns the value of the first member named k, or nil.
func (n *jnode) key(k string) *jnode {
	for _, m := range n.keys {
		if m.name == k {
			return m.val
		}
	}
	return nil
}

// describe names what a JSON value is, for "expected X, got Y".
func (n *jnode) describe() string {
	switch n.kind {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 's':
		return fmt.Sprintf("the string %q", clip(n.str))
	case 'n':
		return "the number " + clip(n.str)
	case 'b':
		return n.str
	}
	return "null"
}

// jsonParser builds a jnode tree with encoding/json's tokenizer, which
// checks the syntax; the offsets come from Decoder.InputOffset.
type jsonParser struct {
	data  []byte
	dec   *json.Decoder
	nodes int
}

// errJSON is a syntax error at a byte offset.
type errJSON struct {
	off int
	msg string
}

func (e *errJSON) Error() string { return e.msg }

// parseJSON parses data, or reports the one problem that stops it and
// returns nil.
func (c *collector) parseJSON(data []byte) *jnode {
	if len(bytes.TrimSpace(data)) == 0 {
		c.problem(c.at(0, "empty file"))
		return nil
	}
	p := &jsonParser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	root, err := p.value(0)
	if err == nil {
		off := p.next()
		if _, terr := p.dec.Token(); !errors.Is(terr, io.EOF) {
			err = &errJSON{off, "unexpected data after the top-level value"}
		}
	}
	if err != nil {
		var e *errJSON
		if !errors.As(err, &e) {
			e = &errJSON{len(data), err.Error()}
		}
		c.problem(c.at(e.off, "%s", e.msg))
		return nil
	}
	return root
}

// next returns the offset where the next token starts: past white space
// and the ',' or ':' before it.
func (p *jsonParser) next() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// token reads one token and turns errors into errJSON.
func (p *jsonParser) token() (json.Token, error) {
	t, err := p.dec.Token()
	if err == nil {
		return t, nil
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return nil, &errJSON{int(se.Offset), "json syntax error: " + se.Error()}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, &errJSON{len(p.data), "json syntax error: unexpected end of file"}
	}
	return nil, &errJSON{p.next(), "json: " + err.Error()}
}

func (p *jsonParser) value(depth int) (*jnode, error) {
	off := p.next()
	if depth > maxDepth {
		return nil, &errJSON{off, fmt.Sprintf("json nested deeper than %d levels", maxDepth)}
	}
	if p.nodes++; p.nodes > 10*maxRecords {
		return nil, &errJSON{off, fmt.Sprintf("more than %d json values", 10*maxRecords)}
	}
	t, err := p.token()
	if err != nil {
		return nil, err
	}
	n := &jnode{off: off}
	switch v := t.(type) {
	case json.Delim:
		n.kind = byte(v)
		for p.dec.More() {
			if n.kind == '{' {
				koff := p.next()
				kt, err := p.token()
				if err != nil {
					return nil, err
				}
				name, _ := kt.(string) // the decoder only returns strings as keys
				val, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, jkey{name, koff, val})
			} else {
				val, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, val)
			}
		}
		if _, err := p.token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.kind, n.str = 's', v
	case json.Number:
		n.kind, n.str = 'n', v.String()
	case bool:
		n.kind, n.str = 'b', fmt.Sprint(v)
	default:
		n.kind = 'z'
	}
	n.end = int(p.dec.InputOffset())
	return n, nil
}

// listKeys are the keys of a JSON list's top-level object.
var listKeys = []string{"assets", "cranes"}

// jsonList reads an asset list from its parsed root.
func (c *collector) jsonList(root *jnode) {
	var assets, cranes *jnode
	switch root.kind {
	case '[':
		assets = root
	case '{':
		if root.key("bomFormat") != nil {
			c.problem(c.at(root.off, "this is a CycloneDX BOM (it has bomFormat), not an asset list: read it as a BOM"))
			return
		}
		c.duplicateKeys(root, "")
		for _, m := range root.keys {
			switch m.name {
			case "assets":
				assets = m.val
			case "cranes":
				cranes = m.val
			default:
				c.notice(c.at(m.off, "unknown key %q%s: ignored", clip(m.name), suggestKey(m.name, listKeys)))
			}
		}
		if assets == nil && cranes == nil {
			c.problem(c.at(root.off, `expected an object with "assets" or "cranes", or an array of assets`))
			return
		}
	default:
		c.problem(c.at(root.off, "expected an object with \"assets\" or an array of assets, got %s", root.describe()))
		return
	}
	if cranes != nil {
		if cranes.kind != '[' {
			c.problem(c.at(cranes.off, "cranes: expected an array, got %s", cranes.describe()))
		} else {
			for i, n := range cranes.items {
				if i >= maxRecords {
					c.problem(c.at(n.off, "more than %d cranes: the rest is not read", maxRecords))
					break
				}
				c.jsonCrane(n, i)
			}
		}
	}
	if assets != nil {
		if assets.kind != '[' {
			c.problem(c.at(assets.off, "assets: expected an array, got %s", assets.describe()))
			return
		}
		unknown := map[string]bool{}
		for i, n := range assets.items {
			if i >= maxRecords {
				c.problem(c.at(n.off, "more than %d assets: the rest is not read", maxRecords))
				break
			}
			c.jsonAsset(n, i, unknown)
		}
	}
}

// duplicateKeys reports members named twice in one object.
func (c *collector) duplicateKeys(n *jnode, ctx string) bool {
	seen := make(map[string]int, len(n.keys))
	dup := false
	for _, m := range n.keys {
		if first, ok := seen[m.name]; ok {
			c.problem(c.at(m.off, "%sduplicate key %q (first at %s)", ctx, clip(m.name), c.firstAt(c.where(first, true))))
			dup = true
			continue
		}
		seen[m.name] = m.off
	}
	return dup
}

// jsonAsset reads the i-th object of "assets".
func (c *collector) jsonAsset(n *jnode, i int, unknown map[string]bool) {
	ctx := fmt.Sprintf("asset #%d: ", i+1)
	if n.kind != '{' {
		c.problem(c.at(n.off, "%sexpected an object, got %s", ctx, n.describe()))
		return
	}
	for _, m := range n.keys {
		if column(m.name) == "id" && (m.val.kind == 's' || m.val.kind == 'n') && m.val.str != "" {
			ctx = fmt.Sprintf("asset %q: ", clip(m.val.str))
			break
		}
	}
	bad := c.duplicateKeys(n, ctx)
	a := Asset{Source: c.where(n.off, true)}
	given := map[string]string{} // column → key that gave it
	for _, m := range n.keys {
		col := column(m.name)
		switch {
		case col == "":
			if !unknown[m.name] {
				unknown[m.name] = true
				c.notice(c.at(m.off, "%sunknown key %q%s: ignored (reported once)", ctx, clip(m.name), suggestKey(m.name, Columns)))
			}
			continue
		case given[col] == m.name:
			continue // a duplicate key, reported above (for ip and mac: the first key)
		case given[col] != "" && col != "ip" && col != "mac": // ip and ips add up
			c.problem(c.at(m.off, "%skey %q gives %s again (already given by %q)", ctx, clip(m.name), col, clip(given[col])))
			bad = true
			continue
		}
		if given[col] == "" {
			given[col] = m.name
		}
		v := m.val
		if (col == "ip" || col == "mac") && v.kind == '[' {
			if len(v.items) == 0 {
				continue
			}
			for _, it := range v.items {
				if it.kind != 's' {
					c.problem(c.at(it.off, "%s%s: expected a string, got %s", ctx, m.name, it.describe()))
					bad = true
					continue
				}
				for _, why := range a.set(col, it.str) {
					c.problem(c.at(it.off, "%s%s: %s", ctx, m.name, why))
					bad = true
				}
			}
			continue
		}
		var s string
		switch v.kind {
		case 's', 'n':
			s = strings.TrimSpace(v.str)
		case 'z':
			if col == "id" {
				s = ""
				break
			}
			continue // null: not given
		default:
			what := "a string"
			if col == "ip" || col == "mac" {
				what = "a string or an array of strings"
			}
			c.problem(c.at(v.off, "%s%s: expected %s, got %s", ctx, m.name, what, v.describe()))
			bad = true
			continue
		}
		for _, why := range a.set(col, s) {
			c.problem(c.at(v.off, "%s%s: %s", ctx, m.name, why))
			bad = true
		}
	}
	if given["id"] == "" {
		c.problem(c.at(n.off, "%smissing id", ctx))
		return
	}
	if bad || a.ID == "" {
		return
	}
	if why := c.claimID(a.ID, a.Source); why != "" {
		c.problem(c.at(n.off, "%s%s", ctx, why))
		return
	}
	if why := c.conflicts(&a); len(why) > 0 {
		for _, w := range why {
			c.problem(c.at(n.off, "%s%s", ctx, w))
		}
		return
	}
	c.own(&a, a.Source)
	c.res.Assets = append(c.res.Assets, a)
}

// craneKeys are the keys of a crane object.
var craneKeys = []string{"id", "name", "manufacturer", "model", "supplier", "origin"}

// jsonCrane reads the i-th object of "cranes".
func (c *collector) jsonCrane(n *jnode, i int) {
	ctx := fmt.Sprintf("crane #%d: ", i+1)
	if n.kind != '{' {
		c.problem(c.at(n.off, "%sexpected an object, got %s", ctx, n.describe()))
		return
	}
	if id := n.key("id"); id != nil && id.kind == 's' && id.str != "" {
		ctx = fmt.Sprintf("crane %q: ", clip(id.str))
	}
	bad := c.duplicateKeys(n, ctx)
	cr := Crane{Source: c.where(n.off, true)}
	hasID := false
	for _, m := range n.keys {
		v := m.val
		var s string
		switch v.kind {
		case 's', 'n':
			s = strings.TrimSpace(v.str)
		case 'z':
		default:
			c.problem(c.at(v.off, "%s%s: expected a string, got %s", ctx, m.name, v.describe()))
			bad = true
			continue
		}
		why := ""
		if m.name != "id" && s != "" {
			why = checkText(s)
		}
		switch {
		case why != "":
		case m.name == "id":
			hasID = true
			cr.ID, why = s, checkID(s)
		case m.name == "name":
			cr.Name = s
		case m.name == "manufacturer":
			cr.Manufacturer = s
		case m.name == "model":
			cr.Model = s
		case m.name == "supplier":
			cr.Supplier = s
		case m.name == "origin":
			if s != "" {
				cr.Origin, why = parseOrigin(s)
			}
		default:
			c.notice(c.at(m.off, "%sunknown key %q%s: ignored", ctx, clip(m.name), suggestKey(m.name, craneKeys)))
		}
		if why != "" {
			c.problem(c.at(v.off, "%s%s: %s", ctx, m.name, why))
			bad = true
		}
	}
	if !hasID {
		c.problem(c.at(n.off, "%smissing id", ctx))
		return
	}
	if !bad {
		c.addCrane(cr, n.off)
	}
}

// addCrane keeps a crane unless its id was declared before.
func (c *collector) addCrane(cr Crane, off int) bool {
	if first, dup := c.crane[cr.ID]; dup {
		c.problem(c.at(off, "duplicate crane id %q (first at %s)", clip(cr.ID), c.firstAt(first)))
		return false
	}
	c.crane[cr.ID] = cr.Source
	c.res.Cranes = append(c.res.Cranes, cr)
	return true
}

// suggestKey returns ` (did you mean "x"?)` when key is a near miss of one
// of keys, else "".
func suggestKey(key string, keys []string) string {
	k := normalizeKey(key)
	if len(k) > 32 {
		return ""
	}
	for _, o := range keys {
		if k == o || nearMiss(k, o) {
			return fmt.Sprintf(" (did you mean %q?)", o)
		}
	}
	return ""
}

// nearMiss reports whether a and b differ by one insertion, deletion,
// substitution or swap of neighbours.
func nearMiss(a, b string) bool {
	if a == b {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	switch len(b) - len(a) {
	case 0:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case 1:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		return a[i:] == b[i+1:]
	}
	return false
}
