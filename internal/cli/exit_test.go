package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInventoryImportUnreadable: an imported file that cannot be read at
// all — missing, a directory, not readable — is bad input (exit 2) naming
// the flag, the file and why.
func TestInventoryImportUnreadable(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.csv")
	tests := []struct {
		name, flag, file, want string
	}{
		{"missing csv", "csv", missing, "harborwatch: inventory: --csv " + missing + ": cannot read it: no such file or directory\n"},
		{"missing bom", "bom", missing, "harborwatch: inventory: --bom " + missing + ": cannot read it: no such file or directory\n"},
		{"directory csv", "csv", dir, "harborwatch: inventory: --csv " + dir + ": is a directory, not a file\n"},
		{"directory json", "json", dir, "harborwatch: inventory: --json " + dir + ": is a directory, not a file\n"},
		{"directory bom", "bom", dir, "harborwatch: inventory: --bom " + dir + ": is a directory, not a file\n"},
	}
	if os.Geteuid() != 0 { // root reads any file
		locked := filepath.Join(dir, "locked.json")
		if err := os.WriteFile(locked, []byte(`[]`), 0o000); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct{ name, flag, file, want string }{"not readable", "json", locked,
			"harborwatch: inventory: --json " + locked + ": cannot read it: permission denied\n"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, "inventory", "--site", exampleSite, "--"+tt.flag, tt.file)
			if r.code != ExitUsage || r.stderr != tt.want || r.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", r.code, r.stdout, r.stderr, tt.want)
			}
		})
	}
	// A capture given to inventory is checked as analyze checks it.
	r := runCLI(t, nil, "inventory", dir)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "open "+dir+": is a directory, not a capture file") {
		t.Errorf("inventory DIR: exit %d, stderr %q", r.code, r.stderr)
	}
}
