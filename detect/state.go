package detect

import (
	"net/netip"
	"slices"
	"strings"

	"harborwatch/app"
	"harborwatch/finding"
	"harborwatch/observe"
	"harborwatch/site"
)

// Options configure an Engine.
type Options struct {
	// Site is the facility's site model; nil means site.Default().
	Site *site.Site
}

// Engine holds what is shared, read-only, by every State of a run.
type Engine struct {
	site  *site.Site
	given bool // a site model was given (else the built-in default)
}

// New returns an Engine for the site in opts.
func New(opts Options) *Engine {
	s := opts.Site
	if s == nil {
		s = site.Default()
	}
	return &Engine{site: s, given: opts.Site != nil && len(opts.Site.Zones) > 0}
}

// Site returns the site model the engine judges against.
func (e *Engine) Site() *site.Site { return e.site }

// State is the detection state of one pipeline shard: the findings made
// so far from flows and protocol events. It is not safe for concurrent
// use; each shard owns one, and Engine.Finish merges them.
type State struct {
	e     *Engine
	aggs  map[aggKey]*agg
	track bool   // remember changed findings for Drain
	dirty []*agg // findings changed since the last Drain
}

// NewState returns an empty State.
func (e *Engine) NewState() *State {
	return &State{e: e, aggs: make(map[aggKey]*agg)}
}

type aggKey struct {
	rule      string
	src, dst  netip.Addr
	app       app.App
	transport uint8
	port      uint16 // server port, only when app is unknown (tcp/PORT)
	// The MACs of a layer-2 exchange (transport 0, PROFINET DCP), whose
	// addresses may be unknown.
	srcMAC, dstMAC [6]byte
}

