// Package storetest is the conformance suite of store.Store: every
// backend runs Run and must pass all of it.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/store"
)

// Run runs the conformance suite; open returns an empty store, closed by
// the caller's cleanup (or left to the suite's: Run closes what it opens).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Sites", testSites},
		{"Captures", testCaptures},
		{"ClaimCapture", testClaim},
		{"Receiving", testReceiving},
		{"FinishRunNewAndSeen", testFinishRun},
		{"FinishRunReopensResolved", testReopen},
		{"FinishRunAssets", testAssets},
		{"FinishRunAllOrNothing", testFinishRunAtomic},
		{"SetState", testSetState},
		{"Suppressions", testSuppressions},
		{"SuppressionExpires", testSuppressionExpiry},
		{"SuppressionOnNewFinding", testSuppressionOnNew},
		{"FindingsOrderAndPages", testFindingPages},
		{"FindingsLimit", testFindingLimit},
		{"FindingsFilters", testFindingFilters},
		{"ZonesAndCounts", testZonesAndCounts},
		{"FiltersAreNotSQL", testInjection},
		{"Events", testEvents},
		{"PruneEvents", testPrune},
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"Audit", testAudit},
		{"AuditConcurrent", testAuditConcurrent},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Advisories", testAdvisories},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

var ctx = context.Background()

