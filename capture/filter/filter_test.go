package filter

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/net/bpf"

	"harborwatch/capture"
)

// TestErrors: an expression outside the subset is an *Error at the
// column of the fault, saying what is wrong.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		col  int
		msg  string
	}{
		{"host", 5, "want a value"},
		{"tcp port", 9, "want a value"},
		{"host plc1", 6, "host names are not resolved"},
		{"port http", 6, "port names are not resolved"},
		{"ip[9] = 6", 3, "byte expressions"},
		{"tcp and", 8, "ends where a primitive"},
		{"(tcp or udp", 12, "want ')' to close the '(' at column 1"},
		{"tcp or udp)", 11, `unexpected ")"`},
		{"gateway 10.0.0.1", 1, `"gateway" is not a primitive`},
		{"portrange 100", 11, "portrange wants N-M"},
		{"port 70000", 6, "more than 65535"},
		{"vlan 5000", 6, "more than 4095"},
		{"net 10.0.0.1/8", 5, "bits outside the /8 prefix"},
		{"net 10.0.0.1 mask 255.0.0.0", 5, "bits outside the mask"},
		{"net 10.0.0.0/33", 5, "not a prefix length"},
		{"ether host 00:11:22", 12, "not a MAC address"},
		{"ether proto 100", 13, "802.3 lengths"},
		{"ip proto nine", 10, "proto wants a protocol number"},
		{"tcp port 80 and src", 20, "want host, net, port or portrange"},
		{"host 10.0.0.1 != 3", 15, "comparisons"},
		{"less", 5, "wants a length"},
		{"host fe80::1%eth0", 13, "unexpected character"},
		{"udp $", 5, "unexpected character"},
		{"ip src port 80", 8, "port after ip, ip6, arp or rarp"},
		{"ip6 host 10.0.0.1", 10, "10.0.0.1 is not an address of ip6"},
		{"arp net fe80::/10", 9, "is not an address of arp"},
		{"src", 4, "want host, net, port or portrange after src (the expression ends here)"},
		{"ip proto", 9, "proto wants a protocol number or \\tcp, \\udp, \\sctp, \\icmp, \\icmp6, \\igmp (the expression ends here)"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := Compile(tc.expr, Bytes)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if fe.Col != tc.col || !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("column %d: %s; want column %d: …%s…", fe.Col, fe.Msg, tc.col, tc.msg)
			}
			if !strings.Contains(err.Error(), tc.expr) {
				t.Errorf("%v does not name the expression", err)
			}
		})
	}
	// "ether proto 0x800" is fine: only values up to 1500 are refused.
	if _, err := Compile("ether proto 0x800", Bytes); err != nil {
		t.Errorf("ether proto 0x800: %v", err)
	}
}

// TestUnsupportedNamesSubset: the error for a primitive outside the
// subset lists the subset.
func TestUnsupportedNamesSubset(t *testing.T) {
	_, err := Compile("tcp and wlan host 00:11:22:33:44:55", Bytes)
	if err == nil || !strings.Contains(err.Error(), "column 9") || !strings.Contains(err.Error(), Subset) {
		t.Fatalf("err = %v, want column 9 and the subset", err)
	}
}

// TestEmpty: a blank expression accepts everything, in one instruction.
func TestEmpty(t *testing.T) {
	for _, tg := range []Target{Bytes, Socket} {
		p, err := Compile("  ", tg)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Raw) != 1 || !p.Match(nil, 0, Tag{}) {
			t.Errorf("%v: %v", tg, p.Instructions)
		}
	}
}

