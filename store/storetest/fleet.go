package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/store"
)

// Fleet runs the conformance suite of store.Fleet (what sensors publish).
func Fleet(t *testing.T, open func(t *testing.T) store.Store) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"LiveFindings", testLiveFindings},
		{"Redelivery", testRedelivery},
		{"LiveReopen", testLiveReopen},
		{"EventsAssetsSensors", testEventsAssetsSensors},
		{"IngestAtomic", testIngestAtomic},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

// live is a finding message of a sensor run.
func live(site, sensor, run string, seq uint64, f finding.Finding) store.FleetMessage {
	return store.FleetMessage{ID: fmt.Sprintf("%s.%s.%s.%d", site, sensor, run, seq), Site: site, Sensor: sensor, Run: run,
		Seq: seq, Received: t0.Add(time.Duration(seq) * time.Second), Finding: &f}
}

func ingest(t *testing.T, s store.Store, ms ...store.FleetMessage) store.IngestSummary {
	t.Helper()
	return must(s.Ingest(ctx, ms))(t)
}

// testLiveFindings: a run's updates of a finding replace each other
// (count, evidence); a second run adds its own; the history has one entry
// a run.
func testLiveFindings(t *testing.T, s store.Store) {
	f := func(count uint64, last int) finding.Finding {
		return fnd(finding.RuleCrossZone, finding.High, "10.0.0.1", "10.0.1.1", count, 0, last, "eth1")
	}
	sum := ingest(t, s, live("t1", "s1", "r1", 1, f(1, 1)), live("t1", "s1", "r1", 2, f(5, 9)))
	id := f(1, 1).ID
	if sum.New != 1 || sum.Stored != 2 || !slices.Equal(sum.Changes, []store.FindingChange{{Site: "t1", ID: id, Kind: "new"}}) {
		t.Errorf("summary %+v", sum)
	}
	got := must(s.Finding(ctx, "t1", id))(t)
	if got.Count != 5 || got.Occurrences != 1 || !got.LastSeen.Equal(t0.Add(9*time.Second)) || len(got.Evidence) != 1 || got.Evidence[0].Capture != "s1/r1/eth1" {
		t.Fatalf("after run 1: count %d occurrences %d last %v evidence %+v", got.Count, got.Occurrences, got.LastSeen, got.Evidence)
	}
	// A later run of the sensor, and another sensor of the same site.
	sum = ingest(t, s, live("t1", "s1", "r2", 1, f(3, 20)), live("t1", "s2", "q1", 1, f(2, 4)), live("t1", "s2", "q1", 2, f(2, 5)))
	if seen := (store.FindingChange{Site: "t1", ID: id, Kind: "seen"}); !slices.Equal(sum.Changes, []store.FindingChange{seen, seen}) {
		t.Errorf("changes %+v, want seen twice (two runs; the second update of a run is no change)", sum.Changes)
	}
	got = must(s.Finding(ctx, "t1", id))(t)
	if got.Count != 10 || got.Occurrences != 3 || len(got.Evidence) != 3 {
		t.Fatalf("after 3 runs: count %d occurrences %d evidence %+v, want 10, 3, 3", got.Count, got.Occurrences, got.Evidence)
	}
	// An update older than one stored (sent again out of order) is stale.
	m := live("t1", "s1", "r1", 1, f(1, 1))
	m.ID += "-again"
	if sum := ingest(t, s, m); sum.Stale != 1 {
		t.Errorf("stale update: %+v", sum)
	}
	if got := must(s.Finding(ctx, "t1", id))(t); got.Count != 10 {
		t.Errorf("count %d after a stale update, want 10", got.Count)
	}
	h := must(s.History(ctx, "t1", id))(t)
	if len(h) != 3 {
		t.Errorf("history %+v, want 3 entries (first seen, two runs)", h)
	}
}

// testRedelivery: a batch delivered twice is stored once.
func testRedelivery(t *testing.T, s store.Store) {
	var ms []store.FleetMessage
	for i := range 20 {
		ms = append(ms, live("t1", "s1", "r1", uint64(i+1), fnd(finding.RuleEgressExternal, finding.Medium, "10.0.0.1", fmt.Sprintf("192.0.2.%d", i%5), uint64(i+1), 0, i, "eth1")))
	}
	ev := event.Event{TS: t0, Proto: "modbus", Op: "write"}
	ms = append(ms, store.FleetMessage{ID: "t1.s1.r1.21", Site: "t1", Sensor: "s1", Run: "r1", Seq: 21, Event: &ev})
	first := ingest(t, s, ms...)
	again := ingest(t, s, ms...)
	if first.Stored != 21 || first.New != 5 || again.Duplicates != 21 || again.Stored != 0 {
		t.Fatalf("first %+v, again %+v", first, again)
	}
	fs, _ := must2(s.Findings(ctx, store.FindingQuery{Site: "t1"}))(t)
	total := uint64(0)
	for _, f := range fs {
		total += f.Count
	}
	// Per destination the last update: counts 16..20.
	if len(fs) != 5 || total != 16+17+18+19+20 {
		t.Errorf("%d findings, total count %d", len(fs), total)
	}
	evs, _ := must2(s.Events(ctx, store.EventQuery{Site: "t1"}))(t)
	if len(evs) != 1 || evs[0].CaptureID != "s1/r1" {
		t.Errorf("events %+v", evs)
	}
}

