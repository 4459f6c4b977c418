package bacnet

import (
	"encoding/hex"
	"net/netip"
	"strconv"

	"harborwatch/event"
)

// Func values of the PDUs that carry no confirmed service: an unconfirmed
// service's choice, a network layer message type and a BVLL function are
// offset so that every PDU kind has its own range.
const (
	FuncUnconfirmed = 0x100 // + unconfirmed service choice
	FuncNetwork     = 0x200 // + network layer message type
	FuncBVLC        = 0x300 // + BVLL function (a BVLL message without NPDU)
)

// Message is one BACnet/IP BVLL message, decoded: its BVLC header, its
// NPDU header and network layer message or APDU header. It is reused by
// its Analyzer: it and every slice in it are valid only during the emit
// call.
type Message struct {
	BVLC      uint8   // BVLL function
	Length    uint16  // BVLC length field
	Origin    [6]byte // Forwarded-NPDU: original source IPv4 address and port
	HasOrigin bool
	Result    uint16 // BVLC-Result code

	HasNPDU          bool
	Control          uint8 // NPDU control octet
	HasDNET, HasSNET bool
	DNET, SNET       uint16
	DADR, SADR       []byte
	HopCount         uint8
	NetMessage       bool // a network layer message rather than an APDU
	NetType          uint8
	NetVendor        uint16

	HasAPDU     bool
	Type        uint8 // APDU type (ConfirmedRequest, …)
	Flags       uint8 // low nibble of the APDU's first octet
	Invoke      uint8
	Service     uint8 // service choice, when HasService
	HasService  bool
	MaxSegments uint8 // confirmed request: max-segments-accepted code
	MaxAPDU     uint8 // confirmed request: max-APDU-length-accepted code
	Sequence    uint8 // segment sequence number (segmented PDUs, Segment-ACK)
	Window      uint8 // proposed or actual window size
	Reason      uint8 // Reject or Abort reason
	ErrClass    uint32
	ErrCode     uint32
	HasError    bool

	// Paired: an answer matched with its confirmed request by invoke id.
	Paired     bool
	FromClient bool   // sent by the flow's client
	Body       []byte // service parameters, network message data or BVLL data
	Raw        []byte // the whole BVLL message

	reqService uint8 // the paired request's service
	reinit     uint8 // ReinitializeDevice state of the request, 0xFF unknown
	problem    string
}

// LengthMismatch reports whether the BVLC length differs from the
// datagram's.
func (m *Message) LengthMismatch() bool { return int(m.Length) != len(m.Raw) }

// Malformed reports whether the message frames but its NPDU or APDU is cut
// short or impossible; Status names the problem.
func (m *Message) Malformed() bool { return m.problem != "" }

// Request reports whether m asks something: a confirmed or unconfirmed
// request (but I-Am and I-Have, which answer Who-Is and Who-Has), a network
// layer message or BVLL function that is not an answer.
func (m *Message) Request() bool {
	switch {
	case m.HasAPDU:
		if m.Type == UnconfirmedRequest {
			return m.Service != svcIAm && m.Service != svcIHave
		}
		return m.Type == ConfirmedRequest
	case m.NetMessage:
		switch m.NetType {
		case 0x01, 0x02, 0x03, 0x07, 0x13:
			return false
		}
		return true
	case m.HasNPDU:
		return m.FromClient
	}
	switch m.BVLC {
	case fnResult, 0x03, 0x07:
		return false
	}
	return true
}

// confirmed reports whether m's service choice is a confirmed service's.
func (m *Message) confirmed() bool { return m.HasService && m.Type != UnconfirmedRequest }

// Func is the confirmed service choice of a PDU that carries one (or, for
// a Segment-ACK, Reject or Abort, that of the request it answers; -1 when
// unknown); FuncUnconfirmed + the choice of an unconfirmed service;
// FuncNetwork + the type of a network layer message; FuncBVLC + the
// function of a BVLL message without NPDU.
func (m *Message) Func() int {
	switch {
	case m.HasAPDU && m.Type == UnconfirmedRequest:
		return FuncUnconfirmed + int(m.Service)
	case m.confirmed():
		return int(m.Service)
	case m.HasAPDU && m.Paired:
		return int(m.reqService)
	case m.HasAPDU:
		return -1
	case m.NetMessage:
		return FuncNetwork + int(m.NetType)
	case m.HasNPDU:
		return -1
	}
	return FuncBVLC + int(m.BVLC)
}

