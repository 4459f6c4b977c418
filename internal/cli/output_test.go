package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// copyExample copies the example capture into dir, so that a test may
// name it as an output without risk to the shipped file.
func copyExample(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(examplePcap)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "capture.pcap")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestOutputRefused: an output that is a symbolic link, an input, another
// output or a directory, or whose directory is missing, is refused at
// once (exit 2, naming the flag and the path): no analysis runs, no file
// is created and the files named are left as they were.
func TestOutputRefused(t *testing.T) {
	dir := t.TempDir()
	capFile := copyExample(t, dir)
	capBytes, _ := os.ReadFile(capFile)
	precious := filepath.Join(dir, "precious.txt")
	os.WriteFile(precious, []byte("keep me\n"), 0o644)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(precious, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.pcap")
	if err := os.Link(capFile, hard); err != nil {
		t.Fatal(err)
	}
	site := filepath.Join(dir, "site.yaml")
	siteBytes, _ := os.ReadFile(exampleSite)
	os.WriteFile(site, siteBytes, 0o644)
	report := filepath.Join(dir, "report.json")
	evs := filepath.Join(dir, "events.jsonl")
	missing := filepath.Join(dir, "no", "such")
	before := entries(t, dir)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"symlink", []string{"--out", link}, "analyze: --out " + link + ": is a symbolic link; harborwatch does not write through one"},
		{"symlink stream", []string{"--findings", link}, "analyze: --findings " + link + ": is a symbolic link"},
		{"symlink profile", []string{"--cpuprofile", link}, "analyze: --cpuprofile " + link + ": is a symbolic link"},
		{"the capture", []string{"--out", capFile}, "analyze: --out " + capFile + ": is an input of this run (" + capFile + "); harborwatch does not overwrite its inputs"},
		{"the capture, uncleaned", []string{"--events", filepath.Join(dir, "no", "..", "capture.pcap")}, "is an input of this run"},
		{"the capture, hard link", []string{"--flows", hard}, "analyze: --flows " + hard + ": is an input of this run (" + capFile + ")"},
		{"the site", []string{"--site", site, "--observations", site}, "analyze: --observations " + site + ": is an input of this run (" + site + ")"},
		{"out is events", []string{"--out", report, "--events", report}, "analyze: --events " + report + ": is also the output of --out " + report},
		{"two streams", []string{"--events", evs, "--flows", dir + "/./events.jsonl"}, "analyze: --flows " + dir + "/./events.jsonl: is also the output of --events " + evs},
		{"out is a directory", []string{"--out", dir}, "analyze: --out " + dir + ": is a directory"},
		{"evidence is out", []string{"--out", report, "--evidence", report}, "analyze: --evidence " + report + ": is also the output of --out " + report},
		{"evidence symlink", []string{"--evidence", link}, "analyze: --evidence " + link + ": is a symbolic link"},
		{"missing directory", []string{"--out", filepath.Join(missing, "r.json")}, "analyze: --out " + filepath.Join(missing, "r.json") + ": directory " + missing + " does not exist"},
		{"directory is a file", []string{"--events", filepath.Join(precious, "e.jsonl")}, "analyze: --events " + filepath.Join(precious, "e.jsonl") + ": not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"analyze", "--log-level", "info", "--format", "json"}, tt.args...)
			r := runCLI(t, nil, append(args, capFile)...)
			if r.code != ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", r.code, r.stdout, r.stderr, tt.want)
			}
			if strings.Contains(r.stderr, "analysis of") || strings.Contains(r.stderr, "opened capture") {
				t.Errorf("the analysis ran before the outputs were checked:\n%s", r.stderr)
			}
		})
	}
	if b, _ := os.ReadFile(capFile); !bytes.Equal(b, capBytes) {
		t.Error("the capture changed")
	}
	if b, _ := os.ReadFile(precious); string(b) != "keep me\n" {
		t.Errorf("the symlink's target changed: %q", b)
	}
	if b, _ := os.ReadFile(site); !bytes.Equal(b, siteBytes) {
		t.Error("the site changed")
	}
	if after := entries(t, dir); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("files %v, want %v as before (nothing created, no temporary file left)", after, before)
	}

	// inventory and simulate check theirs in the same way.
	if err := os.Symlink(precious, filepath.Join(dir, "sim.truth.json")); err != nil {
		t.Fatal(err)
	}
	csvFile := filepath.Join(dir, "assets.csv")
	os.WriteFile(csvFile, []byte("id,ip\nplc1,10.0.0.1\n"), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"inventory", "--csv", csvFile, "--out", csvFile}, "inventory: --out " + csvFile + ": is an input of this run"},
		{[]string{"inventory", "--csv", csvFile, "--out", link}, "inventory: --out " + link + ": is a symbolic link"},
		{[]string{"inventory", "--log-level", "info", "--out", filepath.Join(missing, "i.csv"), capFile}, "inventory: --out " + filepath.Join(missing, "i.csv") + ": directory " + missing + " does not exist"},
		{[]string{"simulate", "--out", link}, "simulate: --out " + link + ": is a symbolic link"},
		{[]string{"simulate", "--out", filepath.Join(dir, "sim.pcap")}, "simulate: " + filepath.Join(dir, "sim.truth.json") + ": is a symbolic link"},
	} {
		r := runCLI(t, nil, tt.args...)
		if r.code != ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "analysis of") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tt.args, r.code, r.stdout, r.stderr, tt.want)
		}
	}
	if b, _ := os.ReadFile(precious); string(b) != "keep me\n" {
		t.Errorf("the symlink's target changed: %q", b)
	}
	if b, _ := os.ReadFile(csvFile); string(b) != "id,ip\nplc1,10.0.0.1\n" {
		t.Errorf("the imported file changed: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "sim.pcap")); err == nil {
		t.Error("simulate wrote its capture although a side file was refused")
	}
}

