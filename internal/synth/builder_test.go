package synth

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	t0 = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)

	hostA = Host{Name: "a", MAC: [6]byte{2, 0, 0, 0, 0, 1}, IP: netip.MustParseAddr("10.0.0.1")}
	hostB = Host{Name: "b", MAC: [6]byte{2, 0, 0, 0, 0, 2}, IP: netip.MustParseAddr("10.0.0.2")}
	hostR = Host{Name: "routed", MAC: [6]byte{2, 0, 0, 0, 0, 3}, IP: netip.MustParseAddr("10.0.7.3"), VLAN: 90}
	hostX = Host{Name: "external", MAC: [6]byte{2, 0, 0, 0, 0, 4}, IP: netip.MustParseAddr("198.51.100.7")}
	hostW = Host{Name: "windows", MAC: [6]byte{2, 0, 0, 0, 0, 5}, IP: netip.MustParseAddr("10.0.0.5"), TTL: 128}
	host6 = Host{Name: "a6", MAC: [6]byte{2, 0, 0, 0, 0, 6}, IP: netip.MustParseAddr("fd00::1"), VLAN: 7}
	host7 = Host{Name: "b6", MAC: [6]byte{2, 0, 0, 0, 0, 7}, IP: netip.MustParseAddr("fd00::2")}
)

