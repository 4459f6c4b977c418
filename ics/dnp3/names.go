package dnp3

import (
	"strconv"

	"harborwatch/event"
)

// Application function codes (IEEE 1815-2012 §4.2.2.5).
const (
	FuncConfirm             = 0
	FuncRead                = 1
	FuncWrite               = 2
	FuncSelect              = 3
	FuncOperate             = 4
	FuncDirectOperate       = 5
	FuncDirectOperateNR     = 6
	FuncColdRestart         = 13
	FuncWarmRestart         = 14
	FuncStartApplication    = 17
	FuncStopApplication     = 18
	FuncEnableUnsolicited   = 20
	FuncDisableUnsolicited  = 21
	FuncOpenFile            = 25
	FuncDeleteFile          = 27
	FuncAuthenticateFile    = 29
	FuncAuthRequest         = 32
	FuncAuthRequestNoAck    = 33
	FuncResponse            = 129
	FuncUnsolicitedResponse = 130
	FuncAuthResponse        = 131
)

// function is what the analyzer knows of one function code: its name as
// Wireshark writes it and its operation.
type function struct {
	name string
	op   string
}

// funcs names the function codes as tshark's dnp3.al.func and classifies
// them. A response takes its request's operation (see Message.Op).
var funcs = func() [256]function {
	var f [256]function
	set := func(code int, name, op string) { f[code] = function{name, op} }
	set(0, "Confirm", event.OpSession)
	set(1, "Read", event.OpRead)
	set(2, "Write", event.OpWrite)
	set(3, "Select", event.OpWrite)
	set(4, "Operate", event.OpWrite)
	set(5, "Direct Operate", event.OpWrite)
	set(6, "Direct Operate No Ack", event.OpWrite)
	set(7, "Immediate Freeze", event.OpWrite)
	set(8, "Immediate Freeze No Ack", event.OpWrite)
	set(9, "Freeze and Clear", event.OpWrite)
	set(10, "Freeze and Clear No ACK", event.OpWrite)
	set(11, "Freeze With Time", event.OpWrite)
	set(12, "Freeze With Time No ACK", event.OpWrite)
	set(13, "Cold Restart", event.OpPLCStop)
	set(14, "Warm Restart", event.OpPLCStop)
	set(15, "Initialize Data", event.OpConfigChange)
	set(16, "Initialize Application", event.OpConfigChange)
	set(17, "Start Application", event.OpPLCStart)
	set(18, "Stop Application", event.OpPLCStop)
	set(19, "Save Configuration", event.OpConfigChange)
	set(20, "Enable Spontaneous Messages", event.OpConfigChange)
	set(21, "Disable Spontaneous Messages", event.OpConfigChange)
	set(22, "Assign Classes", event.OpConfigChange)
	set(23, "Delay Measurement", event.OpDiagnostics)
	set(24, "Record Current Time", event.OpConfigChange)
	set(25, "Open File", event.OpOther) // by its mode: see Message.Op
	set(26, "Close File", event.OpOther)
	set(27, "Delete File", event.OpProgramDelete)
	set(28, "Get File Info", event.OpRead)
	set(29, "Authenticate File", event.OpAuth)
	set(30, "Abort File", event.OpOther)
	set(31, "Activate Config", event.OpConfigChange)
	set(32, "Authentication Request", event.OpAuth)
	set(33, "Authentication Error", event.OpAuth)
	set(129, "Response", event.OpRead)
	set(130, "Unsolicited Response", event.OpIO)
	set(131, "Authentication Response", event.OpAuth)
	for i := range f {
		if f[i].name == "" {
			f[i] = function{"unknown-" + strconv.Itoa(i), event.OpOther}
		}
	}
	return f
}()

// iinNames name the internal indication bits of a response (§4.2.2.7),
// bit 0 of the first octet first.
var iinNames = [16]string{
	"all_stations", "class_1_events", "class_2_events", "class_3_events",
	"need_time", "local_control", "device_trouble", "device_restart",
	"no_func_code_support", "object_unknown", "parameter_error", "event_buffer_overflow",
	"already_executing", "config_corrupt", "reserved_2", "reserved_1",
}

// objectSize gives the size in bytes of one object of group g, variation
// v, for the fixed-size objects (IEEE 1815-2012 Annex A); bits > 0 for
// the packed ones (bits per object); both 0 when the size is unknown or
// the object carries no data (class data, g60). size < 0: the variation
// is the size (octet strings g110, g111).
func objectSize(g, v uint8) (size, bits int) {
	switch g {
	case 1, 10, 80:
		if v == 1 {
			return 0, 1
		}
		if g != 80 && v == 2 {
			return 1, 0
		}
	case 3:
		if v == 1 {
			return 0, 2
		}
		if v == 2 {
			return 1, 0
		}
	case 12:
		if v == 1 || v == 2 {
			return 11, 0
		}
		if v == 3 {
			return 0, 1
		}
	case 110, 111:
		return -1, 0
	}
	if g < uint8(len(sizes)) && v < uint8(len(sizes[g])) {
		return int(sizes[g][v]), 0
	}
	return 0, 0
}

// sizes are the fixed object sizes by group and variation (0: unknown).
var sizes = [...][]uint8{
	2:  {0, 1, 7, 3},
	4:  {0, 1, 7, 3},
	11: {0, 1, 7},
	13: {0, 1, 7},
	20: {0, 5, 3, 5, 3, 4, 2, 4, 2},
	21: {0, 5, 3, 5, 3, 11, 9, 11, 9, 4, 2, 4, 2},
	22: {0, 5, 3, 5, 3, 11, 9, 11, 9},
	23: {0, 5, 3, 5, 3, 11, 9, 11, 9},
	30: {0, 5, 3, 4, 2, 5, 9},
	31: {0, 5, 3, 11, 9, 4, 2, 5, 9},
	32: {0, 5, 3, 11, 9, 5, 9, 11, 15},
	33: {0, 5, 3, 11, 9, 5, 9, 11, 15},
	34: {0, 2, 4, 4},
	40: {0, 5, 3, 5, 9},
	41: {0, 5, 3, 5, 9},
	42: {0, 5, 3, 11, 9, 5, 9, 11, 15},
	43: {0, 5, 3, 11, 9, 5, 9, 11, 15},
	50: {0, 6, 10, 6, 11},
	51: {0, 6, 6},
	52: {0, 2, 2},
}
