// Package integrity keeps signed baselines of what runs on a crane's
// devices — PLC programs, firmware, operating-system images, drive (VFD)
// parameters, switch configurations — and tells whether what is there now
// still matches them.
//
// A baseline is a Manifest: per asset, every file with its SHA-256 and
// size and, for PLC program block dumps harborwatch can parse (S7 blocks
// in load-memory format, the form an S7 upload or download moves; see
// ParseS7Blocks), every block with its own SHA-256; who made it and when.
// Its canonical serialization (Canonical) is signed with an ed25519 key of
// package signing, so that a manifest changed after signing, or checked
// with another key, is detected and named (Manifest.Verify).
//
// Compare holds a fresh manifest against a baseline: which files and
// blocks changed, which are missing and which are new. Findings turns the
// result into integrity.* findings.
//
// Baselines can also be learned from the wire (Learn): the S7 analyzer
// hashes every block an upload or download moves; a known-good upload
// gives the block hashes, and Watch then judges later downloads and
// uploads against them (integrity.program-changed,
// integrity.remote-update, integrity confirmed with a date). UMAS and CIP
// file transfers carry one SHA-256 per transfer, not per block: Learn
// keeps them as a single entry named after the protocol.
//
// Place in the path: above the analyzers, beside detect; it reads events
// and files, never packets. Nothing here keeps state between calls; every
// function is safe for concurrent use.
package integrity
