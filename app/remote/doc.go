// Package remote recognises interactive remote-access protocols from the
// first payload bytes of a flow and parses the one handshake message that
// names who is connecting: SSH identification strings (RFC 4253 §4.2), the
// RFB protocol version (RFC 6143 §7.1.1), the RDP X.224 Connection Request
// with its cookie and negotiation request ([MS-RDPBCGR] §2.2.1.1), Telnet
// option negotiation (RFC 854, RFC 855), TeamViewer framing, and the TLS or
// DNS names and ALPN values of the AnyDesk and TeamViewer services.
//
// Place in the data path: source → decode → flow → analyzers → detect. The
// pipeline's registry lists the probes of report.go (these checks with
// their ports) to decide that a flow is remote access, and the SSH, VNC,
// RDP and Telnet analyzers (Specs), which report banners, the SSH server's
// identity and the sessions behind the remote-access.unmanaged finding.
// The parsers keep no state between calls: one payload in, fields out.
//
// Ownership: every byte slice returned (SSH banner, RFB version, RDP cookie
// and routing token) aliases the input and is valid only as long as the
// caller's buffer is; copy it before the buffer is reused. RDPRequest is
// owned by the caller and overwritten by every parse. Nothing allocates.
//
// Hostile input: every length is checked against the input before it is
// used; bad input yields false or a sentinel error, never a panic or a read
// past len(b).
//
// Concurrency: all functions are safe to call concurrently; an RDPRequest
// must not be shared between goroutines while it is being filled.
package remote
