package site

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

const policyYAML = `
version: 1
zones:
  - {id: mgmt, kind: crane-management, cidrs: [10.10.9.0/24]}
  - {id: ctl1, kind: crane-control, cidrs: [10.10.1.0/24]}
  - {id: ctl2, kind: crane-control, cidrs: [10.10.11.0/24]}
  - {id: cctv, kind: crane-noncritical, cidrs: [10.10.2.0/24]}
  - {id: tos, kind: business, cidrs: [10.50.0.0/16]}
  - {id: rcms, kind: remote-access, cidrs: [10.20.0.0/28]}
  - {id: partner, kind: external, cidrs: [198.51.100.0/24]}
change_windows:
  - {id: weekly, start: "2026-11-02T08:00:00Z", end: "2026-11-02T12:00:00Z", every: 168h}
  - {id: once, start: "2026-12-24T06:00:00Z", end: "2026-12-24T18:00:00Z"}
conduits:
  - {from: mgmt, to: "kind:crane-control", protocols: [s7comm, modbus, cip], ports: [102, 502, 44818], operations: [read, write]}
  - {from: tos, to: mgmt, protocols: [tls]}
  - {from: rcms, to: mgmt, protocols: [tcp/3389, udp/1194]}
  - {from: "kind:crane-noncritical", to: mgmt, ports: ["554", "8000-8100"]}
  - {from: mgmt, to: external}
  - {from: unzoned, to: "kind:external", protocols: [dns], ports: [53]}
  - {from: mgmt, to: ctl1, protocols: [s7comm], ports: [102], operations: [read, identity]}
  - {from: mgmt, to: ctl1, protocols: [s7comm], ports: [102], operations: [program-download, plc-start], windows: [weekly, once]}
  - {from: tos, to: ctl2, protocols: [modbus], ports: [502], operations: [read]}
`

func TestAllows(t *testing.T) {
	s := mustParse(t, policyYAML)
	tests := []struct {
		name, from, to, app, transport string
		port                           uint16
		want                           bool
	}{
		{"kind: matches first crane", "mgmt", "ctl1", "s7comm", "tcp", 102, true},
		{"kind: matches second crane", "mgmt", "ctl2", "modbus", "tcp", 502, true},
		{"kind: does not match other kinds", "mgmt", "cctv", "modbus", "tcp", 502, false},
		{"protocol listed, port not", "mgmt", "ctl1", "s7comm", "tcp", 8080, false},
		{"port listed, protocol not", "mgmt", "ctl1", "http", "tcp", 102, false},
		{"cip listed, enip asked", "mgmt", "ctl1", "enip", "tcp", 44818, true},
		{"cip listed, cip asked", "mgmt", "ctl1", "cip", "tcp", 44818, true},
		{"direction matters", "ctl1", "mgmt", "s7comm", "tcp", 102, false},
		{"tls listed, https asked", "tos", "mgmt", "https", "tcp", 443, true},
		{"tls listed, tls asked, any port", "tos", "mgmt", "tls", "tcp", 8443, true},
		{"tls listed, http asked", "tos", "mgmt", "http", "tcp", 80, false},
		{"tcp/PORT matches any app", "rcms", "mgmt", "rdp", "tcp", 3389, true},
		{"tcp/PORT matches unknown app", "rcms", "mgmt", "", "tcp", 3389, true},
		{"tcp/PORT is not udp", "rcms", "mgmt", "", "udp", 3389, false},
		{"udp/PORT", "rcms", "mgmt", "", "udp", 1194, true},
		{"udp/PORT is not tcp", "rcms", "mgmt", "", "tcp", 1194, false},
		{"tcp/PORT other port", "rcms", "mgmt", "rdp", "tcp", 3390, false},
		{"no protocols, single port as string", "cctv", "mgmt", "rtsp", "tcp", 554, true},
		{"port range low end", "cctv", "mgmt", "http", "tcp", 8000, true},
		{"port range high end", "cctv", "mgmt", "", "udp", 8100, true},
		{"past the range", "cctv", "mgmt", "http", "tcp", 8101, false},
		{"before the range", "cctv", "mgmt", "http", "tcp", 7999, false},
		{"empty lists allow anything", "mgmt", "external", "ssh", "tcp", 22, true},
		{"built-in external by id does not take a declared external zone", "mgmt", "partner", "ssh", "tcp", 22, false},
		{"kind:external takes the built-in zone", "unzoned", "external", "dns", "udp", 53, true},
		{"kind:external takes a declared zone", "unzoned", "partner", "dns", "udp", 53, true},
		{"unzoned by id", "unzoned", "external", "dns", "udp", 5353, false},
		{"no conduit at all", "tos", "cctv", "http", "tcp", 80, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := s.ZoneByID(tt.from), s.ZoneByID(tt.to)
			if from == nil || to == nil {
				t.Fatalf("zones %s, %s not found", tt.from, tt.to)
			}
			if got := s.Allows(from, to, tt.app, tt.transport, tt.port); got != tt.want {
				t.Errorf("Allows(%s→%s %s %s/%d) = %v, want %v", tt.from, tt.to, tt.app, tt.transport, tt.port, got, tt.want)
			}
		})
	}
	if s.Allows(nil, s.ZoneByID("mgmt"), "dns", "udp", 53) || s.Allows(s.ZoneByID("mgmt"), nil, "dns", "udp", 53) {
		t.Error("Allows with a nil zone")
	}
}

