package dcerpc

import "encoding/binary"

// Joining a call's fragments (C706 §12.6.3.7 for the connection-oriented
// protocol, PFC_FIRST_FRAG and PFC_LAST_FRAG; §12.5.3.7 for the
// connectionless one, fragment numbers and the last-fragment flag).
//
// A request or response larger than the negotiated fragment size comes
// in several PDUs, each with its own header and a piece of the stub. Every
// PDU is still emitted as a Message (as tshark counts them), but the
// stub is decoded (the towers of an ept_map answer, the string bindings
// of a DCOM activation, the service a svcctl call creates, the items of
// an OPC DA call) only once the call is whole, from the pieces joined in
// order, and only for the calls that have a decoder (the others' pieces
// are passed over at no cost). Single-fragment calls, the common case,
// are decoded in place without a copy.
//
// The join buffers belong to the Analyzer and are reused from call to
// call (and from flow to flow, Reset keeps them): the steady state
// allocates nothing. A call's stub is joined up to MaxStub bytes; what
// lies beyond is not kept, the call is decoded from its first MaxStub
// bytes and counted (JoinStats.Over, and the Message says StubCut).

// MaxStub bounds the stub bytes of one call that are joined from its
// fragments (per direction of a connection, per connectionless call
// being assembled).
const MaxStub = 64 << 10

// JoinStats counts what joining fragments did since Reset.
type JoinStats struct {
	Joined  uint64 // calls whose stub came in several fragments and was joined
	Over    uint64 // joined calls whose stub went past MaxStub (decoded from its first MaxStub bytes)
	Lost    uint64 // calls not decoded for fragments out of step: later fragments without the first, a fragment number skipped
	Evicted uint64 // connectionless calls being joined given up for newer ones (the table was full)
}

// add returns s with t's counts added.
func (s JoinStats) add(t JoinStats) JoinStats {
	return JoinStats{Joined: s.Joined + t.Joined, Over: s.Over + t.Over, Lost: s.Lost + t.Lost, Evicted: s.Evicted + t.Evicted}
}

// coJoin is the stub of the connection-oriented call being joined in one
// direction of a connection.
type coJoin struct {
	call   uint32
	active bool
	over   bool
	buf    []byte
}

// appendStub adds b to buf up to MaxStub bytes in all; cut reports that
// bytes of b were left out.
func appendStub(buf []byte, b []byte) ([]byte, bool) {
	n := min(len(b), MaxStub-len(buf))
	return append(buf, b[:n]...), n < len(b)
}

// stub hands the stub of a request or response PDU to its decoder: at
// once when the PDU is the whole call, else once its last fragment has
// joined the others. side is 0 for requests, 1 for responses.
func (a *Analyzer) stub(m *Message, o binary.ByteOrder, stub []byte, side int) {
	first, last := m.Flags&FlagFirstFrag != 0, m.Flags&FlagLastFrag != 0
	j := &a.joins[side]
	if first && last {
		j.active = false
		a.decodeStub(m, o, stub)
		return
	}
	if first {
		j.active, j.over, j.call = a.wantsStub(m), false, m.CallID
		j.buf = j.buf[:0]
		if j.active {
			j.buf, j.over = appendStub(j.buf, stub)
		}
		return
	}
	if !j.active || j.call != m.CallID {
		if j.call != m.CallID && a.wantsStub(m) {
			a.joinStats.Lost++ // later fragments without the first: not decoded
		}
		j.active = false
		j.call = m.CallID
		return
	}
	if !j.over {
		var cut bool
		j.buf, cut = appendStub(j.buf, stub)
		j.over = cut
	}
	if !last {
		return
	}
	j.active = false
	a.joinStats.Joined++
	m.StubLen = len(j.buf)
	if j.over {
		a.joinStats.Over++
		m.StubCut = true
	}
	a.decodeStub(m, o, j.buf)
}

// wantsStub reports whether the call of m has a stub decoder: only those
// calls' fragments are joined (the others' are passed over at no cost).
func (a *Analyzer) wantsStub(m *Message) bool {
	if !m.HasOpnum {
		return false
	}
	switch m.iface {
	case ifEPM: // CLResponse and TypeResponse are the same number
		return m.Opnum == 3 && m.Type == TypeResponse
	case ifActivator, ifOldActivation, ifOXID:
		return m.Type == TypeResponse
	case ifSvcctl:
		return m.Opnum == opCreateServiceW && m.Type == TypeRequest
	}
	return m.Type == TypeRequest && itemsAt(m.iface, m.Opnum) >= 0
}

// decodeStub reads the whole stub of a call: the endpoints an answer
// hands out, the service a request creates, the items an OPC DA request
// names.
func (a *Analyzer) decodeStub(m *Message, o binary.ByteOrder, stub []byte) {
	if m.encrypted {
		return
	}
	if m.Request() {
		switch {
		case !m.HasOpnum:
		case m.iface == ifSvcctl && m.Opnum == opCreateServiceW:
			createService(m, &a.svc, o, stub)
		default:
			opcItems(m, o, stub)
		}
		return
	}
	a.endpoints(m, o, stub)
}

