// Package catalog is harborwatch's control catalog: the controls that
// findings cite (finding.Rule.Controls) and the rest of each source they
// come from, with a summary in the project's words, the citation, the
// evidence that satisfies each control and how to satisfy it.
//
// The catalog is data: compliance/catalog/controls.yaml, embedded and
// versioned with the code. It has a version and a list of controls:
//
//	version: 1
//	controls:
//	  - id: MSCI-SEG-1                 # unique; MSCI-, USCG- or MARSEC- as the source
//	    title: Segment cranes from other port networks
//	    source: msci                   # msci, uscg or marsec
//	    summary: …                     # our reading, never the source's text
//	    citation:
//	      document: MSCI Advisory 2026-007
//	      paragraph: …
//	      date: 2026-10-21             # YYYY-MM-DD
//	      date_kind: expires           # published, effective, issued, due or expires
//	      url: https://www.maritime.dot.gov/msci/
//	    evidence:
//	      observed: rules              # rules, inventory, integrity, coverage or attest
//	      what: …
//	    how: …
//	    rules: [segmentation.cross-zone, …]   # optional; must match the rule table
//	    attest_only: false             # true (and required) for marsec
//
// The sources are the MARAD MSCI advisory 2026-007 (with the items it
// carries over from 2024-003), 33 CFR part 101 subpart F (§101.650 split
// into its paragraphs, and the sections on the owner or operator, the
// CySO, the Plan, drills, records and documentation) and MARSEC Directives
// 105-4 and 105-5. The directives are Sensitive Security Information: the
// catalog names them and asks for an attestation; it never describes what
// they require.
//
// A control's Evidence.Observed says how harborwatch can see the control
// met or not: by the findings of its rules, from the asset inventory, from
// program integrity (hashes), from capture coverage, or only through a
// person's attestation.
//
// A control's Rules are always derived from the rule table
// (finding.Rules()); a rules list in the file is checked against it, so
// the file cannot drift from what the rules cite.
//
// Parse is strict, like the site and supplier files: unknown and duplicate
// keys, missing fields, bad dates and URLs, duplicate ids and unknown rule
// ids are all reported, each with its line and column, in one pass.
//
// Place in the data path: none. The catalog is read on first use.
//
// Concurrency: a Catalog is immutable and safe for concurrent use; the
// slices it returns are copies.
package catalog
