// Package opcua analyzes OPC UA binary over TCP (OPC UA Part 6 §7: UA
// Connection Protocol and UA Secure Conversation; 4840 and any other port,
// identified by the message header): Hello, Acknowledge, Error and
// ReverseHello, and the OPN, MSG and CLO messages of a secure channel with
// their security headers, sequence header and service. Each message (its
// final or abort chunk: intermediate chunks are folded into their
// message) becomes a Message named as Wireshark names it (ReadRequest,
// OpenSecureChannelResponse, …, Hello, Acknowledge, Error; the message
// type when its body is encrypted), classified into an operation of the
// event vocabulary, with a status (an Error message's or a response's
// StatusCode) and on demand the detail of its event.
//
// Security: OpenSecureChannel gives the channel's security policy URI
// (in clear) and, with the None policy, the security mode asked (None): the
// detail of every message of the channel carries security_mode (None,
// Sign, SignAndEncrypt, unknown), so that a rule may flag OPC UA without
// security. With another policy the OPN bodies are encrypted; the first
// MSG tells Sign (its service NodeId reads) from SignAndEncrypt (it does
// not). Encrypted messages are counted (Analyzer.Encrypted) and reported
// with encrypted set and their count in the detail, never decoded.
//
// Operations: Read, Browse, BrowseNext, TranslateBrowsePathsToNodeIds,
// RegisterNodes, queries and HistoryRead are read; Write and
// HistoryUpdate write; Call (a method may change state), AddNodes,
// DeleteNodes, Add/DeleteReferences and RegisterServer config-change;
// subscriptions, monitored items, Publish and Republish io;
// CreateSession and ActivateSession auth (the detail gives the identity
// token type: anonymous, username with the user name but never the
// password, certificate, issued); the transport messages, secure channel,
// CloseSession, Cancel and encrypted messages session; GetEndpoints and
// FindServers identity (a GetEndpointsResponse gives the server's
// application and product URIs and name, recorded as its identity, and
// the endpoints it offers with their security modes). A ServiceFault
// takes its request's operation, paired by request id.
//
// Place in the data path: source → decode → flow → analyzers → detect. The
// pipeline's registry lists Probe with Spec (report.go), which keeps one
// Analyzer per flow; the pipeline reassembles each direction of the TCP
// stream and offers its bytes to Feed, which frames messages by their
// MessageSize, emits each and returns the bytes consumed (an incomplete
// message stays with the caller). A framing error (unknown message or
// chunk type, impossible size) returns ErrFraming wrapped; a message cut
// short inside is emitted with Malformed set.
//
// State: an Analyzer keeps the channel's security mode, the count of
// encrypted messages, up to 16 requests awaiting a response and the
// service of a message whose intermediate chunks have been seen; memory
// per flow is fixed.
//
// Ownership: the Message passed to emit lives in the Analyzer and is
// overwritten by the next message; it and its slices alias the stream's
// bytes and are valid only during the emit call. Name, Op and Status
// return static strings; Feed allocates nothing; Detail allocates and is
// meant only when events are written.
//
// Concurrency: an Analyzer belongs to one flow and one goroutine at a
// time; the name tables are read-only.
package opcua
