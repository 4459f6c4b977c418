// Package compliance says where a site stands against the control catalog
// (package compliance/catalog): a status per control — satisfied, partly,
// not satisfied, not assessed or attested — with the evidence that
// decides it, and the reports made of that (text, CSV plan of action,
// printable HTML, OSCAL assessment results).
//
// Evaluate is a pure function of an Input: the site's stored findings and
// their states, its assets (the inventory, with suppliers of concern and
// their isolation), the zones of its site model and how recently each was
// seen on the wire, its attestations and its access register. Nothing is
// read from a clock or a database here; the caller (the CLI, the server)
// gathers the input from the store. How each kind of control is judged:
//
//   - attest: only a valid attestation (attested, not withdrawn, not
//     expired) makes it "attested"; without one it is "not assessed". The
//     MARSEC Directives are always of this kind.
//   - rules: an open or acknowledged finding of a rule that cites the
//     control makes it "not satisfied"; with none, it is "satisfied" when
//     every monitored zone was seen within the policy age and "partly"
//     when only some were.
//   - inventory: as rules, plus the inventory's facts: an asset of a
//     supplier of concern not isolated makes it "not satisfied", one whose
//     isolation cannot be judged or a device seen but not declared makes
//     it "partly".
//   - coverage: every monitored zone seen within the policy age is
//     "satisfied", some is "partly", none is "not satisfied".
//   - integrity: judged by rules only when rules cite it; program and
//     firmware baselines are not in the store yet, so otherwise an
//     attestation decides.
//
// A control judged from the wire with no analyzed capture at all is "not
// assessed" (or "attested" when a person attested it). A status whose
// newest evidence is older than the policy age is marked stale.
//
// The access register (store.AccessEntry) is reconciled with the findings
// by Reconcile: a remote session or a change to a controller from an
// address no entry covers is an access.unregistered finding; an entry
// whose sources were not seen within the review age is a review item.
//
// Place in the data path: none; it reads what the store holds.
//
// Concurrency: every function is safe for concurrent use; Evaluate does
// not modify its input.
package compliance
