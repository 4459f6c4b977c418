//go:build linux

package cli

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"harborwatch/analysis"
	"harborwatch/bus"
	"harborwatch/site"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	fleetPcap = "../../examples/terminal/terminal.pcap"
	fleetSite = "../../examples/terminal/site.yaml"
)

// freePort returns a free loopback HOST:PORT.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

var natsStarted = regexp.MustCompile(`NATS with JetStream at (nats://[0-9.:]+)`)

// fleetServe starts `serve` in a child with args added, and waits for it
// to listen.
func fleetServe(t *testing.T, data, token string, args ...string) *served {
	t.Helper()
	all := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--insecure-http", "--workers", "1", "--store-events", "all"}, args...)
	cmd := child(t, "", all...)
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
	var logMu sync.Mutex
	var warnings []string
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
			if l := sc.Text(); strings.Contains(l, "error") || strings.Contains(l, "warning") {
				logMu.Lock()
				warnings = append(warnings, l)
				logMu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			logMu.Lock()
			defer logMu.Unlock()
			t.Logf("serve's warnings and errors:\n%s", strings.Join(warnings, "\n"))
		}
	})
	select {
	case s.url = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start within 30 s")
	}
	return s
}

// sensorRun runs `sensor --file` publishing to natsURL as site and
// returns its stderr.
func sensorRun(t *testing.T, natsURL, siteID, spool string, extra ...string) string {
	t.Helper()
	args := append([]string{"sensor", "--file", fleetPcap, "--site", fleetSite, "--publish", natsURL,
		"--site-id", siteID, "--sensor-id", "sts-" + siteID, "--spool", spool, "--events", "bus", "--workers", "2",
		"--drain", "2m"}, extra...) // a loaded machine may need long to send it all; a later --drain wins
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &lockedWriter{w: &stderr}, getenv: func(string) string { return "" }}
	if code := run(context.Background(), e, args); code != 0 {
		t.Fatalf("sensor exited %d: %s", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("with --publish and no --out, the sensor wrote to stdout: %.200s", stdout.String())
	}
	if len(extra) == 0 && !strings.Contains(stderr.String(), "; 0 left in the queue") {
		t.Fatalf("the sensor did not send all it queued: %s", stderr.String())
	}
	return stderr.String()
}

