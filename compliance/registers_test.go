package compliance

import (
	"strings"
	"testing"
	"time"

	"harborwatch/compliance/catalog"
	"harborwatch/finding"
)

// The controls the recovery registers decide (backups, spares): an empty
// register leaves them to an attestation, a register without gaps
// satisfies them, a readiness gap does not.
func TestRegisterControls(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	status := func(in Input) map[string]Result {
		out := map[string]Result{}
		for _, r := range Evaluate(cat, in).Results {
			out[r.ID] = r
		}
		return out
	}
	empty := status(Input{Site: "t3", Now: now})
	for _, id := range []string{"MSCI-BKP-1", "MSCI-SPARE-1", "USCG-RES-3"} {
		if r := empty[id]; r.Status != NotAssessed || !strings.Contains(r.Reason, "register is empty") {
			t.Errorf("%s with empty registers: %s (%s)", id, r.Status, r.Reason)
		}
	}
	full := status(Input{Site: "t3", Now: now, Registers: Registers{Backups: 24, Spares: 8}})
	for _, id := range []string{"MSCI-BKP-1", "MSCI-SPARE-1", "USCG-RES-3"} {
		if r := full[id]; r.Status != Satisfied {
			t.Errorf("%s with full registers and no gap: %s (%s)", id, r.Status, r.Reason)
		}
	}
	gap := finding.Finding{ID: "HW-GAP", Rule: finding.RuleRecoveryBackupMissing, Severity: finding.High,
		Title: "STS-02 lacks a plc-program backup", Src: finding.Host{Asset: "sts02-plc1"}, Dst: finding.Host{Asset: "sts02-plc1"}, Count: 1, LastSeen: now}
	rule, _ := finding.Lookup(finding.RuleRecoveryBackupMissing)
	gap.Controls = rule.Controls
	withGap := status(Input{Site: "t3", Now: now, Registers: Registers{Backups: 23, Spares: 8}, Derived: []finding.Finding{gap}})
	if r := withGap["MSCI-BKP-1"]; r.Status != NotSatisfied {
		t.Errorf("MSCI-BKP-1 with a readiness gap: %s (%s)", r.Status, r.Reason)
	}
	if r := withGap["MSCI-SPARE-1"]; r.Status != Satisfied {
		t.Errorf("MSCI-SPARE-1 is not decided by a backup gap: %s (%s)", r.Status, r.Reason)
	}
}
