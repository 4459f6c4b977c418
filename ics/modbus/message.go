package modbus

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"harborwatch/event"
)

// Message is one Modbus ADU, decoded. It is reused by its Analyzer: it and
// every slice in it are valid only during the emit call.
type Message struct {
	TID  uint16 // MBAP transaction identifier
	Unit uint8  // MBAP unit identifier
	Code uint8  // function code as on the wire: exception responses have bit 7 set

	Exception uint8 // exception code of an exception response (§7), else 0

	// Sub is the diagnostics sub-function (function 8) or the MEI type
	// (function 43), when HasSub. Responses take it from their request when
	// they do not carry it.
	Sub    uint16
	HasSub bool

	// Address and Quantity: the first address and the count of coils,
	// registers (or file sub-requests, FIFO registers) the function
	// addresses. Responses that do not repeat them take them from their
	// request. Value is the value written by functions 5 and 6. Function 23
	// reads Address/Quantity and writes WriteAddress/WriteQuantity.
	Address, Quantity           uint16
	Value                       uint16
	WriteAddress, WriteQuantity uint16

	DeviceIDCode, ObjectID uint8 // function 43/14 (§6.21)

	// UMAS (function 90): the pairing key, the UMAS function (a response's
	// is its request's, known when HasUMAS), the response status (0xFE ok,
	// 0xFD error) and whether the message came in a signed envelope.
	HasUMAS    bool
	Pairing    uint8
	UMASFunc   uint8
	UMASStatus uint8
	Signed     bool

	// Block is the content of one transferred program block (UMAS 0x31
	// requests into the PLC, responses to 0x34 out of it), BlockNumber its
	// number or -1. Transfer is set on the message that ends a transfer.
	Block       []byte
	BlockNumber int
	Transfer    Transfer

	Paired    bool   // a response matched with its request (same transaction and unit id)
	Malformed bool   // framed correctly but its content breaks the function's layout; Status names the problem
	PDU       []byte // function code and data

	request  bool
	problem  string
	umasBody []byte
}

// Request reports whether the flow's client sent m.
func (m *Message) Request() bool { return m.request }

// Func is the function code without the exception bit, as tshark's
// modbus.func_code.
func (m *Message) Func() int { return int(m.Code &^ exceptionBit) }

// Name is the function's name as Zeek names it (READ_HOLDING_REGISTERS, …,
// unknown-N); UMAS messages are named by their UMAS function (UMAS_STOP_PLC).
func (m *Message) Name() string {
	if m.Func() == UMAS && m.HasUMAS {
		return umasFuncs[m.UMASFunc].name
	}
	return funcNames[m.Func()]
}

// Op classifies m into the event.Op* vocabulary. A response has its
// request's op.
func (m *Message) Op() string {
	switch fc := m.Func(); {
	case fc == UMAS:
		if m.HasUMAS {
			return umasFuncs[m.UMASFunc].op
		}
		return event.OpOther
	case fc == EncapsulatedInterface:
		if m.HasSub && m.Sub == MEIDeviceIdentity {
			return event.OpIdentity
		}
		return event.OpOther
	default:
		return funcOps[fc]
	}
}

// Status is "" for a normal PDU, the problem of a malformed one, the
// exception name of an exception response (ILLEGAL_DATA_ADDRESS, …) or
// UMAS_ERROR for a UMAS error response.
func (m *Message) Status() string {
	switch {
	case m.problem != "":
		return m.problem
	case m.Code&exceptionBit != 0:
		return exceptionNames[m.Exception]
	case m.Func() == UMAS && !m.request && m.UMASStatus == UMASResponseError:
		return "UMAS_ERROR"
	}
	return ""
}

