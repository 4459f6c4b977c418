package flow

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

// The toy framing of these tests: a PDU is the marker 0xAA, a length
// byte below 0xAA and that many body bytes, none of them 0xAA; so after a
// gap the first marker is the start of a PDU, and resynchronising is exact.
const marker = 0xAA

func mpdu(s string) []byte { return append([]byte{marker, byte(len(s))}, s...) }

// toy is a parser of the toy framing that resynchronises after a gap the
// way the industrial analyzers do: it skips to the next marker.
type toy struct {
	lost    bool
	skipped int
	pdus    []string
}

func (p *toy) feed(b []byte, gap bool) int {
	if gap {
		p.lost = true
	}
	n := 0
	for {
		rest := b[n:]
		if p.lost {
			i := bytes.IndexByte(rest, marker)
			if i < 0 {
				p.skipped += len(rest)
				return len(b)
			}
			p.skipped += i
			n += i
			rest = rest[i:]
			p.lost = false
		}
		if len(rest) > 0 && rest[0] != marker {
			p.lost = true
			continue
		}
		if len(rest) < 2 || len(rest) < 2+int(rest[1]) {
			return n
		}
		p.pdus = append(p.pdus, string(rest[2:2+int(rest[1])]))
		n += 2 + int(rest[1])
	}
}

type seg struct {
	seq  uint32
	data []byte
	ts   time.Duration
}

// run offers segs to a Stream and a toy parser, drains and closes it.
func run(st *Stream, p *toy, segs []seg) {
	for _, sg := range segs {
		data, gap := st.Add(sg.seq, sg.data, int64(sg.ts))
		if data != nil {
			st.Done(data, p.feed(data, gap))
		}
	}
	for data := st.Drain(); data != nil; data = st.Drain() {
		st.Done(data, p.feed(data, true))
	}
	st.Close()
}

func TestStream(t *testing.T) {
	whole := slices.Concat(mpdu("read"), mpdu("write"), mpdu("stop")) // read 0-5, write 6-12, stop 13-18
	bytewise := func() []seg {
		var ss []seg
		for i := range whole {
			ss = append(ss, seg{uint32(100 + i), whole[i : i+1], 0})
		}
		return ss
	}
	tests := []struct {
		name    string
		midway  bool // MarkGap before the first segment
		segs    []seg
		want    []string
		stats   StreamStats
		skipped int
	}{
		{"one segment, several PDUs", false, []seg{{100, whole, 0}}, []string{"read", "write", "stop"}, StreamStats{}, 0},
		{"PDU split over segments", false, []seg{{100, whole[:3], 0}, {103, whole[3:8], 0}, {108, whole[8:], 0}},
			[]string{"read", "write", "stop"}, StreamStats{}, 0},
		{"every byte its own segment", false, bytewise(), []string{"read", "write", "stop"}, StreamStats{}, 0},
		{"retransmission is not delivered twice", false, []seg{{100, whole[:7], 0}, {100, whole[:7], 0}, {107, whole[7:], 0}},
			[]string{"read", "write", "stop"}, StreamStats{Retransmitted: 7}, 0},
		{"overlapping retransmission brings new bytes", false, []seg{{100, whole[:7], 0}, {104, whole[4:12], 0}, {112, whole[12:], 0}},
			[]string{"read", "write", "stop"}, StreamStats{Retransmitted: 3}, 0},
		{"a hole between PDUs loses nothing", false, []seg{{100, whole[:6], 0}, {113, whole[13:], 0}},
			[]string{"read", "stop"}, StreamStats{Gaps: 1}, 0},
		{"a hole that cuts a PDU costs that PDU only", false, []seg{{100, whole[:8], 0}, {113, whole[13:], 0}},
			[]string{"read", "stop"}, StreamStats{Gaps: 1, DroppedBytes: 2}, 0},
		{"after a hole inside a PDU the parser skips its rest", false, []seg{{100, whole[:8], 0}, {110, whole[10:], 0}},
			[]string{"read", "stop"}, StreamStats{Gaps: 1, DroppedBytes: 2}, 3},
		{"reordered segments are delivered in order", false, []seg{{100, whole[:3], 0}, {108, whole[8:], 0}, {103, whole[3:8], 0}},
			[]string{"read", "write", "stop"}, StreamStats{}, 0},
		{"reordered and retransmitted", false, []seg{{100, whole[:3], 0}, {108, whole[8:], 0}, {106, whole[6:], 0}, {103, whole[3:8], 0}},
			[]string{"read", "write", "stop"}, StreamStats{Retransmitted: 13}, 0},
		{"held segments full: the oldest hole is skipped, nothing held is lost", false, func() []seg {
			ss := []seg{{100, whole[:2], 0}}
			for i := range MaxHeld {
				ss = append(ss, seg{uint32(200 + 10*i), []byte{'x'}, 0})
			}
			return append(ss, seg{300, mpdu("stop"), 0})
		}(), []string{"stop"}, StreamStats{Gaps: MaxHeld + 1, DroppedBytes: 2}, MaxHeld},
		{"a hole older than HoldTime is skipped at the next segment", false, []seg{
			{100, whole[:8], 0}, {110, whole[10:], time.Second}, {300, mpdu("more"), 3500 * time.Millisecond}},
			[]string{"read", "stop", "more"}, StreamStats{Gaps: 2, DroppedBytes: 2}, 3},
		{"a hole filled within HoldTime loses nothing", false, []seg{
			{100, whole[:8], 0}, {110, whole[10:], time.Second}, {108, whole[8:10], 1500 * time.Millisecond}},
			[]string{"read", "write", "stop"}, StreamStats{}, 0},
		{"sequence wraps", false, []seg{{0xfffffffe, whole[:4], 0}, {2, whole[4:], 0}}, []string{"read", "write", "stop"}, StreamStats{}, 0},
		{"a stream first seen midway skips to a boundary", true, []seg{{100, whole[3:], 0}}, []string{"write", "stop"}, StreamStats{}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st Stream
			var p toy
			if tt.midway {
				st.MarkGap()
			}
			run(&st, &p, tt.segs)
			if !slices.Equal(p.pdus, tt.want) {
				t.Fatalf("PDUs %q, want %q", p.pdus, tt.want)
			}
			if st.Stats() != tt.stats || p.skipped != tt.skipped {
				t.Errorf("stats %+v skipped %d, want %+v skipped %d", st.Stats(), p.skipped, tt.stats, tt.skipped)
			}
			if st.Pending() != 0 || st.Held() != 0 {
				t.Errorf("%d bytes left pending, %d segments held", st.Pending(), st.Held())
			}
		})
	}
}

