package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harborwatch/store"
)

// TestAssetVulns: an asset's page lists the advisories imported into
// the store that match it, with their CVEs and citation; an asset that
// matches none says so.
func TestAssetVulns(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	files, err := filepath.Glob("../vuln/testdata/advisories/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("advisories: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Document struct {
				Tracking struct {
					ID, Version        string
					CurrentReleaseDate time.Time `json:"current_release_date"`
				}
			}
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		tr := doc.Document.Tracking
		if _, _, err := e.st.PutAdvisory(ctx, store.Advisory{ID: tr.ID, Version: tr.Version, Current: tr.CurrentReleaseDate, Doc: data}); err != nil {
			t.Fatal(err)
		}
	}
	vs, err := e.srv.Vulns(ctx, "t3", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no asset of the example capture matches an advisory: the test proves nothing")
	}
	b := e.browser()
	b.login("viewer1")
	m := vs[0].Matches[0]
	code, body := b.get("/assets/t3/" + vs[0].Asset)
	if code != 200 {
		t.Fatalf("asset page: %d", code)
	}
	for _, s := range []string{"Known vulnerabilities", ">" + m.Advisory + "</a>", m.CVEs[0], `href="` + m.URL + `"`} {
		if !strings.Contains(body, s) {
			t.Errorf("asset page of %s lacks %q", vs[0].Asset, s)
		}
	}
	matched := map[string]bool{}
	for _, v := range vs {
		matched[v.Asset] = true
	}
	as, err := e.st.Assets(ctx, "t3")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if !matched[a.ID] {
			if _, body := b.get("/assets/t3/" + a.ID); !strings.Contains(body, "none known") {
				t.Errorf("asset page of %s (no match) does not say none known", a.ID)
			}
			break
		}
	}
}