// testLiveReopen: a resolved finding seen again by a sensor is reopened.
func testLiveReopen(t *testing.T, s store.Store) {
	f := fnd(finding.RuleCrossZone, finding.High, "10.0.0.1", "10.0.1.1", 1, 0, 1, "eth1")
	ingest(t, s, live("t1", "s1", "r1", 1, f))
	check2(t, s, "t1", f.ID, store.Change{Actor: "user:a", To: store.Resolved, Reason: "fixed"})
	f.Count = 2
	if sum := ingest(t, s, live("t1", "s1", "r1", 2, f)); sum.Reopened != 1 || len(sum.Changes) != 1 || sum.Changes[0].Kind != "reopened" {
		t.Errorf("summary %+v", sum)
	}
	if got := must(s.Finding(ctx, "t1", f.ID))(t); got.State != store.Open || got.Count != 2 {
		t.Errorf("state %s count %d", got.State, got.Count)
	}
}

// testEventsAssetsSensors: assets seen and merged, the latest heartbeat
// of each sensor.
func testEventsAssetsSensors(t *testing.T, s store.Store) {
	seen := func(seq uint64, id string, last int) store.FleetMessage {
		return store.FleetMessage{ID: fmt.Sprintf("t1.s1.r1.%d", seq), Site: "t1", Sensor: "s1", Run: "r1", Seq: seq,
			Seen: &store.AssetData{ID: id, Data: json.RawMessage(`{"id":"` + id + `"}`), FirstSeen: t0, LastSeen: t0.Add(time.Duration(last) * time.Second),
				Fields: map[string]string{"ips": "10.0.0.9"}}}
	}
	ingest(t, s, seen(1, "mac:00:00:5e:00:53:01", 1), seen(2, "mac:00:00:5e:00:53:01", 30), seen(3, "ip:10.0.0.7", 2))
	as := must(s.Assets(ctx, "t1"))(t)
	if len(as) != 2 || as[1].LastSeen == nil || !as[1].LastSeen.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("assets %+v", as)
	}
	full := store.FleetMessage{ID: "t1.s1.r1.4", Site: "t1", Sensor: "s1", Run: "r1", Seq: 4,
		Asset: &store.AssetData{ID: "mac:00:00:5e:00:53:01", Data: json.RawMessage(`{"id":"mac:00:00:5e:00:53:01","vendor":"Siemens"}`),
			FirstSeen: t0, LastSeen: t0.Add(40 * time.Second), Fields: map[string]string{"ips": "10.0.0.9", "vendor": "Siemens"}}}
	ingest(t, s, full)
	as = must(s.Assets(ctx, "t1"))(t)
	if string(as[1].Data) != `{"id":"mac:00:00:5e:00:53:01","vendor":"Siemens"}` || as[1].Changes != 1 {
		t.Errorf("merged asset %s, %d changes", as[1].Data, as[1].Changes)
	}
	hb := func(run string, seq uint64, started time.Time, packets int) store.FleetMessage {
		return store.FleetMessage{ID: fmt.Sprintf("t1.s1.%s.%d", run, seq), Site: "t1", Sensor: "s1", Run: run, Seq: seq,
			Sent: t0.Add(time.Duration(seq) * time.Second), Received: t0.Add(time.Duration(seq) * time.Second), Started: started,
			Heartbeat: json.RawMessage(fmt.Sprintf(`{"packets":%d}`, packets))}
	}
	ingest(t, s, hb("r1", 10, t0, 100), hb("r1", 12, t0, 120), hb("r1", 11, t0, 110))
	ss := must(s.Sensors(ctx, "t1"))(t)
	if len(ss) != 1 || string(ss[0].Heartbeat) != `{"packets":120}` || ss[0].Run != "r1" {
		t.Fatalf("sensors %+v", ss)
	}
	// A new run replaces an old one; a late heartbeat of the old run does not.
	ingest(t, s, hb("r2", 1, t0.Add(time.Hour), 5), hb("r1", 13, t0, 130))
	ss = must(s.Sensors(ctx, ""))(t)
	if len(ss) != 1 || string(ss[0].Heartbeat) != `{"packets":5}` || !ss[0].Started.Equal(t0.Add(time.Hour)) {
		t.Fatalf("sensors %+v", ss)
	}
	if ss := must(s.Sensors(ctx, "t2"))(t); len(ss) != 0 {
		t.Errorf("sensors of t2: %+v", ss)
	}
}

// testIngestAtomic: a batch that fails stores nothing, and can be sent
// again.
func testIngestAtomic(t *testing.T, s store.Store) {
	f := fnd(finding.RuleCrossZone, finding.High, "10.0.0.1", "10.0.1.1", 1, 0, 1, "eth1")
	good := live("t1", "s1", "r1", 1, f)
	if _, err := s.Ingest(ctx, []store.FleetMessage{good, {Site: "t1"}}); err == nil {
		t.Fatal("a message without an id was taken")
	}
	if _, err := s.Finding(ctx, "t1", f.ID); err == nil {
		t.Fatal("the failed batch's finding was stored")
	}
	if sum := ingest(t, s, good); sum.Stored != 1 || sum.New != 1 {
		t.Errorf("again: %+v", sum)
	}
}
