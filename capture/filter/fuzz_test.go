package filter

import (
	"errors"
	"testing"

	"golang.org/x/net/bpf"

	"harborwatch/capture"
)

// FuzzCompile: any expression either compiles, for both targets, to a
// program the kernel's checker accepts (at most 4096 instructions,
// jumps inside, a return at the end), or fails with an *Error whose
// column lies within the expression; a compiled program runs over a
// frame without panicking, and the Bytes program decides as x/net/bpf's
// VM does. Ethernet makes a frame of any packet of the link layers it
// knows, keeping what dst held.
func FuzzCompile(f *testing.F) {
	for _, e := range oracleExprs {
		f.Add(e, []byte(nil))
	}
	for _, fr := range edgeFrames()[:40] {
		f.Add("vlan and tcp port 502 or host 10.10.1.5", fr)
	}
	for _, w := range []string{"src", "dst", "ether", "ether src", "ip proto", "proto", "net", "net 10.0.0.0 mask", "ether proto",
		"less", "vlan 1 2", "tcp src", "udp portrange", "portrange 5-", "port 5 or", "(", ")", "!", "ip6 proto", "src or dst host 1.1.1.1"} {
		f.Add(w, []byte{})
	}
	f.Add("((((", []byte{})
	f.Add("not not ! ! tcp", []byte{})
	f.Add("net 10 mask", []byte{})
	f.Add("port 1 or 2 or 3 and 4", []byte{})
	f.Add("src 10.0.0.1 or dst ::1", []byte{})
	f.Fuzz(func(t *testing.T, expr string, frame []byte) {
		for _, lt := range []capture.LinkType{capture.LinkRaw, capture.LinkNull, capture.LinkLinuxSLL, capture.LinkLinuxSLL2, capture.LinkIPv6} {
			eth, ok := Ethernet([]byte{1}, lt, frame)
			if !ok || eth[0] != 1 || len(eth) < 13 || len(eth) > len(frame)+15 {
				t.Fatalf("Ethernet(%s, %x) = %x, %v", lt, frame, eth, ok)
			}
		}
		for _, tg := range []Target{Bytes, Socket} {
			p, err := Compile(expr, tg)
			if err != nil {
				var fe *Error
				if !errors.As(err, &fe) {
					t.Fatalf("%q: %v is not an *Error", expr, err)
				}
				if fe.Col < 1 || fe.Col > len(expr)+1 {
					t.Fatalf("%q: column %d outside the expression", expr, fe.Col)
				}
				continue
			}
			if err := Validate(p.Raw); err != nil {
				t.Fatalf("%q (%v): %v", expr, tg, err)
			}
			got := p.Match(frame, len(frame), Tag{Present: len(frame)%2 == 1, TPID: 0x8100, TCI: uint16(len(frame))})
			if tg != Bytes {
				continue
			}
			vm, err := bpf.NewVM(p.Instructions)
			if err != nil {
				t.Fatalf("%q: x/net/bpf refuses the program: %v", expr, err)
			}
			n, err := vm.Run(frame)
			if err != nil {
				t.Fatalf("%q: x/net/bpf: %v", expr, err)
			}
			if (n != 0) != got {
				t.Fatalf("%q over %x: Match %v, x/net/bpf returns %d", expr, frame, got, n)
			}
		}
	})
}
