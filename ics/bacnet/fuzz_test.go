package bacnet

import (
	"errors"
	"testing"
)

// FuzzDatagram feeds arbitrary datagrams: no panic, at most one message,
// an error only without a message and always wrapping ErrFraming, and
// every method and the detail answer.
func FuzzDatagram(f *testing.F) {
	for _, d := range datagrams(f) {
		f.Add(d, true)
	}
	f.Add(bvll(fnForwarded, append(hx("0a010203bac0"), 1, 0x2C, 0, 5, 1, 0x0a, 0, 7, 2, 1, 2, 255,
		0x00, 0x05, 1, 12, 0x0C, 0x00, 0x80, 0x00, 0x03, 0x19, 85)), false)
	f.Add(bvll(fnBroadcast, []byte{1, 0x80, 0x80, 0x01, 0x02}), true)
	f.Add(bvll(fnUnicast, npdu(0x38, 1, 0, 4, 12, 0x3E, 0xC4)), false)
	var a Analyzer
	f.Fuzz(func(t *testing.T, b []byte, fromClient bool) {
		n := 0
		err := a.Datagram(b, fromClient, func(m *Message) {
			n++
			_ = m.Name() + m.Op() + m.Status()
			_, _ = m.Func(), m.Request()
			if m.Op() == "" || m.Name() == "" {
				t.Errorf("%x: empty op or name", b)
			}
			d := map[string]any{}
			m.Detail(d)
			if d["bvlc"] == nil {
				t.Errorf("%x: detail without bvlc", b)
			}
		})
		switch {
		case err != nil && !errors.Is(err, ErrFraming):
			t.Errorf("%x: %v does not wrap ErrFraming", b, err)
		case err != nil && n != 0, err == nil && n != 1:
			t.Errorf("%x: err %v with %d messages", b, err, n)
		}
	})
}
