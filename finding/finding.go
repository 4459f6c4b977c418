package finding

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// MaxEvidence is the most packet numbers a finding carries.
const MaxEvidence = 20

// Host is one side of a finding.
type Host struct {
	IP    netip.Addr `json:"ip"`
	MAC   string     `json:"mac,omitempty"`
	Zone  string     `json:"zone,omitempty"`
	Asset string     `json:"asset,omitempty"`
}

// Evidence names the packets a finding rests on, per capture file: the
// file's name, its SHA-256 (lower-case hex, when the run hashed its
// captures, as analyze --evidence does) and the 1-based packet numbers.
// Missing lists those of Packets the evidence file (Pcap) lacks: a live
// sensor's ring of recent packets no longer held them when the finding
// was raised or changed.
type Evidence struct {
	Capture string  `json:"capture"`
	SHA256  string  `json:"sha256,omitempty"`
	Packets []int64 `json:"packets"`
	Missing []int64 `json:"missing,omitempty"`
}

// PcapFile is a capture file written with a finding's evidence packets
// (analyze --evidence, sensor --evidence or --publish): where, how many
// packets, its size and SHA-256. Path is the file written (empty when the
// sensor publishes it instead); Object names it in the NATS object store
// (sensor --publish: bucket harborwatch-evidence).
type PcapFile struct {
	Path    string `json:"path,omitempty"`
	Object  string `json:"object,omitempty"`
	Packets int    `json:"packets"`
	Bytes   int64  `json:"bytes"`
	SHA256  string `json:"sha256"`
}

// Finding is one reported violation, aggregated over every flow and event
// with the same rule, source, destination and application.
type Finding struct {
	ID        string     `json:"id"`
	Rule      string     `json:"rule"`
	Severity  Severity   `json:"severity"`
	Title     string     `json:"title"`
	Src       Host       `json:"src"`
	Dst       Host       `json:"dst"`
	Transport string     `json:"transport,omitempty"`
	App       string     `json:"app,omitempty"`
	DPort     uint16     `json:"dport,omitempty"`
	FirstSeen time.Time  `json:"first_seen"`
	LastSeen  time.Time  `json:"last_seen"`
	Count     uint64     `json:"count"`
	Evidence  []Evidence `json:"evidence"`
	Controls  []string   `json:"controls"`
	// Techniques are the MITRE ATT&CK for ICS technique ids of the rule
	// (see Rule.Techniques): what an adversary may be doing when the
	// finding fires. Empty, not absent, for a rule no technique fits.
	Techniques []string       `json:"techniques"`
	Detail     map[string]any `json:"detail,omitempty"`
	Pcap       *PcapFile      `json:"pcap,omitempty"` // with analyze --evidence
}

// Spec describes a finding that is not an aggregate of flows: a device
// finding made outside the packet path (by the inventory).
type Spec struct {
	Rule     string
	Severity Severity
	Src, Dst Host
	Title    string // empty: the rule's title
	// First and Last are packet times in ns (both 0 when the finding rests
	// on declarations only); Count how many observations it rests on.
	First, Last int64
	Count       uint64
	Evidence    []Evidence // nil: none
	Detail      map[string]any
	// Key tells apart findings of one rule on one device (e.g. "mac" and
	// "vendor" mismatches); it enters the finding's ID.
	Key string
}

// New builds the finding sp describes, with its ID, and its controls and
// techniques from the rule table.
func New(sp Spec) Finding {
	r, _ := Lookup(sp.Rule)
	title := sp.Title
	if title == "" {
		title = r.Title
	}
	f := Finding{
		Rule: sp.Rule, Severity: sp.Severity, Title: title, Src: sp.Src, Dst: sp.Dst,
		Count: sp.Count, Evidence: sp.Evidence, Controls: r.Controls, Techniques: r.Techniques, Detail: sp.Detail,
	}
	if f.Evidence == nil {
		f.Evidence = []Evidence{}
	}
	if sp.First != 0 || sp.Last != 0 {
		f.FirstSeen, f.LastSeen = time.Unix(0, sp.First).UTC(), time.Unix(0, sp.Last).UTC()
	}
	f.ID = NewID(sp.Rule, sp.Src.IP, sp.Dst.IP, sp.Src.MAC+"|"+sp.Src.Asset, sp.Key)
	return f
}

// NewID returns a finding's ID: a hash of what makes the finding one (its
// rule, addresses, application or device, and extra), stable across runs
// so that suppressions and SIEM rules can key on it.
func NewID(rule string, src, dst netip.Addr, app, extra string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%s|%s", rule, src, dst, app, extra)
	return "HW-" + strings.ToUpper(hex.EncodeToString(h.Sum(nil))[:12])
}

// Compare orders findings as every list of them is ordered: severity
// (highest first), rule, source, destination, application, port, source
// asset, then ID.
func Compare(a, b *Finding) int {
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
}

// Sort sorts findings in the order of Compare.
func Sort(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int { return Compare(&a, &b) })
}
