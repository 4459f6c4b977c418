package learn

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/inventory"
	"harborwatch/site"
)

// Flow is one flow of the capture: its client and server, transport
// (IP protocol number), application ("tcp/PORT" or "udp/PORT" when
// unidentified), packets and time span.
type Flow struct {
	Client, Server netip.AddrPort
	Transport      uint8
	App            string
	Packets        uint64
	First, Last    time.Time
}

// Op is one ICS request of the capture: who asked which server to do
// what, over which protocol and server port.
type Op struct {
	Client, Server netip.Addr
	Port           uint16
	Proto, Op      string
	TS             time.Time
}

// Learner accumulates flows and operations. Its memory grows with the
// distinct hosts, flows (by endpoints, application and server port) and
// operations (by endpoints, protocol and operation), not with the
// traffic.
type Learner struct {
	flows map[flowKey]*tally
	ops   map[opKey]*tally
	// Flows and Ops count what the learner took in; Skipped what it left
	// out (multicast, broadcast and unspecified addresses; operations
	// that are not ICS requests).
	Flows, Ops, Skipped uint64
}

type flowKey struct {
	c, s netip.Addr
	app  string
	tr   uint8
	port uint16
}

type opKey struct {
	c, s      netip.Addr
	proto, op string
	port      uint16
}

type tally struct {
	n, packets  uint64
	first, last time.Time
}

func (t *tally) add(n, packets uint64, first, last time.Time) {
	if t.n == 0 || first.Before(t.first) {
		t.first = first
	}
	if last.After(t.last) {
		t.last = last
	}
	t.n += n
	t.packets += packets
}

// New returns an empty Learner.
func New() *Learner {
	return &Learner{flows: map[flowKey]*tally{}, ops: map[opKey]*tally{}}
}

