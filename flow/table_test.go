package flow

import (
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"harborwatch/decode"
)

// feed passes each packet to t at its ts and returns the flow and direction
// of the last one.
func feed(tb testing.TB, t *Table[int], ps ...pkt) (*Flow[int], Dir, bool) {
	tb.Helper()
	var (
		f     *Flow[int]
		d     Dir
		isNew bool
	)
	for _, p := range ps {
		f, d, isNew = t.Packet(p.build(tb), int64(p.ts))
		t.check(tb)
	}
	return f, d, isNew
}

func TestDirection(t *testing.T) {
	const (
		cl  = "10.1.1.50:49200"
		plc = "10.1.1.10:502"
	)
	tests := []struct {
		name      string
		first     pkt
		client    string
		handshake bool
		state     State
	}{
		{"syn first", pkt{src: cl, dst: plc, flags: syn}, cl, true, SynSent},
		{"syn first from server port", pkt{src: plc, dst: cl, flags: syn}, plc, true, SynSent},
		{"syn-ack first", pkt{src: plc, dst: cl, flags: synack}, cl, true, SynAckSeen},
		{"syn-ack first from client port", pkt{src: cl, dst: plc, flags: synack}, plc, true, SynAckSeen},
		{"midstream from client", pkt{src: cl, dst: plc, flags: psh}, cl, false, Midstream},
		{"midstream from server port swaps", pkt{src: plc, dst: cl, flags: psh}, cl, false, Midstream},
		{"midstream both server ports", pkt{src: "10.1.1.10:102", dst: "10.1.1.11:502", flags: ack}, "10.1.1.10:102", false, Midstream},
		{"midstream both ephemeral", pkt{src: "10.1.1.10:50001", dst: "10.1.1.11:50002", flags: ack}, "10.1.1.10:50001", false, Midstream},
		{"midstream enip registered port", pkt{src: "10.1.1.10:44818", dst: "10.1.1.11:50002", flags: psh}, "10.1.1.11:50002", false, Midstream},
		{"midstream modbus to ephemeral", pkt{src: "10.1.1.10:502", dst: "10.1.1.11:50002", flags: psh}, "10.1.1.11:50002", false, Midstream},
		{"midstream iso-tsap to a listed port picked as client port", pkt{src: "10.1.1.10:102", dst: "10.1.1.11:2404", flags: psh}, "10.1.1.11:2404", false, Midstream},
		{"midstream unlisted server port to dynamic", pkt{src: "10.1.1.10:10102", dst: "10.1.1.11:51000", flags: psh}, "10.1.1.11:51000", false, Midstream},
		{"midstream linux client to enip", pkt{src: "10.1.1.10:44818", dst: "10.1.1.11:40000", flags: ack}, "10.1.1.11:40000", false, Midstream},
		{"midstream two listed registered ports keep first", pkt{src: "10.1.1.10:44818", dst: "10.1.1.11:3389", flags: ack}, "10.1.1.10:44818", false, Midstream},
		{"midstream two unlisted registered ports keep first", pkt{src: "10.1.1.10:2000", dst: "10.1.1.11:3000", flags: ack}, "10.1.1.10:2000", false, Midstream},
		{"midstream linux range to dynamic keeps first", pkt{src: "10.1.1.10:40000", dst: "10.1.1.11:51000", flags: ack}, "10.1.1.10:40000", false, Midstream},
		{"midstream rst", pkt{src: plc, dst: cl, flags: rstack}, cl, false, Reset},
		{"midstream fin", pkt{src: cl, dst: plc, flags: fin}, cl, false, FinWait},
		{"udp first packet", pkt{src: "10.1.1.50:50000", dst: "10.1.1.10:47808", proto: decode.ProtoUDP}, "10.1.1.50:50000", false, None},
		{"udp reply first swaps", pkt{src: "10.1.1.10:47808", dst: "10.1.1.50:50000", proto: decode.ProtoUDP}, "10.1.1.50:50000", false, None},
		{"udp same service port", pkt{src: "10.1.1.10:47808", dst: "10.1.1.50:47808", proto: decode.ProtoUDP}, "10.1.1.10:47808", false, None},
		{"udp dns reply first", pkt{src: "10.1.1.2:53", dst: "10.1.1.50:33000", proto: decode.ProtoUDP}, "10.1.1.50:33000", false, None},
		{"icmp sender", pkt{src: "10.1.1.50", dst: "10.1.1.10", proto: decode.ProtoICMP}, "10.1.1.50", false, None},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := New(Options[int]{})
			f, d, isNew := feed(t, tab, tc.first)
			if !isNew {
				t.Fatal("first packet: isNew false")
			}
			ca, cp := parseEndpoint(t, tc.client)
			if f.Client.Addr != ca || f.Client.Port != cp {
				t.Errorf("client %v:%d, want %s", f.Client.Addr, f.Client.Port, tc.client)
			}
			wantDir := FromServer
			if tc.first.src == tc.client {
				wantDir = FromClient
			}
			if d != wantDir {
				t.Errorf("dir %v, want %v", d, wantDir)
			}
			if f.Handshake != tc.handshake || f.State != tc.state {
				t.Errorf("handshake %v state %v, want %v %v", f.Handshake, f.State, tc.handshake, tc.state)
			}
			// The reply travels the other way and finds the same flow.
			back := pkt{src: tc.first.dst, dst: tc.first.src, proto: tc.first.proto, flags: ack}
			g, d2, isNew := feed(t, tab, back)
			if g != f || isNew || d2 == d {
				t.Errorf("reply: same flow %v, isNew %v, dir %v (first %v)", g == f, isNew, d2, d)
			}
		})
	}
}