type agg struct {
	key              aggKey
	sev              finding.Severity
	src, dst         observe.Endpoint
	srcZone, dstZone *site.Zone
	dport            uint16
	first, last      int64
	count            uint64
	packets, bytes   uint64
	marks            []finding.Mark // the smallest finding.MaxEvidence marks, sorted
	names            []string       // sorted, at most maxDetailNames
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

// maxDetailNames bounds the names (files, domains) kept in a finding's detail.
const maxDetailNames = 20

func (s *State) get(k aggKey, sev finding.Severity, c *observe.Conn, src, dst observe.Endpoint, zs, zd *site.Zone) *agg {
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
func (a *agg) addMark(m finding.Mark) {
	i, found := slices.BinarySearchFunc(a.marks, m, finding.Mark.Compare)
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

func (s *State) key(rule string, c *observe.Conn, src, dst netip.Addr) aggKey {
	k := aggKey{rule: rule, src: src, dst: dst, app: c.App, transport: c.Transport}
	if c.App == app.Unknown {
		k.port = c.Server.Port
	}
	if c.Transport == 0 {
		k.srcMAC, k.dstMAC = c.Client.MAC, c.Server.MAC
	}
	return k
}

func crane(z *site.Zone) bool { return z.Kind.IsCrane() }

func control(z *site.Zone) bool { return z.Kind == site.KindCraneControl }

func external(z *site.Zone) bool { return z.Kind == site.KindExternal }

// Flow judges a flow at its end: segmentation, egress, remote access, file
// transfer and prohibited addresses. (Its hosts are recorded by
// observation: observe.State.Flow, called at the same end.)
func (s *State) Flow(c *observe.Conn) { s.flow(c, judgeWhole) }

// FlowOpen judges a flow that is still open (a long-lived connection, at
// a packet-time epoch), so that its findings exist before it ends: it
// counts the flow in its findings, without its volume, and returns the
// rules it fired (a bit per rule, FlowRules). The flow's end must then be
// given to FlowRest with those bits, not to Flow; together they record
// exactly what Flow would have at the end. The caller must judge open only
// a flow whose application can no longer change.
func (s *State) FlowOpen(c *observe.Conn) (fired uint8) { return s.flow(c, judgeOpen) }

// FlowRest records the end of a flow judged open by FlowOpen, which fired
// the rules in fired: its volume and its last packets, without counting it
// again or judging it again (the rules a flow fires depend only on what
// was settled when it was judged open: its addresses, VLAN, application
// and server port).
func (s *State) FlowRest(c *observe.Conn, fired uint8) {
	for i, rule := range flowRules {
		if fired&(1<<i) == 0 {
			continue
		}
		a := s.aggs[s.key(rule, c, c.Client.IP, c.Server.IP)]
		if a == nil {
			continue
		}
		s.touch(a)
		a.seen(c.First, c.Last)
		a.packets += c.Packets[0] + c.Packets[1]
		a.bytes += c.Bytes[0] + c.Bytes[1]
		for _, m := range c.Marks[:c.NMarks] {
			a.addMark(m)
		}
	}
}

// flowRules are the rules a flow's end judges, in the order of FlowOpen's
// bits.
var flowRules = [...]string{finding.RuleCrossZone, finding.RuleEgressExternal, finding.RuleRemoteAccess, finding.RuleFileTransfer, finding.RuleProhibited}

// judgeMode says which part of a flow's record a call to flow makes.
type judgeMode uint8

const (
	judgeWhole judgeMode = iota // the end of a flow never judged open
	judgeOpen                   // an open flow: counted, no volume
)

func (s *State) flow(c *observe.Conn, mode judgeMode) (fired uint8) {
	if observe.Local(c.Server.IP) || observe.Local(c.Client.IP) {
		return 0
	}
	st := s.e.site
	zc := st.Zone(c.Client.IP, c.VLAN)
	zs := st.Zone(c.Server.IP, c.VLAN)
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
		s.flowAgg(finding.RuleCrossZone, capNonApp(sev, c.Transport, craneC || craneS), c, zc, zs, mode)
		fired |= 1 << 0
	}
	if ext && (craneC || craneS) && !allowed {
		sev := finding.High
		if control(zc) || control(zs) {
			sev = finding.Critical
		}
		s.flowAgg(finding.RuleEgressExternal, capNonApp(sev, c.Transport, true), c, zc, zs, mode)
		fired |= 1 << 1
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
			fired |= 1 << 2
		}
	}
	if c.App.FileTransfer() && (craneC || craneS) {
		sev := finding.High
		if control(zc) || control(zs) {
			sev = finding.Critical
		}
		s.flowAgg(finding.RuleFileTransfer, sev, c, zc, zs, mode)
		fired |= 1 << 3
	}
	if m, ok := st.ProhibitedAddr(c.Server.IP); ok {
		a := s.flowAgg(finding.RuleProhibited, finding.High, c, zc, zs, mode)
		a.via = addVia(a.via, "cidr")
		a.addMatch(m)
		fired |= 1 << 4
	} else if m, ok := st.ProhibitedAddr(c.Client.IP); ok {
		a := s.flowAgg(finding.RuleProhibited, finding.High, c, zc, zs, mode)
		a.via = addVia(a.via, "cidr")
		a.addMatch(m)
		fired |= 1 << 4
	}
	return fired
}

// capNonApp grades a segmentation or egress finding by what crossed: a
// flow that carries no application — ICMP or ICMPv6 (echo, unreachable,
// …) or another IP protocol than TCP and UDP — can neither move a crane
// nor change a PLC, so it is at most medium (medium when a crane zone is
// involved, low otherwise), whatever the zones. TCP and UDP flows keep
// the zones' severity.
func capNonApp(sev finding.Severity, transport uint8, crane bool) finding.Severity {
	const tcp, udp = 6, 17
	if transport == tcp || transport == udp {
		return sev
	}
	limit := finding.Low
	if crane {
		limit = finding.Medium
	}
	return min(sev, limit)
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

func (s *State) flowAgg(rule string, sev finding.Severity, c *observe.Conn, zc, zs *site.Zone, mode judgeMode) *agg {
	a := s.get(s.key(rule, c, c.Client.IP, c.Server.IP), sev, c, c.Client, c.Server, zc, zs)
	a.seen(c.First, c.Last)
	a.count++
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
func (s *State) Name(c *observe.Conn, via string, name []byte, m finding.Mark, ts int64) {
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

// Insecure judges a session opened without protection
// (proto.Insecurer: an OPC UA channel with SecurityPolicy None) towards a
// server in a crane zone: an ics.insecure-channel finding, high into
// crane control, else medium, one per client, server and application,
// counting the sessions opened; why goes to the detail.
func (s *State) Insecure(c *observe.Conn, why string, m finding.Mark, ts int64) {
	st := s.e.site
	zc := st.Zone(c.Client.IP, c.VLAN)
	zs := st.Zone(c.Server.IP, c.VLAN)
	if !crane(zs) {
		return
	}
	sev := finding.Medium
	if control(zs) {
		sev = finding.High
	}
	a := s.get(s.key(finding.RuleICSInsecure, c, c.Client.IP, c.Server.IP), sev, c, c.Client, c.Server, zc, zs)
	a.seen(ts, ts)
	a.addMark(m)
	a.count++
	if !slices.Contains(a.names, why) {
		a.names = addSorted(a.names, &a.namesMore, why)
	}
}

// File records a file named in a cleartext transfer (FTP STOR/RETR, TFTP
// RRQ/WRQ, SMB tree connect or create). op is "upload", "download",
// "share" or "open". Only transfers touching a crane zone are kept; the
// finding itself is counted when the flow ends.
func (s *State) File(c *observe.Conn, op string, name []byte, m finding.Mark, ts int64) {
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
