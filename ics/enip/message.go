package enip

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strconv"
)

// Kind says what a Message describes.
type Kind uint8

// Message kinds.
const (
	// KindEncap is an encapsulation PDU that carries no CIP (ListIdentity,
	// RegisterSession, NOP, …, or a SendRRData/SendUnitData without CIP
	// data). Proto is "enip"; Func is the encapsulation command.
	KindEncap Kind = iota
	// KindCIP is one CIP service request or response carried by
	// SendRRData or SendUnitData: the service itself, a Multiple_Service_
	// Packet or Unconnected_Send container, or one service embedded in a
	// container. Proto is "cip"; Func is the service code.
	KindCIP
	// KindIO is the first class 0/1 implicit I/O packet seen for a
	// connection id (UDP 2222); later packets are only counted (IOStats).
	// Proto is "cip"; Func is 0.
	KindIO
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindEncap:
		return "encap"
	case KindCIP:
		return "cip"
	case KindIO:
		return "io"
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Message is one decoded PDU. It and every byte slice in it are valid only
// during the emit call that passes it; copy what must outlive the call
// (Detail does).
type Message struct {
	Kind     Kind
	Response bool // a response (CIP: the service's response bit; encapsulation: sent by the flow's server)

	// Encapsulation header (CIP Vol. 2 §2-3.1) of the PDU the message came
	// in; zero for KindIO. For KindEncap, Data is the command-specific data.
	Command     uint16
	Length      uint16
	Session     uint32
	EncapStatus uint32
	Context     [8]byte
	Options     uint32
	// Index is the message's position among those of its encapsulation PDU:
	// 0 for the first (the only one, the PDU itself, or a container), 1… for
	// services embedded in a container.
	Index int

	// CIP (KindCIP).
	Service       uint8  // service code without the response bit (0x80)
	GeneralStatus uint8  // responses
	ExtStatus     []byte // additional status words (little-endian UINTs), responses
	// Path is the request path. For a response paired with its request it
	// holds the request's class, instance and attribute (Raw is nil: the
	// request's bytes are gone).
	Path      Path
	Data      []byte // request or response data after the path/status
	Connected bool   // carried in a connected data item (class 3 explicit messaging)
	ConnID    uint32 // connection id of a connected or I/O message
	Sequence  uint16 // connected data sequence count
	Container bool   // a Multiple_Service_Packet or Unconnected_Send; its services follow as Embedded messages
	Embedded  bool   // a service embedded in the preceding container
	Paired    bool   // a response matched with its request (class/instance known)
	Malformed bool   // the PDU framed correctly but its content is invalid; Status names the problem

	// IOSeq is the 32-bit sequence number of an I/O packet (KindIO).
	IOSeq uint32

	// Transfer is the File object transfer this PDU belongs to (Initiate_*,
	// Upload_Transfer, Download_Transfer), or nil. It is owned by the
	// Analyzer.
	Transfer *Transfer

	name    string
	op      opcode
	sp      special
	problem string
}

// Proto returns "enip" for encapsulation messages and "cip" for CIP and
// I/O messages (the peer's log names).
func (m *Message) Proto() string {
	if m.Kind == KindEncap {
		return "enip"
	}
	return "cip"
}

// Request reports whether the message is a request (sent by the client).
func (m *Message) Request() bool { return !m.Response }

// Op returns the message's operation, one of the event.Op* constants.
func (m *Message) Op() string { return opNames[m.op] }

// Func returns the CIP service code without the response bit (KindCIP), the
// encapsulation command (KindEncap), or 0 (KindIO).
func (m *Message) Func() int {
	switch m.Kind {
	case KindCIP:
		return int(m.Service)
	case KindEncap:
		return int(m.Command)
	}
	return 0
}

// Name returns the specification's name of the service or command
// ("Get_Attribute_Single", "Forward_Open", "ListIdentity", "Read_Tag").
func (m *Message) Name() string { return m.name }

// Status returns "" for success (and for requests), else the problem of a
// malformed PDU, the CIP general status name, or the encapsulation status
// name.
func (m *Message) Status() string {
	if m.Malformed {
		return m.problem
	}
	if m.Kind == KindCIP && m.Response && m.GeneralStatus != 0 {
		return statusName(m.GeneralStatus)
	}
	if m.Kind == KindEncap && m.EncapStatus != 0 {
		return encapStatusName(m.EncapStatus)
	}
	return ""
}

// Identity is the identity of a device: the ListIdentity CIP Identity item
// (CIP Vol. 2 Table 2-4.4) or Identity object attributes 1–8 (CIP Vol. 1
// §5-2.2). Fields says which are present; ProductName is borrowed.
type Identity struct {
	Fields       IdentityFields
	Vendor       uint16
	DeviceType   uint16
	ProductCode  uint16
	Major, Minor uint8
	Status       uint16
	Serial       uint32
	ProductName  []byte
	State        uint8
	// ListIdentity only (IDSocket): the encapsulation version and the
	// device's socket address.
	EncapVersion uint16
	Socket       netip.AddrPort
}

// IdentityFields says which Identity fields were present.
type IdentityFields uint16

// Identity fields.
const (
	IDVendor IdentityFields = 1 << iota
	IDDeviceType
	IDProductCode
	IDRevision
	IDStatus
	IDSerial
	IDProductName
	IDState
	IDSocket
)

// Identity returns the device identity a message carries: a ListIdentity
// response, or a successful Get_Attributes_All / Get_Attribute_Single /
// Get_Attribute_List response of the Identity object paired with its request.
func (m *Message) Identity() (Identity, bool) {
	var id Identity
	switch {
	case m.Kind == KindEncap && m.Command == cmdListIdentity && m.Response:
		items, ok := cpfItems(m.Data)
		for ok {
			var typ uint16
			var body []byte
			typ, body, items, ok = items.next()
			if ok && typ == itemIdentity {
				return parseIdentityItem(body)
			}
		}
	case m.Kind == KindCIP && m.Response && m.Paired && m.GeneralStatus == 0 &&
		m.Path.Has&HasClass != 0 && m.Path.Class == classIdentity:
		switch m.Service {
		case 0x01:
			if m.Path.Has&HasInstance != 0 && m.Path.Instance == 0 {
				return id, false // class attributes
			}
			return parseIdentityAll(m.Data)
		case 0x0E:
			if m.Path.Has&HasAttribute == 0 {
				return id, false
			}
			if _, ok := identityAttr(&id, uint16(m.Path.Attribute), m.Data); ok {
				return id, id.Fields != 0
			}
		case 0x03:
			return parseIdentityList(m.Data)
		}
	}
	return id, false
}

// parseIdentityItem decodes a ListIdentity CIP Identity item.
func parseIdentityItem(b []byte) (Identity, bool) {
	var id Identity
	if len(b) < 2+16 {
		return id, false
	}
	id.EncapVersion = binary.LittleEndian.Uint16(b)
	// sockaddr_in in network byte order: family, port, address, zero.
	port := binary.BigEndian.Uint16(b[4:])
	addr := netip.AddrFrom4([4]byte(b[6:10]))
	id.Socket = netip.AddrPortFrom(addr, port)
	id.Fields |= IDSocket
	all, ok := parseIdentityAll(b[18:])
	all.EncapVersion, all.Socket, all.Fields = id.EncapVersion, id.Socket, all.Fields|IDSocket
	return all, ok
}

// parseIdentityAll decodes the Identity object's Get_Attributes_All
// response layout (also the body of the ListIdentity item).
func parseIdentityAll(b []byte) (Identity, bool) {
	var id Identity
	if len(b) < 15 {
		return id, false
	}
	id.Vendor = binary.LittleEndian.Uint16(b)
	id.DeviceType = binary.LittleEndian.Uint16(b[2:])
	id.ProductCode = binary.LittleEndian.Uint16(b[4:])
	id.Major, id.Minor = b[6], b[7]
	id.Status = binary.LittleEndian.Uint16(b[8:])
	id.Serial = binary.LittleEndian.Uint32(b[10:])
	id.Fields = IDVendor | IDDeviceType | IDProductCode | IDRevision | IDStatus | IDSerial
	n := int(b[14])
	if len(b) < 15+n {
		return id, true
	}
	id.ProductName = b[15 : 15+n]
	id.Fields |= IDProductName
	if len(b) > 15+n {
		id.State = b[15+n]
		id.Fields |= IDState
	}
	return id, true
}

// identityAttr decodes one Identity object attribute value at the start of
// b and returns its length.
func identityAttr(id *Identity, attr uint16, b []byte) (int, bool) {
	u16 := func(f IdentityFields, dst *uint16) (int, bool) {
		if len(b) < 2 {
			return 0, false
		}
		*dst = binary.LittleEndian.Uint16(b)
		id.Fields |= f
		return 2, true
	}
	switch attr {
	case 1:
		return u16(IDVendor, &id.Vendor)
	case 2:
		return u16(IDDeviceType, &id.DeviceType)
	case 3:
		return u16(IDProductCode, &id.ProductCode)
	case 4:
		if len(b) < 2 {
			return 0, false
		}
		id.Major, id.Minor = b[0], b[1]
		id.Fields |= IDRevision
		return 2, true
	case 5:
		return u16(IDStatus, &id.Status)
	case 6:
		if len(b) < 4 {
			return 0, false
		}
		id.Serial = binary.LittleEndian.Uint32(b)
		id.Fields |= IDSerial
		return 4, true
	case 7:
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return 0, false
		}
		id.ProductName = b[1 : 1+int(b[0])]
		id.Fields |= IDProductName
		return 1 + int(b[0]), true
	case 8:
		if len(b) < 1 {
			return 0, false
		}
		id.State = b[0]
		id.Fields |= IDState
		return 1, true
	}
	return 0, false
}

