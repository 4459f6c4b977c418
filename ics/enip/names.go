package enip

import "harborwatch/event"

// This file holds the protocol's vocabulary: encapsulation commands and
// statuses (CIP Vol. 2 §2-3, §2-3.3), CIP services (Vol. 1 Appendix A),
// general statuses (Vol. 1 Appendix B), object classes (Vol. 1 Chapter 5 and
// Table 5-1.1), device profiles (Vol. 1 Chapter 6) and vendor ids (the ODVA
// vendor id registry), and the mapping of services to harborwatch operations.
// Semantics of individual services live in cip.go.

// opcode is an event.Op* constant as a small integer, so that pending
// requests can remember it without holding a string.
type opcode uint8

const (
	opOther opcode = iota
	opRead
	opIdentity
	opDiagnostics
	opIO
	opSession
	opWrite
	opAuth
	opConfigChange
	opProgramUpload
	opPLCStart
	opPLCStop
	opProgramDelete
	opProgramDownload
	opFirmwareUpdate
	numOps
)

// opNames maps opcodes to the event vocabulary.
var opNames = [numOps]string{
	opOther:           event.OpOther,
	opRead:            event.OpRead,
	opIdentity:        event.OpIdentity,
	opDiagnostics:     event.OpDiagnostics,
	opIO:              event.OpIO,
	opSession:         event.OpSession,
	opWrite:           event.OpWrite,
	opAuth:            event.OpAuth,
	opConfigChange:    event.OpConfigChange,
	opProgramUpload:   event.OpProgramUpload,
	opPLCStart:        event.OpPLCStart,
	opPLCStop:         event.OpPLCStop,
	opProgramDelete:   event.OpProgramDelete,
	opProgramDownload: event.OpProgramDownload,
	opFirmwareUpdate:  event.OpFirmwareUpdate,
}

// rank orders operations by consequence; a Multiple_Service_Packet or
// Unconnected_Send container takes the highest-ranked op of what it carries.
// The opcode values are declared in rank order, so rank is the value itself;
// "other" (an unknown service) ranks above the plain reads and transports
// but below every write.
func rank(o opcode) int {
	if o == opOther {
		return int(opSession) + 1 // between session and write
	}
	if o >= opWrite {
		return int(o) + 1
	}
	return int(o)
}

// Encapsulation commands, CIP Vol. 2 Table 2-3.2.
const (
	cmdNOP               = 0x0000
	cmdListServices      = 0x0004
	cmdListIdentity      = 0x0063
	cmdListInterfaces    = 0x0064
	cmdRegisterSession   = 0x0065
	cmdUnRegisterSession = 0x0066
	cmdSendRRData        = 0x006F
	cmdSendUnitData      = 0x0070
	cmdIndicateStatus    = 0x0072
	cmdCancel            = 0x0073
)

// commandName returns the specification's name of an encapsulation command
// and whether the command is one the specification defines (legacy commands
// 0x0001–0x0003 are reserved but were used by early devices; they frame like
// the others).
func commandName(c uint16) (string, bool) {
	switch c {
	case cmdNOP:
		return "NOP", true
	case 0x0001, 0x0002, 0x0003:
		return "Reserved_Legacy", true
	case cmdListServices:
		return "ListServices", true
	case cmdListIdentity:
		return "ListIdentity", true
	case cmdListInterfaces:
		return "ListInterfaces", true
	case cmdRegisterSession:
		return "RegisterSession", true
	case cmdUnRegisterSession:
		return "UnRegisterSession", true
	case cmdSendRRData:
		return "SendRRData", true
	case cmdSendUnitData:
		return "SendUnitData", true
	case cmdIndicateStatus:
		return "IndicateStatus", true
	case cmdCancel:
		return "Cancel", true
	}
	return "", false
}

// commandOp classifies an encapsulation command that carries no CIP.
func commandOp(c uint16) opcode {
	switch c {
	case cmdListIdentity, cmdListServices, cmdListInterfaces:
		return opIdentity
	case cmdNOP, cmdRegisterSession, cmdUnRegisterSession, cmdSendRRData,
		cmdSendUnitData, cmdIndicateStatus, cmdCancel:
		return opSession
	}
	return opOther
}

