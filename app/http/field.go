package http

import "bytes"

// tchar marks the octets of a token, RFC 9110 §5.6.2.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func token(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tchar[c] {
			return false
		}
	}
	return true
}

// ctl reports whether b holds an ASCII control character other than HTAB
// (RFC 9110 §5.5: field values are VCHAR, SP, HTAB and obs-text).
func ctl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return true
		}
	}
	return false
}

// line returns the line at pos without its LF or CRLF (RFC 9112 §2.2
// allows a bare LF as terminator) and the offset after it; ok is false if
// b holds no LF after pos.
func line(b []byte, pos int) (l []byte, next int, ok bool) {
	i := bytes.IndexByte(b[pos:], '\n')
	if i < 0 {
		return nil, 0, false
	}
	l = b[pos : pos+i]
	if len(l) > 0 && l[len(l)-1] == '\r' {
		l = l[:len(l)-1]
	}
	return l, pos + i + 1, true
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// version reports whether b is an HTTP-version, RFC 9112 §2.3:
// "HTTP/" DIGIT "." DIGIT.
func version(b []byte) bool {
	return len(b) == 8 && string(b[:5]) == "HTTP/" && isDigit(b[5]) && b[6] == '.' && isDigit(b[7])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// equalFold reports whether b equals the lower-case ASCII s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// Kinds of line in a header section.
const (
	lineField = iota // name: value
	lineFold         // obs-fold continuation, RFC 9112 §5.2
	lineEnd          // the empty line that ends the section
	lineShort        // the bytes end before the line does
	lineBad          // not a valid field line
)

// fields iterates over the field lines of a header section, RFC 9112 §5.
type fields struct {
	b   []byte
	pos int
}

// next returns the kind of the next line and, for a field, its name and
// value without surrounding whitespace.
func (f *fields) next() (kind int, name, value []byte) {
	l, next, ok := line(f.b, f.pos)
	if !ok {
		return lineShort, nil, nil
	}
	f.pos = next
	if len(l) == 0 {
		return lineEnd, nil, nil
	}
	if l[0] == ' ' || l[0] == '\t' {
		return lineFold, nil, trimOWS(l)
	}
	colon := bytes.IndexByte(l, ':')
	if colon < 0 {
		return lineBad, nil, nil
	}
	// No whitespace is allowed between the name and the colon (§5.1).
	name, value = l[:colon], trimOWS(l[colon+1:])
	if !token(name) || ctl(value) {
		return lineBad, nil, nil
	}
	return lineField, name, value
}

// framing holds the fields that delimit a message body, RFC 9112 §6.
type framing struct {
	// ContentLength is the Content-Length field, or -1 if absent.
	ContentLength int64
	// Chunked reports that the last transfer coding is chunked.
	Chunked bool
}

// field applies a Content-Length or Transfer-Encoding field to fr. It
// reports false for a Content-Length that is invalid or differs from an
// earlier one (RFC 9110 §8.6, RFC 9112 §6.3).
func (fr *framing) field(name, value []byte) bool {
	switch {
	case equalFold(name, "content-length"):
		n, ok := contentLength(value)
		if !ok || fr.ContentLength >= 0 && fr.ContentLength != n {
			return false
		}
		fr.ContentLength = n
	case equalFold(name, "transfer-encoding"):
		// The codings of all lines form one list; the last one counts.
		last := value
		if i := bytes.LastIndexByte(value, ','); i >= 0 {
			last = value[i+1:]
		}
		fr.Chunked = equalFold(trimOWS(last), "chunked")
	}
	return true
}

// contentLength parses a Content-Length value: 1*DIGIT, or a list of equal
// values ("42, 42"), RFC 9110 §8.6.
func contentLength(v []byte) (int64, bool) {
	n := int64(-1)
	for len(v) > 0 {
		var item []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = trimOWS(v[:i]), v[i+1:]
		} else {
			item, v = trimOWS(v), nil
		}
		// 18 digits cannot overflow an int64.
		if len(item) == 0 || len(item) > 18 {
			return 0, false
		}
		var m int64
		for _, c := range item {
			if !isDigit(c) {
				return 0, false
			}
			m = m*10 + int64(c-'0')
		}
		if n >= 0 && m != n {
			return 0, false
		}
		n = m
	}
	return n, n >= 0
}
