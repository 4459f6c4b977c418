package http

import "bytes"

// Response is the head of an HTTP/1.x response. The zero value is ready to
// use; reuse one per flow shard.
type Response struct {
	// Version and Reason are parts of the status line (RFC 9112 §4); they
	// alias the parsed bytes. Reason may be empty.
	Version []byte
	Status  int
	Reason  []byte
	// Server is the first Server field's value (RFC 9110 §10.2.4); it
	// aliases the parsed bytes.
	Server []byte
	framing
	// HeaderLen and Truncated are as in Request.
	HeaderLen int
	Truncated bool
}

// ParseResponse parses the head of the HTTP/1.x response at the start of
// b. It returns ErrTruncated if b ends inside the status line and
// ErrStatusLine if the status line is invalid; for any other error the
// status line and the fields other than the one at fault are valid.
func ParseResponse(b []byte, r *Response) error {
	*r = Response{framing: framing{ContentLength: -1}}
	l, pos, ok := line(b, 0)
	if !ok {
		if len(b) >= 5 && string(b[:5]) != "HTTP/" || len(b) < 5 && string(b) != "HTTP/"[:len(b)] {
			return ErrStatusLine
		}
		return ErrTruncated
	}
	// status-line = HTTP-version SP status-code SP [ reason-phrase ], §4.
	// The second SP is missing in some servers' replies with no reason.
	if len(l) < 12 || !version(l[:8]) || l[8] != ' ' {
		return ErrStatusLine
	}
	code := l[9:12]
	if !isDigit(code[0]) || !isDigit(code[1]) || !isDigit(code[2]) || code[0] < '1' || code[0] > '5' {
		return ErrStatusLine // RFC 9110 §15: 100 to 599
	}
	rest := l[12:]
	if len(rest) > 0 {
		if rest[0] != ' ' || ctl(rest[1:]) {
			return ErrStatusLine
		}
		rest = rest[1:]
	}
	r.Version = l[:8]
	r.Status = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	r.Reason = rest

	var err error
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
			if err == nil {
				err = ErrHeader
			}
		case lineField:
			if equalFold(name, "server") {
				if r.Server == nil {
					r.Server = value
				}
			} else if !r.framing.field(name, value) && err == nil {
				err = ErrContentLength
			}
		}
	}
}

// ProbeResponse reports whether b starts like an HTTP/1.0 or HTTP/1.1
// status line: the version, a space and three digits.
func ProbeResponse(b []byte) bool {
	if len(b) < 12 {
		return false
	}
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 ")) && !bytes.HasPrefix(b, []byte("HTTP/1.0 ")) {
		return false
	}
	return isDigit(b[9]) && isDigit(b[10]) && isDigit(b[11])
}