// local reports addresses that belong to no subnet's host: multicast,
// broadcast, unspecified.
func local(a netip.Addr) bool {
	return !a.IsValid() || a.IsMulticast() || a.IsUnspecified() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// Flow takes in one flow.
func (l *Learner) Flow(f *Flow) {
	c, s := f.Client.Addr().Unmap(), f.Server.Addr().Unmap()
	if local(c) || local(s) {
		l.Skipped++
		return
	}
	l.Flows++
	k := flowKey{c: c, s: s, app: appName(f.App, f.Transport, f.Server.Port()), tr: f.Transport, port: f.Server.Port()}
	t := l.flows[k]
	if t == nil {
		t = &tally{}
		l.flows[k] = t
	}
	t.add(1, f.Packets, f.First, f.Last)
}

// Op takes in one ICS request.
func (l *Learner) Op(o *Op) {
	c, s := o.Client.Unmap(), o.Server.Unmap()
	if local(c) || local(s) || !slices.Contains(knownOps, o.Op) || !slices.Contains(icsApps, appName(o.Proto, 6, o.Port)) {
		l.Skipped++
		return
	}
	l.Ops++
	k := opKey{c: c, s: s, proto: o.Proto, op: o.Op, port: o.Port}
	t := l.ops[k]
	if t == nil {
		t = &tally{}
		l.ops[k] = t
	}
	t.add(1, 0, o.TS, o.TS)
}

// appName is the name a conduit can carry: a protocol site.yaml knows,
// else transport/port.
func appName(app string, transport uint8, port uint16) string {
	if a, ok := site.NormalizeApp(app); ok {
		return a
	}
	tr := "tcp"
	if transport == 17 {
		tr = "udp"
	}
	if transport != 6 && transport != 17 {
		return fmt.Sprintf("ip/%d", transport)
	}
	return fmt.Sprintf("%s/%d", tr, port)
}

var (
	// knownOps are the operations a conduit may name.
	knownOps = []string{event.OpRead, event.OpWrite, event.OpProgramDownload, event.OpProgramUpload, event.OpProgramDelete,
		event.OpPLCStop, event.OpPLCStart, event.OpFirmwareUpdate, event.OpConfigChange, event.OpIdentity,
		event.OpDiagnostics, event.OpAuth, event.OpSession, event.OpIO, event.OpOther}
	icsApps      = []string{"modbus", "s7comm", "s7comm-plus", "enip", "bacnet", "opcua", "iec104", "dnp3"}
	remoteApps   = []string{"ssh", "telnet", "rdp", "vnc", "teamviewer", "anydesk"}
	transferApps = []string{"ftp", "tftp", "smb"}
	// drastic operations change what a controller runs: a learned site
	// never allows them (they stay findings until a person allows them,
	// in a change window).
	drasticOps = []string{event.OpProgramDownload, event.OpProgramUpload, event.OpProgramDelete,
		event.OpFirmwareUpdate, event.OpPLCStop, event.OpPLCStart, event.OpConfigChange}
)

// host is what the draft knows of one internal address.
type host struct {
	ip    netip.Addr
	vlans []uint16
	asset *inventory.Asset // nil when the inventory has none
	roles []string
	// traffic
	servedICS, pollsICS bool
	reads               uint64 // ICS read, identity and diagnostics requests made
	remoteOut, otherOut int    // flows to internal servers: remote-access ones, others
	infraOut            int    // dns, ntp
	egresses            bool
	zone                *Zone
}

func (h *host) has(role string) bool { return slices.Contains(h.roles, role) }

// Zone is one zone of the draft.
type Zone struct {
	ID    string
	Kind  site.ZoneKind
	CIDRs []netip.Prefix
	VLANs []uint16
	Hosts []netip.Addr
	Why   string // the evidence of its kind
	// Existing marks a zone of the site model extended (not drafted).
	Existing bool
}

// Asset is one asset of the draft.
type Asset struct {
	ID, Kind, Vendor, Model, Firmware, Supplier string
	IPs                                         []netip.Addr
	MAC                                         string
	Zone                                        string
	Why                                         string
}

// Conduit is one conduit of the draft.
type Conduit struct {
	From, To   string
	App        string
	Ports      []uint16
	Operations []string
	Flows, Ops uint64
	First      time.Time
	Last       time.Time
	Pairs      []string // client → server, at most maxPairs
	MorePairs  int
}

// Egress is traffic between an internal host and the Internet.
type Egress struct {
	Zone           string // of the internal end
	Client, Server netip.Addr
	App            string
	Port           uint16
	Flows          uint64
}

// Draft is a learned site model.
type Draft struct {
	Zones    []*Zone
	Assets   []Asset
	Conduits []Conduit
	Gateways []netip.Addr
	// Reviews are the "# review:" lines: what a person must confirm or
	// fix.
	Reviews []string
	// Routers are devices carrying many addresses (left out of the
	// assets).
	Routers []string
	// Egress are the flows to the Internet (and from it), by internal
	// end, external end, application and server port.
	Egress []Egress
	// YAML is the commented site.yaml.
	YAML []byte
}

// Options configure Draft.
type Options struct {
	// Inventory is the run's inventory (roles, vendors, suppliers of
	// concern, VLANs per address); nil: the draft knows only the flows.
	Inventory *inventory.Inventory
	// Facility is the facility id written (empty: "learned").
	Facility string
	// Captures name the captures learned from, for the header.
	Captures []string
	// Findings are the findings of the run (without a site model): those
	// of the rules listed in ReviewRules become review lines.
	Findings []finding.Finding
	// Existing, when not nil, is a site model to extend (its text in
	// ExistingText): hosts in its zones stay there, its assets and what
	// its conduits allow are not drafted again, and the draft is its text
	// with the new zones, conduits and assets inserted — nothing of it is
	// rewritten.
	Existing     *site.Site
	ExistingText []byte
}

// ReviewRules are the rules whose findings, in a run without a site
// model, a draft names in its review lines: what traffic alone shows to
// be wrong, whatever the zones, and the draft's own review does not
// already name.
var ReviewRules = []string{finding.RuleProhibited, finding.RuleICSAuthFailure}

// routerAddresses is how many addresses make a device a router (its MAC
// carries the traffic of other hosts) rather than an asset.
const routerAddresses = 8

// maxPairs is how many client → server pairs a conduit's comment names.
const maxPairs = 3

// Draft drafts the site model.
func (l *Learner) Draft(opts Options) (*Draft, error) {
	d := &Draft{}
	hosts := map[netip.Addr]*host{}
	get := func(a netip.Addr) *host {
		h := hosts[a]
		if h == nil {
			h = &host{ip: a}
			hosts[a] = h
		}
		return h
	}
	// Link-local addresses are in no subnet of the site (site.Zone puts
	// them in no zone): they are left out.
	internal := func(a netip.Addr) bool {
		return site.IsInternal(a) && !local(a) && !a.IsLoopback() && !a.IsLinkLocalUnicast()
	}
	if opts.Inventory != nil {
		for i := range opts.Inventory.Assets {
			a := &opts.Inventory.Assets[i]
			var ips []netip.Addr
			for _, ip := range a.IPs {
				if internal(ip.Unmap()) {
					ips = append(ips, ip.Unmap())
				}
			}
			router := len(a.IPs) > routerAddresses || slices.ContainsFunc(a.Roles, func(r inventory.Role) bool { return r.Role == inventory.RoleRouter })
			if router {
				d.Routers = append(d.Routers, fmt.Sprintf("%s (%s, %d addresses)", strings.Join(a.MACs, " "), cmp.Or(a.OUIOrg, a.Vendor, "vendor unknown"), len(a.IPs)))
				continue
			}
			for _, ip := range ips {
				h := get(ip)
				h.asset = a
				for _, r := range a.Roles {
					h.roles = append(h.roles, r.Role)
				}
			}
			for _, ad := range a.Addresses {
				if h := hosts[ad.IP.Unmap()]; h != nil {
					for _, v := range ad.VLANs {
						if v >= 1 && v <= 4094 && !slices.Contains(h.vlans, v) {
							h.vlans = append(h.vlans, v)
						}
					}
				}
			}
		}
	}
	for k, t := range l.flows {
		ci, si := internal(k.c), internal(k.s)
		if ci {
			h := get(k.c)
			switch {
			case !si:
				h.egresses = true
			case slices.Contains(remoteApps, k.app):
				h.remoteOut += int(t.n)
			case k.app == "dns" || k.app == "ntp":
				h.infraOut += int(t.n)
			default:
				h.otherOut += int(t.n)
			}
			if slices.Contains(icsApps, k.app) {
				h.pollsICS = true
			}
		}
		if si {
			h := get(k.s)
			if slices.Contains(icsApps, k.app) {
				h.servedICS = true
			}
		}
	}
	for k, t := range l.ops {
		if h := hosts[k.c]; h != nil && (k.op == event.OpRead || k.op == event.OpIdentity || k.op == event.OpDiagnostics || k.op == event.OpIO) {
			h.reads += t.n
		}
	}

	// Remote-access gateways: internal hosts that reach internal servers
	// by remote-access protocols and by nothing else (name and time
	// service aside), in a network of their own: no other host of their
	// /16 (IPv4) or /48 does anything else.
	candidate := func(h *host) bool { return h.remoteOut > 0 && h.otherOut == 0 }
	wide := func(a netip.Addr) netip.Prefix {
		bits := 16
		if a.Is6() {
			bits = 48
		}
		p, _ := a.Prefix(bits)
		return p
	}
	mixed := map[netip.Prefix]bool{}
	for _, h := range hosts {
		if !candidate(h) {
			mixed[wide(h.ip)] = true
		}
	}
	for _, h := range hosts {
		if candidate(h) && !mixed[wide(h.ip)] && (opts.Existing == nil || !opts.Existing.IsGateway(h.ip)) {
			d.Gateways = append(d.Gateways, h.ip)
		}
	}
	slices.SortFunc(d.Gateways, func(a, b netip.Addr) int { return a.Compare(b) })

	if opts.Existing != nil {
		d.existingZones(hosts, opts.Existing)
	}
	d.zones(hosts, opts.Existing)
	d.assets(hosts, opts.Existing)
	l.conduits(d, hosts, opts.Existing)
	l.reviews(d, hosts, opts.Findings, opts.Existing, opts.Inventory != nil && opts.Inventory.Summary.Declared > 0)
	slices.Sort(d.Routers)
	var err error
	d.YAML, err = d.render(opts, l)
	return d, err
}

// base is the subnet a host is grouped by: its /24 (IPv4) or /64.
func base(a netip.Addr) netip.Prefix {
	bits := 24
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// group is the hosts of one base subnet.
type group struct {
	prefix netip.Prefix
	hosts  []*host
	vlans  []uint16
	kind   site.ZoneKind
	why    string
}

// kindOf guesses a group's zone kind from its hosts' roles and traffic.
func kindOf(g *group, gateways []netip.Addr) (site.ZoneKind, string) {
	var ics, cams, pollers, gws, infra, egress []string
	for _, h := range g.hosts {
		ip := h.ip.String()
		switch {
		case h.servedICS || h.has(inventory.RolePLC) || h.has(inventory.RoleDrive) || h.has(inventory.RoleIODevice):
			ics = append(ics, ip)
		case h.has(inventory.RoleCamera):
			cams = append(cams, ip)
		case slices.Contains(gateways, h.ip):
			gws = append(gws, ip)
		case h.reads >= 10 && h.pollsICS:
			pollers = append(pollers, ip)
		case h.has(inventory.RoleDNS) || h.has(inventory.RoleNTP):
			infra = append(infra, ip)
		}
		if h.egresses {
			egress = append(egress, ip)
		}
	}
	list := func(xs []string) string {
		if len(xs) > 3 {
			return strings.Join(xs[:3], ", ") + fmt.Sprintf(" and %d more", len(xs)-3)
		}
		return strings.Join(xs, ", ")
	}
	n := len(g.hosts)
	switch {
	case len(ics) > 0:
		return site.KindCraneControl, "ICS servers (controllers, drives, I/O): " + list(ics)
	case len(gws) == n:
		return site.KindRemoteAccess, "reaches other zones by remote-access protocols only: " + list(gws)
	case len(pollers) > 0:
		return site.KindCraneManagement, "polls controllers (ICS reads): " + list(pollers)
	case len(cams)*2 >= n:
		return site.KindCraneNoncritical, "cameras: " + list(cams)
	case len(infra) == n:
		return site.KindPortOT, "name and time servers: " + list(infra)
	case len(egress) == n:
		return site.KindDMZ, "every host talks to the Internet: " + list(egress)
	}
	return site.KindBusiness, "no ICS, camera, gateway or service role seen (the default)"
}

var kindPrefix = map[site.ZoneKind]string{
	site.KindCraneControl: "control", site.KindCraneNoncritical: "cctv", site.KindCraneManagement: "mgmt",
	site.KindRemoteAccess: "remote", site.KindPortOT: "ot", site.KindDMZ: "dmz", site.KindBusiness: "business",
}

// zones groups the hosts by base subnet, guesses each group's kind, and
// merges the groups of one /16 (IPv4) with the same kind and VLANs into
// one zone with the smallest prefix covering them.
func (d *Draft) zones(hosts map[netip.Addr]*host, existing *site.Site) {
	groups := map[netip.Prefix]*group{}
	for _, h := range hosts {
		if h.zone != nil {
			continue // in a zone of the site extended
		}
		p := base(h.ip)
		g := groups[p]
		if g == nil {
			g = &group{prefix: p}
			groups[p] = g
		}
		g.hosts = append(g.hosts, h)
		for _, v := range h.vlans {
			if !slices.Contains(g.vlans, v) {
				g.vlans = append(g.vlans, v)
			}
		}
	}
	var gs []*group
	for _, g := range groups {
		slices.SortFunc(g.hosts, func(a, b *host) int { return a.ip.Compare(b.ip) })
		slices.Sort(g.vlans)
		g.kind, g.why = kindOf(g, d.Gateways)
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b *group) int { return a.prefix.Addr().Compare(b.prefix.Addr()) })
	// A VLAN belongs to one zone: the first group (in address order)
	// that has it; later groups with it are not merged on it.
	type mkey struct {
		super netip.Prefix
		kind  site.ZoneKind
		vlans string
	}
	merged := map[mkey]*Zone{}
	var nw []*Zone // the zones drafted
	z0 := &Zone{}  // owner of the VLANs of the site extended
	used := map[string]int{}
	vlanOwner := map[uint16]*Zone{}
	if existing != nil {
		for _, z := range existing.Zones {
			used[z.ID] = 1
			for _, v := range z.VLANs {
				vlanOwner[v] = z0
			}
		}
	}
	for _, g := range gs {
		super := g.prefix
		if g.prefix.Addr().Is4() {
			super, _ = g.prefix.Addr().Prefix(16)
		}
		k := mkey{super, g.kind, fmt.Sprint(g.vlans)}
		z := merged[k]
		if z == nil {
			z = &Zone{Kind: g.kind, Why: g.why}
			merged[k] = z
			d.Zones = append(d.Zones, z)
			nw = append(nw, z)
			z.VLANs = g.vlans
		} else if !strings.Contains(z.Why, g.why) {
			z.Why += "; " + g.why
		}
		z.CIDRs = append(z.CIDRs, g.prefix)
		for _, h := range g.hosts {
			z.Hosts = append(z.Hosts, h.ip)
			h.zone = z
		}
	}
	// A VLAN goes to the zone with the most hosts seen on it (a routed
	// host's frames carry the VLAN of the segment the capture saw them
	// on, not its own); hosts of the site extended keep theirs.
	best := map[uint16]*Zone{}
	most := map[uint16]int{}
	perZone := map[*Zone]map[uint16]int{}
	for _, h := range hosts {
		if h.zone == nil {
			continue
		}
		if perZone[h.zone] == nil {
			perZone[h.zone] = map[uint16]int{}
		}
		for _, v := range h.vlans {
			perZone[h.zone][v]++
		}
	}
	for _, z := range append(slices.Clone(nw), existingOf(hosts)...) {
		for v, n := range perZone[z] {
			if n > most[v] {
				best[v], most[v] = z, n
			}
		}
	}
	for _, z := range nw {
		if len(z.CIDRs) > 1 {
			c := cover(z.CIDRs)
			if existing == nil || !overlapsExisting(c, existing) {
				z.CIDRs = []netip.Prefix{c}
			}
		}
		var vs []uint16
		for _, v := range z.VLANs {
			if vlanOwner[v] == nil && best[v] == z {
				vlanOwner[v] = z
				vs = append(vs, v)
			}
		}
		z.VLANs = vs
		p := kindPrefix[z.Kind]
		suffix := ""
		if len(z.VLANs) == 1 {
			suffix = fmt.Sprintf("v%d", z.VLANs[0])
		} else {
			a := z.CIDRs[0].Addr()
			if a.Is4() {
				b := a.As4()
				suffix = fmt.Sprintf("%d-%d-%d", b[0], b[1], b[2])
			} else {
				suffix = strings.NewReplacer(":", "-").Replace(strings.TrimSuffix(z.CIDRs[0].Addr().String(), "::"))
			}
		}
		id := p + "-" + suffix
		used[id]++
		for n := used[id]; n > 1; n++ {
			if used[fmt.Sprintf("%s-%d", id, n)] == 0 {
				id = fmt.Sprintf("%s-%d", id, n)
				used[id] = 1
				break
			}
		}
		z.ID = id
	}
}

// cover is the smallest prefix holding every prefix of ps (of one
// family).
func cover(ps []netip.Prefix) netip.Prefix {
	p := ps[0]
	for _, q := range ps[1:] {
		for !p.Contains(q.Addr()) || p.Bits() > q.Bits() {
			p, _ = p.Addr().Prefix(p.Bits() - 1)
		}
	}
	return p
}

// assets lists the hosts of the inventory as assets (one per inventory
// asset), and hosts seen only in flows as assets of kind "host".
func (d *Draft) assets(hosts map[netip.Addr]*host, existing *site.Site) {
	seen := map[*inventory.Asset]bool{}
	used := map[string]int{}
	if existing != nil {
		for _, a := range existing.Assets {
			used[a.ID] = 1
		}
	}
	var ips []netip.Addr
	for a := range hosts {
		ips = append(ips, a)
	}
	slices.SortFunc(ips, func(a, b netip.Addr) int { return a.Compare(b) })
	for _, ip := range ips {
		h := hosts[ip]
		a := h.asset
		if a != nil && seen[a] {
			continue
		}
		if existing != nil && declared(existing, h) {
			continue
		}
		as := Asset{Zone: h.zone.ID}
		if a == nil && ip.Is4() && ip.As4()[3] == 255 {
			continue // the broadcast address of its /24, most likely
		}
		if a == nil {
			as.Kind, as.IPs = "host", []netip.Addr{ip}
			as.Why = "seen in flows only"
		} else {
			seen[a] = true
			as.Kind, as.Vendor, as.Model, as.Firmware = cmp.Or(a.Kind, "host"), a.Vendor, a.Model, a.Firmware
			for _, x := range a.IPs {
				if hosts[x.Unmap()] != nil {
					as.IPs = append(as.IPs, x.Unmap())
				}
			}
			if len(a.MACs) == 1 {
				if hw, err := net.ParseMAC(a.MACs[0]); err == nil && len(hw) == 6 {
					as.MAC = hw.String()
				}
			}
			if len(a.Concern) > 0 {
				as.Supplier = a.Concern[0].Name
			} else {
				as.Supplier = a.Supplier
			}
			var why []string
			for _, r := range a.Roles {
				why = append(why, r.Role+": "+r.Evidence)
			}
			if a.OUIOrg != "" {
				why = append(why, "MAC block of "+a.OUIOrg)
			}
			as.Why = cmp.Or(strings.Join(why, "; "), "no role inferred")
		}
		b := ip.As16()
		id := fmt.Sprintf("%s-%s", idWord(as.Kind), strings.ReplaceAll(strings.ReplaceAll(ip.String(), ".", "-"), ":", "-"))
		if ip.Is6() {
			id = fmt.Sprintf("%s-%x%x", idWord(as.Kind), b[14], b[15])
		}
		used[id]++
		for n := used[id]; n > 1; n++ {
			if used[fmt.Sprintf("%s-%d", id, n)] == 0 {
				id = fmt.Sprintf("%s-%d", id, n)
				used[id] = 1
				break
			}
		}
		as.ID = id
		d.Assets = append(d.Assets, as)
	}
}

// idWord makes a kind fit an id: letters, digits and '-'.
func idWord(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	return cmp.Or(strings.Trim(b.String(), "-"), "host")
}

// conduits makes one conduit per client zone, server zone and
// application seen between two zones — and within a crane zone for ICS
// protocols, whose operations a site judges inside a zone too.
func (l *Learner) conduits(d *Draft, hosts map[netip.Addr]*host, existing *site.Site) {
	type ckey struct{ from, to, app string }
	cs := map[ckey]*Conduit{}
	pairs := map[ckey]map[string]bool{}
	zoneOf := func(a netip.Addr) *Zone {
		if h := hosts[a]; h != nil {
			return h.zone
		}
		return nil
	}
	for k, t := range l.flows {
		zc, zs := zoneOf(k.c), zoneOf(k.s)
		if zc == nil || zs == nil {
			other := k.s
			if zc == nil {
				other = k.c
			}
			if z := cmp.Or(zc, zs); z != nil && (zc == nil) != (zs == nil) && !site.IsInternal(other) {
				d.Egress = append(d.Egress, Egress{Zone: z.ID, Client: k.c, Server: k.s, App: k.app, Port: k.port, Flows: t.n})
			}
			continue
		}
		ics := slices.Contains(icsApps, k.app)
		if _, ok := site.NormalizeApp(k.app); !ok {
			continue // not TCP or UDP, or port 0: no conduit can allow it (see the review)
		}
		if zc == zs && !(ics && zs.Kind.IsCrane()) {
			continue
		}
		ck := ckey{zc.ID, zs.ID, k.app}
		c := cs[ck]
		if c == nil {
			c = &Conduit{From: zc.ID, To: zs.ID, App: k.app}
			cs[ck] = c
			pairs[ck] = map[string]bool{}
		}
		if k.port != 0 && !slices.Contains(c.Ports, k.port) {
			c.Ports = append(c.Ports, k.port)
		}
		if c.Flows == 0 || t.first.Before(c.First) {
			c.First = t.first
		}
		if t.last.After(c.Last) {
			c.Last = t.last
		}
		c.Flows += t.n
		pairs[ck][k.c.String()+" → "+k.s.String()] = true
	}
	for k, t := range l.ops {
		zc, zs := zoneOf(k.c), zoneOf(k.s)
		if zc == nil || zs == nil {
			continue
		}
		app := appName(k.proto, 6, k.port)
		c := cs[ckey{zc.ID, zs.ID, app}]
		if c == nil {
			continue
		}
		c.Ops += t.n
		if !slices.Contains(drasticOps, k.op) && !slices.Contains(c.Operations, k.op) {
			c.Operations = append(c.Operations, k.op)
		}
	}
	for ck, c := range cs {
		if existing != nil && allowedBy(existing, c, l, hosts) {
			continue
		}
		slices.Sort(c.Ports)
		slices.Sort(c.Operations)
		var ps []string
		for p := range pairs[ck] {
			ps = append(ps, p)
		}
		slices.Sort(ps)
		if len(ps) > maxPairs {
			c.MorePairs = len(ps) - maxPairs
			ps = ps[:maxPairs]
		}
		c.Pairs = ps
		d.Conduits = append(d.Conduits, *c)
	}
	slices.SortFunc(d.Conduits, func(a, b Conduit) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To), cmp.Compare(a.App, b.App))
	})
	slices.SortFunc(d.Egress, func(a, b Egress) int {
		return cmp.Or(cmp.Compare(a.Zone, b.Zone), a.Client.Compare(b.Client), a.Server.Compare(b.Server), cmp.Compare(a.App, b.App), cmp.Compare(a.Port, b.Port))
	})
}

