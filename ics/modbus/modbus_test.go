package modbus

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
)

func TestFeedFraming(t *testing.T) {
	big := umasReq(1, 0, UMASUploadBlock, umasBlock(1, make([]byte, 1000)))
	tooBig := umasReq(1, 0, UMASUploadBlock, umasBlock(1, make([]byte, maxUMASLen)))
	long := adu(1, 1, WriteMultipleRegisters, make([]byte, 300))
	for _, tc := range []struct {
		name  string
		in    []byte
		n     int
		funcs []int
		err   error
	}{
		{"empty", nil, 0, nil, nil},
		{"partial header", readHoldReq[:3], 0, nil, nil},
		{"header without length", readHoldReq[:5], 0, nil, nil},
		{"header only", readHoldReq[:7], 0, nil, nil},
		{"partial PDU", readHoldReq[:10], 0, nil, nil},
		{"one ADU", readHoldReq, len(readHoldReq), []int{3}, nil},
		{"two ADUs", cat(readHoldReq, writeRegReq), len(readHoldReq) + len(writeRegReq), []int{3, 6}, nil},
		{"ADU and a partial one", cat(readHoldReq, writeRegReq[:9]), len(readHoldReq), []int{3}, nil},
		{"protocol id", cat(bs(0, 1, 0, 1, 0, 6, 1, 3), be(0, 1)), 0, nil, ErrProtocolID},
		{"protocol id after an ADU", cat(readHoldReq, bs(0, 1, 0x12, 0x34)), len(readHoldReq), []int{3}, ErrProtocolID},
		{"length 0", bs(0, 1, 0, 0, 0, 0), 0, nil, ErrLength},
		{"length 1", bs(0, 1, 0, 0, 0, 1, 1), 0, nil, ErrLength},
		{"long standard ADU", long, 0, nil, ErrLength},
		{"long ADU before its function code", long[:7], 0, nil, nil},
		{"long UMAS ADU", big, len(big), []int{90}, nil},
		{"long UMAS ADU incomplete", big[:500], 0, nil, nil},
		{"UMAS ADU above the cap", tooBig, 0, nil, ErrLength},
		{"length 0x8804 of a foreign stream", bs(0, 1, 0, 0, 0x88, 0x04, 0x05, 0x07, 0x08), 0, nil, ErrLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a Analyzer
			var funcs []int
			n, err := a.Feed(tc.in, true, func(m *Message) { funcs = append(funcs, m.Func()) })
			if n != tc.n || !reflect.DeepEqual(funcs, tc.funcs) || err != tc.err {
				t.Fatalf("Feed = %d %v %v, want %d %v %v", n, funcs, err, tc.n, tc.funcs, tc.err)
			}
			if err != nil && !errors.Is(err, ErrFraming) {
				t.Fatalf("%v does not wrap ErrFraming", err)
			}
		})
	}
}

// TestFeedSplit offers an exchange cut at every byte boundary, as TCP may
// deliver it: every ADU comes out once, in order.
func TestFeedSplit(t *testing.T) {
	stream := cat(readCoilsReq, writeCoilsReq, deviceIDReq, umasReq(9, 0, UMASStopPLC))
	want := []string{"READ_COILS", "WRITE_MULTIPLE_COILS", "ENCAP_INTERFACE_TRANSPORT", "UMAS_STOP_PLC"}
	for cut := 0; cut <= len(stream); cut++ {
		var a Analyzer
		var names []string
		emit := func(m *Message) { names = append(names, m.Name()) }
		buf := append([]byte(nil), stream[:cut]...)
		n, err := a.Feed(buf, true, emit)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		buf = append(buf[n:], stream[cut:]...)
		n, err = a.Feed(buf, true, emit)
		if err != nil || n != len(buf) {
			t.Fatalf("cut %d: consumed %d of %d, %v", cut, n, len(buf), err)
		}
		if !reflect.DeepEqual(names, want) {
			t.Fatalf("cut %d: %v", cut, names)
		}
	}
}

