package site

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

// mustParse parses an inline site file or fails the test.
func mustParse(t testing.TB, src string) *Site {
	t.Helper()
	s, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return s
}

const zonesYAML = `
version: 1
zones:
  - {id: ctl, kind: crane-control, cidrs: [10.10.1.0/24, "fd00:10:1::/64"], vlans: [110]}
  - {id: plc-host, kind: crane-control, cidrs: [10.10.1.5/32]}
  - {id: wide, kind: business, cidrs: [10.0.0.0/8]}
  - {id: fieldbus, kind: crane-control, vlans: [711, 712]}
  - {id: partner, kind: external, cidrs: [198.51.100.0/24]}
  - {id: docs6, kind: business, cidrs: ["2001:db8::/32"]}
  - {id: host6, kind: dmz, cidrs: ["2001:db8::80/128"]}
`

func TestZone(t *testing.T) {
	s := mustParse(t, zonesYAML)
	tests := []struct {
		name string
		addr string // "" for the zero Addr
		vlan uint16
		want string
	}{
		{"host /32 inside /24", "10.10.1.5", 0, "plc-host"},
		{"neighbour of the /32", "10.10.1.6", 0, "ctl"},
		{"/24 inside /8", "10.10.1.200", 110, "ctl"},
		{"only the /8", "10.20.0.1", 0, "wide"},
		{"IPv4-mapped IPv6", "::ffff:10.10.1.6", 0, "ctl"},
		{"IPv6 in /64", "fd00:10:1::7", 0, "ctl"},
		{"IPv6 with zone", "fd00:10:1::7%eth0", 0, "ctl"},
		{"IPv6 host /128 inside /32", "2001:db8::80", 0, "host6"},
		{"IPv6 in /32", "2001:db8::81", 0, "docs6"},
		{"ULA in no zone", "fd00:99::1", 0, "unzoned"},
		{"VLAN-only zone", "192.168.1.1", 711, "fieldbus"},
		{"second VLAN of the zone", "192.168.1.1", 712, "fieldbus"},
		{"CIDR beats VLAN", "10.10.1.6", 711, "ctl"},
		{"VLAN of a zone with CIDRs", "192.168.1.1", 110, "unzoned"},
		{"unknown VLAN", "192.168.1.1", 999, "unzoned"},
		{"untagged private", "192.168.1.1", 0, "unzoned"},
		{"no IP on the VLAN", "", 711, "fieldbus"},
		{"no IP untagged", "", 0, "unzoned"},
		{"internet address on a VLAN", "8.8.8.8", 711, "external"},
		{"internet address", "8.8.8.8", 0, "external"},
		{"declared external zone", "198.51.100.7", 0, "partner"},
		{"CGNAT", "100.64.1.1", 0, "unzoned"},
		{"past CGNAT", "100.128.0.1", 0, "external"},
		{"172.16/12", "172.31.255.255", 0, "unzoned"},
		{"past 172.16/12", "172.32.0.1", 0, "external"},
		{"loopback", "127.0.0.1", 0, "unzoned"},
		{"IPv6 loopback", "::1", 0, "unzoned"},
		{"link-local", "169.254.1.1", 0, "unzoned"},
		{"IPv6 link-local", "fe80::1", 0, "unzoned"},
		{"multicast", "224.0.0.251", 0, "unzoned"},
		{"IPv6 multicast", "ff02::1", 0, "unzoned"},
		{"broadcast", "255.255.255.255", 0, "unzoned"},
		{"unspecified", "0.0.0.0", 0, "unzoned"},
		{"IPv6 unspecified", "::", 0, "unzoned"},
		{"IPv6 internet", "2a00:1450::1", 0, "external"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a netip.Addr
			if tt.addr != "" {
				a = netip.MustParseAddr(tt.addr)
			}
			z := s.Zone(a, tt.vlan)
			if z == nil {
				t.Fatal("Zone returned nil")
			}
			if z.ID != tt.want {
				t.Errorf("Zone(%s, %d) = %s, want %s", tt.addr, tt.vlan, z.ID, tt.want)
			}
			if z != s.ZoneByID(tt.want) {
				t.Errorf("Zone and ZoneByID(%s) disagree", tt.want)
			}
		})
	}
	if s.Zone(netip.MustParseAddr("10.1.1.1"), 0) != s.Zones[2] {
		t.Error("Zone does not return the Site's own *Zone")
	}
	if z := s.Zone(netip.MustParseAddr("8.8.8.8"), 0); z != External() || !z.Builtin || z.Kind != KindExternal {
		t.Errorf("external zone = %+v", z)
	}
	if z := s.Zone(netip.MustParseAddr("10.99.1.1"), 0); z.ID != "wide" {
		t.Errorf("10.99.1.1 in %s", z.ID)
	}
	if z := s.Zone(netip.MustParseAddr("192.168.0.1"), 0); z != Unzoned() || !z.Builtin || z.Kind != KindUnzoned {
		t.Errorf("unzoned zone = %+v", z)
	}
}

