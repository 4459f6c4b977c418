package enip

import "testing"

// BenchmarkFeed measures the analyzer over the real capture: explicit
// messaging over TCP (Multiple_Service_Packet polling, ListIdentity) and
// class 1 I/O over UDP. pdus/s counts encapsulation PDUs or datagrams;
// msgs/s counts the messages emitted.
func BenchmarkFeed(b *testing.B) {
	all := payloads(b, "testdata/enip_cip_example.pcap")
	for _, bc := range []struct {
		name string
		udp  bool
	}{{"tcp", false}, {"udp-io", true}} {
		var ps []payload
		for _, p := range all {
			if p.udp == bc.udp {
				ps = append(ps, p)
			}
		}
		b.Run(bc.name, func(b *testing.B) {
			var a Analyzer
			msgs := 0
			sink := 0
			emit := func(m *Message) { sink += len(m.Op()) + m.Func(); msgs++ }
			bytes := 0
			for _, p := range ps {
				bytes += len(p.data)
			}
			b.SetBytes(int64(bytes))
			b.ReportAllocs()
			iters := 0
			for b.Loop() {
				for _, p := range ps {
					if p.udp {
						a.Datagram(p.data, p.fromClient, emit)
					} else {
						a.Feed(p.data, p.fromClient, emit)
					}
				}
				iters++
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(iters*len(ps))/sec, "pdus/s")
			b.ReportMetric(float64(msgs)/sec, "msgs/s")
			if sink == 0 {
				b.Fatal("nothing emitted")
			}
		})
	}
}
