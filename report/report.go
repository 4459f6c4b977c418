// Package report renders the result of an analysis for people (text) and
// machines (one JSON document, schema version 1; see docs/formats/report.md).
// It is a view: it reads results and never changes them. It takes a run's
// statistics (package runstats), its findings and its inventory, and
// imports no package of the packet path, directly or not (internal/arch
// checks it), so any program can show a report without the pipeline.
package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"harborwatch/declared"
	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/internal/textsafe"
	"harborwatch/inventory"
	"harborwatch/runstats"
)

// Document is the JSON report.
type Document struct {
	Version  int               `json:"version"`
	Facility *Facility         `json:"facility,omitempty"`
	Stats    runstats.Stats    `json:"stats"`
	Findings []finding.Finding `json:"findings"`
	// Assets and Cranes are the reconciled inventory (package inventory):
	// declared and observed devices, and cranes as units.
	Assets    []inventory.Asset  `json:"assets"`
	Cranes    []inventory.Crane  `json:"cranes"`
	Inventory inventory.Summary  `json:"inventory"`
	Problems  []declared.Problem `json:"import_problems,omitempty"`
	// Seen is what a run without a site model saw (nil with a site).
	Seen *Seen `json:"seen,omitempty"`
}

// Facility names the site the report is about.
type Facility struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	Port string `json:"port,omitempty"`
}

// NewDocument builds the JSON document of a run: its statistics, the
// findings of its detection and the inventory reconciled from it. The
// inventory's findings join the detection's, in the one order of
// finding.Sort; fs is not modified.
func NewDocument(fac *Facility, st runstats.Stats, fs []finding.Finding, inv *inventory.Inventory) *Document {
	d := &Document{Version: event.SchemaVersion, Facility: fac, Stats: st,
		Findings: slices.Concat(fs, inv.Findings), Assets: inv.Assets, Cranes: inv.Cranes,
		Inventory: inv.Summary, Problems: inv.Problems}
	finding.Sort(d.Findings)
	if d.Findings == nil {
		d.Findings = []finding.Finding{}
	}
	if d.Assets == nil {
		d.Assets = []inventory.Asset{}
	}
	if d.Cranes == nil {
		d.Cranes = []inventory.Crane{}
	}
	return d
}

// JSON writes the document, indented, with a final newline.
func JSON(w io.Writer, d *Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(d)
}

// Text writes the report for people: totals, the cyclic I/O connections,
// then findings grouped by severity (highest first) and by zone pair,
// each with its evidence and the controls it bears on.
func Text(w io.Writer, d *Document) error {
	tw := &textWriter{w: w}
	tw.header(d)
	tw.cyclicIO(&d.Stats)
	if d.Seen != nil {
		tw.seen(d.Seen)
	}
	tw.findings(d.Findings)
	tw.assets(d)
	return tw.err
}

type textWriter struct {
	w   io.Writer
	err error
}

// printf writes a line of the report. Every argument that is not a number
// is shown through textsafe.String: names from the wire (file names,
// identities), from site.yaml (facility, zones, assets) and from the
// command line (capture files) cannot move the cursor, ring, recolour or
// reorder the terminal, nor break a line. The format itself is ours and is
// written as it is.
func (t *textWriter) printf(format string, args ...any) {
	if t.err != nil {
		return
	}
	textsafe.Args(args)
	_, t.err = fmt.Fprintf(t.w, format, args...)
}

func stamp(ts time.Time) string { return ts.UTC().Format("2006-01-02 15:04:05.000Z") }

