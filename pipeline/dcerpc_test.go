package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"time"

	"harborwatch/internal/synth"
	"os"
	"slices"
	"testing"

	"harborwatch/capture"
	"harborwatch/site"
)

// dcomSite places the two hosts of the OPC Classic captures in different
// zones with no conduit between them.
const dcomSite = `version: 1
zones:
  - {id: hmi, kind: crane-management, cidrs: ["fe80::b53f:8ce5:4071:376d/128"]}
  - {id: panel, kind: crane-control, cidrs: ["fe80::4159:f7b2:b9ed:9689/128"]}
`

// crossZone runs the capture name of ics/dcerpc's test data against
// dcomSite and returns its cross-zone findings as "src>dst app".
func crossZone(t *testing.T, name string) []string {
	t.Helper()
	st, err := site.Parse("dcom.yaml", []byte(dcomSite))
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open("../ics/dcerpc/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	src, err := capture.NewReader(fh, name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		if f.Rule == "segmentation.cross-zone" {
			got = append(got, f.Src.IP.String()+">"+f.Dst.IP.String()+" "+f.App)
		}
	}
	return got
}

// TestDCOMCrossZone: an HMI-to-panel DCOM conversation between zones
// with no conduit is one cross-zone finding per direction and
// application, not one per dynamic port (before DCE-RPC was identified:
// 5, 4 and 3 findings, tcp/135 and each dynamic port apart).
func TestDCOMCrossZone(t *testing.T) {
	const (
		hmi   = "fe80::b53f:8ce5:4071:376d"
		panel = "fe80::4159:f7b2:b9ed:9689"
	)
	want := []string{panel + ">" + hmi + " dcerpc", hmi + ">" + panel + " dcerpc"}
	for _, name := range []string{"opcae_1.pcap", "opcda_1.pcap", "opc_read_write.pcap"} {
		got := crossZone(t, name)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: cross-zone findings %q, want %q", name, got, want)
		}
	}
}

// rpcPDU builds a little-endian single-fragment DCE-RPC PDU.
func rpcPDU(typ uint8, callID uint32, body []byte) []byte {
	b := []byte{5, 0, typ, 3, 0x10, 0, 0, 0}
	b = binary.LittleEndian.AppendUint16(b, uint16(16+len(body)))
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, callID)
	return append(b, body...)
}

// eptMap is a client binding to the endpoint mapper and asking ept_map,
// and the mapper's answer: a tower for TCP port at addr.
func eptMap(port uint16, addr netip.Addr) []synth.Exchange {
	bind := []byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0,
		0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa, 3, 0, 0, 0}
	bind = append(bind, make([]byte, 20)...)
	a4 := addr.As4()
	tower := []byte{1, 0, 0x07, 2, 0, byte(port >> 8), byte(port), 1, 0, 0x09, 4, 0, a4[0], a4[1], a4[2], a4[3]}
	resp := append(make([]byte, 8+24+16), tower...)
	return []synth.Exchange{
		{Data: rpcPDU(11, 1, bind)},
		{Data: rpcPDU(0, 2, []byte{0, 0, 0, 0, 0, 0, 3, 0}), FromServer: false},
		{Data: rpcPDU(2, 2, resp), FromServer: true},
	}
}

// TestEptMapExpectation: the connection to the port the endpoint mapper
// hands out is dcerpc before it carries a byte (the conduit allows
// dcerpc only); without the mapper's answer it is tcp/PORT.
func TestEptMapExpectation(t *testing.T) {
	st, err := site.Parse("rpc.yaml", []byte(`version: 1
zones:
  - {id: ctl, kind: crane-control, cidrs: [10.10.1.0/24]}
  - {id: mgmt, kind: crane-management, cidrs: [10.10.9.0/24]}
conduits:
  - {from: mgmt, to: ctl, protocols: [dcerpc]}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		mapper   bool
		findings []string
	}{
		{"after ept_map", true, nil},
		{"without ept_map", false, []string{"segmentation.cross-zone tcp/49667"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
			if err != nil {
				t.Fatal(err)
			}
			b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
			if tt.mapper {
				b.TCPSession(hEWS, hPLC, 50000, 135, eptMap(49667, hPLC.IP)...)
			}
			b.Advance(time.Second)
			b.TCPSession(hEWS, hPLC, 50001, 49667)
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
			if !slices.Equal(got, tt.findings) {
				t.Errorf("findings %q, want %q", got, tt.findings)
			}
			if tt.mapper && res.Stats.DecodeErrors["dcerpc"] != 0 {
				t.Errorf("decode errors: %v", res.Stats.DecodeErrors)
			}
		})
	}
}
