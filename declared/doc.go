// Package declared reads the asset lists a facility already has — a
// maintenance-system export (CSV), a JSON list, and CycloneDX 1.4–1.6 BOMs
// (JSON or XML) of a crane's hardware and software — into declared assets
// and cranes for the inventory. They are the same kind of facts as the
// assets and cranes of site.yaml, from other sources. The formats are
// described in docs/formats/inventory-csv.md and
// docs/formats/inventory-cyclonedx.md.
//
// Place in the data path: none. declared runs before or beside the packet
// path, when the CLI or server imports a file; the inventory merges its
// Assets with what the analyzers saw on the wire:
//
//	assets.csv, list.json, crane.cdx.json|xml ──► declared ──► inventory ◄── detect ◄── packets
//
// Reading is forgiving per record and strict per value: every row, object
// or component with a problem is reported as a Problem with its
// file:line:col and skipped, every good one is kept, and a file that cannot
// be parsed at all yields one Problem at the syntax error. Unknown columns,
// keys and BOM properties are reported as Notices. In a BOM a bad property
// value drops only that value; a component that cannot be decoded is
// skipped and its own components kept (see the format doc). BOMs written
// by crane makers are read as they come: properties of any namespace by
// their common names (ipAddress, mac_address, firmwareVersion, …), the
// crane recognised by its type and name or a crane/unit property, nested
// assemblies as parents, and CPEs and package URLs for vendor, model and
// version.
//
// Input is treated as hostile: files are read up to 16 MiB, rows and
// components up to 100,000, JSON and XML nesting up to 64 levels and
// component nesting up to 16, addresses per asset up to 64; nothing panics.
//
// Ownership: a Result owns everything in it; the readers keep nothing of the
// reader or bytes they were given. Concurrency: the functions hold no state
// and are safe to call from many goroutines at once.
package declared
