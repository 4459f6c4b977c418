//go:build unix

package cli

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
)

// TestSignalBinary builds harborwatch and runs analyze on a capture that
// never ends (a named pipe the test keeps writing): SIGINT, sent once the
// run has started, stops it; the binary writes the partial report and
// exits 130. A second run gets SIGTERM and exits 143.
func TestSignalBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "harborwatch")
	build := exec.Command("go", "build", "-o", bin, "harborwatch/cmd/harborwatch")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Mix(w, synth.MixOptions{Packets: 50_000, Flows: 500, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	header, records := buf.Bytes()[:24], buf.Bytes()[24:]

	for _, tt := range []struct {
		sig  syscall.Signal
		name string
		code int
	}{{syscall.SIGINT, "SIGINT", 130}, {syscall.SIGTERM, "SIGTERM", 143}} {
		t.Run(tt.name, func(t *testing.T) {
			fifo := filepath.Join(dir, tt.name+".pcap")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skipf("no named pipes here: %v", err)
			}
			// The writer goes on until the reader closes the pipe.
			go func() {
				f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
				if err != nil {
					return
				}
				defer f.Close()
				if _, err := f.Write(header); err != nil {
					return
				}
				for {
					if _, err := f.Write(records); err != nil {
						return
					}
				}
			}()
			cmd := exec.Command(bin, "analyze", "--log-level", "info", "--workers", "2", fifo)
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var log strings.Builder
			lines := bufio.NewScanner(stderr)
			for lines.Scan() {
				log.WriteString(lines.Text() + "\n")
				if strings.Contains(lines.Text(), "opened capture") {
					break
				}
			}
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() {
				for lines.Scan() {
					log.WriteString(lines.Text() + "\n")
				}
				exited <- cmd.Wait()
			}()
			select {
			case <-exited:
			case <-time.After(60 * time.Second): // a hang, not a timing
				cmd.Process.Kill()
				t.Fatalf("still running a minute after %s", tt.name)
			}
			if code := cmd.ProcessState.ExitCode(); code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, log.String())
			}
			want := "PARTIAL REPORT (interrupted by " + tt.name + "): only the first "
			if !strings.HasPrefix(stdout.String(), want) || !strings.Contains(stdout.String(), "\nFINDINGS") {
				t.Errorf("report does not start with %q:\n%.600s", want, stdout.String())
			}
			for _, want := range []string{"harborwatch: " + tt.name + ": stopping", "interrupted by " + tt.name + " after "} {
				if !strings.Contains(log.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, log.String())
				}
			}
		})
	}
}
