package bacnet

import (
	"encoding/binary"
	"errors"
)

// BVLC header (ANSI/ASHRAE 135 Annex J.2): type 0x81 (BACnet/IP), function
// (1), length of the whole BVLL message (2). A Forwarded-NPDU then carries
// the original source's IPv4 address and port (6 bytes) before its NPDU.
const (
	bvlcType       = 0x81
	bvlcLen        = 4
	forwardedLen   = 6
	fnResult       = 0x00
	fnForwarded    = 0x04
	fnDistribute   = 0x09
	fnUnicast      = 0x0a
	fnBroadcast    = 0x0b
	pendingSize    = 16 // confirmed requests awaiting an answer, per flow
	npduVersion    = 0x01
	ctlNetworkMsg  = 0x80
	ctlDNET        = 0x20
	ctlSNET        = 0x08
	ctlExpectReply = 0x04
)

// APDU types (§20.1.1).
const (
	ConfirmedRequest   = 0
	UnconfirmedRequest = 1
	SimpleACK          = 2
	ComplexACK         = 3
	SegmentACK         = 4
	Error              = 5
	Reject             = 6
	Abort              = 7
)

// ErrFraming is the sentinel every framing error wraps: the datagram is not
// a BACnet/IP BVLL message.
var ErrFraming = errors.New("bacnet: framing error")

// Framing errors, each wrapping ErrFraming.
var (
	ErrType   error = framingError("bacnet: BVLC type is not 0x81 (BACnet/IP)")
	ErrLength error = framingError("bacnet: BVLC length shorter than its header")
)

type framingError string

func (e framingError) Error() string { return string(e) }
func (e framingError) Unwrap() error { return ErrFraming }

// pending is a confirmed request awaiting its answer, by invoke id.
type pending struct {
	invoke  uint8
	service uint8
	state   uint8 // ReinitializeDevice state, 0xFF when none
	used    bool
	age     uint32
}

// Analyzer is the BACnet/IP state of one UDP flow: the confirmed requests
// awaiting an answer (to classify Reject and Abort PDUs, which name no
// service, and the answers to ReinitializeDevice by their request's state).
// Its zero value is ready to use.
type Analyzer struct {
	msg     Message
	pend    [pendingSize]pending
	clock   uint32
	dropped uint64
}

// Reset makes a reusable for another flow without allocating.
func (a *Analyzer) Reset() { *a = Analyzer{} }

// Dropped counts the requests forgotten unanswered because more than
// pendingSize were outstanding at once.
func (a *Analyzer) Dropped() uint64 { return a.dropped }

// Feed parses b as one BVLL message: BACnet/IP has no stream framing, so
// a TCP payload is read like a datagram. It returns len(b) consumed.
func (a *Analyzer) Feed(b []byte, fromClient bool, emit func(*Message)) (int, error) {
	return len(b), a.Datagram(b, fromClient, emit)
}

// Datagram parses one UDP payload, a BVLL message, and emits it as one
// Message valid only during the call. A payload that is not BACnet/IP (BVLC
// type, a length shorter than the header) returns an error wrapping
// ErrFraming; a BVLL message whose NPDU or APDU is cut short or impossible
// is emitted with Malformed set. A BVLC length that disagrees with the
// datagram's is noted (LengthMismatch) but the whole datagram is read, as
// Wireshark does: devices in the field get it wrong.
func (a *Analyzer) Datagram(b []byte, fromClient bool, emit func(*Message)) error {
	if len(b) < bvlcLen || b[0] != bvlcType {
		return ErrType
	}
	l := int(binary.BigEndian.Uint16(b[2:]))
	if l < bvlcLen {
		return ErrLength
	}
	m := &a.msg
	*m = Message{BVLC: b[1], Length: uint16(l), FromClient: fromClient, Raw: b, reinit: 0xFF}
	a.parse(m, b)
	emit(m)
	return nil
}

