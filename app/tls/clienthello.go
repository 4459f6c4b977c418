package tls

import (
	"encoding/binary"
	"errors"
)

// Capacity of a ClientHello. Values beyond these are not kept.
const (
	MaxALPN     = 8
	MaxVersions = 8
	// MaxSNI is the longest server name kept, in octets on the wire: a
	// DNS name is at most 253 characters in text form.
	MaxSNI = 255
)

// Record and handshake constants (RFC 8446 §5.1, §4; RFC 5246 §6.2.1).
const (
	recordHeaderLen    = 5
	handshakeHeaderLen = 4
	maxRecordLen       = 1 << 14 // TLSPlaintext.length
	contentHandshake   = 22
	typeClientHello    = 1
	// legacy_version, random, and the smallest session id, cipher
	// suites and compression methods vectors.
	minClientHelloLen = 2 + 32 + 1 + 2 + 2 + 1 + 1
)

// Extension types (IANA TLS ExtensionType values).
const (
	extServerName        = 0  // RFC 6066 §3
	extALPN              = 16 // RFC 7301 §3.1
	extSupportedVersions = 43 // RFC 8446 §4.2.1
)

// Errors returned by ParseClientHello. Bad input is data: the pipeline
// counts these.
var (
	ErrNotHandshake   = errors.New("tls: not a handshake record")
	ErrNotClientHello = errors.New("tls: not a client hello")
	ErrTruncated      = errors.New("tls: truncated before the server name")
	ErrMalformed      = errors.New("tls: malformed client hello")
	ErrServerName     = errors.New("tls: bad server name")
)

// ClientHello holds what ParseClientHello read. The zero value is ready to
// use; reuse one per flow shard.
type ClientHello struct {
	// RecordVersion is the version of the record header (usually 0x0301).
	RecordVersion uint16
	// Version is legacy_version: 0x0303 for TLS 1.2 and 1.3 clients, which
	// list what they support in SupportedVersions.
	Version uint16
	// SNI is the first host_name of the server_name extension,
	// lower-cased, with octets outside printable ASCII and '\' written as
	// \DDD; nil if the client sent none.
	SNI []byte
	// ALPN lists the protocols of the application_layer_protocol_negotiation
	// extension in the client's order (at most MaxALPN); they alias the
	// parsed bytes.
	ALPN [][]byte
	// SupportedVersions lists the supported_versions extension, without
	// GREASE values (RFC 8701), at most MaxVersions.
	SupportedVersions []uint16
	// Truncated reports that the ClientHello continues past the bytes
	// given (or past the first record): extensions after the last one
	// read are missing.
	Truncated bool

	sni      [4 * MaxSNI]byte
	alpn     [MaxALPN][]byte
	versions [MaxVersions]uint16
}

// cursor reads a vector whose declared end may lie beyond the bytes that
// are present: reading past the declared end is malformed input, reading
// past the present bytes only is truncation.
type cursor struct {
	b   []byte // the present bytes, never beyond end
	pos int
	end int // declared end
}

func (c *cursor) need(n int) error {
	switch {
	case n > c.end-c.pos:
		return ErrMalformed
	case n > len(c.b)-c.pos:
		return errShort
	}
	return nil
}

// sub returns a cursor over the next n declared octets and skips them.
func (c *cursor) sub(n int) (cursor, error) {
	if n > c.end-c.pos {
		return cursor{}, ErrMalformed
	}
	lo, hi := min(c.pos, len(c.b)), min(c.pos+n, len(c.b))
	s := cursor{b: c.b[lo:hi], end: n}
	c.pos += n
	return s, nil
}

func (c *cursor) u8() (int, error) {
	if err := c.need(1); err != nil {
		return 0, err
	}
	c.pos++
	return int(c.b[c.pos-1]), nil
}

func (c *cursor) u16() (int, error) {
	if err := c.need(2); err != nil {
		return 0, err
	}
	c.pos += 2
	return int(binary.BigEndian.Uint16(c.b[c.pos-2:])), nil
}

// vector8 and vector16 return a cursor over a vector with a one- or
// two-octet length (RFC 8446 §3.4) and skip it.
func (c *cursor) vector8() (cursor, error) {
	n, err := c.u8()
	if err != nil {
		return cursor{}, err
	}
	return c.sub(n)
}

