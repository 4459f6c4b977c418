package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/inventory"
	"harborwatch/server"
	"harborwatch/store"
	"harborwatch/store/sqlstore"
	"harborwatch/web"
)

// scaleSite is a site model of ten cranes with two zones each.
func scaleSite(id string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\nfacility: {id: %s, name: Terminal %s, port: Port of Scale}\nzones:\n", id, id)
	for c := 1; c <= 10; c++ {
		fmt.Fprintf(&b, "  - {id: crane%d-control, kind: crane-control, crane: STS-%02d, cidrs: [10.%d.1.0/24]}\n", c, c, c)
		fmt.Fprintf(&b, "  - {id: crane%d-cctv, kind: crane-noncritical, crane: STS-%02d, cidrs: [10.%d.2.0/24]}\n", c, c, c)
	}
	b.WriteString("  - {id: office, kind: business, cidrs: [172.16.0.0/16]}\ncranes:\n")
	for c := 1; c <= 10; c++ {
		fmt.Fprintf(&b, "  - {id: STS-%02d, manufacturer: ZPMC, model: STS 65t}\n", c)
	}
	b.WriteString("conduits:\n  - {id: ops, from: office, to: crane1-control, protocols: [modbus]}\n")
	return b.String()
}

// TestConsoleScale renders each console page on the store of 100,000
// findings and 1,000,000 events, with 5,000 assets and five site models:
// the p99 of the server's time must stay under 300 ms. It runs with
// HARBORWATCH_STORE_SCALE=1 only.
func TestConsoleScale(t *testing.T) {
	if testing.Short() || os.Getenv("HARBORWATCH_STORE_SCALE") != "1" {
		t.Skip("set HARBORWATCH_STORE_SCALE=1 (and no -short) to measure the console on 100,000 findings and 5,000 assets")
	}
	db := sqlstore.ScaleDB(t)
	ctx := context.Background()
	sites := []string{"north", "south", "east", "west", "quay"}
	start := time.Now()
	for i, s := range sites {
		if err := db.PutSite(ctx, store.Site{ID: s, YAML: scaleSite(s), Model: "{}", Updated: time.Now().UTC(), By: "scale"}); err != nil {
			t.Fatal(err)
		}
		c, err := db.AddCapture(ctx, store.Capture{Site: s, Name: "scale.pcap", Created: time.Now().UTC()})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := db.ClaimCapture(ctx); err != nil || !ok {
			t.Fatal(err)
		}
		var assets []store.AssetData
		for a := range 1000 {
			seen := time.Date(2026, 11, 3, 9, 0, a%60, 0, time.UTC)
			as := inventory.Asset{ID: fmt.Sprintf("%s-asset-%04d", s, a), IPs: []netip.Addr{netip.AddrFrom4([4]byte{10, byte(1 + a%10), 1, byte(a % 250)})},
				MACs: []string{fmt.Sprintf("00:1b:1b:%02x:%02x:%02x", i, a>>8, a&0xff)}, Vendor: "Siemens", Model: "S7-1500", Firmware: "V3.1",
				Crane: fmt.Sprintf("STS-%02d", 1+a%10), Zones: []string{fmt.Sprintf("crane%d-control", 1+a%10)}, FirstSeen: &seen, LastSeen: &seen, Observed: true}
			if a%7 == 0 {
				as.Supplier, as.Concern, as.Isolation = "zpmc", []inventory.Concern{{Supplier: "zpmc", Name: "Shanghai Zhenhua Heavy Industries Co., Ltd.", Reason: "crane maker"}}, "not-isolated"
			}
			raw, _ := json.Marshal(&as)
			assets = append(assets, store.AssetData{ID: as.ID, Data: raw, FirstSeen: seen, LastSeen: seen, Fields: map[string]string{"firmware": as.Firmware}})
		}
		if _, err := db.FinishRun(ctx, store.Run{Capture: c.ID, Site: s, At: time.Now().UTC(), Stats: json.RawMessage(`{"packets":1000000,"tcp_gaps":3}`), Assets: assets}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("stored 5 site models and 5,000 assets in %v", time.Since(start).Round(time.Millisecond))

	srv, err := server.New(server.Config{Store: db, Data: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := web.New(srv, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Mount(c)
	u, err := server.NewUser("scale", store.Admin, "correct horse battery staple", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddUser(ctx, u); err != nil && !strings.Contains(err.Error(), "conflict") {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar}
	resp, err := cl.PostForm(ts.URL+"/login", url.Values{"username": {"scale"}, "password": {"correct horse battery staple"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	fs, _, err := db.Findings(ctx, store.FindingQuery{Site: "north", Limit: 1})
	if err != nil || len(fs) == 0 {
		t.Fatal("no finding", err)
	}
	pages := []string{"/", "/findings", "/findings?state=open", "/findings?site=south&state=open&severity=high", "/findings?crane=STS-03",
		"/findings?q=sts-17", "/findings/north/" + fs[0].ID, "/assets", "/assets?site=east&q=sts-04", "/cranes", "/zones?site=west",
		"/events", "/events?site=west&proto=modbus", "/captures", "/suppressions", "/admin", "/admin/audit"}
	for _, p := range pages {
		d := make([]time.Duration, 20)
		size := 0
		for i := range d {
			start := time.Now()
			resp, err := cl.Get(ts.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			d[i] = time.Since(start)
			if resp.StatusCode != 200 || resp.Request.URL.Path == "/login" {
				t.Fatalf("%s: %d at %s", p, resp.StatusCode, resp.Request.URL)
			}
			size = len(b)
		}
		slices.Sort(d)
		p50, p99 := d[len(d)/2], d[len(d)-1]
		t.Logf("%-48s p50 %8v  max %8v  (%d KB)", p, p50.Round(time.Millisecond), p99.Round(time.Millisecond), size/1024)
		if p99 > 300*time.Millisecond {
			t.Errorf("%s: %v, want under 300 ms", p, p99)
		}
	}
}
