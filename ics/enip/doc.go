// Package enip parses EtherNet/IP encapsulation and the CIP messages it
// carries, and classifies every request into the harborwatch operation
// vocabulary (event.Op*): reads, writes, configuration changes, program and
// firmware transfers, starts, stops, sessions, identity and I/O.
//
// # Place in the data path
//
// source → decode → flow → analyzers → detect. The pipeline's registry
// lists Probe, ProbeUDP and ProbeIO with Spec (report.go), which attaches an
// Analyzer to a flow on TCP 44818 (or UDP 44818/2222) and feeds it:
// Feed takes the in-order stream bytes of one direction of a TCP flow and
// frames encapsulation PDUs by their length field; Datagram takes one UDP
// payload. Each decoded PDU is handed to the caller's emit function as a
// *Message, which the pipeline turns into an event (proto "enip" or "cip",
// dir, op, func, name, status, detail).
//
// What is emitted (see Kind):
//   - an encapsulation PDU that carries no CIP — ListIdentity (with the
//     CIP Identity item: vendor, device type, product code, revision,
//     serial, product name), ListServices, ListInterfaces, RegisterSession,
//     UnRegisterSession, NOP, … — is one KindEncap message;
//   - a SendRRData/SendUnitData PDU is reported through the CIP it carries,
//     one KindCIP message per service: a Multiple_Service_Packet or an
//     Unconnected_Send is a container message (Container, Index 0)
//     followed by one message per embedded service (Embedded, Index 1…);
//     every message keeps the encapsulation header fields;
//   - class 0/1 implicit I/O (UDP 2222) is counted per connection id in the
//     Analyzer (IOStats) and only the first packet of each connection is
//     emitted (KindIO). The caller reads IOStats when it retires the flow,
//     before Reset.
//
// Responses carry no path, so the Analyzer remembers outstanding requests
// (a small fixed table per flow) and pairs each response with its request:
// by the connected data sequence count for connected (class 3) messages and
// by the encapsulation sender context for unconnected ones. A paired
// response gets its request's class, instance, attribute and operation; the
// services of a Multiple_Service_Packet response pair by position.
//
// # Classification
//
// Service codes are read without the response bit and interpreted by
// class, since codes 0x4B–0x63 are object specific: 0x4E is Forward_Close
// on the Connection Manager (0x06), Initiate_Partial_Write on the File
// object (0x37) and Read_Modify_Write_Tag on Logix tags. Requests addressed
// by symbol (no class in the path) and unpaired responses use the Logix
// data access services (Rockwell 1756-PM020). In short:
//   - Get_* → read (identity on the Identity object 0x01); Set_*, Create,
//     Delete, Apply_Attributes, Save, Restore and the member services →
//     write, but config-change on the TCP/IP Interface (0xF5) and Ethernet
//     Link (0xF6) objects and on the CIP Security objects (0x5D–0x5F);
//   - Reset (0x05) and Start (0x06) → plc-start, Stop (0x07) → plc-stop,
//     on any class (Reset's detail names the reset type);
//   - Forward_Open, Large_Forward_Open, Forward_Close → session;
//   - Read_Tag, Read_Tag_Fragmented → read; Write_Tag,
//     Write_Tag_Fragmented, Read_Modify_Write_Tag → write;
//   - File object: Initiate_Upload, Initiate_Partial_Read, Upload_Transfer
//     → program-upload; Initiate_Download, Initiate_Partial_Write,
//     Download_Transfer → program-download, or firmware-update when the file
//     name says firmware (contains "firmware" or ends in ".dmk", Rockwell's
//     firmware kit) or the instance's name (attribute 2, seen in a
//     Get_Attribute_Single response earlier in the flow) does; Clear_File
//     and Delete on the File object → program-delete. The transferred file
//     data is hashed (SHA-256) as it passes; Message.Transfer carries the
//     file's instance, name, size, length and digest;
//   - Execute_PCCC (0x4B on class 0x67): the PCCC typed and word-range
//     reads and writes → read/write, diagnostic status → diagnostics, other
//     PCCC commands → other;
//   - a container takes the highest-ranked op of the services it carries
//     (firmware-update > program-download > program-delete > plc-stop >
//     plc-start > program-upload > config-change > auth > write > other >
//     session > io > diagnostics > identity > read), so that event filters
//     see it; detectors should raise findings on the embedded services and
//     skip containers, or they will count a write twice;
//   - encapsulation commands: ListIdentity, ListServices, ListInterfaces →
//     identity; the rest → session;
//   - unknown services → other.
//
// Logix program downloads/uploads and controller mode changes (run/program)
// use Rockwell services that are not publicly specified; they are reported
// as other (or by their generic service name) with class and instance in
// the detail. Public research tools stop a Logix controller with the Stop
// service (0x07) on class 0x64, which is classified plc-stop.
//
// # Specifications
//
//   - The CIP Networks Library, Volume 2 (EtherNet/IP Adaptation of CIP):
//     §2-3 encapsulation header, commands (Table 2-3.2) and statuses
//     (Table 2-3.3); §2-4 command descriptions (ListIdentity Table 2-4.4,
//     ListServices, RegisterSession); §2-6 Common Packet Format and item
//     types (Table 2-6.3); §3-2.2 class 0/1 I/O over UDP; §5-3/§5-4 TCP/IP
//     Interface and Ethernet Link objects.
//   - The CIP Networks Library, Volume 1 (Common Industrial Protocol):
//     §2-4 message router request/response format; §3-5 Connection Manager
//     (Forward_Open Table 3-5.16, response Table 3-5.18, Forward_Close,
//     Unconnected_Send Table 3-5.22, extended statuses Table 3-5.33);
//     §5-2 Identity object; §5-42 File object; Chapter 6 device profiles;
//     Appendix A services (Table, Multiple_Service_Packet § );
//     Appendix B general status codes; Appendix C EPATH segments (port,
//     logical 8/16/32-bit, network, symbolic, data, ANSI extended symbol)
//     and STRINGI.
//   - Rockwell Automation 1756-PM020, Logix 5000 Controllers Data Access
//     (Read/Write Tag services, symbolic segments, Symbol and Template
//     classes); 1770-6.5.16, DF1 Protocol and Command Set (PCCC commands).
//   - The ODVA vendor id registry (vendor names).
//
// # Ownership and memory
//
// Feed and Datagram do not keep the bytes they are given: a Message and
// every slice in it (Data, ExtStatus, Path.Raw, Identity.ProductName)
// borrow the caller's buffer and are valid only during the emit call;
// Detail copies what it renders. The Analyzer's memory is fixed: eight
// outstanding requests (sixteen services of a Multiple_Service_Packet each),
// 64 I/O connections, one upload and one download in progress, eight
// firmware instances; what does not fit is counted by Dropped. Feed and
// Datagram do not allocate per PDU; the first File object transfer of an
// Analyzer allocates its SHA-256 state once (Reset keeps it).
//
// Bad input never panics or reads out of bounds: a header with an unknown
// command or a nonzero options field is a framing error (ErrCommand,
// ErrOptions; both wrap ErrFraming, and the caller drops the stream's
// buffered bytes), a UDP payload that is neither form is ErrDatagram, and a PDU that frames but whose content is invalid (CPF
// items past the data, a truncated CIP message, a bad EPATH or
// Multiple_Service_Packet offsets) is emitted with Malformed set and Status
// naming the problem, without affecting the flow's later PDUs.
//
// # Concurrency
//
// An Analyzer is per flow and not safe for concurrent use; the pipeline
// keeps each flow on one shard goroutine. Messages must not be retained or
// shared after emit returns. The package has no global mutable state.
package enip
