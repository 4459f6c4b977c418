package profinet

import (
	"strconv"
	"strings"

	"harborwatch/event"
	"harborwatch/ics/dcerpc"
)

var cmOpNames = [...]string{"Connect", "Release", "Read", "Write", "Control", "ReadImplicit"}

// cmNames holds "<operation> request" and "<operation> response", as
// tshark's Info column writes them, built once.
var cmNames = func() (n [len(cmOpNames)][2]string) {
	for i, o := range cmOpNames {
		n[i] = [2]string{o + " request", o + " response"}
	}
	return n
}()

// Request reports whether m was sent by the caller (a request, ping, ack
// or cancel).
func (m *CM) Request() bool { return m.Header.Request() }

// call reports whether m is a request or response of a PNIO interface.
func (m *CM) call() bool {
	return m.Role != 0 && (m.Header.Type == dcerpc.CLRequest || m.Header.Type == dcerpc.CLResponse || m.Header.Type == dcerpc.CLFault)
}

// Op classifies m into the event vocabulary: Connect, Release and Control
// "session" (they set up, start and end an application relation), Read
// "read", Write "config-change" (records parameterize the device);
// other PDUs of the connectionless protocol (ping, working, ack, …)
// "session"; calls of another interface "other".
func (m *CM) Op() string {
	if m.Role == 0 {
		return event.OpOther
	}
	if !m.call() {
		return event.OpSession
	}
	switch m.Header.Opnum {
	case OpRead, OpReadImplicit:
		return event.OpRead
	case OpWrite:
		return event.OpConfigChange
	case OpConnect, OpRelease, OpControl:
		return event.OpSession
	}
	return event.OpOther
}

// Func is the opnum of a call (request, response, fault), 256 plus the
// packet type for the other connectionless PDUs.
func (m *CM) Func() int {
	if m.call() {
		return int(m.Header.Opnum)
	}
	return 256 + int(m.Header.Type)
}

// Name names m as tshark's Info column begins: "Connect request",
// "Write response"; a fault "Write fault"; other PDUs by their type
// ("ping", "working", …). Names of unknown opnums allocate.
func (m *CM) Name() string {
	h := &m.Header
	if !m.call() {
		return h.TypeName()
	}
	side := 0
	if !m.Request() {
		side = 1
	}
	if int(h.Opnum) < len(cmOpNames) {
		if h.Type == dcerpc.CLFault {
			return cmOpNames[h.Opnum] + " fault"
		}
		return cmNames[h.Opnum][side]
	}
	return "opnum " + strconv.Itoa(int(h.Opnum)) + " " + h.TypeName()
}

// Status is "" when the device accepted, else the PNIOStatus of the
// answer or of its first failed record ("pnio 0xdf80b000"), or the
// fault's or reject's status.
func (m *CM) Status() string {
	switch m.Header.Type {
	case dcerpc.CLFault, dcerpc.CLReject:
		return "fault 0x" + strconv.FormatUint(uint64(m.PNIOStatus), 16)
	case dcerpc.CLResponse:
		if m.PNIOStatus != 0 {
			return statusName(m.PNIOStatus)
		}
		for _, r := range m.Records[:m.NRecords] {
			if r.Status != 0 {
				return statusName(r.Status)
			}
		}
	}
	return ""
}

// statusName formats a PNIOStatus; the common ErrorCodes are named.
func statusName(s uint32) string {
	name := "pnio"
	switch s >> 24 {
	case 0xdb:
		name = "IODConnectRes"
	case 0xdc:
		name = "IODReleaseRes"
	case 0xdd:
		name = "IODControlRes"
	case 0xde:
		name = "IODReadRes"
	case 0xdf:
		name = "IODWriteRes"
	case 0xcf:
		name = "RTA error"
	}
	return name + " 0x" + hex32(s)
}

func hex32(v uint32) string {
	const hx = "0123456789abcdef"
	var b [8]byte
	for i := range b {
		b[7-i] = hx[v&15]
		v >>= 4
	}
	return string(b[:])
}

var roleNames = [...]string{"", "device", "controller", "supervisor", "parameter server"}

