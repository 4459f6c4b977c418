// Package site is the site model: the one file (site.yaml) in which a
// facility describes its zones, the conduits allowed between them, its
// cranes and assets, its change windows, its remote-access gateways, the
// destinations it prohibits and its own suppliers. Everything harborwatch
// judges is judged against it; the format is described in
// docs/formats/site-yaml.md.
//
// Place in the data path: site is a leaf (it imports only supplier and
// internal/yamlfile). It is loaded once, before the first packet, by the
// CLI; pipeline hands it to detect, which calls its lookups while packets
// go by; after the packet path, inventory reads its zones, assets and
// supplier catalog, and declared and inventory read addresses and MACs
// with its value parsers:
//
//	source → decode → flow → analyzers → detect → inventory ◄── declared
//	                                       │          │            │
//	                                       └──── *site.Site ───────┘
//
//	detect, per flow:  Zone, Allows, AllowsOp, AssetByIP, ProhibitedDomain, …
//	inventory:         ZoneByID, Catalog, the Cranes and Assets, ParseMAC
//	declared:          ParseAddr, ParseMAC
//
// Loading is strict. Load and Parse read the whole file and report every
// problem they find — YAML syntax, unknown keys (with the valid key
// suggested), wrong types, missing or bad values, duplicate ids, references
// to zones, kinds, cranes or windows the file does not define — as Problems,
// each with its line and column, sorted. Nothing is silently ignored; a file
// with any problem yields no Site.
//
// Zones: an address is in the zone with the most specific CIDR holding it;
// failing that, an internal address (see IsInternal) or a frame without an
// IP address is in a zone given by VLANs alone when the traffic carries one
// of its VLANs (an internet address never is: the VLAN says where the local
// end is, not where a routed peer is); failing that, it is in the built-in
// zone Unzoned (internal addresses) or External (all others). Default gives
// the model used without a site file: no zones, so only the built-in rule.
//
// Values are read as site.yaml writes them, by functions other readers of
// the same facts share: ParseAddr (a unicast host address), ParseMAC (the
// four usual spellings) and NormalizeApp (a protocol name as a conduit
// lists it, aliases resolved).
//
// Conduits name the flows allowed from a client zone to a server zone, by
// zone id or by "kind:<zone kind>", narrowed by protocols, server ports,
// ICS operations (read, write, program-download, program-upload,
// program-delete, plc-stop, plc-start, firmware-update, config-change,
// identity, diagnostics, auth, session, io, other) and change windows.
//
// Suppliers are read and checked by package supplier, with the rules of
// its built-in catalog; Catalog returns that catalog with the site's
// entries added (an entry with a built-in id replaces the built-in one).
//
// Prohibited destinations are the site's own list and the built-in LOGINK
// domains (46 U.S.C. 50309), always active; each Match names its list.
//
// Ownership: a Site owns everything it holds. ProhibitedDomain reads the
// caller's name and keeps nothing of it. The shared built-in zones returned
// by Unzoned and External must not be modified.
//
// Concurrency: a Site is immutable once Load, Parse or Default returns it,
// and all its methods are safe for concurrent use. Zone, ZoneByID, Allows,
// AllowsOp, AssetByIP, AssetByMAC, ZoneHasAssets, IsGateway,
// ProhibitedDomain and ProhibitedAddr run per flow or per DNS query and do
// not allocate (a test holds them to it).
package site