func TestDatagram(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		n    int
		err  error
	}{
		{"one ADU", readHoldReq, 1, nil},
		{"two ADUs", cat(readHoldReq, writeRegReq), 2, nil},
		{"trailing bytes", cat(readHoldReq, writeRegReq[:4]), 1, ErrTruncated},
		{"short", readHoldReq[:5], 0, ErrTruncated},
		{"not Modbus", bs(1, 2, 3, 4, 5, 6, 7, 8), 0, ErrProtocolID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a Analyzer
			n := 0
			err := a.Datagram(tc.in, true, func(*Message) { n++ })
			if n != tc.n || err != tc.err {
				t.Fatalf("Datagram emitted %d, %v; want %d, %v", n, err, tc.n, tc.err)
			}
			if err != nil && !errors.Is(err, ErrFraming) {
				t.Fatalf("%v does not wrap ErrFraming", err)
			}
		})
	}
}

// TestPairing: responses pair by transaction and unit id, whatever the
// order; a repeated id supersedes; more than pendingSize outstanding
// requests evict the oldest, counted by Dropped.
func TestPairing(t *testing.T) {
	t.Run("out of order", func(t *testing.T) {
		var a Analyzer
		feed(t, &a, true, cat(adu(1, 1, ReadHoldingRegisters, be(100, 2)), adu(2, 1, ReadHoldingRegisters, be(200, 1))))
		out := feed(t, &a, false, cat(adu(2, 1, ReadHoldingRegisters, bs(2), be(7)),
			adu(1, 1, ReadHoldingRegisters, bs(4), be(8, 9))))
		if out[0].detail["address"] != 200 || out[1].detail["address"] != 100 {
			t.Fatalf("addresses %v %v", out[0].detail["address"], out[1].detail["address"])
		}
	})
	t.Run("unit id", func(t *testing.T) {
		var a Analyzer
		feed(t, &a, true, adu(1, 1, ReadHoldingRegisters, be(100, 1)))
		out := feed(t, &a, false, adu(1, 2, ReadHoldingRegisters, bs(2), be(7)))
		if out[0].detail["paired"] != nil {
			t.Fatal("paired across unit ids")
		}
	})
	t.Run("function code", func(t *testing.T) {
		var a Analyzer
		feed(t, &a, true, adu(1, 1, ReadHoldingRegisters, be(100, 1)))
		out := feed(t, &a, false, adu(1, 1, ReadInputRegisters, bs(2), be(7)))
		if out[0].detail["paired"] != nil {
			t.Fatal("paired across function codes")
		}
	})
	t.Run("repeated id", func(t *testing.T) {
		var a Analyzer
		feed(t, &a, true, cat(adu(0, 1, ReadHoldingRegisters, be(100, 1)), adu(0, 1, ReadHoldingRegisters, be(300, 1))))
		out := feed(t, &a, false, cat(adu(0, 1, ReadHoldingRegisters, bs(2), be(7)), adu(0, 1, ReadHoldingRegisters, bs(2), be(7))))
		if out[0].detail["address"] != 300 || out[1].detail["paired"] != nil {
			t.Fatalf("got %v then %v", out[0].detail, out[1].detail)
		}
		if a.Dropped() != 0 {
			t.Fatalf("Dropped = %d", a.Dropped())
		}
	})
	t.Run("overflow", func(t *testing.T) {
		var a Analyzer
		for i := range pendingSize + 1 {
			feed(t, &a, true, adu(uint16(i), 1, ReadCoils, be(uint16(i), 1)))
		}
		if a.Dropped() != 1 {
			t.Fatalf("Dropped = %d, want 1", a.Dropped())
		}
		first := feed(t, &a, false, adu(0, 1, ReadCoils, bs(1, 1)))
		last := feed(t, &a, false, adu(pendingSize, 1, ReadCoils, bs(1, 1)))
		if first[0].detail["paired"] != nil || last[0].detail["address"] != pendingSize {
			t.Fatalf("first %v last %v", first[0].detail, last[0].detail)
		}
	})
	t.Run("reset", func(t *testing.T) {
		var a Analyzer
		for i := range pendingSize + 1 {
			feed(t, &a, true, adu(uint16(i), 1, ReadCoils, be(uint16(i), 1)))
		}
		a.Reset()
		out := feed(t, &a, false, adu(5, 1, ReadCoils, bs(1, 1)))
		if a.Dropped() != 0 || out[0].detail["paired"] != nil {
			t.Fatalf("after Reset: Dropped %d, %v", a.Dropped(), out[0].detail)
		}
	})
}

