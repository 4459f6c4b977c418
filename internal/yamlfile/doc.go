// Package yamlfile is the strict YAML reader that site (site.yaml) and
// supplier (the supplier catalog, and the suppliers section of site.yaml)
// are built on: one document, no unknown or duplicate keys, no merge keys,
// aliases followed with a bound on the work they cause, and every problem
// reported with its file, line and column instead of stopping at the first.
//
// A Reader parses a file (Parse) and then reads its nodes through typed
// helpers — Mapping, List, Scalar, Text, Required, Scalars, Boolean,
// Integer — each of which reports what is wrong with a node as a Problem and
// lets reading go on. Problems returns them sorted by position. The
// wording of every message is fixed here, so both file formats speak alike;
// Suggest, Clip, Describe, Field and ItemCtx help the callers word theirs.
//
// Place in the data path: none. The files it reads are loaded once, before
// the first packet; nothing here runs per packet.
//
// Ownership: Parse keeps no reference to the caller's bytes beyond the
// nodes it returns, which hold copies. The nodes returned by the helpers
// belong to the parsed tree and must not be modified.
//
// Concurrency: a Reader reads one file on one goroutine; it is not safe for
// concurrent use. The package-level functions are.
package yamlfile