func TestDefault(t *testing.T) {
	s := Default()
	tests := []struct {
		name, addr, want string
	}{
		{"private", "10.10.1.5", "unzoned"},
		{"internet", "8.8.8.8", "external"},
		{"ULA", "fd12::1", "unzoned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if z := s.Zone(netip.MustParseAddr(tt.addr), 7); z.ID != tt.want {
				t.Errorf("Zone(%s) = %s, want %s", tt.addr, z.ID, tt.want)
			}
		})
	}
	if s.Version != Version || len(s.Zones) != 0 || len(s.Conduits) != 0 {
		t.Errorf("Default = %+v", s)
	}
	if s.ZoneByID("unzoned") != Unzoned() || s.ZoneByID("external") != External() || s.ZoneByID("ctl") != nil {
		t.Error("ZoneByID on Default")
	}
	if s.Allows(Unzoned(), External(), "https", "tcp", 443) {
		t.Error("Default allows a flow without conduits")
	}
	if m, ok := s.ProhibitedDomain([]byte("www.logink.cn")); !ok || m.Source != SourceLOGINK {
		t.Errorf("Default: LOGINK not prohibited: %v %v", m, ok)
	}
	if s.AssetByIP(netip.MustParseAddr("10.10.1.5")) != nil || s.IsGateway(netip.MustParseAddr("10.10.1.5")) {
		t.Error("Default has assets or gateways")
	}
}

func TestAssets(t *testing.T) {
	s, err := Load("testdata/terminal.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ipTests := []struct {
		name, addr, want string
	}{
		{"plc", "10.10.1.5", "sts01-plc1"},
		{"mapped", "::ffff:10.10.1.10", "sts01-drive-hoist"},
		{"gateway", "10.20.0.10", "rcms-gw"},
		{"unlisted", "10.10.1.99", ""},
		{"zero", "", ""},
	}
	for _, tt := range ipTests {
		t.Run("ip/"+tt.name, func(t *testing.T) {
			var a netip.Addr
			if tt.addr != "" {
				a = netip.MustParseAddr(tt.addr)
			}
			got := ""
			if as := s.AssetByIP(a); as != nil {
				got = as.ID
			}
			if got != tt.want {
				t.Errorf("AssetByIP(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
	macTests := []struct {
		name string
		mac  [6]byte
		want string
	}{
		{"drive", [6]byte{0x00, 0x05, 0xc9, 0x01, 0x00, 0x0a}, "sts01-drive-hoist"},
		{"camera", [6]byte{0x00, 0x40, 0x8c, 0x02, 0x02, 0x0b}, "sts02-cam1"},
		{"unlisted", [6]byte{0x00, 0x40, 0x8c, 0x02, 0x02, 0x0c}, ""},
	}
	for _, tt := range macTests {
		t.Run("mac/"+tt.name, func(t *testing.T) {
			got := ""
			if as := s.AssetByMAC(tt.mac); as != nil {
				got = as.ID
			}
			if got != tt.want {
				t.Errorf("AssetByMAC(%x) = %q, want %q", tt.mac, got, tt.want)
			}
		})
	}
	zoneTests := []struct {
		zone string
		want bool
	}{
		{"sts01-control", true},
		{"sts02-cctv", true},
		{"crane-mgmt", true},
		{"rcms", true},
		{"ot-services", false},
		{"tos", false},
		{"unzoned", false},
		{"external", false},
	}
	for _, tt := range zoneTests {
		t.Run("zone/"+tt.zone, func(t *testing.T) {
			if got := s.ZoneHasAssets(s.ZoneByID(tt.zone)); got != tt.want {
				t.Errorf("ZoneHasAssets(%s) = %v, want %v", tt.zone, got, tt.want)
			}
		})
	}
	if s.ZoneHasAssets(nil) {
		t.Error("ZoneHasAssets(nil)")
	}
	gwTests := []struct {
		addr string
		want bool
	}{
		{"10.20.0.10", true},
		{"::ffff:10.20.0.10", true},
		{"10.20.0.11", false},
	}
	for _, tt := range gwTests {
		t.Run("gateway/"+tt.addr, func(t *testing.T) {
			if got := s.IsGateway(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("IsGateway(%s) = %v", tt.addr, got)
			}
		})
	}
}

func TestAssetsExplicitZone(t *testing.T) {
	s, err := Load("testdata/notations.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		zone string
		want bool
	}{
		{"sts07-fieldbus", true}, // by zone: only
		{"partner", true},        // by address 198.51.100.7
		{"sts07-plc-host", true}, // 10.70.1.5/32
		{"sts07-control", true},  // 10.70.1.6 and fd00:70:1::5
		{"mgmt", false},
		{"external", false},
		{"unzoned", false},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			if got := s.ZoneHasAssets(s.ZoneByID(tt.zone)); got != tt.want {
				t.Errorf("ZoneHasAssets(%s) = %v, want %v", tt.zone, got, tt.want)
			}
		})
	}
	if a := s.AssetByMAC([6]byte{0x00, 0x1b, 0x1b, 0x07, 0x00, 0x07}); a == nil || a.ID != "sts07-plc" {
		t.Errorf("AssetByMAC of a macs entry = %v", a)
	}
	if a := s.AssetByIP(netip.MustParseAddr("fd00:70:1::5")); a == nil || a.ID != "sts07-plc" {
		t.Errorf("AssetByIP of an ips entry = %v", a)
	}
	if !s.IsGateway(netip.MustParseAddr("fd00:70:9::10")) {
		t.Error("IPv6 gateway")
	}
}

func TestZoneKind(t *testing.T) {
	tests := []struct {
		kind         ZoneKind
		crane, valid bool
	}{
		{KindCraneControl, true, true},
		{KindCraneNoncritical, true, true},
		{KindCraneManagement, true, true},
		{KindRemoteAccess, false, true},
		{KindUntrustedSupplier, false, true},
		{KindPortOT, false, true},
		{KindBusiness, false, true},
		{KindDMZ, false, true},
		{KindExternal, false, true},
		{KindUnzoned, false, false},
		{"scada", false, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			if got := tt.kind.IsCrane(); got != tt.crane {
				t.Errorf("IsCrane = %v", got)
			}
			if got := tt.kind.Valid(); got != tt.valid {
				t.Errorf("Valid = %v", got)
			}
			if b, err := tt.kind.MarshalText(); err != nil || string(b) != string(tt.kind) || tt.kind.String() != string(tt.kind) {
				t.Errorf("MarshalText = %q, %v", b, err)
			}
		})
	}
}

func TestMACAndCriticality(t *testing.T) {
	m := MAC{0x00, 0x1b, 0x1b, 0xaa, 0xbb, 0xcc}
	if got := m.String(); got != "00:1b:1b:aa:bb:cc" {
		t.Errorf("String = %q", got)
	}
	if b, err := m.MarshalText(); err != nil || string(b) != "00:1b:1b:aa:bb:cc" {
		t.Errorf("MarshalText = %q, %v", b, err)
	}
	if b, err := CriticalityCoreControl.MarshalText(); err != nil || string(b) != "core-control" || CriticalitySupport.String() != "support" {
		t.Errorf("Criticality MarshalText = %q, %v", b, err)
	}
}

func TestIsInternal(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"10.0.0.1", true}, {"172.16.0.1", true}, {"192.168.255.1", true},
		{"100.64.0.1", true}, {"100.127.255.255", true}, {"100.63.255.255", false},
		{"127.0.0.1", true}, {"169.254.0.1", true}, {"224.0.0.1", true}, {"239.255.255.250", true},
		{"255.255.255.255", true}, {"0.0.0.0", true},
		{"::1", true}, {"::", true}, {"fe80::1", true}, {"fc00::1", true}, {"fdff::1", true}, {"ff05::2", true},
		{"::ffff:192.168.0.1", true}, {"::ffff:8.8.8.8", false},
		{"8.8.8.8", false}, {"192.0.2.1", false}, {"2001:db8::1", false}, {"fe00::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := IsInternal(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("IsInternal(%s) = %v", tt.addr, got)
			}
		})
	}
}

