package s7

// ROSCTR values (S7comm header octet 1).
const (
	rosctrJob      = 1
	rosctrAck      = 2
	rosctrAckData  = 3
	rosctrUserdata = 7
)

// Parameter function codes of jobs and ack-data.
const (
	fnCPUServices     = 0x00
	fnReadVar         = 0x04
	fnWriteVar        = 0x05
	fnRequestDownload = 0x1A
	fnDownloadBlock   = 0x1B
	fnDownloadEnded   = 0x1C
	fnStartUpload     = 0x1D
	fnUpload          = 0x1E
	fnEndUpload       = 0x1F
	fnPIService       = 0x28
	fnPLCStop         = 0x29
	fnSetup           = 0xF0
)

// functionName names a parameter function code as Wireshark's S7comm
// dissector (and so tshark's s7comm.param.func) does.
func functionName(fn uint8) string {
	switch fn {
	case fnCPUServices:
		return "CPU services"
	case fnSetup:
		return "Setup communication"
	case fnReadVar:
		return "Read Var"
	case fnWriteVar:
		return "Write Var"
	case fnRequestDownload:
		return "Request download"
	case fnDownloadBlock:
		return "Download block"
	case fnDownloadEnded:
		return "Download ended"
	case fnStartUpload:
		return "Start upload"
	case fnUpload:
		return "Upload"
	case fnEndUpload:
		return "End upload"
	case fnPIService:
		return "PI-Service"
	case fnPLCStop:
		return "PLC Stop"
	}
	return "Unknown function"
}

// functionOp classifies a parameter function code. PI services are
// classified by their service name instead (piServices).
func functionOp(fn uint8) string {
	switch fn {
	case fnSetup:
		return opSession
	case fnReadVar:
		return opRead
	case fnWriteVar:
		return opWrite
	case fnRequestDownload, fnDownloadBlock, fnDownloadEnded:
		return opProgramDownload
	case fnStartUpload, fnUpload, fnEndUpload:
		return opProgramUpload
	case fnPLCStop:
		return opPLCStop
	}
	return opOther
}

// Userdata function groups (the low nibble of the type/group octet).
const (
	groupModeTransition = 0
	groupProgrammer     = 1
	groupCyclic         = 2
	groupBlock          = 3
	groupCPU            = 4
	groupSecurity       = 5
	groupPBC            = 6
	groupTime           = 7
	groupNC             = 15
)

// userdataName names a userdata subfunction of a function group.
func userdataName(group, sub uint8) string {
	switch group {
	case groupModeTransition:
		return "Mode transition"
	case groupProgrammer:
		switch sub {
		case 0x01:
			return "Block status"
		case 0x02:
			return "Variable status"
		case 0x03:
			return "Output ISTACK"
		case 0x04:
			return "Output BSTACK"
		case 0x05:
			return "Output LSTACK"
		case 0x06:
			return "Time measurement from to"
		case 0x07:
			return "Force selection"
		case 0x08:
			return "Modify variable"
		case 0x09:
			return "Force"
		case 0x0a:
			return "Breakpoint"
		case 0x0b:
			return "Exit HOLD"
		case 0x0c:
			return "Memory reset"
		case 0x0d:
			return "Disable job"
		case 0x0e:
			return "Enable job"
		case 0x0f:
			return "Delete job"
		case 0x10:
			return "Read job list"
		case 0x11:
			return "Read job"
		case 0x12:
			return "Replace job"
		case 0x13:
			return "Block status v2"
		case 0x16:
			return "Flash LED"
		}
		return "Programmer commands"
	case groupCyclic:
		switch sub {
		case 0x01:
			return "Cyclic transfer"
		case 0x04:
			return "Unsubscribe"
		case 0x05:
			return "Change driven transfer"
		case 0x07:
			return "Change driven transfer modify"
		case 0x08:
			return "RDREC"
		}
		return "Cyclic services"
	case groupBlock:
		switch sub {
		case 0x01:
			return "List blocks"
		case 0x02:
			return "List blocks of type"
		case 0x03:
			return "Get block info"
		}
		return "Block functions"
	case groupCPU:
		switch sub {
		case 0x01:
			return "Read SZL"
		case 0x02:
			return "Message service"
		case 0x03:
			return "Diagnostic message"
		case 0x05:
			return "ALARM_8 indication"
		case 0x06:
			return "NOTIFY indication"
		case 0x07:
			return "ALARM_8 lock"
		case 0x08:
			return "ALARM_8 unlock"
		case 0x09:
			return "SCAN indication"
		case 0x0b:
			return "ALARM ack"
		case 0x0c:
			return "ALARM ack indication"
		case 0x0d:
			return "ALARM lock indication"
		case 0x0e:
			return "ALARM unlock indication"
		case 0x11:
			return "ALARM_SQ indication"
		case 0x12:
			return "ALARM_S indication"
		case 0x13:
			return "ALARM query"
		case 0x16:
			return "NOTIFY_8 indication"
		}
		return "CPU functions"
	case groupSecurity:
		if sub == 0x01 {
			return "PLC password"
		}
		return "Security"
	case groupPBC:
		return "PBC BSEND/BRECV"
	case groupTime:
		switch sub {
		case 0x01:
			return "Read clock"
		case 0x02:
			return "Set clock"
		case 0x03:
			return "Read clock (following)"
		case 0x04:
			return "Set clock"
		}
		return "Time functions"
	case groupNC:
		switch sub {
		case 0x01:
			return "Request download"
		case 0x02:
			return "Download block"
		case 0x03:
			return "Continue download"
		case 0x04:
			return "Download ended"
		case 0x06:
			return "Start upload"
		case 0x07:
			return "Upload"
		case 0x08:
			return "Continue upload"
		}
		return "NC programming"
	}
	return "Unknown userdata function"
}

