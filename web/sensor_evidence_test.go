package web

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/finding"
	"harborwatch/store"
)

// TestSensorEvidence: a finding a sensor published with its evidence
// file links to that file (its evidence rows name a live capture, which
// the server does not hold), and the file is served byte for byte.
func TestSensorEvidence(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	f := finding.New(finding.Spec{Rule: finding.RuleCrossZone, Severity: finding.High,
		Src: finding.Host{IP: netip.MustParseAddr("10.10.2.7"), Zone: "sts01-cctv"}, Dst: finding.Host{IP: netip.MustParseAddr("10.10.1.5"), Zone: "sts01-control"},
		First: t0.UnixNano(), Last: t0.UnixNano(), Count: 2})
	f.Evidence = []finding.Evidence{{Capture: "eth1", Packets: []int64{3, 9}}}
	if _, err := e.st.Ingest(ctx, []store.FleetMessage{{ID: "t3.s1.r1.1", Site: "t3", Sensor: "s1", Run: "r1", Seq: 1, Received: t0, Finding: &f}}); err != nil {
		t.Fatal(err)
	}
	var pcap bytes.Buffer
	w, err := capture.NewPcapWriter(&pcap, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		frame := bytes.Repeat([]byte{byte(i + 1)}, 60)
		if err := w.WritePacket(t0.UnixNano()+int64(i), frame, len(frame)); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if err := e.st.PutEvidence(ctx, store.EvidenceFile{Site: "t3", FindingID: f.ID, Sensor: "s1", Run: "r1",
		Object: "t3/s1/" + f.ID + ".pcap", Format: "pcap", Packets: 2, Data: pcap.Bytes()}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("viewer1")
	code, body := b.get("/findings/t3/" + f.ID)
	if code != 200 || !strings.Contains(body, "Evidence file published by sensor s1") ||
		!strings.Contains(body, `href="/findings/t3/`+f.ID+`/evidence.pcap"`) || strings.Contains(body, "/evidence/s1/r1/eth1.pcap") {
		i := strings.Index(body, "<h2>Evidence")
		t.Errorf("finding page %d: no link to the sensor's evidence file, or a broken one to the live capture:\n%.1500s", code, body[max(i, 0):])
	}
	resp, err := b.c.Get(e.ts.URL + "/findings/t3/" + f.ID + "/evidence.pcap")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, pcap.Bytes()) || resp.Header.Get("Content-Type") != "application/vnd.tcpdump.pcap" {
		t.Errorf("evidence.pcap: %d, %d bytes (want %d), %s", resp.StatusCode, len(got), pcap.Len(), resp.Header.Get("Content-Type"))
	}
	if code, _ := e.browser().get("/findings/t3/" + f.ID + "/evidence.pcap"); code != 303 {
		t.Errorf("evidence.pcap without a session: %d, want a redirect to the login", code)
	}
	if code, _ := b.get("/findings/t3/HW-000000000000/evidence.pcap"); code != 404 {
		t.Errorf("evidence of no finding: %d, want 404", code)
	}
}
