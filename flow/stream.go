package flow

import (
	"time"
	"unsafe"
)

// Stream reassembles one direction of a TCP flow for analyzers that frame
// PDUs by length (MBAP, TPKT, EtherNet/IP): it hands them the contiguous,
// in-order bytes not yet consumed, drops retransmitted bytes, and skips
// the holes that do not fill, saying so, so that the analyzer finds its
// place again after one.
//
// Use:
//
//	data, gap := st.Add(seq, payload, ts) // contiguous unconsumed bytes
//	if gap { /* data follows lost bytes: the parser resynchronises */ }
//	n := parse(data)                      // bytes the parser consumed
//	st.Done(data, n)                      // keeps data[n:] for the next segment
//
// and when the flow ends:
//
//	for data := st.Drain(); data != nil; data = st.Drain() { … } // gap each time
//	st.Close()
//
// The bytes returned by Add alias either the payload (when nothing was
// pending: the common case costs no copy) or the Stream's own buffer; both
// are valid until Done. Done copies what is left into the Stream's buffer,
// which grows to the largest partial PDU seen and is then reused: the
// steady state allocates nothing.
//
// A segment beyond the next expected sequence number is held (up to
// MaxHeld segments and MaxPending bytes, copied into a reused arena) until
// the hole before it fills, then delivered in order: reordering costs
// nothing. A hole that does not fill — the held segments are full, the
// oldest has waited HoldTime of packet time, or the flow ends (Drain) —
// is skipped: the pending bytes before it (the part of a PDU the hole cut,
// which can never be completed) are dropped and counted, and the held
// segments are delivered in sequence order from the first one after the
// hole, with gap set. Nothing captured after a hole is thrown away: the
// analyzer skips the rest of the PDU the hole cut and goes on at the
// next PDU boundary it can frame.
type Stream struct {
	buf     []byte
	next    uint32 // next expected sequence number
	init    bool
	gapNext bool // the next bytes Add returns follow bytes that were not delivered
	held    []heldSeg
	arena   []byte // bytes of the held segments
	heldN   int    // bytes of the held segments (arena may hold bytes of delivered ones)
	since   int64  // packet time the oldest hole started waiting
	stats   StreamStats
}

type heldSeg struct {
	seq      uint32
	off, end int // in arena
}

// MaxHeld is how many out-of-order segments a Stream waits with.
const MaxHeld = 8

// HoldTime is how long, in packet time (ns), a Stream waits for a hole to
// fill before it skips it: a retransmission comes within a few round
// trips, so a hole older than this was lost in the capture.
const HoldTime = int64(2 * time.Second)

// StreamStats counts what a Stream could not deliver.
type StreamStats struct {
	Gaps          uint64 // holes skipped (bytes the capture does not hold), and bytes shed
	DroppedBytes  uint64 // captured bytes not delivered: a PDU cut by a hole, pending at a reset, the size bound, the flow's end or Shed
	Retransmitted uint64 // payload bytes already delivered and seen again
}

// MaxPending bounds the bytes a Stream keeps for an incomplete PDU, and
// the bytes it holds behind a hole; beyond it the pending bytes are
// dropped (a PDU larger than this is not one the analyzers frame: Modbus
// ADUs are at most 260 bytes, S7 PDUs a few KiB, EtherNet/IP encapsulation
// 65,535 + 24).
const MaxPending = 64 << 10

// Add offers the payload of a segment starting at sequence number seq,
// seen at packet time ts, and returns the contiguous bytes not yet
// consumed (nil when the segment brings nothing new). gap says the bytes
// follow a hole that was skipped (or bytes that were dropped, see Drop and
// MarkGap): they need not start on a PDU boundary.
func (s *Stream) Add(seq uint32, payload []byte, ts int64) (data []byte, gap bool) {
	if !s.init {
		s.init, s.next = true, seq
	}
	if int32(seq-s.next) > 0 && len(payload) > 0 && !s.room(len(payload)) {
		// The held segments are full: the oldest hole will not fill.
		s.skip(ts)
		return s.place(seq, payload, ts, true)
	}
	return s.place(seq, payload, ts, false)
}

