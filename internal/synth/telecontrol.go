package synth

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Telecontrol payloads: IEC 60870-5-104 and DNP3 over TCP, the protocols
// of substations and of the power supply of the cranes. Same rules as the
// other payload builders.

// IEC 60870-5-104 U-format functions (IEC 60870-5-104 §5.3): one bit of
// the control field's bits 2-7, numbered as tshark's iec60870_104.utype.
const (
	IEC104StartDTAct uint8 = 0x01
	IEC104StartDTCon uint8 = 0x02
	IEC104StopDTAct  uint8 = 0x04
	IEC104StopDTCon  uint8 = 0x08
	IEC104TestFRAct  uint8 = 0x10
	IEC104TestFRCon  uint8 = 0x20
)

// IEC 60870-5-101 type identifications (§7.2.1.1) the builders make.
const (
	IEC104SinglePoint    uint8 = 1   // M_SP_NA_1
	IEC104EndOfInit      uint8 = 70  // M_EI_NA_1
	IEC104SingleCommand  uint8 = 45  // C_SC_NA_1
	IEC104DoubleCommand  uint8 = 46  // C_DC_NA_1
	IEC104SetpointNorm   uint8 = 48  // C_SE_NA_1
	IEC104SetpointScaled uint8 = 49  // C_SE_NB_1
	IEC104SetpointFloat  uint8 = 50  // C_SE_NC_1
	IEC104Interrogation  uint8 = 100 // C_IC_NA_1
	IEC104ClockSync      uint8 = 103 // C_CS_NA_1
	IEC104ResetProcess   uint8 = 105 // C_RP_NA_1
	IEC104FileReady      uint8 = 120 // F_FR_NA_1
	IEC104SectionReady   uint8 = 121 // F_SR_NA_1
	IEC104CallFile       uint8 = 122 // F_SC_NA_1
	IEC104LastSegment    uint8 = 123 // F_LS_NA_1
	IEC104AckFile        uint8 = 124 // F_AF_NA_1
	IEC104Segment        uint8 = 125 // F_SG_NA_1
)

// Causes of transmission (IEC 60870-5-101 §7.2.3).
const (
	IEC104Spont   uint8 = 3
	IEC104Act     uint8 = 6
	IEC104ActCon  uint8 = 7
	IEC104ActTerm uint8 = 10
	IEC104File    uint8 = 13
	IEC104Inrogen uint8 = 20
)

// IEC104U is a U-format APDU (IEC 60870-5-104 §5.3): start 0x68, length
// 4, the function bit in bits 2-7 of the first control octet with bits
// 0-1 set, three zero octets.
func IEC104U(fn uint8) []byte {
	return []byte{0x68, 4, fn<<2 | 3, 0, 0, 0}
}

// IEC104S is an S-format APDU acknowledging the I-format APDUs before
// receive sequence number recv (§5.2).
func IEC104S(recv uint16) []byte {
	b := []byte{0x68, 4, 1, 0}
	return binary.LittleEndian.AppendUint16(b, recv<<1&0xfffe)
}

// IEC104I is an I-format APDU (§5.1) with send and receive sequence
// numbers (15 bits each, shifted left one bit) and asdu, cut to the 249
// octets an APDU of length 253 leaves.
func IEC104I(send, recv uint16, asdu []byte) []byte {
	if len(asdu) > 249 {
		asdu = asdu[:249]
	}
	b := make([]byte, 0, 6+len(asdu))
	b = append(b, 0x68, byte(4+len(asdu)))
	b = binary.LittleEndian.AppendUint16(b, send<<1&0xfffe)
	b = binary.LittleEndian.AppendUint16(b, recv<<1&0xfffe)
	return append(b, asdu...)
}

// IEC104ASDU is an ASDU of one information object (§7.2 with the 104
// parameters of IEC 60870-5-104 §9): type, variable structure qualifier 1
// (SQ 0), cause of transmission with the P/N bit, originator address 0,
// 2-octet common address, 3-octet information object address ioa and the
// information element el.
func IEC104ASDU(typ, cause uint8, negative bool, ca uint16, ioa uint32, el []byte) []byte {
	c := cause & 0x3f
	if negative {
		c |= 0x40
	}
	b := make([]byte, 0, 9+len(el))
	b = append(b, typ, 1, c, 0)
	b = binary.LittleEndian.AppendUint16(b, ca)
	b = append(b, byte(ioa), byte(ioa>>8), byte(ioa>>16))
	return append(b, el...)
}

// IEC104SinglePoints is an M_SP_NA_1 ASDU of consecutive single points
// (SQ 1, at most 127) from address ioa: one SIQ octet each (state in bit
// 0), as a station sends them in answer to an interrogation (cause
// IEC104Inrogen) or spontaneously.
func IEC104SinglePoints(cause uint8, ca uint16, ioa uint32, states []bool) []byte {
	if len(states) > 127 {
		states = states[:127]
	}
	b := make([]byte, 0, 9+len(states))
	b = append(b, IEC104SinglePoint, 0x80|byte(len(states)), cause&0x3f, 0)
	b = binary.LittleEndian.AppendUint16(b, ca)
	b = append(b, byte(ioa), byte(ioa>>8), byte(ioa>>16))
	for _, s := range states {
		b = append(b, boolByte(s))
	}
	return b
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// The information elements of the commands (IEC 60870-5-101 §7.2.6).
// sel sets the select/execute bit (S/E, bit 7): a select before the
// execute of a select-before-operate command.

// IEC104SCO is the single command C_SC_NA_1's element: the state in bit 0
// (qualifier 0, no additional definition).
func IEC104SCO(on, sel bool) []byte { return []byte{boolByte(on) | selBit(sel)} }

// IEC104DCO is the double command C_DC_NA_1's element: state 2 on (close
// a breaker), 1 off (open it).
func IEC104DCO(on, sel bool) []byte {
	s := byte(1)
	if on {
		s = 2
	}
	return []byte{s | selBit(sel)}
}

func selBit(sel bool) byte {
	if sel {
		return 0x80
	}
	return 0
}

// IEC104SetpointNormEl is C_SE_NA_1's element: a normalized value
// (v in [-1, 1), 16 bits, two's complement) and the qualifier of set-point
// command (QOS) 0 with S/E.
func IEC104SetpointNormEl(v float64, sel bool) []byte {
	n := int16(max(-32768, min(32767, math.Round(v*32768))))
	return append(binary.LittleEndian.AppendUint16(nil, uint16(n)), selBit(sel))
}

// IEC104SetpointScaledEl is C_SE_NB_1's element: a scaled value and QOS.
func IEC104SetpointScaledEl(v int16, sel bool) []byte {
	return append(binary.LittleEndian.AppendUint16(nil, uint16(v)), selBit(sel))
}

// IEC104SetpointFloatEl is C_SE_NC_1's element: an IEEE 754 short float and
// QOS.
func IEC104SetpointFloatEl(v float32, sel bool) []byte {
	return append(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)), selBit(sel))
}