func TestCounters(t *testing.T) {
	tab := New(Options[int]{})
	cl, srv := "10.0.0.1:50000", "10.0.0.2:502"
	ps := []pkt{
		{src: cl, dst: srv, flags: syn, ts: 1000},
		{src: srv, dst: cl, flags: synack, ts: 1500},
		{src: cl, dst: srv, flags: ack, ts: 2000},
		{src: cl, dst: srv, flags: psh, payload: 12, ts: 3000},
		{src: srv, dst: cl, flags: psh, payload: 11, ts: 4000},
		{src: cl, dst: srv, flags: psh, payload: 12, ipLen: 1500, ts: 3500}, // late and snaplen-cut
	}
	f, _, _ := feed(t, tab, ps...)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"packets", f.Packets, [2]uint64{4, 2}},
		{"bytes", f.Bytes, [2]uint64{40 + 40 + 52 + 1500, 40 + 51}},
		{"payload", f.Payload, [2]uint64{24, 11}},
		{"first", f.First, int64(1000)},
		{"last", f.Last, int64(4000)},
		{"client", f.Client, Endpoint{netip.MustParseAddr("10.0.0.1"), 50000, macA}},
		{"server", f.Server, Endpoint{netip.MustParseAddr("10.0.0.2"), 502, macB}},
		{"vlan proto", [2]int{int(f.VLAN), int(f.Proto)}, [2]int{0, 6}},
		{"state", f.State, Established},
		{"len", tab.Len(), 1},
		{"stats", tab.Stats(), Stats{Created: 1, Active: 1, Peak: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestMACLearned(t *testing.T) {
	tab := New(Options[int]{})
	// A cooked capture: the sender's MAC only.
	p := pkt{src: "10.0.0.1:50000", dst: "10.0.0.2:502", flags: psh}.build(t)
	p.DstMAC = [6]byte{}
	f, _, _ := tab.Packet(p, 1)
	if f.Client.MAC != macA || f.Server.MAC != ([6]byte{}) {
		t.Fatalf("after first packet: client %x server %x", f.Client.MAC, f.Server.MAC)
	}
	r := pkt{src: "10.0.0.2:502", dst: "10.0.0.1:50000", flags: psh}.build(t)
	r.SrcMAC, r.DstMAC = macB, [6]byte{}
	tab.Packet(r, 2)
	if f.Server.MAC != macB || f.Client.MAC != macA {
		t.Errorf("after reply: client %x server %x", f.Client.MAC, f.Server.MAC)
	}
}

func TestTCPStates(t *testing.T) {
	const cl, srv = "10.0.0.1:50000", "10.0.0.2:102"
	c := func(flags uint8) pkt { return pkt{src: cl, dst: srv, flags: flags} }
	s := func(flags uint8) pkt { return pkt{src: srv, dst: cl, flags: flags} }
	tests := []struct {
		name string
		ps   []pkt
		want []State // after each packet
	}{
		{"handshake and close, client first",
			[]pkt{c(syn), s(synack), c(ack), c(psh), s(psh), c(fin), s(ack), s(fin), c(ack)},
			[]State{SynSent, SynAckSeen, Established, Established, Established, FinWait, FinWait, Closed, Closed}},
		{"close, server first",
			[]pkt{c(syn), s(synack), c(ack), s(fin), c(fin)},
			[]State{SynSent, SynAckSeen, Established, FinWait, Closed}},
		{"simultaneous fin flags from both before acks",
			[]pkt{c(syn), s(synack), c(ack), c(fin), s(fin), c(ack), s(ack)},
			[]State{SynSent, SynAckSeen, Established, FinWait, Closed, Closed, Closed}},
		{"refused", []pkt{c(syn), s(rstack)}, []State{SynSent, Reset}},
		{"reset by client mid-connection",
			[]pkt{c(syn), s(synack), c(ack), c(psh), c(rst), s(psh)},
			[]State{SynSent, SynAckSeen, Established, Established, Reset, Reset}},
		{"rst after fin", []pkt{c(syn), s(synack), c(ack), c(fin), s(rst)},
			[]State{SynSent, SynAckSeen, Established, FinWait, Reset}},
		{"syn-ack not captured", []pkt{c(syn), c(ack), c(psh)}, []State{SynSent, Established, Established}},
		{"syn retransmitted", []pkt{c(syn), c(syn), s(synack), c(ack)}, []State{SynSent, SynSent, SynAckSeen, Established}},
		{"syn-ack first", []pkt{s(synack), c(ack)}, []State{SynAckSeen, Established}},
		{"server ack does not complete", []pkt{c(syn), s(synack), s(ack)}, []State{SynSent, SynAckSeen, SynAckSeen}},
		{"midstream then fins", []pkt{c(psh), s(psh), s(fin), c(fin)}, []State{Midstream, Midstream, FinWait, Closed}},
		{"midstream syn is ignored", []pkt{c(psh), c(syn)}, []State{Midstream, Midstream}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := New(Options[int]{})
			for i, p := range tc.ps {
				p.ts = time.Duration(i) * time.Millisecond
				f, _, isNew := feed(t, tab, p)
				if f.State != tc.want[i] {
					t.Fatalf("packet %d: state %v, want %v", i, f.State, tc.want[i])
				}
				if isNew != (i == 0) {
					t.Fatalf("packet %d: isNew %v", i, isNew)
				}
			}
		})
	}
}

func TestPortReuse(t *testing.T) {
	const cl, srv = "10.0.0.1:50000", "10.0.0.2:502"
	c := func(flags uint8, seq uint32, ts time.Duration) pkt {
		return pkt{src: cl, dst: srv, flags: flags, seq: seq, ts: ts}
	}
	s := func(flags uint8, ts time.Duration) pkt { return pkt{src: srv, dst: cl, flags: flags, ts: ts} }
	ms := time.Millisecond
	closed := []pkt{c(syn, 100, 0), s(synack, ms), c(ack, 0, 2*ms), c(fin, 0, 3*ms), s(fin, 4*ms), c(ack, 0, 5*ms)}
	tests := []struct {
		name   string
		ps     []pkt
		next   pkt
		reused bool
	}{
		{"syn after close", closed, c(syn, 900, 6*ms), true},
		{"syn after refusal", []pkt{c(syn, 100, 0), s(rstack, ms)}, c(syn, 900, 2*ms), true},
		{"syn retransmitted after refusal", []pkt{c(syn, 100, 0), s(rstack, ms)}, c(syn, 100, 2*ms), false},
		{"syn after midstream reset", []pkt{c(psh, 0, 0), s(rst, ms)}, c(syn, 100, 2*ms), true},
		{"syn-ack after close", closed, s(synack, 6*ms), false},
		{"syn from server side after close", closed, pkt{src: srv, dst: cl, flags: syn, ts: 6 * ms}, true},
		{"syn soon after one fin", []pkt{c(syn, 100, 0), s(synack, ms), c(ack, 0, 2*ms), c(fin, 0, 3*ms)}, c(syn, 900, 4*ms), false},
		{"syn 11s after one fin", []pkt{c(syn, 100, 0), s(synack, ms), c(ack, 0, 2*ms), c(fin, 0, 3*ms)}, c(syn, 900, 11*time.Second), true},
		{"syn on established", []pkt{c(syn, 100, 0), s(synack, ms), c(ack, 0, 2*ms)}, c(syn, 900, 3*ms), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log []ended
			tab := New(Options[int]{OnEnd: recorder(&log)})
			old, _, _ := feed(t, tab, tc.ps...)
			old.X = 7
			oldKey := old.Key
			f, d, isNew := feed(t, tab, tc.next)
			if isNew != tc.reused {
				t.Fatalf("isNew %v, want %v", isNew, tc.reused)
			}
			st := tab.Stats()
			if !tc.reused {
				if len(log) != 0 || st.Reused != 0 || st.Created != 1 {
					t.Errorf("ended %v, stats %+v", log, st)
				}
				return
			}
			want := []ended{{Key: oldKey, Reason: Expired, X: 7}}
			if len(log) != 1 || log[0].Key != want[0].Key || log[0].Reason != Expired || log[0].X != 7 {
				t.Errorf("OnEnd calls %+v, want %+v", log, want)
			}
			if st.Reused != 1 || st.Expired != 1 || st.Created != 2 || st.Active != 1 {
				t.Errorf("stats %+v", st)
			}
			if f.State != SynSent || d != FromClient || f.X != 0 || f.Packets != [2]uint64{1, 0} || f.First != int64(tc.next.ts) {
				t.Errorf("new flow: state %v dir %v X %d packets %v first %d", f.State, d, f.X, f.Packets, f.First)
			}
		})
	}
}

