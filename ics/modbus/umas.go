package modbus

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"strconv"

	"harborwatch/event"
)

// Schneider Electric UMAS (Unified Messaging Application Services) rides in
// Modbus function 90 (0x5A). Schneider publishes no specification; the
// layout and the function table below follow the public analyses:
//   - Luis Rosa, "The Unity (UMAS) protocol", parts I-IV (2017): message
//     layout, reservation, strategy transfer;
//   - Kaspersky ICS CERT, "The secrets of Schneider Electric's UMAS
//     protocol" (2022): reservation and Application Password (0x6E);
//   - the UMAS Wireshark dissectors (Hutcheson 2024; biero-el-corridor,
//     extended after "From Pass-the-Hash to Code Execution on Schneider
//     Electric M340 PLCs", Black Hat Europe 2024): the extended function
//     table and the signed envelope (0x38).
//
// Request PDU:  0x5A | pairing key (1) | UMAS function (1) | data
// Response PDU: 0x5A | pairing key (1) | status 0xFE ok / 0xFD error | data
// Signed request: 0x5A | key | 0x38 | magic (1) | signature (32) | 0x5A | key | function | data,
// and the response to it carries the same envelope around its status.
//
// Schneider speaks from the engineering station: its "upload" (0x30-0x32)
// copies a program INTO the PLC, which is a program-download in harborwatch's
// vocabulary (towards the device), and its "download" (0x33-0x35) copies the
// program OUT of the PLC, a program-upload. Names keep Schneider's words;
// ops say what happens to the device.
const (
	UMASInitComm            = 0x01
	UMASReadID              = 0x02
	UMASReadProjectInfo     = 0x03
	UMASReadPLCInfo         = 0x04
	UMASReadCardInfo        = 0x06
	UMASRepeat              = 0x0A
	UMASTakeReservation     = 0x10
	UMASReleaseReservation  = 0x11
	UMASKeepAlive           = 0x12
	UMASReadMemoryBlock     = 0x20
	UMASWriteMemoryBlock    = 0x21
	UMASReadVariables       = 0x22
	UMASWriteVariables      = 0x23
	UMASReadCoilsRegisters  = 0x24
	UMASWriteCoilsRegisters = 0x25
	UMASInitializeUpload    = 0x30 // program into the PLC: begin
	UMASUploadBlock         = 0x31 // program into the PLC: one block
	UMASEndStrategyUpload   = 0x32 // program into the PLC: end
	UMASInitializeDownload  = 0x33 // program out of the PLC: begin
	UMASDownloadBlock       = 0x34 // program out of the PLC: one block
	UMASEndStrategyDownload = 0x35 // program out of the PLC: end
	UMASSigned              = 0x38 // signed envelope around another function
	UMASStartPLC            = 0x40
	UMASStopPLC             = 0x41
	UMASInitPLC             = 0x42
	UMASReservationNonces   = 0x6E
	UMASResponseOK          = 0xFE
	UMASResponseError       = 0xFD

	// In a signed PDU's data (after the 0x5A): key, 0x38 (or the status),
	// magic, 32-byte signature, then the inner 0x5A at 35, its key at 36
	// and the inner function (or status) at 37.
	umasEnvelopeIndex = 35
	umasInnerIndex    = 37
	umasSignedMin     = umasInnerIndex + 1
	umasBlockHeader   = 6 // 2 bytes (0x0001), block number LE, length LE
)

type umasFunc struct{ name, op string }

