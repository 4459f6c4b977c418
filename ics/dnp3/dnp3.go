package dnp3

import (
	"encoding/binary"
	"errors"

	"harborwatch/proto"
)

// Link layer (IEEE 1815-2012 §9.2): start 0x05 0x64, LEN (the octets
// from CONTROL to the end of the user data, CRCs not counted, 5 at
// least), CONTROL, DESTINATION and SOURCE (little endian), a CRC over
// those 8 octets, then the user data in blocks of 16 octets, each followed
// by its CRC (the last block may be shorter).
const (
	headerLen   = 10
	blockLen    = 16
	maxUserData = 250
	// maxFragment bounds a reassembled application fragment; DNP3 devices
	// default to 2048 octets.
	maxFragment = 4096
	// maxObjects bounds the object headers a Message keeps.
	maxObjects = 16
)

// ErrFraming is the sentinel every framing error wraps: the stream is not
// DNP3 (or out of step); the caller drops the direction's buffered bytes.
var ErrFraming = errors.New("dnp3: framing error")

// Framing errors, each wrapping ErrFraming.
var (
	ErrStart  = &framingError{"dnp3: link frame does not start with 0x05 0x64"}
	ErrLength = &framingError{"dnp3: link frame length below 5"}
)

type framingError struct{ msg string }

func (e *framingError) Error() string { return e.msg }
func (e *framingError) Unwrap() error { return ErrFraming }

// direction is one direction's transport reassembly.
type direction struct {
	frag     [maxFragment]byte
	n        int
	segments int
	active   bool  // a first segment was seen and no final one yet
	next     uint8 // the next transport sequence number
	lost     bool  // after a gap: the next Feed seeks a link header (resync.go)
}

// Analyzer is the DNP3 state of one flow: per direction the transport
// segments of the application fragment being reassembled, and the
// operation of the last request of each application sequence number, to
// classify responses. Its zero value is ready to use; it is about 8 KB.
type Analyzer struct {
	msg    Message
	dir    [2]direction
	user   [maxUserData]byte
	reqOps [16]string
	resync proto.Resync
}

// Reset makes a reusable for another flow without allocating.
func (a *Analyzer) Reset() {
	a.msg = Message{}
	for i := range a.dir {
		d := &a.dir[i]
		d.n, d.segments, d.active, d.next, d.lost = 0, 0, false, 0, false
	}
	a.reqOps = [16]string{}
	a.resync = proto.Resync{}
}

// Feed parses the link frames at the start of b, contiguous in-order
// bytes of one direction of a TCP flow (fromClient: sent by the flow's
// client), reassembles their transport segments and calls emit for each
// complete application fragment, and for each frame whose CRCs fail, with
// a Message valid only during the call. It returns the bytes consumed; an
// incomplete trailing frame is left unconsumed. A frame that does not
// start with 0x05 0x64 or whose length is below 5 returns an error
// wrapping ErrFraming. After a Gap in the direction it first skips
// (consumes) bytes up to the first plausible link header (see resync.go).
func (a *Analyzer) Feed(b []byte, fromClient bool, emit func(*Message)) (n int, err error) {
	if d := &a.dir[dirIndex(fromClient)]; d.lost {
		i, ok := seek(b)
		n = i
		a.resync.Skipped += uint64(i)
		if !ok {
			return n, nil
		}
		d.lost = false
		a.resync.Count++
	}
	for len(b)-n >= 3 {
		if b[n] != 0x05 || b[n+1] != 0x64 {
			return n, ErrStart
		}
		l := int(b[n+2])
		if l < 5 {
			return n, ErrLength
		}
		data := l - 5
		size := headerLen + data + 2*((data+blockLen-1)/blockLen)
		if len(b)-n < size {
			return n, nil
		}
		a.frame(b[n:n+size], fromClient, emit)
		n += size
	}
	return n, nil
}