// Name is the message's name as tshark writes it: the service
// (readProperty, i-Am, …), else the APDU type (Segment-ACK, Reject,
// Abort), the network layer message type or the BVLL function.
func (m *Message) Name() string {
	switch {
	case m.HasAPDU && m.Type == UnconfirmedRequest:
		if n := svcName(unconfirmedServices[:], m.Service); n != "" {
			return n
		}
		return "unknown-unconfirmed-service"
	case m.confirmed():
		if n := svcName(confirmedServices[:], m.Service); n != "" {
			return n
		}
		return "unknown-confirmed-service"
	case m.HasAPDU:
		return pduTypeNames[m.Type]
	case m.NetMessage:
		if n := name(networkMessages[:], m.NetType); n != "" {
			return n
		}
		if m.NetType >= 0x80 {
			return "Vendor-Proprietary-Message"
		}
		return "Reserved-Network-Message"
	case m.HasNPDU:
		return "NPDU"
	}
	if n := name(bvlcNames[:], m.BVLC); n != "" {
		return n
	}
	return "unknown-BVLC-function"
}

func svcName(t []service, i uint8) string {
	if int(i) < len(t) {
		return t[i].name
	}
	return ""
}

func svcOp(t []service, i uint8) string {
	if int(i) < len(t) && t[i].op != "" {
		return t[i].op
	}
	return event.OpOther
}

// Op classifies m into the event.Op* vocabulary. An answer has its
// request's operation; ReinitializeDevice's depends on the state asked
// (see reinitOps: cold and warm starts are plc-stop).
func (m *Message) Op() string {
	switch {
	case m.HasAPDU && m.Type == UnconfirmedRequest:
		return svcOp(unconfirmedServices[:], m.Service)
	case m.confirmed():
		return confirmedOp(m.Service, m.reinit)
	case m.HasAPDU && m.Paired:
		return confirmedOp(m.reqService, m.reinit)
	case m.NetMessage:
		if m.NetType == 0x06 { // Initialize-Routing-Table
			return event.OpConfigChange
		}
		return event.OpOther
	case m.HasNPDU:
		return event.OpOther
	}
	if int(m.BVLC) < len(bvlcOps) && bvlcOps[m.BVLC] != "" {
		return bvlcOps[m.BVLC]
	}
	return event.OpOther
}

func confirmedOp(svc, state uint8) string {
	if svc == svcReinitializeDevice && int(state) < len(reinitOps) {
		return reinitOps[state]
	}
	return svcOp(confirmedServices[:], svc)
}

// Status is "" for a normal message, the problem of a malformed one, the
// error code of an Error PDU (password-failure, …), the reason of a
// Reject or Abort, or a BVLC-Result's NAK.
func (m *Message) Status() string {
	switch {
	case m.problem != "":
		return m.problem
	case m.HasAPDU && m.Type == Error:
		if n := name(errorCodes[:], m.ErrCode); n != "" && m.HasError {
			return n
		}
		return "error"
	case m.HasAPDU && m.Type == Reject:
		if n := name(rejectReasons[:], m.Reason); n != "" {
			return n
		}
		return "reject"
	case m.HasAPDU && m.Type == Abort:
		if n := name(abortReasons[:], m.Reason); n != "" {
			return n
		}
		return "abort"
	case !m.HasNPDU && m.BVLC == fnResult && m.Result != 0:
		return bvlcResultName(m.Result)
	}
	return ""
}