// TestTransfer: a UMAS program download (engineering station to PLC) and
// upload, built as the public write-ups describe them: each block is
// hashed, and the message that ends the transfer carries the hash of all.
func TestTransfer(t *testing.T) {
	blocks := [][]byte{[]byte("APX header block"), make([]byte, 900), []byte("last block")}
	for i := range blocks[1] {
		blocks[1][i] = byte(i)
	}
	all := sha256.Sum256(cat(blocks...))
	t.Run("download into the PLC", func(t *testing.T) {
		var a Analyzer
		feed(t, &a, true, umasReq(1, 0x9C, UMASInitializeUpload, bs(0, 1)))
		for i, b := range blocks {
			out := feed(t, &a, true, umasReq(uint16(2+i), 0x9C, UMASUploadBlock, umasBlock(uint16(i+1), b)))
			blk := out[0].detail["block"].(map[string]any)
			if blk["number"] != i+1 || blk["length"] != len(b) || blk["sha256"] != sha256Hex(b) {
				t.Fatalf("block %d detail %v", i, blk)
			}
		}
		out := feed(t, &a, true, umasReq(9, 0x9C, UMASEndStrategyUpload))
		want := map[string]any{"direction": "download", "partial": false, "blocks": 3,
			"bytes": len(cat(blocks...)), "sha256": hex.EncodeToString(all[:])}
		if got := out[0].detail["transfer"]; !reflect.DeepEqual(got, want) {
			t.Fatalf("transfer %v, want %v", got, want)
		}
	})
	t.Run("upload out of the PLC", func(t *testing.T) {
		var a Analyzer
		feed(t, &a, true, umasReq(1, 0, UMASInitializeDownload, bs(1)))
		for i, b := range blocks {
			feed(t, &a, true, umasReq(uint16(2+i), 0, UMASDownloadBlock, bs(1), le(uint16(i+1))))
			out := feed(t, &a, false, umasResp(uint16(2+i), 0, UMASResponseOK, b))
			if out[0].name != "UMAS_DOWNLOAD_BLOCK" || out[0].detail["block"].(map[string]any)["sha256"] != sha256Hex(b) {
				t.Fatalf("block %d: %s %v", i, out[0].name, out[0].detail)
			}
		}
		out := feed(t, &a, true, umasReq(9, 0, UMASEndStrategyDownload))
		tr := out[0].detail["transfer"].(map[string]any)
		if tr["direction"] != "upload" || tr["blocks"] != 3 || tr["sha256"] != hex.EncodeToString(all[:]) {
			t.Fatalf("transfer %v", tr)
		}
	})
	t.Run("block without its begin", func(t *testing.T) {
		var a Analyzer
		feed(t, &a, true, umasReq(2, 0, UMASUploadBlock, umasBlock(4, blocks[2])))
		out := feed(t, &a, true, umasReq(3, 0, UMASEndStrategyUpload))
		tr := out[0].detail["transfer"].(map[string]any)
		want := sha256.Sum256(blocks[2])
		if tr["partial"] != true || tr["blocks"] != 1 || tr["sha256"] != hex.EncodeToString(want[:]) {
			t.Fatalf("transfer %v", tr)
		}
	})
	t.Run("end without a transfer", func(t *testing.T) {
		var a Analyzer
		out := feed(t, &a, true, umasReq(3, 0, UMASEndStrategyUpload))
		tr := out[0].detail["transfer"].(map[string]any)
		empty := sha256.Sum256(nil)
		if tr["partial"] != true || tr["blocks"] != 0 || tr["sha256"] != hex.EncodeToString(empty[:]) {
			t.Fatalf("transfer %v", tr)
		}
	})
	t.Run("block length beyond the data", func(t *testing.T) {
		var a Analyzer
		data := cat(bs(0, 1), le(5, 100), []byte("abc"))
		out := feed(t, &a, true, umasReq(3, 0, UMASUploadBlock, data))
		if blk := out[0].detail["block"].(map[string]any); blk["length"] != 3 {
			t.Fatalf("block %v", blk)
		}
	})
	t.Run("signed block", func(t *testing.T) {
		var a Analyzer
		out := feed(t, &a, true, umasSigned(3, 0, UMASUploadBlock, umasBlock(2, blocks[0])))
		if blk := out[0].detail["block"].(map[string]any); blk["sha256"] != sha256Hex(blocks[0]) || out[0].detail["signed"] != true {
			t.Fatalf("detail %v", out[0].detail)
		}
	})
}

