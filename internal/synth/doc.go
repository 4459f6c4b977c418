// Package synth writes synthetic port-terminal traffic whose content is
// known: the example capture of examples/terminal, captures for the
// detectors' end-to-end tests, and large captures for benchmarks.
//
// Place in the data path: synth stands before it. It produces what a
// sensor would capture — Ethernet frames with 802.1Q tags, ARP, IPv4/IPv6,
// TCP with handshakes, acknowledgments and teardown, UDP — and hands them
// to a PacketWriter (capture.PcapWriter), which the capture stage reads
// back. It is an independent implementation: it imports none of the
// project's decoders or parsers, so tests of those against its output are
// meaningful.
//
// Three layers:
//   - Builder schedules conversations (TCPSession, UDP, ARP) on a clock
//     and writes their frames in time order, interleaving conversations
//     that overlap. Checksums, sequence numbers, IP ids and TTLs are
//     computed as a host stack would.
//   - Payload builders (DNSQuery, TLSClientHello, RDPConnectionRequest,
//     S7ReadVar, ENIPListIdentity, …) return application messages built
//     by hand from their specifications.
//   - Scenarios: Terminal (the example terminal of examples/terminal/site.yaml,
//     embedded as TerminalSite, with the named violations of
//     TerminalScenarios injected and their ground truth from TerminalTruth)
//     and Mix (an endless realistic mix for benchmarks, zero allocations
//     per packet).
//
// Ownership: the frame passed to PacketWriter.WritePacket is the Builder's
// reused buffer, valid only during the call. Exchange data belongs to the
// caller and must not change until the conversation has been written (a
// Flush, Stop or Advance past its end); the Builder only reads it.
// Payload builders return new slices the caller owns.
//
// Concurrency: a Builder is not safe for concurrent use; distinct Builders
// are independent. Payload builders, Terminal and Mix are safe to call
// concurrently (each Terminal or Mix call uses its own Builder).
package synth
