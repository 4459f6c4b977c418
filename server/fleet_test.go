package server

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"harborwatch/bus"
	"harborwatch/export"
	"harborwatch/finding"
	"harborwatch/inventory"
	"harborwatch/pipeline"
	"harborwatch/store"
)

// TestFleetIngestAndViews: what a sensor publishes reaches the store
// through serve's consumer, an unreadable message is counted and dropped,
// and the fleet views show cranes by manufacturer, suppliers of concern,
// devices not isolated, open findings by rule and the sensor's heartbeat.
func TestFleetIngestAndViews(t *testing.T) {
	ns, err := bus.StartEmbedded("127.0.0.1:0", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	ecs := filepath.Join(t.TempDir(), "ecs.jsonl")
	x, err := export.Open("file:"+ecs, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := startServer(t, t.TempDir(), func(c *Config) { c.NATS = ns.URL(); c.Exporters = []export.Exporter{x} })
	siteYAML, err := os.ReadFile(filepath.Join("..", "examples", "terminal", "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	h.must(200, "PUT", "/api/v1/sites/t3", store.Admin, siteYAML, nil)

	p, err := bus.NewPublisher(bus.Options{URL: ns.URL(), Site: "t3", Sensor: "s1", Spool: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	f := finding.New(finding.Spec{Rule: finding.RuleCrossZone, Severity: finding.High,
		Src: finding.Host{IP: netip.MustParseAddr("10.10.2.7"), Zone: "sts01-cctv"}, Dst: finding.Host{IP: netip.MustParseAddr("10.10.1.5"), Zone: "sts01-control"},
		First: t0.UnixNano(), Last: t0.UnixNano(), Count: 3})
	p.Finding(&pipeline.FindingUpdate{Kind: pipeline.FindingNew, At: t0, Finding: f})
	f2 := f
	f2.Count = 5
	p.Finding(&pipeline.FindingUpdate{Kind: pipeline.FindingChanged, At: t0.Add(time.Second), Finding: f2})
	first := t0
	if err := p.Asset(&inventory.Asset{ID: "mac:00:0c:29:aa:bb:cc", IPs: []netip.Addr{netip.MustParseAddr("10.10.2.7")}, Vendor: "Hikvision",
		Concern: []inventory.Concern{{Supplier: "hikvision", Name: "Hikvision", Reason: "listed"}}, Isolation: "not-isolated", FirstSeen: &first, LastSeen: &first}); err != nil {
		t.Fatal(err)
	}
	p.Heartbeat(bus.Heartbeat{Started: t0, Packets: 42, KernelDrops: 1})
	if st := p.Close(10 * time.Second); st.Published != 4 {
		t.Fatalf("published %+v", st)
	}
	// A message whose body disagrees with its subject.
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	bad := nats.NewMsg("harborwatch.t3.heartbeat.s1")
	bad.Data = []byte(`{"v":1,"kind":"heartbeat","site":"t4","sensor":"s1","run":"r","seq":1,"heartbeat":{}}`)
	bad.Header.Set("Nats-Msg-Id", "t4.s1.r.1")
	if err := nc.PublishMsg(bad); err != nil {
		t.Fatal(err)
	}
	nc.Flush()

	type view struct {
		CranesByManufacturer map[string]int        `json:"cranes_by_manufacturer"`
		SuppliersOfConcern   map[string]int        `json:"suppliers_of_concern"`
		NotIsolated          []struct{ ID string } `json:"not_isolated"`
		OpenFindingsByRule   map[string]int        `json:"open_findings_by_rule"`
		Sensors              []struct {
			Sensor      string
			Packets     uint64
			KernelDrops uint64  `json:"kernel_drops"`
			LagSeconds  float64 `json:"lag_seconds"`
		}
	}
	var v view
	deadline := time.Now().Add(20 * time.Second)
	for {
		h.must(200, "GET", "/api/v1/fleet/t3", store.Viewer, nil, &v)
		if len(v.Sensors) == 1 && len(v.NotIsolated) == 1 && v.OpenFindingsByRule[finding.RuleCrossZone] == 1 {
			break
		}
		if time.Now().After(deadline) {
			as, _ := h.st.Assets(context.Background(), "t3")
			for _, a := range as {
				t.Logf("asset %s", a.Data)
			}
			t.Fatalf("fleet view of t3 %+v", v)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v.CranesByManufacturer["ZPMC"] != 2 || v.SuppliersOfConcern["Hikvision"] != 1 || v.NotIsolated[0].ID != "mac:00:0c:29:aa:bb:cc" ||
		v.Sensors[0].Sensor != "s1" || v.Sensors[0].Packets != 42 || v.Sensors[0].KernelDrops != 1 {
		t.Errorf("fleet view of t3 %+v", v)
	}
	got, err := h.st.Finding(context.Background(), "t3", f.ID)
	if err != nil || got.Count != 5 || got.Evidence == nil {
		t.Errorf("stored finding %+v %v", got, err)
	}
	// The SIEM got the finding once, when it was first stored (the second
	// update of the run is no change).
	waitSent(t, x, 1)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(readFile(t, ecs))), "\n")
	var line struct {
		Event struct{ Action, ID string } `json:"event"`
	}
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &line) != nil || line.Event.Action != export.KindNew || !strings.Contains(lines[0], f.ID) {
		t.Errorf("exported %q, want one line: the finding %s new", lines, f.ID)
	}
	var all struct {
		Total struct {
			Sites   int `json:"sites"`
			Sensors int `json:"sensors"`
		} `json:"total"`
	}
	h.must(200, "GET", "/api/v1/fleet", store.Viewer, nil, &all)
	if all.Total.Sites != 1 || all.Total.Sensors != 1 {
		t.Errorf("fleet totals %+v (the bad message of site t4 must not count)", all.Total)
	}
	var sensors struct{ Sensors []json.RawMessage }
	h.must(200, "GET", "/api/v1/sensors?site=t3", store.Viewer, nil, &sensors)
	if len(sensors.Sensors) != 1 {
		t.Errorf("sensors %s", sensors.Sensors)
	}
	h.must(404, "GET", "/api/v1/fleet/t9", store.Viewer, nil, nil)
	h.must(401, "GET", "/api/v1/fleet", "", nil, nil)
	h.must(400, "GET", "/api/v1/sensors?site=a%20b", store.Viewer, nil, nil)
	deadline = time.Now().Add(10 * time.Second)
	for {
		_, m := h.do("GET", "/metrics", store.Viewer, nil)
		if strings.Contains(string(m), "harborwatch_bus_messages_bad_total 1") && strings.Contains(string(m), "harborwatch_bus_messages_stored_total 4") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics: %s", grepLines(string(m), "harborwatch_bus"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
