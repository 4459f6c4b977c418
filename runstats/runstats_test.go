package runstats

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTotals(t *testing.T) {
	st := Stats{
		Captures:     []Capture{{File: "a.pcap"}, {File: "b.pcap", Error: "b.pcap: damaged at byte 24", DamageOffset: 24}, {File: "c.pcap", Error: "c.pcap: damaged at byte 9"}},
		DecodeErrors: map[string]uint64{"ipv4": 2, "tcp": 3, "modbus": 1},
	}
	if n := st.Damaged(); n != 2 {
		t.Errorf("Damaged() = %d, want 2", n)
	}
	if n := st.DecodeErrorTotal(); n != 6 {
		t.Errorf("DecodeErrorTotal() = %d, want 6", n)
	}
	var zero Stats
	if zero.Damaged() != 0 || zero.DecodeErrorTotal() != 0 {
		t.Error("the zero Stats counts something")
	}
}

// TestJSONNames pins the names of the report's "stats" object
// (docs/formats/report.md): the fields that depend on sharding stay out,
// and the optional ones are left out when empty.
func TestJSONNames(t *testing.T) {
	t0 := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	st := Stats{
		Captures: []Capture{{File: "a.pcap", Packets: 3, Bytes: 180}},
		Packets:  3, Bytes: 180, Flows: 1, ExpiredFlows: 1, PeakFlows: 1,
		DecodeErrors: map[string]uint64{}, FirstTS: &t0, LastTS: &t0,
		Analyzers: map[string]Analyzer{"modbus": {Confirmed: 2, Violations: 1}},
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"captures":[{"file":"a.pcap","packets":3,"bytes":180}],"packets":3,"bytes":180,"flows":1,"evicted_flows":0,` +
		`"decode_errors":{},"fragments":0,"truncated":0,"non_ip":0,"tcp_gaps":0,"tcp_dropped_bytes":0,"tcp_shed_bytes":0,"hosts_dropped":0,` +
		`"external_dropped":0,"first_ts":"2026-11-03T09:00:00Z","last_ts":"2026-11-03T09:00:00Z",` +
		`"analyzers":{"modbus":{"confirmed":2,"violations":1}}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	st.Captures[0].Error, st.Captures[0].DamageOffset = "a.pcap: damaged at byte 200", 200
	st.Routers, st.EventsLate = []string{"00:11:22:33:44:55"}, 2
	st.UnknownLinkTypes = map[string]uint64{"LINKTYPE_147": 4}
	st.Filter, st.Filtered = "tcp port 502", 7
	b, _ = json.Marshal(st)
	for _, part := range []string{`"filter":"tcp port 502","filtered":7`, `"error":"a.pcap: damaged at byte 200","damage_offset":200`, `"routers":["00:11:22:33:44:55"]`, `"events_late":2`, `"unknown_link_types":{"LINKTYPE_147":4}`} {
		if !json.Valid(b) || !strings.Contains(string(b), part) {
			t.Errorf("%s lacks %s", b, part)
		}
	}
}
