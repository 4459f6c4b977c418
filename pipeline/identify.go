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
