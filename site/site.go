package site

import (
	"net/netip"
	"slices"

	"harborwatch/supplier"
)

// Version is the only site.yaml schema version this package reads.
const Version = 1

// Site is a loaded, validated site model. Its exported fields describe the
// file as written (normalised: CIDRs masked, MACs as bytes, aliases of
// protocols resolved); the unexported indexes serve the lookups. A Site must
// not be modified after Load, Parse or Default returned it.
type Site struct {
	Version       int
	Facility      Facility
	Zones         []*Zone
	Conduits      []Conduit
	Cranes        []Crane
	Assets        []*Asset
	ChangeWindows []Window
	RemoteAccess  RemoteAccess
	Prohibited    Prohibited
	Suppliers     []supplier.Supplier // the facility's additions to the built-in supplier catalog
	File          string              // the name given to Parse or the path given to Load

	zoneByID   map[string]*Zone
	v4, v6     prefixIndex[*Zone]
	vlanZone   map[uint16]*Zone
	assetByIP  map[netip.Addr]*Asset
	assetByMAC map[[6]byte]*Asset
	assetZones map[string]bool // ids of zones holding at least one listed asset
	gateways   map[netip.Addr]bool
	domains    map[string]Match // normalised domain → match
	maxDomain  int              // longest key of domains
	badV4      prefixIndex[Match]
	badV6      prefixIndex[Match]
	catalog    *supplier.Catalog
}

// Facility names the site.
type Facility struct {
	ID, Name, Port string
}

// Crane is one crane of the facility.
type Crane struct {
	ID, Name         string
	Manufacturer     string
	Model            string
	Supplier         string
	Origin           string // ISO 3166 alpha-2 country code, upper case
	Commissioned     int    // year; 0 when not given
	RemoteManagement bool   // the crane supplier manages it remotely
	Line             int    // line of the crane in the file
}

// MAC is an Ethernet hardware address.
type MAC [6]byte

// String formats m as six colon-separated lower-case hex bytes.
func (m MAC) String() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 17)
	for i, c := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[c>>4], hex[c&0xf])
	}
	return string(b)
}

// MarshalText implements encoding.TextMarshaler with the String form.
func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// Criticality grades how much an asset matters to crane operation.
type Criticality string

// Criticality values. The empty Criticality means "not stated".
const (
	CriticalityCoreControl Criticality = "core-control"
	CriticalityNonCritical Criticality = "non-critical"
	CriticalitySupport     Criticality = "support"
)

// String returns c as written in site.yaml.
func (c Criticality) String() string { return string(c) }

// MarshalText implements encoding.TextMarshaler.
func (c Criticality) MarshalText() ([]byte, error) { return []byte(c), nil }

// Asset is one device the facility lists.
type Asset struct {
	ID, Name string
	IP       netip.Addr   // the primary address: ip, else the first of ips; zero when none
	IPs      []netip.Addr // every address, the primary first
	MAC      MAC          // the primary hardware address: mac, else the first of macs
	MACs     []MAC        // every hardware address, the primary first; empty when none
	Kind     string       // free text: plc, drive, camera, server, …
	Vendor   string
	Model    string
	Supplier string
	Origin   string // ISO 3166 alpha-2 country code, upper case
	Crane    string // id of a crane in Site.Cranes, or empty
	Zone     string // explicit zone id, or empty
	Serial   string
	Firmware string
	Notes    string

	Criticality Criticality
	Line        int // line of the asset in the file
}

// RemoteAccess lists the approved remote-access gateways.
type RemoteAccess struct {
	Gateways []netip.Addr
}

// Prohibited lists the site's own prohibited destinations. The built-in
// list (BuiltinDomains) is not repeated here.
type Prohibited struct {
	Domains []string       // lower case, without a trailing dot
	CIDRs   []netip.Prefix // masked
}

// Default returns the site model used when no site.yaml is given: no zones,
// no conduits, no assets; every address is in Unzoned or External, and the
// built-in prohibited domains are active.
func Default() *Site {
	s := &Site{Version: Version}
	s.compile()
	return s
}

// Zone returns the zone of address a seen on VLAN vlan (0: untagged). The
// most specific CIDR of any zone wins; failing that, an internal address
// (see IsInternal) or the zero Addr (no IP) on a VLAN of a zone declared by
// VLANs alone is in that zone; failing that, internal addresses and the zero
// Addr are in Unzoned() and all others in External(). An internet address
// is never placed by VLAN: the VLAN a packet travels on says where its
// local end is, not where a routed peer is. Zone never returns nil and does
// not allocate.
func (s *Site) Zone(a netip.Addr, vlan uint16) *Zone {
	if a.IsValid() {
		a = a.Unmap()
		idx := &s.v6
		if a.Is4() {
			idx = &s.v4
		}
		if z, ok := idx.lookup(a); ok {
			return z
		}
	}
	if a.IsValid() && !IsInternal(a) {
		return external
	}
	if vlan != 0 {
		if z := s.vlanZone[vlan]; z != nil {
			return z
		}
	}
	return unzoned
}

