package iec104

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"

	"harborwatch/event"
)

// Format is an APDU's format (IEC 60870-5-104 §5).
type Format uint8

// Formats. FormatShort is an APDU whose length leaves no room for the
// control field (Wireshark: "APDU less than 4 bytes").
const (
	FormatI Format = iota + 1
	FormatS
	FormatU
	FormatShort
)

// maxObjects bounds the information objects an event's detail lists.
const maxObjects = 16

// Message is one APDU, decoded. It is reused by its Analyzer: it and every
// slice in it are valid only during the emit call.
type Message struct {
	Format Format
	// UFunc is a U-format APDU's function, one bit of STARTDT act (0x01),
	// STARTDT con, STOPDT act, STOPDT con, TESTFR act, TESTFR con (0x20).
	UFunc uint8
	// SendSeq and RecvSeq are the send and receive sequence numbers of
	// an I-format APDU (RecvSeq also of an S-format one).
	SendSeq, RecvSeq uint16

	// The ASDU's data unit identifier (I format): type identification
	// (when HasType), structure qualifier (SQ, Count objects), cause of
	// transmission with its P/N and test bits, originator address,
	// common address.
	TypeID        uint8
	HasType       bool
	SQ            bool
	Count         uint8
	Cause         uint8
	Negative      bool
	Test          bool
	Originator    uint8
	CommonAddress uint16

	// Prefix counts the bytes skipped before this APDU's start byte.
	Prefix int
	// Malformed: the APDU framed but its content is invalid; Status
	// names the problem.
	Malformed bool
	APDU      []byte // the whole APDU, start byte included
	ASDU      []byte // the ASDU of an I-format APDU

	fromClient bool
	problem    string
}

// Request reports whether m asks something of its receiver: a U-format
// act, an ASDU whose cause is activation, deactivation, a request (except
// monitored information "requested"), or a file transfer sent by the
// flow's client.
func (m *Message) Request() bool {
	switch m.Format {
	case FormatU:
		return m.UFunc == uStartDTAct || m.UFunc == uStopDTAct || m.UFunc == uTestFRAct
	case FormatI:
		switch m.Cause {
		case causeActivation, causeDeactivation:
			return true
		case causeRequest:
			return types[m.TypeID].class != classMonitor
		case causeFile:
			return m.fromClient
		}
	}
	return false
}

// Func is the protocol's code of m: the type identification of an
// I-format APDU, the function bits of a U-format one (tshark's
// iec60870_104.utype), else 0.
func (m *Message) Func() int {
	switch m.Format {
	case FormatI:
		return int(m.TypeID)
	case FormatU:
		return int(m.UFunc)
	}
	return 0
}

// Name is the type identification's name as tshark writes it (C_SC_NA_1,
// M_ME_NC_1, …; unknown-N for a reserved one), the U-format function
// ("STARTDT act", …), "S" for a supervisory APDU, "I" for an I-format APDU
// without ASDU and "short APDU" for one without control field.
func (m *Message) Name() string {
	switch m.Format {
	case FormatI:
		if m.HasType {
			return types[m.TypeID].name
		}
		return "I"
	case FormatS:
		return "S"
	case FormatU:
		return uName(m.UFunc)
	}
	return "short APDU"
}

// Op classifies m into the event.Op* vocabulary: U- and S-format APDUs
// are session; commands (single, double, regulating step, set-point,
// bitstring) write; interrogations and the read command read; clock
// synchronization and parameters config-change; the reset process command
// plc-stop (it restarts the outstation's application, see doc.go); test
// commands diagnostics; secure authentication auth. Monitored information
// is read when interrogated or requested, else (spontaneous, cyclic,
// background, initialization) io. File transfer types are
// program-download when the data moves from the flow's client to the
// outstation, program-upload the other way; directory queries read.
func (m *Message) Op() string {
	switch m.Format {
	case FormatS, FormatU:
		return event.OpSession
	case FormatShort:
		return event.OpOther
	}
	if !m.HasType {
		return event.OpOther
	}
	switch c := types[m.TypeID].class; c {
	case classMonitor:
		if m.Cause == causeRequest || (m.Cause >= causeInrogen && m.Cause <= causeReqco4) {
			return event.OpRead
		}
		return event.OpIO
	case classFileSend, classFileRecv:
		// The holder of the file sends it (F_FR, F_SR, F_LS, F_SG); the
		// receiver calls and acknowledges (F_SC, F_AF).
		if (c == classFileSend) == m.fromClient {
			return event.OpProgramDownload
		}
		return event.OpProgramUpload
	default:
		return classOps[c]
	}
}

// Status is "" for a normal APDU, the problem of a malformed one, the
// cause's name for the negative causes 44-47 (UkTypeId, UkCauseTx,
// UkComAdrASDU, UkIOA) and "negative" for a negative confirmation.
func (m *Message) Status() string {
	switch {
	case m.problem != "":
		return m.problem
	case m.Format != FormatI:
		return ""
	case m.Cause >= 44 && m.Cause <= 47:
		return causeNames[m.Cause]
	case m.Negative:
		return "negative"
	}
	return ""
}