// parse decodes the BVLL message b into m.
func (a *Analyzer) parse(m *Message, b []byte) {
	rest := b[bvlcLen:]
	switch m.BVLC {
	case fnForwarded:
		if len(rest) < forwardedLen {
			m.problem = "truncated Forwarded-NPDU"
			return
		}
		copy(m.Origin[:], rest)
		m.HasOrigin = true
		rest = rest[forwardedLen:]
	case fnDistribute, fnUnicast, fnBroadcast:
	case fnResult:
		if len(rest) >= 2 {
			m.Result = binary.BigEndian.Uint16(rest)
		}
		return
	default:
		m.Body = rest
		return
	}
	m.HasNPDU = true
	apdu, prob := m.npdu(rest)
	if prob != "" || m.NetMessage {
		m.problem = prob
		return
	}
	m.problem = a.apdu(m, apdu)
}

// npdu decodes the NPDU header (§6.2) at the start of b and returns what
// follows it: the APDU, or a network layer message's data.
func (m *Message) npdu(b []byte) ([]byte, string) {
	if len(b) < 2 {
		return nil, "truncated NPDU"
	}
	if b[0] != npduVersion {
		return nil, "NPDU version is not 1"
	}
	m.Control = b[1]
	b = b[2:]
	var ok bool
	if m.Control&ctlDNET != 0 {
		if m.DNET, m.DADR, b, ok = address(b); !ok {
			return nil, "truncated NPDU destination"
		}
		m.HasDNET = true
	}
	if m.Control&ctlSNET != 0 {
		if m.SNET, m.SADR, b, ok = address(b); !ok {
			return nil, "truncated NPDU source"
		}
		m.HasSNET = true
	}
	if m.HasDNET {
		if len(b) < 1 {
			return nil, "truncated NPDU hop count"
		}
		m.HopCount, b = b[0], b[1:]
	}
	if m.Control&ctlNetworkMsg != 0 {
		if len(b) < 1 {
			return nil, "truncated network layer message"
		}
		m.NetMessage, m.NetType, b = true, b[0], b[1:]
		if m.NetType >= 0x80 {
			if len(b) < 2 {
				return nil, "truncated network layer message vendor"
			}
			m.NetVendor, b = binary.BigEndian.Uint16(b), b[2:]
		}
		m.Body = b
	}
	return b, ""
}

// address reads a network number, a MAC length and the MAC address.
func address(b []byte) (net uint16, mac, rest []byte, ok bool) {
	if len(b) < 3 || len(b) < 3+int(b[2]) {
		return 0, nil, nil, false
	}
	n := 3 + int(b[2])
	return binary.BigEndian.Uint16(b), b[3:n], b[n:], true
}

// apdu decodes the APDU header (§20.1) and returns the problem of a
// malformed one, "" when it is sound.
func (a *Analyzer) apdu(m *Message, b []byte) string {
	if len(b) < 1 {
		return "NPDU without APDU"
	}
	m.HasAPDU = true
	m.Type = b[0] >> 4
	m.Flags = b[0] & 0x0F
	need := [16]int{ConfirmedRequest: 4, UnconfirmedRequest: 2, SimpleACK: 3, ComplexACK: 3,
		SegmentACK: 4, Error: 3, Reject: 3, Abort: 3}[m.Type]
	if need == 0 {
		return "unknown APDU type"
	}
	if len(b) < need {
		return "truncated APDU"
	}
	switch m.Type {
	case ConfirmedRequest:
		m.MaxSegments, m.MaxAPDU, m.Invoke = b[1]>>4&0x07, b[1]&0x0F, b[2]
		b = b[3:]
		if m.Segmented() {
			if len(b) < 3 {
				return "truncated segment header"
			}
			m.Sequence, m.Window, b = b[0], b[1], b[2:]
		}
		m.Service, m.HasService, m.Body = b[0], true, b[1:]
		a.remember(m)
	case UnconfirmedRequest:
		m.Service, m.HasService, m.Body = b[1], true, b[2:]
	case SimpleACK:
		m.Invoke, m.Service, m.HasService = b[1], b[2], true
		a.answer(m, true)
	case ComplexACK:
		m.Invoke = b[1]
		b = b[2:]
		if m.Segmented() {
			if len(b) < 3 {
				return "truncated segment header"
			}
			m.Sequence, m.Window, b = b[0], b[1], b[2:]
		}
		m.Service, m.HasService, m.Body = b[0], true, b[1:]
		// A segmented answer is kept for the Segment-ACK of its last
		// segment; the request's slot goes when its invoke id is reused.
		a.answer(m, !m.Segmented())
	case SegmentACK:
		m.Invoke, m.Sequence, m.Window = b[1], b[2], b[3]
		a.answer(m, false)
	case Error:
		m.Invoke, m.Service, m.HasService, m.Body = b[1], b[2], true, b[3:]
		m.ErrClass, m.ErrCode, m.HasError = errorPair(m.Body)
		a.answer(m, true)
	case Reject, Abort:
		m.Invoke, m.Reason = b[1], b[2]
		a.answer(m, true)
	}
	if m.Type == ConfirmedRequest && m.Service == svcReinitializeDevice && m.Sequence == 0 {
		m.reinit = reinitState(m.Body)
	}
	return ""
}