// Detail adds the detail keys of m's event: unit, tid, and what the
// function carries (addresses, quantities, values, sub-functions, device
// identity, UMAS function and program block hashes). It allocates.
func (m *Message) Detail(d map[string]any) {
	d["unit"] = int(m.Unit)
	d["tid"] = int(m.TID)
	if m.Code&exceptionBit != 0 {
		d["exception_code"] = int(m.Exception)
	}
	if m.Paired {
		d["paired"] = true
	}
	if m.Malformed {
		d["malformed"] = true
		d["data"] = hexCapped(m.PDU[1:])
		return
	}
	if m.Code&exceptionBit != 0 {
		m.subDetail(d)
		if m.Paired && addressed(m.Func()) {
			d["address"], d["quantity"] = int(m.Address), int(m.Quantity)
		}
		return
	}
	data := m.PDU[1:]
	switch fc := m.Func(); fc {
	case ReadCoils, ReadDiscreteInputs, ReadHoldingRegisters, ReadInputRegisters:
		addrQty(d, m)
		if !m.request {
			d["byte_count"] = int(data[0])
			if fc <= ReadDiscreteInputs {
				d["values"] = bits(data[1:], m.Quantity, m.Paired)
			} else {
				d["values"] = registers(data[1:])
			}
		}
	case WriteSingleCoil: // §6.5: 0xFF00 on, 0x0000 off, anything else illegal
		d["address"] = int(m.Address)
		switch m.Value {
		case 0xFF00:
			d["value"] = 1
		case 0x0000:
			d["value"] = 0
		default:
			d["value_raw"] = int(m.Value)
		}
	case WriteSingleRegister:
		d["address"], d["value"] = int(m.Address), int(m.Value)
	case WriteMultipleCoils, WriteMultipleRegisters:
		addrQty(d, m)
		if m.request {
			d["byte_count"] = int(data[4])
			if fc == WriteMultipleCoils {
				d["values"] = bits(data[5:], m.Quantity, true)
			} else {
				d["values"] = registers(data[5:])
			}
		}
	case Diagnostics:
		m.subDetail(d)
		d["data"] = hexCapped(data[2:])
	case GetCommEventCounter:
		if !m.request {
			d["status"], d["event_count"] = int(be16(data)), int(be16(data[2:]))
		}
	case GetCommEventLog:
		if !m.request {
			d["status"], d["event_count"], d["message_count"] =
				int(be16(data[1:])), int(be16(data[3:])), int(be16(data[5:]))
			d["events"] = hexCapped(data[7:])
		}
	case ReportServerID:
		if !m.request {
			d["byte_count"] = int(data[0])
			d["data"] = hexCapped(data[1:])
			d["text"] = printable(data[1:])
		}
	case ReadFileRecord, WriteFileRecord:
		d["records"] = fileRecords(fc, m.request, data)
	case MaskWriteRegister:
		d["address"], d["and_mask"], d["or_mask"] = int(m.Address), int(be16(data[2:])), int(be16(data[4:]))
	case ReadWriteMultipleRegisters:
		if m.request || m.Paired {
			d["read_address"], d["read_quantity"] = int(m.Address), int(m.Quantity)
		}
		if m.request {
			d["write_address"], d["write_quantity"] = int(m.WriteAddress), int(m.WriteQuantity)
			d["write_values"] = registers(data[9:])
		} else {
			d["read_values"] = registers(data[1:])
		}
	case ReadFIFOQueue:
		if m.request || m.Paired {
			d["address"] = int(m.Address)
		}
		if !m.request {
			d["fifo_count"] = int(m.Quantity)
			d["values"] = registers(data[4:])
		}
	case EncapsulatedInterface:
		m.subDetail(d)
		if m.Sub == MEIDeviceIdentity {
			deviceIDDetail(d, m.request, data)
		} else {
			d["data"] = hexCapped(data[1:])
		}
	case UMAS:
		m.umasDetail(d)
	default:
		d["data"] = hexCapped(data)
	}
}

// subDetail adds the sub-function or MEI type, and the UMAS function of a
// UMAS exception.
func (m *Message) subDetail(d map[string]any) {
	switch fc := m.Func(); {
	case fc == Diagnostics && m.HasSub:
		d["subfunction"] = int(m.Sub)
		if n, ok := diagNames[m.Sub]; ok {
			d["subfunction_name"] = n
		}
		switch m.Sub {
		case DiagRestartCommunications, DiagForceListenOnly, DiagClearCounters, DiagClearOverrun:
			d["changes_state"] = true
		}
	case fc == EncapsulatedInterface && m.HasSub:
		d["mei_type"] = int(m.Sub)
		if n, ok := meiNames[uint8(m.Sub)]; ok {
			d["mei_name"] = n
		}
	case fc == UMAS && m.HasUMAS:
		d["umas_func"] = int(m.UMASFunc)
	}
}

// addressed reports whether function fc addresses coils or registers.
func addressed(fc int) bool {
	switch fc {
	case ReadCoils, ReadDiscreteInputs, ReadHoldingRegisters, ReadInputRegisters, WriteSingleCoil,
		WriteSingleRegister, WriteMultipleCoils, WriteMultipleRegisters, MaskWriteRegister,
		ReadWriteMultipleRegisters, ReadFIFOQueue:
		return true
	}
	return false
}

func addrQty(d map[string]any, m *Message) {
	if m.request || m.Paired {
		d["address"], d["quantity"] = int(m.Address), int(m.Quantity)
	}
}

