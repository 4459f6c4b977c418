package s7

import (
	"encoding/binary"
	"errors"

	"harborwatch/proto"
)

// ErrFraming is the sentinel every framing error wraps: the stream is not
// TPKT (RFC 1006 §6) or a TPKT length is impossible. The caller counts it
// and resynchronises by dropping the stream's buffered bytes.
var ErrFraming = errors.New("s7: framing error")

// framingError is a static framing error that wraps ErrFraming; the values
// below are package variables, so returning one allocates nothing.
type framingError struct{ msg string }

func (e *framingError) Error() string { return e.msg }
func (e *framingError) Unwrap() error { return ErrFraming }

// Framing errors returned by Feed; errors.Is(err, ErrFraming) holds for all.
var (
	ErrTPKTVersion  error = &framingError{"s7: not TPKT: version is not 3"}
	ErrTPKTReserved error = &framingError{"s7: not TPKT: reserved octet is not 0"}
	ErrTPKTLength   error = &framingError{"s7: TPKT length below the 7-octet minimum"}
)

const (
	tpktVersion   = 3
	tpktHeaderLen = 4
	tpktMinLen    = 7 // RFC 1006 §6: header plus a minimal class-0 DT TPDU

	// maxCOTP bounds the COTP reassembly buffer of one direction. S7
	// negotiates PDUs of at most 960 octets (S7-300/400/1500) and some
	// communication processors up to a few KiB; 16 KiB leaves ample room.
	maxCOTP = 16 << 10
	// maxSZL bounds the reassembly of one fragmented SZL response. Only the
	// identification lists (0x0011, 0x001C) are reassembled; they are a few
	// hundred octets.
	maxSZL = 4 << 10
	// pendingSlots is how many requests per direction wait for their
	// response. S7 negotiates at most a handful of parallel jobs (max AmQ).
	pendingSlots = 8
)

// Analyzer is the per-flow state of S7comm/S7comm-plus over ISO-on-TCP,
// both directions: COTP segmentation buffers, the requests awaiting their
// responses (by PDU reference), the SZL and block transfers in progress and
// the S7comm-plus fragmentation state. Partial TPKT packets are not kept:
// the caller re-offers unconsumed bytes. The zero value is ready to use.
type Analyzer struct {
	msg      Message
	dir      [2]direction // [0] sent by the client, [1] sent by the server
	upload   transfer
	download transfer
	szl      szlState
	dropped  uint64
	resync   proto.Resync
}

// direction is the state of the PDUs one side sends.
type direction struct {
	cotp     []byte // COTP DT payloads without EOT, awaiting the last one
	overflow bool   // the current COTP sequence exceeded maxCOTP; dropping to EOT
	pending  [pendingSlots]pending
	next     int
	plusFrag bool // an S7comm-plus PDU without trailer started a fragment sequence
	lost     bool // after a gap: the next Feed seeks a TPKT boundary (resync.go)
}

// pending is a request sent in one direction, awaiting its response.
type pending struct {
	used     bool
	userdata bool
	ref      uint16
	fn       uint8 // job: parameter function code
	group    uint8 // userdata
	sub      uint8
	pi       int8 // index into piServices, -1 none
	piStop   bool
	szlID    uint16
	szlIndex uint16
	szlValid bool
}

// Reset makes the Analyzer reusable for another flow. It keeps the
// capacity of its buffers, so reuse allocates nothing.
func (a *Analyzer) Reset() {
	a.msg = Message{}
	for i := range a.dir {
		d := &a.dir[i]
		d.cotp = d.cotp[:0]
		d.overflow = false
		d.pending = [pendingSlots]pending{}
		d.next = 0
		d.plusFrag = false
		d.lost = false
	}
	a.upload.reset()
	a.download.reset()
	a.szl.reset()
	a.dropped = 0
	a.resync = proto.Resync{}
}

// Dropped returns the number of octets dropped because a bounded buffer
// (COTP segmentation, SZL reassembly) was full.
func (a *Analyzer) Dropped() uint64 { return a.dropped }

// Feed parses the TPKT packets (RFC 1006 §6) at the start of b, which holds
// contiguous, in-order stream bytes of one direction of a TCP flow
// (fromClient: sent by the flow's client). It calls emit for each complete
// S7 PDU and each COTP connection-management TPDU, with a Message valid only
// during the call, and returns the number of bytes consumed. The bytes of
// an incomplete trailing TPKT are not consumed. A framing error returns the
// bytes consumed so far and an error wrapping ErrFraming. After a Gap in
// the direction it first skips (consumes) bytes up to the first plausible
// TPKT boundary (see resync.go).
func (a *Analyzer) Feed(b []byte, fromClient bool, emit func(*Message)) (n int, err error) {
	if emit == nil {
		emit = discard
	}
	d := &a.dir[dirIndex(fromClient)]
	for n < len(b) {
		rest := b[n:]
		if d.lost {
			i, ok := seek(rest)
			n += i
			a.resync.Skipped += uint64(i)
			if !ok {
				return n, nil
			}
			d.lost = false
			a.resync.Count++ // (found where the bytes start, or past skipped ones)
			continue
		}
		if rest[0] != tpktVersion {
			return n, ErrTPKTVersion
		}
		if len(rest) < tpktHeaderLen {
			return n, nil
		}
		if rest[1] != 0 {
			return n, ErrTPKTReserved
		}
		l := int(binary.BigEndian.Uint16(rest[2:]))
		if l < tpktMinLen {
			return n, ErrTPKTLength
		}
		if len(rest) < l {
			return n, nil
		}
		a.tpdu(rest[tpktHeaderLen:l], fromClient, emit)
		n += l
	}
	return n, nil
}

