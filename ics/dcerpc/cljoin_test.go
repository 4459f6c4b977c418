package dcerpc

import (
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"harborwatch/proto"
)

// clFragments cuts a connectionless call's body into datagrams of at most
// size body bytes, numbered from 0, the last flagged.
func clFragments(ptype uint8, iface UUID, opnum uint16, seq uint32, body []byte, size int) [][]byte {
	if len(body) <= size {
		return [][]byte{clPDU(ptype, iface, opnum, seq, 0, 0, body)}
	}
	var out [][]byte
	for n, off := uint16(0), 0; off < len(body); n, off = n+1, off+size {
		end := min(off+size, len(body))
		fl := uint8(CLFlagFrag)
		if end == len(body) {
			fl |= CLFlagLastFrag
		}
		out = append(out, clPDU(ptype, iface, opnum, seq, fl, n, body[off:end]))
	}
	return out
}

// datagrams feeds datagrams to a and returns copies of its messages.
func datagrams(t *testing.T, a *Analyzer, fromClient bool, ds ...[]byte) []Message {
	t.Helper()
	var out []Message
	for _, d := range ds {
		if err := a.Datagram(d, fromClient, func(m *Message) { out = append(out, *m) }); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestCLEptMap: an endpoint mapper's ept_map answer over UDP, whole or in
// fragments, hands out its ncadg_ip_udp (and ncacn_ip_tcp) towers with its
// last datagram; the report announces each on its transport.
func TestCLEptMap(t *testing.T) {
	epm := ifaces[ifEPM].UUID
	es := []Endpoint{{Addr: netip.MustParseAddr("10.10.1.5"), Port: 1030, UDP: true},
		{Addr: netip.MustParseAddr("10.10.1.5"), Port: 49667}}
	stub := eptMapStub(200, es...)
	for _, size := range []int{len(stub), 100, 33} {
		var a Analyzer
		frags := clFragments(CLResponse, epm, 3, 7, stub, size)
		ms := datagrams(t, &a, false, frags...)
		last := ms[len(ms)-1]
		if got := last.Endpoints[:last.NEndpoints]; !slices.Equal(got, es) || last.Name() != "EPM.ept_map" {
			t.Errorf("size %d: %s endpoints %v, want %v", size, last.Name(), got, es)
		}
		for _, m := range ms[:len(ms)-1] {
			if m.NEndpoints != 0 {
				t.Errorf("size %d: an earlier fragment hands out endpoints", size)
			}
		}
		if len(frags) > 1 && (last.StubLen != len(stub) || a.JoinStats().Joined != 1) {
			t.Errorf("size %d: stub %d stats %+v", size, last.StubLen, a.JoinStats())
		}
	}
	// Through the report: an expectation per endpoint, on its transport.
	a := proto.NewParsers[Analyzer](report)
	fl := a.Open(proto.UDP)
	var r reporter
	for _, d := range clFragments(CLResponse, epm, 3, 7, stub, 100) {
		if _, err := fl.Feed(&r, false, d); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, e := range r.expects {
		tr := map[proto.Transport]string{proto.TCP: "tcp", proto.UDP: "udp"}[e.Transport]
		got = append(got, tr+" "+e.Server.Addr().String()+":"+strconv.Itoa(int(e.Server.Port())))
	}
	want := []string{"udp invalid IP:1030", "udp 10.10.1.5:1030", "tcp invalid IP:49667", "tcp 10.10.1.5:49667"}
	if !slices.Equal(got, want) {
		t.Errorf("expectations %q, want %q", got, want)
	}
}

// TestCLJoin: fragments are joined per activity and sequence number,
// interleaved calls apart; a retransmitted fragment is ignored; a
// skipped fragment number gives the call up (Lost); a fifth call being
// joined evicts the least recently fed (Evicted).
func TestCLJoin(t *testing.T) {
	h := func(seq uint32, n uint16, last bool, act byte) CLHeader {
		fl := uint8(CLFlagFrag)
		if last {
			fl |= CLFlagLastFrag
		}
		return CLHeader{Type: CLRequest, Flags1: fl, SeqNum: seq, FragNum: n, Activity: UUID{act}}
	}
	var j CLJoin
	add := func(hd CLHeader, body string) string {
		b, whole, _ := j.Add(&hd, []byte(body))
		if !whole {
			return "-"
		}
		return string(b)
	}
	steps := []struct {
		h    CLHeader
		body string
		want string
	}{
		{h(1, 0, false, 1), "ab", "-"},
		{h(1, 0, false, 2), "AB", "-"}, // another activity, same sequence number
		{h(1, 1, false, 1), "cd", "-"},
		{h(1, 1, false, 1), "cd", "-"}, // retransmitted
		{h(1, 1, true, 2), "CD", "ABCD"},
		{h(1, 2, true, 1), "ef", "abcdef"},
		{h(2, 0, false, 1), "x", "-"},
		{h(2, 2, false, 1), "z", "-"}, // fragment 1 skipped: given up
		{h(2, 3, true, 1), "w", "-"},
		{h(3, 1, true, 1), "late", "-"}, // without its first
	}
	for i, s := range steps {
		if got := add(s.h, s.body); got != s.want {
			t.Errorf("step %d: %q, want %q", i, got, s.want)
		}
	}
	if st := j.Stats(); st.Joined != 2 || st.Lost != 2 || st.Evicted != 0 {
		t.Errorf("stats %+v", st)
	}
	for act := byte(10); act < 10+clSlots+1; act++ {
		add(h(1, 0, false, act), "..")
	}
	if st := j.Stats(); st.Evicted != 1 {
		t.Errorf("after %d calls: stats %+v", clSlots+1, st)
	}
	if got := add(h(1, 1, true, 10), "!"); got != "-" {
		t.Errorf("the evicted call completed: %q", got)
	}
	if got := add(h(1, 1, true, 14), "!"); got != "..!" {
		t.Errorf("the newest call: %q", got)
	}
	// Every slot holds a call: a stray later fragment of another is
	// counted lost and gives none of them up.
	j.Reset()
	for act := byte(20); act < 20+clSlots; act++ {
		add(h(1, 0, false, act), "..")
	}
	if got := add(h(7, 3, false, 99), "stray"); got != "-" {
		t.Errorf("a stray fragment: %q", got)
	}
	for act := byte(20); act < 20+clSlots; act++ {
		if got := add(h(1, 1, true, act), "!"); got != "..!" {
			t.Errorf("call %d after a stray fragment: %q", act, got)
		}
	}
	if st := j.Stats(); st.Evicted != 0 || st.Lost != 1 || st.Joined != clSlots {
		t.Errorf("stray fragment with the slots full: stats %+v", st)
	}
	j.Reset()
	if st := j.Stats(); st != (JoinStats{}) {
		t.Errorf("after Reset: %+v", st)
	}
}

// TestCLJoinNoAllocs: joining a fragmented ept_map answer over UDP and
// decoding its towers allocates nothing once the buffers have grown.
func TestCLJoinNoAllocs(t *testing.T) {
	es := []Endpoint{{Addr: netip.MustParseAddr("10.10.1.5"), Port: 1030, UDP: true}}
	frags := clFragments(CLResponse, ifaces[ifEPM].UUID, 3, 7, eptMapStub(300, es...), 120)
	var a Analyzer
	n := 0
	emit := func(m *Message) { n += m.NEndpoints }
	if allocs := testing.AllocsPerRun(100, func() {
		for _, d := range frags {
			if err := a.Datagram(d, false, emit); err != nil {
				t.Fatal(err)
			}
		}
	}); allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
	if n == 0 {
		t.Error("no endpoints")
	}
}