// TestLongJumps: an expression whose program is longer than a
// conditional jump reaches (255) gets jumps always in between, and still
// matches as tcpdump's would (the oracle test has none this long).
func TestLongJumps(t *testing.T) {
	var parts []string
	for i := range 60 {
		parts = append(parts, fmt.Sprintf("host 10.0.%d.%d", i%10, i/10))
	}
	expr := "(" + strings.Join(parts, " or ") + ") and tcp port 502"
	for _, tg := range []Target{Bytes, Socket} {
		p, err := Compile(expr, tg)
		if err != nil {
			t.Fatal(err)
		}
		jumps := 0
		for _, in := range p.Instructions {
			if _, ok := in.(bpf.Jump); ok {
				jumps++
			}
		}
		if len(p.Raw) < 600 || jumps == 0 {
			t.Fatalf("%v: %d instructions, %d jumps always; want a long program with some", tg, len(p.Raw), jumps)
		}
		f := ether(macA, macB, 0x0800, ipv4("10.0.9.5", "192.0.2.1", 6, 0, 0, ports(40000, 502, 10)))
		g := ether(macA, macB, 0x0800, ipv4("10.0.9.6", "192.0.2.1", 6, 0, 0, ports(40000, 502, 10)))
		h := ether(macA, macB, 0x0800, ipv4("10.0.9.5", "192.0.2.1", 6, 0, 0, ports(40000, 503, 10)))
		if !p.Match(f, len(f), Tag{}) || p.Match(g, len(g), Tag{}) || p.Match(h, len(h), Tag{}) {
			t.Errorf("%v: 10.0.9.5:502 %v, 10.0.9.6:502 %v, 10.0.9.5:503 %v; want true, false, false", tg,
				p.Match(f, len(f), Tag{}), p.Match(g, len(g), Tag{}), p.Match(h, len(h), Tag{}))
		}
	}
	// Beyond the kernel's 4096 instructions: an error that says so.
	parts = parts[:0]
	for range 400 {
		parts = append(parts, "host 2001:db8::1")
	}
	if _, err := Compile(strings.Join(parts, " or "), Socket); err == nil || !strings.Contains(err.Error(), "more than the kernel's 4096") {
		t.Errorf("a huge expression: %v", err)
	}
}

