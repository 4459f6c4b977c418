package modbus

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// seeds are ADUs for the fuzz corpora: the captures' streams and the ADUs
// the tests build.
func seeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, p := range []string{"testdata/modbus_example.pcap", "testdata/modbus_test_data_part1.pcap",
		"testdata/modbus_test_data_part2.pcap"} {
		chunks, _ := captureChunks(f, p)
		for _, c := range chunks {
			out = append(out, c.b)
		}
	}
	out = append(out, readCoilsReq, readCoilsResp, readHoldResp, writeCoilsReq, writeRegsReq, diagReq,
		eventLogResp, serverIDResp, fileReadReq, fileReadResp, fileWriteReq, maskWriteReq, rwRegsReq, rwRegsResp,
		fifoResp, deviceIDReq, deviceIDResp, canopenReq, firmwareReq, holdExcResp,
		umasReq(1, 0, UMASStopPLC), umasResp(1, 0, UMASResponseError, bs(1)),
		umasReq(2, 0, UMASUploadBlock, umasBlock(1, []byte("block"))), umasSigned(3, 0, UMASStartPLC),
		umasSignedResp(3, 0, UMASResponseOK), bs(0, 1, 0, 0, 0x88, 0x04, 5, 7))
	for _, c := range umasSession() {
		out = append(out, c.b)
	}
	return out
}

// emitted is one Message as the fuzz targets keep it: its ADU rebuilt from
// the decoded fields, and what the methods said.
type emitted struct {
	adu                []byte
	request            bool
	fn                 int
	name, op, status   string
	malformed          bool
	detailKeys, blocks int
}

func keep(out *[]emitted) func(*Message) {
	return func(m *Message) {
		d := map[string]any{}
		m.Detail(d)
		adu := cat(be(m.TID, 0, uint16(1+len(m.PDU))), bs(m.Unit), m.PDU)
		*out = append(*out, emitted{adu, m.Request(), m.Func(), m.Name(), m.Op(), m.Status(), m.Malformed,
			len(d), len(m.Block)})
	}
}

// FuzzFeed: no panic; n <= len(b); the ADUs emitted are exactly the bytes
// consumed, each once, in order; and offering the stream in two pieces, as
// TCP may deliver it, emits the same ADUs and ends with the same error.
func FuzzFeed(f *testing.F) {
	for i, s := range seeds(f) {
		f.Add(s, uint16(i), i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, b []byte, split uint16, fromClient bool) {
		b = b[:len(b):len(b)]
		var whole []emitted
		var a Analyzer
		n, err := a.Feed(b, fromClient, keep(&whole))
		if n < 0 || n > len(b) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		if err != nil && !errors.Is(err, ErrFraming) {
			t.Fatalf("error %v does not wrap ErrFraming", err)
		}
		var got []byte
		for _, e := range whole {
			got = append(got, e.adu...)
			if e.request != fromClient || e.name == "" || e.op == "" || e.fn < 0 || e.fn > 127 {
				t.Fatalf("message %+v", e)
			}
			if e.malformed && e.status == "" {
				t.Fatalf("message %+v", e)
			}
		}
		if !bytes.Equal(got, b[:n]) {
			t.Fatalf("emitted ADUs\n%x\nconsumed\n%x", got, b[:n])
		}

		// The same stream in two pieces, with the caller's buffering.
		k := int(split) % (len(b) + 1)
		var parts []emitted
		var c Analyzer
		buf := slices.Clone(b[:k])
		n1, err1 := c.Feed(buf, fromClient, keep(&parts))
		if err1 == nil {
			buf = append(buf[n1:], b[k:]...)
			_, err1 = c.Feed(buf, fromClient, keep(&parts))
		}
		if err1 != err || len(parts) != len(whole) {
			t.Fatalf("in two pieces: %d ADUs, %v; whole: %d ADUs, %v", len(parts), err1, len(whole), err)
		}
		for i := range whole {
			if !bytes.Equal(parts[i].adu, whole[i].adu) || parts[i].name != whole[i].name ||
				parts[i].status != whole[i].status {
				t.Fatalf("ADU %d differs: %+v vs %+v", i, parts[i], whole[i])
			}
		}
	})
}

// FuzzDatagram: no panic; a datagram either parses into whole ADUs or
// fails with a framing error.
func FuzzDatagram(f *testing.F) {
	for i, s := range seeds(f) {
		f.Add(s, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, b []byte, fromClient bool) {
		b = b[:len(b):len(b)]
		var out []emitted
		var a Analyzer
		err := a.Datagram(b, fromClient, keep(&out))
		var got []byte
		for _, e := range out {
			got = append(got, e.adu...)
		}
		switch {
		case err == nil && !bytes.Equal(got, b):
			t.Fatalf("datagram of %d bytes emitted %d", len(b), len(got))
		case err != nil && !errors.Is(err, ErrFraming):
			t.Fatalf("error %v does not wrap ErrFraming", err)
		case err != nil && !bytes.HasPrefix(b, got):
			t.Fatal("emitted ADUs are not a prefix of the datagram")
		}
	})
}