// IEC104QOI is C_IC_NA_1's qualifier of interrogation: 20, station
// interrogation.
func IEC104QOI() []byte { return []byte{20} }

// IEC104QRP is C_RP_NA_1's qualifier of reset process: 1, general reset
// of the process.
func IEC104QRP() []byte { return []byte{1} }

// IEC104CP56 is a CP56Time2a (§7.2.6.18), C_CS_NA_1's element: the
// milliseconds of the minute, minute, hour, day of month with day of week
// (Monday 1), month and year of the century.
func IEC104CP56(t time.Time) []byte {
	ms := t.Second()*1000 + t.Nanosecond()/1e6
	wd := int(t.Weekday())
	if wd == 0 {
		wd = 7
	}
	b := binary.LittleEndian.AppendUint16(nil, uint16(ms))
	return append(b, byte(t.Minute()), byte(t.Hour()), byte(t.Day()|wd<<5), byte(t.Month()), byte(t.Year()%100))
}

// The file transfer elements (IEC 60870-5-101 §7.3.6; cause IEC104File).
// nof is the name of file, nos the name of section (1 for the first).

// IEC104FileReadyEl is F_FR_NA_1's element: name of file, length of file
// (3 octets) and the file ready qualifier (0: positive confirm).
func IEC104FileReadyEl(nof uint16, length int) []byte {
	b := binary.LittleEndian.AppendUint16(nil, nof)
	return append(b, byte(length), byte(length>>8), byte(length>>16), 0)
}

// IEC104SectionReadyEl is F_SR_NA_1's element: name of file, name of
// section, length of section (3 octets), section ready qualifier 0.
func IEC104SectionReadyEl(nof uint16, nos uint8, length int) []byte {
	b := binary.LittleEndian.AppendUint16(nil, nof)
	return append(b, nos, byte(length), byte(length>>8), byte(length>>16), 0)
}

// Select and call qualifiers (SCQ) of F_SC_NA_1.
const (
	IEC104SelectFile  uint8 = 1
	IEC104CallFileQ   uint8 = 2
	IEC104CallSection uint8 = 6
)

// IEC104CallFileEl is F_SC_NA_1's element: name of file, name of section
// (0 when the whole file is meant) and the select and call qualifier.
func IEC104CallFileEl(nof uint16, nos, scq uint8) []byte {
	return append(binary.LittleEndian.AppendUint16(nil, nof), nos, scq)
}

// Last section or segment qualifiers (LSQ) of F_LS_NA_1 and acknowledge
// file or section qualifiers (AFQ) of F_AF_NA_1.
const (
	IEC104LastFile    uint8 = 1 // file transfer without deactivation / positive ack of file
	IEC104LastSection uint8 = 3 // section transfer without deactivation / positive ack of section
)

// IEC104LastSegmentEl is F_LS_NA_1's element: name of file, name of
// section, LSQ and the checksum (the sum modulo 256 of the octets of the
// section, or of the file's sections' checksums).
func IEC104LastSegmentEl(nof uint16, nos, lsq, chs uint8) []byte {
	return append(binary.LittleEndian.AppendUint16(nil, nof), nos, lsq, chs)
}

// IEC104AckFileEl is F_AF_NA_1's element: name of file, name of section
// and AFQ.
func IEC104AckFileEl(nof uint16, nos, afq uint8) []byte {
	return append(binary.LittleEndian.AppendUint16(nil, nof), nos, afq)
}

// IEC104SegmentEl is F_SG_NA_1's element: name of file, name of section,
// length of segment and the segment (cut to the 240 octets an ASDU of
// the largest APDU leaves).
func IEC104SegmentEl(nof uint16, nos uint8, seg []byte) []byte {
	if len(seg) > 240 {
		seg = seg[:240]
	}
	b := append(binary.LittleEndian.AppendUint16(nil, nof), nos, byte(len(seg)))
	return append(b, seg...)
}

// IEC104Checksum is the checksum of a section or file: the arithmetic
// sum modulo 256 of its octets.
func IEC104Checksum(b []byte) uint8 {
	var s uint8
	for _, c := range b {
		s += c
	}
	return s
}

// DNP3 (IEEE 1815-2012) application function codes the builders make
// (§4.2.2.5).
const (
	DNP3Confirm            uint8 = 0
	DNP3Read               uint8 = 1
	DNP3Write              uint8 = 2
	DNP3Select             uint8 = 3
	DNP3Operate            uint8 = 4
	DNP3DirectOperate      uint8 = 5
	DNP3ColdRestart        uint8 = 13
	DNP3WarmRestart        uint8 = 14
	DNP3EnableUnsolicited  uint8 = 20
	DNP3DisableUnsolicited uint8 = 21
	DNP3OpenFile           uint8 = 25
	DNP3CloseFile          uint8 = 26
	DNP3AuthRequest        uint8 = 32
	DNP3Response           uint8 = 129
	DNP3Unsolicited        uint8 = 130
	DNP3AuthResponse       uint8 = 131
)

