// Package pipeline wires the packet path: capture → decode → flow →
// application identification and parsers → detect.
//
// One goroutine reads the captures (several files are merged into one
// timeline by timestamp). With one worker it drives the single shard
// itself; with N workers it copies packets into reusable batches, one
// stream per shard, choosing the shard by a symmetric hash of the VLAN and
// the address pair, so that a flow, its reverse and every other flow
// between the same two hosts (TFTP and FTP data flows) land in the same
// shard. Each shard owns its decoder, flow table and detection state; no
// state is shared between shards and nothing is locked per packet. At the
// end, shards are merged deterministically: the result does not depend on
// the number of workers.
//
// Identification attaches an application to a flow from the server port
// and the first payload bytes (ports alone never decide, except for flows
// that carried no payload at all), then the application's parser turns
// payloads into what the detectors need (DNS names, TLS server names, HTTP
// hosts, file names) and, when asked, into events.
//
// Memory: the per-packet path allocates nothing in steady state. Events,
// when requested, are kept in memory until the end of the run and sorted.
package pipeline
