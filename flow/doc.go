// Package flow groups decoded packets into bidirectional flows. It is the
// stage after decode in the harborwatch data path: source → decode → flow →
// analyzers → detect. Each packet with an IP layer is looked up by its Key
// (innermost VLAN, IP protocol and the two endpoints in canonical order) in
// a Table, which counts it per direction, follows the TCP state and hands
// the Flow back to the pipeline, whose analyzers keep their own per-flow
// state inline in Flow.X.
//
// # Direction
//
// The client of a flow is its initiator: the sender of a SYN, or the
// receiver of a SYN-ACK when the SYN was not captured. Otherwise it is the
// sender of the first packet, unless the ports show that packet came from
// the server: from a server's port to a client's ephemeral one. Server
// ports are the ports below 1024, the registered ports of the services seen
// on port OT networks (1433, 1883, 2222, 2404, 3306, 3389, 4840, 5432,
// 5900-5910, 5938, 7070, 8080, 8443, 20000, 34962-34964, 44818, 47808;
// Modbus/TCP 502 and ISO-TSAP 102 are below 1024) and, facing a port of the
// dynamic range, any port below 32768. A client's ephemeral port is one of
// the dynamic range (49152 and up), any port from 1024 up facing a port
// below 1024 (older stacks pick client ports from 1025, some of them listed
// server ports), or, facing a listed server port, a port from 1024 up that
// is not one. Anything else (two system ports, two listed ports, two
// dynamic ports) keeps the first packet's sender as the client.
// A TCP flow without a handshake in the capture is Midstream and has
// Handshake false.
//
// # Time and timeouts
//
// Time is packet time only: the table's clock is the latest timestamp passed
// to Packet, never the wall clock, so a capture file replays the same way at
// any speed. A flow ends (EndReason Expired) when the clock is more than its
// idle timeout past its last packet: TCP 5m, UDP 1m, other protocols 1m, and
// 10s for TCP flows that are Closed (FIN both ways) or Reset (see Options).
// A TCP SYN that reuses the ports of a Closed or Reset flow, or of a FinWait
// flow idle for more than the closed timeout, ends that flow and starts a
// new one.
//
// Expiry is lazy and O(1) amortized: the table keeps one idle list per
// timeout, ordered by last use, so only the list tails can be due, and it
// remembers the earliest time any flow can be due, so most packets cost one
// comparison. A due flow is ended by the first packet whose time passes its
// deadline; when more than 64 flows fall due at once, each later packet ends
// up to 64 more, and a packet of a flow that is due but not yet ended still
// starts a new flow. No flow ends before its timeout. Flows that are due
// when the input ends are ended by Flush.
//
// # Memory
//
// A Table holds at most Options.MaxFlows flows. Flows live in slabs of 4096
// allocated as the table grows and reused through a free list after that; the
// buckets are the table's own chained hash (seeded per table) over the slab
// indexes, grown by doubling up to MaxFlows. Once a table has reached its
// working size, neither existing nor new flows allocate. When it is full, a
// new flow evicts the least recently used one (EndReason Evicted, counted in
// Stats.Evicted): eviction is never silent. EntrySize converts a memory budget
// into MaxFlows.
//
// # Ownership
//
// The Table owns every Flow. A *Flow returned by Packet, or passed to OnEnd
// or Each, stays valid until the flow ends; OnEnd is the last moment to read
// it, and its memory then holds another flow, with X zeroed. Flows copy what
// they keep of a packet (addresses, ports, MACs) and never retain
// decode.Packet or its Payload.
//
// # Concurrency
//
// A Table is not safe for concurrent use. The pipeline runs one Table per
// worker shard and sends a packet to shard Hash(p) % N: Hash is symmetric
// and deterministic, so both directions of a flow meet in the same table.
// OnEnd and Each callbacks run on the caller's goroutine and must not call
// back into the Table. KeyOf and Hash are pure functions, safe anywhere.
package flow
