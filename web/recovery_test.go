package web

import (
	"strings"
	"testing"
)

// TestRecoveryPage: readiness per crane of the site and the registers,
// hostile register text escaped.
func TestRecoveryPage(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("viewer1")
	// Empty registers: every item is a gap, and the page says how the
	// compliance evaluation reads that.
	if _, body := b.get("/recovery?site=t3"); !strings.Contains(body, "registers are empty") || !strings.Contains(body, "leaves the backup and spares controls to an attestation") {
		t.Errorf("with empty registers the page does not explain its gaps: %.2000s", body)
	}
	evil := `<script>alert(1)</script>`
	e.api("PUT", "/api/v1/backups/K1", []byte(`{"crane":"STS-01","asset":"sts01-plc1","item":"plc-program","location":"`+
		strings.ReplaceAll(evil, `"`, `\"`)+`","offline":false,"taken_at":"2026-10-01T00:00:00Z"}`), 200)
	e.api("PUT", "/api/v1/spares/P1", []byte(`{"crane":"STS-01","component":"plc","model":"`+evil+`","on_hand":0,"required":2}`), 200)
	code, body := b.get("/recovery?site=t3")
	if code != 200 {
		t.Fatalf("GET /recovery: %d %.300s", code, body)
	}
	for _, want := range []string{"STS-01", "STS-02", "not ready", "recovery.backup-online", "recovery.spares-short",
		"recovery.backup-missing", "&lt;script&gt;alert(1)&lt;/script&gt;", "P1", "K1"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, evil) || strings.Contains(body, "register is empty") || strings.Contains(body, "registers are empty") {
		t.Error("register text shown unescaped")
	}
}
