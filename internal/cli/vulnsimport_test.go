package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"harborwatch/store/sqlstore"
)

// TestVulnsImport: the 32 advisories imported, imported again (all
// unchanged), a newer revision of one (updated), an older one (unchanged),
// and bad files (rejected with file and field, the rest imported, exit 2);
// each import and update in the audit log.
func TestVulnsImport(t *testing.T) {
	data := t.TempDir()
	r := runCLI(t, nil, "vulns", "import", "--data", data, testAdvisories)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "ADVISORIES: 32 files: 32 imported, 0 updated, 0 unchanged, 0 rejected\n") ||
		!strings.Contains(r.stdout, "imported   ICSA-24-284-01  revision 1 of 2024-10-08  ") {
		t.Fatalf("first import:\n%s", r.stdout)
	}
	r = runCLI(t, nil, "vulns", "import", "--data", data, testAdvisories)
	if r.code != ExitOK || !strings.Contains(r.stdout, "ADVISORIES: 32 files: 0 imported, 0 updated, 32 unchanged, 0 rejected\n") {
		t.Fatalf("second import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	orig, err := os.ReadFile(filepath.Join(testAdvisories, "icsa-24-284-01.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newer := strings.Replace(string(orig), `"current_release_date": "2024-10-08T00:00:00.000000Z"`, `"current_release_date": "2025-01-14T06:00:00.000000Z"`, 1)
	newer = strings.Replace(newer, `"version": "1"`, `"version": "2"`, 1)
	if newer == string(orig) || !strings.Contains(newer, `"version": "2"`) {
		t.Fatalf("could not make a newer revision: the fixture's dates or version changed")
	}
	older := strings.Replace(string(orig), `"current_release_date": "2024-10-08T00:00:00.000000Z"`, `"current_release_date": "2024-01-01T06:00:00.000000Z"`, 1)
	pNewer := write("newer.json", newer)
	pOlder := write("older.json", older)
	pBad := write("bad.json", strings.Replace(string(orig), `"csaf_version": "2.0"`, `"csaf_version": "1.2"`, 1))
	pJunk := write("junk.json", "{\"document\": [1,\n2]}")
	r = runCLI(t, nil, "vulns", "import", "--data", data, pNewer, pOlder, pBad, pJunk)
	if r.code != ExitUsage {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, ExitUsage, r.stdout, r.stderr)
	}
	for _, s := range []string{
		"updated    ICSA-24-284-01  revision 2 of 2025-01-14  " + pNewer + "  (replaced revision 1 of 2024-10-08)\n",
		"unchanged  ICSA-24-284-01  revision 1 of 2024-01-01  " + pOlder + "  (stored: revision 2 of 2025-01-14)\n",
		"rejected   " + pBad + `: document.csaf_version: "1.2", want "2.0"` + "\n",
		"rejected   " + pJunk + ": ",
		"ADVISORIES: 4 files: 0 imported, 1 updated, 1 unchanged, 2 rejected\n",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
	for _, s := range []string{"rejected " + pBad + ": document.csaf_version", "rejected " + pJunk, "2 files rejected (the others were imported)"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}

	st, err := sqlstore.Open(context.Background(), filepath.Join(data, "harborwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, err := st.Advisories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 32 {
		t.Fatalf("stored %d advisories, want 32", len(list))
	}
	a, err := st.Advisory(context.Background(), "ICSA-24-284-01")
	if err != nil || a.Version != "2" || string(a.Doc) != newer {
		t.Fatalf("stored ICSA-24-284-01: version %q, doc the newer one: %v (%v)", a.Version, string(a.Doc) == newer, err)
	}
	log, err := st.AuditLog(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]int{}
	for _, e := range log {
		if e.Action == "advisory.import" {
			imports[e.Target]++
		}
	}
	if len(imports) != 32 || imports["advisory:ICSA-24-284-01"] != 2 {
		t.Fatalf("audit: %d advisories, ICSA-24-284-01 %d times; want 32 and 2 (import, update)", len(imports), imports["advisory:ICSA-24-284-01"])
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"vulns", "import", "--data", data}, "no advisories"},
		{[]string{"vulns", "import", "--data", data, filepath.Join(dir, "missing")}, "cannot read it"},
		{[]string{"vulns", "import", "--data", data, t.TempDir()}, "no *.json file"},
	} {
		r := runCLI(t, nil, tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args[3:], r.code, r.stderr, tc.want)
		}
	}
	r = runCLI(t, nil, "vulns", "import", "--help")
	if r.code != ExitOK || !strings.Contains(r.stdout, "Usage: harborwatch vulns import") || !strings.Contains(r.stdout, "--data") {
		t.Errorf("vulns import --help: exit %d\n%s", r.code, r.stdout)
	}
}
