package synth

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"strconv"
)

// Industrial protocol payloads: Modbus/TCP, S7comm over ISO-on-TCP and
// EtherNet/IP with CIP. Same rules as the other payload builders.

// ModbusReadHoldingRequest is function 3, Read Holding Registers (Modbus
// Application Protocol V1.1b3 §6.3), in an MBAP header (Modbus Messaging
// on TCP/IP Implementation Guide V1.0b §3.1.3): transaction id, protocol
// 0, length, unit id.
func ModbusReadHoldingRequest(tid uint16, unit uint8, addr, qty uint16) []byte {
	b := mbap(tid, unit, 5)
	b = append(b, 3)
	b = binary.BigEndian.AppendUint16(b, addr)
	return binary.BigEndian.AppendUint16(b, qty)
}

// ModbusReadHoldingResponse answers with the register values (at most
// 125, V1.1b3 §6.3).
func ModbusReadHoldingResponse(tid uint16, unit uint8, values []uint16) []byte {
	if len(values) > 125 {
		values = values[:125]
	}
	b := mbap(tid, unit, 2+2*len(values))
	b = append(b, 3, byte(2*len(values)))
	for _, v := range values {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

// mbap starts an MBAP header for a PDU of pdu bytes (the length field
// counts the unit id and the PDU).
func mbap(tid uint16, unit uint8, pdu int) []byte {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 7+pdu), tid)
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(pdu+1))
	return append(b, unit)
}

// COTP TSAPs of an S7 connection: the client's, and the PLC's for a
// PG/PC connection to the CPU in rack 0, slot 1 (S7-1200/1500).
const (
	S7TSAPClient uint16 = 0x0100
	S7TSAPPLC    uint16 = 0x0101
)

// COTPConnectRequest is a TPKT (RFC 1006 §6) carrying an ISO 8073 class 0
// CR TPDU (ISO 8073 §13.3) with TPDU size 1024 and the calling and called
// TSAPs (RFC 1006 §5).
func COTPConnectRequest(srcRef, srcTSAP, dstTSAP uint16) []byte {
	return cotpConnect(0xe0, 0, srcRef, srcTSAP, dstTSAP)
}

// COTPConnectConfirm is the CC TPDU answering a CR whose source reference
// was dstRef (ISO 8073 §13.4).
func COTPConnectConfirm(dstRef, srcRef, srcTSAP, dstTSAP uint16) []byte {
	return cotpConnect(0xd0, dstRef, srcRef, srcTSAP, dstTSAP)
}

func cotpConnect(code byte, dstRef, srcRef, srcTSAP, dstTSAP uint16) []byte {
	x := []byte{17, code, byte(dstRef >> 8), byte(dstRef), byte(srcRef >> 8), byte(srcRef), 0}
	x = append(x, 0xc0, 1, 0x0a) // TPDU size 2^10
	x = append(x, 0xc1, 2, byte(srcTSAP>>8), byte(srcTSAP))
	x = append(x, 0xc2, 2, byte(dstTSAP>>8), byte(dstTSAP))
	return append(appendTPKT(nil, len(x)), x...)
}

// S7 PDU types (ROSCTR) and functions, as documented by the S7comm
// dissector of Wireshark (the protocol has no public specification).
const (
	s7Job     = 1
	s7AckData = 3
	s7Setup   = 0xf0
	s7Read    = 0x04
)

// S7 memory areas.
const (
	S7AreaInputs  uint8 = 0x81
	S7AreaOutputs uint8 = 0x82
	S7AreaFlags   uint8 = 0x83
	S7AreaDB      uint8 = 0x84
)

// S7Item addresses Len bytes at byte Start of an area (DB number for
// S7AreaDB) in a read var request.
type S7Item struct {
	Area  uint8
	DB    uint16
	Start uint32
	Len   uint16
}

