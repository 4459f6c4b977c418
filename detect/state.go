package detect

import (
	"net/netip"
	"slices"
	"strings"

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

// Mark points at one packet: the index of its capture file in the run and
// its 1-based packet number in that file.
type Mark struct {
	File   int32
	Packet int64
}

func (m Mark) less(o Mark) bool {
	if m.File != o.File {
		return m.File < o.File
	}
	return m.Packet < o.Packet
}

// MaxConnMarks is how many of a flow's first packets a Conn carries as
// evidence.
const MaxConnMarks = 4

// Conn is a flow as the detectors judge it: at its end for the flow rules,
// and mid-flow for the events (names, files) it carries.
type Conn struct {
	Client, Server Endpoint
	VLAN           uint16
	Transport      uint8 // IP protocol number
	App            app.App
	First, Last    int64     // packet times, ns
	Packets        [2]uint64 // from client, from server
	Bytes          [2]uint64
	Marks          [MaxConnMarks]Mark // the flow's first packets
	NMarks         int
	// Ops is the set of ICS operations (event.OpBit) the client requested
	// in the flow: what the inventory infers roles from.
	Ops uint32
}

// Options configure an Engine.
type Options struct {
	// Site is the facility's site model; nil means site.Default().
	Site *site.Site
	// MaxHosts bounds the hosts and MACs each State remembers (0 → 1<<20).
	// Hosts beyond it are counted in Stats.HostsDropped, not remembered.
	MaxHosts int
}

// Engine holds what is shared, read-only, by every State of a run.
type Engine struct {
	site     *site.Site
	given    bool // a site model was given (else the built-in default)
	maxHosts int
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
	return &Engine{site: s, given: opts.Site != nil && len(opts.Site.Zones) > 0, maxHosts: mh}
}

// Site returns the site model the engine judges against.
func (e *Engine) Site() *site.Site { return e.site }

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

// State is the detection state of one pipeline shard. It is not safe for
// concurrent use; each shard owns one, and Engine.Finish merges them.
type State struct {
	e         *Engine
	aggs      map[aggKey]*agg
	hosts     map[netip.Addr]*hostObs
	macs      map[[6]byte]*macObs
	ids       map[netip.Addr]map[string]any // device identities from ICS analyzers
	stns      map[[6]byte]*station          // devices that described themselves at layer 2 or by DHCP
	externals int                           // external addresses in hosts
	stats     Stats
	track     bool   // remember changed findings for Drain
	dirty     []*agg // findings changed since the last Drain
}

// NewState returns an empty State.
func (e *Engine) NewState() *State {
	return &State{
		e:     e,
		aggs:  make(map[aggKey]*agg),
		hosts: make(map[netip.Addr]*hostObs),
		macs:  make(map[[6]byte]*macObs),
		ids:   make(map[netip.Addr]map[string]any),
		stns:  make(map[[6]byte]*station),
	}
}

type aggKey struct {
	rule      string
	src, dst  netip.Addr
	app       app.App
	transport uint8
	port      uint16 // server port, only when app is unknown (tcp/PORT)
}

type agg struct {
	key              aggKey
	sev              finding.Severity
	src, dst         Endpoint
	srcZone, dstZone *site.Zone
	dport            uint16
	first, last      int64
	count            uint64
	packets, bytes   uint64
	marks            []Mark   // the smallest finding.MaxEvidence marks, sorted
	names            []string // sorted, at most maxDetailNames
	namesMore        bool
	via              []string     // for prohibited: dns, tls, http, cidr
	matches          []site.Match // for prohibited: the patterns matched, first seen first
	files            []fileOp
	filesMore        bool
	funcs            []string // ICS: the protocol's names of the operations
	funcsMore        bool
	accepted         uint64        // ICS: requests the device accepted
	statuses         []statusCount // ICS: error statuses answered, sorted
	dirty            bool          // changed since the last Drain (only when tracking)
	emitted          bool          // handed to Drain's callback at least once
}

type fileOp struct{ Op, Name string }

// maxHostMACs is how many MACs a host keeps: its own and, when it is also
// seen behind a gateway, the gateway's.
const maxHostMACs = 4

type hostObs struct {
	ip        netip.Addr
	macs      [maxHostMACs]macSeen // by first sight, earliest first
	nmacs     int
	mac       [6]byte // chosen in Finish
	hasMAC    bool
	zone      *site.Zone
	first     int64
	last      int64
	packets   uint64
	bytes     uint64
	apps      uint32               // bit per app.App
	served    uint32               // bit per app.App the host answered as a server
	ops       uint32               // ICS operations the host requested (event.OpBit)
	peers     [maxPeers]netip.Addr // ICS servers the host polled, sorted
	npeers    int
	morePeers bool
	vlans     vlanSet
	mark      Mark
}

// maxPeers bounds the ICS servers a host remembers polling; maxVLANs the
// VLANs it is seen on. Beyond them the host is marked as having more.
const (
	maxPeers = 16
	maxVLANs = 8
)

func (h *hostObs) addPeer(a netip.Addr) {
	i, found := slices.BinarySearchFunc(h.peers[:h.npeers], a, netip.Addr.Compare)
	if found {
		return
	}
	if h.npeers == maxPeers {
		h.morePeers = true
		return
	}
	copy(h.peers[i+1:h.npeers+1], h.peers[i:h.npeers])
	h.peers[i] = a
	h.npeers++
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
	mark Mark
}

func (ms macSeen) before(o macSeen) bool {
	return ms.ts < o.ts || (ms.ts == o.ts && ms.mark.less(o.mark))
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

type binding struct {
	ip   netip.Addr
	zone *site.Zone
	vlan uint16
	mark Mark
	ts   int64
}

const maxBindings = 16

type macObs struct {
	bindings []binding
	ips      int // distinct addresses seen (bounded by maxBindings)
	more     bool
}

func (s *State) get(k aggKey, sev finding.Severity, c *Conn, src, dst Endpoint, zs, zd *site.Zone) *agg {
	a := s.aggs[k]
	if a == nil {
		a = &agg{key: k, sev: sev, src: src, dst: dst, srcZone: zs, dstZone: zd, dport: dst.Port}
		s.aggs[k] = a
	}
	s.touch(a)
	if sev > a.sev {
		a.sev = sev
	}
	// The lowest server port stands for the finding (the control port of
	// FTP and TFTP, whose data flows join the same finding), whatever the
	// order flows end in.
	if dst.Port < a.dport {
		a.dport = dst.Port
	}
	return a
}

func (a *agg) seen(first, last int64) {
	if a.first == 0 || first < a.first {
		a.first = first
	}
	if last > a.last {
		a.last = last
	}
}

// addMark keeps the finding.MaxEvidence smallest marks, sorted, so that merging
// shards gives the same evidence whatever the number of workers.
func (a *agg) addMark(m Mark) {
	i, found := slices.BinarySearchFunc(a.marks, m, func(x, y Mark) int {
		switch {
		case x.less(y):
			return -1
		case y.less(x):
			return 1
		}
		return 0
	})
	if found {
		return
	}
	if len(a.marks) == finding.MaxEvidence {
		if i == finding.MaxEvidence {
			return
		}
		a.marks = a.marks[:finding.MaxEvidence-1]
	}
	a.marks = slices.Insert(a.marks, i, m)
}

func addSorted(list []string, more *bool, name string) []string {
	i, found := slices.BinarySearch(list, name)
	if found {
		return list
	}
	if len(list) == maxDetailNames {
		*more = true
		if i == maxDetailNames {
			return list
		}
		list = list[:maxDetailNames-1]
	}
	return slices.Insert(list, i, name)
}

func (s *State) key(rule string, c *Conn, src, dst netip.Addr) aggKey {
	k := aggKey{rule: rule, src: src, dst: dst, app: c.App, transport: c.Transport}
	if c.App == app.Unknown {
		k.port = c.Server.Port
	}
	return k
}

func crane(z *site.Zone) bool { return z.Kind.IsCrane() }

func control(z *site.Zone) bool { return z.Kind == site.KindCraneControl }

func external(z *site.Zone) bool { return z.Kind == site.KindExternal }

// local reports whether a is a destination that never leaves the segment
// (broadcast, multicast, unspecified): flows to it are not judged as
// crossings.
func local(a netip.Addr) bool {
	if a.IsMulticast() || a.IsUnspecified() || a.IsLinkLocalMulticast() {
		return true
	}
	if a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return true
	}
	return false
}

// Flow judges a flow at its end: segmentation, egress, remote access, file
// transfer and prohibited addresses; and records its hosts for the
// inventory and multi-homing checks.
func (s *State) Flow(c *Conn) { s.flow(c, judgeWhole) }

// FlowOpen judges a flow that is still open (a long-lived connection, at
// a packet-time epoch), so that its findings exist before it ends: it
// counts the flow in its findings, without its volume or its hosts. The
// flow's end must then be given to FlowRest, not Flow; together they
// record exactly what Flow would have at the end. The caller must judge
// open only a flow whose application can no longer change.
func (s *State) FlowOpen(c *Conn) { s.flow(c, judgeOpen) }

// FlowRest records the end of a flow judged open by FlowOpen: its volume
// and its hosts, without counting it again.
func (s *State) FlowRest(c *Conn) { s.flow(c, judgeRest) }

// judgeMode says which part of a flow's record a call to flow makes.
type judgeMode uint8

const (
	judgeWhole judgeMode = iota // the end of a flow never judged open
	judgeOpen                   // an open flow: counted, no volume, no hosts
	judgeRest                   // the end of a flow judged open: volume and hosts, not counted again
)

func (s *State) flow(c *Conn, mode judgeMode) {
	st := s.e.site
	zc := st.Zone(c.Client.IP, c.VLAN)
	zs := st.Zone(c.Server.IP, c.VLAN)
	var first Mark
	if c.NMarks > 0 {
		first = c.Marks[0]
	}
	if mode != judgeOpen {
		if h := s.host(c.Client, zc, c, c.Packets[0], c.Bytes[0], first); h != nil {
			h.ops |= c.Ops
			if c.App.ICS() && c.Packets[1] > 0 {
				h.addPeer(c.Server.IP)
			}
		}
		if c.Packets[1] > 0 {
			if h := s.host(c.Server, zs, c, c.Packets[1], c.Bytes[1], first); h != nil && c.App != app.Unknown {
				h.served |= 1 << c.App
			}
		}
	}
	if local(c.Server.IP) || local(c.Client.IP) {
		return
	}
	name := c.App.String()
	tr := app.Transport(c.Transport)
	allowed := st.Allows(zc, zs, name, tr, c.Server.Port)
	ext := external(zc) || external(zs)
	craneC, craneS := crane(zc), crane(zs)

	if zc != zs && !ext && !(zc.Builtin && zs.Builtin) && !allowed {
		sev := finding.Medium
		switch {
		case control(zc) || control(zs):
			sev = finding.Critical
		case craneC || craneS:
			sev = finding.High
		}
		s.flowAgg(finding.RuleCrossZone, sev, c, zc, zs, mode)
	}
	if ext && (craneC || craneS) && !allowed {
		sev := finding.High
		if control(zc) || control(zs) {
			sev = finding.Critical
		}
		s.flowAgg(finding.RuleEgressExternal, sev, c, zc, zs, mode)
	}
	if c.App.RemoteAccess() {
		into := craneS
		if c.App == app.TeamViewer || c.App == app.AnyDesk {
			into = craneS || craneC // the crane host dials out to the relay
		}
		if into && !st.IsGateway(c.Client.IP) {
			sev := finding.High
			if control(zc) || control(zs) {
				sev = finding.Critical
			}
			s.flowAgg(finding.RuleRemoteAccess, sev, c, zc, zs, mode)
		}
	}
	if c.App.FileTransfer() && (craneC || craneS) {
		sev := finding.High
		if control(zc) || control(zs) {
			sev = finding.Critical
		}
		s.flowAgg(finding.RuleFileTransfer, sev, c, zc, zs, mode)
	}
	if m, ok := st.ProhibitedAddr(c.Server.IP); ok {
		a := s.flowAgg(finding.RuleProhibited, finding.High, c, zc, zs, mode)
		a.via = addVia(a.via, "cidr")
		a.addMatch(m)
	} else if m, ok := st.ProhibitedAddr(c.Client.IP); ok {
		a := s.flowAgg(finding.RuleProhibited, finding.High, c, zc, zs, mode)
		a.via = addVia(a.via, "cidr")
		a.addMatch(m)
	}
}

func (a *agg) addMatch(m site.Match) {
	if !slices.Contains(a.matches, m) {
		a.matches = append(a.matches, m)
		slices.SortFunc(a.matches, func(x, y site.Match) int { return strings.Compare(x.Pattern, y.Pattern) })
	}
}

func addVia(v []string, via string) []string {
	if slices.Contains(v, via) {
		return v
	}
	v = append(v, via)
	slices.Sort(v)
	return v
}

func (s *State) flowAgg(rule string, sev finding.Severity, c *Conn, zc, zs *site.Zone, mode judgeMode) *agg {
	a := s.get(s.key(rule, c, c.Client.IP, c.Server.IP), sev, c, c.Client, c.Server, zc, zs)
	a.seen(c.First, c.Last)
	if mode != judgeRest {
		a.count++
	}
	if mode != judgeOpen {
		a.packets += c.Packets[0] + c.Packets[1]
		a.bytes += c.Bytes[0] + c.Bytes[1]
	}
	for _, m := range c.Marks[:c.NMarks] {
		a.addMark(m)
	}
	return a
}

// Name judges a name the client asked for — a DNS query, a TLS server name
// or an HTTP Host — against the prohibited domains. via is "dns", "tls" or
// "http"; m and ts are the packet carrying it.
func (s *State) Name(c *Conn, via string, name []byte, m Mark, ts int64) {
	match, ok := s.e.site.ProhibitedDomain(name)
	if !ok {
		return
	}
	st := s.e.site
	zc := st.Zone(c.Client.IP, c.VLAN)
	zs := st.Zone(c.Server.IP, c.VLAN)
	a := s.get(s.key(finding.RuleProhibited, c, c.Client.IP, c.Server.IP), finding.High, c, c.Client, c.Server, zc, zs)
	a.seen(ts, ts)
	a.count++
	a.addMark(m)
	a.names = addSorted(a.names, &a.namesMore, string(name))
	a.via = addVia(a.via, via)
	a.addMatch(match)
}

// File records a file named in a cleartext transfer (FTP STOR/RETR, TFTP
// RRQ/WRQ, SMB tree connect or create). op is "upload", "download",
// "share" or "open". Only transfers touching a crane zone are kept; the
// finding itself is counted when the flow ends.
func (s *State) File(c *Conn, op string, name []byte, m Mark, ts int64) {
	st := s.e.site
	zc := st.Zone(c.Client.IP, c.VLAN)
	zs := st.Zone(c.Server.IP, c.VLAN)
	if !crane(zc) && !crane(zs) {
		return
	}
	sev := finding.High
	if control(zc) || control(zs) {
		sev = finding.Critical
	}
	a := s.get(s.key(finding.RuleFileTransfer, c, c.Client.IP, c.Server.IP), sev, c, c.Client, c.Server, zc, zs)
	a.seen(ts, ts)
	a.addMark(m)
	f := fileOp{Op: op, Name: string(name)}
	if slices.Contains(a.files, f) {
		return
	}
	if len(a.files) >= maxDetailNames {
		a.filesMore = true
		return
	}
	a.files = append(a.files, f)
}

// ARP records an ARP sender's binding of MAC to address.
func (s *State) ARP(mac [6]byte, ip netip.Addr, vlan uint16, m Mark, ts int64) {
	if !ip.IsValid() || ip.IsUnspecified() {
		return
	}
	z := s.e.site.Zone(ip, vlan)
	c := Conn{VLAN: vlan, First: ts, Last: ts}
	s.host(Endpoint{IP: ip, MAC: mac, HasMAC: true}, z, &c, 1, 0, m)
}

func (s *State) host(ep Endpoint, z *site.Zone, c *Conn, pkts, bytes uint64, m Mark) *hostObs {
	if !ep.IP.IsValid() || ep.IP.IsUnspecified() || local(ep.IP) {
		return nil
	}
	h := s.hosts[ep.IP]
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
		}
		if ext {
			s.externals++
		}
		h = &hostObs{ip: ep.IP, zone: z, first: c.First, mark: m}
		s.hosts[ep.IP] = h
	}
	if ep.HasMAC {
		h.addMAC(macSeen{mac: ep.MAC, ts: c.First, mark: m})
	}
	if c.First < h.first || (c.First == h.first && m.less(h.mark)) {
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
		mo = &macObs{}
		s.macs[ep.MAC] = mo
	}
	for i := range mo.bindings {
		b := &mo.bindings[i]
		if b.ip == ep.IP && b.vlan == c.VLAN {
			if c.First < b.ts || (c.First == b.ts && m.less(b.mark)) {
				b.ts, b.mark = c.First, m
			}
			return h
		}
	}
	if len(mo.bindings) >= maxBindings {
		mo.more = true
		return h
	}
	mo.bindings = append(mo.bindings, binding{ip: ep.IP, zone: z, vlan: c.VLAN, mark: m, ts: c.First})
	return h
}

