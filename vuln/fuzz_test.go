package vuln

import (
	"os"
	"strings"
	"testing"
)

// FuzzParseRange: any string parses or is reported unparsed with a
// reason, without a panic; versions compare consistently.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"vers:all/*", "vers:all/<V3.1.4", "<V3.2_HF1", "<= 5.008", "All versions < V3.X.16",
		"All versions >= V2.5 and < V20.8", ">=  5.3.1 build 150410 | <= 5.4.4  Build 161125", "<v36.011_v35.013_v34.014",
		"< 2.820.0000000.48.R.220614", "MX-V4.0.2.33.r2", "Firmware__20.054_kit1", "TSXETY4103 *", "DH-IPC-HDW1XXX,", "<= HiOS 07.0.02"} {
		f.Add(s, "V3.1.2")
	}
	f.Fuzz(func(t *testing.T, rng, ver string) {
		r := ParseRange(rng)
		if !r.Parsed && r.Reason == "" {
			t.Fatalf("%q: unparsed without a reason", rng)
		}
		_ = r.String()
		e := ParseExact(rng)
		if !e.Parsed && e.Reason == "" {
			t.Fatalf("%q: exact unparsed without a reason", rng)
		}
		v, ok := ParseVersion(ver)
		if !ok {
			return
		}
		if !r.Parsed && r.Contains(v) {
			t.Fatalf("unparsed %q contains %q", rng, ver)
		}
		if r.All && !r.Contains(v) {
			t.Fatalf("all-versions %q does not contain %q", rng, ver)
		}
		if v.Compare(v) != 0 {
			t.Fatalf("%q differs from itself", ver)
		}
		if w, ok := ParseVersion(rng); ok && v.Compare(w) != -w.Compare(v) {
			t.Fatalf("compare(%q, %q) not antisymmetric", ver, rng)
		}
	})
}

// FuzzParseCSAF: any input is an advisory or an error naming the file,
// without a panic; an advisory's statuses name products of its tree.
func FuzzParseCSAF(f *testing.F) {
	for _, name := range []string{"icsa-24-193-09.json", "icsa-19-043-04.json", "icsa-21-357-01.json", "icsa-24-226-09.json"} {
		b, err := os.ReadFile("testdata/advisories/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"document":{"category":"csaf_security_advisory","csaf_version":"2.0","title":"t","publisher":{"name":"p"},"tracking":{"id":"X","initial_release_date":"2024-01-01T00:00:00Z","current_release_date":"2024-01-01T00:00:00Z"}},"product_tree":{"branches":[{"category":"vendor","name":"V","branches":[{"category":"product_name","name":"P 1","branches":[{"category":"product_version_range","name":"<1","product":{"name":"P","product_id":"A"}}]}]}],"relationships":[{"category":"installed_on","full_product_name":{"name":"x","product_id":"B"},"product_reference":"A","relates_to_product_reference":"A"}]},"vulnerabilities":[{"cve":"CVE-1","product_status":{"known_affected":["A","B"]},"scores":[{"cvss_v3":{"baseScore":9.8,"vectorString":"v"},"products":["A"]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse("fuzz.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Fatalf("error without the file: %v", err)
			}
			return
		}
		for _, v := range a.Vulns {
			for id := range v.Status {
				if a.Products[id] == nil {
					t.Fatalf("status names %q, no product", id)
				}
			}
		}
		d := Device{Asset: "x", Vendors: []string{"V"}, Models: []string{"P 1"}, Firmware: []Firmware{{Version: "0.5"}}}
		_ = Match([]Device{d}, []*Advisory{a})
	})
}
