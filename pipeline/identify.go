package pipeline

import (
	"harborwatch/flow"
	"harborwatch/proto"
)

// identify walks the registry's probes of the flow's transport with one
// payload, using the server port as a hint and the payload's first bytes
// as proof. It returns the first line that answers, -1 if none; sure is
// false when the answer may still be refined by later packets (COTP before
// the first S7 PDU shows which S7 dialect it is).
func (s *shard) identify(f *flow.Flow[flowX], dir flow.Dir, pl []byte) (line int, sure bool) {
	t := proto.Transport(f.Proto)
	if t != proto.TCP && t != proto.UDP {
		return -1, true
	}
	fromClient := dir == flow.FromClient
	reg := s.an.reg
	for i := range reg {
		p := &reg[i].probe
		if p.Transport != t {
			continue
		}
		switch p.Check(f.Server.Port, pl, fromClient) {
		case proto.Sure:
			return i, true
		case proto.Maybe:
			return i, false
		}
	}
	return -1, false
}

// attach names the flow's protocol by registry line. A flow whose line
// changes to one of another analyzer gives its state back and starts
// afresh with the new one.
func (s *shard) attach(f *flow.Flow[flowX], line int) {
	x := &f.X
	x.app = s.an.reg[line].app
	if int(x.line) == line+1 {
		return
	}
	if x.line != 0 && s.an.specOf[x.line-1] != s.an.specOf[line] {
		s.release(f)
		x.state = 0
	}
	x.line = uint8(line + 1)
}

// Identification of TCP flows works on each direction's reassembled bytes
// (bounded), not on packets one by one: a first message split into any
// number of segments is seen whole, and the analyzer that names it is fed
// every byte from the flow's first. A flow whose server port belongs to a
// stream analyzer (an industrial protocol: S7 on 102, Modbus on 502,
// EtherNet/IP on 44818, …) and whose first bytes are none of its
// protocol's keeps being searched, at every offset, for up to
// maxProbeSkip bytes: when a PDU boundary appears the analyzer takes the
// flow from there, the bytes before it counted as skipped. Other flows are
// probed on their first maxProbes payload packets and at most
// maxProbeBuffer bytes per direction, as Zeek's dynamic protocol detection
// buffers the start of a connection.
const (
	maxProbeBuffer = 4 << 10
	maxProbeSkip   = 64 << 10
	// probeTail is what a search keeps of bytes it found nothing in: a
	// header cut by the segment's end is found with the next.
	probeTail = 32
)

// probeStream identifies a TCP flow from the reassembled bytes of
// direction dir, with pl the payload of the packet being handled, and when
// it names the flow's protocol hands what was buffered to its analyzer.
func (s *shard) probeStream(f *flow.Flow[flowX], dir flow.Dir, pl []byte) {
	x := &f.X
	st := x.st
	if st == nil {
		st = s.openProbe(f)
	}
	str := &st.streams[dir]
	data, gap := str.Add(s.pkt.Seq, pl, s.cur.TS)
	if x.probes < maxProbes {
		x.probes++
	}
	if data == nil {
		s.charge(st)
		return
	}
	at := 0
	line, sure := s.identify(f, dir, data)
	if line < 0 && len(data) > len(pl) && len(pl) > 0 {
		// The packet alone (a message that starts in it, after bytes of
		// this direction no probe knew).
		if line, sure = s.identify(f, dir, pl); line >= 0 {
			at = len(data) - len(pl)
		}
	}
	search := s.an.seekable(f.Server.Port)
	if line < 0 && search {
		line, sure, at = s.seekProbe(f, dir, data)
	}
	if line >= 0 {
		s.attachProbed(f, st, dir, line, sure, data, at, gap)
		return
	}
	switch {
	case search && st.probed < maxProbeSkip:
		// Nothing here yet: what cannot start a PDU is let go.
		k := max(len(data)-probeTail, 0)
		st.probed += k
		str.Done(data, k)
		s.charge(st)
	case !search && x.probes < maxProbes && len(data) < maxProbeBuffer:
		str.Done(data, 0)
		s.charge(st)
	default:
		x.done = true
		s.release(f)
	}
}