func data(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// run builds with a fresh Builder and returns the decoded frames.
func run(t testing.TB, seed int64, f func(b *Builder)) []*frame {
	t.Helper()
	var w memWriter
	b := New(&w, t0, seed)
	f(b)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if int(b.Packets()) != len(w.recs) {
		t.Fatalf("Packets() = %d, wrote %d", b.Packets(), len(w.recs))
	}
	return parseAll(t, w.recs)
}

// describe renders frames as "c S 0" (side, flags, payload length).
func describe(fs []*frame, client netip.Addr) []string {
	var out []string
	for _, f := range fs {
		side := "s"
		if f.ip == client {
			side = "c"
		}
		var fl string
		for _, x := range []struct {
			bit byte
			s   string
		}{{tcpFIN, "F"}, {tcpSYN, "S"}, {tcpPSH, "P"}, {tcpACK, "A"}} {
			if f.flags&x.bit != 0 {
				fl += x.s
			}
		}
		if f.proto == 17 {
			fl = "U"
		}
		out = append(out, fmt.Sprintf("%s %s %d", side, fl, len(f.payload)))
	}
	return out
}

// checkTCP verifies a whole TCP conversation: handshake, sequence and
// acknowledgment numbers, the byte streams, one VLAN, IP ids, TTLs.
func checkTCP(t *testing.T, fs []*frame, c, s Host, ex []Exchange) {
	t.Helper()
	if len(fs) < 3 {
		t.Fatalf("%d frames", len(fs))
	}
	var want [2][]byte
	for _, e := range ex {
		d := 0
		if e.FromServer {
			d = 1
		}
		want[d] = append(want[d], e.Data...)
	}
	var got [2][]byte
	var isn, next [2]uint32
	var lastAck [2]uint32
	var acked [2]bool
	var lastID [2]int
	lastID[0], lastID[1] = -1, -1
	mss := 1460
	if c.IP.Is6() {
		mss = 1440
	}
	vlan := int(c.VLAN)
	if vlan == 0 {
		vlan = int(s.VLAN)
	}
	if vlan == 0 {
		vlan = -1
	}
	wc, ws := OnWire(c, s)
	for i, f := range fs {
		d := 0
		src, dst := wc, ws
		if f.ip == s.IP {
			d = 1
			src, dst = ws, wc
		}
		if f.ip != src.IP || f.dstIP != dst.IP || f.src != src.MAC || f.dst != dst.MAC {
			t.Fatalf("frame %d: addresses %v", i, f)
		}
		if f.vlan != vlan {
			t.Fatalf("frame %d: VLAN %d, want %d", i, f.vlan, vlan)
		}
		if f.ttl != observedTTL(src, dst) {
			t.Fatalf("frame %d: TTL %d", i, f.ttl)
		}
		if c.IP.Is4() {
			if !f.df {
				t.Fatalf("frame %d: DF not set", i)
			}
			if lastID[d] >= 0 && f.ipID != uint16(lastID[d]+1) {
				t.Fatalf("frame %d: IP id %d after %d", i, f.ipID, lastID[d])
			}
			lastID[d] = int(f.ipID)
		}
		if len(f.payload) > mss {
			t.Fatalf("frame %d: %d bytes > MSS %d", i, len(f.payload), mss)
		}
		switch {
		case i == 0:
			if f.flags != tcpSYN || d != 0 || len(f.payload) != 0 {
				t.Fatalf("first frame %v, want client SYN", f)
			}
			wantOpt := []byte{2, 4, byte(mss >> 8), byte(mss), 1, 3, 3, 8, 1, 1, 4, 2}
			if !bytes.Equal(f.opts, wantOpt) {
				t.Fatalf("SYN options % x, want % x", f.opts, wantOpt)
			}
			isn[0], next[0] = f.seq, f.seq+1
			continue
		case i == 1:
			if f.flags != tcpSYN|tcpACK || d != 1 || f.ack != isn[0]+1 {
				t.Fatalf("second frame %v, want SYN-ACK", f)
			}
			isn[1], next[1] = f.seq, f.seq+1
			lastAck[1], acked[1] = f.ack, true
			continue
		}
		if f.flags&tcpACK == 0 {
			t.Fatalf("frame %d: no ACK flag: %v", i, f)
		}
		if f.seq != next[d] {
			t.Fatalf("frame %d: seq %d, want %d (%v)", i, f.seq, next[d], f)
		}
		// An ACK never covers more than the peer sent, nor goes back.
		if f.ack-isn[1-d] > next[1-d]-isn[1-d] || acked[d] && f.ack-lastAck[d] > 1<<31 {
			t.Fatalf("frame %d: ack %d beyond peer's %d or behind %d", i, f.ack, next[1-d], lastAck[d])
		}
		lastAck[d], acked[d] = f.ack, true
		got[d] = append(got[d], f.payload...)
		next[d] += uint32(len(f.payload))
		if f.flags&tcpFIN != 0 {
			next[d]++
		}
	}
	for d := range 2 {
		if !bytes.Equal(got[d], want[d]) {
			t.Fatalf("direction %d: stream of %d bytes differs from the %d sent", d, len(got[d]), len(want[d]))
		}
	}
	// Every byte and both FINs are acknowledged by the end.
	if lastAck[0] != next[1] || lastAck[1] != next[0] {
		t.Fatalf("final acks %d/%d, want %d/%d", lastAck[0], lastAck[1], next[1], next[0])
	}
}

func TestTCPSession(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		c, s Host
		ex   []Exchange
		want string
	}{
		{"request response", hostA, hostB,
			[]Exchange{{Data: data(10, 1)}, {FromServer: true, Data: data(20, 2), After: 2 * ms}},
			"c S 0|s SA 0|c A 0|c PA 10|s PA 20|c FA 0|s FA 0|c A 0"},
		{"poll with delayed ACK", hostA, hostB,
			[]Exchange{{Data: data(10, 1)}, {FromServer: true, Data: data(20, 2), After: 2 * ms},
				{Data: data(10, 3), After: time.Second}, {FromServer: true, Data: data(20, 4), After: 2 * ms}},
			"c S 0|s SA 0|c A 0|c PA 10|s PA 20|c A 0|c PA 10|s PA 20|c FA 0|s FA 0|c A 0"},
		{"server speaks first", hostA, hostB,
			[]Exchange{{FromServer: true, Data: data(5, 1)}, {Data: data(5, 2)}},
			"c S 0|s SA 0|c A 0|s PA 5|c PA 5|c FA 0|s FA 0|c A 0"},
		{"segments and ACK every second one", hostA, hostB,
			[]Exchange{{Data: data(4000, 1)}, {FromServer: true, Data: data(10, 2), After: ms}},
			"c S 0|s SA 0|c A 0|c A 1460|c A 1460|c PA 1080|s A 0|s PA 10|c FA 0|s FA 0|c A 0"},
		{"lone segment then a pause", hostA, hostB,
			[]Exchange{{Data: data(10, 1)}, {Data: data(10, 2), After: time.Second}},
			"c S 0|s SA 0|c A 0|c PA 10|s A 0|c PA 10|c FA 0|s FA 0|c A 0"},
		{"pause exchange", hostA, hostB,
			[]Exchange{{Data: data(10, 1)}, {FromServer: true, After: time.Second}, {FromServer: true, Data: data(3, 2)}},
			"c S 0|s SA 0|c A 0|c PA 10|s A 0|s PA 3|c FA 0|s FA 0|c A 0"},
		{"no exchanges", hostA, hostB, nil,
			"c S 0|s SA 0|c A 0|c FA 0|s FA 0|c A 0"},
		{"routed, tagged client", hostR, hostA,
			[]Exchange{{Data: data(100, 1)}, {FromServer: true, Data: data(3000, 2), After: 3 * ms}},
			"c S 0|s SA 0|c A 0|c PA 100|s A 1460|s A 1460|s PA 80|c A 0|c FA 0|s FA 0|c A 0"},
		{"tagged server only", hostA, hostR,
			[]Exchange{{Data: data(10, 1)}, {FromServer: true, Data: data(10, 2), After: 3 * ms}},
			"c S 0|s SA 0|c A 0|c PA 10|s PA 10|c FA 0|s FA 0|c A 0"},
		{"to the Internet", hostA, hostX,
			[]Exchange{{Data: data(300, 1)}, {FromServer: true, Data: data(900, 2)}},
			"c S 0|s SA 0|c A 0|c PA 300|s PA 900|c FA 0|s FA 0|c A 0"},
		{"IPv6", host6, host7,
			[]Exchange{{Data: data(3000, 1)}, {FromServer: true, Data: data(20, 2), After: 2 * ms}},
			"c S 0|s SA 0|c A 0|c A 1440|c A 1440|c PA 120|s A 0|s PA 20|c FA 0|s FA 0|c A 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := run(t, 1, func(b *Builder) { b.TCPSession(tt.c, tt.s, 50000, 102, tt.ex...) })
			if got := strings.Join(describe(fs, tt.c.IP), "|"); got != tt.want {
				t.Errorf("frames\n got %s\nwant %s", got, tt.want)
			}
			checkTCP(t, fs, tt.c, tt.s, tt.ex)
			if fs[0].ts != t0.UnixNano() {
				t.Errorf("SYN at %d, want the builder's clock %d", fs[0].ts, t0.UnixNano())
			}
			for _, f := range fs {
				if f.sport != 50000 && f.sport != 102 || f.sport == f.dport {
					t.Fatalf("ports %d→%d", f.sport, f.dport)
				}
			}
		})
	}
}

