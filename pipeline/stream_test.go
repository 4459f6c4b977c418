package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/detect"
	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/internal/synth"
	"harborwatch/observe"
	"harborwatch/site"
)

// s7Session is a synth.Stream: an S7 connection from a client that polls
// the PLC every poll for length, and downloads one block at download.
type s7Session struct {
	ex []synth.Exchange
	i  int
}

func (s *s7Session) Next() (synth.Exchange, bool) {
	if s.i >= len(s.ex) {
		return synth.Exchange{}, false
	}
	s.i++
	return s.ex[s.i-1], true
}

func newS7Session(r *rand.Rand, poll, length, download time.Duration) *s7Session {
	cl := func(b []byte, after time.Duration) synth.Exchange { return synth.Exchange{Data: b, After: after} }
	sv := func(b []byte, after time.Duration) synth.Exchange {
		return synth.Exchange{Data: b, After: after, FromServer: true}
	}
	ex := []synth.Exchange{
		cl(synth.COTPConnectRequest(1, synth.S7TSAPClient, synth.S7TSAPPLC), 0),
		sv(synth.COTPConnectConfirm(1, 0x44, synth.S7TSAPClient, synth.S7TSAPPLC), time.Millisecond),
		cl(synth.S7SetupCommunication(1, 480), time.Millisecond),
		sv(synth.S7SetupCommunicationAck(1, 480), 2*time.Millisecond),
	}
	read := synth.S7ReadVar(7, synth.S7Item{Area: 0x84, DB: 1, Start: 0, Len: 4})
	ack := synth.S7ReadVarAck(7, []byte{1, 2, 3, 4})
	var at time.Duration
	done := false
	for at < length {
		if !done && at >= download {
			done = true
			file := "_" + synth.S7BlockFile(synth.S7BlockFC, 12)
			blk := synth.S7Block(r, 3, synth.S7BlockFC, 12, 300)
			ex = append(ex,
				cl(synth.S7RequestDownload(2, file, len(blk), len(blk)-56), 0),
				sv(synth.S7RequestDownloadAck(2), 3*time.Millisecond),
				sv(synth.S7DownloadBlock(0x100, file), time.Millisecond),
				cl(synth.S7DownloadBlockAck(0x100, false, blk), time.Millisecond),
				sv(synth.S7DownloadEnded(0x101, file), 2*time.Millisecond),
				cl(synth.S7DownloadEndedAck(0x101), time.Millisecond))
		}
		ex = append(ex, cl(read, poll), sv(ack, 2*time.Millisecond))
		at += poll
	}
	return &s7Session{ex: ex}
}

// recorded is an update with the number of events the Sink had received
// before it.
type recorded struct {
	FindingUpdate
	events int
}

// recorder is a Sink that keeps what it is given.
type recorder struct {
	obs     []observe.Observation
	obsAt   []int // events received before each observation
	updates []recorded
	events  []event.Event
	flows   []FlowRecord
}

func (r *recorder) Event(e *event.Event) { r.events = append(r.events, *e) }
func (r *recorder) Finding(u *FindingUpdate) {
	r.updates = append(r.updates, recorded{*u, len(r.events)})
}
func (r *recorder) Flow(f *FlowRecord) { r.flows = append(r.flows, *f) }
func (r *recorder) Observation(o *observe.Observation) {
	r.obs = append(r.obs, *o)
	r.obsAt = append(r.obsAt, len(r.events))
}

