package report

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"harborwatch/inventory"
)

// Seen is what a run without a site model saw: without zones, conduits
// and change windows nothing of it is judged (an ICS write is a finding
// only against a site), so the report says what went by instead — hosts
// by role, protocols, ICS operations by kind and pair, remote access,
// file transfers and suppliers of concern.
type Seen struct {
	Hosts         []NameCount `json:"hosts_by_role"` // hosts (assets seen) by their main role
	Protocols     []NameCount `json:"protocols"`     // flows by protocol analyzer (the flows it confirmed)
	Requests      uint64      `json:"ics_requests"`
	Operations    []OpCount   `json:"ics_operations"`       // by protocol and operation
	RemoteAccess  []PairCount `json:"remote_access"`        // requests (sessions, logins, …) by protocol and pair
	FileTransfers []PairCount `json:"file_transfers"`       // requests (uploads, downloads, commands) by protocol and pair
	Suppliers     []NameCount `json:"suppliers_of_concern"` // devices by supplier
}

// NameCount is a count of something named.
type NameCount struct {
	Name string `json:"name"`
	N    uint64 `json:"n"`
}

// OpCount is how often one ICS operation was requested over one
// protocol, and between which hosts (the busiest MaxSeenPairs pairs).
type OpCount struct {
	Proto     string      `json:"proto"`
	Op        string      `json:"op"`
	N         uint64      `json:"n"`
	Pairs     []PairCount `json:"pairs"`
	MorePairs int         `json:"more_pairs,omitempty"`
}

// PairCount is a count between a client and a server.
type PairCount struct {
	App    string     `json:"app,omitempty"`
	Client netip.Addr `json:"client"`
	Server netip.Addr `json:"server"`
	N      uint64     `json:"n"`
}

// MaxSeenPairs is the most pairs Seen lists per operation, and the most
// remote-access and file-transfer pairs.
const MaxSeenPairs = 5

// maxSeenPairKeys bounds the pairs a Counter keeps per list: beyond it
// new pairs are counted in the totals only.
const maxSeenPairKeys = 100_000

// Counter counts what a run without a site model saw, from the events
// of the run and its analyzers' flow counts. It is not safe for
// concurrent use: a run keeps one per shard and merges them.
type Counter struct {
	apps      map[string]uint64
	ops       map[opKey]uint64
	opPairs   map[opPair]uint64
	remote    map[PairCount]uint64 // N zero in the key
	transfers map[PairCount]uint64
	requests  uint64
}

type opKey struct{ proto, op string }

type opPair struct {
	opKey
	c, s netip.Addr
}

// NewCounter returns an empty Counter.
func NewCounter() *Counter {
	return &Counter{apps: map[string]uint64{}, ops: map[opKey]uint64{}, opPairs: map[opPair]uint64{},
		remote: map[PairCount]uint64{}, transfers: map[PairCount]uint64{}}
}

var (
	seenRemote    = []string{"ssh", "telnet", "rdp", "vnc", "teamviewer", "anydesk"}
	seenTransfers = []string{"ftp", "tftp", "smb"}
)

// Protocol adds flows of a protocol (the flows its analyzer confirmed).
func (c *Counter) Protocol(name string, flows uint64) {
	if flows > 0 {
		c.apps[name] += flows
	}
}

// itProtos are the protocols of events that are no ICS requests (names,
// TLS, web, files, remote access, time, video).
var itProtos = []string{"dns", "tls", "http", "ftp", "tftp", "smb", "rdp", "ssh", "telnet", "teamviewer", "anydesk", "vnc",
	"ntp", "rtsp", "dhcp", "lldp", "cdp", "mdns", "ssdp", "netbios", "snmp"}

// Op counts the request of an event: of an ICS protocol by operation
// and pair, of a remote-access or file-transfer protocol by pair.
func (c *Counter) Op(proto, op string, client, server netip.Addr) {
	pk := PairCount{App: proto, Client: client, Server: server}
	switch {
	case slices.Contains(seenRemote, proto):
		if _, ok := c.remote[pk]; ok || len(c.remote) < maxSeenPairKeys {
			c.remote[pk]++
		}
		return
	case slices.Contains(seenTransfers, proto):
		if _, ok := c.transfers[pk]; ok || len(c.transfers) < maxSeenPairKeys {
			c.transfers[pk]++
		}
		return
	}
	if op == "" || slices.Contains(itProtos, proto) {
		return
	}
	c.requests++
	k := opKey{proto, op}
	c.ops[k]++
	p := opPair{k, client, server}
	if _, ok := c.opPairs[p]; ok || len(c.opPairs) < maxSeenPairKeys {
		c.opPairs[p]++
	}
}

// Merge adds what o counted.
func (c *Counter) Merge(o *Counter) {
	c.requests += o.requests
	for k, n := range o.apps {
		c.apps[k] += n
	}
	for k, n := range o.ops {
		c.ops[k] += n
	}
	for k, n := range o.opPairs {
		if _, ok := c.opPairs[k]; ok || len(c.opPairs) < maxSeenPairKeys {
			c.opPairs[k] += n
		}
	}
	for k, n := range o.remote {
		c.remote[k] += n
	}
	for k, n := range o.transfers {
		c.transfers[k] += n
	}
}

