package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"harborwatch/store"
)

// TestSensorsPage: the sensors page shows each sensor's latest heartbeat
// (packets, kernel drops, queue, losses), escaped.
func TestSensorsPage(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	hb := func(site, sensor, body string, seq uint64, sent time.Time) store.FleetMessage {
		return store.FleetMessage{ID: site + "." + sensor + ".r." + string(rune('0'+seq)), Site: site, Sensor: sensor, Run: "r", Seq: seq,
			Sent: sent, Received: sent.Add(1500 * time.Millisecond), Started: now.Add(-time.Hour), Heartbeat: json.RawMessage(body)}
	}
	if _, err := e.st.Ingest(context.Background(), []store.FleetMessage{
		hb("t3", "sts01", `{"packets":123456,"kernel_drops":7,"pending":12,"dropped":{"event":3}}`, 1, now.Add(-10*time.Second)),
		hb("t4", "<script>alert(1)</script>", `{"packets":1,"stopping":true}`, 1, now.Add(-time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("admin1")
	code, body := b.get("/sensors")
	if code != 200 {
		t.Fatalf("GET /sensors: %d", code)
	}
	for _, want := range []string{"123,456", `<span class="bad">7</span>`, `<span class="bad">3</span>`, "1.5s", "running", "stopped", "&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("the sensors page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Error("a sensor name is not escaped")
	}
}
