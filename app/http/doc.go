// Package http reads the head of HTTP/1.x messages (RFC 9112): the request
// line and the Host, User-Agent, Content-Length and Transfer-Encoding
// fields of a request, and the status line and the Server field of a
// response. Crane and terminal equipment is often managed over plain HTTP
// (PLC web servers, camera and drive configuration pages, vendor update
// services); the request says which host and which resource was asked
// for, by which client.
//
// Place in the data path: source → decode → flow → analyzers → detect. The
// pipeline's registry lists Probe (ProbeRequest / ProbeResponse on any TCP
// port; RTSPProbe before it) with Spec, whose analyzer (report.go) calls
// ParseRequest or ParseResponse on a payload that starts a message and
// reports the Host asked for and the first Server field. The
// head may end past the segment: the fields read so far are returned with
// Truncated set, and only a request or status line that is itself cut
// yields ErrTruncated. Bodies are not read; HeaderLen, ContentLength and
// Chunked tell the caller where the next message starts.
//
// Ownership: Method, Target, Version, UserAgent, Reason and Server alias
// the bytes passed in and are valid only as long as they are; they hold no
// ASCII control characters other than HTAB, but may hold other octets
// above 0x7f, so escape them before logging. Request.Host is a lower-cased
// copy inside the Request. Request and Response are meant to be reused:
// parsing does not allocate.
//
// Concurrency: a Request or Response is not safe for concurrent use; the
// package-level functions are safe to call concurrently.
package http