func bvlcResultName(r uint16) string {
	switch r {
	case 0x10:
		return "write-broadcast-distribution-table-nak"
	case 0x20:
		return "read-broadcast-distribution-table-nak"
	case 0x30:
		return "register-foreign-device-nak"
	case 0x40:
		return "read-foreign-device-table-nak"
	case 0x50:
		return "delete-foreign-device-table-entry-nak"
	case 0x60:
		return "distribute-broadcast-to-network-nak"
	}
	return "bvlc-result-nak"
}

// Detail adds the detail keys of m's event: the BVLL function, the NPDU's
// addressing, the APDU's header (type, invoke id, segmentation) and what
// the service's parameters say (objects, properties, device identity,
// reinitialization state, errors). It allocates.
func (m *Message) Detail(d map[string]any) {
	d["bvlc"] = m.bvlcName()
	if m.LengthMismatch() {
		d["bvlc_length"] = int(m.Length)
	}
	if m.HasOrigin {
		ip := netip.AddrFrom4([4]byte(m.Origin[:4]))
		d["origin"] = netip.AddrPortFrom(ip, uint16(m.Origin[4])<<8|uint16(m.Origin[5])).String()
	}
	if !m.HasNPDU && m.BVLC == fnResult {
		d["result"] = int(m.Result)
	}
	if m.problem != "" {
		d["malformed"] = true
		d["data"] = hexCapped(m.Raw)
		return
	}
	m.npduDetail(d)
	if m.NetMessage {
		d["network_message"] = int(m.NetType)
		if m.NetType >= 0x80 {
			d["vendor_id"] = int(m.NetVendor)
		}
		if len(m.Body) > 0 {
			d["data"] = hexCapped(m.Body)
		}
		return
	}
	if !m.HasAPDU {
		if len(m.Body) > 0 {
			d["data"] = hexCapped(m.Body)
		}
		return
	}
	m.apduDetail(d)
}

func (m *Message) bvlcName() string {
	if n := name(bvlcNames[:], m.BVLC); n != "" {
		return n
	}
	return "0x" + strconv.FormatUint(uint64(m.BVLC), 16)
}

func (m *Message) npduDetail(d map[string]any) {
	if !m.HasNPDU {
		return
	}
	if m.HasDNET {
		d["dnet"], d["dadr"], d["hop_count"] = int(m.DNET), hex.EncodeToString(m.DADR), int(m.HopCount)
	}
	if m.HasSNET {
		d["snet"], d["sadr"] = int(m.SNET), hex.EncodeToString(m.SADR)
	}
	if m.Control&ctlExpectReply != 0 {
		d["expecting_reply"] = true
	}
	if p := m.Control & 0x03; p != 0 {
		d["priority"] = int(p)
	}
}

func (m *Message) apduDetail(d map[string]any) {
	d["pdu_type"] = pduTypeNames[m.Type]
	if m.Type != UnconfirmedRequest {
		d["invoke_id"] = int(m.Invoke)
	}
	if m.Paired {
		d["paired"] = true
	}
	if m.Segmented() || m.Type == SegmentACK {
		d["sequence"], d["window"] = int(m.Sequence), int(m.Window)
		if m.Segmented() {
			d["more_follows"] = m.MoreFollows()
		}
	}
	switch m.Type {
	case ConfirmedRequest:
		d["max_apdu"] = maxAPDU(m.MaxAPDU)
		if m.Flags&0x02 != 0 {
			d["segmented_response_accepted"] = true
		}
	case SegmentACK:
		d["negative"] = m.Flags&0x02 != 0
	case Error:
		if m.HasError {
			d["error_class"] = enumName(errorClasses[:], m.ErrClass)
			d["error_code"] = enumName(errorCodes[:], m.ErrCode)
		}
	case Reject:
		d["reject_reason"] = enumName(rejectReasons[:], uint32(m.Reason))
	case Abort:
		d["abort_reason"] = enumName(abortReasons[:], uint32(m.Reason))
		d["from_server"] = m.Flags&0x01 != 0
	}
	if m.Type == ComplexACK && m.Sequence > 0 {
		return // a later segment continues parameters begun earlier
	}
	m.serviceDetail(d)
}

