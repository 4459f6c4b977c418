package flow

import (
	"bytes"
	"testing"
)

// frame2 is a toy length-prefixed framing: one length byte, then the body.
func frame2(b []byte) (pdus []string, n int) {
	for len(b) > 0 && len(b) >= 1+int(b[0]) {
		l := 1 + int(b[0])
		pdus = append(pdus, string(b[1:l]))
		b = b[l:]
		n += l
	}
	return pdus, n
}

func TestStream(t *testing.T) {
	pdu := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	type seg struct {
		seq  uint32
		data []byte
	}
	whole := cat(pdu("read"), pdu("write"), pdu("stop"))
	tests := []struct {
		name  string
		segs  []seg
		want  []string
		stats StreamStats
	}{
		{"one segment, several PDUs", []seg{{100, whole}}, []string{"read", "write", "stop"}, StreamStats{}},
		{"PDU split over segments", []seg{{100, whole[:3]}, {103, whole[3:8]}, {108, whole[8:]}}, []string{"read", "write", "stop"}, StreamStats{}},
		{"every byte its own segment", func() []seg {
			var ss []seg
			for i := range whole {
				ss = append(ss, seg{uint32(100 + i), whole[i : i+1]})
			}
			return ss
		}(), []string{"read", "write", "stop"}, StreamStats{}},
		{"retransmission is not delivered twice", []seg{{100, whole[:7]}, {100, whole[:7]}, {107, whole[7:]}},
			[]string{"read", "write", "stop"}, StreamStats{Retransmitted: 7}},
		{"overlapping retransmission brings new bytes", []seg{{100, whole[:7]}, {104, whole[4:12]}, {112, whole[12:]}},
			[]string{"read", "write", "stop"}, StreamStats{Retransmitted: 3}},
		{"a hole that never fills is a gap at close", []seg{{100, whole[:7]}, {111, whole[11:]}},
			[]string{"read"}, StreamStats{Gaps: 1, DroppedBytes: 7}},
		{"reordered segments are delivered in order", []seg{{100, whole[:3]}, {108, whole[8:]}, {103, whole[3:8]}},
			[]string{"read", "write", "stop"}, StreamStats{}},
		{"reordered and retransmitted", []seg{{100, whole[:3]}, {108, whole[8:]}, {106, whole[6:]}, {103, whole[3:8]}},
			[]string{"read", "write", "stop"}, StreamStats{Retransmitted: 10}},
		{"too many held segments: gap, resynchronise at the newest", func() []seg {
			ss := []seg{{100, whole[:2]}}
			for i := range MaxHeld {
				ss = append(ss, seg{uint32(200 + 10*i), []byte{9}})
			}
			return append(ss, seg{300, pdu("stop")})
		}(), []string{"stop"}, StreamStats{Gaps: 1, DroppedBytes: 2 + MaxHeld}},
		{"sequence wraps", []seg{{0xfffffffe, whole[:4]}, {2, whole[4:]}}, []string{"read", "write", "stop"}, StreamStats{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st Stream
			var got []string
			for _, sg := range tt.segs {
				data := st.Add(sg.seq, sg.data)
				pdus, n := frame2(data)
				got = append(got, pdus...)
				st.Done(data, n)
			}
			st.Close()
			if len(got) != len(tt.want) {
				t.Fatalf("PDUs %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("PDUs %q, want %q", got, tt.want)
				}
			}
			if st.Stats() != tt.stats {
				t.Errorf("stats %+v, want %+v", st.Stats(), tt.stats)
			}
			if st.Pending() != 0 {
				t.Errorf("%d bytes left pending", st.Pending())
			}
		})
	}
}

func TestStreamBoundAndReset(t *testing.T) {
	var st Stream
	big := make([]byte, MaxPending+10)
	big[0] = 0xff // a PDU that never completes under frame2's rules
	data := st.Add(1, big[:MaxPending-1])
	st.Done(data, 0)
	data = st.Add(MaxPending, big[MaxPending-1:])
	st.Done(data, 0)
	if st.Pending() > MaxPending || st.Stats().DroppedBytes == 0 {
		t.Errorf("pending %d, dropped %d", st.Pending(), st.Stats().DroppedBytes)
	}
	st.Reset()
	if st.Pending() != 0 || st.Stats() != (StreamStats{}) {
		t.Error("Reset kept state")
	}
}

// frameN is frame2 without collecting the PDUs.
func frameN(b []byte) (n int) {
	for len(b) > 0 && len(b) >= 1+int(b[0]) {
		l := 1 + int(b[0])
		b = b[l:]
		n += l
	}
	return n
}

func TestStreamNoAllocs(t *testing.T) {
	var st Stream
	seq := uint32(1)
	seg := []byte{3, 'a', 'b', 'c', 5, 'h', 'e'} // one PDU and a partial one
	rest := []byte{'l', 'l', 'o'}
	n := testing.AllocsPerRun(1000, func() {
		d := st.Add(seq, seg)
		st.Done(d, frameN(d))
		seq += uint32(len(seg))
		d = st.Add(seq, rest)
		st.Done(d, frameN(d))
		seq += uint32(len(rest))
	})
	if n != 0 {
		t.Errorf("%.1f allocations per round", n)
	}
}

// FuzzStream offers segments cut from a length-prefixed byte stream at
// fuzzer-chosen offsets, some repeated (retransmissions) and some skipped
// (holes): no panic, pending bytes bounded, and without holes the PDUs
// come out exactly once and in order.
func FuzzStream(f *testing.F) {
	f.Add([]byte{3, 'a', 'b', 'c', 2, 'x', 'y', 1, 'z'}, []byte{2, 5, 1, 9})
	f.Fuzz(func(t *testing.T, stream, cuts []byte) {
		var st Stream
		seq, pos := uint32(7), 0
		holes := false
		var got []string
		for i, c := range cuts {
			if pos >= len(stream) {
				break
			}
			end := min(pos+int(c%16)+1, len(stream))
			back := 0
			if c&0x80 != 0 && pos > 0 { // resend a little
				back = min(pos, int(c%5))
			}
			if c&0x40 != 0 && i%3 == 2 { // skip a segment: a hole
				holes = true
				pos = end
				continue
			}
			data := st.Add(seq+uint32(pos-back), stream[pos-back:end])
			pdus, n := frame2(data)
			got = append(got, pdus...)
			st.Done(data, n)
			if st.Pending() > MaxPending {
				t.Fatalf("pending %d", st.Pending())
			}
			pos = end
		}
		if holes {
			return
		}
		want, _ := frame2(stream[:pos])
		if len(got) != len(want) {
			t.Fatalf("got %q want %q", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("got %q want %q", got, want)
			}
		}
	})
}
