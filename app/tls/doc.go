// Package tls reads the TLS ClientHello (RFC 8446 §4.1.2, RFC 5246
// §7.4.1.2) at the start of a TLS connection: the server name the client
// asks for (SNI, RFC 6066 §3), the application protocols it offers (ALPN,
// RFC 7301) and the protocol versions it supports. harborwatch does not
// decrypt anything; the ClientHello is the cleartext that says which
// remote service a crane or terminal host talks to (a supplier platform,
// a vendor gateway) and whether it still offers outdated versions.
//
// Place in the data path: source → decode → flow → analyzers → detect. The
// pipeline's registry lists RecordProbe and AnyDeskProbe (Probe on the
// first client payload) with Spec, whose analyzer (report.go) calls
// ParseClientHello on the bytes that start with the first TLS record and
// reports the server name, and the AnyDesk or TeamViewer service it names
// (app/remote's name lists). A ClientHello is often larger than one segment (a
// post-quantum key share alone is over a kilobyte): ParseClientHello reads
// what is present and returns ErrTruncated only when the server name could
// not be reached, so the pipeline can retry once more bytes have been
// reassembled. Only the first record is read; a ClientHello fragmented over
// several records is read as far as the first record goes. SSL 2.0
// compatible hellos are not recognized.
//
// Ownership: the bytes passed to ParseClientHello belong to the caller.
// ClientHello.SNI is a lower-cased, escaped copy inside the ClientHello;
// ClientHello.ALPN entries alias the caller's bytes and are valid only as
// long as they are (they are opaque octets as sent: escape them before
// logging). The ALPN and SupportedVersions slices are backed by fixed
// arrays inside the ClientHello, which is meant to be reused: parsing does
// not allocate.
//
// Concurrency: a ClientHello is not safe for concurrent use; the
// package-level functions are safe to call concurrently.
package tls