// parseIdentityList decodes a Get_Attribute_List response of the Identity
// object: count, then per attribute its id, status and (if status is 0)
// value (CIP Vol. 1 § ).
func parseIdentityList(b []byte) (Identity, bool) {
	var id Identity
	if len(b) < 2 {
		return id, false
	}
	count := int(binary.LittleEndian.Uint16(b))
	b = b[2:]
	for range count {
		if len(b) < 4 {
			break
		}
		attr, st := binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint16(b[2:])
		b = b[4:]
		if st != 0 {
			continue
		}
		n, ok := identityAttr(&id, attr, b)
		if !ok {
			break
		}
		b = b[n:]
	}
	return id, id.Fields != 0
}

// Detail adds the message's detail keys to d: class/instance/attribute,
// tag, connection, statuses, identity, Forward_Open parameters, reset type,
// file transfer evidence and more. It allocates; call it only when events
// are wanted.
func (m *Message) Detail(d map[string]any) {
	if m.Kind != KindIO {
		d["session"] = "0x" + hex8(m.Session)
		if m.Context != [8]byte{} {
			d["sender_context"] = hex.EncodeToString(m.Context[:])
		}
	}
	if m.Malformed {
		d["malformed"] = m.problem
	}
	switch m.Kind {
	case KindEncap:
		m.encapDetail(d)
	case KindCIP:
		m.cipDetail(d)
	case KindIO:
		d["connection_id"] = "0x" + hex8(m.ConnID)
		d["sequence"] = int(m.IOSeq)
		d["length"] = len(m.Data)
	}
}

