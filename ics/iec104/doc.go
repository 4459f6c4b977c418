// Package iec104 analyzes IEC 60870-5-104 (TCP port 2404), the telecontrol
// protocol of substations and of the electrical systems of port cranes:
// the APCI framing of IEC 60870-5-104 §5 (start byte 0x68, length, control
// field in I, S or U format: STARTDT, STOPDT and TESTFR act/con) and the
// ASDU of IEC 60870-5-101 §7 with the 104 parameters (cause of
// transmission with originator address, 2-byte common address, 3-byte
// information object address). Each APDU becomes a Message with a name
// (the type identification as tshark writes it: C_SC_NA_1, M_ME_NC_1, …;
// the U-format function; "S"), an operation of the event vocabulary and a
// status, and on demand the detail of its event: cause of transmission,
// common address, the first 16 information object addresses and their
// values where they are simple.
//
// Operations: U and S formats are session; commands (C_SC, C_DC, C_RC,
// C_SE, C_BO, with or without time tag) write; interrogation, counter
// interrogation and the read command read; clock synchronization and
// parameter loading (P_ME, P_AC) config-change; test commands
// diagnostics; secure authentication (S_*) auth. Monitored information
// (M_*) is read when interrogated or requested and io when spontaneous,
// cyclic or background. File transfer types are program-download when the
// file moves from the flow's client to the outstation, program-upload the
// other way (the holder of a file sends F_FR, F_SR, F_LS and F_SG; the
// receiver F_SC and F_AF); directory queries read. The reset process
// command C_RP_NA_1 is plc-stop, not config-change: a general reset
// restarts the outstation's application, which stops controlling the
// process until it has initialized again (it then sends M_EI_NA_1), and
// even a reset of the event buffer throws away process information; a
// detection must treat it like stopping a PLC.
//
// Place in the data path: source → decode → flow → analyzers → detect. The
// pipeline's registry lists Probe (an APCI on port 2404) with Spec
// (report.go), which keeps one Analyzer per flow; the pipeline
// reassembles each direction of the TCP stream and offers its bytes to
// Feed, which frames APDUs by their length byte, emits each as a Message
// and returns how many bytes it consumed. Like Wireshark, Feed skips bytes
// before a start byte and counts them on the next Message (Prefix; the
// report counts it as a decode error); more than 1024 of them in a row
// return ErrNoStart (wrapping ErrFraming). An APDU that frames but whose
// content is invalid (no room for the control field, objects that do not
// fill the ASDU, an undefined U function) is emitted with Malformed set
// and Status naming the problem.
//
// After a gap in a direction (a hole the reassembly skipped, a framing
// error, a flow seen midway) the Analyzer is a proto.Resyncer: Gap makes
// the next Feed skip to the first plausible APDU boundary (resync.go), so
// that a start byte inside the rest of a cut APDU frames no garbage; the
// bytes skipped count as the resynchronisation's, not as a prefix.
//
// State: per direction, the count of bytes skipped and whether a gap
// awaits resynchronisation; no reassembly buffer, so memory per flow is
// fixed.
//
// Ownership: Feed never modifies or keeps b. The Message passed to emit
// lives in the Analyzer and is overwritten by the next APDU; its slices
// alias b and are valid only during the emit call. Feed allocates
// nothing; Detail allocates and is meant only when events are written.
//
// Concurrency: an Analyzer belongs to one flow and one goroutine at a
// time; the name tables are read-only.
package iec104
