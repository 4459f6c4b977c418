// Package learn drafts a site model (site.yaml) from what a capture
// showed, for a person to review: zones from the subnets and VLANs seen
// and the roles of their hosts (ICS servers make a control zone, ICS
// pollers a management zone, cameras a camera zone, …), the assets of
// the inventory with their vendor and supplier, conduits from the flows
// seen between zones (application, server ports, ICS operations, with
// counts and first/last seen), the remote-access gateways guessed from
// remote-access traffic, and "# review:" comments on what looks wrong —
// engineering operations from outside a management zone, internet
// egress from a control zone, a camera or a supplier of concern on a
// control network, remote access or cleartext file transfers into a
// crane zone that bypass a gateway, one device in two zones.
//
// Place in the data path: after it. A Learner takes the flows and
// events of an analysis run (pipeline.FlowRecord and event.Event, copied
// into its own Flow and Op records) and its inventory; Draft then writes
// the file. What it allows is what was seen, except operations that
// change what a controller runs (program download, stop, firmware
// update, …): those stay findings until a person allows them, in a
// change window.
//
// Concurrency: a Learner is not safe for concurrent use.
package learn
