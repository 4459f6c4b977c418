package modbus

import "encoding/binary"

// Problems a well-framed PDU can have: they become Message.Status with
// Malformed set.
const (
	problemLength         = "BAD_LENGTH"           // the data is not the size the function defines
	problemByteCount      = "BAD_BYTE_COUNT"       // a byte count disagrees with the data or the quantity
	problemReference      = "BAD_REFERENCE_TYPE"   // a file record reference type other than 6
	problemObjects        = "BAD_OBJECT_LIST"      // device identification objects overrun the PDU
	problemTruncated      = "TRUNCATED"            // shorter than the function's fixed fields
	problemExceptionReq   = "EXCEPTION_IN_REQUEST" // a client sent a function code with the exception bit
	problemUMASStatus     = "BAD_UMAS_STATUS"      // a UMAS response status neither 0xFE nor 0xFD
	problemSignedEnvelope = "BAD_SIGNED_ENVELOPE"  // a UMAS 0x38 too short or without its inner 0x5A
	fileReferenceType     = 6                      // §6.14, §6.15
	maxFIFOCount          = 31                     // §6.18
)

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }

// request checks a request's data d against the layout of its function
// code's section of the Application Protocol Specification V1.1b3 and pulls
// the typed fields into m. It returns the problem, "" if none.
func (a *Analyzer) request(m *Message, fc uint8, d []byte) string {
	if m.Code&exceptionBit != 0 {
		if len(d) >= 1 {
			m.Exception = d[0]
		}
		return problemExceptionReq
	}
	switch fc {
	case ReadCoils, ReadDiscreteInputs, ReadHoldingRegisters, ReadInputRegisters: // §6.1-6.4
		if len(d) != 4 {
			return problemLength
		}
		m.Address, m.Quantity = be16(d), be16(d[2:])
	case WriteSingleCoil, WriteSingleRegister: // §6.5, §6.6
		if len(d) != 4 {
			return problemLength
		}
		m.Address, m.Value, m.Quantity = be16(d), be16(d[2:]), 1
	case ReadExceptionStatus, GetCommEventCounter, GetCommEventLog, ReportServerID: // §6.7, §6.9, §6.10, §6.13
		if len(d) != 0 {
			return problemLength
		}
	case Diagnostics: // §6.8
		if len(d) < 2 {
			return problemTruncated
		}
		m.Sub, m.HasSub = be16(d), true
	case WriteMultipleCoils, WriteMultipleRegisters: // §6.11, §6.12
		if len(d) < 5 {
			return problemTruncated
		}
		m.Address, m.Quantity = be16(d), be16(d[2:])
		want := (int(m.Quantity) + 7) / 8
		if fc == WriteMultipleRegisters {
			want = 2 * int(m.Quantity)
		}
		if n := int(d[4]); n != len(d)-5 || n != want {
			return problemByteCount
		}
	case ReadFileRecord: // §6.14: byte count, then 7-byte sub-requests
		if len(d) < 1 {
			return problemTruncated
		}
		if n := int(d[0]); n != len(d)-1 || n%7 != 0 {
			return problemByteCount
		}
		for r := d[1:]; len(r) > 0; r = r[7:] {
			if r[0] != fileReferenceType {
				return problemReference
			}
			m.Quantity++
		}
	case WriteFileRecord: // §6.15
		return writeFileRecord(m, d)
	case MaskWriteRegister: // §6.16
		if len(d) != 6 {
			return problemLength
		}
		m.Address, m.Quantity = be16(d), 1
	case ReadWriteMultipleRegisters: // §6.17
		if len(d) < 9 {
			return problemTruncated
		}
		m.Address, m.Quantity = be16(d), be16(d[2:])
		m.WriteAddress, m.WriteQuantity = be16(d[4:]), be16(d[6:])
		if n := int(d[8]); n != len(d)-9 || n != 2*int(m.WriteQuantity) {
			return problemByteCount
		}
	case ReadFIFOQueue: // §6.18
		if len(d) != 2 {
			return problemLength
		}
		m.Address = be16(d)
	case EncapsulatedInterface: // §6.19
		if len(d) < 1 {
			return problemTruncated
		}
		m.Sub, m.HasSub = uint16(d[0]), true
		if d[0] == MEIDeviceIdentity { // §6.21: read device id code, object id
			if len(d) != 3 {
				return problemLength
			}
			m.DeviceIDCode, m.ObjectID = d[1], d[2]
		}
	case UMAS:
		return a.umasRequest(m, d)
	}
	return ""
}

// writeFileRecord checks a Write File Record request or its echo (§6.15):
// byte count, then sub-requests of reference type, file, record, record
// length and length words of data.
func writeFileRecord(m *Message, d []byte) string {
	if len(d) < 1 {
		return problemTruncated
	}
	if int(d[0]) != len(d)-1 {
		return problemByteCount
	}
	for r := d[1:]; len(r) > 0; {
		if len(r) < 7 {
			return problemByteCount
		}
		if r[0] != fileReferenceType {
			return problemReference
		}
		n := 7 + 2*int(be16(r[5:]))
		if n > len(r) {
			return problemByteCount
		}
		r = r[n:]
		m.Quantity++
	}
	return ""
}

