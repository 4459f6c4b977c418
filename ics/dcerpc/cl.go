package dcerpc

import (
	"encoding/binary"

	"harborwatch/proto"
)

// Connectionless DCE-RPC (C706 §12.5: ncadg_ip_udp), the transport of
// PROFINET IO context management and of some Windows services over UDP.
// Each datagram is one fragment: an 80-byte header, then the body.

// CLHeaderLen is the connectionless PDU header.
const CLHeaderLen = 80

// Connectionless packet types (C706 §12.5.3.1).
const (
	CLRequest  = 0
	CLPing     = 1
	CLResponse = 2
	CLFault    = 3
	CLWorking  = 4
	CLNocall   = 5
	CLReject   = 6
	CLAck      = 7
	CLCancel   = 8
	CLFack     = 9
	CLCancelAk = 10
)

// Connectionless flags1 bits.
const (
	CLFlagLastFrag = 0x02
	CLFlagFrag     = 0x04
	CLFlagNoFack   = 0x08
	CLFlagMaybe    = 0x10
	CLFlagIdem     = 0x20
)

// ErrCL is the error of a datagram that is not a connectionless DCE-RPC
// PDU: too short, not version 4, an unknown packet type or data
// representation, or a body length beyond the datagram.
var ErrCL error = framingError("dcerpc: not a connectionless pdu")

// CLHeader is the header of a connectionless PDU, its integers and UUIDs
// read in the byte order of its data representation.
type CLHeader struct {
	Type      uint8
	Flags1    uint8
	Flags2    uint8
	DRep      [3]byte
	Object    UUID
	Interface UUID
	Activity  UUID
	BootTime  uint32
	IfVersion uint32
	SeqNum    uint32
	Opnum     uint16
	FragLen   uint16 // the body's length
	FragNum   uint16
	AuthProto uint8
}

// Order returns the byte order of the header's integer representation.
func (h *CLHeader) Order() binary.ByteOrder { return order(h.DRep[0]) }

// Request reports whether the PDU is sent by a caller (request, ping,
// ack, cancel), not a server (response, fault, working, nocall, reject,
// fack, cancel_ack).
func (h *CLHeader) Request() bool {
	switch h.Type {
	case CLRequest, CLPing, CLAck, CLCancel:
		return true
	}
	return false
}

// TypeName names the packet type ("request", "response", "fault", …).
func (h *CLHeader) TypeName() string {
	if int(h.Type) <= CLCancelAk {
		return typeNames[h.Type]
	}
	return "unknown"
}

// ParseCL reads the connectionless header at the start of b into h and
// returns the body (FragLen bytes after the header). It allocates
// nothing; an error is ErrCL.
func ParseCL(b []byte, h *CLHeader) (body []byte, err error) {
	if len(b) < CLHeaderLen || b[0] != 4 || b[1] > CLCancelAk || b[4]&^0x11 != 0 || b[5] > 3 {
		return nil, ErrCL
	}
	o := order(b[4])
	*h = CLHeader{Type: b[1] & 0x1f, Flags1: b[2], Flags2: b[3], DRep: [3]byte{b[4], b[5], b[6]},
		Object: readUUID(o, b[8:]), Interface: readUUID(o, b[24:]), Activity: readUUID(o, b[40:]),
		BootTime: o.Uint32(b[56:]), IfVersion: o.Uint32(b[60:]), SeqNum: o.Uint32(b[64:]),
		Opnum: o.Uint16(b[68:]), FragLen: o.Uint16(b[74:]), FragNum: o.Uint16(b[76:]), AuthProto: b[78]}
	if int(h.FragLen) > len(b)-CLHeaderLen {
		return nil, ErrCL
	}
	return b[CLHeaderLen : CLHeaderLen+int(h.FragLen)], nil
}

// Datagram parses one UDP payload as a connectionless PDU and emits it as
// a Message valid only during the call: its interface is the header's
// (no bind names it), CallID its sequence number, and a fault's or
// reject's status is read. A payload that is not a connectionless PDU is
// ErrCL. The stub of an endpoint mapper's ept_map answer (its towers,
// ncadg_ip_udp ones included) is decoded once the call is whole: the
// fragments of a call are joined (CLJoin) and decoded with the last.
func (a *Analyzer) Datagram(b []byte, fromClient bool, emit func(*Message)) error {
	var h CLHeader
	body, err := ParseCL(b, &h)
	if err != nil {
		return err
	}
	m := &a.msg
	flags := uint8(FlagFirstFrag | FlagLastFrag) // the connection-oriented flags Detail reads
	if h.Flags1&CLFlagFrag != 0 {
		flags = 0
		if h.FragNum == 0 {
			flags |= FlagFirstFrag
		}
		if h.Flags1&CLFlagLastFrag != 0 {
			flags |= FlagLastFrag
		}
	}
	*m = Message{Type: h.Type, Flags: flags, DRep: [4]byte{h.DRep[0], h.DRep[1], h.DRep[2]}, FragLen: uint16(len(b)),
		CallID: h.SeqNum, CL: true, fromClient: fromClient, IfaceUUID: h.Interface, IfaceKnown: true, iface: lookupIface(h.Interface)}
	switch h.Type {
	case CLRequest, CLResponse, CLFault:
		m.Opnum, m.HasOpnum = h.Opnum, true
	}
	if h.Type == CLFault || h.Type == CLReject {
		if len(body) < 4 {
			m.malformed = true
		} else {
			m.FaultStatus = h.Order().Uint32(body)
		}
	}
	if (h.Type == CLRequest || h.Type == CLResponse) && a.wantsStub(m) {
		stub, whole, cut := a.cl.Add(&h, body)
		if whole {
			if h.Flags1&CLFlagFrag != 0 {
				m.StubLen, m.StubCut = len(stub), cut
			}
			a.decodeStub(m, h.Order(), stub)
		}
	}
	emit(m)
	return nil
}

// ProbeUDP identifies connectionless DCE-RPC on any UDP port: a version 4
// header of a known packet type and data representation whose body
// fills the datagram (an authenticated PDU may carry a trailer after it).
var ProbeUDP = proto.Probe{Transport: proto.UDP, Match: probeUDP}

func probeUDP(pl []byte, _ bool) proto.Verdict {
	var h CLHeader
	body, err := ParseCL(pl, &h)
	if err != nil || (h.AuthProto == 0 && len(body) != len(pl)-CLHeaderLen) {
		return proto.No
	}
	return proto.Sure
}
