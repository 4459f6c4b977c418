package observe

import (
	"math"
	"net/netip"
	"slices"
	"unsafe"

	"harborwatch/app"
	"harborwatch/finding"
	"harborwatch/site"
)

// Endpoint is one side of a connection as the packet path saw it.
type Endpoint struct {
	IP     netip.Addr
	MAC    [6]byte
	HasMAC bool
	Port   uint16
}

// Host names ep as a finding names a host: its address, its MAC when
// seen, the zone z it is in and the asset of st it is (by address, else by
// MAC).
func (ep Endpoint) Host(st *site.Site, z *site.Zone) finding.Host {
	h := finding.Host{IP: ep.IP}
	if z != nil {
		h.Zone = z.ID
	}
	if ep.HasMAC {
		h.MAC = site.MAC(ep.MAC).String()
	}
	if a := st.AssetByIP(ep.IP); a != nil {
		h.Asset = a.ID
	} else if ep.HasMAC {
		if a := st.AssetByMAC(ep.MAC); a != nil {
			h.Asset = a.ID
		}
	}
	return h
}

// MaxConnMarks is how many of a flow's first packets a Conn carries as
// evidence.
const MaxConnMarks = 4

// Conn is a flow as the packet path saw it: observation records its hosts
// at its end (State.Flow), and the rule engine (package detect) judges it
// at its end and mid-flow for the events (names, files, operations) it
// carries.
type Conn struct {
	Client, Server Endpoint
	VLAN           uint16
	Transport      uint8 // IP protocol number
	App            app.App
	First, Last    int64     // packet times, ns
	Packets        [2]uint64 // from client, from server
	Bytes          [2]uint64
	Marks          [MaxConnMarks]finding.Mark // the flow's first packets
	NMarks         int
	// Ops is the set of ICS operations (event.OpBit) the client requested
	// in the flow: what the inventory infers roles from.
	Ops uint32
}

// Options configure an Engine.
type Options struct {
	// Site is the facility's site model; nil means site.Default().
	Site *site.Site
	// MaxHosts bounds the hosts, MACs, identities and stations each State
	// remembers (0 → 1<<20). Those beyond it are counted in
	// Stats.HostsDropped, not remembered.
	MaxHosts int
	// MaxBytes bounds the memory each State's tables take (0: only
	// MaxHosts bounds them), counted as the entries are made (see
	// HostBytes, MACBytes, StationBytes and IdentityBytes). An entry that
	// would go beyond it is counted in Stats.HostsDropped, not remembered.
	MaxBytes int64
}

// What the entries of a State's tables take, in bytes, as MaxBytes counts
// them: the record, its map slot and the map's growth slack.
var (
	HostBytes     = int64(unsafe.Sizeof(hostObs{})) + 2*int64(unsafe.Sizeof(netip.Addr{})+16) + mapSlack
	MACBytes      = int64(unsafe.Sizeof(macObs{})) + 2*int64(unsafe.Sizeof([6]byte{})+16) + mapSlack
	BindingBytes  = int64(unsafe.Sizeof(binding{}))
	StationBytes  = int64(unsafe.Sizeof(station{})) + 2*int64(unsafe.Sizeof([6]byte{})+16) + mapSlack + emptyMapBytes + maxStationIPs*int64(unsafe.Sizeof(netip.Addr{}))
	IdentityBytes = 2*int64(unsafe.Sizeof(netip.Addr{})+16) + mapSlack + emptyMapBytes
	// FieldBytes is the cost of one identity field beyond its key's and
	// value's text.
	FieldBytes = int64(2*unsafe.Sizeof("")+unsafe.Sizeof(any(nil))) + mapSlack
)

const (
	mapSlack      = 32  // control bytes and load-factor slack of a Go map slot
	emptyMapBytes = 256 // a small map's first group
)

// Engine holds what is shared, read-only, by every State of a run.
type Engine struct {
	site     *site.Site
	maxHosts int
	maxBytes int64
}

// New returns an Engine for the site in opts.
func New(opts Options) *Engine {
	s := opts.Site
	if s == nil {
		s = site.Default()
	}
	mh := opts.MaxHosts
	if mh <= 0 {
		mh = 1 << 20
	}
	mb := opts.MaxBytes
	if mb <= 0 {
		mb = math.MaxInt64
	}
	return &Engine{site: s, maxHosts: mh, maxBytes: mb}
}

