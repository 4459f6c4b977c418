package site

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Conduit is one allowed flow between zones. An empty list allows anything
// in its dimension.
type Conduit struct {
	ID          string
	Description string
	From, To    string      // a zone id, or "kind:" and a zone kind
	Protocols   []string    // canonical names (see NormalizeApp)
	Ports       []PortRange // server ports
	Operations  []string    // ICS operations (see the list in the package doc)
	Windows     []string    // ids of change windows the operations are limited to
	Line        int         // line of the conduit in the file

	from, to endpoint
	apps     []string // named protocols of Protocols
	tcpPorts []uint16 // ports of tcp/PORT entries
	udpPorts []uint16 // ports of udp/PORT entries
	windows  []*Window
}

// endpoint is a compiled From or To.
type endpoint struct {
	id   string   // zone id, when kind is empty
	kind ZoneKind // zone kind, for "kind:<kind>"
}

func parseEndpoint(s string) endpoint {
	if k, ok := strings.CutPrefix(s, kindPrefix); ok {
		return endpoint{kind: ZoneKind(k)}
	}
	return endpoint{id: s}
}

func (e endpoint) matches(z *Zone) bool {
	if e.kind != "" {
		return z.Kind == e.kind
	}
	return z.ID == e.id
}

const kindPrefix = "kind:"

func (c *Conduit) compile(windows map[string]*Window) {
	c.from, c.to = parseEndpoint(c.From), parseEndpoint(c.To)
	c.apps, c.tcpPorts, c.udpPorts, c.windows = nil, nil, nil, nil
	for _, p := range c.Protocols {
		if t, port, ok := splitTransportPort(p); ok {
			if t == "tcp" {
				c.tcpPorts = append(c.tcpPorts, port)
			} else {
				c.udpPorts = append(c.udpPorts, port)
			}
			continue
		}
		c.apps = append(c.apps, p)
	}
	for _, id := range c.Windows {
		if w := windows[id]; w != nil {
			c.windows = append(c.windows, w)
		}
	}
}

// allows reports whether c allows the flow; transport "" matches both tcp/
// and udp/ entries.
func (c *Conduit) allows(from, to *Zone, app, transport string, port uint16) bool {
	if !c.from.matches(from) || !c.to.matches(to) {
		return false
	}
	if len(c.Ports) > 0 && !slices.ContainsFunc(c.Ports, func(r PortRange) bool { return r.Contains(port) }) {
		return false
	}
	if len(c.Protocols) == 0 {
		return true
	}
	app = canonicalApp(app)
	for _, a := range c.apps {
		if a == app {
			return true
		}
	}
	if transport != "udp" && slices.Contains(c.tcpPorts, port) {
		return true
	}
	if transport != "tcp" && slices.Contains(c.udpPorts, port) {
		return true
	}
	return false
}

// Allows reports whether a conduit allows a flow whose client is in zone from
// and whose server is in zone to, speaking app (a name as NormalizeApp
// returns it, or an alias) over transport ("tcp" or "udp") to server port
// port. A conduit's tcp/PORT and udp/PORT entries match any app with that
// transport and port. Operations and windows are ignored; see AllowsOp.
func (s *Site) Allows(from, to *Zone, app, transport string, port uint16) bool {
	if from == nil || to == nil {
		return false
	}
	for i := range s.Conduits {
		if s.Conduits[i].allows(from, to, app, transport, port) {
			return true
		}
	}
	return false
}

// AllowsOp reports whether a conduit allows the ICS operation op (read,
// write, program-download, …) from a client in zone from to a server in zone
// to speaking app on server port port at time ts. Besides what Allows checks,
// the conduit's operations must be empty or hold op, and its windows must be
// empty or one of them must contain ts. tcp/PORT and udp/PORT entries match
// either transport here.
func (s *Site) AllowsOp(from, to *Zone, app string, port uint16, op string, ts time.Time) bool {
	return s.allowsOp(from, to, app, port, op, ts, true)
}

// AllowsOpAnyTime is AllowsOp without the windows: whether some conduit
// would allow the operation inside its change windows.
func (s *Site) AllowsOpAnyTime(from, to *Zone, app string, port uint16, op string) bool {
	return s.allowsOp(from, to, app, port, op, time.Time{}, false)
}