// TestStreamLongConnection: an S7 connection that stays open for 25 hours
// of packet time (it never closes in the capture), with a program download
// from the business network at hour 3. The download's finding must reach
// the Sink long before the capture ends, within one epoch of packet time
// of the download; the crossing itself within one epoch of the
// connection's start; and the flow is reported while it is open.
func TestStreamLongConnection(t *testing.T) {
	st, err := site.Parse("identify.yaml", []byte(identifySite))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	b := synth.New(w, start, 5)
	b.TCPStream(hBiz, hPLC, 50123, 102, newS7Session(rand.New(rand.NewPCG(1, 2)), time.Minute, 25*time.Hour, 3*time.Hour))
	if err := b.Stop(start.Add(25*time.Hour + 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			src, err := capture.NewReader(bytes.NewReader(data), "long.pcap")
			if err != nil {
				t.Fatal(err)
			}
			var rec recorder
			res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: workers, Sink: &rec, Findings: true, Flows: true, Events: true, Observations: true})
			if err != nil {
				t.Fatal(err)
			}
			last := *res.Stats.LastTS
			if d := last.Sub(start); d < 24*time.Hour {
				t.Fatalf("capture covers %v, want ≥ 24h", d)
			}
			var download, crossing *recorded
			for i := range rec.updates {
				u := &rec.updates[i]
				switch {
				case u.Finding.Rule == finding.RuleICSProgramDownload && download == nil:
					download = u
				case u.Finding.Rule == finding.RuleCrossZone && crossing == nil:
					crossing = u
				}
			}
			if download == nil || crossing == nil {
				t.Fatalf("updates %v: want a program download and a crossing", rec.updates)
			}
			if download.Kind != FindingNew || crossing.Kind != FindingNew {
				t.Errorf("first updates are %s and %s, want new", download.Kind, crossing.Kind)
			}
			proof := download.Finding.FirstSeen
			if h := proof.Sub(start); h < 3*time.Hour || h > 3*time.Hour+2*time.Minute {
				t.Errorf("download seen at %v after the start, want hour 3", h)
			}
			if lag := download.At.Sub(proof); lag < 0 || lag > time.Second {
				t.Errorf("download finding reached the Sink %v after its packet, want ≤ one epoch (1s)", lag)
			}
			if !download.At.Before(last) {
				t.Errorf("download finding at %v, not before the capture's last packet %v", download.At, last)
			}
			// The connection is judged open at its first packet after one
			// epoch of its life: the first poll, a minute in.
			if lag := crossing.At.Sub(crossing.Finding.FirstSeen); lag > time.Minute+2*time.Second {
				t.Errorf("crossing reached the Sink %v after the connection started, want within an epoch of its first poll", lag)
			}
			if crossing.Finding.Count != 1 {
				t.Errorf("crossing counted %d times while open, want 1", crossing.Finding.Count)
			}
			// The update reached the Sink while the capture was still
			// being read: most events (of the 22 hours after it) came
			// after it.
			if download.events > len(rec.events)/4 {
				t.Errorf("download finding handed on after %d of %d events", download.events, len(rec.events))
			}
			t.Logf("download at +%v handed on at +%v after %d of %d events; crossing handed on at +%v; %d updates",
				proof.Sub(start), download.At.Sub(start), download.events, len(rec.events), crossing.At.Sub(start), len(rec.updates))
			// Both ends are news when the connection is judged open, a
			// minute in, not at its end a day later; once each.
			seen := map[netip.Addr]int{}
			for i, o := range rec.obs {
				if o.Kind == observe.KindHost {
					seen[o.IP]++
					if o.Via != "flow" || o.Seen.Sub(start) > time.Second || o.Zone == "" || rec.obsAt[i] > 20 {
						t.Errorf("host observation %+v after %d events", o, rec.obsAt[i])
					}
				}
			}
			if seen[hBiz.IP] != 1 || seen[hPLC.IP] != 1 || len(seen) != 2 {
				t.Errorf("host observations %v, want %s and %s once each", seen, hBiz.IP, hPLC.IP)
			}
			// The connection is reported while open, once a minute of
			// packet time, then once at its end, all under one uid.
			var open, closed int
			uids := map[string]bool{}
			for _, f := range rec.flows {
				uids[f.UID] = true
				if f.Open {
					open++
				} else {
					closed++
				}
			}
			if open < 24*60 || closed != 1 || len(uids) != 1 {
				t.Errorf("%d open and %d final flow records under %d uids, want ≥ 1440, 1 and 1", open, closed, len(uids))
			}
			// Its two hosts are observed once, at its end: judging it while
			// open records none of its packets.
			var pkts uint64
			for _, a := range res.Assets {
				pkts += a.Packets
			}
			if len(res.Assets) != 2 || pkts != res.Stats.Packets || res.Observation == nil || len(res.Observation.Assets) != 2 {
				t.Errorf("%d assets with %d packets, want 2 with the capture's %d", len(res.Assets), pkts, res.Stats.Packets)
			}
			// The fold of the updates is the run's report.
			var fold Fold
			for i := range rec.updates {
				fold.Add(&rec.updates[i].FindingUpdate)
			}
			sameFindings(t, fold.Findings(), res.Findings)
			if len(rec.events) < 1500 || !slices.IsSortedFunc(rec.events, func(a, b event.Event) int {
				return a.TS.Compare(b.TS)
			}) {
				t.Errorf("%d events, sorted: want ≥ 1500 in packet-time order", len(rec.events))
			}
		})
	}
}