// encapStatusName names an encapsulation status (CIP Vol. 2 Table 2-3.3);
// "" for success.
func encapStatusName(s uint32) string {
	switch s {
	case 0x0000:
		return ""
	case 0x0001:
		return "Invalid or unsupported encapsulation command"
	case 0x0002:
		return "Insufficient memory resources"
	case 0x0003:
		return "Poorly formed or incorrect data"
	case 0x0064:
		return "Invalid session handle"
	case 0x0065:
		return "Invalid length"
	case 0x0069:
		return "Unsupported encapsulation protocol revision"
	case 0x006A:
		return "Encapsulated CIP service not allowed on this port"
	}
	return "Unknown encapsulation status"
}

// generalStatus names the CIP general status codes, CIP Vol. 1 Appendix B
// Table B-1.1. Index 0 (success) is "".
var generalStatus = [...]string{
	0x00: "",
	0x01: "Connection failure",
	0x02: "Resource unavailable",
	0x03: "Invalid parameter value",
	0x04: "Path segment error",
	0x05: "Path destination unknown",
	0x06: "Partial transfer",
	0x07: "Connection lost",
	0x08: "Service not supported",
	0x09: "Invalid attribute value",
	0x0A: "Attribute list error",
	0x0B: "Already in requested mode/state",
	0x0C: "Object state conflict",
	0x0D: "Object already exists",
	0x0E: "Attribute not settable",
	0x0F: "Privilege violation",
	0x10: "Device state conflict",
	0x11: "Reply data too large",
	0x12: "Fragmentation of a primitive value",
	0x13: "Not enough data",
	0x14: "Attribute not supported",
	0x15: "Too much data",
	0x16: "Object does not exist",
	0x17: "Service fragmentation sequence not in progress",
	0x18: "No stored attribute data",
	0x19: "Store operation failure",
	0x1A: "Routing failure, request packet too large",
	0x1B: "Routing failure, response packet too large",
	0x1C: "Missing attribute list entry data",
	0x1D: "Invalid attribute value list",
	0x1E: "Embedded service error",
	0x1F: "Vendor specific error",
	0x20: "Invalid parameter",
	0x21: "Write-once value or medium already written",
	0x22: "Invalid reply received",
	0x23: "Buffer overflow",
	0x24: "Message format error",
	0x25: "Key failure in path",
	0x26: "Path size invalid",
	0x27: "Unexpected attribute in list",
	0x28: "Invalid member ID",
	0x29: "Member not settable",
	0x2A: "Group 2 only server general failure",
	0x2B: "Unknown Modbus error",
	0x2C: "Attribute not gettable",
	0x2D: "Instance not deletable",
	0x2E: "Service not supported for specified path",
}

// statusName names a CIP general status; "" for success.
func statusName(s uint8) string {
	if int(s) < len(generalStatus) {
		return generalStatus[s]
	}
	if s >= 0xD0 {
		return "Object class specific error"
	}
	return "Reserved status"
}

// extendedStatusName names the Connection Manager's extended statuses of
// general status 0x01 (CIP Vol. 1 Table 3-5.33); "" when not listed.
func extendedStatusName(gs uint8, ext uint16) string {
	if gs != 0x01 {
		return ""
	}
	switch ext {
	case 0x0100:
		return "Connection in use or duplicate Forward_Open"
	case 0x0103:
		return "Transport class and trigger combination not supported"
	case 0x0106:
		return "Ownership conflict"
	case 0x0107:
		return "Target connection not found"
	case 0x0108:
		return "Invalid network connection parameter"
	case 0x0109:
		return "Invalid connection size"
	case 0x0110:
		return "Target for connection not configured"
	case 0x0111:
		return "RPI not supported"
	case 0x0113:
		return "Out of connections"
	case 0x0114:
		return "Vendor ID or product code mismatch"
	case 0x0115:
		return "Device type mismatch"
	case 0x0116:
		return "Revision mismatch"
	case 0x0117:
		return "Invalid produced or consumed application path"
	case 0x0118:
		return "Invalid or inconsistent configuration application path"
	case 0x0119:
		return "Non-listen only connection not opened"
	case 0x011A:
		return "Target object out of connections"
	case 0x011B:
		return "RPI is smaller than the production inhibit time"
	case 0x0203:
		return "Connection timed out"
	case 0x0204:
		return "Unconnected request timed out"
	case 0x0205:
		return "Parameter error in unconnected request"
	case 0x0206:
		return "Message too large for Unconnected_Send"
	case 0x0207:
		return "Unconnected acknowledge without reply"
	case 0x0301:
		return "No buffer memory available"
	case 0x0302:
		return "Network bandwidth not available for data"
	case 0x0303:
		return "No consumed connection ID filter available"
	case 0x0311:
		return "Port not available"
	case 0x0312:
		return "Link address not valid"
	case 0x0315:
		return "Invalid segment in connection path"
	case 0x0316:
		return "Forward_Close connection path mismatch"
	case 0x0317:
		return "Scheduling not specified"
	case 0x0318:
		return "Link address to self invalid"
	}
	return ""
}

