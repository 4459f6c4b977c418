package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/integrity"
	"harborwatch/recovery"
	"harborwatch/signing"
	"harborwatch/store"
)

// TestRecoveryRegisters: the registers through the API — roles, bad
// bodies, CSV import with file:line:col, readiness — survive a restart,
// and every change is in the audit log.
func TestRecoveryRegisters(t *testing.T) {
	dir := t.TempDir()
	h := startServer(t, dir, nil)
	tested := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	body := map[string]any{"crane": "STS-01", "asset": "sts01-plc1", "item": "plc-program", "location": "safe B", "offline": true,
		"taken_at": "2026-10-20T00:00:00Z", "restore_tested": tested, "restore_result": "pass", "restore_by": "eve"}
	if code, _ := h.do("PUT", "/api/v1/backups/K1", store.Viewer, body); code != http.StatusForbidden {
		t.Fatalf("viewer PUT: %d", code)
	}
	var b store.Backup
	h.must(http.StatusOK, "PUT", "/api/v1/backups/K1", store.Analyst, body, &b)
	if b.ID != "K1" || b.By != "token:test-analyst" || !b.Offline {
		t.Fatalf("%+v", b)
	}
	bad := map[string]any{"crane": "STS-01", "item": "os-image"}
	if code, out := h.do("PUT", "/api/v1/backups/K2", store.Analyst, bad); code != http.StatusUnprocessableEntity || !strings.Contains(string(out), "names its system") {
		t.Fatalf("bad backup: %d %s", code, out)
	}
	if code, _ := h.do("PUT", "/api/v1/backups/K2", store.Analyst, map[string]any{"crane": "x", "item": "plc-program", "colour": 1}); code != http.StatusBadRequest {
		t.Fatalf("unknown field: %d", code)
	}
	h.must(http.StatusOK, "PUT", "/api/v1/spares/P1", store.Analyst, map[string]any{"crane": "STS-01", "component": "plc", "on_hand": 0, "required": 1}, nil)
	csv := "crane,component,on_hand,required\nSTS-01,network-device,1,1\nSTS-01,toaster,1,1\n"
	code, out := h.do("POST", "/api/v1/spares/import?name=cmms.csv", store.Analyst, []byte(csv))
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(out), `cmms.csv:3:8: component: \"toaster\" is not one of`) || !strings.Contains(string(out), `"imported":1`) {
		t.Fatalf("import: %d %s", code, out)
	}

	var rep recovery.Report
	h.must(http.StatusOK, "GET", "/api/v1/readiness?at=2026-11-02T12:00:00Z", store.Viewer, nil, &rep)
	if len(rep.Cranes) != 1 || rep.Cranes[0].Crane != "STS-01" || rep.Gaps == 0 {
		t.Fatalf("%+v", rep)
	}
	var rules []string
	for _, g := range rep.Cranes[0].Gaps {
		rules = append(rules, g.Rule+" "+g.Item)
	}
	for _, want := range []string{"recovery.backup-missing vfd-settings", "recovery.spares-short plc", "recovery.spares-short embedded-computer"} {
		if !slices.Contains(rules, want) {
			t.Errorf("readiness lacks %q: %q", want, rules)
		}
	}
	if slices.Contains(rules, "recovery.backup-missing plc-program") || slices.Contains(rules, "recovery.spares-short network-device") {
		t.Errorf("readiness %q", rules)
	}
	if code, _ := h.do("GET", "/api/v1/readiness?max_backup_age=soon", store.Viewer, nil); code != http.StatusBadRequest {
		t.Errorf("bad age: %d", code)
	}
	h.must(http.StatusNoContent, "DELETE", "/api/v1/spares/P1", store.Analyst, nil, nil)
	if code, _ := h.do("DELETE", "/api/v1/spares/P1", store.Analyst, nil); code != http.StatusNotFound {
		t.Errorf("delete twice: %d", code)
	}

	// A restart keeps the registers.
	h.stop()
	h = startServer(t, dir, nil)
	var bl struct{ Backups []store.Backup }
	h.must(http.StatusOK, "GET", "/api/v1/backups?crane=STS-01", store.Viewer, nil, &bl)
	var sl struct{ Spares []store.Spare }
	h.must(http.StatusOK, "GET", "/api/v1/spares", store.Viewer, nil, &sl)
	if len(bl.Backups) != 1 || bl.Backups[0].RestoreBy != "eve" || len(sl.Spares) != 1 || sl.Spares[0].Component != "network-device" {
		t.Fatalf("after restart: %+v %+v", bl, sl)
	}
	log, err := h.st.AuditLog(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		if strings.HasPrefix(e.Action, "backup.") || strings.HasPrefix(e.Action, "spare") {
			got = append(got, e.Action+" "+e.Target+" "+e.Result)
		}
	}
	// Refused and failed attempts are audited too (a 422 import: some
	// rows were refused).
	want := []string{"backup.put PUT /api/v1/backups/K1 denied", "backup.put backup:K1 ok", "backup.put PUT /api/v1/backups/K2 failed",
		"backup.put PUT /api/v1/backups/K2 failed", "spare.put spare:P1 ok", "spares.import spares:import failed",
		"spare.delete spare:P1 ok", "spare.delete spare:P1 failed"}
	if !slices.Equal(got, want) {
		t.Fatalf("audit\n%q\nwant\n%q", got, want)
	}
}

