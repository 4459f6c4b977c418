package pipeline

import (
	"context"
	"testing"

	"harborwatch/event"
)

// TestTelecontrolEvents runs the IEC 60870-5-104 and DNP3 analyzers'
// captures through the pipeline: every command and control PDU the
// analyzers' own tests count becomes an event with its operation and
// direction.
func TestTelecontrolEvents(t *testing.T) {
	type key struct{ proto, name, op, dir string }
	for _, tc := range []struct {
		file string
		want map[key]int
	}{
		{"../ics/iec104/testdata/iec104.pcap", map[key]int{
			{"iec104", "C_SC_NA_1", event.OpWrite, "request"}:     2,
			{"iec104", "C_SC_NA_1", event.OpWrite, "response"}:    4,
			{"iec104", "C_IC_NA_1", event.OpRead, "request"}:      2,
			{"iec104", "STARTDT act", event.OpSession, "request"}: 1,
		}},
		{"../ics/dnp3/testdata/dnp3_example.pcap", map[key]int{
			{"dnp3", "Select", event.OpWrite, "request"}:  134,
			{"dnp3", "Operate", event.OpWrite, "request"}: 133,
			{"dnp3", "Read", event.OpRead, "request"}:     97,
		}},
		{"../ics/dnp3/testdata/dnp3_test_data_part1.pcap", map[key]int{
			{"dnp3", "Cold Restart", event.OpPLCStop, "request"}:                      2,
			{"dnp3", "Warm Restart", event.OpPLCStop, "request"}:                      2,
			{"dnp3", "Disable Spontaneous Messages", event.OpConfigChange, "request"}: 7,
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			res, err := Run(context.Background(), openFile(t, tc.file), Options{Workers: 2, Events: true})
			if err != nil {
				t.Fatal(err)
			}
			got := map[key]int{}
			for _, e := range res.Events {
				got[key{e.Proto, e.Name, e.Op, e.Dir}]++
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Errorf("%+v: %d events, want %d", k, got[k], n)
				}
			}
		})
	}
}
