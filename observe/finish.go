package observe

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
	"time"

	"harborwatch/app"
	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/site"
)

// Asset is a device observed on the monitored networks (internal addresses
// only).
type Asset struct {
	IP    netip.Addr `json:"ip"`
	MAC   string     `json:"mac,omitempty"`
	Zone  string     `json:"zone"`
	Asset string     `json:"asset,omitempty"`
	Apps  []string   `json:"apps"`
	// Identity is what the device said of itself over an ICS protocol
	// (vendor, product, order number, serial, firmware…), when it did.
	Identity map[string]any `json:"identity,omitempty"`
	// Served are the applications the host answered as a server; Ops the
	// ICS operations it requested; Polled the ICS servers it talked to as
	// a client (at most 16, PolledMore when there were more); VLANs the
	// VLANs its own MAC was seen on with its address (without a MAC: the
	// VLANs of its flows). The inventory infers roles from them.
	// MACs are every MAC the address was seen with (at most 4, first seen
	// first), its own and those of routers forwarding its traffic;
	// first-hop redundancy virtual MACs left out. MAC is the one taken
	// for its own.
	MACs       []string     `json:"macs,omitempty"`
	Served     []string     `json:"served,omitempty"`
	Ops        []string     `json:"ops,omitempty"`
	Polled     []netip.Addr `json:"polled,omitempty"`
	PolledMore bool         `json:"polled_more,omitempty"`
	VLANs      []uint16     `json:"vlans,omitempty"`
	Packets    uint64       `json:"packets"`
	Bytes      uint64       `json:"bytes"`
	FirstSeen  time.Time    `json:"first_seen"`
	LastSeen   time.Time    `json:"last_seen"`
	Evidence   finding.Mark `json:"-"` // the host's first packet
}

// Station is a device that described itself in discovery messages: LLDP,
// CDP, PROFINET DCP or DHCP (Sources), with the fields it gave (Identity:
// system name and description, station name, hostname, vendor class…).
type Station struct {
	MAC       string         `json:"mac"`
	MACBytes  [6]byte        `json:"-"`
	IPs       []netip.Addr   `json:"ips,omitempty"`
	VLANs     []uint16       `json:"vlans,omitempty"`
	Sources   []string       `json:"sources"`
	Identity  map[string]any `json:"identity,omitempty"`
	Frames    uint64         `json:"frames"`
	FirstSeen time.Time      `json:"first_seen"`
	LastSeen  time.Time      `json:"last_seen"`
	Evidence  finding.Mark   `json:"-"`
}

// Binding is one address a MAC was seen with on one VLAN: where the
// address is (Zone), and its first sight (packet time TS, packet Mark).
type Binding struct {
	IP   netip.Addr
	Zone *site.Zone
	VLAN uint16
	TS   int64
	Mark finding.Mark
}

// MultiHomed is a MAC seen with addresses in several zones, or on several
// tagged VLANs, that is taken neither for a router nor for a device the
// site says forwards traffic: a host with a foot in several networks.
type MultiHomed struct {
	MAC [6]byte
	// Bindings are its addresses and VLANs, sorted by first sight, then
	// address, then VLAN (at most 16).
	Bindings []Binding
}

// RouterAddresses is the number of distinct addresses above which a MAC is
// taken for a router forwarding other hosts' traffic rather than a
// multi-homed host: a router's MAC carries every routed source address.
const RouterAddresses = 4

// Result is what observation saw in a run, merged over every shard.
type Result struct {
	// Assets are the hosts seen, sorted by address.
	Assets []Asset
	// Stations are the devices that described themselves in discovery
	// messages (LLDP, CDP, PROFINET DCP, DHCP), sorted by MAC.
	Stations []Station
	// Routers are MACs seen with more than RouterAddresses addresses in
	// several zones (or first-hop redundancy virtual MACs), taken for
	// routers and not for multi-homed hosts; sorted.
	Routers []string
	// MultiHomed are the multi-homed MACs, sorted by MAC: the host-level
	// rule of package detect makes one finding of each.
	MultiHomed []MultiHomed
	Stats      Stats
}

