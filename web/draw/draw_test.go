package draw

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
	"harborwatch/site"
)

// node is an element of a parsed SVG.
type node struct {
	name     string
	attr     map[string]string
	text     string // character data directly inside
	parent   *node
	children []*node
}

// parse decodes every token of svg and returns the root element.
func parse(t testing.TB, svg []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	var root, cur *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse as XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attr: map[string]string{}, parent: cur}
			for _, a := range tok.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			if cur == nil {
				if root != nil {
					t.Fatal("SVG has two root elements")
				}
				root = n
			} else {
				cur.children = append(cur.children, n)
			}
			cur = n
		case xml.EndElement:
			cur = cur.parent
		case xml.CharData:
			if cur != nil {
				cur.text += string(tok)
			}
		case xml.ProcInst, xml.Directive:
			t.Fatalf("SVG holds %T", tok)
		}
	}
	if root == nil || root.name != "svg" {
		t.Fatalf("root element is not svg")
	}
	return root
}

// all returns the elements under n (n included) for which keep is true, in
// document order.
func (n *node) all(keep func(*node) bool) []*node {
	var out []*node
	if keep(n) {
		out = append(out, n)
	}
	for _, c := range n.children {
		out = append(out, c.all(keep)...)
	}
	return out
}

func classed(class string) func(*node) bool {
	return func(n *node) bool { return n.attr["class"] == class }
}