// TestDetail holds whole details for a few messages.
func TestDetail(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []step
		want  map[string]any
	}{
		{"read holding request", []step{req(readHoldReq)},
			map[string]any{"unit": 17, "tid": 3, "address": 0x6B, "quantity": 3}},
		{"unpaired read response", []step{resp(readInputsResp)},
			map[string]any{"unit": 17, "tid": 2, "byte_count": 3, "values": []int{
				0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0}}},
		{"exception", []step{req(readHoldReq), resp(holdExcResp)},
			map[string]any{"unit": 17, "tid": 3, "exception_code": 2, "paired": true, "address": 0x6B, "quantity": 3}},
		{"device identity with private object", []step{req(deviceIDReq), resp(adu(20, 17, EncapsulatedInterface,
			bs(MEIDeviceIdentity, 3, 0x83, 0xFF, 0x81, 3), bs(5, 6), []byte("STS-7\x00"), bs(6, 5), []byte("hoist"),
			bs(0x80, 2), []byte("SN")))},
			map[string]any{"unit": 17, "tid": 20, "paired": true, "mei_type": 14, "mei_name": "Read Device Identification",
				"read_device_id_code": 3, "conformity_level": 0x83, "more_follows": true, "next_object_id": 0x81,
				"identity": map[string]any{"model_name": "STS-7", "user_application_name": "hoist", "object_128": "SN"}}},
		{"malformed", []step{req(adu(1, 2, ReadCoils, bs(0, 1, 0)))},
			map[string]any{"unit": 2, "tid": 1, "malformed": true, "data": "000100"}},
		{"UMAS stop accepted", []step{req(umasReq(4, 0x9C, UMASStopPLC)), resp(umasResp(4, 0x9C, UMASResponseOK))},
			map[string]any{"unit": 0, "tid": 4, "paired": true, "pairing_key": 0x9C, "umas_func": 0x41,
				"umas_name": "STOP_PLC", "umas_status": "ok", "data_len": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(t, tc.steps...).detail; !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("detail\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for err, want := range map[error]string{
		ErrFraming:    "modbus: framing error",
		ErrProtocolID: "modbus: protocol identifier is not 0",
		ErrLength:     "modbus: impossible MBAP length",
		ErrTruncated:  "modbus: datagram ends inside an ADU",
	} {
		if err.Error() != want || !errors.Is(err, ErrFraming) {
			t.Errorf("%v: want %q wrapping ErrFraming", err, want)
		}
	}
}

func TestHelpers(t *testing.T) {
	t.Run("printable", func(t *testing.T) {
		for in, want := range map[string]string{
			"":                         "",
			"\x00\xffWingpath Limited": "Wingpath Limited",
			"B\xffPLC\x00\x01v3\x00":   "B PLC v3",
		} {
			if got := printable([]byte(in)); got != want {
				t.Errorf("printable(%q) = %q, want %q", in, got, want)
			}
		}
	})
	t.Run("hexCapped", func(t *testing.T) {
		if got := hexCapped(bs(0xDE, 0xAD)); got != "dead" {
			t.Errorf("hexCapped = %q", got)
		}
		long := hexCapped(make([]byte, 300))
		if want := "…(300 bytes)"; len(long) != 512+len(want) || long[512:] != want {
			t.Errorf("hexCapped(300 bytes) = …%q", long[500:])
		}
	})
	t.Run("bits", func(t *testing.T) {
		if got := bits(bs(0xCD, 0x01), 10, true); !reflect.DeepEqual(got, []int{1, 0, 1, 1, 0, 0, 1, 1, 1, 0}) {
			t.Errorf("bits = %v", got)
		}
		if got := bits(bs(0x01), 20, true); len(got) != 8 {
			t.Errorf("bits past the data = %v", got)
		}
	})
	t.Run("registers", func(t *testing.T) {
		if got := registers(be(1, 0xFFFF)); !reflect.DeepEqual(got, []int{1, 0xFFFF}) {
			t.Errorf("registers = %v", got)
		}
	})
	t.Run("names", func(t *testing.T) {
		if funcNames[0x2B] != "ENCAP_INTERFACE_TRANSPORT" || funcNames[0x60] != "unknown-96" ||
			exceptionNames[0x0B] != "GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND" || exceptionNames[0x09] != "unknown-9" ||
			umasFuncs[0x41].name != "UMAS_STOP_PLC" || umasFuncs[0xFF].name != "UMAS_unknown-255" {
			t.Error("name tables")
		}
	})
}
