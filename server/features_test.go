package server

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harborwatch/export"
	"harborwatch/finding"
	"harborwatch/internal/tlsself"
	"harborwatch/store"
	"harborwatch/vuln"
)

// loaded is a server with the example site and capture analyzed.
func loaded(t *testing.T, mod func(*Config)) (*harness, []store.Finding) {
	t.Helper()
	h := startServer(t, t.TempDir(), mod)
	h.must(200, "PUT", "/api/v1/sites/t3", store.Admin, readFile(t, exampleSite), nil)
	if c := h.waitCapture(upload(h, "t3", examplePcap)); c.Status != store.Done {
		t.Fatalf("capture: %s %s", c.Status, c.Error)
	}
	return h, h.allFindings("site=t3")
}

// TestSuppressions: a suppression hides the findings it matches (state
// suppressed, counted), deleting it shows them again, an expired one
// stops by itself, and a bad one is refused.
func TestSuppressions(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	h, fs := loaded(t, func(c *Config) { c.Now = func() time.Time { return clock() } })
	rule := fs[0].Rule
	want := 0
	for _, f := range fs {
		if f.Rule == rule {
			want++
		}
	}
	var sp store.Suppression
	h.must(201, "POST", "/api/v1/suppressions", store.Analyst, map[string]any{"rule": rule, "site": "t3", "reason": "accepted risk until the crane 4 refit", "expires_in": "2h"}, &sp)
	if sp.Hidden != want || sp.Author != "token:test-analyst" || sp.ID == "" {
		t.Fatalf("suppression %+v hides %d, want %d", sp, sp.Hidden, want)
	}
	if got := h.allFindings("state=suppressed"); len(got) != want {
		t.Errorf("state=suppressed: %d findings, want %d", len(got), want)
	}
	if got := h.allFindings("state=open"); len(got) != len(fs)-want {
		t.Errorf("state=open: %d findings, want %d", len(got), len(fs)-want)
	}
	var list struct{ Suppressions []map[string]any }
	h.must(200, "GET", "/api/v1/suppressions", store.Viewer, nil, &list)
	if len(list.Suppressions) != 1 || list.Suppressions[0]["active"] != true || list.Suppressions[0]["hidden"] != float64(want) {
		t.Errorf("suppressions: %+v", list.Suppressions)
	}
	// Three hours later it has expired: the findings are open again.
	now = now.Add(3 * time.Hour)
	if got := h.allFindings("state=suppressed"); len(got) != 0 {
		t.Errorf("after expiry state=suppressed lists %d", len(got))
	}
	if got := h.allFindings("state=open"); len(got) != len(fs) {
		t.Errorf("after expiry state=open lists %d, want %d", len(got), len(fs))
	}
	h.must(201, "POST", "/api/v1/suppressions", store.Analyst, map[string]any{"rule": rule, "reason": "for good"}, &sp)
	if got := h.allFindings("state=suppressed"); len(got) != want {
		t.Errorf("second suppression hides %d, want %d", len(got), want)
	}
	h.must(204, "DELETE", "/api/v1/suppressions/"+sp.ID, store.Analyst, nil, nil)
	if got := h.allFindings("state=suppressed"); len(got) != 0 {
		t.Errorf("after delete state=suppressed lists %d", len(got))
	}
	for _, bad := range []map[string]any{
		{"rule": "no.such.rule", "reason": "x"},
		{"rule": rule},
		{"rule": rule, "reason": "x", "src": "10.0.0.300"},
	} {
		if code, body := h.do("POST", "/api/v1/suppressions", store.Analyst, bad); code != 422 {
			t.Errorf("suppression %v: %d %s", bad, code, body)
		}
	}
	if code, _ := h.do("POST", "/api/v1/suppressions", store.Analyst, map[string]any{"rule": rule, "reason": "x", "sql": "1"}); code != 400 {
		t.Errorf("unknown field: %d, want 400", code)
	}
	if code, _ := h.do("POST", "/api/v1/findings/"+fs[0].ID+"/state", store.Analyst, map[string]string{"state": "suppressed", "reason": "x"}); code != 400 {
		t.Errorf("state suppressed set by hand: %d, want 400", code)
	}
	if code, _ := h.do("POST", "/api/v1/findings/"+fs[0].ID+"/state", store.Analyst, map[string]string{"state": "resolved"}); code != 400 {
		t.Errorf("resolved without a reason: %d, want 400", code)
	}
}

