package finding

import (
	"encoding/json"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSeverity(t *testing.T) {
	for _, s := range []Severity{Low, Medium, High, Critical} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%s: round trip gave %v, %v", s, back, err)
		}
		if up, err := ParseSeverity(strings.ToUpper(s.String())); err != nil || up != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", strings.ToUpper(s.String()), up, err)
		}
	}
	if !(Low < Medium && Medium < High && High < Critical) {
		t.Error("severities out of order")
	}
	if _, err := ParseSeverity("severe"); err == nil || !strings.Contains(err.Error(), `"severe"`) {
		t.Errorf("ParseSeverity(severe) err = %v", err)
	}
	if Severity(0).String() != "unknown" || Severity(9).String() != "unknown" {
		t.Error("out-of-range severities not unknown")
	}
	var f struct{ S Severity }
	if err := json.Unmarshal([]byte(`{"S": "bogus"}`), &f); err == nil {
		t.Error("JSON accepted a bogus severity")
	}
}

// TestRuleTable checks the declared table: unique ids, each with a title,
// controls, a known unit, and ATT&CK for ICS technique ids that have a
// name (and every name used).
func TestRuleTable(t *testing.T) {
	ids := []string{RuleCrossZone, RuleMultiHomed, RuleEgressExternal, RuleRemoteAccess, RuleFileTransfer, RuleProhibited,
		RuleICSProgramDownload, RuleICSProgramUpload, RuleICSProgramDelete, RuleICSPLCStop, RuleICSPLCStart,
		RuleICSFirmwareUpdate, RuleICSConfigChange, RuleICSWrite, RuleICSInsecure, RuleICSAuthFailure,
		RuleUnknownDevice, RuleMissingDevice, RuleMismatch, RuleNotIsolated, RuleVulnKnown, RuleUnregistered,
		RuleIntegrityMismatch, RuleIntegrityBaselineInvalid, RuleIntegrityProgramChanged, RuleIntegrityRemoteUpdate,
		RuleRecoveryBackupMissing, RuleRecoveryBackupStale, RuleRecoveryBackupOnline, RuleRecoveryRestoreUntested,
		RuleRecoveryBackupOutdated, RuleRecoveryBackupMismatch, RuleRecoverySparesShort, RuleRecoveryRebuildUntested}
	rs := Rules()
	if len(rs) != len(ids) {
		t.Fatalf("%d rules, want %d", len(rs), len(ids))
	}
	tid := regexp.MustCompile(`^T0[89]\d\d$`)
	used := map[string]bool{}
	ops := map[string]bool{}
	for i, r := range rs {
		if r.ID != ids[i] {
			t.Errorf("rule %d is %s, want %s (the README's order)", i, r.ID, ids[i])
		}
		if r.Title == "" || len(r.Controls) == 0 || r.Techniques == nil {
			t.Errorf("%s: title %q, controls %v, techniques %v", r.ID, r.Title, r.Controls, r.Techniques)
		}
		if !slices.Contains([]string{"flow", "request", "address", "packet", "transfer", "check"}, r.Counts) {
			t.Errorf("%s counts %q", r.ID, r.Counts)
		}
		if strings.HasPrefix(r.ID, "ics.") != (r.Counts == "request") || (r.Op != "" && !strings.HasPrefix(r.ID, "ics.")) {
			t.Errorf("%s: op %q, counts %s", r.ID, r.Op, r.Counts)
		}
		if r.Op != "" {
			if ops[r.Op] || ForOp(r.Op) != r.ID || r.ID != "ics."+r.Op {
				t.Errorf("%s judges %q: ForOp gives %q", r.ID, r.Op, ForOp(r.Op))
			}
			ops[r.Op] = true
		}
		for _, x := range r.Techniques {
			if !tid.MatchString(x) || TechniqueName(x) == "" {
				t.Errorf("%s: technique %q has no name", r.ID, x)
			}
			used[x] = true
		}
		if got, ok := Lookup(r.ID); !ok || got.Title != r.Title {
			t.Errorf("Lookup(%s) = %+v, %v", r.ID, got, ok)
		}
	}
	for x := range techniques {
		if !used[x] {
			t.Errorf("technique %s named but cited by no rule", x)
		}
	}
	if _, ok := Lookup("no.such-rule"); ok {
		t.Error("Lookup found no.such-rule")
	}
	for _, op := range []string{"read", "identity", "auth", ""} {
		if ForOp(op) != "" {
			t.Errorf("ForOp(%q) = %q", op, ForOp(op))
		}
	}
	// The table is read-only: what Lookup and Rules return is a copy.
	r, _ := Lookup(RuleICSPLCStop)
	r.Techniques[0], r.Controls[0] = "T0000", "X"
	Rules()[0].Controls[0] = "X"
	if r2, _ := Lookup(RuleICSPLCStop); r2.Techniques[0] != "T0816" || r2.Controls[0] != "MSCI-SEG-3" || Rules()[0].Controls[0] != "MSCI-SEG-1" {
		t.Error("the table changed through a returned rule")
	}
	want := map[string][]string{
		RuleICSProgramDownload: {"T0843"}, RuleICSProgramUpload: {"T0845"}, RuleICSPLCStop: {"T0816", "T0858", "T0881"},
		RuleICSFirmwareUpdate: {"T0857"}, RuleICSWrite: {"T0855", "T0836"}, RuleRemoteAccess: {"T0822", "T0886"},
		RuleFileTransfer: {"T0867"}, RuleICSAuthFailure: {"T0859"},
	}
	for id, w := range want {
		if r, _ := Lookup(id); !slices.Equal(r.Techniques, w) {
			t.Errorf("%s techniques %v, want %v", id, r.Techniques, w)
		}
	}
}