// sameFindings compares two lists of findings field by field (as the JSON
// report would show them).
func sameFindings(t *testing.T, got, want []finding.Finding) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d findings, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := fmt.Sprintf("%+v", got[i]), fmt.Sprintf("%+v", want[i])
		if g != w {
			t.Errorf("finding %d:\n got %s\nwant %s", i, g, w)
		}
	}
}

// TestStreamFoldIsReport: on the shipped example and on a terminal with
// every scenario and background load, the last update of each finding
// that reached the Sink is the finding the run reports, field by field,
// and the run's report is the same with and without a Sink — with 1 and 2
// workers.
func TestStreamFoldIsReport(t *testing.T) {
	type input struct {
		name string
		site *site.Site
		data []byte
	}
	var inputs []input
	ex, err := site.Load("../examples/terminal/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	exData := readFile(t, "../examples/terminal/terminal.pcap")
	inputs = append(inputs, input{"example", ex, exData})
	var all []string
	for _, sc := range synth.TerminalScenarios {
		all = append(all, sc.Name)
	}
	ts, data := terminalCapture(t, synth.TerminalOptions{Cranes: 4, Scenarios: all, Rate: 1500, Duration: 70 * time.Second, Seed: 3})
	inputs = append(inputs, input{"terminal", ts, data})
	run := func(t *testing.T, in input, workers int, sink Sink, events bool) *Result {
		t.Helper()
		res := runBytes(t, in.data, in.name+".pcap", Options{Site: in.site, Workers: workers, Sink: sink, Events: events, Findings: sink != nil, Observations: sink != nil})
		return res
	}
	for _, in := range inputs {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/workers=%d", in.name, workers), func(t *testing.T) {
				plain := run(t, in, workers, nil, true)
				var rec recorder
				res := run(t, in, workers, &rec, true)
				if len(plain.Findings) < 10 {
					t.Fatalf("%d findings: the input should make many", len(plain.Findings))
				}
				sameFindings(t, res.Findings, plain.Findings)
				var fold Fold
				news := map[string]int{}
				for i := range rec.updates {
					u := &rec.updates[i]
					fold.Add(&u.FindingUpdate)
					if u.Kind == FindingNew {
						news[u.Finding.ID]++
					}
				}
				sameFindings(t, fold.Findings(), res.Findings)
				checkObservations(t, rec.obs, res.Observation)
				for id, n := range news {
					if n != 1 {
						t.Errorf("finding %s was new %d times", id, n)
					}
				}
				// The streamed events are the batch events, in the same order.
				if len(rec.events) != len(plain.Events) || len(rec.events) == 0 {
					t.Fatalf("%d streamed events, %d collected", len(rec.events), len(plain.Events))
				}
				for i := range rec.events {
					g, _ := json.Marshal(&rec.events[i])
					w, _ := json.Marshal(&plain.Events[i])
					if !bytes.Equal(g, w) {
						t.Fatalf("event %d:\n got %s\nwant %s", i, g, w)
					}
				}
			})
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestProgressSnapshot reads the run's counters from inside the Sink while
// the run goes: they only grow, they move before the end, and after the
// run they equal the run's statistics.
func TestProgressSnapshot(t *testing.T) {
	st, data := terminalCapture(t, synth.TerminalOptions{Cranes: 2, NoViolations: true, Rate: 2000, Duration: 40 * time.Second, Seed: 9})
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			src, err := capture.NewReader(bytes.NewReader(data), "t.pcap")
			if err != nil {
				t.Fatal(err)
			}
			prog := &Progress{}
			var prev Snapshot
			mid := 0
			sink := SinkFuncs{OnEvent: func(*event.Event) {
				s := prog.Snapshot()
				if s.Packets < prev.Packets || s.Flows < prev.Flows || s.Events < prev.Events || s.EvictedFlows < prev.EvictedFlows {
					t.Fatalf("counters went back: %+v after %+v", s, prev)
				}
				if s.Flows > 0 && s.Events > 0 {
					mid++
				}
				prev = s
			}}
			res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: workers, Progress: prog, Sink: sink, Events: true, Findings: true})
			if err != nil {
				t.Fatal(err)
			}
			if mid == 0 {
				t.Error("no snapshot during the run showed flows and events")
			}
			s := prog.Snapshot()
			if s.Packets != res.Stats.Packets || s.Bytes != res.Stats.Bytes || s.Flows != res.Stats.Flows ||
				s.EvictedFlows != res.Stats.EvictedFlows || s.ActiveFlows != 0 || s.TCPGaps != res.Stats.TCPGaps {
				t.Errorf("final snapshot %+v, stats %+v", s, res.Stats)
			}
			if s.Events < 1000 || s.FindingUpdates != 0 {
				t.Errorf("%d events, %d finding updates (normal traffic: none)", s.Events, s.FindingUpdates)
			}
		})
	}
}

