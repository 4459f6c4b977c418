package dcerpc

import (
	"net/netip"
	"time"

	"harborwatch/proto"
)

// Port is the endpoint mapper's (and the DCOM OXID resolver's) TCP port.
const Port = 135

// Probe identifies DCE-RPC on any TCP port by the first payload's
// connection-oriented header: version 5.0 or 5.1, a packet type of the
// connection-oriented protocol, a valid data representation and a
// fragment length that holds the header and its auth trailer. A flow
// seen from its middle is known by its requests and responses, one seen
// from its start by its bind.
var Probe = proto.Probe{Transport: proto.TCP, Match: probe}

func probe(pl []byte, _ bool) proto.Verdict {
	if len(pl) < headerLen || validHeader(pl) != nil {
		return proto.No
	}
	switch pl[2] {
	case TypeRequest, TypeResponse, TypeFault, TypeBind, TypeBindAck, TypeBindNak,
		TypeAlterContext, TypeAlterContextResp, TypeAuth3, TypeShutdown, TypeCancel, TypeOrphaned:
		return proto.Sure
	}
	return proto.No
}

// Spec is the DCE-RPC analyzer for the pipeline's registry: each PDU is
// reported as an industrial PDU under the event name "dcerpc", and the
// endpoints a response hands out are announced (proto.Expect) so that
// the connection to them is DCE-RPC too.
var Spec = proto.ParserSpec[Analyzer]("dcerpc", report)

// expectWithin is how long an announced endpoint is awaited.
const expectWithin = int64(5 * time.Minute)

func report(r proto.Reporter, m *Message, _ bool) {
	reportPDU(r, m)
	for _, e := range m.Endpoints[:m.NEndpoints] {
		t := proto.TCP
		if e.UDP {
			t = proto.UDP // an ncadg_ip_udp tower
		}
		// The port on the responding server: a binding naming a host, or
		// an address of another family than the flow's.
		r.Expect(proto.Expect{Transport: t, Server: netip.AddrPortFrom(netip.Addr{}, e.Port), Within: expectWithin})
		if e.Addr.IsValid() {
			r.Expect(proto.Expect{Transport: t, Server: netip.AddrPortFrom(e.Addr, e.Port), Within: expectWithin})
		}
	}
}

// IsPDU reports whether b starts with a connection-oriented PDU header:
// what the data written to a named pipe holds when the pipe carries
// DCE-RPC (ncacn_np).
func IsPDU(b []byte) bool { return len(b) >= headerLen && validHeader(b) == nil }

// Report reports a PDU read from another transport than TCP (a named
// pipe over SMB) as the analyzer reports its own: the operation, the
// PDU confirming the protocol or malformed, its event under "dcerpc".
func Report(r proto.Reporter, m *Message) { reportPDU(r, m) }

// reportPDU reports m as proto.ReportPDU does, but for identity: an
// endpoint mapper or OXID resolver answer ("identity" as an operation:
// what a service is and where) carries no device identity record.
func reportPDU(r proto.Reporter, m *Message) {
	op := m.Op()
	r.Op(proto.Op{Op: op, Request: m.Request(), PDU: m})
	if m.Malformed() {
		r.Malformed()
	} else {
		r.Confirm()
	}
	if !r.Events() || !r.EventOp(op) {
		return
	}
	d := map[string]any{}
	m.Detail(d)
	r.Event(proto.Event{Proto: "dcerpc", Op: op, Name: m.Name(), Status: m.Status(),
		Func: m.Func(), HasFunc: true, Response: !m.Request(), Detail: d})
}
