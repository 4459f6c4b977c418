package iec104

import (
	"reflect"
	"testing"

	"harborwatch/event"
)

// Hand-built APDUs for what the captures lack.
var (
	// C_RP_NA_1 act, common address 1, IOA 0, QRP 1 (general reset).
	resetProcess = []byte{0x68, 0x0E, 0, 0, 0, 0, 105, 1, 6, 0, 1, 0, 0, 0, 0, 1}
	// F_SG_NA_1 file, common address 1, IOA 7, file 3, section 1, 4 bytes.
	fileSegment = []byte{0x68, 0x15, 2, 0, 0, 0, 125, 1, 13, 0, 1, 0, 7, 0, 0, 3, 0, 1, 4, 'a', 'b', 'c', 'd'}
	// C_CS_NA_1 act: 2026-11-02 09:00:05.250.
	clockSync = []byte{0x68, 0x14, 4, 0, 0, 0, 103, 1, 6, 0, 1, 0, 0, 0, 0, 0x82, 0x14, 0, 9, 2, 11, 26}
)

func one(t *testing.T, b []byte, fromClient bool) (Message, map[string]any) {
	t.Helper()
	var a Analyzer
	var got []Message
	var det map[string]any
	n, err := a.Feed(b, fromClient, func(m *Message) {
		got = append(got, *m)
		det = map[string]any{}
		m.Detail(det)
	})
	if err != nil || n != len(b) || len(got) != 1 {
		t.Fatalf("Feed: %d of %d bytes, %d messages, %v", n, len(b), len(got), err)
	}
	return got[0], det
}

func TestCrafted(t *testing.T) {
	for _, tc := range []struct {
		name       string
		b          []byte
		fromClient bool
		msg, op    string
		request    bool
		detail     map[string]any
	}{
		{"reset process", resetProcess, true, "C_RP_NA_1", event.OpPLCStop, true,
			map[string]any{"values": []any{1}, "ioa": []int{0}, "cot": "Act"}},
		{"segment to the outstation", fileSegment, true, "F_SG_NA_1", event.OpProgramDownload, true,
			map[string]any{"ioa": []int{7}, "cot": "File"}},
		{"segment from the outstation", fileSegment, false, "F_SG_NA_1", event.OpProgramUpload, false,
			map[string]any{"ioa": []int{7}}},
		{"clock sync", clockSync, true, "C_CS_NA_1", event.OpConfigChange, true,
			map[string]any{"values": []any{"2026-11-02T09:00:05.250"}, "send_seq": 2}},
		{"startdt", []byte{0x68, 4, 7, 0, 0, 0}, true, "STARTDT act", event.OpSession, true, map[string]any{"format": "U"}},
		{"s frame", []byte{0x68, 4, 1, 0, 8, 0}, false, "S", event.OpSession, false, map[string]any{"recv_seq": 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, d := one(t, tc.b, tc.fromClient)
			if m.Name() != tc.msg || m.Op() != tc.op || m.Request() != tc.request || m.Malformed {
				t.Fatalf("got %s %s request=%v malformed=%v (%s)", m.Name(), m.Op(), m.Request(), m.Malformed, m.Status())
			}
			for k, v := range tc.detail {
				if !reflect.DeepEqual(d[k], v) {
					t.Errorf("detail %s = %#v, want %#v", k, d[k], v)
				}
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		b      []byte
		status string
	}{
		{"short", []byte{0x68, 2, 0, 0}, "APDU shorter than its control field"},
		{"no asdu", []byte{0x68, 4, 0, 0, 0, 0}, "I-format APDU without ASDU"},
		{"objects do not fit", []byte{0x68, 0x0E, 0, 0, 0, 0, 45, 2, 6, 0, 1, 0, 1, 0, 0, 1}, "ASDU length does not match its objects"},
		{"u unknown", []byte{0x68, 4, 0x17, 0, 0, 0}, "undefined U-format function"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := one(t, tc.b, true)
			if !m.Malformed || m.Status() != tc.status {
				t.Fatalf("malformed=%v status %q, want %q", m.Malformed, m.Status(), tc.status)
			}
		})
	}
}

// TestCapture checks what the analyzer makes of iec104.pcap beyond the
// counts: no malformed APDU, commands write from the client with their
// values, interrogated information read, spontaneous information io.
func TestCapture(t *testing.T) {
	recs, _, _ := replay(t, "testdata/iec104.pcap")
	ops := map[string]map[string]int{}
	var firstSC *record
	for i, r := range recs {
		if r.malformed || r.prefix != 0 {
			t.Fatalf("packet %d: %s malformed (%s)", r.packet, r.name, r.status)
		}
		if ops[r.name] == nil {
			ops[r.name] = map[string]int{}
		}
		ops[r.name][r.op]++
		if r.name == "C_SC_NA_1" && r.fromClient && firstSC == nil {
			firstSC = &recs[i]
		}
	}
	want := map[string]map[string]int{
		"C_SC_NA_1": {event.OpWrite: 6}, "C_IC_NA_1": {event.OpRead: 6}, "M_SP_NA_1": {event.OpRead: 2, event.OpIO: 1},
		"M_EI_NA_1": {event.OpIO: 1}, "TESTFR act": {event.OpSession: 4},
	}
	for name, w := range want {
		if !reflect.DeepEqual(ops[name], w) {
			t.Errorf("%s: ops %v, want %v", name, ops[name], w)
		}
	}
	if firstSC == nil || !firstSC.request || firstSC.detail["cot"] != "Act" || firstSC.detail["select"] == nil {
		t.Fatalf("first C_SC_NA_1 from the client: %+v", firstSC)
	}
}
