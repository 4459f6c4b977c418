package incident

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/site"
	"harborwatch/store"
)

// Who fills a field.
const (
	ByHarborwatch = "harborwatch" // filled from the store
	Suggested     = "suggested"   // harborwatch suggests, a person confirms
	ByPerson      = "person"      // a person must add it
	Supplied      = "supplied"    // a person supplied it (Incident.Fields)
)

// Field is one field of the report draft.
type Field struct {
	N        int      `json:"n"`
	Key      string   `json:"key"` // the key of Incident.Fields that supplies it
	Label    string   `json:"label"`
	Value    string   `json:"value"`
	By       string   `json:"by"` // ByHarborwatch, Suggested, ByPerson or Supplied
	WantedBy []string `json:"wanted_by"`
	Note     string   `json:"note,omitempty"`
}

// NeedsPerson tells whether a person must still add or confirm the field.
func (f Field) NeedsPerson() bool { return f.By == ByPerson || f.By == Suggested }

// Contact is whom to notify.
type Contact struct {
	Who, Phone, Email, When string
}

// Contacts are the reporting contacts of the advisory and NVIC 02-24 CH 1.
var Contacts = []Contact{
	{"National Response Center (covers the COTP and the FBI)", "1-800-424-8802", "", "without delay: 33 CFR 6.16-1, §101.305, §101.620(b)(7)"},
	{"CISA (a separate report is still needed)", "844-SAY-CISA (844-729-2472)", "SayCISA@cisa.dhs.gov", "immediately (33 CFR 6.16-1)"},
	{"CISA Central", "888-282-0870", "central@cisa.gov", "MSCI contact"},
	{"USCG Cyber Command (CGCYBER) MCRB", "", "maritimecyber@uscg.mil", "MSCI contact"},
	{"FBI CyWatch", "855-292-3937", "CyWatch@fbi.gov", "MSCI contact (the NRC forwards to it)"},
}

// Assessment is harborwatch's guidance on reportability; the officer
// decides.
type Assessment struct {
	Level    string   `json:"level"` // likely, possible or unlikely
	Criteria []int    `json:"criteria"`
	Reasons  []string `json:"reasons"`
}