// Stats returns what the State could not keep.
func (s *State) Stats() Stats { return s.stats }

// HasIdentity reports whether the device at ip already told key of
// itself, so that the caller builds an identity record only for news.
func (s *State) HasIdentity(ip netip.Addr, key string) bool {
	_, ok := s.ids[ip][key]
	return ok
}

// Identity records what a device said of itself (S7 SZL module
// identification, CIP identity object, Modbus device identification):
// vendor, product, order number, serial, firmware… Keys already known for
// the address are kept.
func (s *State) Identity(ip netip.Addr, id map[string]any) {
	if len(id) == 0 || !ip.IsValid() {
		return
	}
	m := s.ids[ip]
	if m == nil {
		if len(s.ids) >= s.e.maxHosts {
			s.stats.HostsDropped++
			return
		}
		m = map[string]any{}
		s.ids[ip] = m
	}
	for k, v := range id {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
}

// station is what a device said of itself at layer 2 (LLDP, CDP, PROFINET
// DCP) or over DHCP, keyed by its MAC.
type station struct {
	mac         [6]byte
	ips         []netip.Addr // sorted, at most maxStationIPs
	vlans       vlanSet
	id          map[string]any
	sources     uint8 // bit per discovery source
	first, last int64
	mark        Mark
	frames      uint64
}

const maxStationIPs = 8

// Discovery sources of Station.
const (
	SourceLLDP = "lldp"
	SourceCDP  = "cdp"
	SourceDCP  = "profinet-dcp"
	SourceDHCP = "dhcp"
)

var sourceNames = [...]string{SourceLLDP, SourceCDP, SourceDCP, SourceDHCP}

func sourceBit(src string) uint8 {
	for i, n := range sourceNames {
		if n == src {
			return 1 << i
		}
	}
	return 0
}

// Again reports whether the station mac already told source what it is,
// and then counts this message (its frames and last time): the caller
// builds an identity record, and calls Station, only for news.
func (s *State) Again(mac [6]byte, source string, ts int64) bool {
	st := s.stns[mac]
	if st == nil || st.sources&sourceBit(source) == 0 {
		return false
	}
	st.frames++
	if ts > st.last {
		st.last = ts
	}
	return true
}

// Station records what a device said of itself in a discovery message
// (source: SourceLLDP, SourceCDP, SourceDCP or SourceDHCP): its MAC, an
// address it uses or asks for (may be invalid), the VLAN the frame came
// on, and identity fields (system name, description, station name,
// hostname, vendor class…). Keys already known for the MAC are kept.
func (s *State) Station(mac [6]byte, ip netip.Addr, vlan uint16, source string, id map[string]any, m Mark, ts int64) {
	st := s.stns[mac]
	if st == nil {
		if len(s.stns) >= s.e.maxHosts {
			s.stats.HostsDropped++
			return
		}
		st = &station{mac: mac, first: ts, last: ts, mark: m, id: map[string]any{}}
		s.stns[mac] = st
	}
	st.observe(ip, vlan, ts, m)
	st.sources |= sourceBit(source)
	st.frames++
	for k, v := range id {
		if _, ok := st.id[k]; !ok {
			st.id[k] = v
		}
	}
}

func (st *station) observe(ip netip.Addr, vlan uint16, ts int64, m Mark) {
	if ts < st.first || (ts == st.first && m.less(st.mark)) {
		st.first, st.mark = ts, m
	}
	if ts > st.last {
		st.last = ts
	}
	st.vlans.add(vlan)
	st.addIP(ip)
}

func (st *station) addIP(ip netip.Addr) {
	if !ip.IsValid() || ip.IsUnspecified() {
		return
	}
	if i, found := slices.BinarySearchFunc(st.ips, ip, netip.Addr.Compare); !found && len(st.ips) < maxStationIPs {
		st.ips = slices.Insert(st.ips, i, ip)
	}
}

func (st *station) merge(o *station) {
	if o.first < st.first || (o.first == st.first && o.mark.less(st.mark)) {
		st.first, st.mark = o.first, o.mark
	}
	if o.last > st.last {
		st.last = o.last
	}
	for _, ip := range o.ips {
		st.addIP(ip)
	}
	st.vlans.merge(&o.vlans)
	st.sources |= o.sources
	st.frames += o.frames
	for k, v := range o.id {
		if _, ok := st.id[k]; !ok {
			st.id[k] = v
		}
	}
}