func (t *textWriter) header(d *Document) {
	title := "harborwatch analysis"
	if f := d.Facility; f != nil && f.Name != "" {
		title += " — " + textsafe.String(f.Name)
		if f.Port != "" {
			title += ", " + textsafe.String(f.Port)
		}
	}
	st := &d.Stats
	if st.Partial {
		t.printf("PARTIAL REPORT (%s): only the first %s were analyzed\n\n", st.PartialReason, Nouns(st.Packets, "packet", "packets"))
	}
	t.printf("%s\n%s\n\n", title, strings.Repeat("=", len([]rune(title))))
	for _, c := range st.Captures {
		t.printf("capture  %s: %s packets, %s bytes\n", c.File, Count(c.Packets), Count(c.Bytes))
		if c.Error != "" {
			t.printf("         DAMAGED: %s (packets before the damage were analyzed)\n", c.Error)
		}
	}
	if st.FirstTS != nil {
		t.printf("time     %s → %s\n", stamp(*st.FirstTS), stamp(*st.LastTS))
	}
	t.printf("packets  %s (%s bytes), flows %s", Count(st.Packets), Count(st.Bytes), Count(st.Flows))
	if st.EvictedFlows > 0 {
		t.printf(", %s EVICTED (flow memory full: raise --flow-memory)", Count(st.EvictedFlows))
	}
	t.printf("\n")
	if st.Filter != "" {
		t.printf("filter   %s left out by --bpf %q (not analyzed)\n", Nouns(st.Filtered, "packet", "packets"), st.Filter)
	}
	if st.EvictedFlows > 0 {
		t.printf("lost     %s before %s end: later packets start new flows, so findings on %s may be split or missed\n",
			Nouns(st.EvictedFlows, "flow evicted", "flows evicted"), pick(st.EvictedFlows, "its", "their"), pick(st.EvictedFlows, "it", "them"))
	}
	if st.TCPGaps > 0 {
		cost := "ICS operations across them may be missed"
		if st.TCPDroppedBytes > 0 {
			cost = Count(st.TCPDroppedBytes) + " bytes not analyzed: ICS operations in them may be missed"
		}
		t.printf("lost     tcp gaps %s (%s)\n", Count(st.TCPGaps), cost)
	}
	for _, k := range sortedKeys(st.UnknownLinkTypes) {
		n := st.UnknownLinkTypes[k]
		t.printf("unknown  link type %s: %s not analyzed (no decoder for it)\n", k, Nouns(n, "packet", "packets"))
	}
	var errs []string
	for _, k := range sortedKeys(st.DecodeErrors) {
		errs = append(errs, fmt.Sprintf("%s %d", k, st.DecodeErrors[k]))
	}
	if len(errs) > 0 {
		t.printf("damaged  malformed headers: %s\n", strings.Join(errs, ", "))
		t.printf("         (those packets were analyzed only up to the damage: what they carried may be missed)\n")
	}
	if st.Fragments > 0 || st.Truncated > 0 {
		t.printf("note     %s (not reassembled), %s by the snap length\n", Nouns(st.Fragments, "IP fragment", "IP fragments"), Nouns(st.Truncated, "packet cut", "packets cut"))
	}
	if st.ExternalDropped > 0 {
		t.printf("note     %s not remembered as device candidates\n", Nouns(st.ExternalDropped, "external address", "external addresses"))
	}
	if st.HostsDropped > 0 {
		t.printf("note     %s not remembered (host table full)\n", Nouns(st.HostsDropped, "host", "hosts"))
	}
	if st.MemoryDropped() {
		t.printf("memory   budget full, dropped: %s, %s of reassembly, %s (raise --flow-memory)\n",
			Nouns(st.EvictedFlows, "flow", "flows"), Nouns(st.TCPShedBytes, "byte", "bytes"), Nouns(st.HostsDropped, "host table entry", "host table entries"))
	}
	t.printf("\n")
}

func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Nouns formats a count of things: "1 device", "1,207 devices".
func Nouns(n uint64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Count(n) + " " + many
}

