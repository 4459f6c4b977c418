// Package dnp3 analyzes DNP3 over TCP (port 20000), IEEE 1815-2012: the
// link layer (§9.2: start octets 0x05 0x64, length, control, destination
// and source addresses, a CRC after the header and after every 16 octets
// of user data; every CRC is checked), the transport function (§8:
// FIR/FIN segments reassembled into application fragments, in sequence,
// at most 4096 octets) and the application layer (§4: application
// control, function code, internal indications of responses, object
// headers with their ranges and, where the object size is known, data).
// Each application fragment becomes a Message with a function code, the
// function's name as tshark writes it (Read, Select, Direct Operate,
// Response, Unsolicited Response, …), an operation of the event
// vocabulary and a status, and on demand the detail of its event.
//
// Operations: Read of device attributes (group 0) identity, other Reads
// and Get File Info read; Write, Select, Operate, Direct
// Operate (with or without acknowledgement) and the freeze functions
// write; Cold Restart, Warm Restart and Stop Application plc-stop (a
// restart takes the outstation out of control of its process until it
// has initialized again, which a detection must treat like a stop; it is
// how attackers disable DNP3 outstations); Start Application plc-start;
// Enable and Disable Unsolicited, Assign Class, Initialize Data and
// Application, Save and Activate Configuration, Record Current Time
// config-change; Delay Measurement diagnostics; Open File program-download
// when it opens for writing or appending (mode of its g70v3 object),
// program-upload for reading, else other; Delete File program-delete;
// Authenticate File and the secure authentication functions (32, 33,
// 131) auth; Confirm session; Unsolicited Response io; a Response has the
// operation of the request with its application sequence number (read
// when none was seen). A response carrying device attributes (g0:
// manufacturer's name, product and model, software and hardware
// versions, serial number, device name) carries them as the identity of
// its event detail, which the report records as the outstation's
// identity. A link frame whose CRCs fail is emitted as a
// Malformed Message named "bad CRC" (operation other); its fragment is
// dropped.
//
// Place in the data path: source → decode → flow → analyzers → detect. The
// pipeline's registry lists Probe (a link header with a good CRC on port
// 20000) with Spec (report.go), which keeps one Analyzer per flow; the
// pipeline reassembles each direction of the TCP stream and offers its
// bytes to Feed, which frames link frames by their length, emits each
// complete application fragment as a Message and returns how many bytes it
// consumed. A frame without start octets or with a length below 5 returns
// an error wrapping ErrFraming; the caller then announces a gap.
//
// After a gap in a direction (a hole the reassembly skipped, a framing
// error, a flow seen midway) the Analyzer is a proto.Resyncer: Gap drops
// the fragment in reassembly and makes the next Feed skip to the first
// plausible link header, one whose CRC checks (resync.go), instead of
// failing.
//
// State: per direction, the fragment being reassembled (4096 octets), the
// next transport sequence number and whether a gap awaits
// resynchronisation; per flow, the operation of the last request of each
// application sequence number. Memory per flow is fixed
// (about 8 KB, from the pipeline's pool).
//
// Ownership: Feed never modifies or keeps b. The Message passed to emit
// lives in the Analyzer and is overwritten by the next one; its slices
// alias the Analyzer's reassembly buffer and are valid only during the
// emit call. Feed allocates nothing; Detail allocates and is meant only
// when events are written.
//
// Concurrency: an Analyzer belongs to one flow and one goroutine at a
// time; the name tables are read-only.
package dnp3
