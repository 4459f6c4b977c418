package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"harborwatch/finding"
	"harborwatch/integrity"
	"harborwatch/internal/synth"
	"harborwatch/store"
	"harborwatch/store/sqlstore"
)

func keys(t *testing.T, dir string) (priv, pub string) {
	t.Helper()
	prefix := filepath.Join(dir, "officer")
	os.MkdirAll(dir, 0o755)
	if r := runCLI(t, nil, "keygen", "--out", prefix); r.code != ExitOK {
		t.Fatalf("keygen: %s", r.stderr)
	}
	return prefix + ".key", prefix + ".pub"
}

func openData(t *testing.T, data string) store.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), filepath.Join(data, "harborwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestBaselineFiles: add, verify unchanged, a tampered file, a tampered
// stored manifest, a wrong key — each detected, named, kept and audited.
func TestBaselineFiles(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	priv, pub := keys(t, dir)
	_, otherPub := keys(t, filepath.Join(dir, "other"))
	prog := filepath.Join(dir, "plc1")
	good, tampered := synth.IntegrityProgram()
	dump := func(fc12 []byte) []byte { return slices.Concat(good[0].Data, fc12, good[2].Data) }
	os.MkdirAll(prog, 0o755)
	os.WriteFile(filepath.Join(prog, "program.mc7"), dump(good[1].Data), 0o644)
	os.WriteFile(filepath.Join(prog, "hmi.cfg"), []byte("speed=3\n"), 0o644)

	r := runCLI(t, nil, "baseline", "add", "--data", data, "--asset", "sts01-plc1", "--key", priv, "--out", filepath.Join(dir, "m.json"), prog)
	if r.code != ExitOK || !strings.Contains(r.stdout, "of sts01-plc1 (plc-program): 2 files, 3 blocks, signed with key") {
		t.Fatalf("add: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := integrity.Read("m.json", mustOpen(t, filepath.Join(dir, "m.json"))); err != nil {
		t.Fatalf("--out manifest: %v", err)
	}
	r = runCLI(t, nil, "baseline", "verify", "--data", data, "--asset", "sts01-plc1", "--key", pub, prog)
	if r.code != ExitOK || r.stdout != "sts01-plc1 (plc-program): matches the baseline (2 files)\n" {
		t.Fatalf("verify unchanged: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	t.Run("tampered file", func(t *testing.T) {
		os.WriteFile(filepath.Join(prog, "program.mc7"), dump(tampered.Data), 0o644)
		defer os.WriteFile(filepath.Join(prog, "program.mc7"), dump(good[1].Data), 0o644)
		r := runCLI(t, nil, "baseline", "verify", "--data", data, "--asset", "sts01-plc1", "--key", pub, "--format", "json", prog)
		if r.code != ExitFailOn {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var out struct{ Results []integrity.Result }
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatal(err)
		}
		res := out.Results[0]
		if res.Status != integrity.Differs || len(res.Changed) != 1 || res.Changed[0].Path != "program.mc7" ||
			len(res.Changed[0].Blocks) != 1 || res.Changed[0].Blocks[0].Name != "FC12" || res.Matched != 1 {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		r := runCLI(t, nil, "baseline", "verify", "--data", data, "--asset", "sts01-plc1", "--key", otherPub, prog)
		if r.code != ExitFailOn || !strings.Contains(r.stdout, "baseline invalid") || !strings.Contains(r.stdout, "signed with another key") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("tampered manifest", func(t *testing.T) {
		// Someone with the database edits the stored manifest to accept
		// the changed FC 12.
		s := openData(t, data)
		b, err := s.Baseline(context.Background(), "sts01-plc1")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := integrity.Read("b", strings.NewReader(string(b.Manifest)))
		evil := strings.Replace(string(b.Manifest), m.Entries[1].SHA256, strings.Repeat("0", 64), 1)
		b.ID, b.Manifest = "", []byte(evil)
		if _, err := s.AddBaseline(context.Background(), b); err != nil {
			t.Fatal(err)
		}
		s.Close()
		r := runCLI(t, nil, "baseline", "verify", "--data", data, "--asset", "sts01-plc1", "--key", pub, prog)
		if r.code != ExitFailOn || !strings.Contains(r.stdout, "changed after it was signed") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	// Every verification is kept with its findings, and audited.
	s := openData(t, data)
	ctx := context.Background()
	vs, _ := s.Verifications(ctx, "sts01-plc1", 0)
	var statuses []string
	for _, v := range vs {
		statuses = append(statuses, v.Status)
	}
	if !slices.Equal(statuses, []string{"invalid", "invalid", "differs", "matches"}) {
		t.Fatalf("verifications %v", statuses)
	}
	fs, _, _ := s.Findings(ctx, store.FindingQuery{})
	rules := map[string]int{}
	for _, f := range fs {
		rules[f.Rule]++
	}
	if rules[finding.RuleIntegrityMismatch] != 1 || rules[finding.RuleIntegrityBaselineInvalid] != 1 || len(fs) != 2 {
		t.Fatalf("findings %v", rules)
	}
	log, _ := s.AuditLog(ctx, 0, 0)
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action+":"+e.Result)
	}
	want := []string{"baseline.add:ok", "baseline.verify:matches", "baseline.verify:differs", "baseline.verify:invalid", "baseline.verify:invalid"}
	if !slices.Equal(actions, want) {
		t.Fatalf("audit %v, want %v", actions, want)
	}
}

func mustOpen(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestBaselineWire: the program-integrity scenario. A baseline learned
// from the known-good upload; the changed FC 12 downloaded inside the
// change window is high, outside every window critical, naming the block
// and both hashes; the identical DB 5 download makes nothing; the uploads
// that match confirm their blocks; the remote-access gateway's download
// is integrity.remote-update.
func TestBaselineWire(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	priv, pub := keys(t, dir)
	pcap := filepath.Join(dir, "p.pcap")
	if r := runCLI(t, nil, "simulate", "--out", pcap, "--scenario", "program-integrity,remote-program-update"); r.code != ExitOK {
		t.Fatalf("simulate: %s", r.stderr)
	}
	siteFile := filepath.Join(dir, "p.site.yaml")
	r := runCLI(t, nil, "baseline", "learn", "--data", data, "--asset", "sts01-plc1", "--key", priv, "--site", siteFile, pcap)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "block FC12 uploaded from 10.10.1.5 twice with different hashes") {
		t.Fatalf("learn over the whole capture: exit %d %s", r.code, r.stderr)
	}
	r = runCLI(t, nil, "baseline", "learn", "--data", data, "--asset", "sts01-plc1", "--key", priv, "--site", siteFile,
		"--until", "2026-11-02T09:00:30Z", pcap)
	if r.code != ExitOK || !strings.Contains(r.stdout, "3 blocks") {
		t.Fatalf("learn: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	good, tampered := synth.IntegrityProgram()
	fc12 := func(b []byte) string { bs, _ := integrity.ParseS7Blocks(b); return bs[0].SHA256 }
	was, now := fc12(good[1].Data), fc12(tampered.Data)

	check := func(site string) (findings []finding.Finding, confirmed []integrity.Confirmation) {
		t.Helper()
		r := runCLI(t, nil, "baseline", "check", "--data", data, "--key", pub, "--site", site, "--format", "json", pcap)
		if r.code != ExitFailOn {
			t.Fatalf("check: exit %d %s", r.code, r.stderr)
		}
		var out struct {
			Findings  []finding.Finding
			Confirmed []integrity.Confirmation
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatal(err)
		}
		return out.Findings, out.Confirmed
	}
	for _, tc := range []struct {
		name string
		site string
		sev  finding.Severity
	}{
		{"inside the window", siteFile, finding.High},
		{"outside every window", noWindows(t, siteFile), finding.Critical},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, conf := check(tc.site)
			var got []string
			for _, f := range fs {
				got = append(got, f.Rule+" "+f.Severity.String()+" "+f.Src.IP.String()+"→"+f.Dst.IP.String())
			}
			want := []string{
				"integrity.program-changed " + tc.sev.String() + " 10.10.9.20→10.10.1.5",
				"integrity.remote-update high 10.20.0.10→10.10.11.5",
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("findings %q, want %q", got, want)
			}
			for _, f := range fs {
				if f.Rule != finding.RuleIntegrityProgramChanged {
					if !strings.Contains(f.Detail["session"].(string), "10.20.0.10:") {
						t.Errorf("remote update names no session: %v", f.Detail)
					}
					continue
				}
				if f.Detail["block"] != "FC12" || f.Detail["baseline_sha256"] != was || f.Detail["sha256"] != now {
					t.Errorf("program-changed detail %v, want FC12 %s → %s", f.Detail, was, now)
				}
				if !strings.Contains(f.Title, "FC12") || !slices.Contains(f.Controls, "MSCI-INT-1") {
					t.Errorf("%q %v", f.Title, f.Controls)
				}
			}
			// The first upload confirms OB1, FC12, DB5; the second OB1
			// and DB5 only. DB5's identical download made no finding.
			var cs []string
			for _, c := range conf {
				cs = append(cs, c.Block+"@"+c.At.Format("15:04:05"))
			}
			wantC := []string{"OB1@09:00:20", "FC12@09:00:20", "DB5@09:00:20", "OB1@09:00:50", "DB5@09:00:50"}
			if !slices.Equal(cs, wantC) {
				t.Fatalf("confirmed %v, want %v", cs, wantC)
			}
			for _, f := range fs {
				if f.Rule == finding.RuleIntegrityRemoteUpdate && f.Count != 1 {
					t.Errorf("remote update counted %d times, want once (one session)", f.Count)
				}
			}
		})
	}
}

// TestOutdatedBackup: a program change seen on the wire after the last
// backup of the PLC program makes readiness name the backup outdated.
func TestOutdatedBackup(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	priv, pub := keys(t, dir)
	pcap := filepath.Join(dir, "p.pcap")
	if r := runCLI(t, nil, "simulate", "--out", pcap, "--scenario", "program-integrity"); r.code != ExitOK {
		t.Fatalf("simulate: %s", r.stderr)
	}
	siteFile := filepath.Join(dir, "p.site.yaml")
	for _, args := range [][]string{
		{"baseline", "learn", "--asset", "sts01-plc1", "--key", priv, "--site", siteFile, "--until", "2026-11-02T09:00:30Z", pcap},
		{"backup", "add", "--crane", "STS-01", "--asset", "sts01-plc1", "--item", "plc-program", "--sha256", strings.Repeat("a", 64),
			"--offline", "--taken", "2026-11-01", "--restore-tested", "2026-11-01", "--restore-result", "pass"},
	} {
		if r := runCLI(t, nil, append(args, "--data", data)...); r.code != ExitOK {
			t.Fatalf("%v: exit %d %s", args[:2], r.code, r.stderr)
		}
	}
	before := runCLI(t, nil, "readiness", "--data", data, "--format", "csv", "--at", "2026-11-02T12:00:00Z")
	if strings.Contains(before.stdout, "recovery.backup-outdated") {
		t.Fatalf("outdated before any change:\n%s", before.stdout)
	}
	if r := runCLI(t, nil, "baseline", "check", "--data", data, "--key", pub, "--site", siteFile, pcap); r.code != ExitFailOn {
		t.Fatalf("check: exit %d %s", r.code, r.stderr)
	}
	after := runCLI(t, nil, "readiness", "--data", data, "--format", "csv", "--at", "2026-11-02T12:00:00Z")
	if !strings.Contains(after.stdout, "STS-01,recovery.backup-outdated,plc-program,sts01-plc1,") {
		t.Fatalf("readiness after the change:\n%s", after.stdout)
	}
}

// noWindows writes a copy of a site model without its change windows.
func noWindows(t *testing.T, siteFile string) string {
	t.Helper()
	b, err := os.ReadFile(siteFile)
	if err != nil {
		t.Fatal(err)
	}
	s := regexp.MustCompile(`(?m)^change_windows:\n(  - .*\n)+`).ReplaceAllString(string(b), "")
	s = regexp.MustCompile(`, windows: \[weekly\]`).ReplaceAllString(s, "")
	p := filepath.Join(t.TempDir(), "nowindow.yaml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
