package site

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"harborwatch/internal/yamlfile"
	"harborwatch/supplier"
)

// Problem is one thing wrong with a site file, at a 1-based line and
// column. Col is 0 when only the line is known (YAML syntax errors).
type Problem = yamlfile.Problem

// Problems is every problem found in a site file, sorted by line and column.
type Problems = yamlfile.Problems

// maxFileSize bounds what Load reads and Parse accepts. Site files are a
// few kilobytes; the bound keeps a wrong path from filling memory.
const maxFileSize = 8 << 20

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
	l := &loader{
		Reader: yamlfile.Reader{File: name, MaxSize: maxFileSize, Top: "a mapping of keys (version, zones, …)"},
		s:      &Site{File: name},
	}
	l.load(data)
	if l.Len() > 0 {
		return nil, l.Problems()
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
	yamlfile.Reader
	s *Site

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
	line, _ := l.Pos(n)
	return owner{ctx, line, l.Item()}
}

func (l *loader) load(data []byte) {
	root := l.Parse(data)
	if root == nil {
		return
	}
	top := l.Mapping(root, "", topKeys)
	if top == nil {
		return
	}
	l.zoneLines, l.craneLines, l.assetLines = map[string]int{}, map[string]int{}, map[string]int{}
	l.windowLines, l.conduitLines = map[string]int{}, map[string]int{}
	l.cidrOwner, l.vlanOwner = map[netip.Prefix]owner{}, map[uint16]owner{}
	l.ipOwner, l.macOwner = map[netip.Addr]owner{}, map[MAC]owner{}

	if v, ok := top["version"]; ok {
		if n, ok := l.Integer(v, "version"); ok {
			if n != Version {
				l.Errorf(v, "version: unsupported version %d (must be %d)", n, Version)
			}
			l.s.Version = int(n)
		}
	} else {
		l.Errorf(root, "missing version (must be %d)", Version)
	}
	if v, ok := top["facility"]; ok {
		l.facility(v)
	}
	// Sections may come in any order: references between them are checked
	// once all are read, in checkRefs.
	for i, n := range l.List(top["cranes"], "cranes") {
		l.crane(n, i)
	}
	for i, n := range l.List(top["change_windows"], "change_windows") {
		l.window(n, i)
	}
	for i, n := range l.List(top["zones"], "zones") {
		l.zone(n, i)
	}
	for i, n := range l.List(top["conduits"], "conduits") {
		l.conduit(n, i)
	}
	for i, n := range l.List(top["assets"], "assets") {
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

// id reads a required identifier.
func (l *loader) id(m map[string]*yaml.Node, item *yaml.Node, ctx string) (string, bool) {
	s, ok := l.Required(m, item, "id", ctx)
	if !ok {
		return "", false
	}
	if !validID(s) {
		l.Errorf(m["id"], "%s: bad id %q: use up to 128 letters, digits, '.', '_' and '-', starting with a letter or digit", ctx, yamlfile.Clip(s))
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
		l.Errorf(n, "duplicate %s id %q (first defined at line %d)", noun, id, first)
		return
	}
	lines[id], _ = l.Pos(n)
}

func (l *loader) facility(n *yaml.Node) {
	m := l.Mapping(n, "facility", facilityKeys)
	f := &l.s.Facility
	l.Text(m, "id", "facility", &f.ID)
	l.Text(m, "name", "facility", &f.Name)
	l.Text(m, "port", "facility", &f.Port)
}

func (l *loader) zone(n *yaml.Node, i int) {
	defer l.EnterItem(n)()
	item := l.Resolve(n)
	ctx := yamlfile.ItemCtx("zone", "id", item, i)
	m := l.Mapping(n, ctx, zoneKeys)
	if m == nil {
		return
	}
	z := &Zone{Line: item.Line}
	if id, ok := l.id(m, item, ctx); ok {
		if id == unzoned.ID || id == external.ID {
			l.Errorf(m["id"], "%s: id %q is reserved for the built-in zone", ctx, id)
		} else {
			l.unique(l.zoneLines, "zone", id, m["id"])
		}
		z.ID = id
	}
	if v, ok := m["kind"]; !ok {
		l.Errorf(item, "%s: missing kind%s", ctx, yamlfile.Suggest("", kindNames()))
	} else if s, ok := l.Scalar(v, yamlfile.Field(ctx, "kind")); ok {
		if k := ZoneKind(s); k.Valid() {
			z.Kind = k
		} else {
			l.Errorf(v, "%s: unknown kind %q%s", ctx, yamlfile.Clip(s), yamlfile.Suggest(s, kindNames()))
		}
	}
	l.Text(m, "name", ctx, &z.Name)
	l.Text(m, "description", ctx, &z.Description)
	if v, ok := m["crane"]; ok {
		if s, ok := l.Scalar(v, yamlfile.Field(ctx, "crane")); ok {
			z.Crane = s
			l.refs = append(l.refs, ref{refCrane, v, yamlfile.Field(ctx, "crane"), s})
		}
	}
	what := yamlfile.Field(ctx, "cidrs")
	l.Scalars(m["cidrs"], what, func(s string, at *yaml.Node) {
		p, why := parsePrefix(s)
		if why != "" {
			l.Errorf(at, "%s: bad cidr %q: %s", what, yamlfile.Clip(s), why)
			return
		}
		if o, dup := l.cidrOwner[p]; dup {
			if o.item == l.Item() {
				l.Errorf(at, "%s: duplicate cidr %s", what, p)
			} else {
				l.Errorf(at, "%s: %s is already in %s (line %d)", what, p, o.what, o.line)
			}
			return
		}
		l.cidrOwner[p] = l.owner(ctx, at)
		z.CIDRs = append(z.CIDRs, p)
	})
	what = yamlfile.Field(ctx, "vlans")
	var vlanNodes []*yaml.Node
	for _, at := range l.List(m["vlans"], what) {
		v, ok := l.Integer(at, what)
		if !ok {
			continue
		}
		if v < 1 || v > 4094 {
			l.Errorf(at, "%s: vlan %d is out of range 1..4094", what, v)
			continue
		}
		if slices.Contains(z.VLANs, uint16(v)) {
			l.Errorf(at, "%s: duplicate vlan %d", what, v)
			continue
		}
		z.VLANs = append(z.VLANs, uint16(v))
		vlanNodes = append(vlanNodes, at)
	}
	if !yamlfile.Present(m["cidrs"]) && !yamlfile.Present(m["vlans"]) {
		l.Errorf(item, "%s: no cidrs and no vlans, so nothing can be in the zone", ctx)
	}
	if !yamlfile.Present(m["cidrs"]) {
		// A zone given by VLANs alone claims them: two such zones on
		// one VLAN would make the lookup ambiguous.
		for j, v := range z.VLANs {
			if o, dup := l.vlanOwner[v]; dup {
				l.Errorf(vlanNodes[j], "%s: vlan %d is already the vlan of %s (line %d), which also has no cidrs", what, v, o.what, o.line)
				continue
			}
			l.vlanOwner[v] = l.owner(ctx, vlanNodes[j])
		}
	}
	l.s.Zones = append(l.s.Zones, z)
}

func kindNames() []string {
	s := make([]string, len(zoneKinds))
	for i, k := range zoneKinds {
		s[i] = string(k)
	}
	return s
}

func (l *loader) conduit(n *yaml.Node, i int) {
	defer l.EnterItem(n)()
	item := l.Resolve(n)
	ctx := yamlfile.ItemCtx("conduit", "id", item, i)
	m := l.Mapping(n, ctx, conduitKeys)
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
	l.Text(m, "description", ctx, &c.Description)
	for _, end := range []struct {
		key string
		dst *string
	}{{"from", &c.From}, {"to", &c.To}} {
		v, ok := m[end.key]
		if !ok {
			l.Errorf(item, "%s: missing %s (a zone id or kind:<zone kind>)", ctx, end.key)
			continue
		}
		if s, ok := l.Scalar(v, yamlfile.Field(ctx, end.key)); ok {
			*end.dst = s
			l.refs = append(l.refs, ref{refEndpoint, v, yamlfile.Field(ctx, end.key), s})
		}
	}
	what := yamlfile.Field(ctx, "protocols")
	l.Scalars(m["protocols"], what, func(s string, at *yaml.Node) {
		app, ok := NormalizeApp(s)
		if !ok {
			if t, _, ok := strings.Cut(strings.ToLower(s), "/"); ok && (t == "tcp" || t == "udp") {
				l.Errorf(at, "%s: bad protocol %q: want %s/PORT with PORT 1..65535", what, yamlfile.Clip(s), t)
			} else {
				l.Errorf(at, "%s: unknown protocol %q%s", what, yamlfile.Clip(s), yamlfile.Suggest(s, protocolNames()))
			}
			return
		}
		if slices.Contains(c.Protocols, app) {
			if strings.EqualFold(s, app) {
				l.Errorf(at, "%s: duplicate protocol %s", what, app)
			} else {
				l.Errorf(at, "%s: duplicate protocol %s (%q is %s)", what, app, yamlfile.Clip(s), app)
			}
			return
		}
		c.Protocols = append(c.Protocols, app)
	})
	what = yamlfile.Field(ctx, "ports")
	for _, at := range l.List(m["ports"], what) {
		r, ok := l.portRange(at, what)
		if !ok {
			continue
		}
		if slices.Contains(c.Ports, r) {
			l.Errorf(at, "%s: duplicate port %s", what, r)
			continue
		}
		c.Ports = append(c.Ports, r)
	}
	what = yamlfile.Field(ctx, "operations")
	l.Scalars(m["operations"], what, func(s string, at *yaml.Node) {
		if !slices.Contains(operations, s) {
			l.Errorf(at, "%s: unknown operation %q%s", what, yamlfile.Clip(s), yamlfile.Suggest(s, operations))
			return
		}
		if slices.Contains(c.Operations, s) {
			l.Errorf(at, "%s: duplicate operation %s", what, s)
			return
		}
		c.Operations = append(c.Operations, s)
	})
	what = yamlfile.Field(ctx, "windows")
	l.Scalars(m["windows"], what, func(s string, at *yaml.Node) {
		if slices.Contains(c.Windows, s) {
			l.Errorf(at, "%s: duplicate window %q", what, yamlfile.Clip(s))
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
	if n = l.Resolve(n); n == nil {
		return PortRange{}, false
	}
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!str") {
		l.Errorf(at, "%s: expected a port or a range such as 1024-2047, got %s", what, yamlfile.Describe(n))
		return PortRange{}, false
	}
	r, why := parsePortRange(n.Value)
	if why != "" {
		l.Errorf(at, "%s: bad port %q: %s", what, yamlfile.Clip(n.Value), why)
		return PortRange{}, false
	}
	return r, true
}

func (l *loader) crane(n *yaml.Node, i int) {
	defer l.EnterItem(n)()
	item := l.Resolve(n)
	ctx := yamlfile.ItemCtx("crane", "id", item, i)
	m := l.Mapping(n, ctx, craneKeys)
	if m == nil {
		return
	}
	c := Crane{Line: item.Line}
	if id, ok := l.id(m, item, ctx); ok {
		l.unique(l.craneLines, "crane", id, m["id"])
		c.ID = id
	}
	l.Text(m, "name", ctx, &c.Name)
	l.Text(m, "manufacturer", ctx, &c.Manufacturer)
	l.Text(m, "model", ctx, &c.Model)
	l.Text(m, "supplier", ctx, &c.Supplier)
	c.Origin = l.country(m, ctx)
	if v, ok := m["commissioned"]; ok {
		if y, ok := l.Integer(v, yamlfile.Field(ctx, "commissioned")); ok {
			if y < 1900 || y > 2200 {
				l.Errorf(v, "%s: commissioned: %d is not a plausible year", ctx, y)
			} else {
				c.Commissioned = int(y)
			}
		}
	}
	if v, ok := m["remote_management"]; ok {
		c.RemoteManagement, _ = l.Boolean(v, yamlfile.Field(ctx, "remote_management"))
	}
	l.s.Cranes = append(l.s.Cranes, c)
}

// country reads an optional origin.
func (l *loader) country(m map[string]*yaml.Node, ctx string) string {
	v, ok := m["origin"]
	if !ok {
		return ""
	}
	s, ok := l.Scalar(v, yamlfile.Field(ctx, "origin"))
	if !ok {
		return ""
	}
	c, ok := yamlfile.Country(s)
	if !ok {
		l.Errorf(v, "%s: origin: %q is not a two-letter ISO 3166 country code such as CN", ctx, yamlfile.Clip(s))
	}
	return c
}

func (l *loader) asset(n *yaml.Node, i int) {
	defer l.EnterItem(n)()
	item := l.Resolve(n)
	ctx := yamlfile.ItemCtx("asset", "id", item, i)
	m := l.Mapping(n, ctx, assetKeys)
	if m == nil {
		return
	}
	a := &Asset{Line: item.Line}
	if id, ok := l.id(m, item, ctx); ok {
		l.unique(l.assetLines, "asset", id, m["id"])
		a.ID = id
	}
	if m["ip"] == nil && m["ips"] == nil && m["mac"] == nil && m["macs"] == nil {
		l.Errorf(item, "%s: needs an ip or a mac (keys ip, ips, mac, macs)", ctx)
	}
	addIP := func(s string, at *yaml.Node, what string) {
		ip, why := ParseAddr(s)
		if why != "" {
			l.Errorf(at, "%s: bad address %q: %s", what, yamlfile.Clip(s), why)
			return
		}
		if o, dup := l.ipOwner[ip]; dup {
			if o.item == l.Item() {
				l.Errorf(at, "%s: duplicate address %s", what, ip)
			} else {
				l.Errorf(at, "%s: address %s is already used by %s (line %d)", what, ip, o.what, o.line)
			}
			return
		}
		l.ipOwner[ip] = l.owner(ctx, at)
		a.IPs = append(a.IPs, ip)
	}
	addMAC := func(s string, at *yaml.Node, what string) {
		mac, why := ParseMAC(s)
		if why != "" {
			l.Errorf(at, "%s: bad mac %q: %s", what, yamlfile.Clip(s), why)
			return
		}
		if o, dup := l.macOwner[mac]; dup {
			if o.item == l.Item() {
				l.Errorf(at, "%s: duplicate mac %s", what, mac)
			} else {
				l.Errorf(at, "%s: mac %s is already used by %s (line %d)", what, mac, o.what, o.line)
			}
			return
		}
		l.macOwner[mac] = l.owner(ctx, at)
		a.MACs = append(a.MACs, mac)
	}
	if v, ok := m["ip"]; ok {
		if s, ok := l.Scalar(v, yamlfile.Field(ctx, "ip")); ok {
			addIP(s, v, yamlfile.Field(ctx, "ip"))
		}
	}
	what := yamlfile.Field(ctx, "ips")
	l.Scalars(m["ips"], what, func(s string, at *yaml.Node) { addIP(s, at, what) })
	if v, ok := m["mac"]; ok {
		if s, ok := l.Scalar(v, yamlfile.Field(ctx, "mac")); ok {
			addMAC(s, v, yamlfile.Field(ctx, "mac"))
		}
	}
	what = yamlfile.Field(ctx, "macs")
	l.Scalars(m["macs"], what, func(s string, at *yaml.Node) { addMAC(s, at, what) })
	if len(a.IPs) > 0 {
		a.IP = a.IPs[0]
	}
	if len(a.MACs) > 0 {
		a.MAC = a.MACs[0]
	}
	l.Text(m, "name", ctx, &a.Name)
	l.Text(m, "kind", ctx, &a.Kind)
	l.Text(m, "vendor", ctx, &a.Vendor)
	l.Text(m, "model", ctx, &a.Model)
	l.Text(m, "supplier", ctx, &a.Supplier)
	l.Text(m, "serial", ctx, &a.Serial)
	l.Text(m, "firmware", ctx, &a.Firmware)
	l.Text(m, "notes", ctx, &a.Notes)
	a.Origin = l.country(m, ctx)
	if v, ok := m["criticality"]; ok {
		if s, ok := l.Scalar(v, yamlfile.Field(ctx, "criticality")); ok {
			if slices.Contains(criticalities, s) {
				a.Criticality = Criticality(s)
			} else {
				l.Errorf(v, "%s: unknown criticality %q%s", ctx, yamlfile.Clip(s), yamlfile.Suggest(s, criticalities))
			}
		}
	}
	if v, ok := m["crane"]; ok {
		if s, ok := l.Scalar(v, yamlfile.Field(ctx, "crane")); ok {
			a.Crane = s
			l.refs = append(l.refs, ref{refCrane, v, yamlfile.Field(ctx, "crane"), s})
		}
	}
	if v, ok := m["zone"]; ok {
		if s, ok := l.Scalar(v, yamlfile.Field(ctx, "zone")); ok {
			a.Zone = s
			l.refs = append(l.refs, ref{refZone, v, yamlfile.Field(ctx, "zone"), s})
		}
	}
	l.s.Assets = append(l.s.Assets, a)
}

func (l *loader) window(n *yaml.Node, i int) {
	defer l.EnterItem(n)()
	item := l.Resolve(n)
	ctx := yamlfile.ItemCtx("change window", "id", item, i)
	m := l.Mapping(n, ctx, windowKeys)
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
		l.Errorf(m["end"], "%s: end %s is not after start %s", ctx, end.Format(time.RFC3339), start.Format(time.RFC3339))
		okEnd = false
	}
	if v, ok := m["every"]; ok {
		if s, ok := l.Scalar(v, yamlfile.Field(ctx, "every")); ok {
			d, why := parseDuration(s)
			switch {
			case why != "":
				l.Errorf(v, "%s: every: bad duration %q: %s", ctx, yamlfile.Clip(s), why)
			case d <= 0:
				l.Errorf(v, "%s: every: %q must be positive (leave every out for a one-off window)", ctx, yamlfile.Clip(s))
			case okStart && okEnd && d < end.Sub(start):
				l.Errorf(v, "%s: every %s is shorter than the window (%s), so it never closes", ctx, s, end.Sub(start))
			default:
				w.Every = d
			}
		}
	}
	l.s.ChangeWindows = append(l.s.ChangeWindows, w)
}

// time reads a required RFC 3339 time, in UTC.
func (l *loader) time(m map[string]*yaml.Node, item *yaml.Node, ctx, key string) (time.Time, bool) {
	s, ok := l.Required(m, item, key, ctx)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		l.Errorf(m[key], "%s: %s: bad time %q: want RFC 3339 with a zone, such as 2026-11-02T08:00:00Z", ctx, key, yamlfile.Clip(s))
		return time.Time{}, false
	}
	return t.UTC(), true
}

func (l *loader) remoteAccess(n *yaml.Node) {
	m := l.Mapping(n, "remote_access", remoteKeys)
	what := "remote_access: gateways"
	seen := map[netip.Addr]bool{}
	l.Scalars(m["gateways"], what, func(s string, at *yaml.Node) {
		a, why := ParseAddr(s)
		if why != "" {
			l.Errorf(at, "%s: bad address %q: %s", what, yamlfile.Clip(s), why)
			return
		}
		if seen[a] {
			l.Errorf(at, "%s: duplicate gateway %s", what, a)
			return
		}
		seen[a] = true
		l.s.RemoteAccess.Gateways = append(l.s.RemoteAccess.Gateways, a)
	})
}

func (l *loader) prohibited(n *yaml.Node) {
	m := l.Mapping(n, "prohibited", prohibitedKeys)
	p := &l.s.Prohibited
	what := "prohibited: domains"
	l.Scalars(m["domains"], what, func(s string, at *yaml.Node) {
		d, why := normalizeDomain(s)
		if why != "" {
			l.Errorf(at, "%s: bad domain %q: %s", what, yamlfile.Clip(s), why)
			return
		}
		if slices.Contains(p.Domains, d) {
			l.Errorf(at, "%s: duplicate domain %s", what, d)
			return
		}
		p.Domains = append(p.Domains, d)
	})
	what = "prohibited: cidrs"
	l.Scalars(m["cidrs"], what, func(s string, at *yaml.Node) {
		c, why := parsePrefix(s)
		if why != "" {
			l.Errorf(at, "%s: bad cidr %q: %s", what, yamlfile.Clip(s), why)
			return
		}
		if slices.Contains(p.CIDRs, c) {
			l.Errorf(at, "%s: duplicate cidr %s", what, c)
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
	list, probs := supplier.Decode(l.File, n, supplier.Builtin())
	for _, p := range probs {
		l.ErrorAt(p.Line, p.Col, "%s", p.Msg)
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
					l.Errorf(r.n, "%s: unknown zone kind %q%s", r.what, yamlfile.Clip(k), yamlfile.Suggest(k, kindNames()))
				}
				continue
			}
			fallthrough
		case refZone:
			if !slices.Contains(zones, r.id) {
				l.Errorf(r.n, "%s: zone %q is not defined%s", r.what, yamlfile.Clip(r.id), yamlfile.Suggest(r.id, zones))
			}
		case refCrane:
			if _, ok := l.craneLines[r.id]; !ok {
				l.Errorf(r.n, "%s: crane %q is not defined in cranes%s", r.what, yamlfile.Clip(r.id), yamlfile.Suggest(r.id, sortedKeys(l.craneLines)))
			}
		case refWindow:
			if _, ok := l.windowLines[r.id]; !ok {
				l.Errorf(r.n, "%s: change window %q is not defined in change_windows%s", r.what, yamlfile.Clip(r.id), yamlfile.Suggest(r.id, sortedKeys(l.windowLines)))
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