// Seen returns what was counted, with the hosts and suppliers of the
// inventory's assets.
func (c *Counter) Seen(assets []inventory.Asset) *Seen {
	s := &Seen{Hosts: []NameCount{}, Protocols: []NameCount{}, Operations: []OpCount{}, RemoteAccess: []PairCount{},
		FileTransfers: []PairCount{}, Suppliers: []NameCount{}, Requests: c.requests}
	roles, sups := map[string]uint64{}, map[string]uint64{}
	for i := range assets {
		a := &assets[i]
		if !a.Observed {
			continue
		}
		role := "other"
		if len(a.Roles) > 0 {
			role = a.Roles[0].Role
		}
		roles[role]++
		if len(a.Concern) > 0 {
			sups[a.Concern[0].Name]++
		}
	}
	s.Hosts, s.Suppliers = sortedCounts(roles), sortedCounts(sups)
	s.Protocols = sortedCounts(c.apps)
	byOp := map[opKey][]PairCount{}
	for p, n := range c.opPairs {
		byOp[p.opKey] = append(byOp[p.opKey], PairCount{Client: p.c, Server: p.s, N: n})
	}
	for k, n := range c.ops {
		ps := byOp[k]
		sortPairs(ps)
		oc := OpCount{Proto: k.proto, Op: k.op, N: n, Pairs: ps}
		if len(ps) > MaxSeenPairs {
			oc.Pairs, oc.MorePairs = ps[:MaxSeenPairs], len(ps)-MaxSeenPairs
		}
		s.Operations = append(s.Operations, oc)
	}
	slices.SortFunc(s.Operations, func(a, b OpCount) int {
		return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Op, b.Op))
	})
	pairs := func(m map[PairCount]uint64) []PairCount {
		out := []PairCount{}
		for k, n := range m {
			k.N = n
			out = append(out, k)
		}
		sortPairs(out)
		return out
	}
	s.RemoteAccess, s.FileTransfers = pairs(c.remote), pairs(c.transfers)
	return s
}

func sortPairs(ps []PairCount) {
	slices.SortFunc(ps, func(a, b PairCount) int {
		return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.App, b.App), a.Client.Compare(b.Client), a.Server.Compare(b.Server))
	})
}

func sortedCounts(m map[string]uint64) []NameCount {
	out := make([]NameCount, 0, len(m))
	for k, n := range m {
		out = append(out, NameCount{k, n})
	}
	slices.SortFunc(out, func(a, b NameCount) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Name, b.Name)) })
	return out
}

// drasticSeen are the operations that change what a controller runs:
// the summary marks them.
var drasticSeen = []string{"program-download", "program-upload", "program-delete", "firmware-update", "plc-stop", "plc-start", "config-change"}

// seen writes the summary of a run without a site model.
func (t *textWriter) seen(s *Seen) {
	t.printf("NO SITE MODEL: nothing was judged against zones, conduits or change windows\n")
	t.printf("(ICS writes, remote access and cross-zone traffic are findings only against a site). What went by:\n")
	var hosts uint64
	var parts []string
	for _, h := range s.Hosts {
		hosts += h.N
		parts = append(parts, Count(h.N)+" "+h.Name)
	}
	t.printf("  hosts           %s", Count(hosts))
	if len(parts) > 0 {
		t.printf(": %s", strings.Join(parts, ", "))
	}
	t.printf("\n")
	parts = parts[:0]
	for i, p := range s.Protocols {
		if i == 12 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, p.Name+" "+Count(p.N))
	}
	t.printf("  flows           %s\n", or(strings.Join(parts, ", "), "none"))
	t.printf("  ICS requests    %s\n", Count(s.Requests))
	for _, o := range s.Operations {
		mark := ""
		if slices.Contains(drasticSeen, o.Op) {
			mark = "  (changes what the controller runs)"
		}
		t.printf("    %-10s %-18s %10s%s\n", o.Proto, o.Op, Count(o.N), mark)
		var ps []string
		for _, p := range o.Pairs {
			ps = append(ps, p.Client.String()+" → "+p.Server.String()+" "+Count(p.N))
		}
		if o.MorePairs > 0 {
			ps = append(ps, Nouns(uint64(o.MorePairs), "more pair", "more pairs"))
		}
		t.printf("               %s\n", strings.Join(ps, ", "))
	}
	pairLines := func(label string, ps []PairCount) {
		if len(ps) == 0 {
			t.printf("  %-15s none\n", label)
			return
		}
		t.printf("  %-15s %s\n", label, Nouns(uint64(len(ps)), "client-server pair", "client-server pairs"))
		for i, p := range ps {
			if i == MaxSeenPairs {
				t.printf("    … %d more\n", len(ps)-i)
				break
			}
			t.printf("    %-10s %s → %s, %s\n", p.App, p.Client, p.Server, Nouns(p.N, "request", "requests"))
		}
	}
	pairLines("remote access", s.RemoteAccess)
	pairLines("file transfers", s.FileTransfers)
	parts = parts[:0]
	var n uint64
	for _, sp := range s.Suppliers {
		n += sp.N
		parts = append(parts, sp.Name+" "+Count(sp.N))
	}
	if n == 0 {
		t.printf("  suppliers of concern: none seen\n")
	} else {
		t.printf("  suppliers of concern: %s: %s\n", Nouns(n, "device", "devices"), strings.Join(parts, ", "))
	}
	t.printf("Draft a site model from these captures, review it, then analyze with it:\n")
	t.printf("  harborwatch site learn --out site.yaml CAPTURE...\n\n")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
