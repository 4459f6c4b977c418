// Package dns parses DNS messages (RFC 1035 §4, RFC 3596 for AAAA) carried
// in one UDP datagram or one TCP segment: queries and responses of the
// crane, terminal and business networks, and the same wire format as used by
// mDNS (RFC 6762) and LLMNR (RFC 4795).
//
// Place in the data path: source → decode → flow → analyzers → detect. The
// pipeline's registry lists UDPProbe and TCPProbe (Probe on DNS's ports)
// with Spec, whose analyzer calls Message.Parse on each UDP payload (or
// Message.ParseTCP on each length-prefixed TCP message) and reports the
// names a query asks for and, when events are wanted, the events (who
// asked for which name, what the answer was; report.go). Only the header, the question
// section and the answer section are read; the authority and additional
// sections (and so EDNS(0) OPT records) are not.
//
// Ownership: the bytes passed to Parse belong to the caller and are not kept.
// Names are decoded, lower-cased and escaped into an arena inside the
// Message, so Question.Name, Answer.Name and Answer.Target alias the Message,
// not the packet, and stay valid until the next Parse on the same Message.
// Questions and Answers are backed by fixed arrays inside the Message. A
// Message is meant to be reused: Parse does not allocate.
//
// Hostile input: name decompression accepts only pointers that point before
// the labels that hold them, so pointer loops are impossible; labels longer
// than 63 octets, names longer than 255 octets (RFC 1035 §2.3.4), the
// reserved label types and records that run past the message are rejected
// with a sentinel error. Name bytes outside printable ASCII, '.' inside a
// label and '\' are written as \DDD or \X (RFC 1035 §5.1), so a name can
// never put control characters into a log or a report.
//
// Concurrency: a Message is not safe for concurrent use; use one per
// goroutine (per flow shard). The package-level functions are safe to call
// concurrently.
package dns