// Detail adds the detail keys of m's event: the APCI (format, sequence
// numbers), the ASDU's cause (cot, cot_code, negative, test), originator,
// common_address, objects (count) and up to 16 information object
// addresses (ioa) with their values where they are simple (states,
// measured values, set-points, counters, qualifiers, clock times). It
// allocates.
func (m *Message) Detail(d map[string]any) {
	if m.Prefix > 0 {
		d["prefix_bytes"] = m.Prefix
	}
	switch m.Format {
	case FormatI:
		d["format"], d["send_seq"], d["recv_seq"] = "I", int(m.SendSeq), int(m.RecvSeq)
	case FormatS:
		d["format"], d["recv_seq"] = "S", int(m.RecvSeq)
		return
	case FormatU:
		d["format"] = "U"
		if m.Malformed {
			d["u_function"] = int(m.UFunc)
		}
		return
	default:
		d["format"] = "short"
		return
	}
	if m.Malformed {
		d["malformed"] = true
		d["asdu"] = hex.EncodeToString(m.ASDU[:min(len(m.ASDU), 64)])
	}
	if !m.HasType || len(m.ASDU) < asduHead {
		return
	}
	d["type_id"] = int(m.TypeID)
	d["cot"], d["cot_code"] = causeNames[m.Cause], int(m.Cause)
	if m.Negative {
		d["negative"] = true
	}
	if m.Test {
		d["test"] = true
	}
	d["originator"], d["common_address"] = int(m.Originator), int(m.CommonAddress)
	d["objects"] = int(m.Count)
	if m.SQ {
		d["sq"] = true
	}
	m.objectDetail(d)
}

// objectDetail lists the information objects' addresses and values.
func (m *Message) objectDetail(d map[string]any) {
	t := types[m.TypeID]
	body := m.ASDU[asduHead:]
	if t.size < 0 || m.Malformed {
		if len(body) >= ioaLen {
			d["ioa"] = []int{ioa(body)}
		}
		return
	}
	size := int(t.size)
	n := min(int(m.Count), maxObjects)
	ioas := make([]int, 0, n)
	var values []any
	base := 0
	if m.SQ {
		base = ioa(body)
		body = body[ioaLen:]
	}
	for i := range n {
		var el []byte
		if m.SQ {
			ioas = append(ioas, base+i)
			el = body[i*size : (i+1)*size]
		} else {
			o := body[i*(ioaLen+size):]
			ioas = append(ioas, ioa(o))
			el = o[ioaLen : ioaLen+size]
		}
		if v, ok := value(m.TypeID, el); ok {
			values = append(values, v)
		}
	}
	d["ioa"] = ioas
	if len(values) > 0 {
		d["values"] = values
	}
	if int(m.Count) > maxObjects {
		d["objects_truncated"] = true
	}
	if t.class == classCommand || t.class == classParameter {
		selectDetail(d, m.TypeID, body, m.SQ, size)
	}
}

// selectDetail adds select (S/E bit) and qualifier of a command's first
// object: the qualifier of command (QU) or of set-point (QL), or of a
// parameter (KPA).
func selectDetail(d map[string]any, typ uint8, body []byte, sq bool, size int) {
	el := body
	if !sq {
		el = body[ioaLen:]
	}
	el = el[:size]
	var q byte
	switch typ {
	case 45, 46, 47, 58, 59, 60:
		q = el[0]
		d["qualifier"] = int(q>>2) & 0x1F
	case 48, 49, 61, 62, 110, 111:
		q = el[2]
		d["qualifier"] = int(q & 0x7F)
	case 50, 63, 112:
		q = el[4]
		d["qualifier"] = int(q & 0x7F)
	case 113:
		d["qualifier"] = int(el[0] & 0x3F)
		return
	default:
		return
	}
	if typ < 100 {
		d["select"] = q&0x80 != 0
	}
}

// ioa reads a 3-byte information object address.
func ioa(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }

// value decodes the simple value of one information element of type typ
// (el is the element without its address).
func value(typ uint8, el []byte) (any, bool) {
	le16 := func(b []byte) int16 { return int16(binary.LittleEndian.Uint16(b)) }
	switch typ {
	case 1, 2, 30, 45, 58: // SIQ, SCO: state bit
		return int(el[0] & 1), true
	case 3, 4, 31, 46, 59, 47, 60: // DIQ, DCO, RCO: two-bit state
		return int(el[0] & 3), true
	case 5, 6, 32: // VTI: 7-bit signed step position
		return int(int8(el[0]<<1) >> 1), true
	case 7, 8, 33, 51, 64: // BSI
		return int(binary.LittleEndian.Uint32(el)), true
	case 9, 10, 34, 21, 48, 61, 110: // NVA: normalized value
		return float64(le16(el)) / 32768, true
	case 11, 12, 35, 49, 62, 111: // SVA: scaled value
		return int(le16(el)), true
	case 13, 14, 36, 50, 63, 112: // IEEE 754 short float
		f := float64(math.Float32frombits(binary.LittleEndian.Uint32(el)))
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		return f, true
	case 15, 16, 37: // BCR: counter reading
		return int(int32(binary.LittleEndian.Uint32(el))), true
	case 70, 100, 101, 105, 113: // COI, QOI, QCC, QRP, QPA
		return int(el[0]), true
	case 103: // CP56Time2a
		return cp56(el), true
	case 120, 121, 122, 123, 124: // NOF: name of file
		return int(binary.LittleEndian.Uint16(el)), true
	}
	return nil, false
}

// cp56 formats a CP56Time2a (IEC 60870-5-101 §7.2.6.18) as an ISO 8601
// time without zone, the way the station sent it.
func cp56(b []byte) string {
	ms := int(binary.LittleEndian.Uint16(b))
	return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03d", 2000+int(b[6]&0x7F), b[5]&0x0F, b[4]&0x1F,
		b[3]&0x1F, b[2]&0x3F, ms/1000, ms%1000)
}