// Finish merges the shards' states and returns the observed assets,
// stations, routers and multi-homed MACs. The states are consumed: they
// must not be used afterwards.
func (e *Engine) Finish(states []*State) *Result {
	hosts := make(map[netip.Addr]*hostObs)
	macs := make(map[[6]byte]*macObs)
	ids := make(map[netip.Addr]map[string]any)
	stns := make(map[[6]byte]*station)
	var res Result
	for _, s := range states {
		res.Stats.HostsDropped += s.stats.HostsDropped
		res.Stats.ExternalDropped += s.stats.ExternalDropped
		for ip, h := range s.hosts {
			if m := hosts[ip]; m != nil {
				m.merge(h)
			} else {
				hosts[ip] = h
			}
		}
		for ip, id := range s.ids {
			if m := ids[ip]; m != nil {
				for k, v := range id {
					if _, ok := m[k]; !ok {
						m[k] = v
					}
				}
			} else {
				ids[ip] = id
			}
		}
		for mac, st := range s.stns {
			if m := stns[mac]; m != nil {
				m.merge(st)
			} else {
				stns[mac] = st
			}
		}
		for mac, mo := range s.macs {
			if m := macs[mac]; m != nil {
				for _, b := range mo.bindings {
					m.add(b)
				}
				m.more = m.more || mo.more
			} else {
				macs[mac] = mo
			}
		}
	}
	e.homes(macs, &res)
	routers := map[string]bool{}
	for _, r := range res.Routers {
		routers[r] = true
	}
	for _, h := range hosts {
		h.pickMAC(routers)
	}
	// An external address seen with a MAC that no other address uses is
	// a device on the monitored segment (a capture without a site model,
	// or a public addressing plan); one behind a router shares its MAC.
	macUse := map[[6]byte]int{}
	for _, h := range hosts {
		for _, ms := range h.macs[:h.nmacs] {
			macUse[ms.mac]++
		}
	}
	// Sorted by address as pointers: an Asset is large to move.
	order := make([]*hostObs, 0, len(hosts))
	for _, h := range hosts {
		order = append(order, h)
	}
	slices.SortFunc(order, func(a, b *hostObs) int { return a.ip.Compare(b.ip) })
	res.Assets = make([]Asset, 0, len(hosts))
	for _, h := range order {
		if external(h.zone) && (!h.hasMAC || macUse[h.mac] != 1) {
			continue
		}
		a := e.asset(h)
		if mo := macs[h.mac]; h.hasMAC && mo != nil {
			// The VLANs a host is on are those its own MAC was seen on
			// with its address: a routed copy of its traffic, captured
			// on another VLAN, carries a router's MAC instead.
			a.VLANs = a.VLANs[:0]
			for _, b := range mo.bindings {
				if b.ip == h.ip && !slices.Contains(a.VLANs, b.vlan) {
					a.VLANs = append(a.VLANs, b.vlan)
				}
			}
			slices.Sort(a.VLANs)
		}
		a.Identity = ids[h.ip]
		res.Assets = append(res.Assets, a)
	}
	for _, st := range stns {
		res.Stations = append(res.Stations, st.export())
	}
	slices.SortFunc(res.Stations, func(a, b Station) int { return strings.Compare(a.MAC, b.MAC) })
	slices.Sort(res.Routers)
	slices.SortFunc(res.MultiHomed, func(a, b MultiHomed) int { return slices.Compare(a.MAC[:], b.MAC[:]) })
	return &res
}

// homes sorts the MACs seen with addresses in several zones, or on
// several tagged VLANs, into routers and multi-homed hosts. A MAC the site
// declares for a device that forwards traffic is neither, and link-local
// addresses count in no zone.
func (e *Engine) homes(macs map[[6]byte]*macObs, res *Result) {
	for mac, mo := range macs {
		zones := map[string]bool{}
		vlans := map[uint16]bool{} // tagged VLANs only: an untagged copy of a tagged segment (a SPAN of an access port) is not a second VLAN
		ips := map[netip.Addr]bool{}
		for _, b := range mo.bindings {
			// A link-local address (IPv6 fe80::/10, IPv4 169.254/16) is
			// on the link of the host's other addresses by definition:
			// not a second zone (a dual-stack HMI is not multi-homed).
			if !b.ip.IsLinkLocalUnicast() {
				zones[b.zone.ID] = true
			}
			if b.vlan != 0 {
				vlans[b.vlan] = true
			}
			ips[b.ip] = true
		}
		if len(zones) < 2 && len(vlans) < 2 {
			continue
		}
		if a := e.site.AssetByMAC(mac); a != nil && forwards(a.Kind) {
			continue
		}
		if len(ips) > RouterAddresses || mo.more || virtualRouter(mac) {
			res.Routers = append(res.Routers, site.MAC(mac).String())
			continue
		}
		bs := make([]Binding, 0, len(mo.bindings))
		for _, b := range mo.bindings {
			bs = append(bs, Binding{IP: b.ip, Zone: b.zone, VLAN: b.vlan, TS: b.ts, Mark: b.mark})
		}
		slices.SortFunc(bs, func(a, b Binding) int {
			return cmp.Or(cmp.Compare(a.TS, b.TS), a.IP.Compare(b.IP), cmp.Compare(a.VLAN, b.VLAN))
		})
		res.MultiHomed = append(res.MultiHomed, MultiHomed{MAC: mac, Bindings: bs})
	}
}

