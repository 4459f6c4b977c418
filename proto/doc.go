// Package proto is the contract between the pipeline and the protocol
// analyzers: how a protocol says which flows are its own (a Probe), how it
// keeps per-flow state (an Analyzer hands out Flows), and what it reports
// (typed facts for detection and events) through a Reporter.
//
// Place in the data path: source → decode → flow → analyzers → detect. The
// protocol packages (app/dns, app/tls, app/http, app/remote, app/xfer,
// ics/modbus, ics/s7, ics/enip, …) each export their probes and a Spec
// beside their grammar; package pipeline lists them in one registry table,
// walks the probes to identify a flow, feeds the flow's payloads to its
// protocol's Flow and turns what is reported into detection calls and
// events. A protocol is its package plus one registry line.
//
// Most protocols need only a few lines of adapter: one whose grammar frames
// PDUs per flow (the industrial protocols) gives ParserSpec its name, its
// parser type and a report function (ReportPDU for an industrial PDU); one
// that keeps no state per flow makes its Flow the one a NewShared serves.
//
// Loss: a stream analyzer whose Parser is a Resyncer finds its place
// again after a gap (Gapped): the pipeline calls Gap before bytes that
// follow a hole in the capture, a framing error or the unseen start of a
// flow, and the Parser skips to the first plausible PDU boundary.
//
// Ownership: a Feed call's bytes belong to the caller and are valid only
// during the call; so are the byte slices inside the facts a Flow reports
// (Name.Name, File.Name, …): the Reporter copies what it keeps. Event
// details are maps the Reporter takes over.
//
// Concurrency: an Analyzer belongs to one pipeline shard and is used by one
// goroutine at a time; so are its Flows and the Reporter passed to Feed.
// Probes must be safe to call concurrently (they keep no state).
//
// Allocation: Probe.Match, Feed and the Reporter allocate nothing in steady
// state, except for what events (when asked for) and findings carry.
package proto
