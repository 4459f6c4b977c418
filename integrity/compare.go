package integrity

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"harborwatch/finding"
)

// Statuses of a Result.
const (
	Matches = "matches"
	Differs = "differs"
	// Invalid: the baseline itself failed its signature check (tampered,
	// another key, unsigned); nothing was compared.
	Invalid = "invalid"
)

// BlockChange is one block that differs: Was is "" for a new block, Now
// "" for a missing one.
type BlockChange struct {
	Name string `json:"name"`
	Was  string `json:"was,omitempty"`
	Now  string `json:"now,omitempty"`
}

// FileChange is one file whose hash differs from the baseline's.
type FileChange struct {
	Path    string        `json:"path"`
	Was     string        `json:"was"`
	Now     string        `json:"now"`
	WasSize int64         `json:"was_size"`
	NowSize int64         `json:"now_size"`
	Blocks  []BlockChange `json:"blocks,omitempty"` // when both sides are block dumps
}

// Result is what a verification found.
type Result struct {
	Asset   string       `json:"asset"`
	Kind    Kind         `json:"kind"`
	Status  string       `json:"status"`
	KeyID   string       `json:"key_id,omitempty"`  // of the baseline
	Error   string       `json:"error,omitempty"`   // why the baseline is Invalid
	Matched int          `json:"matched"`           // files that match
	Changed []FileChange `json:"changed,omitempty"` // files whose hash differs
	Missing []string     `json:"missing,omitempty"` // in the baseline, not found now
	New     []string     `json:"new,omitempty"`     // found now, not in the baseline
	Checked time.Time    `json:"checked"`           // when
	By      string       `json:"by"`                // who
	Created time.Time    `json:"baseline_created"`  // of the baseline
	Origin  []string     `json:"origin,omitempty"`  // what was hashed now
	// Wire is set for a check of transfers seen on the wire: Transfers
	// counts those judged, NFindings the findings they made, Matched the
	// blocks uploads confirmed.
	Wire      bool           `json:"wire,omitempty"`
	Confirmed []Confirmation `json:"confirmed,omitempty"` // blocks uploads showed as the baseline has them, with when
	Transfers int            `json:"transfers,omitempty"`
	NFindings int            `json:"findings,omitempty"`
}

// Compare holds now (freshly built) against the baseline base. The
// caller checks base's signature first (Manifest.Verify).
func Compare(base, now Manifest) Result {
	r := Result{Asset: base.Asset, Kind: base.Kind, KeyID: base.KeyID, Checked: now.Created.UTC(), By: now.By,
		Created: base.Created, Origin: now.Origin}
	cur := map[string]*Entry{}
	for i := range now.Entries {
		cur[now.Entries[i].Path] = &now.Entries[i]
	}
	for _, b := range base.Entries {
		n, ok := cur[b.Path]
		if !ok {
			r.Missing = append(r.Missing, b.Path)
			continue
		}
		delete(cur, b.Path)
		if n.SHA256 == b.SHA256 && n.Size == b.Size {
			r.Matched++
			continue
		}
		c := FileChange{Path: b.Path, Was: b.SHA256, Now: n.SHA256, WasSize: b.Size, NowSize: n.Size}
		if b.Format != "" && b.Format == n.Format {
			c.Blocks = compareBlocks(b.Blocks, n.Blocks)
		}
		r.Changed = append(r.Changed, c)
	}
	for p := range cur {
		r.New = append(r.New, p)
	}
	slices.Sort(r.New)
	r.Status = Matches
	if len(r.Changed)+len(r.Missing)+len(r.New) > 0 {
		r.Status = Differs
	}
	return r
}

func compareBlocks(was, now []Block) []BlockChange {
	byName := func(bs []Block) map[string]string {
		m := map[string]string{}
		for _, b := range bs {
			if _, ok := m[b.Name]; !ok {
				m[b.Name] = b.SHA256
			}
		}
		return m
	}
	w, n := byName(was), byName(now)
	var out []BlockChange
	for name, h := range w {
		if n[name] != h {
			out = append(out, BlockChange{Name: name, Was: h, Now: n[name]})
		}
	}
	for name, h := range n {
		if _, ok := w[name]; !ok {
			out = append(out, BlockChange{Name: name, Now: h})
		}
	}
	slices.SortFunc(out, func(a, b BlockChange) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Summary says in one line what r found.
func (r *Result) Summary() string {
	switch r.Status {
	case Invalid:
		return "baseline invalid: " + r.Error
	}
	if r.Wire {
		base := "no baseline"
		if r.Kind != "" {
			base = "baseline of " + r.Created.Format(time.RFC3339)
		}
		return fmt.Sprintf("%s on the wire: %d transfers judged, %d findings, %d blocks confirmed by uploads (%s)",
			r.Status, r.Transfers, r.NFindings, r.Matched, base)
	}
	if r.Status == Matches {
		return fmt.Sprintf("matches the baseline (%d files)", r.Matched)
	}
	return fmt.Sprintf("differs from the baseline: %d changed, %d missing, %d new (%d match)",
		len(r.Changed), len(r.Missing), len(r.New), r.Matched)
}

// Invalidated is the result of a verification whose baseline failed its
// signature check with err.
func Invalidated(base Manifest, by string, at time.Time, err error) Result {
	return Result{Asset: base.Asset, Kind: base.Kind, Status: Invalid, KeyID: base.KeyID, Error: err.Error(),
		Checked: at.UTC(), By: by, Created: base.Created}
}

// Findings turns a verification result into findings: none when it
// matches; integrity.baseline-mismatch (high for PLC programs and
// firmware, else medium) naming what differs; integrity.baseline-invalid
// (critical) when the baseline's signature failed.
func (r *Result) Findings() []finding.Finding {
	at := r.Checked.UnixNano()
	host := finding.Host{Asset: r.Asset}
	switch r.Status {
	case Invalid:
		return []finding.Finding{finding.New(finding.Spec{
			Rule: finding.RuleIntegrityBaselineInvalid, Severity: finding.Critical, Src: host, Dst: host,
			Title: "Integrity baseline of " + r.Asset + " fails its signature check",
			First: at, Last: at, Count: 1, Key: string(r.Kind),
			Detail: map[string]any{"kind": string(r.Kind), "key_id": r.KeyID, "error": r.Error},
		})}
	case Differs:
		sev := finding.Medium
		if r.Kind == KindPLCProgram || r.Kind == KindFirmware {
			sev = finding.High
		}
		d := map[string]any{"kind": string(r.Kind), "summary": r.Summary(), "matched": r.Matched,
			"baseline_created": r.Created.Format(time.RFC3339)}
		if len(r.Changed) > 0 {
			var cs []map[string]any
			for _, c := range r.Changed {
				m := map[string]any{"path": c.Path, "was": c.Was, "now": c.Now}
				if len(c.Blocks) > 0 {
					var bs []string
					for _, b := range c.Blocks {
						bs = append(bs, b.Name)
					}
					m["blocks"] = bs
				}
				cs = append(cs, m)
			}
			d["changed"] = cs
		}
		if len(r.Missing) > 0 {
			d["missing"] = r.Missing
		}
		if len(r.New) > 0 {
			d["new"] = r.New
		}
		return []finding.Finding{finding.New(finding.Spec{
			Rule: finding.RuleIntegrityMismatch, Severity: sev, Src: host, Dst: host,
			Title: fmt.Sprintf("%s of %s %s", r.Kind, r.Asset, r.Summary()),
			First: at, Last: at, Count: 1, Key: string(r.Kind), Detail: d,
		})}
	}
	return nil
}