func (h *hostObs) merge(o *hostObs) {
	for _, ms := range o.macs[:o.nmacs] {
		h.addMAC(ms)
	}
	if o.first < h.first || (o.first == h.first && o.mark.Compare(h.mark) < 0) {
		h.first, h.mark = o.first, o.mark
	}
	if o.last > h.last {
		h.last = o.last
	}
	h.packets += o.packets
	h.bytes += o.bytes
	h.apps |= o.apps
	h.served |= o.served
	h.ops |= o.ops
	for _, p := range o.peers {
		h.addPeer(p)
	}
	h.morePeers = h.morePeers || o.morePeers
	h.vlans.merge(&o.vlans)
}

// pickMAC sets the host's MAC: the first seen that is not a router's (a
// host seen behind a gateway carries the gateway's MAC there).
func (h *hostObs) pickMAC(routers map[string]bool) {
	for _, ms := range h.macs[:h.nmacs] {
		if !routers[site.MAC(ms.mac).String()] && !virtualRouter(ms.mac) {
			h.mac, h.hasMAC = ms.mac, true
			return
		}
	}
}

// virtualRouter reports whether mac is a first-hop redundancy protocol's
// virtual router MAC — by definition a gateway: VRRP for IPv4
// (00-00-5E-00-01-xx) and IPv6 (00-00-5E-00-02-xx) per RFC 5798 §7.3, HSRP
// version 1 (00-00-0C-07-AC-xx) and 2 (00-00-0C-9F-Fx-xx), GLBP
// (00-07-B4-00-xx-xx).
func virtualRouter(mac [6]byte) bool {
	switch {
	case mac[0] == 0 && mac[1] == 0 && mac[2] == 0x5e && mac[3] == 0 && (mac[4] == 1 || mac[4] == 2):
		return true
	case mac[0] == 0 && mac[1] == 0 && mac[2] == 0x0c && mac[3] == 0x07 && mac[4] == 0xac:
		return true
	case mac[0] == 0 && mac[1] == 0 && mac[2] == 0x0c && mac[3] == 0x9f && mac[4]&0xf0 == 0xf0:
		return true
	case mac[0] == 0 && mac[1] == 0x07 && mac[2] == 0xb4 && mac[3] == 0:
		return true
	}
	return false
}

// forwards reports whether an asset kind forwards other hosts' traffic, so
// that its MAC carrying several zones' addresses is expected.
func forwards(kind string) bool {
	switch kind {
	case "router", "firewall", "gateway", "switch", "layer3-switch":
		return true
	}
	return false
}

func ts(ns int64) time.Time { return time.Unix(0, ns).UTC() }

func appNames(bits uint32) []string {
	out := []string{}
	for a := app.App(1); a < 32; a++ {
		if bits&(1<<a) != 0 && a.String() != "" {
			out = append(out, a.String())
		}
	}
	slices.Sort(out)
	return out
}

func (e *Engine) asset(h *hostObs) Asset {
	ep := Endpoint{IP: h.ip, MAC: h.mac, HasMAC: h.hasMAC}
	host := ep.Host(e.site, h.zone)
	a := Asset{
		IP: h.ip, MAC: host.MAC, Zone: host.Zone, Asset: host.Asset,
		Apps: appNames(h.apps), Served: appNames(h.served), Ops: event.OpsOf(h.ops),
		VLANs:   h.vlans.list(),
		Packets: h.packets, Bytes: h.bytes,
		FirstSeen: ts(h.first), LastSeen: ts(h.last), Evidence: h.mark,
	}
	for _, p := range h.peers {
		a.Polled = append(a.Polled, p)
	}
	a.PolledMore = h.morePeers
	for _, ms := range h.macs[:h.nmacs] {
		if virtualRouter(ms.mac) {
			continue
		}
		a.MACs = append(a.MACs, site.MAC(ms.mac).String())
	}
	return a
}
