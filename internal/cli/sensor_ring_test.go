//go:build linux

package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/finding"
	"harborwatch/internal/testutil"
)

// sensorLines runs the sensor on a capture file, as if live, with args
// added, and returns the last JSON line of each finding and stderr.
func sensorLines(t *testing.T, args ...string) (map[string]finding.Finding, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "findings.jsonl")
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &lockedWriter{w: &stderr}, getenv: func(string) string { return "" }}
	all := append([]string{"sensor", "--file", fleetPcap, "--site", fleetSite, "--out", out, "--workers", "2"}, args...)
	if code := run(context.Background(), e, all); code != 0 {
		t.Fatalf("sensor exited %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]finding.Finding{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		var u struct{ Finding finding.Finding }
		if err := json.Unmarshal([]byte(line), &u); err != nil {
			t.Fatalf("%v: %.200s", err, line)
		}
		last[u.Finding.ID] = u.Finding
	}
	return last, stderr.String()
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// tsharkFrames lists a capture's packets as tshark reads them: time,
// length on the wire, captured length and protocols, one line each.
func tsharkFrames(t *testing.T, bin, path string) []string {
	t.Helper()
	out, err := exec.Command(bin, "-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.protocols").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", path, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// TestSensorEvidence: the sensor reading the example as if live, with
// --evidence, writes for each finding the same evidence file, byte for
// byte, as analyze --evidence on the same file, and tshark reads the
// same packets from both; each finding's last line names its file with
// the file's SHA-256, and nothing is missing (the default ring holds the
// whole example).
func TestSensorEvidence(t *testing.T) {
	dirS, dirA := t.TempDir(), t.TempDir()
	ringDir := t.TempDir()
	got, stderr := sensorLines(t, "--evidence", dirS, "--ring-dir", ringDir)
	if !strings.Contains(stderr, "0 were pushed out of it before a finding claimed them") || !regexp.MustCompile(`[1-9][0-9]* evidence packets found, 0 missing`).MatchString(stderr) {
		t.Errorf("closing summary: %s", stderr)
	}
	if left, _ := os.ReadDir(ringDir); len(left) != 0 {
		t.Errorf("the ring file is left behind: %v", left)
	}
	r := runCLI(t, nil, "analyze", "--site", fleetSite, "--evidence", dirA, "--format", "json", fleetPcap)
	if r.code != 0 {
		t.Fatalf("analyze: %d %s", r.code, r.stderr)
	}
	var rep struct{ Findings []finding.Finding }
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	tshark := ""
	if _, err := exec.LookPath("tshark"); err == nil || os.Getenv("HARBORWATCH_REQUIRE_TSHARK") == "1" {
		tshark = testutil.Tshark(t)
	}
	files := 0
	for _, want := range rep.Findings {
		if want.Pcap == nil {
			continue
		}
		files++
		f, ok := got[want.ID]
		if !ok || f.Pcap == nil {
			t.Errorf("%s: the sensor gave no evidence file (analyze wrote %s)", want.ID, want.Pcap.Path)
			continue
		}
		a, err := os.ReadFile(want.Pcap.Path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := os.ReadFile(f.Pcap.Path)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(f.Pcap.Path) != dirS || filepath.Base(f.Pcap.Path) != want.ID+".pcap" {
			t.Errorf("%s: sensor file %s, want %s/%s.pcap", want.ID, f.Pcap.Path, dirS, want.ID)
		}
		if !bytes.Equal(a, s) {
			t.Errorf("%s: the sensor's evidence file (%d bytes) differs from analyze's (%d bytes)", want.ID, len(s), len(a))
		}
		if f.Pcap.SHA256 != fileSHA(t, f.Pcap.Path) || f.Pcap.SHA256 != want.Pcap.SHA256 || f.Pcap.Packets != want.Pcap.Packets || f.Pcap.Bytes != int64(len(s)) {
			t.Errorf("%s: pcap %+v, analyze's %+v", want.ID, *f.Pcap, *want.Pcap)
		}
		for _, e := range f.Evidence {
			if len(e.Missing) > 0 {
				t.Errorf("%s: missing %v with a ring that holds the whole capture", want.ID, e.Missing)
			}
		}
		if tshark != "" {
			fa, fs := tsharkFrames(t, tshark, want.Pcap.Path), tsharkFrames(t, tshark, f.Pcap.Path)
			if strings.Join(fa, "\n") != strings.Join(fs, "\n") || len(fs) != f.Pcap.Packets {
				t.Errorf("%s: tshark reads %d packets from the sensor's file, %d from analyze's, %d claimed", want.ID, len(fs), len(fa), f.Pcap.Packets)
			}
		}
	}
	if files == 0 {
		t.Fatal("analyze wrote no evidence file")
	}
	if n, _ := os.ReadDir(dirS); len(n) != files {
		t.Errorf("the sensor wrote %d files, analyze %d", len(n), files)
	}
	t.Logf("%d findings: the sensor's evidence files equal analyze's", files)
}

// TestSensorEvidenceTinyRing: a ring far smaller than the traffic loses
// the packets of findings raised late on early packets: they are listed
// as missing in the finding's evidence, never dropped silently; the
// evidence file holds the others; overwrites are counted.
func TestSensorEvidenceTinyRing(t *testing.T) {
	dir := t.TempDir()
	got, stderr := sensorLines(t, "--evidence", dir, "--ring", "512KiB", "--ring-dir", t.TempDir())
	m := regexp.MustCompile(`(\d+) were pushed out of it before a finding claimed them \(ring overwrites\), (\d+) evidence packets found, (\d+) missing`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no ring summary: %s", stderr)
	}
	over, _ := strconv.Atoi(m[1])
	missingTotal, _ := strconv.Atoi(m[3])
	if over == 0 || missingTotal == 0 {
		t.Fatalf("a 512 KiB ring over a 2.3 MB capture: %d overwrites, %d missing; want both counted", over, missingTotal)
	}
	missing, withFile := 0, 0
	for id, f := range got {
		n, miss := 0, 0
		for _, e := range f.Evidence {
			n += len(e.Packets)
			miss += len(e.Missing)
			for _, x := range e.Missing {
				if !containsInt(e.Packets, x) {
					t.Errorf("%s: missing packet %d is not one of its evidence packets", id, x)
				}
			}
		}
		n = min(n, finding.MaxEvidence)
		missing += miss
		switch {
		case f.Pcap != nil:
			withFile++
			if f.Pcap.Packets != n-miss {
				t.Errorf("%s: file of %d packets, %d evidence packets of which %d missing", id, f.Pcap.Packets, n, miss)
			}
		case n > 0 && miss != n:
			t.Errorf("%s: %d evidence packets, %d missing, and no file", id, n, miss)
		}
	}
	if missing == 0 || withFile == 0 {
		t.Errorf("%d packets listed missing, %d findings with a file: want both", missing, withFile)
	}
	t.Logf("512 KiB ring: %d overwrites, %d evidence packets missing (%d listed in the findings' last lines), %d findings with a file", over, missingTotal, missing, withFile)
}

func containsInt(xs []int64, x int64) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestSensorRingFlags: the kernel ring and the evidence ring are two
// flags; bad sizes are usage errors.
func TestSensorRingFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--ring", "100KiB", "--evidence", t.TempDir()}, "--ring"},
		{[]string{"--ring", "lots"}, "--ring"},
		{[]string{"--kernel-ring", "big"}, "--kernel-ring"},
		{[]string{"--ring", "0", "--evidence", t.TempDir()}, "--evidence needs the ring"},
	} {
		r := runCLI(t, nil, append([]string{"sensor", "--file", fleetPcap}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, ExitUsage, tc.want)
		}
	}
	r := runCLI(t, nil, "sensor", "--help")
	for _, want := range []string{"--kernel-ring", "--ring SIZE", "--ring-dir", "--evidence", "missing"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("sensor --help does not mention %s", want)
		}
	}
}

