package profinet

import (
	"time"

	"harborwatch/ics/dcerpc"
	"harborwatch/proto"
)

// Probe identifies PNIO-CM on any UDP port by a connectionless DCE-RPC
// header naming a PNIO interface: Sure when the payload is a request from
// the flow's client or an answer from its server, Maybe the other way
// round (the flow's sides may be the wrong way: a device answers a
// Connect from a port of its own, which becomes a flow whose first packet
// is the device's), so that a flow labelled by the announcement of its
// Connect keeps its sides.
var Probe = proto.Probe{Transport: proto.UDP, Match: probe}

func probe(pl []byte, fromClient bool) proto.Verdict {
	var h dcerpc.CLHeader
	if _, err := dcerpc.ParseCL(pl, &h); err != nil || pnioRole(h.Interface) == 0 {
		return proto.No
	}
	if h.Request() == fromClient {
		return proto.Sure
	}
	return proto.Maybe
}

// Spec is the PNIO-CM analyzer for the pipeline's registry: each datagram
// is reported as an industrial PDU under the event name "pn_io"; a
// request announces that its answer may come from another port of the
// device (proto.Expect), and the device's identity (vendor and device ID
// of the object UUID, the I&M0 record of a read) and the connecting
// controller's station name go to the inventory.
var Spec = proto.ParserSpec[CMAnalyzer]("profinet", reportCM)

// expectWithin is how long the answer of a request is awaited from
// another port (an AR lasts; its calls refresh the announcement).
const expectWithin = int64(10 * time.Minute)

// Per-flow state bits (proto.Reporter.State): identities recorded once.
const (
	stDevice  = 1 << 0
	stStation = 1 << 1
	stIM0     = 1 << 2
)

// EventProto is the event name of PNIO-CM and alarm events.
const EventProto = "pn_io"

func reportCM(r proto.Reporter, m *CM, fromClient bool) {
	op := m.Op()
	r.Op(proto.Op{Op: op, Request: m.Request(), PDU: m})
	if m.Malformed() {
		r.Malformed()
	} else {
		r.Confirm()
	}
	if m.Request() && m.Role != 0 {
		r.Expect(proto.Expect{Transport: proto.UDP, Within: expectWithin})
	}
	st := r.State()
	if m.Role != 0 && !m.Request() && m.HasDevice && *st&stDevice == 0 {
		*st |= stDevice
		id := map[string]any{"profinet_vendor_id": int(m.VendorID),
			"profinet_device_id": int(m.DeviceID), "profinet_instance": int(m.Instance)}
		putVendor(id, m.VendorID)
		r.Identity(proto.Identity{Fields: id})
	}
	if m.HasIM0 && !m.Request() && *st&stIM0 == 0 {
		*st |= stIM0
		id := m.IM0.fields()
		putVendor(id, m.IM0.VendorID)
		r.Identity(proto.Identity{Fields: id})
	}
	if len(m.StationName) > 0 && m.Request() && *st&stStation == 0 {
		*st |= stStation
		// Not "station_name": that is what a device says of itself in DCP,
		// which the inventory reads as an I/O device's.
		r.Identity(proto.Identity{Key: "profinet_initiator_name", Value: m.StationName})
	}
	if !r.Events() || !r.EventOp(op) {
		return
	}
	d := map[string]any{}
	m.Detail(d)
	r.Event(proto.Event{Proto: EventProto, Op: op, Name: m.Name(), Status: m.Status(),
		Func: m.Func(), HasFunc: true, Response: !m.Request(), Detail: d})
}

// putVendor adds the vendor's name (VendorName) to an identity, if known.
func putVendor(id map[string]any, vendor uint16) {
	if n := VendorName(vendor); n != "" {
		id["vendor"] = n
	}
}
