package sqlstore_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"harborwatch/server"
	"harborwatch/store"
	"harborwatch/store/sqlstore"
)

// TestFindingsHTTPScale measures GET /api/v1/findings through the server's
// handler (authentication, query, JSON) on the store of 100,000 findings
// and 1,000,000 events: p99 of 200 requests of each kind must stay under
// 50 ms. It runs with HARBORWATCH_STORE_SCALE=1 only.
func TestFindingsHTTPScale(t *testing.T) {
	if testing.Short() || os.Getenv("HARBORWATCH_STORE_SCALE") != "1" {
		t.Skip("set HARBORWATCH_STORE_SCALE=1 (and no -short) to measure the API on 100,000 findings and 1,000,000 events")
	}
	db := sqlstore.ScaleDB(t)
	srv, err := server.New(server.Config{Store: db, Data: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tok, secret, err := server.NewToken("scale", store.Viewer, "", "test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	queries := map[string]string{
		"first page":        "limit=100",
		"site+state":        "site=south&state=open&limit=100",
		"site+suppressed":   "site=north&state=suppressed&limit=100",
		"rule+severity":     "rule=segmentation.cross-zone&severity=high&limit=100",
		"text":              "q=sts-17&limit=100",
		"deep cursor":       "limit=100&cursor=" + url.QueryEscape(sqlstore.ScaleDeepCursor()),
		"events site+proto": "",
	}
	names := make([]string, 0, len(queries))
	for n := range queries {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		path := "/api/v1/findings?" + queries[name]
		if name == "events site+proto" {
			path = "/api/v1/events?site=west&proto=modbus&limit=1000"
		}
		d := make([]time.Duration, 200)
		var size int
		for i := range d {
			req, _ := http.NewRequest("GET", ts.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			d[i] = time.Since(start)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
			}
			size = len(b)
		}
		slices.Sort(d)
		p50, p99 := d[len(d)/2], d[len(d)*99/100]
		t.Logf("%-18s p50 %8v  p99 %8v  (%d bytes)", name, p50.Round(time.Microsecond), p99.Round(time.Microsecond), size)
		if p99 > 50*time.Millisecond {
			t.Errorf("%s: p99 %v, want under 50 ms", name, p99)
		}
	}
}