func (c *cursor) vector16() (cursor, error) {
	n, err := c.u16()
	if err != nil {
		return cursor{}, err
	}
	return c.sub(n)
}

// complete reports whether all declared bytes are present.
func (c *cursor) complete() bool { return len(c.b) == c.end }

// errShort is internal: the bytes present end before the structure does.
var errShort = errors.New("tls: short")

// ParseClientHello parses the ClientHello in the TLS record at the start of
// b, a TCP payload that begins with the record header (content type 22).
// When b ends before the ClientHello does, it returns the fields read so
// far with Truncated set, and the error is nil if the server name
// extension was read and ErrTruncated if it was not (which includes a
// ClientHello without one, as that cannot be told yet). Other errors mean
// the bytes are not a ClientHello or contradict their own lengths.
func ParseClientHello(b []byte, h *ClientHello) error {
	h.reset()
	// TLSPlaintext header, RFC 8446 §5.1, as far as it is present.
	if len(b) > 0 && b[0] != contentHandshake || len(b) > 1 && b[1] != 3 || len(b) > 2 && b[2] > 4 {
		return ErrNotHandshake
	}
	if len(b) < recordHeaderLen {
		h.Truncated = true
		return ErrTruncated
	}
	h.RecordVersion = binary.BigEndian.Uint16(b[1:])
	n := int(binary.BigEndian.Uint16(b[3:]))
	if n == 0 || n > maxRecordLen {
		return ErrNotHandshake
	}
	rec := cursor{b: b[recordHeaderLen:min(recordHeaderLen+n, len(b))], end: n}

	// Handshake header, RFC 8446 §4. The message may be longer than the
	// record: what lies beyond the record is not read.
	if len(rec.b) > 0 && rec.b[0] != typeClientHello {
		return ErrNotClientHello
	}
	if len(rec.b) < handshakeHeaderLen {
		if rec.complete() {
			return ErrMalformed
		}
		h.Truncated = true
		return ErrTruncated
	}
	n = int(rec.b[1])<<16 | int(rec.b[2])<<8 | int(rec.b[3])
	if n < minClientHelloLen {
		return ErrMalformed
	}
	rec.pos = handshakeHeaderLen
	c := cursor{b: rec.b[rec.pos:min(rec.pos+n, len(rec.b))], end: n}

	err := h.body(&c)
	switch {
	case err == errShort:
		h.Truncated = true
		if h.SNI == nil {
			return ErrTruncated
		}
		return nil
	case err != nil:
		return err
	}
	return nil
}

func (h *ClientHello) reset() {
	h.RecordVersion, h.Version = 0, 0
	h.SNI = nil
	h.ALPN = h.alpn[:0]
	h.SupportedVersions = h.versions[:0]
	h.Truncated = false
}

