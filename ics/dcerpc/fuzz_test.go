package dcerpc

import (
	"errors"
	"testing"
)

// FuzzFeed feeds arbitrary bytes as one direction of a stream: no panic,
// the bytes consumed never exceed the input, errors wrap ErrFraming, and
// every method and the detail of each PDU answer.
func FuzzFeed(f *testing.F) {
	chunks, _ := captureChunks(f)
	for _, c := range chunks {
		f.Add(c.b, c.fromClient)
	}
	f.Add(append(bindPDU(1, 0, ifaces[ifEPM].UUID), requestPDU(2, 0, 3)...), true)
	f.Add(towerPDU(2, 135, [4]byte{10, 0, 0, 1}), false)
	f.Fuzz(func(t *testing.T, b []byte, fromClient bool) {
		var a Analyzer
		for range 2 { // the second pass sees the contexts and calls the first left
			n, err := a.Feed(b, fromClient, func(m *Message) {
				if m.Name() == "" || m.Op() == "" {
					t.Errorf("%x: empty name or op", b)
				}
				_, _ = m.Func(), m.Request()
				_ = m.Status()
				if m.NContexts > maxContexts || m.NEndpoints > maxEndpoints {
					t.Errorf("%x: %d contexts, %d endpoints", b, m.NContexts, m.NEndpoints)
				}
				d := map[string]any{}
				m.Detail(d)
				if d["pdu_type"] == nil {
					t.Errorf("%x: detail without pdu_type", b)
				}
			})
			if n < 0 || n > len(b) {
				t.Fatalf("%x: consumed %d", b, n)
			}
			if err != nil && !errors.Is(err, ErrFraming) {
				t.Errorf("%x: %v does not wrap ErrFraming", b, err)
			}
		}
	})
}

// FuzzParseCL reads arbitrary datagrams as connectionless PDU headers:
// no panic, the body lies within the input and is as long as FragLen;
// the analyzer reads it as one Message.
func FuzzParseCL(f *testing.F) {
	h := make([]byte, CLHeaderLen)
	h[0], h[4] = 4, 0x10
	f.Add(append(h, 1, 2, 3))
	f.Add(h[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		var hd CLHeader
		body, err := ParseCL(b, &hd)
		if err != nil {
			if !errors.Is(err, ErrCL) || body != nil {
				t.Fatalf("%x: %v, body %x", b, err, body)
			}
			return
		}
		if len(body) != int(hd.FragLen) || len(body) > len(b)-CLHeaderLen || hd.TypeName() == "" {
			t.Fatalf("%x: body %d of fraglen %d", b, len(body), hd.FragLen)
		}
		_ = hd.Request()
		_ = hd.Interface.String()
		var a Analyzer
		n := 0
		if err := a.Datagram(b, true, func(m *Message) {
			n++
			if m.Name() == "" || m.Op() == "" || !m.CL {
				t.Fatalf("%x: name %q op %q", b, m.Name(), m.Op())
			}
			_, _ = m.Status(), m.Request()
			d := map[string]any{}
			m.Detail(d)
		}); err != nil || n != 1 {
			t.Fatalf("%x: Datagram %v, %d messages", b, err, n)
		}
	})
}
