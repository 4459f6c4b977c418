package modbus

import (
	"reflect"
	"testing"

	"harborwatch/event"
)

// Requests and responses built from the examples of the Modbus Application
// Protocol Specification V1.1b3 (the section is named on each case), and
// UMAS messages built from the public write-ups cited in umas.go.
var (
	readCoilsReq   = adu(1, 17, ReadCoils, be(0x0013, 0x0013))          // §6.1
	readCoilsResp  = adu(1, 17, ReadCoils, bs(0x03, 0xCD, 0x6B, 0x05))  // §6.1
	readInputsReq  = adu(2, 17, ReadDiscreteInputs, be(0x00C4, 0x0016)) // §6.2
	readInputsResp = adu(2, 17, ReadDiscreteInputs, bs(3, 0xAC, 0xDB, 0x35))
	readHoldReq    = adu(3, 17, ReadHoldingRegisters, be(0x006B, 0x0003)) // §6.3
	readHoldResp   = adu(3, 17, ReadHoldingRegisters, bs(6), be(0x022B, 0x0000, 0x0064))
	readInputReq   = adu(4, 17, ReadInputRegisters, be(0x0008, 0x0001)) // §6.4
	readInputResp  = adu(4, 17, ReadInputRegisters, bs(2), be(0x000A))
	writeCoilReq   = adu(5, 17, WriteSingleCoil, be(0x00AC, 0xFF00))     // §6.5
	writeRegReq    = adu(6, 17, WriteSingleRegister, be(0x0001, 0x0003)) // §6.6
	excStatusReq   = adu(7, 17, ReadExceptionStatus)                     // §6.7
	excStatusResp  = adu(7, 17, ReadExceptionStatus, bs(0x6D))
	diagReq        = adu(8, 17, Diagnostics, be(0x0000, 0xA537)) // §6.8
	listenOnlyReq  = adu(9, 17, Diagnostics, be(DiagForceListenOnly, 0x0000))
	counterReq     = adu(10, 17, GetCommEventCounter) // §6.9
	counterResp    = adu(10, 17, GetCommEventCounter, be(0xFFFF, 0x0108))
	eventLogReq    = adu(11, 17, GetCommEventLog) // §6.10
	eventLogResp   = adu(11, 17, GetCommEventLog, bs(8), be(0x0000, 0x0108, 0x0121), bs(0x20, 0x00))
	writeCoilsReq  = adu(12, 17, WriteMultipleCoils, be(0x0013, 0x000A), bs(2, 0xCD, 0x01)) // §6.11
	writeCoilsResp = adu(12, 17, WriteMultipleCoils, be(0x0013, 0x000A))
	writeRegsReq   = adu(13, 17, WriteMultipleRegisters, be(0x0001, 0x0002), bs(4), be(0x000A, 0x0102)) // §6.12
	writeRegsResp  = adu(13, 17, WriteMultipleRegisters, be(0x0001, 0x0002))
	serverIDReq    = adu(14, 17, ReportServerID) // §6.13
	serverIDResp   = adu(14, 17, ReportServerID, bs(14, 0x42, 0xFF), []byte("PLC-CR07 v3"), bs(0))
	fileReadReq    = adu(15, 17, ReadFileRecord, bs(0x0E, 6), be(4, 1, 2), bs(6), be(3, 9, 2)) // §6.14
	fileReadResp   = adu(15, 17, ReadFileRecord, bs(0x0C, 5, 6), be(0x0DFE, 0x0020), bs(5, 6), be(0x33CD, 0x0040))
	fileWriteReq   = adu(16, 17, WriteFileRecord, bs(0x0D, 6), be(4, 7, 3, 0x06AF, 0x04BE, 0x100D))          // §6.15
	maskWriteReq   = adu(17, 17, MaskWriteRegister, be(0x0004, 0x00F2, 0x0025))                              // §6.16
	rwRegsReq      = adu(18, 17, ReadWriteMultipleRegisters, be(3, 6, 0x0E, 3), bs(6), be(0xFF, 0xFF, 0xFF)) // §6.17
	rwRegsResp     = adu(18, 17, ReadWriteMultipleRegisters, bs(12), be(0xFE, 0x0ACD, 1, 3, 0x0D, 0xFF))
	fifoReq        = adu(19, 17, ReadFIFOQueue, be(0x04DE)) // §6.18
	fifoResp       = adu(19, 17, ReadFIFOQueue, be(6, 2, 0x01B8, 0x1284))
	deviceIDReq    = adu(20, 17, EncapsulatedInterface, bs(MEIDeviceIdentity, 1, 0)) // §6.21
	deviceIDResp   = adu(20, 17, EncapsulatedInterface, bs(MEIDeviceIdentity, 1, 1, 0, 0, 3),
		bs(0, 22), []byte("Company identification"), bs(1, 15), []byte("Product code XX"),
		bs(2, 5), []byte("V2.11"))
	canopenReq   = adu(21, 17, EncapsulatedInterface, bs(MEICANopen, 0x01, 0x02))
	firmwareReq  = adu(22, 17, FirmwareReplacement, bs(0x01, 0x02))
	unknownReq   = adu(23, 17, 0x41, bs(0x01))
	holdExcResp  = adu(3, 17, ReadHoldingRegisters|exceptionBit, bs(0x02)) // §7
	regsExcResp  = adu(13, 17, WriteMultipleRegisters|exceptionBit, bs(0x04))
	deviceExc    = adu(20, 17, EncapsulatedInterface|exceptionBit, bs(0x01))
	oddException = adu(3, 17, ReadHoldingRegisters|exceptionBit, bs(0x0C))
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		steps  []step
		fn     int
		fname  string
		op     string
		status string
		detail map[string]any // keys that must be present with these values
	}{
		{"read coils request", []step{req(readCoilsReq)}, 1, "READ_COILS", event.OpRead, "",
			map[string]any{"unit": 17, "tid": 1, "address": 19, "quantity": 19}},
		{"read coils response", []step{req(readCoilsReq), resp(readCoilsResp)}, 1, "READ_COILS", event.OpRead, "",
			map[string]any{"paired": true, "address": 19, "byte_count": 3, "values": []int{
				1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1}}},
		{"read discrete inputs", []step{req(readInputsReq), resp(readInputsResp)}, 2, "READ_DISCRETE_INPUTS",
			event.OpRead, "", map[string]any{"address": 0xC4, "quantity": 0x16}},
		{"read holding registers", []step{req(readHoldReq), resp(readHoldResp)}, 3, "READ_HOLDING_REGISTERS",
			event.OpRead, "", map[string]any{"values": []int{0x022B, 0, 0x64}, "address": 0x6B}},
		{"read input registers", []step{req(readInputReq), resp(readInputResp)}, 4, "READ_INPUT_REGISTERS",
			event.OpRead, "", map[string]any{"values": []int{10}, "quantity": 1}},
		{"write single coil", []step{req(writeCoilReq)}, 5, "WRITE_SINGLE_COIL", event.OpWrite, "",
			map[string]any{"address": 0xAC, "value": 1}},
		{"write single coil echo", []step{req(writeCoilReq), resp(writeCoilReq)}, 5, "WRITE_SINGLE_COIL",
			event.OpWrite, "", map[string]any{"address": 0xAC, "value": 1, "paired": true}},
		{"write single coil off", []step{req(adu(5, 1, WriteSingleCoil, be(7, 0)))}, 5, "WRITE_SINGLE_COIL",
			event.OpWrite, "", map[string]any{"value": 0}},
		{"write single coil illegal value", []step{req(adu(5, 1, WriteSingleCoil, be(7, 0x1234)))}, 5,
			"WRITE_SINGLE_COIL", event.OpWrite, "", map[string]any{"value_raw": 0x1234}},
		{"write single register", []step{req(writeRegReq)}, 6, "WRITE_SINGLE_REGISTER", event.OpWrite, "",
			map[string]any{"address": 1, "value": 3}},
		{"read exception status", []step{req(excStatusReq), resp(excStatusResp)}, 7, "READ_EXCEPTION_STATUS",
			event.OpDiagnostics, "", map[string]any{"paired": true}},
		{"diagnostics return query data", []step{req(diagReq), resp(diagReq)}, 8, "DIAGNOSTICS",
			event.OpDiagnostics, "", map[string]any{"subfunction": 0, "subfunction_name": "Return Query Data",
				"data": "a537"}},
		{"diagnostics force listen only", []step{req(listenOnlyReq)}, 8, "DIAGNOSTICS", event.OpDiagnostics, "",
			map[string]any{"subfunction": 4, "subfunction_name": "Force Listen Only Mode", "changes_state": true}},
		{"get comm event counter", []step{req(counterReq), resp(counterResp)}, 11, "GET_COMM_EVENT_COUNTER",
			event.OpDiagnostics, "", map[string]any{"status": 0xFFFF, "event_count": 0x0108}},
		{"get comm event log", []step{req(eventLogReq), resp(eventLogResp)}, 12, "GET_COMM_EVENT_LOG",
			event.OpDiagnostics, "", map[string]any{"event_count": 0x0108, "message_count": 0x0121,
				"events": "2000"}},
		{"write multiple coils", []step{req(writeCoilsReq)}, 15, "WRITE_MULTIPLE_COILS", event.OpWrite, "",
			map[string]any{"address": 0x13, "quantity": 10, "values": []int{1, 0, 1, 1, 0, 0, 1, 1, 1, 0}}},
		{"write multiple coils response", []step{req(writeCoilsReq), resp(writeCoilsResp)}, 15,
			"WRITE_MULTIPLE_COILS", event.OpWrite, "", map[string]any{"address": 0x13, "quantity": 10}},
		{"write multiple registers", []step{req(writeRegsReq), resp(writeRegsResp)}, 16,
			"WRITE_MULTIPLE_REGISTERS", event.OpWrite, "", map[string]any{"address": 1, "quantity": 2}},
		{"report server id", []step{req(serverIDReq), resp(serverIDResp)}, 17, "REPORT_SLAVE_ID",
			event.OpDiagnostics, "", map[string]any{"byte_count": 14, "text": "B PLC-CR07 v3"}},
		{"read file record", []step{req(fileReadReq)}, 20, "READ_FILE_RECORD", event.OpRead, "",
			map[string]any{"records": []map[string]any{{"file": 4, "record": 1, "length": 2},
				{"file": 3, "record": 9, "length": 2}}}},
		{"read file record response", []step{req(fileReadReq), resp(fileReadResp)}, 20, "READ_FILE_RECORD",
			event.OpRead, "", map[string]any{"records": []map[string]any{{"values": []int{0x0DFE, 0x20}},
				{"values": []int{0x33CD, 0x40}}}}},
		{"write file record", []step{req(fileWriteReq), resp(fileWriteReq)}, 21, "WRITE_FILE_RECORD",
			event.OpWrite, "", map[string]any{"records": []map[string]any{{"file": 4, "record": 7, "length": 3,
				"values": []int{0x06AF, 0x04BE, 0x100D}}}}},
		{"mask write register", []step{req(maskWriteReq)}, 22, "MASK_WRITE_REGISTER", event.OpWrite, "",
			map[string]any{"address": 4, "and_mask": 0xF2, "or_mask": 0x25}},
		{"read/write multiple registers", []step{req(rwRegsReq)}, 23, "READ_WRITE_MULTIPLE_REGISTERS",
			event.OpWrite, "", map[string]any{"read_address": 3, "read_quantity": 6, "write_address": 0x0E,
				"write_quantity": 3, "write_values": []int{0xFF, 0xFF, 0xFF}}},
		{"read/write multiple registers response", []step{req(rwRegsReq), resp(rwRegsResp)}, 23,
			"READ_WRITE_MULTIPLE_REGISTERS", event.OpWrite, "", map[string]any{"read_address": 3,
				"read_values": []int{0xFE, 0x0ACD, 1, 3, 0x0D, 0xFF}}},
		{"read FIFO queue", []step{req(fifoReq), resp(fifoResp)}, 24, "READ_FIFO_QUEUE", event.OpRead, "",
			map[string]any{"address": 0x04DE, "fifo_count": 2, "values": []int{0x01B8, 0x1284}}},
		{"read device identification", []step{req(deviceIDReq)}, 43, "ENCAP_INTERFACE_TRANSPORT",
			event.OpIdentity, "", map[string]any{"mei_type": 14, "mei_name": "Read Device Identification",
				"read_device_id_code": 1, "object_id": 0}},
		{"read device identification response", []step{req(deviceIDReq), resp(deviceIDResp)}, 43,
			"ENCAP_INTERFACE_TRANSPORT", event.OpIdentity, "", map[string]any{"conformity_level": 1,
				"more_follows": false, "identity": map[string]any{"vendor": "Company identification",
					"product_code": "Product code XX", "revision": "V2.11"}}},
		{"CANopen general reference", []step{req(canopenReq)}, 43, "ENCAP_INTERFACE_TRANSPORT", event.OpOther, "",
			map[string]any{"mei_type": 13, "mei_name": "CANopen General Reference", "data": "0102"}},
		{"firmware replacement", []step{req(firmwareReq)}, 125, "FIRMWARE_REPLACEMENT", event.OpFirmwareUpdate,
			"", map[string]any{"data": "0102"}},
		{"unknown function", []step{req(unknownReq)}, 0x41, "unknown-65", event.OpOther, "", nil},
		{"exception to a read", []step{req(readHoldReq), resp(holdExcResp)}, 3, "READ_HOLDING_REGISTERS",
			event.OpRead, "ILLEGAL_DATA_ADDRESS", map[string]any{"exception_code": 2, "address": 0x6B,
				"quantity": 3}},
		{"exception to a write", []step{req(writeRegsReq), resp(regsExcResp)}, 16, "WRITE_MULTIPLE_REGISTERS",
			event.OpWrite, "SLAVE_DEVICE_FAILURE", map[string]any{"exception_code": 4}},
		{"exception to device identification", []step{req(deviceIDReq), resp(deviceExc)}, 43,
			"ENCAP_INTERFACE_TRANSPORT", event.OpIdentity, "ILLEGAL_FUNCTION", map[string]any{"mei_type": 14}},
		{"unpaired exception with unknown code", []step{resp(oddException)}, 3, "READ_HOLDING_REGISTERS",
			event.OpRead, "unknown-12", map[string]any{"exception_code": 12}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := run(t, tc.steps...)
			if m.fn != tc.fn || m.name != tc.fname || m.op != tc.op || m.status != tc.status || m.malformed {
				t.Errorf("got func %d %s op %s status %q malformed %v, want %d %s %s %q",
					m.fn, m.name, m.op, m.status, m.malformed, tc.fn, tc.fname, tc.op, tc.status)
			}
			if m.request != tc.steps[len(tc.steps)-1].client {
				t.Errorf("Request() = %v", m.request)
			}
			checkDetail(t, m.detail, tc.detail)
		})
	}
}