// TestReverify: serve re-verifies a baseline that has a path, at start
// and on its ticker; each result is kept and audited as the system.
func TestReverify(t *testing.T) {
	dir := t.TempDir()
	files := filepath.Join(dir, "plc1")
	os.MkdirAll(files, 0o755)
	os.WriteFile(filepath.Join(files, "program.bin"), []byte("v1"), 0o644)
	pub, priv, _ := signing.Generate()
	m, err := integrity.Build(integrity.Options{Asset: "sts01-plc1", Kind: integrity.KindPLCProgram, By: "alice"}, files)
	if err != nil {
		t.Fatal(err)
	}
	m.Sign(priv)
	setup := startServer(t, dir, nil)
	ctx := context.Background()
	if _, err := setup.st.AddBaseline(ctx, store.Baseline{Site: "t3", Asset: "sts01-plc1", Kind: "plc-program", Source: m.Source, KeyID: m.KeyID, Manifest: m.Marshal()}); err != nil {
		t.Fatal(err)
	}
	if err := setup.st.SetBaselinePath(ctx, "sts01-plc1", files); err != nil {
		t.Fatal(err)
	}
	setup.stop()
	statuses := func(h *harness, n int) []string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			vs, err := h.st.Verifications(ctx, "sts01-plc1", 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) >= n || time.Now().After(deadline) {
				var out []string
				for _, v := range vs {
					out = append(out, v.Status+" by "+v.By)
				}
				return out
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	reverify := func(c *Config) { c.Reverify, c.ReverifyKey = time.Hour, pub }
	h := startServer(t, dir, reverify)
	if got := statuses(h, 1); !slices.Equal(got, []string{"matches by system"}) {
		t.Fatalf("at start: %q", got)
	}
	h.stop()
	os.WriteFile(filepath.Join(files, "program.bin"), []byte("v2"), 0o644)
	h = startServer(t, dir, reverify)
	if got := statuses(h, 2); !slices.Equal(got, []string{"differs by system", "matches by system"}) {
		t.Fatalf("after the change: %q", got)
	}
	fs := h.allFindings("")
	if len(fs) != 1 || fs[0].Rule != "integrity.baseline-mismatch" || fs[0].Site != "t3" {
		t.Fatalf("findings %+v", fs)
	}
	log, _ := h.st.AuditLog(ctx, 0, 0)
	var got []string
	for _, e := range log {
		if e.Action == "baseline.verify" {
			got = append(got, e.Actor+" "+e.Result)
		}
	}
	if !slices.Equal(got, []string{"system matches", "system differs"}) {
		t.Fatalf("audit %q", got)
	}
}
