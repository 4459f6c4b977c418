package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStreamsFoldToReport runs analyze with --findings, --flows and
// --events beside the JSON report: the last line of each finding id in the
// findings stream is that finding in the report (inventory findings
// included), the flows log has one final line per flow the report counts,
// each with its uid, endpoints and zones, and the events are in time order.
func TestStreamsFoldToReport(t *testing.T) {
	for _, workers := range []string{"1", "2"} {
		t.Run("workers="+workers, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "report.json")
			fnd := filepath.Join(dir, "findings.jsonl")
			flw := filepath.Join(dir, "flows.jsonl")
			evs := filepath.Join(dir, "events.jsonl")
			obs := filepath.Join(dir, "observations.jsonl")
			r := runCLI(t, nil, "analyze", "--site", exampleSite, "--format", "json", "--workers", workers,
				"--out", out, "--findings", fnd, "--flows", flw, "--events", evs, "--observations", obs, examplePcap)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var doc struct {
				Findings []json.RawMessage `json:"findings"`
				Stats    struct {
					Flows uint64 `json:"flows"`
				} `json:"stats"`
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for _, f := range doc.Findings {
				var id struct{ ID string }
				json.Unmarshal(f, &id)
				want[id.ID] = compact(t, f)
			}
			got := map[string]string{}
			news := 0
			for _, l := range lines(t, fnd) {
				var u struct {
					Kind    string
					At      string
					Finding json.RawMessage
				}
				if err := json.Unmarshal(l, &u); err != nil {
					t.Fatalf("findings line %s: %v", l, err)
				}
				var id struct{ ID string }
				json.Unmarshal(u.Finding, &id)
				if u.Kind == "new" {
					news++
				} else if u.Kind != "changed" {
					t.Errorf("update kind %q", u.Kind)
				}
				got[id.ID] = compact(t, u.Finding)
			}
			if len(want) < 20 || len(got) != len(want) || news != len(want) {
				t.Errorf("%d findings in the stream (%d new), %d in the report", len(got), news, len(want))
			}
			for id, w := range want {
				if got[id] != w {
					t.Errorf("finding %s:\nstream %s\nreport %s", id, got[id], w)
				}
			}
			final := uint64(0)
			for _, l := range lines(t, flw) {
				var f struct {
					UID      string `json:"uid"`
					OrigH    string `json:"orig_h"`
					RespH    string `json:"resp_h"`
					Proto    string `json:"proto"`
					Service  string `json:"service"`
					OrigZone string `json:"orig_zone"`
					End      string `json:"end"`
					OrigPkts uint64 `json:"orig_pkts"`
					Open     bool   `json:"open"`
				}
				if err := json.Unmarshal(l, &f); err != nil {
					t.Fatal(err)
				}
				if len(f.UID) != 21 || f.OrigH == "" || f.RespH == "" || f.Proto == "" || f.Service == "" || f.OrigZone == "" || f.OrigPkts == 0 {
					t.Errorf("flow line lacks fields: %s", l)
				}
				if !f.Open {
					final++
					if f.End == "" {
						t.Errorf("final flow line without end: %s", l)
					}
				}
			}
			if final != doc.Stats.Flows {
				t.Errorf("%d final flow lines, report counts %d flows", final, doc.Stats.Flows)
			}
			kinds := map[string]int{}
			for _, l := range lines(t, obs) {
				var o struct {
					Kind, Via, Capture string
					Packet             int64
				}
				if err := json.Unmarshal(l, &o); err != nil {
					t.Fatal(err)
				}
				if o.Via == "" || o.Capture == "" || o.Packet == 0 {
					t.Errorf("observation line lacks fields: %s", l)
				}
				kinds[o.Kind]++
			}
			// The example: its 32 devices seen and the addresses seen with
			// them (a host may be news in both shards), and the S7, CIP
			// and Modbus identities.
			if kinds["host"] < 32 || kinds["identity"] < 3 {
				t.Errorf("observations by kind %v", kinds)
			}
			var prev time.Time
			n := 0
			for _, l := range lines(t, evs) {
				var ev struct{ TS time.Time }
				if err := json.Unmarshal(l, &ev); err != nil {
					t.Fatal(err)
				}
				if ev.TS.Before(prev) {
					t.Fatalf("event at %s after one at %s", ev.TS, prev)
				}
				prev = ev.TS
				n++
			}
			if n < 1000 {
				t.Errorf("%d events", n)
			}
		})
	}
}

func lines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
