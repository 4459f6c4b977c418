// Package pipeline wires the packet path: capture → decode → flow →
// application identification and parsers → detect (rules) and observe
// (hosts and devices seen).
//
// One goroutine reads the captures (several files are merged into one
// timeline by timestamp). With one worker it drives the single shard
// itself; with N workers it copies packets into reusable batches, one
// stream per shard, choosing the shard by a symmetric hash of the address
// pair (on any VLAN), so that a flow, its reverse and every other flow
// between the same two hosts (TFTP and FTP data flows) land in the same
// shard — and so does every finding, which is keyed by its address pair.
// Each shard owns its decoder, flow table, detection state and observation
// state; no state is shared between shards and nothing is locked per
// packet. A flow's hosts are observed once, at its end (shard.go, end),
// also for a flow judged while open. At the end, shards are merged
// deterministically, observations first, then findings (the host-level
// rules read the merged observations): the result does not depend on the
// number of workers.
//
// Protocols are listed in one table, the registry (registry.go): each line
// is a protocol package's probe, the application it names and the
// package's analyzer (see package proto). Identification walks the probes
// of the flow's transport with its first payloads, using the server port
// as a hint and the payload bytes as proof (ports alone decide only where
// a protocol has nothing to check, and for flows that carried no payload
// at all). A TCP flow is probed on each direction's reassembled bytes, so
// that a first message split over many segments is seen whole; on the port
// of an industrial protocol the bytes are searched at every offset, for a
// bounded number of bytes, so that garbage before the first PDU does not
// hide the flow (identify.go). The flow's analyzer then gets its payloads
// — reassembled per direction for the industrial protocols, from the
// flow's first byte — with per-flow state from the
// shard, and reports typed facts (names asked for, file transfers, ICS
// operations, identities, sessions) and events to the shard's one
// reporter, which turns them into detection and observation calls and
// events and counts each analyzer's confirmed and violated flows. No
// protocol's details live here: adding one is its package plus one
// registry line.
//
// Frames that are not IP go to the first shard whatever the number of
// workers (discovery.go): LLDP, CDP and PROFINET (profinet.go), whose
// real-time frames one ics/profinet L2 reader counts and whose DCP Sets
// are judged like the operations of the flows, between the addresses the
// site declares for the MACs or the stations gave of themselves in DCP.
// PROFINET real-time frames over UDP (RT_CLASS_UDP) are a flow's like any
// UDP protocol, but its registry line's analyzer hands them to the
// shard's own L2 reader (profinet_udp.go), which counts their I/O
// connections by address and port; the run's statistics sum every
// reader's connections (stats.cyclic_io).
//
// Streaming (stream.go): a run may hand what it finds to a Sink as it
// happens. Events go through a merger that puts the shards' events back
// into one timeline behind a watermark (the reading-order sequence number
// every shard has handled up to), so the events wait in memory only for a
// window of a few thousand packets, not for the end of the capture. A
// shard hands on the findings that changed at each epoch of packet time
// (Options.Epoch, one second); flows that last are judged while open (at
// their first packet one epoch into their life, once their application is
// settled) and their end adds only what was not yet counted, so a finding
// on a connection that never closes is known within an epoch, and the last
// update of each finding is the finding the batch result reports. Flows go
// to the Sink as they end, and once per Options.FlowInterval while open.
// The Sink is called from the shards' goroutines, under one lock.
//
// Loss (reporter.go, feedStream): a hole in a reassembled direction that
// does not fill is skipped (flow.Stream); the analyzer is told of the gap
// (proto.Gapped) and finds the next PDU boundary itself, as it does in a
// flow seen midway and after a framing error, so a lost segment costs the
// PDU it cut and no more. What the flow still holds behind holes when it
// ends is delivered then. stats.tcp_gaps counts the holes,
// tcp_dropped_bytes the captured bytes that could not be parsed (the part
// of a PDU before a hole), and each analyzer's resyncs and skipped_bytes
// what finding its place again cost.
//
// Progress (live.go) gives every counter of a run while it goes, for a
// progress line or a metrics endpoint.
//
// Memory: the per-packet path allocates nothing in steady state; events
// and updates, when asked for, allocate as they are made.
package pipeline