// Stats counts what a State could not keep.
type Stats struct {
	HostsDropped uint64 `json:"hosts_dropped"`
	// ExternalDropped counts external addresses not remembered beyond
	// MaxExternalHosts per shard. External addresses are remembered only
	// as candidates for devices with public addresses on the monitored
	// segment (an Internet peer shares its router's MAC and never becomes
	// an asset), so dropping them loses no finding.
	ExternalDropped uint64 `json:"external_dropped"`
}

// MaxExternalHosts bounds the external addresses one State remembers.
const MaxExternalHosts = 1 << 14

// State is the observation state of one pipeline shard: the hosts seen in
// flows and ARP, the MACs they were seen with, the identities devices gave
// over ICS protocols and the stations that described themselves in
// discovery messages. It is not safe for concurrent use; each shard owns
// one, and Engine.Finish merges them.
type State struct {
	e         *Engine
	hosts     map[netip.Addr]*hostObs
	macs      map[[6]byte]*macObs
	ids       map[netip.Addr]map[string]any // device identities from ICS analyzers
	stns      map[[6]byte]*station          // devices that described themselves at layer 2 or by DHCP
	externals int                           // external addresses in hosts
	mem       int64                         // bytes of the tables, as Options.MaxBytes counts them
	stats     Stats

	// News of devices (news.go), kept only when tracking.
	track   bool
	sighted map[netip.Addr]struct{} // addresses reported while their flow was open
	news    []Observation
}

// NewState returns an empty State.
func (e *Engine) NewState() *State {
	return &State{
		e:     e,
		hosts: make(map[netip.Addr]*hostObs),
		macs:  make(map[[6]byte]*macObs),
		ids:   make(map[netip.Addr]map[string]any),
		stns:  make(map[[6]byte]*station),
	}
}

// Stats returns what the State could not keep.
func (s *State) Stats() Stats { return s.stats }

// Mem returns the bytes the State's tables take, as Options.MaxBytes
// counts them.
func (s *State) Mem() int64 { return s.mem }

// room charges n bytes to the State's tables and reports whether they fit
// in Options.MaxBytes; when they do not, nothing is charged and the entry
// is counted as dropped.
func (s *State) room(n int64) bool {
	if s.mem+n > s.e.maxBytes {
		s.stats.HostsDropped++
		return false
	}
	s.mem += n
	return true
}

// maxHostMACs is how many MACs a host keeps: its own and, when it is also
// seen behind a gateway, the gateway's.
const maxHostMACs = 4

type hostObs struct {
	ip        netip.Addr
	macs      [maxHostMACs]macSeen // by first sight, earliest first
	nmacs     int
	mac       [6]byte // chosen in Finish
	hasMAC    bool
	zone      *site.Zone // the zone of the address on VLAN vlan
	vlan      uint16     // the VLAN of the first sight
	first     int64
	last      int64
	packets   uint64
	bytes     uint64
	apps      uint32       // bit per app.App
	served    uint32       // bit per app.App the host answered as a server
	ops       uint32       // ICS operations the host requested (event.OpBit)
	peers     []netip.Addr // ICS servers the host polled, sorted; at most maxPeers
	morePeers bool
	vlans     vlanSet
	mark      finding.Mark
}

// maxPeers bounds the ICS servers a host remembers polling; maxVLANs the
// VLANs it is seen on. Beyond them the host is marked as having more.
const (
	maxPeers = 16
	maxVLANs = 8
)

func (h *hostObs) addPeer(a netip.Addr) {
	i, found := slices.BinarySearchFunc(h.peers, a, netip.Addr.Compare)
	if found {
		return
	}
	if len(h.peers) == maxPeers {
		h.morePeers = true
		return
	}
	h.peers = slices.Insert(h.peers, i, a)
}

// vlanSet is a small sorted set of VLAN ids; ids beyond maxVLANs are
// not kept.
type vlanSet struct {
	v [maxVLANs]uint16
	n int
}

func (s *vlanSet) add(v uint16) {
	i, found := slices.BinarySearch(s.v[:s.n], v)
	if found || s.n == maxVLANs {
		return
	}
	copy(s.v[i+1:s.n+1], s.v[i:s.n])
	s.v[i] = v
	s.n++
}

func (s *vlanSet) merge(o *vlanSet) {
	for _, v := range o.v[:o.n] {
		s.add(v)
	}
}

// list returns the set as a new slice.
func (s *vlanSet) list() []uint16 { return slices.Clone(s.v[:s.n]) }

