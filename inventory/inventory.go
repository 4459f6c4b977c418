package inventory

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"harborwatch/declared"
	"harborwatch/finding"
	"harborwatch/observe"
	"harborwatch/oui"
	"harborwatch/site"
	"harborwatch/supplier"
)

// Options say what to reconcile.
type Options struct {
	// Site holds the zones, the declared cranes and assets, and the
	// facility's supplier entries; nil means site.Default().
	Site *site.Site
	// Catalog is the supplier catalog; nil means the built-in catalog
	// extended by Site.Suppliers.
	Catalog *supplier.Catalog
	// Declared are imported asset lists (CSV, JSON, CycloneDX BOMs).
	// Their problems are carried into Inventory.Problems.
	Declared []declared.Result
	// Observed is what a capture analysis saw; nil for an inventory of
	// declarations only (no asset is then observed, nothing is missing).
	Observed *observe.Result
	// Captures names the analysed capture files by index (for evidence).
	Captures []string
}

// Inventory is the reconciled inventory: every declared and every
// observed device, once.
type Inventory struct {
	Facility string            `json:"facility,omitempty"`
	Assets   []Asset           `json:"assets"`
	Cranes   []Crane           `json:"cranes"`
	Summary  Summary           `json:"summary"`
	Findings []finding.Finding `json:"findings"`
	// Problems are the import problems (bad rows, bad components), each
	// with its file and line; the rows were skipped, the rest imported.
	Problems []declared.Problem `json:"problems"`
	// OUITable dates the IEEE registry the vendors come from.
	OUITable string `json:"oui_table"`
}

// Asset is one device: declared, observed, or both. Its JSON form is the
// asset object of docs/formats/inventory.md.
type Asset struct {
	ID           string         `json:"id"`
	Name         string         `json:"name,omitempty"`
	IPs          []netip.Addr   `json:"ips"`
	MACs         []string       `json:"macs"`
	MACKind      string         `json:"mac_kind,omitempty"` // locally-administered, randomized
	VLANs        []uint16       `json:"vlans"`
	Zones        []string       `json:"zones"`
	Vendor       string         `json:"vendor,omitempty"`
	VendorSource string         `json:"vendor_source,omitempty"` // declared, bom, identity, lldp, cdp, oui
	OUIOrg       string         `json:"oui_org,omitempty"`       // the IEEE registrant of the MAC's block
	Model        string         `json:"model,omitempty"`
	Serial       string         `json:"serial,omitempty"`
	Firmware     string         `json:"firmware,omitempty"`
	Kind         string         `json:"kind,omitempty"` // declared kind, else the main inferred role
	Type         string         `json:"type,omitempty"` // BOM component type (device, firmware, application…)
	Roles        []Role         `json:"roles"`
	Identity     map[string]any `json:"identity,omitempty"`
	Supplier     string         `json:"supplier,omitempty"`
	Origin       string         `json:"origin,omitempty"`
	Crane        string         `json:"crane,omitempty"`
	Criticality  string         `json:"criticality,omitempty"`
	Parent       string         `json:"parent,omitempty"` // the containing asset (a modem in a router)
	PURL         string         `json:"purl,omitempty"`
	Concern      []Concern      `json:"concern"`
	Isolation    string         `json:"isolation,omitempty"` // for assets of concern: isolated, not-isolated, unknown
	Addresses    []Address      `json:"addresses,omitempty"` // each observed address, first seen first
	Apps         []string       `json:"apps,omitempty"`
	Packets      uint64         `json:"packets,omitempty"`
	Bytes        uint64         `json:"bytes,omitempty"`
	FirstSeen    *time.Time     `json:"first_seen"`
	LastSeen     *time.Time     `json:"last_seen"`
	Declared     bool           `json:"declared"`
	Observed     bool           `json:"observed"`
	Sources      []string       `json:"sources"` // where it was declared (file:line) and "capture"

	macs     [][6]byte
	ipset    map[netip.Addr]struct{} // IPs as a set: a router's MAC carries thousands
	obs      []*observe.Asset        // the observed hosts (one per address)
	stations []*observe.Station      // its discovery messages
	evidence []finding.Mark
	first    int64
	last     int64
	decl     []*decl
}

