package dcerpc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

// FuzzFeed feeds arbitrary bytes as one direction of a stream, the last
// time after a gap (resynchronising): no panic, the bytes consumed never
// exceed the input, errors wrap ErrFraming, and every method and the
// detail of each PDU answer.
func FuzzFeed(f *testing.F) {
	chunks, _ := captureChunks(f)
	for _, c := range chunks {
		f.Add(c.b, c.fromClient)
	}
	f.Add(append(bindPDU(1, 0, ifaces[ifEPM].UUID), requestPDU(2, 0, 3)...), true)
	f.Add(towerPDU(2, 135, [4]byte{10, 0, 0, 1}), false)
	client, server := joinCalls() // fragmented calls: joined stubs
	f.Add(bytes.Join(client, nil), true)
	f.Add(append(bytes.Join(client, nil), bytes.Join(server, nil)...), false)
	f.Fuzz(func(t *testing.T, b []byte, fromClient bool) {
		var a Analyzer
		for pass := range 3 { // later passes see the contexts and calls the first left; the third follows a gap
			if pass == 2 {
				a.Gap(fromClient)
			}
			n, err := a.Feed(b, fromClient, func(m *Message) {
				if m.Name() == "" || m.Op() == "" {
					t.Errorf("%x: empty name or op", b)
				}
				_, _ = m.Func(), m.Request()
				_ = m.Status()
				if m.NContexts > maxContexts || m.NEndpoints > maxEndpoints || m.StubLen > MaxStub ||
					len(m.Service.Name()) > maxServiceName || len(m.Service.BinaryPath()) > maxBinaryPath {
					t.Errorf("%x: %d contexts, %d endpoints, stub %d", b, m.NContexts, m.NEndpoints, m.StubLen)
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

// FuzzDatagrams feeds a sequence of datagrams (each after a 2-byte
// big-endian length) to one Analyzer, as the datagrams of a UDP flow:
// fragments join or are counted, never a panic; a joined stub is at most
// MaxStub; each datagram joins a call or loses one at most once, and
// gives up at most one other call for room.
func FuzzDatagrams(f *testing.F) {
	seq := func(ds ...[]byte) []byte {
		var b []byte
		for _, d := range ds {
			b = binary.BigEndian.AppendUint16(b, uint16(len(d)))
			b = append(b, d...)
		}
		return b
	}
	epm := ifaces[ifEPM].UUID
	stub := eptMapStub(100, Endpoint{Addr: netip.MustParseAddr("10.0.0.9"), Port: 1030, UDP: true})
	frags := clFragments(CLResponse, epm, 3, 7, stub, 40)
	f.Add(seq(frags...))
	f.Add(seq(frags[2], frags[0], frags[1], frags[1], frags[3]))
	f.Add(seq(clPDU(CLRequest, epm, 3, 7, 0, 0, make([]byte, 40)), clPDU(CLResponse, epm, 3, 7, 0, 0, stub)))
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Analyzer
		n := 0
		for len(b) >= 2 {
			l := int(binary.BigEndian.Uint16(b))
			b = b[2:]
			if l > len(b) {
				l = len(b)
			}
			d := b[:l]
			b = b[l:]
			n++
			err := a.Datagram(d, n%2 == 1, func(m *Message) {
				if m.StubLen > MaxStub || m.NEndpoints > maxEndpoints || m.Name() == "" || m.Op() == "" {
					t.Fatalf("stub %d endpoints %d name %q", m.StubLen, m.NEndpoints, m.Name())
				}
				d := map[string]any{}
				m.Detail(d)
			})
			if err != nil && !errors.Is(err, ErrCL) {
				t.Fatalf("%v", err)
			}
		}
		if st := a.JoinStats(); st.Joined+st.Lost > uint64(n) || st.Evicted > uint64(n) || st.Over > st.Joined {
			t.Fatalf("%d datagrams: stats %+v", n, st)
		}
	})
}