// t0 is a packet time of the tests.
var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// must returns v, failing t when err is not nil: must(s.Site(ctx, id))(t).
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fnd builds a real finding of rule between src and dst (zone and asset
// named after the address), seen count times from t0+first to t0+last
// seconds, with one evidence entry for capture.
func fnd(rule string, sev finding.Severity, src, dst string, count uint64, first, last int, capture string) finding.Finding {
	host := func(ip string) finding.Host {
		return finding.Host{IP: netip.MustParseAddr(ip), Zone: "zone-" + ip, Asset: "asset-" + ip}
	}
	return finding.New(finding.Spec{
		Rule: rule, Severity: sev, Src: host(src), Dst: host(dst),
		First:    t0.Add(time.Duration(first) * time.Second).UnixNano(),
		Last:     t0.Add(time.Duration(last) * time.Second).UnixNano(),
		Count:    count,
		Evidence: []finding.Evidence{{Capture: capture, Packets: []int64{int64(first) + 1}}},
	})
}

// capture adds a capture of site, claims it and returns its id.
func capture(t *testing.T, s store.Store, site string) string {
	t.Helper()
	c := must(s.AddCapture(ctx, store.Capture{Site: site, Name: "x.pcap", SHA256: fmt.Sprintf("%x", sha256.Sum256([]byte(t.Name()+site+time.Now().String())))}))(t)
	return c.ID
}

// run finishes a new capture of site with fs and returns the summary and
// the capture id.
func run(t *testing.T, s store.Store, site string, at time.Time, fs ...finding.Finding) (store.RunSummary, string) {
	t.Helper()
	id := capture(t, s, site)
	sum := must(s.FinishRun(ctx, store.Run{Capture: id, Site: site, At: at, Findings: fs}))(t)
	return sum, id
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func testSites(t *testing.T, s store.Store) {
	_, err := s.Site(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "Site of an unknown id")
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
	check(t, s.PutSite(ctx, store.Site{ID: "b", YAML: "site: b\n", Model: `{"id":"b"}`, Updated: at, By: "ann"}))
	check(t, s.PutSite(ctx, store.Site{ID: "a", YAML: "site: a\n", Model: `{}`, Updated: at, By: "ann"}))
	check(t, s.PutSite(ctx, store.Site{ID: "b", YAML: "site: b2\n", Model: `{"id":"b2"}`, Updated: at, By: "bob"}))
	got := must(s.Site(ctx, "b"))(t)
	want := store.Site{ID: "b", YAML: "site: b2\n", Model: `{"id":"b2"}`, Updated: at.UTC().Truncate(time.Microsecond), By: "bob"}
	if got != want {
		t.Fatalf("Site = %+v, want %+v (replaced, time in UTC microseconds)", got, want)
	}
	all := must(s.Sites(ctx))(t)
	if len(all) != 2 || all[0].ID != "a" || all[1].ID != "b" {
		t.Fatalf("Sites = %+v, want a then b", all)
	}
}

var captureID = regexp.MustCompile(`^C[0-9a-f]{16}$`)

func testCaptures(t *testing.T, s store.Store) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i, site := range []string{"a", "b", "a"} {
		c := must(s.AddCapture(ctx, store.Capture{Site: site, Name: fmt.Sprint(i, ".pcap"), Path: "p", SHA256: "same",
			Size: int64(100 + i), By: "ann", Created: base.Add(time.Duration(i) * time.Minute)}))(t)
		if !captureID.MatchString(c.ID) || c.Status != store.Queued {
			t.Fatalf("AddCapture = %+v, want an id C+16 hex and status queued", c)
		}
		ids = append(ids, c.ID)
	}
	got := must(s.Capture(ctx, ids[1]))(t)
	if got.Site != "b" || got.Name != "1.pcap" || got.Path != "p" || got.Size != 101 || got.By != "ann" ||
		got.Status != store.Queued || !got.Created.Equal(base.Add(time.Minute)) || got.Started != nil {
		t.Fatalf("Capture = %+v", got)
	}
	_, err := s.Capture(ctx, "Cnope")
	wantErr(t, err, store.ErrNotFound, "Capture of an unknown id")
	if c := must(s.CaptureBySHA(ctx, "a", "same"))(t); c.ID != ids[2] {
		t.Fatalf("CaptureBySHA = %s, want the newest %s", c.ID, ids[2])
	}
	_, err = s.CaptureBySHA(ctx, "c", "same")
	wantErr(t, err, store.ErrNotFound, "CaptureBySHA of another site")
	all := must(s.Captures(ctx, "", 0))(t)
	if len(all) != 3 || all[0].ID != ids[2] || all[2].ID != ids[0] {
		t.Fatalf("Captures = %v, want newest first", all)
	}
	if a := must(s.Captures(ctx, "a", 1))(t); len(a) != 1 || a[0].ID != ids[2] {
		t.Fatalf("Captures(a, 1) = %+v", a)
	}
	check(t, s.FailCapture(ctx, ids[1], "bad file"))
	if c := must(s.Capture(ctx, ids[1]))(t); c.Status != store.Failed || c.Error != "bad file" || c.Finished == nil {
		t.Fatalf("after FailCapture: %+v", c)
	}
	wantErr(t, s.FailCapture(ctx, "Cnope", "x"), store.ErrNotFound, "FailCapture of an unknown id")
	if _, err := s.AddCapture(ctx, store.Capture{ID: ids[0], Site: "a"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("AddCapture with a taken id: %v, want ErrConflict", err)
	}
}

func ev(i int, proto, op string) event.Event {
	return event.Event{TS: t0.Add(time.Duration(i) * time.Millisecond), Proto: proto, Dir: event.Request,
		Src: netip.MustParseAddr("10.0.0.1"), SPort: 50000, Dst: netip.MustParseAddr("10.0.0.2"), DPort: 502,
		Packet: int64(i + 1), Capture: "x.pcap", Op: op, Name: fmt.Sprint("n", i)}
}

func testClaim(t *testing.T, s store.Store) {
	if _, ok, err := s.ClaimCapture(ctx); err != nil || ok {
		t.Fatalf("ClaimCapture on an empty store: ok %v, err %v", ok, err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	second := must(s.AddCapture(ctx, store.Capture{Site: "a", Created: base.Add(time.Hour)}))(t)
	first := must(s.AddCapture(ctx, store.Capture{Site: "a", Created: base}))(t)
	c, ok, err := s.ClaimCapture(ctx)
	if err != nil || !ok || c.ID != first.ID || c.Status != store.Running || c.Attempts != 1 || c.Started == nil {
		t.Fatalf("ClaimCapture = %+v %v %v, want the oldest, running, attempt 1, started", c, ok, err)
	}
	check(t, s.AddEvents(ctx, "a", c.ID, []event.Event{ev(1, "modbus", "write"), ev(2, "modbus", "read")}))
	// A crash: the run is interrupted; at start it is queued again.
	if n := must(s.RequeueRunning(ctx))(t); n != 1 {
		t.Fatalf("RequeueRunning = %d, want 1", n)
	}
	if got := must(s.Capture(ctx, first.ID))(t); got.Status != store.Queued {
		t.Fatalf("after RequeueRunning: status %s", got.Status)
	}
	c, ok, err = s.ClaimCapture(ctx)
	if err != nil || !ok || c.ID != first.ID || c.Attempts != 2 {
		t.Fatalf("second ClaimCapture = %+v %v %v, want the same capture, attempt 2", c, ok, err)
	}
	evs, _ := must2(s.Events(ctx, store.EventQuery{}))(t)
	if len(evs) != 0 {
		t.Fatalf("events of the interrupted attempt were kept: %d", len(evs))
	}
	check(t, s.AddEvents(ctx, "a", c.ID, []event.Event{ev(1, "modbus", "write")}))
	if evs, _ := must2(s.Events(ctx, store.EventQuery{}))(t); len(evs) != 1 {
		t.Fatalf("events after the second attempt: %d, want 1 (stored once)", len(evs))
	}
	c2, ok, err := s.ClaimCapture(ctx)
	if err != nil || !ok || c2.ID != second.ID {
		t.Fatalf("third ClaimCapture = %+v %v %v, want %s", c2, ok, err, second.ID)
	}
	if _, ok, _ := s.ClaimCapture(ctx); ok {
		t.Fatal("ClaimCapture claimed a capture when none was queued")
	}
	if n := must(s.RequeueRunning(ctx))(t); n != 2 {
		t.Fatalf("RequeueRunning = %d, want 2", n)
	}
}

// testReceiving: a capture analyzed as it arrives is not claimed; once
// received it is running (and queued again by RequeueRunning); an upload
// cut off is dropped with its events, at once or at the next start.
func testReceiving(t *testing.T, s store.Store) {
	rc := must(s.AddCapture(ctx, store.Capture{Site: "a", Status: store.Receiving}))(t)
	if rc.Status != store.Receiving || rc.Attempts != 1 || rc.Started == nil {
		t.Fatalf("AddCapture receiving = %+v", rc)
	}
	if _, ok, _ := s.ClaimCapture(ctx); ok {
		t.Fatal("ClaimCapture took a capture still being received")
	}
	check(t, s.AddEvents(ctx, "a", rc.ID, []event.Event{ev(1, "modbus", "write")}))
	check(t, s.Received(ctx, rc.ID, strings.Repeat("ab", 32), 1234))
	got := must(s.Capture(ctx, rc.ID))(t)
	if got.Status != store.Running || got.SHA256 != strings.Repeat("ab", 32) || got.Size != 1234 {
		t.Fatalf("after Received: %+v", got)
	}
	wantErr(t, s.Received(ctx, rc.ID, "", 0), store.ErrNotFound, "Received of a running capture")
	if n := must(s.RequeueRunning(ctx))(t); n != 1 {
		t.Fatalf("RequeueRunning after Received = %d, want 1", n)
	}

	cut := must(s.AddCapture(ctx, store.Capture{Site: "a", Status: store.Receiving}))(t)
	check(t, s.AddEvents(ctx, "a", cut.ID, []event.Event{ev(2, "modbus", "write"), ev(3, "modbus", "write")}))
	check(t, s.DropCapture(ctx, cut.ID))
	wantErr(t, s.DropCapture(ctx, cut.ID), store.ErrNotFound, "DropCapture twice")
	crashed := must(s.AddCapture(ctx, store.Capture{Site: "a", Status: store.Receiving, Path: "p"}))(t)
	check(t, s.AddEvents(ctx, "a", crashed.ID, []event.Event{ev(4, "modbus", "write")}))
	dropped := must(s.DropReceiving(ctx))(t)
	if len(dropped) != 1 || dropped[0].ID != crashed.ID || dropped[0].Path != "p" {
		t.Fatalf("DropReceiving = %+v, want %s", dropped, crashed.ID)
	}
	if _, err := s.Capture(ctx, crashed.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a dropped capture is still there: %v", err)
	}
	evs, _ := must2(s.Events(ctx, store.EventQuery{}))(t)
	if len(evs) != 1 || evs[0].CaptureID != rc.ID {
		t.Fatalf("events after the drops: %+v, want only %s's", evs, rc.ID)
	}
}

// must2 is must for two values.
func must2[A, B any](a A, b B, err error) func(t *testing.T) (A, B) {
	return func(t *testing.T) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}

func testFinishRun(t *testing.T, s store.Store) {
	at1 := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	f1 := fnd(finding.RuleCrossZone, finding.Medium, "10.1.0.1", "10.2.0.1", 3, 0, 10, "one.pcap")
	f2 := fnd(finding.RuleICSWrite, finding.High, "10.1.0.2", "10.2.0.2", 1, 5, 5, "one.pcap")
	stats := json.RawMessage(`{"packets":10}`)
	id1 := capture(t, s, "a")
	sum := must(s.FinishRun(ctx, store.Run{Capture: id1, Site: "a", At: at1, Stats: stats, Findings: []finding.Finding{f1, f2}}))(t)
	if !reflect.DeepEqual(sum, store.RunSummary{New: 2}) {
		t.Fatalf("first run summary %+v, want 2 new", sum)
	}
	c := must(s.Capture(ctx, id1))(t)
	if c.Status != store.Done || c.Finished == nil || !c.Finished.Equal(at1) || string(c.Stats) != string(stats) {
		t.Fatalf("capture after FinishRun: %+v", c)
	}
	got := must(s.Finding(ctx, "a", f1.ID))(t)
	if got.State != store.Open || got.Occurrences != 1 || got.Count != 3 || got.Site != "a" || got.Title != f1.Title ||
		!got.FirstSeen.Equal(f1.FirstSeen) || !got.Updated.Equal(at1) || len(got.Controls) == 0 {
		t.Fatalf("new finding = %+v", got)
	}
	// Seen again, a second time, with a higher severity and later packets.
	f1b := fnd(finding.RuleCrossZone, finding.High, "10.1.0.1", "10.2.0.1", 2, 20, 30, "two.pcap")
	if f1b.ID != f1.ID {
		t.Fatal("finding ids are not stable")
	}
	at2 := at1.Add(time.Hour)
	id2 := capture(t, s, "a")
	sum = must(s.FinishRun(ctx, store.Run{Capture: id2, Site: "a", At: at2, Findings: []finding.Finding{f1b}}))(t)
	if !reflect.DeepEqual(sum, store.RunSummary{Seen: 1}) {
		t.Fatalf("second run summary %+v, want 1 seen", sum)
	}
	got = must(s.Finding(ctx, "a", f1.ID))(t)
	want := store.MergeFinding(f1, f1b)
	if got.Occurrences != 2 || got.Count != 5 || got.Severity != finding.High || !got.FirstSeen.Equal(want.FirstSeen) ||
		!got.LastSeen.Equal(want.LastSeen) || len(got.Evidence) != 2 || got.Evidence[1].Capture != "two.pcap" || !got.Updated.Equal(at2) {
		t.Fatalf("merged finding = %+v, want %+v with 2 occurrences", got, want)
	}
	h := must(s.History(ctx, "a", f1.ID))(t)
	if len(h) != 2 || h[1].Actor != "system" || h[1].To != store.Open || h[1].Capture != id2 || !h[1].At.Equal(at2) || h[0].Capture != id1 {
		t.Fatalf("history = %+v, want first seen in %s then seen in %s", h, id1, id2)
	}
	// The same finding in another site is another finding.
	sum, _ = run(t, s, "b", at2, f1)
	if sum.New != 1 {
		t.Fatalf("site b: %+v, want 1 new", sum)
	}
	if sites := must(s.FindingSites(ctx, f1.ID))(t); !slices.Equal(sites, []string{"a", "b"}) {
		t.Fatalf("FindingSites = %v", sites)
	}
	_, err := s.Finding(ctx, "c", f1.ID)
	wantErr(t, err, store.ErrNotFound, "Finding of another site")
	_, err = s.FinishRun(ctx, store.Run{Capture: "Cnope", Site: "a"})
	wantErr(t, err, store.ErrNotFound, "FinishRun of an unknown capture")
}

func testReopen(t *testing.T, s store.Store) {
	f := fnd(finding.RuleEgressExternal, finding.High, "10.1.0.1", "8.8.8.8", 1, 0, 0, "one.pcap")
	run(t, s, "a", time.Time{}, f)
	check2(t, s, "a", f.ID, store.Change{Actor: "user:ann", To: store.Resolved, Reason: "fixed the firewall"})
	sum, id := run(t, s, "a", time.Time{}, f)
	if !reflect.DeepEqual(sum, store.RunSummary{Seen: 1, Reopened: 1, ReopenedIDs: []string{f.ID}}) {
		t.Fatalf("summary %+v, want seen 1 reopened 1", sum)
	}
	got := must(s.Finding(ctx, "a", f.ID))(t)
	if got.State != store.Open || got.Reason != "seen again in capture "+id {
		t.Fatalf("finding after it was seen again: state %s reason %q", got.State, got.Reason)
	}
	h := must(s.History(ctx, "a", f.ID))(t)
	last := h[len(h)-1]
	if last.From != store.Resolved || last.To != store.Open || last.Reason != "seen again in capture "+id || last.Capture != id || last.Actor != "system" {
		t.Fatalf("last change = %+v", last)
	}
	// Acknowledged stays acknowledged when seen again.
	check2(t, s, "a", f.ID, store.Change{Actor: "user:ann", To: store.Acknowledged, Reason: "known"})
	sum, _ = run(t, s, "a", time.Time{}, f)
	if got := must(s.Finding(ctx, "a", f.ID))(t); got.State != store.Acknowledged || sum.Reopened != 0 || got.Occurrences != 3 {
		t.Fatalf("acknowledged finding seen again: %s, %+v, occurrences %d", got.State, sum, got.Occurrences)
	}
}

func check2(t *testing.T, s store.Store, site, id string, ch store.Change) store.Finding {
	t.Helper()
	return must(s.SetState(ctx, site, id, ch))(t)
}

func testAssets(t *testing.T, s store.Store) {
	first := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	id1 := capture(t, s, "a")
	sum := must(s.FinishRun(ctx, store.Run{Capture: id1, Site: "a", Assets: []store.AssetData{
		{ID: "plc-1", Data: json.RawMessage(`{"id":"plc-1","vendor":"Siemens"}`), FirstSeen: first, LastSeen: first.Add(time.Hour),
			Fields: map[string]string{"vendor": "Siemens", "firmware": "1.0"}},
		{ID: "hmi-1", Data: json.RawMessage(`{"id":"hmi-1"}`)},
	}}))(t)
	if sum.Assets != 2 || sum.AssetChanges != 0 {
		t.Fatalf("summary %+v, want 2 assets, no changes", sum)
	}
	id2 := capture(t, s, "a")
	sum = must(s.FinishRun(ctx, store.Run{Capture: id2, Site: "a", Assets: []store.AssetData{
		{ID: "plc-1", Data: json.RawMessage(`{"id":"plc-1","vendor":"Siemens","firmware":"2.0"}`),
			FirstSeen: first.Add(-time.Hour), LastSeen: first.Add(30 * time.Minute),
			Fields: map[string]string{"vendor": "Siemens", "firmware": "2.0", "model": "S7-1500"}},
		{ID: "hmi-1", Data: json.RawMessage(`{"id":"hmi-1","seen":true}`), FirstSeen: first, LastSeen: first},
	}}))(t)
	if sum.Assets != 2 || sum.AssetChanges != 2 {
		t.Fatalf("summary %+v, want 2 assets, 2 changes (firmware, model)", sum)
	}
	as := must(s.Assets(ctx, "a"))(t)
	if len(as) != 2 || as[0].ID != "hmi-1" || as[1].ID != "plc-1" {
		t.Fatalf("Assets = %+v", as)
	}
	plc := as[1]
	if string(plc.Data) != `{"id":"plc-1","vendor":"Siemens","firmware":"2.0"}` || plc.Changes != 2 ||
		plc.FirstSeen == nil || !plc.FirstSeen.Equal(first.Add(-time.Hour)) || !plc.LastSeen.Equal(first.Add(time.Hour)) {
		t.Fatalf("plc-1 = %+v (first seen the earliest, last seen the latest, newest data)", plc)
	}
	if hmi := as[0]; hmi.FirstSeen == nil || !hmi.FirstSeen.Equal(first) || !hmi.LastSeen.Equal(first) {
		t.Fatalf("hmi-1 = %+v, want first/last seen from the second run", hmi)
	}
	chs := must(s.AssetChanges(ctx, "a", "plc-1"))(t)
	want := []store.AssetChange{{Capture: id2, Field: "firmware", From: "1.0", To: "2.0"}, {Capture: id2, Field: "model", From: "", To: "S7-1500"}}
	if len(chs) != 2 {
		t.Fatalf("AssetChanges = %+v, want %+v", chs, want)
	}
	for i := range want {
		chs[i].At = time.Time{}
		if chs[i] != want[i] {
			t.Fatalf("AssetChanges[%d] = %+v, want %+v", i, chs[i], want[i])
		}
	}
	if other := must(s.Assets(ctx, "b"))(t); len(other) != 0 {
		t.Fatalf("Assets of site b = %+v", other)
	}
	if all := must(s.Assets(ctx, ""))(t); len(all) != 2 {
		t.Fatalf("Assets of every site = %d", len(all))
	}
}

func testFinishRunAtomic(t *testing.T, s store.Store) {
	f := fnd(finding.RuleCrossZone, finding.Medium, "10.1.0.1", "10.2.0.1", 1, 0, 0, "one.pcap")
	run(t, s, "a", time.Time{}, f)
	id := capture(t, s, "a")
	g := fnd(finding.RuleICSWrite, finding.High, "10.1.0.9", "10.2.0.9", 1, 0, 0, "two.pcap")
	// The asset without an id fails the run after its findings were merged.
	_, err := s.FinishRun(ctx, store.Run{Capture: id, Site: "a", Findings: []finding.Finding{f, g},
		Assets: []store.AssetData{{ID: "ok", Data: json.RawMessage(`{}`)}, {ID: ""}}})
	if err == nil {
		t.Fatal("FinishRun with an asset without id succeeded")
	}
	if got := must(s.Finding(ctx, "a", f.ID))(t); got.Occurrences != 1 || got.Count != 1 {
		t.Fatalf("a failed run changed a finding: %+v", got)
	}
	if _, err := s.Finding(ctx, "a", g.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a failed run stored a new finding: %v", err)
	}
	if h := must(s.History(ctx, "a", f.ID))(t); len(h) != 1 {
		t.Fatalf("a failed run added history: %+v", h)
	}
	if as := must(s.Assets(ctx, ""))(t); len(as) != 0 {
		t.Fatalf("a failed run stored assets: %+v", as)
	}
	if c := must(s.Capture(ctx, id))(t); c.Status != store.Queued {
		t.Fatalf("a failed run changed its capture: %s", c.Status)
	}
	// A run naming another site than its capture's is refused.
	if _, err := s.FinishRun(ctx, store.Run{Capture: id, Site: "b"}); err == nil {
		t.Fatal("FinishRun for the wrong site succeeded")
	}
}

func testSetState(t *testing.T, s store.Store) {
	f := fnd(finding.RuleRemoteAccess, finding.Critical, "10.1.0.1", "10.2.0.1", 1, 0, 0, "one.pcap")
	run(t, s, "a", time.Time{}, f)
	at := time.Date(2026, 3, 5, 1, 2, 3, 456789123, time.UTC)
	got := must(s.SetState(ctx, "a", f.ID, store.Change{At: at, Actor: "user:ann", To: store.Acknowledged, Reason: "vendor session"}))(t)
	if got.State != store.Acknowledged || got.Reason != "vendor session" || !got.Updated.Equal(at.Truncate(time.Microsecond)) {
		t.Fatalf("SetState returned %+v", got)
	}
	h := must(s.History(ctx, "a", f.ID))(t)
	want := store.Change{At: at.Truncate(time.Microsecond), Actor: "user:ann", From: store.Open, To: store.Acknowledged, Reason: "vendor session"}
	if len(h) != 2 || h[1] != want {
		t.Fatalf("history = %+v, want the change %+v last", h, want)
	}
	for _, bad := range []string{store.Suppressed, "closed", ""} {
		_, err := s.SetState(ctx, "a", f.ID, store.Change{Actor: "user:ann", To: bad})
		wantErr(t, err, store.ErrConflict, "SetState to "+bad)
	}
	_, err := s.SetState(ctx, "a", "HW-NOPE", store.Change{Actor: "user:ann", To: store.Open})
	wantErr(t, err, store.ErrNotFound, "SetState of an unknown finding")
	_, err = s.History(ctx, "a", "HW-NOPE")
	wantErr(t, err, store.ErrNotFound, "History of an unknown finding")
	if got := must(s.Finding(ctx, "a", f.ID))(t); got.State != store.Acknowledged {
		t.Fatalf("state after refused changes: %s", got.State)
	}
}

// states returns the effective state of each finding id at now.
func states(t *testing.T, s store.Store, now time.Time) map[string]string {
	t.Helper()
	fs, _ := must2(s.Findings(ctx, store.FindingQuery{Now: now, Limit: 1000}))(t)
	m := map[string]string{}
	for _, f := range fs {
		m[f.Site+"/"+f.ID] = f.State
	}
	return m
}

// ids lists the site/id of findings matching q.
func ids(t *testing.T, s store.Store, q store.FindingQuery) []string {
	t.Helper()
	q.Limit = 1000
	fs, next := must2(s.Findings(ctx, q))(t)
	if next != "" {
		t.Fatalf("more than 1000 findings")
	}
	var out []string
	for _, f := range fs {
		out = append(out, f.Site+"/"+f.ID)
	}
	slices.Sort(out)
	return out
}

func testSuppressions(t *testing.T, s store.Store) {
	in := fnd(finding.RuleCrossZone, finding.Medium, "10.1.0.1", "10.2.0.1", 1, 0, 0, "one.pcap")
	in2 := fnd(finding.RuleCrossZone, finding.Medium, "10.1.0.7", "10.2.0.1", 1, 0, 0, "one.pcap")
	out := fnd(finding.RuleCrossZone, finding.Medium, "10.9.0.1", "10.2.0.1", 1, 0, 0, "one.pcap")
	other := fnd(finding.RuleICSWrite, finding.High, "10.1.0.1", "10.2.0.1", 1, 0, 0, "one.pcap")
	run(t, s, "a", time.Time{}, in, in2, out, other)
	run(t, s, "b", time.Time{}, in)
	check2(t, s, "a", in2.ID, store.Change{Actor: "user:ann", To: store.Acknowledged})
	sup, n, err := s.AddSuppression(ctx, store.Suppression{Site: "a", Rule: finding.RuleCrossZone, Src: "10.1.0.0/24",
		Reason: "maintenance laptop", Author: "ann"})
	check(t, err)
	if n != 2 || !regexp.MustCompile(`^S[0-9a-f]{16}$`).MatchString(sup.ID) || sup.Created.IsZero() {
		t.Fatalf("AddSuppression = %+v, %d; want an S id and 2 findings hidden", sup, n)
	}
	now := time.Now()
	st := states(t, s, now)
	want := map[string]string{"a/" + in.ID: store.Suppressed, "a/" + in2.ID: store.Suppressed, "a/" + out.ID: store.Open,
		"a/" + other.ID: store.Open, "b/" + in.ID: store.Open}
	if !mapsEqual(st, want) {
		t.Fatalf("states %v, want %v", st, want)
	}
	if f := must(s.Finding(ctx, "a", in.ID))(t); f.State != store.Suppressed || f.Suppression != sup.ID {
		t.Fatalf("Finding = state %s suppression %q, want suppressed by %s", f.State, f.Suppression, sup.ID)
	}
	if got := ids(t, s, store.FindingQuery{State: store.Suppressed}); !slices.Equal(got, sorted("a/"+in.ID, "a/"+in2.ID)) {
		t.Fatalf("state=suppressed: %v", got)
	}
	if got := ids(t, s, store.FindingQuery{State: store.Open}); !slices.Equal(got, sorted("a/"+out.ID, "a/"+other.ID, "b/"+in.ID)) {
		t.Fatalf("state=open: %v", got)
	}
	if got := ids(t, s, store.FindingQuery{State: store.Acknowledged}); len(got) != 0 {
		t.Fatalf("state=acknowledged lists suppressed findings: %v", got)
	}
	list := must(s.Suppressions(ctx))(t)
	if len(list) != 1 || list[0].ID != sup.ID || list[0].Hidden != 2 || list[0].Reason != "maintenance laptop" || list[0].Src != "10.1.0.0/24" {
		t.Fatalf("Suppressions = %+v", list)
	}
	// Invalid scopes are refused.
	if _, _, err := s.AddSuppression(ctx, store.Suppression{Rule: "no.such-rule", Reason: "x"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("AddSuppression of an unknown rule: %v", err)
	}
	check(t, s.DeleteSuppression(ctx, sup.ID))
	wantErr(t, s.DeleteSuppression(ctx, sup.ID), store.ErrNotFound, "DeleteSuppression twice")
	st = states(t, s, now)
	if st["a/"+in.ID] != store.Open || st["a/"+in2.ID] != store.Acknowledged {
		t.Fatalf("after DeleteSuppression: %v, want own states back", st)
	}
	if f := must(s.Finding(ctx, "a", in.ID))(t); f.Suppression != "" {
		t.Fatalf("Finding after DeleteSuppression still names %q", f.Suppression)
	}
	if list := must(s.Suppressions(ctx))(t); len(list) != 0 {
		t.Fatalf("Suppressions after delete = %+v", list)
	}
	// For every site.
	sup2, n := must2(s.AddSuppression(ctx, store.Suppression{Rule: finding.RuleCrossZone, Asset: "asset-10.1.0.1", Reason: "r", Author: "ann"}))(t)
	if n != 2 {
		t.Fatalf("suppression of every site hid %d, want 2", n)
	}
	if st := states(t, s, now); st["b/"+in.ID] != store.Suppressed || st["a/"+in.ID] != store.Suppressed || st["a/"+in2.ID] != store.Acknowledged {
		t.Fatalf("suppression %s of every site: %v", sup2.ID, st)
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func testSuppressionExpiry(t *testing.T, s store.Store) {
	f := fnd(finding.RuleFileTransfer, finding.High, "10.1.0.1", "10.2.0.1", 1, 0, 0, "one.pcap")
	run(t, s, "a", time.Time{}, f)
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	sup, n := must2(s.AddSuppression(ctx, store.Suppression{Rule: f.Rule, Dst: "10.2.0.1", Reason: "until the patch", Author: "ann", Expires: expires}))(t)
	if n != 1 || !sup.Expires.Equal(expires) {
		t.Fatalf("AddSuppression = %+v, %d", sup, n)
	}
	before, after := expires.Add(-time.Minute), expires.Add(time.Minute)
	if got := ids(t, s, store.FindingQuery{State: store.Suppressed, Now: before}); len(got) != 1 {
		t.Fatalf("before expiry: suppressed %v", got)
	}
	if got := ids(t, s, store.FindingQuery{State: store.Suppressed, Now: expires}); len(got) != 0 {
		t.Fatalf("at expiry: still suppressed %v", got)
	}
	if got := ids(t, s, store.FindingQuery{State: store.Open, Now: after}); len(got) != 1 {
		t.Fatalf("after expiry: open %v", got)
	}
	if st := states(t, s, after); st["a/"+f.ID] != store.Open {
		t.Fatalf("after expiry the finding reads %s", st["a/"+f.ID])
	}
	// An expired suppression is listed, hiding nothing, and hides no new finding.
	_, n = must2(s.AddSuppression(ctx, store.Suppression{Rule: finding.RuleICSWrite, Reason: "old", Author: "ann",
		Expires: time.Now().Add(-time.Hour)}))(t)
	if n != 0 {
		t.Fatalf("an expired suppression hid %d", n)
	}
	g := fnd(finding.RuleICSWrite, finding.High, "10.1.0.1", "10.2.0.1", 1, 0, 0, "one.pcap")
	if sum, _ := run(t, s, "a", time.Time{}, g); sum.Suppressed != 0 {
		t.Fatalf("an expired suppression hid a new finding: %+v", sum)
	}
	list := must(s.Suppressions(ctx))(t)
	if len(list) != 2 {
		t.Fatalf("Suppressions = %+v, want both (expired included)", list)
	}
	for _, x := range list {
		if x.Reason == "old" && x.Hidden != 0 {
			t.Fatalf("expired suppression lists hidden %d", x.Hidden)
		}
	}
}

func testSuppressionOnNew(t *testing.T, s store.Store) {
	sup, n := must2(s.AddSuppression(ctx, store.Suppression{Site: "a", Rule: finding.RuleICSPLCStop, Zone: "zone-10.2.0.1", Reason: "commissioning", Author: "ann"}))(t)
	if n != 0 {
		t.Fatalf("hid %d in an empty store", n)
	}
	f := fnd(finding.RuleICSPLCStop, finding.Critical, "10.1.0.1", "10.2.0.1", 1, 0, 0, "one.pcap")
	g := fnd(finding.RuleICSPLCStop, finding.Critical, "10.1.0.1", "10.3.0.1", 1, 0, 0, "one.pcap")
	sum, _ := run(t, s, "a", time.Time{}, f, g)
	if sum.New != 2 || sum.Suppressed != 1 {
		t.Fatalf("summary %+v, want 2 new, 1 suppressed", sum)
	}
	if got := must(s.Finding(ctx, "a", f.ID))(t); got.State != store.Suppressed || got.Suppression != sup.ID {
		t.Fatalf("new matching finding: %s %q", got.State, got.Suppression)
	}
	if got := must(s.Finding(ctx, "a", g.ID))(t); got.State != store.Open {
		t.Fatalf("new finding out of scope: %s", got.State)
	}
	if sum, _ := run(t, s, "b", time.Time{}, f); sum.Suppressed != 0 {
		t.Fatalf("a suppression of site a hid a finding of site b")
	}
}

// many stores n findings over sites a, b, c with every severity and some
// rules, and returns them in the order Findings lists them.
func many(t *testing.T, s store.Store, n int) []store.Finding {
	t.Helper()
	rules := []string{finding.RuleCrossZone, finding.RuleICSWrite, finding.RuleEgressExternal}
	bySite := map[string][]finding.Finding{}
	var all []store.Finding
	for i := range n {
		site := []string{"a", "b", "c"}[i%3]
		f := fnd(rules[i%len(rules)], finding.Severity(1+i%4), fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), "10.2.0.1", 1, 0, 0, "one.pcap")
		bySite[site] = append(bySite[site], f)
		all = append(all, store.Finding{Finding: f, Site: site})
	}
	for _, site := range []string{"a", "b", "c"} {
		run(t, s, site, time.Time{}, bySite[site]...)
	}
	slices.SortFunc(all, func(x, y store.Finding) int {
		if x.Severity != y.Severity {
			return int(y.Severity) - int(x.Severity)
		}
		if c := strings.Compare(x.Site, y.Site); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return all
}

func keys(fs []store.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Site + "/" + f.ID
	}
	return out
}

func testFindingPages(t *testing.T, s store.Store) {
	all := many(t, s, 40)
	var got []store.Finding
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		fs, next := must2(s.Findings(ctx, store.FindingQuery{Limit: 7, Cursor: cursor}))(t)
		got = append(got, fs...)
		if next == "" {
			if pages != 5 {
				t.Fatalf("%d pages of 7 for 40 findings, want 6", pages+1)
			}
			break
		}
		if len(fs) != 7 {
			t.Fatalf("page %d has %d findings with a next cursor", pages, len(fs))
		}
		cursor = next
	}
	if !slices.Equal(keys(got), keys(all)) {
		t.Fatalf("pages list\n%v\nwant (severity desc, site, id)\n%v", keys(got), keys(all))
	}
	// A page that ends exactly at the last finding has no next.
	if _, next := must2(s.Findings(ctx, store.FindingQuery{Limit: 40}))(t); next != "" {
		t.Fatalf("a page holding every finding has next %q", next)
	}
	// Pages of a filtered list.
	fs, next := must2(s.Findings(ctx, store.FindingQuery{Site: "b", Limit: 5}))(t)
	fs2, _ := must2(s.Findings(ctx, store.FindingQuery{Site: "b", Limit: 5, Cursor: next}))(t)
	var wantB []string
	for _, f := range all {
		if f.Site == "b" {
			wantB = append(wantB, f.Site+"/"+f.ID)
		}
	}
	if got := append(keys(fs), keys(fs2)...); !slices.Equal(got, wantB[:10]) {
		t.Fatalf("site b pages %v, want %v", got, wantB[:10])
	}
	if _, _, err := s.Findings(ctx, store.FindingQuery{Cursor: "not a cursor"}); err == nil {
		t.Fatal("a made-up cursor was accepted")
	}
}

func testFindingLimit(t *testing.T, s store.Store) {
	many(t, s, 1001)
	fs, next := must2(s.Findings(ctx, store.FindingQuery{}))(t)
	if len(fs) != 100 || next == "" {
		t.Fatalf("default limit: %d findings, next %q; want 100 and a cursor", len(fs), next)
	}
	fs, next = must2(s.Findings(ctx, store.FindingQuery{Limit: 5000}))(t)
	if len(fs) != 1000 || next == "" {
		t.Fatalf("limit 5000: %d findings, next %q; want at most 1000 and a cursor", len(fs), next)
	}
	fs, next = must2(s.Findings(ctx, store.FindingQuery{Limit: 5000, Cursor: next}))(t)
	if len(fs) != 1 || next != "" {
		t.Fatalf("last page: %d findings, next %q", len(fs), next)
	}
}

func testFindingFilters(t *testing.T, s store.Store) {
	a := fnd(finding.RuleCrossZone, finding.Medium, "10.1.0.1", "10.2.0.1", 1, 0, 0, "one.pcap")
	b := fnd(finding.RuleICSWrite, finding.High, "10.1.0.2", "192.168.7.20", 1, 0, 0, "one.pcap")
	c := fnd(finding.RuleICSWrite, finding.Critical, "10.1.0.3", "10.2.0.3", 1, 0, 0, "one.pcap")
	run(t, s, "a", time.Time{}, a, b)
	run(t, s, "b", time.Time{}, c)
	check2(t, s, "a", b.ID, store.Change{Actor: "user:ann", To: store.Resolved})
	cases := []struct {
		q    store.FindingQuery
		want []string
	}{
		{store.FindingQuery{Site: "a"}, sorted("a/"+a.ID, "a/"+b.ID)},
		{store.FindingQuery{Rule: finding.RuleICSWrite}, sorted("a/"+b.ID, "b/"+c.ID)},
		{store.FindingQuery{Severity: "critical"}, sorted("b/" + c.ID)},
		{store.FindingQuery{Severity: "High"}, sorted("a/" + b.ID)},
		{store.FindingQuery{State: store.Resolved}, sorted("a/" + b.ID)},
		{store.FindingQuery{Site: "a", State: store.Open}, sorted("a/" + a.ID)},
		{store.FindingQuery{Text: "192.168.7"}, sorted("a/" + b.ID)},
		{store.FindingQuery{Text: "ZONE-10.2.0.3"}, sorted("b/" + c.ID)},
		{store.FindingQuery{Text: "asset-10.1.0.1"}, sorted("a/" + a.ID)},
		{store.FindingQuery{Text: strings.ToLower(a.ID)}, sorted("a/" + a.ID)},
		{store.FindingQuery{Text: "ics.wr"}, sorted("a/"+b.ID, "b/"+c.ID)},
		{store.FindingQuery{Text: strings.ToUpper(c.Title[:10])}, sorted("a/"+b.ID, "b/"+c.ID)},
		{store.FindingQuery{Text: "no such text"}, nil},
		{store.FindingQuery{Severity: "bogus"}, nil},
		{store.FindingQuery{Site: "a", Rule: finding.RuleICSWrite, State: store.Resolved, Severity: "high", Text: "10.1.0.2"}, sorted("a/" + b.ID)},
	}
	for _, tc := range cases {
		if got := ids(t, s, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.q, got, tc.want)
		}
	}
}

func testInjection(t *testing.T, s store.Store) {
	a := fnd(finding.RuleCrossZone, finding.Medium, "10.1.0.1", "10.2.0.1", 1, 0, 0, "one.pcap")
	b := fnd(finding.RuleICSWrite, finding.High, "10.1.0.2", "10.2.0.2", 1, 0, 0, "one.pcap")
	run(t, s, "a", time.Time{}, a, b)
	check(t, s.AddEvents(ctx, "a", capture(t, s, "a"), []event.Event{ev(1, "modbus", "write")}))
	for _, bad := range []string{`' OR 1=1 --`, `%`, `_`, `\`, `"; DROP TABLE findings; --`, `a' OR 'a'='a`, "\x00", `%' OR '%'='`} {
		qs := []store.FindingQuery{{Site: bad}, {Rule: bad}, {Severity: bad}, {State: bad}, {Text: bad}}
		for _, q := range qs {
			fs, next, err := s.Findings(ctx, q)
			if err != nil || len(fs) != 0 || next != "" {
				t.Errorf("Findings(%+v) = %d findings, next %q, err %v; want none", q, len(fs), next, err)
			}
		}
		for _, q := range []store.EventQuery{{Site: bad}, {Proto: bad}, {Op: bad}} {
			evs, _, err := s.Events(ctx, q)
			if err != nil || len(evs) != 0 {
				t.Errorf("Events(%+v) = %d events, err %v; want none", q, len(evs), err)
			}
		}
		if _, err := s.Site(ctx, bad); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Site(%q): %v", bad, err)
		}
		if _, err := s.User(ctx, bad); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("User(%q): %v", bad, err)
		}
		if sites, err := s.FindingSites(ctx, bad); err != nil || len(sites) != 0 {
			t.Errorf("FindingSites(%q) = %v, %v", bad, sites, err)
		}
	}
	// A literal % or _ in the text matches itself only.
	if got := ids(t, s, store.FindingQuery{Text: "10.1.0._"}); len(got) != 0 {
		t.Errorf("text 10.1.0._ matched %v: _ must not be a wildcard", got)
	}
	// Nothing was broken on the way.
	if got := ids(t, s, store.FindingQuery{}); len(got) != 2 {
		t.Fatalf("findings after the attempts: %v", got)
	}
	if evs, _ := must2(s.Events(ctx, store.EventQuery{}))(t); len(evs) != 1 {
		t.Fatalf("events after the attempts: %d", len(evs))
	}
}

func testEvents(t *testing.T, s store.Store) {
	c1 := capture(t, s, "a")
	c2 := capture(t, s, "b")
	var e1, e2 []event.Event
	for i := range 50 {
		proto, op := "modbus", "read"
		if i%5 == 0 {
			op = "write"
		}
		if i%2 == 1 {
			proto = "s7comm"
		}
		e := ev(i, proto, op)
		f := 3
		e.Func = &f
		e.Detail = map[string]any{"register": "40001"}
		if i%2 == 0 {
			e1 = append(e1, e)
		} else {
			e2 = append(e2, e)
		}
	}
	check(t, s.AddEvents(ctx, "b", c2, e2))
	check(t, s.AddEvents(ctx, "a", c1, e1))
	var got []store.StoredEvent
	cursor := ""
	for pages := 0; ; pages++ {
		evs, next := must2(s.Events(ctx, store.EventQuery{Limit: 8, Cursor: cursor}))(t)
		got = append(got, evs...)
		if next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("event pages do not end")
		}
		cursor = next
	}
	if len(got) != 50 {
		t.Fatalf("%d events, want 50", len(got))
	}
	for i, e := range got {
		want := ev(i, e.Proto, e.Op)
		if !e.TS.Equal(want.TS) || e.Packet != int64(i+1) || e.Name != want.Name || e.Src != want.Src || e.DPort != 502 ||
			e.Func == nil || *e.Func != 3 || e.Detail["register"] != "40001" {
			t.Fatalf("event %d = %+v, want packet-time order and every field kept", i, e)
		}
		if wantSite, wantCap := map[bool]string{true: "a", false: "b"}[i%2 == 0], map[bool]string{true: c1, false: c2}[i%2 == 0]; e.Site != wantSite || e.CaptureID != wantCap {
			t.Fatalf("event %d: site %s capture %s, want %s %s", i, e.Site, e.CaptureID, wantSite, wantCap)
		}
	}
	count := func(q store.EventQuery) int {
		q.Limit = 10000
		evs, _ := must2(s.Events(ctx, q))(t)
		return len(evs)
	}
	for _, tc := range []struct {
		q    store.EventQuery
		want int
	}{
		{store.EventQuery{Site: "a"}, 25},
		{store.EventQuery{Proto: "s7comm"}, 25},
		{store.EventQuery{Op: "write"}, 10},
		{store.EventQuery{Site: "a", Op: "write"}, 5},
		{store.EventQuery{Since: t0.Add(10 * time.Millisecond)}, 40},
		{store.EventQuery{Until: t0.Add(10 * time.Millisecond)}, 10},
		{store.EventQuery{Since: t0.Add(10 * time.Millisecond), Until: t0.Add(20 * time.Millisecond), Proto: "modbus"}, 5},
	} {
		if n := count(tc.q); n != tc.want {
			t.Errorf("Events(%+v): %d, want %d", tc.q, n, tc.want)
		}
	}
	if evs, next := must2(s.Events(ctx, store.EventQuery{}))(t); len(evs) != 50 || next != "" {
		t.Fatalf("default limit: %d events, next %q", len(evs), next)
	}
}

func testPrune(t *testing.T, s store.Store) {
	c := capture(t, s, "a")
	var evs []event.Event
	for i := range 1200 { // more than one insert batch
		evs = append(evs, ev(i, "dns", "query"))
	}
	check(t, s.AddEvents(ctx, "a", c, evs))
	n := must(s.PruneEvents(ctx, t0.Add(700*time.Millisecond)))(t)
	if n != 700 {
		t.Fatalf("PruneEvents = %d, want 700", n)
	}
	left, _ := must2(s.Events(ctx, store.EventQuery{Limit: 10000}))(t)
	if len(left) != 500 || left[0].Packet != 701 {
		t.Fatalf("after pruning: %d events from packet %d", len(left), left[0].Packet)
	}
	if n := must(s.PruneEvents(ctx, t0))(t); n != 0 {
		t.Fatalf("PruneEvents again = %d", n)
	}
}

func testUsers(t *testing.T, s store.Store) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 1500, time.UTC)
	u := store.User{Name: "ann", Role: store.Admin, Password: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", Created: at}
	check(t, s.AddUser(ctx, u))
	wantErr(t, s.AddUser(ctx, store.User{Name: "ann", Role: store.Viewer}), store.ErrConflict, "AddUser of a taken name")
	got := must(s.User(ctx, "ann"))(t)
	u.Created = at.Truncate(time.Microsecond)
	if got != u {
		t.Fatalf("User = %+v, want %+v", got, u)
	}
	_, err := s.User(ctx, "bob")
	wantErr(t, err, store.ErrNotFound, "User of an unknown name")
}

func testTokens(t *testing.T, s store.Store) {
	h1, h2 := sha256.Sum256([]byte("secret-1")), sha256.Sum256([]byte("secret-2"))
	exp := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) // long expired
	check(t, s.AddToken(ctx, store.Token{Name: "ci", Role: store.Analyst, Hash: h1[:], By: "ann", Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}))
	check(t, s.AddToken(ctx, store.Token{ID: "Tfixed", Name: "old", Role: store.Viewer, Hash: h2[:], By: "ann", Expires: &exp,
		Created: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}))
	wantErr(t, s.AddToken(ctx, store.Token{Name: "dup", Hash: h1[:]}), store.ErrConflict, "AddToken of a taken secret")
	tok := must(s.TokenByHash(ctx, h1[:]))(t)
	if !regexp.MustCompile(`^T[0-9a-f]{16}$`).MatchString(tok.ID) || tok.Name != "ci" || tok.Role != store.Analyst ||
		string(tok.Hash) != string(h1[:]) || tok.Expires != nil || tok.Revoked != nil || tok.By != "ann" {
		t.Fatalf("TokenByHash = %+v", tok)
	}
	old := must(s.TokenByHash(ctx, h2[:]))(t)
	if old.ID != "Tfixed" || old.Expires == nil || !old.Expires.Equal(exp) {
		t.Fatalf("an expired token reads %+v", old)
	}
	other := sha256.Sum256([]byte("nope"))
	_, err := s.TokenByHash(ctx, other[:])
	wantErr(t, err, store.ErrNotFound, "TokenByHash of an unknown secret")
	rev := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	check(t, s.RevokeToken(ctx, tok.ID, rev))
	wantErr(t, s.RevokeToken(ctx, "Tnope", rev), store.ErrNotFound, "RevokeToken of an unknown id")
	if tok := must(s.TokenByHash(ctx, h1[:]))(t); tok.Revoked == nil || !tok.Revoked.Equal(rev) {
		t.Fatalf("revoked token reads %+v", tok)
	}
	list := must(s.Tokens(ctx))(t)
	if len(list) != 2 || list[0].ID != "Tfixed" || list[1].ID != tok.ID {
		t.Fatalf("Tokens = %+v, want newest first", list)
	}
}