// Address is one address a device was seen with, and when.
type Address struct {
	IP        netip.Addr `json:"ip"`
	VLANs     []uint16   `json:"vlans,omitempty"`
	FirstSeen time.Time  `json:"first_seen"`
	LastSeen  time.Time  `json:"last_seen"`
	Packets   uint64     `json:"packets"`
}

// Role is what a device does, inferred from what it was seen doing.
type Role struct {
	Role     string `json:"role"`
	Evidence string `json:"evidence"`
}

// Concern says why an asset is tied to a supplier of concern.
type Concern struct {
	Supplier string    `json:"supplier"` // catalog id
	Name     string    `json:"name"`     // the supplier's name
	Reason   string    `json:"reason"`
	Lists    []Listing `json:"lists"`
	// Maker is set when the supplier made the device (by its MAC block,
	// its own identity, its declared vendor or a BOM's manufacturer) rather
	// than delivered or integrated it: only then does the device itself
	// need its own VLAN.
	Maker bool `json:"maker"`
}

// Listing is a list, law or advisory naming a supplier, with its legal
// citation and date.
type Listing struct {
	Name     string `json:"name"`
	Citation string `json:"citation"`
	Date     string `json:"date"`
	Status   string `json:"status,omitempty"`
}

func listings(ls []supplier.Listing) []Listing {
	out := make([]Listing, 0, len(ls))
	for _, l := range ls {
		out = append(out, Listing{Name: l.Name, Citation: l.Citation, Date: l.Date, Status: string(l.Status)})
	}
	return out
}

// decl is one declaration of an asset, from site.yaml or an imported file.
type decl struct {
	a      declared.Asset
	source string
}

// Build reconciles the declarations with the observations.
func Build(opts Options) *Inventory {
	st := opts.Site
	if st == nil {
		st = site.Default()
	}
	cat := opts.Catalog
	if cat == nil {
		cat = st.Catalog()
	}
	b := &builder{site: st, cat: cat, opts: opts, byID: map[string]*Asset{}}
	inv := &Inventory{Facility: st.Facility.ID, OUITable: oui.Version(), Problems: []declared.Problem{}}
	for _, r := range opts.Declared {
		inv.Problems = append(inv.Problems, r.Problems...)
	}
	b.declare()
	if opts.Observed != nil {
		b.observe(opts.Observed)
	}
	for _, a := range b.assets {
		b.finish(a)
	}
	slices.SortFunc(b.assets, func(x, y *Asset) int { return cmp.Compare(x.ID, y.ID) })
	inv.Findings = b.findings()
	for _, a := range b.assets {
		inv.Assets = append(inv.Assets, *a)
	}
	inv.Cranes = b.cranes(opts.Declared)
	inv.Summary = summarise(inv.Assets, inv.Cranes)
	if inv.Assets == nil {
		inv.Assets = []Asset{}
	}
	if inv.Findings == nil {
		inv.Findings = []finding.Finding{}
	}
	return inv
}

type builder struct {
	site   *site.Site
	cat    *supplier.Catalog
	opts   Options
	assets []*Asset
	byID   map[string]*Asset
	byMAC  map[[6]byte]*Asset
	byIP   map[netip.Addr]*Asset
	// seenZones are the zones holding at least one observed device: a
	// declared device in one of them that was never seen is missing.
	seenZones map[string]bool
	routers   map[string]bool
}

// declare adds every declared asset, merging declarations with the same
// id (site.yaml first, then the imported files in order).
func (b *builder) declare() {
	for _, sa := range b.site.Assets {
		b.add(decl{a: fromSite(sa), source: fmt.Sprintf("%s:%d", b.site.File, sa.Line)})
	}
	for _, r := range b.opts.Declared {
		for _, da := range r.Assets {
			b.add(decl{a: da, source: da.Source})
		}
	}
}

