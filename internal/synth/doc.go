// Package synth writes synthetic port-terminal traffic whose content is
// known: the example capture of examples/terminal, the captures of
// `harborwatch simulate` and `harborwatch demo`, captures for the
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
// Four layers:
//   - Builder schedules conversations (TCPSession, UDP, ARP, and
//     TCPStream/UDPStream, whose exchanges a Stream supplies as they go)
//     on a clock and writes their frames in time order, interleaving
//     conversations that overlap. Checksums, sequence numbers, IP ids and
//     TTLs are computed as a host stack would.
//   - Payload builders (DNSQuery, TLSClientHello, RDPConnectionRequest,
//     S7ReadVar, ENIPListIdentity, …) return application messages built
//     by hand from their specifications.
//   - The terminal model (site.go): the zones, conduits, cranes and
//     devices of a terminal of N ship-to-shore cranes, written as a site
//     model (TerminalSiteYAML) and a declared inventory (TerminalAssets).
//   - Scenarios: Terminal (the terminal's normal traffic — cyclic polls and
//     camera streams as Streams, services on a schedule of recurring tasks
//     — background load up to a rate, and the named violations of
//     TerminalScenarios with their ground truth from TerminalTruth) and
//     Mix (an endless realistic mix for benchmarks).
//
// Memory: generation streams. The Builder holds the open conversations,
// Terminal a schedule of tasks, a poller or camera per long conversation
// and templates for the load; none of it grows with the duration, so a
// multi-gigabyte capture takes the memory of a one-minute one. The
// background load and Mix build frames from templates whose counters are
// patched as they go on the wire: they allocate nothing per packet.
//
// Ownership: the frame passed to PacketWriter.WritePacket is the Builder's
// reused buffer, valid only during the call. Exchange data belongs to the
// caller and must not change until the conversation has been written (a
// Flush, Stop or Advance past its end), or for a Stream until Next has
// returned two more exchanges; the Builder only reads it. Payload builders
// return new slices the caller owns.
//
// Concurrency: a Builder is not safe for concurrent use; distinct Builders
// are independent. Payload builders, Terminal, TerminalSiteYAML,
// TerminalAssets and Mix are safe to call concurrently (each Terminal or
// Mix call uses its own Builder); TerminalOptions.Progress is called from
// the goroutine that called Terminal.
package synth