// TestStreamSameEveryRun: with several workers the shards hand on their
// findings concurrently; the merger orders them, so two runs write the
// same stream of updates, line for line.
func TestStreamSameEveryRun(t *testing.T) {
	var all []string
	for _, sc := range synth.TerminalScenarios {
		all = append(all, sc.Name)
	}
	st, data := terminalCapture(t, synth.TerminalOptions{Cranes: 4, Scenarios: all, Rate: 1500, Duration: 70 * time.Second, Seed: 4})
	run := func() []byte {
		src, err := capture.NewReader(bytes.NewReader(data), "t.pcap")
		if err != nil {
			t.Fatal(err)
		}
		var rec recorder
		if _, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: 3, Sink: &rec, Findings: true}); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for _, u := range rec.updates {
			j, err := json.Marshal(&u.FindingUpdate)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(j)
			b.WriteByte('\n')
		}
		if len(rec.updates) < 20 {
			t.Fatalf("%d updates", len(rec.updates))
		}
		return b.Bytes()
	}
	first := run()
	for range 3 {
		if again := run(); !bytes.Equal(first, again) {
			t.Fatal("two runs wrote different finding streams")
		}
	}
}

// pollSession is a synth.Stream that repeats one request and its answer
// every period for length.
type pollSession struct {
	ex   []synth.Exchange
	left int
	i    int
}

func (p *pollSession) Next() (synth.Exchange, bool) {
	if p.i == len(p.ex) {
		if p.left == 0 {
			return synth.Exchange{}, false
		}
		p.left--
		p.i = 2 // after the session's setup
	}
	p.i++
	return p.ex[p.i-1], true
}