// TestSensorEvidencePublished: a sensor publishing to serve's embedded
// NATS puts each finding's evidence file into the object store through
// its queue; serve fetches it when it stores the finding, and serves it
// at /api/v1/findings/{id}/evidence.pcap, byte for byte the file the
// sensor made (the same SHA-256 as in the finding's line, and as the file
// --evidence wrote beside it); without a token, 401.
func TestSensorEvidencePublished(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	want, _ := analyzed(t)
	data := t.TempDir()
	token := strings.Fields(harborwatch(t, "", "token", "create", "--data", data, "--name", "ops", "--role", "viewer"))[0]
	natsAddr := freePort(t)
	s := fleetServe(t, data, token, "--nats", "embedded", "--nats-listen", natsAddr)
	out, dir := filepath.Join(t.TempDir(), "findings.jsonl"), t.TempDir()
	stderr := sensorRun(t, "nats://"+natsAddr, "t3", t.TempDir(), "--out", out, "--evidence", dir, "--drain", "2m")
	if !regexp.MustCompile(`evidence: [1-9][0-9]* files queued for the NATS object store harborwatch-evidence; 0 dropped`).MatchString(stderr) ||
		!strings.Contains(stderr, "; 0 left in the queue") {
		t.Fatalf("sensor: %s", stderr)
	}
	lines, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]finding.Finding{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(lines)), "\n") {
		var u struct{ Finding finding.Finding }
		if err := json.Unmarshal([]byte(line), &u); err != nil {
			t.Fatal(err)
		}
		last[u.Finding.ID] = u.Finding
	}
	s.waitStored("t3", want, 1, 60*time.Second)
	get := func(path, token string) (int, []byte, http.Header) {
		req, _ := http.NewRequest("GET", s.url+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, resp.Header
	}
	n := 0
	for id, f := range last {
		if f.Pcap == nil {
			continue
		}
		n++
		if f.Pcap.Object != "t3/sts-t3/"+id+".pcap" || f.Pcap.SHA256 != fileSHA(t, f.Pcap.Path) {
			t.Errorf("%s: pcap %+v: want object t3/sts-t3/%s.pcap, and the SHA-256 of the file written", id, *f.Pcap, id)
		}
		code, body, h := get("/api/v1/findings/"+id+"/evidence.pcap", token)
		sum := sha256.Sum256(body)
		if code != 200 || hex.EncodeToString(sum[:]) != f.Pcap.SHA256 || h.Get("X-Evidence-SHA256") != f.Pcap.SHA256 ||
			h.Get("Content-Type") != "application/vnd.tcpdump.pcap" {
			t.Errorf("%s: GET evidence.pcap: %d, %d bytes, sha256 %x (header %s), want 200 and %s", id, code, len(body), sum, h.Get("X-Evidence-SHA256"), f.Pcap.SHA256)
		}
		// The finding itself names its file and where to fetch it.
		var view struct {
			EvidenceFile *struct {
				URL     string `json:"url"`
				SHA256  string `json:"sha256"`
				Packets int    `json:"packets"`
			} `json:"evidence_file"`
		}
		if code, body, _ := get("/api/v1/findings/"+id, token); code != 200 || json.Unmarshal(body, &view) != nil || view.EvidenceFile == nil ||
			view.EvidenceFile.SHA256 != f.Pcap.SHA256 || view.EvidenceFile.Packets != f.Pcap.Packets || view.EvidenceFile.URL != "/api/v1/findings/"+id+"/evidence.pcap?site=t3" {
			t.Errorf("%s: GET the finding: %d, evidence_file %+v; the line says %+v", id, code, view.EvidenceFile, *f.Pcap)
		}
		if code, _, _ := get("/api/v1/findings/"+id+"/evidence.pcap", ""); code != 401 {
			t.Errorf("%s: GET evidence.pcap without a token: %d, want 401", id, code)
		}
	}
	if n == 0 {
		t.Fatal("no finding had an evidence file")
	}
	if code, _, _ := get("/api/v1/findings/HW-000000000000/evidence.pcap?site=t3", token); code != 404 {
		t.Errorf("evidence of no finding: %d, want 404", code)
	}
	t.Logf("%d findings' evidence files published, stored by serve and served with the sensor's SHA-256", n)
}

