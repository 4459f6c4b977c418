package inventory

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/pipeline"
)

// analyze runs the packet path over captures and builds the inventory of
// what it observed (no site).
func analyze(t *testing.T, paths ...string) *Inventory {
	t.Helper()
	var srcs []capture.Source
	for _, p := range paths {
		s, err := capture.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		srcs = append(srcs, s)
	}
	res, err := pipeline.Run(context.Background(), srcs, pipeline.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	return Build(Options{Observed: res.Observation, Captures: paths})
}

func byIP(t *testing.T, inv *Inventory, ip string) Asset {
	t.Helper()
	a := netip.MustParseAddr(ip)
	for _, x := range inv.Assets {
		for _, y := range x.IPs {
			if y == a {
				return x
			}
		}
	}
	t.Fatalf("no asset with address %s", ip)
	return Asset{}
}

// TestSharedCaptures: the Siemens and Rockwell/Allen-Bradley devices of the
// shared ICS captures, with their vendor from the MAC block and, where the
// capture carries it, what they said of themselves.
func TestSharedCaptures(t *testing.T) {
	type want struct {
		ip, id, mac, ouiOrg, vendor, source, role string
		identity                                  map[string]any
	}
	for _, tc := range []struct {
		file  string
		wants []want
	}{
		{"snap7.pcap", []want{{
			ip: "134.217.61.211", id: "mac:00:0e:8c:d0:f9:cb", mac: "00:0e:8c:d0:f9:cb", ouiOrg: "Siemens AG",
			vendor: "Siemens", source: "identity", role: RolePLC,
			identity: map[string]any{"order_number": "6ES7 315-2EH14-0AB0", "module_name": "PLC_1", "firmware": "V3.2.7"},
		}}},
		{"s7ident.pcap", []want{{
			// A container's loopback capture: no MAC, the vendor comes
			// from the SZL answer alone.
			ip: "172.17.0.2", id: "ip:172.17.0.2", vendor: "Siemens", source: "identity", role: RolePLC,
			identity: map[string]any{"order_number": "6ES7 315-2EH14-0AB0", "serial": "S C-C2UR28922012", "firmware": "V3.2.6"},
		}}},
		{"enip_cip_example.pcap", []want{
			{ip: "192.168.10.120", id: "mac:00:00:bc:3e:eb:e4", mac: "00:00:bc:3e:eb:e4", ouiOrg: "Rockwell Automation",
				vendor: "Rockwell Automation", source: "oui", role: RolePLC},
			{ip: "192.168.1.22", id: "mac:00:1d:9c:c5:13:dd", mac: "00:1d:9c:c5:13:dd", ouiOrg: "Rockwell Automation",
				vendor: "Rockwell Automation", source: "oui", role: RolePLC},
			// The 1756-ENBT/A answers from behind a Cisco router: its
			// frames carry the router's MAC, its identity is its own.
			{ip: "10.1.1.164", id: "mac:00:19:07:24:3c:ca", mac: "00:19:07:24:3c:ca", ouiOrg: "Cisco Systems, Inc",
				vendor: "Rockwell Automation/Allen-Bradley", source: "identity", role: RolePLC,
				identity: map[string]any{"vendor": "Rockwell Automation/Allen-Bradley", "product": "1756-ENBT/A",
					"serial": "0x00524d8e", "revision": "4.3", "device_type": "Communications Adapter"}},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			inv := analyze(t, filepath.Join("../pipeline/testdata", tc.file))
			for _, w := range tc.wants {
				a := byIP(t, inv, w.ip)
				mac := ""
				if len(a.MACs) > 0 {
					mac = a.MACs[0]
				}
				if a.ID != w.id || mac != w.mac || a.OUIOrg != w.ouiOrg || a.Vendor != w.vendor || a.VendorSource != w.source ||
					!a.Observed || a.Declared || len(a.Roles) == 0 || a.Roles[0].Role != w.role {
					t.Errorf("%s: id %q mac %q oui %q vendor %q (%s) roles %+v observed %v declared %v",
						w.ip, a.ID, mac, a.OUIOrg, a.Vendor, a.VendorSource, a.Roles, a.Observed, a.Declared)
				}
				for k, v := range w.identity {
					if a.Identity[k] != v {
						t.Errorf("%s identity[%s] = %v, want %v", w.ip, k, a.Identity[k], v)
					}
				}
			}
		})
	}
}

// TestSchneiderDevice: none of the shared captures holds a Schneider
// device (no Schneider MAC block; the only device-identification request
// in them was refused), so one is generated: a Modicon answering Modbus
// Read Device Identification from a Telemecanique (Schneider) MAC block.
func TestSchneiderDevice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "schneider.pcap")
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	scada := synth.Host{Name: "scada", MAC: [6]byte{0x3c, 0x52, 0x82, 1, 0, 1}, IP: netip.MustParseAddr("10.0.0.10")}
	plc := synth.Host{Name: "m340", MAC: [6]byte{0x00, 0x80, 0xf4, 1, 0, 2}, IP: netip.MustParseAddr("10.0.0.20")}
	req := []byte{0, 1, 0, 0, 0, 5, 1, 0x2b, 0x0e, 0x01, 0x00}
	resp := []byte{0, 1, 0, 0, 0, 0, 1, 0x2b, 0x0e, 0x01, 0x01, 0x00, 0x00, 0x03}
	for i, v := range []string{"Schneider Electric", "BMX P34 2020", "v3.10"} {
		resp = append(resp, byte(i), byte(len(v)))
		resp = append(resp, v...)
	}
	resp[5] = byte(len(resp) - 6)
	b.TCPSession(scada, plc, 50200, 502, synth.Exchange{Data: req}, synth.Exchange{FromServer: true, Data: resp})
	if err := b.Stop(b.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(path, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	inv := analyze(t, path)
	a := byIP(t, inv, "10.0.0.20")
	if a.ID != "mac:00:80:f4:01:00:02" || a.OUIOrg != "TELEMECANIQUE ELECTRIQUE" || a.Vendor != "Schneider Electric" ||
		a.VendorSource != "identity" || a.Identity["product_code"] != "BMX P34 2020" || a.Identity["revision"] != "v3.10" ||
		len(a.Roles) == 0 || a.Roles[0].Role != RolePLC || len(a.Concern) != 0 {
		t.Errorf("schneider device %+v", a)
	}
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }
