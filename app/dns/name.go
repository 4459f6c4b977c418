package dns

import (
	"encoding/binary"
	"errors"
)

// Limits on names, RFC 1035 §2.3.4.
const (
	maxLabel = 63
	maxName  = 255 // octets on the wire, length octets and root included
	// maxPointers bounds the pointers followed in one name. Pointers must
	// already point before the labels that hold them, which rules out
	// loops; the bound also caps the work a chain of pointers can cause.
	// A name has at most 127 labels, and an encoder needs no more than one
	// pointer per label.
	maxPointers = 127
	cacheSize   = 16
)

// errArenaFull is internal: the name was valid but did not fit.
var errArenaFull = errors.New("dns: name arena full")

// arena holds the decoded names of one message. Decoded names are cached by
// the wire offset they start at, so the many answers that point back to
// the question name share its bytes.
type arena struct {
	buf    [arenaSize]byte
	used   int
	full   bool
	cache  [cacheSize]cached
	ncache int
	next   int
}

type cached struct {
	off        int
	start, end int
}

func (a *arena) reset() {
	a.used, a.full, a.ncache, a.next = 0, false, 0, 0
}

func (a *arena) lookup(off int) ([]byte, bool) {
	for _, c := range a.cache[:a.ncache] {
		if c.off == off {
			return a.buf[c.start:c.end:c.end], true
		}
	}
	return nil, false
}

func (a *arena) remember(off, start, end int) {
	a.cache[a.next] = cached{off: off, start: start, end: end}
	a.next = (a.next + 1) % cacheSize
	if a.ncache < cacheSize {
		a.ncache++
	}
}

// decode decodes the (possibly compressed, RFC 1035 §4.1.4) domain name at
// pos in the message b into the arena. It returns the name, lower-case,
// dotted, without the trailing dot and escaped as in RFC 1035 §5.1, and the
// offset after the name's bytes at pos. A valid name that does not fit the
// arena returns errArenaFull and the offset after it.
func (a *arena) decode(b []byte, pos int) ([]byte, int, error) {
	start := a.used
	out := start
	key := pos // the offset the name's decoding is a function of
	run := pos // start of the current run of labels: pointers must point before it
	end := -1  // offset after the name at pos, known at the first pointer or the root
	wire := 0  // octets of the name on the wire
	pointers := 0
	full := a.full
	for {
		if pos >= len(b) {
			return nil, 0, ErrTruncated
		}
		c := int(b[pos])
		switch c & 0xc0 {
		case 0x00: // a label, or the root
		case 0xc0: // a pointer
			if len(b)-pos < 2 {
				return nil, 0, ErrTruncated
			}
			t := int(binary.BigEndian.Uint16(b[pos:]) & 0x3fff)
			if t < headerLen || t >= run {
				return nil, 0, ErrPointer
			}
			pointers++
			if pointers > maxPointers {
				return nil, 0, ErrPointer
			}
			if end < 0 {
				end = pos + 2
				if pos == key {
					// The name is the one at t.
					key = t
					if n, ok := a.lookup(t); ok {
						return n, end, nil
					}
				}
			}
			run, pos = t, t
			continue
		default: // 0x40 extended (RFC 6891 §5) and 0x80 reserved
			return nil, 0, ErrLabel
		}
		if c == 0 {
			if end < 0 {
				end = pos + 1
			}
			break
		}
		if wire+1+c+1 > maxName {
			return nil, 0, ErrNameLength
		}
		wire += 1 + c
		if len(b)-pos-1 < c {
			return nil, 0, ErrTruncated
		}
		label := b[pos+1 : pos+1+c]
		pos += 1 + c
		// Worst case: a dot and every octet as \DDD.
		if full || len(a.buf)-out < 1+4*len(label) {
			full = true
			continue
		}
		if out > start {
			a.buf[out] = '.'
			out++
		}
		out = escape(a.buf[:], out, label)
	}
	if full {
		a.full = true
		return nil, end, errArenaFull
	}
	a.used = out
	a.remember(key, start, out)
	return a.buf[start:out:out], end, nil
}

// escape writes label into buf at out, lower-casing ASCII letters and
// escaping as RFC 1035 §5.1 does, and returns the new offset. The caller
// has checked that buf has room for 4*len(label) octets.
func escape(buf []byte, out int, label []byte) int {
	for _, x := range label {
		switch {
		case 'A' <= x && x <= 'Z':
			buf[out] = x + 'a' - 'A'
			out++
		case x == '.' || x == '\\':
			buf[out], buf[out+1] = '\\', x
			out += 2
		case x < 0x21 || x > 0x7e:
			buf[out] = '\\'
			buf[out+1] = '0' + x/100
			buf[out+2] = '0' + x/10%10
			buf[out+3] = '0' + x%10
			out += 4
		default:
			buf[out] = x
			out++
		}
	}
	return out
}

// skipName returns the offset after the name at pos without following its
// pointer or decoding it.
func skipName(b []byte, pos int) (int, error) {
	wire := 0
	for {
		if pos >= len(b) {
			return 0, ErrTruncated
		}
		c := int(b[pos])
		switch c & 0xc0 {
		case 0x00:
		case 0xc0:
			if len(b)-pos < 2 {
				return 0, ErrTruncated
			}
			return pos + 2, nil
		default:
			return 0, ErrLabel
		}
		if c == 0 {
			return pos + 1, nil
		}
		if wire+1+c+1 > maxName {
			return 0, ErrNameLength
		}
		wire += 1 + c
		pos += 1 + c
	}
}