// Object classes the classification depends on (CIP Vol. 1 Table 5-1.1,
// Vol. 2 Chapter 5; 0x67, 0x6B and 0x6C are Rockwell Logix classes as
// documented in Rockwell publication 1756-PM020 "Logix 5000 Controllers Data
// Access").
const (
	classIdentity      = 0x01
	classMessageRouter = 0x02
	classConnMgr       = 0x06
	classFile          = 0x37
	classCIPSecurity   = 0x5D
	classENIPSecurity  = 0x5E
	classCertMgmt      = 0x5F
	classPCCC          = 0x67
	classSymbol        = 0x6B
	classTemplate      = 0x6C
	classTCPIP         = 0xF5
	classEthernetLink  = 0xF6
)

// className names the object classes an operator is likely to meet; "" for
// the rest (vendor-specific classes 0x64–0xC7 and 0x300–0x4FF among them).
func className(c uint32) string {
	switch c {
	case 0x01:
		return "Identity"
	case 0x02:
		return "Message Router"
	case 0x03:
		return "DeviceNet"
	case 0x04:
		return "Assembly"
	case 0x05:
		return "Connection"
	case 0x06:
		return "Connection Manager"
	case 0x07:
		return "Register"
	case 0x08:
		return "Discrete Input Point"
	case 0x09:
		return "Discrete Output Point"
	case 0x0A:
		return "Analog Input Point"
	case 0x0B:
		return "Analog Output Point"
	case 0x0F:
		return "Parameter"
	case 0x10:
		return "Parameter Group"
	case 0x12:
		return "Group"
	case 0x29:
		return "Control Supervisor"
	case 0x2A:
		return "AC/DC Drive"
	case 0x2B:
		return "Acknowledge Handler"
	case 0x2C:
		return "Overload"
	case 0x37:
		return "File"
	case 0x39:
		return "Safety Supervisor"
	case 0x3A:
		return "Safety Validator"
	case 0x41:
		return "Event Log"
	case 0x42:
		return "Motion Device Axis"
	case 0x43:
		return "Time Sync"
	case 0x44:
		return "Modbus"
	case 0x45:
		return "Originator Connection List"
	case 0x47:
		return "Device Level Ring"
	case 0x48:
		return "QoS"
	case 0x4D:
		return "Target Connection List"
	case 0x52:
		return "SNMP"
	case 0x53:
		return "Power Management"
	case 0x54:
		return "RSTP Bridge"
	case 0x55:
		return "RSTP Port"
	case 0x5D:
		return "CIP Security"
	case 0x5E:
		return "EtherNet/IP Security"
	case 0x5F:
		return "Certificate Management"
	case 0x67:
		return "PCCC"
	case 0x6B:
		return "Symbol"
	case 0x6C:
		return "Template"
	case 0xF4:
		return "Port"
	case 0xF5:
		return "TCP/IP Interface"
	case 0xF6:
		return "Ethernet Link"
	}
	return ""
}

// configClass reports whether writes to a class change the device's network
// or security configuration: the TCP/IP Interface and Ethernet Link objects
// (CIP Vol. 2 §5-3, §5-4) and the CIP Security objects (Vol. 8).
func configClass(c uint32) bool {
	switch c {
	case classTCPIP, classEthernetLink, classCIPSecurity, classENIPSecurity, classCertMgmt:
		return true
	}
	return false
}

// special marks services whose data the analyzer reads further.
type special uint8