// DNP3 internal indications (§4.2.2.7), first octet high.
const (
	DNP3IINDeviceRestart uint16 = 0x8000
	DNP3IINNeedTime      uint16 = 0x1000
	DNP3IINClass1        uint16 = 0x0200
)

// DNP3Link frames application fragments for one direction of a DNP3
// association: Master says which (the link header's DIR bit), Dest and
// Src are the link addresses. It numbers the transport segments it makes;
// its zero value with the fields set is ready to use.
type DNP3Link struct {
	Master    bool
	Dest, Src uint16
	seq       uint8
}

// Frames splits the application fragment app into transport segments
// (§8.2: a header octet with FIN, FIR and a 6-bit sequence number, at
// most 249 octets of the fragment) and each into a link frame (§9.2.4:
// 0x05 0x64, length, control — DIR, PRM, function 4 unconfirmed user
// data —, destination, source, header CRC, then the user data in blocks
// of 16 octets, each followed by its CRC), and returns the frames.
func (l *DNP3Link) Frames(app []byte) []byte {
	var out []byte
	first := true
	for {
		n := min(len(app), 249)
		th := l.seq & 0x3f
		l.seq = (l.seq + 1) & 0x3f
		if first {
			th |= 0x40
		}
		if n == len(app) {
			th |= 0x80
		}
		out = l.frame(out, append([]byte{th}, app[:n]...))
		app, first = app[n:], false
		if len(app) == 0 {
			return out
		}
	}
}

func (l *DNP3Link) frame(b, user []byte) []byte {
	ctrl := byte(0x44) // PRM, unconfirmed user data
	if l.Master {
		ctrl |= 0x80
	}
	h := []byte{0x05, 0x64, byte(5 + len(user)), ctrl}
	h = binary.LittleEndian.AppendUint16(h, l.Dest)
	h = binary.LittleEndian.AppendUint16(h, l.Src)
	b = append(b, h...)
	b = binary.LittleEndian.AppendUint16(b, dnp3CRC(h))
	for len(user) > 0 {
		k := min(16, len(user))
		b = append(b, user[:k]...)
		b = binary.LittleEndian.AppendUint16(b, dnp3CRC(user[:k]))
		user = user[k:]
	}
	return b
}

// dnp3CRC is the link layer's CRC-16 (§9.2.4.1.6: polynomial
// x^16+x^13+x^12+x^11+x^10+x^8+x^6+x^5+x^2+1, reflected, complemented),
// sent low octet first.
func dnp3CRC(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c ^= uint16(x)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xa6bc
			} else {
				c >>= 1
			}
		}
	}
	return ^c
}

// DNP3Request is a request's application fragment (§4.2.2): application
// control FIR, FIN and sequence number seq, function code fc, then the
// object headers and objects (built with the DNP3 object helpers).
func DNP3Request(seq, fc uint8, objects ...[]byte) []byte {
	b := []byte{0xc0 | seq&0x0f, fc}
	for _, o := range objects {
		b = append(b, o...)
	}
	return b
}

// DNP3ResponseFragment is a response's fragment: application control,
// function code (DNP3Response, DNP3Unsolicited with the UNS and CON bits,
// or DNP3AuthResponse), the internal indications and the objects.
func DNP3ResponseFragment(seq, fc uint8, iin uint16, objects ...[]byte) []byte {
	ac := 0xc0 | seq&0x0f
	if fc == DNP3Unsolicited {
		ac |= 0x30
	}
	b := binary.BigEndian.AppendUint16([]byte{ac, fc}, iin)
	for _, o := range objects {
		b = append(b, o...)
	}
	return b
}

// DNP3AllObjects is an object header naming all objects of group g,
// variation v (qualifier 0x06), as reads and unsolicited enabling name
// them: DNP3AllObjects(60, 1) is class 0 data, (60, 2..4) classes 1-3.
func DNP3AllObjects(g, v uint8) []byte { return []byte{g, v, 0x06} }

// DNP3ClassData names the event classes 1-3 and class 0 (static data),
// an integrity poll.
func DNP3ClassData() []byte {
	var b []byte
	for _, v := range []uint8{2, 3, 4, 1} {
		b = append(b, DNP3AllObjects(60, v)...)
	}
	return b
}

// DNP3EventClasses names the event classes 1-3, what unsolicited
// enabling and disabling name.
func DNP3EventClasses() []byte {
	var b []byte
	for _, v := range []uint8{2, 3, 4} {
		b = append(b, DNP3AllObjects(60, v)...)
	}
	return b
}

// DNP3Time is g50v1, absolute time (Annex A), in one object with an
// 8-bit count (qualifier 0x07): 48-bit milliseconds since 1970 UTC, as a
// master writes it to set the outstation's clock.
func DNP3Time(t time.Time) []byte {
	ms := uint64(t.UnixMilli())
	b := []byte{50, 1, 0x07, 1}
	return append(b, byte(ms), byte(ms>>8), byte(ms>>16), byte(ms>>24), byte(ms>>32), byte(ms>>40))
}

// DNP3 device attribute variations of group 0 (IEEE 1815-2012 Annex A).
const (
	DNP3AttrSoftware  uint8 = 242 // device manufacturer's software version
	DNP3AttrName      uint8 = 247 // user-assigned device name
	DNP3AttrSerial    uint8 = 248 // device serial number
	DNP3AttrModel     uint8 = 250 // device manufacturer's product name and model
	DNP3AttrVendor    uint8 = 252 // device manufacturer's name
	DNP3AttrAll       uint8 = 254 // all attributes, in a read
	dnp3VisibleString uint8 = 1
	dnp3MaxAttrLength       = 255
)