func TestAllowsOp(t *testing.T) {
	s := mustParse(t, policyYAML)
	at := func(v string) time.Time {
		ts, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	tests := []struct {
		name, from, to, app string
		port                uint16
		op, ts              string
		want                bool
	}{
		{"read any time", "mgmt", "ctl1", "s7comm", 102, "read", "2026-01-01T03:00:00Z", true},
		{"identity any time", "mgmt", "ctl1", "s7comm", 102, "identity", "2030-06-01T00:00:00Z", true},
		{"write listed by the kind: conduit", "mgmt", "ctl1", "s7comm", 102, "write", "2026-01-01T03:00:00Z", true},
		{"op not in any conduit", "tos", "ctl2", "modbus", 502, "write", "2026-11-02T09:00:00Z", false},
		{"op in the conduit", "tos", "ctl2", "modbus", 502, "read", "2026-11-02T09:00:00Z", true},
		{"download in the first window", "mgmt", "ctl1", "s7comm", 102, "program-download", "2026-11-02T09:00:00Z", true},
		{"download at window start", "mgmt", "ctl1", "s7comm", 102, "program-download", "2026-11-02T08:00:00Z", true},
		{"download at window end", "mgmt", "ctl1", "s7comm", 102, "program-download", "2026-11-02T12:00:00Z", false},
		{"download a week later", "mgmt", "ctl1", "s7comm", 102, "program-download", "2026-11-09T11:59:59Z", true},
		{"download a year later", "mgmt", "ctl1", "s7comm", 102, "program-download", "2027-11-01T10:00:00Z", true},
		{"download just before a repeat", "mgmt", "ctl1", "s7comm", 102, "program-download", "2026-11-09T07:59:59Z", false},
		{"download mid-week", "mgmt", "ctl1", "s7comm", 102, "program-download", "2026-11-05T09:00:00Z", false},
		{"download a week before the first window", "mgmt", "ctl1", "s7comm", 102, "program-download", "2026-10-26T09:00:00Z", false},
		{"download in the one-off window", "mgmt", "ctl1", "s7comm", 102, "program-download", "2026-12-24T17:00:00Z", true},
		{"one-off window does not repeat", "mgmt", "ctl1", "s7comm", 102, "program-download", "2027-12-24T17:00:00Z", false},
		{"window in another time zone", "mgmt", "ctl1", "s7comm", 102, "plc-start", "2026-11-16T10:30:00+01:00", true},
		{"wrong port for the windowed conduit", "mgmt", "ctl1", "s7comm", 103, "program-download", "2026-11-02T09:00:00Z", false},
		{"plc-stop never", "mgmt", "ctl1", "s7comm", 102, "plc-stop", "2026-11-02T09:00:00Z", false},
		{"alias cip", "mgmt", "ctl2", "cip", 44818, "write", "2026-11-05T09:00:00Z", true},
		{"tcp/PORT matches without transport", "rcms", "mgmt", "", 3389, "session", "2026-11-05T09:00:00Z", true},
		{"udp/PORT matches without transport", "rcms", "mgmt", "", 1194, "session", "2026-11-05T09:00:00Z", true},
		{"no conduit", "ctl1", "mgmt", "s7comm", 102, "read", "2026-11-02T09:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.AllowsOp(s.ZoneByID(tt.from), s.ZoneByID(tt.to), tt.app, tt.port, tt.op, at(tt.ts))
			if got != tt.want {
				t.Errorf("AllowsOp(%s→%s %s/%d %s at %s) = %v, want %v", tt.from, tt.to, tt.app, tt.port, tt.op, tt.ts, got, tt.want)
			}
		})
	}
	if s.AllowsOp(nil, nil, "s7comm", 102, "read", at("2026-01-01T00:00:00Z")) {
		t.Error("AllowsOp with nil zones")
	}
}

