package draw

import (
	"slices"

	"harborwatch/site"
)

// Geometry of the drawing, in SVG user units (pixels at a 1:1 scale).
const (
	margin      = 20.0   // around the drawing
	titleH      = 44.0   // title and summary lines
	boxW        = 170.0  // zone box
	boxH        = 46.0   // zone box
	boxGap      = 16.0   // between zone boxes of a group
	groupPad    = 12.0   // inside a group box, around its zones
	groupLabelH = 34.0   // the group's two label lines
	groupGap    = 28.0   // between group boxes on a shelf
	shelfGap    = 40.0   // between shelves, room for arrows to pass
	sectionGap  = 56.0   // between the crane section and the kind section
	maxContentW = 1326.0 // widest shelf: 1366 px less the margins
	maxCols     = 3      // zone boxes per line inside a group
	legendRowH  = 22.0
	charW       = 7.0 // estimated width of a 12-px sans-serif character
	smallChars  = 24  // 11-px characters on the second line of a zone box
)

// kindOrder is the order of the kind groups below the cranes. Kinds not
// listed follow in the order the zones first use them.
var kindOrder = []site.ZoneKind{
	site.KindCraneControl, site.KindCraneNoncritical, // zones of these kinds not on a crane
	site.KindCraneManagement, site.KindRemoteAccess, site.KindPortOT,
	site.KindBusiness, site.KindDMZ, site.KindUntrustedSupplier,
	site.KindExternal, site.KindUnzoned,
}

// kindUnknown is the kind given to zone ids that flows name but the site
// model does not hold.
const kindUnknown site.ZoneKind = "not in the site model"

type rect struct{ x, y, w, h float64 }

func (r rect) cx() float64 { return r.x + r.w/2 }
func (r rect) cy() float64 { return r.y + r.h/2 }

// zoneBox is one zone as drawn.
type zoneBox struct {
	id      string // the zone id (for an unknown zone, the id a flow named)
	zone    *site.Zone
	unknown bool // named by a flow, absent from the site model
	r       rect
}

// kind returns the zone's kind, kindUnknown for an unknown zone.
func (b *zoneBox) kind() site.ZoneKind {
	if b.unknown {
		return kindUnknown
	}
	return b.zone.Kind
}

// group is a labelled box holding zone boxes: one crane, or one kind.
type group struct {
	crane  bool
	id     string // crane id, or kind
	label  string // first label line
	detail string // second label line
	boxes  []*zoneBox
	r      rect
}

// layout is the placed drawing.
type layout struct {
	width, height float64
	groups        []*group
	boxes         []*zoneBox // in drawing order
	byID          map[string]*zoneBox
	legendY       float64
}

// place computes the layout of in: the crane groups on shelves at the top,
// the kind groups on shelves below, the legend at the bottom.
func place(in Input, s *site.Site) *layout {
	l := &layout{byID: map[string]*zoneBox{}}
	var zones []*site.Zone
	for _, z := range s.Zones {
		if z == nil || l.byID[z.ID] != nil {
			continue
		}
		b := &zoneBox{id: z.ID, zone: z}
		l.byID[z.ID] = b
		zones = append(zones, b.zone)
	}
	// The built-in zones are drawn when a conduit or a flow names them.
	for _, z := range []*site.Zone{site.External(), site.Unzoned()} {
		if l.byID[z.ID] == nil && referenced(in, s, z) {
			l.byID[z.ID] = &zoneBox{id: z.ID, zone: z}
			zones = append(zones, z)
		}
	}
	var unknown []*zoneBox
	for _, f := range in.Flows {
		for _, id := range []string{f.From, f.To} {
			if l.byID[id] == nil {
				b := &zoneBox{id: id, unknown: true}
				l.byID[id] = b
				unknown = append(unknown, b)
			}
		}
	}

	cranes := craneGroups(s, zones, l.byID)
	kinds := kindGroups(zones, l.byID)
	if len(unknown) > 0 {
		kinds = append(kinds, &group{id: string(kindUnknown), label: "not in the site model", boxes: unknown})
	}

	y := margin + titleH
	y, w1 := l.shelve(cranes, y)
	if len(cranes) > 0 && len(kinds) > 0 {
		y += sectionGap - shelfGap
	}
	y, w2 := l.shelve(kinds, y)
	l.legendY = y
	l.width = max(w1, w2, 640) + 2*margin
	l.height = y + legendHeight(l) + margin
	return l
}

