package cli

import (
	"runtime/debug"
	"testing"

	"harborwatch/pipeline"
)

// TestHoldMemory: analyze holds the Go runtime to the limit its memory
// budget implies, lifts it afterwards, and leaves a GOMEMLIMIT alone.
func TestHoldMemory(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	e := &env{getenv: func(string) string { return "" }}
	lift := holdMemory(e, 64<<20, 2)
	if got, want := debug.SetMemoryLimit(-1), pipeline.GCLimit(64<<20, 2); got != want {
		t.Errorf("limit %d, want %d", got, want)
	}
	lift()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit %d after the run, want %d", got, before)
	}
	e.getenv = func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1GiB"
		}
		return ""
	}
	holdMemory(e, 64<<20, 2)()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("GOMEMLIMIT set: limit %d, want %d untouched", got, before)
	}
}