const (
	spNone special = iota
	spMSP
	spUnconnectedSend
	spForwardOpen
	spLargeForwardOpen
	spForwardClose
	spReset
	spFileInitUpload
	spFileInitDownload
	spFileInitPartialRead
	spFileInitPartialWrite
	spFileUpload
	spFileDownload
	spFileClear
	spPCCC
	spTag
	spGetAttr // identity decoding of Get_Attribute_* responses
)

// service is one row of the service tables.
type service struct {
	name string
	op   opcode
	sp   special
}

// Common services, CIP Vol. 1 Table.
var commonServices = [0x20]service{
	0x01: {"Get_Attributes_All", opRead, spGetAttr},
	0x02: {"Set_Attributes_All", opWrite, spNone},
	0x03: {"Get_Attribute_List", opRead, spGetAttr},
	0x04: {"Set_Attribute_List", opWrite, spNone},
	0x05: {"Reset", opPLCStart, spReset},
	0x06: {"Start", opPLCStart, spNone},
	0x07: {"Stop", opPLCStop, spNone},
	0x08: {"Create", opWrite, spNone},
	0x09: {"Delete", opWrite, spNone},
	0x0A: {"Multiple_Service_Packet", opOther, spMSP},
	0x0D: {"Apply_Attributes", opWrite, spNone},
	0x0E: {"Get_Attribute_Single", opRead, spGetAttr},
	0x10: {"Set_Attribute_Single", opWrite, spNone},
	0x11: {"Find_Next_Object_Instance", opRead, spNone},
	0x14: {"Error_Response", opOther, spNone},
	0x15: {"Restore", opWrite, spNone},
	0x16: {"Save", opWrite, spNone},
	0x17: {"No_Operation", opDiagnostics, spNone},
	0x18: {"Get_Member", opRead, spNone},
	0x19: {"Set_Member", opWrite, spNone},
	0x1A: {"Insert_Member", opWrite, spNone},
	0x1B: {"Remove_Member", opWrite, spNone},
	0x1C: {"GroupSync", opRead, spNone},
	0x1D: {"Get_Connection_Point_Member_List", opRead, spNone},
}

var (
	svcUnknown        = service{"Unknown_Service", opOther, spNone}
	svcObjectSpecific = service{"Object_Specific_Service", opOther, spNone}
)

// classService looks up an object-specific service (0x4B–0x63) of a class.
func classService(svc uint8, class uint32) (service, bool) {
	switch class {
	case classConnMgr: // CIP Vol. 1 Table 3-5.10
		switch svc {
		case 0x4E:
			return service{"Forward_Close", opSession, spForwardClose}, true
		case 0x52:
			return service{"Unconnected_Send", opOther, spUnconnectedSend}, true
		case 0x54:
			return service{"Forward_Open", opSession, spForwardOpen}, true
		case 0x56:
			return service{"Get_Connection_Data", opRead, spNone}, true
		case 0x57:
			return service{"Search_Connection_Data", opRead, spNone}, true
		case 0x5A:
			return service{"Get_Connection_Owner", opRead, spNone}, true
		case 0x5B:
			return service{"Large_Forward_Open", opSession, spLargeForwardOpen}, true
		}
	case classFile: // CIP Vol. 1 §5-42.4
		switch svc {
		case 0x4B:
			return service{"Initiate_Upload", opProgramUpload, spFileInitUpload}, true
		case 0x4C:
			return service{"Initiate_Download", opProgramDownload, spFileInitDownload}, true
		case 0x4D:
			return service{"Initiate_Partial_Read", opProgramUpload, spFileInitPartialRead}, true
		case 0x4E:
			return service{"Initiate_Partial_Write", opProgramDownload, spFileInitPartialWrite}, true
		case 0x4F:
			return service{"Upload_Transfer", opProgramUpload, spFileUpload}, true
		case 0x50:
			return service{"Download_Transfer", opProgramDownload, spFileDownload}, true
		case 0x51:
			return service{"Clear_File", opProgramDelete, spFileClear}, true
		}
	case classPCCC:
		if svc == 0x4B {
			return service{"Execute_PCCC", opOther, spPCCC}, true
		}
	case classSymbol, classTemplate, classMessageRouter:
		return logixService(svc)
	case classEthernetLink: // CIP Vol. 2 §5-4.4
		if svc == 0x4C {
			return service{"Get_and_Clear", opDiagnostics, spNone}, true
		}
	case classIdentity: // CIP Vol. 1 §5-2.4 (0x4B is the vendor's LED flash)
		if svc == 0x4B {
			return service{"Flash_LEDs", opDiagnostics, spNone}, true
		}
	}
	return service{}, false
}

