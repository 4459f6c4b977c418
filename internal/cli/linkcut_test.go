package cli

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cutProxy stands between sensors and NATS: cut closes its listener and
// every connection through it (connections are then refused, as when a
// link is down), restore listens again on the same address.
type cutProxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{t: t, addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]bool{}}
	go p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *cutProxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.ln != ln { // cut meanwhile
			p.mu.Unlock()
			c.Close()
			u.Close()
			return
		}
		p.conns[c], p.conns[u] = true, true
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			io.Copy(dst, src)
			dst.Close()
			src.Close()
		}
		go pipe(u, c)
		go pipe(c, u)
	}
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.ln = ln
	go p.serve(ln)
}

// TestSensorLinkCut: two live sensors (two sites) watch a replay of the
// example capture that lasts 100 s and publish through a link to NATS
// that is cut for 60 s while they run; serve consumes into PostgreSQL.
// Nothing reaches the store while the link is down; after it returns,
// every finding of both sites is stored exactly once with analyze's
// count, and every event once. Against the embedded NATS of serve and
// against the machine's NATS (127.0.0.1:4222), side by side.
func TestSensorLinkCut(t *testing.T) {
	if testing.Short() {
		t.Skip("a 100-second live replay with a 60-second link cut")
	}
	needService(t, "PostgreSQL", "127.0.0.1:5432", "HARBORWATCH_REQUIRE_POSTGRES")
	want, nEvents := analyzed(t)
	for _, variant := range []string{"embedded", "machine"} {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			var natsAddr string
			tag := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
			sites := []string{"cut" + tag + "a", "cut" + tag + "b"}
			dsn := freshPostgres(t)
			data := t.TempDir()
			token := strings.Fields(harborwatch(t, "", "token", "create", "--db", dsn, "--data", data, "--name", "ops", "--role", "admin"))[0]
			args := []string{"--db", dsn}
			if variant == "embedded" {
				natsAddr = freePort(t)
				args = append(args, "--nats", "embedded", "--nats-listen", natsAddr)
			} else {
				natsAddr = needService(t, "NATS", "127.0.0.1:4222", "HARBORWATCH_REQUIRE_NATS")
				durable := "test-" + tag
				t.Cleanup(func() { deleteConsumer(t, "nats://"+natsAddr, durable) })
				t.Cleanup(func() { purgeSites(t, "nats://"+natsAddr, sites) })
				args = append(args, "--nats", "nats://"+natsAddr, "--nats-durable", durable)
			}
			s := fleetServe(t, data, token, args...)
			siteYAML, _ := os.ReadFile(fleetSite)
			for _, id := range sites {
				if code := s.do("PUT", "/api/v1/sites/"+id, siteYAML, nil); code != 200 {
					t.Fatalf("PUT site %s: %d", id, code)
				}
			}
			proxy := newCutProxy(t, natsAddr)
			ns, here, peer := netns(t)
			type sensor struct {
				cmd    *exec.Cmd
				stderr bytes.Buffer
			}
			var sensors []*sensor
			for _, id := range sites {
				sn := &sensor{cmd: child(t, "", "sensor", "--interface", here, "--site", fleetSite, "--publish", "nats://"+proxy.addr,
					"--site-id", id, "--sensor-id", "sts-"+id, "--spool", t.TempDir(), "--events", "bus", "--workers", "1",
					"--heartbeat", "2s", "--drain", "2m")}
				sn.cmd.Stderr = &lockedWriter{w: &sn.stderr}
				if err := sn.cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { sn.cmd.Process.Kill(); sn.cmd.Wait() })
				sensors = append(sensors, sn)
			}
			time.Sleep(2 * time.Second) // the rings are set up
			replay := exec.Command("ip", "netns", "exec", ns, "tcpreplay", "--intf1="+peer, "--multiplier=0.6", fleetPcap)
			var replayOut bytes.Buffer
			replay.Stdout, replay.Stderr = &replayOut, &replayOut
			start := time.Now()
			if err := replay.Start(); err != nil {
				t.Fatal(err)
			}
			stored := func() (n int) {
				for _, id := range sites {
					e, _ := s.events(id)
					n += e
				}
				return n
			}
			time.Sleep(15 * time.Second)
			proxy.cut()
			cutAt := time.Now()
			time.Sleep(5 * time.Second) // what was in flight is stored
			during := stored()
			time.Sleep(55 * time.Second)
			if n := stored(); n != during {
				t.Errorf("with the link cut, the store went from %d to %d events", during, n)
			}
			proxy.restore()
			t.Logf("link cut %.0f s after the replay began, back %.0f s later; %d events stored before the cut", cutAt.Sub(start).Seconds(), time.Since(cutAt).Seconds(), during)
			if err := replay.Wait(); err != nil {
				t.Fatalf("tcpreplay: %v\n%s", err, replayOut.String())
			}
			t.Logf("replay ended %.0f s after it began", time.Since(start).Seconds())
			time.Sleep(time.Second)
			for i, sn := range sensors {
				sn.cmd.Process.Signal(syscall.SIGTERM)
				if err := sn.cmd.Wait(); err != nil {
					t.Fatalf("sensor %s: %v\n%s", sites[i], err, sn.stderr.String())
				}
				out := sn.stderr.String()
				if !strings.Contains(out, "dropped 0 (the kernel ring was full)") || !regexp.MustCompile(`published [1-9][0-9]* messages to NATS; 0 left in the queue for the next start; 0 dropped`).MatchString(out) {
					t.Fatalf("sensor %s:\n%s", sites[i], out)
				}
			}
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
			t.Logf("%s NATS, link cut 60 s mid-run: two sites × %d findings and %d events stored exactly once, %.0f s in all", variant, len(want), nEvents, time.Since(start).Seconds())
		})
	}
}