// TestREADMERules checks that the README's rule table lists every rule
// with its controls and ATT&CK techniques.
func TestREADMERules(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for _, id := range regexp.MustCompile("`([a-z.-]+)`").FindAllStringSubmatch(cells[0], -1) {
			rows[id[1]] = cells
		}
	}
	for _, r := range Rules() {
		cells, ok := rows[r.ID]
		if !ok {
			t.Errorf("README: no row for %s", r.ID)
			continue
		}
		if len(cells) != 5 {
			t.Errorf("README: %s row has %d cells, want 5 (rule, when, severity, controls, ATT&CK)", r.ID, len(cells))
			continue
		}
		if got := strings.TrimSpace(cells[3]); got != strings.Join(r.Controls, ", ") {
			t.Errorf("README: %s controls %q, want %q", r.ID, got, strings.Join(r.Controls, ", "))
		}
		want := strings.Join(r.Techniques, ", ")
		if want == "" {
			want = "–"
		}
		if got := strings.TrimSpace(cells[4]); got != want {
			t.Errorf("README: %s techniques %q, want %q", r.ID, got, want)
		}
	}
}

func TestNew(t *testing.T) {
	src := Host{IP: netip.MustParseAddr("10.10.1.99"), MAC: "02:00:00:00:00:01", Zone: "sts01-control"}
	f := New(Spec{Rule: RuleMismatch, Severity: Medium, Src: src, Key: "mac", First: 1e18, Last: 1e18 + 5e9, Count: 7,
		Evidence: []Evidence{{Capture: "a.pcap", Packets: []int64{3}}}})
	r, _ := Lookup(RuleMismatch)
	if f.Title != r.Title || !slices.Equal(f.Controls, r.Controls) || !slices.Equal(f.Techniques, []string{"T0830"}) ||
		f.ID != NewID(RuleMismatch, src.IP, netip.Addr{}, src.MAC+"|", "mac") || f.Count != 7 ||
		!f.FirstSeen.Equal(time.Unix(0, 1e18)) || f.LastSeen.Sub(f.FirstSeen) != 5*time.Second || f.FirstSeen.Location() != time.UTC {
		t.Errorf("%+v", f)
	}
	d := New(Spec{Rule: RuleMissingDevice, Severity: Low, Src: Host{Asset: "plc9"}, Title: "plc9 is declared but was never seen"})
	if d.Title != "plc9 is declared but was never seen" || d.Evidence == nil || !d.FirstSeen.IsZero() || d.Techniques == nil {
		t.Errorf("%+v", d)
	}
	// IDs are stable across releases: reports and suppressions key on them.
	if id := NewID(RuleUnknownDevice, netip.MustParseAddr("10.10.1.99"), netip.Addr{}, "", ""); id != "HW-601A6966AB15" {
		t.Errorf("ID %s, want HW-601A6966AB15", id)
	}
}