type macSeen struct {
	mac  [6]byte
	ts   int64
	mark finding.Mark
}

func (ms macSeen) before(o macSeen) bool {
	return ms.ts < o.ts || (ms.ts == o.ts && ms.mark.Compare(o.mark) < 0)
}

// addMAC keeps the host's MACs ordered by first sight (deterministically).
func (h *hostObs) addMAC(ms macSeen) {
	for i := range h.macs[:h.nmacs] {
		if h.macs[i].mac == ms.mac {
			if ms.before(h.macs[i]) {
				h.macs[i].ts, h.macs[i].mark = ms.ts, ms.mark
				h.sortMACs()
			}
			return
		}
	}
	if h.nmacs < maxHostMACs {
		h.macs[h.nmacs] = ms
		h.nmacs++
	} else if ms.before(h.macs[maxHostMACs-1]) {
		h.macs[maxHostMACs-1] = ms
	}
	h.sortMACs()
}

func (h *hostObs) sortMACs() {
	slices.SortFunc(h.macs[:h.nmacs], func(a, b macSeen) int {
		switch {
		case a.before(b):
			return -1
		case b.before(a):
			return 1
		}
		return 0
	})
}

// binding is one address a MAC was seen with on one VLAN, at its first
// sight.
type binding struct {
	ip   netip.Addr
	zone *site.Zone
	vlan uint16
	mark finding.Mark
	ts   int64
}

const maxBindings = 16

type macObs struct {
	bindings []binding
	more     bool // bindings beyond maxBindings were not kept
}

// add records b, keeping the earliest sight of each address and VLAN, and
// reports whether it took a new binding.
func (mo *macObs) add(b binding) bool {
	for i := range mo.bindings {
		x := &mo.bindings[i]
		if x.ip == b.ip && x.vlan == b.vlan {
			if b.ts < x.ts || (b.ts == x.ts && b.mark.Compare(x.mark) < 0) {
				x.ts, x.mark = b.ts, b.mark
			}
			return false
		}
	}
	if len(mo.bindings) >= maxBindings {
		mo.more = true
		return false
	}
	mo.bindings = append(mo.bindings, b)
	return true
}

func external(z *site.Zone) bool { return z.Kind == site.KindExternal }

// Local reports whether a is a destination that never leaves the segment
// (broadcast, multicast, unspecified): such an address is no host, and
// flows to it are not judged as crossings.
func Local(a netip.Addr) bool {
	if a.IsMulticast() || a.IsUnspecified() || a.IsLinkLocalMulticast() {
		return true
	}
	if a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return true
	}
	return false
}

// Flow records the hosts of a flow at its end, for the inventory and the
// host-level rules: the client with the operations it requested and the
// ICS server it polled, the server (when it answered) with the
// application it served. It is called once per flow, at its end, never
// while the flow is open.
func (s *State) Flow(c *Conn) {
	var first finding.Mark
	if c.NMarks > 0 {
		first = c.Marks[0]
	}
	if h := s.host(c.Client, c, c.Packets[0], c.Bytes[0], first, "flow"); h != nil {
		h.ops |= c.Ops
		if c.App.ICS() && c.Packets[1] > 0 {
			s.addPeer(h, c.Server.IP)
		}
	}
	if c.Packets[1] > 0 {
		if h := s.host(c.Server, c, c.Packets[1], c.Bytes[1], first, "flow"); h != nil && c.App != app.Unknown {
			h.served |= 1 << c.App
		}
	}
}

// addPeer adds a to the ICS servers h polled, charging what its list
// grows by; a list that cannot grow within MaxBytes is marked as having
// more.
func (s *State) addPeer(h *hostObs, a netip.Addr) {
	before := cap(h.peers)
	if len(h.peers) == before && s.mem+peerBytes*int64(max(4, 2*before)) > s.e.maxBytes {
		if _, found := slices.BinarySearchFunc(h.peers, a, netip.Addr.Compare); !found {
			h.morePeers = true
		}
		return
	}
	h.addPeer(a)
	s.mem += peerBytes * int64(cap(h.peers)-before)
}

const peerBytes = int64(unsafe.Sizeof(netip.Addr{}))

