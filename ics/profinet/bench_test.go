package profinet

import "testing"

// BenchmarkL2 reads the captures' PROFINET frames (mostly cyclic data,
// then PTCP, DCP and alarms) with one L2 reader.
func BenchmarkL2(b *testing.B) {
	frames, _ := captureFrames(b)
	var a L2
	var u use
	ef := u.frame
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		f := frames[i%len(frames)]
		a.Frame(f.b, f.src, f.dst, f.vlan, ef)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pkts/s")
}

// BenchmarkCM reads the captures' PNIO-CM datagrams (Connect, Write,
// Control, Read, Release and their answers).
func BenchmarkCM(b *testing.B) {
	_, dgrams := captureFrames(b)
	var cm CMAnalyzer
	var u use
	ec := u.cm
	var bytes int
	for _, d := range dgrams {
		bytes += len(d)
	}
	b.SetBytes(int64(bytes / len(dgrams)))
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		if err := cm.Datagram(dgrams[i%len(dgrams)], true, ec); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pkts/s")
}

// BenchmarkUDP reads generated RT_CLASS_UDP datagrams (cyclic data of
// five connections, an alarm) with one L2 reader, probing each.
func BenchmarkUDP(b *testing.B) {
	udp := udpTraffic()
	var a L2
	var u use
	ef := u.frame
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		d := &udp[i%len(udp)]
		if ProbeRT.Check(d.dst.Port(), d.b, true) == 0 {
			b.Fatal("probe refused")
		}
		a.UDP(d.b, d.src, d.dst, ef)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pkts/s")
}