// TestJSON pins a finding's JSON: the fields of report version 1, with
// techniques after controls, empty lists as [], no detail when none.
func TestJSON(t *testing.T) {
	f := New(Spec{Rule: RuleMissingDevice, Severity: Low, Src: Host{Asset: "plc9"}})
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"` + f.ID + `","rule":"inventory.missing-device","severity":"low",` +
		`"title":"Declared device never seen on a monitored network","src":{"ip":"","asset":"plc9"},"dst":{"ip":""},` +
		`"first_seen":"0001-01-01T00:00:00Z","last_seen":"0001-01-01T00:00:00Z","count":0,"evidence":[],` +
		`"controls":["USCG-DEV-3","USCG-DEV-4"],"techniques":[]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back Finding
	if err := json.Unmarshal(b, &back); err != nil || back.Severity != Low || back.Rule != f.Rule {
		t.Errorf("read back %+v, %v", back, err)
	}
}

func TestSort(t *testing.T) {
	ip := netip.MustParseAddr
	mk := func(sev Severity, rule, src, dst, app string, port uint16, asset, id string) Finding {
		f := Finding{Severity: sev, Rule: rule, App: app, DPort: port, ID: id, Src: Host{Asset: asset}}
		if src != "" {
			f.Src.IP = ip(src)
		}
		if dst != "" {
			f.Dst.IP = ip(dst)
		}
		return f
	}
	want := []Finding{
		mk(Critical, "b", "10.0.0.1", "10.0.0.2", "s7comm", 102, "", "1"),
		mk(High, "a", "10.0.0.9", "", "", 0, "", "2"),
		mk(High, "b", "10.0.0.1", "10.0.0.2", "", 0, "", "3"),
		mk(High, "b", "10.0.0.2", "10.0.0.1", "", 0, "", "4"),
		mk(High, "b", "10.0.0.2", "10.0.0.3", "dns", 53, "", "5"),
		mk(High, "b", "10.0.0.2", "10.0.0.3", "dns", 5353, "", "6"),
		mk(High, "b", "10.0.0.2", "10.0.0.3", "http", 80, "", "7"),
		mk(Medium, "c", "", "", "", 0, "plc1", "8"),
		mk(Medium, "c", "", "", "", 0, "plc2", "8"),
		mk(Medium, "c", "", "", "", 0, "plc2", "9"),
		mk(Low, "a", "10.0.0.1", "", "", 0, "", "10"),
	}
	for _, perm := range [][]int{{10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, {5, 0, 9, 3, 7, 1, 10, 2, 8, 6, 4}} {
		got := make([]Finding, len(want))
		for i, j := range perm {
			got[i] = want[j]
		}
		Sort(got)
		for i := range got {
			if got[i].ID != want[i].ID || got[i].Src.Asset != want[i].Src.Asset {
				t.Errorf("perm %v: position %d holds %s/%s, want %s/%s", perm, i, got[i].ID, got[i].Src.Asset, want[i].ID, want[i].Src.Asset)
			}
		}
	}
}