func fromSite(sa *site.Asset) declared.Asset {
	a := declared.Asset{
		ID: sa.ID, Name: sa.Name, IPs: slices.Clone(sa.IPs), Kind: sa.Kind, Vendor: sa.Vendor,
		Model: sa.Model, Supplier: sa.Supplier, Origin: sa.Origin, Crane: sa.Crane, Zone: sa.Zone,
		Serial: sa.Serial, Firmware: sa.Firmware, Notes: sa.Notes, Criticality: sa.Criticality,
	}
	for _, m := range sa.MACs {
		a.MACs = append(a.MACs, m)
	}
	return a
}

func (b *builder) add(d decl) {
	a := b.byID[d.a.ID]
	if a == nil {
		a = &Asset{ID: d.a.ID, Declared: true}
		b.byID[a.ID] = a
		b.assets = append(b.assets, a)
	}
	dc := d
	a.decl = append(a.decl, &dc)
	a.Sources = appendUnique(a.Sources, d.source)
	x := &d.a
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	set(&a.Name, x.Name)
	set(&a.Kind, x.Kind)
	set(&a.Model, x.Model)
	set(&a.Serial, x.Serial)
	set(&a.Firmware, x.Firmware)
	set(&a.Supplier, x.Supplier)
	set(&a.Origin, x.Origin)
	set(&a.Crane, x.Crane)
	set(&a.Criticality, string(x.Criticality))
	set(&a.Parent, x.Parent)
	set(&a.PURL, x.PURL)
	set(&a.Type, x.Type)
	if a.Vendor == "" && x.Vendor != "" {
		a.Vendor = x.Vendor
		a.VendorSource = "declared"
		if x.BOMRef != "" || x.Type != "" {
			a.VendorSource = "bom"
		}
	}
	for _, ip := range x.IPs {
		a.addIP(ip)
	}
	for _, m := range x.MACs {
		if !slices.Contains(a.macs, [6]byte(m)) {
			a.macs = append(a.macs, [6]byte(m))
		}
	}
	if x.Zone != "" {
		a.Zones = appendUnique(a.Zones, x.Zone)
	}
}

// observe merges the observed hosts and stations into devices: one per
// MAC where the device's own MAC was seen, else one per address; then
// matches each device with a declared asset by MAC, else by address.
func (b *builder) observe(r *observe.Result) {
	b.routers = map[string]bool{}
	for _, m := range r.Routers {
		b.routers[m] = true
	}
	b.index()
	b.seenZones = map[string]bool{}
	for i := range r.Assets {
		h := &r.Assets[i]
		if h.Zone != "" {
			b.seenZones[h.Zone] = true
		}
		var mac [6]byte
		hasMAC := h.MAC != "" && !b.routers[h.MAC]
		if hasMAC {
			mac = ownMAC(h.MAC)
		}
		a := b.match(mac, hasMAC, h.IP)
		if a == nil {
			a = b.newObserved(mac, hasMAC, h.IP)
		}
		b.merge(a, h)
		if hasMAC && !slices.Contains(a.macs, mac) {
			a.macs = append(a.macs, mac)
		}
		if hasMAC {
			b.byMAC[mac] = a
		}
		b.byIP[h.IP] = a
	}
	for i := range r.Stations {
		s := &r.Stations[i]
		var ip netip.Addr
		if len(s.IPs) > 0 {
			ip = s.IPs[0]
		}
		a := b.match(s.MACBytes, true, ip)
		if a == nil {
			a = b.newObserved(s.MACBytes, true, ip)
		}
		b.mergeStation(a, s)
		b.byMAC[s.MACBytes] = a
	}
}

func (b *builder) index() {
	b.byMAC = map[[6]byte]*Asset{}
	b.byIP = map[netip.Addr]*Asset{}
	for _, a := range b.assets {
		for _, m := range a.macs {
			if _, ok := b.byMAC[m]; !ok {
				b.byMAC[m] = a
			}
		}
		for _, ip := range a.IPs {
			if _, ok := b.byIP[ip]; !ok {
				b.byIP[ip] = a
			}
		}
	}
}

