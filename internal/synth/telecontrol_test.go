package synth

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
		// M_SP_NA_1, C_SC, C_DC, C_SE_NA/NB/NC, C_IC, C_CS, C_RP, the
		// file transfer types F_FR, F_SR, F_SC, F_LS, F_AF, F_SG, and
		// M_EI_NA_1.
		{"iec60870_asdu.typeid", []string{"1", "100", "103", "105", "120", "121", "122", "123", "124", "125", "45", "46", "48", "49", "50", "70"}},
		{"iec60870_104.utype", []string{"0x00000001", "0x00000002", "0x00000004", "0x00000008", "0x00000010", "0x00000020"}},
		{"iec60870_asdu.causetx", []string{"10", "13", "20", "3", "4", "6", "7"}},
		// Confirm, Read, Write, Select, Operate, Direct Operate, Cold
		// and Warm Restart, Enable and Disable Unsolicited, Open and Close File,
		// Authentication Request; Response, Unsolicited Response,
		// Authentication Response.
		{"dnp3.al.func", []string{"0", "1", "129", "13", "130", "131", "14", "2", "20", "21", "25", "26", "3", "32", "4", "5"}},
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
	if len(s.Zones) != 2*3+9 || len(rows) != 10*3+13 || len(s.Assets) != len(rows) {
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
		if bytes.Contains(y, []byte("substation")) || bytes.Contains(y, []byte("10.60.1.")) || bytes.Contains(y, []byte("10.60.2.")) {
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

// TestTelecontrolBuilders checks the builders' bytes against the
// specifications' layouts, and the DNP3 CRC against the link header every
// DNP3 text quotes (a reset link states from master 1024 to outstation 1:
// 05 64 05 C0 01 00 00 04, CRC E9 21).
func TestTelecontrolBuilders(t *testing.T) {
	at := time.Date(2026, 11, 3, 9, 0, 16, 310_000_000, time.UTC) // a Tuesday
	l := &DNP3Link{Master: true, Dest: 10, Src: 1}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"STARTDT act", IEC104U(IEC104StartDTAct), "68 04 07 000000"},
		{"TESTFR con", IEC104U(IEC104TestFRCon), "68 04 83 000000"},
		{"S", IEC104S(5), "68 04 01 00 0a00"},
		{"C_DC_NA_1 select open", IEC104I(3, 7, IEC104ASDU(IEC104DoubleCommand, IEC104Act, false, 1, 2002, IEC104DCO(false, true))),
			"68 0e 0600 0e00 | 2e 01 06 00 0100 d20700 | 81"},
		{"C_SE_NC_1 negative con", IEC104ASDU(IEC104SetpointFloat, IEC104ActCon, true, 1, 3003, IEC104SetpointFloatEl(1.5, false)),
			"32 01 47 00 0100 bb0b00 | 0000c03f 00"},
		{"C_SE_NA_1 element", IEC104SetpointNormEl(-0.5, true), "00c0 80"},
		{"C_CS_NA_1 element", IEC104CP56(at), "b63f 00 09 43 0b 1a"},
		{"M_SP_NA_1 SQ", IEC104SinglePoints(IEC104Inrogen, 1, 1001, []bool{true, false, true}), "01 83 14 00 0100 e90300 | 01 00 01"},
		{"F_SG_NA_1 element", IEC104SegmentEl(7, 1, []byte{0xaa, 0xbb}), "0700 01 02 aabb"},
		{"DNP3 reset link", dnp3Frame(0xc0, 1, 1024, nil), "0564 05 c0 0100 0004 e921"},
		{"DNP3 read class 0", l.Frames(DNP3Request(3, DNP3Read, DNP3AllObjects(60, 1))),
			"0564 0b c4 0a00 0100 " + crcHex(0x05, 0x64, 0x0b, 0xc4, 0x0a, 0x00, 0x01, 0x00) + " | c0 c3 01 3c 01 06 " + crcHex(0xc0, 0xc3, 0x01, 0x3c, 0x01, 0x06)},
		{"DNP3 response IIN", DNP3ResponseFragment(3, DNP3Response, DNP3IINDeviceRestart|DNP3IINNeedTime, DNP3Delay(300)), "c3 81 9000 | 34 02 07 01 2c01"},
		{"DNP3 unsolicited", DNP3ResponseFragment(0, DNP3Unsolicited, 0, DNP3BinaryEvent(3, true)), "f0 82 0000 | 02 01 17 01 03 81"},
		{"CROB", DNP3CROB(2, DNP3Trip, 500, 0, 0), "0c 01 28 0100 0200 | 81 01 f4010000 00000000 00"},
		{"g41v2", DNP3AnalogOutput(1, -2, 0), "29 02 28 0100 0100 | feff 00"},
		{"g50v1", DNP3Time(time.UnixMilli(0x0102030405)), "32 01 07 01 050403020100"},
		{"g70v4", DNP3FileStatus(0x2a55, 600, 1024, 8, 0), "46 04 5b 01 0d00 | 552a0000 58020000 0004 0800 00"},
		{"g70v5 last", DNP3FileData(1, 1, true, []byte{9}), "46 05 5b 01 0900 | 01000000 01000080 09"},
		{"g120v2", DNP3AuthReply(7, 1, []byte{1, 2}), "78 02 5b 01 0800 | 07000000 0100 0102"},
		{"g0v252", DNP3DeviceAttribute(DNP3AttrVendor, "SEL"), "00 fc 00 00 00 | 01 03 53454c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := hex.DecodeString(strings.NewReplacer(" ", "", "|", "").Replace(tt.want))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tt.got, want) {
				t.Errorf("got  % x\nwant % x", tt.got, want)
			}
		})
	}
	// g70v3: the mode sits at octet 20 of the object, the name at 26.
	fc := DNP3FileCommand("/settings/spc1.txt", at, 330, DNP3FileWrite, 1024, 9)
	if o := fc[6:]; binary.LittleEndian.Uint16(fc[4:]) != uint16(len(o)) || binary.LittleEndian.Uint16(o[20:]) != DNP3FileWrite ||
		string(o[26:]) != "/settings/spc1.txt" || binary.LittleEndian.Uint16(o[2:]) != 18 {
		t.Errorf("g70v3 % x", fc)
	}
}

