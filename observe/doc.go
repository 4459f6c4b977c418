// Package observe records what the monitored networks show of their hosts
// and devices: every address seen in a flow or an ARP message, with the
// MACs it was seen with, the VLANs, the applications it used and served,
// the ICS servers it polled and the operations it requested; the
// identities devices gave of themselves over ICS protocols; and the
// stations that described themselves in LLDP, CDP, PROFINET DCP or DHCP.
//
// Place in the data path: beside the rule engine (package detect), after
// the analyzers. The pipeline gives each shard its own State and calls it
// at the end of each flow (Flow: never while a flow is open), for each ARP
// sender (ARP), identity (Identity, HasIdentity) and discovery message
// (Station, Again). Memory is bounded: at most Options.MaxHosts hosts,
// MACs, identities and stations per State and MaxExternalHosts external
// addresses; what is not kept is counted in Stats, never dropped silently.
//
// Engine.Finish merges the shards' states into one Result: the assets
// (sorted by address), the stations (by MAC), the MACs taken for routers
// and the multi-homed MACs with their bindings. The merge keeps each
// host's earliest packet as its evidence, so the result does not depend on
// how the work was sharded. The host-level rules of detect (multi-homed
// hosts, devices the site does not list) and the inventory read the
// Result; observe imports neither of them.
//
// An Engine is read-only after New and safe to share between goroutines;
// a State is not safe for concurrent use (each shard owns one); Finish
// must be called once, after every State's last call, and consumes the
// states. A Result is plain data, owned by its caller.
package observe
