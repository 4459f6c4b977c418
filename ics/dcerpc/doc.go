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
// Endpoints handed out in ept_map towers and in DCOM string bindings
// ("host[port]") are announced to the pipeline (proto.Expect), so that
// the connection to the dynamic port is the same application; the probe
// also knows a DCE-RPC PDU header on any port.
package dcerpc