// maxAPDU decodes the max-APDU-length-accepted code (§20.1.2.5).
func maxAPDU(code uint8) int {
	switch code {
	case 0:
		return 50
	case 1:
		return 128
	case 2:
		return 206
	case 3:
		return 480
	case 4:
		return 1024
	case 5:
		return 1476
	}
	return -int(code)
}

// enumName names an enumerated value from t, else gives its number.
func enumName(t []string, v uint32) string {
	if n := name(t, v); n != "" {
		return n
	}
	return strconv.FormatUint(uint64(v), 10)
}

// objectID renders a BACnetObjectIdentifier "type:instance".
func objectID(v uint32) string {
	typ, inst := v>>22, v&0x3FFFFF
	return enumName(objectTypes[:], typ) + ":" + strconv.FormatUint(uint64(inst), 10)
}

func propertyName(v uint32) string {
	if n, ok := properties[v]; ok {
		return n
	}
	return strconv.FormatUint(uint64(v), 10)
}

// serviceDetail adds what the parameters of the services the analyzer
// knows say.
func (m *Message) serviceDetail(d map[string]any) {
	b := m.Body
	if m.Type == UnconfirmedRequest {
		switch m.Service {
		case svcIAm:
			iAmDetail(d, b)
		case svcIHave:
			iHaveDetail(d, b)
		case svcWhoIs:
			ctxUnsigned(d, b, map[uint8]string{0: "low_limit", 1: "high_limit"})
		case svcWhoHas:
			whoHasDetail(d, b)
		case svcTimeSyn, svcUTCSync:
			d["data"] = hexCapped(b)
		}
		return
	}
	if m.Type != ConfirmedRequest && m.Type != ComplexACK {
		return
	}
	switch m.Service {
	case svcReadProperty, svcWriteProperty, svcReadRange, svcReadPropertyCond:
		propertyRef(d, b)
	case svcReadPropertyMultiple, svcWritePropertyMulti:
		objectList(d, b)
	case svcReinitializeDevice:
		if m.Type == ConfirmedRequest {
			reinitDetail(d, b)
		}
	case svcDeviceCommControl:
		dccDetail(d, b)
	case svcAtomicReadFile, svcAtomicWriteFile:
		if m.Type == ConfirmedRequest {
			fileDetail(d, b)
		}
	}
}

// iAmDetail adds I-Am's device, max APDU, segmentation and vendor, also
// as the sender's identity.
func iAmDetail(d map[string]any, b []byte) {
	id := map[string]any{}
	i := 0
	elements(b, func(e element) bool {
		v := unsigned(e.value)
		switch i {
		case 0:
			if e.tag.num == tagObjectID {
				id["device_instance"] = int(v & 0x3FFFFF)
				d["device"] = objectID(v)
			}
		case 1:
			id["max_apdu"] = int(v)
		case 2:
			id["segmentation"] = enumName(segmentations[:], v)
		case 3:
			id["vendor_id"] = int(v)
			if n, ok := vendors[v]; ok {
				id["vendor"] = n
			}
		}
		i++
		return i < 4
	})
	if len(id) > 0 {
		d["identity"] = id
	}
}

// iHaveDetail adds I-Have's device, object and object name.
func iHaveDetail(d map[string]any, b []byte) {
	i := 0
	elements(b, func(e element) bool {
		switch {
		case i == 0 && e.tag.num == tagObjectID:
			d["device"] = objectID(unsigned(e.value))
		case i == 1 && e.tag.num == tagObjectID:
			d["object"] = objectID(unsigned(e.value))
		case i == 2 && e.tag.num == tagCharString:
			d["object_name"] = charString(e.value)
		}
		i++
		return i < 3
	})
}

func whoHasDetail(d map[string]any, b []byte) {
	elements(b, func(e element) bool {
		if !e.tag.context {
			return false
		}
		switch e.tag.num {
		case 0:
			d["low_limit"] = int(unsigned(e.value))
		case 1:
			d["high_limit"] = int(unsigned(e.value))
		case 2:
			d["object"] = objectID(unsigned(e.value))
		case 3:
			d["object_name"] = charString(e.value)
		}
		return true
	})
}

