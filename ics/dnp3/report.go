package dnp3

import (
	"encoding/binary"

	"harborwatch/proto"
)

// Probe identifies DNP3 on its port by a link header (IEEE 1815-2012
// §9.2.4): start octets 0x05 0x64, a length of 5 at least and a header CRC
// that checks.
var Probe = proto.Probe{Transport: proto.TCP, Ports: []uint16{20000}, Match: probe}

func probe(pl []byte, _ bool) proto.Verdict {
	return proto.SureIf(len(pl) >= headerLen && pl[0] == 0x05 && pl[1] == 0x64 && pl[2] >= 5 &&
		crc(pl[:8]) == binary.LittleEndian.Uint16(pl[8:]))
}

// Spec is the DNP3 analyzer for the pipeline's registry: each application
// fragment is reported as an industrial PDU (proto.ReportPDU) under the
// event name "dnp3"; framing errors, link frames whose CRCs fail and
// malformed fragments count under "dnp3". A flow holds its Analyzer
// (about 8 KB, for transport reassembly) only while it lives.
var Spec = proto.ParserSpec[Analyzer]("dnp3", report)

func report(r proto.Reporter, m *Message, fromClient bool) {
	proto.ReportPDU(r, m, fromClient, "dnp3", false, m.Malformed)
}