// TestStreamDropGap: bytes dropped after a framing error make the next
// bytes a gap, so the parser resynchronises instead of failing again.
func TestStreamDropGap(t *testing.T) {
	var st Stream
	data, gap := st.Add(1, []byte{marker, 9, 'a'}, 0)
	if gap || len(data) != 3 {
		t.Fatalf("first: %q gap %v", data, gap)
	}
	st.Done(data, 0)
	st.Drop()
	data, gap = st.Add(4, []byte{'b', marker, 0}, 0)
	if !gap || len(data) != 3 || st.Stats().DroppedBytes != 3 {
		t.Fatalf("after Drop: %q gap %v stats %+v", data, gap, st.Stats())
	}
}

func TestStreamBoundAndReset(t *testing.T) {
	var st Stream
	big := make([]byte, MaxPending+10)
	big[0] = 0xff // a PDU that never completes
	data, _ := st.Add(1, big[:MaxPending-1], 0)
	st.Done(data, 0)
	data, gap := st.Add(MaxPending, big[MaxPending-1:], 0)
	st.Done(data, 0)
	if st.Pending() > MaxPending || st.Stats().DroppedBytes == 0 || !gap {
		t.Errorf("pending %d, dropped %d, gap %v", st.Pending(), st.Stats().DroppedBytes, gap)
	}
	// Held bytes are bounded too: a hole with more than MaxPending bytes
	// behind it is skipped.
	st.Reset()
	st.Add(1, []byte{1}, 0)
	for i := range 3 {
		if data, _ := st.Add(uint32(100+i*(MaxPending/2)), big[:MaxPending/2], 0); i == 2 && data == nil {
			t.Error("third large segment behind a hole: nothing delivered")
		}
		if st.Mem() > 4*MaxPending {
			t.Fatalf("Mem %d", st.Mem())
		}
	}
	st.Reset()
	if st.Pending() != 0 || st.Held() != 0 || st.Stats() != (StreamStats{}) {
		t.Error("Reset kept state")
	}
}

// frameN counts the bytes of the whole toy PDUs at the start of b.
func frameN(b []byte) (n int) {
	for len(b) >= 2 && len(b) >= 2+int(b[1]) {
		l := 2 + int(b[1])
		b = b[l:]
		n += l
	}
	return n
}

func TestStreamNoAllocs(t *testing.T) {
	var st Stream
	seq := uint32(1)
	seg := slices.Concat(mpdu("abc"), []byte{marker, 5, 'h', 'e'}) // one PDU and a partial one
	rest := []byte{'l', 'l', 'o'}
	far := mpdu("far")
	n := testing.AllocsPerRun(1000, func() {
		d, _ := st.Add(seq, seg, 0)
		st.Done(d, frameN(d))
		seq += uint32(len(seg))
		// a segment held behind a hole, then the hole filled
		d, _ = st.Add(seq+uint32(len(rest)), far, 0)
		st.Done(d, frameN(d))
		d, _ = st.Add(seq, rest, 0)
		st.Done(d, frameN(d))
		seq += uint32(len(rest) + len(far))
	})
	if n != 0 {
		t.Errorf("%.1f allocations per round", n)
	}
}

