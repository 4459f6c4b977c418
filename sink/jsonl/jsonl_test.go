package jsonl

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/observe"
	"harborwatch/pipeline"
)

// TestStreams writes one record of each kind and reads the lines back.
func TestStreams(t *testing.T) {
	var ev, fd, fl, ob bytes.Buffer
	w := New(Streams{Events: &ev, Findings: &fd, Flows: &fl, Observations: &ob})
	w.Captures([]string{"a.pcap"})
	t0 := time.Date(2026, 11, 3, 9, 0, 1, 200_000_000, time.UTC)
	w.Event(&event.Event{TS: t0, Proto: "modbus", Dir: event.Request, Src: netip.MustParseAddr("10.10.1.5"), Op: "read"})
	w.Finding(&pipeline.FindingUpdate{Kind: pipeline.FindingNew, At: t0, Finding: finding.Finding{ID: "HW-1", Rule: finding.RuleCrossZone, Severity: finding.High}})
	w.Flow(&pipeline.FlowRecord{
		UID:    "Cabc",
		Client: netip.MustParseAddrPort("10.10.1.5:55259"), Server: netip.MustParseAddrPort("10.10.1.10:502"),
		Transport: 6, VLAN: 110, App: "modbus", Packets: [2]uint64{473, 237}, Bytes: [2]uint64{21764, 14448},
		Payload: [2]uint64{2832, 4956}, First: t0, Last: t0.Add(58 * time.Second), State: "established",
		Handshake: true, End: "flushed", ClientZone: "sts01-control", ServerZone: "sts01-control", ServerAsset: "drive",
	})
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	w.Observation(&observe.Observation{Kind: observe.KindHost, Seen: t0, IP: netip.MustParseAddr("10.10.1.5"), Zone: "ctl", Via: "arp", Mark: finding.Mark{Packet: 7}})
	if c := w.Counts(); c != (Counts{1, 1, 1, 1}) {
		t.Errorf("counts %+v", c)
	}
	want := `{"ts":"2026-11-03T09:00:01.2Z","uid":"Cabc","orig_h":"10.10.1.5","orig_p":55259,"resp_h":"10.10.1.10","resp_p":502,"proto":"tcp","service":"modbus","vlan":110,"duration":58,"last_ts":"2026-11-03T09:00:59.2Z","orig_pkts":473,"orig_ip_bytes":21764,"orig_bytes":2832,"resp_pkts":237,"resp_ip_bytes":14448,"resp_bytes":4956,"tcp_state":"established","handshake":true,"end":"flushed","orig_zone":"sts01-control","resp_zone":"sts01-control","resp_asset":"drive"}` + "\n"
	if fl.String() != want {
		t.Errorf("flow line\n got %s\nwant %s", fl.String(), want)
	}
	var u struct {
		Kind    string
		At      time.Time
		Finding struct{ ID, Rule, Severity string }
	}
	if err := json.Unmarshal(fd.Bytes(), &u); err != nil || u.Kind != "new" || !u.At.Equal(t0) || u.Finding.ID != "HW-1" || u.Finding.Severity != "high" {
		t.Errorf("finding line %s: %+v %v", fd.String(), u, err)
	}
	if want := `{"kind":"host","seen":"2026-11-03T09:00:01.2Z","ip":"10.10.1.5","zone":"ctl","via":"arp","capture":"a.pcap","packet":7}` + "\n"; ob.String() != want {
		t.Errorf("observation line\n got %s\nwant %s", ob.String(), want)
	}
	if !strings.Contains(ev.String(), `"proto":"modbus"`) || strings.Count(ev.String(), "\n") != 1 {
		t.Errorf("event line %q", ev.String())
	}
}

type failing struct{ n int }

func (f *failing) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

// TestStickyError: the first write error stops every stream and is kept.
func TestStickyError(t *testing.T) {
	var fd bytes.Buffer
	w := New(Streams{Events: &failing{n: 1}, Findings: &fd})
	e := &event.Event{Proto: "dns"}
	w.Event(e)
	w.Event(e)
	w.Finding(&pipeline.FindingUpdate{Kind: pipeline.FindingNew})
	w.Flow(&pipeline.FlowRecord{}) // no flows stream: ignored
	if w.Err() == nil || w.Err().Error() != "disk full" {
		t.Fatalf("err %v, want disk full", w.Err())
	}
	if c := w.Counts(); c.Events != 1 || c.Findings != 0 || fd.Len() != 0 {
		t.Errorf("counts %+v, findings %q: nothing more after the error", c, fd.String())
	}
}
