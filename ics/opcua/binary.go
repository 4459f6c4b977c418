package opcua

import "encoding/binary"

// reader decodes the OPC UA Binary encoding (Part 6 §5.2) from b; a read
// past the end sets bad and returns zero values, so that a decoder checks
// once at the end.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n int) []byte {
	if r.bad || n < 0 || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if v := r.take(2); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if v := r.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (r *reader) skip(n int) { r.take(n) }

// bytes reads a String or ByteString: an Int32 length (-1: null) and the
// bytes.
func (r *reader) bytes() []byte {
	n := int32(r.u32())
	if n <= 0 {
		if n < -1 {
			r.bad = true
		}
		return nil
	}
	return r.take(int(n))
}

// nodeID is a decoded NodeId: a numeric one's namespace and id, or the
// kind of a string, GUID or opaque one.
type nodeID struct {
	ns      uint16
	id      uint32
	numeric bool
	kind    uint8 // encoding byte without flags
	other   []byte
}

// nodeID reads a NodeId or ExpandedNodeId (§5.2.2.9): two-byte,
// four-byte, numeric, string, GUID or ByteString encodings, with the
// namespace URI and server index of an expanded one skipped.
func (r *reader) nodeID() nodeID {
	enc := r.u8()
	n := nodeID{kind: enc & 0x0F}
	switch n.kind {
	case 0:
		n.id, n.numeric = uint32(r.u8()), true
	case 1:
		n.ns = uint16(r.u8())
		n.id, n.numeric = uint32(r.u16()), true
	case 2:
		n.ns = r.u16()
		n.id, n.numeric = r.u32(), true
	case 3, 5:
		n.ns = r.u16()
		n.other = r.bytes()
	case 4:
		n.ns = r.u16()
		n.other = r.take(16)
	default:
		r.bad = true
	}
	if enc&0x80 != 0 {
		r.bytes()
	}
	if enc&0x40 != 0 {
		r.u32()
	}
	return n
}

// diagnosticInfo skips a DiagnosticInfo (§5.2.2.12), nested at most depth
// levels.
func (r *reader) diagnosticInfo(depth int) {
	mask := r.u8()
	for _, bit := range [...]uint8{0x01, 0x02, 0x04, 0x08} {
		if mask&bit != 0 {
			r.u32()
		}
	}
	if mask&0x10 != 0 {
		r.bytes()
	}
	if mask&0x20 != 0 {
		r.u32()
	}
	if mask&0x40 != 0 {
		if depth <= 0 {
			r.bad = true
			return
		}
		r.diagnosticInfo(depth - 1)
	}
}

// extensionObject reads an ExtensionObject's type id and body (§5.2.2.15).
func (r *reader) extensionObject() (nodeID, []byte) {
	t := r.nodeID()
	switch r.u8() {
	case 0:
		return t, nil
	case 1, 2:
		return t, r.bytes()
	}
	r.bad = true
	return t, nil
}

// localizedText reads a LocalizedText's text (§5.2.2.14).
func (r *reader) localizedText() []byte {
	mask := r.u8()
	if mask&0x01 != 0 {
		r.bytes()
	}
	if mask&0x02 != 0 {
		return r.bytes()
	}
	return nil
}

// requestHeader skips a RequestHeader (Part 4 §7.28).
func (r *reader) requestHeader() {
	r.nodeID() // authentication token
	r.skip(8)  // timestamp
	r.skip(4)  // request handle
	r.skip(4)  // return diagnostics
	r.bytes()  // audit entry id
	r.skip(4)  // timeout hint
	r.extensionObject()
}

// responseHeader reads a ResponseHeader's service result (§7.29) and
// skips the rest.
func (r *reader) responseHeader() uint32 {
	r.skip(8) // timestamp
	r.skip(4) // request handle
	res := r.u32()
	r.diagnosticInfo(4)
	if n := int32(r.u32()); n > 0 {
		for i := int32(0); i < n && !r.bad; i++ {
			r.bytes()
		}
	}
	r.extensionObject()
	return res
}

// arrayLen reads an array length, capped at limit (a negative length is
// an empty array).
func (r *reader) arrayLen(limit int) int {
	n := int32(r.u32())
	if n < 0 {
		return 0
	}
	if int(n) > limit {
		return limit
	}
	return int(n)
}
