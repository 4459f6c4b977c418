package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"harborwatch/finding"
	"harborwatch/store"
)

// RunRecovery runs the conformance suite of store.Recovery (the recovery
// registers); open returns an empty store, as for Run.
func RunRecovery(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Baselines", testBaselines},
		{"Verifications", testVerifications},
		{"Backups", testBackups},
		{"Spares", testSpares},
		{"RecoveryText", testRecoveryText},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func testBaselines(t *testing.T, s store.Store) {
	_, err := s.Baseline(ctx, "plc1")
	wantErr(t, err, store.ErrNotFound, "baseline of an asset without one")
	_, err = s.AddBaseline(ctx, store.Baseline{Asset: "plc1"})
	wantErr(t, err, store.ErrInvalid, "baseline without a manifest")
	wantErr(t, s.SetBaselinePath(ctx, "plc1", "/x"), store.ErrNotFound, "path of a missing baseline")

	b1 := must(s.AddBaseline(ctx, store.Baseline{Site: "t1", Asset: "plc1", Kind: "plc-program", Source: "files", KeyID: "k1",
		Manifest: json.RawMessage(`{"v":1}`), Created: t0, By: "alice"}))(t)
	if b1.ID == "" || !b1.Created.Equal(t0) {
		t.Fatalf("added %+v", b1)
	}
	b2 := must(s.AddBaseline(ctx, store.Baseline{Site: "t1", Asset: "plc1", Kind: "plc-program", Source: "wire", KeyID: "k1",
		Manifest: json.RawMessage(`{"v":2}`), Created: t0.Add(time.Hour), By: "bob"}))(t)
	must(s.AddBaseline(ctx, store.Baseline{Asset: "drive1", Kind: "vfd-params", Source: "files", KeyID: "k2",
		Manifest: json.RawMessage(`{"v":3}`), By: "carol"}))(t)
	_, err = s.AddBaseline(ctx, store.Baseline{ID: b1.ID, Asset: "plc1", Manifest: json.RawMessage(`{}`)})
	wantErr(t, err, store.ErrConflict, "baseline id taken")

	cur := must(s.Baseline(ctx, "plc1"))(t)
	if cur.ID != b2.ID || string(cur.Manifest) != `{"v":2}` || cur.Source != "wire" || cur.By != "bob" || cur.Site != "t1" {
		t.Fatalf("current baseline %+v, want the second", cur)
	}
	check(t, s.SetBaselinePath(ctx, "plc1", "/srv/plc1"))
	all := must(s.Baselines(ctx))(t)
	if len(all) != 2 || all[0].Asset != "drive1" || all[1].ID != b2.ID || all[1].Path != "/srv/plc1" {
		t.Fatalf("baselines %+v", all)
	}
}

func testVerifications(t *testing.T, s store.Store) {
	f := finding.New(finding.Spec{Rule: finding.RuleIntegrityMismatch, Severity: finding.High,
		Src: finding.Host{Asset: "plc1"}, Dst: finding.Host{Asset: "plc1"}, First: t0.UnixNano(), Last: t0.UnixNano(), Count: 1})
	v1, sum := must2(s.AddVerification(ctx, store.Verification{Site: "t1", Asset: "plc1", Baseline: "B1", Status: "differs",
		Result: json.RawMessage(`{"status":"differs"}`), At: t0, By: "alice"}, []finding.Finding{f}))(t)
	if v1.ID == "" || sum.New != 1 {
		t.Fatalf("%+v %+v", v1, sum)
	}
	_, sum = must2(s.AddVerification(ctx, store.Verification{Site: "t1", Asset: "plc1", Baseline: "B1", Status: "differs",
		Result: json.RawMessage(`{}`), At: t0.Add(time.Hour), By: "alice"}, []finding.Finding{f}))(t)
	if sum.Seen != 1 || sum.New != 0 {
		t.Fatalf("second verification %+v", sum)
	}
	must2(s.AddVerification(ctx, store.Verification{Asset: "drive1", Status: "matches", Result: json.RawMessage(`{}`), At: t0.Add(2 * time.Hour)}, nil))(t)
	got := must(s.Finding(ctx, "t1", f.ID))(t)
	if got.Occurrences != 2 || got.State != store.Open || got.Rule != finding.RuleIntegrityMismatch {
		t.Fatalf("stored finding %+v", got)
	}
	h := must(s.History(ctx, "t1", f.ID))(t)
	if len(h) != 2 || h[0].Capture != "verification:"+v1.ID {
		t.Fatalf("history %+v", h)
	}
	vs := must(s.Verifications(ctx, "plc1", 0))(t)
	if len(vs) != 2 || !vs[0].At.Equal(t0.Add(time.Hour)) || string(vs[1].Result) != `{"status":"differs"}` {
		t.Fatalf("verifications %+v", vs)
	}
	if all := must(s.Verifications(ctx, "", 1))(t); len(all) != 1 || all[0].Asset != "drive1" {
		t.Fatalf("newest verification %+v", all)
	}
	_, _, err := s.AddVerification(ctx, store.Verification{}, nil)
	wantErr(t, err, store.ErrInvalid, "verification without asset")

	// Findings of a readiness report merge in the same way.
	g := finding.New(finding.Spec{Rule: finding.RuleRecoveryBackupMissing, Severity: finding.High,
		Src: finding.Host{Asset: "STS-01"}, Dst: finding.Host{Asset: "STS-01"}, First: t0.UnixNano(), Last: t0.UnixNano(), Count: 1, Key: "vfd"})
	sum = must(s.MergeFindings(ctx, "t1", "readiness", t0, []finding.Finding{g, f}))(t)
	if sum.New != 1 || sum.Seen != 1 {
		t.Fatalf("merge %+v", sum)
	}
	if h := must(s.History(ctx, "t1", g.ID))(t); len(h) != 1 || h[0].Capture != "readiness" {
		t.Fatalf("history %+v", h)
	}
}

func testBackups(t *testing.T, s store.Store) {
	tested := t0.Add(-24 * time.Hour)
	b := must(s.PutBackup(ctx, store.Backup{Crane: "sts01", Asset: "plc1", Item: "plc-program", Location: "safe A", Offline: true,
		SHA256: "ab", Size: 10, TakenAt: t0, RestoreTested: &tested, RestoreResult: "pass", RestoreBy: "eve", By: "alice"}))(t)
	if b.ID == "" || b.Updated.IsZero() {
		t.Fatalf("%+v", b)
	}
	must(s.PutBackup(ctx, store.Backup{ID: "K2", Crane: "sts02", Asset: "cms", Item: "os-image", System: "crane-management", TakenAt: t0}))(t)
	got := must(s.Backup(ctx, b.ID))(t)
	if got.Location != "safe A" || !got.Offline || got.RestoreTested == nil || !got.RestoreTested.Equal(tested) || got.Verified != nil || !got.TakenAt.Equal(t0) {
		t.Fatalf("read back %+v", got)
	}
	// Replace: the same id updates the entry.
	now := t0.Add(time.Hour)
	got.Offline, got.Verified, got.VerifyResult = false, &now, "mismatch"
	must(s.PutBackup(ctx, got))(t)
	again := must(s.Backup(ctx, b.ID))(t)
	if again.Offline || again.VerifyResult != "mismatch" || again.Verified == nil || !again.Verified.Equal(now) {
		t.Fatalf("replaced %+v", again)
	}
	if bs := must(s.Backups(ctx, "sts02"))(t); len(bs) != 1 || bs[0].ID != "K2" || bs[0].System != "crane-management" {
		t.Fatalf("sts02 backups %+v", bs)
	}
	if bs := must(s.Backups(ctx, ""))(t); len(bs) != 2 || bs[0].Crane != "sts01" {
		t.Fatalf("all backups %+v", bs)
	}
	check(t, s.DeleteBackup(ctx, "K2"))
	wantErr(t, s.DeleteBackup(ctx, "K2"), store.ErrNotFound, "delete twice")
	_, err := s.Backup(ctx, "K2")
	wantErr(t, err, store.ErrNotFound, "deleted backup")
	_, err = s.PutBackup(ctx, store.Backup{})
	wantErr(t, err, store.ErrInvalid, "backup of nothing")
}

func testSpares(t *testing.T, s store.Store) {
	tested := t0
	p := must(s.PutSpare(ctx, store.Spare{Crane: "sts01", Component: "plc", Model: "S7-300", OnHand: 1, Required: 2,
		Location: "store 3", FirmwareCompatible: "yes", RebuildTested: &tested, By: "alice"}))(t)
	must(s.PutSpare(ctx, store.Spare{ID: "P2", Crane: "sts01", Component: "drive", Model: "ACS880", OnHand: 0, Required: 1}))(t)
	ps := must(s.Spares(ctx, "sts01"))(t)
	if len(ps) != 2 || ps[0].Component != "drive" || ps[1].ID != p.ID || ps[1].RebuildTested == nil || ps[1].Required != 2 || ps[0].RebuildTested != nil {
		t.Fatalf("spares %+v", ps)
	}
	p.OnHand = 3
	must(s.PutSpare(ctx, p))(t)
	if ps := must(s.Spares(ctx, ""))(t); len(ps) != 2 || ps[1].OnHand != 3 {
		t.Fatalf("after update %+v", ps)
	}
	check(t, s.DeleteSpare(ctx, "P2"))
	wantErr(t, s.DeleteSpare(ctx, "P2"), store.ErrNotFound, "delete twice")
	_, err := s.PutSpare(ctx, store.Spare{Crane: "x"})
	wantErr(t, err, store.ErrInvalid, "spare without component")
}

// testRecoveryText: text with NUL bytes and invalid UTF-8 (a hostile CSV)
// is stored cleaned on both backends, and filters are bound, not spliced.
func testRecoveryText(t *testing.T, s store.Store) {
	b := must(s.PutBackup(ctx, store.Backup{Crane: "sts'01\x00", Asset: "a\xff", Item: "plc-program", Location: "x'); DROP TABLE backups; --"}))(t)
	got := must(s.Backups(ctx, ""))(t)
	if len(got) != 1 || got[0].Crane != "sts'01" || got[0].Asset != "a\uFFFD" || got[0].ID != b.ID {
		t.Fatalf("%+v", got)
	}
	if bs := must(s.Backups(ctx, "sts'01\x00"))(t); len(bs) != 0 && !slices.ContainsFunc(bs, func(x store.Backup) bool { return x.Crane == "sts'01" }) {
		t.Fatalf("%+v", bs)
	}
	if _, err := s.Backup(ctx, "x' OR '1'='1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("injection in an id: %v", err)
	}
}
