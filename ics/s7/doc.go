// Package s7 analyzes Siemens S7 communication on ISO-on-TCP (TCP port
// 102): TPKT framing, COTP, S7comm (protocol id 0x32) and S7comm-plus
// (protocol id 0x72). It turns every PDU into a Message with an operation
// from the event vocabulary (read, write, program-download, plc-stop, …),
// the protocol's own code and name, its status, and on request a detail map.
//
// Place in the data path: source → decode → flow → analyzers → detect. The
// pipeline's registry lists Probe, ProbePlus and ProbePort with Spec
// (report.go); it reassembles each TCP direction of a port-102 flow and offers the
// in-order bytes to Analyzer.Feed; Feed frames TPKT packets by their length,
// reassembles segmented COTP data and emits one Message per S7 PDU and per
// COTP connection-management TPDU. The pipeline turns Messages into events
// (only when events are requested, through Message.Detail) and the
// detectors judge the operations against the site model. S7 has no UDP
// form, so there is no Datagram method.
//
// Messages: a COTP connection-management TPDU (CR, CC, DR, DC, ER, …) is
// a Message of kind KindCOTP with operation session and the TPDU code as
// Func; data TPDUs are not Messages themselves, the S7 PDUs they carry
// are. Responses are paired with their requests by PDU reference, per
// direction, so that an ack without parameter still names its function and
// a userdata response its SZL. Function and subfunction names are those of
// Wireshark's S7comm dissector, so events and the tshark oracle agree.
//
// Specifications, by the sections used:
//
//   - RFC 1006 §6 (TPKT: version 3, reserved, 16-bit length including the
//     header, minimum 7).
//   - ISO/IEC 8073 (X.224) §13: TPDU codes (§13.1 table 8), CR/CC with the
//     TPDU size, calling and called TSAP parameters (§13.3, §13.4), DR and
//     its reasons (§13.5), DC (§13.6), DT with the EOT mark and segmenting
//     (§13.7, §6.3), ER and its causes (§13.12).
//   - S7comm as documented by Siemens for the S7-300/400 system software
//     ("System Software for S7-300/400 System and Standard Functions",
//     chapter "System Status Lists" for the SZL ids, the module
//     identification (xy11) and component identification (xy1C) records,
//     and the error code tables of the communication functions) and as
//     decoded by Wireshark's S7comm dissector (header, ROSCTR, parameter
//     function codes, variable specifications, upload/download parameters,
//     PI services, userdata groups and subfunctions, block file names, the
//     block header of uploaded blocks), which is also the test oracle.
//   - S7comm-plus as decoded by the S7comm-plus Wireshark plugin: header,
//     protocol versions, V3 integrity part (digest length and digest),
//     opcodes, function codes, session id, return value as 64-bit VLQ, the
//     trailer and fragmentation without trailer.
//
// Classification choices are documented where they are made (functionOp,
// userdataOp, piServices, plusFunctionOp). Of S7comm-plus only headers are
// decoded: V3 PDUs carry an integrity digest and their object payload is
// not inspected, so a program download to an S7-1200/1500, which travels
// as CreateObject/SetVariable/SetVarSubStreamed sequences, shows up as
// session and write operations, not as program-download.
//
// Uploads and downloads: the block contents travel in upload ack-data
// (upload) and download-block ack-data (download; the PLC sends the
// "Download block" jobs and the engineering station answers with data).
// They are hashed as they pass; the "End upload" and "Download ended"
// Messages (job and ack-data) carry the block type, number, length and
// SHA-256 in their detail. Only one upload and one download per connection
// are followed at a time, as S7 runs them.
//
// Block names: a PLC block file name ("_0C00012P": file identifier, block
// type code 08 OB, 0A DB, 0B SDB, 0C FC, 0D SFC, 0E FB, 0F SFB, five-digit
// number, file system) is reported as engineers and Wireshark write the
// block, "FC12", under block_name (name in a transferred block's detail),
// the file name as sent under block_raw; other file names under filename.
//
// Ownership: Feed reads b and never keeps it. A Message, and every byte
// slice inside it, belongs to the Analyzer and is valid only during the
// emit call; copy what must outlive it (Detail builds fresh values). The
// Analyzer's own buffers are bounded: COTP segmentation per direction by
// 16 KiB, SZL reassembly by 4 KiB; what does not fit is dropped and
// counted (Dropped) and the PDU reported malformed.
//
// Allocation: Feed allocates nothing per PDU in steady state (buffers grow
// once, then are reused, also across Reset); Name and Status return static
// strings. Detail allocates and is meant to be called only when events
// are written.
//
// Concurrency: an Analyzer is per flow and not safe for concurrent use;
// distinct Analyzers are independent. The package has no global mutable
// state.
package s7