// pick returns one when n is 1, else many.
func pick(n uint64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Count formats n with thousands separators: "21,448".
func Count(n uint64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (t *textWriter) findings(fs []finding.Finding) {
	bySev := map[finding.Severity]int{}
	for _, f := range fs {
		bySev[f.Severity]++
	}
	var parts []string
	for s := finding.Critical; s >= finding.Low; s-- {
		if n := bySev[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(fs) == 0 {
		t.printf("FINDINGS: none\n\n")
		return
	}
	t.printf("FINDINGS: %d (%s)\n", len(fs), strings.Join(parts, ", "))
	for s := finding.Critical; s >= finding.Low; s-- {
		var group []finding.Finding
		for _, f := range fs {
			if f.Severity == s {
				group = append(group, f)
			}
		}
		if len(group) == 0 {
			continue
		}
		slices.SortStableFunc(group, func(a, b finding.Finding) int {
			return cmp.Compare(pair(a), pair(b))
		})
		t.printf("\n%s\n", strings.ToUpper(s.String()))
		last := ""
		for _, f := range group {
			if p := pair(f); p != last {
				t.printf("  %s\n", p)
				last = p
			}
			t.finding(f)
		}
	}
	t.printf("\n")
}

func pair(f finding.Finding) string {
	src, dst := zoneName(f.Src.Zone), zoneName(f.Dst.Zone)
	if !f.Dst.IP.IsValid() {
		return src
	}
	return src + " → " + dst
}

func zoneName(z string) string {
	if z == "" {
		return "-"
	}
	return z
}

func host(h finding.Host) string {
	if !h.IP.IsValid() {
		return ""
	}
	s := h.IP.String()
	if h.Asset != "" {
		s += " (" + h.Asset + ")"
	}
	return s
}

func (t *textWriter) finding(f finding.Finding) {
	t.printf("    %s  %s\n", f.Rule, f.Title)
	line, d := host(f.Src), host(f.Dst)
	if f.Transport == "ethernet" { // a layer-2 exchange (PROFINET DCP): a station whose address is unknown by its MAC
		line, d = cmp.Or(line, f.Src.MAC), cmp.Or(d, f.Dst.MAC)
	}
	if d != "" {
		line += " → " + d
		if f.DPort != 0 {
			line += fmt.Sprintf(" port %d/%s", f.DPort, f.Transport)
		}
	}
	if r, _ := finding.Lookup(f.Rule); r.Device && f.Src.MAC != "" {
		line = strings.TrimSpace(line + "  mac " + f.Src.MAC)
	}
	t.printf("        %s\n", line)
	if f.FirstSeen.IsZero() {
		t.printf("        from the declarations, id %s\n", f.ID) // never seen: no count, no time
	} else {
		t.printf("        %s, %s → %s, id %s\n", counted(f), stamp(f.FirstSeen), stamp(f.LastSeen), f.ID)
	}
	if f.Rule == finding.RuleNotIsolated {
		t.printf("        supplier %v: %v\n", f.Detail["supplier"], f.Detail["reason"])
		if ls, ok := f.Detail["lists"].([]map[string]any); ok {
			for _, l := range ls {
				t.printf("        listed %v (%v, %v)\n", l["name"], l["citation"], l["date"])
			}
		}
	}
	if f.Rule == finding.RuleMismatch {
		t.printf("        %v declared %v, observed %v\n", f.Detail["field"], f.Detail["declared"], f.Detail["observed"])
	}
	if d, ok := f.Detail["declared_in"].([]string); ok {
		t.printf("        declared in %s\n", strings.Join(d, ", "))
	}
	if files, ok := f.Detail["files"].([]map[string]string); ok {
		for _, fo := range files {
			t.printf("        file  %s %s\n", fo["op"], fo["name"])
		}
	}
	if names, ok := f.Detail["names"].([]string); ok {
		t.printf("        names %s\n", strings.Join(names, ", "))
	}
	if m, ok := f.Detail["matched"].([]string); ok {
		lists, _ := f.Detail["lists"].([]string)
		t.printf("        matched %s (%s)\n", strings.Join(m, ", "), strings.Join(lists, ", "))
	}
	if fns, ok := f.Detail["functions"].([]string); ok {
		t.printf("        functions %s\n", strings.Join(fns, ", "))
	}
	if objs, ok := f.Detail["objects"].([]string); ok {
		t.printf("        objects %s\n", strings.Join(objs, ", "))
	}
	if acc, ok := f.Detail["accepted"].(uint64); ok {
		line := fmt.Sprintf("accepted by the device %d", acc)
		if rej, ok := f.Detail["rejected"].(map[string]uint64); ok {
			var parts []string
			for _, k := range sortedKeys(rej) {
				parts = append(parts, fmt.Sprintf("%s %d", k, rej[k]))
			}
			line += ", rejected: " + strings.Join(parts, ", ")
		}
		t.printf("        %s\n", line)
	}
	if addrs, ok := f.Detail["addresses"].([]map[string]any); ok {
		var parts []string
		for _, a := range addrs {
			parts = append(parts, fmt.Sprintf("%v (%v, vlan %v)", a["ip"], a["zone"], a["vlan"]))
		}
		t.printf("        addresses %s\n", strings.Join(parts, ", "))
	}
	for _, e := range f.Evidence {
		nums := make([]string, len(e.Packets))
		for i, n := range e.Packets {
			nums[i] = fmt.Sprint(n)
		}
		sum := ""
		if e.SHA256 != "" {
			sum = " (sha256 " + e.SHA256 + ")"
		}
		t.printf("        evidence %s%s packets %s\n", e.Capture, sum, strings.Join(nums, " "))
	}
	if p := f.Pcap; p != nil {
		t.printf("        pcap %s (%s, %s, sha256 %s)\n", p.Path, Nouns(uint64(p.Packets), "packet", "packets"), Nouns(uint64(p.Bytes), "byte", "bytes"), p.SHA256)
	}
	t.printf("        controls %s\n", strings.Join(f.Controls, ", "))
}

// counted says what a finding's count counts.
func counted(f finding.Finding) string {
	unit := "flow"
	if r, ok := finding.Lookup(f.Rule); ok {
		unit = r.Counts
	}
	if _, ok := f.Detail["names"]; ok && f.Rule == finding.RuleProhibited {
		unit = "lookup" // a name looked up, not a flow to an address
	}
	if f.Count == 1 {
		return "1 " + unit
	}
	if unit == "address" {
		return fmt.Sprintf("%d addresses", f.Count)
	}
	return fmt.Sprintf("%d %ss", f.Count, unit)
}

func (t *textWriter) assets(d *Document) {
	s := d.Inventory
	t.printf("ASSETS: %s, %d declared, %d seen", Nouns(uint64(s.Assets), "device", "devices"), s.Declared, s.Observed)
	if s.OfConcern > 0 {
		t.printf("; %d tied to suppliers of concern (%s)", s.OfConcern, inventory.Counts(s.BySupplier))
		if n := s.ByIsolation["not-isolated"]; n > 0 {
			t.printf(", %d not isolated", n)
		}
	}
	t.printf("\n")
	if len(d.Cranes) > 0 {
		t.printf("CRANES: %d, %d with suppliers of concern (see 'harborwatch inventory cranes')\n", s.Cranes, s.CranesOfConcern)
	}
	for _, p := range d.Problems {
		t.printf("IMPORT PROBLEM: %s (skipped)\n", p.Error())
	}
}
