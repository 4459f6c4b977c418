package server

import (
	"bytes"
	"os"
	"runtime/debug"
	"testing"
)

// TestKeepClosesFiles: keeping captures (queued uploads, the watch
// folder) leaves no file open behind.
func TestKeepClosesFiles(t *testing.T) {
	h := startServer(t, t.TempDir(), nil)
	open := func() int {
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd here")
		}
		return len(fds)
	}
	pcap := readFile(t, examplePcap)[:4096]
	// No collection meanwhile: a leaked *os.File would be closed by its
	// finalizer and hide the leak.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	before := open()
	for i := range 40 {
		if _, err := h.srv.keep(bytes.NewReader(pcap), newID("C"), func([]byte) error { return nil }); err != nil {
			t.Fatalf("keep %d: %v", i, err)
		}
	}
	if after := open(); after >= before+40 {
		t.Errorf("40 kept captures left %d more files open", after-before)
	}
}