func TestIdleExpiry(t *testing.T) {
	opts := Options[int]{
		TCPTimeout:    5 * time.Minute,
		UDPTimeout:    time.Minute,
		OtherTimeout:  2 * time.Minute,
		ClosedTimeout: 10 * time.Second,
	}
	cl, srv := "10.0.0.1:50000", "10.0.0.2:502"
	tests := []struct {
		name    string
		ps      []pkt // the flow, ending at time 1s
		timeout time.Duration
	}{
		{"tcp established", []pkt{{src: cl, dst: srv, flags: syn}, {src: srv, dst: cl, flags: synack}, {src: cl, dst: srv, flags: ack, ts: time.Second}}, 5 * time.Minute},
		{"tcp midstream", []pkt{{src: cl, dst: srv, flags: psh, ts: time.Second}}, 5 * time.Minute},
		{"tcp fin wait", []pkt{{src: cl, dst: srv, flags: psh}, {src: cl, dst: srv, flags: fin, ts: time.Second}}, 5 * time.Minute},
		{"tcp closed", []pkt{{src: cl, dst: srv, flags: fin}, {src: srv, dst: cl, flags: fin, ts: time.Second}}, 10 * time.Second},
		{"tcp reset", []pkt{{src: cl, dst: srv, flags: syn}, {src: srv, dst: cl, flags: rstack, ts: time.Second}}, 10 * time.Second},
		{"udp", []pkt{{src: cl, dst: srv, proto: decode.ProtoUDP, ts: time.Second}}, time.Minute},
		{"icmp", []pkt{{src: "10.0.0.1", dst: "10.0.0.2", proto: decode.ProtoICMP, ts: time.Second}}, 2 * time.Minute},
		{"other protocol", []pkt{{src: "10.0.0.1", dst: "10.0.0.2", proto: 89, ts: time.Second}}, 2 * time.Minute},
	}
	// Unrelated traffic advances the clock.
	other := func(ts time.Duration) pkt {
		return pkt{src: "10.9.9.9:40000", dst: "10.9.9.8:40001", proto: decode.ProtoUDP, ts: ts}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log []ended
			tab := New(Options[int]{TCPTimeout: opts.TCPTimeout, UDPTimeout: opts.UDPTimeout,
				OtherTimeout: opts.OtherTimeout, ClosedTimeout: opts.ClosedTimeout, OnEnd: recorder(&log)})
			f, _, _ := feed(t, tab, tc.ps...)
			key := f.Key
			deadline := time.Second + tc.timeout
			feed(t, tab, other(deadline-time.Millisecond), other(deadline))
			if len(log) != 0 {
				t.Fatalf("ended at its timeout: %+v", log)
			}
			feed(t, tab, other(deadline+1))
			if len(log) != 1 || log[0].Key != key || log[0].Reason != Expired || log[0].Last != int64(time.Second) {
				t.Fatalf("one ns past the timeout: ended %+v", log)
			}
			if st := tab.Stats(); st.Expired != 1 || st.Active != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestIdleExpiryOwnPacket: a packet that comes after its flow's timeout
// starts a new flow, even when no other traffic advanced the clock.
func TestIdleExpiryOwnPacket(t *testing.T) {
	var log []ended
	tab := New(Options[int]{OnEnd: recorder(&log)})
	p := pkt{src: "10.0.0.1:50000", dst: "10.0.0.2:47808", proto: decode.ProtoUDP}
	f1, _, _ := feed(t, tab, p)
	f1.X = 3
	p.ts = time.Minute
	if _, _, isNew := feed(t, tab, p); isNew || len(log) != 0 {
		t.Fatalf("at the timeout: isNew %v, ended %v", isNew, log)
	}
	p.ts = 2*time.Minute + 1
	f2, _, isNew := feed(t, tab, p)
	if !isNew || len(log) != 1 || log[0].X != 3 || f2.X != 0 || f2.Packets[FromClient] != 1 {
		t.Errorf("past the timeout: isNew %v, ended %+v, new flow %+v", isNew, log, f2)
	}
}

func TestClockMonotonic(t *testing.T) {
	var log []ended
	tab := New(Options[int]{OnEnd: recorder(&log)})
	u := func(src string, ts time.Duration) pkt {
		return pkt{src: src, dst: "10.0.0.2:161", proto: decode.ProtoUDP, ts: ts}
	}
	feed(t, tab, u("10.0.0.1:40000", 0), u("10.0.0.3:40000", 2*time.Minute))
	if len(log) != 1 {
		t.Fatalf("ended %v", log)
	}
	// A late packet neither moves the clock back nor revives anything.
	f, _, isNew := feed(t, tab, u("10.0.0.4:40000", 30*time.Second))
	if !isNew || f.First != int64(30*time.Second) || tab.now != int64(2*time.Minute) {
		t.Errorf("late packet: isNew %v first %d clock %d", isNew, f.First, tab.now)
	}
	// Its flow was last touched at clock 2m and lives until 3m.
	feed(t, tab, u("10.0.0.5:40000", 3*time.Minute))
	if len(log) != 1 {
		t.Errorf("late flow ended early: %v", log)
	}
	// Hostile timestamps do not panic or overflow.
	feed(t, tab, u("10.0.0.6:40000", -1<<62), u("10.0.0.7:40000", 1<<63-1))
	if len(log) != 5 || tab.Len() != 1 {
		t.Errorf("after far-future packet: ended %d, len %d", len(log), tab.Len())
	}
}

func TestExpireBatch(t *testing.T) {
	var log []ended
	tab := New(Options[int]{OnEnd: recorder(&log)})
	for i := range 200 {
		p := pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:161", proto: decode.ProtoUDP}.build(t)
		p.SrcPort = uint16(40000 + i)
		tab.Packet(p, 0)
	}
	tests := []struct {
		name  string
		ended int
	}{{"first packet", 64}, {"second packet", 128}, {"third packet", 192}, {"fourth packet", 200}, {"fifth packet", 200}}
	p := pkt{src: "10.0.0.9:40000", dst: "10.0.0.2:161", proto: decode.ProtoUDP}.build(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab.Packet(p, int64(2*time.Minute))
			tab.check(t)
			if len(log) != tc.ended {
				t.Errorf("ended %d, want %d", len(log), tc.ended)
			}
		})
	}
	// Oldest first: source ports in creation order.
	for i, e := range log {
		if e.Client.Port != uint16(40000+i) {
			t.Fatalf("flow %d ended in position %d", e.Client.Port-40000, i)
		}
	}
}

