package compliance

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harborwatch/analysis"
	"harborwatch/finding"
	"harborwatch/site"
	"harborwatch/store"
	"harborwatch/store/sqlstore"
)

var update = flag.Bool("update", false, "rewrite testdata/*.truth")

const (
	exampleSite = "../examples/terminal/site.yaml"
	examplePcap = "../examples/terminal/terminal.pcap"
	siteID      = "t3"
)

// evalAt is the time of the evaluations: an hour after the example
// capture's minute (2026-11-03 09:00–09:01 UTC).
var evalAt = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)

var ctx = context.Background()

// terminal analyzes the example terminal (its ten deliberate violations)
// into a fresh SQLite store as site t3, as serve does, and returns it.
func terminal(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "hw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	yaml, err := os.ReadFile(exampleSite)
	if err != nil {
		t.Fatal(err)
	}
	m, err := site.Parse(exampleSite, yaml)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutSite(ctx, store.Site{ID: siteID, YAML: string(yaml), Model: "{}", Updated: evalAt, By: "test"}); err != nil {
		t.Fatal(err)
	}
	res, err := analysis.Run(ctx, analysis.Options{Files: []string{examplePcap}, Site: m, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.AddCapture(ctx, store.Capture{Site: siteID, Name: "terminal.pcap", SHA256: strings.Repeat("0", 64), By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var assets []store.AssetData
	for _, a := range res.Inventory.Assets {
		raw, _ := json.Marshal(a)
		d := store.AssetData{ID: a.ID, Data: raw}
		if a.FirstSeen != nil {
			d.FirstSeen, d.LastSeen = *a.FirstSeen, *a.LastSeen
		}
		assets = append(assets, d)
	}
	fs := res.Document.Findings
	for i := range fs {
		for j := range fs[i].Evidence {
			fs[i].Evidence[j].Capture = c.ID
		}
	}
	if _, err := st.FinishRun(ctx, store.Run{Capture: c.ID, Site: siteID, At: evalAt, Findings: fs, Assets: assets}); err != nil {
		t.Fatal(err)
	}
	return st
}

// attest stores the attestations of the truth file's scenario: the
// officer attests MFA on the gateway (MSCI-RA-1, which the wire
// contradicts), the two MARSEC Directives, physical security (expired)
// and the CySO's designation (withdrawn).
func attest(t *testing.T, st store.Store) {
	t.Helper()
	add := func(control string, at, expires time.Time) store.Attestation {
		a, err := st.AddAttestation(ctx, store.Attestation{Site: siteID, Control: control, By: "J. Officer", Statement: "attested for " + control,
			DocSHA256: strings.Repeat("ab", 32), At: at, Expires: expires, Author: "user:cyso"})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	year := 365 * 24 * time.Hour
	add("MSCI-RA-1", evalAt.Add(-24*time.Hour), evalAt.Add(year))
	add("MARSEC-105-4", evalAt.Add(-24*time.Hour), evalAt.Add(year))
	add("MARSEC-105-5", evalAt.Add(-24*time.Hour), time.Time{})
	add("MSCI-PHY-1", evalAt.Add(-2*year), evalAt.Add(-year))
	w := add("USCG-CYSO-1", evalAt.Add(-24*time.Hour), time.Time{})
	if err := st.WithdrawAttestation(ctx, w.ID, evalAt.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	// An access register entry for the vendor's gateway sessions.
	if _, err := st.PutAccess(ctx, store.AccessEntry{Site: siteID, Crane: "", System: "cms01", Holder: "Crane Vendor Support", Path: store.PathGateway,
		Sources: []string{"10.20.0.10"}, MFA: true, Attester: "J. Officer", Author: "user:cyso"}); err != nil {
		t.Fatal(err)
	}
}

// truth renders every control's status, one a line: "ID status[ stale]".
func truth(r *Report) string {
	var b strings.Builder
	for _, c := range r.Results {
		fmt.Fprintf(&b, "%-14s %s", c.ID, c.Status)
		if c.Stale {
			b.WriteString(" stale")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func checkTruth(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".truth")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("line %d: got %q, want %q", i+1, g, w)
			}
		}
	}
}

func result(t *testing.T, r *Report, id string) Result {
	t.Helper()
	for _, c := range r.Results {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no result for %s", id)
	return Result{}
}

// TestTerminalTruth evaluates the example terminal with its known
// violations and a set of attestations against the truth file, then
// resolves findings and checks the statuses that change.
func TestTerminalTruth(t *testing.T) {
	st := terminal(t)
	attest(t, st)
	g, err := Gather(ctx, st, siteID, evalAt, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	rep := g.Report
	if len(rep.Results) != 65 || rep.Captures != 1 {
		t.Fatalf("%d controls, %d captures", len(rep.Results), rep.Captures)
	}
	checkTruth(t, "terminal", truth(rep))

	// The wire contradicts the attested MFA: an RDP session straight from
	// the TOS workstation.
	ra := result(t, rep, "MSCI-RA-1")
	if ra.Status != NotSatisfied || !hasItem(ra, "finding", finding.RuleRemoteAccess) || !hasItem(ra, "attestation", "J. Officer") {
		t.Errorf("MSCI-RA-1: %s, evidence %+v", ra.Status, ra.Evidence)
	}
	// The register covers only the gateway: the TOS workstation's RDP and
	// ews01's TeamViewer are unregistered.
	if n := len(g.Reconciled.Findings); n < 2 {
		t.Errorf("%d access.unregistered findings, want at least 2: %+v", n, g.Reconciled.Findings)
	}
	for _, f := range g.Reconciled.Findings {
		if f.Src.IP.String() == "10.20.0.10" {
			t.Errorf("the registered gateway is unregistered: %+v", f)
		}
	}

	// Resolve every open finding: the rules' controls become satisfied,
	// the attested and coverage ones do not move.
	fs, _, err := st.Findings(ctx, store.FindingQuery{Site: siteID, Limit: 1000, Now: evalAt})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if _, err := st.SetState(ctx, siteID, f.ID, store.Change{At: evalAt, Actor: "user:cyso", To: store.Resolved, Reason: "fixed"}); err != nil {
			t.Fatal(err)
		}
	}
	// Register the remaining sources too.
	for _, f := range g.Reconciled.Findings {
		if _, err := st.PutAccess(ctx, store.AccessEntry{Site: siteID, System: "test", Holder: "registered after review", Path: store.PathOnSite,
			Sources: []string{f.Src.IP.String()}, Author: "user:cyso"}); err != nil {
			t.Fatal(err)
		}
	}
	g2, err := Gather(ctx, st, siteID, evalAt, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	checkTruth(t, "terminal-resolved", truth(g2.Report))
	if len(g2.Reconciled.Findings) != 0 {
		t.Errorf("after registering: %+v", g2.Reconciled.Findings)
	}

	// A month later nothing new was seen: the wire's statuses are stale.
	g3, err := Gather(ctx, st, siteID, evalAt.Add(45*24*time.Hour), Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if c := result(t, g3.Report, "MSCI-SEG-1"); !c.Stale {
		t.Errorf("MSCI-SEG-1 45 days later: %+v, want stale", c)
	}
	if c := result(t, g3.Report, "MSCI-MON-1"); c.Status != NotSatisfied {
		t.Errorf("MSCI-MON-1 45 days later: %s, want not-satisfied (no zone seen recently)", c.Status)
	}
	if n := len(g3.Reconciled.Reviews); n == 0 {
		t.Errorf("45 days later no register entry is a review item, want the unused ones")
	}
}

func hasItem(r Result, kind, text string) bool {
	for _, it := range r.Evidence {
		if it.Kind == kind && (strings.Contains(it.Text, text) || it.Ref == text) {
			return true
		}
	}
	return false
}