// Clock is the reporting clock from detection.
type Clock struct {
	Detected time.Time     `json:"detected"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Rule     string        `json:"rule"`
}

// Entry is one line of the timeline.
type Entry struct {
	At   time.Time `json:"at"`
	What string    `json:"what"`
	Ref  string    `json:"ref,omitempty"` // finding id or capture:packet
}

// Affected is what the incident touches.
type Affected struct {
	Cranes []string `json:"cranes"`
	Assets []string `json:"assets"`
	Zones  []string `json:"zones"`
	Hosts  []string `json:"hosts"`
}

// Input is what Draft reads.
type Input struct {
	Incident store.Incident
	Findings []store.Finding // the incident's findings
	Site     *site.Site      // nil: no model
	Assets   []store.Asset
	Events   []store.StoredEvent // of the incident's hosts, around its time
	Now      time.Time
}

// Report is the draft.
type Report struct {
	Incident   store.Incident  `json:"incident"`
	Facility   string          `json:"facility,omitempty"` // the site model's facility name
	Fields     []Field         `json:"fields"`
	Assessment Assessment      `json:"assessment"`
	Clock      Clock           `json:"clock"`
	Timeline   []Entry         `json:"timeline"`
	Affected   Affected        `json:"affected"`
	Contacts   []Contact       `json:"contacts"`
	Findings   []store.Finding `json:"findings"`
	// Files are the programs, blocks and firmware the incident's events
	// moved, with their SHA-256 (shared as STIX file indicators).
	Files   []FileHash `json:"files,omitempty"`
	Missing []string   `json:"missing"` // labels of the fields a person must add or confirm
}

// FileHash is a file or program block an event moved, by its SHA-256.
type FileHash struct {
	Name   string `json:"name,omitempty"`
	SHA256 string `json:"sha256"`
	Op     string `json:"op"`
	Ref    string `json:"ref"` // capture:packet of the event
}

// transferOps are the operations whose events carry what they moved.
var transferOps = []string{event.OpProgramDownload, event.OpProgramUpload, event.OpFirmwareUpdate}

// fileHashes returns what an event's detail says it moved: every map in
// it (a block, a transfer, a file) with a 64-digit hex "sha256".
func fileHashes(e store.StoredEvent) []FileHash {
	var out []FileHash
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		m, ok := v.(map[string]any)
		if !ok || depth > 4 {
			return
		}
		if h, ok := m["sha256"].(string); ok && len(h) == 64 && strings.Trim(strings.ToLower(h), "0123456789abcdef") == "" {
			name, _ := m["name"].(string)
			out = append(out, FileHash{Name: name, SHA256: strings.ToLower(h), Op: e.Op, Ref: fmt.Sprintf("%s:%d", e.CaptureID, e.Packet)})
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			walk(m[k], depth+1)
		}
	}
	walk(e.Detail, 0)
	return out
}

// changeRules are the rules whose findings change what a controller runs.
var changeRules = []string{finding.RuleICSProgramDownload, finding.RuleICSProgramDelete, finding.RuleICSPLCStop, finding.RuleICSPLCStart,
	finding.RuleICSFirmwareUpdate, finding.RuleICSConfigChange, finding.RuleICSWrite}

// suspicious are the rules whose findings are suspicious activity.
var suspicious = []string{finding.RuleRemoteAccess, finding.RuleUnregistered, finding.RuleProhibited, finding.RuleEgressExternal,
	finding.RuleICSAuthFailure, finding.RuleICSProgramUpload, finding.RuleFileTransfer}

// Assess gives the reportability guidance for a set of findings.
func Assess(fs []store.Finding, m *site.Site) Assessment {
	var a Assessment
	crit := map[int]bool{}
	for _, f := range fs {
		switch {
		case slices.Contains(changeRules, f.Rule):
			where := "a controller"
			if m != nil {
				if z := m.ZoneByID(f.Dst.Zone); z != nil && z.Kind == site.KindCraneControl {
					where = "a crane-control controller"
				}
			}
			a.Reasons = append(a.Reasons, fmt.Sprintf("%s on %s (%s → %s): may cause a substantial loss of integrity or availability of an OT system (§101.615 RCI criterion 1) and disrupt operations (criterion 2)", f.Rule, where, f.Src.IP, f.Dst.IP))
			crit[1], crit[2] = true, true
			a.Level = "likely"
		case slices.Contains(suspicious, f.Rule):
			a.Reasons = append(a.Reasons, fmt.Sprintf("%s (%s → %s): suspicious activity or unauthorized access; reportable when it reached systems of the security plan or OT, or by its volume, persistence or sophistication (NVIC 02-24 CH 1)", f.Rule, f.Src.IP, f.Dst.IP))
			crit[1] = true
			if a.Level == "" {
				a.Level = "possible"
			}
		}
	}
	if a.Level == "" {
		a.Level = "unlikely"
		a.Reasons = append(a.Reasons, "the findings show weaknesses (segmentation, inventory), not an event that put a system at risk: not reportable by themselves unless they escalate")
	}
	for c := range crit {
		a.Criteria = append(a.Criteria, c)
	}
	slices.Sort(a.Criteria)
	return a
}

// fingLevel maps a zone kind to the FING location of observed activity.
func fingLevel(k site.ZoneKind) string {
	switch k {
	case site.KindCraneControl:
		return "L6 critical systems"
	case site.KindCraneManagement, site.KindRemoteAccess:
		return "L5 critical system management"
	case site.KindCraneNoncritical, site.KindPortOT:
		return "L6 critical systems (non-critical devices)"
	case site.KindDMZ:
		return "L4 critical system DMZ"
	case site.KindBusiness:
		return "L2 business network"
	case site.KindExternal:
		return "outside the facility"
	}
	return "unknown"
}

// Draft builds the report draft.
func Draft(in Input) *Report {
	r := &Report{Incident: in.Incident, Findings: in.Findings, Contacts: Contacts}
	if in.Site != nil {
		r.Facility = in.Site.Facility.Name
	}
	r.Assessment = Assess(in.Findings, in.Site)
	r.Clock = Clock{Detected: in.Incident.Detected, Elapsed: in.Now.Sub(in.Incident.Detected).Truncate(time.Second),
		Rule: "no hour-count deadline: call the NRC without delay once it looks reportable; a first report may be minimal"}
	fs := slices.Clone(in.Findings)
	slices.SortFunc(fs, func(a, b store.Finding) int { return a.FirstSeen.Compare(b.FirstSeen) })

	// Affected: hosts, zones, assets, cranes.
	var first, last time.Time
	var maxSev finding.Severity
	hosts := map[string]bool{}
	zones, assets, cranes := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, f := range fs {
		if first.IsZero() || (!f.FirstSeen.IsZero() && f.FirstSeen.Before(first)) {
			first = f.FirstSeen
		}
		if f.LastSeen.After(last) {
			last = f.LastSeen
		}
		maxSev = max(maxSev, f.Severity)
		for _, h := range []finding.Host{f.Src, f.Dst} {
			if h.IP.IsValid() {
				hosts[h.IP.String()] = true
			}
			if h.Zone != "" {
				zones[h.Zone] = true
				if in.Site != nil {
					if z := in.Site.ZoneByID(h.Zone); z != nil && z.Crane != "" {
						cranes[z.Crane] = true
					}
				}
			}
			if h.Asset != "" {
				assets[h.Asset] = true
			}
		}
	}
	keys := func(m map[string]bool) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	r.Affected = Affected{Cranes: keys(cranes), Assets: keys(assets), Zones: keys(zones), Hosts: keys(hosts)}

	// Timeline: the findings' spans and the events of their hosts.
	for _, f := range fs {
		if !f.FirstSeen.IsZero() {
			r.Timeline = append(r.Timeline, Entry{At: f.FirstSeen, Ref: f.ID, What: "first seen: " + f.Title})
		}
		if f.LastSeen.After(f.FirstSeen) {
			r.Timeline = append(r.Timeline, Entry{At: f.LastSeen, Ref: f.ID, What: fmt.Sprintf("last seen (%d× in all): %s", f.Count, f.Rule)})
		}
	}
	for _, e := range in.Events {
		if !hosts[e.Src.String()] && !hosts[e.Dst.String()] {
			continue
		}
		if e.Op == event.OpRead || e.Op == event.OpIO {
			continue
		}
		what := fmt.Sprintf("%s %s %s → %s", e.Proto, cmp.Or(e.Op, e.Name), e.Src, e.Dst)
		if e.Name != "" && e.Op != "" {
			what += " " + e.Name
		}
		r.Timeline = append(r.Timeline, Entry{At: e.TS, What: what, Ref: fmt.Sprintf("%s:%d", e.CaptureID, e.Packet)})
		if slices.Contains(transferOps, e.Op) {
			for _, fh := range fileHashes(e) {
				if !slices.ContainsFunc(r.Files, func(x FileHash) bool { return x.SHA256 == fh.SHA256 && x.Name == fh.Name }) {
					r.Files = append(r.Files, fh)
				}
			}
		}
	}
	if !in.Incident.Detected.IsZero() {
		r.Timeline = append(r.Timeline, Entry{At: in.Incident.Detected, What: "detected by harborwatch (reporting clock starts)"})
	}
	if !in.Incident.Created.IsZero() {
		r.Timeline = append(r.Timeline, Entry{At: in.Incident.Created, What: "incident opened by " + in.Incident.Author})
	}
	slices.SortStableFunc(r.Timeline, func(a, b Entry) int { return a.At.Compare(b.At) })

	// The fields.
	facility, port := "", ""
	if in.Site != nil {
		facility, port = in.Site.Facility.Name, in.Site.Facility.Port
	}
	var narrative, activity, technical, location, scope, indicators, vulns []string
	techs := map[string]bool{}
	cia := map[string]bool{}
	for _, f := range fs {
		narrative = append(narrative, fmt.Sprintf("%s – %s: %s (%s, seen %d×).", f.FirstSeen.Format(time.RFC3339), f.LastSeen.Format(time.RFC3339), f.Title, f.Severity, f.Count))
		rule, _ := finding.Lookup(f.Rule)
		if !slices.Contains(activity, rule.Title) {
			activity = append(activity, rule.Title)
		}
		for _, t := range f.Techniques {
			techs[t+" "+finding.TechniqueName(t)] = true
		}
		technical = append(technical, fmt.Sprintf("%s: %s:%s → %s:%d %s/%s (rule %s)", f.ID, f.Src.IP, f.Src.Zone, f.Dst.IP, f.DPort, cmp.Or(f.Transport, "-"), cmp.Or(f.App, "-"), f.Rule))
		for _, ev := range f.Evidence {
			indicators = append(indicators, fmt.Sprintf("evidence: capture %s packets %v", ev.Capture, ev.Packets))
		}
		switch {
		case slices.Contains(changeRules, f.Rule):
			cia["integrity"] = true
			if f.Rule == finding.RuleICSPLCStop || f.Rule == finding.RuleICSPLCStart || f.Rule == finding.RuleICSFirmwareUpdate {
				cia["availability"] = true
			}
		case f.Rule == finding.RuleProhibited || f.Rule == finding.RuleEgressExternal || f.Rule == finding.RuleFileTransfer:
			cia["confidentiality"] = true
		case f.Rule == finding.RuleRemoteAccess || f.Rule == finding.RuleUnregistered:
			cia["confidentiality"], cia["integrity"] = true, true
		}
		if f.Rule == finding.RuleVulnKnown {
			vulns = append(vulns, f.Title)
		}
	}
	for _, z := range r.Affected.Zones {
		lvl := "unknown"
		if in.Site != nil {
			if zz := in.Site.ZoneByID(z); zz != nil {
				lvl = fingLevel(zz.Kind)
			}
		}
		location = append(location, z+": "+lvl)
	}
	for _, id := range r.Affected.Assets {
		line := id
		for _, a := range in.Assets {
			if a.ID == id {
				line += " " + assetLine(a)
			}
		}
		scope = append(scope, line)
	}
	for _, ip := range External(fs) {
		indicators = append(indicators, "external address: "+ip.String())
	}
	for _, d := range Domains(fs) {
		indicators = append(indicators, "domain: "+d)
	}
	var rules []string
	for _, f := range fs {
		if !slices.Contains(rules, f.Rule) {
			rules = append(rules, f.Rule)
		}
	}
	indicators = append(indicators, "harborwatch rules: "+strings.Join(rules, ", "))
	var ciaText []string
	for _, k := range []string{"confidentiality", "integrity", "availability"} {
		ciaText = append(ciaText, fmt.Sprintf("%s: %s", k, map[bool]string{true: "potentially compromised", false: "no sign"}[cia[k]]))
	}
	regime := "voluntary"
	switch r.Assessment.Level {
	case "likely":
		regime = "33 CFR 6.16-1 cyber incident / §101.615 reportable cyber incident"
	case "possible":
		regime = "33 CFR 101.305 suspicious activity (or breach of security if it reached security-plan systems)"
	}
	span := "–"
	if !first.IsZero() {
		span = first.Format(time.RFC3339) + " – " + last.Format(time.RFC3339)
	}
	techList := make([]string, 0, len(techs))
	for t := range techs {
		techList = append(techList, t)
	}
	slices.Sort(techList)
	var hw []string
	if facility != "" {
		hw = append(hw, "facility: "+facility)
	}
	if port != "" {
		hw = append(hw, "port: "+port)
	}
	entityBy := ByPerson
	if len(hw) > 0 {
		entityBy = Suggested // the name and port; the address and plan id are a person's
	}
	fld := func(n int, key, label, value, by string, wanted ...string) Field {
		return Field{N: n, Key: key, Label: label, Value: value, By: by, WantedBy: wanted}
	}
	r.Fields = []Field{
		fld(1, "report_type", "Report type (initial / update / final) and the id of an earlier report", "initial", Suggested, "IRF", "FING"),
		fld(2, "regime", "Trigger or regime", regime, Suggested, "IRF", "NRC"),
		fld(3, "reporter", "Reporter: name, title, phone, email, 24/7 callback; the CySO if different", "", ByPerson, "NRC", "IRF", "10K", "FING"),
		fld(4, "entity", "Entity legal name, facility name, physical address, MTSA facility or plan id, COTP zone(s)", strings.Join(hw, "; "), entityBy, "NRC", "10K", "CIR"),
		fld(5, "unit_type", "Type of unit and critical infrastructure sector", "facility; Transportation Systems (maritime)", Suggested, "NRC", "10K", "IRF"),
		fld(6, "times", "Detection time, first observed, estimated range, report time", fmt.Sprintf("detected %s; first observed %s; range %s; report time: to be added when reported",
			in.Incident.Detected.UTC().Format(time.RFC3339), first.UTC().Format(time.RFC3339), span), ByHarborwatch, "IRF", "10K", "FING", "CIR"),
		fld(7, "narrative", "Narrative: what happened, how it was found, current state", "Detected by passive network monitoring (harborwatch). "+strings.Join(narrative, " "), Suggested, "NRC", "IRF", "10K"),
		fld(8, "activity", "Type of observed activity, incident category, attack vector", strings.Join(activity, "; ")+"; ATT&CK for ICS: "+cmp.Or(strings.Join(techList, ", "), "–")+"; attack vector: to be chosen (unknown, attrition, web, email/phishing, removable media, impersonation/spoofing, improper usage, loss or theft, other)", Suggested, "10K", "FING", "IRF"),
		fld(9, "cia", "Confidentiality, integrity, availability potentially compromised (Y/N each)", strings.Join(ciaText, "; "), Suggested, "IRF"),
		fld(10, "functional_impact", "Functional impact on operations (crane moves, TOS, gate, safety)", "", ByPerson, "NRC", "FING", "CIR"),
		fld(11, "information_impact", "Information impact: categories of data accessed, PII count", "", ByPerson, "FING", "CIR"),
		fld(12, "recoverability", "Recoverability: time and resources to recover", "", ByPerson, "FING"),
		fld(13, "scope", "Scope: systems, users, records affected; affected assets", fmt.Sprintf("%d hosts, %d assets, cranes %s: %s", len(r.Affected.Hosts), len(r.Affected.Assets),
			cmp.Or(strings.Join(r.Affected.Cranes, ", "), "none identified"), strings.Join(scope, "; ")), ByHarborwatch, "10K", "FING", "CIR"),
		fld(14, "location", "Network location of the activity (zone, FING level, IT/OT)", strings.Join(location, "; "), ByHarborwatch, "FING"),
		fld(15, "technical", "Technical details: addresses, ports, protocols, OT functions", strings.Join(technical, "; "), ByHarborwatch, "FING"),
		fld(16, "indicators", "Indicators and evidence references", strings.Join(indicators, "; "), ByHarborwatch, "FING", "IRF"),
		fld(17, "vulnerabilities", "Vulnerabilities exploited or matched; defenses in place", cmp.Or(strings.Join(vulns, "; "), "no matched advisory among the incident's findings"), Suggested, "CIR", "FING"),
		fld(18, "actor", "Actor information, if known", "", ByPerson, "CIR"),
		fld(19, "actions", "Actions taken: containment, mitigation, restoration; vendor contacted", "", ByPerson, "FING", "NVIC"),
		fld(20, "notifications", "Notification log: agency, time, method, NRC report number or CISA incident id, person", "", ByPerson, "10K", "IRF", "105.225"),
		fld(21, "severity", "Severity (the entity's own; NCISS level if given back)", "harborwatch severity of the findings: "+maxSev.String(), Suggested, "10K", "IRF"),
		fld(22, "handling", "Handling marks (TLP, SSI banner)", "TLP:AMBER+STRICT; SENSITIVE SECURITY INFORMATION (49 CFR part 1520)", Suggested, "NVIC"),
	}
	for i := range r.Fields {
		fl := &r.Fields[i]
		if v, ok := in.Incident.Fields[fl.Key]; ok && strings.TrimSpace(v) != "" {
			fl.Value, fl.By = v, Supplied
		}
		if fl.Key == "actions" && in.Incident.Notes != "" && fl.By == ByPerson {
			fl.Value, fl.By, fl.Note = in.Incident.Notes, Suggested, "from the incident's notes"
		}
		if fl.NeedsPerson() {
			r.Missing = append(r.Missing, fmt.Sprintf("%d %s", fl.N, fl.Label))
		}
	}
	return r
}

func assetLine(a store.Asset) string {
	d := decodeAsset(a)
	var parts []string
	for _, p := range []string{d.Vendor, d.Model, d.Firmware, d.Kind} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(d.Zones) > 0 {
		parts = append(parts, "zone "+strings.Join(d.Zones, ","))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// External returns the public addresses the findings involve, sorted.
func External(fs []store.Finding) []netip.Addr {
	var out []netip.Addr
	for _, f := range fs {
		for _, h := range []finding.Host{f.Src, f.Dst} {
			a := h.IP
			if !a.IsValid() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() {
				continue
			}
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}

// Domains returns the prohibited names the findings saw, sorted.
func Domains(fs []store.Finding) []string {
	var out []string
	for _, f := range fs {
		names, _ := f.Detail["names"].([]any)
		for _, n := range names {
			if s, ok := n.(string); ok && s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		if ss, ok := f.Detail["names"].([]string); ok {
			for _, s := range ss {
				if s != "" && !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// Files returns the names of the files the findings saw transferred.
func Files(fs []store.Finding) []string {
	var out []string
	for _, f := range fs {
		switch v := f.Detail["files"].(type) {
		case []any:
			for _, x := range v {
				if m, ok := x.(map[string]any); ok {
					if n, _ := m["name"].(string); n != "" && !slices.Contains(out, n) {
						out = append(out, n)
					}
				}
			}
		case []map[string]string:
			for _, m := range v {
				if n := m["name"]; n != "" && !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}