// DNP3DeviceAttribute is one device attribute, g0 of variation v, as an
// outstation returns it: index range 0 to 0 (qualifier 0x00), then the
// data type (visible string), the length and the value (cut to 255
// octets).
func DNP3DeviceAttribute(v uint8, value string) []byte {
	if len(value) > dnp3MaxAttrLength {
		value = value[:dnp3MaxAttrLength]
	}
	return append([]byte{0, v, 0x00, 0, 0, dnp3VisibleString, byte(len(value))}, value...)
}

// DNP3Delay is g52v2, the fine time delay (ms) of a restart's response.
func DNP3Delay(ms uint16) []byte {
	return binary.LittleEndian.AppendUint16([]byte{52, 2, 0x07, 1}, ms)
}

// DNP3CROB codes (Annex A, control code octet).
const (
	DNP3LatchOn  uint8 = 0x03
	DNP3LatchOff uint8 = 0x04
	DNP3Close    uint8 = 0x41 // pulse on, trip-close: close
	DNP3Trip     uint8 = 0x81 // pulse on, trip-close: trip
)

// DNP3CROB is one control relay output block, g12v1 (Annex A), with a
// 2-octet index prefix and count (qualifier 0x28): control code, count 1,
// on and off times (ms) and status (0 in a request; the outstation echoes
// the block with its status).
func DNP3CROB(index uint16, code uint8, onMS, offMS uint32, status uint8) []byte {
	b := []byte{12, 1, 0x28, 1, 0}
	b = binary.LittleEndian.AppendUint16(b, index)
	b = append(b, code, 1)
	b = binary.LittleEndian.AppendUint32(b, onMS)
	b = binary.LittleEndian.AppendUint32(b, offMS)
	return append(b, status)
}

// DNP3AnalogOutput is one 16-bit analog output block, g41v2 (Annex A),
// with a 2-octet index prefix (qualifier 0x28): value and status.
func DNP3AnalogOutput(index uint16, value int16, status uint8) []byte {
	b := []byte{41, 2, 0x28, 1, 0}
	b = binary.LittleEndian.AppendUint16(b, index)
	b = binary.LittleEndian.AppendUint16(b, uint16(value))
	return append(b, status)
}

// DNP3BinaryInputs is g1v2 (binary input with flags) for points 0 to
// len(states)-1 with an 8-bit start and stop (qualifier 0x00): flag
// ONLINE and the state in bit 7.
func DNP3BinaryInputs(states []bool) []byte {
	states = states[:min(len(states), 256)]
	if len(states) == 0 {
		return nil
	}
	b := []byte{1, 2, 0x00, 0, byte(len(states) - 1)}
	for _, s := range states {
		b = append(b, 0x01|boolByte(s)<<7)
	}
	return b
}

// DNP3AnalogInputs is g30v2 (16-bit analog input with flags) for points 0
// to len(values)-1 (qualifier 0x00): flag ONLINE and the value.
func DNP3AnalogInputs(values []int16) []byte {
	values = values[:min(len(values), 256)]
	if len(values) == 0 {
		return nil
	}
	b := []byte{30, 2, 0x00, 0, byte(len(values) - 1)}
	for _, v := range values {
		b = binary.LittleEndian.AppendUint16(append(b, 0x01), uint16(v))
	}
	return b
}

// sized is one object of group g, variation v, with a 1-octet count and a
// 2-octet size prefix (qualifier 0x5B), the form of the file and security
// objects.
func sized(g, v uint8, obj []byte) []byte {
	b := []byte{g, v, 0x5b, 1}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(obj)))
	return append(b, obj...)
}

// DNP3 file modes of g70v3 (Annex A).
const (
	DNP3FileRead  uint16 = 1
	DNP3FileWrite uint16 = 2
)

// DNP3FileCommand is g70v3, the file command object (Annex A) of Open
// File: file name offset (26) and size, creation time, permissions
// (rw-r--r--), authentication key 0, file size, operational mode, maximum
// block size, request id and the name.
func DNP3FileCommand(name string, created time.Time, size uint32, mode, block, req uint16) []byte {
	if len(name) > 1024 {
		name = name[:1024]
	}
	ms := uint64(created.UnixMilli())
	o := binary.LittleEndian.AppendUint16(nil, 26)
	o = binary.LittleEndian.AppendUint16(o, uint16(len(name)))
	o = append(o, byte(ms), byte(ms>>8), byte(ms>>16), byte(ms>>24), byte(ms>>32), byte(ms>>40))
	o = binary.LittleEndian.AppendUint16(o, 0o644)
	o = binary.LittleEndian.AppendUint32(o, 0)
	o = binary.LittleEndian.AppendUint32(o, size)
	o = binary.LittleEndian.AppendUint16(o, mode)
	o = binary.LittleEndian.AppendUint16(o, block)
	o = binary.LittleEndian.AppendUint16(o, req)
	return sized(70, 3, append(o, name...))
}

// DNP3FileStatus is g70v4, the file command status object (Annex A) an
// outstation answers Open File and Close File with, and the master names
// the file to close with: handle, file size, maximum block size, request
// id and status (0: success).
func DNP3FileStatus(handle, size uint32, block, req uint16, status uint8) []byte {
	o := binary.LittleEndian.AppendUint32(nil, handle)
	o = binary.LittleEndian.AppendUint32(o, size)
	o = binary.LittleEndian.AppendUint16(o, block)
	o = binary.LittleEndian.AppendUint16(o, req)
	return sized(70, 4, append(o, status))
}

