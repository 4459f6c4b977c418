package recovery

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"harborwatch/finding"
	"harborwatch/store"
)

// Policy says how old is too old. Zero fields take the defaults.
type Policy struct {
	MaxBackupAge  time.Duration // newest backup of an item (default 90 days)
	MaxRestoreAge time.Duration // last restore test (default 365 days)
	MaxRebuildAge time.Duration // last rebuild test of a spare (default 365 days)
}

func (p Policy) withDefaults() Policy {
	const day = 24 * time.Hour
	if p.MaxBackupAge <= 0 {
		p.MaxBackupAge = 90 * day
	}
	if p.MaxRestoreAge <= 0 {
		p.MaxRestoreAge = 365 * day
	}
	if p.MaxRebuildAge <= 0 {
		p.MaxRebuildAge = 365 * day
	}
	return p
}

// Change is something that changed an asset after which its backup is
// out of date: a program download seen, a baseline mismatch.
type Change struct {
	Asset string
	At    time.Time
	What  string // e.g. "integrity.program-changed HW-…", "baseline verify differs"
}

// Need is one item of the advisory's list a crane must have backed up.
type Need struct {
	Item   string `json:"item"`
	System string `json:"system,omitempty"` // for os-image
}

func (n Need) String() string {
	if n.System != "" {
		return n.Item + "/" + n.System
	}
	return n.Item
}

// Needs is the advisory's list, per crane.
var Needs = []Need{
	{"os-image", "crane-management"}, {"os-image", "cabin-view"}, {"os-image", "ground-view"},
	{"plc-program", ""}, {"vfd-settings", ""}, {"switch-config", ""},
}

// SpareNeeds are the component kinds the advisory asks spares of; a
// crane with no register entry for one needs one on hand.
var SpareNeeds = []string{"plc", "embedded-computer", "network-device"}

// Gap is one thing a crane lacks to be recoverable.
type Gap struct {
	Crane  string `json:"crane"`
	Rule   string `json:"rule"`
	Item   string `json:"item"`             // Need.String(), or the spare component
	Asset  string `json:"asset,omitempty"`  // the asset concerned, when one is
	Backup string `json:"backup,omitempty"` // the register entry concerned
	Detail string `json:"detail"`
}

// CraneReadiness is one crane's report.
type CraneReadiness struct {
	Crane   string         `json:"crane"`
	Ready   bool           `json:"ready"`
	Backups []store.Backup `json:"backups"`
	Spares  []store.Spare  `json:"spares"`
	Gaps    []Gap          `json:"gaps"`
}

// Report is the readiness of every crane.
type Report struct {
	At     time.Time        `json:"at"`
	Policy PolicyText       `json:"policy"`
	Cranes []CraneReadiness `json:"cranes"`
	Gaps   int              `json:"gaps"`
}

// PolicyText is the policy as the report states it, in days.
type PolicyText struct {
	MaxBackupDays  int `json:"max_backup_days"`
	MaxRestoreDays int `json:"max_restore_days"`
	MaxRebuildDays int `json:"max_rebuild_days"`
}

