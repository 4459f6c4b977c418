// Package modbus analyzes Modbus/TCP (port 502): the MBAP framing of the
// Modbus Messaging on TCP/IP Implementation Guide V1.0b (§3.1.3), every
// public function code of the Modbus Application Protocol Specification
// V1.1b3 (§6.1-§6.21: reads 1-4, writes 5, 6, 15, 16, 22, 23, diagnostics
// 7, 8 with its sub-functions of §6.8.1, 11, 12, 17, file records 20, 21,
// FIFO 24, encapsulated interface 43 with Read Device Identification 43/14
// of §6.21), exception responses (§7), and Schneider Electric UMAS carried
// in function 90 (sources in umas.go). Each ADU becomes a Message with a
// function code, a Zeek-style name, an operation of the event vocabulary
// (read, write, diagnostics, identity, program-download, plc-stop, …) and a
// status, and on demand the detail of its event. A signed UMAS message
// (0x38 envelope) is classified by the function inside it; its signature is
// kept out of the detail and not verified.
//
// Place in the data path: source → decode → flow → analyzers → detect. The
// pipeline's registry lists Probe (MBAP on port 502) with Spec (report.go),
// which keeps one Analyzer per Modbus flow; the pipeline reassembles each
// direction of the TCP stream and offers its bytes to Feed; Feed frames ADUs by the MBAP
// length (several per segment, or one across segments), emits each as a
// Message and returns how many bytes it consumed. Bytes of an incomplete
// ADU stay with the caller and are offered again with more appended. A
// framing error (protocol id not 0, impossible length) returns ErrFraming
// wrapped: the caller counts it and drops the direction's buffered bytes to
// resynchronise. An ADU that frames but whose content breaks its function's
// layout is still emitted, with Malformed set and Status naming the problem,
// so one bad PDU never breaks the flow's later ones.
//
// State: an Analyzer remembers up to 32 outstanding requests by
// transaction and unit id, to give responses their request's address,
// quantity and UMAS function (requests evicted unanswered are counted by
// Dropped), and hashes the blocks of a UMAS program transfer (SHA-256 of
// each block, and of the whole transfer on the message that ends it). No
// reassembly buffer is kept: memory per flow is fixed.
//
// Ownership: Feed never modifies or keeps b. The Message passed to emit
// lives in the Analyzer and is overwritten by the next ADU; it and its
// slices (PDU, Block) alias b and are valid only during the emit call.
// Name, Op and Status return static strings. Feed and Datagram allocate
// nothing in steady state (the transfer hash is allocated once per
// Analyzer); Detail allocates and is meant only when events are written.
//
// Concurrency: an Analyzer belongs to one flow and one goroutine at a time;
// distinct Analyzers are independent. The name tables are read-only.
package modbus
