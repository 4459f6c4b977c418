package recovery

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/finding"
	"harborwatch/store"
)

var now = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

func ago(days int) *time.Time { t := now.AddDate(0, 0, -days); return &t }

// full returns a complete register for crane c.
func full(c string) ([]store.Backup, []store.Spare) {
	var bs []store.Backup
	for i, n := range Needs {
		bs = append(bs, store.Backup{ID: c + n.String(), Crane: c, Asset: c + "-" + n.Item, Item: n.Item, System: n.System,
			Offline: true, TakenAt: *ago(10 + i), RestoreTested: ago(30), RestoreResult: "pass"})
	}
	var ss []store.Spare
	for _, k := range SpareNeeds {
		ss = append(ss, store.Spare{ID: c + k, Crane: c, Component: k, OnHand: 1, Required: 1, RebuildTested: ago(100)})
	}
	return bs, ss
}

func gaps(r Report) []string {
	var out []string
	for _, c := range r.Cranes {
		for _, g := range c.Gaps {
			out = append(out, g.Crane+" "+g.Rule+" "+g.Item)
		}
	}
	return out
}

func TestReadiness(t *testing.T) {
	bs, ss := full("A")
	r := Readiness([]string{"A", "B"}, bs, ss, nil, Policy{}, now)
	if !r.Cranes[0].Ready || r.Cranes[1].Ready || len(r.Cranes) != 2 {
		t.Fatalf("%+v", r.Cranes)
	}
	if g := gaps(r); len(g) != 9 || g[0] != "B recovery.backup-missing os-image/crane-management" || g[8] != "B recovery.spares-short network-device" {
		t.Fatalf("crane with nothing: %q", g)
	}

	t.Run("changed since the backup", func(t *testing.T) {
		ch := []Change{{Asset: "A-plc-program", At: now.AddDate(0, 0, -1), What: "integrity.program-changed HW-1"},
			{Asset: "A-plc-program", At: now.AddDate(0, 0, -100), What: "before the backup"}}
		r := Readiness(nil, bs, ss, ch, Policy{}, now)
		g := r.Cranes[0].Gaps
		if len(g) != 1 || g[0].Rule != finding.RuleRecoveryBackupOutdated || !strings.Contains(g[0].Detail, "1 changes since the backup") {
			t.Fatalf("%+v", g)
		}
	})
	t.Run("policy ages", func(t *testing.T) {
		r := Readiness(nil, bs, ss, nil, Policy{MaxBackupAge: 12 * 24 * time.Hour, MaxRestoreAge: 20 * 24 * time.Hour, MaxRebuildAge: 50 * 24 * time.Hour}, now)
		n := map[string]int{}
		for _, g := range r.Cranes[0].Gaps {
			n[g.Rule]++
		}
		// Backups taken 10..15 days ago: 13, 14, 15 are older than 12.
		if n[finding.RuleRecoveryBackupStale] != 3 || n[finding.RuleRecoveryRestoreUntested] != 6 || n[finding.RuleRecoveryRebuildUntested] != 3 {
			t.Fatalf("%v", n)
		}
	})
	t.Run("an older offline copy counts", func(t *testing.T) {
		b2 := slices.Clone(bs)
		b2 = append(b2, store.Backup{ID: "new", Crane: "A", Item: "plc-program", TakenAt: *ago(1), Offline: false})
		r := Readiness(nil, b2, ss, nil, Policy{}, now)
		if g := gaps(r); len(g) != 0 {
			t.Fatalf("%q", g)
		}
	})
	fs := r.Findings()
	if len(fs) != 9 || fs[0].Severity != finding.High || !slices.Contains(fs[0].Controls, "MSCI-BKP-1") {
		t.Fatalf("findings %+v", fs[0])
	}
	for _, f := range fs {
		if f.Src.Asset != "B" || f.FirstSeen != now {
			t.Errorf("%+v", f)
		}
	}
}

func TestCSVRoundTrip(t *testing.T) {
	bs, ss := full("STS-01")
	for i := range bs {
		bs[i].SHA256 = strings.Repeat("ab", 32)
		bs[i].RestoreBy = "eve, the \"tester\""
	}
	var b bytes.Buffer
	if err := WriteBackups(&b, bs); err != nil {
		t.Fatal(err)
	}
	got, problems, notices, err := ReadBackups("b.csv", &b)
	if err != nil || len(problems)+len(notices) != 0 || len(got) != len(bs) {
		t.Fatalf("%v %v %v %d", err, problems, notices, len(got))
	}
	for i := range got {
		if got[i].ID != bs[i].ID || !got[i].TakenAt.Equal(bs[i].TakenAt) || got[i].RestoreBy != bs[i].RestoreBy || got[i].System != bs[i].System {
			t.Errorf("row %d: %+v, want %+v", i, got[i], bs[i])
		}
	}
	b.Reset()
	WriteSpares(&b, ss)
	gs, problems, _, err := ReadSpares("s.csv", &b)
	if err != nil || len(problems) != 0 || len(gs) != 3 || gs[2].Component != "network-device" || gs[0].RebuildTested == nil {
		t.Fatalf("%+v %v %v", gs, problems, err)
	}
}

func TestCSVProblems(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "", "f:1: empty file"},
		{"no item column", "crane,taken_at\n", `f:1: no "item" column`},
		{"twice", "crane,item,crane,taken_at\n", `f:1:12: column "crane" twice`},
		{"syntax", "crane,item,taken_at\nA,\"plc-program,2026-01-01\n", "f:2:"},
		{"os-image without system", "crane,item,taken_at\nA,os-image,2026-01-01\n", "f:2: system: an os-image backup names its system"},
		{"bad sha", "crane,item,taken_at,sha256\nA,plc-program,2026-01-01,xyz\n", `f:2:26: sha256: "xyz" is not a SHA-256`},
		{"bad bool", "crane,item,taken_at,offline\nA,plc-program,2026-01-01,perhaps\n", `f:2:26: offline: "perhaps" is not yes or no`},
		{"control char", "crane,item,taken_at\nA\x01,plc-program,2026-01-01\n", "f:2:1: crane: control character U+0001"},
		{"test without result", "crane,item,taken_at,restore_tested\nA,plc-program,2026-01-01,2026-02-01\n", "restore_result: a restore test says pass or fail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems, _, err := ReadBackups("f", strings.NewReader(tc.text))
			if err != nil || len(problems) == 0 || !strings.Contains(problems[0].Error(), tc.want) {
				t.Fatalf("%v %v, want %q", problems, err, tc.want)
			}
		})
	}
	_, problems, _, _ := ReadSpares("s", strings.NewReader("crane,component,on_hand,required\nA,plc,-1,1\nA,plc,1,x\n"))
	if len(problems) != 2 || problems[0].Error() != `s:2:7: on_hand: "-1" is not a count (a whole number ≥ 0): row skipped` {
		t.Fatalf("%v", problems)
	}
}