// logixService looks up the Logix data access services (Rockwell 1756-PM020
// chapter 1) and the Connection Manager services a request addressed by
// symbol or an unpaired response most likely is.
func logixService(svc uint8) (service, bool) {
	switch svc {
	case 0x4B:
		return service{"Execute_PCCC", opOther, spPCCC}, true
	case 0x4C:
		return service{"Read_Tag", opRead, spTag}, true
	case 0x4D:
		return service{"Write_Tag", opWrite, spTag}, true
	case 0x4E:
		return service{"Read_Modify_Write_Tag", opWrite, spTag}, true
	case 0x52:
		return service{"Read_Tag_Fragmented", opRead, spTag}, true
	case 0x53:
		return service{"Write_Tag_Fragmented", opWrite, spTag}, true
	case 0x54:
		return service{"Forward_Open", opSession, spForwardOpen}, true
	case 0x55:
		return service{"Get_Instance_Attribute_List", opRead, spNone}, true
	case 0x5B:
		return service{"Large_Forward_Open", opSession, spLargeForwardOpen}, true
	}
	return service{}, false
}

// lookup classifies a service addressed to a path. hasClass is false when
// the path names no class (a symbolic tag path, or an unpaired response).
func lookup(svc uint8, class uint32, hasClass, symbolic bool) service {
	svc &= 0x7F
	if svc < 0x4B {
		if int(svc) >= len(commonServices) || commonServices[svc].name == "" {
			return svcUnknown
		}
		s := commonServices[svc]
		if !hasClass {
			return s
		}
		switch {
		case class == classIdentity && s.op == opRead:
			s.op = opIdentity
		case configClass(class) && s.op == opWrite:
			s.op = opConfigChange
		case class == classFile && svc == 0x09:
			s.op = opProgramDelete
		}
		return s
	}
	if svc > 0x63 {
		return svcUnknown
	}
	if hasClass && !symbolic {
		if s, ok := classService(svc, class); ok {
			return s
		}
		return svcObjectSpecific
	}
	if s, ok := logixService(svc); ok {
		return s
	}
	return svcObjectSpecific
}

// vendorName names a CIP vendor id: a short table of vendors met on port
// and crane networks, from the ODVA vendor id registry (as also published in
// the EtherNet/IP dissectors of Wireshark and Zeek ICSNPP). "" when not listed.
func vendorName(id uint16) string {
	switch id {
	case 1:
		return "Rockwell Automation/Allen-Bradley"
	case 3:
		return "Honeywell Inc."
	case 5:
		return "Rockwell Automation/Reliance Elec."
	case 26:
		return "Festo Corporation"
	case 40:
		return "Wago Corporation"
	case 44:
		return "Yaskawa Electric America Inc."
	case 46:
		return "ABB Industrial Systems"
	case 47:
		return "Omron Corporation"
	case 48:
		return "Turck Inc."
	case 57:
		return "Pepperl + Fuchs"
	case 68:
		return "Eaton Electrical"
	case 71:
		return "Toshiba International Corp."
	case 82:
		return "Mitsubishi Electric Automation Inc."
	case 90:
		return "HMS Industrial Networks AB"
	case 97:
		return "Danfoss"
	case 108:
		return "Beckhoff Automation GmbH"
	case 109:
		return "National Instruments"
	case 143:
		return "GE Industrial Systems"
	case 145:
		return "Siemens Energy & Automation/Drives"
	case 161:
		return "Mitsubishi Electric Corporation"
	case 176:
		return "Red Lion Controls"
	case 181:
		return "Pilz GmbH & Co"
	case 243:
		return "Schneider Automation Inc."
	case 250:
		return "Yokogawa Electric Corporation"
	case 255:
		return "Bosch Rexroth"
	case 283:
		return "Hilscher GmbH"
	case 309:
		return "Prosoft Technology"
	case 315:
		return "SEW Eurodrive GmbH"
	case 319:
		return "Fuji Electric Co. Ltd."
	case 326:
		return "GE Fanuc Automation North America Inc."
	case 367:
		return "Keyence Corporation"
	case 1251:
		return "Siemens AG"
	case 1252:
		return "Liebherr Transportation Systems GmbH & Co KG"
	}
	return ""
}