func TestWindowContains(t *testing.T) {
	start := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	weekly := Window{ID: "weekly", Start: start, End: start.Add(4 * time.Hour), Every: 168 * time.Hour}
	once := Window{ID: "once", Start: start, End: start.Add(4 * time.Hour)}
	tests := []struct {
		name string
		w    Window
		ts   time.Time
		want bool
	}{
		{"inside", weekly, start.Add(time.Hour), true},
		{"at start", weekly, start, true},
		{"at end", weekly, start.Add(4 * time.Hour), false},
		{"outside", weekly, start.Add(5 * time.Hour), false},
		{"second week", weekly, start.Add(168*time.Hour + 3*time.Hour), true},
		{"second week after end", weekly, start.Add(168*time.Hour + 4*time.Hour), false},
		{"tenth week", weekly, start.Add(10*168*time.Hour + time.Minute), true},
		{"one ns before start", weekly, start.Add(-1), false},
		{"a week before start", weekly, start.Add(-168 * time.Hour), false},
		{"one-off inside", once, start.Add(2 * time.Hour), true},
		{"one-off a week later", once, start.Add(168*time.Hour + time.Hour), false},
		{"other location", weekly, start.Add(time.Hour).In(time.FixedZone("UTC+9", 9*3600)), true},
		{"far future saturates without panic", weekly, start.AddDate(300, 0, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.Contains(tt.ts); got != tt.want {
				t.Errorf("Contains(%s) = %v, want %v", tt.ts, got, tt.want)
			}
		})
	}
}

func TestPortRange(t *testing.T) {
	tests := []struct {
		r     PortRange
		str   string
		in    []uint16
		notIn []uint16
	}{
		{PortRange{502, 502}, "502", []uint16{502}, []uint16{501, 503}},
		{PortRange{1024, 2047}, "1024-2047", []uint16{1024, 1500, 2047}, []uint16{1023, 2048}},
		{PortRange{1, 65535}, "1-65535", []uint16{1, 65535}, []uint16{0}},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			if got := tt.r.String(); got != tt.str {
				t.Errorf("String = %q", got)
			}
			for _, p := range tt.in {
				if !tt.r.Contains(p) {
					t.Errorf("Contains(%d) = false", p)
				}
			}
			for _, p := range tt.notIn {
				if tt.r.Contains(p) {
					t.Errorf("Contains(%d) = true", p)
				}
			}
		})
	}
}

