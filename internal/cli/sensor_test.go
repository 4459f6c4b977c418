//go:build linux

package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"harborwatch/analysis"
	"harborwatch/site"
)

// netns makes a network namespace with a veth pair: the returned name is
// the end in this namespace (for the sensor), peer the end inside ns
// (for tcpreplay). It skips without root, ip or tcpreplay, unless
// HARBORWATCH_REQUIRE_NETNS=1.
func netns(t *testing.T) (ns, here, peer string) {
	t.Helper()
	need := os.Getenv("HARBORWATCH_REQUIRE_NETNS") == "1"
	skip := func(why string) {
		if need {
			t.Fatal(why)
		}
		t.Skip(why + " (HARBORWATCH_REQUIRE_NETNS=1 makes this a failure)")
	}
	if os.Geteuid() != 0 {
		skip("needs root to make a network namespace")
	}
	for _, bin := range []string{"ip", "tcpreplay"} {
		if _, err := exec.LookPath(bin); err != nil {
			skip(bin + " not found (Debian: apt-get install iproute2 tcpreplay)")
		}
	}
	id := rand.IntN(1 << 20)
	ns, here, peer = fmt.Sprintf("hwt%d", id), fmt.Sprintf("hwa%d", id), fmt.Sprintf("hwb%d", id)
	sh := func(args ...string) {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	sh("ip", "netns", "add", ns)
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", here).Run()
		exec.Command("ip", "netns", "del", ns).Run()
	})
	sh("ip", "link", "add", here, "type", "veth", "peer", "name", peer, "netns", ns)
	// No IPv6 on the pair: the kernel's own router and neighbour
	// solicitations would be traffic of devices the site does not know.
	exec.Command("sysctl", "-qw", "net.ipv6.conf."+here+".disable_ipv6=1").Run()
	exec.Command("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf."+peer+".disable_ipv6=1").Run()
	sh("ip", "link", "set", here, "up")
	sh("ip", "-n", ns, "link", "set", peer, "up")
	return ns, here, peer
}

// TestSensorReplay replays the example capture into a veth pair with
// tcpreplay and runs the sensor on the other end: it writes findings
// while the replay is still going, and in the end the same findings (by
// rule, source and destination) as analyze on the file.
func TestSensorReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a capture for several seconds")
	}
	ns, here, peer := netns(t)
	const pcap = "../../examples/terminal/terminal.pcap"
	const siteFile = "../../examples/terminal/site.yaml"
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr strings.Builder
	e := &env{stdout: pw, stderr: &lockedWriter{w: &stderr}, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"sensor", "--interface", here, "--site", siteFile, "--workers", "2"})
		pw.Close()
	}()
	type line struct {
		at   time.Time
		ID   string `json:"id"`
		Rule string `json:"rule"`
		Src  struct{ IP string }
		Dst  struct{ IP string }
	}
	type update struct {
		Kind    string `json:"kind"`
		Finding line   `json:"finding"`
	}
	var mu sync.Mutex
	var lines []line
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var u update
			if json.Unmarshal(sc.Bytes(), &u) == nil && u.Finding.ID != "" {
				l := u.Finding
				l.at = time.Now()
				mu.Lock()
				lines = append(lines, l)
				mu.Unlock()
			}
		}
	}()
	time.Sleep(700 * time.Millisecond) // the ring is set up
	replay := exec.Command("ip", "netns", "exec", ns, "tcpreplay", "--intf1="+peer, "--multiplier=6", pcap)
	out, err := replay.CombinedOutput()
	replayEnd := time.Now()
	if err != nil {
		t.Fatalf("tcpreplay: %v\n%s", err, out)
	}
	time.Sleep(time.Second)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("sensor exited %d: %s", code, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the sensor did not stop")
	}
	<-readDone
	if !strings.Contains(stderr.String(), "dropped 0") {
		t.Errorf("the kernel dropped packets: %s", stderr.String())
	}
	early := 0
	got := map[string]bool{}
	for _, l := range lines {
		if l.at.Before(replayEnd) {
			early++
		}
		got[l.Rule+" "+l.Src.IP+" "+l.Dst.IP] = true
	}
	if early == 0 {
		t.Errorf("no finding was written while the replay was running (%d in all)", len(lines))
	}
	m, err := site.Load(siteFile)
	if err != nil {
		t.Fatal(err)
	}
	res, err := analysis.Run(context.Background(), analysis.Options{Files: []string{pcap}, Site: m})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, f := range res.Document.Findings {
		ip := func(a netip.Addr) string {
			if !a.IsValid() {
				return "" // as JSON writes the zero address
			}
			return a.String()
		}
		want[f.Rule+" "+ip(f.Src.IP)+" "+ip(f.Dst.IP)] = true
	}
	for k := range want {
		if !got[k] {
			t.Errorf("analyze found %s; the sensor did not", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("the sensor found %s; analyze did not", k)
		}
	}
	t.Logf("%d finding lines, %d written while the replay ran; %d findings as analyze's %d; %s", len(lines), early, len(got), len(want), strings.TrimSpace(stderr.String()))
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestSensorFileBPF: sensor --file --bpf reads the capture through the
// filter and says how many packets it left out; its findings are those
// of analyze --bpf.
func TestSensorFileBPF(t *testing.T) {
	const expr = "vlan 110 and tcp port 502"
	r := runCLI(t, nil, "sensor", "--file", examplePcap, "--site", exampleSite, "--bpf", expr, "--workers", "1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `--bpf "vlan 110 and tcp port 502" left out 8,237 packets`) ||
		!strings.Contains(r.stderr, "2,859 packets analyzed") && !strings.Contains(r.stderr, "2859 packets analyzed") {
		t.Errorf("stderr: %s", r.stderr)
	}
	a := runCLI(t, nil, "analyze", "--site", exampleSite, "--format", "json", "--bpf", expr, examplePcap)
	var doc struct {
		Findings []struct{ ID string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(a.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range doc.Findings {
		if !strings.Contains(r.stdout, f.ID) {
			t.Errorf("finding %s of analyze --bpf is not among the sensor's", f.ID)
		}
	}
	if len(doc.Findings) == 0 {
		t.Error("no findings to compare")
	}
}

// TestSensorBPF replays the example into a veth pair while the sensor
// captures with --bpf: the kernel passes exactly the packets the filter
// selects (2,859 of 11,096), tagged as they all are, and drops none.
func TestSensorBPF(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a capture")
	}
	ns, here, peer := netns(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr strings.Builder
	e := &env{stdout: io.Discard, stderr: &lockedWriter{w: &stderr}, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"sensor", "--interface", here, "--site", exampleSite, "--workers", "1", "--bpf", "vlan 110 and tcp port 502"})
	}()
	time.Sleep(700 * time.Millisecond) // the ring is set up
	if out, err := exec.Command("ip", "netns", "exec", ns, "tcpreplay", "--intf1="+peer, "--multiplier=20", examplePcap).CombinedOutput(); err != nil {
		t.Fatalf("tcpreplay: %v\n%s", err, out)
	}
	time.Sleep(time.Second)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("sensor exited %d: %s", code, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the sensor did not stop")
	}
	if want := "the kernel passed 2859 packets and dropped 0"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
	}
	if !strings.Contains(stderr.String(), "ran in the kernel") {
		t.Errorf("stderr does not say the filter ran in the kernel:\n%s", stderr.String())
	}
}
