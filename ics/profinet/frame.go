package profinet

import (
	"net/netip"
	"strconv"

	"harborwatch/app/discovery"
	"harborwatch/event"
)

// Event names of the layer-2 frames.
const (
	EventDCP = "pn_dcp"
	EventRT  = "pn_rt"
)

// Proto is the event name of f: pn_dcp, pn_rt (cyclic data) or pn_io
// (alarms).
func (f *Frame) Proto() string {
	switch {
	case f.Class == ClassDCP:
		return EventDCP
	case f.Class.Cyclic():
		return EventRT
	}
	return EventProto
}

// Malformed reports whether the alarm or DCP PDU could not be read whole.
func (f *Frame) Malformed() bool { return f.malformed }

// Request reports whether f asks or announces (a DCP request or Hello,
// an alarm's DATA, cyclic data), not answers.
func (f *Frame) Request() bool {
	switch {
	case f.Class == ClassDCP:
		return f.DCP.Request
	case f.Class == ClassAlarmHigh || f.Class == ClassAlarmLow:
		return f.Alarm.PDUType == RTAData && f.Alarm.Block&0x8000 == 0
	}
	return true
}

// Op classifies f: cyclic data "io"; an alarm notification
// "diagnostics", its acknowledgement and the RTA plumbing (ACK, NACK,
// ERR, the abort of an AR) "session"; DCP Identify and Hello "identity",
// Get "read", a Set of the station's name, IP parameters, DHCP or a
// factory reset "config-change", a Set that only flashes the LED
// "diagnostics", one that only opens or closes a transaction "session".
func (f *Frame) Op() string {
	switch {
	case f.Class.Cyclic():
		return event.OpIO
	case f.Class == ClassAlarmHigh || f.Class == ClassAlarmLow:
		if f.Alarm.PDUType == RTAData && (f.Alarm.Block == blockAlarmHigh || f.Alarm.Block == blockAlarmLow) {
			return event.OpDiagnostics
		}
		return event.OpSession
	case f.Class == ClassDCP:
		return dcpOp(f.DCP)
	}
	return event.OpOther
}

func dcpOp(d *discovery.DCP) string {
	switch d.Service {
	case discovery.DCPIdentify, discovery.DCPHello:
		return event.OpIdentity
	case discovery.DCPGet:
		return event.OpRead
	case discovery.DCPSet:
		if !d.Request {
			return event.OpConfigChange // the answer of a Set: its status goes with the request
		}
		switch {
		case d.NameOfStation != nil || d.IP.IsValid() || d.DHCP > 0 || d.AliasName != nil || d.TypeOfStation != nil ||
			d.Control&(discovery.DCPControlFactoryReset|discovery.DCPControlResetToFactory) != 0 || d.Unknown > 0:
			return event.OpConfigChange
		case d.Control&discovery.DCPControlSignal != 0:
			return event.OpDiagnostics
		}
		return event.OpSession
	}
	return event.OpOther
}

// Func is a DCP frame's ServiceID, else the FrameID.
func (f *Frame) Func() int {
	if f.Class == ClassDCP {
		return int(f.DCP.Service)
	}
	return int(f.FrameID)
}

var dcpNames = [...][2]string{
	discovery.DCPGet:      {"DCP Get request", "DCP Get response"},
	discovery.DCPSet:      {"DCP Set request", "DCP Set response"},
	discovery.DCPIdentify: {"DCP Identify request", "DCP Identify response"},
	discovery.DCPHello:    {"DCP Hello", "DCP Hello response"},
}

var alarmNames = func() (n [2][len(rtaNames)]string) {
	for i, p := range [2]string{"Alarm High ", "Alarm Low "} {
		for j, t := range rtaNames {
			if t != "" {
				n[i][j] = p + t
			}
		}
	}
	return n
}()

// Name names f: "RT_CLASS_1" (cyclic data), "Alarm Low ERR-RTA-PDU",
// "DCP Set request". It does not allocate.
func (f *Frame) Name() string {
	switch {
	case f.Class == ClassDCP:
		s := f.DCP.Service
		if int(s) < len(dcpNames) && dcpNames[s][0] != "" {
			if f.DCP.Request {
				return dcpNames[s][0]
			}
			return dcpNames[s][1]
		}
		return "DCP"
	case f.Class == ClassAlarmHigh || f.Class == ClassAlarmLow:
		p := 0
		if f.Class == ClassAlarmLow {
			p = 1
		}
		if t := f.Alarm.PDUType; int(t) < len(rtaNames) && t != 0 {
			return alarmNames[p][t]
		}
	}
	return f.Class.String()
}

// Status is "" unless f reports a failure: an ERR-RTA-PDU (the abort of
// an AR, by its PNIOStatus), a negative alarm acknowledgement, a DCP Set
// block the station refused or a DCP answer "not supported".
func (f *Frame) Status() string {
	switch {
	case f.Class == ClassAlarmHigh || f.Class == ClassAlarmLow:
		if f.Alarm.Status != 0 {
			return statusName(f.Alarm.Status)
		}
	case f.Class == ClassDCP:
		d := f.DCP
		if d.ServiceType == discovery.DCPUnsupported {
			return "not supported"
		}
		if d.Failed > 0 {
			return "block " + strconv.Itoa(int(d.ErrOption)) + "/" + strconv.Itoa(int(d.ErrSuboption)) + " error " + strconv.Itoa(int(d.Error))
		}
	}
	return ""
}