// place puts a segment in the stream; skipped says a hole was just
// skipped and s.buf holds what followed it.
func (s *Stream) place(seq uint32, payload []byte, ts int64, skipped bool) ([]byte, bool) {
	switch d := int32(seq - s.next); {
	case d < 0: // starts before the next expected byte: retransmission
		old := int(-d)
		if old >= len(payload) {
			s.stats.Retransmitted += uint64(len(payload))
			return s.idle(ts, skipped)
		}
		s.stats.Retransmitted += uint64(old)
		payload, seq = payload[old:], s.next
	case d > 0: // a hole: hold the segment until it fills
		if len(payload) == 0 {
			return s.idle(ts, skipped)
		}
		if !s.room(len(payload)) {
			// Only after a skip, with a segment too large for what is
			// still held: those are given up.
			s.dropHeld()
		}
		s.hold(seq, payload, ts)
		return s.idle(ts, skipped)
	}
	if len(payload) == 0 {
		return s.idle(ts, skipped)
	}
	s.next = seq + uint32(len(payload))
	gap := skipped || s.gapNext
	s.gapNext = false
	if len(s.held) > 0 || skipped {
		s.buf = append(s.buf, payload...)
		s.fill()
		return s.buf, gap
	}
	if len(s.buf) == 0 {
		return payload, gap
	}
	if len(s.buf)+len(payload) > MaxPending {
		s.stats.DroppedBytes += uint64(len(s.buf))
		s.buf = s.buf[:0]
		return payload, true
	}
	s.buf = append(s.buf, payload...)
	return s.buf, gap
}

// idle ends an Add whose segment brought no contiguous bytes: it returns
// what a skip delivered, if any, and otherwise skips the oldest hole if it
// has waited longer than HoldTime.
func (s *Stream) idle(ts int64, skipped bool) ([]byte, bool) {
	if !skipped && len(s.held) > 0 && ts-s.since > HoldTime {
		s.skip(ts)
		skipped = true
	}
	if !skipped {
		return nil, false
	}
	s.gapNext = false
	return s.buf, true
}

// room reports whether a segment of n bytes can be held.
func (s *Stream) room(n int) bool {
	return len(s.held) < MaxHeld && s.heldN+n <= MaxPending
}

// hold copies a segment beyond a hole into the arena. A segment held
// already (same start, at least as long) is a retransmission.
func (s *Stream) hold(seq uint32, payload []byte, ts int64) {
	for _, h := range s.held {
		if h.seq == seq && h.end-h.off >= len(payload) {
			s.stats.Retransmitted += uint64(len(payload))
			return
		}
	}
	if len(s.held) == 0 {
		s.since = ts
		s.arena = s.arena[:0]
	} else if len(s.arena)+len(payload) > MaxPending {
		s.compact()
	}
	off := len(s.arena)
	s.arena = append(s.arena, payload...)
	s.held = append(s.held, heldSeg{seq: seq, off: off, end: len(s.arena)})
	s.heldN += len(payload)
}

// compact moves the held segments' bytes to the front of the arena (the
// bytes of segments delivered since are garbage). Held segments are in
// arena order, so each moves left.
func (s *Stream) compact() {
	w := 0
	for i := range s.held {
		h := &s.held[i]
		n := copy(s.arena[w:], s.arena[h.off:h.end])
		h.off, h.end = w, w+n
		w += n
	}
	s.arena = s.arena[:w]
}

// fill appends the held segments that now follow the stream, in order.
func (s *Stream) fill() {
	for progress := true; progress && len(s.held) > 0; {
		progress = false
		for i := 0; i < len(s.held); i++ {
			h := s.held[i]
			d := int32(h.seq - s.next)
			if d > 0 {
				continue
			}
			data := s.arena[h.off:h.end]
			if old := int(-d); old < len(data) {
				s.stats.Retransmitted += uint64(old)
				s.buf = append(s.buf, data[old:]...)
				s.next = h.seq + uint32(len(data))
			} else {
				s.stats.Retransmitted += uint64(len(data))
			}
			s.heldN -= len(data)
			s.held = append(s.held[:i], s.held[i+1:]...)
			i--
			progress = true
		}
	}
	if len(s.held) == 0 {
		s.arena = s.arena[:0]
		s.heldN = 0
	}
}