// bits unpacks coils or inputs, least significant bit first (§6.1); n limits
// them when known.
func bits(b []byte, n uint16, known bool) []int {
	if !known || int(n) > 8*len(b) {
		n = uint16(8 * len(b))
	}
	v := make([]int, n)
	for i := range v {
		v[i] = int(b[i/8]>>(i%8)) & 1
	}
	return v
}

func registers(b []byte) []int {
	v := make([]int, len(b)/2)
	for i := range v {
		v[i] = int(be16(b[2*i:]))
	}
	return v
}

// fileRecords lists the sub-requests or sub-responses of functions 20 and 21.
func fileRecords(fc int, request bool, data []byte) []map[string]any {
	var out []map[string]any
	r := data[1:]
	switch {
	case fc == ReadFileRecord && request:
		for ; len(r) >= 7; r = r[7:] {
			out = append(out, map[string]any{"file": int(be16(r[1:])), "record": int(be16(r[3:])),
				"length": int(be16(r[5:]))})
		}
	case fc == ReadFileRecord:
		for len(r) >= 2 && 1+int(r[0]) <= len(r) {
			out = append(out, map[string]any{"values": registers(r[2 : 1+int(r[0])])})
			r = r[1+int(r[0]):]
		}
	default:
		for len(r) >= 7 && 7+2*int(be16(r[5:])) <= len(r) {
			n := 7 + 2*int(be16(r[5:]))
			out = append(out, map[string]any{"file": int(be16(r[1:])), "record": int(be16(r[3:])),
				"length": int(be16(r[5:])), "values": registers(r[7:n])})
			r = r[n:]
		}
	}
	return out
}

// deviceIDDetail adds a Read Device Identification request's codes or a
// response's objects under "identity" (§6.21).
func deviceIDDetail(d map[string]any, request bool, data []byte) {
	d["read_device_id_code"] = int(data[1])
	if request {
		d["object_id"] = int(data[2])
		return
	}
	d["conformity_level"] = int(data[2])
	d["more_follows"] = data[3] == 0xFF
	d["next_object_id"] = int(data[4])
	id := map[string]any{}
	r := data[6:]
	for range int(data[5]) {
		v := strings.TrimRight(string(r[2:2+int(r[1])]), "\x00 ")
		if int(r[0]) < len(objectKeys) {
			id[objectKeys[r[0]]] = v
		} else {
			id["object_"+strconv.Itoa(int(r[0]))] = v
		}
		r = r[2+int(r[1]):]
	}
	d["identity"] = id
}

// umasDetail adds the UMAS function, status and transfer evidence.
func (m *Message) umasDetail(d map[string]any) {
	d["pairing_key"] = int(m.Pairing)
	if m.HasUMAS {
		d["umas_func"] = int(m.UMASFunc)
		d["umas_name"] = strings.TrimPrefix(umasFuncs[m.UMASFunc].name, "UMAS_")
	}
	if m.Signed {
		d["signed"] = true
	}
	if !m.request {
		switch m.UMASStatus {
		case UMASResponseOK:
			d["umas_status"] = "ok"
		case UMASResponseError:
			d["umas_status"] = "error"
			if len(m.umasBody) > 0 {
				d["umas_error"] = hexCapped(m.umasBody)
			}
		}
	}
	d["data_len"] = len(m.umasBody)
	if m.Block != nil {
		b := map[string]any{"length": len(m.Block), "sha256": sha256Hex(m.Block)}
		if m.BlockNumber >= 0 {
			b["number"] = m.BlockNumber
		}
		d["block"] = b
	}
	if t := m.Transfer; t.Done {
		dir := "upload"
		if t.ToDevice {
			dir = "download"
		}
		d["transfer"] = map[string]any{"direction": dir, "partial": t.Partial, "blocks": t.Blocks,
			"bytes": t.Bytes, "sha256": hex.EncodeToString(t.SHA256[:])}
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// hexCapped renders b in hex, cut at 256 bytes with a marker.
func hexCapped(b []byte) string {
	const limit = 256
	if len(b) > limit {
		return hex.EncodeToString(b[:limit]) + "…(" + strconv.Itoa(len(b)) + " bytes)"
	}
	return hex.EncodeToString(b)
}

// printable keeps b's printable ASCII, each run of anything else becoming
// one space.
func printable(b []byte) string {
	var s strings.Builder
	gap := false
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			gap = true
			continue
		}
		if gap && s.Len() > 0 {
			s.WriteByte(' ')
		}
		gap = false
		s.WriteByte(c)
	}
	return s.String()
}