// fullDisk fails every write after the first n bytes, as a disk that
// fills up.
type fullDisk struct {
	w io.Writer
	n int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	if len(p) > d.n {
		k, _ := d.w.Write(p[:d.n])
		d.n = 0
		return k, syscall.ENOSPC
	}
	d.n -= len(p)
	return d.w.Write(p)
}

// TestOutputDiskFull: a write that fails (the disk is full) leaves the
// previous file as it was, no temporary file, and says so (exit 1).
func TestOutputDiskFull(t *testing.T) {
	for _, flag := range []string{"--out", "--events"} {
		t.Run(flag, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "old.json")
			old := []byte("the report of yesterday\n")
			os.WriteFile(target, old, 0o600)
			var out, errb bytes.Buffer
			e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
				wrapOutput: func(w io.Writer) io.Writer { return &fullDisk{w: w, n: 1000} }}
			code := run(context.Background(), e, []string{"analyze", "--format", "json", flag, target, examplePcap})
			want := "harborwatch: write " + flag + " " + target + ": no space left on device; the previous " + target + " is left as it was"
			if code != ExitFailure || !strings.Contains(errb.String(), want) {
				t.Errorf("exit %d, stderr %q; want exit 1 and %q", code, errb.String(), want)
			}
			if b, _ := os.ReadFile(target); !bytes.Equal(b, old) {
				t.Errorf("the previous file changed: %.100q", b)
			}
			if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("the previous file's mode: %v, %v", fi, err)
			}
			if names := entries(t, dir); len(names) != 1 {
				t.Errorf("files %v, want only the previous one", names)
			}
		})
	}
	// A new file that cannot be written is not created.
	dir := t.TempDir()
	var errb bytes.Buffer
	e := &env{stdout: io.Discard, stderr: &errb, getenv: func(string) string { return "" },
		wrapOutput: func(w io.Writer) io.Writer { return &fullDisk{w: w} }}
	target := filepath.Join(dir, "new.txt")
	if code := run(context.Background(), e, []string{"analyze", "--out", target, examplePcap}); code != ExitFailure ||
		!strings.Contains(errb.String(), "write --out "+target+": no space left on device; nothing written") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	if names := entries(t, dir); len(names) != 0 {
		t.Errorf("files %v, want none", names)
	}
}

// TestOutputDevice: a device is written in place (not replaced by a
// rename); a device that fails says so.
func TestOutputDevice(t *testing.T) {
	if r := runCLI(t, nil, "analyze", "--out", os.DevNull, "--events", os.DevNull, examplePcap); r.code != ExitOK || r.stderr != "" || r.stdout != "" {
		t.Errorf("--out %s: exit %d, stderr %q", os.DevNull, r.code, r.stderr)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device: %v, %v", os.DevNull, fi, err)
	}
	if _, err := os.Stat("/dev/full"); err != nil {
		return // no /dev/full on this system: the fullDisk writer covers the case
	}
	r := runCLI(t, nil, "analyze", "--out", "/dev/full", examplePcap)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "harborwatch: write --out /dev/full: no space left on device\n") {
		t.Errorf("--out /dev/full: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestOutputReplaced: a successful run replaces the previous file, keeps
// its permissions, and leaves no temporary file.
func TestOutputReplaced(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "report.txt")
	os.WriteFile(target, []byte("old\n"), 0o640)
	r := runCLI(t, nil, "analyze", "--out", target, examplePcap)
	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	b, _ := os.ReadFile(target)
	fi, _ := os.Stat(target)
	if !strings.HasPrefix(string(b), "harborwatch analysis") || fi.Mode().Perm() != 0o640 {
		t.Errorf("report %.40q, mode %v", b, fi.Mode())
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("files %v, want the report only", names)
	}
}

// TestWriteOut: writeOut puts nothing in place when its function fails,
// whether the failure is the writer's or not.
func TestWriteOut(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "x")
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	outs := newOutputs(e, "test")
	f, err := outs.create("x", target)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := writeOut(f, func(w io.Writer) error { io.WriteString(w, "half"); return boom }); err == nil || err.Error() != "write --x "+target+": boom; nothing written" {
		t.Errorf("err %v", err)
	}
	if names := entries(t, dir); len(names) != 0 {
		t.Errorf("files %v, want none", names)
	}
	if err := f.commit(); err != nil {
		t.Errorf("commit after abort: %v", err)
	}
	outs.abort()
}
