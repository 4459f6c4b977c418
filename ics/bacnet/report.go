package bacnet

import "harborwatch/proto"

// Ports are the UDP ports of BACnet/IP: 47808 (0xBAC0) and the next
// fifteen, which sites use for further BACnet/IP networks.
var Ports = []uint16{47808, 47809, 47810, 47811, 47812, 47813, 47814, 47815, 47816, 47817, 47818,
	47819, 47820, 47821, 47822, 47823}

// Probe identifies BACnet/IP on its ports by the BVLC header (Annex J.2):
// type 0x81, a known function and a length at least the header's (devices
// in the field write wrong lengths; Wireshark reads them all the same).
var Probe = proto.Probe{Transport: proto.UDP, Ports: Ports, Match: probe}

func probe(pl []byte, _ bool) proto.Verdict {
	return proto.SureIf(len(pl) >= bvlcLen && pl[0] == bvlcType && int(pl[1]) < len(bvlcNames) &&
		int(pl[2])<<8|int(pl[3]) >= bvlcLen)
}

// Spec is the BACnet/IP analyzer for the pipeline's registry: each BVLL
// message is reported as an industrial PDU (proto.ReportPDU) under the
// event name "bacnet"; framing errors and malformed messages count under
// "bacnet".
var Spec = proto.ParserSpec[Analyzer]("bacnet", report)

// The Analyzer reads UDP datagrams.
var _ proto.Datagrams[*Message] = (*Analyzer)(nil)

// report reports one message. An I-Am or I-Have is the sender's own
// identity whichever side of the flow sent it (I-Am is mostly broadcast,
// so its sender is the flow's client): ReportPDU records a server's; the
// client's is recorded here.
func report(r proto.Reporter, m *Message, fromClient bool) {
	proto.ReportPDU(r, m, fromClient, "bacnet", false, m.Malformed())
	if fromClient && m.HasAPDU && m.Type == UnconfirmedRequest && m.Service == svcIAm && !m.Malformed() {
		d := map[string]any{}
		iAmDetail(d, m.Body)
		if id, ok := d["identity"].(map[string]any); ok {
			r.Identity(proto.Identity{Fields: id})
		}
	}
}