// s7 frames an S7 PDU: TPKT, COTP DT TPDU (ISO 8073 §13.7: LI 2, code
// 0xF0, last data unit), S7 header (protocol id 0x32, ROSCTR, reserved,
// PDU reference, parameter and data lengths; ack-data adds error class
// and code), parameters, data.
func s7(rosctr byte, ref uint16, param, data []byte) []byte {
	h := 10
	if rosctr == s7AckData {
		h = 12
	}
	n := 3 + h + len(param) + len(data)
	b := appendTPKT(make([]byte, 0, 4+n), n)
	b = append(b, 2, 0xf0, 0x80)
	b = append(b, 0x32, rosctr, 0, 0)
	b = binary.BigEndian.AppendUint16(b, ref)
	b = binary.BigEndian.AppendUint16(b, uint16(len(param)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	if rosctr == s7AckData {
		b = append(b, 0, 0)
	}
	b = append(b, param...)
	return append(b, data...)
}

// S7SetupCommunication is the job negotiating the PDU size (one parallel
// job each way).
func S7SetupCommunication(ref, pduLen uint16) []byte {
	return s7(s7Job, ref, setupParam(pduLen), nil)
}

// S7SetupCommunicationAck is the PLC's ack-data with the agreed PDU size.
func S7SetupCommunicationAck(ref, pduLen uint16) []byte {
	return s7(s7AckData, ref, setupParam(pduLen), nil)
}

func setupParam(pduLen uint16) []byte {
	return []byte{s7Setup, 0, 0, 1, 0, 1, byte(pduLen >> 8), byte(pduLen)}
}

// S7ReadVar is a read var job of byte items in any-pointer syntax (spec
// 0x12, length 10, syntax id 0x10 S7ANY, transport size BYTE, count, DB,
// area, bit address). At most 20 items.
func S7ReadVar(ref uint16, items ...S7Item) []byte {
	if len(items) > 20 {
		items = items[:20]
	}
	p := []byte{s7Read, byte(len(items))}
	for _, it := range items {
		p = append(p, 0x12, 0x0a, 0x10, 0x02)
		p = binary.BigEndian.AppendUint16(p, it.Len)
		p = binary.BigEndian.AppendUint16(p, it.DB)
		bit := it.Start << 3 & 0xffffff
		p = append(p, it.Area, byte(bit>>16), byte(bit>>8), byte(bit))
	}
	return s7(s7Job, ref, p, nil)
}

// S7ReadVarAck returns one data item per value: return code 0xFF
// (success), transport size 0x04 (byte/word/dword, length in bits), the
// bytes, and a fill byte after an odd-length item that is not the last.
func S7ReadVarAck(ref uint16, values ...[]byte) []byte {
	if len(values) > 20 {
		values = values[:20]
	}
	var d []byte
	for i, v := range values {
		if len(v) > 0x1fff {
			v = v[:0x1fff]
		}
		d = append(d, 0xff, 0x04)
		d = binary.BigEndian.AppendUint16(d, uint16(8*len(v)))
		d = append(d, v...)
		if len(v)%2 == 1 && i < len(values)-1 {
			d = append(d, 0)
		}
	}
	return s7(s7AckData, ref, []byte{s7Read, byte(len(values))}, d)
}

// S7 functions of a program download and of PLC control.
const (
	s7RequestDownload = 0x1a
	s7DownloadBlock   = 0x1b
	s7DownloadEnded   = 0x1c
	s7PIService       = 0x28
	s7PLCStop         = 0x29
)

// S7 block types, as in the block file names of the passive file system.
const (
	S7BlockOB uint8 = 0x08
	S7BlockDB uint8 = 0x0a
	S7BlockFC uint8 = 0x0c
	S7BlockFB uint8 = 0x0e
)

// S7BlockFile is the name a block is downloaded under: the type in two
// hex digits, the number in five decimal digits, and the destination file
// system P (passive), e.g. 0C00012P; the transfer functions prefix it
// with "_".
func S7BlockFile(typ uint8, number uint16) string {
	const hexDigits = "0123456789ABCDEF"
	b := []byte{hexDigits[typ>>4], hexDigits[typ&15]}
	n := strconv.Itoa(int(number))
	for range 5 - len(n) {
		b = append(b, '0')
	}
	return string(append(append(b, n...), 'P'))
}

// S7Block is a program block of size bytes (at least 56) in load-memory
// form: the 36-byte header (magic 0x7070, version 1, attributes 1,
// language, block type (S7BlockOB…; the same numbers), number, total
// length), the
// MC7 code (size-56 bytes, filled from r) and a zeroed 20-byte tail.
// The MC7 code length is at offset 34.
func S7Block(r *rand.Rand, lang, typ uint8, number uint16, size int) []byte {
	size = max(size, 56)
	b := make([]byte, 36, size)
	b[0], b[1], b[2], b[3], b[4], b[5] = 0x70, 0x70, 1, 1, lang, typ
	binary.BigEndian.PutUint16(b[6:], number)
	binary.BigEndian.PutUint32(b[8:], uint32(size))
	binary.BigEndian.PutUint16(b[34:], uint16(size-56))
	b = appendRandom(b, r, size-56)
	return append(b, make([]byte, 20)...)
}

// s7FileParam is the parameter of the transfer jobs: function, status,
// two unknown octets, a 4-octet id, the length-prefixed file name and
// extra.
func s7FileParam(fn uint8, file string, extra []byte) []byte {
	p := []byte{fn, 0, 0, 0, 0, 0, 0, 0, byte(len(file))}
	p = append(p, file...)
	return append(p, extra...)
}

// S7RequestDownload is the client's job announcing the download of the
// block file ("_" + S7BlockFile): after the file name, a length-prefixed
// string of "1", the load-memory length and the MC7 code length, six
// digits each.
func S7RequestDownload(ref uint16, file string, loadLen, mc7Len int) []byte {
	x := "1" + pad6(loadLen) + pad6(mc7Len)
	return s7(s7Job, ref, s7FileParam(s7RequestDownload, file, append([]byte{byte(len(x))}, x...)), nil)
}

func pad6(n int) string {
	s := strconv.Itoa(min(max(n, 0), 999999))
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}

// S7RequestDownloadAck is the PLC's acceptance of a Request download.
func S7RequestDownloadAck(ref uint16) []byte {
	return s7(s7AckData, ref, []byte{s7RequestDownload}, nil)
}

// S7DownloadBlock is the PLC's job asking the client for the next part
// of the file: the PLC pulls a download.
func S7DownloadBlock(ref uint16, file string) []byte {
	return s7(s7Job, ref, s7FileParam(s7DownloadBlock, file, nil), nil)
}

// S7DownloadBlockAck is the client's answer to a Download block job: a
// status of 1 when more data follows, then the data part (length, 0x00FB,
// the chunk).
func S7DownloadBlockAck(ref uint16, more bool, chunk []byte) []byte {
	st := byte(0)
	if more {
		st = 1
	}
	d := binary.BigEndian.AppendUint16(nil, uint16(len(chunk)))
	d = append(d, 0, 0xfb)
	return s7(s7AckData, ref, []byte{s7DownloadBlock, st}, append(d, chunk...))
}

// S7DownloadEnded is the PLC's job closing the transfer of file.
func S7DownloadEnded(ref uint16, file string) []byte {
	return s7(s7Job, ref, s7FileParam(s7DownloadEnded, file, nil), nil)
}

// S7DownloadEndedAck is the client's answer to Download ended.
func S7DownloadEndedAck(ref uint16) []byte {
	return s7(s7AckData, ref, []byte{s7DownloadEnded}, nil)
}

// S7InsertBlocks is the PI-Service _INSE job activating downloaded blocks
// (S7BlockFile names): the parameter is the function, seven unknown
// octets (the last 0xFD), the length of the block list, the list (count,
// an unknown octet, the names) and the length-prefixed service name.
func S7InsertBlocks(ref uint16, files ...string) []byte {
	list := []byte{byte(len(files)), 0}
	for _, f := range files {
		list = append(list, f...)
	}
	const svc = "_INSE"
	p := []byte{s7PIService, 0, 0, 0, 0, 0, 0, 0xfd}
	p = binary.BigEndian.AppendUint16(p, uint16(len(list)))
	p = append(p, list...)
	p = append(p, byte(len(svc)))
	return s7(s7Job, ref, append(p, svc...), nil)
}

// S7PIServiceAck is the PLC's acceptance of a PI-Service job.
func S7PIServiceAck(ref uint16) []byte { return s7(s7AckData, ref, []byte{s7PIService}, nil) }

// S7PLCStop is the job stopping the CPU: function 0x29, five unknown
// octets and the length-prefixed service name P_PROGRAM.
func S7PLCStop(ref uint16) []byte {
	const svc = "P_PROGRAM"
	return s7(s7Job, ref, append([]byte{s7PLCStop, 0, 0, 0, 0, 0, byte(len(svc))}, svc...), nil)
}

// S7PLCStopAck is the PLC's acceptance of a stop.
func S7PLCStopAck(ref uint16) []byte { return s7(s7AckData, ref, []byte{s7PLCStop}, nil) }

// EtherNet/IP encapsulation commands (CIP Vol. 2 §2-3.2).
const (
	enipListIdentity      = 0x0063
	enipRegisterSession   = 0x0065
	enipUnregisterSession = 0x0066
	enipSendRRData        = 0x006f
)

// enip frames an encapsulation message (CIP Vol. 2 §2-3.1): command,
// length, session handle, status, sender context, options; all
// little-endian.
func enip(cmd uint16, session uint32, ctx uint64, data []byte) []byte {
	b := binary.LittleEndian.AppendUint16(make([]byte, 0, 24+len(data)), cmd)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
	b = binary.LittleEndian.AppendUint32(b, session)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, ctx)
	b = binary.LittleEndian.AppendUint32(b, 0)
	return append(b, data...)
}

// ENIPListIdentity is the ListIdentity request (CIP Vol. 2 §2-4.2).
func ENIPListIdentity(ctx uint64) []byte { return enip(enipListIdentity, 0, ctx, nil) }

// ENIPIdentity is what a device tells about itself in ListIdentity.
type ENIPIdentity struct {
	IP          netip.Addr
	Vendor      uint16 // 1 = Rockwell Automation/Allen-Bradley
	DeviceType  uint16 // 0x0e = programmable logic controller
	ProductCode uint16
	Major       uint8
	Minor       uint8
	Status      uint16
	Serial      uint32
	Name        string
}

// ENIPListIdentityReply is the ListIdentity reply: one CIP Identity item
// (type 0x0C, CIP Vol. 2 §2-4.2.3) with a big-endian socket address.
func ENIPListIdentityReply(ctx uint64, id ENIPIdentity) []byte {
	name := id.Name
	if len(name) > 255 {
		name = name[:255]
	}
	it := binary.LittleEndian.AppendUint16(nil, 1) // encapsulation protocol version
	it = append(it, 0, 2, 0xaf, 0x12)              // sin_family AF_INET, sin_port 44818 (big-endian)
	a := id.IP.Unmap()
	if a.Is4() {
		a4 := a.As4()
		it = append(it, a4[:]...)
	} else {
		it = append(it, 0, 0, 0, 0)
	}
	it = append(it, 0, 0, 0, 0, 0, 0, 0, 0)
	it = binary.LittleEndian.AppendUint16(it, id.Vendor)
	it = binary.LittleEndian.AppendUint16(it, id.DeviceType)
	it = binary.LittleEndian.AppendUint16(it, id.ProductCode)
	it = append(it, id.Major, id.Minor)
	it = binary.LittleEndian.AppendUint16(it, id.Status)
	it = binary.LittleEndian.AppendUint32(it, id.Serial)
	it = append(it, byte(len(name)))
	it = append(it, name...)
	it = append(it, 3) // state: operational
	d := binary.LittleEndian.AppendUint16(nil, 1)
	d = binary.LittleEndian.AppendUint16(d, 0x0c)
	d = binary.LittleEndian.AppendUint16(d, uint16(len(it)))
	return enip(enipListIdentity, 0, ctx, append(d, it...))
}

// ENIPRegisterSession asks for a session, protocol version 1 (CIP Vol. 2
// §2-4.4); the reply carries the session handle.
func ENIPRegisterSession(session uint32, ctx uint64) []byte {
	return enip(enipRegisterSession, session, ctx, []byte{1, 0, 0, 0})
}

// ENIPUnregisterSession ends a session (CIP Vol. 2 §2-4.5).
func ENIPUnregisterSession(session uint32, ctx uint64) []byte {
	return enip(enipUnregisterSession, session, ctx, nil)
}

// ENIPSendRRData carries an unconnected CIP message (CIP Vol. 2 §2-4.7):
// interface handle 0, timeout, and a common packet format (§2-6) of a
// null address item and an unconnected data item.
func ENIPSendRRData(session uint32, ctx uint64, cip []byte) []byte {
	if len(cip) > 0xffff-16 {
		cip = cip[:0xffff-16]
	}
	d := []byte{0, 0, 0, 0, 10, 0} // interface handle, timeout 10 s
	d = binary.LittleEndian.AppendUint16(d, 2)
	d = append(d, 0, 0, 0, 0) // null address item
	d = binary.LittleEndian.AppendUint16(d, 0xb2)
	d = binary.LittleEndian.AppendUint16(d, uint16(len(cip)))
	return enip(enipSendRRData, session, ctx, append(d, cip...))
}

// CIPReadTag is the Logix Read Tag service (0x4C) for a symbolic tag: an
// ANSI extended symbol segment (0x91, CIP Vol. 1 §C-1.4.5) and the element
// count (Logix 5000 Data Access, 1756-PM020).
func CIPReadTag(tag string, elements uint16) []byte {
	if len(tag) > 255 {
		tag = tag[:255]
	}
	p := []byte{0x91, byte(len(tag))}
	p = append(p, tag...)
	if len(p)%2 == 1 {
		p = append(p, 0)
	}
	b := []byte{0x4c, byte(len(p) / 2)}
	b = append(b, p...)
	return binary.LittleEndian.AppendUint16(b, elements)
}

// CIP data types for CIPReadTagReply (CIP Vol. 1 §C-2.1).
const (
	CIPTypeINT  uint16 = 0xc3
	CIPTypeDINT uint16 = 0xc4
	CIPTypeREAL uint16 = 0xca
)

// CIPReadTagReply is a successful Read Tag reply: service 0xCC, general
// status 0, the data type and the value bytes.
func CIPReadTagReply(typ uint16, value []byte) []byte {
	b := []byte{0xcc, 0, 0, 0}
	b = binary.LittleEndian.AppendUint16(b, typ)
	return append(b, value...)
}

// ENIPIO is a class 1 (implicit) I/O packet on UDP 2222 (CIP Vol. 2
// §2-6.3.2, §3-2.2): a common packet format of a sequenced address item
// (connection id, encapsulation sequence number) and a connected data item
// (16-bit CIP sequence count, then data, which for an originator-to-target
// connection starts with the 32-bit run/idle header).
func ENIPIO(connID, seq uint32, cipSeq uint16, data []byte) []byte {
	if len(data) > 500 {
		data = data[:500]
	}
	b := binary.LittleEndian.AppendUint16(nil, 2)
	b = binary.LittleEndian.AppendUint16(b, 0x8002)
	b = binary.LittleEndian.AppendUint16(b, 8)
	b = binary.LittleEndian.AppendUint32(b, connID)
	b = binary.LittleEndian.AppendUint32(b, seq)
	b = binary.LittleEndian.AppendUint16(b, 0xb1)
	b = binary.LittleEndian.AppendUint16(b, uint16(2+len(data)))
	b = binary.LittleEndian.AppendUint16(b, cipSeq)
	return append(b, data...)
}
