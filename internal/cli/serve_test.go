package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run this test binary as `harborwatch` in a child
// process (HARBORWATCH_TEST_CHILD=1), so that it can be killed with
// SIGKILL like a real server.
func TestMain(m *testing.M) {
	if os.Getenv("HARBORWATCH_TEST_CHILD") == "1" {
		ctx, stop := NotifyContext(context.Background(), os.Stderr)
		code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// child runs harborwatch args in a child process.
func child(t *testing.T, stdin string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "HARBORWATCH_TEST_CHILD=1")
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	return cmd
}

// harborwatch runs a command in a child and returns its stdout.
func harborwatch(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := child(t, stdin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("harborwatch %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// served is a `harborwatch serve` child on loopback.
type served struct {
	t     *testing.T
	cmd   *exec.Cmd
	url   string
	token string
}

var listening = regexp.MustCompile(`listening on (https?://[0-9.:]+)`)

func serveChild(t *testing.T, data, token string) *served {
	t.Helper()
	cmd := child(t, "", "serve", "--data", data, "--addr", "127.0.0.1:0", "--insecure-http", "--workers", "1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{t: t, cmd: cmd, token: token}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case s.url = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start within 30 s")
	}
	return s
}

func (s *served) do(method, path string, body []byte, v any) int {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			s.t.Fatalf("%s %s: %d %v: %s", method, path, resp.StatusCode, err, raw)
		}
	}
	return resp.StatusCode
}

type servedCapture struct {
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error"`
}

func (s *served) wait(id string) servedCapture {
	s.t.Helper()
	for range 1200 {
		var c servedCapture
		s.do("GET", "/api/v1/captures/"+id, nil, &c)
		if c.Status == "done" || c.Status == "failed" {
			return c
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("capture %s not done in 2 minutes", id)
	return servedCapture{}
}

// TestServeKill9: the server killed with SIGKILL right after answering 202
// analyzes that capture exactly once after a restart, and an
// acknowledgement answered before a SIGKILL is not lost.
func TestServeKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	data := t.TempDir()
	token := strings.TrimSpace(harborwatch(t, "", "token", "create", "--data", data, "--name", "ops", "--role", "admin"))
	token = strings.TrimSpace(strings.Fields(token)[0])
	if !strings.HasPrefix(token, "hw_") {
		t.Fatalf("token create printed %q", token)
	}
	s := serveChild(t, data, token)
	site, _ := os.ReadFile(filepath.Join("..", "..", "examples", "terminal", "site.yaml"))
	pcap, _ := os.ReadFile(filepath.Join("..", "..", "examples", "terminal", "terminal.pcap"))
	if code := s.do("PUT", "/api/v1/sites/t3", site, nil); code != 200 {
		t.Fatalf("PUT site: %d", code)
	}
	var up struct{ ID, Status string }
	if code := s.do("POST", "/api/v1/sites/t3/captures", pcap, &up); code != 202 {
		t.Fatalf("upload: %d", code)
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()

	s = serveChild(t, data, token)
	c := s.wait(up.ID)
	if c.Status != "done" {
		t.Fatalf("after kill -9 the capture is %s: %s", c.Status, c.Error)
	}
	var fs struct {
		Findings []struct {
			ID          string `json:"id"`
			State       string `json:"state"`
			Occurrences int    `json:"occurrences"`
		} `json:"findings"`
	}
	s.do("GET", "/api/v1/findings?limit=1000", nil, &fs)
	if len(fs.Findings) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range fs.Findings {
		if f.Occurrences != 1 {
			t.Errorf("%s seen %d times: the capture was recorded more than once", f.ID, f.Occurrences)
		}
	}
	var evs struct {
		Events []struct {
			Packet int64  `json:"packet"`
			Proto  string `json:"proto"`
			Dir    string `json:"dir"`
			Name   string `json:"name"`
		} `json:"events"`
	}
	s.do("GET", "/api/v1/events?limit=10000", nil, &evs)
	seen := map[string]bool{}
	for _, e := range evs.Events {
		k := fmt.Sprint(e.Packet, e.Proto, e.Dir, e.Name)
		if seen[k] {
			t.Errorf("event %s stored twice", k)
			break
		}
		seen[k] = true
	}
	if len(evs.Events) == 0 {
		t.Error("no events stored")
	}

	ack := fs.Findings[0].ID
	if code := s.do("POST", "/api/v1/findings/"+ack+"/state", []byte(`{"state":"acknowledged","reason":"known: vendor maintenance"}`), nil); code != 200 {
		t.Fatalf("acknowledge: %d", code)
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	s = serveChild(t, data, token)
	var f struct{ State, Reason string }
	s.do("GET", "/api/v1/findings/"+ack, nil, &f)
	if f.State != "acknowledged" || f.Reason != "known: vendor maintenance" {
		t.Errorf("after kill -9 the acknowledged finding reads %+v", f)
	}
	if out := harborwatch(t, "", "audit", "verify", "--data", data); !strings.Contains(out, "chain intact") {
		t.Errorf("audit verify: %s", out)
	}
}