func discard(*Message) {}

func dirIndex(fromClient bool) int {
	if fromClient {
		return 0
	}
	return 1
}

// start clears the reused Message for a new PDU.
func (a *Analyzer) start(kind Kind, fromClient bool) *Message {
	m := &a.msg
	*m = Message{}
	m.Kind = kind
	m.fromClient = fromClient
	m.pi = -1
	return m
}

// malformed emits a Message for a PDU that framed correctly but whose
// content is bad, with status naming the problem.
func (a *Analyzer) malformed(m *Message, status string, emit func(*Message)) {
	m.Malformed = true
	m.status = status
	if m.op == "" {
		m.op = opOther
	}
	if m.name == "" {
		m.name = "Malformed PDU"
	}
	emit(m)
}

// Malformed statuses.
const (
	stCOTPLength    = "malformed: COTP length indicator exceeds the TPKT"
	stCOTPCode      = "malformed: unknown COTP TPDU code"
	stCOTPOverflow  = "malformed: COTP segments exceed the reassembly bound"
	stProtocolID    = "malformed: unknown protocol identifier"
	stS7Header      = "malformed: truncated S7 header"
	stS7Lengths     = "malformed: parameter and data lengths exceed the PDU"
	stROSCTR        = "malformed: unknown ROSCTR"
	stNoParam       = "malformed: job without parameter"
	stParam         = "malformed: truncated parameter"
	stData          = "malformed: truncated data"
	stUserdataParam = "malformed: truncated userdata parameter"
	stPlusHeader    = "malformed: truncated S7comm-plus header"
	stPlusLength    = "malformed: S7comm-plus data length exceeds the PDU"
	stPlusIntegrity = "malformed: S7comm-plus integrity part exceeds the data"
	stPlusOpcode    = "malformed: unknown S7comm-plus opcode"
)

// tpdu handles one COTP TPDU (ISO 8073 §13): connection management TPDUs
// become Messages, data TPDUs are reassembled into S7 PDUs.
func (a *Analyzer) tpdu(t []byte, fromClient bool, emit func(*Message)) {
	li := int(t[0])
	if li < 1 || li+1 > len(t) {
		m := a.start(KindCOTP, fromClient)
		m.op = opSession
		m.name = "COTP"
		a.malformed(m, stCOTPLength, emit)
		return
	}
	code := t[1] >> 4
	if code != cotpDT {
		a.cotp(t, li, code, fromClient, emit)
		return
	}
	// DT (§13.7): class 0 has LI 2 and the EOT/TPDU-NR octet at 2; the
	// normal and extended formats of the other classes put DST-REF first.
	eot := 2
	if li != 2 {
		eot = 4
	}
	if li < 2 || eot > li {
		m := a.start(KindCOTP, fromClient)
		m.TPDU = code
		m.op = opSession
		m.name = "COTP Data"
		a.malformed(m, stCOTPLength, emit)
		return
	}
	a.data(t[li+1:], t[eot]&0x80 != 0, fromClient, emit)
}

// data reassembles COTP DT payloads (ISO 8073 §6.3 segmenting): payloads
// without the EOT mark are buffered, bounded by maxCOTP, until the one with
// EOT completes the S7 PDU.
func (a *Analyzer) data(p []byte, eot, fromClient bool, emit func(*Message)) {
	d := &a.dir[dirIndex(fromClient)]
	if !eot {
		if d.overflow {
			a.dropped += uint64(len(p))
			return
		}
		if len(d.cotp)+len(p) > maxCOTP {
			a.dropped += uint64(len(d.cotp) + len(p))
			d.cotp = d.cotp[:0]
			d.overflow = true
			return
		}
		d.cotp = append(d.cotp, p...)
		return
	}
	if d.overflow || len(d.cotp)+len(p) > maxCOTP {
		a.dropped += uint64(len(d.cotp) + len(p))
		d.cotp = d.cotp[:0]
		d.overflow = false
		m := a.start(KindS7, fromClient)
		a.malformed(m, stCOTPOverflow, emit)
		return
	}
	if len(d.cotp) > 0 {
		d.cotp = append(d.cotp, p...)
		p = d.cotp
	}
	if len(p) > 0 {
		a.pdu(p, fromClient, emit)
	}
	d.cotp = d.cotp[:0]
}

// pdu dispatches one reassembled COTP payload by its protocol identifier.
func (a *Analyzer) pdu(p []byte, fromClient bool, emit func(*Message)) {
	switch p[0] {
	case protoS7:
		a.s7comm(p, fromClient, emit)
	case protoS7Plus:
		a.plus(p, fromClient, emit)
	default:
		m := a.start(KindS7, fromClient)
		m.ProtocolID = p[0]
		a.malformed(m, stProtocolID, emit)
	}
}

// Protocol identifiers of the COTP payload.
const (
	protoS7     = 0x32
	protoS7Plus = 0x72
)

// addPending records a request sent in direction d, replacing the oldest
// entry when all slots are in use.
func (d *direction) addPending(p pending) {
	for i := range d.pending {
		if d.pending[i].used && d.pending[i].ref == p.ref && d.pending[i].userdata == p.userdata {
			d.pending[i] = p
			return
		}
	}
	d.pending[d.next] = p
	d.next = (d.next + 1) % pendingSlots
}

// takePending returns and removes the request with reference ref.
func (d *direction) takePending(ref uint16, userdata bool) (pending, bool) {
	for i := range d.pending {
		p := &d.pending[i]
		if p.used && p.ref == ref && p.userdata == userdata {
			r := *p
			*p = pending{}
			return r, true
		}
	}
	return pending{}, false
}