func (b *builder) match(mac [6]byte, hasMAC bool, ip netip.Addr) *Asset {
	if hasMAC {
		if a := b.byMAC[mac]; a != nil {
			return a
		}
	}
	if ip.IsValid() {
		if a := b.byIP[ip]; a != nil {
			return a
		}
	}
	return nil
}

func (b *builder) newObserved(mac [6]byte, hasMAC bool, ip netip.Addr) *Asset {
	id := "ip:" + ip.String()
	if hasMAC {
		id = "mac:" + site.MAC(mac).String()
	}
	a := &Asset{ID: id}
	b.byID[id] = a
	b.assets = append(b.assets, a)
	return a
}

func (b *builder) merge(a *Asset, h *observe.Asset) {
	a.Observed = true
	a.Sources = appendUnique(a.Sources, "capture")
	a.addIP(h.IP)
	for _, v := range h.VLANs {
		if !slices.Contains(a.VLANs, v) {
			a.VLANs = append(a.VLANs, v)
		}
	}
	if h.Zone != "" {
		a.Zones = appendUnique(a.Zones, h.Zone)
	}
	for _, ap := range h.Apps {
		a.Apps = appendUnique(a.Apps, ap)
	}
	a.Packets += h.Packets
	a.Bytes += h.Bytes
	a.seen(h.FirstSeen, h.LastSeen)
	a.evidence = append(a.evidence, h.Evidence)
	a.addIdentity(h.Identity)
	a.obs = append(a.obs, h)
}

// addIP adds ip to the asset's addresses unless it holds it already, in
// constant time: one MAC may carry every address routed through it.
func (a *Asset) addIP(ip netip.Addr) {
	if a.ipset == nil {
		a.ipset = make(map[netip.Addr]struct{}, len(a.IPs)+1)
		for _, x := range a.IPs {
			a.ipset[x] = struct{}{}
		}
	}
	if _, ok := a.ipset[ip]; ok {
		return
	}
	a.ipset[ip] = struct{}{}
	a.IPs = append(a.IPs, ip)
}

// evidence is the evidence of a finding on device a: the earliest packets
// it was observed in.
func (b *builder) evidence(a *Asset) []finding.Evidence {
	return finding.EvidenceOf(finding.Earliest(a.evidence), b.opts.Captures)
}

func (b *builder) mergeStation(a *Asset, s *observe.Station) {
	a.Observed = true
	a.Sources = appendUnique(a.Sources, "capture")
	if !slices.Contains(a.macs, s.MACBytes) {
		a.macs = append(a.macs, s.MACBytes)
	}
	for _, ip := range s.IPs {
		a.addIP(ip)
	}
	for _, v := range s.VLANs {
		if !slices.Contains(a.VLANs, v) {
			a.VLANs = append(a.VLANs, v)
		}
	}
	a.seen(s.FirstSeen, s.LastSeen)
	a.evidence = append(a.evidence, s.Evidence)
	a.addIdentity(s.Identity)
	a.stations = append(a.stations, s)
}

// addIdentity adds what the device said of itself; keys already known
// are kept.
func (a *Asset) addIdentity(id map[string]any) {
	if len(id) == 0 {
		return
	}
	if a.Identity == nil {
		a.Identity = map[string]any{}
	}
	for k, v := range id {
		if _, ok := a.Identity[k]; !ok {
			a.Identity[k] = v
		}
	}
}

func (a *Asset) seen(first, last time.Time) {
	f, l := first.UnixNano(), last.UnixNano()
	if first.IsZero() {
		return
	}
	if a.first == 0 || f < a.first {
		a.first = f
	}
	if l > a.last {
		a.last = l
	}
}

