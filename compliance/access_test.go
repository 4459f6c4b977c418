package compliance

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harborwatch/finding"
	"harborwatch/store"
)

func TestParseAccessCSVGood(t *testing.T) {
	b, err := os.ReadFile("testdata/access.good.csv")
	if err != nil {
		t.Fatal(err)
	}
	es, ps := ParseAccessCSV("access.good.csv", bytes.NewReader(b))
	if len(ps) != 0 {
		t.Fatalf("problems:\n%v", ps)
	}
	if len(es) != 3 {
		t.Fatalf("%d entries, want 3", len(es))
	}
	if e := es[0]; e.Path != store.PathGateway || !e.MFA || e.Sources[0] != "10.20.0.10" || e.Expires.Format(time.DateOnly) != "2027-06-30" || len(e.ClauseSHA256) != 64 {
		t.Errorf("row 1: %+v", e)
	}
	if e := es[1]; e.Holder != "Drives Co, field service" || len(e.Sources) != 2 || e.MFA || e.Crane != "sts01" {
		t.Errorf("row 2: %+v", e)
	}
	if e := es[2]; len(e.Sources) != 2 || e.Sources[1] != "203.0.113.9" || !e.Covers(netip.MustParseAddr("198.51.100.77")) {
		t.Errorf("row 3: %+v", e)
	}
}

// TestParseAccessCSVBad checks each bad row is reported at its line and
// column (testdata/access.bad.csv.errors, rewritten with -update).
func TestParseAccessCSVBad(t *testing.T) {
	b, err := os.ReadFile("testdata/access.bad.csv")
	if err != nil {
		t.Fatal(err)
	}
	es, ps := ParseAccessCSV("access.bad.csv", bytes.NewReader(b))
	if len(es) != 0 {
		t.Errorf("%d entries from bad rows: %+v", len(es), es)
	}
	got := ps.Error() + "\n"
	path := filepath.Join("testdata", "access.bad.csv.errors")
	if *update {
		os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
	for name, in := range map[string]string{
		"empty":          "",
		"unknown column": "site,system,holder,path,sources,colour\n",
		"missing column": "site,system,holder,path\n",
		"not utf-8":      "site,system\xff\n",
	} {
		if _, ps := ParseAccessCSV(name, strings.NewReader(in)); len(ps) == 0 {
			t.Errorf("%s: no problem", name)
		}
	}
}

func FuzzParseAccessCSV(f *testing.F) {
	for _, p := range []string{"testdata/access.good.csv", "testdata/access.bad.csv"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		es, ps := ParseAccessCSV("fuzz.csv", bytes.NewReader(b))
		for _, e := range es {
			if err := e.Check(); err != nil {
				t.Fatalf("an entry that does not check: %v", err)
			}
		}
		for _, p := range ps {
			if p.Msg == "" || p.File != "fuzz.csv" {
				t.Fatalf("problem %+v", p)
			}
		}
	})
}

func TestReconcile(t *testing.T) {
	now := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	host := func(ip string) finding.Host { return finding.Host{IP: netip.MustParseAddr(ip)} }
	reg := []store.AccessEntry{
		{ID: "R1", Site: "t3", System: "cms01", Holder: "vendor", Path: store.PathGateway, Sources: []string{"10.20.0.10"}},
		{ID: "R2", Site: "t3", System: "plc", Holder: "drives", Path: store.PathOnSite, Sources: []string{"10.10.9.0/28"}},
		{ID: "R3", Site: "t3", System: "old", Holder: "gone", Path: store.PathRCMS, Sources: []string{"192.0.2.1"}, Expires: now.Add(-time.Hour)},
		{ID: "R4", Site: "other", System: "x", Holder: "y", Path: store.PathOnSite, Sources: []string{"10.50.7.77"}},
	}
	uses := []Use{
		{Kind: UseRemote, Src: host("10.20.0.10"), Dst: host("10.10.9.30"), At: now.Add(-time.Hour)},
		{Kind: UseRemote, Src: host("10.50.7.77"), Dst: host("10.10.9.30"), At: now.Add(-2 * time.Hour), From: "HW-A",
			Evidence: []finding.Evidence{{Capture: "C1", Packets: []int64{5}}}},
		{Kind: UseRemote, Src: host("10.50.7.77"), Dst: host("10.10.9.30"), At: now.Add(-time.Hour), From: "HW-B"},
		{Kind: UseChange, Src: host("10.50.7.77"), Dst: host("10.10.1.10"), At: now.Add(-time.Hour)},
		{Kind: UseChange, Src: host("10.10.9.5"), Dst: host("10.10.1.10"), At: now.Add(-100 * 24 * time.Hour)},
	}
	rec := Reconcile("t3", reg, uses, now, Policy{})
	if len(rec.Findings) != 2 {
		t.Fatalf("%d findings, want 2 (remote and change from 10.50.7.77; R4 is another site's): %+v", len(rec.Findings), rec.Findings)
	}
	for _, f := range rec.Findings {
		if f.Rule != RuleUnregistered || f.Src.IP.String() != "10.50.7.77" || f.Severity != finding.High || len(f.Controls) == 0 {
			t.Errorf("finding %+v", f)
		}
		if f.Dst.IP.String() == "10.10.9.30" {
			if f.Count != 2 || len(f.Evidence) != 1 || !f.FirstSeen.Equal(now.Add(-2*time.Hour)) || len(f.Detail["findings"].([]string)) != 2 {
				t.Errorf("remote finding %+v", f)
			}
		}
	}
	reasons := map[string]string{}
	for _, r := range rec.Reviews {
		reasons[r.Entry.ID] = r.Reason
	}
	if len(reasons) != 2 || !strings.Contains(reasons["R2"], "not used for 100 days") || !strings.Contains(reasons["R3"], "expired") {
		t.Errorf("reviews %q", reasons)
	}
	if !rec.Used["R1"].Equal(now.Add(-time.Hour)) {
		t.Errorf("R1 last used %v", rec.Used["R1"])
	}
	// An empty register: every use is unregistered.
	if n := len(Reconcile("t3", nil, uses, now, Policy{}).Findings); n != 4 {
		t.Errorf("empty register: %d findings, want 4", n)
	}
}
