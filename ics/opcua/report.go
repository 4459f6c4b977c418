package opcua

import (
	"encoding/binary"

	"harborwatch/proto"
)

// Probe identifies OPC UA TCP on any port (4840 is registered, servers
// use others) by the first message's header: a known message type (HEL,
// ACK, ERR, RHE, OPN, MSG, CLO), a chunk type (F, or C and A for OPN, MSG,
// CLO) and a plausible size; a Hello must also be large enough for its
// fields.
var Probe = proto.Probe{Transport: proto.TCP, Match: probe}

func probe(pl []byte, _ bool) proto.Verdict {
	if len(pl) < headerLen {
		return proto.No
	}
	t := messageType(pl)
	size := binary.LittleEndian.Uint32(pl[4:])
	switch {
	case t == 0, size < headerLen, size > maxMessageSize:
		return proto.No
	case t == TypeHello && (size < 32 || size > 4096+32):
		return proto.No
	case t == TypeAcknowledge && size != 28:
		return proto.No
	}
	return proto.Sure
}

// Spec is the OPC UA analyzer for the pipeline's registry: each message is
// reported as an industrial PDU (proto.ReportPDU) under the event name
// "opcua"; framing errors and malformed messages count under "opcua".
var Spec = proto.ParserSpec[Analyzer]("opcua", report)

func report(r proto.Reporter, m *Message, fromClient bool) {
	proto.ReportPDU(r, m, fromClient, "opcua", false, m.Malformed())
}
