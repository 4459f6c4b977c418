package bacnet

import "encoding/binary"

// Application tag numbers (§20.2.1.4).
const (
	tagUnsigned     = 2
	tagSigned       = 3
	tagCharString   = 7
	tagEnumerated   = 9
	tagObjectID     = 12
	maxTagValueSize = 1 << 16
)

// tag is one BACnet tag header (§20.2.1): its number, class, and the
// length (or, for an application boolean, the value) that follows.
type tag struct {
	num     uint8
	context bool
	opening bool
	closing bool
	lvt     uint32 // length of the value (application boolean: the value)
	hdr     int    // bytes of the header
}

// readTag reads the tag header at the start of b.
func readTag(b []byte) (tag, bool) {
	if len(b) < 1 {
		return tag{}, false
	}
	t := tag{num: b[0] >> 4, context: b[0]&0x08 != 0, lvt: uint32(b[0] & 0x07), hdr: 1}
	if t.num == 0x0F {
		if len(b) < 2 {
			return tag{}, false
		}
		t.num, t.hdr = b[1], 2
	}
	switch {
	case t.context && t.lvt == 6:
		t.opening, t.lvt = true, 0
	case t.context && t.lvt == 7:
		t.closing, t.lvt = true, 0
	case !t.context && t.num == 1: // boolean: the value is in the header
		t.lvt = 0
	case t.lvt == 5:
		if len(b) < t.hdr+1 {
			return tag{}, false
		}
		l := uint32(b[t.hdr])
		t.hdr++
		switch l {
		case 254:
			if len(b) < t.hdr+2 {
				return tag{}, false
			}
			l, t.hdr = uint32(binary.BigEndian.Uint16(b[t.hdr:])), t.hdr+2
		case 255:
			if len(b) < t.hdr+4 {
				return tag{}, false
			}
			l, t.hdr = binary.BigEndian.Uint32(b[t.hdr:]), t.hdr+4
		}
		t.lvt = l
	}
	if t.lvt > maxTagValueSize {
		return tag{}, false
	}
	return t, true
}

// unsigned decodes a big-endian unsigned value of up to 4 bytes (longer
// values keep their last 4).
func unsigned(b []byte) uint32 {
	var v uint32
	for _, c := range b {
		v = v<<8 | uint32(c)
	}
	return v
}

// signed decodes a big-endian two's complement value of up to 4 bytes.
func signed(b []byte) int64 {
	if len(b) == 0 || len(b) > 4 {
		return int64(unsigned(b))
	}
	v := int64(unsigned(b))
	if b[0]&0x80 != 0 {
		v -= 1 << (8 * len(b))
	}
	return v
}

// element is one primitive value of a service's parameters, as the walk
// of its tags found it.
type element struct {
	tag   tag
	depth int
	value []byte
}

// elements walks the tags of b, calling f for each primitive value with
// the depth of the constructed values it sits in; it stops at the first
// tag that does not fit, or when f returns false.
func elements(b []byte, f func(e element) bool) {
	depth := 0
	for len(b) > 0 {
		t, ok := readTag(b)
		if !ok {
			return
		}
		switch {
		case t.opening:
			depth++
			b = b[t.hdr:]
			continue
		case t.closing:
			depth--
			b = b[t.hdr:]
			continue
		}
		if len(b) < t.hdr+int(t.lvt) {
			return
		}
		if !f(element{tag: t, depth: depth, value: b[t.hdr : t.hdr+int(t.lvt)]}) {
			return
		}
		b = b[t.hdr+int(t.lvt):]
	}
}
