// Package bacnet analyzes BACnet/IP (ANSI/ASHRAE 135 Annex J; UDP 47808
// and the fifteen ports after it): the BVLC header (type 0x81, function,
// length; a Forwarded-NPDU's original source), the NPDU header (§6.2:
// version, control, destination and source networks and MAC addresses, hop
// count, network layer messages) and the APDU header (§20.1: confirmed and
// unconfirmed requests, Simple-ACK, Complex-ACK, Segment-ACK, Error, Reject,
// Abort, with their segmentation fields). Each BVLL message becomes a
// Message named as Wireshark names it (its service, else its APDU type,
// network layer message or BVLL function), classified into an operation of
// the event vocabulary, with a status (error code, reject or abort reason)
// and on demand the detail of its event: objects and properties read or
// written, the device identity of an I-Am (device instance, vendor, max
// APDU, segmentation), ReinitializeDevice's state and
// DeviceCommunicationControl's (whether a password was given, never the
// password), the file of an atomic file access.
//
// Operations: ReadProperty, ReadPropertyMultiple, ReadPropertyConditional,
// ReadRange are read; WriteProperty, WritePropertyMultiple, list element
// changes, WriteGroup and LifeSafetyOperation are write; AtomicReadFile is
// program-upload and AtomicWriteFile program-download; Who-Is, I-Am,
// Who-Has, I-Have, Who-Am-I are identity; DeviceCommunicationControl,
// CreateObject, DeleteObject, You-Are and (UTC) TimeSynchronization are
// config-change; COV subscriptions and notifications are io; alarm and
// event services are diagnostics; VT sessions are session; Authenticate
// and RequestKey auth. ReinitializeDevice depends on the state asked:
// coldstart and warmstart are plc-stop (the device's control stops while
// it restarts; no BACnet state is a plc-start), startbackup and endbackup
// program-upload, startrestore and endrestore program-download,
// abortrestore and activate-changes config-change. An answer (Simple-ACK,
// Complex-ACK, Error, and Segment-ACK, Reject and Abort, which name no
// service) takes its request's service and operation, paired by invoke id
// on the same flow.
//
// Place in the data path: source → decode → flow → analyzers → detect. The
// pipeline's registry lists Probe (the BVLC header on the BACnet/IP ports)
// with Spec (report.go), which keeps one Analyzer per flow and hands it
// each UDP datagram (Datagram). A datagram that is not a BVLL message
// returns ErrFraming wrapped; one whose NPDU or APDU is cut short is
// emitted with Malformed set. A BVLC length that disagrees with the
// datagram is noted in the detail, and the datagram read whole, as
// Wireshark does. An I-Am's identity is recorded as its sender's.
//
// State: an Analyzer remembers up to 16 confirmed requests awaiting an
// answer (invoke id, service, ReinitializeDevice state); memory per flow is
// fixed. Segmented messages are not reassembled: each segment is one
// Message (sequence number, window, more-follows in its detail).
//
// Ownership: the Message passed to emit lives in the Analyzer and is
// overwritten by the next datagram; it and its slices alias the datagram
// and are valid only during the emit call. Name, Op and Status return
// static strings; Datagram allocates nothing; Detail allocates and is meant
// only when events are written.
//
// Concurrency: an Analyzer belongs to one flow and one goroutine at a time;
// the name tables are read-only.
package bacnet
