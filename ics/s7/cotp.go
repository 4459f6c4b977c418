package s7

import "encoding/binary"

// COTP TPDU codes (ISO 8073 §13.1, table 8), the high nibble of the code
// octet.
const (
	cotpED = 0x1 // expedited data
	cotpEA = 0x2 // expedited data acknowledgement
	cotpRJ = 0x5 // reject
	cotpAK = 0x6 // data acknowledgement
	cotpER = 0x7 // TPDU error
	cotpDR = 0x8 // disconnect request
	cotpDC = 0xC // disconnect confirm
	cotpCC = 0xD // connection confirm
	cotpCR = 0xE // connection request
	cotpDT = 0xF // data
)

// cotp decodes a connection-management TPDU (ISO 8073 §13.3–§13.12): the
// references, class, the CR/CC parameters (§13.3.4: TPDU size 0xC0, calling
// TSAP 0xC1, called TSAP 0xC2), the DR reason (§13.5.3) and the ER cause
// (§13.12.3).
func (a *Analyzer) cotp(t []byte, li int, code uint8, fromClient bool, emit func(*Message)) {
	m := a.start(KindCOTP, fromClient)
	m.TPDU = code
	m.op = opSession
	h := t[:li+1] // the header; user data of CR/CC/DR is not used by S7
	switch code {
	case cotpCR, cotpCC:
		m.request = code == cotpCR
		m.name = "COTP Connection Request"
		if code == cotpCC {
			m.name = "COTP Connection Confirm"
		}
		if len(h) < 7 {
			a.malformed(m, stCOTPLength, emit)
			return
		}
		m.DstRef = binary.BigEndian.Uint16(h[2:])
		m.SrcRef = binary.BigEndian.Uint16(h[4:])
		m.Class = h[6] >> 4
		for v := h[7:]; len(v) >= 2; {
			pc, pl := v[0], int(v[1])
			if 2+pl > len(v) {
				a.malformed(m, stCOTPLength, emit)
				return
			}
			val := v[2 : 2+pl]
			switch pc {
			case 0xC0:
				if pl == 1 && val[0] >= 7 && val[0] <= 13 {
					m.TPDUSize = 1 << val[0]
				}
			case 0xC1:
				m.callingTSAP = val
			case 0xC2:
				m.calledTSAP = val
			}
			v = v[2+pl:]
		}
	case cotpDR:
		m.request = true
		m.name = "COTP Disconnect Request"
		if len(h) < 7 {
			a.malformed(m, stCOTPLength, emit)
			return
		}
		m.DstRef = binary.BigEndian.Uint16(h[2:])
		m.SrcRef = binary.BigEndian.Uint16(h[4:])
		m.Reason = h[6]
		m.hasReason = true
		if m.Reason != 128 {
			m.status = drReasonName(m.Reason)
		}
	case cotpDC:
		m.name = "COTP Disconnect Confirm"
		if len(h) < 6 {
			a.malformed(m, stCOTPLength, emit)
			return
		}
		m.DstRef = binary.BigEndian.Uint16(h[2:])
		m.SrcRef = binary.BigEndian.Uint16(h[4:])
	case cotpER:
		m.name = "COTP TPDU Error"
		if len(h) < 5 {
			a.malformed(m, stCOTPLength, emit)
			return
		}
		m.DstRef = binary.BigEndian.Uint16(h[2:])
		m.Reason = h[4]
		m.hasReason = true
		m.status = erCauseName(m.Reason)
	case cotpED:
		m.request = true
		m.name = "COTP Expedited Data"
	case cotpEA:
		m.name = "COTP Expedited Data Acknowledgement"
	case cotpAK:
		m.name = "COTP Data Acknowledgement"
	case cotpRJ:
		m.name = "COTP Reject"
	default:
		m.name = "COTP"
		a.malformed(m, stCOTPCode, emit)
		return
	}
	emit(m)
}

// drReasonName names a DR reason (ISO 8073 §13.5.3 e).
func drReasonName(r uint8) string {
	switch r {
	case 0:
		return "Reason not specified"
	case 1:
		return "Congestion at TSAP"
	case 2:
		return "Session entity not attached to TSAP"
	case 3:
		return "Address unknown"
	case 128:
		return "Normal disconnect initiated by session entity"
	case 129:
		return "Remote transport entity congestion at connect request time"
	case 130:
		return "Connection negotiation failed"
	case 131:
		return "Duplicate source reference"
	case 132:
		return "Mismatched references"
	case 133:
		return "Protocol error"
	case 135:
		return "Reference overflow"
	case 136:
		return "Connection request refused on this network connection"
	case 138:
		return "Header or parameter length invalid"
	}
	return "Unknown disconnect reason"
}

// erCauseName names an ER reject cause (ISO 8073 §13.12.3 d).
func erCauseName(c uint8) string {
	switch c {
	case 0:
		return "Reason not specified"
	case 1:
		return "Invalid parameter code"
	case 2:
		return "Invalid TPDU type"
	case 3:
		return "Invalid parameter value"
	}
	return "Unknown reject cause"
}

// cotpAbbrev is the short name of a TPDU code, as ISO 8073 writes it.
func cotpAbbrev(code uint8) string {
	switch code {
	case cotpED:
		return "ED"
	case cotpEA:
		return "EA"
	case cotpRJ:
		return "RJ"
	case cotpAK:
		return "AK"
	case cotpER:
		return "ER"
	case cotpDR:
		return "DR"
	case cotpDC:
		return "DC"
	case cotpCC:
		return "CC"
	case cotpCR:
		return "CR"
	case cotpDT:
		return "DT"
	}
	return "unknown"
}

// tsapConnection names the connection type in the first octet of an S7
// TSAP: 1 PG (programming device), 2 OP (operator panel), 3 S7 basic
// communication. The second octet is rack (3 bits) and slot (5 bits).
func tsapConnection(b uint8) string {
	switch b {
	case 1:
		return "PG"
	case 2:
		return "OP"
	case 3:
		return "S7 basic"
	}
	return "other"
}
