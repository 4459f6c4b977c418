package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"harborwatch/capture"
	"harborwatch/finding"
	"harborwatch/internal/synth"
	"harborwatch/internal/testutil"
)

func sha256File(t *testing.T, path string) (string, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), int64(len(b))
}

// TestAnalyzeEvidence runs analyze --evidence on the demo capture (four
// cranes, every scenario) and opens every finding's pcap with package
// capture and with tshark: each holds exactly the finding's evidence
// packets, byte for byte, with their timestamps and lengths on the wire,
// and the report names the capture's SHA-256 and the file's.
func TestAnalyzeEvidence(t *testing.T) {
	tshark := ""
	t.Run("tshark installed", func(t *testing.T) { tshark = testutil.Tshark(t) })
	var all []string
	for _, sc := range synth.TerminalScenarios {
		all = append(all, sc.Name)
	}
	s := simulate(t, "terminal.pcap", "--cranes", "4", "--scenario", strings.Join(all, ","))
	dir := filepath.Join(t.TempDir(), "evidence", "run1") // created by analyze
	r := runCLI(t, nil, "analyze", "--site", s.site, "--format", "json", "--evidence", dir, s.pcap)
	if r.code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	var doc struct {
		Findings []finding.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != len(s.truth.Must) {
		t.Fatalf("%d findings, want the truth's %d", len(doc.Findings), len(s.truth.Must))
	}
	source := testutil.Frames(t, s.pcap)
	captureSum, _ := sha256File(t, s.pcap)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(doc.Findings) {
		t.Errorf("%d files in %s, want one per finding (%d)", len(entries), dir, len(doc.Findings))
	}
	packets := 0
	for _, f := range doc.Findings {
		var want []capture.Packet
		for _, ev := range f.Evidence {
			if ev.Capture != s.pcap || ev.SHA256 != captureSum {
				t.Errorf("%s: evidence names %s, sha256 %q; want %s, %s", f.ID, ev.Capture, ev.SHA256, s.pcap, captureSum)
			}
			for _, n := range ev.Packets {
				want = append(want, source[n-1])
			}
		}
		if len(want) == 0 || len(want) > finding.MaxEvidence {
			t.Fatalf("%s: %d evidence packets", f.ID, len(want))
		}
		p := f.Pcap
		if p == nil {
			t.Fatalf("%s: no pcap in the report", f.ID)
		}
		if p.Path != filepath.Join(dir, f.ID+".pcap") || p.Packets != len(want) {
			t.Errorf("%s: pcap %s of %d packets, want %s of %d", f.ID, p.Path, p.Packets, filepath.Join(dir, f.ID+".pcap"), len(want))
		}
		if sum, size := sha256File(t, p.Path); p.SHA256 != sum || p.Bytes != size {
			t.Errorf("%s: report says %d bytes, sha256 %s; the file has %d, %s", f.ID, p.Bytes, p.SHA256, size, sum)
		}
		packets += p.Packets
		got := testutil.Frames(t, p.Path)
		if len(got) != len(want) {
			t.Fatalf("%s: %d packets in %s, want %d", f.ID, len(got), p.Path, len(want))
		}
		for i, w := range want {
			g := got[i]
			if !bytes.Equal(g.Data, w.Data) || g.TS != w.TS || g.OrigLen != w.OrigLen || g.Link != w.Link {
				t.Errorf("%s: packet %d differs from packet %d of the capture", f.ID, i+1, w.Number)
			}
		}
		if tshark == "" {
			continue
		}
		// tshark takes half a second to start: two at a time.
		t.Run("tshark/"+f.ID, func(t *testing.T) {
			t.Parallel()
			frames := testutil.TsharkFrames(t, tshark, p.Path)
			if len(frames) != len(want) {
				t.Fatalf("tshark reads %d frames in %s, want %d", len(frames), p.Path, len(want))
			}
			for i, w := range want {
				fr := frames[i]
				if !bytes.Equal(fr.Data, w.Data) || fr.TS != w.TS || fr.Len != w.OrigLen || fr.CapLen != len(w.Data) {
					t.Errorf("tshark frame %d (%d bytes, ts %d, len %d) differs from packet %d of the capture (%d bytes, ts %d, len %d)",
						fr.Number, len(fr.Data), fr.TS, fr.Len, w.Number, len(w.Data), w.TS, w.OrigLen)
				}
			}
		})
	}
	if want := "harborwatch: evidence: " + nouns(len(doc.Findings), "file", "files") + " of " + nouns(packets, "packet", "packets") + " written to " + dir; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("warnings on stderr:\n%s", r.stderr)
	}

	// The text report names the files too; without --evidence neither
	// the report nor the JSON says anything of hashes or files.
	r = runCLI(t, nil, "analyze", "--site", s.site, "--evidence", dir, s.pcap)
	f := doc.Findings[0]
	for _, want := range []string{
		"evidence " + s.pcap + " (sha256 " + captureSum + ") packets ",
		"pcap " + f.Pcap.Path + " (" + nouns(f.Pcap.Packets, "packet", "packets") + ", ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text report lacks %q", want)
		}
	}
	r = runCLI(t, nil, "analyze", "--site", s.site, "--format", "json", s.pcap)
	if r.code != ExitOK || strings.Contains(r.stdout, `"sha256"`) || strings.Contains(r.stdout, `"pcap"`) {
		t.Errorf("without --evidence: exit %d, report with sha256 or pcap", r.code)
	}
}

