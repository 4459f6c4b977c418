package compliance

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"harborwatch/store"
)

// TestFormats writes the example terminal's evaluation in every format
// and checks what each holds; hostile text from the store (an
// attestation's statement) comes out escaped.
func TestFormats(t *testing.T) {
	st := terminal(t)
	attest(t, st)
	if _, err := st.AddAttestation(ctx, store.Attestation{Site: siteID, Control: "USCG-TRN-1", By: "=HYPERLINK(\"x\")",
		Statement: "<script>alert(1)</script>\x1b[31m", At: evalAt.Add(-time.Hour), Author: "test"}); err != nil {
		t.Fatal(err)
	}
	g, err := Gather(ctx, st, siteID, evalAt, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	r := g.Report
	out := map[string]string{}
	for _, f := range Formats {
		var b bytes.Buffer
		if err := r.Write(&b, f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = b.String()
	}
	if err := r.Write(&bytes.Buffer{}, "pdf"); err == nil {
		t.Error("format pdf: no error from Write")
	}

	// text
	for _, want := range []string{"Compliance of site t3 at 2026-11-03T10:00:00Z", "MSCI-SEG-1     NOT-SATISFIED", "MARSEC-105-4   ATTESTED",
		"33 CFR part 101 subpart F", "USCG-TRN-1     ATTESTED"} {
		if !strings.Contains(out["text"], want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if strings.Contains(out["text"], "\x1b") {
		t.Error("text holds a raw escape sequence")
	}

	// csv: a table, one row per control in the plan, formulas neutralised.
	rows, err := csv.NewReader(strings.NewReader(out["csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	plan := r.Plan()
	if len(rows) != len(plan)+1 || rows[0][1] != "control" || len(plan) == 0 {
		t.Fatalf("%d csv rows, plan of %d", len(rows), len(plan))
	}
	for i, row := range rows[1:] {
		if row[1] != plan[i].ID || row[4] != string(plan[i].Status) || len(row) != len(rows[0]) {
			t.Errorf("row %d: %v", i+1, row[:5])
		}
		if plan[i].Status == Satisfied {
			t.Errorf("row %d: a satisfied control in the plan", i+1)
		}
	}
	if !strings.Contains(out["csv"], "MSCI-SEG-1") || strings.Contains(out["csv"], "MARSEC-105-4") {
		t.Error("csv: wrong controls in the plan")
	}

	// html: escaped, every control, the plan, links to findings.
	h := out["html"]
	if strings.Contains(h, "<script>alert") || !strings.Contains(h, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("html: the statement is not escaped")
	}
	for _, want := range []string{`id="MSCI-SEG-1"`, `id="MARSEC-105-5"`, "Plan of action and milestones", `href="/findings/t3/HW-`, "st-not-satisfied"} {
		if !strings.Contains(h, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	if n := strings.Count(h, `<div class="control"`); n != 65 {
		t.Errorf("html has %d controls, want 65", n)
	}
	// json
	if !strings.Contains(out["json"], `"status": "not-satisfied"`) || !strings.Contains(out["json"], `"catalog_version": 1`) {
		t.Error("json lacks statuses or the catalog version")
	}
}
