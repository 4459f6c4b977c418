package detect

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/app"
	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/site"
)

const icsSite = `version: 1
zones:
  - {id: ctl, kind: crane-control, cidrs: [10.10.1.0/24]}
  - {id: mgmt, kind: crane-management, cidrs: [10.10.9.0/24]}
  - {id: tos, kind: business, cidrs: [10.50.0.0/16]}
conduits:
  - {from: mgmt, to: ctl, protocols: [s7comm], operations: [read, diagnostics, identity, session]}
  - {from: mgmt, to: ctl, protocols: [s7comm], operations: [write, program-download], windows: [weekly]}
  - {from: tos, to: ctl, protocols: [s7comm], operations: [read]}
change_windows:
  - {id: weekly, start: "2026-11-02T08:00:00Z", end: "2026-11-02T12:00:00Z", every: 168h}
`

func TestICSOps(t *testing.T) {
	st, err := site.Parse("ics.yaml", []byte(icsSite))
	if err != nil {
		t.Fatal(err)
	}
	inWindow := time.Date(2026, 11, 9, 9, 0, 0, 0, time.UTC).UnixNano()   // a Monday, 09:00
	outWindow := time.Date(2026, 11, 9, 13, 0, 0, 0, time.UTC).UnixNano() // same day, 13:00
	type req struct {
		client, op string
		ts         int64
		status     string // the response
	}
	tests := []struct {
		name   string
		site   *site.Site
		reqs   []req
		want   []string
		detail string
	}{
		{"download from management inside the window is allowed", st,
			[]req{{"10.10.9.20", event.OpProgramDownload, inWindow, ""}}, nil, ""},
		{"download from management outside the window is critical", st,
			[]req{{"10.10.9.20", event.OpProgramDownload, outWindow, ""}, {"10.10.9.20", event.OpProgramDownload, outWindow, "access denied"}},
			[]string{"critical ics.program-download"}, "map[accepted:1 functions:[Request download] objects:[OB1] rejected:map[access denied:1]]"},
		{"stop from management: no conduit allows it, high", st,
			[]req{{"10.10.9.20", event.OpPLCStop, inWindow, ""}}, []string{"high ics.plc-stop"}, ""},
		{"download from business is critical where its conduit allows reads only", st,
			[]req{{"10.50.7.77", event.OpProgramDownload, inWindow, ""}}, []string{"critical ics.program-download"}, ""},
		{"reads and identity are never findings", st,
			[]req{{"10.50.7.77", event.OpRead, outWindow, ""}, {"10.50.7.77", event.OpIdentity, outWindow, ""}}, nil, ""},
		{"write outside the window into control", st,
			[]req{{"10.10.9.20", event.OpWrite, outWindow, ""}}, []string{"high ics.write"}, ""},
		{"failed auth", st,
			[]req{{"10.50.7.77", event.OpAuth, outWindow, "invalid password"}, {"10.50.7.77", event.OpAuth, outWindow, ""}},
			[]string{"medium ics.auth-failure"}, ""},
		{"no site: stop is critical", nil,
			[]req{{"10.50.7.77", event.OpPLCStop, outWindow, ""}}, []string{"critical ics.plc-stop"}, ""},
		{"no site: writes are events only", nil,
			[]req{{"10.50.7.77", event.OpWrite, outWindow, ""}}, nil, ""},
		{"no site: config change is high", nil,
			[]req{{"10.50.7.77", event.OpConfigChange, outWindow, ""}}, []string{"high ics.config-change"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngines(tt.site)
			s := e.shard()
			for i, r := range tt.reqs {
				c := conn(r.client+":40000", "10.10.1.5:102", 6, app.S7comm, 0)
				m := finding.Mark{Packet: int64(2*i + 1)}
				if s.Op(&c, r.op, "Request download", []byte("OB1"), m, r.ts) || r.op == event.OpAuth {
					s.OpResult(&c, r.op, r.status, finding.Mark{Packet: int64(2*i + 2)}, r.ts+1e6)
				}
			}
			res := e.finish([]shard{s}, []string{"t.pcap"})
			var got []string
			for _, f := range res.Findings {
				got = append(got, fmt.Sprintf("%s %s", f.Severity, f.Rule))
				if len(f.Controls) == 0 || !strings.Contains(f.Title, "s7comm") {
					t.Errorf("finding %q: controls %v", f.Title, f.Controls)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings %q, want %q", got, tt.want)
			}
			if tt.detail != "" {
				d := res.Findings[0].Detail
				delete(d, "packets")
				delete(d, "bytes")
				if fmt.Sprint(d) != tt.detail {
					t.Errorf("detail %v, want %s", d, tt.detail)
				}
			}
		})
	}
	if r, ok := finding.Lookup(finding.RuleICSAuthFailure); !ok || r.Title == "" {
		t.Errorf("no rule %s in the table", finding.RuleICSAuthFailure)
	}
}

// TestOpRules checks the rule table's operations against the event
// vocabulary: every rule's Op is an operation, judged by that rule, and
// the operations that are never findings by themselves have no rule.
func TestOpRules(t *testing.T) {
	judged := 0
	for _, r := range finding.Rules() {
		if r.Op == "" {
			continue
		}
		judged++
		if !slices.Contains(event.Ops, r.Op) {
			t.Errorf("rule %s judges %q, not an event operation", r.ID, r.Op)
		}
		if got := opRule(r.Op); got != r.ID || !Judges(r.Op) {
			t.Errorf("opRule(%q) = %q, want %s", r.Op, got, r.ID)
		}
	}
	if judged != 8 {
		t.Errorf("%d rules judge an operation, want 8", judged)
	}
	for _, op := range []string{event.OpRead, event.OpIdentity, event.OpDiagnostics, event.OpAuth, "no-such-op"} {
		if Judges(op) {
			t.Errorf("Judges(%q)", op)
		}
	}
}