// userdataOp classifies a userdata subfunction. SZL reads are identity for
// the identification lists (xy11 module identification, xy1C component
// identification) and diagnostics otherwise.
func userdataOp(group, sub uint8, szlID uint16, hasSZL bool) string {
	switch group {
	case groupProgrammer:
		switch sub {
		case 0x02: // variable status: monitoring values of a variable table
			return opRead
		case 0x08, 0x09: // modify variable, force
			return opWrite
		case 0x0c: // memory reset clears the user program from work memory
			return opProgramDelete
		case 0x01, 0x03, 0x04, 0x05, 0x06, 0x07, 0x10, 0x11, 0x13:
			return opDiagnostics
		}
		return opOther
	case groupBlock:
		return opDiagnostics
	case groupCPU:
		if sub == 0x01 && hasSZL && isIdentitySZL(szlID) {
			return opIdentity
		}
		return opDiagnostics
	case groupSecurity:
		return opAuth
	case groupTime:
		switch sub {
		case 0x01, 0x03:
			return opRead
		case 0x02, 0x04:
			return opConfigChange
		}
		return opOther
	case groupNC:
		switch sub {
		case 0x01, 0x02, 0x03, 0x04:
			return opProgramDownload
		case 0x06, 0x07, 0x08:
			return opProgramUpload
		}
		return opOther
	}
	return opOther // mode transition, cyclic services, BSEND/BRECV
}

// isIdentitySZL reports whether an SZL id is a module or component
// identification list (number of the partial list 0x11 or 0x1C).
func isIdentitySZL(id uint16) bool {
	n := id & 0xff
	return n == 0x11 || n == 0x1c
}

// userdataTypeName names the userdata type (high nibble of type/group).
func userdataTypeName(t uint8) string {
	switch t {
	case 0:
		return "push"
	case 4:
		return "request"
	case 8:
		return "response"
	case 3:
		return "NC push"
	case 7:
		return "NC request"
	case 11:
		return "NC response"
	}
	return "unknown"
}

// modeName names the mode of a mode-transition push (its subfunction).
func modeName(sub uint8) string {
	switch sub {
	case 0:
		return "STOP"
	case 1:
		return "Warm Restart"
	case 2:
		return "RUN"
	case 3:
		return "Hot Restart"
	case 4:
		return "HOLD"
	case 6:
		return "Cold Restart"
	case 9:
		return "RUN_R (H-System redundant)"
	case 11:
		return "LINK-UP"
	case 12:
		return "UPDATE"
	}
	return "unknown"
}

// errClassName names a header error class.
func errClassName(c uint8) string {
	switch c {
	case 0x00:
		return "No error"
	case 0x81:
		return "Application relationship"
	case 0x82:
		return "Object definition"
	case 0x83:
		return "No resources available"
	case 0x84:
		return "Error on service processing"
	case 0x85:
		return "Error on supplies"
	case 0x87:
		return "Access error"
	}
	return "Unknown error class"
}