// DNP3FileData is g70v5, the file transport object (Annex A): handle,
// block number with bit 31 set on the last block, and the data.
func DNP3FileData(handle, block uint32, last bool, data []byte) []byte {
	if last {
		block |= 1 << 31
	}
	o := binary.LittleEndian.AppendUint32(nil, handle)
	o = binary.LittleEndian.AppendUint32(o, block)
	return sized(70, 5, append(o, data...))
}

// DNP3FileTransportStatus is g70v6 (Annex A), the outstation's answer to
// a block written: handle, block number (bit 31 on the last) and status 0.
func DNP3FileTransportStatus(handle, block uint32, last bool) []byte {
	if last {
		block |= 1 << 31
	}
	o := binary.LittleEndian.AppendUint32(nil, handle)
	o = binary.LittleEndian.AppendUint32(o, block)
	return sized(70, 6, append(o, 0))
}

// DNP3AuthChallenge is g120v1, the challenge of secure authentication
// version 5 (IEEE 1815-2012 Annex A): challenge sequence number, user
// number, MAC algorithm (4: HMAC-SHA-256 truncated to 16 octets), reason
// (1: critical function) and the challenge data (at least 4 octets).
func DNP3AuthChallenge(csq uint32, user uint16, challenge []byte) []byte {
	o := binary.LittleEndian.AppendUint32(nil, csq)
	o = binary.LittleEndian.AppendUint16(o, user)
	o = append(o, 4, 1)
	return sized(120, 1, append(o, challenge...))
}

// DNP3AuthReply is g120v2, the master's reply to a challenge (Annex A):
// challenge sequence number, user number and the MAC value.
func DNP3AuthReply(csq uint32, user uint16, mac []byte) []byte {
	o := binary.LittleEndian.AppendUint32(nil, csq)
	o = binary.LittleEndian.AppendUint16(o, user)
	return sized(120, 2, append(o, mac...))
}

// DNP3ConfirmFragment is an application confirm from the master (function 0);
// uns sets the UNS bit, confirming an unsolicited response of sequence
// number seq.
func DNP3ConfirmFragment(seq uint8, uns bool) []byte {
	ac := 0xc0 | seq&0x0f
	if uns {
		ac |= 0x10
	}
	return []byte{ac, DNP3Confirm}
}

// DNP3BinaryEvent is one binary input event without time, g2v1, with a
// 1-octet index prefix and count (qualifier 0x17): flag ONLINE and the
// state in bit 7.
func DNP3BinaryEvent(index uint8, on bool) []byte {
	return []byte{2, 1, 0x17, 1, index, 0x01 | boolByte(on)<<7}
}

// iec104Conv writes the APDUs of one IEC 104 connection: each side
// numbers its I-format APDUs and acknowledges the other's, the controlled
// station (the server) answers a few milliseconds after each request.
type iec104Conv struct {
	r    *rand.Rand
	ca   uint16
	ex   []Exchange
	sent [2]uint16 // I-format APDUs sent: [0] by the client, [1] by the server
}

func side(fromServer bool) (me, peer int) {
	if fromServer {
		return 1, 0
	}
	return 0, 1
}

// reply is the time a station takes to answer.
func (c *iec104Conv) reply() time.Duration { return ms(4 + 8*c.r.Float64()) }

func (c *iec104Conv) u(fromServer bool, fn uint8, after time.Duration) {
	c.ex = append(c.ex, Exchange{FromServer: fromServer, Data: IEC104U(fn), After: after})
}

func (c *iec104Conv) i(fromServer bool, asdu []byte, after time.Duration) {
	me, peer := side(fromServer)
	c.ex = append(c.ex, Exchange{FromServer: fromServer, Data: IEC104I(c.sent[me], c.sent[peer], asdu), After: after})
	c.sent[me]++
}

// s acknowledges everything the other side sent.
func (c *iec104Conv) s(fromServer bool, after time.Duration) {
	_, peer := side(fromServer)
	c.ex = append(c.ex, Exchange{FromServer: fromServer, Data: IEC104S(c.sent[peer]), After: after})
}

// start is STARTDT act and con.
func (c *iec104Conv) start(after time.Duration) {
	c.u(false, IEC104StartDTAct, after)
	c.u(true, IEC104StartDTCon, c.reply())
}

// stop is STOPDT act and con, after the client acknowledged the server.
func (c *iec104Conv) stop(after time.Duration) {
	c.s(false, after)
	c.u(false, IEC104StopDTAct, ms(200))
	c.u(true, IEC104StopDTCon, c.reply())
}

// test is TESTFR act from the server (its idle timer t3) and con.
func (c *iec104Conv) test(after time.Duration) {
	c.u(true, IEC104TestFRAct, after)
	c.u(false, IEC104TestFRCon, ms(1+c.r.Float64()))
}

// act sends a command of type typ to object ioa and has it confirmed and,
// when term, terminated.
func (c *iec104Conv) act(typ uint8, ioa uint32, el []byte, term bool, after time.Duration) {
	c.i(false, IEC104ASDU(typ, IEC104Act, false, c.ca, ioa, el), after)
	c.i(true, IEC104ASDU(typ, IEC104ActCon, false, c.ca, ioa, el), c.reply())
	if term {
		c.i(true, IEC104ASDU(typ, IEC104ActTerm, false, c.ca, ioa, el), ms(40+60*c.r.Float64()))
	}
}

// interrogation is a station interrogation: act, con, the single points
// from ioa, termination, and the client's acknowledgement.
func (c *iec104Conv) interrogation(ioa uint32, states []bool, after time.Duration) {
	c.i(false, IEC104ASDU(IEC104Interrogation, IEC104Act, false, c.ca, 0, IEC104QOI()), after)
	c.i(true, IEC104ASDU(IEC104Interrogation, IEC104ActCon, false, c.ca, 0, IEC104QOI()), c.reply())
	c.i(true, IEC104SinglePoints(IEC104Inrogen, c.ca, ioa, states), ms(3))
	c.i(true, IEC104ASDU(IEC104Interrogation, IEC104ActTerm, false, c.ca, 0, IEC104QOI()), 0)
	c.join(2) // the points and the termination in one segment, as stations send them
	c.s(false, ms(20))
}

