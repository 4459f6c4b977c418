// Package discovery parses the messages in which devices describe
// themselves, for the passive asset inventory: a switch's model, firmware
// and management address from LLDP or CDP, a PROFINET station's name,
// vendor and device IDs and IP parameters from DCP, and a DHCP client's
// host name, vendor class and client identifier.
//
//   - DHCP and BOOTP: RFC 2131 §2–§4 (message, magic cookie), RFC 2132
//     (options 12, 15, 50, 52, 53, 54, 55, 60, 61), RFC 4702 (option 81).
//     ParseDHCP.
//   - LLDP: IEEE 802.1AB-2016 §8 (LLDPDU, TLV format, the basic
//     management TLVs of §8.5, organizationally specific TLVs of §8.6).
//     ParseLLDP.
//   - CDP v1/v2 over LLC/SNAP (OUI 00-00-0C, PID 0x2000), which Cisco does
//     not publish; the layout is the one Wireshark's packet-cdp.c knows.
//     IsCDP and ParseCDP.
//   - PROFINET DCP: IEC 61158-6-10 §4.3, as Wireshark's packet-pn-dcp.c
//     dissects it (Identify, Hello, Get and Set; device, IP and All
//     blocks). ParseDCP.
//
// Place in the data path: source → decode → flow → analyzers → detect.
// These protocols mostly live below IP. decode hands over the layer-2
// payload of frames of EtherType 0x88CC (to ParseLLDP) and 0x8892 (to
// ParseDCP, which rejects other PROFINET frame IDs with ErrNotDCP), and the
// LLC payload of IEEE 802.3 length-field frames, cut to the length field
// (IsCDP, then ParseCDP). The UDP payloads of ports 67 and 68 come from
// the flow path (ParseDHCP). What a parse yields goes to the inventory as
// identity events; a parse error is counted, never fatal.
//
// Ownership: each parser fills a struct the caller owns and reuses (DHCP,
// LLDP, CDP, DCP); every call overwrites all of its fields. Byte slices in
// it alias the input and are valid only as long as the caller's buffer is
// (capture's borrowed buffers: until the next packet); copy what must
// outlive it. Addresses are netip.Addr values, not aliases. Nothing
// allocates: not a success, not a failure, since the *Error a parser
// returns lives inside the struct it filled (and is valid until the next
// parse into it). String and MarshalText methods allocate and are for
// reports and debugging, not the per-packet path.
//
// Hostile input: every length is checked against the input before use,
// every loop consumes input on each turn, and nothing reads past len(b).
// Bad input yields an *Error wrapping ErrTruncated, ErrMalformed or the
// protocol's ErrNotX, with the byte offset of the fault; on error the
// struct holds what was read before it. Strings are returned as sent
// (DHCP's are cut at a NUL, as tshark shows them), neither validated as
// UTF-8 nor escaped: escape them before they reach a log or a report.
//
// Concurrency: the functions keep no state and are safe to call
// concurrently; a struct must not be shared between goroutines while it is
// being filled.
package discovery