func TestTCPTiming(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name       string
		c, s       Host
		rttMin     time.Duration
		rttMax     time.Duration
		delack     time.Duration // of the client
		ttlC, ttlS uint8         // as observed
	}{
		{"same subnet", hostA, hostB, 150 * time.Microsecond, 400 * time.Microsecond, 40 * ms, 64, 64},
		{"routed", hostA, hostR, 400 * time.Microsecond, 1200 * time.Microsecond, 40 * ms, 63, 63},
		{"Internet", hostA, hostX, 15 * ms, 45 * ms, 40 * ms, 63, 52},
		{"Windows client", hostW, hostB, 150 * time.Microsecond, 400 * time.Microsecond, 200 * ms, 128, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range int64(20) {
				ex := []Exchange{{Data: data(10, 1)}, {FromServer: true, Data: data(10, 2), After: 20 * ms},
					{Data: data(10, 3), After: time.Second}}
				fs := run(t, seed, func(b *Builder) { b.TCPSession(tt.c, tt.s, 40000, 80, ex...) })
				rtt := time.Duration(fs[1].ts - fs[0].ts)
				if rtt < tt.rttMin || rtt >= tt.rttMax {
					t.Fatalf("seed %d: SYN-ACK after %v, want [%v, %v)", seed, rtt, tt.rttMin, tt.rttMax)
				}
				if fs[0].ttl != tt.ttlC || fs[1].ttl != tt.ttlS {
					t.Fatalf("TTLs %d/%d, want %d/%d", fs[0].ttl, fs[1].ttl, tt.ttlC, tt.ttlS)
				}
				// frames: SYN SA A req resp ACK req ...
				if d := time.Duration(fs[4].ts - fs[3].ts); d != max(20*ms, rtt) {
					t.Fatalf("response after %v, want %v", d, max(20*ms, rtt))
				}
				ackAt := time.Duration(fs[5].ts - fs[4].ts)
				if fs[5].ip != tt.c.IP || len(fs[5].payload) != 0 || ackAt < tt.delack || ackAt > tt.delack+80*time.Microsecond {
					t.Fatalf("delayed ACK %v after the response, want %v + client latency", ackAt, tt.delack)
				}
				if d := time.Duration(fs[6].ts - fs[4].ts); d != time.Second {
					t.Fatalf("second request %v after the response, want 1s", d)
				}
			}
		})
	}
}