// umasFuncs names and classifies every UMAS function; unnamed ones are
// "UMAS_unknown-N" and op other.
var umasFuncs = func() (t [256]umasFunc) {
	for i := range t {
		t[i] = umasFunc{"UMAS_unknown-" + strconv.Itoa(i), event.OpOther}
	}
	for c, f := range map[int]umasFunc{
		0x01: {"INIT_COMM", event.OpSession},
		0x02: {"READ_ID", event.OpIdentity},
		0x03: {"READ_PROJECT_INFO", event.OpRead},
		0x04: {"READ_PLC_INFO", event.OpDiagnostics},
		0x05: {"READ_LOADER_INFO", event.OpIdentity},
		0x06: {"READ_CARD_INFO", event.OpDiagnostics},
		0x07: {"READ_BLOCK_INFO", event.OpRead},
		0x0A: {"REPEAT", event.OpSession},
		0x10: {"TAKE_PLC_RESERVATION", event.OpAuth},
		0x11: {"RELEASE_PLC_RESERVATION", event.OpAuth},
		0x12: {"KEEP_ALIVE", event.OpAuth}, // renews the reservation
		0x20: {"READ_MEMORY_BLOCK", event.OpRead},
		0x21: {"WRITE_MEMORY_BLOCK", event.OpWrite},
		0x22: {"READ_VARIABLES", event.OpRead},
		0x23: {"WRITE_VARIABLES", event.OpWrite},
		0x24: {"READ_COILS_REGISTERS", event.OpRead},
		0x25: {"WRITE_COILS_REGISTERS", event.OpWrite},
		0x26: {"DATA_DICTIONARY", event.OpRead},
		0x27: {"DATA_DICTIONARY_PRELOAD", event.OpRead},
		0x28: {"READ_PHYSICAL_ADDRESS", event.OpRead},
		0x29: {"WRITE_PHYSICAL_ADDRESS", event.OpWrite},
		0x2A: {"BROWSE_EVENTS", event.OpRead},
		0x30: {"INITIALIZE_UPLOAD", event.OpProgramDownload},
		0x31: {"UPLOAD_BLOCK", event.OpProgramDownload},
		0x32: {"END_STRATEGY_UPLOAD", event.OpProgramDownload},
		0x33: {"INITIALIZE_DOWNLOAD", event.OpProgramUpload},
		0x34: {"DOWNLOAD_BLOCK", event.OpProgramUpload},
		0x35: {"END_STRATEGY_DOWNLOAD", event.OpProgramUpload},
		0x36: {"BACKUP", event.OpOther},
		0x37: {"PRELOAD_BLOCKS", event.OpProgramDownload}, // online change: blocks sent ahead of the swap
		0x38: {"SIGNED", event.OpOther},                   // only when the envelope is unreadable
		0x39: {"READ_ETH_MASTER_DATA", event.OpRead},
		0x40: {"START_PLC", event.OpPLCStart},
		0x41: {"STOP_PLC", event.OpPLCStop},
		0x42: {"INIT_PLC", event.OpPLCStart},    // re-initialises the application, a cold start
		0x43: {"SWAP", event.OpProgramDownload}, // online change: preloaded blocks replace running ones
		0x50: {"MONITOR_PLC", event.OpRead},
		0x51: {"GET_AUTO_MODIF", event.OpRead},
		0x52: {"GET_FORCED_BITS", event.OpRead},
		0x53: {"GET_SELECTED_BLOCKS", event.OpRead},
		0x58: {"CHECK_PLC", event.OpDiagnostics},
		0x60: {"BKPT_SET", event.OpOther},
		0x61: {"BKPT_DEL", event.OpOther},
		0x62: {"STEP_OVER", event.OpOther},
		0x63: {"STEP_IN", event.OpOther},
		0x64: {"STEP_OUT", event.OpOther},
		0x65: {"GET_CALL_STACK", event.OpRead},
		0x66: {"CHECK_DEBUG_ALLOWED", event.OpRead},
		0x6C: {"PROCESS_MSG", event.OpOther},
		0x6D: {"PRIVATE", event.OpOther},
		0x6E: {"RESERVATION_NONCES", event.OpAuth},
		0x70: {"READ_IO_OBJECT", event.OpRead},
		0x71: {"WRITE_IO_OBJECT", event.OpWrite},
		0x72: {"READ_RACK", event.OpRead},
		0x73: {"GET_STATUS_MODULE", event.OpDiagnostics},
		0x74: {"READ_DEVICE_DATA", event.OpRead},
	} {
		t[c] = umasFunc{"UMAS_" + f.name, f.op}
	}
	return t
}()