// TestNoAllocsMessages: TestNoAllocs replays segments the reassembly has
// seen, so its analyzers read no new message. Here long S7, Modbus and
// EtherNet/IP connections poll their PLCs; after a warm-up, every packet
// brings new PDUs that go through reassembly, the analyzers, the reporter
// and detection — and the shard allocates nothing.
func TestNoAllocsMessages(t *testing.T) {
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	b := synth.New(w, start, 5)
	cl := func(d []byte, after time.Duration) synth.Exchange { return synth.Exchange{Data: d, After: after} }
	sv := func(d []byte) synth.Exchange {
		return synth.Exchange{Data: d, After: time.Millisecond, FromServer: true}
	}
	const polls = 3000
	b.TCPStream(hEWS, hPLC, 50123, 102, &pollSession{left: polls, ex: []synth.Exchange{
		cl(synth.COTPConnectRequest(1, synth.S7TSAPClient, synth.S7TSAPPLC), 0),
		sv(synth.COTPConnectConfirm(1, 0x44, synth.S7TSAPClient, synth.S7TSAPPLC)),
		cl(synth.S7ReadVar(7, synth.S7Item{Area: 0x84, DB: 1, Len: 4}), 50*time.Millisecond),
		sv(synth.S7ReadVarAck(7, []byte{1, 2, 3, 4})),
	}})
	plc2 := hPLC
	plc2.IP = netip.MustParseAddr("10.10.1.6")
	b.TCPStream(hEWS, plc2, 50124, 502, &pollSession{left: polls, ex: []synth.Exchange{
		cl(synth.ModbusReadHoldingRequest(1, 1, 0, 4), 0),
		sv(synth.ModbusReadHoldingResponse(1, 1, []uint16{1, 2, 3, 4})),
		cl(synth.ModbusReadHoldingRequest(2, 1, 0, 4), 50*time.Millisecond),
		sv(synth.ModbusReadHoldingResponse(2, 1, []uint16{1, 2, 3, 4})),
	}})
	plc3 := hPLC
	plc3.IP = netip.MustParseAddr("10.10.1.7")
	b.TCPStream(hEWS, plc3, 50125, 44818, &pollSession{left: polls, ex: []synth.Exchange{
		cl(synth.ENIPRegisterSession(0, 1), 0),
		sv(synth.ENIPRegisterSession(0x11, 1)),
		cl(synth.ENIPSendRRData(0x11, 2, synth.CIPReadTag("Hoist_Speed", 1)), 50*time.Millisecond),
		sv(synth.ENIPSendRRData(0x11, 2, synth.CIPReadTagReply(0xc4, []byte{1, 0, 0, 0}))),
	}})
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var pkts []capture.Packet
	src, err := capture.NewReader(bytes.NewReader(buf.Bytes()), "poll.pcap")
	if err != nil {
		t.Fatal(err)
	}
	for {
		var p capture.Packet
		if err := src.Next(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		p.Data = slices.Clone(p.Data)
		pkts = append(pkts, p)
	}
	const chunks = 6
	warm := len(pkts) / 3
	per := (len(pkts) - warm) / chunks
	if per < 1000 {
		t.Fatalf("%d packets", len(pkts))
	}
	// The measured packets carry messages: with events on, they make one
	// event per PDU.
	ev := newShard(detect.New(detect.Options{}), observe.New(observe.Options{}), budget{flows: 1 << 12, flowBytes: 64 << 20}, true, []string{"a"})
	for i := range pkts {
		ev.seq = uint64(i + 1)
		ev.handle(&pkts[i])
	}
	counts := map[string]int{}
	for _, e := range ev.evbuf {
		if e.seq > uint64(warm) {
			counts[e.v.Proto]++
		}
	}
	for _, p := range []string{"s7comm", "modbus", "cip"} {
		if counts[p] < polls/2 {
			t.Fatalf("the measured packets make %v events, want ≥ %d %s PDUs", counts, polls/2, p)
		}
	}
	s := newShard(detect.New(detect.Options{}), observe.New(observe.Options{}), budget{flows: 1 << 12, flowBytes: 64 << 20}, false, []string{"a"})
	for i := range pkts[:warm] {
		s.handle(&pkts[i])
	}
	next := warm
	var p capture.Packet // the reader's packet: one for the whole run
	chunk := func() {
		for i := next; i < next+per; i++ {
			p = pkts[i]
			s.handle(&p)
		}
		next += per
	}
	if n := testing.AllocsPerRun(chunks-1, chunk); n != 0 {
		t.Errorf("%.1f allocations per %d packets of polling, want 0", n, per)
	}
}

// checkObservations: every device the run reports was news in the
// observations stream: each asset's address, each station's MAC, and each
// identity field a device gave.
func checkObservations(t *testing.T, obs []observe.Observation, res *observe.Result) {
	t.Helper()
	hosts, stations := map[netip.Addr]bool{}, map[string]bool{}
	ids := map[netip.Addr]map[string]bool{}
	for _, o := range obs {
		switch o.Kind {
		case observe.KindHost:
			hosts[o.IP] = true
		case observe.KindStation:
			stations[o.MAC] = true
		case observe.KindIdentity:
			if ids[o.IP] == nil {
				ids[o.IP] = map[string]bool{}
			}
			for k := range o.Identity {
				ids[o.IP][k] = true
			}
		}
	}
	if len(res.Assets) < 10 {
		t.Fatalf("%d assets", len(res.Assets))
	}
	for _, a := range res.Assets {
		if !hosts[a.IP] {
			t.Errorf("asset %s was never news", a.IP)
		}
		for k := range a.Identity {
			if !ids[a.IP][k] {
				t.Errorf("identity %s of %s was never news", k, a.IP)
			}
		}
	}
	for _, st := range res.Stations {
		if !stations[st.MAC] {
			t.Errorf("station %s was never news", st.MAC)
		}
	}
}

// TestObservationsStations: the two LLDP frames of a real EtherNet/IP
// capture are news of a station, with what it said of itself, and so is
// the adapter's CIP identity.
func TestObservationsStations(t *testing.T) {
	var rec recorder
	res, err := Run(context.Background(), open(t, "enip_cip_example.pcap"), Options{Workers: 2, Sink: &rec, Observations: true})
	if err != nil {
		t.Fatal(err)
	}
	var station, identity bool
	for _, o := range rec.obs {
		switch {
		case o.Kind == observe.KindStation && o.Via == observe.SourceLLDP && len(o.Identity) > 0:
			station = true
		case o.Kind == observe.KindIdentity && o.IP == netip.MustParseAddr("10.1.1.164") && o.Identity["product"] != nil:
			identity = true
		}
	}
	if !station || !identity {
		t.Errorf("observations %+v: want an LLDP station and 10.1.1.164's CIP identity", rec.obs)
	}
	checkObservations(t, rec.obs, res.Observation)
}