func TestUDP(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		c, s  Host
		ex    []Exchange
		want  string
		times []time.Duration // from the first datagram
	}{
		{"query answer", hostA, hostB,
			[]Exchange{{Data: data(30, 1)}, {FromServer: true, Data: data(60, 2), After: ms}},
			"c U 30|s U 60", []time.Duration{0, ms}},
		{"server first from a new port", hostA, hostB,
			[]Exchange{{FromServer: true, Data: data(4, 1), After: 2 * ms}, {Data: data(516, 2), After: ms / 5},
				{FromServer: true, Data: data(4, 3), After: ms}},
			"s U 4|c U 516|s U 4", []time.Duration{0, ms / 5, ms}},
		{"answer not before a round trip", hostA, hostB,
			[]Exchange{{Data: data(8, 1)}, {FromServer: true, Data: data(8, 2)}},
			"c U 8|s U 8", nil},
		{"pause then more", hostA, hostB,
			[]Exchange{{Data: data(8, 1)}, {Data: nil, After: time.Second}, {Data: data(8, 2)}},
			"c U 8|c U 8", []time.Duration{0, time.Second + minGap}},
		{"IPv6", host6, host7,
			[]Exchange{{Data: data(1452, 1)}, {FromServer: true, Data: data(9, 2), After: ms}},
			"c U 1452|s U 9", []time.Duration{0, ms}},
		{"largest IPv4 datagram", hostA, hostB,
			[]Exchange{{Data: data(1472, 1)}}, "c U 1472", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := run(t, 3, func(b *Builder) { b.UDP(tt.c, tt.s, 5353, 53, tt.ex...) })
			if got := strings.Join(describe(fs, tt.c.IP), "|"); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			var i int
			for _, e := range tt.ex {
				if len(e.Data) == 0 {
					continue
				}
				f := fs[i]
				if !bytes.Equal(f.payload, e.Data) {
					t.Fatalf("datagram %d payload differs", i)
				}
				wantSrc := uint16(5353)
				if e.FromServer {
					wantSrc = 53
				}
				if f.sport != wantSrc {
					t.Fatalf("datagram %d from port %d, want %d", i, f.sport, wantSrc)
				}
				i++
			}
			var prev int64
			for j, d := range tt.times {
				gap := time.Duration(fs[j].ts - prev)
				if j > 0 && gap != d {
					t.Fatalf("datagram %d after %v, want %v", j, gap, d)
				}
				prev = fs[j].ts
			}
			if tt.times == nil && len(fs) > 1 && fs[1].ts-fs[0].ts < 150e3 {
				t.Fatalf("answer after %dns, sooner than any round trip", fs[1].ts-fs[0].ts)
			}
		})
	}
}