func TestEviction(t *testing.T) {
	var log []ended
	tab := New(Options[int]{MaxFlows: 3, OnEnd: recorder(&log)})
	flows := []pkt{
		{src: "10.0.0.1:40000", dst: "10.0.0.2:502", flags: psh, ts: 1},
		{src: "10.0.0.1:40001", dst: "10.0.0.2:502", proto: decode.ProtoUDP, ts: 2},
		{src: "10.0.0.1", dst: "10.0.0.2", proto: decode.ProtoICMP, ts: 3},
		{src: "10.0.0.1:40003", dst: "10.0.0.2:502", flags: syn, ts: 4},
		{src: "10.0.0.1:40004", dst: "10.0.0.2:502", flags: syn, ts: 6},
	}
	feed(t, tab, flows[:3]...)
	// Touch the TCP flow: the UDP flow becomes least recently used.
	again := flows[0]
	again.ts = 5
	feed(t, tab, again)
	f, _, isNew := feed(t, tab, flows[3])
	if !isNew || tab.Len() != 3 {
		t.Fatalf("isNew %v len %d", isNew, tab.Len())
	}
	if len(log) != 1 || log[0].Reason != Evicted || log[0].Client.Port != 40001 {
		t.Fatalf("evicted %+v, want the UDP flow", log)
	}
	feed(t, tab, flows[4])
	if len(log) != 2 || log[1].Reason != Evicted || log[1].Key.Proto != decode.ProtoICMP {
		t.Fatalf("evicted %+v, want the ICMP flow", log)
	}
	if st := tab.Stats(); st != (Stats{Created: 5, Active: 3, Evicted: 2, Peak: 3}) {
		t.Errorf("stats %+v", st)
	}
	if f.Client.Port != 40003 {
		t.Errorf("new flow client %v", f.Client)
	}
}