// ARP records an ARP sender's binding of MAC to address.
func (s *State) ARP(mac [6]byte, ip netip.Addr, vlan uint16, m finding.Mark, ts int64) {
	if !ip.IsValid() || ip.IsUnspecified() {
		return
	}
	c := Conn{VLAN: vlan, First: ts, Last: ts}
	s.host(Endpoint{IP: ip, MAC: mac, HasMAC: true}, &c, 1, 0, m, "arp")
}

// host records ep, one side of c, in the zone of its address on c's VLAN.
// The zone is looked up once per host and VLAN: a known host seen again on
// the VLAN of its first sight reuses the zone it was given then (the site
// is read-only, so the lookup would give the same zone).
func (s *State) host(ep Endpoint, c *Conn, pkts, bytes uint64, m finding.Mark, via string) *hostObs {
	if !ep.IP.IsValid() || ep.IP.IsUnspecified() || Local(ep.IP) {
		return nil
	}
	h := s.hosts[ep.IP]
	var z *site.Zone
	if h != nil && h.vlan == c.VLAN {
		z = h.zone
	} else {
		z = s.e.site.Zone(ep.IP, c.VLAN)
	}
	if h == nil {
		ext := external(z)
		switch {
		case ext && !ep.HasMAC:
			return nil // behind no MAC of its own: never an asset
		case ext && s.externals >= MaxExternalHosts:
			s.stats.ExternalDropped++
			return nil
		case len(s.hosts) >= s.e.maxHosts:
			s.stats.HostsDropped++
			return nil
		case !s.room(HostBytes):
			return nil
		}
		if ext {
			s.externals++
		}
		h = &hostObs{ip: ep.IP, zone: z, vlan: c.VLAN, first: c.First, mark: m}
		s.hosts[ep.IP] = h
		s.newHost(h, ep, c, via)
	}
	if ep.HasMAC {
		h.addMAC(macSeen{mac: ep.MAC, ts: c.First, mark: m})
	}
	if c.First < h.first || (c.First == h.first && m.Compare(h.mark) < 0) {
		h.first = c.First
		h.mark = m
	}
	if c.Last > h.last {
		h.last = c.Last
	}
	h.packets += pkts
	h.bytes += bytes
	if c.App != app.Unknown {
		h.apps |= 1 << c.App
	}
	h.vlans.add(c.VLAN)
	if !ep.HasMAC || external(z) {
		// An external address is a device of the site only when its own
		// MAC is seen (Finish decides); it never enters the MAC bindings
		// that judge multi-homing.
		return h
	}
	mo := s.macs[ep.MAC]
	if mo == nil {
		if len(s.macs) >= s.e.maxHosts {
			s.stats.HostsDropped++
			return h
		}
		if !s.room(MACBytes) {
			return h
		}
		mo = &macObs{}
		s.macs[ep.MAC] = mo
	}
	if mo.add(binding{ip: ep.IP, zone: z, vlan: c.VLAN, mark: m, ts: c.First}) {
		s.mem += BindingBytes // at most maxBindings per MAC, charged without refusal
	}
	return h
}

// HasIdentity reports whether the device at ip already told key of
// itself, so that the caller builds an identity record only for news.
func (s *State) HasIdentity(ip netip.Addr, key string) bool {
	_, ok := s.ids[ip][key]
	return ok
}

// Identity records what a device said of itself (S7 SZL module
// identification, CIP identity object, Modbus device identification):
// vendor, product, order number, serial, firmware… Keys already known for
// the address are kept. m and at are the packet that carried it.
func (s *State) Identity(ip netip.Addr, id map[string]any, m finding.Mark, at int64) {
	if len(id) == 0 || !ip.IsValid() {
		return
	}
	known := s.ids[ip]
	if known == nil {
		if len(s.ids) >= s.e.maxHosts {
			s.stats.HostsDropped++
			return
		}
		if !s.room(IdentityBytes) {
			return
		}
		known = map[string]any{}
		s.ids[ip] = known
	}
	var news map[string]any
	for k, v := range id {
		if _, ok := known[k]; !ok {
			if !s.room(fieldBytes(k, v)) {
				continue
			}
			known[k] = v
			if s.track {
				if news == nil {
					news = map[string]any{}
				}
				news[k] = v
			}
		}
	}
	s.newIdentity(ip, news, m, at)
}

// fieldBytes is what an identity field takes: its key, its value's text
// and FieldBytes.
func fieldBytes(k string, v any) int64 {
	n := FieldBytes + int64(len(k))
	if t, ok := v.(string); ok {
		n += int64(len(t))
	}
	return n
}
