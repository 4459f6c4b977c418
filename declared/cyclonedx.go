package declared

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"harborwatch/site"
)

// ReadCycloneDX reads a CycloneDX BOM (docs/formats/inventory-cyclonedx.md)
// in JSON or XML, told apart by the first byte that is not white space.
// The subject of the BOM (metadata.component) is a Crane when it has the
// property harborwatch:crane, a crane or unit property of another
// namespace, or a device type and a name that says crane (STS-07); every
// other component, nested ones too, is an Asset, but an assembly of devices
// named as a crane is a Crane. A component that cannot be decoded is reported and skipped (its
// own components are kept); a bad harborwatch property value is reported
// and dropped, and the component kept.
func ReadCycloneDX(name string, r io.Reader) Result {
	data, p := readAll(name, r)
	if p != nil {
		return Result{Problems: []Problem{*p}}
	}
	return readCycloneDX(name, data)
}

func readCycloneDX(name string, data []byte) Result {
	data = bytes.TrimPrefix(data, utf8BOM)
	c := newCollector(name, data)
	switch firstByte(data) {
	case '<':
		c.bomXML(data)
	case '{':
		if root := c.parseJSON(data); root != nil {
			c.bomJSON(data, root)
		}
	case 0:
		c.problem(c.at(0, "empty file"))
	default:
		c.problem(c.at(0, "not a CycloneDX BOM: expected a JSON object ({) or XML (<)"))
	}
	return c.result()
}

// specVersions are the CycloneDX versions read. The mapping was written
// against 1.4 to 1.6; 1.2, 1.3 and 1.7 have the same fields where they
// have them.
var specVersions = []string{"1.2", "1.3", "1.4", "1.5", "1.6", "1.7"}

// xmlNamespace is the namespace of CycloneDX XML, followed by the version.
const xmlNamespace = "http://cyclonedx.org/schema/bom/"

// Property names read from components (docs/formats/inventory-cyclonedx.md).
const (
	propPrefix = "harborwatch:"
	propCrane  = "harborwatch:crane"
)

var propNames = []string{"crane", "ip", "mac", "kind", "model", "zone", "criticality", "origin", "serial", "firmware", "notes"}

// componentTypes are the CycloneDX component types up to 1.7.
var componentTypes = []string{
	"application", "framework", "library", "container", "platform", "operating-system", "device",
	"device-driver", "firmware", "file", "machine-learning-model", "data", "cryptographic-asset",
}

// bomComp is one component as read from the file, before it becomes an
// Asset.
type bomComp struct {
	comp   cdx.Component // its own fields; Components is nil
	off    int           // offset of its '{' or '<'
	path   string        // components[2].components[0], metadata.component
	props  []int         // offset of each property, in the order of comp.Properties
	kids   []*bomComp
	err    string // why it could not be decoded; "" when it was
	errOff int
}

// bom is what a reader got from the file's structure.
type bom struct {
	meta     *cdx.Metadata // without Component; nil when absent or bad
	subject  *bomComp      // metadata.component, or nil
	comps    []*bomComp
	services int
}