func TestFlush(t *testing.T) {
	var log []ended
	tab := New(Options[int]{OnEnd: recorder(&log)})
	feed(t, tab,
		pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:502", flags: psh, ts: 1},
		pkt{src: "10.0.0.1:40001", dst: "10.0.0.2:502", proto: decode.ProtoUDP, ts: 2},
		pkt{src: "10.0.0.1:40002", dst: "10.0.0.2:502", flags: rst, ts: 3},
		pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:502", flags: psh, ts: 4},
	)
	tab.Flush()
	tab.check(t)
	var ports []uint16
	for _, e := range log {
		if e.Reason != Flushed {
			t.Errorf("reason %v", e.Reason)
		}
		ports = append(ports, e.Client.Port)
	}
	if want := []uint16{40001, 40002, 40000}; len(ports) != 3 || ports[0] != want[0] || ports[1] != want[1] || ports[2] != want[2] {
		t.Errorf("flushed %v, want least recently used first %v", ports, want)
	}
	if st := tab.Stats(); st != (Stats{Created: 3, Flushed: 3, Peak: 3}) || tab.Len() != 0 {
		t.Errorf("stats %+v len %d", st, tab.Len())
	}
	// The table is usable again and reuses its memory.
	f, _, isNew := feed(t, tab, pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:502", flags: psh, ts: 5})
	if !isNew || f.Packets != [2]uint64{1, 0} || tab.nalloc != slabSize {
		t.Errorf("after flush: isNew %v packets %v allocated %d", isNew, f.Packets, tab.nalloc)
	}
	tab.Flush()
	tab.Flush()
	if len(log) != 4 {
		t.Errorf("second flush ended %d flows", len(log)-3)
	}
}

func TestSeparation(t *testing.T) {
	tests := []struct {
		name string
		a, b pkt
		same bool
	}{
		{"vlan separates", pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:502", vlan: 10}, pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:502", vlan: 20}, false},
		{"vlan reverse direction same", pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:502", vlan: 10}, pkt{src: "10.0.0.2:502", dst: "10.0.0.1:40000", vlan: 10}, true},
		{"protocol separates", pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:502"}, pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:502", proto: decode.ProtoUDP}, false},
		{"ipv6 reverse same", pkt{src: "[fd00::1]:40000", dst: "[fd00:0:0:1::2]:44818"}, pkt{src: "[fd00:0:0:1::2]:44818", dst: "[fd00::1]:40000"}, true},
		{"ipv4 and mapped ipv6 differ", pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:502"}, pkt{src: "[::ffff:10.0.0.1]:40000", dst: "[::ffff:10.0.0.2]:502"}, false},
		{"icmp types share a flow", pkt{src: "10.0.0.1", dst: "10.0.0.2", proto: decode.ProtoICMP}, pkt{src: "10.0.0.2", dst: "10.0.0.1", proto: decode.ProtoICMP}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := New(Options[int]{})
			f1, _, _ := feed(t, tab, tc.a)
			pb := tc.b.build(t)
			if tc.b.proto == decode.ProtoICMP {
				pb.SrcPort = 0 // echo reply
			}
			f2, _, isNew := tab.Packet(pb, 0)
			tab.check(t)
			if (f1 == f2) != tc.same || isNew == tc.same || tab.Len() != map[bool]int{true: 1, false: 2}[tc.same] {
				t.Errorf("same flow %v isNew %v len %d, want same %v", f1 == f2, isNew, tab.Len(), tc.same)
			}
		})
	}
}