// ctxUnsigned adds the context-tagged unsigned values of b named by keys.
func ctxUnsigned(d map[string]any, b []byte, keys map[uint8]string) {
	elements(b, func(e element) bool {
		if k, ok := keys[e.tag.num]; ok && e.tag.context && e.depth == 0 {
			d[k] = int(unsigned(e.value))
		}
		return true
	})
}

// propertyRef adds [0] object, [1] property and [2] array index.
func propertyRef(d map[string]any, b []byte) {
	elements(b, func(e element) bool {
		if !e.tag.context || e.depth != 0 {
			return true
		}
		switch e.tag.num {
		case 0:
			d["object"] = objectID(unsigned(e.value))
		case 1:
			d["property"] = propertyName(unsigned(e.value))
		case 2:
			d["array_index"] = int(unsigned(e.value))
		default:
			return false
		}
		return true
	})
}

// objectList adds the objects a ReadPropertyMultiple or
// WritePropertyMultiple names (capped at 32).
func objectList(d map[string]any, b []byte) {
	var objs []string
	var props []string
	elements(b, func(e element) bool {
		switch {
		case e.tag.context && e.depth == 0 && e.tag.num == 0:
			objs = append(objs, objectID(unsigned(e.value)))
		case e.tag.context && e.depth == 1 && (e.tag.num == 0 || e.tag.num == 2) && len(props) < 32:
			props = append(props, propertyName(unsigned(e.value)))
		}
		return len(objs) < 32
	})
	if len(objs) > 0 {
		d["objects"] = objs
	}
	if len(props) > 0 {
		d["properties"] = props
	}
}

// reinitDetail adds the state asked and whether a password was given (not
// the password).
func reinitDetail(d map[string]any, b []byte) {
	elements(b, func(e element) bool {
		switch {
		case e.tag.context && e.tag.num == 0:
			d["state"] = enumName(reinitStates[:], unsigned(e.value))
		case e.tag.context && e.tag.num == 1:
			d["password_given"] = true
		}
		return true
	})
}

// dccDetail adds DeviceCommunicationControl's duration and state.
func dccDetail(d map[string]any, b []byte) {
	elements(b, func(e element) bool {
		switch {
		case e.tag.context && e.tag.num == 0:
			d["duration_minutes"] = int(unsigned(e.value))
		case e.tag.context && e.tag.num == 1:
			d["enable_disable"] = enumName(dccStates[:], unsigned(e.value))
		case e.tag.context && e.tag.num == 2:
			d["password_given"] = true
		}
		return true
	})
}

// fileDetail adds the file object and the start of an atomic file access.
func fileDetail(d map[string]any, b []byte) {
	first := true
	elements(b, func(e element) bool {
		switch {
		case first && !e.tag.context && e.tag.num == tagObjectID:
			d["file"] = objectID(unsigned(e.value))
		case e.depth == 1 && !e.tag.context && e.tag.num == tagSigned:
			if _, ok := d["start"]; !ok {
				d["start"] = signed(e.value)
			}
		case e.depth == 1 && !e.tag.context && e.tag.num == tagUnsigned:
			d["count"] = int(unsigned(e.value))
		}
		first = false
		return true
	})
}

// charString decodes a BACnet CharacterString: its character set octet
// (0 UTF-8/ANSI X3.4) then the text; other sets are given in hex.
func charString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if b[0] == 0 {
		return printable(b[1:])
	}
	return "charset " + strconv.Itoa(int(b[0])) + ": " + hexCapped(b[1:])
}

// printable keeps b's printable ASCII, replacing anything else with '.'.
func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7E {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}

// hexCapped renders b in hex, cut at 256 bytes with a marker.
func hexCapped(b []byte) string {
	const limit = 256
	if len(b) > limit {
		return hex.EncodeToString(b[:limit]) + "…(" + strconv.Itoa(len(b)) + " bytes)"
	}
	return hex.EncodeToString(b)
}
