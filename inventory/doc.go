// Package inventory reconciles what a facility declares about its devices
// with what the capture analysis observed, and ties every device to the
// suppliers of concern behind it.
//
// Place in the data path: after detection. Its inputs are the site model
// (zones, cranes, assets, the facility's supplier entries), imported lists
// (package declared: CSV, JSON, CycloneDX BOMs), the supplier catalog
// (package supplier), the IEEE MAC registry (package oui) and, when
// captures were analysed, observe.Result: the observed hosts with what they
// served, polled and requested, and the stations that described themselves
// in LLDP, CDP, PROFINET DCP or DHCP. Its outputs are one Asset per device
// (MAC where its own MAC was seen, else address; declared and observed
// records joined by MAC, else address), each crane as a unit with its
// exposure, and the reconciliation findings: inventory.missing-device,
// inventory.mismatch and supplier.not-isolated (inventory.unknown-device
// comes from detect).
//
// Build runs once per report, off the packet path; it allocates freely.
// Nothing here is safe for concurrent mutation; an Inventory is not
// modified after Build returns it.
package inventory