func TestIPv6Flow(t *testing.T) {
	tab := New(Options[int]{})
	f, _, _ := feed(t, tab,
		pkt{src: "[fd00:10::50]:51000", dst: "[fd00:10::10]:4840", flags: syn},
		pkt{src: "[fd00:10::10]:4840", dst: "[fd00:10::50]:51000", flags: synack},
		pkt{src: "[fd00:10::50]:51000", dst: "[fd00:10::10]:4840", flags: psh, payload: 100},
	)
	if f.Client.Addr != netip.MustParseAddr("fd00:10::50") || f.Server.Port != 4840 || f.State != Established {
		t.Errorf("flow %+v", f)
	}
	if f.Bytes != [2]uint64{60 + 160, 60} || f.Payload != [2]uint64{100, 0} {
		t.Errorf("bytes %v payload %v", f.Bytes, f.Payload)
	}
}

func TestSkipped(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*decode.Packet)
		skip   bool
	}{
		{"plain", func(p *decode.Packet) {}, false},
		{"first fragment", func(p *decode.Packet) { p.Frag = true }, false},
		{"later fragment", func(p *decode.Packet) { p.Frag, p.FragOff, p.HasL4 = true, 185, false }, true},
		{"tcp header not decoded", func(p *decode.Packet) { p.HasL4 = false }, true},
		{"udp header not decoded", func(p *decode.Packet) { p.Proto, p.HasL4 = decode.ProtoUDP, false }, true},
		{"icmp header not decoded", func(p *decode.Packet) { p.Proto, p.HasL4 = decode.ProtoICMP, false }, false},
		{"arp", func(p *decode.Packet) { p.L3 = decode.L3ARP }, true},
		{"no l3", func(p *decode.Packet) { p.L3 = decode.L3None }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := New(Options[int]{})
			p := pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:502", flags: psh}.build(t)
			tc.modify(p)
			f, _, isNew := tab.Packet(p, 1)
			tab.check(t)
			st := tab.Stats()
			if tc.skip != (f == nil) || tc.skip == isNew || st.Skipped != map[bool]uint64{true: 1}[tc.skip] {
				t.Errorf("flow %v isNew %v stats %+v, want skipped %v", f != nil, isNew, st, tc.skip)
			}
		})
	}
}

func TestEach(t *testing.T) {
	tab := New(Options[int]{})
	for i := range 5 {
		p := pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:502", flags: psh}.build(t)
		p.SrcPort = uint16(40000 + i)
		f, _, _ := tab.Packet(p, int64(i))
		f.X = i
	}
	tests := []struct {
		name  string
		stop  int
		wantX []int
	}{{"all", -1, []int{0, 1, 2, 3, 4}}, {"stop after two", 2, []int{0, 1}}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			tab.Each(func(f *Flow[int]) bool {
				got = append(got, f.X)
				return len(got) != tc.stop
			})
			if len(got) != len(tc.wantX) {
				t.Fatalf("visited %v, want %v", got, tc.wantX)
			}
			for i := range got {
				if got[i] != tc.wantX[i] {
					t.Fatalf("visited %v, want %v", got, tc.wantX)
				}
			}
		})
	}
}