// ZoneByID returns the zone with the given id, including the built-in
// "unzoned" and "external", or nil.
func (s *Site) ZoneByID(id string) *Zone { return s.zoneByID[id] }

// AssetByIP returns the listed asset with address a, or nil.
func (s *Site) AssetByIP(a netip.Addr) *Asset {
	return s.assetByIP[a.Unmap().WithZone("")]
}

// AssetByMAC returns the listed asset with hardware address mac, or nil.
func (s *Site) AssetByMAC(mac [6]byte) *Asset { return s.assetByMAC[mac] }

// ZoneHasAssets reports whether the site lists at least one asset in z. An
// asset is in the zone named by its zone key and in the zone of each of its
// addresses.
func (s *Site) ZoneHasAssets(z *Zone) bool {
	return z != nil && s.assetZones[z.ID]
}

// Catalog returns the supplier catalog the site is judged with: the
// built-in catalog with the site's Suppliers added, an entry of the site
// replacing the built-in entry with the same id.
func (s *Site) Catalog() *supplier.Catalog {
	if s.catalog == nil {
		return supplier.Builtin()
	}
	return s.catalog
}

// IsGateway reports whether a is one of the approved remote-access gateways.
func (s *Site) IsGateway(a netip.Addr) bool {
	return s.gateways[a.Unmap().WithZone("")]
}

// compile builds the lookup indexes from the exported fields. The fields
// must have been validated: compile reports nothing and keeps the first of
// any duplicates.
func (s *Site) compile() {
	s.zoneByID = map[string]*Zone{unzoned.ID: unzoned, external.ID: external}
	s.vlanZone = map[uint16]*Zone{}
	s.v4, s.v6 = prefixIndex[*Zone]{}, prefixIndex[*Zone]{}
	for _, z := range s.Zones {
		if _, dup := s.zoneByID[z.ID]; !dup {
			s.zoneByID[z.ID] = z
		}
		for _, p := range z.CIDRs {
			if p.Addr().Is4() {
				s.v4.add(p, z)
			} else {
				s.v6.add(p, z)
			}
		}
		if len(z.CIDRs) == 0 {
			for _, v := range z.VLANs {
				if _, dup := s.vlanZone[v]; !dup {
					s.vlanZone[v] = z
				}
			}
		}
	}

	windows := make(map[string]*Window, len(s.ChangeWindows))
	for i := range s.ChangeWindows {
		w := &s.ChangeWindows[i]
		if _, dup := windows[w.ID]; !dup {
			windows[w.ID] = w
		}
	}
	for i := range s.Conduits {
		s.Conduits[i].compile(windows)
	}

	s.assetByIP = map[netip.Addr]*Asset{}
	s.assetByMAC = map[[6]byte]*Asset{}
	s.assetZones = map[string]bool{}
	for _, a := range s.Assets {
		for _, ip := range a.IPs {
			if _, dup := s.assetByIP[ip]; !dup {
				s.assetByIP[ip] = a
			}
			s.assetZones[s.Zone(ip, 0).ID] = true
		}
		for _, m := range a.MACs {
			if _, dup := s.assetByMAC[m]; !dup {
				s.assetByMAC[m] = a
			}
		}
		if a.Zone != "" {
			s.assetZones[a.Zone] = true
		}
	}

	s.gateways = map[netip.Addr]bool{}
	for _, g := range s.RemoteAccess.Gateways {
		s.gateways[g] = true
	}

	s.domains = map[string]Match{}
	s.maxDomain = 0
	for _, d := range builtinDomains {
		s.addDomain(d, SourceLOGINK)
	}
	for _, d := range s.Prohibited.Domains {
		s.addDomain(d, SourceSite)
	}
	s.catalog = supplier.Builtin()
	if len(s.Suppliers) > 0 {
		s.catalog = s.catalog.With(s.Suppliers)
	}

	s.badV4, s.badV6 = prefixIndex[Match]{}, prefixIndex[Match]{}
	for _, p := range s.Prohibited.CIDRs {
		m := Match{Pattern: p.String(), Source: SourceSite}
		if p.Addr().Is4() {
			s.badV4.add(p, m)
		} else {
			s.badV6.add(p, m)
		}
	}
}

func (s *Site) addDomain(d, source string) {
	if _, dup := s.domains[d]; dup {
		return // the built-in list is added first and wins
	}
	s.domains[d] = Match{Pattern: d, Source: source}
	s.maxDomain = max(s.maxDomain, len(d))
}