// bomJSON reads a BOM from its parsed JSON.
func (c *collector) bomJSON(data []byte, root *jnode) {
	if root.kind != '{' {
		c.problem(c.at(root.off, "a CycloneDX BOM is a JSON object, got %s", root.describe()))
		return
	}
	if c.duplicateKeys(root, "") {
		return
	}
	f := root.key("bomFormat")
	if f == nil || f.kind != 's' || f.str != "CycloneDX" {
		at := root.off
		if f != nil {
			at = f.off
		}
		c.problem(c.at(at, `not a CycloneDX BOM: bomFormat must be "CycloneDX"`))
		return
	}
	if !c.specVersion(root.key("specVersion"), root.off) {
		return
	}
	var b bom
	comps := 0
	if m := root.key("metadata"); m != nil {
		if m.kind != '{' {
			c.problem(c.at(m.off, "metadata: expected an object, got %s", m.describe()))
		} else {
			var sh struct {
				cdx.Metadata
				Component json.RawMessage `json:"component"`
			}
			if err := json.Unmarshal(data[m.off:m.end], &sh); err != nil {
				off, msg := jsonDecodeError(m, err)
				c.problem(c.at(off, "metadata: %s; the BOM's manufacturer and supplier are not read", msg))
			} else {
				b.meta = &sh.Metadata
			}
			if mc := m.key("component"); mc != nil {
				b.subject = c.jsonComp(data, mc, "metadata.component", 0, &comps)
			}
		}
	}
	if cs := root.key("components"); cs != nil {
		b.comps = c.jsonComps(data, cs, "components", 0, &comps)
	}
	if s := root.key("services"); s != nil && s.kind == '[' {
		b.services = len(s.items)
	}
	c.bomAssets(&b, root.off)
}

// specVersion checks the BOM's specVersion.
func (c *collector) specVersion(v *jnode, rootOff int) bool {
	if v == nil {
		c.problem(c.at(rootOff, "missing specVersion"))
		return false
	}
	if v.kind != 's' || !slices.Contains(specVersions, v.str) {
		c.problem(c.at(v.off, "unsupported specVersion %s (read: %s)", v.describe(), strings.Join(specVersions, ", ")))
		return false
	}
	return true
}

// jsonDecodeError turns an error of json.Unmarshal on the value n into an
// offset (the start of the value at fault, when it can be found) and a
// message.
func jsonDecodeError(n *jnode, err error) (int, string) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		off := n.off
		if v := n.endingAt(n.off + int(te.Offset)); v != nil {
			off = v.off
		}
		field := te.Field
		for _, p := range []string{"Component.", "Metadata."} {
			field = strings.TrimPrefix(field, p)
		}
		if field == "" || field == "Component" || field == "Metadata" {
			field = "value"
		}
		got := te.Value
		switch got {
		case "number", "string", "array", "object", "bool":
			got = "a " + strings.Replace(got, "bool", "boolean", 1)
			if got == "a array" || got == "a object" {
				got = "an" + got[1:]
			}
		}
		return off, fmt.Sprintf("%s: expected %s, got %s", field, jsonTypeName(te.Type.Kind().String()), got)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return n.off, msg
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "true or false"
	case "ptr", "interface":
		return "another type"
	}
	return "a number"
}

// endingAt returns the value in n's tree that ends at offset end, or nil.
func (n *jnode) endingAt(end int) *jnode {
	if n.end == end {
		return n
	}
	if end <= n.off || end > n.end {
		return nil
	}
	for _, m := range n.keys {
		if v := m.val.endingAt(end); v != nil {
			return v
		}
	}
	for _, it := range n.items {
		if v := it.endingAt(end); v != nil {
			return v
		}
	}
	return nil
}

// jsonComps reads an array of components.
func (c *collector) jsonComps(data []byte, n *jnode, path string, depth int, count *int) []*bomComp {
	if n.kind != '[' {
		c.problem(c.at(n.off, "%s: expected an array, got %s", path, n.describe()))
		return nil
	}
	var out []*bomComp
	for i, it := range n.items {
		if bc := c.jsonComp(data, it, fmt.Sprintf("%s[%d]", path, i), depth, count); bc != nil {
			out = append(out, bc)
		}
	}
	return out
}

