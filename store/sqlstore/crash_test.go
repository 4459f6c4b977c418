package sqlstore

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harborwatch/store"
)

// TestKilledWriterKeepsCommits kills (SIGKILL) a process right after the
// store acknowledged a capture and checks the capture is there when the
// store is opened again.
func TestKilledWriterKeepsCommits(t *testing.T) {
	if path := os.Getenv("HARBORWATCH_STORE_CRASH_DB"); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterKeepsCommits$")
	cmd.Env = append(os.Environ(), "HARBORWATCH_STORE_CRASH_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	id := ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "ACK "); ok {
			id = v
			break
		}
	}
	if id == "" {
		cmd.Process.Kill()
		t.Fatal("the child process acknowledged no capture")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no clean shutdown
		t.Fatal(err)
	}
	cmd.Wait()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Capture(context.Background(), id)
	if err != nil {
		t.Fatalf("capture %s acknowledged before the kill: %v", id, err)
	}
	if c.Status != store.Queued || c.Name != "acked.pcap" {
		t.Fatalf("capture after the kill: %+v", c)
	}
}

// crashChild adds a capture, says so, and waits to be killed.
func crashChild(path string) {
	db, err := Open(context.Background(), path)
	if err != nil {
		os.Exit(2)
	}
	c, err := db.AddCapture(context.Background(), store.Capture{Site: "a", Name: "acked.pcap"})
	if err != nil {
		os.Exit(3)
	}
	os.Stdout.WriteString("ACK " + c.ID + "\n")
	time.Sleep(time.Minute)
	os.Exit(4)
}
