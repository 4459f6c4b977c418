// Package draw draws a facility's site model as a self-contained SVG for
// the console's "Zones and conduits" page: the zones as rounded boxes
// coloured by kind, grouped per crane and per kind, the conduits of the
// site model as grey arrows, and the flows seen that no conduit allows as
// red arrows labelled with their count and linked to their findings.
//
// Layout: each crane is a labelled group box (name and id, manufacturer
// and model) holding its zones, up to three per line; the crane groups
// stand side by side at the top, wrapping onto a new shelf before the
// drawing grows wider than 1366 px. Below them the zones not on a crane
// are grouped the same way by kind (crane-control and crane-noncritical
// zones without a crane, crane-management, remote-access, port-ot,
// business, dmz, untrusted-supplier, external, unzoned, then other kinds);
// the built-in zones external and unzoned are drawn only when a conduit
// or a flow names them, and zone ids a flow names that the site model
// does not hold are drawn in a last group, "zones not in the site model".
// A legend of the kinds drawn and of the arrows ends the drawing. Arrows
// are quadratic curves between box edges, bent to one side so that the
// two directions between a pair of zones, and several arrows in one
// direction, stay apart; an arrow from a zone to itself is a loop. A
// conduit naming zones by kind ("kind:crane-control") is drawn as one
// arrow per matching pair, all in one group element for the conduit.
//
// Flows seen that a conduit allows are drawn as thin dashed green arrows
// with their count in the tooltip only; flows no conduit allows are drawn
// last, on top, in red with their count as a label.
//
// The output depends on the input alone (same input, same bytes). It
// holds no script and no external resource: styles are in a <style>
// element and the arrowheads are markers defined in the drawing. Every
// text is stripped of control and bidirectional-override characters and
// escaped; a link is kept only when it is a relative URL starting with
// "/" (not "//") or "?", and dropped otherwise.
package draw

import (
	"bytes"
	"encoding/xml"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"harborwatch/site"
)

// Flow is traffic seen between two zones.
type Flow struct {
	From, To string // zone ids; the built-in "external" and "unzoned" are allowed
	Count    int    // how many flows (or findings) the arrow stands for
	Allowed  bool   // a conduit allows the traffic
	Href     string // link to the findings; may be empty
}

// Input is what SVG draws.
type Input struct {
	Site  *site.Site // nil draws the default model (no zones)
	Flows []Flow
}

// SVG returns the drawing of in as a standalone SVG document, sized by
// its viewBox to the number of zones and scaled to the width of its
// container (width="100%", never wider than its natural size).
func SVG(in Input) []byte {
	s := in.Site
	if s == nil {
		s = site.Default()
	}
	l := place(in, s)
	w := &writer{}
	w.header(l, s, in)
	w.groupsAndZones(l)
	arrows := &arrowState{l: l, count: map[[2]*zoneBox]int{}}
	w.conduits(arrows, s)
	w.flows(arrows, in.Flows, true)
	w.flows(arrows, in.Flows, false)
	w.legend(l)
	w.raw("</svg>\n")
	return w.b.Bytes()
}

// writer accumulates the SVG text.
type writer struct{ b bytes.Buffer }

func (w *writer) raw(parts ...string) {
	for _, p := range parts {
		w.b.WriteString(p)
	}
}