func testAudit(t *testing.T, s store.Store) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.FixedZone("X", 7200))
	e1 := must(s.Audit(ctx, store.AuditEntry{At: at, Actor: "user:ann", Remote: "10.0.0.5:5000", Action: "login", Result: "ok"}))(t)
	e2 := must(s.Audit(ctx, store.AuditEntry{Actor: "user:ann", Action: "finding.state", Target: "a/HW-1", Result: "ok",
		Detail: json.RawMessage(`{"to":"resolved","reason":"it's \"fixed\""}`)}))(t)
	if e1.Seq != 1 || e1.Prev != "" || e2.Seq != 2 || e2.Prev != e1.Hash || e1.Hash == "" || !e1.At.Equal(at.Truncate(time.Microsecond)) || e1.At.Nanosecond()%1000 != 0 {
		t.Fatalf("Audit returned %+v and %+v", e1, e2)
	}
	log := must(s.AuditLog(ctx, 0, 0))(t)
	if _, err := store.VerifyChain("", 0, log); err != nil || len(log) != 2 {
		t.Fatalf("the stored log does not verify: %v (%d entries)", err, len(log))
	}
	if l := log[0]; l.Hash != e1.Hash || !l.At.Equal(e1.At) || l.Actor != e1.Actor || l.Remote != e1.Remote || l.Action != e1.Action || l.Result != e1.Result {
		t.Fatalf("AuditLog[0] = %+v, want %+v", log[0], e1)
	}
	if string(log[1].Detail) != string(e2.Detail) {
		t.Fatalf("detail read back %s, want %s", log[1].Detail, e2.Detail)
	}
	if tail := must(s.AuditLog(ctx, 1, 0))(t); len(tail) != 1 || tail[0].Seq != 2 {
		t.Fatalf("AuditLog(after 1) = %+v", tail)
	}
	if one := must(s.AuditLog(ctx, 0, 1))(t); len(one) != 1 || one[0].Seq != 1 {
		t.Fatalf("AuditLog(limit 1) = %+v", one)
	}
}