func (m *Message) encapDetail(d map[string]any) {
	d["length"] = int(m.Length)
	if m.EncapStatus != 0 {
		d["encap_status"] = int(m.EncapStatus)
	}
	if m.Options != 0 {
		d["options"] = int(m.Options)
	}
	switch m.Command {
	case cmdListIdentity:
		if id, ok := m.Identity(); ok {
			d["identity"] = id.detail()
			if id.Fields&IDSocket != 0 {
				d["socket"] = id.Socket.String()
				d["encapsulation_version"] = int(id.EncapVersion)
			}
		}
	case cmdListServices:
		if !m.Response {
			break
		}
		var svcs []map[string]any
		items, ok := cpfItems(m.Data)
		for ok {
			var typ uint16
			var body []byte
			typ, body, items, ok = items.next()
			if ok && typ == itemServices && len(body) >= 4 {
				name := body[4:]
				if len(name) > 16 {
					name = name[:16]
				}
				for i, c := range name {
					if c == 0 {
						name = name[:i]
						break
					}
				}
				svcs = append(svcs, map[string]any{
					"name":    printable(name),
					"version": int(binary.LittleEndian.Uint16(body)),
					"flags":   int(binary.LittleEndian.Uint16(body[2:])),
				})
			}
		}
		if svcs != nil {
			d["services"] = svcs
		}
	case cmdRegisterSession:
		if len(m.Data) >= 4 {
			d["protocol_version"] = int(binary.LittleEndian.Uint16(m.Data))
			d["options_flags"] = int(binary.LittleEndian.Uint16(m.Data[2:]))
		}
	}
}

