package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/site"
)

// rpcSite allows dcerpc only from management to control.
const rpcSite = `version: 1
zones:
  - {id: ctl, kind: crane-control, cidrs: [10.10.1.0/24]}
  - {id: mgmt, kind: crane-management, cidrs: [10.10.9.0/24]}
conduits:
  - {from: mgmt, to: ctl, protocols: [dcerpc]}
`

// eptMapTowers is an ept_map answer's stub: a tower per port (UDP towers
// when udp), each after filler floors of pad bytes, at addr.
func eptMapTowers(addr netip.Addr, udp bool, pad int, ports ...uint16) []byte {
	le := binary.LittleEndian
	stub := make([]byte, 20)
	for range 4 {
		stub = le.AppendUint32(stub, uint32(len(ports)))
	}
	a4 := addr.As4()
	fl := byte(0x07)
	if udp {
		fl = 0x08
	}
	for _, p := range ports {
		tower := append([]byte{5, 0, 0x13, 0, 0x0d}, make([]byte, pad)...)
		tower = append(tower, 1, 0, fl, 2, 0, byte(p>>8), byte(p), 1, 0, 0x09, 4, 0, a4[0], a4[1], a4[2], a4[3])
		stub = le.AppendUint32(stub, uint32(len(tower)))
		stub = le.AppendUint32(stub, uint32(len(tower)))
		stub = append(stub, tower...)
	}
	return le.AppendUint32(stub, 0)
}

// clPDU builds a little-endian connectionless DCE-RPC PDU of the
// endpoint mapper's interface.
func clEPM(ptype, flags uint8, seq uint32, frag uint16, body []byte) []byte {
	le := binary.LittleEndian
	h := []byte{4, ptype, flags, 0, 0x10, 0, 0, 0}
	h = append(h, make([]byte, 16)...) // object
	h = append(h, 0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa)
	h = append(h, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16) // activity
	h = le.AppendUint32(h, 0)
	h = le.AppendUint32(h, 3)
	h = le.AppendUint32(h, seq)
	h = le.AppendUint16(h, 3) // ept_map
	h = le.AppendUint16(h, 0xffff)
	h = le.AppendUint16(h, 0xffff)
	h = le.AppendUint16(h, uint16(len(body)))
	h = le.AppendUint16(h, frag)
	h = append(h, 0, 0)
	return append(h, body...)
}

// runRPC runs a generated capture against rpcSite and returns its
// findings as "rule app" and its dcerpc decode errors.
func runRPC(t *testing.T, gen func(b *synth.Builder)) ([]string, uint64) {
	t.Helper()
	st, err := site.Parse("rpc.yaml", []byte(rpcSite))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	gen(b)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewReader(&buf, "s.pcap")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Rule+" "+f.App)
	}
	return got, res.Stats.DecodeErrors["dcerpc"]
}

// TestEptMapUDPExpectation: an endpoint mapper answering over UDP, in two
// fragments, hands out an ncadg_ip_udp endpoint: the UDP flow to it is
// dcerpc from its first datagram (the conduit allows dcerpc only), here a
// request followed by bytes its header does not count, which the probe
// alone does not take; without the mapper's answer it is udp/PORT.
func TestEptMapUDPExpectation(t *testing.T) {
	stub := eptMapTowers(hPLC.IP, true, 40, 1030)
	for _, tt := range []struct {
		name     string
		mapper   bool
		findings []string
	}{
		{"after ept_map", true, nil},
		{"without ept_map", false, []string{"segmentation.cross-zone udp/1030"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, bad := runRPC(t, func(b *synth.Builder) {
				if tt.mapper {
					half := len(stub) / 2
					b.UDP(hEWS, hPLC, 50000, 135,
						synth.Exchange{Data: clEPM(0, 0x20, 9, 0, make([]byte, 60))},
						synth.Exchange{Data: clEPM(2, 0x04, 9, 0, stub[:half]), FromServer: true},
						synth.Exchange{Data: clEPM(2, 0x06, 9, 1, stub[half:]), FromServer: true})
				}
				b.Advance(time.Second)
				call := append(clEPM(0, 0, 1, 0, make([]byte, 16)), 0, 0, 0, 0)
				call[24] = 0x42 // another interface than the mapper's
				b.UDP(hEWS, hPLC, 50001, 1030, synth.Exchange{Data: call})
			})
			if !slices.Equal(got, tt.findings) || bad != 0 {
				t.Errorf("findings %q (decode errors %d), want %q", got, bad, tt.findings)
			}
		})
	}
}

