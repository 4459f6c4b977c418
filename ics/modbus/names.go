package modbus

import (
	"strconv"

	"harborwatch/event"
)

// Function codes of the Modbus Application Protocol Specification V1.1b3
// §5.1 (public codes, table "Public Function Code Definition"), the Modicon
// legacy codes Zeek also names, and the Schneider UMAS code.
const (
	ReadCoils                  = 0x01 // §6.1
	ReadDiscreteInputs         = 0x02 // §6.2
	ReadHoldingRegisters       = 0x03 // §6.3
	ReadInputRegisters         = 0x04 // §6.4
	WriteSingleCoil            = 0x05 // §6.5
	WriteSingleRegister        = 0x06 // §6.6
	ReadExceptionStatus        = 0x07 // §6.7
	Diagnostics                = 0x08 // §6.8
	GetCommEventCounter        = 0x0B // §6.9
	GetCommEventLog            = 0x0C // §6.10
	WriteMultipleCoils         = 0x0F // §6.11
	WriteMultipleRegisters     = 0x10 // §6.12
	ReportServerID             = 0x11 // §6.13
	ReadFileRecord             = 0x14 // §6.14
	WriteFileRecord            = 0x15 // §6.15
	MaskWriteRegister          = 0x16 // §6.16
	ReadWriteMultipleRegisters = 0x17 // §6.17
	ReadFIFOQueue              = 0x18 // §6.18
	EncapsulatedInterface      = 0x2B // §6.19-6.21 (MEI)
	UMAS                       = 0x5A // Schneider Electric UMAS, on a code §5 leaves unassigned
	FirmwareReplacement        = 0x7D // Modicon legacy
	exceptionBit               = 0x80 // §7: a response's function code with this bit set is an exception
)

// MEI types of function 43 (§6.19, §6.20, §6.21).
const (
	MEICANopen        = 0x0D
	MEIDeviceIdentity = 0x0E
)

// funcNames holds Zeek's names (base/protocols/modbus/consts.zeek) for the
// function codes 0-127; an unnamed code is "unknown-N" as in Zeek.
var funcNames = func() (t [128]string) {
	for i := range t {
		t[i] = "unknown-" + strconv.Itoa(i)
	}
	for c, n := range map[int]string{
		0x01: "READ_COILS", 0x02: "READ_DISCRETE_INPUTS", 0x03: "READ_HOLDING_REGISTERS",
		0x04: "READ_INPUT_REGISTERS", 0x05: "WRITE_SINGLE_COIL", 0x06: "WRITE_SINGLE_REGISTER",
		0x07: "READ_EXCEPTION_STATUS", 0x08: "DIAGNOSTICS", 0x0B: "GET_COMM_EVENT_COUNTER",
		0x0C: "GET_COMM_EVENT_LOG", 0x0F: "WRITE_MULTIPLE_COILS", 0x10: "WRITE_MULTIPLE_REGISTERS",
		0x11: "REPORT_SLAVE_ID", 0x14: "READ_FILE_RECORD", 0x15: "WRITE_FILE_RECORD",
		0x16: "MASK_WRITE_REGISTER", 0x17: "READ_WRITE_MULTIPLE_REGISTERS", 0x18: "READ_FIFO_QUEUE",
		0x2B: "ENCAP_INTERFACE_TRANSPORT",
		// Modicon machine/vendor/network specific codes, named as Zeek names them.
		0x09: "PROGRAM_484", 0x0A: "POLL_484", 0x0D: "PROGRAM_584_984", 0x0E: "POLL_584_984",
		0x12: "PROGRAM_884_U84", 0x13: "RESET_COMM_LINK_884_U84", 0x28: "PROGRAM_CONCEPT",
		0x7D: "FIRMWARE_REPLACEMENT", 0x7E: "PROGRAM_584_984_2", 0x7F: "REPORT_LOCAL_ADDRESS",
		// Zeek leaves 90 unnamed; UMAS messages are named by their UMAS function (umasNames).
		0x5A: "UMAS",
	} {
		t[c] = n
	}
	return t
}()

