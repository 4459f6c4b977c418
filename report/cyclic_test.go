package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"harborwatch/inventory"
	"harborwatch/runstats"
)

func ioDoc(n int) *Document {
	io := &runstats.CyclicIO{Frames: 10_000, DroppedFrames: 1234, DroppedConns: 12}
	for i := range n {
		io.Conns = append(io.Conns, runstats.IOConn{Protocol: "profinet", Transport: "ethernet",
			Provider: fmt.Sprintf("00:1b:1b:00:00:%02x", i), Consumer: "00:1b:1b:00:01:00", FrameID: 0xc000 + uint16(i),
			Class: "RT_CLASS_1", Frames: uint64(100 + i), Bytes: uint64(4000 + 40*i), LastStatus: "run"})
	}
	io.Conns = append(io.Conns, runstats.IOConn{Protocol: "profinet", Transport: "udp", Provider: "10.20.1.21:34962",
		Consumer: "10.20.1.10:34962", VLAN: 12, FrameID: 0xc001, Class: "RT_CLASS_UDP", Frames: 10, Bytes: 200,
		Changes: 2, Stopped: 3, LastStatus: "run, problem"})
	return NewDocument(nil, runstats.Stats{CyclicIO: io}, nil, inventory.Build(inventory.Options{}))
}

// TestCyclicIOText: the cyclic I/O section lists the connection whose
// provider stopped first, then the busiest, at most 20, and what the
// connection table could not count.
func TestCyclicIOText(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, ioDoc(25)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"CYCLIC I/O: 26 connections, 10,000 frames\n" +
			"  profinet 10.20.1.21:34962 → 10.20.1.10:34962 vlan 12 frame 0xc001 (RT_CLASS_UDP): 10 frames, 3 in stop, 0 invalid, 2 status changes; now run, problem\n" +
			"  profinet 00:1b:1b:00:00:18 → 00:1b:1b:00:01:00 frame 0xc018 (RT_CLASS_1): 124 frames, 0 in stop, 0 invalid, 0 status changes; now run\n",
		"  … 6 more connections (all in the JSON report)\n",
		"  NOT COUNTED one by one: 1,234 frames of 12 more connections (connection table full)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "\n  profinet ") != maxIOLines {
		t.Errorf("want %d connection lines:\n%s", maxIOLines, out)
	}
	b.Reset()
	if err := Text(&b, NewDocument(nil, runstats.Stats{}, nil, inventory.Build(inventory.Options{}))); err != nil || strings.Contains(b.String(), "CYCLIC") {
		t.Errorf("without cyclic I/O: %v\n%s", err, b.String())
	}
}

func TestCyclicIOJSON(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, ioDoc(1)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Stats struct {
			CyclicIO struct {
				Frames        uint64           `json:"frames"`
				DroppedFrames uint64           `json:"dropped_frames"`
				DroppedConns  uint64           `json:"dropped_connections"`
				Conns         []map[string]any `json:"connections"`
			} `json:"cyclic_io"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	io := got.Stats.CyclicIO
	if io.Frames != 10_000 || io.DroppedFrames != 1234 || io.DroppedConns != 12 || len(io.Conns) != 2 {
		t.Fatalf("cyclic_io %+v", io)
	}
	c := io.Conns[1]
	if c["transport"] != "udp" || c["provider"] != "10.20.1.21:34962" || c["frame_id"] != float64(0xc001) || c["provider_stopped"] != float64(3) ||
		c["status_changes"] != float64(2) || c["data_invalid"] != float64(0) || c["last_status"] != "run, problem" || c["vlan"] != float64(12) {
		t.Errorf("connection %v", c)
	}
	b.Reset()
	if err := JSON(&b, NewDocument(nil, runstats.Stats{}, nil, inventory.Build(inventory.Options{}))); err != nil || strings.Contains(b.String(), "cyclic_io") {
		t.Errorf("without cyclic I/O: %v", err)
	}
}