// finish settles what is derived: sorted lists, zones, vendor, roles,
// concerns.
func (b *builder) finish(a *Asset) {
	slices.SortFunc(a.IPs, netip.Addr.Compare)
	slices.Sort(a.VLANs)
	for _, ip := range a.IPs {
		vlans := a.VLANs
		if len(vlans) == 0 {
			vlans = []uint16{0}
		}
		for _, v := range vlans {
			if z := b.site.Zone(ip, v); z != nil && z.Kind != site.KindExternal {
				a.Zones = appendUnique(a.Zones, z.ID)
			}
		}
	}
	if len(a.IPs) == 0 {
		for _, v := range a.VLANs {
			if z := b.site.Zone(netip.Addr{}, v); z != nil && !z.Builtin {
				a.Zones = appendUnique(a.Zones, z.ID)
			}
		}
	}
	if len(a.Zones) > 1 {
		a.Zones = slices.DeleteFunc(a.Zones, func(z string) bool { return z == "unzoned" })
	}
	slices.Sort(a.Zones)
	if a.Crane == "" {
		for _, zid := range a.Zones {
			if z := b.site.ZoneByID(zid); z != nil && z.Crane != "" {
				a.Crane = z.Crane
				break
			}
		}
	}
	for _, m := range a.macs {
		a.MACs = append(a.MACs, site.MAC(m).String())
	}
	if len(a.macs) > 0 {
		switch oui.Kind(a.macs[0]) {
		case oui.Local:
			a.MACKind = "locally-administered"
		case oui.Randomized:
			a.MACKind = "randomized"
		}
		if blk, ok := oui.Lookup(a.macs[0]); ok {
			a.OUIOrg = blk.Org
		}
	}
	b.vendor(a)
	a.Roles = roles(b, a)
	if a.Kind == "" && len(a.Roles) > 0 {
		a.Kind = a.Roles[0].Role
	}
	a.Concern = b.concerns(a)
	b.productRoles(a)
	if a.first != 0 {
		f, l := time.Unix(0, a.first).UTC(), time.Unix(0, a.last).UTC()
		a.FirstSeen, a.LastSeen = &f, &l
	}
	// Sorted as pointers, in the order sorting the addresses would give:
	// an Address is larger to move.
	obs := slices.Clone(a.obs)
	slices.SortFunc(obs, func(x, y *observe.Asset) int { return x.FirstSeen.Compare(y.FirstSeen) })
	if len(obs) > 0 {
		a.Addresses = make([]Address, 0, len(obs))
	}
	for _, h := range obs {
		a.Addresses = append(a.Addresses, Address{IP: h.IP, VLANs: h.VLANs, FirstSeen: h.FirstSeen, LastSeen: h.LastSeen, Packets: h.Packets})
	}
	if a.IPs == nil {
		a.IPs = []netip.Addr{}
	}
	if a.MACs == nil {
		a.MACs = []string{}
	}
	if a.VLANs == nil {
		a.VLANs = []uint16{}
	}
	if a.Zones == nil {
		a.Zones = []string{}
	}
	if a.Roles == nil {
		a.Roles = []Role{}
	}
	if a.Concern == nil {
		a.Concern = []Concern{}
	}
	slices.Sort(a.Apps)
}

// vendor picks the vendor: declared (or from a BOM), else what the device
// said of itself, else the IEEE registrant of its MAC block.
func (b *builder) vendor(a *Asset) {
	if a.Vendor != "" {
		return
	}
	for _, k := range []string{"vendor", "vendor_name"} {
		if v, ok := a.Identity[k].(string); ok && v != "" {
			a.Vendor, a.VendorSource = v, "identity"
			return
		}
	}
	if a.OUIOrg != "" {
		a.Vendor, a.VendorSource = a.OUIOrg, "oui"
	}
}

func appendUnique(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// ownMAC reads a MAC as observe formats it; one that is not a device's
// (zero, multicast) reads as the zero MAC.
func ownMAC(s string) [6]byte {
	m, _ := site.ParseMAC(s)
	return m
}

// lower is strings.ToLower for the comparisons of names.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
