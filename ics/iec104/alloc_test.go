package iec104

import "testing"

// feedChunks feeds every chunk to its flow's Analyzer with an emit that
// only reads the Message, and returns the APDUs seen.
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

// TestAllocs proves Feed allocates nothing per APDU: every capture's
// APDUs are fed once to warm up, then again under AllocsPerRun.
func TestAllocs(t *testing.T) {
	for _, name := range []string{"iec104.pcap", "TestDissectIec104.pcap", "58_59.pcap", "104deneme2.pcap"} {
		t.Run(name, func(t *testing.T) {
			_, chunks, flows := replay(t, "testdata/"+name)
			as := make([]Analyzer, flows)
			if feedChunks(as, chunks) == 0 {
				t.Fatal("no APDUs")
			}
			if n := testing.AllocsPerRun(10, func() { feedChunks(as, chunks) }); n != 0 {
				t.Fatalf("%v allocations per run, want 0", n)
			}
		})
	}
}

func BenchmarkFeed(b *testing.B) {
	_, chunks, flows := replay(b, "testdata/iec104.pcap")
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
}
