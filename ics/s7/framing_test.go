package s7

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// readJob is a valid Read Var job used after bad input to show that the
// stream goes on.
var readJob = job(0x4242, join([]byte{fnReadVar, 1}, anyItem(0x02, 2, 1, areaDB, 0)), nil)

func TestFeedFraming(t *testing.T) {
	good := job(1, []byte{fnSetup, 0, 0, 1, 0, 1, 1, 0xe0}, nil)
	cases := []struct {
		name string
		b    []byte
		n    int
		err  error
		msgs int
	}{
		{"empty", nil, 0, nil, 0},
		{"one octet", []byte{3}, 0, nil, 0},
		{"incomplete header", []byte{3, 0, 0}, 0, nil, 0},
		{"incomplete packet", good[:10], 0, nil, 0},
		{"one packet", good, len(good), nil, 1},
		{"two packets and a partial third", join(good, good, good[:8]), 2 * len(good), nil, 2},
		{"not TPKT", []byte("GET / HTTP/1.1\r\n"), 0, ErrTPKTVersion, 0},
		{"not TPKT after a packet", join(good, []byte{0x45, 0, 0, 20}), len(good), ErrTPKTVersion, 1},
		{"reserved octet set", []byte{3, 1, 0, 7, 2, 0xf0, 0x80}, 0, ErrTPKTReserved, 0},
		{"length below minimum", []byte{3, 0, 0, 6, 2, 0xf0}, 0, ErrTPKTLength, 0},
		{"length zero", []byte{3, 0, 0, 0}, 0, ErrTPKTLength, 0},
		{"empty DT", []byte{3, 0, 0, 7, 2, 0xf0, 0x80}, 7, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var a Analyzer
			msgs := 0
			n, err := a.Feed(tc.b, true, func(*Message) { msgs++ })
			if n != tc.n || !errors.Is(err, tc.err) || msgs != tc.msgs {
				t.Errorf("Feed = %d, %v, %d messages; want %d, %v, %d", n, err, msgs, tc.n, tc.err, tc.msgs)
			}
			if tc.err != nil && !errors.Is(err, ErrFraming) {
				t.Errorf("%v does not wrap ErrFraming", err)
			}
		})
	}
}

// TestFeedIncremental feeds the client stream of a capture one octet at a
// time, as the caller re-offers unconsumed bytes, and compares with feeding
// each packet whole: the same Messages, none repeated.
func TestFeedIncremental(t *testing.T) {
	var whole []rec
	var stream [2][]byte
	replay(t, segmentsOf(t, "testdata/snap7.pcap"), func(m *Message, seg *segment, _ *flowState) {
		whole = append(whole, record(m, 0, clientAddr))
	})
	for _, s := range segmentsOf(t, "testdata/snap7.pcap") {
		stream[dirIndex(s.FromClient)] = append(stream[dirIndex(s.FromClient)], s.Payload...)
	}
	// Interleave the directions PDU by PDU as in the capture, but split each
	// direction's bytes into single octets.
	var a Analyzer
	var got []rec
	var buf [2][]byte
	pos := [2]int{}
	for _, s := range segmentsOf(t, "testdata/snap7.pcap") {
		i := dirIndex(s.FromClient)
		for range s.Payload {
			buf[i] = append(buf[i], stream[i][pos[i]])
			pos[i]++
			n, err := a.Feed(buf[i], s.FromClient, func(m *Message) { got = append(got, record(m, 0, clientAddr)) })
			if err != nil {
				t.Fatal(err)
			}
			buf[i] = buf[i][n:]
		}
	}
	if len(got) != len(whole) {
		t.Fatalf("%d messages octet by octet, %d whole", len(got), len(whole))
	}
	for i := range got {
		if got[i].name != whole[i].name || got[i].op != whole[i].op || got[i].status != whole[i].status || got[i].pduRef != whole[i].pduRef {
			t.Errorf("message %d: %+v, whole %+v", i, got[i], whole[i])
		}
	}
}