// response checks a response's data d as request does, pairing it with its
// request first.
func (a *Analyzer) response(m *Message, fc uint8, d []byte) string {
	p := a.take(m)
	if p != nil {
		m.Paired = true
		m.Address, m.Quantity = p.addr, p.qty
		if p.hasSub && fc != UMAS {
			m.Sub, m.HasSub = p.sub, true
		}
	}
	if m.Code&exceptionBit != 0 { // §7: exception code only
		if len(d) != 1 {
			return problemLength
		}
		m.Exception = d[0]
		if fc == UMAS && p != nil {
			m.HasUMAS, m.UMASFunc, m.Signed = true, uint8(p.sub), p.signed
		}
		return ""
	}
	switch fc {
	case ReadCoils, ReadDiscreteInputs: // §6.1, §6.2: byte count, packed bits
		if len(d) < 1 {
			return problemTruncated
		}
		if int(d[0]) != len(d)-1 {
			return problemByteCount
		}
	case ReadHoldingRegisters, ReadInputRegisters, ReadWriteMultipleRegisters: // §6.3, §6.4, §6.17
		if len(d) < 1 {
			return problemTruncated
		}
		if n := int(d[0]); n != len(d)-1 || n%2 != 0 {
			return problemByteCount
		}
	case WriteSingleCoil, WriteSingleRegister: // §6.5, §6.6: echo
		if len(d) != 4 {
			return problemLength
		}
		m.Address, m.Value, m.Quantity = be16(d), be16(d[2:]), 1
	case WriteMultipleCoils, WriteMultipleRegisters: // §6.11, §6.12: address, quantity
		if len(d) != 4 {
			return problemLength
		}
		m.Address, m.Quantity = be16(d), be16(d[2:])
	case ReadExceptionStatus: // §6.7: output data
		if len(d) != 1 {
			return problemLength
		}
	case Diagnostics: // §6.8: echo of the sub-function
		if len(d) < 2 {
			return problemTruncated
		}
		m.Sub, m.HasSub = be16(d), true
	case GetCommEventCounter: // §6.9: status, event count
		if len(d) != 4 {
			return problemLength
		}
	case GetCommEventLog: // §6.10: byte count, status, event count, message count, events
		if len(d) < 7 {
			return problemTruncated
		}
		if int(d[0]) != len(d)-1 {
			return problemByteCount
		}
	case ReportServerID: // §6.13: byte count, server id, run indicator, additional data
		if len(d) < 1 {
			return problemTruncated
		}
		if int(d[0]) != len(d)-1 {
			return problemByteCount
		}
	case ReadFileRecord: // §6.14: data length, then sub-responses of length, reference type, words
		if len(d) < 1 {
			return problemTruncated
		}
		if int(d[0]) != len(d)-1 {
			return problemByteCount
		}
		for r := d[1:]; len(r) > 0; {
			n := int(r[0])
			if len(r) < 2 || n < 1 || n%2 != 1 || 1+n > len(r) {
				return problemByteCount
			}
			if r[1] != fileReferenceType {
				return problemReference
			}
			r = r[1+n:]
		}
	case WriteFileRecord: // §6.15: echo
		m.Quantity = 0
		return writeFileRecord(m, d)
	case MaskWriteRegister: // §6.16: echo
		if len(d) != 6 {
			return problemLength
		}
		m.Address, m.Quantity = be16(d), 1
	case ReadFIFOQueue: // §6.18: byte count (2), FIFO count (2), registers
		if len(d) < 4 {
			return problemTruncated
		}
		n, count := int(be16(d)), int(be16(d[2:]))
		if n != len(d)-2 || n != 2+2*count || count > maxFIFOCount {
			return problemByteCount
		}
		m.Quantity = uint16(count)
	case EncapsulatedInterface: // §6.19
		if len(d) < 1 {
			return problemTruncated
		}
		m.Sub, m.HasSub = uint16(d[0]), true
		if d[0] == MEIDeviceIdentity {
			return deviceIdentity(m, d)
		}
	case UMAS:
		return a.umasResponse(m, d, p)
	}
	return ""
}

// deviceIdentity checks a Read Device Identification response (§6.21): MEI
// type, read device id code, conformity level, more follows, next object id,
// number of objects, then objects of id, length, value.
func deviceIdentity(m *Message, d []byte) string {
	if len(d) < 6 {
		return problemTruncated
	}
	m.DeviceIDCode = d[1]
	r := d[6:]
	for range int(d[5]) {
		if len(r) < 2 || 2+int(r[1]) > len(r) {
			return problemObjects
		}
		r = r[2+int(r[1]):]
	}
	if len(r) != 0 {
		return problemObjects
	}
	return ""
}
