package modbus

import (
	"encoding/binary"
	"errors"

	"harborwatch/proto"
)

// MBAP header (Modbus Messaging on TCP/IP Implementation Guide V1.0b §3.1.3):
// transaction id (2), protocol id (2, 0 for Modbus), length (2: the bytes
// that follow, unit id included), unit id (1). The PDU follows: function
// code (1) and data, at most 253 bytes (Application Protocol V1.1b3 §4.1).
const (
	mbapLen     = 7
	maxLength   = 1 + 253 // MBAP length of the largest standard ADU
	maxUMASLen  = 4096    // UMAS negotiates frames past 253 bytes (INIT_COMM); above this is not a frame
	pendingSize = 32      // requests awaiting a response, per flow
)

// ErrFraming is the sentinel every framing error wraps: the bytes are not
// Modbus/TCP (or no longer in step), the caller drops the stream's buffer.
var ErrFraming = errors.New("modbus: framing error")

// Framing errors, each wrapping ErrFraming.
var (
	ErrProtocolID = &framingError{"modbus: protocol identifier is not 0"}
	ErrLength     = &framingError{"modbus: impossible MBAP length"}
	ErrTruncated  = &framingError{"modbus: datagram ends inside an ADU"}
)

type framingError struct{ msg string }

func (e *framingError) Error() string { return e.msg }
func (e *framingError) Unwrap() error { return ErrFraming }

// pending is a request awaiting its response, keyed by transaction and unit
// id (Implementation Guide §3.1.3: the server echoes both).
type pending struct {
	tid       uint16
	unit, fc  uint8
	used      bool
	signed    bool
	hasSub    bool
	sub       uint16
	addr, qty uint16
	age       uint64
}

// Analyzer is the Modbus/TCP state of one flow, both directions: the
// requests awaiting their responses (to name and classify UMAS responses
// and to give responses their request's address and quantity) and the
// running hash of a UMAS program transfer. Partial ADUs are not kept: Feed
// leaves them unconsumed. Its zero value is ready to use.
type Analyzer struct {
	msg     Message
	pend    [pendingSize]pending
	clock   uint64
	dropped uint64
	xfer    transfer
	lost    [2]bool // per direction, after a gap: the next Feed seeks an ADU boundary (resync.go)
	resync  proto.Resync
}

// Reset makes a reusable for another flow without allocating.
func (a *Analyzer) Reset() {
	h := a.xfer.h
	*a = Analyzer{}
	a.xfer.h = h
}

// Dropped counts the requests forgotten unanswered because more than
// pendingSize were outstanding at once: their responses are emitted
// unpaired.
func (a *Analyzer) Dropped() uint64 { return a.dropped }

// Feed parses the ADUs at the start of b, contiguous in-order bytes of one
// direction of a TCP flow (fromClient: sent by the flow's client). It calls
// emit for each complete ADU with a Message valid only during the call and
// returns the bytes consumed; an incomplete trailing ADU is left unconsumed.
// A framing error returns the bytes consumed so far and an error wrapping
// ErrFraming. A well-framed ADU with bad content is emitted with Malformed
// set. After a Gap in the direction it first skips (consumes) bytes up to
// the first plausible ADU boundary (see resync.go).
func (a *Analyzer) Feed(b []byte, fromClient bool, emit func(*Message)) (n int, err error) {
	for {
		if lost := &a.lost[dirIndex(fromClient)]; *lost {
			i, ok := seek(b[n:])
			n += i
			a.resync.Skipped += uint64(i)
			if !ok {
				return n, nil
			}
			*lost = false
			a.resync.Count++
		}
		adu, ferr := frame(b[n:])
		if ferr != nil || adu == nil {
			return n, ferr
		}
		a.parse(adu, fromClient)
		emit(&a.msg)
		n += len(adu)
	}
}

// Datagram parses one Modbus/UDP payload (the same ADU framing, seen on
// port 502 in the field though outside the TCP specification): it must
// hold whole ADUs only.
func (a *Analyzer) Datagram(b []byte, fromClient bool, emit func(*Message)) error {
	n, err := a.Feed(b, fromClient, emit)
	if err == nil && n != len(b) {
		err = ErrTruncated
	}
	return err
}

// frame returns the ADU at the start of b, nil if b holds only part of one.
func frame(b []byte) ([]byte, error) {
	if len(b) >= 4 && binary.BigEndian.Uint16(b[2:]) != 0 {
		return nil, ErrProtocolID
	}
	if len(b) < 6 {
		return nil, nil
	}
	l := int(binary.BigEndian.Uint16(b[4:]))
	switch {
	case l < 2: // the unit id and a function code at least
		return nil, ErrLength
	case l > maxLength:
		if len(b) < mbapLen+1 {
			return nil, nil
		}
		if b[mbapLen]&^exceptionBit != UMAS || l > maxUMASLen {
			return nil, ErrLength
		}
	}
	if len(b) < 6+l {
		return nil, nil
	}
	return b[:6+l], nil
}

// parse decodes one ADU into a.msg.
func (a *Analyzer) parse(adu []byte, fromClient bool) {
	m := &a.msg
	*m = Message{
		TID:         binary.BigEndian.Uint16(adu),
		Unit:        adu[6],
		Code:        adu[mbapLen],
		PDU:         adu[mbapLen:],
		BlockNumber: -1,
		request:     fromClient,
	}
	d := adu[mbapLen+1:]
	fc := m.Code &^ exceptionBit
	if fromClient {
		m.problem = a.request(m, fc, d)
		if m.Code&exceptionBit == 0 {
			a.remember(m)
		}
	} else {
		m.problem = a.response(m, fc, d)
	}
	m.Malformed = m.problem != ""
}

// remember records a request to pair with its response.
func (a *Analyzer) remember(m *Message) {
	a.clock++
	slot := -1
	for i := range a.pend {
		p := &a.pend[i]
		if p.used && p.tid == m.TID && p.unit == m.Unit {
			slot = i // a repeated id supersedes the earlier request
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
	sub := m.Sub
	if m.HasUMAS {
		sub = uint16(m.UMASFunc)
	}
	a.pend[slot] = pending{tid: m.TID, unit: m.Unit, fc: m.Code, used: true, signed: m.Signed,
		hasSub: m.HasSub || m.HasUMAS, sub: sub, addr: m.Address, qty: m.Quantity, age: a.clock}
}

// take removes and returns the request a response answers, nil if none.
func (a *Analyzer) take(m *Message) *pending {
	for i := range a.pend {
		p := &a.pend[i]
		if p.used && p.tid == m.TID && p.unit == m.Unit && p.fc == m.Code&^exceptionBit {
			p.used = false
			return p
		}
	}
	return nil
}
