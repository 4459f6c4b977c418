package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"harborwatch/event"
)

// TestICSEvents runs the snap7 capture (a client uploading, downloading,
// stopping and starting a PLC) through the whole path with events on: one
// event per S7 PDU, request and response paired, each with an operation
// of the vocabulary and the protocol's function code. The counts are the
// PDUs the ICSNPP peer logs plus the refusals it drops (see ics/s7).
func TestICSEvents(t *testing.T) {
	res, err := Run(context.Background(), open(t, "snap7.pcap"), Options{Workers: 2, Events: true})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range res.Events {
		if e.Proto != "s7comm" || e.Func == nil || !slices.Contains(event.Ops, e.Op) || e.Packet == 0 {
			t.Fatalf("event %+v", e)
		}
		count[e.Dir+" "+e.Op]++
	}
	want := map[string]int{"config-change": 2, "diagnostics": 4, "identity": 4, "plc-start": 1, "plc-stop": 1,
		"program-download": 1, "program-upload": 13, "read": 3, "session": 1, "write": 2}
	for op, n := range want {
		for _, dir := range []string{"request", "response"} {
			if count[dir+" "+op] != n {
				t.Errorf("%s %s: %d events, want %d", dir, op, count[dir+" "+op], n)
			}
		}
	}
	if len(res.Events) != 64 {
		t.Errorf("%d events, want 64 (one per S7 PDU)", len(res.Events))
	}
	// Without a site every drastic operation is a finding; writes are not.
	var rules []string
	for _, f := range res.Findings {
		rules = append(rules, fmt.Sprintf("%s %s", f.Severity, f.Rule))
	}
	got := strings.Join(rules, ", ")
	if got != "critical ics.plc-stop, critical ics.program-download, critical ics.program-upload, high ics.config-change, high ics.plc-start" {
		t.Errorf("findings: %s", got)
	}
}