// dnp3Frame frames user data as DNP3Link does, with any control octet.
func dnp3Frame(ctrl byte, dest, src uint16, user []byte) []byte {
	h := []byte{0x05, 0x64, byte(5 + len(user)), ctrl, byte(dest), byte(dest >> 8), byte(src), byte(src >> 8)}
	return binary.LittleEndian.AppendUint16(h, dnp3CRC(h))
}

func crcHex(b ...byte) string {
	return hex.EncodeToString(binary.LittleEndian.AppendUint16(nil, dnp3CRC(b)))
}

// FuzzTelecontrol feeds arbitrary data to the telecontrol builders: none
// may panic; every IEC 104 APDU's length octet must count what follows
// it (at most 253), and DNP3 link frames must read back, by their length
// octets and CRCs, into transport segments numbered from FIR to FIN whose
// payloads are the application fragment.
func FuzzTelecontrol(f *testing.F) {
	f.Add([]byte("rated_power_kva = 2000"), uint16(7), uint8(3))
	f.Add(make([]byte, 600), uint16(0xffff), uint8(63))
	f.Add([]byte{}, uint16(0), uint8(0))
	f.Add(shorePowerSettings, uint16(300), uint8(62))
	f.Fuzz(func(t *testing.T, data []byte, n uint16, seq uint8) {
		if len(data) > 5000 {
			data = data[:5000]
		}
		for _, a := range [][]byte{IEC104U(seq), IEC104S(n), IEC104I(n, n, data),
			IEC104I(n, 0, IEC104ASDU(IEC104Segment, IEC104File, true, n, uint32(n)<<8, IEC104SegmentEl(n, seq, data))),
			IEC104I(0, n, IEC104SinglePoints(seq, n, uint32(n), make([]bool, len(data)))),
			IEC104I(1, 2, IEC104ASDU(IEC104ClockSync, IEC104Act, false, 1, 0, IEC104CP56(time.UnixMilli(int64(n)*1e9))))} {
			if a[0] != 0x68 || int(a[1]) != len(a)-2 || a[1] > 253 || a[1] < 4 {
				t.Fatalf("APDU % x", a[:2])
			}
		}
		if a := DNP3DeviceAttribute(seq, string(data)); int(a[6]) != len(a)-7 {
			t.Fatalf("attribute length %d of %d", a[6], len(a)-7)
		}
		app := DNP3Request(seq, DNP3Write, DNP3FileData(uint32(n), uint32(seq), n%2 == 0, data), DNP3FileCommand(string(data), time.Time{}, 0, 1, n, n))
		l := &DNP3Link{Master: n%2 == 1, Dest: n, Src: ^n, seq: seq & 0x3f}
		b := l.Frames(app)
		var got []byte
		next := seq & 0x3f
		for i := 0; len(b) > 0; i++ {
			if len(b) < 10 || b[0] != 0x05 || b[1] != 0x64 || dnp3CRC(b[:8]) != binary.LittleEndian.Uint16(b[8:]) {
				t.Fatalf("frame %d header % x", i, b[:min(len(b), 10)])
			}
			user := int(b[2]) - 5
			r := b[10:]
			var seg []byte
			for k := user; k > 0; {
				m := min(16, k)
				if len(r) < m+2 || dnp3CRC(r[:m]) != binary.LittleEndian.Uint16(r[m:]) {
					t.Fatalf("frame %d block CRC", i)
				}
				seg = append(seg, r[:m]...)
				r, k = r[m+2:], k-m
			}
			th := seg[0]
			if th&0x3f != next || (th&0x40 != 0) != (i == 0) || (th&0x80 != 0) != (len(r) == 0) {
				t.Fatalf("segment %d: transport header %#x", i, th)
			}
			next = (next + 1) & 0x3f
			got = append(got, seg[1:]...)
			b = r
		}
		if !bytes.Equal(got, app) {
			t.Fatal("the segments do not make the fragment")
		}
	})
}
