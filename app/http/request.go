package http

import (
	"bytes"
	"errors"
)

// MaxHost is the longest Host kept, in octets (a DNS name has at most 253,
// an IPv6 literal with a zone fewer).
const MaxHost = 255

// Errors returned by ParseRequest and ParseResponse. Bad input is data: the
// pipeline counts these.
var (
	ErrTruncated     = errors.New("http: truncated start line")
	ErrRequestLine   = errors.New("http: bad request line")
	ErrStatusLine    = errors.New("http: bad status line")
	ErrHeader        = errors.New("http: bad field line")
	ErrHost          = errors.New("http: bad host")
	ErrContentLength = errors.New("http: bad content length")
)

// Request is the head of an HTTP/1.x request. The zero value is ready to
// use; reuse one per flow shard.
type Request struct {
	// Method, Target and Version are the three parts of the request line
	// (RFC 9112 §3); they alias the parsed bytes.
	Method, Target, Version []byte
	// Host is the host the request is for, lower-cased and without port
	// (an IPv6 literal without its brackets): from the target when it is
	// in absolute or authority form (RFC 9112 §3.2.2, §3.2.3), else from
	// the Host field. It is nil when neither names one, empty for an empty
	// Host field. It is a copy inside the Request.
	Host []byte
	// UserAgent is the first User-Agent field's value; it aliases the
	// parsed bytes. Continuation lines (obs-fold) are not included.
	UserAgent []byte
	framing
	// HeaderLen is the length of the head, request line to the empty
	// line included, or 0 if the bytes end before it does.
	HeaderLen int
	// Truncated reports that the bytes end inside the header section:
	// fields after the last complete line are missing.
	Truncated bool

	host [MaxHost]byte
}

// ParseRequest parses the head of the HTTP/1.x request at the start of b.
// It returns ErrTruncated if b ends inside the request line and
// ErrRequestLine if the request line is invalid; for any other error the
// request line and the fields other than the one at fault are valid.
// Fields are read up to the empty line or the end of b.
func ParseRequest(b []byte, r *Request) error {
	r.reset()
	l, pos, ok := line(b, 0)
	if !ok {
		// Tell garbage from a line that is merely cut.
		if sp := bytes.IndexByte(b, ' '); sp >= 0 && !token(b[:sp]) || sp < 0 && len(b) > 0 && !token(b) {
			return ErrRequestLine
		}
		return ErrTruncated
	}
	// request-line = method SP request-target SP HTTP-version, §3.
	sp1 := bytes.IndexByte(l, ' ')
	if sp1 < 0 {
		return ErrRequestLine
	}
	sp2 := bytes.IndexByte(l[sp1+1:], ' ')
	if sp2 < 0 {
		return ErrRequestLine
	}
	sp2 += sp1 + 1
	method, target, ver := l[:sp1], l[sp1+1:sp2], l[sp2+1:]
	if !token(method) || len(target) == 0 || !version(ver) {
		return ErrRequestLine
	}
	for _, c := range target {
		if c <= ' ' || c == 0x7f {
			return ErrRequestLine
		}
	}
	r.Method, r.Target, r.Version = method, target, ver

	var err error
	setErr := func(e error) {
		if err == nil {
			err = e
		}
	}
	// A host in the target overrides the Host field (§3.2.2).
	fromTarget := false
	if authority := targetAuthority(method, target); authority != nil {
		fromTarget = true
		if !r.setHost(authority) {
			setErr(ErrHost)
		}
	}
	hostFields := 0
	last := lineEnd // the kind of the previous line, for obs-fold
	var lastName []byte
	f := fields{b: b, pos: pos}
	for {
		kind, name, value := f.next()
		switch kind {
		case lineShort:
			r.Truncated = true
			return err
		case lineEnd:
			r.HeaderLen = f.pos
			return err
		case lineBad:
			setErr(ErrHeader)
		case lineFold:
			// A folded Host would change its value; any other folded
			// field keeps the value of its first line.
			if last == lineField && equalFold(lastName, "host") {
				setErr(ErrHost)
			}
		case lineField:
			switch {
			case equalFold(name, "host"):
				// One Host field at most, RFC 9112 §3.2.
				hostFields++
				if hostFields > 1 {
					setErr(ErrHost)
				} else if !fromTarget && !r.setHost(value) {
					setErr(ErrHost)
				}
			case equalFold(name, "user-agent"):
				if r.UserAgent == nil {
					r.UserAgent = value
				}
			default:
				if !r.framing.field(name, value) {
					setErr(ErrContentLength)
				}
			}
			lastName = name
		}
		last = kind
	}
}

func (r *Request) reset() {
	*r = Request{framing: framing{ContentLength: -1}}
}

// targetAuthority returns the authority (host and port, without userinfo)
// of a request target in absolute form ("http://host:port/path", RFC 9112
// §3.2.2) or authority form (CONNECT host:port, §3.2.3), or nil.
func targetAuthority(method, target []byte) []byte {
	if string(method) == "CONNECT" {
		return target
	}
	if target[0] == '/' || string(target) == "*" {
		return nil
	}
	// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), RFC 3986 §3.1.
	i := bytes.Index(target, []byte("://"))
	if i <= 0 {
		return nil
	}
	for j, c := range target[:i] {
		alpha := 'a' <= c|0x20 && c|0x20 <= 'z'
		if !alpha && (j == 0 || !isDigit(c) && c != '+' && c != '-' && c != '.') {
			return nil
		}
	}
	a := target[i+3:]
	if end := bytes.IndexAny(a, "/?#"); end >= 0 {
		a = a[:end]
	}
	if at := bytes.LastIndexByte(a, '@'); at >= 0 {
		a = a[at+1:]
	}
	return a
}

// setHost stores the host of a Host field value or an authority,
// uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2), without the port
// and lower-cased. It reports false for an invalid value.
func (r *Request) setHost(v []byte) bool {
	host := v
	var port []byte
	if len(v) > 0 && v[0] == '[' {
		end := bytes.IndexByte(v, ']')
		if end < 0 {
			return false
		}
		host, port = v[1:end], v[end+1:]
		if len(host) == 0 {
			return false
		}
		for _, c := range host {
			if c != ':' && !regName(c) {
				return false
			}
		}
		if len(port) > 0 {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
		}
	} else {
		if i := bytes.IndexByte(v, ':'); i >= 0 {
			host, port = v[:i], v[i+1:]
		}
		for _, c := range host {
			if !regName(c) {
				return false
			}
		}
	}
	for _, c := range port {
		if !isDigit(c) {
			return false
		}
	}
	if len(host) > MaxHost {
		return false
	}
	for i, c := range host {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		r.host[i] = c
	}
	r.Host = r.host[:len(host):len(host)]
	return true
}

// regName reports whether c may appear in a reg-name or IPv4 address:
// unreserved, pct-encoded and sub-delims, RFC 3986 §3.2.2.
func regName(c byte) bool {
	switch {
	case 'a' <= c|0x20 && c|0x20 <= 'z', isDigit(c):
		return true
	}
	switch c {
	case '-', '.', '_', '~', '%', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}

// ProbeRequest reports whether b starts like an HTTP request: a method of
// RFC 9110 §9 or PATCH (RFC 5789) followed by a space.
func ProbeRequest(b []byte) bool {
	sp := bytes.IndexByte(b[:min(len(b), 8)], ' ')
	if sp < 0 {
		return false
	}
	switch string(b[:sp]) {
	case "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE":
		return true
	}
	return false
}
