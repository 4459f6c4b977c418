package server

import (
	"context"
	"maps"
	"slices"
	"testing"

	"harborwatch/analysis"
	"harborwatch/finding"
	"harborwatch/site"
	"harborwatch/store"
)

const (
	exampleSite = "../examples/terminal/site.yaml"
	examplePcap = "../examples/terminal/terminal.pcap"
)

// analyzeExample is what `harborwatch analyze --site … terminal.pcap`
// finds, by id.
func analyzeExample(t *testing.T) map[string]finding.Finding {
	t.Helper()
	m, err := site.Load(exampleSite)
	if err != nil {
		t.Fatal(err)
	}
	res, err := analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Site: m})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]finding.Finding{}
	for _, f := range res.Document.Findings {
		out[f.ID] = f
	}
	if len(out) == 0 {
		t.Fatal("the example has no findings: the comparison would prove nothing")
	}
	return out
}

func byID(fs []store.Finding) map[string]store.Finding {
	m := map[string]store.Finding{}
	for _, f := range fs {
		m[f.ID] = f
	}
	return m
}

func upload(h *harness, siteID, path string) string {
	h.t.Helper()
	var r struct{ ID, Status string }
	h.must(202, "POST", "/api/v1/sites/"+siteID+"/captures?name=terminal.pcap", store.Analyst, readFile(h.t, path), &r)
	if r.Status != store.Queued || r.ID == "" {
		h.t.Fatalf("upload answered %+v", r)
	}
	return r.ID
}

// TestEndToEnd: a site and the example capture through the API give the
// findings analyze gives; the same capture again grows the counts and
// adds no finding; an acknowledgement and everything else survive a
// restart.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	want := analyzeExample(t)
	h := startServer(t, dir, nil)
	h.must(200, "PUT", "/api/v1/sites/t3", store.Admin, readFile(t, exampleSite), nil)

	id := upload(h, "t3", examplePcap)
	c := h.waitCapture(id)
	if c.Status != store.Done {
		t.Fatalf("capture %s: %s (%s)", id, c.Status, c.Error)
	}
	if len(c.SHA256) != 64 || len(c.Stats) == 0 {
		t.Errorf("capture lacks sha256 or stats: %+v", c)
	}
	got := byID(h.allFindings("site=t3"))
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
		t.Fatalf("served finding ids differ from analyze's:\n got %v\nwant %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	for fid, w := range want {
		g := got[fid]
		if g.Rule != w.Rule || g.Severity != w.Severity || g.Count != w.Count || g.Site != "t3" || g.State != store.Open || g.Occurrences != 1 {
			t.Errorf("%s: got rule %s sev %s count %d site %q state %s occ %d; want rule %s sev %s count %d, t3, open, 1",
				fid, g.Rule, g.Severity, g.Count, g.Site, g.State, g.Occurrences, w.Rule, w.Severity, w.Count)
		}
		for _, ev := range g.Evidence {
			if ev.Capture != id || ev.SHA256 != c.SHA256 {
				t.Errorf("%s: evidence names %s (sha256 %q), want capture %s with its SHA-256", g.ID, ev.Capture, ev.SHA256, id)
			}
		}
		if !g.FirstSeen.Equal(w.FirstSeen) || !g.LastSeen.Equal(w.LastSeen) {
			t.Errorf("%s: seen %v..%v, want %v..%v", fid, g.FirstSeen, g.LastSeen, w.FirstSeen, w.LastSeen)
		}
	}

	// The same capture again: no new finding, counts and occurrences grow.
	id2 := upload(h, "t3", examplePcap)
	if id2 == id {
		t.Fatal("a second upload got the first one's id")
	}
	if c := h.waitCapture(id2); c.Status != store.Done {
		t.Fatalf("second capture: %s (%s)", c.Status, c.Error)
	}
	again := byID(h.allFindings("site=t3"))
	if len(again) != len(want) {
		t.Fatalf("after the second upload: %d findings, want %d", len(again), len(want))
	}
	for id, w := range want {
		g := again[id]
		if g.Count != 2*w.Count || g.Occurrences != 2 || len(g.Evidence) != 2*len(w.Evidence) {
			t.Errorf("%s after two uploads: count %d occurrences %d evidence %d; want %d, 2, %d", id, g.Count, g.Occurrences, len(g.Evidence), 2*w.Count, 2*len(w.Evidence))
		}
	}

	// Acknowledge one, with a reason.
	ackID := slices.Sorted(maps.Keys(want))[0]
	var acked store.Finding
	h.must(200, "POST", "/api/v1/findings/"+ackID+"/state", store.Analyst, map[string]string{"state": "acknowledged", "reason": "crane 2 maintenance, ticket 4411"}, &acked)
	if acked.State != store.Acknowledged {
		t.Fatalf("acknowledged finding reads %s", acked.State)
	}
	var ackedOnly struct{ Findings []store.Finding }
	h.must(200, "GET", "/api/v1/findings?state=acknowledged", store.Viewer, nil, &ackedOnly)
	if len(ackedOnly.Findings) != 1 || ackedOnly.Findings[0].ID != ackID {
		t.Errorf("state=acknowledged lists %d findings, want only %s", len(ackedOnly.Findings), ackID)
	}
	var assets struct{ Assets []store.Asset }
	h.must(200, "GET", "/api/v1/assets?site=t3", store.Viewer, nil, &assets)
	if len(assets.Assets) == 0 {
		t.Error("no assets stored")
	}
	var evs struct{ Events []store.StoredEvent }
	h.must(200, "GET", "/api/v1/events?site=t3&limit=50", store.Viewer, nil, &evs)
	if len(evs.Events) == 0 {
		t.Error("no events stored")
	}

	// Restart: everything is still there.
	h.stop()
	h2 := startServer(t, dir, nil)
	after := byID(h2.allFindings("site=t3"))
	if len(after) != len(want) {
		t.Fatalf("after restart: %d findings, want %d", len(after), len(want))
	}
	if g := after[ackID]; g.State != store.Acknowledged || g.Reason != "crane 2 maintenance, ticket 4411" || g.Occurrences != 2 {
		t.Errorf("after restart %s: state %s reason %q occurrences %d", ackID, g.State, g.Reason, g.Occurrences)
	}
	var hist struct{ History []store.Change }
	h2.must(200, "GET", "/api/v1/findings/"+ackID+"/history", store.Viewer, nil, &hist)
	if n := len(hist.History); n < 1 || hist.History[n-1].To != store.Acknowledged || hist.History[n-1].Actor != "token:test-analyst" {
		t.Errorf("history of %s: %+v", ackID, hist.History)
	}
	var cs struct{ Captures []store.Capture }
	h2.must(200, "GET", "/api/v1/captures?site=t3", store.Viewer, nil, &cs)
	if len(cs.Captures) != 2 {
		t.Errorf("after restart %d captures, want 2", len(cs.Captures))
	}
}