// jsonComp decodes one component with cyclonedx-go, its components aside,
// and then those.
func (c *collector) jsonComp(data []byte, n *jnode, path string, depth int, count *int) *bomComp {
	if !c.countComp(n.off, path, depth, count) {
		return nil
	}
	if n.kind != '{' {
		c.problem(c.at(n.off, "%s: expected an object, got %s; skipped", path, n.describe()))
		return nil
	}
	bc := &bomComp{off: n.off, path: path}
	var sh struct {
		cdx.Component
		Components json.RawMessage `json:"components"` // read below, one by one
	}
	if c.duplicateKeys(n, path+": ") {
		bc.err, bc.errOff = "duplicate keys", n.off
	} else if err := json.Unmarshal(data[n.off:n.end], &sh); err != nil {
		bc.errOff, bc.err = jsonDecodeError(n, err)
	} else {
		bc.comp = sh.Component
		bc.comp.Components = nil
	}
	if ps := n.key("properties"); ps != nil {
		for _, p := range ps.items {
			bc.props = append(bc.props, p.off)
		}
	}
	if cs := n.key("components"); cs != nil {
		bc.kids = c.jsonComps(data, cs, path+".components", depth+1, count)
	}
	return bc
}

// countComp bounds the number and nesting of components.
func (c *collector) countComp(off int, path string, depth int, count *int) bool {
	switch *count++; {
	case *count == maxRecords+1:
		c.problem(c.at(off, "%s: more than %d components: the rest is not read", path, maxRecords))
		return false
	case *count > maxRecords:
		return false
	case depth > maxComponentDepth:
		c.problem(c.at(off, "%s: components nested deeper than %d levels: not read", path, maxComponentDepth))
		return false
	}
	return true
}

// xnode is an XML element and where it is in the input.
type xnode struct {
	name     xml.Name
	off, end int // offset of its '<' and just past its end tag
	kids     []*xnode
}

// child returns the first child element with local name local, or nil.
func (n *xnode) child(local string) *xnode {
	for _, k := range n.kids {
		if k.name.Local == local {
			return k
		}
	}
	return nil
}

// parseXML builds the element tree of data, or reports the one problem
// that stops it and returns nil.
func (c *collector) parseXML(data []byte) *xnode {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var root *xnode
	var stack []*xnode
	elems := 0
	for {
		before := int(dec.InputOffset())
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			switch {
			case len(stack) > 0:
				c.problem(c.at(len(data), "xml syntax error: unexpected end of file: <%s> is not closed", clip(stack[len(stack)-1].name.Local)))
				return nil
			case root == nil:
				c.problem(c.at(len(data), "no xml element in the file"))
				return nil
			}
			return root
		}
		if err != nil {
			off := max(int(dec.InputOffset())-1, before)
			var se *xml.SyntaxError
			switch {
			case errors.As(err, &se) && se.Msg == "unexpected EOF" && len(stack) > 0:
				c.problem(c.at(len(data), "xml syntax error: unexpected end of file: <%s> is not closed", clip(stack[len(stack)-1].name.Local)))
			case se != nil:
				c.problem(c.at(off, "xml syntax error: %s", se.Msg))
			default:
				c.problem(c.at(off, "%v", err))
			}
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			off := before
			if i := bytes.IndexByte(data[before:], '<'); i >= 0 {
				off += i
			}
			switch {
			case root != nil && len(stack) == 0:
				c.problem(c.at(off, "more than one root element"))
				return nil
			case len(stack) >= maxDepth:
				c.problem(c.at(off, "xml nested deeper than %d levels", maxDepth))
				return nil
			}
			if elems++; elems > 10*maxRecords {
				c.problem(c.at(off, "more than %d xml elements", 10*maxRecords))
				return nil
			}
			n := &xnode{name: t.Name, off: off}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			// The decoder has checked that it matches the top of the stack.
			stack[len(stack)-1].end = int(dec.InputOffset())
			stack = stack[:len(stack)-1]
		}
	}
}

