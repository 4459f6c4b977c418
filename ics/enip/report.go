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
// services. Framing errors and malformed PDUs count under "enip". A flow
// holds its Analyzer (several kilobytes) only while it lives.
var Spec = proto.ParserSpec[Analyzer]("enip", report)

// The Analyzer reads UDP datagrams too.
var _ proto.Datagrams[*Message] = (*Analyzer)(nil)

func report(r proto.Reporter, m *Message, fromClient bool) {
	proto.ReportPDU(r, m, fromClient, m.Proto(), m.Container, m.Malformed)
}