// errorStatus names a 16-bit S7 error code, falling back to its class.
func errorStatus(code uint16) string {
	if s, ok := errorNames[code]; ok {
		return s
	}
	if s := errClassName(uint8(code >> 8)); s != "Unknown error class" && code>>8 != 0 {
		return s
	}
	return "Unknown error code"
}

// Item return codes of read/write responses and userdata data.
const retSuccess = 0xff

// returnCodeName names a data item return code.
func returnCodeName(rc uint8) string {
	switch rc {
	case 0x00:
		return "Reserved"
	case 0x01:
		return "Hardware error"
	case 0x03:
		return "Accessing the object not allowed"
	case 0x05:
		return "Invalid address"
	case 0x06:
		return "Data type not supported"
	case 0x07:
		return "Data type inconsistent"
	case 0x0a:
		return "Object does not exist"
	case 0xff:
		return "Success"
	}
	return "Unknown return code"
}

// Syntax identifier of an S7ANY variable address.
const syntaxS7Any = 0x10

// Memory areas of a variable address.
const (
	areaP          = 0x80
	areaI          = 0x81
	areaQ          = 0x82
	areaM          = 0x83
	areaDB         = 0x84
	areaDI         = 0x85
	areaL          = 0x86
	areaV          = 0x87
	areaCounter    = 0x1c
	areaTimer      = 0x1d
	areaIECCounter = 0x1e
	areaIECTimer   = 0x1f
)

// areaShort is the S7 notation of a memory area.
func areaShort(a uint8) string {
	switch a {
	case areaP:
		return "P"
	case areaI:
		return "I"
	case areaQ:
		return "Q"
	case areaM:
		return "M"
	case areaDB:
		return "DB"
	case areaDI:
		return "DI"
	case areaL:
		return "L"
	case areaV:
		return "V"
	case areaCounter:
		return "C"
	case areaTimer:
		return "T"
	case areaIECCounter:
		return "IEC C"
	case areaIECTimer:
		return "IEC T"
	}
	return "area " + hex2(uint64(a), 2) + " "
}

// transportSizeName names the transport size of a variable address.
func transportSizeName(ts uint8) string {
	switch ts {
	case 0x01:
		return "BIT"
	case 0x02:
		return "BYTE"
	case 0x03:
		return "CHAR"
	case 0x04:
		return "WORD"
	case 0x05:
		return "INT"
	case 0x06:
		return "DWORD"
	case 0x07:
		return "DINT"
	case 0x08:
		return "REAL"
	case 0x0a:
		return "TOD"
	case 0x0b:
		return "TIME"
	case 0x0c:
		return "S5TIME"
	case 0x0f:
		return "DATE_AND_TIME"
	case 0x1c:
		return "COUNTER"
	case 0x1d:
		return "TIMER"
	case 0x1e:
		return "IEC TIMER"
	case 0x1f:
		return "IEC COUNTER"
	case 0x20:
		return "HS COUNTER"
	}
	return "SIZE " + hex2(uint64(ts), 2)
}

// blockTypeName names the block type from the second ASCII character of a
// block type code ("08" OB, "0A" DB, …).
func blockTypeName(c byte) string {
	switch c {
	case '8':
		return "OB"
	case 'A':
		return "DB"
	case 'B':
		return "SDB"
	case 'C':
		return "FC"
	case 'D':
		return "SFC"
	case 'E':
		return "FB"
	case 'F':
		return "SFB"
	}
	return "unknown"
}

// filesystemName names the destination file system of a block file name.
func filesystemName(c byte) string {
	switch c {
	case 'P':
		return "passive"
	case 'A':
		return "active"
	case 'B':
		return "active and passive"
	}
	return "unknown"
}

// plcFilename parses a PLC block file name "_0A00001P": file identifier
// '_', block type (2 ASCII), block number (5 digits), file system (1).
func plcFilename(f []byte) (blockType string, number int, fs byte, ok bool) {
	if len(f) != 9 || f[0] != '_' || f[1] != '0' {
		return "", 0, 0, false
	}
	bt := blockTypeName(f[2])
	n, okN := atoi(f[3:8])
	if bt == "unknown" || !okN {
		return "", 0, 0, false
	}
	return bt, n, f[8], true
}

// blockName renders a PLC block file name ("_0C00012P") as engineers and
// Wireshark (the text it appends to s7comm.param.blockcontrol.filename)
// write the block: type and number without leading zeros, "FC12". It
// allocates, so it is called only when the detail is built.
func blockName(f []byte) (string, bool) {
	bt, n, _, ok := plcFilename(f)
	if !ok {
		return "", false
	}
	return bt + itoa(n), true
}