func TestARP(t *testing.T) {
	plc := Host{MAC: [6]byte{0x00, 0x1b, 0x1b, 0x01, 0x00, 0x05}, IP: netip.MustParseAddr("10.10.1.5"), VLAN: 110}
	drive := Host{MAC: [6]byte{0x00, 0x05, 0xc9, 0x01, 0x00, 0x0a}, IP: netip.MustParseAddr("10.10.1.10"), VLAN: 110}
	gw := Host{MAC: [6]byte{0x00, 0x1b, 0x1b, 0x20, 0x00, 0x0a}, IP: netip.MustParseAddr("10.20.0.10")}
	hex := func(s string) []byte {
		var b []byte
		for _, f := range strings.Fields(s) {
			var x byte
			fmt.Sscanf(f, "%02x", &x)
			b = append(b, x)
		}
		return append(b, make([]byte, 60-len(b))...)
	}
	tests := []struct {
		name string
		do   func(b *Builder)
		want []byte
	}{
		{"tagged request", func(b *Builder) { b.ARP(plc, drive.IP) }, hex(
			"ff ff ff ff ff ff 00 1b 1b 01 00 05 81 00 00 6e 08 06 00 01 08 00 06 04 00 01 " +
				"00 1b 1b 01 00 05 0a 0a 01 05 00 00 00 00 00 00 0a 0a 01 0a")},
		{"tagged reply", func(b *Builder) { b.ARPReply(drive, plc) }, hex(
			"00 1b 1b 01 00 05 00 05 c9 01 00 0a 81 00 00 6e 08 06 00 01 08 00 06 04 00 02 " +
				"00 05 c9 01 00 0a 0a 0a 01 0a 00 1b 1b 01 00 05 0a 0a 01 05")},
		{"untagged request", func(b *Builder) { b.ARP(gw, netip.MustParseAddr("10.20.0.1")) }, hex(
			"ff ff ff ff ff ff 00 1b 1b 20 00 0a 08 06 00 01 08 00 06 04 00 01 " +
				"00 1b 1b 20 00 0a 0a 14 00 0a 00 00 00 00 00 00 0a 14 00 01")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w memWriter
			b := New(&w, t0, 1)
			tt.do(b)
			if err := b.Flush(); err != nil {
				t.Fatal(err)
			}
			if len(w.recs) != 1 || !bytes.Equal(w.recs[0].data, tt.want) {
				t.Fatalf("got % x\nwant % x", w.recs[0].data, tt.want)
			}
			if w.recs[0].ts != t0.UnixNano() {
				t.Fatalf("at %d", w.recs[0].ts)
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	ms := time.Millisecond
	poll := func(n int) []Exchange {
		var ex []Exchange
		for i := range n {
			ex = append(ex, Exchange{Data: data(12, byte(i)), After: time.Second}, Exchange{FromServer: true, Data: data(20, byte(i)), After: 3 * ms})
		}
		return ex
	}
	t.Run("conversations interleave in time", func(t *testing.T) {
		fs := run(t, 1, func(b *Builder) {
			b.TCPSession(hostA, hostB, 40000, 502, poll(3)...)
			b.Advance(1500 * ms)
			if got := b.Now(); !got.Equal(t0.Add(1500 * ms)) {
				t.Fatalf("Now() = %v", got)
			}
			b.UDP(hostA, hostB, 40001, 53, Exchange{Data: data(30, 9)})
			b.Advance(-time.Hour)
			if got := b.Now(); !got.Equal(t0.Add(1500 * ms)) {
				t.Fatalf("Now() after a negative Advance = %v", got)
			}
		})
		var udpAt, before, after int
		for i, f := range fs {
			switch {
			case f.proto == 17:
				udpAt = i
			case udpAt == 0:
				before++
			default:
				after++
			}
		}
		if fs[udpAt].ts != t0.Add(1500*ms).UnixNano() || before == 0 || after == 0 {
			t.Fatalf("datagram at frame %d (%d TCP frames before, %d after)", udpAt, before, after)
		}
	})
	t.Run("Advance writes what is due", func(t *testing.T) {
		var w memWriter
		b := New(&w, t0, 1)
		b.TCPSession(hostA, hostB, 40000, 502, poll(3)...)
		b.Advance(1500 * ms)
		for _, r := range w.recs {
			if r.ts > t0.Add(1500*ms).UnixNano() {
				t.Fatalf("frame at %d written before its time", r.ts)
			}
		}
		if len(w.recs) != 6 { // handshake, first poll, delayed ACK
			t.Fatalf("%d frames due by 1.5 s, want 6", len(w.recs))
		}
	})
	t.Run("Stop cuts open conversations", func(t *testing.T) {
		var w memWriter
		b := New(&w, t0, 1)
		b.TCPSession(hostA, hostB, 40000, 502, poll(10)...)
		end := t0.Add(3500 * ms)
		if err := b.Stop(end); err != nil {
			t.Fatal(err)
		}
		fs := parseAll(t, w.recs)
		if len(fs) != 3+3*3 {
			t.Fatalf("%d frames before the end, want 12", len(fs))
		}
		for _, f := range fs {
			if f.ts >= end.UnixNano() || f.flags&tcpFIN != 0 {
				t.Fatalf("frame %v at %d", f, f.ts)
			}
		}
		if !b.Now().Equal(end) {
			t.Fatalf("Now() = %v, want %v", b.Now(), end)
		}
		if err := b.Flush(); err != nil || len(w.recs) != 12 {
			t.Fatalf("Flush after Stop wrote %d frames, err %v", len(w.recs)-12, err)
		}
	})
}

func TestBuilderErrors(t *testing.T) {
	boom := errors.New("disk full")
	tests := []struct {
		name  string
		fail  int
		do    func(b *Builder)
		err   error
		wrote int
	}{
		{"mixed families", -1, func(b *Builder) { b.TCPSession(hostA, host7, 1, 2) }, ErrFamily, 0},
		{"invalid address", -1, func(b *Builder) { b.UDP(Host{}, hostB, 1, 2) }, ErrFamily, 0},
		{"ARP for IPv6", -1, func(b *Builder) { b.ARP(host6, host7.IP) }, ErrFamily, 0},
		{"datagram too large", -1, func(b *Builder) { b.UDP(hostA, hostB, 1, 2, Exchange{Data: make([]byte, 1473)}) }, ErrDatagram, 0},
		{"IPv6 datagram too large", -1, func(b *Builder) { b.UDP(host6, host7, 1, 2, Exchange{Data: make([]byte, 1453)}) }, ErrDatagram, 0},
		{"writer error is sticky", 2, func(b *Builder) {
			b.TCPSession(hostA, hostB, 1, 2, Exchange{Data: data(10, 1)})
			b.Advance(time.Second)
			b.TCPSession(hostA, hostB, 3, 4)
		}, boom, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := memWriter{fail: tt.fail}
			if tt.fail >= 0 {
				w.err = boom
			}
			b := New(&w, t0, 1)
			tt.do(b)
			err := b.Flush()
			if !errors.Is(err, tt.err) || !errors.Is(b.Err(), tt.err) {
				t.Fatalf("Flush() = %v, Err() = %v, want %v", err, b.Err(), tt.err)
			}
			if len(w.recs) != tt.wrote {
				t.Fatalf("wrote %d frames, want %d", len(w.recs), tt.wrote)
			}
			b.TCPSession(hostA, hostB, 5, 6)
			if err := b.Stop(t0.Add(time.Hour)); !errors.Is(err, tt.err) || len(w.recs) != tt.wrote {
				t.Fatalf("after the error: Stop() = %v, %d frames", err, len(w.recs))
			}
		})
	}
}

func TestPatchAndPasses(t *testing.T) {
	tests := []struct {
		name   string
		kind   patchKind
		at     int
		size   int
		passes int
		check  func(p []byte, ctr uint32) bool
	}{
		{"BE16", patchBE16, 0, 12, 4, func(p []byte, c uint32) bool { return binary.BigEndian.Uint16(p) == uint16(c) }},
		{"LE16", patchLE16, 3, 12, 3, func(p []byte, c uint32) bool { return binary.LittleEndian.Uint16(p[3:]) == uint16(c) }},
		{"LE32", patchLE32, 8, 12, 3, func(p []byte, c uint32) bool { return binary.LittleEndian.Uint32(p[8:]) == c }},
		{"RTP", patchRTP, 6, 30, 3, func(p []byte, c uint32) bool {
			return binary.BigEndian.Uint16(p[6:]) == uint16(c) && binary.BigEndian.Uint32(p[8:]) == c*9000
		}},
		{"offset past the end is ignored", patchBE16, 40, 12, 2, func(p []byte, c uint32) bool { return bytes.Equal(p, data(12, 1)) }},
		{"in the second segment", patchBE16, 1500, 2000, 2, func(p []byte, c uint32) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := data(tt.size, 1)
			body := []Exchange{patched(Exchange{Data: d, After: time.Second}, tt.kind, tt.at)}
			var w memWriter
			b := New(&w, t0, 1)
			ss := b.tcp(hostA, hostB, 1000, 2000, nil, body, tt.passes, 0)
			ctr0 := ss.ctr - 1 // the counter advances as each pass starts
			if err := b.Flush(); err != nil {
				t.Fatal(err)
			}
			var stream []byte
			n := 0
			for _, f := range parseAll(t, w.recs) {
				if len(f.payload) == tt.size {
					n++
					if !tt.check(f.payload, ctr0+uint32(n)) {
						t.Fatalf("pass %d: payload % x, counter %d", n, f.payload[:min(16, len(f.payload))], ctr0+uint32(n))
					}
				}
				if f.ip == hostA.IP {
					stream = append(stream, f.payload...)
				}
			}
			if tt.size > 1460 {
				n = len(stream) / tt.size
				for p := range n {
					if got := binary.BigEndian.Uint16(stream[p*tt.size+tt.at:]); got != uint16(ctr0+uint32(p+1)) {
						t.Fatalf("pass %d: counter %d across segments", p, got)
					}
				}
			}
			if n != tt.passes {
				t.Fatalf("%d passes, want %d", n, tt.passes)
			}
			if !bytes.Equal(d, data(tt.size, 1)) {
				t.Fatal("the template was modified")
			}
		})
	}
}

func TestLimit(t *testing.T) {
	var w memWriter
	b := New(&w, t0, 1)
	var ended *session
	b.hook = func(s *session) { ended = s }
	body := []Exchange{{Data: data(10, 1), After: time.Second}, {FromServer: true, Data: data(10, 2)}}
	b.tcp(hostA, hostB, 1, 2, nil, body, 1000, 7)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(w.recs) != 7 || ended == nil || ended.sent != 7 {
		t.Fatalf("wrote %d frames with limit 7 (ended %v)", len(w.recs), ended != nil)
	}
}

func TestDeterministic(t *testing.T) {
	gen := func(seed int64) []byte {
		return pcapBytes(t, true, func(w PacketWriter) error {
			b := New(w, t0, seed)
			b.TCPSession(hostA, hostX, b.Port(), 443, Exchange{Data: TLSClientHello(b.Rand(), "x.example")},
				Exchange{FromServer: true, Data: data(5000, 1)})
			b.UDP(host6, host7, b.Port(), 53, Exchange{Data: data(40, 1)})
			return b.Flush()
		})
	}
	a, b, c := gen(7), gen(7), gen(8)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different bytes")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds, same bytes")
	}
}

