package pipeline

import (
	"io"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/detect"
	"harborwatch/finding"
	"harborwatch/inventory"
	"harborwatch/observe"
	"harborwatch/runstats"
	"harborwatch/site"
)

// FuzzHandle drives a shard with hostile frames: every byte of a frame
// goes through decode, the flow table, the identification probes and
// whichever parsers they pick, then detection. The same frame is offered
// twice per port pair direction so that flows reach their parsers; no
// panic, no over-read (the frame has no spare capacity).
func FuzzHandle(f *testing.F) {
	for _, n := range []string{"modbus_example.pcap", "s7comm_plus.pcap", "enip_cip_example.pcap"} {
		src, err := capture.Open("testdata/" + n)
		if err != nil {
			f.Fatal(err)
		}
		for i := 0; ; i++ {
			var p capture.Packet
			err := src.Next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Fatal(err)
			}
			l2 := len(p.Data) > 14 && p.Data[12] != 0x08 && p.Data[12] != 0x86 // LLDP, STP…
			if i%7 == 0 || l2 {
				f.Add(append([]byte(nil), p.Data...), uint8(capture.LinkEthernet))
			}
		}
		src.Close()
	}
	for _, fr := range discoveryFrames(f) {
		f.Add(fr, uint8(capture.LinkEthernet))
	}
	for _, d := range pnUDPTraffic() { // PROFINET RT_CLASS_UDP
		f.Add(pnEthUDP(d.src, d.dst, d.b), uint8(capture.LinkEthernet))
	}
	st, err := site.Load("../examples/terminal/site.yaml")
	if err != nil {
		f.Fatal(err)
	}
	eng := detect.New(detect.Options{Site: st})
	oe := observe.New(observe.Options{Site: st})
	f.Fuzz(func(t *testing.T, frame []byte, link uint8) {
		links := []capture.LinkType{capture.LinkEthernet, capture.LinkRaw, capture.LinkLinuxSLL, capture.LinkLinuxSLL2}
		s := newShard(eng, oe, budget{flows: 64, flowBytes: 64 << 20}, true, []string{"fuzz"})
		// Stream as a run with a Sink does, on an epoch of 1.5 ms so that
		// flows are judged open, findings handed on at epochs, and events
		// merged.
		var rec recorder
		out := &syncSink{sink: &rec}
		s.stream(0, out, newMerger(out, 1), &Options{Sink: &rec, Findings: true, Flows: true, Observations: true, Epoch: 1500 * time.Microsecond, FlowInterval: time.Millisecond})
		data := frame[:len(frame):len(frame)]
		p := capture.Packet{Data: data, OrigLen: len(data), Link: links[int(link)%len(links)], Number: 1, TS: 1e9}
		for i := range 4 {
			p.Number = int64(i + 1)
			p.TS += 1e6
			s.seq = uint64(i + 1)
			s.handle(&p)
			s.pushEvents(s.seq)
		}
		s.flows.Flush()
		// Cyclic I/O, at layer 2 or over UDP, sums into the run's stats.
		var rs runstats.Stats
		pnStats(&rs, []*shard{s})
		if io := rs.CyclicIO; io != nil {
			var n uint64
			for _, c := range io.Conns {
				n += c.Frames
			}
			if n+io.DroppedFrames > io.Frames { // frames too short for their status are not a connection's
				t.Fatalf("cyclic I/O: %d frames, %d in connections, %d dropped", io.Frames, n, io.DroppedFrames)
			}
		}
		s.drain(time.Unix(0, p.TS), ^uint64(0))
		s.pushEvents(^uint64(0))
		s.mg.flush()
		obs := oe.Finish([]*observe.State{s.obs})
		res := eng.Finish([]*detect.State{s.det}, obs, []string{"fuzz"})
		for _, fd := range res.Findings {
			if fd.Rule == "" || len(fd.Evidence) == 0 {
				t.Fatalf("incomplete finding %+v", fd)
			}
		}
		// The stream folds to the run's findings (but those decided at the
		// end over every host).
		var fold Fold
		for i := range rec.updates {
			fold.Add(&rec.updates[i].FindingUpdate)
		}
		var flowFindings []finding.Finding
		for _, fd := range res.Findings {
			if !detect.HostLevel(fd.Rule) {
				flowFindings = append(flowFindings, fd)
			}
		}
		sameFindings(t, fold.Findings(), flowFindings)
		// What hostile frames made of the hosts and stations (names,
		// descriptions, addresses) goes through the inventory too.
		inv := inventory.Build(inventory.Options{Site: st, Observed: obs, Captures: []string{"fuzz"}})
		for _, a := range inv.Assets {
			if a.ID == "" {
				t.Fatalf("asset without id %+v", a)
			}
		}
	})
}