// TestValidate: the kernel's checks.
func TestValidate(t *testing.T) {
	ret := bpf.RawInstruction{Op: clsRET, K: 1}
	for _, tc := range []struct {
		name string
		prog []bpf.RawInstruction
		ok   bool
	}{
		{"ret", []bpf.RawInstruction{ret}, true},
		{"empty", nil, false},
		{"no ret at the end", []bpf.RawInstruction{ret, {Op: clsLD | szW | mdABS}}, false},
		{"jump out", []bpf.RawInstruction{{Op: clsJMP | jmpJEQ, Jt: 1}, ret}, false},
		{"jump in", []bpf.RawInstruction{{Op: clsJMP | jmpJEQ, Jt: 1}, ret, ret}, true},
		{"ja out", []bpf.RawInstruction{{Op: clsJMP | jmpJA, K: 0xffffffff}, ret}, false},
		{"div 0", []bpf.RawInstruction{{Op: clsALU | aluDIV}, ret}, false},
		{"mem 16", []bpf.RawInstruction{{Op: clsST, K: 16}, ret}, false},
		{"unknown", []bpf.RawInstruction{{Op: 0xff}, ret}, false},
	} {
		if err := Validate(tc.prog); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// sliceSource is a capture.Source over packets in memory.
type sliceSource struct {
	pkts []capture.Packet
	i    int
}

func (s *sliceSource) Next(p *capture.Packet) error {
	if s.i == len(s.pkts) {
		return io.EOF
	}
	*p = s.pkts[s.i]
	s.i++
	return nil
}
func (s *sliceSource) Name() string { return "mem" }
func (s *sliceSource) Close() error { return nil }

// TestSource: the filtering Source hands on the accepted packets with
// their numbers in the capture, counts the rest, and refuses a link type
// it cannot look into.
func TestSource(t *testing.T) {
	src, err := capture.Open("../../examples/terminal/terminal.pcap")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := Compile("vlan 110 and tcp port 502", Bytes)
	if err != nil {
		t.Fatal(err)
	}
	fs := NewSource(src, prog)
	defer fs.Close()
	var p capture.Packet
	var n, last int64
	for {
		if err := fs.Next(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if !prog.Match(p.Data, p.OrigLen, Tag{}) || p.Number <= last {
			t.Fatalf("packet %d handed on: matches %v, after %d", p.Number, prog.Match(p.Data, p.OrigLen, Tag{}), last)
		}
		n, last = n+1, p.Number
	}
	// tshark -Y 'vlan.id == 110 && tcp.port == 502' counts 2859 of 11096.
	if n != 2859 || fs.Filtered() != 11096-2859 {
		t.Errorf("handed on %d, filtered %d; want 2859 and %d", n, fs.Filtered(), 11096-2859)
	}
	odd := NewSource(&sliceSource{pkts: []capture.Packet{{Data: make([]byte, 40), Link: 147, Number: 1}}}, prog)
	if err := odd.Next(&p); !errors.Is(err, ErrLinkType) || !strings.Contains(err.Error(), "LINKTYPE_147") {
		t.Errorf("a packet of link type 147: %v, want ErrLinkType", err)
	}
}

// TestMatchAllocs: matching allocates nothing, nor does the Source.
func TestMatchAllocs(t *testing.T) {
	prog, err := Compile("vlan and (host 10.10.1.5 or net fe80::/10) and tcp portrange 500-600 or less 64", Socket)
	if err != nil {
		t.Fatal(err)
	}
	f := tagged(ether(macA, macB, 0x0800, ipv4("10.10.1.5", "10.10.2.11", 6, 0, 0, ports(40000, 502, 12))), 0x8100, 110)
	data, wire, tag := untag(f, len(f))
	if !prog.Match(data, wire, tag) {
		t.Fatal("no match")
	}
	if a := testing.AllocsPerRun(1000, func() { prog.Match(data, wire, tag) }); a != 0 {
		t.Errorf("Match: %.1f allocations, want 0", a)
	}
	bp, err := Compile("tcp port 502", Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pkts := make([]capture.Packet, 2000)
	for i := range pkts {
		pkts[i] = capture.Packet{Data: f, OrigLen: len(f), Link: capture.LinkEthernet, Number: int64(i + 1)}
	}
	ms := &sliceSource{pkts: pkts}
	fs := NewSource(ms, bp)
	var p capture.Packet
	if a := testing.AllocsPerRun(1000, func() { fs.Next(&p) }); a != 0 {
		t.Errorf("Source.Next: %.1f allocations, want 0", a)
	}
	if fs.Filtered() == 0 {
		t.Error("nothing filtered: the tagged frame should not match an untagged port")
	}
	// A packet of another link layer goes through a buffer of the
	// Source's, grown once.
	rawIP := f[18:]
	for i := range pkts {
		pkts[i] = capture.Packet{Data: rawIP, OrigLen: len(rawIP), Link: capture.LinkRaw, Number: int64(i + 1)}
	}
	ms.i = 0
	fs = NewSource(ms, bp)
	if err := fs.Next(&p); err != nil || p.Number != 1 {
		t.Fatalf("raw IP, tcp port 502: %v, packet %d; want packet 1", err, p.Number)
	}
	if a := testing.AllocsPerRun(1000, func() { fs.Next(&p) }); a != 0 {
		t.Errorf("Source.Next on raw IP: %.1f allocations, want 0", a)
	}
}

func BenchmarkMatch(b *testing.B) {
	for _, tc := range []struct{ name, expr string }{
		{"tcp-port", "tcp port 502"},
		{"vlan-host-port", "vlan 110 and host 10.10.1.5 and (tcp port 502 or udp port 47808)"},
		{"ipv6-net", "net fe80::/10 or net 10.10.0.0/16"},
	} {
		for _, tg := range []Target{Bytes, Socket} {
			b.Run(tc.name+"/"+tg.String(), func(b *testing.B) {
				prog, err := Compile(tc.expr, tg)
				if err != nil {
					b.Fatal(err)
				}
				f := tagged(ether(macA, macB, 0x0800, ipv4("10.10.1.5", "10.10.2.11", 6, 0, 0, ports(40000, 502, 12))), 0x8100, 110)
				data, wire, tag := f, len(f), Tag{}
				if tg == Socket {
					data, wire, tag = untag(f, len(f))
				}
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					if prog.Match(data, wire, tag) {
						n++
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
			})
		}
	}
}