// capturePackets reads a capture file's packets: bytes and length on the
// wire, in order.
func capturePackets(t *testing.T, path string) [][]byte {
	t.Helper()
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out [][]byte
	var p capture.Packet
	for {
		err := src.Next(&p)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append(binary.BigEndian.AppendUint32(nil, uint32(p.OrigLen)), p.Data...))
	}
}

// TestSensorReplayEvidence: live, on an interface (the example replayed
// into a veth pair), each finding's evidence file holds the same packets
// — bytes and lengths on the wire; the times are the replay's — as the
// file analyze --evidence writes for it on the capture.
func TestSensorReplayEvidence(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a capture")
	}
	ns, here, peer := netns(t)
	dirS, dirA := t.TempDir(), t.TempDir()
	out := filepath.Join(t.TempDir(), "findings.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr bytes.Buffer
	e := &env{stdout: io.Discard, stderr: &lockedWriter{w: &stderr}, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"sensor", "--interface", here, "--site", fleetSite, "--workers", "2", "--out", out,
			"--evidence", dirS, "--ring", "64MiB", "--ring-dir", t.TempDir()})
	}()
	time.Sleep(700 * time.Millisecond)
	if o, err := exec.Command("ip", "netns", "exec", ns, "tcpreplay", "--intf1="+peer, "--multiplier=6", fleetPcap).CombinedOutput(); err != nil {
		t.Fatalf("tcpreplay: %v\n%s", err, o)
	}
	time.Sleep(time.Second)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("sensor exited %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "dropped 0") {
		t.Fatalf("the kernel dropped packets: %s", stderr.String())
	}
	if r := runCLI(t, nil, "analyze", "--site", fleetSite, "--evidence", dirA, "--format", "json", fleetPcap); r.code != 0 {
		t.Fatalf("analyze: %d %s", r.code, r.stderr)
	}
	files, err := filepath.Glob(filepath.Join(dirA, "*.pcap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("analyze wrote no evidence file (%v)", err)
	}
	for _, a := range files {
		s := filepath.Join(dirS, filepath.Base(a))
		if _, err := os.Stat(s); err != nil {
			t.Errorf("%s: analyze wrote it, the sensor did not", filepath.Base(a))
			continue
		}
		pa, ps := capturePackets(t, a), capturePackets(t, s)
		if len(pa) != len(ps) {
			t.Errorf("%s: %d packets from the sensor, %d from analyze", filepath.Base(a), len(ps), len(pa))
			continue
		}
		for i := range pa {
			if !bytes.Equal(pa[i], ps[i]) {
				t.Errorf("%s: packet %d differs", filepath.Base(a), i+1)
			}
		}
	}
	t.Logf("%d findings' evidence files, live, hold analyze's packets; %s", len(files), strings.TrimSpace(stderr.String()))
}