// FuzzStream cuts a stream of toy PDUs into segments at fuzzer-chosen
// offsets and offers them with retransmissions and overlaps, swapped
// neighbours, holes that never fill, pauses past HoldTime and connection
// resets (the stream ends and a new one starts mid-PDU). Every PDU none of
// whose bytes fell in a hole or across a reset comes out exactly once, in
// order, and no other: a hole costs only the PDU it cut.
func FuzzStream(f *testing.F) {
	f.Add([]byte{3, 2, 1, 0, 5, 9}, []byte{2, 5, 1, 9, 0x41, 3, 0x80 | 7, 0x20 | 4, 2, 2, 2})
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []byte{0x40, 1, 0x40, 1, 0x40, 1, 0x40, 1, 0x40, 1, 0x40, 1, 0x40, 1, 0x40, 1, 0x40, 1, 0x10 | 3, 1})
	f.Add([]byte{19, 0, 7}, []byte{0x08 | 1, 3, 0x40 | 2, 0x20 | 5, 0x80 | 3, 1})
	f.Fuzz(func(t *testing.T, sizes, cuts []byte) {
		// The byte stream: PDUs of the fuzzer's sizes, bodies of letters.
		var stream []byte
		var starts []int
		for i, sz := range sizes {
			starts = append(starts, len(stream))
			stream = append(stream, marker, sz%20)
			for j := range int(sz % 20) {
				stream = append(stream, byte('a'+(i+j)%26))
			}
		}
		present := make([]bool, len(stream)) // byte offered to the stream in order (not lost)
		conn := make([]int, len(stream))     // connection the byte was sent on
		var (
			st      Stream
			p       toy
			got     []string
			pos     int
			ts      int64
			c       int
			base    = uint32(7) // sequence number of stream[0] on this connection
			pending *seg        // the first of two swapped segments, held back
			holeEnd int         // end of the last hole: retransmissions do not reach back past it
			started bool        // a segment was offered on this connection (its first sets the start)
		)
		offer := func(sg seg) {
			data, gap := st.Add(sg.seq, sg.data, ts)
			if data != nil {
				st.Done(data, p.feed(data, gap))
			}
			if st.Pending() > MaxPending || st.Held() > MaxHeld {
				t.Fatalf("pending %d held %d", st.Pending(), st.Held())
			}
		}
		end := func() {
			if pending != nil {
				offer(*pending)
				pending = nil
			}
			for data := st.Drain(); data != nil; data = st.Drain() {
				st.Done(data, p.feed(data, true))
			}
			st.Close()
			got = append(got, p.pdus...)
			p = toy{}
		}
		for _, cb := range cuts {
			if pos >= len(stream) {
				break
			}
			n := min(int(cb&7)+1, len(stream)-pos)
			switch {
			case cb&0x40 != 0: // a hole: these bytes are never sent
				pos += n
				holeEnd = pos
				continue
			case cb&0x10 != 0 && pending == nil: // connection reset: a new stream begins mid-PDU
				end()
				st.Reset()
				c++
				base = uint32(c) * 0x9e3779b9
				base -= uint32(pos)
				st.MarkGap()
				holeEnd, started = pos, false
				continue
			case cb&0x08 != 0 && pending == nil: // a pause past HoldTime before this segment
				ts += HoldTime + 1
			}
			back := 0
			if cb&0x80 != 0 { // a retransmission reaching back a little
				back = min(pos-holeEnd, int(cb>>4&3))
			}
			for i := pos; i < pos+n; i++ {
				present[i], conn[i] = true, c
			}
			sg := seg{seq: base + uint32(pos-back), data: stream[pos-back : pos+n]}
			pos += n
			switch {
			case pending != nil: // the second of a swapped pair goes first
				offer(sg)
				offer(*pending)
				pending = nil
			case cb&0x20 != 0 && started: // (the first segment sets where the stream starts)
				pending = &sg
			default:
				offer(sg)
			}
			started = true
		}
		end()
		var want []string
		for i, s := range starts {
			e := len(stream)
			if i+1 < len(starts) {
				e = starts[i+1]
			}
			whole := true
			for j := s; j < e; j++ {
				if !present[j] || conn[j] != conn[s] {
					whole = false
				}
			}
			if whole {
				want = append(want, string(stream[s+2:e]))
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %d PDUs %q\nwant %d %q", len(got), got, len(want), want)
		}
		if st.Stats().DroppedBytes > uint64(len(stream)) {
			t.Fatalf("dropped %d of %d bytes", st.Stats().DroppedBytes, len(stream))
		}
	})
}
