// Package decode is the second stage of the harborwatch data path (source →
// decode → flow → analyzers → detect): it turns one captured frame into a
// Packet holding the link, network and transport headers that the later
// stages key on: MAC addresses, VLAN ids, IP addresses, ports, TCP flags and
// sequence numbers, and the transport payload.
//
// It decodes the link types of package capture — Ethernet, Linux cooked
// capture v1 and v2, raw IP and BSD loopback — then 802.1Q and QinQ tags,
// ARP, IPv4 (options skipped, fragments flagged), IPv6 (extension headers
// skipped), TCP, UDP, ICMP and ICMPv6. Anything else is counted, not
// decoded. Each decoder cites the section of the specification it follows.
//
// Bytes: the caller owns both the input and the Packet. Decode does not keep
// the input; Packet.Payload aliases it and is valid only as long as the
// input is (for a capture.Source, until its next Next). Addresses are
// netip.Addr values, copied out of the input, so they may be kept. Decode
// overwrites the whole Packet, so one Packet is reused for every frame and
// decoding allocates nothing.
//
// Bad input: Decode never panics and never reads outside the input. A header
// cut short by the capture or whose fields are impossible is an error (an
// *Error wrapping ErrTruncated or ErrMalformed, counted per Layer in
// Decoder.Errors); the fields of the layers below it are still filled. A
// packet whose headers are whole but whose payload the snaplen cut is not
// an error: Packet.Truncated is set. Decoder.Counters counts the rest
// (fragments, truncated packets, non-IP frames, protocols not decoded).
//
// Concurrency: a Decoder holds only counters and is not safe for concurrent
// use; run one per goroutine (per flow shard) and merge the counts with
// Errors.Add and Counters.Add. Packet methods are read-only.
package decode
