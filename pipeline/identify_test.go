package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/runstats"
	"harborwatch/site"
)

const identifySite = `version: 1
zones:
  - {id: ctl, kind: crane-control, cidrs: [10.10.1.0/24]}
  - {id: mgmt, kind: crane-management, cidrs: [10.10.9.0/24]}
  - {id: biz, kind: business, cidrs: [10.50.0.0/16]}
conduits:
  - {from: biz, to: mgmt}
  - {from: mgmt, to: ctl}
remote_access: {gateways: [10.50.0.10]}
`

var (
	hEWS = synth.Host{MAC: [6]byte{0x3c, 0x52, 0x82, 0, 0, 1}, IP: netip.MustParseAddr("10.10.9.20")}
	hPLC = synth.Host{MAC: [6]byte{0x00, 0x1b, 0x1b, 0, 0, 5}, IP: netip.MustParseAddr("10.10.1.5")}
	hBiz = synth.Host{MAC: [6]byte{0xb8, 0xca, 0x3a, 0, 0, 7}, IP: netip.MustParseAddr("10.50.7.77")}
	hGW  = synth.Host{MAC: [6]byte{0xb8, 0xca, 0x3a, 0, 0, 10}, IP: netip.MustParseAddr("10.50.0.10")}
	hNet = synth.Host{MAC: [6]byte{0x00, 0x1b, 0x17, 0, 0, 1}, IP: netip.MustParseAddr("203.0.113.50")}
)

// TestIdentify generates one session per application and checks the
// application the analysis names and the findings it makes of it.
func TestIdentify(t *testing.T) {
	st, err := site.Parse("identify.yaml", []byte(identifySite))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	cl := func(b []byte) synth.Exchange { return synth.Exchange{Data: b} }
	sv := func(b []byte) synth.Exchange { return synth.Exchange{Data: b, FromServer: true} }
	tests := []struct {
		name     string
		c, s     synth.Host
		dport    uint16
		ex       []synth.Exchange
		findings []string // "rule app"
	}{
		{"anydesk by SNI on 443", hEWS, hNet, 443,
			[]synth.Exchange{cl(synth.TLSClientHello(r, "relay-5a3f9c1e.net.anydesk.com"))},
			[]string{"egress.external anydesk", "remote-access.unmanaged anydesk"}},
		{"anydesk by port 7070", hEWS, hNet, 7070,
			[]synth.Exchange{cl(synth.TLSClientHello(r, ""))},
			[]string{"egress.external anydesk", "remote-access.unmanaged anydesk"}},
		{"teamviewer by SNI", hEWS, hNet, 443,
			[]synth.Exchange{cl(synth.TLSClientHello(r, "router7.teamviewer.com"))},
			[]string{"egress.external teamviewer", "remote-access.unmanaged teamviewer"}},
		{"https stays https", hEWS, hNet, 443,
			[]synth.Exchange{cl(synth.TLSClientHello(r, "updates.example.com"))},
			[]string{"egress.external https"}},
		{"vnc by banner on any port", hBiz, hEWS, 5999,
			[]synth.Exchange{sv(synth.RFBBanner()), cl(synth.RFBBanner())},
			[]string{"remote-access.unmanaged vnc"}},
		{"ssh by banner into control", hEWS, hPLC, 2222,
			[]synth.Exchange{sv(synth.SSHBanner("dropbear_2022.83")), cl(synth.SSHBanner("OpenSSH_9.2"))},
			[]string{"remote-access.unmanaged ssh"}},
		{"ssh from the gateway is managed", hGW, hEWS, 22,
			[]synth.Exchange{sv(synth.SSHBanner("OpenSSH_9.2")), cl(synth.SSHBanner("PuTTY_0.78"))},
			nil},
		{"rdp on its port", hBiz, hEWS, 3389,
			[]synth.Exchange{cl(synth.RDPConnectionRequest("eng", 3))},
			[]string{"remote-access.unmanaged rdp"}},
		{"rdp cookie on another port", hBiz, hEWS, 33890,
			[]synth.Exchange{cl(synth.RDPConnectionRequest("eng", 3))},
			[]string{"remote-access.unmanaged rdp"}},
		{"telnet negotiation", hBiz, hPLC, 23,
			[]synth.Exchange{sv([]byte{0xff, 0xfd, 0x18, 0xff, 0xfd, 0x20}), cl([]byte{0xff, 0xfc, 0x18})},
			[]string{"remote-access.unmanaged telnet", "segmentation.cross-zone telnet"}},
		{"http host checked", hBiz, hNet, 8081,
			[]synth.Exchange{cl(synth.HTTPRequest("POST", "gateway.logink.org", "/ais/getVesselLatestPosition"))},
			[]string{"prohibited.destination http"}},
		{"smb on 445", hBiz, hPLC, 445,
			[]synth.Exchange{cl(synth.SMB2TreeConnectRequest(synth.SMB2Header{}, `\\10.10.1.5\c$`))},
			[]string{"file-transfer.insecure smb", "segmentation.cross-zone smb"}},
		{"s7comm on 102 is allowed by its conduit", hEWS, hPLC, 102,
			[]synth.Exchange{cl(synth.COTPConnectRequest(1, 0x0100, 0x0102)), sv(synth.COTPConnectConfirm(1, 2, 0x0100, 0x0102)),
				cl(synth.S7SetupCommunication(1, 480))},
			nil},
		{"unidentified payload keeps its port", hBiz, hPLC, 4000,
			[]synth.Exchange{cl([]byte("hello plc\r\n"))},
			[]string{"segmentation.cross-zone tcp/4000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
			if err != nil {
				t.Fatal(err)
			}
			b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
			b.TCPSession(tt.c, tt.s, 50000, tt.dport, tt.ex...)
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
				got = append(got, fmt.Sprintf("%s %s", f.Rule, f.App))
			}
			if strings.Join(got, "\n") != strings.Join(tt.findings, "\n") {
				t.Errorf("findings:\n got %q\nwant %q", got, tt.findings)
			}
		})
	}
}

// TestFlowMemoryBound fills a small flow table: evictions are counted,
// never silent, and the report still holds every packet.
func TestFlowMemoryBound(t *testing.T) {
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Mix(w, synth.MixOptions{Packets: 60000, Flows: 6000, Seed: 3, Start: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	run := func(mem int64) runstats.Stats {
		res := runBytes(t, data, "mix.pcap", Options{Workers: 1, FlowMemory: mem})
		return res.Stats
	}
	roomy, tight := run(256<<20), run(1)
	if roomy.EvictedFlows != 0 {
		t.Errorf("256 MiB: %d flows evicted", roomy.EvictedFlows)
	}
	if tight.EvictedFlows == 0 || tight.Packets != 60000 {
		t.Errorf("1024-flow table: %d evicted, %d packets", tight.EvictedFlows, tight.Packets)
	}
}
