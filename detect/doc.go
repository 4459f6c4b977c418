// Package detect holds flows and protocol events against the site model and
// yields findings (package finding): rule id, severity, the hosts involved,
// evidence (capture file and packet numbers), and the controls and ATT&CK
// techniques the rule table gives each rule.
//
// It is the stage after the analyzers, beside observation (package
// observe), which records the hosts and devices seen; detect holds only the
// rules. The pipeline gives each shard its own State and calls it once per
// flow (Flow at the flow's end; or FlowOpen at a packet-time epoch and then
// FlowRest at its end) and per relevant protocol event (Name, File, Op,
// OpResult); a State is not safe for concurrent use. Engine.Finish merges
// the shards' states into one Result; the merge keeps, for each finding,
// the earliest packets as evidence, so the result does not depend on how
// the work was sharded.
//
// Findings are aggregated: one per (rule, source, destination,
// application), with counts, never one per packet. Host-level rules
// (multi-homed hosts, devices missing from the inventory) are decided in
// Finish over the run's merged observations (observe.Result), which the
// caller gives it; detect reads observations, observe never imports
// detect.
package detect