// bomXML reads a BOM in XML.
func (c *collector) bomXML(data []byte) {
	root := c.parseXML(data)
	if root == nil {
		return
	}
	if root.name.Local != "bom" {
		c.problem(c.at(root.off, "not a CycloneDX BOM: the root element is <%s>, not <bom>", clip(root.name.Local)))
		return
	}
	v, ok := strings.CutPrefix(root.name.Space, xmlNamespace)
	if !ok || !slices.Contains(specVersions, v) {
		c.problem(c.at(root.off, "unsupported namespace %q (read: %s followed by one of %s)",
			clip(root.name.Space), xmlNamespace, strings.Join(specVersions, ", ")))
		return
	}
	var b bom
	comps := 0
	for _, k := range root.kids {
		switch k.name.Local {
		case "metadata":
			var m cdx.Metadata
			if err := xml.Unmarshal(excise(data, k, "component"), &m); err != nil {
				c.problem(c.at(k.off, "metadata: %s; the BOM's manufacturer and supplier are not read", xmlDecodeError(err)))
			} else {
				m.Component = nil
				b.meta = &m
			}
			if mc := k.child("component"); mc != nil {
				b.subject = c.xmlComp(data, mc, "metadata.component", 0, &comps)
			}
		case "components":
			b.comps = append(b.comps, c.xmlComps(data, k, "components", 0, &comps)...)
		case "services":
			b.services += len(k.kids)
		}
	}
	c.bomAssets(&b, root.off)
}

// excise returns the text of element n without its child elements named
// local.
func excise(data []byte, n *xnode, local string) []byte {
	var out []byte
	from := n.off
	for _, k := range n.kids {
		if k.name.Local == local {
			out = append(out, data[from:k.off]...)
			from = k.end
		}
	}
	if from == n.off {
		return data[n.off:n.end]
	}
	return append(out, data[from:n.end]...)
}

func xmlDecodeError(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return se.Msg
	}
	return strings.TrimPrefix(err.Error(), "xml: ")
}

// xmlComps reads the <component> children of a <components> element.
func (c *collector) xmlComps(data []byte, n *xnode, path string, depth int, count *int) []*bomComp {
	var out []*bomComp
	i := 0
	for _, k := range n.kids {
		if k.name.Local != "component" {
			continue
		}
		if bc := c.xmlComp(data, k, fmt.Sprintf("%s[%d]", path, i), depth, count); bc != nil {
			out = append(out, bc)
		}
		i++
	}
	return out
}

// xmlComp decodes one <component> with cyclonedx-go, its <components>
// cut out, and then those.
func (c *collector) xmlComp(data []byte, n *xnode, path string, depth int, count *int) *bomComp {
	if !c.countComp(n.off, path, depth, count) {
		return nil
	}
	bc := &bomComp{off: n.off, path: path}
	if err := xml.Unmarshal(excise(data, n, "components"), &bc.comp); err != nil {
		bc.comp = cdx.Component{}
		bc.err, bc.errOff = xmlDecodeError(err), n.off
	}
	if ps := n.child("properties"); ps != nil {
		for _, p := range ps.kids {
			if p.name.Local == "property" {
				bc.props = append(bc.props, p.off)
			}
		}
	}
	for _, k := range n.kids {
		if k.name.Local == "components" {
			bc.kids = append(bc.kids, c.xmlComps(data, k, path+".components", depth+1, count)...)
		}
	}
	return bc
}

// bomAssets turns what was read into the crane and assets.
func (c *collector) bomAssets(b *bom, rootOff int) {
	if b.services > 0 {
		c.notice(c.at(rootOff, "services: %d not read (only components become assets)", b.services))
	}
	parent, crane := "", ""
	top := b.comps
	if s := b.subject; s != nil {
		id, how := craneOf(s, true)
		if s.err == "" && (hasProp(&s.comp, propCrane) || how != "") {
			if cr, ok := c.bomCrane(b.meta, s, id, how); ok {
				parent, crane = cr.ID, cr.ID
			}
			// The crane's own components are top-level components.
			top = append(slices.Clone(s.kids), top...)
		} else {
			// Any other subject is an asset that holds the components.
			parent, _ = c.walk(s, "", "")
		}
	}
	for _, bc := range top {
		c.walk(bc, parent, crane)
	}
}