// TestCOTPSegmentation splits S7 PDUs over several DT TPDUs without the
// EOT mark (ISO 8073 §6.3) and checks that each is decoded once, whole.
func TestCOTPSegmentation(t *testing.T) {
	pdu := s7(rosctrJob, 7, 0, 0, join([]byte{fnWriteVar, 1}, anyItem(0x02, 300, 1, areaDB, 0)),
		join([]byte{0, 0x04, 0x09, 0x60}, bytes.Repeat([]byte{0xaa}, 300)))
	seg := func(p []byte, eot bool) []byte { return dt(p, eot) }
	split := join(seg(pdu[:100], false), seg(pdu[100:250], false), seg(pdu[250:], true))
	t.Run("three segments", func(t *testing.T) {
		got := feedSteps(t, c2s(split), c2s(readJob))
		if len(got) != 2 {
			t.Fatalf("%d messages", len(got))
		}
		check(t, got[0], want{op: "write", fn: 0x05, name: "Write Var", request: true, detail: map[string]any{"bytes": 300}})
		check(t, got[1], want{op: "read", fn: 0x04, name: "Read Var", request: true})
	})
	t.Run("directions interleaved", func(t *testing.T) {
		got := feedSteps(t, c2s(seg(pdu[:100], false)), s2c(readJob), c2s(seg(pdu[100:], true)))
		if len(got) != 2 || got[0].name != "Read Var" || got[1].name != "Write Var" || got[1].malformed {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("overflow", func(t *testing.T) {
		var a Analyzer
		chunk := seg(bytes.Repeat([]byte{1}, 4000), false)
		var got []rec
		emit := func(m *Message) { got = append(got, record(m, 0, clientAddr)) }
		for range 5 {
			if _, err := a.Feed(chunk, true, emit); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.Feed(join(seg([]byte{1, 2, 3}, true), readJob), true, emit); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].status != stCOTPOverflow || !got[0].malformed || got[1].name != "Read Var" || got[1].malformed {
			t.Fatalf("got %+v", got)
		}
		if d := a.Dropped(); d != 5*4000+3 {
			t.Errorf("Dropped() = %d, want %d", d, 5*4000+3)
		}
	})
}

// TestMalformed checks PDUs that frame correctly but whose content is bad:
// each is emitted with Malformed and a status naming the problem, and the
// Read Var job after it in the same stream decodes.
func TestMalformed(t *testing.T) {
	hdr := func(rosctr byte, plen, dlen uint16, rest ...byte) []byte {
		b := []byte{0x32, rosctr, 0, 0, 0, 1, 0, 0, 0, 0}
		binary.BigEndian.PutUint16(b[6:], plen)
		binary.BigEndian.PutUint16(b[8:], dlen)
		return append(b, rest...)
	}
	cases := []struct {
		name   string
		pdu    []byte
		status string
		kind   Kind
	}{
		{"cotp length indicator too long", tpkt([]byte{9, 0xf0, 0x80}), stCOTPLength, KindCOTP},
		{"cotp unknown tpdu code", tpkt([]byte{2, 0x30, 0}), stCOTPCode, KindCOTP},
		{"cotp DT with LI 3", tpkt([]byte{3, 0xf0, 0, 0x80}), stCOTPLength, KindCOTP},
		{"cotp CR too short", tpkt([]byte{4, 0xe0, 0, 0, 0}), stCOTPLength, KindCOTP},
		{"cotp CR parameter too long", tpkt([]byte{9, 0xe0, 0, 0, 0, 1, 0, 0xc1, 9, 1}), stCOTPLength, KindCOTP},
		{"unknown protocol id", dt([]byte{0x99, 1, 2}, true), stProtocolID, KindS7},
		{"truncated S7 header", dt([]byte{0x32, 1, 0, 0}, true), stS7Header, KindS7},
		{"truncated ack-data header", dt(hdr(3, 0, 0, 0), true), stS7Header, KindS7},
		{"lengths exceed PDU", dt(hdr(1, 10, 0, fnReadVar), true), stS7Lengths, KindS7},
		{"unknown ROSCTR", dt(hdr(5, 0, 0), true), stROSCTR, KindS7},
		{"job without parameter", dt(hdr(1, 0, 0), true), stNoParam, KindS7},
		{"read var items truncated", job(1, []byte{fnReadVar, 2, 0x12, 0x0a, 0x10}, nil), stParam, KindS7},
		{"write var data truncated", job(1, join([]byte{fnWriteVar, 1}, anyItem(2, 4, 1, areaDB, 0)), []byte{0, 4, 0, 32, 1}), stData, KindS7},
		{"setup communication short", job(1, []byte{fnSetup, 0, 0, 1}, nil), stParam, KindS7},
		{"PI service name beyond parameter", job(1, []byte{fnPIService, 0, 0, 0, 0, 0, 0, 0xfd, 0, 0, 9, 'P'}, nil), stParam, KindS7},
		{"PI block list beyond block", job(1, piParam("_INSE", []byte{5, 0, '0', 'A'}), nil), stParam, KindS7},
		{"plc stop name beyond parameter", job(1, []byte{fnPLCStop, 0, 0, 0, 0, 0, 9, 'P'}, nil), stParam, KindS7},
		{"start upload without file name", job(1, []byte{fnStartUpload, 0, 0, 0}, nil), stParam, KindS7},
		{"upload without id", job(1, []byte{fnUpload, 0}, nil), stParam, KindS7},
		{"userdata parameter short", dt(s7(rosctrUserdata, 1, 0, 0, []byte{0, 1, 0x12, 4}, nil), true), stUserdataParam, KindS7},
		{"userdata data length exceeds", dt(s7(rosctrUserdata, 1, 0, 0, []byte{0, 1, 0x12, 4, 0x11, 0x44, 1, 0}, []byte{0xff, 9, 0, 9, 0, 0x11}), true), stData, KindS7},
		{"read var response data truncated", ackData(1, []byte{fnReadVar, 1}, []byte{0xff, 4, 0, 64, 1}), stData, KindS7},
		{"write var response without codes", ackData(1, []byte{fnWriteVar, 3}, []byte{0xff}), stData, KindS7},
		{"upload data beyond PDU", ackData(1, []byte{fnUpload, 0}, []byte{0, 200, 0, 0xfb, 1, 2}), stData, KindS7},
		{"s7comm-plus too short", dt([]byte{0x72, 3}, true), stPlusHeader, KindS7Plus},
		{"s7comm-plus length exceeds", dt([]byte{0x72, 3, 0, 40, 1}, true), stPlusLength, KindS7Plus},
		{"s7comm-plus integrity exceeds", dt([]byte{0x72, 3, 0, 2, 0x40, 0, 0x72, 3, 0, 0}, true), stPlusIntegrity, KindS7Plus},
		{"s7comm-plus unknown opcode", plusPDU(1, []byte{0x44, 0, 0}, false), stPlusOpcode, KindS7Plus},
		{"s7comm-plus request truncated", plusPDU(3, plusReq(0x054c, 1, 1)[:11], false), stPlusHeader, KindS7Plus},
		{"s7comm-plus response without return value", plusPDU(3, plusResp(0x054c, 1, nil), false), stPlusHeader, KindS7Plus},
		{"s7comm-plus return value truncated", plusPDU(3, plusResp(0x054c, 1, []byte{0x80, 0x80}), false), stPlusHeader, KindS7Plus},
		{"s7comm-plus empty data", plusPDU(1, nil, false), stPlusHeader, KindS7Plus},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := feedSteps(t, c2s(tc.pdu, readJob))
			if len(got) != 2 {
				t.Fatalf("%d messages: %+v", len(got), got)
			}
			if !got[0].malformed || got[0].status != tc.status || got[0].kind != tc.kind {
				t.Errorf("got malformed=%v status=%q kind=%v, want %q %v", got[0].malformed, got[0].status, got[0].kind, tc.status, tc.kind)
			}
			if got[0].detail["malformed"] != true {
				t.Errorf("detail without malformed: %v", got[0].detail)
			}
			if got[1].malformed || got[1].name != "Read Var" {
				t.Errorf("next PDU: %+v", got[1])
			}
		})
	}
}

// TestPairing checks responses paired by PDU reference: an ack without
// parameter takes the function of its request; one whose request was not
// seen says so; the pending table keeps the most recent requests.
func TestPairing(t *testing.T) {
	t.Run("unknown reference", func(t *testing.T) {
		got := feedSteps(t, s2c(ackErr(77, 0x81, 0x7f)))
		check(t, got[0], want{op: "other", fn: 0, name: "Ack", status: "Application relationship",
			detail: map[string]any{"func_unknown": true}})
	})
	t.Run("response from the wrong side is not paired", func(t *testing.T) {
		got := feedSteps(t, c2s(job(5, plcStopParam(), nil)), c2s(ackErr(5, 0, 0)))
		if got[1].hasFunc {
			t.Errorf("ack from the requester paired: %+v", got[1])
		}
	})
	t.Run("oldest request evicted", func(t *testing.T) {
		steps := []step{}
		for ref := range uint16(pendingSlots + 1) {
			steps = append(steps, c2s(job(ref, plcStopParam(), nil)))
		}
		steps = append(steps, s2c(ackErr(0, 0, 0)), s2c(ackErr(pendingSlots, 0, 0)), s2c(ackErr(pendingSlots, 0, 0)))
		got := feedSteps(t, steps...)
		n := len(got)
		if got[n-3].hasFunc || !got[n-2].hasFunc || got[n-1].hasFunc {
			t.Errorf("pairing: evicted=%v newest=%v again=%v", got[n-3].hasFunc, got[n-2].hasFunc, got[n-1].hasFunc)
		}
	})
	t.Run("userdata and job with the same reference", func(t *testing.T) {
		got := feedSteps(t,
			c2s(job(9, plcStopParam(), nil)),
			c2s(udReq(9, 4, groupCPU, 1, szlReq(0x00a0, 0))),
			s2c(udResp(9, groupCPU, 1, 0, false, 0xd401, 0x0a, nil)),
			s2c(ackErr(9, 0, 0)),
		)
		if got[2].detail["szl_id"] != "0x00a0" || got[3].name != "PLC Stop" {
			t.Errorf("got %v / %v", got[2].detail, got[3].name)
		}
	})
}

// TestSZLFragments reassembles a component identification list sent in
// two data units with a follow-up request between them.
func TestSZLFragments(t *testing.T) {
	list := szlList(0x001c, 0, rec1C(1, "CRANE-QC07"), rec1C(2, "CPU 1516-3 PN/DP"), rec1C(5, "S C-H6X1234567"), rec1C(9, "\x00\x2a"))
	got := feedSteps(t,
		c2s(udReq(1, 4, groupCPU, 1, szlReq(0x001c, 0))),
		s2c(udResp(1, groupCPU, 1, 7, true, 0, 0xff, list[:60])),
		c2s(udReq(2, 4, groupCPU, 1, nil)),
		s2c(udResp(2, groupCPU, 1, 7, false, 0, 0xff, list[60:])),
	)
	if len(got) != 4 {
		t.Fatalf("%d messages", len(got))
	}
	for i, g := range got {
		if g.op != "identity" || g.detail["szl_id"] != "0x001c" {
			t.Errorf("message %d: op %s szl %v", i, g.op, g.detail["szl_id"])
		}
	}
	if _, ok := got[1].detail["identity"]; ok {
		t.Errorf("identity on the first data unit")
	}
	want := map[string]any{"system_name": "CRANE-QC07", "module_name": "CPU 1516-3 PN/DP", "product": "CPU 1516-3 PN/DP",
		"serial": "S C-H6X1234567", "manufacturer_id": 42, "vendor": "Siemens"}
	check(t, got[3], want2(got[3], map[string]any{"identity": want, "last_data_unit": true, "data_unit_ref": 7}))

	t.Run("bounded", func(t *testing.T) {
		var a Analyzer
		emit := func(*Message) {}
		feed := func(b []byte, c bool) {
			if _, err := a.Feed(b, c, emit); err != nil {
				t.Fatal(err)
			}
		}
		feed(udReq(1, 4, groupCPU, 1, szlReq(0x0011, 0)), true)
		big := szlList(0x0011, 0, bytes.Repeat([]byte{0x20}, 900))
		feed(udResp(1, groupCPU, 1, 9, true, 0, 0xff, big), false)
		for range 5 {
			feed(udResp(1, groupCPU, 1, 9, true, 0, 0xff, bytes.Repeat([]byte{0x20}, 900)), false)
		}
		if a.Dropped() == 0 || len(a.szl.buf) > maxSZL || cap(a.szl.buf) > 2*maxSZL {
			t.Errorf("dropped %d, buffer %d/%d", a.Dropped(), len(a.szl.buf), cap(a.szl.buf))
		}
	})
}

// want2 builds the expectation for a response message from its own
// classification plus the detail keys to check.
func want2(r rec, detail map[string]any) want {
	return want{op: r.op, fn: r.fn, name: r.name, request: r.request, status: r.status, detail: detail}
}

func TestReset(t *testing.T) {
	var a Analyzer
	emit := func(*Message) {}
	a.Feed(dt(bytes.Repeat([]byte{1}, 100), false), true, emit)
	a.Feed(job(1, fileParam(fnStartUpload, 0, 0, "_0800001A", nil), nil), true, emit)
	a.Feed(ackData(1, []byte{fnUpload, 0}, blockData([]byte{1, 2, 3})), false, emit)
	a.Feed(udResp(1, groupCPU, 1, 3, true, 0, 0xff, szlList(0x0011, 0, rec11(1, "6ES7", 1, 1))), false, emit)
	a.Feed(dt(bytes.Repeat([]byte{1}, 20000), false), false, emit)
	a.Reset()
	if len(a.dir[0].cotp) != 0 || a.dir[1].overflow || a.szl.active || a.upload.state != xferIdle || a.Dropped() != 0 {
		t.Fatalf("state after Reset: %+v", a)
	}
	for _, d := range a.dir {
		for _, p := range d.pending {
			if p.used {
				t.Fatal("pending request after Reset")
			}
		}
	}
	got := 0
	if _, err := a.Feed(readJob, true, func(m *Message) {
		if m.Name() == "Read Var" && !m.Malformed {
			got++
		}
	}); err != nil || got != 1 {
		t.Errorf("after Reset: %v, %d", err, got)
	}
	if n := testing.AllocsPerRun(100, a.Reset); n != 0 {
		t.Errorf("Reset allocates %v", n)
	}
}