// TestResolvedReopens: a resolved finding seen again in a later capture
// is open again, with the reopening in its history.
func TestResolvedReopens(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ecs.jsonl")
	x, err := export.Open("file:"+out, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, fs := loaded(t, func(c *Config) { c.Exporters = []export.Exporter{x} })
	id := fs[0].ID
	h.must(200, "POST", "/api/v1/findings/"+id+"/state", store.Analyst, map[string]string{"state": "resolved", "reason": "firewall rule 12 added"}, nil)
	if c := h.waitCapture(upload(h, "t3", examplePcap)); c.Status != store.Done {
		t.Fatal(c.Error)
	}
	var f store.Finding
	h.must(200, "GET", "/api/v1/findings/"+id, store.Viewer, nil, &f)
	if f.State != store.Open || f.Occurrences != 2 {
		t.Errorf("resolved finding seen again: state %s occurrences %d", f.State, f.Occurrences)
	}
	var hist struct{ History []store.Change }
	h.must(200, "GET", "/api/v1/findings/"+id+"/history", store.Viewer, nil, &hist)
	reopened := false
	for _, c := range hist.History {
		if c.From == store.Resolved && c.To == store.Open {
			reopened = true
		}
	}
	if !reopened {
		t.Errorf("history lacks the reopening: %+v", hist.History)
	}
	waitSent(t, x, uint64(2*len(fs)+1)) // new, state, then reopened or seen: exported after the run is recorded
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(readFile(t, out))), "\n")
	kinds := map[string]int{}
	for _, l := range lines {
		var line struct {
			Event struct{ Action, ID string } `json:"event"`
		}
		json.Unmarshal([]byte(l), &line)
		kinds[line.Event.Action]++
		if line.Event.Action == "reopened" && line.Event.ID != id {
			t.Errorf("reopened %s, want %s", line.Event.ID, id)
		}
	}
	if kinds["new"] != len(fs) || kinds["reopened"] != 1 || kinds["seen"] != len(fs)-1 || kinds["state"] != 1 {
		t.Errorf("exported %v; want %d new, 1 state, 1 reopened, %d seen", kinds, len(fs), len(fs)-1)
	}
}

