// Package supplier is the catalog of suppliers of concern: the companies
// and platforms that U.S. lists, laws, directives and advisories name for
// port facilities (ZPMC, Nuctech, LOGINK, Huawei, Hikvision, …), each with
// its names, brands, IEEE organisation names, hardware-address prefixes and
// package-URL prefixes, and the listings — with legal citation and date —
// that make it one. Neutral crane and automation manufacturers are in the
// catalog too, without listings, so equipment can be named either way.
//
// The catalog is data: supplier/catalog.yaml, embedded and parsed on first
// use by Builtin. Its format, shared with the suppliers section of
// site.yaml, is described in docs/formats/suppliers.md. Parse reads such a
// file and Decode a YAML node holding such a list (site calls it), both
// strictly: every problem is reported with its line and column.
//
// Place in the data path: supplier is a leaf, beside site. It is loaded
// before the first packet; inventory, detect and the reports ask it who
// made a device — by the vendor or manufacturer name written in an asset
// list or a BOM (MatchName), by the IEEE organisation of a MAC address
// (MatchOrg, MatchOUI) or by a package URL (MatchPURL) — and quote its
// listings as evidence. It is not on the per-packet path; MatchOUI, the one
// lookup that may run per new address, does not allocate.
//
// Ownership: a Catalog owns its entries. ByID, All, Parent and the Match
// methods return pointers into it, which callers must not modify. With
// copies what it keeps and shares the slices of the entries it is given,
// which must not be modified afterwards either.
//
// Concurrency: a Catalog is immutable once Parse, Builtin or With returns
// it, and all its methods are safe for concurrent use. Builtin parses the
// embedded file once, whichever goroutine asks first.
package supplier
