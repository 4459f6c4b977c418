package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSensorExport: with --export file:PATH the sensor sends each
// finding once, as new, as it is raised — the findings analyze makes on
// the same capture — and says at the stop what it sent.
func TestSensorExport(t *testing.T) {
	want, _ := analyzed(t)
	out := filepath.Join(t.TempDir(), "ecs.jsonl")
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &lockedWriter{w: &stderr}, getenv: func(string) string { return "" }}
	if code := run(context.Background(), e, []string{"sensor", "--file", fleetPcap, "--site", fleetSite, "--workers", "2",
		"--export", "file:" + out}); code != 0 {
		t.Fatalf("sensor exited %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for l := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		var line struct {
			Event struct {
				Action string `json:"action"`
				ID     string `json:"id"`
			} `json:"event"`
		}
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if line.Event.Action != "new" {
			t.Errorf("action %q in %s", line.Event.Action, l)
		}
		ids = append(ids, line.Event.ID)
	}
	var wantIDs []string
	for id := range want {
		wantIDs = append(wantIDs, id)
	}
	slices.Sort(ids)
	slices.Sort(wantIDs)
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("exported %q\nwant analyze's %q", ids, wantIDs)
	}
	if !strings.Contains(stderr.String(), fmt.Sprintf("export to file:%s: %d findings sent, 0 dropped", out, len(want))) {
		t.Errorf("the stop does not say what was sent: %s", stderr.String())
	}
	if code := run(context.Background(), e, []string{"sensor", "--file", fleetPcap, "--export", "ftp://x"}); code != 2 {
		t.Errorf("a bad --export: exit %d, want 2", code)
	}
}