func TestAllocs(t *testing.T) {
	var fc frameCounter
	b := New(&fc, t0, 1)
	ex := []Exchange{
		{Data: data(12, 1)}, {FromServer: true, Data: data(3000, 2), After: time.Millisecond},
		{Data: data(12, 3), After: time.Second}, {FromServer: true, Data: data(40, 4), After: time.Millisecond},
	}
	dg := []Exchange{{Data: data(40, 1)}, {FromServer: true, Data: data(80, 2)}}
	cycle := func() {
		b.TCPSession(hostR, hostA, 40000, 102, ex...)
		b.TCPSession(host6, host7, 40001, 443, ex...)
		b.UDP(hostA, hostB, 40002, 53, dg...)
		b.ARP(hostA, hostB.IP)
		b.Advance(10 * time.Second)
	}
	cycle() // warm the session pool
	if n := testing.AllocsPerRun(100, cycle); n != 0 {
		t.Fatalf("%v allocations per cycle, want 0", n)
	}
	if b.Err() != nil || fc.n == 0 {
		t.Fatalf("err %v, %d frames", b.Err(), fc.n)
	}
}

// reuseStream plays exchanges through two buffers used in turn, as the
// Stream contract allows: a builder reading an exchange's data after the
// buffer went to the exchange after next would write wrong bytes.
type reuseStream struct {
	ex   []Exchange
	i    int
	buf  [2][]byte
	flip int
}

