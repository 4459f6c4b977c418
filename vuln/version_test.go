package vuln

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func mustVersion(t *testing.T, s string) Version {
	t.Helper()
	v, ok := ParseVersion(s)
	if !ok {
		t.Fatalf("ParseVersion(%q) failed", s)
	}
	return v
}

func TestVersionOrder(t *testing.T) {
	// Each is below the next.
	chain := []string{"V3.0", "V3.0 HF1", "V3.0 SP1", "V3.0 SP1 HF2", "V3.0 SP2", "V3.1", "V3.2", "V3.2_HF1", "V3.2 Update 1", "V3.5", "V3.50", "V20.8"}
	for i := 1; i < len(chain); i++ {
		a, b := mustVersion(t, chain[i-1]), mustVersion(t, chain[i])
		if a.Compare(b) >= 0 || b.Compare(a) <= 0 {
			t.Errorf("%s should be below %s", chain[i-1], chain[i])
		}
	}
	equal := [][2]string{{"V3.2", "3.2.0"}, {"5.8", "5.008"}, {"20.11", "Firmware__20.011"}, {"V3.X.16", "V3.7.16"},
		{"MX-V4.0.2.33.r2", "4.0.2.33-r2"}, {"HiOS 07.0.02", "7.0.2"}, {"5.4.4  Build 161125", "5.4.4 build 161125"}}
	for _, p := range equal {
		if c := mustVersion(t, p[0]).Compare(mustVersion(t, p[1])); c != 0 {
			t.Errorf("%s vs %s = %d, want 0", p[0], p[1], c)
		}
	}
	for _, bad := range []string{"", "DH-IPC-HDW1XXX,", "TSXETY4103 *", "Series A", "abc"} {
		if _, ok := ParseVersion(bad); ok {
			t.Errorf("ParseVersion(%q) ok, want not a version", bad)
		}
	}
}

func TestRange(t *testing.T) {
	cases := []struct {
		rng  string
		in   []string
		out  []string
		note bool
	}{
		{"vers:all/*", []string{"V1.0", "MX-V9"}, nil, false},
		{"vers:generic/>=1.0|<2.0", []string{"1.0", "1.9.9"}, []string{"0.9", "2.0"}, false},
		{"vers:all/<V3.1.4", []string{"V3.1.3", "V2.9"}, []string{"V3.1.4", "V3.2"}, true},
		{"<V3.2_HF1", []string{"V3.2", "V3.1 SP3"}, []string{"V3.2 HF1", "V3.2 SP1", "V3.3"}, false},
		{"<= 5.008", []string{"5.8", "5.007", "4.99"}, []string{"5.009", "5.028"}, false},
		{"All versions < V3.X.16", []string{"V3.2.15", "V3.3.0"}, []string{"V3.2.16", "V3.3.17"}, true},
		{"All versions >= V2.5 and < V2.8", []string{"V2.5", "V2.7.9"}, []string{"V2.4", "V2.8"}, true},
		{"All firmware versions < V5.2", []string{"V5.1"}, []string{"V5.2"}, true},
		{"All versions", []string{"V0.1"}, nil, false},
		{"V4.5.0", []string{"V4.5.0", "4.5"}, []string{"V4.5.1"}, true},
		{">=  5.3.1 build 150410 | <= 5.4.4  Build 161125", []string{"5.3.1 build 150410", "5.4.4 build 161125", "5.4.0"}, []string{"5.3.0", "5.4.5", "5.4.4 build 170101"}, false},
		{"< 2.820.0000000.48.R.220614", []string{"2.820.0000000.47.R.220101", "2.800.0000000.16.R.210101"}, []string{"2.820.0000000.48.R.220614", "2.840.0000000.1.R.230101"}, false},
		{"<v36.011_v35.013_v34.014", []string{"34.013", "33.0", "35.012", "36.010"}, []string{"34.014", "34.99", "35.013", "36.011", "37.0"}, true},
		{"<= HiOS 07.0.02", []string{"07.0.02", "6.1"}, []string{"07.0.03"}, false},
		{"< 15.0 SP1", []string{"15.0", "14.9"}, []string{"15.0 SP1", "15.1"}, false},
	}
	for _, c := range cases {
		r := ParseRange(c.rng)
		if !r.Parsed {
			t.Errorf("%q: unparsed: %s", c.rng, r.Reason)
			continue
		}
		if (r.Note != "") != c.note {
			t.Errorf("%q: note %q", c.rng, r.Note)
		}
		for _, v := range c.in {
			if !r.Contains(mustVersion(t, v)) {
				t.Errorf("%q does not contain %s", c.rng, v)
			}
		}
		for _, v := range c.out {
			if r.Contains(mustVersion(t, v)) {
				t.Errorf("%q contains %s", c.rng, v)
			}
		}
	}
	for _, bad := range []string{"TSXETY4103 *", "DH-IPC-HDBW13A0SN,", "vers:", "<", "All versions of it", ">= 1.0 |"} {
		if r := ParseRange(bad); r.Parsed || r.Reason == "" || r.Contains(mustVersion(t, "1.0")) {
			t.Errorf("ParseRange(%q) = %+v, want unparsed with a reason", bad, r)
		}
	}
	if r := ParseExact("MX-V4.0.2.33.r2"); !r.Parsed || !r.Contains(mustVersion(t, "MX-V4.0.2.33.r2")) || r.Contains(mustVersion(t, "MX-V4.0.2.33")) {
		t.Errorf("ParseExact(MX-V4.0.2.33.r2) = %+v", r)
	}
}