// Segmented reports the SEG bit of a confirmed request or complex ack.
func (m *Message) Segmented() bool {
	return (m.Type == ConfirmedRequest || m.Type == ComplexACK) && m.Flags&0x08 != 0
}

// MoreFollows reports the MOR bit of a segmented message.
func (m *Message) MoreFollows() bool { return m.Segmented() && m.Flags&0x04 != 0 }

// remember records a confirmed request to classify its answer.
func (a *Analyzer) remember(m *Message) {
	a.clock++
	slot := -1
	for i := range a.pend {
		p := &a.pend[i]
		if p.used && p.invoke == m.Invoke {
			slot = i
			break
		}
		if slot < 0 && !p.used {
			slot = i
		}
	}
	if slot < 0 {
		slot = 0
		for i := range a.pend {
			if a.pend[i].age < a.pend[slot].age {
				slot = i
			}
		}
		a.dropped++
	}
	st := uint8(0xFF)
	if m.Service == svcReinitializeDevice {
		st = reinitState(m.Body)
	}
	a.pend[slot] = pending{invoke: m.Invoke, service: m.Service, state: st, used: true, age: a.clock}
}

// answer gives an answer its request's service and state; done forgets the
// request (a final answer, not a segment).
func (a *Analyzer) answer(m *Message, done bool) {
	for i := range a.pend {
		p := &a.pend[i]
		if !p.used || p.invoke != m.Invoke || (m.HasService && p.service != m.Service) {
			continue
		}
		m.Paired = true
		m.reqService = p.service
		if m.Service == svcReinitializeDevice || p.service == svcReinitializeDevice {
			m.reinit = p.state
		}
		if done {
			p.used = false
		}
		return
	}
}

// reinitState reads ReinitializeDevice's [0] reinitialized-state-of-device,
// 0xFF when absent.
func reinitState(b []byte) uint8 {
	t, ok := readTag(b)
	if !ok || !t.context || t.num != 0 || t.lvt > 4 || len(b) < t.hdr+int(t.lvt) {
		return 0xFF
	}
	v := unsigned(b[t.hdr : t.hdr+int(t.lvt)])
	if v > 0xFE {
		return 0xFE
	}
	return uint8(v)
}

// errorPair reads an Error PDU's error class and code: the first two
// enumerated values, application-tagged, possibly inside an opening tag.
func errorPair(b []byte) (class, code uint32, ok bool) {
	n := 0
	for len(b) > 0 && n < 2 {
		t, tok := readTag(b)
		if !tok {
			return 0, 0, false
		}
		if t.opening || t.closing {
			b = b[t.hdr:]
			continue
		}
		if len(b) < t.hdr+int(t.lvt) {
			return 0, 0, false
		}
		if !t.context && t.num == tagEnumerated && t.lvt <= 4 {
			v := unsigned(b[t.hdr : t.hdr+int(t.lvt)])
			if n == 0 {
				class = v
			} else {
				code = v
			}
			n++
		}
		b = b[t.hdr+int(t.lvt):]
	}
	return class, code, n == 2
}