// deviceTypeName names a CIP device profile (CIP Vol. 1 Table 6-7.1); ""
// when not listed (vendor-specific profiles among them).
func deviceTypeName(t uint16) string {
	switch t {
	case 0x00:
		return "Generic Device (deprecated)"
	case 0x02:
		return "AC Drive Device"
	case 0x03:
		return "Motor Overload"
	case 0x04:
		return "Limit Switch"
	case 0x05:
		return "Inductive Proximity Switch"
	case 0x06:
		return "Photoelectric Sensor"
	case 0x07:
		return "General Purpose Discrete I/O"
	case 0x09:
		return "Resolver"
	case 0x0C:
		return "Communications Adapter"
	case 0x0E:
		return "Programmable Logic Controller"
	case 0x10:
		return "Position Controller"
	case 0x13:
		return "DC Drive"
	case 0x15:
		return "Contactor"
	case 0x16:
		return "Motor Starter"
	case 0x17:
		return "Softstart Starter"
	case 0x18:
		return "Human-Machine Interface"
	case 0x1A:
		return "Mass Flow Controller"
	case 0x1B:
		return "Pneumatic Valve(s)"
	case 0x1C:
		return "Vacuum Pressure Gauge"
	case 0x1D:
		return "Process Control Valve"
	case 0x22:
		return "Encoder"
	case 0x23:
		return "Safety Discrete I/O Device"
	case 0x24:
		return "Fluid Flow Controller"
	case 0x25:
		return "CIP Motion Drive"
	case 0x26:
		return "CompoNet Repeater"
	case 0x28:
		return "CIP Modbus Device"
	case 0x29:
		return "CIP Modbus Translator"
	case 0x2A:
		return "Safety Analog I/O Device"
	case 0x2B:
		return "Generic Device (keyable)"
	case 0x2C:
		return "Managed Ethernet Switch"
	case 0x2D:
		return "CIP Motion Safety Drive Device"
	case 0x2E:
		return "Safety Drive Device"
	case 0x2F:
		return "CIP Motion Encoder"
	case 0x30:
		return "CIP Motion Converter"
	case 0x31:
		return "CIP Motion I/O"
	case 0x32:
		return "ControlNet Physical Layer Component"
	}
	return ""
}

// resetTypeName names the Identity object's Reset parameter (CIP Vol. 1
// §5-2.4.2).
func resetTypeName(t uint8) string {
	switch t {
	case 0:
		return "power cycle"
	case 1:
		return "factory defaults"
	case 2:
		return "factory defaults except communication parameters"
	}
	return "vendor specific"
}

// PCCC commands carried by Execute_PCCC (Rockwell publication 1770-6.5.16,
// "DF1 Protocol and Command Set", chapter 7): the typed and word-range reads
// and writes that HMIs and legacy drivers use are classified; the rest
// (including mode changes and program edits) stay "other".
func pcccOp(cmd, fnc uint8) (string, opcode) {
	switch cmd {
	case 0x06:
		if fnc == 0x03 {
			return "PCCC_Diagnostic_Status", opDiagnostics
		}
		return "PCCC_Command", opOther
	case 0x0F:
		switch fnc {
		case 0x01:
			return "PCCC_Word_Range_Read", opRead
		case 0x00:
			return "PCCC_Word_Range_Write", opWrite
		case 0x68:
			return "PCCC_Typed_Read", opRead
		case 0x67:
			return "PCCC_Typed_Write", opWrite
		case 0x26:
			return "PCCC_Read_Modify_Write", opWrite
		case 0xA1, 0xA2:
			return "PCCC_Protected_Typed_Logical_Read", opRead
		case 0xA9, 0xAA, 0xAB:
			return "PCCC_Protected_Typed_Logical_Write", opWrite
		}
	}
	return "PCCC_Command", opOther
}
