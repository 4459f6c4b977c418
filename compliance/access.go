package compliance

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/store"
)

// RuleUnregistered is the rule of the findings Reconcile makes.
const RuleUnregistered = finding.RuleUnregistered

// Use kinds.
const (
	UseRemote = "remote-session" // a remote-access session (RDP, VNC, SSH, TeamViewer, …)
	UseChange = "ics-change"     // a change to a controller (program, firmware, configuration, mode, write)
)

// Use is one remote session or controller change seen on the wire, from a
// finding or an event.
type Use struct {
	Kind     string
	Src, Dst finding.Host
	App      string
	At       time.Time // packet time, the last of the finding or the event's
	// From is the finding id it comes from, "" for an event.
	From     string
	Evidence []finding.Evidence
}

// remoteProtos are the event protocols (and finding applications) of
// remote-access sessions.
var remoteProtos = []string{"rdp", "vnc", "rfb", "ssh", "telnet", "teamviewer", "anydesk"}

// changeOps are the controller operations that change what it runs.
var changeOps = []string{event.OpProgramDownload, event.OpProgramDelete, event.OpPLCStop, event.OpPLCStart,
	event.OpFirmwareUpdate, event.OpConfigChange, event.OpWrite}

// UsesFromFindings returns the uses the findings show: remote-access
// sessions (remote-access.unmanaged) and changes to controllers (the ICS
// rules on changing operations). Every state counts: a resolved finding
// still happened.
func UsesFromFindings(fs []store.Finding) []Use {
	var out []Use
	for _, f := range fs {
		r, ok := finding.Lookup(f.Rule)
		if !ok {
			continue
		}
		var kind string
		switch {
		case f.Rule == finding.RuleRemoteAccess:
			kind = UseRemote
		case r.Op != "" && slices.Contains(changeOps, r.Op):
			kind = UseChange
		default:
			continue
		}
		out = append(out, Use{Kind: kind, Src: f.Src, Dst: f.Dst, App: f.App, At: f.LastSeen, From: f.ID, Evidence: f.Evidence})
	}
	return out
}

// UsesFromEvents returns the uses stored events show: sessions of remote
// access protocols and changing operations on controllers.
func UsesFromEvents(evs []store.StoredEvent) []Use {
	var out []Use
	for _, e := range evs {
		var kind string
		switch {
		case slices.Contains(changeOps, e.Op):
			kind = UseChange
		case slices.Contains(remoteProtos, strings.ToLower(e.Proto)) && (e.Op == event.OpSession || e.Op == ""):
			kind = UseRemote
		default:
			continue
		}
		var ev []finding.Evidence
		if e.CaptureID != "" && e.Packet > 0 {
			ev = []finding.Evidence{{Capture: e.CaptureID, Packets: []int64{e.Packet}}}
		}
		out = append(out, Use{Kind: kind, Src: finding.Host{IP: e.Src}, Dst: finding.Host{IP: e.Dst}, App: e.Proto, At: e.TS, Evidence: ev})
	}
	return out
}

// Review is an access register entry a person should look at.
type Review struct {
	Entry    store.AccessEntry `json:"entry"`
	LastUsed time.Time         `json:"last_used,omitzero"` // zero: never seen in use
	Reason   string            `json:"reason"`
}

// Reconciled is what Reconcile found.
type Reconciled struct {
	// Findings are access.unregistered findings, one per source,
	// destination and kind, in finding.Sort's order.
	Findings []finding.Finding `json:"findings"`
	Reviews  []Review          `json:"reviews"`
	// Used maps an entry id to the newest use it covers.
	Used map[string]time.Time `json:"used"`
}

// Reconcile holds the uses of a site against its access register
// (entries of other sites are ignored): a use from a source that no entry
// covers is an access.unregistered finding (high severity; its evidence
// is that of the uses); an entry that covers no use within
// policy.UnusedAfter before now, or that has expired, is a review item.
// With an empty register every use is unregistered.
func Reconcile(site string, entries []store.AccessEntry, uses []Use, now time.Time, policy Policy) Reconciled {
	var reg []store.AccessEntry
	for _, e := range entries {
		if e.Site == site {
			reg = append(reg, e)
		}
	}
	rec := Reconciled{Used: map[string]time.Time{}}
	type key struct {
		src, dst netip.Addr
		kind     string
	}
	agg := map[key]*finding.Finding{}
	var order []key
	for _, u := range uses {
		covered := false
		for _, e := range reg {
			if e.Covers(u.Src.IP) {
				covered = true
				if u.At.After(rec.Used[e.ID]) {
					rec.Used[e.ID] = u.At
				}
			}
		}
		if covered {
			continue
		}
		k := key{u.Src.IP, u.Dst.IP, u.Kind}
		f := agg[k]
		if f == nil {
			nf := finding.New(finding.Spec{
				Rule: RuleUnregistered, Severity: finding.High, Src: u.Src, Dst: u.Dst, Key: u.Kind,
				Title:  fmt.Sprintf("%s from %s, which no access register entry covers", strings.ReplaceAll(u.Kind, "-", " "), u.Src.IP),
				Detail: map[string]any{"kind": u.Kind, "findings": []string{}},
			})
			nf.App = u.App
			f = &nf
			agg[k] = f
			order = append(order, k)
		}
		f.Count++
		if u.From != "" {
			ids := f.Detail["findings"].([]string)
			if !slices.Contains(ids, u.From) {
				f.Detail["findings"] = append(ids, u.From)
			}
		}
		if !u.At.IsZero() {
			if f.FirstSeen.IsZero() || u.At.Before(f.FirstSeen) {
				f.FirstSeen = u.At
			}
			if u.At.After(f.LastSeen) {
				f.LastSeen = u.At
			}
		}
		if len(f.Evidence) < finding.MaxEvidence {
			f.Evidence = append(f.Evidence, u.Evidence...)
			if len(f.Evidence) > finding.MaxEvidence {
				f.Evidence = f.Evidence[:finding.MaxEvidence]
			}
		}
	}
	for _, k := range order {
		rec.Findings = append(rec.Findings, *agg[k])
	}
	finding.Sort(rec.Findings)
	unused := policy.unused()
	for _, e := range reg {
		last := rec.Used[e.ID]
		switch {
		case !e.Expires.IsZero() && !now.Before(e.Expires):
			rec.Reviews = append(rec.Reviews, Review{Entry: e, LastUsed: last, Reason: "expired on " + e.Expires.Format(time.DateOnly) + ": renew or remove it"})
		case last.IsZero():
			rec.Reviews = append(rec.Reviews, Review{Entry: e, Reason: "never seen in use: is the access still needed?"})
		case now.Sub(last) > unused:
			rec.Reviews = append(rec.Reviews, Review{Entry: e, LastUsed: last,
				Reason: fmt.Sprintf("not used for %d days (review after %d): is the access still needed?", int(now.Sub(last).Hours()/24), int(unused.Hours()/24))})
		}
	}
	return rec
}
