package server

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"harborwatch/finding"
	"harborwatch/store"
	"harborwatch/vuln"
)

// knownVulns returns the asset|advisory pairs of the vulnerability.known
// findings.
func knownVulns(fs []store.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Rule == finding.RuleVulnKnown {
			out = append(out, fmt.Sprintf("%s|%v", f.Src.Asset, f.Detail["advisory"]))
		}
	}
	slices.Sort(out)
	return out
}

// TestStoredAdvisories: advisories imported into the store are matched
// on ingest exactly as the same advisories given as configuration are;
// the API lists them (source store) and the matches per asset, which
// agree with the findings; a newer revision replaces the parsed one; a
// stored document that does not parse is left out, not fatal.
func TestStoredAdvisories(t *testing.T) {
	advs, err := vuln.Load("../vuln/testdata/advisories")
	if err != nil {
		t.Fatal(err)
	}
	_, cfgFindings := loaded(t, func(c *Config) { c.Advisories = advs })
	want := knownVulns(cfgFindings)
	if len(want) == 0 {
		t.Fatal("the example capture matches no advisory: the test proves nothing")
	}

	h := startServer(t, t.TempDir(), nil)
	ctx := context.Background()
	files, err := vuln.Files("../vuln/testdata/advisories")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		a, data, err := vuln.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.st.PutAdvisory(ctx, store.Advisory{ID: a.ID, Title: a.Title, Publisher: a.Publisher, Version: a.Version,
			Current: a.Current, File: f, Doc: data, By: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	// Junk under an id of its own: logged and left out.
	if _, _, err := h.st.PutAdvisory(ctx, store.Advisory{ID: "JUNK-1", Doc: []byte(`{"document":{}}`)}); err != nil {
		t.Fatal(err)
	}
	h.must(200, "PUT", "/api/v1/sites/t3", store.Admin, readFile(t, exampleSite), nil)
	if c := h.waitCapture(upload(h, "t3", examplePcap)); c.Status != store.Done {
		t.Fatalf("capture: %s %s", c.Status, c.Error)
	}
	if got := knownVulns(h.allFindings("site=t3")); !slices.Equal(got, want) {
		t.Fatalf("stored advisories: vulnerability.known %v\nwant (as with --csaf) %v", got, want)
	}

	var list struct {
		Advisories []struct {
			ID, Source, File, Version string
			CVEs                      []string
		}
	}
	h.must(200, "GET", "/api/v1/advisories", store.Viewer, nil, &list)
	if len(list.Advisories) != len(files) {
		t.Fatalf("listed %d advisories, want %d (the junk one left out)", len(list.Advisories), len(files))
	}
	for _, a := range list.Advisories {
		if a.Source != "store" || !strings.HasSuffix(a.File, ".json") || a.ID == "JUNK-1" {
			t.Errorf("advisory %+v: want source store with its file", a)
		}
	}

	var vs struct {
		Assets []struct {
			Site, Asset string
			Matches     []struct {
				Advisory, Status, Severity string
				CVEs                       []string
			}
		}
	}
	h.must(200, "GET", "/api/v1/vulns?site=t3", store.Viewer, nil, &vs)
	var got []string
	for _, a := range vs.Assets {
		for _, m := range a.Matches {
			got = append(got, a.Asset+"|"+m.Advisory)
			if m.Severity == "" || len(m.CVEs) == 0 {
				t.Errorf("%s %s: severity %q, CVEs %v", a.Asset, m.Advisory, m.Severity, m.CVEs)
			}
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("/api/v1/vulns: %v\nwant the findings' %v", got, want)
	}
	one := strings.SplitN(want[0], "|", 2)
	h.must(200, "GET", "/api/v1/vulns?site=t3&asset="+one[0], store.Viewer, nil, &vs)
	if len(vs.Assets) != 1 || vs.Assets[0].Asset != one[0] {
		t.Fatalf("vulns of asset %s: %+v", one[0], vs.Assets)
	}
	if code, _ := h.do("GET", "/api/v1/vulns?asset=x", store.Viewer, nil); code != 400 {
		t.Errorf("asset without site: %d, want 400", code)
	}

	// A newer revision that lists none of the matched products as
	// affected: the next match drops that advisory.
	adv := one[1]
	var path string
	for _, f := range files {
		if a, _, _ := vuln.ReadFile(f); a.ID == adv {
			path = f
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	newer := strings.ReplaceAll(string(data), `"known_affected"`, `"known_not_affected"`)
	na, err := vuln.Parse("newer", []byte(newer))
	if err != nil {
		t.Fatal(err)
	}
	na.Current = na.Current.AddDate(1, 0, 0)
	if o, _, err := h.st.PutAdvisory(ctx, store.Advisory{ID: na.ID, Version: na.Version + "9", Current: na.Current, Doc: []byte(newer)}); err != nil || o != store.AdvisoryUpdated {
		t.Fatalf("put the newer revision: %s %v", o, err)
	}
	h.must(200, "GET", "/api/v1/vulns?site=t3", store.Viewer, nil, &vs)
	for _, a := range vs.Assets {
		for _, m := range a.Matches {
			if m.Advisory == adv {
				t.Errorf("%s still matches %s after its newer revision lists nothing as affected", a.Asset, adv)
			}
		}
	}
}