// Transfer sums up one program transfer (UMAS strategy upload or download)
// on the message that ends it.
type Transfer struct {
	Done     bool     // this message ends a transfer
	ToDevice bool     // program-download (into the PLC); else program-upload
	Partial  bool     // the begin was not seen (capture started inside the transfer)
	Blocks   int      // blocks hashed
	Bytes    int      // block bytes hashed
	SHA256   [32]byte // of the blocks' contents in order
}

// transfer is the running state of one program transfer in a flow. The hash
// is allocated once per Analyzer and reset, never reallocated.
type transfer struct {
	active, toDevice, partial bool
	blocks, bytes             int
	h                         hash.Hash
}

func (t *transfer) start(toDevice bool) {
	if t.h == nil {
		t.h = sha256.New()
	}
	t.h.Reset()
	t.active, t.toDevice, t.partial = true, toDevice, false
	t.blocks, t.bytes = 0, 0
}

func (t *transfer) add(toDevice bool, b []byte) {
	if !t.active || t.toDevice != toDevice {
		t.start(toDevice)
		t.partial = true
	}
	t.h.Write(b)
	t.blocks++
	t.bytes += len(b)
}

// finish ends the transfer into x; a finish without a transfer ends an
// empty, partial one.
func (t *transfer) finish(toDevice bool, x *Transfer) {
	if !t.active || t.toDevice != toDevice {
		t.start(toDevice)
		t.partial = true
	}
	*x = Transfer{Done: true, ToDevice: toDevice, Partial: t.partial, Blocks: t.blocks, Bytes: t.bytes}
	t.h.Sum(x.SHA256[:0])
	t.active = false
}

// umasRequest decodes the UMAS part of a request (d follows the function
// code) and drives the transfer state. It returns the problem, if any.
func (a *Analyzer) umasRequest(m *Message, d []byte) string {
	if len(d) < 2 {
		return problemTruncated
	}
	m.HasUMAS, m.Pairing, m.UMASFunc = true, d[0], d[1]
	body := d[2:]
	if d[1] == UMASSigned {
		if len(d) < umasSignedMin || d[umasEnvelopeIndex] != UMAS {
			return problemSignedEnvelope
		}
		m.Signed, m.UMASFunc = true, d[umasInnerIndex]
		body = d[umasInnerIndex+1:]
	}
	m.umasBody = body
	switch m.UMASFunc {
	case UMASInitializeUpload:
		a.xfer.start(true)
	case UMASUploadBlock:
		if len(body) < umasBlockHeader {
			return problemTruncated
		}
		m.BlockNumber = int(binary.LittleEndian.Uint16(body[2:]))
		blk := body[umasBlockHeader:]
		if n := int(binary.LittleEndian.Uint16(body[4:])); n <= len(blk) {
			blk = blk[:n]
		}
		m.Block = blk
		a.xfer.add(true, blk)
	case UMASEndStrategyUpload:
		a.xfer.finish(true, &m.Transfer)
	case UMASInitializeDownload:
		a.xfer.start(false)
	case UMASEndStrategyDownload:
		a.xfer.finish(false, &m.Transfer)
	}
	return ""
}

// umasResponse decodes the UMAS part of a response; p is its request when
// paired.
func (a *Analyzer) umasResponse(m *Message, d []byte, p *pending) string {
	if len(d) < 2 {
		return problemTruncated
	}
	m.HasUMAS, m.Pairing, m.UMASStatus = true, d[0], d[1]
	body := d[2:]
	if p != nil {
		m.UMASFunc, m.Signed = uint8(p.sub), p.signed
		if p.signed && len(d) >= umasSignedMin && d[umasEnvelopeIndex] == UMAS {
			m.UMASStatus = d[umasInnerIndex]
			body = d[umasInnerIndex+1:]
		}
	} else {
		m.HasUMAS = false // the function is not known without its request
	}
	m.umasBody = body
	if m.UMASStatus != UMASResponseOK && m.UMASStatus != UMASResponseError {
		return problemUMASStatus
	}
	if p != nil && m.UMASFunc == UMASDownloadBlock && m.UMASStatus == UMASResponseOK {
		// The layout of the returned block is not public: the whole data
		// after the status is the block's evidence.
		m.Block = body
		a.xfer.add(false, body)
	}
	return ""
}