// TestConcurrentLookups runs the lookups from many goroutines; under -race
// it shows that a loaded Site is safe for concurrent use.
func TestConcurrentLookups(t *testing.T) {
	s, err := Load("testdata/terminal.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	addrs := []netip.Addr{
		netip.MustParseAddr("10.10.1.5"), netip.MustParseAddr("10.10.9.20"),
		netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("192.168.1.1"),
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			ts := time.Date(2026, 11, 2, 9, g, 0, 0, time.UTC)
			for i := range 200 {
				a, b := addrs[i%len(addrs)], addrs[(i+g)%len(addrs)]
				from, to := s.Zone(a, 0), s.Zone(b, 110)
				_ = s.Allows(from, to, "s7comm", "tcp", 102)
				_ = s.AllowsOp(from, to, "s7comm", 102, "program-download", ts)
				_ = s.AssetByIP(a)
				_ = s.ZoneHasAssets(from)
				_, _ = s.ProhibitedDomain([]byte("api.logink.cn"))
				_, _ = s.ProhibitedAddr(b)
			}
		})
	}
	wg.Wait()
	if !s.AllowsOp(s.ZoneByID("crane-mgmt"), s.ZoneByID("sts02-control"), "enip", 44818, "program-download",
		time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)) {
		t.Error("example: program download in the weekly window is not allowed")
	}
	if s.AllowsOp(s.ZoneByID("crane-mgmt"), s.ZoneByID("sts02-control"), "enip", 44818, "program-download",
		time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)) {
		t.Error("example: program download outside the window is allowed")
	}
}