func checkDetail(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("detail[%q] = %#v, want %#v (detail %v)", k, got[k], v, got)
		}
	}
}

func TestClassifyUMAS(t *testing.T) {
	block := []byte("\x01\x02LD program block")
	for _, tc := range []struct {
		name   string
		steps  []step
		fname  string
		op     string
		status string
		detail map[string]any
	}{
		{"start PLC", []step{req(umasReq(1, 0x9C, UMASStartPLC))}, "UMAS_START_PLC", event.OpPLCStart, "",
			map[string]any{"umas_func": 0x40, "umas_name": "START_PLC", "pairing_key": 0x9C}},
		{"stop PLC", []step{req(umasReq(1, 0x9C, UMASStopPLC, bs(0xFF, 0)))}, "UMAS_STOP_PLC", event.OpPLCStop, "",
			map[string]any{"umas_func": 0x41, "data_len": 2}},
		{"stop PLC accepted", []step{req(umasReq(1, 0x9C, UMASStopPLC)), resp(umasResp(1, 0x9C, UMASResponseOK))},
			"UMAS_STOP_PLC", event.OpPLCStop, "", map[string]any{"umas_status": "ok", "paired": true}},
		{"stop PLC refused", []step{req(umasReq(1, 0x9C, UMASStopPLC)), resp(umasResp(1, 0x9C, UMASResponseError,
			bs(0x01, 0x0B)))}, "UMAS_STOP_PLC", event.OpPLCStop, "UMAS_ERROR",
			map[string]any{"umas_status": "error", "umas_error": "010b"}},
		{"stop PLC exception", []step{req(umasReq(1, 0x9C, UMASStopPLC)), resp(adu(1, 0, UMAS|exceptionBit, bs(1)))},
			"UMAS_STOP_PLC", event.OpPLCStop, "ILLEGAL_FUNCTION", map[string]any{"umas_func": 0x41}},
		{"init PLC", []step{req(umasReq(1, 0, UMASInitPLC))}, "UMAS_INIT_PLC", event.OpPLCStart, "", nil},
		{"initialize upload", []step{req(umasReq(1, 0, UMASInitializeUpload, bs(0, 0x01)))}, "UMAS_INITIALIZE_UPLOAD",
			event.OpProgramDownload, "", nil},
		{"upload block", []step{req(umasReq(1, 0, UMASUploadBlock, umasBlock(7, block)))}, "UMAS_UPLOAD_BLOCK",
			event.OpProgramDownload, "", map[string]any{"block": map[string]any{"number": 7, "length": len(block),
				"sha256": sha256Hex(block)}}},
		{"end strategy upload", []step{req(umasReq(1, 0, UMASEndStrategyUpload))}, "UMAS_END_STRATEGY_UPLOAD",
			event.OpProgramDownload, "", nil},
		{"initialize download", []step{req(umasReq(1, 0, UMASInitializeDownload))}, "UMAS_INITIALIZE_DOWNLOAD",
			event.OpProgramUpload, "", nil},
		{"download block", []step{req(umasReq(1, 0, UMASDownloadBlock, bs(1), le(3)))}, "UMAS_DOWNLOAD_BLOCK",
			event.OpProgramUpload, "", nil},
		{"end strategy download", []step{req(umasReq(1, 0, UMASEndStrategyDownload))},
			"UMAS_END_STRATEGY_DOWNLOAD", event.OpProgramUpload, "", nil},
		{"preload blocks", []step{req(umasReq(1, 0, 0x37))}, "UMAS_PRELOAD_BLOCKS", event.OpProgramDownload, "", nil},
		{"take reservation", []step{req(umasReq(1, 0, UMASTakeReservation, []byte("\x00\x00\x00\x00ENGWS")))},
			"UMAS_TAKE_PLC_RESERVATION", event.OpAuth, "", nil},
		{"release reservation", []step{req(umasReq(1, 0x9C, UMASReleaseReservation))},
			"UMAS_RELEASE_PLC_RESERVATION", event.OpAuth, "", nil},
		{"keep alive", []step{req(umasReq(1, 0x9C, UMASKeepAlive))}, "UMAS_KEEP_ALIVE", event.OpAuth, "", nil},
		{"reservation nonces", []step{req(umasReq(1, 0, UMASReservationNonces))}, "UMAS_RESERVATION_NONCES",
			event.OpAuth, "", nil},
		{"read memory block", []step{req(umasReq(1, 0, UMASReadMemoryBlock, bs(1), le(0x13, 0, 0, 0x100)))},
			"UMAS_READ_MEMORY_BLOCK", event.OpRead, "", nil},
		{"read variables", []step{req(umasReq(1, 0, UMASReadVariables))}, "UMAS_READ_VARIABLES", event.OpRead, "", nil},
		{"read coils registers", []step{req(umasReq(1, 0, UMASReadCoilsRegisters))}, "UMAS_READ_COILS_REGISTERS",
			event.OpRead, "", nil},
		{"write variables", []step{req(umasReq(1, 0x9C, UMASWriteVariables))}, "UMAS_WRITE_VARIABLES",
			event.OpWrite, "", nil},
		{"write coils registers", []step{req(umasReq(1, 0x9C, UMASWriteCoilsRegisters))},
			"UMAS_WRITE_COILS_REGISTERS", event.OpWrite, "", nil},
		{"write memory block", []step{req(umasReq(1, 0x9C, UMASWriteMemoryBlock))}, "UMAS_WRITE_MEMORY_BLOCK",
			event.OpWrite, "", nil},
		{"init comm", []step{req(umasReq(1, 0, UMASInitComm, bs(0)))}, "UMAS_INIT_COMM", event.OpSession, "", nil},
		{"read id", []step{req(umasReq(1, 0, UMASReadID))}, "UMAS_READ_ID", event.OpIdentity, "", nil},
		{"read PLC info", []step{req(umasReq(1, 0, UMASReadPLCInfo))}, "UMAS_READ_PLC_INFO", event.OpDiagnostics, "", nil},
		{"read project info", []step{req(umasReq(1, 0, UMASReadProjectInfo))}, "UMAS_READ_PROJECT_INFO",
			event.OpRead, "", nil},
		{"unknown UMAS function", []step{req(umasReq(1, 0, 0x99))}, "UMAS_unknown-153", event.OpOther, "",
			map[string]any{"umas_func": 0x99, "umas_name": "unknown-153"}},
		{"unpaired UMAS response", []step{resp(umasResp(1, 0, UMASResponseOK))}, "UMAS", event.OpOther, "",
			map[string]any{"umas_status": "ok"}},
		{"signed stop PLC", []step{req(umasSigned(1, 0x9C, UMASStopPLC))}, "UMAS_STOP_PLC", event.OpPLCStop, "",
			map[string]any{"signed": true, "umas_func": 0x41, "pairing_key": 0x9C}},
		{"signed stop PLC refused", []step{req(umasSigned(1, 0x9C, UMASStopPLC)),
			resp(umasSignedResp(1, 0x9C, UMASResponseError, bs(0x11)))}, "UMAS_STOP_PLC", event.OpPLCStop, "UMAS_ERROR",
			map[string]any{"signed": true, "umas_error": "11"}},
		{"signed write variables", []step{req(umasSigned(1, 0x9C, UMASWriteVariables, bs(1, 2, 3)))},
			"UMAS_WRITE_VARIABLES", event.OpWrite, "", map[string]any{"data_len": 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := run(t, tc.steps...)
			if m.fn != UMAS || m.name != tc.fname || m.op != tc.op || m.status != tc.status || m.malformed {
				t.Errorf("got func %d %s op %s status %q malformed %v, want 90 %s %s %q",
					m.fn, m.name, m.op, m.status, m.malformed, tc.fname, tc.op, tc.status)
			}
			checkDetail(t, m.detail, tc.detail)
		})
	}
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		steps  []step
		status string
	}{
		{"read coils with 3 bytes", []step{req(adu(1, 1, ReadCoils, bs(0, 1, 0)))}, "BAD_LENGTH"},
		{"write single register with 6 bytes", []step{req(adu(1, 1, WriteSingleRegister, be(0, 0, 0)))}, "BAD_LENGTH"},
		{"event counter request with data", []step{req(adu(1, 1, GetCommEventCounter, be(0, 0)))}, "BAD_LENGTH"},
		{"diagnostics without sub-function", []step{req(adu(1, 1, Diagnostics, bs(0)))}, "TRUNCATED"},
		{"write registers byte count", []step{req(adu(1, 1, WriteMultipleRegisters, be(0, 2), bs(3), be(1, 2)))},
			"BAD_BYTE_COUNT"},
		{"write registers quantity", []step{req(adu(1, 1, WriteMultipleRegisters, be(0, 3), bs(4), be(1, 2)))},
			"BAD_BYTE_COUNT"},
		{"write coils short", []step{req(adu(1, 1, WriteMultipleCoils, be(0, 3)))}, "TRUNCATED"},
		{"read file record reference type", []step{req(adu(1, 1, ReadFileRecord, bs(7, 5), be(4, 1, 2)))},
			"BAD_REFERENCE_TYPE"},
		{"read file record byte count", []step{req(adu(1, 1, ReadFileRecord, bs(8, 6), be(4, 1, 2)))},
			"BAD_BYTE_COUNT"},
		{"write file record overrun", []step{req(adu(1, 1, WriteFileRecord, bs(9, 6), be(4, 7, 3), be(1)))},
			"BAD_BYTE_COUNT"},
		{"read/write registers byte count", []step{req(adu(1, 1, ReadWriteMultipleRegisters, be(3, 6, 0x0E, 2),
			bs(6), be(1, 2, 3)))}, "BAD_BYTE_COUNT"},
		{"read holding response odd count", []step{resp(adu(1, 1, ReadHoldingRegisters, bs(3, 0, 1, 2)))},
			"BAD_BYTE_COUNT"},
		{"read coils response count", []step{resp(adu(1, 1, ReadCoils, bs(2, 1)))}, "BAD_BYTE_COUNT"},
		{"FIFO count above 31", []step{resp(adu(1, 1, ReadFIFOQueue, be(66, 32), make([]byte, 64)))},
			"BAD_BYTE_COUNT"},
		{"read file record response length", []step{resp(adu(1, 1, ReadFileRecord, bs(4, 4, 6), be(1)))},
			"BAD_BYTE_COUNT"},
		{"device identification objects overrun", []step{resp(adu(1, 1, EncapsulatedInterface,
			bs(MEIDeviceIdentity, 1, 1, 0, 0, 1, 0, 9), []byte("short")))}, "BAD_OBJECT_LIST"},
		{"device identification trailing bytes", []step{resp(adu(1, 1, EncapsulatedInterface,
			bs(MEIDeviceIdentity, 1, 1, 0, 0, 0, 7)))}, "BAD_OBJECT_LIST"},
		{"device identification request trailing byte", []step{req(adu(1, 1, EncapsulatedInterface,
			bs(MEIDeviceIdentity, 3, 1, 0)))}, "BAD_LENGTH"},
		{"exception with two bytes", []step{resp(adu(1, 1, 0x83, bs(2, 0)))}, "BAD_LENGTH"},
		{"exception bit in a request", []step{req(adu(1, 1, 0x81, bs(6)))}, "EXCEPTION_IN_REQUEST"},
		{"UMAS without function", []step{req(adu(1, 1, UMAS, bs(0)))}, "TRUNCATED"},
		{"UMAS upload block without header", []step{req(umasReq(1, 0, UMASUploadBlock, bs(0, 1)))}, "TRUNCATED"},
		{"UMAS signed envelope short", []step{req(umasReq(1, 0, UMASSigned, bs(2, 3, 4)))}, "BAD_SIGNED_ENVELOPE"},
		{"UMAS signed envelope without 0x5A", []step{req(umasReq(1, 0, UMASSigned, make([]byte, 40)))},
			"BAD_SIGNED_ENVELOPE"},
		{"UMAS response status", []step{resp(umasResp(1, 0, 0x00))}, "BAD_UMAS_STATUS"},
		{"UMAS response without status", []step{resp(adu(1, 1, UMAS, bs(0)))}, "TRUNCATED"},
		{"read coils response empty", []step{resp(adu(1, 1, ReadCoils))}, "TRUNCATED"},
		{"read holding response empty", []step{resp(adu(1, 1, ReadHoldingRegisters))}, "TRUNCATED"},
		{"write single coil echo", []step{resp(adu(1, 1, WriteSingleCoil, be(1)))}, "BAD_LENGTH"},
		{"write registers response", []step{resp(adu(1, 1, WriteMultipleRegisters, be(1)))}, "BAD_LENGTH"},
		{"read exception status response", []step{resp(adu(1, 1, ReadExceptionStatus))}, "BAD_LENGTH"},
		{"diagnostics response", []step{resp(adu(1, 1, Diagnostics, bs(0)))}, "TRUNCATED"},
		{"event counter response", []step{resp(adu(1, 1, GetCommEventCounter, be(1)))}, "BAD_LENGTH"},
		{"event log response short", []step{resp(adu(1, 1, GetCommEventLog, bs(2, 0, 0)))}, "TRUNCATED"},
		{"event log response count", []step{resp(adu(1, 1, GetCommEventLog, bs(9), be(0, 0, 0)))}, "BAD_BYTE_COUNT"},
		{"server id response empty", []step{resp(adu(1, 1, ReportServerID))}, "TRUNCATED"},
		{"server id response count", []step{resp(adu(1, 1, ReportServerID, bs(5, 1)))}, "BAD_BYTE_COUNT"},
		{"read file record request empty", []step{req(adu(1, 1, ReadFileRecord))}, "TRUNCATED"},
		{"read file record response empty", []step{resp(adu(1, 1, ReadFileRecord))}, "TRUNCATED"},
		{"read file record response count", []step{resp(adu(1, 1, ReadFileRecord, bs(5, 4, 6), be(1)))},
			"BAD_BYTE_COUNT"},
		{"read file record response reference", []step{resp(adu(1, 1, ReadFileRecord, bs(4, 3, 5), be(1)))},
			"BAD_REFERENCE_TYPE"},
		{"write file record empty", []step{req(adu(1, 1, WriteFileRecord))}, "TRUNCATED"},
		{"write file record count", []step{req(adu(1, 1, WriteFileRecord, bs(9, 6)))}, "BAD_BYTE_COUNT"},
		{"write file record short sub-request", []step{req(adu(1, 1, WriteFileRecord, bs(3, 6, 0, 0)))},
			"BAD_BYTE_COUNT"},
		{"write file record reference", []step{req(adu(1, 1, WriteFileRecord, bs(7, 5), be(4, 7, 0)))},
			"BAD_REFERENCE_TYPE"},
		{"write file record echo", []step{resp(adu(1, 1, WriteFileRecord, bs(9, 6), be(4, 7, 3)))}, "BAD_BYTE_COUNT"},
		{"mask write echo", []step{resp(adu(1, 1, MaskWriteRegister, be(1, 2)))}, "BAD_LENGTH"},
		{"mask write request", []step{req(adu(1, 1, MaskWriteRegister, be(1, 2)))}, "BAD_LENGTH"},
		{"read/write registers short", []step{req(adu(1, 1, ReadWriteMultipleRegisters, be(3, 6, 0x0E)))}, "TRUNCATED"},
		{"FIFO request", []step{req(adu(1, 1, ReadFIFOQueue, be(1, 2)))}, "BAD_LENGTH"},
		{"FIFO response short", []step{resp(adu(1, 1, ReadFIFOQueue, be(2)))}, "TRUNCATED"},
		{"FIFO response count", []step{resp(adu(1, 1, ReadFIFOQueue, be(4, 2, 1)))}, "BAD_BYTE_COUNT"},
		{"encapsulated interface request empty", []step{req(adu(1, 1, EncapsulatedInterface))}, "TRUNCATED"},
		{"encapsulated interface response empty", []step{resp(adu(1, 1, EncapsulatedInterface))}, "TRUNCATED"},
		{"device identification response short", []step{resp(adu(1, 1, EncapsulatedInterface,
			bs(MEIDeviceIdentity, 1, 1)))}, "TRUNCATED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := run(t, tc.steps...)
			if !m.malformed || m.status != tc.status {
				t.Errorf("malformed %v status %q, want true %q", m.malformed, m.status, tc.status)
			}
			if m.detail["malformed"] != true || m.detail["data"] == nil {
				t.Errorf("detail %v lacks malformed and data", m.detail)
			}
		})
	}
}

// TestMalformedKeepsFlow: a malformed PDU does not break the next ones in
// the same buffer.
func TestMalformedKeepsFlow(t *testing.T) {
	var a Analyzer
	out := feed(t, &a, true, cat(adu(1, 1, ReadCoils, bs(0)), readHoldReq, adu(2, 1, Diagnostics), writeRegReq))
	var got []string
	for _, m := range out {
		got = append(got, m.name+"/"+m.status)
	}
	want := []string{"READ_COILS/BAD_LENGTH", "READ_HOLDING_REGISTERS/", "DIAGNOSTICS/TRUNCATED", "WRITE_SINGLE_REGISTER/"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
