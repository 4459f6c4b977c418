// Package profinet reads PROFINET IO (IEC 61158-5-10/6-10, IEC 61784-2):
// its real-time frames at layer 2 (EtherType 0x8892) and over UDP
// (RT_CLASS_UDP), and its context management (PNIO-CM) over
// connectionless DCE-RPC on UDP.
//
//   - Cyclic I/O data (RT_CLASS_1, 2 and 3 by FrameID) is counted per I/O
//     connection — provider MAC, destination MAC, VLAN, FrameID — with
//     packets, data bytes, the last cycle counter and data status, and
//     the frames sent in stop or with invalid data (L2, IOConn). Only
//     news becomes a Frame: a connection's first frame and each change of
//     its data status (provider run/stop, data valid, station problem,
//     primary/backup), the way CIP class 1 I/O is counted. A reader
//     counts MaxConns (768) connections one by one; the frames of the
//     others are counted (Dropped), and so, nearly, are they
//     (DroppedConns).
//   - RT_CLASS_UDP (L2.UDP, ProbeRT): the same frames after a UDP header,
//     on 34962 (unicast), 34963 (multicast) or 34964 (shared with
//     PNIO-CM, whose DCE-RPC header no FrameID over UDP starts like):
//     FrameID 0xC000–0xFBFF cyclic data, read into the same counting with
//     the connection keyed by the provider's and consumer's address and
//     port, and alarms (0xFC01, 0xFE01) read as at layer 2. tshark 4.0
//     reads UDP 34962 as PN-RT by itself, 34963 and 34964 only with
//     -d udp.port==3496N,pn_rt.
//   - Alarms (FrameID 0xFC01 high, 0xFE01 low): the RTA PDU (DATA, NACK,
//     ACK, ERR) with its AlarmNotification or AlarmAck (alarm type, API,
//     slot, subslot, idents) or an ERR's PNIOStatus (the abort of an AR).
//   - DCP (0xFEFC–0xFEFF) is parsed by app/discovery's ParseDCP, whose
//     Identify and Hello answers already feed the inventory's stations;
//     this package gives the DCP services their meaning: a Set of the
//     NameOfStation, IP parameters, DHCP or a factory reset is a
//     "config-change" judged like any controller operation, a Set that
//     only flashes the LED "diagnostics", Identify and Hello "identity",
//     Get "read". DCP is parsed in one place so that the inventory and
//     detection read the same bytes the same way.
//   - PNIO-CM (CMAnalyzer, Probe, Spec): the connectionless DCE-RPC
//     header (ics/dcerpc ParseCL) of calls to the PNIO interfaces
//     (dea0000N-6c97-11d1-8271-00a02442df7d: device, controller,
//     supervisor, parameter server), then the NDR stub and its blocks:
//     Connect (ARBlockReq with the initiator's station name and MAC,
//     IOCR, alarm CR and expected submodule blocks) and Release as
//     "session", Read and ReadImplicit (IODReadReqHeader: API, slot,
//     subslot, index) as "read" — an I&M0 answer names the device's
//     order number, serial and firmware —, Write (IODWriteReqHeader, and
//     the records nested in a MultipleWrite) as "config-change", Control
//     (ParameterEnd, ApplicationReady, Release) as "session". The object
//     UUID of a call to a device carries its vendor and device IDs. A
//     device answers a Connect sent to 34964 from a port of its own: each
//     request announces (proto.Expect) that its answer may come from
//     another port, so that flow is PNIO-CM with the controller as its
//     client.
//   - Vendor IDs (VendorName): a device's DCP DeviceID block, the object
//     UUID of its PNIO-CM calls and its I&M0 record carry the vendor ID
//     PI assigns; the makers met on crane and terminal networks are named
//     from PI's manufacturer table, and the name goes with the identity
//     ("vendor") to the inventory.
//
// Place in the data path: source → decode → flow → analyzers → detect.
// The pipeline hands the layer-2 payloads of EtherType 0x8892 to one L2
// per shard (L2.Frame), the UDP payloads of a flow ProbeRT names to its
// shard's L2 (L2.UDP) and those of a PNIO-CM flow to a CMAnalyzer
// (through Spec); it sums the readers' connections into the run's
// statistics. Byte slices in a Frame or CM alias the
// caller's buffer and are valid only during the emit call.
//
// Hostile input: every length is checked before use; a PDU that cannot be
// read whole is reported as malformed, never read past its end. Nothing
// allocates per frame or datagram but the details of events.
//
// Concurrency: an L2 or CMAnalyzer belongs to one goroutine; Probe is
// safe to call concurrently.
package profinet