const prohibitedYAML = `
version: 1
prohibited:
  domains: [example-bad.cn, api.logink.cn, logink.org, deep.sub.example-bad.cn, Mixed.Example]
  cidrs: [203.0.113.0/24, 203.0.113.128/25, "2001:db8:bad::/48"]
`

func TestProhibitedDomain(t *testing.T) {
	s := mustParse(t, prohibitedYAML)
	long := strings.Repeat("a.", 150)
	tests := []struct {
		name, domain    string
		pattern, source string // "" for no match
	}{
		{"builtin itself", "logink.cn", "logink.cn", SourceLOGINK},
		{"builtin subdomain", "www.logink.cn", "logink.cn", SourceLOGINK},
		{"case", "API.LogInk.CN", "logink.cn", SourceLOGINK},
		{"trailing dot", "logink.cn.", "logink.cn", SourceLOGINK},
		{"builtin beats a more specific site entry", "x.api.logink.cn", "logink.cn", SourceLOGINK},
		{"builtin listed again by the site", "www.logink.org", "logink.org", SourceLOGINK},
		{"third builtin", "mail.neal-net.net", "neal-net.net", SourceLOGINK},
		{"suffix without a dot", "notlogink.cn", "", ""},
		{"builtin as a label inside", "logink.cn.example.com", "", ""},
		{"site itself", "example-bad.cn", "example-bad.cn", SourceSite},
		{"site subdomain", "www.Example-Bad.CN.", "example-bad.cn", SourceSite},
		{"site: most specific wins", "x.deep.sub.example-bad.cn", "deep.sub.example-bad.cn", SourceSite},
		{"site entry written in mixed case", "www.mixed.example", "mixed.example", SourceSite},
		{"site suffix without a dot", "notexample-bad.cn", "", ""},
		{"parent of an entry", "cn", "", ""},
		{"leading dot", ".logink.cn", "logink.cn", SourceLOGINK},
		{"empty", "", "", ""},
		{"only a dot", ".", "", ""},
		{"unrelated", "example.com", "", ""},
		{"longer than a domain, matching", long + "logink.cn", "logink.cn", SourceLOGINK},
		{"longer than a domain, not matching", long + "example.com", "", ""},
		{"254 bytes without a dot", strings.Repeat("a", 245) + "logink.cn", "", ""},
		{"binary junk", "\x00\xff.logink.cn", "logink.cn", SourceLOGINK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := s.ProhibitedDomain([]byte(tt.domain))
			if ok != (tt.pattern != "") || m.Pattern != tt.pattern || m.Source != tt.source {
				t.Errorf("ProhibitedDomain(%q) = %+v, %v; want %q from %q", tt.domain, m, ok, tt.pattern, tt.source)
			}
		})
	}
}

func TestProhibitedAddr(t *testing.T) {
	s := mustParse(t, prohibitedYAML)
	tests := []struct {
		name, addr, pattern string
	}{
		{"in /24", "203.0.113.5", "203.0.113.0/24"},
		{"most specific", "203.0.113.200", "203.0.113.128/25"},
		{"mapped", "::ffff:203.0.113.5", "203.0.113.0/24"},
		{"IPv6", "2001:db8:bad:1::1", "2001:db8:bad::/48"},
		{"outside", "203.0.114.1", ""},
		{"IPv6 outside", "2001:db8:bae::1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := s.ProhibitedAddr(netip.MustParseAddr(tt.addr))
			if ok != (tt.pattern != "") || m.Pattern != tt.pattern || (ok && m.Source != SourceSite) {
				t.Errorf("ProhibitedAddr(%s) = %+v, %v; want %q", tt.addr, m, ok, tt.pattern)
			}
		})
	}
	if _, ok := s.ProhibitedAddr(netip.Addr{}); ok {
		t.Error("zero Addr is prohibited")
	}
	if _, ok := Default().ProhibitedAddr(netip.MustParseAddr("203.0.113.5")); ok {
		t.Error("Default prohibits an address")
	}
}

