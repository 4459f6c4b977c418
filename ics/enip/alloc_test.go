package enip

import (
	"testing"
)

// reader is an emit that reads everything a consumer reads on the hot path.
func reader(sink *int) func(*Message) {
	return func(m *Message) {
		*sink += m.Func() + len(m.Op()) + len(m.Name()) + len(m.Status()) + len(m.Proto())
		if m.Request() {
			*sink++
		}
		if id, ok := m.Identity(); ok {
			*sink += int(id.Vendor) + len(id.ProductName)
		}
	}
}

// feedPayloads offers each payload (a whole PDU in these captures) to the
// analyzer of its transport.
func feedPayloads(t testing.TB, tcp, udp *Analyzer, ps []payload, emit func(*Message)) {
	for _, p := range ps {
		if p.udp {
			if err := udp.Datagram(p.data, p.fromClient, emit); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if n, err := tcp.Feed(p.data, p.fromClient, emit); err != nil || n != len(p.data) {
			t.Fatalf("Feed = %d, %v", n, err)
		}
	}
}

// TestAllocsCapture: the real capture's PDUs, fed a second time (steady
// state: pending table and I/O connections known), allocate nothing.
func TestAllocsCapture(t *testing.T) {
	ps := payloads(t, "testdata/enip_cip_example.pcap")
	var tcp, udp Analyzer
	sink := 0
	emit := reader(&sink)
	feedPayloads(t, &tcp, &udp, ps, emit)
	if n := testing.AllocsPerRun(10, func() { feedPayloads(t, &tcp, &udp, ps, emit) }); n != 0 {
		t.Errorf("%v allocations per pass over %d PDUs, want 0", n, len(ps))
	}
}

// TestAllocsBuilt: every PDU kind the analyzer reads further (containers,
// Unconnected_Send, Forward_Open, file transfers with hashing, PCCC,
// identity, malformed content, framing errors, I/O) allocates nothing once
// the Analyzer's transfer hashers exist.
func TestAllocsBuilt(t *testing.T) {
	tcp := [][]byte{
		sendRR(testCtx, forwardOpen()), sendRR(testCtx, forwardOpenReply()),
		sendUnit(1, 1, mspRequest(request(0x0E, cat(cls(1), inst(1), attr(7)), nil), request(0x4D, symbol("A"), cat(le16(0xC4), le16(1), le32(1))))),
		sendUnit(2, 1, response(0x0A, 0, nil, msp(response(0x0E, 0, nil, []byte{3, 'P', 'L', 'C'}), response(0x4D, 0, nil, nil)))),
		sendRR(testCtx, ucs(mspRequest(request(0x4C, symbol("T"), le16(1))), port(1, 0))),
		sendRR(testCtx, response(0x0A, 0, nil, msp(response(0x4C, 0, nil, cat(le16(0xC4), le32(1)))))),
		sendUnit(1, 2, initiateDownload(0xC9, 10, "firmware.bin")),
		sendUnit(1, 3, downloadTransfer(0xC9, 0, 0, []byte("hello"))),
		sendUnit(1, 4, downloadTransfer(0xC9, 1, 2, []byte("world"))),
		sendUnit(1, 5, request(0x4B, cat(cls(0x37), inst(0xC8)), []byte{100})),
		sendUnit(2, 5, response(0x4B, 0, nil, cat(le32(3), []byte{100}))),
		sendUnit(2, 6, response(0x4F, 0, nil, transfer(0, 4, []byte("abc")))),
		sendRR(testCtx, pcccRequest(0x0F, 0xA2)),
		sendRR(testCtx, request(0x05, cat(cls(1), inst(1)), []byte{0})),
		listIdentityReply(1, 14, 166, 33, 11, 1, "1756-L83E/B", 3),
		sendRR(testCtx, []byte{0x0E, 9, 0x20}),
		encapPDU(cmdSendRRData, 1, 0, testCtx, []byte{1}),
		encapPDU(0x7777, 0, 0, testCtx, nil), // framing error, last
	}
	udp := [][]byte{ioPacket(1, 1, []byte{1, 2}), ioPacket(1, 2, []byte{1, 2}), ioPacket(2, 7, nil), {1, 2, 3}}
	a, u := &Analyzer{}, &Analyzer{}
	sink := 0
	emit := reader(&sink)
	pass := func() {
		for _, p := range tcp {
			a.Feed(p, true, emit)
		}
		for _, p := range udp {
			u.Datagram(p, true, emit)
		}
	}
	pass()
	if n := testing.AllocsPerRun(20, pass); n != 0 {
		t.Errorf("%v allocations per pass, want 0", n)
	}
}
