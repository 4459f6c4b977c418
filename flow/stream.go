package flow

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
// Out-of-order segments are not queued: a segment beyond the next expected
// sequence number is a gap; the pending bytes are dropped (counted) and
// the stream restarts at the new segment, whose parser resynchronises on
// the next PDU boundary it can frame.
type Stream struct {
	buf   []byte
	next  uint32 // next expected sequence number
	init  bool
	stats StreamStats
}

// StreamStats counts what a Stream could not deliver.
type StreamStats struct {
	Gaps          uint64 // segments after a hole (lost or reordered data)
	DroppedBytes  uint64 // pending bytes dropped at a gap, a reset or the size bound
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
	case d > 0: // a hole
		s.stats.Gaps++
		s.stats.DroppedBytes += uint64(len(s.buf))
		s.buf = s.buf[:0]
	}
	s.next = start + uint32(len(payload))
	if len(payload) == 0 {
		return nil
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

// Pending is the number of bytes kept for an incomplete PDU.
func (s *Stream) Pending() int { return len(s.buf) }

// Stats returns what the stream could not deliver.
func (s *Stream) Stats() StreamStats { return s.stats }

// Reset makes the Stream ready for another flow, keeping its buffer.
func (s *Stream) Reset() {
	*s = Stream{buf: s.buf[:0]}
}