// referenced reports whether a conduit or a flow of in names the built-in
// zone z, by id or by kind.
func referenced(in Input, s *site.Site, z *site.Zone) bool {
	names := func(e string) bool { return e == z.ID || e == "kind:"+string(z.Kind) }
	for _, c := range s.Conduits {
		if names(c.From) || names(c.To) {
			return true
		}
	}
	for _, f := range in.Flows {
		if f.From == z.ID || f.To == z.ID {
			return true
		}
	}
	return false
}

// craneGroups groups the zones on cranes: one group per crane, in the
// order of s.Cranes, then cranes the zones name but s does not list.
func craneGroups(s *site.Site, zones []*site.Zone, byID map[string]*zoneBox) []*group {
	var gs []*group
	index := map[string]*group{}
	for _, c := range s.Cranes {
		if index[c.ID] != nil {
			continue
		}
		g := &group{crane: true, id: c.ID, label: c.ID, detail: joinNonEmpty(" ", c.Manufacturer, c.Model)}
		if c.Name != "" {
			g.label = c.Name + " (" + c.ID + ")"
		}
		index[c.ID] = g
		gs = append(gs, g)
	}
	for _, z := range zones {
		if z.Crane == "" {
			continue
		}
		g := index[z.Crane]
		if g == nil {
			g = &group{crane: true, id: z.Crane, label: z.Crane, detail: "crane not listed"}
			index[z.Crane] = g
			gs = append(gs, g)
		}
		g.boxes = append(g.boxes, byID[z.ID])
	}
	return slices.DeleteFunc(gs, func(g *group) bool { return len(g.boxes) == 0 })
}

// kindGroups groups the zones not on a crane by kind, in kindOrder and
// then in the order the zones first use other kinds.
func kindGroups(zones []*site.Zone, byID map[string]*zoneBox) []*group {
	order := slices.Clone(kindOrder)
	for _, z := range zones {
		if z.Crane == "" && !slices.Contains(order, z.Kind) {
			order = append(order, z.Kind)
		}
	}
	var gs []*group
	for _, k := range order {
		g := &group{id: string(k), label: string(k)}
		for _, z := range zones {
			if z.Crane == "" && z.Kind == k {
				g.boxes = append(g.boxes, byID[z.ID])
			}
		}
		if len(g.boxes) > 0 {
			if k == "" {
				g.label = "no kind"
			}
			gs = append(gs, g)
		}
	}
	return gs
}

// shelve places gs left to right from y, starting a new shelf when the
// next group would pass maxContentW, and returns the y below the last
// shelf and the width of the widest shelf.
func (l *layout) shelve(gs []*group, y float64) (float64, float64) {
	x, shelfH, widest := margin, 0.0, 0.0
	for _, g := range gs {
		cols := min(len(g.boxes), maxCols)
		rows := (len(g.boxes) + cols - 1) / cols
		w := float64(cols)*boxW + float64(cols-1)*boxGap + 2*groupPad
		h := groupLabelH + float64(rows)*boxH + float64(rows-1)*boxGap + groupPad
		if x > margin && x+w > margin+maxContentW {
			y += shelfH + shelfGap
			x, shelfH = margin, 0
		}
		g.r = rect{x, y, w, h}
		for i, b := range g.boxes {
			b.r = rect{
				x: x + groupPad + float64(i%cols)*(boxW+boxGap),
				y: y + groupLabelH + float64(i/cols)*(boxH+boxGap),
				w: boxW, h: boxH,
			}
			l.boxes = append(l.boxes, b)
		}
		l.groups = append(l.groups, g)
		widest = max(widest, x+w-margin)
		shelfH = max(shelfH, h)
		x += w + groupGap
	}
	if len(gs) > 0 {
		y += shelfH + shelfGap
	}
	return y, widest
}

func joinNonEmpty(sep string, parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += p
	}
	return out
}