func (m *Message) cipDetail(d map[string]any) {
	p := &m.Path
	if p.Has&HasClass != 0 {
		d["class"] = int(p.Class)
		if n := className(p.Class); n != "" {
			d["class_name"] = n
		}
	}
	if p.Has&HasInstance != 0 {
		d["instance"] = int(p.Instance)
	}
	if p.Has&HasAttribute != 0 {
		d["attribute"] = int(p.Attribute)
	}
	if p.Has&HasMember != 0 {
		d["member"] = int(p.Member)
	}
	if len(p.Raw) > 0 {
		text, tag := renderPath(p.Raw)
		d["path"] = text
		if tag != "" {
			d["tag"] = tag
		}
	}
	if m.Connected {
		d["connection_id"] = "0x" + hex8(m.ConnID)
		d["sequence"] = int(m.Sequence)
	}
	if m.Container {
		d["container"] = true
	}
	if m.Embedded {
		d["embedded"] = m.Index
	}
	if m.Response {
		d["general_status"] = int(m.GeneralStatus)
		if len(m.ExtStatus) >= 2 {
			ext := binary.LittleEndian.Uint16(m.ExtStatus)
			d["extended_status"] = int(ext)
			if n := extendedStatusName(m.GeneralStatus, ext); n != "" {
				d["extended_status_name"] = n
			}
		}
		if !m.Paired {
			d["request_seen"] = false
		}
	}
	if id, ok := m.Identity(); ok {
		d["identity"] = id.detail()
	}
	if m.Transfer != nil {
		d["file"] = m.Transfer.detail()
	}
	if m.Malformed {
		return
	}
	switch m.sp {
	case spReset:
		if !m.Response {
			t := uint8(0)
			if len(m.Data) > 0 {
				t = m.Data[0]
			}
			d["reset_type"] = int(t)
			d["reset"] = resetTypeName(t)
		}
	case spForwardOpen, spLargeForwardOpen:
		forwardOpenDetail(d, m.Data, m.Response, m.sp == spLargeForwardOpen)
	case spForwardClose:
		if !m.Response && len(m.Data) >= 12 {
			d["connection_serial"] = int(binary.LittleEndian.Uint16(m.Data[2:]))
			d["originator_vendor_id"] = int(binary.LittleEndian.Uint16(m.Data[4:]))
			d["originator_serial"] = "0x" + hex8(binary.LittleEndian.Uint32(m.Data[6:]))
			if n := 2 * int(m.Data[10]); len(m.Data) >= 12+n {
				text, _ := renderPath(m.Data[12 : 12+n])
				d["connection_path"] = text
			}
		}
	case spUnconnectedSend:
		if !m.Response {
			if _, route, ok := ucsSplit(m.Data); ok {
				text, _ := renderPath(route)
				d["route"] = text
			}
		}
	case spPCCC:
		if cmd, fnc, ok := pcccCommand(m.Data, m.Response); ok {
			d["pccc_command"] = int(cmd)
			if !m.Response { // replies carry no function code
				d["pccc"], _ = pcccOp(cmd, fnc)
				if cmd == 0x0F || cmd == 0x06 {
					d["pccc_function"] = int(fnc)
				}
			}
		}
	case spTag:
		if m.Response || len(m.Data) < 2 {
			break
		}
		switch m.Service {
		case 0x4C, 0x52: // elements
			d["elements"] = int(binary.LittleEndian.Uint16(m.Data))
		case 0x4D, 0x53: // type, [handle], elements
			typ := binary.LittleEndian.Uint16(m.Data)
			d["data_type"] = int(typ)
			off := 2
			if typ == 0x02A0 {
				off += 2 // structure handle
			}
			if len(m.Data) >= off+2 {
				d["elements"] = int(binary.LittleEndian.Uint16(m.Data[off:]))
			}
		}
	}
}

