package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"harborwatch/declared"
)

// Crane is one crane as a unit: its zones and assets, the suppliers of
// concern in it with the path that ties each one to the crane, its remote
// management, and its exposure.
type Crane struct {
	ID               string         `json:"id"`
	Name             string         `json:"name,omitempty"`
	Manufacturer     string         `json:"manufacturer,omitempty"`
	Model            string         `json:"model,omitempty"`
	Supplier         string         `json:"supplier,omitempty"`
	Origin           string         `json:"origin,omitempty"`
	RemoteManagement bool           `json:"remote_management"`
	RemotePaths      []string       `json:"remote_paths"` // assets that can reach the crane from afar, and why
	Zones            []string       `json:"zones"`
	Assets           []string       `json:"assets"`
	Concerns         []CraneConcern `json:"concerns"`
	Exposure         Exposure       `json:"exposure"`
	Sources          []string       `json:"sources"`
}

// CraneConcern ties a supplier of concern to a crane: Path reads from the
// crane down to the supplier, e.g. "STS-03 ← cell-router ← lte-modem ←
// Quectel (BOM manufacturer)".
type CraneConcern struct {
	Supplier string    `json:"supplier"`
	Name     string    `json:"name"`
	Asset    string    `json:"asset,omitempty"` // empty when the crane itself is the supplier's
	Path     string    `json:"path"`
	Reason   string    `json:"reason"`
	Lists    []Listing `json:"lists"`
}

// Exposure counts a set of assets: all, by supplier of concern, by
// criticality, and the isolation of those of concern.
type Exposure struct {
	Assets        int            `json:"assets"`
	Declared      int            `json:"declared"`
	Observed      int            `json:"observed"`
	OfConcern     int            `json:"of_concern"`
	BySupplier    map[string]int `json:"by_supplier"`
	ByCriticality map[string]int `json:"by_criticality"`
	ByIsolation   map[string]int `json:"by_isolation"`
}

// Summary is the facility's exposure.
type Summary struct {
	Exposure
	Cranes          int `json:"cranes"`
	CranesOfConcern int `json:"cranes_of_concern"`
}

