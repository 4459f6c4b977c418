// Package finding is the vocabulary of what harborwatch reports: a Finding
// (rule id, severity, the hosts involved, counts, evidence, the controls
// it bears on and the ATT&CK for ICS techniques it may be a sign of), the
// one table of rules every finding comes from, the one order findings are
// listed in, and the comparison of findings with a ground truth.
//
// It is a leaf: it imports only the standard library. The rule engine
// (detect) and the inventory make findings; the report, the CLI and the
// tests read them. Nothing here holds state: the rule table is a declared
// literal, read-only, so every function is safe for concurrent use. A
// Finding is a plain value; its slices and Detail are owned by whoever
// holds it.
package finding
