package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// runCtx runs the CLI in-process under ctx.
func runCtx(ctx context.Context, args ...string) result {
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := run(ctx, e, args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// TestInterruptedAnalyze: a run whose context a signal cancelled (here
// before the first packet, so at most 4,096 packets are read: the reader
// looks at its context that often) writes its report marked partial, in
// text and JSON, skips the evidence files, and exits 130 after SIGINT,
// 143 after SIGTERM and 1 after a cancel that no signal caused. The
// inventory command, which has no partial output, gives up with the code.
func TestInterruptedAnalyze(t *testing.T) {
	cancelled := func(cause error) context.Context {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(cause)
		return ctx
	}
	sigint := cancelled(&Interrupt{Signal: os.Interrupt})

	r := runCtx(sigint, "analyze", "--site", exampleSite, examplePcap)
	if r.code != ExitInterrupt {
		t.Errorf("exit %d, want 130; stderr %s", r.code, r.stderr)
	}
	first, _, _ := strings.Cut(r.stdout, "\n")
	if !strings.HasPrefix(first, "PARTIAL REPORT (interrupted by SIGINT): only the first ") || !strings.Contains(r.stdout, "\nFINDINGS") {
		t.Errorf("report:\n%.800s", r.stdout)
	}
	if want := "harborwatch: interrupted by SIGINT after "; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "the result is partial") {
		t.Errorf("stderr %q lacks %q", r.stderr, want)
	}

	dir := t.TempDir()
	out, ev := filepath.Join(dir, "report.json"), filepath.Join(dir, "evidence")
	r = runCtx(cancelled(&Interrupt{Signal: syscall.SIGTERM}), "analyze", "--site", exampleSite, "--format", "json", "--out", out, "--evidence", ev, examplePcap)
	if r.code != 143 {
		t.Errorf("exit %d, want 143; stderr %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Stats struct {
			Partial       bool   `json:"partial"`
			PartialReason string `json:"partial_reason"`
			Packets       uint64 `json:"packets"`
			Flows         uint64 `json:"flows"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if st := doc.Stats; !st.Partial || st.PartialReason != "interrupted by SIGTERM" || st.Packets == 0 || st.Packets > 4096 || st.Flows == 0 {
		t.Errorf("stats %+v: want partial, by SIGTERM, 1 to 4,096 packets and their flows", st)
	}
	if files, _ := os.ReadDir(ev); len(files) != 0 || !strings.Contains(r.stderr, "evidence: not written") {
		t.Errorf("evidence dir holds %d files; stderr %s", len(files), r.stderr)
	}

	r = runCtx(cancelled(errors.New("shut down")), "analyze", examplePcap)
	if r.code != ExitFailure || !strings.HasPrefix(r.stdout, "PARTIAL REPORT (shut down)") {
		t.Errorf("exit %d, want 1; report %.200s", r.code, r.stdout)
	}

	r = runCtx(sigint, "inventory", examplePcap)
	if r.code != 130 || r.stdout != "" || !strings.Contains(r.stderr, "interrupted by SIGINT") {
		t.Errorf("inventory: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	// Not interrupted: no mark.
	r = runCtx(context.Background(), "analyze", examplePcap)
	if r.code != ExitOK || strings.Contains(r.stdout, "PARTIAL") {
		t.Errorf("whole run: exit %d\n%.300s", r.code, r.stdout)
	}
}