// blockSpecString formats an 8-octet block spec (type 2, number 5, file
// system 1) as "DB1".
func blockSpecString(b []byte) string {
	n, ok := atoi(b[2:7])
	if !ok {
		return blockTypeName(b[1]) + "?"
	}
	return blockTypeName(b[1]) + itoa(n)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}

// languageName names the language octet of a block header.
func languageName(l uint8) string {
	switch l {
	case 0x00:
		return "Not defined"
	case 0x01:
		return "AWL"
	case 0x02:
		return "KOP"
	case 0x03:
		return "FUP"
	case 0x04:
		return "SCL"
	case 0x05:
		return "DB"
	case 0x06:
		return "GRAPH"
	case 0x07:
		return "SDB"
	case 0x08:
		return "CPU-DB"
	case 0x11:
		return "SDB (after overall reset)"
	case 0x12:
		return "SDB (Routing)"
	case 0x29:
		return "ENCRYPT"
	}
	return "unknown"
}

// BlockTypeName names the block type octet of an S7 block header, as
// engineers write it (OB, DB, SDB, FC, SFC, FB, SFB); "" for another.
func BlockTypeName(t uint8) string {
	switch t {
	case 0x08:
		return "OB"
	case 0x0a:
		return "DB"
	case 0x0b:
		return "SDB"
	case 0x0c:
		return "FC"
	case 0x0d:
		return "SFC"
	case 0x0e:
		return "FB"
	case 0x0f:
		return "SFB"
	}
	return ""
}

// szlName names an SZL (system status list) by its partial list number,
// the low octet of the SZL id, as the S7-300/400 system software manual
// (chapter "System status lists") titles them.
func szlName(id uint16) string {
	switch id & 0xff {
	case 0x00:
		return "List of all SZL-IDs"
	case 0x11:
		return "Module identification"
	case 0x12:
		return "CPU characteristics"
	case 0x13:
		return "User memory areas"
	case 0x14:
		return "System areas"
	case 0x15:
		return "Block types"
	case 0x16:
		return "Priority classes"
	case 0x17:
		return "List of the permitted SDBs"
	case 0x18:
		return "Maximum S7-300 I/O configuration"
	case 0x19:
		return "Status of the module LEDs"
	case 0x1c:
		return "Component identification"
	case 0x21:
		return "Interrupt / error assignment"
	case 0x22:
		return "Interrupt status"
	case 0x23:
		return "Priority classes being processed"
	case 0x24:
		return "Modes"
	case 0x31:
		return "Communication capability parameters"
	case 0x32:
		return "Communication status data"
	case 0x33:
		return "Diagnostics: device logon list"
	case 0x37:
		return "Ethernet details of a module"
	case 0x71:
		return "H CPU group information"
	case 0x74:
		return "Status of the module LEDs"
	case 0x81:
		return "Start information list"
	case 0x82:
		return "Start event list"
	case 0x90:
		return "DP master system information"
	case 0x91:
		return "Module status information"
	case 0x92:
		return "Rack / station status information"
	case 0x94:
		return "Rack / station status information"
	case 0x95:
		return "Extended DP master system information"
	case 0x96:
		return "Module status information, PROFINET IO and PROFIBUS DP"
	case 0xa0:
		return "Diagnostic buffer of the CPU"
	case 0xb1, 0xb2, 0xb3, 0xb4:
		return "Module diagnostic data"
	}
	return "Unknown SZL"
}

// piService is a PI (program invocation) service of function 0x28, by the
// name the job carries.
type piService struct {
	service string
	name    string // Message name
	descr   string
	op      string
}

