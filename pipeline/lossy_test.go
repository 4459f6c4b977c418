package pipeline

import (
	"fmt"
	"slices"
	"testing"

	"harborwatch/internal/synth"
	"harborwatch/site"
)

// tcpScript writes one TCP connection by hand: a handshake (unless
// midway), then each message from the client or the server, the client's
// cut into segments of seg bytes (0: whole), each segment a packet.
type tcpScript struct {
	sport, dport uint16
	midway       bool
	msgs         []scriptMsg
}

type scriptMsg struct {
	fromServer bool
	data       []byte
	seg        int // segment size; 0: one segment
}

func (sc tcpScript) write(write func(int64, []byte), ts *int64) {
	cl, sv := hBiz, hPLC // a business host may not stop or write to a controller
	cseq, sseq := uint32(1000), uint32(900000)
	pkt := func(from, to synth.Host, sport, dport uint16, seq uint32, flags uint8, pl []byte) {
		*ts += 1e6
		write(*ts, eth(to.MAC, from.MAC, 0x0800, tcp4(from.IP, to.IP, sport, dport, seq, flags, pl)))
	}
	if !sc.midway {
		pkt(cl, sv, sc.sport, sc.dport, cseq-1, 0x02, nil)
		pkt(sv, cl, sc.dport, sc.sport, sseq-1, 0x12, nil)
		pkt(cl, sv, sc.sport, sc.dport, cseq, 0x10, nil)
	}
	for _, m := range sc.msgs {
		from, to, sp, dp, seq := cl, sv, sc.sport, sc.dport, &cseq
		if m.fromServer {
			from, to, sp, dp, seq = sv, cl, sc.dport, sc.sport, &sseq
		}
		n := m.seg
		if n <= 0 {
			n = len(m.data)
		}
		for off := 0; off < len(m.data); off += n {
			part := m.data[off:min(off+n, len(m.data))]
			pkt(from, to, sp, dp, *seq, 0x18, part)
			*seq += uint32(len(part))
		}
	}
}

// mbWrite is a Modbus/TCP Write Single Register ADU (request, and its
// echo as the response).
func mbWrite(tid uint16, unit uint8, addr, value uint16) []byte {
	return []byte{byte(tid >> 8), byte(tid), 0, 0, 0, 6, unit, 6, byte(addr >> 8), byte(addr), byte(value >> 8), byte(value)}
}

// TestSplitPDUs: a PLC stop and a Modbus write sent in 1-byte segments
// (tshark reassembles them) are identified and analyzed like unsplit
// ones, and a second, unsplit one later in the same connection is seen
// too; with a site, each is a finding. A Modbus connection whose client
// first sends 150 segments of garbage is still found to be Modbus and its
// write analyzed.
func TestSplitPDUs(t *testing.T) {
	st, err := site.Parse("identify.yaml", []byte(identifySite))
	if err != nil {
		t.Fatal(err)
	}
	c := func(b []byte, seg int) scriptMsg { return scriptMsg{data: b, seg: seg} }
	s := func(b []byte) scriptMsg { return scriptMsg{fromServer: true, data: b} }
	garbage := make([]byte, 150*7)
	for i := range garbage {
		garbage[i] = byte(0x41 + i%23) // no MBAP header anywhere in it
	}
	write := mbWrite(1, 1, 40, 0x2222)
	tests := []struct {
		name    string
		sc      tcpScript
		event   string // "proto op" of the requests
		events  int
		finding string
	}{
		{"s7 stop in 1-byte segments", tcpScript{sport: 40100, dport: 102, msgs: []scriptMsg{
			c(synth.COTPConnectRequest(1, synth.S7TSAPClient, synth.S7TSAPPLC), 1), s(synth.COTPConnectConfirm(1, 2, synth.S7TSAPClient, synth.S7TSAPPLC)),
			c(synth.S7SetupCommunication(1, 480), 1), s(synth.S7SetupCommunicationAck(1, 480)),
			c(synth.S7PLCStop(2), 1), s(synth.S7PLCStopAck(2)),
			c(synth.S7PLCStop(3), 0), s(synth.S7PLCStopAck(3)),
		}}, "s7comm plc-stop", 2, "ics.plc-stop s7comm"},
		{"s7 stop, only the stop split", tcpScript{sport: 40101, dport: 102, msgs: []scriptMsg{
			c(synth.COTPConnectRequest(1, synth.S7TSAPClient, synth.S7TSAPPLC), 0), s(synth.COTPConnectConfirm(1, 2, synth.S7TSAPClient, synth.S7TSAPPLC)),
			c(synth.S7SetupCommunication(1, 480), 0), s(synth.S7SetupCommunicationAck(1, 480)),
			c(synth.S7PLCStop(2), 1), s(synth.S7PLCStopAck(2)),
		}}, "s7comm plc-stop", 1, "ics.plc-stop s7comm"},
		{"modbus write in 1-byte segments", tcpScript{sport: 40102, dport: 502, msgs: []scriptMsg{
			c(write, 1), s(write),
			c(mbWrite(2, 1, 41, 0x3333), 0), s(mbWrite(2, 1, 41, 0x3333)),
		}}, "modbus write", 2, "ics.write modbus"},
		{"modbus after 150 segments of garbage", tcpScript{sport: 40103, dport: 502, msgs: []scriptMsg{
			c(garbage, 7), c(write, 3), s(write),
		}}, "modbus write", 1, "ics.write modbus"},
		{"modbus write seen midway, split", tcpScript{sport: 40104, dport: 502, midway: true, msgs: []scriptMsg{
			c(write[5:], 0), s(write[3:]), c(write, 1), s(write),
		}}, "modbus write", 1, "ics.write modbus"},
	}
	for _, tt := range tests {
		for _, withSite := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/site=%v", tt.name, withSite), func(t *testing.T) {
				ts := t0
				data := pcapOf(t, func(w func(int64, []byte)) { tt.sc.write(w, &ts) })
				opts := Options{Workers: 1, Events: true}
				if withSite {
					opts.Site = st
				}
				res := runBytes(t, data, "split.pcap", opts)
				n := 0
				for _, e := range res.Events {
					if e.Proto+" "+e.Op == tt.event && e.Dir == "request" {
						n++
					}
				}
				if n != tt.events {
					t.Errorf("%d %q requests, want %d (stats %+v)", n, tt.event, tt.events, res.Stats.Analyzers)
				}
				var fs []string
				for _, f := range res.Findings {
					fs = append(fs, f.Rule+" "+f.App)
				}
				if withSite && !slices.Contains(fs, tt.finding) {
					t.Errorf("findings %q lack %q", fs, tt.finding)
				}
			})
		}
	}
}