func TestGrowth(t *testing.T) {
	tests := []struct {
		name     string
		maxFlows int
		flows    int
		buckets  int
		alloc    int // flows allocated, in whole slabs up to maxFlows
	}{
		{"one slab", 100, 100, 128, 100},
		{"past two slabs", 10000, 9000, 16384, 10000},
		{"full with eviction", 5000, 7000, 8192, 5000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := New(Options[int]{MaxFlows: tc.maxFlows})
			p := pkt{src: "10.0.0.1:1", dst: "10.0.0.2:502", flags: psh}.build(t)
			for i := range tc.flows {
				p.Src = netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
				tab.Packet(p, int64(i))
			}
			tab.check(t)
			want := min(tc.flows, tc.maxFlows)
			if tab.Len() != want || len(tab.buckets) != tc.buckets || int(tab.nalloc) != tc.alloc {
				t.Fatalf("len %d buckets %d allocated %d", tab.Len(), len(tab.buckets), tab.nalloc)
			}
			// The survivors are the most recent flows, found again.
			for i := tc.flows - want; i < tc.flows; i++ {
				p.Src = netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
				if f, _, isNew := tab.Packet(p, int64(tc.flows)); isNew || f.Packets[FromClient] != 2 {
					t.Fatalf("flow %d not found again", i)
				}
			}
			if st := tab.Stats(); st.Evicted != uint64(tc.flows-want) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options[int]
		max     int32
		timeout [numClasses]int64
	}{
		{"defaults", Options[int]{}, 1 << 20,
			[numClasses]int64{int64(5 * time.Minute), int64(time.Minute), int64(time.Minute), int64(10 * time.Second)}},
		{"negative means default", Options[int]{MaxFlows: -1, UDPTimeout: -time.Second}, 1 << 20,
			[numClasses]int64{int64(5 * time.Minute), int64(time.Minute), int64(time.Minute), int64(10 * time.Second)}},
		{"set", Options[int]{MaxFlows: 10, TCPTimeout: time.Hour, UDPTimeout: 2 * time.Second, OtherTimeout: 3 * time.Second, ClosedTimeout: time.Second}, 10,
			[numClasses]int64{int64(time.Hour), int64(2 * time.Second), int64(3 * time.Second), int64(time.Second)}},
		{"clamped", Options[int]{MaxFlows: 1 << 40, TCPTimeout: 1<<63 - 1}, 1 << 30,
			[numClasses]int64{maxTimeout, int64(time.Minute), int64(time.Minute), int64(10 * time.Second)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := New(tc.opts)
			if tab.maxFlows != tc.max || tab.timeout != tc.timeout {
				t.Errorf("max %d timeouts %v, want %d %v", tab.maxFlows, tab.timeout, tc.max, tc.timeout)
			}
		})
	}
}

func TestEntrySize(t *testing.T) {
	tests := []struct {
		name string
		got  uintptr
		min  uintptr
	}{
		{"empty extension", EntrySize[struct{}](), unsafe.Sizeof(Flow[struct{}]{}) + 4},
		{"large extension", EntrySize[[256]byte](), unsafe.Sizeof(Flow[struct{}]{}) + 256},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got < tc.min || tc.got > tc.min+64 {
				t.Errorf("EntrySize = %d, want about %d", tc.got, tc.min)
			}
		})
	}
	if s := EntrySize[struct{}](); s > 256 {
		t.Errorf("a flow without extension takes %d bytes", s)
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		name string
		got  interface {
			String() string
			MarshalText() ([]byte, error)
		}
		want string
	}{
		{"none", None, "none"},
		{"syn-sent", SynSent, "syn-sent"},
		{"syn-ack-seen", SynAckSeen, "syn-ack-seen"},
		{"established", Established, "established"},
		{"midstream", Midstream, "midstream"},
		{"fin-wait", FinWait, "fin-wait"},
		{"closed", Closed, "closed"},
		{"reset", Reset, "reset"},
		{"unknown state", State(99), "state(99)"},
		{"expired", Expired, "expired"},
		{"evicted", Evicted, "evicted"},
		{"flushed", Flushed, "flushed"},
		{"unknown reason", EndReason(9), "end-reason(9)"},
		{"client", FromClient, "client"},
		{"server", FromServer, "server"},
		{"unknown dir", Dir(2), "dir(2)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.got.MarshalText()
			if tc.got.String() != tc.want || string(b) != tc.want || err != nil {
				t.Errorf("String %q MarshalText %q %v, want %q", tc.got.String(), b, err, tc.want)
			}
		})
	}
}

