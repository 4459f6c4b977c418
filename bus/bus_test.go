package bus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/pipeline"
)

// freeAddr returns a loopback address with a free port.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}

func embedded(t *testing.T, addr, dir string) *Embedded {
	t.Helper()
	e, err := StartEmbedded(addr, dir)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func update(i int) *pipeline.FindingUpdate {
	return &pipeline.FindingUpdate{Kind: pipeline.FindingNew, At: time.Unix(int64(1_700_000_000+i), 0).UTC(),
		Finding: finding.Finding{ID: fmt.Sprintf("HW-%04d", i), Rule: finding.RuleCrossZone, Severity: finding.High, Count: uint64(i + 1)}}
}

// consumeAll reads deliveries until want arrived or the time is up,
// acknowledging each.
func consumeAll(t *testing.T, c *Consumer, want int, within time.Duration) []*Message {
	t.Helper()
	var out []*Message
	deadline := time.Now().Add(within)
	for len(out) < want && time.Now().Before(deadline) {
		ds, err := c.Fetch(256, 500*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ds {
			if ds[i].Err != nil {
				t.Fatalf("delivery: %v", ds[i].Err)
			}
			out = append(out, ds[i].Msg)
			ds[i].Ack()
		}
	}
	// Nothing more comes.
	ds, _ := c.Fetch(256, 300*time.Millisecond)
	for i := range ds {
		out = append(out, ds[i].Msg)
		ds[i].Ack()
	}
	return out
}

func waitFor(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPublishConsume: findings, events and a heartbeat go through an
// embedded NATS to a durable consumer, in order, on their subjects, with
// their ids.
func TestPublishConsume(t *testing.T) {
	ns := embedded(t, "127.0.0.1:0", t.TempDir())
	defer ns.Shutdown()
	testPublishConsume(t, ns.URL(), "t1", "harborwatch-serve")
}

// TestMachineNATS: the same against the machine's NATS at 127.0.0.1:4222
// (skipped when it does not answer, unless HARBORWATCH_REQUIRE_NATS=1).
func TestMachineNATS(t *testing.T) {
	url := MachineNATS(t)
	site := fmt.Sprintf("test-%d", time.Now().UnixNano())
	testPublishConsume(t, url, site, "test-"+site)
	deleteConsumer(t, url, "test-"+site)
}

func deleteConsumer(t *testing.T, url, durable string) {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := js.DeleteConsumer(context.Background(), Stream, durable); err != nil {
		t.Errorf("delete consumer: %v", err)
	}
	// And the test's messages: the next test's consumer need not read them.
	if st, err := js.Stream(context.Background(), Stream); err == nil {
		st.Purge(context.Background(), jetstream.WithPurgeSubject(SubjectPrefix+"."+strings.TrimPrefix(durable, "test-")+".>"))
	}
}

// MachineNATS returns the URL of the machine's NATS, or skips.
func MachineNATS(t *testing.T) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:4222", time.Second)
	if err != nil {
		if os.Getenv("HARBORWATCH_REQUIRE_NATS") == "1" {
			t.Fatalf("NATS at 127.0.0.1:4222 is required (HARBORWATCH_REQUIRE_NATS=1) but does not answer: %v", err)
		}
		t.Skip("no NATS at 127.0.0.1:4222 (HARBORWATCH_REQUIRE_NATS=1 makes this a failure)")
	}
	c.Close()
	return "nats://127.0.0.1:4222"
}

func testPublishConsume(t *testing.T, url, site, durable string) {
	p, err := NewPublisher(Options{URL: url, Site: site, Sensor: "sts01", Spool: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		p.Finding(update(i))
		p.Event(&event.Event{TS: time.Unix(int64(i), 0).UTC(), Proto: "modbus", Op: "write", Detail: map[string]any{"n": i}})
	}
	p.Heartbeat(Heartbeat{Started: time.Now().UTC(), Packets: 7})
	st := p.Close(10 * time.Second)
	if st.Published != 201 || st.Pending != 0 || st.DroppedTotal() != 0 {
		t.Fatalf("stats %+v, want 201 published", st)
	}
	c, err := NewConsumer(context.Background(), ConsumerOptions{URL: url, Durable: durable, Sites: []string{site}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ms := consumeAll(t, c, 201, 10*time.Second)
	if len(ms) != 201 {
		t.Fatalf("consumed %d messages, want 201", len(ms))
	}
	for i, m := range ms {
		if m.Seq != uint64(i+1) || m.Run != p.Run() || m.Site != site || m.Sensor != "sts01" {
			t.Fatalf("message %d: seq %d run %s site %s", i, m.Seq, m.Run, m.Site)
		}
	}
	if f := ms[198].Finding; f == nil || f.Finding.ID != "HW-0099" || f.Finding.Count != 100 || f.Finding.Severity != finding.High {
		t.Errorf("message 199: %+v", ms[198])
	}
	if e := ms[199].Event; e == nil || e.Proto != "modbus" || e.Detail["n"] != float64(99) {
		t.Errorf("message 200: %+v", ms[199])
	}
	if h := ms[200].Heartbeat; h == nil || h.Packets != 7 || h.Published+uint64(h.Pending) != 200 {
		t.Errorf("heartbeat %+v", ms[200].Heartbeat)
	}
}

// TestLinkDown: while the NATS server is down the publisher queues on
// disk; when it is back everything arrives, oldest first, once.
func TestLinkDown(t *testing.T) {
	addr, dir := freeAddr(t), t.TempDir()
	ns := embedded(t, addr, dir)
	p, err := NewPublisher(Options{URL: "nats://" + addr, Site: "t1", Sensor: "s", Spool: t.TempDir(), Retry: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		p.Finding(update(i))
	}
	waitFor(t, "the first 50 published", 10*time.Second, func() bool { return p.Stats().Published == 50 })
	ns.Shutdown()
	waitFor(t, "the link to drop", 5*time.Second, func() bool { return !p.Stats().Connected })
	for i := 50; i < 2050; i++ {
		p.Finding(update(i))
	}
	time.Sleep(300 * time.Millisecond)
	if st := p.Stats(); st.Published != 50 || st.Pending != 2000 || st.Failures == 0 {
		t.Fatalf("while down: %+v, want 50 published and 2000 pending", st)
	}
	ns = embedded(t, addr, dir)
	defer ns.Shutdown()
	waitFor(t, "the queue to drain", 20*time.Second, func() bool { return p.Stats().Published == 2050 })
	st := p.Close(5 * time.Second)
	if st.Pending != 0 || st.DroppedTotal() != 0 {
		t.Fatalf("after: %+v", st)
	}
	c, err := NewConsumer(context.Background(), ConsumerOptions{URL: ns.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ms := consumeAll(t, c, 2050, 20*time.Second)
	if len(ms) != 2050 {
		t.Fatalf("consumed %d, want 2050", len(ms))
	}
	for i, m := range ms {
		if m.Seq != uint64(i+1) {
			t.Fatalf("message %d has seq %d: not in order, or lost or doubled", i, m.Seq)
		}
	}
}

// TestRestartSendsLeftovers: messages a sensor could not send before it
// stopped are sent by its next run, before the new ones.
func TestRestartSendsLeftovers(t *testing.T) {
	addr, spoolDir := freeAddr(t), t.TempDir()
	p, err := NewPublisher(Options{URL: "nats://" + addr, Site: "t1", Sensor: "s", Spool: spoolDir})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		p.Finding(update(i))
	}
	if st := p.Close(200 * time.Millisecond); st.Pending != 30 || st.Published != 0 {
		t.Fatalf("first run: %+v", st)
	}
	ns := embedded(t, addr, t.TempDir())
	defer ns.Shutdown()
	p, err = NewPublisher(Options{URL: "nats://" + addr, Site: "t1", Sensor: "s", Spool: spoolDir})
	if err != nil {
		t.Fatal(err)
	}
	p.Finding(update(30))
	if st := p.Close(10 * time.Second); st.Published != 31 || st.Pending != 0 {
		t.Fatalf("second run: %+v", st)
	}
	c, err := NewConsumer(context.Background(), ConsumerOptions{URL: ns.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ms := consumeAll(t, c, 31, 10*time.Second)
	if len(ms) != 31 || ms[0].Finding.Finding.ID != "HW-0000" || ms[30].Finding.Finding.ID != "HW-0030" || ms[0].Run == ms[30].Run {
		t.Fatalf("%d messages", len(ms))
	}
}

// TestOverflowCounted: what the local queue cannot hold while the link is
// down is counted by kind, and everything it held arrives.
func TestOverflowCounted(t *testing.T) {
	addr := freeAddr(t)
	p, err := NewPublisher(Options{URL: "nats://" + addr, Site: "t1", Sensor: "s", Spool: t.TempDir(), SpoolMax: 64 << 10, Retry: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		p.Finding(update(i))
	}
	st := p.Stats()
	if st.Dropped[KindFinding] == 0 || st.Queued+st.Dropped[KindFinding] != 1000 || st.Pending != int64(st.Queued) {
		t.Fatalf("stats %+v: want drops counted, queued + dropped = 1000", st)
	}
	ns := embedded(t, addr, t.TempDir())
	defer ns.Shutdown()
	final := p.Close(20 * time.Second)
	if final.Published != st.Queued || final.Dropped[KindFinding] != st.Dropped[KindFinding] {
		t.Fatalf("final %+v, want %d published", final, st.Queued)
	}
	t.Logf("64 KiB queue: %d of 1000 findings held and published, %d dropped and counted", final.Published, final.Dropped[KindFinding])
}

// TestDecodeRefuses: messages whose content disagrees with their subject
// or id, or lack their body, are refused with a reason.
func TestDecodeRefuses(t *testing.T) {
	good := `{"v":1,"kind":"heartbeat","site":"t1","sensor":"s","run":"r1","seq":3,"heartbeat":{}}`
	subj, id := "harborwatch.t1.heartbeat.s", "t1.s.r1.3"
	if _, err := Decode(subj, id, []byte(good)); err != nil {
		t.Fatalf("good message: %v", err)
	}
	for _, c := range []struct{ name, subj, id, data, want string }{
		{"not json", subj, id, `{`, "bad message"},
		{"version", subj, id, strings.Replace(good, `"v":1`, `"v":9`, 1), "version"},
		{"other site's subject", "harborwatch.t2.heartbeat.s", id, good, "came on subject"},
		{"other id", subj, "t1.s.r1.4", good, "does not match"},
		{"no body", subj, id, strings.Replace(good, `,"heartbeat":{}`, ``, 1), "without its heartbeat"},
		{"bad site", "harborwatch.t.1.heartbeat.s", "t.1.s.r1.3", strings.Replace(good, `"t1"`, `"t.1"`, 1), "not allowed"},
		{"unknown kind", "harborwatch.t1.x.s", id, strings.Replace(good, `"heartbeat":{}`, `"heartbeat":{}`, 1)[0:0] + strings.Replace(good, `"kind":"heartbeat"`, `"kind":"x"`, 1), "unknown kind"},
		{"finding without rule", "harborwatch.t1.finding.s", id, strings.Replace(strings.Replace(good, `"kind":"heartbeat"`, `"kind":"finding"`, 1), `"heartbeat":{}`, `"finding":{"finding":{"id":"HW-1"}}`, 1), "without its finding"},
		{"no seq", subj, "t1.s.r1.0", strings.Replace(good, `"seq":3`, `"seq":0`, 1), "no run"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.subj, c.id, []byte(c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want %q", err, c.want)
			}
		})
	}
}

// FuzzDecode: no input panics Decode, and what it accepts has the
// subject and id it came with.
func FuzzDecode(f *testing.F) {
	f.Add("harborwatch.t1.heartbeat.s", "t1.s.r1.3", []byte(`{"v":1,"kind":"heartbeat","site":"t1","sensor":"s","run":"r1","seq":3,"heartbeat":{}}`))
	f.Add("harborwatch.t1.finding.s", "t1.s.r1.1", []byte(`{"v":1,"kind":"finding","site":"t1","sensor":"s","run":"r1","seq":1,"finding":{"kind":"new","finding":{"id":"HW-1","rule":"segmentation.cross-zone","severity":"high"}}}`))
	f.Add("harborwatch.t1.asset.s", "t1.s.r1.1", []byte(`{"v":1,"kind":"asset","site":"t1","sensor":"s","run":"r1","seq":1,"asset":{"id":"mac:00:01"}}`))
	f.Fuzz(func(t *testing.T, subject, id string, data []byte) {
		m, err := Decode(subject, id, data)
		if err != nil {
			return
		}
		if m.Subject() != subject || m.ID() != id {
			t.Fatalf("accepted %q %q as %q %q", subject, id, m.Subject(), m.ID())
		}
	})
}

// FuzzSpooled: a queued record that parses keeps subject and id.
func FuzzSpooled(f *testing.F) {
	f.Add(appendSpooled(nil, "harborwatch.a.b.c", "a.c.r.1", []byte("{}")))
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, rec []byte) {
		s, id, data, ok := parseSpooled(rec)
		if !ok {
			return
		}
		again := appendSpooled(nil, s, id, data)
		if s2, id2, d2, ok := parseSpooled(again); !ok || s2 != s || id2 != id || string(d2) != string(data) {
			t.Fatalf("round trip of %q", rec)
		}
	})
}

// TestSeveralSites: one consumer of two named sites gets exactly their
// messages, not a third site's — through one consumer filtered on both
// (NATS 2.10 and later: the embedded server) and through a consumer per
// site (older servers: the machine's NATS may be one).
func TestSeveralSites(t *testing.T) {
	run := func(t *testing.T, url, tag string) {
		sites := []string{tag + "-a", tag + "-b", tag + "-c"}
		for i, s := range sites {
			p, err := NewPublisher(Options{URL: url, Site: s, Sensor: "sts01", Spool: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			for j := range 40 + 10*i {
				p.Finding(update(j))
			}
			if st := p.Close(10 * time.Second); st.Pending != 0 || st.DroppedTotal() != 0 {
				t.Fatalf("site %s: %+v", s, st)
			}
		}
		durable := "test-" + tag
		c, err := NewConsumer(context.Background(), ConsumerOptions{URL: url, Durable: durable, Sites: sites[:2]})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if lag, err := c.Lag(context.Background()); err != nil || lag != 90 {
			t.Errorf("lag %d (%v), want 90", lag, err)
		}
		per := map[string]int{}
		for _, m := range consumeAll(t, c, 90, 20*time.Second) {
			per[m.Site]++
		}
		if per[sites[0]] != 40 || per[sites[1]] != 50 || len(per) != 2 {
			t.Errorf("consumed per site %v, want 40 of %s and 50 of %s only", per, sites[0], sites[1])
		}
		t.Logf("%d consumer(s)", len(c.cons))
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		for _, d := range []string{durable, durable + "-" + sites[0], durable + "-" + sites[1]} {
			js.DeleteConsumer(context.Background(), Stream, d)
		}
		if st, err := js.Stream(context.Background(), Stream); err == nil {
			for _, s := range sites {
				st.Purge(context.Background(), jetstream.WithPurgeSubject(SubjectPrefix+"."+s+".>"))
			}
		}
	}
	t.Run("embedded", func(t *testing.T) {
		ns := embedded(t, "127.0.0.1:0", t.TempDir())
		defer ns.Shutdown()
		run(t, ns.URL(), "emb")
	})
	t.Run("machine", func(t *testing.T) {
		run(t, MachineNATS(t), fmt.Sprintf("test%d", time.Now().UnixNano()))
	})
}

// TestEvidenceThroughQueue: evidence files queued while the link is down
// reach the object store when it returns, before the findings queued
// after them are published, byte for byte; one the queue cannot hold is
// counted.
func TestEvidenceThroughQueue(t *testing.T) {
	addr := freeAddr(t)
	p, err := NewPublisher(Options{URL: "nats://" + addr, Site: "t1", Sensor: "s", Spool: t.TempDir(), SpoolMax: 256 << 10, Retry: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for i := range 3 {
		data := make([]byte, 30000+i)
		for j := range data {
			data[j] = byte(i*31 + j)
		}
		name := EvidenceObject("t1", "s", fmt.Sprintf("HW-%04d", i), "pcap")
		if err := p.Evidence(name, data); err != nil {
			t.Fatal(err)
		}
		files[name] = data
		p.Finding(update(i))
	}
	if err := p.Evidence(EvidenceObject("t1", "s", "HW-BIG", "pcap"), make([]byte, 300<<10)); err == nil {
		t.Fatal("a file larger than the queue was taken")
	}
	if st := p.Stats(); st.Dropped[KindEvidence] != 1 || st.Queued != 3 {
		t.Fatalf("stats %+v: want 1 evidence file dropped and counted, 3 findings queued", st)
	}
	ns := embedded(t, addr, t.TempDir())
	defer ns.Shutdown()
	st := p.Close(20 * time.Second)
	if st.Published != 3 || st.Evidence != 3 || st.Pending != 0 {
		t.Fatalf("final %+v: want 3 findings published and 3 evidence files stored", st)
	}
	c, err := NewConsumer(context.Background(), ConsumerOptions{URL: ns.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ms := consumeAll(t, c, 3, 10*time.Second); len(ms) != 3 {
		t.Fatalf("consumed %d messages, want 3 findings (evidence is not on the stream)", len(ms))
	}
	for name, want := range files {
		got, err := c.Evidence(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("%s: %d bytes back, not the %d queued", name, len(got), len(want))
		}
	}
	if _, err := c.Evidence(context.Background(), "t1/s/HW-BIG.pcap"); !errors.Is(err, ErrNoEvidence) {
		t.Fatalf("the dropped file: %v, want not found", err)
	}
}

// TestEvidenceRefused: an evidence file the object store will never take
// (the bucket is full) is given up after a few tries with the link up,
// counted as dropped; the findings queued after it are published.
func TestEvidenceRefused(t *testing.T) {
	ns := embedded(t, "127.0.0.1:0", t.TempDir())
	defer ns.Shutdown()
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	// The bucket made beforehand, too small for the file.
	if _, err := js.CreateObjectStore(context.Background(), jetstream.ObjectStoreConfig{Bucket: EvidenceBucket, MaxBytes: 4 << 10}); err != nil {
		t.Fatal(err)
	}
	p, err := NewPublisher(Options{URL: ns.URL(), Site: "t1", Sensor: "s", Spool: t.TempDir(), Retry: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Evidence(EvidenceObject("t1", "s", "HW-0000", "pcap"), make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		p.Finding(update(i))
	}
	st := p.Close(30 * time.Second)
	if st.Published != 5 || st.Pending != 0 || st.Evidence != 0 || st.Dropped[KindEvidence] != 1 {
		t.Fatalf("stats %+v: want the 5 findings published and the refused file dropped and counted", st)
	}
}