func testAuditConcurrent(t *testing.T, s store.Store) {
	const writers, each = 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := s.Audit(ctx, store.AuditEntry{Actor: fmt.Sprint("user:u", w), Action: "login", Result: "ok",
					Detail: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	log := must(s.AuditLog(ctx, 0, 0))(t)
	if len(log) != writers*each {
		t.Fatalf("%d entries, want %d", len(log), writers*each)
	}
	if _, err := store.VerifyChain("", 0, log); err != nil {
		t.Fatal(err)
	}
}

func testConcurrentWriters(t *testing.T, s store.Store) {
	const workers = 12
	var wg sync.WaitGroup
	errs := make(chan error, workers*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			site := fmt.Sprint("s", w%3)
			c, err := s.AddCapture(ctx, store.Capture{Site: site})
			if err != nil {
				errs <- err
				return
			}
			var evs []event.Event
			for i := range 300 {
				evs = append(evs, ev(i, "modbus", "read"))
			}
			if err := s.AddEvents(ctx, site, c.ID, evs); err != nil {
				errs <- err
			}
			f := fnd(finding.RuleCrossZone, finding.Medium, "10.1.0.1", "10.2.0.1", 1, w, w, "x.pcap")
			if _, err := s.FinishRun(ctx, store.Run{Capture: c.ID, Site: site, Findings: []finding.Finding{f}}); err != nil {
				errs <- err
			}
			if _, _, err := s.Findings(ctx, store.FindingQuery{Site: site}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	evs, _ := must2(s.Events(ctx, store.EventQuery{Limit: 10000}))(t)
	if len(evs) != workers*300 {
		t.Fatalf("%d events, want %d", len(evs), workers*300)
	}
	var occ int64
	for _, site := range []string{"s0", "s1", "s2"} {
		fs, _ := must2(s.Findings(ctx, store.FindingQuery{Site: site}))(t)
		if len(fs) != 1 {
			t.Fatalf("site %s: %d findings, want 1", site, len(fs))
		}
		occ += fs[0].Occurrences
	}
	if occ != workers {
		t.Fatalf("occurrences %d, want %d (every run merged)", occ, workers)
	}
}

// testZonesAndCounts: the zone filter matches either side; counts group
// by site, rule, severity, effective state and zones; users list.
func testZonesAndCounts(t *testing.T, s store.Store) {
	mk := func(rule string, sev finding.Severity, src, dst, sz, dz string) finding.Finding {
		f := fnd(rule, sev, src, dst, 2, 1, 9, "z.pcap")
		f.Src.Zone, f.Dst.Zone = sz, dz
		f.ID = finding.NewID(rule, f.Src.IP, f.Dst.IP, sz+dz, "")
		return f
	}
	a := mk(finding.RuleCrossZone, finding.High, "10.1.0.1", "10.2.0.1", "crane1", "office")
	b := mk(finding.RuleCrossZone, finding.High, "10.1.0.2", "10.2.0.1", "crane1", "office")
	c := mk(finding.RuleICSWrite, finding.Critical, "10.3.0.1", "10.1.0.5", "office", "crane2")
	run(t, s, "z", time.Time{}, a, b, c)
	got := ids(t, s, store.FindingQuery{Site: "z", Zones: []string{"crane2"}})
	if !slices.Equal(got, []string{"z/" + c.ID}) {
		t.Errorf("zone crane2: %v, want %s", got, c.ID)
	}
	if got := ids(t, s, store.FindingQuery{Site: "z", Zones: []string{"office"}}); len(got) != 3 {
		t.Errorf("zone office (either side): %d findings, want 3", len(got))
	}
	if got := ids(t, s, store.FindingQuery{Zones: []string{"crane1", "nowhere' OR 1=1 --"}}); len(got) != 2 {
		t.Errorf("zones crane1 or a hostile name: %d findings, want 2", len(got))
	}
	check2(t, s, "z", a.ID, store.Change{Actor: "user:ann", To: store.Acknowledged, Reason: "known"})
	counts := must(s.FindingCounts(ctx, "z", time.Time{}))(t)
	type key struct{ rule, state, sz, dz string }
	n := map[key]int{}
	for _, fc := range counts {
		if fc.Site != "z" || fc.LastSeen.IsZero() {
			t.Errorf("count %+v", fc)
		}
		n[key{fc.Rule, fc.State, fc.SrcZone, fc.DstZone}] += fc.N
	}
	want := map[key]int{
		{finding.RuleCrossZone, store.Open, "crane1", "office"}:         1,
		{finding.RuleCrossZone, store.Acknowledged, "crane1", "office"}: 1,
		{finding.RuleICSWrite, store.Open, "office", "crane2"}:          1,
	}
	if !reflect.DeepEqual(n, want) {
		t.Errorf("counts %v, want %v", n, want)
	}
	if all := must(s.FindingCounts(ctx, "", time.Time{}))(t); len(all) != len(counts) {
		t.Errorf("counts of every site: %d groups, want %d", len(all), len(counts))
	}
	check(t, s.AddUser(ctx, store.User{Name: "zed", Role: store.Viewer, Password: "x"}))
	check(t, s.AddUser(ctx, store.User{Name: "amy", Role: store.Admin, Password: "y"}))
	us := must(s.Users(ctx))(t)
	if len(us) != 2 || us[0].Name != "amy" || us[1].Name != "zed" || us[1].Role != store.Viewer {
		t.Errorf("users %+v", us)
	}
}