// forwardOpenDetail renders a Forward_Open / Large_Forward_Open request
// (CIP Vol. 1 Table 3-5.16) or its success response (Table 3-5.18).
func forwardOpenDetail(d map[string]any, b []byte, response, large bool) {
	if response {
		if len(b) < 26 {
			return
		}
		d["o_t_connection_id"] = "0x" + hex8(binary.LittleEndian.Uint32(b))
		d["t_o_connection_id"] = "0x" + hex8(binary.LittleEndian.Uint32(b[4:]))
		d["connection_serial"] = int(binary.LittleEndian.Uint16(b[8:]))
		d["originator_vendor_id"] = int(binary.LittleEndian.Uint16(b[10:]))
		d["originator_serial"] = "0x" + hex8(binary.LittleEndian.Uint32(b[12:]))
		d["o_t_api_us"] = int(binary.LittleEndian.Uint32(b[16:]))
		d["t_o_api_us"] = int(binary.LittleEndian.Uint32(b[20:]))
		return
	}
	params := 2
	if large {
		params = 4
	}
	fixed := 32 + 2*params // through the path size byte
	if len(b) < fixed {
		return
	}
	d["o_t_connection_id"] = "0x" + hex8(binary.LittleEndian.Uint32(b[2:]))
	d["t_o_connection_id"] = "0x" + hex8(binary.LittleEndian.Uint32(b[6:]))
	d["connection_serial"] = int(binary.LittleEndian.Uint16(b[10:]))
	d["originator_vendor_id"] = int(binary.LittleEndian.Uint16(b[12:]))
	d["originator_serial"] = "0x" + hex8(binary.LittleEndian.Uint32(b[14:]))
	d["timeout_multiplier"] = int(b[18])
	i := 22
	d["o_t_rpi_us"] = int(binary.LittleEndian.Uint32(b[i:]))
	i += 4
	var ot, to uint32
	if large {
		ot = binary.LittleEndian.Uint32(b[i:])
		d["o_t_size"] = int(ot & 0xFFFF)
	} else {
		ot = uint32(binary.LittleEndian.Uint16(b[i:]))
		d["o_t_size"] = int(ot & 0x01FF)
	}
	i += params
	d["t_o_rpi_us"] = int(binary.LittleEndian.Uint32(b[i:]))
	i += 4
	if large {
		to = binary.LittleEndian.Uint32(b[i:])
		d["t_o_size"] = int(to & 0xFFFF)
	} else {
		to = uint32(binary.LittleEndian.Uint16(b[i:]))
		d["t_o_size"] = int(to & 0x01FF)
	}
	i += params
	tt := b[i]
	d["transport_class"] = int(tt & 0x0F)
	switch (tt >> 4) & 0x07 {
	case 0:
		d["trigger"] = "cyclic"
	case 1:
		d["trigger"] = "change of state"
	case 2:
		d["trigger"] = "application object"
	}
	n := 2 * int(b[i+1])
	if len(b) >= i+2+n {
		text, _ := renderPath(b[i+2 : i+2+n])
		d["connection_path"] = text
	}
}

// detail renders an identity for Detail, with the keys the asset records
// use (vendor, product, model, serial, firmware) and the CIP ones.
func (id Identity) detail() map[string]any {
	out := map[string]any{}
	if id.Fields&IDVendor != 0 {
		out["vendor_id"] = int(id.Vendor)
		if n := vendorName(id.Vendor); n != "" {
			out["vendor"] = n
		}
	}
	if id.Fields&IDDeviceType != 0 {
		out["device_type_id"] = int(id.DeviceType)
		if n := deviceTypeName(id.DeviceType); n != "" {
			out["device_type"] = n
		}
	}
	if id.Fields&IDProductCode != 0 {
		out["product_code"] = int(id.ProductCode)
	}
	if id.Fields&IDRevision != 0 {
		rev := strconv.Itoa(int(id.Major)) + "." + strconv.Itoa(int(id.Minor))
		out["revision"] = rev
		out["firmware"] = rev
	}
	if id.Fields&IDStatus != 0 {
		out["status"] = "0x" + hex4(id.Status)
	}
	if id.Fields&IDSerial != 0 {
		out["serial"] = "0x" + hex8(id.Serial)
	}
	if id.Fields&IDProductName != 0 {
		name := printable(id.ProductName)
		out["product"] = name
		out["model"] = name
	}
	if id.Fields&IDState != 0 {
		out["state"] = int(id.State)
	}
	return out
}

func hex8(v uint32) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = digits[v&0xF]
		v >>= 4
	}
	return string(b[:])
}

func hex4(v uint16) string { return hex8(uint32(v))[4:] }
