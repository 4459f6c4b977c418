package synth

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"harborwatch/internal/testutil"
	"harborwatch/site"
)

// TestTelecontrolTshark dissects the substation-telecontrol scenario with
// tshark: nothing malformed, no expert error, and every IEC 104 type
// identification, U-format function and DNP3 function code the builders
// were meant to make.
func TestTelecontrolTshark(t *testing.T) {
	tshark := testutil.Tshark(t)
	b := terminalPcap(t, TerminalOptions{Scenarios: []string{"substation-telecontrol"}})
	file := filepath.Join(t.TempDir(), "telecontrol.pcap")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ts := tsharkRunner(tshark, file)
	clean(t, ts)
	for _, f := range []struct {
		field string
		want  []string
	}{
		// M_SP_NA_1, C_SC, C_DC, C_SE_NA/NB/NC, C_IC, C_CS, C_RP, and the
		// file transfer types F_FR, F_SR, F_SC, F_LS, F_AF, F_SG.
		{"iec60870_asdu.typeid", []string{"1", "100", "103", "105", "120", "121", "122", "123", "124", "125", "45", "46", "48", "49", "50"}},
		{"iec60870_104.utype", []string{"0x00000001", "0x00000002", "0x00000004", "0x00000008", "0x00000010", "0x00000020"}},
		{"iec60870_asdu.causetx", []string{"10", "13", "20", "3", "6", "7"}},
		// Confirm, Read, Write, Select, Operate, Direct Operate, Cold
		// Restart, Enable and Disable Unsolicited, Open and Close File,
		// Authentication Request; Response, Unsolicited Response,
		// Authentication Response.
		{"dnp3.al.func", []string{"0", "1", "129", "13", "130", "131", "2", "20", "21", "25", "26", "3", "32", "4", "5"}},
	} {
		t.Run(f.field, func(t *testing.T) {
			if got := distinct(t, ts, f.field); !slices.Equal(got, f.want) {
				t.Fatalf("got %q, want %q", got, f.want)
			}
		})
	}
}

// TestTelecontrolSite checks the model with the substation: only a
// scenario that needs it adds the power SCADA and substation zones, their
// three devices and their conduit, which the project's loader accepts and
// which allows the SCADA's reads, commands, clock and uploads but neither
// downloads nor restarts; and every one of them sends in the scenario's
// capture, from its declared MAC (or, routed, its router's).
func TestTelecontrolSite(t *testing.T) {
	opts := TerminalOptions{Cranes: 3, Scenarios: []string{"crane-egress", "substation-telecontrol"}}
	y, err := TerminalSiteYAML(opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := site.Parse("site.yaml", y)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := TerminalAssets(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Zones) != 2*3+7 || len(rows) != 10*3+11 || len(s.Assets) != len(rows) {
		t.Fatalf("%d zones, %d assets, %d rows", len(s.Zones), len(s.Assets), len(rows))
	}
	scada, sub := s.ZoneByID("power-scada"), s.ZoneByID("substation")
	if scada == nil || sub == nil || scada.Kind != site.KindPortOT || sub.Kind != site.KindCraneControl {
		t.Fatalf("zones %+v %+v", scada, sub)
	}
	for _, op := range []string{"read", "write", "config-change", "program-upload", "session", "auth"} {
		for _, p := range []struct {
			app  string
			port uint16
		}{{"iec104", 2404}, {"dnp3", 20000}} {
			if !s.AllowsOpAnyTime(scada, sub, p.app, p.port, op) {
				t.Errorf("%s %s not allowed", p.app, op)
			}
		}
	}
	for _, op := range []string{"program-download", "plc-stop", "firmware-update"} {
		if s.AllowsOpAnyTime(scada, sub, "dnp3", 20000, op) || s.AllowsOpAnyTime(scada, sub, "iec104", 2404, op) {
			t.Errorf("%s allowed", op)
		}
	}
	for _, o := range []TerminalOptions{{Cranes: 3}, {Cranes: 3, Scenarios: []string{"crane-egress"}}, {Cranes: 3, NoViolations: true, Scenarios: opts.Scenarios}} {
		y, err := TerminalSiteYAML(o)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(y, []byte("substation")) || bytes.Contains(y, []byte("10.60.")) {
			t.Errorf("%+v: the site has the substation", o)
		}
	}
	if _, err := TerminalAssets(TerminalOptions{Scenarios: []string{"power-cut"}}); !errors.Is(err, ErrUnknownScenario) {
		t.Errorf("TerminalAssets with an unknown scenario: %v", err)
	}
	power := map[netip.Addr][6]byte{}
	for _, r := range rows[len(rows)-3:] {
		power[netip.MustParseAddr(r.IP)] = mac(r.MAC)
	}
	seen := map[netip.Addr]bool{}
	for _, f := range parseAll(t, readPcap(t, terminalPcap(t, opts))) {
		if want, ok := power[f.ip]; ok {
			seen[f.ip] = true
			if f.src != want && f.src != GatewayMAC(uint16(max(f.vlan, 0))) {
				t.Errorf("%v sends from % x, site says % x", f.ip, f.src, want)
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("%d of the 3 power devices send", len(seen))
	}
}
