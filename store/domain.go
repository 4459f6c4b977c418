package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"harborwatch/finding"
)

// MaxEvidence is the most evidence entries (one per capture) a stored
// finding keeps; beyond it the oldest are dropped.
const MaxEvidence = 50

// MergeFinding returns the stored finding old after it was seen again as
// seen in a later run: the same id, the time span of both, counts added,
// the highest severity, the newest title, controls, techniques and
// detail, and seen's evidence after old's (at most MaxEvidence entries,
// the newest kept). A run's pcap file is not kept.
func MergeFinding(old, seen finding.Finding) finding.Finding {
	m := seen
	m.ID = old.ID
	m.Pcap = nil
	if !old.FirstSeen.IsZero() && (m.FirstSeen.IsZero() || old.FirstSeen.Before(m.FirstSeen)) {
		m.FirstSeen = old.FirstSeen
	}
	if old.LastSeen.After(m.LastSeen) {
		m.LastSeen = old.LastSeen
	}
	m.Count = old.Count + seen.Count
	m.Severity = max(old.Severity, seen.Severity)
	ev := make([]finding.Evidence, 0, len(old.Evidence)+len(seen.Evidence))
	ev = append(append(ev, old.Evidence...), seen.Evidence...)
	if len(ev) > MaxEvidence {
		ev = ev[len(ev)-MaxEvidence:]
	}
	m.Evidence = ev
	return m
}

// Active tells whether s applies at now.
func (s *Suppression) Active(now time.Time) bool {
	return s.Expires.IsZero() || now.Before(s.Expires)
}

// Matches tells whether s covers finding f of site (regardless of
// expiry): same rule, same site (or s for every site), and every scope
// field given matches — Src and Dst an address or a prefix holding it,
// Zone either side's zone, Asset either side's asset.
func (s *Suppression) Matches(site string, f *finding.Finding) bool {
	if s.Rule != f.Rule || (s.Site != "" && s.Site != site) {
		return false
	}
	if !addrIn(s.Src, f.Src.IP) || !addrIn(s.Dst, f.Dst.IP) {
		return false
	}
	if s.Zone != "" && s.Zone != f.Src.Zone && s.Zone != f.Dst.Zone {
		return false
	}
	if s.Asset != "" && s.Asset != f.Src.Asset && s.Asset != f.Dst.Asset {
		return false
	}
	return true
}

// CheckScope reports what is wrong with a suppression's fields, or nil.
func (s *Suppression) CheckScope() error {
	if s.Rule == "" {
		return fmt.Errorf("rule is required")
	}
	if _, ok := finding.Lookup(s.Rule); !ok {
		return fmt.Errorf("rule %q is not one harborwatch raises", s.Rule)
	}
	for _, a := range []struct{ name, v string }{{"src", s.Src}, {"dst", s.Dst}} {
		if a.v == "" {
			continue
		}
		if _, err := netip.ParsePrefix(a.v); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(a.v); err != nil {
			return fmt.Errorf("%s %q is neither an IP address nor a CIDR prefix", a.name, a.v)
		}
	}
	if strings.TrimSpace(s.Reason) == "" {
		return fmt.Errorf("reason is required")
	}
	return nil
}

func addrIn(scope string, a netip.Addr) bool {
	if scope == "" {
		return true
	}
	if p, err := netip.ParsePrefix(scope); err == nil {
		return p.Masked().Contains(a.Unmap())
	}
	b, err := netip.ParseAddr(scope)
	return err == nil && b.Unmap() == a.Unmap()
}

// ChainHash is the hash of audit entry e following the entry whose hash
// is prev: SHA-256 over every field but Hash, in lower-case hex. Editing
// any stored field of any entry, deleting one or reordering them breaks
// the chain from there on.
func ChainHash(prev string, e *AuditEntry) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%s\x00%q\x00%q\x00%q\x00%q\x00%q\x00%q\x00%s\x00%s",
		e.Seq, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Remote, e.Action, e.Target, e.Result,
		string(e.Detail), prev, "v1")
	return hex.EncodeToString(h.Sum(nil))
}

// ChainError says where an audit log's chain breaks.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit log entry %d: %s", e.Seq, e.Reason)
}

// VerifyChain checks entries (consecutive, oldest first) that follow the
// entry whose hash is prev ("" and seq 0 for the start of the log); it
// returns the hash of the last entry, or a *ChainError at the first entry
// that does not fit.
func VerifyChain(prev string, prevSeq int64, entries []AuditEntry) (string, error) {
	for i := range entries {
		e := &entries[i]
		if e.Seq != prevSeq+1 {
			return prev, &ChainError{Seq: e.Seq, Reason: fmt.Sprintf("expected entry %d here: entries are missing or out of order", prevSeq+1)}
		}
		if e.Prev != prev {
			return prev, &ChainError{Seq: e.Seq, Reason: "its link to the previous entry does not match: an entry before it was changed or removed"}
		}
		if want := ChainHash(prev, e); e.Hash != want {
			return prev, &ChainError{Seq: e.Seq, Reason: "its content does not match its hash: the entry was edited"}
		}
		prev, prevSeq = e.Hash, e.Seq
	}
	return prev, nil
}

// ValidState tells whether s may be set on a finding by a person.
func ValidState(s string) bool {
	return slices.Contains([]string{Open, Acknowledged, Resolved}, s)
}