// TestEveryVersionString reads every product_version and
// product_version_range of the 32 advisories straight from the JSON and
// checks that each one became a product that is either parsed or
// reported unparsed with a reason: none dropped.
func TestEveryVersionString(t *testing.T) {
	advs := advisories(t)
	files, _ := filepath.Glob("testdata/advisories/*.json")
	if len(files) != 32 || len(advs) != 32 {
		t.Fatalf("%d files, %d advisories, want 32", len(files), len(advs))
	}
	raw := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			ProductTree struct {
				Branches []node `json:"branches"`
			} `json:"product_tree"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		var leaves []node
		var walk func([]node)
		walk = func(ns []node) {
			for _, n := range ns {
				if n.Product != nil && (n.Category == "product_version" || n.Category == "product_version_range") {
					leaves = append(leaves, n)
				}
				walk(n.Branches)
			}
		}
		walk(doc.ProductTree.Branches)
		var a *Advisory
		for _, x := range advs {
			if x.File == f {
				a = x
			}
		}
		for _, l := range leaves {
			raw++
			p := a.Products[l.Product.ID]
			if p == nil || p.VersionText != l.Name || p.Exact != (l.Category == "product_version") {
				t.Errorf("%s: %s %q: not loaded as a product with that version", f, l.Product.ID, l.Name)
				continue
			}
			if !p.Range.Parsed && p.Range.Reason == "" {
				t.Errorf("%s: %q neither parsed nor reported unparsed", f, l.Name)
			}
		}
	}
	parsed, unparsed, products, rels := versionCounts(advs)
	if parsed+unparsed != raw {
		t.Errorf("%d version strings in the files, %d parsed + %d unparsed", raw, parsed, unparsed)
	}
	// The unparsed ones are exactly the model names and the "TSXETY4103 *"
	// of 17-124-02 and 21-005-01 (15 + 2).
	if unparsed != 17 {
		t.Errorf("%d unparsed, want 17", unparsed)
	}
	t.Logf("32 advisories, %d products (%d relationships), %d version strings: %d parsed, %d unparsed", products, rels, raw, parsed, unparsed)
}

type node struct {
	Category string `json:"category"`
	Name     string `json:"name"`
	Branches []node `json:"branches"`
	Product  *struct {
		ID string `json:"product_id"`
	} `json:"product"`
}

func versionCounts(advs []*Advisory) (parsed, unparsed, products, rels int) {
	for _, a := range advs {
		for _, p := range a.ProductList {
			products++
			if p.Component != nil {
				rels++
				continue
			}
			if p.VersionText == "" {
				continue
			}
			if p.Range.Parsed {
				parsed++
			} else {
				unparsed++
			}
		}
	}
	return
}