// Detail adds m's event detail: pdu_type, interface (device, controller,
// …), opnum, seq_num, activity, the device named by the object UUID
// (vendor_id, device_id, instance), the blocks, the AR (ar_uuid, ar_type,
// session_key), the initiator's station_name and MAC, the control
// command, the records (api, slot, subslot, index, index_name, length,
// status), the I&M0 identity, fragment, pnio_status.
func (m *CM) Detail(d map[string]any) {
	h := &m.Header
	d["pdu_type"] = h.TypeName()
	if m.Role == 0 {
		d["interface"] = h.Interface.String()
	} else {
		d["interface"] = roleNames[m.Role]
	}
	d["opnum"] = h.Opnum
	d["seq_num"] = h.SeqNum
	d["activity"] = h.Activity.String()
	if m.HasDevice {
		d["vendor_id"], d["device_id"], d["instance"] = m.VendorID, m.DeviceID, m.Instance
	}
	if m.NBlocks > 0 {
		bs := make([]string, m.NBlocks)
		for i, t := range m.Blocks[:m.NBlocks] {
			bs[i] = BlockName(t)
		}
		d["blocks"] = bs
	}
	if m.HasAR {
		d["ar_uuid"] = m.ARUUID.String()
		d["session_key"] = m.SessionKey
	}
	if m.ARType != 0 {
		d["ar_type"] = m.ARType
	}
	if m.StationName != nil {
		d["station_name"] = printable(m.StationName)
		d["initiator_mac"] = macString(m.InitiatorMAC)
	}
	if m.ControlCommand != 0 {
		d["control_command"] = controlName(m.ControlCommand)
	}
	if m.NRecords > 0 {
		rs := make([]map[string]any, m.NRecords)
		for i, r := range m.Records[:m.NRecords] {
			x := map[string]any{"api": r.API, "slot": r.Slot, "subslot": r.Subslot, "index": r.Index, "length": r.Length}
			if n := IndexName(r.Index); n != "" {
				x["index_name"] = n
			}
			if r.Status != 0 {
				x["status"] = statusName(r.Status)
			}
			rs[i] = x
		}
		d["records"] = rs
		if m.More > 0 {
			d["records_more"] = m.More
		}
	}
	if m.HasIM0 {
		d["identity"] = m.IM0.fields()
	}
	if m.Fragment || h.Flags1&dcerpc.CLFlagFrag != 0 {
		d["fragment"] = h.FragNum
	}
	if h.Type == dcerpc.CLResponse || h.Type == dcerpc.CLFault || h.Type == dcerpc.CLReject {
		d["pnio_status"] = "0x" + hex32(m.PNIOStatus)
	}
	if m.malformed {
		d["malformed"] = true
	}
}

// fields is the I&M0 record as an identity: vendor_id, order_number,
// serial, hardware_revision, firmware ("V2.1.3").
func (im *IM0) fields() map[string]any {
	f := map[string]any{"profinet_vendor_id": int(im.VendorID)}
	if s := strings.TrimRight(printable(im.OrderID), " "); s != "" {
		f["order_number"] = s
	}
	if s := strings.TrimRight(printable(im.Serial), " "); s != "" {
		f["serial"] = s
	}
	f["hardware_revision"] = int(im.HardwareRevision)
	sw := im.SoftwareRevision
	if p := sw[0]; p >= 'A' && p <= 'Z' {
		f["firmware"] = string(p) + strconv.Itoa(int(sw[1])) + "." + strconv.Itoa(int(sw[2])) + "." + strconv.Itoa(int(sw[3]))
	}
	return f
}