// join makes the last n exchanges (of one side) one: their APDUs travel
// in the same TCP segment.
func (c *iec104Conv) join(n int) {
	k := len(c.ex) - n
	for _, e := range c.ex[k+1:] {
		c.ex[k].Data = append(c.ex[k].Data, e.Data...)
	}
	c.ex = c.ex[:k+1]
}

// fileSegments splits a section into the segments F_SG_NA_1 carries.
func fileSegments(data []byte, n int) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		k := min(n, len(data))
		out = append(out, data[:k])
		data = data[k:]
	}
	return out
}

// upload transfers file nof (object ioa, one section) from the server to
// the client (monitor direction, IEC 60870-5-101 §7.4.11.1): the client
// selects the file, the server says it is ready, the client calls it and
// its section, the server sends the segments and the last segment, the
// client acknowledges the section and the file.
func (c *iec104Conv) upload(ioa uint32, nof uint16, data []byte, after time.Duration) {
	f := func(fromServer bool, typ uint8, el []byte, after time.Duration) {
		c.i(fromServer, IEC104ASDU(typ, IEC104File, false, c.ca, ioa, el), after)
	}
	chs := IEC104Checksum(data)
	f(false, IEC104CallFile, IEC104CallFileEl(nof, 0, IEC104SelectFile), after)
	f(true, IEC104FileReady, IEC104FileReadyEl(nof, len(data)), c.reply())
	f(false, IEC104CallFile, IEC104CallFileEl(nof, 0, IEC104CallFileQ), ms(30))
	f(true, IEC104SectionReady, IEC104SectionReadyEl(nof, 1, len(data)), c.reply())
	f(false, IEC104CallFile, IEC104CallFileEl(nof, 1, IEC104CallSection), ms(30))
	for _, seg := range fileSegments(data, 200) {
		f(true, IEC104Segment, IEC104SegmentEl(nof, 1, seg), c.reply())
	}
	f(true, IEC104LastSegment, IEC104LastSegmentEl(nof, 1, IEC104LastSection, chs), ms(2))
	f(false, IEC104AckFile, IEC104AckFileEl(nof, 1, IEC104LastSection), ms(20))
	f(true, IEC104LastSegment, IEC104LastSegmentEl(nof, 0, IEC104LastFile, chs), c.reply())
	f(false, IEC104AckFile, IEC104AckFileEl(nof, 0, IEC104LastFile), ms(20))
}

// download transfers file nof from the client to the server (control
// direction, IEC 60870-5-104 §8.5 Ed. 2): the roles of upload, swapped.
func (c *iec104Conv) download(ioa uint32, nof uint16, data []byte, after time.Duration) {
	f := func(fromServer bool, typ uint8, el []byte, after time.Duration) {
		c.i(fromServer, IEC104ASDU(typ, IEC104File, false, c.ca, ioa, el), after)
	}
	chs := IEC104Checksum(data)
	f(false, IEC104FileReady, IEC104FileReadyEl(nof, len(data)), after)
	f(true, IEC104CallFile, IEC104CallFileEl(nof, 0, IEC104CallFileQ), c.reply())
	f(false, IEC104SectionReady, IEC104SectionReadyEl(nof, 1, len(data)), ms(20))
	f(true, IEC104CallFile, IEC104CallFileEl(nof, 1, IEC104CallSection), c.reply())
	for _, seg := range fileSegments(data, 200) {
		f(false, IEC104Segment, IEC104SegmentEl(nof, 1, seg), ms(3))
	}
	f(false, IEC104LastSegment, IEC104LastSegmentEl(nof, 1, IEC104LastSection, chs), ms(2))
	f(true, IEC104AckFile, IEC104AckFileEl(nof, 1, IEC104LastSection), c.reply())
	f(false, IEC104LastSegment, IEC104LastSegmentEl(nof, 0, IEC104LastFile, chs), ms(20))
	f(true, IEC104AckFile, IEC104AckFileEl(nof, 0, IEC104LastFile), c.reply())
}

// iec104Substation is the power SCADA's session with the substation RTU:
// STARTDT, a station interrogation, clock synchronization, a breaker
// opened and closed (double command, select before operate), the
// shore-power transfer switch (single command), set-points for the
// shore-power converter (normalized, scaled, float), a disturbance record
// uploaded, a parameter file downloaded, an idle test and STOPDT. at is
// the capture time of the session's start (the clock it sets).
func iec104Substation(r *rand.Rand, at time.Time, ca uint16, params []byte) []Exchange {
	c := &iec104Conv{r: r, ca: ca}
	states := make([]bool, 16)
	for i := range states {
		states[i] = r.IntN(3) > 0
	}
	c.start(ms(1))
	c.interrogation(1001, states, ms(50))
	c.act(IEC104ClockSync, 0, IEC104CP56(at.Add(200*time.Millisecond)), false, ms(150))
	// Feeder breaker of STS-02: select, execute (open), then close again.
	c.act(IEC104DoubleCommand, 2002, IEC104DCO(false, true), false, ms(800))
	c.act(IEC104DoubleCommand, 2002, IEC104DCO(false, false), true, ms(300))
	c.i(true, IEC104ASDU(IEC104SinglePoint, IEC104Spont, false, ca, 1002, []byte{0}), ms(60))
	c.act(IEC104DoubleCommand, 2002, IEC104DCO(true, true), false, ms(2500))
	c.act(IEC104DoubleCommand, 2002, IEC104DCO(true, false), true, ms(300))
	c.i(true, IEC104ASDU(IEC104SinglePoint, IEC104Spont, false, ca, 1002, []byte{1}), ms(60))
	c.s(false, ms(30))
	// Shore-power transfer switch, then the converter's set-points.
	c.act(IEC104SingleCommand, 2010, IEC104SCO(true, false), true, ms(900))
	c.act(IEC104SetpointNorm, 3001, IEC104SetpointNormEl(0.8, false), false, ms(400))
	c.act(IEC104SetpointScaled, 3002, IEC104SetpointScaledEl(6600, false), false, ms(200))
	c.act(IEC104SetpointFloat, 3003, IEC104SetpointFloatEl(1250.5, false), false, ms(200))
	c.test(ms(1500))
	rec := appendRandom(nil, r, 700)
	c.upload(4001, 7, rec, ms(600))
	c.download(4101, 12, params, ms(900))
	c.stop(ms(800))
	return c.ex
}