// analyzed is what analyze finds in the example: findings by id with
// their counts, and the number of events.
func analyzed(t *testing.T) (map[string]uint64, int) {
	t.Helper()
	m, err := site.Load(fleetSite)
	if err != nil {
		t.Fatal(err)
	}
	res, err := analysis.Run(context.Background(), analysis.Options{Files: []string{fleetPcap}, Site: m, Events: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, f := range res.Document.Findings {
		out[f.ID] = f.Count
	}
	return out, len(res.Pipeline.Events)
}

type storedFinding struct {
	ID          string `json:"id"`
	Site        string `json:"site"`
	Count       uint64 `json:"count"`
	Occurrences int    `json:"occurrences"`
}

func (s *served) findings(siteID string) map[string]storedFinding {
	var fs struct {
		Findings []storedFinding `json:"findings"`
	}
	s.do("GET", "/api/v1/findings?limit=1000&site="+siteID, nil, &fs)
	out := map[string]storedFinding{}
	for _, f := range fs.Findings {
		out[f.ID] = f
	}
	return out
}

// events counts a site's stored events and the distinct ones (by capture,
// time, protocol, operation, direction, name and packet).
func (s *served) events(siteID string) (n, distinct int) {
	seen := map[string]bool{}
	cursor := ""
	for {
		var page struct {
			Events []struct {
				CaptureID string    `json:"capture_id"`
				TS        time.Time `json:"ts"`
				Proto     string    `json:"proto"`
				Op        string    `json:"op"`
				Dir       string    `json:"dir"`
				Name      string    `json:"name"`
				Packet    int64     `json:"packet"`
			} `json:"events"`
			Next string `json:"next"`
		}
		s.do("GET", "/api/v1/events?limit=10000&site="+siteID+"&cursor="+url.QueryEscape(cursor), nil, &page)
		for _, e := range page.Events {
			n++
			seen[fmt.Sprint(e.CaptureID, e.TS.UnixNano(), e.Proto, e.Op, e.Dir, e.Name, e.Packet)] = true
		}
		if page.Next == "" {
			return n, len(seen)
		}
		cursor = page.Next
	}
}

// waitStored waits until site holds want findings whose counts are runs
// times analyze's.
func (s *served) waitStored(siteID string, want map[string]uint64, runs int, within time.Duration) map[string]storedFinding {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := s.findings(siteID)
		ok := len(got) == len(want)
		for id, c := range want {
			if got[id].Count != c*uint64(runs) {
				ok = false
			}
		}
		if ok {
			return got
		}
		if time.Now().After(deadline) {
			for id, c := range want {
				if got[id].Count != c*uint64(runs) {
					s.t.Errorf("%s: stored count %d, want %d", id, got[id].Count, c*uint64(runs))
				}
			}
			s.t.Fatalf("site %s: %d findings stored, want %d with %d× analyze's counts", siteID, len(got), len(want), runs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestFleetEndToEnd: two sensors (two sites) publish the example capture
// to serve's embedded NATS; serve stores exactly what analyze finds, per
// site. A sensor run while serve (and so NATS) is down queues everything
// and sends it when run again with serve back: every finding arrives
// exactly once per run. serve killed with SIGKILL in the middle of the
// ingest loses nothing and stores nothing twice after its restart.
func TestFleetEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	want, nEvents := analyzed(t)
	if len(want) == 0 || nEvents == 0 {
		t.Fatal("the example has no findings or events")
	}
	data := t.TempDir()
	token := strings.Fields(harborwatch(t, "", "token", "create", "--data", data, "--name", "ops", "--role", "admin"))[0]
	natsAddr := freePort(t)
	natsURL := "nats://" + natsAddr
	s := fleetServe(t, data, token, "--nats", "embedded", "--nats-listen", natsAddr)
	siteYAML, _ := os.ReadFile(fleetSite)
	for _, id := range []string{"t3", "t4"} {
		if code := s.do("PUT", "/api/v1/sites/"+id, siteYAML, nil); code != 200 {
			t.Fatalf("PUT site %s: %d", id, code)
		}
	}
	spool3, spool4 := t.TempDir(), t.TempDir()

	// 1. Two sites, one run each.
	start := time.Now()
	sensorRun(t, natsURL, "t3", spool3)
	sensorRun(t, natsURL, "t4", spool4)
	for _, id := range []string{"t3", "t4"} {
		got := s.waitStored(id, want, 1, 60*time.Second)
		for fid, f := range got {
			if f.Occurrences != 1 {
				t.Errorf("%s %s: occurrences %d, want 1", id, fid, f.Occurrences)
			}
		}
		if n, d := s.events(id); n != nEvents || d != n {
			t.Errorf("site %s: %d events stored (%d distinct), want %d", id, n, d, nEvents)
		}
	}
	t.Logf("two sites: %d findings and %d events each, stored %.1f s after the first sensor started", len(want), nEvents, time.Since(start).Seconds())

	// The fleet view and the sensors.
	var fleet struct {
		Total struct {
			Sites                int            `json:"sites"`
			Sensors              int            `json:"sensors"`
			OpenFindings         int            `json:"open_findings"`
			CranesByManufacturer map[string]int `json:"cranes_by_manufacturer"`
			OpenFindingsByRule   map[string]int `json:"open_findings_by_rule"`
		} `json:"total"`
		Sites []struct {
			Site    string
			Sensors []struct {
				Sensor  string
				Packets uint64
				Stopped bool
			}
		} `json:"sites"`
	}
	if code := s.do("GET", "/api/v1/fleet", nil, &fleet); code != 200 {
		t.Fatalf("GET /api/v1/fleet: %d", code)
	}
	if fleet.Total.Sites != 2 || fleet.Total.Sensors != 2 || fleet.Total.OpenFindings != 2*len(want) || len(fleet.Total.CranesByManufacturer) == 0 {
		t.Errorf("fleet totals %+v", fleet.Total)
	}
	for _, v := range fleet.Sites {
		if len(v.Sensors) != 1 || v.Sensors[0].Sensor != "sts-"+v.Site || v.Sensors[0].Packets == 0 || !v.Sensors[0].Stopped {
			t.Errorf("site %s sensors %+v", v.Site, v.Sensors)
		}
	}

	// 2. The link down: serve (and its NATS) stopped, a sensor run queues
	// everything; serve back, the next run sends the queue first.
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	out := sensorRun(t, natsURL, "t3", spool3, "--drain", "1s")
	if !regexp.MustCompile(`published 0 messages to NATS; [1-9][0-9]* left in the queue`).MatchString(out) {
		t.Fatalf("sensor with NATS down: %s", out)
	}
	s = fleetServe(t, data, token, "--nats", "embedded", "--nats-listen", natsAddr)
	sensorRun(t, natsURL, "t3", spool3)
	t.Logf("link down: the run queued its messages (%.1f s so far)", time.Since(start).Seconds())
	got := s.waitStored("t3", want, 3, 60*time.Second)
	for fid, f := range got {
		if f.Occurrences != 3 {
			t.Errorf("t3 %s: occurrences %d, want 3 (three runs)", fid, f.Occurrences)
		}
	}
	if n, d := s.events("t3"); n != 3*nEvents || d != n {
		t.Errorf("t3: %d events (%d distinct), want %d", n, d, 3*nEvents)
	}

	t.Logf("link back: the queue and the next run stored (%.1f s so far)", time.Since(start).Seconds())
	// 3. kill -9 in the middle of the ingest of a run: after the restart
	// nothing is lost or stored twice.
	sensorRun(t, natsURL, "t4", spool4)
	time.Sleep(150 * time.Millisecond)
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	s = fleetServe(t, data, token, "--nats", "embedded", "--nats-listen", natsAddr)
	got = s.waitStored("t4", want, 2, 60*time.Second)
	for fid, f := range got {
		if f.Occurrences != 2 {
			t.Errorf("t4 %s: occurrences %d, want 2", fid, f.Occurrences)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, d := s.events("t4")
		if n == 2*nEvents && d == n {
			break
		}
		if time.Now().After(deadline) || n > 2*nEvents {
			t.Fatalf("t4 after kill -9: %d events (%d distinct), want %d", n, d, 2*nEvents)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("kill -9 mid-ingest: nothing lost or doubled (%.1f s in all)", time.Since(start).Seconds())
}

// TestFleetPostgresMachineNATS: two sensors (two sites) publish to the
// machine's NATS (127.0.0.1:4222) and one serve stores into PostgreSQL;
// serve killed with SIGKILL mid-ingest and restarted loses nothing and
// stores nothing twice. Skipped when either service does not answer,
// unless HARBORWATCH_REQUIRE_NATS=1 / HARBORWATCH_REQUIRE_POSTGRES=1.
func TestFleetPostgresMachineNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	natsURL := needService(t, "NATS", "127.0.0.1:4222", "HARBORWATCH_REQUIRE_NATS")
	needService(t, "PostgreSQL", "127.0.0.1:5432", "HARBORWATCH_REQUIRE_POSTGRES")
	dsn := freshPostgres(t)
	want, nEvents := analyzed(t)
	data := t.TempDir()
	token := strings.Fields(harborwatch(t, "", "token", "create", "--db", dsn, "--data", data, "--name", "ops", "--role", "admin"))[0]
	tag := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	durable := "test-" + tag
	t.Cleanup(func() { deleteConsumer(t, "nats://"+natsURL, durable) })
	sites := []string{"pg" + tag + "a", "pg" + tag + "b"}
	t.Cleanup(func() { purgeSites(t, "nats://"+natsURL, sites) })
	args := []string{"--db", dsn, "--nats", "nats://" + natsURL, "--nats-durable", durable}
	s := fleetServe(t, data, token, args...)
	siteYAML, _ := os.ReadFile(fleetSite)
	for _, id := range sites {
		if code := s.do("PUT", "/api/v1/sites/"+id, siteYAML, nil); code != 200 {
			t.Fatalf("PUT site %s: %d", id, code)
		}
	}
	start := time.Now()
	sensorRun(t, "nats://"+natsURL, sites[0], t.TempDir())
	sensorRun(t, "nats://"+natsURL, sites[1], t.TempDir())
	// Kill as soon as the ingest of the first site has begun.
	var n0, n1 int
	for deadline := time.Now().Add(60 * time.Second); n0 == 0 && time.Now().Before(deadline); {
		n0, _ = s.events(sites[0])
	}
	n1, _ = s.events(sites[1])
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	t.Logf("at the kill: %d and %d of %d events stored", n0, n1, nEvents)
	s = fleetServe(t, data, token, args...)
	for _, id := range sites {
		got := s.waitStored(id, want, 1, 90*time.Second)
		for fid, f := range got {
			if f.Occurrences != 1 {
				t.Errorf("%s %s: occurrences %d, want 1", id, fid, f.Occurrences)
			}
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			n, d := s.events(id)
			if n == nEvents && d == n {
				break
			}
			if time.Now().After(deadline) || n > nEvents {
				t.Fatalf("site %s: %d events (%d distinct), want %d", id, n, d, nEvents)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Logf("PostgreSQL, machine NATS, kill -9 mid-ingest: two sites × %d findings and %d events stored once, %.1f s", len(want), nEvents, time.Since(start).Seconds())
}

// needService returns addr when something listens there, else skips (or
// fails when the env var require is "1").
func needService(t *testing.T, name, addr, require string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		if os.Getenv(require) == "1" {
			t.Fatalf("%s at %s is required (%s=1) but does not answer: %v", name, addr, require, err)
		}
		t.Skipf("no %s at %s (%s=1 makes this a failure)", name, addr, require)
	}
	c.Close()
	return addr
}

// freshPostgres creates a database for the test (dropped at its end) and
// returns its URL.
func freshPostgres(t *testing.T) string {
	t.Helper()
	server := "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	name := fmt.Sprintf("hwfleet_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP DATABASE " + name + " WITH (FORCE)") })
	return "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
}

// deleteConsumer removes a test's durable consumer from the machine's NATS.
func deleteConsumer(t *testing.T, url, durable string) {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Log(err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = js.DeleteConsumer(ctx, bus.Stream, durable)
	}
	if err != nil {
		t.Logf("delete the consumer %s: %v", durable, err)
	}
}

// purgeSites removes a test's messages from the machine's NATS, so that
// the next test's new consumer does not read them all again.
func purgeSites(t *testing.T, url string, sites []string) {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Log(err)
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, bus.Stream)
	if err != nil {
		t.Log(err)
		return
	}
	for _, s := range sites {
		if err := st.Purge(ctx, jetstream.WithPurgeSubject(bus.SubjectPrefix+"."+s+".>")); err != nil {
			t.Logf("purge %s: %v", s, err)
		}
	}
}

// TestSensorMetrics: the sensor's /metrics on loopback tells the packets
// read and the bus's queue while the link is down.
func TestSensorMetrics(t *testing.T) {
	maddr, nats := freePort(t), "nats://"+freePort(t) // nothing listens there
	done := make(chan string, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		e := &env{stdout: &stdout, stderr: &lockedWriter{w: &stderr}, getenv: func(string) string { return "" }}
		run(context.Background(), e, []string{"sensor", "--file", fleetPcap, "--site", fleetSite, "--publish", nats, "--site-id", "m1",
			"--spool", t.TempDir(), "--drain", "3s", "--metrics-addr", maddr, "--workers", "1", "--ring", "512KiB"})
		done <- stderr.String()
	}()
	var body string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + maddr + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			if strings.Contains(body, "harborwatch_sensor_packets_total 11096") {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{"harborwatch_sensor_packets_total 11096", "harborwatch_bus_connected 0", "harborwatch_bus_published_total 0", "harborwatch_sensor_findings_total"} {
		if !strings.Contains(body, want+"\n") && !strings.Contains(body, want+" ") {
			t.Errorf("metrics lack %q:\n%.3000s", want, body)
		}
	}
	if m := regexp.MustCompile(`harborwatch_sensor_ring_overwrites_total (\d+)`).FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("ring overwrites %v, want counted (a 512 KiB ring over a 2.3 MB capture)", m)
	}
	m := regexp.MustCompile(`harborwatch_bus_pending (\d+)`).FindStringSubmatch(body)
	if m == nil || m[1] == "0" {
		t.Errorf("bus pending %v, want messages waiting", m)
	}
	out := <-done
	if !strings.Contains(out, "published 0 messages to NATS") {
		t.Errorf("stderr: %s", out)
	}
}

// TestSensorReload: SIGHUP makes the live sensor reload its site model:
// findings after it name the zones of the new model (a zone renamed), none
// the old one's.
func TestSensorReload(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a capture twice")
	}
	ns, here, peer := netns(t)
	orig, err := os.ReadFile(fleetSite)
	if err != nil {
		t.Fatal(err)
	}
	siteFile := t.TempDir() + "/site.yaml"
	if err := os.WriteFile(siteFile, orig, 0o640); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"sensor", "--interface", here, "--site", siteFile, "--workers", "1"})
	}()
	replay := func() {
		time.Sleep(700 * time.Millisecond) // the ring is set up
		if out, err := exec.Command("ip", "netns", "exec", ns, "tcpreplay", "--intf1="+peer, "--topspeed", fleetPcap).CombinedOutput(); err != nil {
			t.Fatalf("tcpreplay: %v\n%s", err, out)
		}
		time.Sleep(time.Second)
	}
	replay()
	renamed := bytes.ReplaceAll(orig, []byte("sts01-control"), []byte("sts01-plcnet"))
	if err := os.WriteFile(siteFile, renamed, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "reloaded the site model") {
		if time.Now().After(deadline) {
			t.Fatalf("no reload after SIGHUP: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	before := stdout.String()
	replay()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("sensor exited %d: %s", code, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the sensor did not stop")
	}
	after := strings.TrimPrefix(stdout.String(), before)
	if !strings.Contains(before, `"sts01-control"`) || strings.Contains(before, `"sts01-plcnet"`) {
		t.Errorf("before the reload: the old zone %v, the new %v", strings.Contains(before, `"sts01-control"`), strings.Contains(before, `"sts01-plcnet"`))
	}
	if !strings.Contains(after, `"sts01-plcnet"`) || strings.Contains(after, `"sts01-control"`) {
		t.Errorf("after the reload: the new zone %v, the old %v", strings.Contains(after, `"sts01-plcnet"`), strings.Contains(after, `"sts01-control"`))
	}
	if n := strings.Count(stderr.String(), "dropped 0 (the kernel ring was full)"); n != 2 {
		t.Errorf("want two analyses without kernel drops: %s", stderr.String())
	}
	t.Logf("%d finding lines before the reload, %d after", strings.Count(before, "\n"), strings.Count(after, "\n"))
}

// TestSensorReplayPublish: the live sensor on a veth pair publishes to an
// embedded NATS what it finds in the example replayed with tcpreplay: the
// last update of each finding is analyze's finding (id and count), the
// heartbeats tell the packets and no kernel drop, the assets come at the
// end.
func TestSensorReplayPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a capture")
	}
	ns, here, peer := netns(t)
	want, _ := analyzed(t)
	nsrv, err := bus.StartEmbedded("127.0.0.1:0", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer nsrv.Shutdown()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := &env{stdout: &stdout, stderr: &lockedWriter{w: &stderr}, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"sensor", "--interface", here, "--site", fleetSite, "--publish", nsrv.URL(),
			"--sensor-id", "sts01", "--spool", t.TempDir(), "--heartbeat", "200ms", "--workers", "1"})
	}()
	time.Sleep(700 * time.Millisecond)
	if out, err := exec.Command("ip", "netns", "exec", ns, "tcpreplay", "--intf1="+peer, "--topspeed", fleetPcap).CombinedOutput(); err != nil {
		t.Fatalf("tcpreplay: %v\n%s", err, out)
	}
	time.Sleep(time.Second)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("sensor exited %d: %s", code, stderr.String())
	}
	c, err := bus.NewConsumer(context.Background(), bus.ConsumerOptions{URL: nsrv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	last := map[string]uint64{}
	var beats []*bus.Heartbeat
	assets := 0
	for {
		ds, err := c.Fetch(512, 500*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			break
		}
		for _, d := range ds {
			if d.Err != nil {
				t.Fatal(d.Err)
			}
			m := d.Msg
			if m.Site != "t3" { // the site model's facility id
				t.Fatalf("site %q", m.Site)
			}
			switch m.Kind {
			case bus.KindFinding:
				last[m.Finding.Finding.ID] = m.Finding.Finding.Count
			case bus.KindHeartbeat:
				beats = append(beats, m.Heartbeat)
			case bus.KindAsset:
				assets++
			}
			d.Ack()
		}
	}
	for id, n := range want {
		if last[id] != n {
			t.Errorf("%s: published count %d, analyze %d", id, last[id], n)
		}
	}
	if len(last) != len(want) {
		t.Errorf("%d findings published, analyze %d", len(last), len(want))
	}
	if len(beats) < 2 || !beats[len(beats)-1].Stopping || beats[len(beats)-1].Packets == 0 || beats[len(beats)-1].KernelDrops != 0 || assets == 0 {
		t.Errorf("%d heartbeats (last %+v), %d assets", len(beats), beats[len(beats)-1], assets)
	}
	t.Logf("%d findings, %d heartbeats, %d assets; last heartbeat: %d packets, %d kernel drops", len(last), len(beats), assets, beats[len(beats)-1].Packets, beats[len(beats)-1].KernelDrops)
}
