package iec104

import (
	"encoding/binary"
	"errors"

	"harborwatch/proto"
)

// APCI (IEC 60870-5-104 §5.1): start byte 0x68, the length of the APDU
// after the length byte (the 4 control bytes and the ASDU), control field.
// The ASDU (IEC 60870-5-101 §7 with the 104 parameters of §9: cause of
// transmission 2 bytes with the originator address, common address 2
// bytes, information object address 3 bytes) follows in I-format APDUs.
const (
	startByte = 0x68
	apciLen   = 4   // control field
	maxLength = 253 // largest APDU length of the standard
	asduHead  = 6   // type, variable structure qualifier, cause, originator, common address (2)
	ioaLen    = 3
	// maxJunk bounds the bytes skipped in a row looking for a start byte
	// (Wireshark skips them as a "prefix"): past it the stream is not
	// IEC 104 and Feed fails.
	maxJunk = 1024
)

// ErrFraming is the sentinel every framing error wraps: the stream is not
// IEC 60870-5-104 (no start byte for maxJunk bytes); the caller drops the
// direction's buffered bytes.
var ErrFraming = errors.New("iec104: framing error")

// ErrNoStart is returned when more than maxJunk bytes in a row hold no
// start byte.
var ErrNoStart = &framingError{"iec104: no APDU start byte (0x68) in 1024 bytes"}

type framingError struct{ msg string }

func (e *framingError) Error() string { return e.msg }
func (e *framingError) Unwrap() error { return ErrFraming }

// Analyzer is the IEC 60870-5-104 state of one flow: the Message it fills
// and, per direction, how many bytes it has skipped since the last APDU.
// Its zero value is ready to use.
type Analyzer struct {
	msg    Message
	junk   [2]int  // bytes skipped before the next start byte: [0] server, [1] client
	lost   [2]bool // after a gap: the next Feed seeks an APDU boundary (resync.go)
	resync proto.Resync
}

// Reset makes a reusable for another flow without allocating.
func (a *Analyzer) Reset() { *a = Analyzer{} }

// Feed parses the APDUs at the start of b, contiguous in-order bytes of
// one direction of a TCP flow (fromClient: sent by the flow's client). It
// calls emit for each complete APDU with a Message valid only during the
// call and returns the bytes consumed; an incomplete trailing APDU is left
// unconsumed. Bytes before a start byte are consumed and counted on the
// next Message (Prefix), as Wireshark does; more than 1024 of them in a
// row return ErrNoStart. After a Gap in the direction it first skips
// (consumes) bytes up to the first plausible APDU boundary (see
// resync.go).
func (a *Analyzer) Feed(b []byte, fromClient bool, emit func(*Message)) (n int, err error) {
	dir := dirIndex(fromClient)
	for n < len(b) {
		if a.lost[dir] {
			i, ok := seek(b[n:])
			n += i
			a.resync.Skipped += uint64(i)
			if !ok {
				return n, nil
			}
			a.lost[dir] = false
			a.resync.Count++
		}
		i := indexStart(b[n:])
		if i < 0 {
			i = len(b) - n
		}
		a.junk[dir] += i
		n += i
		if a.junk[dir] > maxJunk {
			a.junk[dir] = 0
			return n, ErrNoStart
		}
		if len(b)-n < 2 {
			return n, nil
		}
		end := n + 2 + int(b[n+1])
		if end > len(b) {
			return n, nil
		}
		a.parse(b[n:end], fromClient, a.junk[dir])
		a.junk[dir] = 0
		emit(&a.msg)
		n = end
	}
	return n, nil
}

func indexStart(b []byte) int {
	for i, c := range b {
		if c == startByte {
			return i
		}
	}
	return -1
}

// parse decodes one APDU (start byte included) into a.msg.
func (a *Analyzer) parse(apdu []byte, fromClient bool, prefix int) {
	m := &a.msg
	*m = Message{Prefix: prefix, APDU: apdu, fromClient: fromClient}
	if len(apdu) < 2+apciLen {
		m.Format = FormatShort
		m.problem = "APDU shorter than its control field"
		m.Malformed = true
		return
	}
	c := apdu[2:6]
	switch {
	case c[0]&1 == 0:
		m.Format = FormatI
		m.SendSeq = binary.LittleEndian.Uint16(c) >> 1
		m.RecvSeq = binary.LittleEndian.Uint16(c[2:]) >> 1
		m.ASDU = apdu[6:]
		m.problem = m.parseASDU()
	case c[0]&3 == 1:
		m.Format = FormatS
		m.RecvSeq = binary.LittleEndian.Uint16(c[2:]) >> 1
	default:
		m.Format = FormatU
		m.UFunc = c[0] >> 2
		if uName(m.UFunc) == "U unknown" {
			m.problem = "undefined U-format function"
		}
	}
	if len(apdu) > 2+maxLength && m.problem == "" {
		m.problem = "APDU longer than 253 bytes"
	}
	m.Malformed = m.problem != ""
}

// parseASDU decodes the data unit identifier and checks that the
// information objects fill the ASDU; it returns the problem, if any.
func (m *Message) parseASDU() string {
	d := m.ASDU
	if len(d) == 0 {
		return "I-format APDU without ASDU"
	}
	m.TypeID = d[0]
	m.HasType = true
	if len(d) < asduHead {
		return "ASDU shorter than its header"
	}
	m.SQ = d[1]&0x80 != 0
	m.Count = d[1] & 0x7F
	m.Cause = d[2] & 0x3F
	m.Negative = d[2]&0x40 != 0
	m.Test = d[2]&0x80 != 0
	m.Originator = d[3]
	m.CommonAddress = binary.LittleEndian.Uint16(d[4:])
	size := int(types[m.TypeID].size)
	body := len(d) - asduHead
	switch {
	case m.Count == 0:
		return "ASDU with no information object"
	case size < 0:
		if body < ioaLen {
			return "ASDU without information object address"
		}
	case m.SQ && body != ioaLen+int(m.Count)*size,
		!m.SQ && body != int(m.Count)*(ioaLen+size):
		return "ASDU length does not match its objects"
	}
	return ""
}