// TestEptMapSegmented: an ept_map answer larger than a TCP segment, in
// three fragments, each cut across segments, still announces the port
// its last tower hands out.
func TestEptMapSegmented(t *testing.T) {
	ports := []uint16{49670, 49671, 49672, 49673}
	stub := eptMapTowers(hPLC.IP, false, 900, ports...)
	resp := func(flags uint8, piece []byte) []byte {
		p := rpcPDU(2, 2, append(make([]byte, 8), piece...))
		p[3] = flags
		return p
	}
	third := len(stub) / 3
	var answer []byte
	answer = append(answer, resp(1, stub[:third])...)
	answer = append(answer, resp(0, stub[third:2*third])...)
	answer = append(answer, resp(2, stub[2*third:])...)
	ex := eptMap(0, hPLC.IP)[:2]
	ex = append(ex, synth.Exchange{Data: answer, FromServer: true})
	got, bad := runRPC(t, func(b *synth.Builder) {
		b.TCPSession(hEWS, hPLC, 50000, 135, ex...)
		b.Advance(time.Second)
		b.TCPSession(hEWS, hPLC, 50001, ports[len(ports)-1])
	})
	if len(got) != 0 || bad != 0 {
		t.Errorf("findings %q, decode errors %d", got, bad)
	}
}

// TestSMBPipeSegmented: through the pipeline, an RCreateServiceW request
// larger than a TCP segment, written to \pipe\svcctl in two WRITE
// requests, is one call naming the service and the program it runs.
func TestSMBPipeSegmented(t *testing.T) {
	st, err := site.Parse("smb.yaml", []byte(rpcSite))
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	wstr := func(s string) []byte {
		b := le.AppendUint32(nil, uint32(len(s)+1))
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, uint32(len(s)+1))
		for _, c := range s + "\x00" {
			b = le.AppendUint16(b, uint16(c))
		}
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	path := `C:\Windows\Temp\` + string(bytes.Repeat([]byte("x"), 2000)) + `.exe`
	stub := append(make([]byte, 20), wstr("updater")...)
	stub = le.AppendUint32(stub, 0) // no display name
	stub = le.AppendUint32(stub, 0xf01ff)
	stub = le.AppendUint32(stub, 0x10)
	stub = le.AppendUint32(stub, 2)
	stub = le.AppendUint32(stub, 0)
	stub = append(stub, wstr(path)...)
	stub = append(stub, make([]byte, 28)...)
	req := rpcPDU(0, 2, append([]byte{0, 0, 0, 0, 0, 0, 12, 0}, stub...))
	bind := rpcPDU(11, 1, append([]byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0,
		0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35, 0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03, 2, 0, 0, 0}, make([]byte, 20)...))
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	b.TCPSession(hEWS, hPLC, 50123, 445,
		synth.Exchange{Data: smbWrite(4, bind)},
		synth.Exchange{Data: smbWrite(5, req[:1000])},
		synth.Exchange{Data: smbWrite(6, req[1000:])},
		synth.Exchange{Data: smbRead(7, rpcPDU(2, 2, make([]byte, 32))), FromServer: true})
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewReader(&buf, "smb.pcap")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: 1, Events: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Events {
		if e.Proto != "dcerpc" {
			continue
		}
		s := e.Op + " " + e.Name
		if n, ok := e.Detail["service_name"].(string); ok {
			s += " " + n + " " + e.Detail["binary_path"].(string)[:16]
		}
		got = append(got, s)
	}
	want := []string{"session bind", `config-change svcctl.RCreateServiceW updater C:\Windows\Temp\`, "config-change svcctl.RCreateServiceW"}
	if !slices.Equal(got, want) || res.Stats.DecodeErrors["smb"] != 0 {
		t.Errorf("events %q (decode errors %v), want %q", got, res.Stats.DecodeErrors, want)
	}
}
