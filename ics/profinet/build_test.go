package profinet

import (
	"encoding/binary"

	"harborwatch/ics/dcerpc"
)

// Builders of PNIO-CM datagrams and PROFINET frames for the tests.

var be = binary.BigEndian

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func u16(v uint16) []byte { return be.AppendUint16(nil, v) }
func u32(v uint32) []byte { return be.AppendUint32(nil, v) }

// cl builds a connectionless DCE-RPC datagram to PNIO interface role
// (0: another interface) with the given packet type, opnum, flags1,
// fragment number and body; little-endian when le.
func cl(le bool, role uint8, ptype uint8, opnum uint16, flags1 uint8, fragnum uint16, body []byte) []byte {
	var o binary.AppendByteOrder = binary.BigEndian
	drep := byte(0)
	if le {
		o, drep = binary.LittleEndian, 0x10
	}
	uuid := func(u dcerpc.UUID) []byte {
		b := o.AppendUint32(nil, be.Uint32(u[:]))
		b = o.AppendUint16(b, be.Uint16(u[4:]))
		b = o.AppendUint16(b, be.Uint16(u[6:]))
		return append(b, u[8:]...)
	}
	iface := pnioUUID
	iface[3] = role
	if role == 0 {
		iface = dcerpc.UUID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	}
	obj := dcerpc.UUID{0xde, 0xa0, 0, 0, 0x6c, 0x97, 0x11, 0xd1, 0x82, 0x71, 0x00, 0x01, 0x03, 0x13, 0x00, 0x2a}
	h := []byte{4, ptype, flags1, 0, drep, 0, 0, 0}
	h = append(h, uuid(obj)...)
	h = append(h, uuid(iface)...)
	h = append(h, uuid(dcerpc.UUID{0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})...)
	h = o.AppendUint32(h, 0)
	h = o.AppendUint32(h, 1)
	h = o.AppendUint32(h, 7) // seqnum
	h = o.AppendUint16(h, opnum)
	h = o.AppendUint16(h, 0xffff)
	h = o.AppendUint16(h, 0xffff)
	h = o.AppendUint16(h, uint16(len(body)))
	h = o.AppendUint16(h, fragnum)
	h = append(h, 0, 0)
	return append(h, body...)
}

// stub wraps blocks in the NDR arguments: ArgsMaximum or PNIOStatus
// (first), ArgsLength and the array's MaximumCount, Offset, ActualCount.
func stub(first uint32, blocks []byte) []byte { return stubIn(binary.BigEndian, first, blocks) }

// stubIn is stub in byte order o (the datagram's data representation).
func stubIn(o binary.AppendByteOrder, first uint32, blocks []byte) []byte {
	n := uint32(len(blocks))
	b := o.AppendUint32(nil, first)
	for _, v := range []uint32{n, 4096, 0, n} {
		b = o.AppendUint32(b, v)
	}
	return append(b, blocks...)
}

// block builds a block with version 1.0.
func block(typ uint16, body ...[]byte) []byte {
	b := cat(body...)
	return cat(u16(typ), u16(uint16(2+len(b))), []byte{1, 0}, b)
}

var arUUID = make([]byte, 16)

// record builds an IOD read or write header (requests and responses):
// SeqNumber, ARUUID, API, slot, subslot, padding, index, length, then
// the response's AdditionalValues and PNIOStatus or padding.
func record(typ, slot, subslot, index uint16, length, status uint32) []byte {
	tail := make([]byte, 24)
	if typ == blockWriteRes {
		be.PutUint32(tail[4:], status)
	}
	return block(typ, u16(0), arUUID, u32(0), u16(slot), u16(subslot), u16(0), u16(index), u32(length), tail)
}

func im0Block() []byte {
	return block(blockIM0, u16(0x002a), []byte("6ES7 315-2EH14-0AB0 "), []byte("S C-C2UR28922012"), u16(3),
		[]byte{'V', 3, 2, 7}, u16(1), u16(0), u16(0), u16(0x0101), u16(0x001e))
}

// frame builds a PROFINET frame's payload: FrameID then data.
func frame(id uint16, data ...[]byte) []byte { return cat(u16(id), cat(data...)) }

// cyclicFrame is a cyclic frame of 40 data bytes and the APDU status.
func cyclicFrame(id uint16, cycle uint16, ds uint8) []byte {
	return frame(id, make([]byte, 40), u16(cycle), []byte{ds, 0})
}

// rta builds an alarm frame's RTA PDU.
func rta(id uint16, pduType uint8, varPart []byte) []byte {
	return frame(id, u16(0x8001), u16(0x8002), []byte{0x10 | pduType, 1}, u16(3), u16(2), u16(uint16(len(varPart))), varPart)
}

// dcpFrame builds a DCP PDU: FrameID, ServiceID, ServiceType, Xid,
// reserved, length, blocks.
func dcpFrame(id uint16, service, typ uint8, blocks ...[]byte) []byte {
	b := cat(blocks...)
	return cat(u16(id), []byte{service, typ}, u32(0x42), u16(0), u16(uint16(len(b))), b)
}

// dcpBlock builds a Set request's block: option, suboption, length,
// BlockQualifier, value (padded to even length).
func dcpBlock(opt, sub uint8, v ...[]byte) []byte {
	b := cat(u16(1), cat(v...))
	out := cat([]byte{opt, sub}, u16(uint16(len(b))), b)
	if len(b)%2 != 0 {
		out = append(out, 0)
	}
	return out
}