// TestEvidenceDir: analyze --help tells of --evidence; a --evidence that
// is a file is refused before any analysis.
func TestEvidenceDir(t *testing.T) {
	r := runCLI(t, nil, "analyze", "--help")
	for _, want := range []string{"[--evidence DIR]", "--evidence DIR", "DIR/<finding id>.pcap", "--evidence evidence/ capture.pcap"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("analyze --help lacks %q", want)
		}
	}

	file := filepath.Join(t.TempDir(), "evidence")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, nil, "analyze", "--evidence", file, examplePcap)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--evidence "+file+": not a directory") || r.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, not a directory", r.code, r.stdout, r.stderr)
	}
}

// TestEvidenceMissing: evidence the capture does not hold (a capture
// changed since its analysis) is said on stderr, and the file holds the
// packets that are there.
func TestEvidenceMissing(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	e := &env{stdout: &stderr, stderr: &stderr, getenv: func(string) string { return "" }}
	ev, err := startEvidence(newOutputs(e, "analyze", examplePcap), dir, []string{examplePcap})
	if err != nil {
		t.Fatal(err)
	}
	findings := []finding.Finding{
		{ID: "HW-A", Evidence: []finding.Evidence{{Capture: examplePcap, Packets: []int64{3, 1 << 40}}}},
		{ID: "HW-B", Evidence: []finding.Evidence{}},
	}
	if err := ev.write(e, findings); err != nil {
		t.Fatal(err)
	}
	if p := findings[0].Pcap; p == nil || p.Packets != 1 {
		t.Errorf("HW-A: pcap %+v, want one of 1 packet", p)
	}
	if findings[1].Pcap != nil {
		t.Errorf("HW-B, without evidence: pcap %+v", findings[1].Pcap)
	}
	for _, want := range []string{
		"harborwatch: evidence: 1 file of 1 packet written to " + dir,
		"harborwatch: warning: evidence: 1 packet not found in the captures",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	// No sum came from an analysis, but the pass read the capture to its
	// end, looking for the missing packet: it knows the sum.
	if sum, _ := sha256File(t, examplePcap); findings[0].Evidence[0].SHA256 != sum {
		t.Errorf("SHA256 %q, want the capture's, %s", findings[0].Evidence[0].SHA256, sum)
	}
}