// ext is a pipeline-like extension: analyzer state inline in the flow.
type ext struct {
	confirmed, violations uint32
	buf                   [64]byte
}

func TestAllocs(t *testing.T) {
	var ends int
	onEnd := func(*Flow[ext], EndReason) { ends++ }
	mk := func(i int) *decode.Packet {
		p := pkt{src: "10.0.0.1:1", dst: "10.0.0.2:502", flags: psh, payload: 20}.build(t)
		p.Src = netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		p.SrcPort = uint16(1024 + i)
		return p
	}
	const working = 1000
	ps := make([]*decode.Packet, 4*working)
	for i := range ps {
		ps[i] = mk(i)
	}
	tests := []struct {
		name string
		opts Options[ext]
		run  func(tab *Table[ext], i int)
	}{
		{"existing flow", Options[ext]{OnEnd: onEnd}, func(tab *Table[ext], i int) {
			tab.Packet(ps[i%working], int64(i))
		}},
		{"new flows, evicting", Options[ext]{MaxFlows: working, OnEnd: onEnd}, func(tab *Table[ext], i int) {
			tab.Packet(ps[i%len(ps)], int64(i))
		}},
		{"new flows, expiring", Options[ext]{OnEnd: onEnd, TCPTimeout: time.Duration(working)}, func(tab *Table[ext], i int) {
			tab.Packet(ps[i%len(ps)], int64(i))
		}},
		{"port reuse", Options[ext]{OnEnd: onEnd}, func(tab *Table[ext], i int) {
			p := ps[i%working]
			p.TCPFlags, p.Seq = decode.TCPSyn, uint32(i)
			tab.Packet(p, int64(i))
			p.TCPFlags = decode.TCPRst
			tab.Packet(p, int64(i))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := New(tc.opts)
			i := 0
			for range 3 * len(ps) { // warm up to the working size
				tc.run(tab, i)
				i++
			}
			before := tab.Stats()
			if n := testing.AllocsPerRun(5000, func() {
				tc.run(tab, i)
				i++
			}); n != 0 {
				t.Errorf("%v allocs per packet, want 0", n)
			}
			tab.check(t)
			after := tab.Stats()
			if tc.name != "existing flow" && after.Created-before.Created < 5000 {
				t.Errorf("only %d flows created during the run", after.Created-before.Created)
			}
		})
	}
}

func BenchmarkPacket(b *testing.B) {
	mk := func(i int) *decode.Packet {
		p := pkt{src: "10.0.0.1:1", dst: "10.0.0.2:502", flags: psh, payload: 20}.build(b)
		p.Src = netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		p.SrcPort = uint16(1024 + i)
		return p
	}
	ps := make([]*decode.Packet, 1<<16)
	for i := range ps {
		ps[i] = mk(i)
	}
	tests := []struct {
		name  string
		opts  Options[ext]
		flows int
	}{
		{"existing-flow", Options[ext]{}, 1024},
		{"new-flow-churn", Options[ext]{MaxFlows: 4096}, len(ps)},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			tab := New(tc.opts)
			for i := range 2 * len(ps) {
				tab.Packet(ps[i%tc.flows], int64(i))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				tab.Packet(ps[i%tc.flows], int64(i))
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}

// TestExpireBacklog: a flow that is due but still waits in the expiry
// backlog is not continued by its next packet: that packet starts a new flow.
func TestExpireBacklog(t *testing.T) {
	var log []ended
	tab := New(Options[int]{OnEnd: recorder(&log)})
	p := pkt{src: "10.0.0.1:40000", dst: "10.0.0.2:161", proto: decode.ProtoUDP}.build(t)
	for i := range 100 {
		p.SrcPort = uint16(40000 + i)
		f, _, _ := tab.Packet(p, 0)
		f.X = i
	}
	p.SrcPort = 40099 // newest, so last in the backlog
	f, _, isNew := tab.Packet(p, int64(2*time.Minute))
	tab.check(t)
	if !isNew || f.X != 0 || f.Packets[FromClient] != 1 {
		t.Errorf("isNew %v X %d packets %v", isNew, f.X, f.Packets)
	}
	if len(log) != 65 || log[64].X != 99 || log[64].Reason != Expired {
		t.Fatalf("ended %d flows, last %+v", len(log), log[len(log)-1])
	}
	if st := tab.Stats(); st.Expired != 65 || st.Active != 36 || st.Created != 101 {
		t.Errorf("stats %+v", st)
	}
}

func TestEntrySizeExact(t *testing.T) {
	tests := []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"no extension", EntrySize[struct{}](), unsafe.Sizeof(Flow[struct{}]{}) + 8},
		{"pipeline-like extension", EntrySize[ext](), unsafe.Sizeof(Flow[ext]{}) + 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want || tc.got > 512 {
				t.Errorf("EntrySize = %d, want %d", tc.got, tc.want)
			}
		})
	}
}