// seekable reports whether flows to server port port are searched past
// their first bytes: it is a port of a stream analyzer's probe.
func (a *analyzers) seekable(port uint16) bool {
	for i := range a.reg {
		if a.seekLine(i, port) {
			return true
		}
	}
	return false
}

// seekLine reports whether registry line i is searched for in flows to
// server port port: a TCP probe bound to that port, of a stream analyzer.
func (a *analyzers) seekLine(i int, port uint16) bool {
	p := &a.reg[i].probe
	if p.Transport != proto.TCP || p.Ports == nil || p.Match == nil || a.specOf[i] < 0 || !a.specs[a.specOf[i]].Stream {
		return false
	}
	for _, q := range p.Ports {
		if q == port {
			return true
		}
	}
	return false
}

// seekProbe looks for the first offset past 0 of data at which a probe of
// the flow's server port answers; line is -1 if none does.
func (s *shard) seekProbe(f *flow.Flow[flowX], dir flow.Dir, data []byte) (line int, sure bool, at int) {
	fromClient := dir == flow.FromClient
	port := f.Server.Port
	for at = 1; at < len(data); at++ {
		for i := range s.an.reg {
			if !s.an.seekLine(i, port) {
				continue
			}
			switch s.an.reg[i].probe.Check(port, data[at:], fromClient) {
			case proto.Sure:
				return i, true, at
			case proto.Maybe:
				return i, false, at
			}
		}
	}
	return -1, false, 0
}

// openProbe takes an analyzer state from the free list to buffer a TCP
// flow's bytes while it is identified: streams only, no analyzer yet.
func (s *shard) openProbe(f *flow.Flow[flowX]) *anState {
	st := s.take()
	st.spec, st.fl, st.gapped, st.stream, st.probed = -1, nil, nil, true, 0
	f.X.st = st
	return st
}

// attachProbed names the flow's protocol by registry line, found in data
// (the reassembled bytes of direction dir) at offset at, and hands the
// bytes buffered in both directions to its analyzer. A stream analyzer
// keeps the flow's state and streams; other analyzers get data from at as
// one payload, and the buffer is given back.
func (s *shard) attachProbed(f *flow.Flow[flowX], st *anState, dir flow.Dir, line int, sure bool, data []byte, at int, gap bool) {
	x := &f.X
	skipped := st.probed + at
	x.app = s.an.reg[line].app
	x.line = uint8(line + 1)
	x.done = sure
	spec := s.an.specOf[line]
	if spec < 0 || !s.an.specs[spec].PerFlow || !s.an.specs[spec].Stream {
		s.release(f)
		if spec >= 0 {
			s.feed(f, dir, data[at:])
		}
		return
	}
	c := &s.an.counts[spec]
	if skipped > 0 {
		c.resyncs++
		c.skipped += uint64(skipped)
	}
	st.spec = spec
	st.lastNum[dir], st.lastFile[dir] = s.cur.Number, s.cur.File
	st.fl = s.an.analyzer(spec).Open(proto.TCP)
	st.gapped, _ = st.fl.(proto.Gapped)
	r := &s.rep
	r.f, r.spec = f, spec
	// The flow seen midway: neither direction need start on a PDU.
	midway := !f.Handshake
	for _, d := range [2]flow.Dir{dir, 1 - dir} {
		str := &st.streams[d]
		b, g := data[at:], gap || midway
		if d != dir {
			b, g = str.Unconsumed(), midway
			if len(b) == 0 {
				if midway {
					str.MarkGap()
				}
				continue
			}
		}
		r.dir = d
		s.feedStream(st, str, d == flow.FromClient, b, g)
	}
	s.charge(st)
}
