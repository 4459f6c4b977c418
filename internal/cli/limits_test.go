package cli

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestWorkersCap: --workers (or HARBORWATCH_WORKERS) above 4 a CPU is
// capped, with a warning naming the value and where it came from; the
// report is the one of the cap.
func TestWorkersCap(t *testing.T) {
	limit := maxWorkersPerCPU * runtime.NumCPU()
	capped := runCLI(t, nil, "analyze", "--format", "json", "--workers", fmt.Sprint(limit), examplePcap)
	cpus := fmt.Sprintf("%d CPUs", runtime.NumCPU())
	if runtime.NumCPU() == 1 {
		cpus = "1 CPU"
	}
	for _, tt := range []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"flag", nil, []string{"analyze", "--workers", "100000"}, `--workers "100000" is more than 4 workers a CPU (` + cpus + fmt.Sprintf("); using %d", limit)},
		{"variable", map[string]string{"HARBORWATCH_WORKERS": "100000"}, []string{"analyze"}, `HARBORWATCH_WORKERS="100000" is more than 4 workers a CPU`},
		{"inventory", nil, []string{"inventory", "--workers", "100000"}, `--workers "100000" is more than 4 workers a CPU`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.vars, append(tt.args, "--format", "json", examplePcap)...)
			if r.code != ExitOK || !strings.HasPrefix(r.stderr, "harborwatch: warning: "+tt.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want a warning %q", r.code, r.stderr, tt.want)
			}
			if tt.name != "inventory" && r.stdout != capped.stdout {
				t.Error("the report differs from the one at the cap")
			}
		})
	}
	if r := runCLI(t, nil, "analyze", "--format", "json", "--workers", fmt.Sprint(limit), examplePcap); r.stderr != "" {
		t.Errorf("--workers %d (the cap): stderr %q", limit, r.stderr)
	}
}

// TestFlowMemoryTooLarge: a --flow-memory that overflows a 64-bit count
// of bytes is a usage error naming the value, not the default.
func TestFlowMemoryTooLarge(t *testing.T) {
	for _, v := range []string{"9999999999GiB", "9223372036854775808", "99999999999999999999MiB", "8589934592GiB"} {
		r := runCLI(t, nil, "analyze", "--flow-memory", v, examplePcap)
		want := fmt.Sprintf("harborwatch: analyze: --flow-memory %q: too large\n", v)
		if r.code != ExitUsage || r.stderr != want || r.stdout != "" {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and %q", v, r.code, r.stderr, want)
		}
	}
	r := runCLI(t, map[string]string{"HARBORWATCH_FLOW_MEMORY": "9999999999GiB"}, "analyze", examplePcap)
	if want := "harborwatch: analyze: HARBORWATCH_FLOW_MEMORY=\"9999999999GiB\": too large\n"; r.code != ExitUsage || r.stderr != want {
		t.Errorf("variable: exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}
	if n, err := parseBytes("8589934591GiB"); err != nil || n != 8589934591<<30 {
		t.Errorf("8589934591GiB: %d, %v", n, err)
	}
	if _, err := parseBytes("-99999999999999999999"); err == nil || err.Error() != "not a size (e.g. 256MiB, 1GiB)" {
		t.Errorf("a negative overflow: %v", err)
	}
}
