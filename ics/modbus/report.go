package modbus

import (
	"encoding/binary"

	"harborwatch/proto"
)

// Probe identifies Modbus/TCP on its port by the MBAP header (Messaging on
// TCP/IP Implementation Guide V1.0b §3.1.3): protocol id 0, a length that
// fits, a function code.
var Probe = proto.Probe{Transport: proto.TCP, Ports: []uint16{502}, Match: probe}

func probe(pl []byte, _ bool) proto.Verdict {
	if len(pl) < 8 || pl[2] != 0 || pl[3] != 0 {
		return proto.No
	}
	n := int(binary.BigEndian.Uint16(pl[4:]))
	fc := pl[7] &^ exceptionBit
	if n >= 2 && n <= 254 && fc >= 1 && fc <= 127 {
		return proto.Sure
	}
	return proto.No
}

// Spec is the Modbus analyzer for the pipeline's registry: each ADU is
// reported as an industrial PDU (proto.ReportPDU) under the event name
// "modbus"; framing errors and malformed ADUs count under "modbus".
var Spec = proto.Spec{Name: "modbus", Stream: true, PerFlow: true, New: func() proto.Analyzer { return new(shard) }}

// shard is one pipeline shard's Modbus analyzer: a pool of flow states.
type shard struct {
	pool proto.Pool[flowState]
	cur  *flowState     // the flow being fed
	emit func(*Message) // reports to cur; bound once so that feeding allocates nothing
}

// flowState is one flow's Analyzer.
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
	proto.ReportPDU(f.r, m, f.fromClient, "modbus", false, m.Malformed)
}