// skip gives up the oldest hole: the pending bytes before it are dropped
// (the PDU they start can never be completed) and the stream goes on at
// the lowest held segment, delivering every held segment that follows.
// The caller hands s.buf on with gap set.
func (s *Stream) skip(ts int64) {
	s.stats.Gaps++
	s.stats.DroppedBytes += uint64(len(s.buf))
	s.buf = s.buf[:0]
	lo := s.held[0].seq
	for _, h := range s.held[1:] {
		if int32(h.seq-lo) < 0 {
			lo = h.seq
		}
	}
	s.next = lo
	s.fill()
	s.since = ts // what is still held waits from now
}

// dropHeld gives up what is held behind a hole: counted as a gap and
// dropped bytes; the next bytes delivered follow the loss.
func (s *Stream) dropHeld() {
	if len(s.held) == 0 {
		return
	}
	s.stats.Gaps++
	s.stats.DroppedBytes += uint64(s.heldN)
	s.held = s.held[:0]
	s.arena = s.arena[:0]
	s.heldN = 0
	s.gapNext = true
}

// Drain skips the oldest hole of a stream whose flow ends and returns the
// held bytes that follow it (as Add does with gap set), or nil when
// nothing is held. Call it until it returns nil, with Done after each,
// then Close.
func (s *Stream) Drain() []byte {
	if len(s.held) == 0 {
		return nil
	}
	s.skip(s.since)
	s.gapNext = false
	return s.buf
}

// Held is the number of segments waiting behind a hole.
func (s *Stream) Held() int { return len(s.held) }

// MarkGap says the next bytes Add returns may not start on a PDU boundary:
// a flow whose opening the capture does not hold.
func (s *Stream) MarkGap() { s.gapNext = true }

// Close ends the stream: segments still held behind a hole (not drained)
// are counted as a gap and dropped, and the bytes of a PDU left incomplete
// are counted as dropped (they were never parsed).
func (s *Stream) Close() {
	s.dropHeld()
	s.Drop()
}

// Done records that n bytes of data (as returned by Add) were consumed and
// keeps the rest for the next segment.
func (s *Stream) Done(data []byte, n int) {
	if len(data) == 0 {
		return // Add brought nothing new: what was pending stays
	}
	if n < 0 {
		n = 0
	}
	if n > len(data) {
		n = len(data)
	}
	rest := data[n:]
	if len(rest) > MaxPending {
		s.stats.DroppedBytes += uint64(len(rest))
		s.buf = s.buf[:0]
		s.gapNext = true
		return
	}
	if len(s.buf) > 0 && len(data) > 0 && &data[0] == &s.buf[0] {
		s.buf = s.buf[:copy(s.buf, rest)]
		return
	}
	s.buf = append(s.buf[:0], rest...)
}

// Drop discards the pending bytes (after a framing error the parser could
// not recover from) and counts them; the next bytes follow a gap.
func (s *Stream) Drop() {
	if len(s.buf) == 0 {
		return
	}
	s.stats.DroppedBytes += uint64(len(s.buf))
	s.buf = s.buf[:0]
	s.gapNext = true
}

// Mem is the memory the Stream's buffers hold (their capacity), pending
// bytes and held segments included.
func (s *Stream) Mem() int {
	return cap(s.buf) + cap(s.arena) + cap(s.held)*int(unsafe.Sizeof(heldSeg{}))
}

// Shed gives the Stream's buffers back, dropping (and counting) the bytes
// pending and held: what a memory bound takes from a stream that waits
// for the rest of a PDU. It counts as a gap when it drops anything; the
// stream goes on with the next segment, with gap set.
func (s *Stream) Shed() {
	if len(s.held) == 0 && len(s.buf) > 0 {
		s.stats.Gaps++ // (dropHeld counts the gap of a hole)
	}
	s.dropHeld()
	s.Drop()
	s.buf, s.arena, s.held = nil, nil, nil
}

// Pending is the number of bytes kept for an incomplete PDU.
func (s *Stream) Pending() int { return len(s.buf) }

// Unconsumed returns the bytes kept for an incomplete PDU, as Add would
// return them with the next segment: valid until Done or the next Add.
func (s *Stream) Unconsumed() []byte { return s.buf }

// Stats returns what the stream could not deliver.
func (s *Stream) Stats() StreamStats { return s.stats }

// Reset makes the Stream ready for another flow, keeping its buffer.
func (s *Stream) Reset() {
	*s = Stream{buf: s.buf[:0], held: s.held[:0], arena: s.arena[:0]}
}