// craneOf tells whether a component is a crane without the property
// harborwatch:crane, and returns its id and how that was told. The subject
// of a BOM is a crane when it has a property crane or unit in any other
// namespace (its value the id), or when its type is device (or machine,
// assembly, equipment, none) and its name says crane, STS, RTG, …; any
// other component is a crane (a unit) when its type and name say so and it
// has devices among its components. The id is then the crane designation
// in the name ("STS-07"), else the bom-ref, else the name.
func craneOf(bc *bomComp, subject bool) (id, how string) {
	if bc.err != "" {
		return "", ""
	}
	comp := &bc.comp
	if subject {
		for _, p := range props(comp) {
			if hw, f := propKey(p.Name); !hw && f == "crane" {
				return first(p.Value, comp.BOMRef, comp.Name), fmt.Sprintf("by its property %s", clip(p.Name))
			}
		}
	}
	if !looksLikeCrane(string(comp.Type), comp.Name) || hasProp(comp, propCrane) {
		return "", ""
	}
	if !subject && !slices.ContainsFunc(bc.kids, func(k *bomComp) bool { return k.comp.Type == cdx.ComponentTypeDevice }) {
		return "", ""
	}
	return first(craneIDFromName(comp.Name), comp.BOMRef, comp.Name), "by its type and name"
}

func hasProp(comp *cdx.Component, name string) bool {
	if comp.Properties == nil {
		return false
	}
	for _, p := range *comp.Properties {
		if p.Name == name {
			return true
		}
	}
	return false
}

// bomCrane reads a component that is a crane: the subject of a BOM with
// harborwatch:crane (how is ""), or a component craneOf tells is one, with
// the id it gave. meta is the BOM's metadata for the subject, else nil.
func (c *collector) bomCrane(meta *cdx.Metadata, s *bomComp, id, how string) (Crane, bool) {
	comp := &s.comp
	ctx := c.compCtx(s, "")
	cr := Crane{Source: c.where(s.off, true)}
	var m cdx.Metadata
	if meta != nil {
		m = *meta
	}
	cr.Manufacturer = first(orgName(comp.Manufacturer), orgName(m.Manufacturer), orgName(m.Manufacture),
		orgName(comp.Supplier), orgName(m.Supplier), comp.Author, firstAuthor(comp.Authors), comp.Publisher)
	cr.Supplier = first(orgName(comp.Supplier), orgName(m.Supplier))
	cr.Name = strings.TrimSpace(comp.Name)
	because := "it has harborwatch:crane"
	if how != "" {
		because = "it is read as the crane"
		cr.ID = strings.TrimSpace(id)
		if why := checkID(cr.ID); why != "" {
			c.problem(c.at(s.off, "%scrane id: %s", ctx, why))
			return Crane{}, false
		}
		c.notice(c.at(s.off, "%sread as crane %q %s (the property harborwatch:crane makes it explicit)", ctx, clip(cr.ID), how))
	}
	seen := map[string]bool{}
	for i, p := range props(comp) {
		off := s.propOff(i)
		v := strings.TrimSpace(p.Value)
		hw, f := propKey(p.Name)
		why := ""
		switch {
		case p.Name == propCrane && how == "":
			cr.ID = first(v, strings.TrimSpace(comp.BOMRef), cr.Name)
			why = checkID(cr.ID)
		case f == "crane" && !hw && strings.HasPrefix(how, "by its property") && !seen[f]:
			// the id craneOf took
		case f == "model" && !seen[f]:
			cr.Model, why = v, checkText(v)
		case f == "origin" && !seen[f]:
			if v != "" {
				cr.Origin, why = parseOrigin(v)
			}
		default:
			c.notice(c.at(off, "%sproperty %q is not read on the crane (%s)", ctx, clip(p.Name), because))
			continue
		}
		seen[f] = true
		if why != "" {
			c.problem(c.at(off, "%s%s: %s", ctx, p.Name, why))
			if p.Name == propCrane {
				return Crane{}, false
			}
		}
	}
	for _, f := range []*string{&cr.Name, &cr.Manufacturer, &cr.Supplier} {
		if why := checkText(*f); why != "" {
			c.problem(c.at(s.off, "%s%s; value dropped", ctx, why))
			*f = ""
		}
	}
	if !c.addCrane(cr, s.off) {
		return Crane{}, false
	}
	return cr, true
}