// body reads the ClientHello body, RFC 8446 §4.1.2 (RFC 5246 §7.4.1.2 for
// TLS 1.2 and earlier, whose extensions are optional).
func (h *ClientHello) body(c *cursor) error {
	v, err := c.u16()
	if err != nil {
		return err
	}
	h.Version = uint16(v)
	if err := c.need(32); err != nil { // random
		return err
	}
	c.pos += 32
	sid, err := c.vector8()
	if err != nil {
		return err
	}
	if sid.end > 32 {
		return ErrMalformed
	}
	suites, err := c.vector16()
	if err != nil {
		return err
	}
	if suites.end < 2 || suites.end%2 != 0 {
		return ErrMalformed
	}
	comp, err := c.vector8()
	if err != nil {
		return err
	}
	if comp.end < 1 {
		return ErrMalformed
	}
	if !comp.complete() {
		return errShort
	}
	if c.pos == c.end {
		return nil // no extensions
	}
	exts, err := c.vector16()
	if err != nil {
		return err
	}
	if c.pos != c.end {
		return ErrMalformed // bytes after the extensions
	}
	var seen uint8
	for exts.pos < exts.end {
		typ, err := exts.u16()
		if err != nil {
			return err
		}
		e, err := exts.vector16()
		if err != nil {
			return err
		}
		var bit uint8
		switch typ {
		case extServerName:
			bit = 1
		case extALPN:
			bit = 2
		case extSupportedVersions:
			bit = 4
		default:
			if !e.complete() {
				return errShort
			}
			continue
		}
		if seen&bit != 0 {
			return ErrMalformed // RFC 8446 §4.2: one extension of each type
		}
		seen |= bit
		if !e.complete() {
			return errShort
		}
		switch typ {
		case extServerName:
			err = h.serverName(e)
		case extALPN:
			err = h.alpnList(e)
		case extSupportedVersions:
			err = h.supportedVersions(e)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// serverName reads a complete server_name extension, RFC 6066 §3: a
// ServerNameList of (NameType, opaque<1..2^16-1>); host_name is type 0.
func (h *ClientHello) serverName(e cursor) error {
	list, err := e.vector16()
	if err != nil || e.pos != e.end || list.end < 3 {
		return ErrMalformed
	}
	for list.pos < list.end {
		typ, err := list.u8()
		if err != nil {
			return ErrMalformed
		}
		name, err := list.vector16()
		if err != nil || name.end < 1 {
			return ErrMalformed
		}
		if typ != 0 || h.SNI != nil {
			continue
		}
		if name.end > MaxSNI {
			return ErrServerName
		}
		h.SNI = h.sni[:escape(h.sni[:], name.b)]
	}
	return nil
}

// alpnList reads a complete ALPN extension, RFC 7301 §3.1: a
// ProtocolNameList of opaque<1..2^8-1>.
func (h *ClientHello) alpnList(e cursor) error {
	list, err := e.vector16()
	if err != nil || e.pos != e.end || list.end < 2 {
		return ErrMalformed
	}
	for list.pos < list.end {
		p, err := list.vector8()
		if err != nil || p.end < 1 {
			return ErrMalformed
		}
		if len(h.ALPN) < MaxALPN {
			h.ALPN = append(h.ALPN, p.b[:p.end:p.end])
		}
	}
	return nil
}

// supportedVersions reads a complete supported_versions extension of a
// ClientHello, RFC 8446 §4.2.1: ProtocolVersion versions<2..254>.
func (h *ClientHello) supportedVersions(e cursor) error {
	list, err := e.vector8()
	if err != nil || e.pos != e.end || list.end < 2 || list.end%2 != 0 {
		return ErrMalformed
	}
	for ; list.pos < list.end; list.pos += 2 {
		v := binary.BigEndian.Uint16(list.b[list.pos:])
		if grease(v) || len(h.SupportedVersions) == MaxVersions {
			continue
		}
		h.SupportedVersions = append(h.SupportedVersions, v)
	}
	return nil
}

// grease reports whether v is a GREASE value, RFC 8701 §2: 0x0A0A,
// 0x1A1A, … 0xFAFA.
func grease(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// escape writes name into buf lower-cased, with octets outside printable
// ASCII and '\' as \DDD, and returns the length written. buf has room for
// 4*len(name) octets.
func escape(buf, name []byte) int {
	n := 0
	for _, x := range name {
		switch {
		case 'A' <= x && x <= 'Z':
			buf[n] = x + 'a' - 'A'
			n++
		case x < 0x21 || x > 0x7e || x == '\\':
			buf[n] = '\\'
			buf[n+1] = '0' + x/100
			buf[n+2] = '0' + x/10%10
			buf[n+3] = '0' + x%10
			n += 4
		default:
			buf[n] = x
			n++
		}
	}
	return n
}

// MaxVersion returns the highest version the client offers: the highest
// of SupportedVersions, or Version if the client sent none.
func (h *ClientHello) MaxVersion() uint16 {
	m := uint16(0)
	for _, v := range h.SupportedVersions {
		m = max(m, v)
	}
	if m == 0 {
		return h.Version
	}
	return m
}

// Probe reports whether b could start a TLS connection: a handshake record
// (type 22) of version 0x0300 to 0x0304 with a length of 1 to 2^14 that
// holds a ClientHello (handshake type 1) of plausible length. b needs 9
// octets.
func Probe(b []byte) bool {
	if len(b) < recordHeaderLen+handshakeHeaderLen {
		return false
	}
	if b[0] != contentHandshake || b[1] != 3 || b[2] > 4 {
		return false
	}
	n := int(binary.BigEndian.Uint16(b[3:]))
	if n < handshakeHeaderLen || n > maxRecordLen || b[5] != typeClientHello {
		return false
	}
	hs := int(b[6])<<16 | int(b[7])<<8 | int(b[8])
	return hs >= minClientHelloLen
}