func (s *Site) allowsOp(from, to *Zone, app string, port uint16, op string, ts time.Time, windows bool) bool {
	if from == nil || to == nil {
		return false
	}
	for i := range s.Conduits {
		c := &s.Conduits[i]
		if !c.allows(from, to, app, "", port) {
			continue
		}
		if len(c.Operations) > 0 && !slices.Contains(c.Operations, op) {
			continue
		}
		if len(c.Windows) == 0 || !windows {
			return true
		}
		for _, w := range c.windows {
			if w.Contains(ts) {
				return true
			}
		}
	}
	return false
}

// PortRange is an inclusive range of ports; a single port has Lo == Hi.
type PortRange struct {
	Lo, Hi uint16
}

// Contains reports whether p is in r.
func (r PortRange) Contains(p uint16) bool { return r.Lo <= p && p <= r.Hi }

// String formats r as "502" or "1024-2047".
func (r PortRange) String() string {
	if r.Lo == r.Hi {
		return fmt.Sprint(r.Lo)
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// Window is a change window: approved maintenance time from Start to End,
// repeated every Every after Start when Every is not zero.
type Window struct {
	ID         string
	Start, End time.Time // UTC; End after Start
	Every      time.Duration
	Line       int // line of the window in the file
}

// Contains reports whether ts falls in the window: Start ≤ ts < End, or the
// same interval moved by a whole number of Every later. Times before Start
// are never in the window.
func (w *Window) Contains(ts time.Time) bool {
	if ts.Before(w.Start) {
		return false
	}
	if w.Every <= 0 {
		return ts.Before(w.End)
	}
	// Sub saturates for spans beyond ±292 years; windows that far from ts
	// are out of scope.
	off := ts.Sub(w.Start) % w.Every
	return off < w.End.Sub(w.Start)
}

// Match says which prohibited pattern matched and which list it came from.
type Match struct {
	Pattern string // the domain or CIDR as listed
	Source  string // SourceLOGINK or SourceSite
}

// Match sources.
const (
	SourceLOGINK = "builtin:logink" // the built-in LOGINK list
	SourceSite   = "site"           // the site's prohibited: list
)

// builtinDomains are the domains of LOGINK, the logistics platform of the
// People's Republic of China, whose use 46 U.S.C. 50309 prohibits to covered
// U.S. port entities. They are prohibited on every site.
var builtinDomains = []string{"logink.cn", "logink.org", "neal-net.net"}

// BuiltinDomains returns the built-in prohibited domains (the LOGINK
// platform, 46 U.S.C. 50309), active on every site with Source
// SourceLOGINK.
func BuiltinDomains() []string { return slices.Clone(builtinDomains) }

// maxDomainLen is the longest domain name in text form (RFC 1035 §2.3.4:
// 255 octets on the wire, 253 characters without the trailing dot).
const maxDomainLen = 253

// ProhibitedDomain reports whether name, a domain name as it appears in a
// DNS query, TLS SNI or HTTP Host (any case, with or without a trailing dot),
// is a prohibited domain or a subdomain of one. When both lists match, the
// built-in list wins; within a list the longest pattern wins. It does not
// allocate.
func (s *Site) ProhibitedDomain(name []byte) (Match, bool) {
	n := len(name)
	if n > 0 && name[n-1] == '.' {
		n--
	}
	if n == 0 {
		return Match{}, false
	}
	// Only the last maxDomain bytes can match, plus one for the dot before.
	var buf [maxDomainLen + 1]byte
	start := max(0, n-len(buf))
	tail := buf[:n-start]
	for i, c := range name[start:n] {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		tail[i] = c
	}
	var best Match
	found := false
	for i := range tail {
		switch {
		case len(tail)-i > s.maxDomain:
			continue
		case i == 0 && start > 0:
			continue // cannot happen: tail is longer than any pattern
		case i > 0 && tail[i-1] != '.':
			continue
		}
		m, ok := s.domains[string(tail[i:])]
		if !ok {
			continue
		}
		if m.Source == SourceLOGINK {
			return m, true
		}
		if !found {
			best, found = m, true
		}
	}
	return best, found
}

// ProhibitedAddr reports whether a is in one of the site's prohibited CIDRs;
// the most specific one is returned. It does not allocate.
func (s *Site) ProhibitedAddr(a netip.Addr) (Match, bool) {
	if !a.IsValid() {
		return Match{}, false
	}
	a = a.Unmap()
	if a.Is4() {
		return s.badV4.lookup(a)
	}
	return s.badV6.lookup(a)
}
