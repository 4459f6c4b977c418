package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
)

// TestUnknownLinkType: a capture of a link type no decoder knows is not
// "FINDINGS: none" and silence: stderr warns once per link type, the text
// report has a line for it, the JSON counts it in stats.unknown_link_types.
func TestUnknownLinkType(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "odd.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := capture.NewPcapWriter(f, 147, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC).UnixNano()
	for i := range 12 {
		frame := []byte("frame of an unknown link layer")
		if err := w.WritePacket(t0+int64(i)*int64(time.Millisecond), frame, len(frame)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	r := runCLI(t, nil, "analyze", path)
	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	warn := path + ": link type LINKTYPE_147 is not one harborwatch decodes"
	if n := strings.Count(r.stderr, warn); n != 1 {
		t.Errorf("stderr says %d times %q:\n%s", n, warn, r.stderr)
	}
	if line := "unknown  link type LINKTYPE_147: 12 packets not analyzed (no decoder for it)\n"; !strings.Contains(r.stdout, line) {
		t.Errorf("report lacks %q:\n%s", line, r.stdout)
	}
	if strings.Contains(r.stdout, "malformed headers") {
		t.Errorf("report calls the packets malformed:\n%s", r.stdout)
	}

	r = runCLI(t, nil, "analyze", "--format", "json", path)
	var doc struct {
		Stats struct {
			UnknownLinkTypes map[string]uint64 `json:"unknown_link_types"`
			DecodeErrors     map[string]uint64 `json:"decode_errors"`
		} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if doc.Stats.UnknownLinkTypes["LINKTYPE_147"] != 12 || len(doc.Stats.UnknownLinkTypes) != 1 || len(doc.Stats.DecodeErrors) != 0 {
		t.Errorf("stats %+v", doc.Stats)
	}
}