// existingZones puts the hosts in the zones of the site extended.
func (d *Draft) existingZones(hosts map[netip.Addr]*host, st *site.Site) {
	byID := map[string]*Zone{}
	for _, h := range hosts {
		var vlan uint16
		if len(h.vlans) > 0 {
			vlan = h.vlans[0]
		}
		sz := st.Zone(h.ip, vlan)
		if sz.Builtin {
			continue
		}
		z := byID[sz.ID]
		if z == nil {
			z = &Zone{ID: sz.ID, Kind: sz.Kind, CIDRs: sz.CIDRs, VLANs: sz.VLANs, Existing: true, Why: "in the site model"}
			byID[sz.ID] = z
		}
		z.Hosts = append(z.Hosts, h.ip)
		h.zone = z
	}
}

// overlapsExisting reports whether p holds or is held by a prefix of a
// zone of st.
func overlapsExisting(p netip.Prefix, st *site.Site) bool {
	for _, z := range st.Zones {
		for _, q := range z.CIDRs {
			if p.Overlaps(q) {
				return true
			}
		}
	}
	return false
}

// declared reports whether the site extended lists the host's device.
func declared(st *site.Site, h *host) bool {
	if st.AssetByIP(h.ip) != nil {
		return true
	}
	if h.asset != nil {
		for _, m := range h.asset.MACs {
			if hw, err := net.ParseMAC(m); err == nil && len(hw) == 6 && st.AssetByMAC([6]byte(hw)) != nil {
				return true
			}
		}
	}
	return false
}

