package observe

import (
	"maps"
	"net/netip"
	"time"
	"unsafe"

	"harborwatch/finding"
	"harborwatch/site"
)

// Observation is news of a device, handed on as it happens (a run's Sink
// receives them; analyze --observations writes them): an address seen for
// the first time, what a device said of itself for the first time, a
// station's first discovery message. Observations are not assets: each
// pipeline shard reports what is new to it, so a host that talks to peers
// in two shards may be reported twice; the run's assets are the merge of
// every observation (Engine.Finish) with the declarations (package
// inventory).
type Observation struct {
	// Kind is KindHost, KindIdentity or KindStation.
	Kind string     `json:"kind"`
	Seen time.Time  `json:"seen"` // packet time of the sight
	IP   netip.Addr `json:"ip,omitzero"`
	MAC  string     `json:"mac,omitempty"`
	VLAN uint16     `json:"vlan,omitempty"`
	// Zone and Asset place an address in the site model (zone id, declared
	// asset id); empty for stations without an address.
	Zone  string `json:"zone,omitempty"`
	Asset string `json:"asset,omitempty"`
	// Via says how the news came: "flow" (a flow's end, or a flow judged
	// while open), "arp", "self" (what a device said of itself over its
	// protocol: S7, CIP, Modbus identification, an SSH or HTTP server
	// banner), or a discovery source (lldp, cdp, profinet-dcp, dhcp).
	Via string `json:"via"`
	// Identity is what the device said of itself: identity fields (vendor,
	// product, firmware…) or a station's system name, description…
	Identity map[string]any `json:"identity,omitempty"`
	// Mark is the packet of the sight.
	Mark finding.Mark `json:"-"`
}

// Kinds of observations.
const (
	KindHost     = "host"
	KindIdentity = "identity"
	KindStation  = "station"
)

// Track makes the State keep news of devices for Drain; without it (the
// default) it keeps none.
func (s *State) Track() {
	s.track = true
	s.sighted = map[netip.Addr]struct{}{}
}

// Drain hands every observation made since the last Drain to emit, in the
// order they were made, and forgets them.
func (s *State) Drain(emit func(*Observation)) {
	for i := range s.news {
		emit(&s.news[i])
	}
	clear(s.news)
	s.news = s.news[:0]
}

// Pending reports how many observations wait for Drain.
func (s *State) Pending() int { return len(s.news) }

// Sight reports the two ends of a flow still open (judged at an epoch,
// before its end records its hosts), so that an address on a connection
// that lasts is news within an epoch, not at its end. It records nothing
// for the inventory: the flow's end does.
func (s *State) Sight(c *Conn, m finding.Mark) {
	if !s.track {
		return
	}
	s.sight(c.Client, c, m, "flow")
	if c.Packets[1] > 0 {
		s.sight(c.Server, c, m, "flow")
	}
}

// sight adds a host observation for ep unless this State has reported or
// recorded the address already.
func (s *State) sight(ep Endpoint, c *Conn, m finding.Mark, via string) {
	if !ep.IP.IsValid() || ep.IP.IsUnspecified() || Local(ep.IP) {
		return
	}
	if _, ok := s.sighted[ep.IP]; ok {
		return
	}
	if _, ok := s.hosts[ep.IP]; ok {
		return
	}
	z := s.e.site.Zone(ep.IP, c.VLAN)
	if external(z) && !ep.HasMAC {
		return // an Internet peer behind a router: never a device of the site
	}
	if len(s.sighted) >= s.e.maxHosts || s.mem+sightBytes > s.e.maxBytes {
		return
	}
	s.mem += sightBytes
	s.sighted[ep.IP] = struct{}{}
	o := Observation{Kind: KindHost, Seen: ts(c.First), IP: ep.IP, VLAN: c.VLAN, Via: via, Mark: m}
	h := ep.Host(s.e.site, z)
	o.MAC, o.Zone, o.Asset = h.MAC, h.Zone, h.Asset
	s.news = append(s.news, o)
}

// newHost is called when host() remembers an address for the first time.
func (s *State) newHost(h *hostObs, ep Endpoint, c *Conn, via string) {
	if !s.track {
		return
	}
	if _, ok := s.sighted[h.ip]; ok {
		return // reported while its flow was open
	}
	s.sighted[h.ip] = struct{}{}
	s.mem += sightBytes // the host was charged already; its sight is small
	o := Observation{Kind: KindHost, Seen: ts(h.first), IP: h.ip, VLAN: c.VLAN, Via: via, Mark: h.mark}
	hh := ep.Host(s.e.site, h.zone)
	o.MAC, o.Zone, o.Asset = hh.MAC, hh.Zone, hh.Asset
	s.news = append(s.news, o)
}

// newIdentity is called with the identity fields a device gave that were
// new for its address.
func (s *State) newIdentity(ip netip.Addr, fields map[string]any, m finding.Mark, at int64) {
	if !s.track || len(fields) == 0 {
		return
	}
	o := Observation{Kind: KindIdentity, Seen: ts(at), IP: ip, Via: "self", Identity: fields, Mark: m}
	var z *site.Zone
	if h := s.hosts[ip]; h != nil {
		z = h.zone
	} else {
		z = s.e.site.Zone(ip, 0)
	}
	h := Endpoint{IP: ip}.Host(s.e.site, z)
	o.Zone, o.Asset = h.Zone, h.Asset
	s.news = append(s.news, o)
}

// newStation is called when a MAC's first discovery message of a source
// is recorded.
func (s *State) newStation(st *station, ip netip.Addr, vlan uint16, source string, id map[string]any, m finding.Mark, at int64) {
	if !s.track {
		return
	}
	o := Observation{Kind: KindStation, Seen: ts(at), MAC: site.MAC(st.mac).String(), VLAN: vlan, Via: source, Identity: maps.Clone(id), Mark: m}
	if ip.IsValid() && !ip.IsUnspecified() {
		o.IP = ip
		z := s.e.site.Zone(ip, vlan)
		h := Endpoint{IP: ip}.Host(s.e.site, z)
		o.Zone, o.Asset = h.Zone, h.Asset
	}
	s.news = append(s.news, o)
}

// sightBytes is what one address in the sighted set takes.
const sightBytes = int64(unsafe.Sizeof(netip.Addr{})) + 16
