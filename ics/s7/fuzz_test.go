package s7

import (
	"errors"
	"fmt"
	"testing"
)

// summary is what the fuzz invariants compare of a Message.
func summary(m *Message) string {
	d := map[string]any{}
	m.Detail(d)
	return fmt.Sprintf("%v %v %s %d %s %q %v %v", m.Kind, m.Request(), m.Op(), m.Func(), m.Name(), m.Status(), m.Malformed, len(d))
}

// FuzzFeed feeds arbitrary stream bytes, once whole and once as a growing
// buffer re-offered in small steps with consumed bytes dropped, as the
// caller does. Invariants: no panic, n <= len(b), framing errors wrap
// ErrFraming, and both ways emit the same Messages and consume the same
// bytes, so a consumed PDU is never emitted again.
func FuzzFeed(f *testing.F) {
	for _, name := range []string{"snap7", "s7ident", "s7comm_plus"} {
		chunks, _ := chunksOf(f, "testdata/"+name+".pcap")
		for _, c := range chunks {
			f.Add(c.b, c.fromClient, uint8(7))
		}
	}
	for _, c := range synthetic() {
		f.Add(c.b, c.fromClient, uint8(3))
	}
	f.Add(join(readJob, []byte{3, 0, 0, 9, 2, 0xf0}), true, uint8(1))
	f.Add([]byte{3, 1, 0, 7, 2, 0xf0, 0x80}, false, uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, fromClient bool, step uint8) {
		var whole []string
		var a Analyzer
		n, err := a.Feed(b, fromClient, func(m *Message) { whole = append(whole, summary(m)) })
		if n < 0 || n > len(b) {
			t.Fatalf("n = %d for %d bytes", n, len(b))
		}
		if err != nil && !errors.Is(err, ErrFraming) {
			t.Fatalf("error %v does not wrap ErrFraming", err)
		}
		if err == nil && n < len(b) && len(b)-n >= 4 && b[n] == 3 && b[n+1] == 0 {
			// What is left must be an incomplete packet.
			if l := int(b[n+2])<<8 | int(b[n+3]); l <= len(b)-n {
				t.Fatalf("complete packet of %d left unconsumed at %d", l, n)
			}
		}

		var inc []string
		var a2 Analyzer
		s := int(step%16) + 1
		var buf []byte
		consumed := 0
		var err2 error
		for off := 0; off < len(b) && err2 == nil; off += s {
			buf = append(buf, b[off:min(off+s, len(b))]...)
			var k int
			k, err2 = a2.Feed(buf, fromClient, func(m *Message) { inc = append(inc, summary(m)) })
			if k > len(buf) {
				t.Fatalf("n = %d for %d bytes", k, len(buf))
			}
			consumed += k
			buf = buf[k:]
		}
		if (err == nil) != (err2 == nil) || consumed != n {
			t.Fatalf("whole: %d, %v; in steps of %d: %d, %v", n, err, s, consumed, err2)
		}
		if len(inc) != len(whole) {
			t.Fatalf("whole emitted %d, in steps %d", len(whole), len(inc))
		}
		for i := range inc {
			if inc[i] != whole[i] {
				t.Fatalf("message %d: whole %s, in steps %s", i, whole[i], inc[i])
			}
		}
	})
}

// FuzzFlow cuts arbitrary bytes into TPKT packets and sends them in the
// directions the bits of dirs choose, so that responses meet requests,
// transfers and SZL fragments: no panic, n <= len(b), Detail always works.
func FuzzFlow(f *testing.F) {
	for _, name := range []string{"snap7", "s7ident"} {
		chunks, _ := chunksOf(f, "testdata/"+name+".pcap")
		var b []byte
		var dirs uint16
		for i, c := range chunks[:min(len(chunks), 12)] {
			b = append(b, c.b...)
			if c.fromClient {
				dirs |= 1 << (i % 16)
			}
		}
		f.Add(b, dirs)
	}
	var b []byte
	var dirs uint16
	for i, c := range synthetic() {
		b = append(b, c.b...)
		if c.fromClient {
			dirs |= 1 << (i % 16)
		}
	}
	f.Add(b, dirs)
	f.Fuzz(func(t *testing.T, b []byte, dirs uint16) {
		var a Analyzer
		emit := func(m *Message) { _ = summary(m) }
		for i := 0; len(b) > 0; i++ {
			l := len(b)
			if len(b) >= 4 {
				if n := int(b[2])<<8 | int(b[3]); n >= 4 && n <= len(b) {
					l = n
				}
			}
			n, err := a.Feed(b[:l], dirs>>(i%16)&1 == 1, emit)
			if n > l || (err != nil && !errors.Is(err, ErrFraming)) {
				t.Fatalf("Feed = %d, %v for %d bytes", n, err, l)
			}
			b = b[l:]
		}
		if a.Dropped() > 1<<20 {
			t.Fatalf("dropped %d", a.Dropped())
		}
	})
}