var alarmTypes = [...]string{1: "Diagnosis", 2: "Process", 3: "Pull", 4: "Plug", 5: "Status", 6: "Update",
	7: "Media redundancy", 8: "Controlled by supervisor", 9: "Released", 10: "Plug wrong submodule",
	11: "Return of submodule", 12: "Diagnosis disappears", 13: "Multicast communication mismatch",
	14: "Port data change notification", 15: "Sync data changed notification", 16: "Isochronous mode problem notification",
	17: "Network component problem notification", 18: "Time data changed notification", 19: "Dynamic frame packing problem notification",
	20: "MRPD problem notification", 22: "Multiple interface mismatch notification", 30: "Upload and retrieval notification", 31: "Pull module"}

// Detail adds f's event detail: frame_id, class, src_mac and dst_mac (at
// layer 2) or transport "udp"; for
// cyclic data the connection's data_status (provider run or stop, data
// valid, station problem, primary), cycle_counter, data_length and, on a
// change, previous_status; for alarms the RTA endpoints, pdu_type,
// sequence numbers, alarm_type, api, slot, subslot, module and submodule
// idents, pnio_status; for DCP the service, xid and what the blocks say
// (name_of_station, type_of_station, ip, mask, gateway, qualifier
// (permanent or temporary), control, dhcp, vendor_id, vendor (its name,
// VendorName), device_id, role,
// responses, failed).
func (f *Frame) Detail(d map[string]any) {
	d["frame_id"] = f.FrameID
	d["class"] = f.Class.String()
	if f.UDP {
		d["transport"] = "udp" // the addresses and ports are the event's
	} else {
		d["src_mac"], d["dst_mac"] = macString(f.Src), macString(f.Dst)
	}
	switch {
	case f.Class.Cyclic():
		d["data_status"] = dataStatus(f.DataStatus)
		d["cycle_counter"] = f.Cycle
		d["data_length"] = f.DataLen
		if f.Changed {
			d["previous_status"] = dataStatus(f.Previous)
		}
	case f.Class == ClassAlarmHigh || f.Class == ClassAlarmLow:
		al := &f.Alarm
		d["alarm_dst_endpoint"], d["alarm_src_endpoint"] = al.DstEndpoint, al.SrcEndpoint
		if int(al.PDUType) < len(rtaNames) && al.PDUType != 0 {
			d["pdu_type"] = rtaNames[al.PDUType]
		}
		d["send_seq"], d["ack_seq"] = al.SendSeq, al.AckSeq
		if al.Block != 0 {
			d["block"] = BlockName(al.Block)
			d["alarm_type"] = alarmType(al.AlarmType)
			d["api"], d["slot"], d["subslot"] = al.API, al.Slot, al.Subslot
			if al.Block&0x8000 == 0 {
				d["module_ident"], d["submodule_ident"] = al.ModuleIdent, al.SubmoduleIdent
			}
		}
		if al.Status != 0 || al.PDUType == RTAErr {
			d["pnio_status"] = "0x" + hex32(al.Status)
		}
	case f.Class == ClassDCP:
		dcpDetail(f.DCP, d)
	}
	if f.malformed {
		d["malformed"] = true
	}
}

func alarmType(t uint16) string {
	if int(t) < len(alarmTypes) && alarmTypes[t] != "" {
		return alarmTypes[t]
	}
	return "0x" + hex32(uint32(t))[4:]
}

// dataStatus describes a DataStatus byte.
func dataStatus(s uint8) map[string]any {
	m := map[string]any{"raw": s, "provider": "stop", "data_valid": s&StatusValid != 0,
		"problem": s&StatusNoProblem == 0, "primary": s&StatusPrimary != 0}
	if s&StatusRun != 0 {
		m["provider"] = "run"
	}
	return m
}

func dcpDetail(c *discovery.DCP, d map[string]any) {
	d["service"] = c.Service.String()
	d["xid"] = c.XID
	put := func(k string, v []byte) {
		if v != nil {
			d[k] = printable(v)
		}
	}
	put("name_of_station", c.NameOfStation)
	put("type_of_station", c.TypeOfStation)
	put("alias_name", c.AliasName)
	if c.IP.IsValid() {
		d["ip"], d["mask"], d["gateway"] = c.IP.String(), c.Mask.String(), c.Gateway.String()
	}
	if c.HasQualifier {
		d["qualifier"] = "temporary"
		if c.Qualifier&1 != 0 {
			d["qualifier"] = "permanent"
		}
	}
	if c.Control != 0 {
		var cs []string
		for i, n := range [...]string{"start", "end", "signal", "reset factory settings", "reset to factory"} {
			if c.Control&(1<<i) != 0 {
				cs = append(cs, n)
			}
		}
		d["control"] = cs
	}
	if c.DHCP > 0 {
		d["dhcp"] = c.DHCP
	}
	if c.HasDeviceID {
		d["vendor_id"], d["device_id"] = c.VendorID, c.DeviceID
		if n := VendorName(c.VendorID); n != "" {
			d["vendor"] = n
		}
	}
	if c.DeviceRole != 0 {
		d["role"] = c.DeviceRole
	}
	if c.HasMAC {
		d["mac"] = macString(c.MAC)
	}
	if c.All {
		d["all"] = true
	}
	if c.Responses > 0 {
		d["responses"], d["failed"] = c.Responses, c.Failed
	}
}

// NewIP returns the address a DCP Set request assigns, if any.
func (f *Frame) NewIP() netip.Addr {
	if f.Class == ClassDCP && f.DCP.Service == discovery.DCPSet && f.DCP.Request {
		return f.DCP.IP
	}
	return netip.Addr{}
}
