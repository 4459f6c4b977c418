package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"harborwatch/store"
)

// TestConcurrentUploads: two uploads at once — one analyzed as it
// arrives, the other queued behind it — both end done, and the findings
// count both.
func TestConcurrentUploads(t *testing.T) {
	h := startServer(t, t.TempDir(), nil)
	h.must(200, "PUT", "/api/v1/sites/t3", store.Admin, readFile(t, exampleSite), nil)
	want := analyzeExample(t)
	ids := make([]string, 4)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { ids[i] = upload(h, "t3", examplePcap) })
	}
	wg.Wait()
	for _, id := range ids {
		if c := h.waitCapture(id); c.Status != store.Done || c.Attempts != 1 {
			t.Errorf("capture %s: %s, %d attempts (%s)", id, c.Status, c.Attempts, c.Error)
		}
	}
	got := byID(h.allFindings("site=t3"))
	for id, w := range want {
		if g := got[id]; g.Count != 4*w.Count || g.Occurrences != 4 {
			t.Errorf("%s: count %d occurrences %d, want %d and 4", id, g.Count, g.Occurrences, 4*w.Count)
		}
	}
}

// TestUploadCutOff: a client that goes away in the middle of an upload
// leaves no capture, no file and no events behind.
func TestUploadCutOff(t *testing.T) {
	h := startServer(t, t.TempDir(), nil)
	h.must(200, "PUT", "/api/v1/sites/t3", store.Admin, readFile(t, exampleSite), nil)
	pcap := readFile(t, examplePcap)
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /api/v1/sites/t3/captures HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", h.tokens[store.Analyst], len(pcap))
	conn.Write(pcap[:len(pcap)/2])
	// Wait until the server holds the capture as receiving, then hang up.
	seen := false
	for range 400 {
		var cs struct{ Captures []store.Capture }
		h.must(200, "GET", "/api/v1/captures", store.Viewer, nil, &cs)
		if len(cs.Captures) == 1 && cs.Captures[0].Status == store.Receiving {
			seen = true
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !seen {
		t.Fatal("the upload never showed as receiving")
	}
	conn.Close()
	for range 400 {
		var cs struct{ Captures []store.Capture }
		h.must(200, "GET", "/api/v1/captures", store.Viewer, nil, &cs)
		if len(cs.Captures) == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var cs struct{ Captures []store.Capture }
	h.must(200, "GET", "/api/v1/captures", store.Viewer, nil, &cs)
	if len(cs.Captures) != 0 {
		t.Fatalf("a cut upload left %+v", cs.Captures)
	}
	var evs struct{ Events []store.StoredEvent }
	h.must(200, "GET", "/api/v1/events", store.Viewer, nil, &evs)
	if len(evs.Events) != 0 {
		t.Errorf("a cut upload left %d events", len(evs.Events))
	}
	files, _ := os.ReadDir(filepath.Join(h.dir, "captures"))
	if len(files) != 0 {
		t.Errorf("a cut upload left files: %v", files)
	}
	if fs := h.allFindings(""); len(fs) != 0 {
		t.Errorf("a cut upload left %d findings", len(fs))
	}
}

// TestReceivingAtCrash: a capture recorded as being received when the
// server stopped (its upload never answered) is dropped at the next
// start, with its file.
func TestReceivingAtCrash(t *testing.T) {
	dir := t.TempDir()
	h := startServer(t, dir, nil)
	h.must(200, "PUT", "/api/v1/sites/t3", store.Admin, readFile(t, exampleSite), nil)
	part := filepath.Join(dir, "captures", "Cdead.cap")
	os.WriteFile(part+".part", []byte("half"), 0o640)
	if _, err := h.st.AddCapture(context.Background(), store.Capture{ID: "Cdead", Site: "t3", Path: part, Status: store.Receiving}); err != nil {
		t.Fatal(err)
	}
	h.stop()
	h = startServer(t, dir, nil)
	if code, _ := h.do("GET", "/api/v1/captures/Cdead", store.Viewer, nil); code != 404 {
		t.Errorf("the receiving capture is still there (%d)", code)
	}
	if _, err := os.Stat(part + ".part"); !os.IsNotExist(err) {
		t.Errorf("its partial file is still there: %v", err)
	}
}

// TestEventPolicy: "changes" keeps every operation but reads, routine
// events once a minute; "all" keeps everything; "none" nothing; the
// capture's stats say how many were stored and left out.
func TestEventPolicy(t *testing.T) {
	counts := map[string][2]float64{}
	for _, policy := range []string{EventsAll, EventsChanges, EventsNone} {
		h := startServer(t, t.TempDir(), func(c *Config) { c.StoreEvents = policy })
		h.must(200, "PUT", "/api/v1/sites/t3", store.Admin, readFile(t, exampleSite), nil)
		c := h.waitCapture(upload(h, "t3", examplePcap))
		var st map[string]any
		if err := json.Unmarshal(c.Stats, &st); err != nil {
			t.Fatal(err)
		}
		filtered, _ := st["events_filtered"].(float64)
		stored, _ := st["events_stored"].(float64)
		counts[policy] = [2]float64{stored, filtered}
		n, reads := 0, 0
		for cursor := ""; ; {
			var page struct {
				Events []store.StoredEvent
				Next   string
			}
			h.must(200, "GET", "/api/v1/events?limit=10000&cursor="+urlq(cursor), store.Viewer, nil, &page)
			for _, e := range page.Events {
				n++
				if e.Op == "read" {
					reads++
				}
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if float64(n) != stored {
			t.Errorf("%s: %d events served, stats say %v stored", policy, n, stored)
		}
		if policy == EventsChanges && reads != 0 {
			t.Errorf("changes stored %d reads", reads)
		}
		h.stop()
	}
	all, ch, none := counts[EventsAll], counts[EventsChanges], counts[EventsNone]
	if all[1] != 0 || none[0] != 0 || ch[0]+ch[1] != all[0] || ch[0] == 0 || ch[1] == 0 || ch[0] >= all[0] {
		t.Errorf("stored/filtered: all %v, changes %v, none %v", all, ch, none)
	}
	t.Logf("events stored of the example: all %v, changes %v", all[0], ch[0])
}
