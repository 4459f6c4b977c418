package detect

import (
	"cmp"

	"slices"
)

// Inventory rule ids: what reconciling the declared inventory with the
// observed devices finds. Package inventory reports them; they are
// registered here so that every rule has one title and one set of
// controls.
const (
	RuleMissingDevice = "inventory.missing-device"
	RuleMismatch      = "inventory.mismatch"
	RuleNotIsolated   = "supplier.not-isolated"
)

func init() {
	rules[RuleMissingDevice] = ruleInfo{"Declared device never seen on a monitored network",
		[]string{"USCG-DEV-3", "USCG-DEV-4"}}
	rules[RuleMismatch] = ruleInfo{"Observed device differs from its declaration (MAC or vendor)",
		[]string{"USCG-DEV-1", "USCG-DEV-3"}}
	rules[RuleNotIsolated] = ruleInfo{"Device of a supplier of concern not segmented from crane control",
		[]string{"MSCI-VLAN-2", "MSCI-VLAN-1", "MSCI-SEG-1", "USCG-SEG-1"}}
}

// Spec describes a finding that is not an aggregate of flows: a device
// finding made outside the packet path (by the inventory).
type Spec struct {
	Rule     string
	Severity Severity
	Src, Dst Host
	Title    string // empty: the rule's title
	// First and Last are packet times in ns (0 when the finding rests on
	// declarations only); Count how many observations it rests on.
	First, Last int64
	Count       uint64
	Marks       []Mark
	Detail      map[string]any
	// Key tells apart findings of one rule on one device (e.g. "mac" and
	// "vendor" mismatches); it enters the finding's ID.
	Key string
}

// NewFinding builds the finding spec describes, with its ID, controls and
// evidence (captures names the run's capture files by index).
func NewFinding(sp Spec, captures []string) Finding {
	info := rules[sp.Rule]
	title := sp.Title
	if title == "" {
		title = info.title
	}
	marks := slices.Clone(sp.Marks)
	slices.SortFunc(marks, func(a, b Mark) int {
		switch {
		case a.less(b):
			return -1
		case b.less(a):
			return 1
		}
		return 0
	})
	marks = slices.Compact(marks)
	if len(marks) > MaxEvidence {
		marks = marks[:MaxEvidence]
	}
	f := Finding{
		Rule: sp.Rule, Severity: sp.Severity, Title: title, Src: sp.Src, Dst: sp.Dst,
		Count: sp.Count, Evidence: evidence(marks, captures), Controls: info.controls, Detail: sp.Detail,
	}
	if f.Evidence == nil {
		f.Evidence = []Evidence{}
	}
	if sp.First != 0 || sp.Last != 0 {
		f.FirstSeen, f.LastSeen = ts(sp.First), ts(sp.Last)
	}
	f.ID = findingID(sp.Rule, sp.Src.IP, sp.Dst.IP, sp.Src.MAC+"|"+sp.Src.Asset, sp.Key)
	return f
}

// SortFindings orders findings as Finish does: severity (highest first),
// rule, source, destination, application, port, then ID.
func SortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.Rule, b.Rule),
			a.Src.IP.Compare(b.Src.IP),
			a.Dst.IP.Compare(b.Dst.IP),
			cmp.Compare(a.App, b.App),
			cmp.Compare(a.DPort, b.DPort),
			cmp.Compare(a.Src.Asset, b.Src.Asset),
			cmp.Compare(a.ID, b.ID),
		)
	})
}
