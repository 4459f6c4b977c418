package s7

import "encoding/binary"

// plus decodes an S7comm-plus PDU: header (protocol id 0x72, version, data
// length), for V3 the integrity part (digest length, digest), the data part
// (opcode; for requests and responses reserved (2), function code (2),
// reserved (2), sequence number (2); requests then session id (4) and
// transport flags (1); responses transport flags (1) and the return value
// as a 64-bit VLQ; notifications the subscription object id (4)) and the
// trailer (0x72, version, 0x0000).
//
// A PDU without trailer is the first fragment of a PDU split over several
// TPKT packets; the fragments that follow, up to the one with the trailer,
// carry no header of their own and produce no Message. The object payload
// (items, values, object attributes) is not decoded.
func (a *Analyzer) plus(p []byte, fromClient bool, emit func(*Message)) {
	m := a.start(KindS7Plus, fromClient)
	if len(p) < 4 {
		if len(p) >= 2 {
			m.Version = p[1]
		}
		a.malformed(m, stPlusHeader, emit)
		return
	}
	m.Version = p[1]
	m.op = opSession
	switch m.Version {
	case plusKeepAlive:
		m.name = "Keep Alive"
		emit(m)
		return
	case plusExtKeep:
		m.name = "Extended Keep Alive"
		emit(m)
		return
	}
	dlen := int(binary.BigEndian.Uint16(p[2:]))
	if 4+dlen > len(p) {
		m.op = opOther
		a.malformed(m, stPlusLength, emit)
		return
	}
	data := p[4 : 4+dlen]
	trailer := len(p) > 4+dlen
	d := &a.dir[dirIndex(fromClient)]
	if d.plusFrag {
		// An inner fragment, or the last one (with trailer).
		if trailer {
			d.plusFrag = false
		}
		return
	}
	if !trailer {
		d.plusFrag = true
		m.Fragmented = true
	}
	if m.Version == plusV3 {
		if len(data) < 1 || 1+int(data[0]) > len(data) {
			m.op = opOther
			a.malformed(m, stPlusIntegrity, emit)
			return
		}
		m.DigestLen = data[0]
		data = data[1+int(data[0]):]
	}
	if len(data) < 1 {
		m.op = opOther
		a.malformed(m, stPlusHeader, emit)
		return
	}
	m.Opcode = data[0]
	switch m.Opcode {
	case plusNotification:
		m.name = "Notification"
		m.op = opOther
		if len(data) >= 5 {
			m.subscription = binary.BigEndian.Uint32(data[1:])
			m.hasSubscr = true
		}
		emit(m)
		return
	case plusRequest, plusResponse, plusResponse2:
	default:
		m.op = opOther
		a.malformed(m, stPlusOpcode, emit)
		return
	}
	m.request = m.Opcode == plusRequest
	if len(data) < 9 {
		m.op = opOther
		a.malformed(m, stPlusHeader, emit)
		return
	}
	m.PlusFunction = binary.BigEndian.Uint16(data[3:])
	m.PlusSequence = binary.BigEndian.Uint16(data[7:])
	m.name = plusFunctionName(m.PlusFunction)
	m.op = plusFunctionOp(m.PlusFunction)
	if m.request {
		if len(data) < 14 {
			a.malformed(m, stPlusHeader, emit)
			return
		}
		m.Session = binary.BigEndian.Uint32(data[9:])
		emit(m)
		return
	}
	if len(data) < 11 {
		a.malformed(m, stPlusHeader, emit)
		return
	}
	v, n := vlq64(data[10:])
	if n == 0 {
		a.malformed(m, stPlusHeader, emit)
		return
	}
	m.ReturnValue = v
	m.errCode = int16(uint16(v))
	m.status = plusErrorName(m.errCode)
	emit(m)
}

// vlq64 decodes an S7comm-plus 64-bit variable-length quantity: big-endian
// groups of 7 bits with the high bit set on all but the last octet; a ninth
// octet contributes all 8 bits. It returns the value and the octets used,
// 0 when b is too short.
func vlq64(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < 9; i++ {
		if i >= len(b) {
			return 0, 0
		}
		c := b[i]
		if i == 8 {
			return v<<8 | uint64(c), 9
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			return v, i + 1
		}
	}
	return v, 9
}
