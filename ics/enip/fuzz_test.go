package enip

import (
	"reflect"
	"testing"
)

// seeds are the fuzz targets' starting inputs: every payload of the test
// captures and the PDUs built from the specifications.
func seeds(t testing.TB, udp bool) [][]byte {
	var out [][]byte
	for _, f := range []string{"enip_cip_example.pcap", "multiple_service_packet_cip.pcapng",
		"set_attribute_single_service_cip.pcapng", "cip-multiple-1.pcap", "cip-multiple-2.pcap", "enip_test.pcap"} {
		for _, p := range payloads(t, "testdata/"+f) {
			if p.udp == udp {
				out = append(out, p.data)
			}
		}
	}
	if udp {
		return append(out, ioPacket(7, 1, []byte{1, 2}), listIdentityReply(1, 14, 1, 1, 1, 1, "x", 3),
			cpfData(item(itemConnAddr, le32(1)), item(itemConnData, nil)))
	}
	return append(out,
		sendRR(testCtx, forwardOpen()), sendRR(testCtx, forwardOpenReply()), sendRR(testCtx, forwardClose()),
		sendRR(testCtx, ucs(request(0x07, cat(cls(0x64), inst(1)), nil), port(1, 0))),
		sendRR(testCtx, ucs(mspRequest(request(0x4C, symbol("T"), le16(1))), port(1, 0))),
		sendUnit(1, 1, mspRequest(request(0x0E, cat(cls(1), inst(1), attr(7)), nil), request(0x10, cat(cls(0xF5), inst(1), attr(5)), nil))),
		sendUnit(1, 2, cat(initiateDownload(0xC9, 10, "firmware.bin"))),
		cat(sendUnit(1, 3, downloadTransfer(0xC9, 0, 0, []byte("hello"))), sendUnit(1, 4, downloadTransfer(0xC9, 1, 2, []byte("world")))),
		sendUnit(2, 5, response(0x4F, 0, nil, transfer(0, 4, []byte("abc")))),
		sendRR(testCtx, pcccRequest(0x0F, 0xA2)),
		sendRR(testCtx, request(0x4D, cat(symbol("Program:Main"), member(3), symbol("X")), cat(le16(0xC4), le16(1), le32(1)))),
		listIdentityReply(1, 14, 166, 33, 11, 1, "1756-L83E/B", 3),
		encapPDU(cmdListServices, 0, 0, testCtx, cpfData(item(itemServices, cat(le16(1), le16(0x120), []byte("Communications\x00\x00"))))),
		encapPDU(cmdRegisterSession, 0, 0, testCtx, cat(le16(1), le16(0))),
	)
}

type fuzzRec struct {
	Kind                    Kind
	Func, Index             int
	Name, Op, Status, Proto string
	Request, Malformed      bool
}

func fuzzEmit(out *[]fuzzRec) func(*Message) {
	return func(m *Message) {
		*out = append(*out, fuzzRec{m.Kind, m.Func(), m.Index, m.Name(), m.Op(), m.Status(), m.Proto(), m.Request(), m.Malformed})
		m.Identity()
		m.Detail(map[string]any{})
	}
}

// feedStream offers b to a the way the pipeline does, in chunks split at
// the given points: append, Feed, drop what was consumed; a framing error
// drops the buffer. It checks n ≤ len(buf) and that re-offering the
// unconsumed tail without new bytes emits and consumes nothing.
func feedStream(t *testing.T, a *Analyzer, b []byte, splits []int, fromClient bool, out *[]fuzzRec) {
	var buf []byte
	prev := 0
	for _, s := range append(splits, len(b)) {
		if s < prev || s > len(b) {
			continue
		}
		buf = append(buf, b[prev:s]...)
		prev = s
		n, err := a.Feed(buf, fromClient, fuzzEmit(out))
		if n < 0 || n > len(buf) {
			t.Fatalf("Feed consumed %d of %d", n, len(buf))
		}
		if err != nil {
			buf = buf[:0]
			continue
		}
		buf = buf[n:]
		before := len(*out)
		if n2, err2 := a.Feed(buf, fromClient, fuzzEmit(out)); n2 != 0 || err2 != nil || len(*out) != before {
			t.Fatalf("re-offered tail of %d bytes: consumed %d, err %v, %d messages re-emitted", len(buf), n2, err2, len(*out)-before)
		}
	}
}

// FuzzFeed: no panic, n ≤ len(b), consumed PDUs are never re-emitted, and
// splitting the stream anywhere yields the same messages as feeding it
// whole (when no framing error intervenes).
func FuzzFeed(f *testing.F) {
	for _, s := range seeds(f, false) {
		f.Add(s, uint16(len(s)/2), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, split uint16, fromClient bool) {
		var whole, parts []fuzzRec
		a := &Analyzer{}
		n, err := a.Feed(b, fromClient, fuzzEmit(&whole))
		if n < 0 || n > len(b) {
			t.Fatalf("Feed consumed %d of %d", n, len(b))
		}
		feedStream(t, &Analyzer{}, b, []int{int(split) % (len(b) + 1)}, fromClient, &parts)
		if err == nil && !reflect.DeepEqual(whole, parts) {
			t.Fatalf("split at %d changes the messages:\n%+v\n%+v", int(split)%(len(b)+1), whole, parts)
		}
		// The same Analyzer, fed again, stays bounded.
		a.Feed(b, !fromClient, func(*Message) {})
		if len(a.IOStats()) > maxIO || a.fwN > maxFirmware {
			t.Fatalf("tables overflow")
		}
	})
}

// FuzzDatagram: no panic, errors are framing errors, tables stay bounded.
func FuzzDatagram(f *testing.F) {
	for _, s := range seeds(f, true) {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, b []byte, fromClient bool) {
		a := &Analyzer{}
		var out []fuzzRec
		for range 2 {
			err := a.Datagram(b, fromClient, fuzzEmit(&out))
			if err != nil && err != ErrDatagram {
				t.Fatalf("Datagram error %v", err)
			}
		}
		if len(a.IOStats()) > 1 {
			t.Fatalf("one payload made %d I/O connections", len(a.IOStats()))
		}
		for _, s := range a.IOStats() {
			if s.Packets != 2 {
				t.Fatalf("I/O packets %d, want 2", s.Packets)
			}
		}
	})
}
