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
var Spec = proto.ParserSpec[Analyzer]("modbus", report)

// The Analyzer reads UDP datagrams too.
var _ proto.Datagrams[*Message] = (*Analyzer)(nil)

func report(r proto.Reporter, m *Message, fromClient bool) {
	proto.ReportPDU(r, m, fromClient, "modbus", false, m.Malformed)
}
