package enip

import (
	"encoding/binary"

	"harborwatch/proto"
)

// Probes identify EtherNet/IP: the encapsulation header (CIP Vol. 2 §2-3)
// on TCP and UDP 44818, and class 0/1 implicit I/O on UDP 2222, which has
// no header to check beyond its CPF items (the port decides).
var (
	Probe    = proto.Probe{Transport: proto.TCP, Ports: []uint16{44818}, Match: probe}
	ProbeUDP = proto.Probe{Transport: proto.UDP, Ports: []uint16{44818}, Match: probe}
	ProbeIO  = proto.Probe{Transport: proto.UDP, Ports: []uint16{2222}}
)

// probe checks an encapsulation header: a known command and zero options
// (the field is reserved as 0).
func probe(pl []byte, _ bool) proto.Verdict {
	if len(pl) < headerLen {
		return proto.No
	}
	switch binary.LittleEndian.Uint16(pl) {
	case 0x0000, 0x0004, 0x0063, 0x0064, 0x0065, 0x0066, 0x006f, 0x0070, 0x0072, 0x0073:
	default:
		return proto.No
	}
	if binary.LittleEndian.Uint32(pl[20:]) != 0 {
		return proto.No
	}
	return proto.Sure
}

// Spec is the EtherNet/IP analyzer for the pipeline's registry: each
// message is reported as an industrial PDU (proto.ReportPDU) under its
// event name ("enip" or "cip"); a container is judged through its
// services. Framing errors and malformed PDUs count under "enip".
var Spec = proto.Spec{Name: "enip", Stream: true, PerFlow: true, New: func() proto.Analyzer { return new(shard) }}

// shard is one pipeline shard's EtherNet/IP analyzer: a pool of flow
// states (each several kilobytes: a flow holds one only while it lives).
type shard struct {
	pool proto.Pool[flowState]
	cur  *flowState     // the flow being fed
	emit func(*Message) // reports to cur; bound once so that feeding allocates nothing
}

type flowState struct {
	a          Analyzer
	udp        bool
	s          *shard
	r          proto.Reporter
	fromClient bool
}

func (s *shard) Open(t proto.Transport) proto.Flow {
	f := s.pool.Get()
	if s.emit == nil {
		s.emit = s.report
	}
	f.s = s
	f.udp = t == proto.UDP
	return f
}

func (s *shard) Close(fl proto.Flow) {
	f := fl.(*flowState)
	f.a.Reset()
	f.r = nil
	s.pool.Put(f)
}

func (f *flowState) Feed(r proto.Reporter, fromClient bool, b []byte) (int, error) {
	f.r, f.fromClient, f.s.cur = r, fromClient, f
	if f.udp {
		return len(b), f.a.Datagram(b, fromClient, f.s.emit)
	}
	return f.a.Feed(b, fromClient, f.s.emit)
}

func (s *shard) report(m *Message) {
	f := s.cur
	proto.ReportPDU(f.r, m, f.fromClient, m.Proto(), m.Container, m.Malformed)
}