// piServices lists the PI services of S7 PLCs and the SINUMERIK NC file
// services that change or remove programs.
//
// _MODU ("copy RAM to ROM") writes the program in work memory to the load
// memory (memory card or EPROM) so that it survives a memory reset: it is
// the step that makes a download permanent, hence program-download. _GARB
// (compress memory) rearranges the blocks in memory without changing them:
// config-change.
var piServices = [...]piService{
	{"_INSE", "PI-Service _INSE", "Activates a PLC module (block insert)", opProgramDownload},
	{"_INS2", "PI-Service _INS2", "Activates a PLC module (block insert)", opProgramDownload},
	{"_DELE", "PI-Service _DELE", "Removes a module from the PLC's file system (block delete)", opProgramDelete},
	{"P_PROGRAM", "PI-Service P_PROGRAM", "PLC start / stop", opPLCStart},
	{"_MODU", "PI-Service _MODU", "PLC copy RAM to ROM", opProgramDownload},
	{"_GARB", "PI-Service _GARB", "Compress PLC memory", opConfigChange},
	{"_N_LOGIN_", "PI-Service _N_LOGIN_", "Login", opAuth},
	{"_N_LOGOUT", "PI-Service _N_LOGOUT", "Logout", opAuth},
	{"_N_NEWPWD", "PI-Service _N_NEWPWD", "New password", opAuth},
	{"_N_F_DELE", "PI-Service _N_F_DELE", "Deletes a file", opProgramDelete},
	{"_N_F_DELR", "PI-Service _N_F_DELR", "Deletes a file even without access rights", opProgramDelete},
	{"_N_F_XFER", "PI-Service _N_F_XFER", "Selects a file for uploading", opProgramUpload},
	{"_N_SELECT", "PI-Service _N_SELECT", "Selects a program for execution", opOther},
}

// lookupPI finds a PI service by name, -1 when unknown.
func lookupPI(name []byte) int8 {
	for i := range piServices {
		if string(name) == piServices[i].service {
			return int8(i)
		}
	}
	return -1
}

// S7comm-plus protocol versions, opcodes and function codes.
const (
	plusV1        = 0x01
	plusV2        = 0x02
	plusV3        = 0x03
	plusExtKeep   = 0xfe
	plusKeepAlive = 0xff

	plusRequest      = 0x31
	plusResponse     = 0x32
	plusNotification = 0x33
	plusResponse2    = 0x02
)

func plusVersionName(v uint8) string {
	switch v {
	case plusV1:
		return "V1"
	case plusV2:
		return "V2"
	case plusV3:
		return "V3"
	case plusExtKeep:
		return "Ext. Keep Alive"
	case plusKeepAlive:
		return "Keep Alive"
	}
	return "unknown"
}

func plusOpcodeName(o uint8) string {
	switch o {
	case plusRequest:
		return "Request"
	case plusResponse:
		return "Response"
	case plusNotification:
		return "Notification"
	case plusResponse2:
		return "Response2"
	}
	return "unknown"
}

// plusFunctionName names an S7comm-plus function code; plusFunctionOp
// classifies it.
func plusFunctionName(f uint16) string {
	switch f {
	case 0x04b1:
		return "Error"
	case 0x04bb:
		return "Explore"
	case 0x04ca:
		return "CreateObject"
	case 0x04d4:
		return "DeleteObject"
	case 0x04f2:
		return "SetVariable"
	case 0x04fc:
		return "GetVariable"
	case 0x0506:
		return "AddLink"
	case 0x051a:
		return "RemoveLink"
	case 0x0524:
		return "GetLink"
	case 0x0542:
		return "SetMultiVariables"
	case 0x054c:
		return "GetMultiVariables"
	case 0x0556:
		return "BeginSequence"
	case 0x0560:
		return "EndSequence"
	case 0x056b:
		return "Invoke"
	case 0x057c:
		return "SetVarSubStreamed"
	case 0x0586:
		return "GetVarSubStreamed"
	case 0x0590:
		return "GetVariablesAddress"
	case 0x059a:
		return "Abort"
	}
	return "Unknown function"
}

func plusFunctionOp(f uint16) string {
	switch f {
	case 0x04bb, 0x04fc, 0x0524, 0x054c, 0x0586, 0x0590: // Explore, GetVariable, GetLink, GetMultiVariables, GetVarSubStreamed, GetVariablesAddress
		return opRead
	case 0x04f2, 0x0542, 0x057c: // SetVariable, SetMultiVariables, SetVarSubStreamed
		return opWrite
	case 0x04ca, 0x04d4: // CreateObject, DeleteObject
		return opSession
	}
	return opOther
}

// plusErrorName names the error code (low 16 bits of the return value) of
// an S7comm-plus response; only the publicly documented codes are known.
func plusErrorName(c int16) string {
	switch c {
	case 0:
		return ""
	case 17:
		return "Message Session Pre-Legitimated"
	case 19:
		return "Warning Service Executed With Partial Error"
	case 22:
		return "Service Session Delegitimated"
	case -12:
		return "Object not found"
	case -17:
		return "Invalid CRC"
	case -134:
		return "Service Multi-ES Not Supported"
	case -255:
		return "Invalid LID"
	}
	return "Unknown error code"
}