func props(comp *cdx.Component) []cdx.Property {
	if comp.Properties == nil {
		return nil
	}
	return *comp.Properties
}

// propOff returns the offset of property i, or the component's.
func (bc *bomComp) propOff(i int) int {
	if i < len(bc.props) {
		return bc.props[i]
	}
	return bc.off
}

func orgName(o *cdx.OrganizationalEntity) string {
	if o == nil {
		return ""
	}
	return strings.TrimSpace(o.Name)
}

func firstAuthor(as *[]cdx.OrganizationalContact) string {
	if as == nil {
		return ""
	}
	for _, a := range *as {
		if n := strings.TrimSpace(a.Name); n != "" {
			return n
		}
	}
	return ""
}

func first(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// compCtx names a component in messages: `component "id" (path): `.
func (c *collector) compCtx(bc *bomComp, id string) string {
	if id == "" {
		id = first(bc.comp.BOMRef, bc.comp.Name)
	}
	if id == "" {
		return bc.path + ": "
	}
	return fmt.Sprintf("component %q (%s): ", clip(id), bc.path)
}

// walk turns bc into an asset under parent, then its components under it.
// A component that is skipped hands its components to its own parent. It
// returns the asset's ID and whether it was kept.
func (c *collector) walk(bc *bomComp, parent, crane string) (string, bool) {
	if crane == "" {
		// A unit among the components: a crane, and its parts on it.
		if id, how := craneOf(bc, false); how != "" {
			if cr, ok := c.bomCrane(nil, bc, id, how); ok {
				for _, k := range bc.kids {
					c.walk(k, cr.ID, cr.ID)
				}
				return cr.ID, true
			}
		}
	}
	id, kept := c.bomAsset(bc, parent, crane)
	if !kept {
		id = parent
	}
	next := crane
	if kept {
		next = c.res.Assets[len(c.res.Assets)-1].Crane
	}
	for _, k := range bc.kids {
		c.walk(k, id, next)
	}
	return id, kept
}

// bomAsset turns one component into an asset, or reports why it is
// skipped.
func (c *collector) bomAsset(bc *bomComp, parent, crane string) (string, bool) {
	ctx := c.compCtx(bc, "")
	if bc.err != "" {
		c.problem(c.at(bc.errOff, "%scannot be decoded: %s; component skipped", ctx, bc.err))
		return "", false
	}
	comp := &bc.comp
	a := Asset{
		Name:         strings.TrimSpace(comp.Name),
		BOMRef:       strings.TrimSpace(comp.BOMRef),
		Type:         strings.TrimSpace(string(comp.Type)),
		Version:      strings.TrimSpace(comp.Version),
		Manufacturer: orgName(comp.Manufacturer),
		Supplier:     orgName(comp.Supplier),
		Publisher:    strings.TrimSpace(comp.Publisher),
		Group:        strings.TrimSpace(comp.Group),
		PURL:         strings.TrimSpace(comp.PackageURL),
		CPE:          strings.TrimSpace(comp.CPE),
		Description:  strings.TrimSpace(comp.Description),
		Crane:        crane,
		Parent:       parent,
		Source:       c.where(bc.off, true),
	}
	a.ID = first(a.BOMRef, a.Name)
	if a.ID == "" {
		c.problem(c.at(bc.off, "%scomponent has neither bom-ref nor name; component skipped", ctx))
		return "", false
	}
	if why := checkID(a.ID); why != "" {
		c.problem(c.at(bc.off, "%s%s; component skipped", ctx, why))
		return "", false
	}
	ctx = c.compCtx(bc, a.ID)
	for _, f := range []struct {
		name string
		v    *string
	}{
		{"name", &a.Name}, {"version", &a.Version}, {"manufacturer", &a.Manufacturer}, {"supplier", &a.Supplier},
		{"publisher", &a.Publisher}, {"group", &a.Group}, {"purl", &a.PURL}, {"cpe", &a.CPE},
		{"description", &a.Description},
	} {
		if why := checkText(*f.v); why != "" {
			c.problem(c.at(bc.off, "%s%s: %s; value dropped", ctx, f.name, why))
			*f.v = ""
		}
	}
	switch {
	case a.Type == "":
		c.problem(c.at(bc.off, "%smissing type; component kept", ctx))
	case !slices.Contains(componentTypes, a.Type):
		c.problem(c.at(bc.off, "%sunknown type %q; value dropped", ctx, clip(a.Type)))
		a.Type = ""
	}
	model := c.bomProps(bc, &a, ctx)
	if a.Model == "" && model {
		a.Model = a.Name
	}
	// The maker comes first, then what a CPE or purl says, and the
	// supplier, who may have only sold it, last.
	a.Vendor = first(a.Manufacturer, a.Vendor, a.Publisher, comp.Author, firstAuthor(comp.Authors),
		c.bomProduct(bc, &a, ctx), a.Supplier)
	if why := checkText(a.Vendor); why != "" {
		c.problem(c.at(bc.off, "%svendor: %s; value dropped", ctx, why))
		a.Vendor = ""
	}
	if a.Firmware == "" {
		for _, k := range bc.kids {
			if k.err == "" && k.comp.Type == cdx.ComponentTypeFirmware && k.comp.Version != "" && checkText(k.comp.Version) == "" {
				a.Firmware = strings.TrimSpace(k.comp.Version)
				break
			}
		}
	}
	if why := c.claimID(a.ID, a.Source); why != "" {
		c.problem(c.at(bc.off, "%s%s; component skipped", ctx, why))
		return "", false
	}
	for _, why := range c.dropConflicts(&a) {
		c.problem(c.at(bc.off, "%s%s; value dropped", ctx, why))
	}
	c.own(&a, a.Source)
	c.res.Assets = append(c.res.Assets, a)
	return a.ID, true
}

// bomProps reads the properties of a component into a: the harborwatch
// ones by their names, any other namespace's by the common names of
// propAliases; the harborwatch ones are read first, so that they win. An
// unknown property is a notice. It reports whether the component is
// hardware with no model property, whose name then stands for its model.
func (c *collector) bomProps(bc *bomComp, a *Asset, ctx string) bool {
	type seenAt struct {
		off int
		v   string
	}
	seen := map[string]seenAt{}
	ps := props(&bc.comp)
	order := make([]int, 0, len(ps))
	for pass := range 2 {
		for i, p := range ps {
			if hw := strings.HasPrefix(p.Name, propPrefix); hw == (pass == 0) {
				order = append(order, i)
			}
		}
	}
	for _, i := range order {
		p := ps[i]
		off := bc.propOff(i)
		hw, name := propKey(p.Name)
		if name == "" {
			if hw {
				local := strings.TrimPrefix(p.Name, propPrefix)
				c.notice(c.at(off, "%sunknown property %q%s: ignored", ctx, clip(p.Name), suggestKey(local, propNames)))
			} else {
				c.notice(c.at(off, "%sunknown property %q: not read", ctx, clip(p.Name)))
			}
			continue
		}
		v := strings.TrimSpace(p.Value)
		var whys []string
		if first, dup := seen[name]; dup && name != "ip" && name != "mac" {
			if first.v == v {
				continue // the same value under another name
			}
			line, col := c.t.pos(first.off)
			whys = []string{fmt.Sprintf("given again (first at %d:%d)", line, col)}
		} else if why := checkText(v); why != "" {
			whys = []string{why}
		} else {
			seen[name] = seenAt{off, v}
			whys = c.setProp(a, name, v, hw)
		}
		for _, why := range whys {
			c.problem(c.at(off, "%sproperty %s: %s; value dropped", ctx, p.Name, why))
		}
	}
	_, hasModel := seen["model"]
	return !hasModel && (a.Type == string(cdx.ComponentTypeDevice))
}

// setProp sets the field name of a to the value v of a property; it returns
// why a value is dropped. Addresses given under several names are read once.
func (c *collector) setProp(a *Asset, name, v string, hw bool) []string {
	var why string
	switch name {
	case "ip":
		if hw {
			return a.addIPs(splitValues(v))
		}
		return a.addIPs(slices.DeleteFunc(splitValues(v), func(s string) bool {
			ip, w := site.ParseAddr(s)
			return w == "" && containsAddr(a.IPs, ip)
		}))
	case "mac":
		if hw {
			return a.addMACs(splitValues(v))
		}
		return a.addMACs(slices.DeleteFunc(splitValues(v), func(s string) bool {
			m, w := site.ParseMAC(s)
			return w == "" && containsMAC(a.MACs, m)
		}))
	case "criticality":
		if v != "" {
			a.Criticality, why = parseCriticality(v)
		}
	case "origin":
		if v != "" {
			a.Origin, why = parseOrigin(v)
		}
	case "crane":
		if why = checkID(v); why == "" {
			a.Crane = v
		}
	case "vlan":
		if v != "" {
			a.VLAN, why = parseVLAN(v)
		}
	case "hostname":
		a.Hostname = v
	default:
		*a.text(name) = v
	}
	if why != "" {
		return []string{why}
	}
	return nil
}

// bomProduct fills what a component's CPE, else its package URL, says of
// it — vendor, model (of hardware), version, firmware (of a device with an
// operating-system CPE) — where the component does not say it itself, and
// returns the vendor it names. A CPE or purl that cannot be read is a
// notice.
func (c *collector) bomProduct(bc *bomComp, a *Asset, ctx string) string {
	var p product
	switch {
	case a.CPE != "":
		var ok bool
		if p, ok = parseCPE(a.CPE); !ok {
			c.notice(c.at(bc.off, "%scpe %q is not a CPE 2.3 or 2.2 name: not read", ctx, clip(a.CPE)))
			return ""
		}
	case a.PURL != "":
		var ok bool
		if p, ok = parsePURL(a.PURL); !ok {
			c.notice(c.at(bc.off, "%spurl %q is not a package URL: not read", ctx, clip(a.PURL)))
			return ""
		}
	default:
		return ""
	}
	switch {
	case p.part == 'o' && a.Type == string(cdx.ComponentTypeDevice):
		if a.Firmware == "" {
			a.Firmware = p.version
		}
	case p.part == 'h':
		if a.Model == "" {
			a.Model = p.product
		}
		fallthrough
	default:
		if a.Version == "" {
			a.Version = p.version
		}
	}
	return p.vendor
}

// dropConflicts removes from a the addresses and MACs other assets already
// use, and says which.
func (c *collector) dropConflicts(a *Asset) []string {
	var why []string
	a.IPs = slices.DeleteFunc(a.IPs, func(ip netip.Addr) bool {
		if first, dup := c.ips[ip]; dup {
			why = append(why, fmt.Sprintf("address %s is already used by %s", ip, first))
			return true
		}
		return false
	})
	a.MACs = slices.DeleteFunc(a.MACs, func(m site.MAC) bool {
		if first, dup := c.macs[m]; dup {
			why = append(why, fmt.Sprintf("mac %s is already used by %s", m, first))
			return true
		}
		return false
	})
	return why
}