// child returns n's first child element named name, or nil.
func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func loadExample(t testing.TB) *site.Site {
	t.Helper()
	s, err := site.Load(filepath.Join("..", "..", "examples", "terminal", "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var exampleFlows = []Flow{
	{From: "sts01-control", To: "external", Count: 3, Href: "/findings?from=sts01-control&to=external"},
	{From: "rcms", To: "sts02-control", Count: 12, Href: "?from=rcms&to=sts02-control"},
	{From: "sts01-cctv", To: "tos", Count: 7},
	{From: "tos", To: "crane-mgmt", Count: 40, Allowed: true, Href: "/findings?from=tos"},
}

func TestExample(t *testing.T) {
	s := loadExample(t)
	out := SVG(Input{Site: s, Flows: exampleFlows})
	root := parse(t, out)
	testutil.Golden(t, "example.svg", out)

	if root.attr["width"] != "100%" {
		t.Errorf("width = %q, want 100%%", root.attr["width"])
	}
	vb := strings.Fields(root.attr["viewBox"])
	if len(vb) != 4 {
		t.Fatalf("viewBox = %q", root.attr["viewBox"])
	}
	if w, _ := strconv.ParseFloat(vb[2], 64); w <= 0 || w > 1366 {
		t.Errorf("viewBox width %v, want 0 < width ≤ 1366", w)
	}

	// a box per zone, and external because a flow names it
	var want []string
	for _, z := range s.Zones {
		want = append(want, z.ID)
	}
	want = append(want, "external")
	var got []string
	for _, n := range root.all(classed("zone")) {
		got = append(got, n.attr["data-zone"])
		if r := n.child("rect"); r == nil || r.attr["rx"] == "" {
			t.Errorf("zone %s: no rounded rect", n.attr["data-zone"])
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("zone boxes %v, want %v", got, want)
	}

	// a group per crane, holding that crane's zones
	cranes := root.all(classed("group crane"))
	if len(cranes) != len(s.Cranes) {
		t.Fatalf("%d crane groups, want %d", len(cranes), len(s.Cranes))
	}
	for i, g := range cranes {
		id := s.Cranes[i].ID
		if g.attr["data-crane"] != id {
			t.Errorf("crane group %d is %q, want %q", i, g.attr["data-crane"], id)
		}
		label := g.all(classed("glabel"))
		if len(label) != 1 || !strings.Contains(label[0].text, id) {
			t.Errorf("crane group %s: label %v does not name it", id, label)
		}
		var in, wantIn []string
		for _, z := range g.all(classed("zone")) {
			in = append(in, z.attr["data-zone"])
		}
		for _, z := range s.Zones {
			if z.Crane == id {
				wantIn = append(wantIn, z.ID)
			}
		}
		if !slices.Equal(in, wantIn) {
			t.Errorf("crane %s holds %v, want %v", id, in, wantIn)
		}
	}
	kinds := root.all(classed("group kind"))
	var kindIDs []string
	for _, g := range kinds {
		kindIDs = append(kindIDs, g.attr["data-kind"])
	}
	if w := []string{"crane-management", "remote-access", "port-ot", "business", "dmz", "external"}; !slices.Equal(kindIDs, w) {
		t.Errorf("kind groups %v, want %v", kindIDs, w)
	}

	// an arrow group per conduit, with an arrow per pair of zones it joins
	conduits := root.all(classed("conduit"))
	if len(conduits) != len(s.Conduits) {
		t.Fatalf("%d conduit groups, want %d", len(conduits), len(s.Conduits))
	}
	ofKind := func(end string) int {
		if k, ok := strings.CutPrefix(end, "kind:"); ok {
			n := 0
			for _, z := range s.Zones {
				if string(z.Kind) == k {
					n++
				}
			}
			return n
		}
		return 1
	}
	for i, c := range s.Conduits {
		g := conduits[i]
		if g.attr["data-from"] != c.From || g.attr["data-to"] != c.To {
			t.Errorf("conduit %d drawn as %s → %s, want %s → %s", i, g.attr["data-from"], g.attr["data-to"], c.From, c.To)
		}
		paths := g.all(func(n *node) bool { return n.name == "path" })
		if want := ofKind(c.From) * ofKind(c.To); len(paths) != want {
			t.Errorf("conduit %d (%s → %s): %d arrows, want %d", i, c.From, c.To, len(paths), want)
		}
		for _, p := range paths {
			if p.attr["marker-end"] != "url(#hwd-ah-c)" || !strings.HasPrefix(p.attr["d"], "M") {
				t.Errorf("conduit %d: arrow %v", i, p.attr)
			}
		}
		title := g.child("title")
		if title == nil || !strings.Contains(title.text, strings.Join(c.Protocols, ", ")) || !strings.Contains(title.text, c.Ports[0].String()) {
			t.Errorf("conduit %d: tooltip %v lacks protocols or ports", i, title)
		}
	}

	// the flows no conduit allows: red, counted, linked when they have a link
	denied := root.all(classed("flow denied"))
	type seen struct{ from, to, count, label, href string }
	var gotFlows []seen
	for _, g := range denied {
		f := seen{from: g.attr["data-from"], to: g.attr["data-to"], count: g.attr["data-count"]}
		if txt := g.all(classed("count-text")); len(txt) == 1 {
			f.label = txt[0].text
		}
		if g.parent.name == "a" {
			f.href = g.parent.attr["href"]
		}
		if p := g.child("path"); p == nil || p.attr["marker-end"] != "url(#hwd-ah-d)" {
			t.Errorf("flow %s → %s: no red arrow", f.from, f.to)
		}
		gotFlows = append(gotFlows, f)
	}
	wantFlows := []seen{
		{"sts01-control", "external", "3", "3", "/findings?from=sts01-control&to=external"},
		{"rcms", "sts02-control", "12", "12", "?from=rcms&to=sts02-control"},
		{"sts01-cctv", "tos", "7", "7", ""},
	}
	if !slices.Equal(gotFlows, wantFlows) {
		t.Errorf("red arrows %v, want %v", gotFlows, wantFlows)
	}
	allowed := root.all(classed("flow allowed"))
	if len(allowed) != 1 || allowed[0].parent.attr["href"] != "/findings?from=tos" || len(allowed[0].all(classed("count-text"))) != 0 {
		t.Errorf("allowed flows drawn as %d groups; want one thin linked arrow without a count label", len(allowed))
	}
	for _, bad := range []string{"<script", "xlink", "http://", "https://"} {
		if bytes.Contains(bytes.ReplaceAll(out, []byte(`xmlns="http://www.w3.org/2000/svg"`), nil), []byte(bad)) {
			t.Errorf("SVG holds %q", bad)
		}
	}
}

func TestDeterministic(t *testing.T) {
	s := loadExample(t)
	a := SVG(Input{Site: s, Flows: exampleFlows})
	b := SVG(Input{Site: s, Flows: exampleFlows})
	if !bytes.Equal(a, b) {
		t.Error("two drawings of one input differ")
	}
	c := SVG(Input{Site: s, Flows: exampleFlows[:1]})
	if bytes.Equal(a, c) {
		t.Error("drawings of different flows are equal")
	}
}

// hostile returns a site model whose texts try to break out of the SVG.
func hostile() *site.Site {
	return &site.Site{
		Facility: site.Facility{ID: `t"1`, Name: `<script>alert("f")</script>`},
		Cranes:   []site.Crane{{ID: `C&1`, Name: `Crane "A" & <B>`, Manufacturer: "ZP\x00MC\u202e", Model: "x'y"}},
		Zones: []*site.Zone{
			{ID: `z"><script>alert(1)</script>`, Kind: site.KindCraneControl, Crane: `C&1`,
				Name: "<script>alert(1)</script>", Description: "a\x1b[31mb\r\nc & ]]> d",
				CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}},
			{ID: "mgmt", Kind: site.KindCraneManagement, Name: "<![CDATA[x]]>\u2028"},
			{ID: "odd", Kind: "<kind onload=alert(1)>"},
		},
		Conduits: []site.Conduit{{From: "mgmt", To: "kind:crane-control", Protocols: []string{"<script>"}, Description: `"'&<>`}},
	}
}

func TestHostile(t *testing.T) {
	in := Input{Site: hostile(), Flows: []Flow{
		{From: "mgmt", To: `z"><script>alert(1)</script>`, Count: 1, Href: "javascript:alert(1)"},
		{From: "mgmt", To: "external", Count: 2, Href: "JavaScript:alert(1)"},
		{From: "odd", To: "mgmt", Count: 3, Href: "//evil.example/x"},
		{From: "odd", To: "unzoned", Count: 4, Href: `/\evil.example`},
		{From: "<script>", To: "mgmt", Count: 5, Href: "data:text/html,<script>alert(1)</script>"},
		{From: "mgmt", To: "odd", Count: 6, Href: "/\tfindings"},
		{From: "unzoned", To: "odd", Count: 7, Href: "https://evil.example/"},
		{From: "mgmt", To: "mgmt", Count: 8, Href: "/findings?q=\"><script>&x=1"},
	}}
	out := SVG(in)
	root := parse(t, out)
	lower := bytes.ToLower(out)
	for _, bad := range []string{"<script", "javascript:", "data:", "evil", "<kind", "<![cdata", "]]>", "\u202e", "\u2028"} {
		if bytes.Contains(lower, []byte(bad)) {
			t.Errorf("SVG holds %q", bad)
		}
	}
	for i, c := range out {
		if c < 0x20 && c != '\n' {
			t.Errorf("SVG holds control byte %#x at %d", c, i)
			break
		}
	}
	// the texts survive, escaped
	var names []string
	for _, n := range root.all(func(n *node) bool { return n.name == "text" }) {
		names = append(names, n.text)
	}
	if !slices.Contains(names, "<script>alert(1)</scr…") {
		t.Errorf("zone name not drawn (cut) as text; texts %q", names)
	}
	tips := root.all(func(n *node) bool {
		return n.name == "title" && strings.Contains(n.text, "\n<script>alert(1)</script>\n")
	})
	if len(tips) != 1 {
		t.Errorf("zone name not in full in its tooltip")
	}
	if !slices.Contains(names, `Crane "A" & <B> (C&1)`) {
		t.Errorf("crane label not drawn as text; texts %q", names)
	}
	// the one safe link is kept
	var hrefs []string
	for _, a := range root.all(func(n *node) bool { return n.name == "a" }) {
		hrefs = append(hrefs, a.attr["href"])
	}
	if want := []string{"/findings?q=\"><script>&x=1"}; !slices.Equal(hrefs, want) {
		t.Errorf("links %q, want %q", hrefs, want)
	}
	if n := len(root.all(classed("flow denied"))); n != len(in.Flows) {
		t.Errorf("%d red arrows, want %d", n, len(in.Flows))
	}
	// a flow naming an id the site does not hold gets a box of its own
	unknown := root.all(func(n *node) bool { return n.attr["data-kind"] == string(kindUnknown) })
	if len(unknown) != 1 || len(unknown[0].all(classed("zone"))) != 1 {
		t.Errorf("unknown zones not drawn in their own group")
	}
}

func TestSafeHref(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/findings?zone=a&b=c", "/findings?zone=a&b=c"},
		{"?page=2", "?page=2"},
		{"/", "/"},
		{"", ""},
		{"findings", ""},
		{"//evil.example", ""},
		{`/\evil.example`, ""},
		{`/a\b`, ""},
		{"javascript:alert(1)", ""},
		{" /x", ""},
		{"/x y", ""},
		{"/x\ny", ""},
		{"/\x00", ""},
		{"/\xff", ""},
		{"https://example.com/", ""},
		{"data:text/html,x", ""},
	} {
		if got := safeHref(c.in); got != c.want {
			t.Errorf("safeHref(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestEmpty(t *testing.T) {
	for _, in := range []Input{{}, {Site: site.Default()}} {
		root := parse(t, SVG(in))
		if n := len(root.all(classed("zone"))); n != 0 {
			t.Errorf("%d zone boxes drawn for a model without zones", n)
		}
		if len(root.all(classed("legend"))) != 1 {
			t.Error("no legend")
		}
	}
	root := parse(t, SVG(Input{Flows: []Flow{{From: "external", To: "unzoned", Count: 1}}}))
	var got []string
	for _, n := range root.all(classed("zone")) {
		got = append(got, n.attr["data-zone"])
	}
	if !slices.Equal(got, []string{"external", "unzoned"}) {
		t.Errorf("built-in zones drawn %v, want [external unzoned]", got)
	}
}

// TestManyCranes checks that a large facility wraps onto shelves within
// the page width and that no two boxes overlap.
func TestManyCranes(t *testing.T) {
	s := &site.Site{}
	for i := range 14 {
		id := fmt.Sprintf("STS-%02d", i+1)
		s.Cranes = append(s.Cranes, site.Crane{ID: id})
		s.Zones = append(s.Zones,
			&site.Zone{ID: id + "-control", Kind: site.KindCraneControl, Crane: id},
			&site.Zone{ID: id + "-cctv", Kind: site.KindCraneNoncritical, Crane: id})
	}
	for i := range 9 {
		s.Zones = append(s.Zones, &site.Zone{ID: fmt.Sprintf("ot%d", i), Kind: site.KindPortOT})
	}
	s.Conduits = []site.Conduit{{From: "kind:port-ot", To: "kind:crane-control"}}
	out := SVG(Input{Site: s})
	root := parse(t, out)
	vb := strings.Fields(root.attr["viewBox"])
	if w, _ := strconv.ParseFloat(vb[2], 64); w > 1366 {
		t.Errorf("viewBox width %v > 1366", w)
	}
	if n := len(root.all(func(n *node) bool { return n.name == "path" && n.parent.attr["class"] == "conduit" })); n != 9*14 {
		t.Errorf("%d conduit arrows, want %d", n, 9*14)
	}
	l := place(Input{Site: s}, s)
	rows := map[float64]bool{}
	for i, a := range l.groups {
		rows[a.r.y] = true
		if a.r.x+a.r.w > l.width-margin+0.01 {
			t.Errorf("group %s passes the right margin", a.id)
		}
		for _, b := range l.groups[i+1:] {
			if a.r.x < b.r.x+b.r.w && b.r.x < a.r.x+a.r.w && a.r.y < b.r.y+b.r.h && b.r.y < a.r.y+a.r.h {
				t.Errorf("groups %s and %s overlap", a.id, b.id)
			}
		}
	}
	if len(rows) < 3 {
		t.Errorf("groups on %d shelves, want the cranes wrapped (≥ 3 shelves)", len(rows))
	}
}

func FuzzSVG(f *testing.F) {
	f.Add("<script>alert(1)</script>", "z1", `Crane "A" & B`, "z1", "external", "javascript:alert(1)", 3, false)
	f.Add("]]>\x00\ufffe", "kind:x", "\u202e", "", "", "/ok", -1, true)
	f.Add("\xff\xfe", "a\nb", "<", "a\nb", "nowhere", "//x", 0, false)
	f.Fuzz(func(t *testing.T, name, id, crane, from, to, href string, count int, allowed bool) {
		s := &site.Site{
			Facility: site.Facility{Name: name},
			Cranes:   []site.Crane{{ID: crane, Name: name}},
			Zones: []*site.Zone{
				{ID: id, Kind: site.ZoneKind(name), Name: name, Description: name, Crane: crane},
				{ID: name, Kind: site.KindDMZ, Name: id},
			},
			Conduits: []site.Conduit{{From: id, To: "kind:" + name, Description: name, Protocols: []string{name}}},
		}
		out := SVG(Input{Site: s, Flows: []Flow{{From: from, To: to, Count: count, Allowed: allowed, Href: href}, {From: to, To: id, Href: name}}})
		if bytes.Contains(bytes.ToLower(out), []byte("<script")) {
			t.Errorf("SVG holds <script")
		}
		root := parse(t, out)
		for _, a := range root.all(func(n *node) bool { return n.name == "a" }) {
			if h := a.attr["href"]; h == "" || safeHref(h) != h {
				t.Errorf("SVG holds the unsafe link %q", h)
			}
		}
	})
}
