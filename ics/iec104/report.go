package iec104

import "harborwatch/proto"

// Probe identifies IEC 60870-5-104 on its port by the APCI (IEC
// 60870-5-104 §5.1): a start byte 0x68 and a length that holds the
// control field.
var Probe = proto.Probe{Transport: proto.TCP, Ports: []uint16{2404}, Match: probe}

func probe(pl []byte, _ bool) proto.Verdict {
	return proto.SureIf(len(pl) >= 2+apciLen && pl[0] == startByte && pl[1] >= apciLen && pl[1] <= maxLength)
}

// Spec is the IEC 60870-5-104 analyzer for the pipeline's registry: each
// APDU is reported as an industrial PDU (proto.ReportPDU) under the event
// name "iec104"; framing errors, malformed APDUs and APDUs preceded by
// stray bytes count under "iec104".
var Spec = proto.ParserSpec[Analyzer]("iec104", report)

func report(r proto.Reporter, m *Message, fromClient bool) {
	proto.ReportPDU(r, m, fromClient, "iec104", false, m.Malformed || m.Prefix > 0)
}