// iec104Reset is a connection that starts data transfer and resets the
// RTU's process (C_RP_NA_1, general reset); the RTU confirms it and drops
// the connection as it restarts.
func iec104Reset(r *rand.Rand, ca uint16) []Exchange {
	c := &iec104Conv{r: r, ca: ca}
	c.start(ms(1))
	c.act(IEC104ResetProcess, 0, IEC104QRP(), false, ms(700))
	return c.ex
}

// iec104AfterReset is the SCADA's connection once the RTU is back from a
// reset: STARTDT, the end of initialization (M_EI_NA_1, cause Init, COI
// 2: after a remote reset) and a station interrogation.
func iec104AfterReset(r *rand.Rand, ca uint16) []Exchange {
	c := &iec104Conv{r: r, ca: ca}
	c.start(ms(1))
	c.i(true, IEC104ASDU(IEC104EndOfInit, iec104Init, false, ca, 0, []byte{2}), ms(5))
	states := make([]bool, 16)
	for i := range states {
		states[i] = r.IntN(3) > 0
	}
	c.interrogation(1001, states, ms(40))
	return c.ex
}

// iec104Init is the cause of transmission "initialized".
const iec104Init = 4

// dnp3Conv writes one DNP3 association over TCP: the master's requests,
// each with the next application sequence number, and the outstation's
// responses a few milliseconds later.
type dnp3Conv struct {
	r      *rand.Rand
	m, o   DNP3Link // master → outstation, outstation → master
	seq    uint8    // the master's next application sequence number
	useq   uint8    // the outstation's next unsolicited sequence number
	ex     []Exchange
	handle uint32
}

func newDNP3Conv(r *rand.Rand, master, outstation uint16) *dnp3Conv {
	return &dnp3Conv{r: r, m: DNP3Link{Master: true, Dest: outstation, Src: master},
		o: DNP3Link{Dest: master, Src: outstation}, handle: 0x2a00 + r.Uint32N(0x100)}
}

// req sends a request and returns its sequence number.
func (c *dnp3Conv) req(fc uint8, after time.Duration, objects ...[]byte) uint8 {
	s := c.seq
	c.seq = (c.seq + 1) & 0x0f
	c.ex = append(c.ex, cl(c.m.Frames(DNP3Request(s, fc, objects...)), after))
	return s
}

func (c *dnp3Conv) resp(seq, fc uint8, iin uint16, objects ...[]byte) {
	c.ex = append(c.ex, sv(c.o.Frames(DNP3ResponseFragment(seq, fc, iin, objects...)), ms(6+10*c.r.Float64())))
}

// do is a request and its response.
func (c *dnp3Conv) do(fc uint8, after time.Duration, iin uint16, req, resp [][]byte) {
	s := c.req(fc, after, req...)
	c.resp(s, DNP3Response, iin, resp...)
}

// open opens a file and returns the outstation's answer's objects.
func (c *dnp3Conv) open(name string, at time.Time, size uint32, mode uint16, after time.Duration) {
	s := c.req(DNP3OpenFile, after, DNP3FileCommand(name, at, size, mode, 1024, uint16(c.seq)))
	c.resp(s, DNP3Response, 0, DNP3FileStatus(c.handle, size, 1024, uint16(s), 0))
}

func (c *dnp3Conv) close(size uint32, after time.Duration) {
	c.do(DNP3CloseFile, after, 0, [][]byte{DNP3FileStatus(c.handle, 0, 0, uint16(c.seq), 0)},
		[][]byte{DNP3FileStatus(c.handle, size, 1024, uint16(c.seq), 0)})
	c.handle++
}

