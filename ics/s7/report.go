package s7

import (
	"encoding/binary"

	"harborwatch/proto"
)

// Probes identify the ISO-on-TCP protocols (TPKT, RFC 1006; COTP, ISO
// 8073): a COTP data TPDU whose payload starts with the S7comm protocol id
// 0x32 (Probe) or the S7comm-plus id 0x72 (ProbePlus), on any port; and,
// on port 102, any TPKT packet (ProbePort), a Maybe answer: the COTP
// connection setup comes before the first S7 PDU shows the dialect.
var (
	Probe     = proto.Probe{Transport: proto.TCP, Match: probeID(0x32)}
	ProbePlus = proto.Probe{Transport: proto.TCP, Match: probeID(0x72)}
	ProbePort = proto.Probe{Transport: proto.TCP, Ports: []uint16{102}, Match: probePort}
)

// TPKT reports whether pl starts with a TPKT header and the length
// indicator of a COTP TPDU.
func TPKT(pl []byte) bool {
	if len(pl) < tpktMinLen || pl[0] != tpktVersion || pl[1] != 0 {
		return false
	}
	n := int(binary.BigEndian.Uint16(pl[2:]))
	return n >= tpktMinLen && int(pl[4]) >= 2
}

func probeID(id byte) func([]byte, bool) proto.Verdict {
	return func(pl []byte, _ bool) proto.Verdict {
		// pl[5] is the TPDU code; a DT data TPDU's 3-byte header is
		// followed by the S7 protocol id.
		if TPKT(pl) && pl[5]&0xf0 == 0xf0 && len(pl) > 7 && pl[7] == id {
			return proto.Sure
		}
		return proto.No
	}
}

func probePort(pl []byte, _ bool) proto.Verdict {
	if TPKT(pl) {
		return proto.Maybe
	}
	return proto.No
}

// Spec is the S7comm/S7comm-plus analyzer for the pipeline's registry:
// each PDU and COTP connection TPDU is reported as an industrial PDU
// (proto.ReportPDU) under its event name; framing errors and malformed
// PDUs count under "s7comm". S7 has no UDP transport: its Analyzer reads
// TPKT packets only.
var Spec = proto.ParserSpec[Analyzer]("s7comm", report)

func report(r proto.Reporter, m *Message, fromClient bool) {
	proto.ReportPDU(r, m, fromClient, m.Proto(), false, m.Malformed)
}
