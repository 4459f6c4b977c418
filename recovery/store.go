package recovery

import (
	"context"

	"harborwatch/finding"
	"harborwatch/store"
)

// StoreChanges returns what changed assets according to the store: baseline
// verifications that differed, and program changes and downloads seen.
func StoreChanges(ctx context.Context, s store.Store) ([]Change, error) {
	var out []Change
	vs, err := s.Verifications(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.Status == "differs" {
			out = append(out, Change{Asset: v.Asset, At: v.At, What: "baseline verification " + v.ID + " differs"})
		}
	}
	for _, rule := range []string{finding.RuleIntegrityProgramChanged, finding.RuleICSProgramDownload} {
		q := store.FindingQuery{Rule: rule, Limit: 1000}
		for {
			fs, next, err := s.Findings(ctx, q)
			if err != nil {
				return nil, err
			}
			for _, f := range fs {
				if f.Dst.Asset != "" {
					out = append(out, Change{Asset: f.Dst.Asset, At: f.LastSeen, What: f.Rule + " " + f.ID})
				}
			}
			if next == "" {
				break
			}
			q.Cursor = next
		}
	}
	return out, nil
}
