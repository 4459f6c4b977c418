package modbus

import (
	"net/netip"
	"testing"
)

// chunk is the bytes one Feed call consumed while replaying a capture: fed
// again in order, they reproduce the capture's ADUs without reassembly.
type chunk struct {
	flow       int
	fromClient bool
	b          []byte
}

// captureChunks replays a capture and keeps what each Feed consumed.
func captureChunks(t testing.TB, path string) (chunks []chunk, flows int) {
	t.Helper()
	ids := map[[2]netip.AddrPort]int{}
	type dir struct {
		flow       int
		fromClient bool
	}
	bufs := map[dir][]byte{}
	var a Analyzer
	for _, s := range segmentsOf(t, path) {
		k := [2]netip.AddrPort{s.Client, s.Server}
		id, ok := ids[k]
		if !ok {
			id = len(ids)
			ids[k] = id
		}
		d := dir{id, s.FromClient}
		buf := append(bufs[d], s.Payload...)
		n, err := a.Feed(buf, s.FromClient, func(*Message) {})
		if n > 0 {
			chunks = append(chunks, chunk{id, s.FromClient, append([]byte(nil), buf[:n]...)})
		}
		if err != nil {
			n = len(buf)
		}
		bufs[d] = append(buf[:0], buf[n:]...)
	}
	return chunks, len(ids)
}

// umasSession is a UMAS engineering session built from the write-ups:
// reservation, stop, a program download of 20 blocks, start, release.
func umasSession() []chunk {
	var c []chunk
	add := func(client bool, b []byte) { c = append(c, chunk{0, client, b}) }
	tid := uint16(0)
	exchange := func(fn byte, data []byte) {
		tid++
		add(true, umasReq(tid, 0x9C, fn, data))
		add(false, umasResp(tid, 0x9C, UMASResponseOK))
	}
	exchange(UMASTakeReservation, []byte("\x00\x00\x00\x00ENGWS-04"))
	exchange(UMASStopPLC, nil)
	exchange(UMASInitializeUpload, bs(0, 1))
	block := make([]byte, 1000)
	for i := range 20 {
		exchange(UMASUploadBlock, umasBlock(uint16(i+1), block))
	}
	exchange(UMASEndStrategyUpload, nil)
	tid++
	add(true, umasSigned(tid, 0x9C, UMASStartPLC))
	add(false, umasSignedResp(tid, 0x9C, UMASResponseOK))
	exchange(UMASReleaseReservation, nil)
	return c
}

// feedChunks feeds every chunk to its flow's Analyzer with an emit that
// only reads the Message, and returns the ADUs seen.
func feedChunks(as []Analyzer, chunks []chunk) int {
	pdus := 0
	emit := func(m *Message) {
		_, _, _, _, _ = m.Request(), m.Func(), m.Name(), m.Op(), m.Status()
		pdus++
	}
	for _, c := range chunks {
		as[c.flow].Feed(c.b, c.fromClient, emit)
	}
	return pdus
}

// TestAllocs proves Feed allocates nothing per ADU in steady state: the
// capture's ADUs (and a UMAS transfer) are fed once to warm up, then again
// under AllocsPerRun.
func TestAllocs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		chunks func(t *testing.T) ([]chunk, int)
	}{
		{"modbus_test.pcap", func(t *testing.T) ([]chunk, int) { return captureChunks(t, "testdata/modbus_test.pcap") }},
		{"modbus_example.pcap", func(t *testing.T) ([]chunk, int) {
			return captureChunks(t, "testdata/modbus_example.pcap")
		}},
		{"umas transfer", func(*testing.T) ([]chunk, int) { return umasSession(), 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chunks, flows := tc.chunks(t)
			as := make([]Analyzer, flows)
			if feedChunks(as, chunks) == 0 {
				t.Fatal("no ADUs")
			}
			if n := testing.AllocsPerRun(10, func() { feedChunks(as, chunks) }); n != 0 {
				t.Fatalf("%v allocations per run, want 0", n)
			}
		})
	}
	t.Run("reset", func(t *testing.T) {
		as := make([]Analyzer, 1)
		feedChunks(as, umasSession())
		if as[0].xfer.h == nil {
			t.Fatal("no transfer hash after a transfer")
		}
		if n := testing.AllocsPerRun(10, as[0].Reset); n != 0 {
			t.Fatalf("Reset: %v allocations", n)
		}
	})
}

func BenchmarkFeed(b *testing.B) {
	for _, bc := range []struct {
		name   string
		chunks func() ([]chunk, int)
	}{
		{"capture", func() ([]chunk, int) { return captureChunks(b, "testdata/modbus_test.pcap") }},
		{"umas", func() ([]chunk, int) { return umasSession(), 1 }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			chunks, flows := bc.chunks()
			as := make([]Analyzer, flows)
			bytes := 0
			for _, c := range chunks {
				bytes += len(c.b)
			}
			b.SetBytes(int64(bytes))
			b.ReportAllocs()
			pdus := 0
			for b.Loop() {
				pdus += feedChunks(as, chunks)
			}
			b.ReportMetric(float64(pdus)/b.Elapsed().Seconds(), "PDUs/s")
		})
	}
}