// Readiness judges each crane (the cranes given, and every crane the
// registers name) at now: for each item of Needs, a backup exists, the
// newest is younger than MaxBackupAge, one is offline, the newest
// restore test passed within MaxRestoreAge, and no Change of its asset
// came after it; every spares entry has at least Required on hand and a
// rebuild test within MaxRebuildAge, and each kind of SpareNeeds has an
// entry. Gaps come in the order of Needs, then spares.
func Readiness(cranes []string, backups []store.Backup, spares []store.Spare, changes []Change, p Policy, now time.Time) Report {
	p = p.withDefaults()
	rep := Report{At: now.UTC(), Policy: PolicyText{int(p.MaxBackupAge.Hours() / 24), int(p.MaxRestoreAge.Hours() / 24), int(p.MaxRebuildAge.Hours() / 24)}}
	names := slices.Clone(cranes)
	for _, b := range backups {
		names = append(names, b.Crane)
	}
	for _, s := range spares {
		names = append(names, s.Crane)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	names = slices.DeleteFunc(names, func(s string) bool { return s == "" })
	for _, c := range names {
		cr := CraneReadiness{Crane: c, Backups: []store.Backup{}, Spares: []store.Spare{}, Gaps: []Gap{}}
		for _, b := range backups {
			if b.Crane == c {
				cr.Backups = append(cr.Backups, b)
			}
		}
		for _, s := range spares {
			if s.Crane == c {
				cr.Spares = append(cr.Spares, s)
			}
		}
		gap := func(rule string, item, asset, backup, format string, args ...any) {
			cr.Gaps = append(cr.Gaps, Gap{Crane: c, Rule: rule, Item: item, Asset: asset, Backup: backup, Detail: fmt.Sprintf(format, args...)})
		}
		for _, n := range Needs {
			var have []store.Backup
			for _, b := range cr.Backups {
				if b.Item == n.Item && (n.System == "" || b.System == n.System) {
					have = append(have, b)
				}
			}
			if len(have) == 0 {
				gap(finding.RuleRecoveryBackupMissing, n.String(), "", "", "no backup of %s in the register", n)
				continue
			}
			slices.SortFunc(have, func(a, b store.Backup) int { return cmp.Or(b.TakenAt.Compare(a.TakenAt), strings.Compare(a.ID, b.ID)) })
			newest := have[0]
			if age := now.Sub(newest.TakenAt); age > p.MaxBackupAge {
				gap(finding.RuleRecoveryBackupStale, n.String(), newest.Asset, newest.ID, "newest backup taken %s, %d days ago (policy: %d)",
					newest.TakenAt.Format(time.DateOnly), int(age.Hours()/24), rep.Policy.MaxBackupDays)
			}
			if !slices.ContainsFunc(have, func(b store.Backup) bool { return b.Offline }) {
				gap(finding.RuleRecoveryBackupOnline, n.String(), newest.Asset, newest.ID, "no backup kept offline (newest at %s)", cmp.Or(newest.Location, "an unrecorded location"))
			}
			var tested *store.Backup
			for i := range have {
				if have[i].RestoreTested != nil && (tested == nil || have[i].RestoreTested.After(*tested.RestoreTested)) {
					tested = &have[i]
				}
			}
			switch {
			case tested == nil:
				gap(finding.RuleRecoveryRestoreUntested, n.String(), newest.Asset, newest.ID, "never restore-tested")
			case tested.RestoreResult != "pass":
				gap(finding.RuleRecoveryRestoreUntested, n.String(), tested.Asset, tested.ID, "last restore test on %s %s",
					tested.RestoreTested.Format(time.DateOnly), cmp.Or(tested.RestoreResult, "has no result"))
			case now.Sub(*tested.RestoreTested) > p.MaxRestoreAge:
				gap(finding.RuleRecoveryRestoreUntested, n.String(), tested.Asset, tested.ID, "last restore test on %s, %d days ago (policy: %d)",
					tested.RestoreTested.Format(time.DateOnly), int(now.Sub(*tested.RestoreTested).Hours()/24), rep.Policy.MaxRestoreDays)
			}
			for _, b := range have {
				if b.VerifyResult == "mismatch" || b.VerifyResult == "unreadable" {
					gap(finding.RuleRecoveryBackupMismatch, n.String(), b.Asset, b.ID, "backup file at %s %s when verified on %s", b.Location,
						map[string]string{"mismatch": "no longer matches its SHA-256", "unreadable": "could not be read"}[b.VerifyResult], day(b.Verified))
				}
			}
			if newest.Asset != "" {
				var after []Change
				for _, ch := range changes {
					if ch.Asset == newest.Asset && ch.At.After(newest.TakenAt) && !ch.At.After(now) {
						after = append(after, ch)
					}
				}
				if len(after) > 0 {
					slices.SortFunc(after, func(a, b Change) int { return a.At.Compare(b.At) })
					last := after[len(after)-1]
					gap(finding.RuleRecoveryBackupOutdated, n.String(), newest.Asset, newest.ID, "%d changes since the backup of %s, last %s on %s",
						len(after), newest.TakenAt.Format(time.DateOnly), last.What, last.At.Format(time.RFC3339))
				}
			}
		}
		for _, kind := range SpareNeeds {
			if !slices.ContainsFunc(cr.Spares, func(s store.Spare) bool { return s.Component == kind }) {
				gap(finding.RuleRecoverySparesShort, kind, "", "", "no %s spare in the register (0 on hand, 1 needed)", kind)
			}
		}
		for _, s := range cr.Spares {
			what := strings.TrimSpace(s.Component + " " + s.Model)
			if s.OnHand < s.Required {
				gap(finding.RuleRecoverySparesShort, s.Component, "", s.ID, "%s: %d on hand, %d required", what, s.OnHand, s.Required)
			}
			switch {
			case s.RebuildTested == nil:
				gap(finding.RuleRecoveryRebuildUntested, s.Component, "", s.ID, "%s: never rebuild-tested", what)
			case now.Sub(*s.RebuildTested) > p.MaxRebuildAge:
				gap(finding.RuleRecoveryRebuildUntested, s.Component, "", s.ID, "%s: last rebuild test on %s (policy: %d days)", what,
					s.RebuildTested.Format(time.DateOnly), rep.Policy.MaxRebuildDays)
			}
		}
		cr.Ready = len(cr.Gaps) == 0
		rep.Gaps += len(cr.Gaps)
		rep.Cranes = append(rep.Cranes, cr)
	}
	if rep.Cranes == nil {
		rep.Cranes = []CraneReadiness{}
	}
	return rep
}

// severities of the recovery rules.
var severities = map[string]finding.Severity{
	finding.RuleRecoveryBackupMissing:   finding.High,
	finding.RuleRecoveryBackupStale:     finding.Medium,
	finding.RuleRecoveryBackupOnline:    finding.Medium,
	finding.RuleRecoveryRestoreUntested: finding.Medium,
	finding.RuleRecoveryBackupOutdated:  finding.High,
	finding.RuleRecoveryBackupMismatch:  finding.High,
	finding.RuleRecoverySparesShort:     finding.Medium,
	finding.RuleRecoveryRebuildUntested: finding.Low,
}

// Findings returns one finding a gap, stamped with the report's time.
func (r *Report) Findings() []finding.Finding {
	var out []finding.Finding
	at := r.At.UnixNano()
	for _, c := range r.Cranes {
		for _, g := range c.Gaps {
			h := finding.Host{Asset: cmp.Or(g.Asset, c.Crane)}
			out = append(out, finding.New(finding.Spec{
				Rule: g.Rule, Severity: severities[g.Rule], Src: h, Dst: h, First: at, Last: at, Count: 1,
				Title: fmt.Sprintf("%s %s: %s", c.Crane, g.Item, g.Detail), Key: c.Crane + "|" + g.Item + "|" + g.Backup,
				Detail: map[string]any{"crane": c.Crane, "item": g.Item, "backup": g.Backup, "gap": g.Detail},
			}))
		}
	}
	finding.Sort(out)
	return out
}
