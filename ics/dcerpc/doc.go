// Package dcerpc reads connection-oriented DCE-RPC (MSRPC, the transport
// of DCOM and so of OPC Classic: DA, A&E, HDA) over TCP: the endpoint
// mapper on TCP 135 and the dynamic ports it and the DCOM OXID resolver
// hand out.
//
// Each PDU (C706 §12.6: version 5.0 or 5.1, packet type, flags, data
// representation, fragment length, call id) is one Message. A bind or
// alter_context names the interfaces of its presentation contexts; a
// request names its context and opnum, which the flow's binds turn into
// an interface; a response or fault takes the interface and opnum of the
// request with its call id. Well-known interfaces (the endpoint mapper,
// the DCOM activator, OXID resolver and IRemUnknown, OPC DA, A&E and HDA,
// WMI) are named with their methods, and their methods classified into the
// event vocabulary: OPC reads "read", writes "write", group and item
// management "config-change", endpoint lookups "identity", binds
// "session".
//
// Connectionless DCE-RPC (C706 §12.5, ncadg_ip_udp) over UDP is read
// too (ParseCL, Analyzer.Datagram, ProbeUDP): each datagram is one PDU
// whose header names its interface and opnum; PROFINET's context
// management, which rides on it, is read by ics/profinet.
//
// A call larger than one fragment (PFC_FIRST_FRAG … PFC_LAST_FRAG over
// TCP, fragment numbers and the last-fragment flag over UDP) is emitted
// PDU by PDU, but its stub is decoded once, from the fragments joined in
// order, with its last fragment (join.go: bounded by MaxStub, what is cut,
// out of step or evicted counted in JoinStats; CLJoin is shared with
// ics/profinet). The stubs decoded are those that matter to a monitor:
// the towers of an ept_map answer, the string bindings of a DCOM
// activation or OXID resolution, the service an RCreateServiceW creates
// and the program it runs (svcctl.go), the items an OPC DA read, write or
// item-management request names (opc.go). A PDU cut across TCP segments is
// the pipeline's reassembly's: Feed consumes whole PDUs only. After a
// hole, or in a connection first seen midway, Feed skips to the next
// plausible PDU header (resync.go, proto.Resyncer).
//
// Endpoints handed out in ept_map towers (ncacn_ip_tcp and ncadg_ip_udp,
// over TCP or UDP) and in DCOM string bindings ("host[port]") are
// announced to the pipeline (proto.Expect) on their transport, so that
// the flow to the dynamic port is the same application; the probe also
// knows a DCE-RPC PDU header on any port.
//
// Ownership: a Message and its byte slices are valid only during the
// emit call; the join buffers belong to the Analyzer, reused from call to
// call and kept by Reset, so the steady state allocates nothing. An
// Analyzer belongs to one flow and one goroutine.
package dcerpc