// BlockName names a block type as tshark does ("ARBlockReq",
// "IODWriteReqHeader", …), "block 0xNNNN" for others.
func BlockName(t uint16) string {
	switch t {
	case blockAlarmHigh:
		return "AlarmNotificationHigh"
	case blockAlarmLow:
		return "AlarmNotificationLow"
	case blockAlarmHigh | 0x8000:
		return "AlarmAckHigh"
	case blockAlarmLow | 0x8000:
		return "AlarmAckLow"
	case blockWriteReq:
		return "IODWriteReqHeader"
	case blockReadReq:
		return "IODReadReqHeader"
	case blockWriteRes:
		return "IODWriteResHeader"
	case blockReadRes:
		return "IODReadResHeader"
	case blockIM0:
		return "I&M0"
	case blockARReq:
		return "ARBlockReq"
	case blockARRes:
		return "ARBlockRes"
	case blockIOCRReq:
		return "IOCRBlockReq"
	case blockIOCRReq | 0x8000:
		return "IOCRBlockRes"
	case blockAlarmCRReq:
		return "AlarmCRBlockReq"
	case blockAlarmCRReq | 0x8000:
		return "AlarmCRBlockRes"
	case blockExpectedSub:
		return "ExpectedSubmoduleBlockReq"
	case blockModuleDiff:
		return "ModuleDiffBlock"
	case blockPrmEnd:
		return "IODControlReq Prm End.req"
	case blockPrmEnd | 0x8000:
		return "IODControlRes Prm End.rsp"
	case blockPrmEndPlug:
		return "IODControlReq Plug Prm End.req"
	case blockPrmEndPlug | 0x8000:
		return "IODControlRes Plug Prm End.rsp"
	case blockAppReady:
		return "IOXBlockReq Application Ready.req"
	case blockAppReady | 0x8000:
		return "IOXBlockRes Application Ready.rsp"
	case blockAppReadyPlug:
		return "IOXBlockReq Plug Application Ready.req"
	case blockAppReadyPlug | 0x8000:
		return "IOXBlockRes Plug Application Ready.rsp"
	case blockRelease:
		return "IODReleaseReq"
	case blockRelease | 0x8000:
		return "IODReleaseRes"
	case blockCompanion:
		return "IOXControlReq Ready for Companion.req"
	case blockRTC3:
		return "IOXControlReq Ready for RT_CLASS_3.req"
	case blockPrmBegin:
		return "IODControlReq PrmBegin.req"
	case blockPrmBegin | 0x8000:
		return "IODControlRes PrmBegin.rsp"
	}
	return "block 0x" + hex32(uint32(t))[4:]
}

// IndexName names the well-known record indexes, "" for others
// (manufacturer-specific records, 0x0000–0x7FFF, are the device's own).
func IndexName(i uint16) string {
	switch i {
	case indexMultipleWrite:
		return "MultipleWrite"
	case indexIM0:
		return "I&M0"
	case 0xaff1:
		return "I&M1"
	case 0xaff2:
		return "I&M2"
	case 0xaff3:
		return "I&M3"
	case 0xaff4:
		return "I&M4"
	case 0xf830:
		return "PDRealData"
	case 0xf831:
		return "PDExpectedData"
	case 0xf840:
		return "I&M0FilterData"
	case 0xf841:
		return "PDRealData"
	case 0xf842:
		return "PDExpectedData"
	case 0x802b:
		return "PDPortDataCheck"
	case 0x802f:
		return "PDPortDataAdjust"
	case 0x8071:
		return "PDInterfaceAdjust"
	case 0x8080:
		return "PDInterfaceDataReal"
	case 0x8090:
		return "PDInterfaceFSUDataAdjust"
	case 0x80b0:
		return "CombinedObjectContainer"
	case 0xe050:
		return "FastStartUp"
	}
	return ""
}

// controlName names a ControlCommand.
func controlName(c uint16) string {
	switch {
	case c&0x0001 != 0:
		return "ParameterEnd"
	case c&0x0002 != 0:
		return "ApplicationReady"
	case c&0x0004 != 0:
		return "Release"
	case c&0x0008 != 0:
		return "Done"
	case c&0x0010 != 0:
		return "ReadyForCompanion"
	case c&0x0020 != 0:
		return "ReadyForRT_CLASS_3"
	case c&0x0040 != 0:
		return "PrmBegin"
	}
	return "0x" + hex32(uint32(c))[4:]
}

// printable copies b as text: control bytes and non-ASCII replaced, at
// most 240 characters. Names on the wire are hostile input.
func printable(b []byte) string {
	if len(b) > 240 {
		b = b[:240]
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c >= 0x7f {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}

func macString(m [6]byte) string {
	const hx = "0123456789abcdef"
	var b [17]byte
	for i, c := range m {
		if i > 0 {
			b[3*i-1] = ':'
		}
		b[3*i], b[3*i+1] = hx[c>>4], hx[c&15]
	}
	return string(b[:])
}
