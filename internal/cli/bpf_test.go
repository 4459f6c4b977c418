package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAnalyzeBPF: analyze --bpf analyzes only the packets the filter
// selects (2,859 of the example's 11,096 are Modbus/TCP on VLAN 110, as
// tshark -Y 'vlan.id == 110 && tcp.port == 502' counts), reports the
// rest in stats.filtered and the text report, and keeps only findings
// about that traffic.
func TestAnalyzeBPF(t *testing.T) {
	const expr = "vlan 110 and tcp port 502"
	r := runCLI(t, nil, "analyze", "--site", exampleSite, "--format", "json", "--bpf", expr, examplePcap)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Stats struct {
			Packets  uint64 `json:"packets"`
			Filter   string `json:"filter"`
			Filtered uint64 `json:"filtered"`
			Captures []struct {
				Packets uint64 `json:"packets"`
			} `json:"captures"`
		} `json:"stats"`
		Findings []struct {
			Rule      string `json:"rule"`
			Transport string `json:"transport"`
			DPort     int    `json:"dport"`
			App       string `json:"app"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	st := doc.Stats
	if st.Packets != 2859 || st.Filtered != 11096-2859 || st.Filter != expr || len(st.Captures) != 1 || st.Captures[0].Packets != 2859 {
		t.Errorf("stats: %+v; want 2859 packets, %d filtered, filter %q", st, 11096-2859, expr)
	}
	if len(doc.Findings) == 0 {
		t.Fatal("no findings: the Modbus traffic of VLAN 110 has some")
	}
	for _, f := range doc.Findings {
		if f.Transport != "" && (f.Transport != "tcp" || f.DPort != 502) {
			t.Errorf("finding %s on %s/%d (%s): traffic the filter left out", f.Rule, f.Transport, f.DPort, f.App)
		}
	}
	all := runCLI(t, nil, "analyze", "--site", exampleSite, "--format", "json", examplePcap)
	if strings.Contains(all.stdout, `"filtered"`) || strings.Contains(all.stdout, `"filter"`) {
		t.Error("a run without --bpf reports a filter")
	}
	text := runCLI(t, nil, "analyze", "--bpf", expr, examplePcap)
	if !strings.Contains(text.stdout, `filter   8,237 packets left out by --bpf "vlan 110 and tcp port 502" (not analyzed)`) {
		t.Errorf("the text report does not say what the filter left out:\n%s", text.stdout)
	}
}

// TestBPFErrors: a bad expression is bad usage (exit 2) naming the
// column; the help teaches the subset.
func TestBPFErrors(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"tcp port http", `column 10: port: "http" is not a port number (port names are not resolved)`},
		{"ip[9] = 6", "column 3"},
		{"host 10.0.0.1 and (tcp", "column 23: want ')' to close the '(' at column 19"},
	} {
		r := runCLI(t, nil, "analyze", "--bpf", tc.expr, examplePcap)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "--bpf") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.expr, r.code, r.stderr, tc.want)
		}
	}
	for _, cmd := range []string{"analyze", "sensor"} {
		h := runCLI(t, nil, cmd, "--help")
		for _, want := range []string{"--bpf EXPR", "portrange N-M", "vlan, vlan ID", "no libpcap", "'tcp port 502 or 102'"} {
			if !strings.Contains(h.stdout, want) {
				t.Errorf("%s --help lacks %q", cmd, want)
			}
		}
	}
}