// JoinStats returns what joining fragments did since Reset.
func (a *Analyzer) JoinStats() JoinStats { return a.joinStats.add(a.cl.stats) }

// Connectionless fragments are joined per call: activity UUID, sequence
// number and side (request or answer). Calls of different activities
// may interleave, so a few are assembled at once.

// clSlots is how many connectionless calls one flow assembles at once;
// the least recently fed is given up (and counted) for a newer one.
const clSlots = 4

// clSlot is one connectionless call being joined.
type clSlot struct {
	activity UUID
	seq      uint32
	request  bool
	used     bool
	over     bool
	broken   bool   // a fragment was skipped: the rest is passed over
	next     uint16 // fragment number expected
	age      uint32
	buf      []byte
}

// CLJoin joins the fragments of connectionless calls. Its zero value is
// ready; Reset keeps its buffers.
type CLJoin struct {
	slots [clSlots]clSlot
	clock uint32
	stats JoinStats
}

// Reset forgets the calls being joined and the counts, keeping the
// buffers.
func (j *CLJoin) Reset() {
	for i := range j.slots {
		s := &j.slots[i]
		*s = clSlot{buf: s.buf[:0]}
	}
	j.clock, j.stats = 0, JoinStats{}
}

// Stats returns what joining did since Reset.
func (j *CLJoin) Stats() JoinStats { return j.stats }

// Add takes the header and body of a datagram (ParseCL) and returns the
// whole stub of its call when it has one: the body itself when the PDU
// is not fragmented; the fragments' bodies joined in fragment-number
// order when it is the last fragment of a call all of whose fragments
// came in order (cut is set when they went past MaxStub); nil, false for
// any other fragment. A duplicate fragment (a retransmission) is
// ignored; a skipped fragment number gives the call up (Lost). The
// returned bytes are valid until the next Add or Reset.
func (j *CLJoin) Add(h *CLHeader, body []byte) (stub []byte, whole, cut bool) {
	if h.Flags1&CLFlagFrag == 0 {
		return body, true, false
	}
	req := h.Request()
	s := j.find(h, req)
	if s == nil && h.FragNum != 0 {
		// A later fragment whose first was not seen (or was given up):
		// the call is passed over, remembered in a free slot so that its
		// next fragments are not counted again — but never in place of a
		// call being joined.
		j.stats.Lost++
		if s = j.free(); s != nil {
			*s = clSlot{activity: h.Activity, seq: h.SeqNum, request: req, buf: s.buf[:0],
				broken: true, used: h.Flags1&CLFlagLastFrag == 0}
		}
		return nil, false, false
	}
	if s == nil {
		s = j.take()
		*s = clSlot{activity: h.Activity, seq: h.SeqNum, request: req, used: true, buf: s.buf[:0]}
	}
	j.clock++
	s.age = j.clock
	last := h.Flags1&CLFlagLastFrag != 0
	switch {
	case s.broken:
		s.used = !last
		return nil, false, false
	case h.FragNum < s.next:
		return nil, false, false // a retransmitted fragment
	case h.FragNum > s.next:
		j.stats.Lost++
		s.broken, s.used = true, !last
		return nil, false, false
	}
	s.next++
	if !s.over {
		s.buf, s.over = appendStub(s.buf, body)
	}
	if !last {
		return nil, false, false
	}
	s.used = false
	j.stats.Joined++
	if s.over {
		j.stats.Over++
	}
	return s.buf, true, s.over
}

// find returns the slot of h's call, nil when none.
func (j *CLJoin) find(h *CLHeader, req bool) *clSlot {
	for i := range j.slots {
		if s := &j.slots[i]; s.used && s.seq == h.SeqNum && s.request == req && s.activity == h.Activity {
			return s
		}
	}
	return nil
}

// free returns a free slot, nil when every slot holds a call.
func (j *CLJoin) free() *clSlot {
	for i := range j.slots {
		if s := &j.slots[i]; !s.used {
			return s
		}
	}
	return nil
}

// take returns a free slot, else gives up the least recently fed call.
func (j *CLJoin) take() *clSlot {
	var old *clSlot
	for i := range j.slots {
		s := &j.slots[i]
		if !s.used {
			return s
		}
		if old == nil || s.age < old.age {
			old = s
		}
	}
	j.stats.Evicted++
	return old
}

// Dropped implements proto.Dropper: the calls whose joining went wrong —
// cut at MaxStub, out of step, or evicted.
func (a *Analyzer) Dropped() uint64 {
	j := a.JoinStats()
	return j.Over + j.Lost + j.Evicted
}
