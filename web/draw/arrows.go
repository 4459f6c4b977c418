package draw

import (
	"math"
	"strconv"
	"strings"

	"harborwatch/site"
)

// arrowState counts the arrows drawn per ordered pair of zones, so that
// each further arrow between the same zones bends further out.
type arrowState struct {
	l     *layout
	count map[[2]*zoneBox]int
}

type point struct{ x, y float64 }

// geometry is a drawn arrow: its path and the point for its label.
type geometry struct {
	d     string
	label point
}

// next returns the geometry of the next arrow from a to b.
func (st *arrowState) next(a, b *zoneBox) geometry {
	k := st.count[[2]*zoneBox{a, b}]
	st.count[[2]*zoneBox{a, b}] = k + 1
	if a == b {
		return loop(a.r, k)
	}
	p, q := point{a.r.cx(), a.r.cy()}, point{b.r.cx(), b.r.cy()}
	dx, dy := q.x-p.x, q.y-p.y
	dist := math.Hypot(dx, dy)
	if dist == 0 { // boxes never overlap; kept for safety
		return loop(a.r, k)
	}
	// Arrows along a row bend in proportion to their length, to arc over
	// (or under) the boxes between their ends; others bend a little.
	bend := 0.12 * dist
	if math.Abs(dy) >= boxH {
		bend = min(bend, 36)
	}
	bend += 22 * float64(k)
	// the control point lies off the middle, to the left of the direction
	// of travel: the arrows of the two directions bend apart.
	c := point{(p.x+q.x)/2 + dy/dist*bend, (p.y+q.y)/2 - dx/dist*bend}
	s, e := edge(a.r, c), edge(b.r, c)
	return geometry{
		d:     "M" + num(s.x) + "," + num(s.y) + "Q" + num(c.x) + "," + num(c.y) + " " + num(e.x) + "," + num(e.y),
		label: point{0.25*s.x + 0.5*c.x + 0.25*e.x, 0.25*s.y + 0.5*c.y + 0.25*e.y},
	}
}

// edge returns where the line from the centre of r towards t leaves r.
func edge(r rect, t point) point {
	cx, cy := r.cx(), r.cy()
	dx, dy := t.x-cx, t.y-cy
	if dx == 0 && dy == 0 {
		return point{cx, cy}
	}
	f := math.Inf(1)
	if dx != 0 {
		f = math.Min(f, r.w/2/math.Abs(dx))
	}
	if dy != 0 {
		f = math.Min(f, r.h/2/math.Abs(dy))
	}
	return point{cx + dx*f, cy + dy*f}
}

// loop returns the k-th arrow from the zone in r to itself: a loop over
// its top right corner.
func loop(r rect, k int) geometry {
	s := 22 + 12*float64(k)
	p0 := point{r.x + r.w - 28, r.y}
	p3 := point{r.x + r.w, r.y + 16}
	return geometry{
		d: "M" + num(p0.x) + "," + num(p0.y) + "C" + num(p0.x) + "," + num(r.y-s) + " " +
			num(r.x+r.w+s) + "," + num(p3.y) + " " + num(p3.x) + "," + num(p3.y),
		label: point{r.x + r.w + s*0.45, r.y - s*0.45},
	}
}

// resolve returns the zone boxes a conduit end names: the zone with that
// id, or every zone drawn of the kind after "kind:".
func (l *layout) resolve(end string) []*zoneBox {
	if k, ok := strings.CutPrefix(end, "kind:"); ok {
		var out []*zoneBox
		for _, b := range l.boxes {
			if !b.unknown && string(b.zone.Kind) == k {
				out = append(out, b)
			}
		}
		return out
	}
	if b := l.byID[end]; b != nil && !b.unknown {
		return []*zoneBox{b}
	}
	return nil
}

// conduits draws each conduit as a group of grey arrows, one per pair of
// zones it joins, with the conduit described in the group's tooltip.
func (w *writer) conduits(st *arrowState, s *site.Site) {
	for i, c := range s.Conduits {
		w.raw(`<g class="conduit" data-conduit="`, strconv.Itoa(i), `" data-from="`, esc(c.From), `" data-to="`, esc(c.To), `">`,
			"<title>", escLines(conduitTip(i, c)), "</title>\n")
		for _, a := range st.l.resolve(c.From) {
			for _, b := range st.l.resolve(c.To) {
				g := st.next(a, b)
				w.raw(`<path class="arrow" data-from="`, esc(a.id), `" data-to="`, esc(b.id), `" d="`, g.d, `" marker-end="url(#hwd-ah-c)"/>`, "\n")
			}
		}
		w.raw("</g>\n")
	}
}

// conduitTip describes conduit c, the i-th of the site model.
func conduitTip(i int, c site.Conduit) string {
	name := c.ID
	if name == "" {
		name = "#" + strconv.Itoa(i+1)
	}
	lines := []string{"conduit " + name + ": " + c.From + " → " + c.To}
	if c.Description != "" {
		lines = append(lines, c.Description)
	}
	protocols := "any"
	if len(c.Protocols) > 0 {
		protocols = strings.Join(c.Protocols, ", ")
	}
	lines = append(lines, "protocols: "+protocols)
	ports := "any"
	if len(c.Ports) > 0 {
		var ps []string
		for _, p := range c.Ports {
			ps = append(ps, p.String())
		}
		ports = strings.Join(ps, ", ")
	}
	lines = append(lines, "ports: "+ports)
	if len(c.Operations) > 0 {
		lines = append(lines, "operations: "+strings.Join(c.Operations, ", "))
	}
	if len(c.Windows) > 0 {
		lines = append(lines, "change windows: "+strings.Join(c.Windows, ", "))
	}
	if c.Line > 0 {
		lines = append(lines, "site.yaml line "+strconv.Itoa(c.Line))
	}
	return strings.Join(lines, "\n")
}

// flows draws the flows seen that conduits allow (allowed true: thin
// dashed green arrows, the count in the tooltip) or those no conduit
// allows (red arrows with the count as a label), each linked to its
// findings when it has a safe Href.
func (w *writer) flows(st *arrowState, flows []Flow, allowed bool) {
	class, marker := "flow denied", "hwd-ah-d"
	if allowed {
		class, marker = "flow allowed", "hwd-ah-a"
	}
	for _, f := range flows {
		if f.Allowed != allowed {
			continue
		}
		a, b := st.l.byID[f.From], st.l.byID[f.To]
		g := st.next(a, b)
		count := strconv.Itoa(f.Count)
		tip := plural(f.Count, "flow") + " seen from " + f.From + " to " + f.To
		if allowed {
			tip += ", allowed by a conduit"
		} else {
			tip += " that no conduit allows"
		}
		href := safeHref(f.Href)
		if href != "" {
			w.raw(`<a href="`, esc(href), `">`)
		}
		w.raw(`<g class="`, class, `" data-from="`, esc(f.From), `" data-to="`, esc(f.To), `" data-count="`, count, `">`,
			"<title>", escLines(tip), "</title>",
			`<path class="arrow" d="`, g.d, `" marker-end="url(#`, marker, `)"/>`)
		if !allowed {
			lw := 10 + 7*float64(len(count))
			w.raw(`<rect class="count" x="`, num(g.label.x-lw/2), `" y="`, num(g.label.y-9), `" width="`, num(lw),
				`" height="18" rx="9"/>`,
				`<text class="count-text" text-anchor="middle" x="`, num(g.label.x), `" y="`, num(g.label.y+4), `">`, count, "</text>")
		}
		w.raw("</g>")
		if href != "" {
			w.raw("</a>")
		}
		w.raw("\n")
	}
}