// frame checks one link frame's CRCs and hands its user data to the
// transport layer.
func (a *Analyzer) frame(f []byte, fromClient bool, emit func(*Message)) {
	d := &a.dir[0]
	if fromClient {
		d = &a.dir[1]
	}
	ctrl := f[3]
	m := &a.msg
	link := Link{Control: ctrl, Dest: binary.LittleEndian.Uint16(f[4:]), Src: binary.LittleEndian.Uint16(f[6:])}
	if crc(f[:8]) != binary.LittleEndian.Uint16(f[8:]) {
		a.bad(link, fromClient, "bad link header CRC", emit)
		return
	}
	user := a.user[:0]
	for r := f[headerLen:]; len(r) > 0; {
		k := min(blockLen, len(r)-2)
		if crc(r[:k]) != binary.LittleEndian.Uint16(r[k:]) {
			d.active = false
			a.bad(link, fromClient, "bad link data CRC", emit)
			return
		}
		user = append(user, r[:k]...)
		r = r[k+2:]
	}
	// Only primary frames with (un)confirmed user data carry a transport
	// segment; the other link functions have no user data.
	if len(user) == 0 || ctrl&0x40 == 0 || (ctrl&0x0F != 3 && ctrl&0x0F != 4) {
		return
	}
	th := user[0]
	fir, fin, seq := th&0x40 != 0, th&0x80 != 0, th&0x3F
	switch {
	case fir:
		d.n, d.segments, d.active = 0, 0, true
	case !d.active || seq != d.next:
		d.active = false // a segment out of sequence: the fragment is lost
		return
	}
	d.next = (seq + 1) & 0x3F
	if d.n+len(user)-1 > maxFragment {
		d.active = false
		a.bad(link, fromClient, "application fragment longer than 4096 octets", emit)
		return
	}
	d.n += copy(d.frag[d.n:], user[1:])
	d.segments++
	if !fin {
		return
	}
	d.active = false
	a.application(d.frag[:d.n], link, d.segments, fromClient)
	emit(m)
}

// bad emits a Message for a frame that cannot be read.
func (a *Analyzer) bad(link Link, fromClient bool, problem string, emit func(*Message)) {
	a.msg = Message{Kind: KindLink, Link: link, Malformed: true, problem: problem, fromClient: fromClient}
	emit(&a.msg)
}

// application decodes one reassembled application fragment into a.msg.
func (a *Analyzer) application(frag []byte, link Link, segments int, fromClient bool) {
	m := &a.msg
	*m = Message{Kind: KindApplication, Link: link, Segments: segments, Fragment: frag, fromClient: fromClient}
	if len(frag) < 2 {
		m.Malformed, m.problem = true, "application fragment shorter than its header"
		return
	}
	m.Control, m.Code = frag[0], frag[1]
	body := frag[2:]
	if m.Code >= FuncResponse && m.Code <= FuncAuthResponse {
		if len(body) < 2 {
			m.Malformed, m.problem = true, "response without internal indications"
			return
		}
		m.IIN, m.HasIIN = binary.BigEndian.Uint16(body), true
		body = body[2:]
	}
	m.problem = m.parseObjects(body)
	m.Malformed = m.problem != ""
	seq := m.Control & 0x0F
	switch {
	case m.Code < FuncResponse && m.Code != FuncConfirm:
		a.reqOps[seq] = m.Op()
	case m.Code == FuncResponse:
		m.reqOp = a.reqOps[seq]
	}
}

// parseObjects reads the object headers (§4.2.2.8) of an application
// fragment's body, keeping the first maxObjects. Objects whose size is
// not known end the reading (Objects then counts those read, and
// ObjectsUnread is set); objects that overrun the fragment make it
// malformed.
func (m *Message) parseObjects(b []byte) string {
	for len(b) > 0 {
		if len(b) < 3 {
			return "object header truncated"
		}
		o := Object{Group: b[0], Variation: b[1], Qualifier: b[2]}
		b = b[3:]
		var count, rangeLen int
		switch o.Qualifier & 0x0F {
		case 0x0, 0x3:
			rangeLen = 2
		case 0x1, 0x4:
			rangeLen = 4
		case 0x2, 0x5:
			rangeLen = 8
		case 0x6:
		case 0x7:
			rangeLen = 1
		case 0x8:
			rangeLen = 2
		case 0x9:
			rangeLen = 4
		case 0xB:
			rangeLen = 1
		default:
			return "reserved range specifier"
		}
		if len(b) < rangeLen {
			return "object range truncated"
		}
		switch o.Qualifier & 0x0F {
		case 0x0, 0x3:
			count = int(b[1]) - int(b[0]) + 1
		case 0x1, 0x4:
			count = int(binary.LittleEndian.Uint16(b[2:])) - int(binary.LittleEndian.Uint16(b)) + 1
		case 0x2, 0x5:
			count = int(int64(binary.LittleEndian.Uint32(b[4:])) - int64(binary.LittleEndian.Uint32(b)) + 1)
			o.Start = int(binary.LittleEndian.Uint32(b))
		case 0x7, 0xB:
			count = int(b[0])
		case 0x8:
			count = int(binary.LittleEndian.Uint16(b))
		case 0x9:
			count = int(binary.LittleEndian.Uint32(b) & 0x7FFFFFFF)
		}
		switch o.Qualifier & 0x0F {
		case 0x0, 0x3:
			o.Start = int(b[0])
		case 0x1, 0x4:
			o.Start = int(binary.LittleEndian.Uint16(b))
		}
		if count < 0 {
			return "object range stops before it starts"
		}
		o.Count = count
		b = b[rangeLen:]
		n, ok := 0, true
		if !m.headersOnly() {
			n, ok = dataLen(o, b)
		}
		if n < 0 {
			return "objects overrun the fragment"
		}
		o.Data = b[:n]
		m.add(o)
		if !ok {
			m.ObjectsUnread = len(b) > 0
			return ""
		}
		b = b[n:]
	}
	return ""
}