// prefixIndex finds the most specific prefix holding an address of one
// family. It keeps one map per prefix length in use, so a lookup costs one
// mask and one map probe per distinct length (a site uses a handful), where a
// scan would cost one comparison per prefix, and a trie one node per bit.
type prefixIndex[V any] struct {
	bits []int // distinct prefix lengths, longest first
	m    map[netip.Prefix]V
}

func (x *prefixIndex[V]) add(p netip.Prefix, v V) {
	if x.m == nil {
		x.m = map[netip.Prefix]V{}
	}
	if _, dup := x.m[p]; dup {
		return
	}
	x.m[p] = v
	if !slices.Contains(x.bits, p.Bits()) {
		x.bits = append(x.bits, p.Bits())
		slices.SortFunc(x.bits, func(a, b int) int { return b - a })
	}
}

// lookup returns the value of the longest prefix holding a, which must be
// unmapped and of the index's family.
func (x *prefixIndex[V]) lookup(a netip.Addr) (V, bool) {
	for _, b := range x.bits {
		p, err := a.Prefix(b)
		if err != nil {
			continue
		}
		if v, ok := x.m[p]; ok {
			return v, true
		}
	}
	var zero V
	return zero, false
}

// ZoneKind classifies a zone in the vocabulary of the crane advisories.
type ZoneKind string

// Zone kinds a site.yaml may use. KindUnzoned is only the kind of the
// built-in zone Unzoned.
const (
	KindCraneControl      ZoneKind = "crane-control"      // crane PLCs, drives, spreader: crane operation
	KindCraneNoncritical  ZoneKind = "crane-noncritical"  // cameras, lighting, intercoms on the crane
	KindCraneManagement   ZoneKind = "crane-management"   // diagnostics, patching, PLC programming
	KindRemoteAccess      ZoneKind = "remote-access"      // gateways for vendor remote access
	KindUntrustedSupplier ZoneKind = "untrusted-supplier" // equipment of a supplier of concern
	KindPortOT            ZoneKind = "port-ot"            // other operational technology of the port
	KindBusiness          ZoneKind = "business"           // business IT, terminal operating system
	KindDMZ               ZoneKind = "dmz"
	KindExternal          ZoneKind = "external" // outside the facility
	KindUnzoned           ZoneKind = "unzoned"  // internal, but in no declared zone
)

// zoneKinds lists the kinds valid in site.yaml, in documentation order.
var zoneKinds = []ZoneKind{
	KindCraneControl, KindCraneNoncritical, KindCraneManagement, KindRemoteAccess,
	KindUntrustedSupplier, KindPortOT, KindBusiness, KindDMZ, KindExternal,
}

// String returns k as written in site.yaml.
func (k ZoneKind) String() string { return string(k) }

// MarshalText implements encoding.TextMarshaler.
func (k ZoneKind) MarshalText() ([]byte, error) { return []byte(k), nil }

// IsCrane reports whether k is one of the kinds on a crane: crane-control,
// crane-noncritical or crane-management.
func (k ZoneKind) IsCrane() bool {
	return k == KindCraneControl || k == KindCraneNoncritical || k == KindCraneManagement
}

// Valid reports whether k may appear as a zone kind in site.yaml.
func (k ZoneKind) Valid() bool { return slices.Contains(zoneKinds, k) }

// Zone is a network segment of the facility, or one of the built-in zones.
type Zone struct {
	ID          string
	Kind        ZoneKind
	Name        string
	Description string
	Crane       string         // id of the crane the zone belongs to, or empty
	CIDRs       []netip.Prefix // masked; may be empty for a zone given by VLANs
	VLANs       []uint16
	Builtin     bool // Unzoned or External
	Line        int  // line of the zone in the file; 0 for built-ins
}

// The built-in zones, shared by every Site. They must not be modified.
var (
	unzoned = &Zone{
		ID: "unzoned", Kind: KindUnzoned, Builtin: true,
		Name: "internal addresses in no declared zone",
	}
	external = &Zone{
		ID: "external", Kind: KindExternal, Builtin: true,
		Name: "addresses outside the facility",
	}
)

// Unzoned returns the built-in zone of internal addresses that no declared
// zone holds. The result is shared and must not be modified.
func Unzoned() *Zone { return unzoned }

// External returns the built-in zone of non-internal addresses that no
// declared zone holds. The result is shared and must not be modified.
func External() *Zone { return external }

var (
	cgnat  = netip.MustParsePrefix("100.64.0.0/10")
	bcast4 = netip.AddrFrom4([4]byte{255, 255, 255, 255})
)

// IsInternal reports whether a is an address that never routes on the
// internet: RFC 1918 and ULA (fc00::/7) private space, CGNAT 100.64.0.0/10,
// loopback, link-local, multicast, the limited broadcast 255.255.255.255 and
// the unspecified address.
func IsInternal(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() ||
		a.IsMulticast() || a.IsUnspecified() || a == bcast4 ||
		(a.Is4() && cgnat.Contains(a))
}