func (b *builder) cranes(imports []declared.Result) []Crane {
	byID := map[string]*Crane{}
	var order []*Crane
	get := func(id string) *Crane {
		c := byID[id]
		if c == nil {
			c = &Crane{ID: id}
			byID[id] = c
			order = append(order, c)
		}
		return c
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	for _, sc := range b.site.Cranes {
		c := get(sc.ID)
		fill(&c.Name, sc.Name)
		fill(&c.Manufacturer, sc.Manufacturer)
		fill(&c.Model, sc.Model)
		fill(&c.Supplier, sc.Supplier)
		fill(&c.Origin, sc.Origin)
		c.RemoteManagement = c.RemoteManagement || sc.RemoteManagement
		c.Sources = appendUnique(c.Sources, fmt.Sprintf("%s:%d", b.site.File, sc.Line))
	}
	for _, r := range imports {
		for _, dc := range r.Cranes {
			c := get(dc.ID)
			fill(&c.Name, dc.Name)
			fill(&c.Manufacturer, dc.Manufacturer)
			fill(&c.Model, dc.Model)
			fill(&c.Supplier, dc.Supplier)
			fill(&c.Origin, dc.Origin)
			c.Sources = appendUnique(c.Sources, dc.Source)
		}
	}
	for _, z := range b.site.Zones {
		if z.Crane != "" {
			c := get(z.Crane)
			c.Zones = appendUnique(c.Zones, z.ID)
		}
	}
	byAsset := map[string]*Asset{}
	for _, a := range b.assets {
		byAsset[a.ID] = a
	}
	for _, a := range b.assets {
		if a.Crane == "" {
			continue
		}
		c := get(a.Crane)
		c.Assets = append(c.Assets, a.ID)
	}
	out := make([]Crane, 0, len(order))
	for _, c := range order {
		b.craneConcerns(c, byAsset)
		var as []Asset
		for _, id := range c.Assets {
			as = append(as, *byAsset[id])
		}
		c.Exposure = expose(as)
		slices.Sort(c.Assets)
		slices.Sort(c.Zones)
		for _, a := range as {
			if p := remotePath(a); p != "" {
				c.RemotePaths = append(c.RemotePaths, p)
			}
		}
		for _, l := range []*[]string{&c.RemotePaths, &c.Zones, &c.Assets, &c.Sources} {
			if *l == nil {
				*l = []string{}
			}
		}
		if c.Concerns == nil {
			c.Concerns = []CraneConcern{}
		}
		out = append(out, *c)
	}
	slices.SortFunc(out, func(x, y Crane) int { return cmp.Compare(x.ID, y.ID) })
	return out
}

// craneConcerns lists the crane's suppliers of concern: its own
// manufacturer or supplier, then each asset's, with the path through the
// containing assets.
func (b *builder) craneConcerns(c *Crane, byAsset map[string]*Asset) {
	for _, who := range []struct{ name, what string }{{c.Manufacturer, "manufacturer"}, {c.Supplier, "supplier"}} {
		if s := b.cat.MatchName(who.name); s != nil && s.Concern {
			c.addConcern(CraneConcern{Supplier: s.ID, Name: s.Name, Lists: listings(s.Lists),
				Path:   fmt.Sprintf("%s ← %s (%s)", c.ID, s.Name, who.what),
				Reason: fmt.Sprintf("crane %s %q", who.what, who.name)})
			if s.Parent != "" {
				if p := b.cat.ByID(s.Parent); p != nil && p.Concern {
					c.addConcern(CraneConcern{Supplier: p.ID, Name: p.Name, Lists: listings(p.Lists),
						Path:   fmt.Sprintf("%s ← %s (%s) ← %s (parent)", c.ID, s.Name, who.what, p.Name),
						Reason: fmt.Sprintf("parent of the crane's %s %s", who.what, s.Name)})
				}
			}
		}
	}
	for _, id := range c.Assets {
		a := byAsset[id]
		for _, con := range a.Concern {
			if !con.Maker && c.hasConcern(con.Supplier) {
				continue // delivered by the crane's own supplier: said once, at the crane
			}
			chain := []string{c.ID}
			var up []string
			for p, n := a.Parent, 0; p != "" && p != c.ID && n < 16; n++ {
				pa := byAsset[p]
				if pa == nil {
					break
				}
				up = append(up, p)
				p = pa.Parent
			}
			slices.Reverse(up)
			chain = append(chain, up...)
			label := a.ID
			if a.Kind != "" {
				label += " (" + a.Kind + ")"
			}
			chain = append(chain, label, con.Name+" ("+shortReason(con.Reason)+")")
			c.addConcern(CraneConcern{Supplier: con.Supplier, Name: con.Name, Asset: a.ID, Lists: con.Lists,
				Path: strings.Join(chain, " ← "), Reason: con.Reason})
		}
	}
}

func (c *Crane) hasConcern(supplier string) bool {
	for _, x := range c.Concerns {
		if x.Supplier == supplier && x.Asset == "" {
			return true
		}
	}
	return false
}

func (c *Crane) addConcern(cc CraneConcern) {
	for _, x := range c.Concerns {
		if x.Supplier == cc.Supplier && x.Asset == cc.Asset {
			return
		}
	}
	c.Concerns = append(c.Concerns, cc)
}

// shortReason names the kind of evidence of a concern reason.
func shortReason(r string) string {
	switch {
	case strings.HasPrefix(r, "MAC "):
		return "by OUI"
	case strings.HasPrefix(r, "BOM "):
		return "by BOM"
	case strings.HasPrefix(r, "the device identifies"):
		return "by identity"
	case strings.HasPrefix(r, "declared supplier"):
		return "declared supplier"
	}
	return "declared"
}

// remotePath says how an asset can reach its crane from afar, or "".
func remotePath(a Asset) string {
	for _, r := range a.Roles {
		if r.Role == RoleRemote {
			return a.ID + ": " + r.Evidence
		}
	}
	k := lower(a.Kind)
	if strings.Contains(k, "modem") || strings.Contains(k, "cellular") || strings.Contains(k, "remote-access") {
		return a.ID + ": declared " + a.Kind
	}
	for _, ap := range a.Apps {
		switch ap {
		case "teamviewer", "anydesk", "rdp", "vnc":
			return a.ID + ": seen with " + ap
		}
	}
	return ""
}

func expose(as []Asset) Exposure {
	e := Exposure{BySupplier: map[string]int{}, ByCriticality: map[string]int{}, ByIsolation: map[string]int{}}
	for _, a := range as {
		e.Assets++
		if a.Declared {
			e.Declared++
		}
		if a.Observed {
			e.Observed++
		}
		crit := a.Criticality
		if crit == "" {
			crit = "unstated"
		}
		e.ByCriticality[crit]++
		if len(a.Concern) > 0 {
			e.OfConcern++
			for _, c := range a.Concern {
				e.BySupplier[c.Supplier]++
			}
			iso := a.Isolation
			if iso == "" {
				iso = "not-judged" // only delivered by a supplier of concern
			}
			e.ByIsolation[iso]++
		}
	}
	return e
}

func summarise(as []Asset, cs []Crane) Summary {
	s := Summary{Exposure: expose(as), Cranes: len(cs)}
	for _, c := range cs {
		if len(c.Concerns) > 0 {
			s.CranesOfConcern++
		}
	}
	return s
}