// headersOnly reports whether m's function names objects without their
// data: reads, freezes, unsolicited enabling and class assignment.
func (m *Message) headersOnly() bool {
	switch m.Code {
	case FuncRead, 7, 8, 9, 10, FuncEnableUnsolicited, FuncDisableUnsolicited, 22:
		return true
	}
	return false
}

// add keeps an object header.
func (m *Message) add(o Object) {
	if m.Objects < maxObjects {
		m.objects[m.Objects] = o
	}
	m.Objects++
}

// dataLen returns how many octets of b the objects of header o take: ok
// false when their size is not known (n is then 0); n < 0 when they
// overrun b.
func dataLen(o Object, b []byte) (n int, ok bool) {
	if o.Qualifier&0x0F == 0x6 || o.Count == 0 || o.Group == 60 {
		return 0, true
	}
	prefix := 0
	switch (o.Qualifier >> 4) & 0x07 {
	case 1, 4:
		prefix = 1
	case 2, 5:
		prefix = 2
	case 3, 6:
		prefix = 4
	case 7:
		return 0, false
	}
	if o.Group == 0 && prefix <= 4 && (o.Qualifier>>4)&0x07 < 4 {
		// Device attributes (g0, §A.1): each a data type, a length and
		// the value.
		for range o.Count {
			if len(b) < n+prefix+2 {
				return -1, false
			}
			n += prefix + 2 + int(b[n+prefix+1])
			if n > len(b) {
				return -1, false
			}
		}
		return n, true
	}
	if code := (o.Qualifier >> 4) & 0x07; code >= 4 {
		// Each object is preceded by its size.
		for range o.Count {
			if len(b) < n+prefix {
				return -1, false
			}
			var sz int
			switch prefix {
			case 1:
				sz = int(b[n])
			case 2:
				sz = int(binary.LittleEndian.Uint16(b[n:]))
			default:
				sz = int(binary.LittleEndian.Uint32(b[n:]) & 0xFFFF)
			}
			n += prefix + sz
			if n > len(b) {
				return -1, false
			}
		}
		return n, true
	}
	size, bits := objectSize(o.Group, o.Variation)
	switch {
	case size < 0:
		size = int(o.Variation)
	case bits > 0 && prefix == 0:
		n = (o.Count*bits + 7) / 8
		if n > len(b) {
			return -1, false
		}
		return n, true
	case bits > 0:
		size = 1 // an indexed packed object takes an octet
	case size == 0:
		return 0, false
	}
	if o.Count > len(b) { // guards the multiplication below
		return -1, false
	}
	n = o.Count * (prefix + size)
	if n > len(b) {
		return -1, false
	}
	return n, true
}

// crcTable is the DNP3 CRC-16 (polynomial 0x3D65, reflected: 0xA6BC).
var crcTable = func() [256]uint16 {
	var t [256]uint16
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA6BC
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crc returns the DNP3 CRC of b, complemented as sent.
func crc(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c = c>>8 ^ crcTable[byte(c)^x]
	}
	return ^c
}
