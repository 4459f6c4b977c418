package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorsEscaped: an error naming a file whose name holds terminal
// controls prints them escaped on stderr, never raw.
func TestErrorsEscaped(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "\x1b[2J\u202eevil.pcap")
	r := runCLI(t, nil, "analyze", bad)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2: %s", r.code, r.stderr)
	}
	if strings.ContainsAny(r.stderr, "\x1b\u202e") || !strings.Contains(r.stderr, `\x1b[2J\u202eevil.pcap`) {
		t.Errorf("stderr %q: want the name escaped", r.stderr)
	}
}
