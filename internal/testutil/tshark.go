package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// Tshark returns the path of tshark, the oracle of several tests. Without
// tshark the test is skipped, unless HARBORWATCH_REQUIRE_TSHARK=1 (as in
// CI), where it fails: an oracle test must not pass by not running.
func Tshark(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("HARBORWATCH_REQUIRE_TSHARK") == "1" {
			t.Fatal("tshark is required (HARBORWATCH_REQUIRE_TSHARK=1) but not installed")
		}
		t.Skip("tshark not installed")
	}
	return bin
}