func (s *reuseStream) Next() (Exchange, bool) {
	if s.i >= len(s.ex) {
		return Exchange{}, false
	}
	e := s.ex[s.i]
	s.i++
	idx := s.flip
	s.flip ^= 1
	for i := range s.buf[idx] {
		s.buf[idx][i] = 0xee // what a stale read would see
	}
	s.buf[idx] = append(s.buf[idx][:0], e.Data...)
	e.Data = s.buf[idx]
	return e, true
}

// TestStream plays the same exchanges as a session and as a stream: the
// frames must be the same bytes.
func TestStream(t *testing.T) {
	ms := time.Millisecond
	ex := []Exchange{
		{Data: data(10, 1)}, {FromServer: true, Data: data(3000, 2), After: 2 * ms},
		{Data: data(5, 3), After: time.Second}, {Data: data(7, 4)}, {FromServer: true, After: time.Second},
		{FromServer: true, Data: data(40, 5)}, {Data: data(1452, 6), After: 45 * ms}, {FromServer: true, Data: data(1, 7)},
	}
	for _, udp := range []bool{false, true} {
		t.Run(fmt.Sprintf("udp=%v", udp), func(t *testing.T) {
			var a, b memWriter
			ba, bb := New(&a, t0, 9), New(&b, t0, 9)
			if udp {
				ex := slices.Clone(ex)
				ex[1].Data = data(1400, 2)
				ba.UDP(hostA, hostR, 40000, 2222, ex...)
				bb.UDPStream(hostA, hostR, 40000, 2222, &reuseStream{ex: ex})
			} else {
				ba.TCPSession(hostA, hostR, 40000, 102, ex...)
				bb.TCPStream(hostA, hostR, 40000, 102, &reuseStream{ex: ex})
			}
			if err := ba.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := bb.Flush(); err != nil {
				t.Fatal(err)
			}
			if len(a.recs) != len(b.recs) || len(a.recs) < 7 {
				t.Fatalf("%d frames as a session, %d as a stream", len(a.recs), len(b.recs))
			}
			for i := range a.recs {
				if a.recs[i].ts != b.recs[i].ts || !bytes.Equal(a.recs[i].data, b.recs[i].data) {
					t.Fatalf("frame %d differs", i+1)
				}
			}
			if !udp {
				checkTCP(t, parseAll(t, b.recs), hostA, hostR, ex)
			}
		})
	}
}

func TestPortSet(t *testing.T) {
	p := newPortSet(128, 16380)
	if p.lo != 49152 || p.hi != 65535 || p.next != 65532 {
		t.Fatalf("Windows range %d–%d from %d", p.lo, p.hi, p.next)
	}
	var got []uint16
	for range 5 {
		got = append(got, p.take())
	}
	if want := []uint16{65532, 65533, 65534, 65535, 49152}; !slices.Equal(got, want) {
		t.Fatalf("ports %v, want %v", got, want)
	}
	// Held ports are skipped until freed.
	p = newPortSet(64, 0)
	a, b := p.take(), p.take()
	p.free(a)
	for range 28232 - 2 {
		p.take()
	}
	if c := p.take(); c != a {
		t.Fatalf("after a lap got %d, want the freed %d", c, a)
	}
	p.free(40000)
	if c := p.take(); c != 40000 {
		t.Fatalf("got %d, want 40000, the one free port after held %d", c, b)
	}
	// Every port held: the next is handed out anyway.
	if c := p.take(); c < 32768 || c > 60999 {
		t.Fatalf("full set gave %d", c)
	}
}