// dnp3ShorePower is the power SCADA's association with the shore-power
// controller: its device attributes read, an integrity poll, the time
// written, unsolicited responses enabled and one confirmed, a breaker
// tripped by select and operate (the operate challenged by secure
// authentication and answered), a set-point by direct operate, unsolicited responses disabled, the event
// log read as a file, a warm restart, a settings file written and the
// controller cold restarted to apply it.
func dnp3ShorePower(r *rand.Rand, at time.Time, settings []byte) []Exchange {
	c := newDNP3Conv(r, 1, 10)
	bi := make([]bool, 8)
	for i := range bi {
		bi[i] = r.IntN(2) == 0
	}
	ai := []int16{int16(4000 + r.IntN(400)), int16(11000 + r.IntN(50)), 50, int16(r.IntN(900))}
	c.do(DNP3Read, ms(1), DNP3IINDeviceRestart|DNP3IINNeedTime, [][]byte{DNP3AllObjects(0, DNP3AttrAll)}, [][]byte{
		DNP3DeviceAttribute(DNP3AttrVendor, "SEL"), DNP3DeviceAttribute(DNP3AttrModel, "SEL-3505 RTAC"),
		DNP3DeviceAttribute(DNP3AttrSoftware, "R150-V2"), DNP3DeviceAttribute(DNP3AttrSerial, "1231540087"),
		DNP3DeviceAttribute(DNP3AttrName, "sub-spc1")})
	c.do(DNP3Read, ms(40), DNP3IINDeviceRestart|DNP3IINNeedTime, [][]byte{DNP3ClassData()},
		[][]byte{DNP3BinaryInputs(bi), DNP3AnalogInputs(ai)})
	c.do(DNP3Write, ms(120), DNP3IINDeviceRestart, [][]byte{DNP3Time(at.Add(150 * time.Millisecond))}, nil)
	c.do(DNP3EnableUnsolicited, ms(200), 0, [][]byte{DNP3EventClasses()}, nil)
	u := c.useq
	c.useq = (c.useq + 1) & 0x0f
	c.ex = append(c.ex, sv(c.o.Frames(DNP3ResponseFragment(u, DNP3Unsolicited, DNP3IINClass1, DNP3BinaryEvent(3, true))), ms(1400)))
	c.ex = append(c.ex, cl(c.m.Frames(DNP3ConfirmFragment(u, true)), ms(5)))
	// Trip the converter's output breaker: select, then operate, which
	// the outstation challenges (a critical function) before it acts.
	crob := DNP3CROB(2, DNP3Trip, 500, 0, 0)
	c.do(DNP3Select, ms(900), 0, [][]byte{crob}, [][]byte{crob})
	s := c.req(DNP3Operate, ms(150), crob)
	csq := r.Uint32N(1000)
	c.resp(s, DNP3AuthResponse, 0, DNP3AuthChallenge(csq, 1, appendRandom(nil, r, 16)))
	a := c.req(DNP3AuthRequest, ms(4), DNP3AuthReply(csq, 1, appendRandom(nil, r, 16)))
	c.resp(a, DNP3Response, 0, crob)
	c.do(DNP3DirectOperate, ms(700), 0, [][]byte{DNP3AnalogOutput(1, 850, 0)}, [][]byte{DNP3AnalogOutput(1, 850, 0)})
	c.do(DNP3DisableUnsolicited, ms(400), 0, [][]byte{DNP3EventClasses()}, nil)
	// The event log, read.
	log := appendRandom(nil, r, 600) // a response of three transport segments
	c.open("/log/events.txt", at.Add(-48*time.Hour), uint32(len(log)), DNP3FileRead, ms(600))
	s = c.req(DNP3Read, ms(30), DNP3AllObjects(70, 5))
	c.resp(s, DNP3Response, 0, DNP3FileData(c.handle, 0, true, log))
	c.close(uint32(len(log)), ms(20))
	// A warm restart to clear a latched converter alarm the log showed.
	c.do(DNP3WarmRestart, ms(700), 0, nil, [][]byte{DNP3Delay(2000)})
	// A settings file, written in blocks of 256 octets (a request of two
	// transport segments), then a cold restart to apply it.
	c.open("/settings/spc1.txt", at, uint32(len(settings)), DNP3FileWrite, ms(900))
	blocks := fileSegments(settings, 256)
	for i, b := range blocks {
		last := i == len(blocks)-1
		c.do(DNP3Write, ms(15), 0, [][]byte{DNP3FileData(c.handle, uint32(i), last, b)},
			[][]byte{DNP3FileTransportStatus(c.handle, uint32(i), last)})
	}
	c.close(uint32(len(settings)), ms(20))
	c.do(DNP3ColdRestart, ms(1200), 0, nil, [][]byte{DNP3Delay(15000)})
	return c.ex
}

// substationTelecontrol is the power SCADA's sessions with the substation
// (IEC 104 with the RTU from 16.3 s, DNP3 with the shore-power controller
// from 20.1 s), at 44.3 s a TOS workstation resetting the RTU's process,
// and at 53.4 s the SCADA's reconnection to the restarted RTU.
func (t *term) substationTelecontrol() {
	s := time.Second
	scada, rtu, spc := t.m.scada.Host, t.m.rtu.Host, t.m.spc.Host
	t.do(16*s+ms(310), func() {
		t.tcp(scada, rtu, 2404, iec104Substation(t.r, t.b.Now(), 1, appendRandom(nil, t.r, 450))...)
	})
	t.do(20*s+ms(130), func() { t.tcp(scada, spc, 20000, dnp3ShorePower(t.r, t.b.Now(), shorePowerSettings)...) })
	t.do(44*s+ms(270), func() { t.tcp(hTOSWS, rtu, 2404, iec104Reset(t.r, 1)...) })
	t.do(53*s+ms(410), func() { t.tcp(scada, rtu, 2404, iec104AfterReset(t.r, 1)...) })
}

// shorePowerSettings is the settings file written to the shore-power
// controller.
var shorePowerSettings = []byte(`[converter]
rated_power_kva = 2000
output_voltage_v = 6600
output_frequency_hz = 60
ramp_rate_kw_s = 50

[protection]
overcurrent_pickup_a = 210
overcurrent_delay_ms = 300
earth_fault_pickup_a = 5
undervoltage_trip_pct = 85

[interlocks]
cable_reel_limit = enabled
plug_pilot_loop = enabled
emergency_stop_chain = enabled
`)

// mustNot marks vs as the findings scenario name's allowed traffic must
// not cause.
func mustNot(name string, vs ...Violation) []Violation {
	for i := range vs {
		vs[i].Scenario = name
	}
	return vs
}

// model returns the terminal model of o: its cranes, and the power SCADA
// and substation when a selected scenario needs them.
func (o TerminalOptions) model() (*model, error) {
	m, err := newModel(o.Cranes)
	if err != nil || o.NoViolations {
		return m, err
	}
	sel, err := selectScenarios(o.Scenarios)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(sel, func(sc *TerminalScenario) bool { return sc.Power }) {
		m.power()
	}
	return m, nil
}
