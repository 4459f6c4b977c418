package modbus

import (
	"maps"
	"reflect"
	"testing"

	"harborwatch/event"
)

// TestCaptures holds, per capture, the ADUs, framing errors, malformed
// PDUs and ops the analyzer finds, each non-zero count explained.
func TestCaptures(t *testing.T) {
	for _, tc := range []struct {
		file      string
		adus      int
		framing   int
		malformed map[string]int // status → count
		ops       map[string]int
	}{
		{"modbus_example.pcap", 48, 0, map[string]int{},
			map[string]int{event.OpRead: 22, event.OpWrite: 18, event.OpDiagnostics: 6, event.OpIdentity: 2}},
		{"modbus_test.pcap", 2258, 0, map[string]int{},
			map[string]int{event.OpRead: 2132, event.OpWrite: 126}},
		// Framing: the connection from port 2585 carries a foreign stream
		// whose MBAP length would be 0x8804 (packets 76, 78) and ADUs with
		// protocol id 0x0010 (80, 82); on the connection opened from port 502
		// packet 111 carries three bytes past its ADU, which with packet 113
		// make protocol id 0x2300. tshark dissects none of those as Modbus.
		// Malformed: that connection's ten exception PDUs come from its
		// client; the two Read Device Identification requests (32, 34) carry
		// a byte past object id (§6.21 defines three).
		{"modbus_test_data_part1.pcap", 45, 5, map[string]int{"EXCEPTION_IN_REQUEST": 10, "BAD_LENGTH": 2},
			map[string]int{event.OpDiagnostics: 20, event.OpIdentity: 2, event.OpOther: 1, event.OpRead: 16,
				event.OpWrite: 6}},
		// A scanner sends four zero bytes to every function code 0-127: nine
		// functions define another request size (6, 11, 12, 17, 22, 24) or a
		// byte count the zeros contradict (20, 21, 23); tshark flags 22 and
		// 23 as malformed too. Function 125 is FIRMWARE_REPLACEMENT.
		{"modbus_test_data_part2.pcap", 281, 0, map[string]int{"BAD_LENGTH": 6, "BAD_BYTE_COUNT": 2, "TRUNCATED": 1},
			map[string]int{event.OpDiagnostics: 10, event.OpFirmwareUpdate: 2, event.OpOther: 218, event.OpRead: 37,
				event.OpWrite: 14}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r := replay(t, "testdata/"+tc.file, false)
			malformed, ops := map[string]int{}, map[string]int{}
			for _, x := range r.Records {
				if x.Malformed {
					malformed[x.Status]++
				}
				ops[x.Op]++
			}
			if len(r.Records) != tc.adus || r.FramingErrors != tc.framing || r.Gaps != 0 || r.Retransmitted != 0 {
				t.Errorf("%d ADUs, %d framing errors, %d gaps, %d retransmissions; want %d, %d, 0, 0",
					len(r.Records), r.FramingErrors, r.Gaps, r.Retransmitted, tc.adus, tc.framing)
			}
			if !maps.Equal(malformed, tc.malformed) {
				t.Errorf("malformed %v, want %v", malformed, tc.malformed)
			}
			if !reflect.DeepEqual(ops, tc.ops) {
				t.Errorf("ops %v, want %v", ops, tc.ops)
			}
		})
	}
}

// TestCaptureIdentity: the device identity of modbus_example.pcap, as
// Detail gives it to the asset records.
func TestCaptureIdentity(t *testing.T) {
	for _, x := range replay(t, "testdata/modbus_example.pcap", true).Records {
		if x.Op == event.OpIdentity && !x.FromClient {
			want := map[string]any{"vendor": "Zeek Modbus Test", "product_code": "Protocol Parsing is fun!",
				"revision": "1.2.3.6"}
			if got := x.Detail["identity"]; !reflect.DeepEqual(got, want) {
				t.Fatalf("identity %v, want %v", got, want)
			}
			return
		}
	}
	t.Fatal("no identity response")
}
