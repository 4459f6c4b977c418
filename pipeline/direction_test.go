package pipeline

import (
	"fmt"
	"net/netip"
	"testing"

	"harborwatch/finding"
)

// Midstream: a connection picked up without its handshake, whose first
// packet seen is the server's. The client is decided from the ports.

// s7Job is a TPKT/COTP DT packet carrying an S7comm job with the given
// parameter (PDU reference 1, no data).
func s7Job(param []byte) []byte {
	s7 := append([]byte{0x32, 1, 0, 0, 0, 1, 0, byte(len(param)), 0, 0}, param...)
	pl := append([]byte{3, 0, 0, byte(7 + len(s7)), 2, 0xf0, 0x80}, s7...)
	return pl
}

// s7AckData is the S7comm ack-data of s7Job's PDU reference.
func s7AckData(param []byte) []byte {
	s7 := append([]byte{0x32, 3, 0, 0, 0, 1, 0, byte(len(param)), 0, 0, 0, 0}, param...)
	return append([]byte{3, 0, 0, byte(7 + len(s7)), 2, 0xf0, 0x80}, s7...)
}

// midstreamStop: the PLC's ack of a previous job first (server port to
// the client's port), then the client's PLC stop job, then its ack; no
// SYN anywhere.
func midstreamStop(plc, cl netip.Addr, srvPort, clPort uint16) func(write func(int64, []byte)) {
	plcMAC := [6]byte{0x00, 0x1b, 0x1b, 0x01, 0x00, 0x05}
	clMAC := [6]byte{0x02, 0x30, 0, 0, 0, 7}
	stop := append([]byte{0x29, 0, 0, 0, 0, 0, 9}, "P_PROGRAM"...)
	const pshAck = 0x18
	return func(write func(int64, []byte)) {
		write(t0, eth(clMAC, plcMAC, 0x0800, tcp4(plc, cl, srvPort, clPort, 5000, pshAck, s7AckData([]byte{0x04, 0x01}))))
		write(t0+1e6, eth(plcMAC, clMAC, 0x0800, tcp4(cl, plc, clPort, srvPort, 9000, pshAck, s7Job(stop))))
		write(t0+2e6, eth(clMAC, plcMAC, 0x0800, tcp4(plc, cl, srvPort, clPort, 5020, pshAck, s7AckData([]byte{0x29}))))
	}
}

func TestMidstreamDirection(t *testing.T) {
	plc := netip.MustParseAddr("10.10.1.5")
	cl := netip.MustParseAddr("10.50.7.77")
	cases := []struct {
		name            string
		srvPort, clPort uint16
	}{
		{"iso-tsap to ephemeral", 102, 51000},
		{"iso-tsap to a registered-range client port", 102, 4000},
		{"iso-tsap to a client port that is a listed server port", 102, 2404},
		{"unlisted server port to ephemeral", 10102, 51000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := pcapOf(t, midstreamStop(plc, cl, c.srvPort, c.clPort))
			res := runBytes(t, data, "mid.pcap", Options{Workers: 1, Events: true})
			want := fmt.Sprintf("%s:%d>%s:%d", cl, c.clPort, plc, c.srvPort)
			wantF := fmt.Sprintf("%s>%s:%d", cl, plc, c.srvPort)
			var stops int
			for _, f := range res.Findings {
				if f.Rule != finding.RuleICSPLCStop {
					continue
				}
				stops++
				if got := fmt.Sprintf("%s>%s:%d", f.Src.IP, f.Dst.IP, f.DPort); got != wantF {
					t.Errorf("plc-stop finding %s, want %s", got, wantF)
				}
			}
			if stops != 1 {
				t.Errorf("%d plc-stop findings, want 1", stops)
			}
			for _, e := range res.Events {
				if e.Name == "PLC Stop" && e.Dir == "request" {
					if got := fmt.Sprintf("%s:%d>%s:%d", e.Src, e.SPort, e.Dst, e.DPort); got != want {
						t.Errorf("PLC Stop request event %s, want %s", got, want)
					}
				}
			}
		})
	}
}