// TestAllocs proves the per-flow and per-query lookups allocate nothing.
func TestAllocs(t *testing.T) {
	s := mustParse(t, policyYAML+`
assets:
  - {id: plc, ip: 10.10.1.5, mac: "00:1b:1b:01:00:05"}
remote_access: {gateways: [10.20.0.10]}
prohibited: {domains: [example-bad.cn], cidrs: [203.0.113.0/24]}
`)
	mgmt, ctl1 := s.ZoneByID("mgmt"), s.ZoneByID("ctl1")
	ts := time.Date(2026, 11, 9, 9, 0, 0, 0, time.UTC)
	plc := netip.MustParseAddr("10.10.1.5")
	mapped := netip.MustParseAddr("::ffff:10.10.1.5")
	v6 := netip.MustParseAddr("fe80::1%eth0")
	hit, miss, upper := []byte("www.logink.cn."), []byte("updates.example.com"), []byte("WWW.EXAMPLE-BAD.CN")
	long := []byte(strings.Repeat("abcdefgh.", 40) + "cn")
	tests := []struct {
		name string
		fn   func()
	}{
		{"Zone", func() { _ = s.Zone(plc, 0) }},
		{"Zone mapped", func() { _ = s.Zone(mapped, 0) }},
		{"Zone IPv6 with zone", func() { _ = s.Zone(v6, 110) }},
		{"ZoneByID", func() { _ = s.ZoneByID("ctl1") }},
		{"Allows", func() { _ = s.Allows(mgmt, ctl1, "cip", "tcp", 44818) }},
		{"Allows miss", func() { _ = s.Allows(ctl1, mgmt, "http", "tcp", 80) }},
		{"AllowsOp", func() { _ = s.AllowsOp(mgmt, ctl1, "s7comm", 102, "program-download", ts) }},
		{"AssetByIP", func() { _ = s.AssetByIP(mapped) }},
		{"AssetByMAC", func() { _ = s.AssetByMAC([6]byte{0x00, 0x1b, 0x1b, 0x01, 0x00, 0x05}) }},
		{"ZoneHasAssets", func() { _ = s.ZoneHasAssets(ctl1) }},
		{"IsGateway", func() { _ = s.IsGateway(plc) }},
		{"ProhibitedDomain hit", func() { _, _ = s.ProhibitedDomain(hit) }},
		{"ProhibitedDomain miss", func() { _, _ = s.ProhibitedDomain(miss) }},
		{"ProhibitedDomain upper", func() { _, _ = s.ProhibitedDomain(upper) }},
		{"ProhibitedDomain long", func() { _, _ = s.ProhibitedDomain(long) }},
		{"ProhibitedAddr", func() { _, _ = s.ProhibitedAddr(plc) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(1000, tt.fn); n != 0 {
				t.Errorf("%s allocates %v times per call", tt.name, n)
			}
		})
	}
}

func BenchmarkZone(b *testing.B) {
	s, err := Load("testdata/terminal.good.yaml")
	if err != nil {
		b.Fatal(err)
	}
	a := netip.MustParseAddr("10.10.1.5")
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Zone(a, 110)
	}
}

func BenchmarkProhibitedDomain(b *testing.B) {
	s := Default()
	name := []byte("telemetry.vendor.example.com")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = s.ProhibitedDomain(name)
	}
}

func TestBuiltinDomains(t *testing.T) {
	got := BuiltinDomains()
	if strings.Join(got, ",") != "logink.cn,logink.org,neal-net.net" {
		t.Fatalf("BuiltinDomains = %v", got)
	}
	got[0] = "changed.example"
	if BuiltinDomains()[0] != "logink.cn" {
		t.Error("BuiltinDomains returns the package's own slice")
	}
}