// funcOps classifies the function codes 0-127 (UMAS is classified by its
// own function, see umasOps).
var funcOps = func() (t [128]string) {
	for i := range t {
		t[i] = event.OpOther
	}
	for _, c := range []int{ReadCoils, ReadDiscreteInputs, ReadHoldingRegisters, ReadInputRegisters,
		ReadFileRecord, ReadFIFOQueue} {
		t[c] = event.OpRead
	}
	for _, c := range []int{WriteSingleCoil, WriteSingleRegister, WriteMultipleCoils,
		WriteMultipleRegisters, WriteFileRecord, MaskWriteRegister, ReadWriteMultipleRegisters} {
		t[c] = event.OpWrite
	}
	// §5.1 files 07, 08, 11, 12 and 17 under "Diagnostics".
	for _, c := range []int{ReadExceptionStatus, Diagnostics, GetCommEventCounter, GetCommEventLog,
		ReportServerID} {
		t[c] = event.OpDiagnostics
	}
	t[FirmwareReplacement] = event.OpFirmwareUpdate
	return t
}()

// exceptionNames are the exception codes of §7 with Zeek's names.
var exceptionNames = func() (t [256]string) {
	for i := range t {
		t[i] = "unknown-" + strconv.Itoa(i)
	}
	t[0x01] = "ILLEGAL_FUNCTION"
	t[0x02] = "ILLEGAL_DATA_ADDRESS"
	t[0x03] = "ILLEGAL_DATA_VALUE"
	t[0x04] = "SLAVE_DEVICE_FAILURE"
	t[0x05] = "ACKNOWLEDGE"
	t[0x06] = "SLAVE_DEVICE_BUSY"
	t[0x07] = "NEGATIVE_ACKNOWLEDGE" // Modicon protocol reference guide PI-MBUS-300; Zeek leaves it unnamed
	t[0x08] = "MEMORY_PARITY_ERROR"
	t[0x0A] = "GATEWAY_PATH_UNAVAILABLE"
	t[0x0B] = "GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND"
	return t
}()

// Diagnostics sub-function codes (§6.8.1) that change the server's state
// rather than only report it.
const (
	DiagRestartCommunications = 0x01
	DiagForceListenOnly       = 0x04
	DiagClearCounters         = 0x0A
	DiagClearOverrun          = 0x14
)

// diagNames are the sub-function names of §6.8.1, worded as the ICSNPP
// modbus_detailed log words them.
var diagNames = map[uint16]string{
	0x00: "Return Query Data",
	0x01: "Restart Communications Option",
	0x02: "Return Diagnostic Register",
	0x03: "Change ASCII Input Delimiter",
	0x04: "Force Listen Only Mode",
	0x0A: "Clear Counters and Diagnostic Register",
	0x0B: "Return Bus Message Count",
	0x0C: "Return Bus Communication Error Count",
	0x0D: "Return Bus Exception Error Count",
	0x0E: "Return Server Message Count",
	0x0F: "Return Server No Response Count",
	0x10: "Return Server NAK Count",
	0x11: "Return Server Busy Count",
	0x12: "Return Bus Character Overrun Count",
	0x14: "Clear Overrun Counter and Flag",
}

// meiNames names the MEI types of function 43 (§6.19).
var meiNames = map[uint8]string{
	MEICANopen:        "CANopen General Reference",
	MEIDeviceIdentity: "Read Device Identification",
}

// objectKeys maps the basic and regular device identification objects of
// §6.21 (table "Device identification objects") to detail keys.
var objectKeys = [7]string{
	0x00: "vendor",                // VendorName
	0x01: "product_code",          // ProductCode
	0x02: "revision",              // MajorMinorRevision
	0x03: "vendor_url",            // VendorUrl
	0x04: "product_name",          // ProductName
	0x05: "model_name",            // ModelName
	0x06: "user_application_name", // UserApplicationName
}