// allowedBy reports whether the site extended already allows a drafted
// conduit: every flow of it, and every ICS operation seen on it that a
// conduit may allow (at some time of its windows).
func allowedBy(st *site.Site, c *Conduit, l *Learner, hosts map[netip.Addr]*host) bool {
	zone := func(z *Zone) *site.Zone {
		if sz := st.ZoneByID(z.ID); sz != nil && z.Existing {
			return sz
		}
		return &site.Zone{ID: z.ID, Kind: z.Kind}
	}
	if c.From == c.To {
		// Inside a zone only ICS operations are judged.
		z := zone(hosts0(hosts, c.From))
		for _, op := range c.Operations {
			if finding.ForOp(op) == "" {
				continue
			}
			ok := false
			for _, p := range c.Ports {
				ok = ok || st.AllowsOpAnyTime(z, z, c.App, p, op)
			}
			if !ok {
				return false
			}
		}
		return true
	}
	var from, to *Zone
	for k := range l.flows {
		hc, hs := hosts[k.c], hosts[k.s]
		if hc == nil || hs == nil || hc.zone == nil || hs.zone == nil || hc.zone.ID != c.From || hs.zone.ID != c.To || k.app != c.App {
			continue
		}
		from, to = hc.zone, hs.zone
		tr := "tcp"
		if k.tr == 17 {
			tr = "udp"
		}
		if !st.Allows(zone(from), zone(to), k.app, tr, k.port) {
			return false
		}
	}
	if from == nil {
		return false
	}
	for _, op := range c.Operations {
		ok := false
		for _, p := range c.Ports {
			if st.AllowsOpAnyTime(zone(from), zone(to), c.App, p, op) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// hosts0 returns the zone with this id of a host.
func hosts0(hosts map[netip.Addr]*host, id string) *Zone {
	for _, h := range hosts {
		if h.zone != nil && h.zone.ID == id {
			return h.zone
		}
	}
	return &Zone{ID: id}
}

// existingOf returns the zones of the site extended that hold hosts, in
// address order of their first host.
func existingOf(hosts map[netip.Addr]*host) []*Zone {
	var out []*Zone
	seen := map[*Zone]bool{}
	var ips []netip.Addr
	for a, h := range hosts {
		if h.zone != nil && h.zone.Existing {
			ips = append(ips, a)
		}
	}
	slices.SortFunc(ips, func(a, b netip.Addr) int { return a.Compare(b) })
	for _, a := range ips {
		if z := hosts[a].zone; !seen[z] {
			seen[z] = true
			out = append(out, z)
		}
	}
	return out
}
