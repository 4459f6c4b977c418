package pipeline

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"harborwatch/ics/profinet"
	"harborwatch/proto"
	"harborwatch/runstats"
	"harborwatch/site"
)

// pnRTSpec reads the flows profinet.ProbeRT names, PROFINET real-time
// frames over UDP (RT_CLASS_UDP): its one Flow hands each datagram to the
// shard's PROFINET reader (profinet.L2.UDP), the one that counts the
// layer-2 frames, for the I/O connections of both are counted and
// reported alike; over UDP a connection is keyed by the provider's and
// consumer's addresses and ports, which the shard's reporter knows. It
// shares the name of the PNIO-CM analyzer: the flows of both are
// PROFINET's in the run's statistics.
var pnRTSpec = proto.Spec{Name: "profinet", New: func() proto.Analyzer { return pnRT{} }}

// pnRT is pnRTSpec's analyzer and its Flow; it holds nothing.
type pnRT struct{}

func (pnRT) Open(proto.Transport) proto.Flow { return pnRT{} }
func (pnRT) Close(proto.Flow)                {}

// Feed reads one datagram; r is the shard's reporter, pointed at its flow
// (the pipeline feeds no other).
func (pnRT) Feed(r proto.Reporter, _ bool, b []byte) (int, error) {
	if rep, ok := r.(*reporter); ok {
		rep.s.pnUDP(rep, b)
	}
	return len(b), nil
}

// pnUDP reads an RT_CLASS_UDP datagram of the packet in hand. What cannot
// be read is counted by the reader (decode_errors "profinet") and is a
// violation of the flow.
func (s *shard) pnUDP(rep *reporter, b []byte) {
	pn := s.pnInit()
	p := &s.pkt
	pn.rep = rep
	if err := pn.l2.UDP(b, netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort), pn.emitUDP); err != nil {
		rep.Violation()
	}
	pn.rep = nil
}

// pnUDPFrame handles what the reader emits of a datagram (a connection's
// first frame, a change of its data status, an alarm): its operation for
// detection, the flow confirmed, and the event, from and to the
// datagram's addresses and ports.
func (s *shard) pnUDPFrame(f *profinet.Frame) {
	rep := s.pn.rep
	op := f.Op()
	rep.Op(proto.Op{Op: op, Request: f.Request(), PDU: f})
	if f.Malformed() {
		rep.Violation() // counted by the reader
	} else {
		rep.Confirm()
	}
	if !rep.Events() || !rep.EventOp(op) {
		return
	}
	d := map[string]any{}
	f.Detail(d)
	rep.Event(proto.Event{Proto: f.Proto(), Op: op, Name: f.Name(), Status: f.Status(),
		Func: f.Func(), HasFunc: true, Response: !f.Request(), Detail: d})
}

// pnStats adds the shards' PROFINET cyclic I/O to st: every connection
// each reader counted, the frames and connections they had no room for.
func pnStats(st *runstats.Stats, shards []*shard) {
	var io runstats.CyclicIO
	for _, s := range shards {
		l := s.pn.l2
		if l == nil {
			continue
		}
		for c := range profinet.NumClasses {
			if c.Cyclic() {
				io.Frames += l.Frames[c]
			}
		}
		io.DroppedFrames += l.Dropped
		io.DroppedConns += l.DroppedConns
		l.Conns(func(c *profinet.IOConn) {
			ic := runstats.IOConn{Protocol: "profinet", Transport: "ethernet", Provider: site.MAC(c.Src).String(), Consumer: site.MAC(c.Dst).String(),
				VLAN: c.VLAN, FrameID: c.FrameID, Class: profinet.ClassOf(c.FrameID).String(), Frames: c.Packets, Bytes: c.Bytes,
				Changes: c.Changes, Stopped: c.Stopped, Invalid: c.Invalid, LastStatus: pnStatus(c.DataStatus)}
			if c.SrcAddr.IsValid() {
				ic.Transport, ic.Provider, ic.Consumer = "udp", c.SrcAddr.String(), c.DstAddr.String()
				ic.Class = profinet.ClassOfUDP(c.FrameID).String()
			}
			io.Conns = append(io.Conns, ic)
		})
	}
	if io.Frames == 0 {
		return
	}
	slices.SortFunc(io.Conns, func(a, b runstats.IOConn) int {
		return cmp.Or(strings.Compare(a.Transport, b.Transport), strings.Compare(a.Provider, b.Provider),
			strings.Compare(a.Consumer, b.Consumer), cmp.Compare(a.FrameID, b.FrameID), cmp.Compare(a.VLAN, b.VLAN))
	})
	if io.Conns == nil {
		io.Conns = []runstats.IOConn{}
	}
	st.CyclicIO = &io
}

// pnStatus describes a data status: "run" or "stop", then what is amiss.
func pnStatus(ds uint8) string {
	s := "stop"
	if ds&profinet.StatusRun != 0 {
		s = "run"
	}
	if ds&profinet.StatusValid == 0 {
		s += ", invalid"
	}
	if ds&profinet.StatusNoProblem == 0 {
		s += ", problem"
	}
	if ds&profinet.StatusPrimary == 0 {
		s += ", backup"
	}
	return s
}
