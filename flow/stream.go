package flow

import "unsafe"

// Stream reassembles one direction of a TCP flow for analyzers that frame
// PDUs by length (MBAP, TPKT, EtherNet/IP): it hands them the contiguous,
// in-order bytes not yet consumed, drops retransmitted bytes, and counts
// what it cannot deliver.
//
// Use:
//
//	data := st.Add(seq, payload) // contiguous unconsumed bytes
//	n := parse(data)             // bytes the parser consumed
//	st.Done(data, n)             // keeps data[n:] for the next segment
//
// The bytes returned by Add alias either the payload (when nothing was
// pending: the common case costs no copy) or the Stream's own buffer; both
// are valid until Done. Done copies what is left into the Stream's buffer,
// which grows to the largest partial PDU seen and is then reused: the
// steady state allocates nothing.
//
// A segment beyond the next expected sequence number is held (up to
// MaxHeld segments, copied into a reused arena) until the hole before it
// fills, then delivered in order: reordering costs nothing. When the hole
// does not fill — the held segments are full, or the flow ends — it is a
// gap: the pending and held bytes are dropped (counted) and the stream
// restarts at the newest segment, whose parser resynchronises on the next
// PDU boundary it can frame.
type Stream struct {
	buf   []byte
	next  uint32 // next expected sequence number
	init  bool
	held  []heldSeg
	arena []byte // bytes of the held segments
	stats StreamStats
}

type heldSeg struct {
	seq      uint32
	off, end int // in arena
}

// MaxHeld is how many out-of-order segments a Stream waits with.
const MaxHeld = 8

// StreamStats counts what a Stream could not deliver.
type StreamStats struct {
	Gaps          uint64 // segments after a hole (lost or reordered data)
	DroppedBytes  uint64 // pending bytes dropped at a gap, a reset, the size bound, the flow's end or Shed
	Retransmitted uint64 // payload bytes already delivered and seen again
}

// MaxPending bounds the bytes a Stream keeps for an incomplete PDU; beyond
// it the pending bytes are dropped (a PDU larger than this is not one the
// analyzers frame: Modbus ADUs are at most 260 bytes, S7 PDUs a few KiB,
// EtherNet/IP encapsulation 65,535 + 24).
const MaxPending = 64 << 10

// Add offers the payload of a segment starting at sequence number seq and
// returns the contiguous bytes not yet consumed (nil when the segment
// brings nothing new).
func (s *Stream) Add(seq uint32, payload []byte) []byte {
	if !s.init {
		s.init, s.next = true, seq
	}
	start := seq
	switch d := int32(seq - s.next); {
	case d < 0: // starts before the next expected byte: retransmission
		old := int(-d)
		if old >= len(payload) {
			s.stats.Retransmitted += uint64(len(payload))
			return nil
		}
		s.stats.Retransmitted += uint64(old)
		payload, start = payload[old:], s.next
	case d > 0: // a hole: hold the segment until it fills
		if len(payload) == 0 {
			return nil
		}
		if len(s.held) < MaxHeld && len(s.arena)+len(payload) <= MaxPending {
			off := len(s.arena)
			s.arena = append(s.arena, payload...)
			s.held = append(s.held, heldSeg{seq: seq, off: off, end: len(s.arena)})
			return nil
		}
		s.gap()
	}
	s.next = start + uint32(len(payload))
	if len(payload) == 0 {
		return nil
	}
	if len(s.held) > 0 {
		s.buf = append(s.buf, payload...)
		s.fill()
		return s.buf
	}
	if len(s.buf) == 0 {
		return payload
	}
	if len(s.buf)+len(payload) > MaxPending {
		s.stats.DroppedBytes += uint64(len(s.buf))
		s.buf = s.buf[:0]
		return payload
	}
	s.buf = append(s.buf, payload...)
	return s.buf
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
			s.held = append(s.held[:i], s.held[i+1:]...)
			i--
			progress = true
		}
	}
	if len(s.held) == 0 {
		s.arena = s.arena[:0]
	}
}

// gap gives up on the hole: pending and held bytes are dropped and counted.
func (s *Stream) gap() {
	s.stats.Gaps++
	s.stats.DroppedBytes += uint64(len(s.buf))
	for _, h := range s.held {
		s.stats.DroppedBytes += uint64(h.end - h.off)
	}
	s.buf = s.buf[:0]
	s.held = s.held[:0]
	s.arena = s.arena[:0]
}

// Close ends the stream: segments still held behind a hole that never
// filled are counted as a gap and dropped, and the bytes of a PDU left
// incomplete are counted as dropped (they were never parsed).
func (s *Stream) Close() {
	if len(s.held) > 0 {
		s.gap()
	}
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
		return
	}
	if len(s.buf) > 0 && len(data) > 0 && &data[0] == &s.buf[0] {
		s.buf = s.buf[:copy(s.buf, rest)]
		return
	}
	s.buf = append(s.buf[:0], rest...)
}

// Drop discards the pending bytes (after a framing error) and counts them.
func (s *Stream) Drop() {
	s.stats.DroppedBytes += uint64(len(s.buf))
	s.buf = s.buf[:0]
}

// Mem is the memory the Stream's buffers hold (their capacity), pending
// bytes and held segments included.
func (s *Stream) Mem() int {
	return cap(s.buf) + cap(s.arena) + cap(s.held)*int(unsafe.Sizeof(heldSeg{}))
}

// Shed gives the Stream's buffers back, dropping (and counting) the bytes
// pending and held: what a memory bound takes from a stream that waits
// for the rest of a PDU. A hole counts as a gap; the stream goes on with
// the next segment, whose parser resynchronises on the next PDU boundary
// it can frame.
func (s *Stream) Shed() {
	if len(s.buf) > 0 || len(s.held) > 0 {
		s.gap()
	}
	s.buf, s.arena, s.held = nil, nil, nil
}

// Pending is the number of bytes kept for an incomplete PDU.
func (s *Stream) Pending() int { return len(s.buf) }

// Stats returns what the stream could not deliver.
func (s *Stream) Stats() StreamStats { return s.stats }

// Reset makes the Stream ready for another flow, keeping its buffer.
func (s *Stream) Reset() {
	*s = Stream{buf: s.buf[:0], held: s.held[:0], arena: s.arena[:0]}
}