// TestWatchFolder: a capture dropped into WATCH/SITE/ is ingested once,
// moved to .done/; the same file again is not analyzed again; a file that
// is not a capture goes to .failed/.
func TestWatchFolder(t *testing.T) {
	watch := t.TempDir()
	h := startServer(t, t.TempDir(), func(c *Config) { c.Watch = watch; c.WatchInterval = 50 * time.Millisecond })
	h.must(200, "PUT", "/api/v1/sites/t3", store.Admin, readFile(t, exampleSite), nil)
	dir := filepath.Join(watch, "t3")
	os.MkdirAll(dir, 0o755)
	pcap := readFile(t, examplePcap)
	os.WriteFile(filepath.Join(dir, "a.pcap"), pcap, 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a capture"), 0o644)
	waitFile(t, filepath.Join(dir, ".done", "a.pcap"))
	waitFile(t, filepath.Join(dir, ".failed", "notes.txt"))
	os.WriteFile(filepath.Join(dir, "b.pcap"), pcap, 0o644) // the same bytes
	waitFile(t, filepath.Join(dir, ".done", "b.pcap"))
	var cs struct{ Captures []store.Capture }
	h.must(200, "GET", "/api/v1/captures?site=t3", store.Viewer, nil, &cs)
	sum := sha256.Sum256(pcap)
	if len(cs.Captures) != 1 || cs.Captures[0].SHA256 != hex.EncodeToString(sum[:]) || cs.Captures[0].Name != "a.pcap" || cs.Captures[0].By != "watch" {
		t.Fatalf("captures after two drops of one file: %+v", cs.Captures)
	}
	if c := h.waitCapture(cs.Captures[0].ID); c.Status != store.Done {
		t.Errorf("watched capture: %s %s", c.Status, c.Error)
	}
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	for range 400 {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s did not appear", path)
}

// TestExportAndRetention: each finding of a run reaches the exporter as
// new, then as seen; a state change too; events older than the retention
// are deleted after the run.
func TestExportAndRetention(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ecs.jsonl")
	x, err := export.Open("file:"+out, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, fs := loaded(t, func(c *Config) {
		c.Exporters = []export.Exporter{x}
		c.RetainEvents = 24 * time.Hour // the example's packets are older: all go
	})
	h.must(200, "POST", "/api/v1/findings/"+fs[0].ID+"/state", store.Analyst, map[string]string{"state": "acknowledged", "reason": "known"}, nil)
	var evs struct{ Events []store.StoredEvent }
	h.must(200, "GET", "/api/v1/events?site=t3", store.Viewer, nil, &evs)
	if len(evs.Events) != 0 {
		t.Errorf("%d events kept beyond the retention", len(evs.Events))
	}
	waitSent(t, x, uint64(len(fs)+1))
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kinds := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Event struct{ Action string } `json:"event"`
			Rule  struct{ ID string }     `json:"rule"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		kinds[line.Event.Action]++
	}
	if kinds["new"] != len(fs) || kinds["state"] != 1 {
		t.Errorf("exported %v, want %d new and 1 state", kinds, len(fs))
	}
}

// TestTLSAndMetrics: serve over TLS with the self-signed certificate, a
// client pinning its fingerprint; /metrics needs a token and counts.
func TestTLSAndMetrics(t *testing.T) {
	dir := t.TempDir()
	cert, fp, created, err := tlsself.LoadOrCreate(filepath.Join(dir, "tls"), nil)
	if err != nil || !created {
		t.Fatal(err)
	}
	h := startServer(t, dir, nil)
	h.stop() // restart the same store behind TLS
	h = startServerTLS(t, dir, &tls.Config{Certificates: []tls.Certificate{cert}})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if tlsself.Fingerprint(cs.PeerCertificates[0].Raw) != fp {
				t.Error("fingerprint mismatch")
			}
			return nil
		}}}}
	req, _ := http.NewRequest("GET", h.url+"/metrics", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("/metrics without a token: %d", resp.StatusCode)
	}
	req.Header.Set("Authorization", "Bearer "+h.tokens[store.Viewer])
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&b)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(b.String(), `harborwatch_http_requests_total{code="401",route="GET /metrics"} 1`) {
		t.Errorf("/metrics: %d\n%.2000s", resp.StatusCode, b.String())
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS header over TLS")
	}
}

func startServerTLS(t *testing.T, dir string, tc *tls.Config) *harness {
	t.Helper()
	h := startServerWith(t, dir, nil, tc)
	return h
}

// waitSent waits until the exporter has sent n changes: a run's are
// exported after its capture reads done.
func waitSent(t *testing.T, x export.Exporter, n uint64) {
	t.Helper()
	for range 600 {
		if x.Stats().Sent >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the exporter sent %d changes, want %d", x.Stats().Sent, n)
}

// TestAdvisories: a server with CSAF advisories stores the runs'
// vulnerability.known findings like the others.
func TestAdvisories(t *testing.T) {
	advs, err := vuln.Load("../vuln/testdata/advisories")
	if err != nil {
		t.Fatal(err)
	}
	_, fs := loaded(t, func(c *Config) { c.Advisories = advs })
	n := 0
	for _, f := range fs {
		if f.Rule == finding.RuleVulnKnown {
			n++
		}
	}
	if n == 0 {
		t.Error("no vulnerability.known finding stored")
	}
}
