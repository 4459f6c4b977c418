package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"harborwatch/capture"
	"harborwatch/decode"
	"harborwatch/detect"
	"harborwatch/internal/synth"
	"harborwatch/observe"
	"harborwatch/site"
)

func open(t testing.TB, names ...string) []capture.Source {
	t.Helper()
	var paths []string
	for _, n := range names {
		paths = append(paths, "testdata/"+n)
	}
	return openFile(t, paths...)
}

func openFile(t testing.TB, paths ...string) []capture.Source {
	t.Helper()
	var srcs []capture.Source
	for _, n := range paths {
		s, err := capture.Open(n)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		srcs = append(srcs, s)
	}
	return srcs
}

func appsOf(res *Result) map[string]string {
	m := map[string]string{}
	for _, a := range res.Assets {
		m[a.IP.String()] = strings.Join(a.Apps, ",")
	}
	return m
}

// TestRealCaptures checks packets, flows and identified applications on
// real ICS captures. The packet and conversation counts are tshark's
// (`tshark -r F -q -z conv,tcp -z conv,udp`), the applications its protocol
// hierarchy (`-z io,phs`).
func TestRealCaptures(t *testing.T) {
	// The captures' public addresses are declared as a lab zone so that
	// they count as assets (external hosts are not inventoried).
	lab, err := site.Parse("lab.yaml", []byte(`version: 1
zones:
  - {id: lab, kind: port-ot, cidrs: [134.217.61.0/24, 3.15.227.20/32]}
conduits:
  - {from: unzoned, to: lab}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file    string
		packets uint64
		flows   uint64
		apps    map[string]string
	}{
		{"modbus_example.pcap", 100, 2, map[string]string{"127.0.0.1": "modbus", "192.168.1.6": "modbus", "3.15.227.20": "modbus"}},
		{"snap7.pcap", 64, 1, map[string]string{"134.217.61.131": "s7comm", "134.217.61.211": "s7comm"}},
		// stream 0 is S7comm-plus (0x72), stream 2 S7comm (0x32), stream 1
		// carries no TPKT at all.
		{"s7comm_plus.pcap", 262, 3, map[string]string{"192.168.0.1": "s7comm,s7comm-plus", "192.168.0.3": "s7comm-plus", "192.168.0.33": "s7comm"}},
		{"enip_cip_example.pcap", 776, 4, map[string]string{"192.168.1.22": "enip", "192.168.1.24": "enip", "192.168.10.105": "enip", "192.168.10.120": "enip", "10.1.1.164": "enip", "10.1.1.167": "enip"}},
		{"multiple_service_packet_cip.pcapng", 1, 1, map[string]string{"192.168.10.105": "enip"}},
	}
	for _, tt := range tests {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/workers=%d", tt.file, workers), func(t *testing.T) {
				res, err := Run(context.Background(), open(t, tt.file), Options{Workers: workers, Site: lab})
				if err != nil {
					t.Fatal(err)
				}
				if res.Stats.Packets != tt.packets || res.Stats.Captures[0].Packets != tt.packets {
					t.Errorf("packets %d, want %d", res.Stats.Packets, tt.packets)
				}
				if res.Stats.Flows != tt.flows {
					t.Errorf("flows %d, want %d", res.Stats.Flows, tt.flows)
				}
				got := appsOf(res)
				for ip, want := range tt.apps {
					if got[ip] != want {
						t.Errorf("%s apps %q, want %q", ip, got[ip], want)
					}
				}
				if len(res.Findings) != 0 {
					t.Errorf("findings where the site allows everything: %+v", res.Findings)
				}
			})
		}
	}
}

// TestMergedTimeline runs two captures as one timeline: counts add up and
// evidence names each file.
func TestMergedTimeline(t *testing.T) {
	st, err := site.Parse("t.yaml", []byte(`version: 1
zones:
  - {id: plc, kind: crane-control, cidrs: [134.217.61.211/32]}
  - {id: hmi, kind: business, cidrs: [134.217.61.0/24]}
  - {id: lo, kind: crane-management, cidrs: [127.0.0.0/8]}
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), open(t, "snap7.pcap", "modbus_example.pcap"), Options{Site: st, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Packets != 164 || len(res.Stats.Captures) != 2 || res.Stats.Captures[0].Packets != 64 || res.Stats.Captures[1].Packets != 100 {
		t.Errorf("stats %+v", res.Stats)
	}
	var rules []string
	for _, f := range res.Findings {
		rules = append(rules, fmt.Sprintf("%s %s %s>%s %s %s", f.Severity, f.Rule, f.Src.IP, f.Dst.IP, f.App, f.Evidence[0].Capture))
	}
	// snap7.pcap is a snap7 client exercising a PLC: uploads, downloads,
	// stop/start, writes; none is allowed from the "hmi" business zone.
	want := []string{
		"critical ics.plc-stop 134.217.61.131>134.217.61.211 s7comm testdata/snap7.pcap",
		"critical ics.program-download 134.217.61.131>134.217.61.211 s7comm testdata/snap7.pcap",
		"critical ics.program-upload 134.217.61.131>134.217.61.211 s7comm testdata/snap7.pcap",
		"critical segmentation.cross-zone 134.217.61.131>134.217.61.211 s7comm testdata/snap7.pcap",
		"high ics.config-change 134.217.61.131>134.217.61.211 s7comm testdata/snap7.pcap",
		"high ics.plc-start 134.217.61.131>134.217.61.211 s7comm testdata/snap7.pcap",
		"high ics.write 134.217.61.131>134.217.61.211 s7comm testdata/snap7.pcap",
		"medium ics.write 127.0.0.1>127.0.0.1 modbus testdata/modbus_example.pcap",
	}
	if strings.Join(rules, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s", strings.Join(rules, "\n"))
	}
	// The evidence of the S7 crossing is the handshake of snap7.pcap.
	for _, f := range res.Findings {
		if f.Rule == "segmentation.cross-zone" {
			if ev := f.Evidence[0].Packets; len(ev) < 3 || !slices.Equal(ev[:3], []int64{1, 2, 3}) {
				t.Errorf("evidence %v", ev)
			}
		}
	}
}

// TestNoAllocs drives a shard with the packets of real captures, replayed
// forward in time so that every flow already exists: the packet path must
// not allocate.
func TestNoAllocs(t *testing.T) {
	var pkts []capture.Packet
	for _, src := range open(t, "modbus_example.pcap", "enip_cip_example.pcap", "s7comm_plus.pcap") {
		for {
			var p capture.Packet
			err := src.Next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			p.Data = slices.Clone(p.Data)
			pkts = append(pkts, p)
		}
	}
	s := newShard(detect.New(detect.Options{}), observe.New(observe.Options{}), budget{flows: 1 << 12, flowBytes: 64 << 20}, false, []string{"a"})
	// Keep the flows alive across rounds: only established, payload-bearing
	// packets (no SYN/FIN/RST would restart or close a flow).
	var steady []capture.Packet
	for _, p := range pkts {
		s.handle(&p)
		if s.pkt.HasL4 && len(s.pkt.Payload) > 0 && s.pkt.TCPFlags&0x07 == 0 {
			steady = append(steady, p)
		}
	}
	if len(steady) < 500 {
		t.Fatalf("only %d steady packets", len(steady))
	}
	var shift int64
	var p capture.Packet // the reader's packet: one for the whole run
	round := func() {
		shift++
		for i := range steady {
			p = steady[i]
			p.TS = steady[len(steady)-1].TS + shift*1000 + int64(i)
			s.handle(&p)
		}
	}
	round()
	if n := testing.AllocsPerRun(20, round); n != 0 {
		t.Errorf("%.1f allocations per round of %d packets, want 0", n, len(steady))
	}
}

func TestPairHash(t *testing.T) {
	var p, q decode.Packet
	p.Src, p.Dst = netip.MustParseAddr("10.10.1.5"), netip.MustParseAddr("10.50.7.77")
	q.Src, q.Dst = p.Dst, p.Src
	p.VLANs[0], p.NVLAN = 110, 1
	q.VLANs[0], q.NVLAN = 110, 1
	if pairHash(&p) != pairHash(&q) {
		t.Error("the two directions hash apart")
	}
	q.VLANs[0] = 111
	if pairHash(&p) != pairHash(&q) {
		t.Error("one address pair on two VLANs hashes apart: its findings would be split between shards")
	}
	// Spread: host pairs of one /16 over 2 and 4 shards.
	for _, n := range []uint64{2, 4} {
		counts := make([]int, n)
		for i := range 20000 {
			p.Src = netip.AddrFrom4([4]byte{10, 10, byte(i >> 8), byte(i)})
			p.Dst = netip.AddrFrom4([4]byte{10, 50, byte(i >> 4), byte(i * 7)})
			counts[pairHash(&p)%n]++
		}
		for _, c := range counts {
			if d := c - 20000/int(n); d > 20000/int(n)/10 || d < -20000/int(n)/10 {
				t.Errorf("%d shards: uneven %v", n, counts)
				break
			}
		}
	}
}

// TestSnaplenCut analyzes a capture whose packets were cut to 60 bytes
// (a header-only capture): flows and hosts are all still found, the cut
// packets are counted as truncated, nothing is a decode error.
func TestSnaplenCut(t *testing.T) {
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 60, false)
	if err != nil {
		t.Fatal(err)
	}
	src := open(t, "modbus_example.pcap")[0]
	cut := 0
	for {
		var p capture.Packet
		err := src.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Data) > 60 {
			cut++
		}
		if err := w.WritePacket(p.TS, p.Data, p.OrigLen); err != nil { // the writer cuts to its snap length
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, err := capture.NewReader(&buf, "cut.pcap")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []capture.Source{r}, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := res.Stats
	if st.Packets != 100 || st.Flows != 2 || len(st.DecodeErrors) != 0 {
		t.Errorf("packets %d flows %d errors %v; want 100, 2, none", st.Packets, st.Flows, st.DecodeErrors)
	}
	if cut == 0 || st.Truncated != uint64(cut) {
		t.Errorf("truncated %d, want %d", st.Truncated, cut)
	}
	// With no payload left, the applications come from the server port.
	if got := appsOf(res)["192.168.1.6"]; got != "modbus" {
		t.Errorf("192.168.1.6 apps %q, want modbus", got)
	}
}

// TestRawPairHash checks that the reader's shortcut gives the decoder's
// shard on every IP frame of real captures (tagged and not, v4 and v6).
func TestRawPairHash(t *testing.T) {
	var dec decode.Decoder
	var p decode.Packet
	n := 0
	for _, name := range []string{"enip_cip_example.pcap", "modbus_example.pcap", "snap7.pcap"} {
		for _, src := range open(t, name) {
			var cp capture.Packet
			for src.Next(&cp) == nil {
				h, ok := rawPairHash(cp.Link, cp.Data)
				dec.Decode(cp.Link, cp.Data, &p)
				isIP := p.L3 == decode.L3IPv4 || p.L3 == decode.L3IPv6
				if ok != isIP {
					t.Fatalf("%s #%d: raw ok %v, decoded L3 %v", name, cp.Number, ok, p.L3)
				}
				if ok {
					n++
					if h != pairHash(&p) {
						t.Fatalf("%s #%d: raw hash differs", name, cp.Number)
					}
				}
			}
		}
	}
	// Generated frames: VLAN-tagged and IPv6.
	var buf bytes.Buffer
	w, _ := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err := synth.Terminal(w, synth.TerminalOptions{IPv6: true}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	src, _ := capture.NewReader(&buf, "t.pcap")
	var cp capture.Packet
	for src.Next(&cp) == nil {
		h, ok := rawPairHash(cp.Link, cp.Data)
		dec.Decode(cp.Link, cp.Data, &p)
		if ok && h != pairHash(&p) {
			t.Fatalf("terminal #%d: raw hash differs (vlan %d)", cp.Number, p.VLAN())
		}
		if ok {
			n++
		}
	}
	if n < 3000 {
		t.Errorf("only %d frames compared", n)
	}
}