// num formats a coordinate with at most one decimal.
func num(v float64) string {
	v = math.Round(v*10) / 10
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// styles maps each zone kind to its CSS class and colours.
var styles = []struct {
	kind         site.ZoneKind
	class        string
	fill, stroke string
}{
	{site.KindCraneControl, "k-cc", "#ffe0b2", "#e65100"},
	{site.KindCraneNoncritical, "k-cn", "#fff9c4", "#f9a825"},
	{site.KindCraneManagement, "k-cm", "#bbdefb", "#1565c0"},
	{site.KindRemoteAccess, "k-ra", "#e1bee7", "#6a1b9a"},
	{site.KindPortOT, "k-ot", "#b2dfdb", "#00695c"},
	{site.KindBusiness, "k-bu", "#d7ccc8", "#4e342e"},
	{site.KindDMZ, "k-dm", "#cfd8dc", "#37474f"},
	{site.KindUntrustedSupplier, "k-us", "#f8bbd0", "#ad1457"},
	{site.KindExternal, "k-ex", "#eeeeee", "#616161"},
	{site.KindUnzoned, "k-uz", "#fafafa", "#9e9e9e"},
	{kindUnknown, "k-un", "#ffffff", "#000000"},
}

// kindClass returns the CSS class of kind k; kinds without a style share
// "k-xx".
func kindClass(k site.ZoneKind) string {
	for _, s := range styles {
		if s.kind == k {
			return s.class
		}
	}
	return "k-xx"
}

const (
	greyArrow  = "#8a8a8a"
	redArrow   = "#d32f2f"
	greenArrow = "#2e7d32"
)

func (w *writer) header(l *layout, s *site.Site, in Input) {
	width, height := num(l.width), num(l.height)
	w.raw(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `, width, " ", height,
		`" width="100%" style="max-width:`, width, `px" role="img" class="hw-zones">`, "\n")
	title := "Zones and conduits"
	if f := s.Facility; f.Name != "" || f.ID != "" {
		title += " of " + joinNonEmpty(" ", f.Name, paren(f.ID))
	}
	w.raw("<title>", escLines(title), "</title>\n")
	w.raw("<style>\n",
		"text{font:12px sans-serif;fill:#222}\n",
		".title{font-size:16px;font-weight:bold}\n",
		".small{font-size:11px;fill:#555}\n",
		".gbox{fill:#fcfcfc;stroke:#bbb;stroke-width:1}\n",
		".gbox.crane{fill:#fffaf3;stroke:#e0a060}\n",
		".glabel{font-weight:bold}\n",
		".zbox{stroke-width:1.5}\n",
		".k-ex,.k-uz,.k-un{stroke-dasharray:5 3}\n",
		".arrow{fill:none}\n",
		".conduit .arrow{stroke:", greyArrow, ";stroke-width:1.5}\n",
		".flow.denied .arrow{stroke:", redArrow, ";stroke-width:2.5}\n",
		".flow.allowed .arrow{stroke:", greenArrow, ";stroke-width:1;stroke-dasharray:4 3}\n",
		".conduit:hover .arrow,.flow:hover .arrow{stroke-width:4}\n",
		".count{fill:#fff;stroke:", redArrow, ";stroke-width:1}\n",
		".count-text{fill:", redArrow, ";font-weight:bold;font-size:11px}\n",
	)
	for _, st := range styles {
		w.raw(".", st.class, "{fill:", st.fill, ";stroke:", st.stroke, "}\n")
	}
	w.raw(".k-xx{fill:#ffffff;stroke:#555555}\n", "</style>\n")
	w.raw("<defs>\n")
	for _, m := range []struct{ id, colour string }{{"hwd-ah-c", greyArrow}, {"hwd-ah-d", redArrow}, {"hwd-ah-a", greenArrow}} {
		w.raw(`<marker id="`, m.id, `" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" markerUnits="userSpaceOnUse" orient="auto">`,
			`<path d="M0,0L10,5L0,10z" fill="`, m.colour, `"/></marker>`, "\n")
	}
	w.raw("</defs>\n")
	w.raw(`<text class="title" x="`, num(margin), `" y="`, num(margin+14), `">`, esc(fit(title, int((l.width-2*margin)/9))), "</text>\n")
	denied, allowed := 0, 0
	for _, f := range in.Flows {
		if f.Allowed {
			allowed++
		} else {
			denied++
		}
	}
	summary := plural(len(l.boxes), "zone") + " · " + plural(len(s.Conduits), "conduit") +
		" · " + plural(denied, "flow") + " no conduit allows · " + plural(allowed, "allowed flow") + " seen"
	w.raw(`<text class="small" x="`, num(margin), `" y="`, num(margin+32), `">`, esc(summary), "</text>\n")
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// groupsAndZones draws the group boxes with their labels and the zone
// boxes inside them.
func (w *writer) groupsAndZones(l *layout) {
	for _, g := range l.groups {
		class, attr := "group kind", "data-kind"
		if g.crane {
			class, attr = "group crane", "data-crane"
		}
		w.raw(`<g class="`, class, `" `, attr, `="`, esc(g.id), `">`, "\n")
		tip := g.label
		if g.detail != "" {
			tip += "\n" + g.detail
		}
		w.raw("<title>", escLines(tip), "</title>\n")
		w.raw(`<rect class="gbox`, strings.TrimPrefix(class, "group"), `" x="`, num(g.r.x), `" y="`, num(g.r.y), `" width="`, num(g.r.w),
			`" height="`, num(g.r.h), `" rx="10"/>`, "\n")
		chars := int((g.r.w - 2*groupPad) / charW)
		w.raw(`<text class="glabel" x="`, num(g.r.x+groupPad), `" y="`, num(g.r.y+16), `">`, esc(fit(g.label, chars)), "</text>\n")
		if g.detail != "" {
			w.raw(`<text class="small" x="`, num(g.r.x+groupPad), `" y="`, num(g.r.y+29), `">`, esc(fit(g.detail, chars)), "</text>\n")
		}
		for _, b := range g.boxes {
			w.zone(b)
		}
		w.raw("</g>\n")
	}
}

func (w *writer) zone(b *zoneBox) {
	first, second, tip := b.id, "", ""
	if b.unknown {
		if first == "" {
			first = "(empty zone id)"
		}
		second = "not in the site model"
		tip = "zone " + first + ": named by a flow, not in the site model"
	} else {
		z := b.zone
		second = string(z.Kind)
		if z.Name != "" && !z.Builtin {
			first, second = z.Name, z.ID+" · "+string(z.Kind)
		}
		tip = "zone " + z.ID + " (" + string(z.Kind) + ")"
		if z.Name != "" {
			tip += "\n" + z.Name
		}
		if z.Crane != "" {
			tip += "\ncrane " + z.Crane
		}
		if z.Description != "" {
			tip += "\n" + z.Description
		}
		var nets []string
		for _, p := range z.CIDRs {
			nets = append(nets, p.String())
		}
		for _, v := range z.VLANs {
			nets = append(nets, "VLAN "+strconv.Itoa(int(v)))
		}
		if len(nets) > 0 {
			tip += "\n" + strings.Join(nets, ", ")
		}
	}
	chars := int((boxW - 16) / charW)
	w.raw(`<g class="zone" data-zone="`, esc(b.id), `">`, "<title>", escLines(tip), "</title>",
		`<rect class="zbox `, kindClass(b.kind()), `" x="`, num(b.r.x), `" y="`, num(b.r.y), `" width="`, num(b.r.w),
		`" height="`, num(b.r.h), `" rx="8"/>`,
		`<text x="`, num(b.r.x+8), `" y="`, num(b.r.y+19), `">`, esc(fit(first, chars)), "</text>",
		`<text class="small" x="`, num(b.r.x+8), `" y="`, num(b.r.y+35), `">`, esc(fit(second, smallChars)), "</text>",
		"</g>\n")
}

// legend draws the kinds in the drawing and the three kinds of arrow,
// flowing left to right over as many rows as needed.
func (w *writer) legend(l *layout) {
	w.raw(`<g class="legend">`, "\n")
	for _, it := range legendItems(l) {
		x, y := it.x, it.y
		if it.kind != "" {
			w.raw(`<rect class="zbox `, kindClass(it.kind), `" x="`, num(x), `" y="`, num(y), `" width="18" height="12" rx="3"/>`)
		} else {
			w.raw(`<g class="`, it.class, `"><path class="arrow" d="M`, num(x), ",", num(y+6), "L", num(x+18), ",", num(y+6),
				`" marker-end="url(#`, it.marker, `)"/></g>`)
		}
		w.raw(`<text class="small" x="`, num(x+24), `" y="`, num(y+10), `">`, esc(it.text), "</text>\n")
	}
	w.raw("</g>\n")
}

type legendItem struct {
	kind          site.ZoneKind // a kind swatch; empty for an arrow
	class, marker string        // an arrow sample
	text          string
	x, y          float64
}

func legendItems(l *layout) []legendItem {
	var items []legendItem
	var kinds []site.ZoneKind
	for _, b := range l.boxes {
		if k := b.kind(); !containsKind(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	for _, st := range styles { // the known kinds in a fixed order
		if containsKind(kinds, st.kind) {
			items = append(items, legendItem{kind: st.kind, text: string(st.kind)})
		}
	}
	for _, k := range kinds {
		if kindClass(k) == "k-xx" {
			items = append(items, legendItem{kind: k, text: string(k)})
		}
	}
	items = append(items,
		legendItem{class: "sample conduit", marker: "hwd-ah-c", text: "conduit (allowed by the site model)"},
		legendItem{class: "sample flow denied", marker: "hwd-ah-d", text: "flows seen that no conduit allows (count)"},
		legendItem{class: "sample flow allowed", marker: "hwd-ah-a", text: "flows seen that a conduit allows"},
	)
	x, y := margin, l.legendY
	for i := range items {
		items[i].text = fit(items[i].text, 48)
		w := 24 + float64(utf8.RuneCountInString(items[i].text))*6.3 + 18
		if x > margin && x+w > l.width-margin {
			x, y = margin, y+legendRowH
		}
		items[i].x, items[i].y = x, y
		x += w
	}
	return items
}

func legendHeight(l *layout) float64 {
	items := legendItems(l)
	return items[len(items)-1].y - l.legendY + legendRowH
}

func containsKind(ks []site.ZoneKind, k site.ZoneKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// clean removes control characters, bidirectional overrides and invalid
// UTF-8 from s.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r),
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0x2028, r == 0x2029, r == 0xfffe, r == 0xffff:
			return -1
		}
		return r
	}, s)
}

// esc returns s cleaned and escaped for XML text and attribute values.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(clean(s))) // a strings.Builder never fails
	return b.String()
}

// escLines is esc for a tooltip: its lines stay apart, each cleaned and
// escaped.
func escLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(strings.Join(lines, "\n"))) // a strings.Builder never fails
	return b.String()
}

// fit shortens s, cleaned, to at most n characters, ending it with "…"
// when cut.
func fit(s string, n int) string {
	s = clean(s)
	if n < 1 {
		n = 1
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// safeHref returns h when it is a relative URL starting with "/" or "?"
// that cannot be read as another host's ("//", "/\"), and "" otherwise.
// A URL holding control characters or white space is refused whole, as
// browsers drop some of them and would read what is left.
func safeHref(h string) string {
	if h == "" || (h[0] != '/' && h[0] != '?') || !utf8.ValidString(h) {
		return ""
	}
	if strings.HasPrefix(h, "//") || strings.HasPrefix(h, `/\`) {
		return ""
	}
	for _, r := range h {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\\' {
			return ""
		}
	}
	return h
}
