package s7

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"harborwatch/event"
)

// Kind is the layer a Message describes.
type Kind uint8

// Kinds of Message.
const (
	KindCOTP   Kind = iota + 1 // COTP connection management TPDU (CR, CC, DR, DC, ER, …)
	KindS7                     // S7comm PDU (protocol identifier 0x32)
	KindS7Plus                 // S7comm-plus PDU (protocol identifier 0x72)
)

// String returns the name of the kind.
func (k Kind) String() string {
	switch k {
	case KindCOTP:
		return "cotp"
	case KindS7:
		return "s7comm"
	case KindS7Plus:
		return "s7comm-plus"
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Operations, as the event package names them.
const (
	opRead            = event.OpRead
	opWrite           = event.OpWrite
	opProgramDownload = event.OpProgramDownload
	opProgramUpload   = event.OpProgramUpload
	opProgramDelete   = event.OpProgramDelete
	opPLCStop         = event.OpPLCStop
	opPLCStart        = event.OpPLCStart
	opConfigChange    = event.OpConfigChange
	opIdentity        = event.OpIdentity
	opDiagnostics     = event.OpDiagnostics
	opAuth            = event.OpAuth
	opSession         = event.OpSession
	opOther           = event.OpOther
)

// maxItems is how many variable addresses of a read or write job a Message
// keeps for its Detail; Items counts them all.
const maxItems = 16

// Message is one decoded PDU: an S7comm or S7comm-plus PDU, or a COTP
// connection-management TPDU. It is owned by the Analyzer and valid only
// during the emit call; byte slices inside alias the stream buffer.
type Message struct {
	Kind      Kind
	Malformed bool // framed correctly, content bad; Status names the problem

	// COTP (KindCOTP).
	TPDU     uint8  // TPDU code: the high nibble of the code octet (0x0E CR, 0x0D CC, 0x08 DR, …)
	DstRef   uint16 // destination reference
	SrcRef   uint16 // source reference
	Class    uint8  // protocol class of CR/CC
	TPDUSize int    // maximum TPDU size negotiated by CR/CC, 0 when absent
	Reason   uint8  // DR reason or ER reject cause

	// S7comm (KindS7).
	ProtocolID   uint8  // first payload octet, set when it is neither 0x32 nor 0x72
	ROSCTR       uint8  // 1 job, 2 ack, 3 ack-data, 7 userdata
	PDURef       uint16 // PDU reference, pairing a response with its request
	Function     uint8  // parameter function code; for an ack without parameter, the request's
	Group        uint8  // userdata function group
	Subfunction  uint8  // userdata subfunction
	UserdataType uint8  // userdata type: 0 push, 4 request, 8 response (3, 7, 11 for NC)
	Sequence     uint8  // userdata sequence number
	DataUnitRef  uint8  // userdata data unit reference of a fragmented response
	MoreData     bool   // userdata: not the last data unit; up/download: more data follows
	ErrorClass   uint8  // header error class of ack and ack-data
	ErrorCode    uint8  // header error code of ack and ack-data
	ParamError   uint16 // userdata parameter error code
	ReturnCode   uint8  // userdata data return code (0xff success)
	Items        int    // variables of a read or write job (or its response)
	ItemErrors   int    // response items whose return code is not success

	// S7comm-plus (KindS7Plus).
	Version      uint8  // protocol version: 1, 2, 3, 0xfe (extended keep-alive), 0xff (keep-alive)
	Opcode       uint8  // 0x31 request, 0x32 response, 0x33 notification, 0x02 response (V13 HMI)
	PlusFunction uint16 // function code of requests and responses
	PlusSequence uint16 // sequence number of requests and responses
	Session      uint32 // session id of requests
	ReturnValue  uint64 // return value of responses (64-bit VLQ)
	DigestLen    uint8  // length of the V3 integrity digest, 0 when absent
	Fragmented   bool   // first fragment of a PDU split over several TPKT packets

	fromClient bool
	request    bool
	hasFunc    bool
	paired     bool // Function taken from the request: the ack has no parameter
	op         string
	name       string
	status     string

	// COTP detail.
	callingTSAP []byte
	calledTSAP  []byte
	hasReason   bool

	// S7comm detail.
	items       [maxItems]item
	writeBytes  int
	hasSetup    bool
	amqCalling  uint16
	amqCalled   uint16
	pduLength   uint16
	file        []byte // up/download or PI file name
	uploadID    uint32
	hasUploadID bool
	blockLen    int // announced block length (start upload ack-data, request download)
	mc7Len      int
	chunk       int       // block octets carried by this upload/download PDU
	xfer        *transfer // finished transfer, on end messages
	pi          int8      // index into piServices, -1 none
	piService   []byte
	piArg       []byte
	piBlocks    []byte // count × 8 octets: type (2), number (5), file system (1)
	hasSZL      bool
	szlID       uint16
	szlIndex    uint16
	szlList     []byte // a complete SZL response list: header and records
	clock       []byte // 10-octet BCD date and time
	blockSpec   []byte // 8-octet block spec of "Get block info" / "List blocks of type"
	blockList   []byte // "List blocks" response entries
	password    bool

	// S7comm-plus detail.
	subscription uint32
	hasSubscr    bool
	errCode      int16
}

// item is one variable address of a read or write job (S7ANY syntax).
type item struct {
	syntax uint8
	ts     uint8  // transport size
	count  uint16 // number of elements
	db     uint16
	area   uint8
	addr   uint32 // bit address
}

// Proto returns the event protocol name: "s7comm" (also for COTP TPDUs) or
// "s7comm-plus".
func (m *Message) Proto() string {
	if m.Kind == KindS7Plus {
		return "s7comm-plus"
	}
	return "s7comm"
}

// FromClient reports whether the flow's client sent the PDU.
func (m *Message) FromClient() bool { return m.fromClient }

// Request reports whether the PDU is a request: a job, a userdata request,
// an S7comm-plus request, a COTP CR, DR or ED. For downloads the PLC sends
// the "Download block" and "Download ended" jobs, so those requests come
// from the server.
func (m *Message) Request() bool { return m.request }

// Op returns the operation, one of the event.Op* constants.
func (m *Message) Op() string {
	if m.op == "" {
		return opOther
	}
	return m.op
}

// Func returns the protocol's own numeric code: the COTP TPDU code, the
// S7comm parameter function code (for userdata the subfunction), or the
// S7comm-plus function code (0 for notifications and keep-alives).
func (m *Message) Func() int {
	switch m.Kind {
	case KindCOTP:
		return int(m.TPDU)
	case KindS7Plus:
		return int(m.PlusFunction)
	}
	if m.ROSCTR == rosctrUserdata {
		return int(m.Subfunction)
	}
	return int(m.Function)
}

// Name returns the protocol's own name of the PDU (a static string).
func (m *Message) Name() string {
	if m.name == "" {
		return "Unknown"
	}
	return m.name
}

// Status returns "" when the PDU reports success or has no status, else the
// name of the error, exception or malformation (a static string).
func (m *Message) Status() string { return m.status }

// Detail adds the event detail keys: detail.rosctr and, for userdata,
// detail.group; and what helps an analyst: PDU reference, variable
// addresses, block names, file names, PI service and arguments, SZL ids,
// module identity, transferred block type, number, length and SHA-256,
// COTP TSAPs, S7comm-plus version, opcode and session. It allocates.
func (m *Message) Detail(d map[string]any) {
	if m.Malformed {
		d["malformed"] = true
	}
	switch m.Kind {
	case KindCOTP:
		m.detailCOTP(d)
	case KindS7:
		m.detailS7(d)
	case KindS7Plus:
		m.detailPlus(d)
	}
}

func (m *Message) detailCOTP(d map[string]any) {
	d["cotp"] = cotpAbbrev(m.TPDU)
	d["layer"] = "cotp"
	switch m.TPDU {
	case cotpCR, cotpCC, cotpDR, cotpDC:
		d["dst_ref"] = int(m.DstRef)
		d["src_ref"] = int(m.SrcRef)
	case cotpER:
		d["dst_ref"] = int(m.DstRef)
	}
	if m.TPDU == cotpCR || m.TPDU == cotpCC {
		d["class"] = int(m.Class)
		if m.TPDUSize > 0 {
			d["tpdu_size"] = m.TPDUSize
		}
		if m.callingTSAP != nil {
			d["src_tsap"] = hex.EncodeToString(m.callingTSAP)
		}
		if m.calledTSAP != nil {
			d["dst_tsap"] = hex.EncodeToString(m.calledTSAP)
			// An S7 TSAP is connection type, then rack (3 bits) and slot (5 bits).
			if len(m.calledTSAP) == 2 {
				d["connection_type"] = tsapConnection(m.calledTSAP[0])
				d["rack"] = int(m.calledTSAP[1] >> 5)
				d["slot"] = int(m.calledTSAP[1] & 0x1f)
			}
		}
	}
	if m.hasReason {
		if m.TPDU == cotpDR {
			d["reason"] = drReasonName(m.Reason)
		} else {
			d["reject_cause"] = erCauseName(m.Reason)
		}
		d["reason_code"] = int(m.Reason)
	}
}

func (m *Message) detailS7(d map[string]any) {
	if m.ProtocolID != 0 {
		d["protocol_id"] = hex2(uint64(m.ProtocolID), 2)
		return
	}
	if m.ROSCTR == 0 {
		return
	}
	d["rosctr"] = int(m.ROSCTR)
	d["pdu_ref"] = int(m.PDURef)
	if m.ROSCTR == rosctrAck || m.ROSCTR == rosctrAckData {
		if m.ErrorClass != 0 || m.ErrorCode != 0 {
			d["error_class"] = hex2(uint64(m.ErrorClass), 2)
			d["error_code"] = hex2(uint64(m.ErrorCode), 2)
		}
		if !m.hasFunc {
			d["func_unknown"] = true
		}
		if m.paired {
			d["func_from_request"] = true
		}
	}
	if m.ROSCTR == rosctrUserdata {
		d["group"] = int(m.Group)
		d["userdata_type"] = userdataTypeName(m.UserdataType)
		d["sequence"] = int(m.Sequence)
		if m.MoreData || m.DataUnitRef != 0 {
			d["data_unit_ref"] = int(m.DataUnitRef)
			d["last_data_unit"] = !m.MoreData
		}
		if m.ParamError != 0 {
			d["param_error"] = hex2(uint64(m.ParamError), 4)
		}
		if !m.request && m.ReturnCode != 0 && m.ReturnCode != retSuccess {
			d["return_code"] = hex2(uint64(m.ReturnCode), 2)
		}
		m.detailUserdata(d)
		return
	}
	if m.hasSetup {
		d["pdu_length"] = int(m.pduLength)
		d["max_amq_calling"] = int(m.amqCalling)
		d["max_amq_called"] = int(m.amqCalled)
	}
	if m.Function == fnReadVar || m.Function == fnWriteVar {
		d["items"] = m.Items
		if n := min(m.Items, maxItems); n > 0 && m.items[0].syntax != 0 {
			addrs := make([]string, 0, n)
			for _, it := range m.items[:n] {
				addrs = append(addrs, it.String())
			}
			d["addresses"] = addrs
		}
		if m.writeBytes > 0 {
			d["bytes"] = m.writeBytes
		}
		if m.ItemErrors > 0 {
			d["item_errors"] = m.ItemErrors
		}
	}
	if m.file != nil {
		fileDetail(d, m.file, "block_name")
		if bt, num, fs, ok := plcFilename(m.file); ok {
			d["block_type"] = bt
			d["block_number"] = num
			d["filesystem"] = filesystemName(fs)
		}
	}
	if m.hasUploadID {
		d["upload_id"] = int(m.uploadID)
	}
	if m.blockLen > 0 {
		d["block_length"] = m.blockLen
	}
	if m.mc7Len > 0 {
		d["mc7_length"] = m.mc7Len
	}
	if m.chunk > 0 {
		d["chunk_length"] = m.chunk
	}
	if m.Function >= fnRequestDownload && m.Function <= fnEndUpload && m.MoreData {
		d["more_data"] = true
	}
	if m.xfer != nil {
		d["block"] = m.xfer.detail()
	}
	if m.piService != nil {
		d["pi_service"] = printable(m.piService)
		if m.pi >= 0 {
			d["pi_description"] = piServices[m.pi].descr
		}
		if len(m.piArg) > 0 {
			d["pi_argument"] = printable(m.piArg)
		}
		if m.piBlocks != nil {
			var blocks []string
			for b := m.piBlocks; len(b) >= 8; b = b[8:] {
				blocks = append(blocks, blockSpecString(b[:8]))
			}
			d["blocks"] = blocks
		}
	}
}

// fileDetail names the file of an up/download or PI job: a PLC block file
// ("_0C00012P") by its block under nameKey ("FC12") with the file name as
// sent under block_raw; any other file by its name under filename.
func fileDetail(d map[string]any, f []byte, nameKey string) {
	if name, ok := blockName(f); ok {
		d[nameKey] = name
		d["block_raw"] = printable(f)
		return
	}
	d["filename"] = printable(f)
}

func (m *Message) detailUserdata(d map[string]any) {
	if m.Group == groupModeTransition {
		d["mode"] = modeName(m.Subfunction)
	}
	if m.hasSZL {
		d["szl_id"] = hex2(uint64(m.szlID), 4)
		d["szl_index"] = hex2(uint64(m.szlIndex), 4)
		d["szl_name"] = szlName(m.szlID)
	}
	if m.szlList != nil {
		if len(m.szlList) >= 8 {
			d["szl_record_length"] = int(binary.BigEndian.Uint16(m.szlList[4:]))
			d["szl_record_count"] = int(binary.BigEndian.Uint16(m.szlList[6:]))
		}
		if id := identity(m.szlList); len(id) > 0 {
			d["identity"] = id
		}
	}
	if m.clock != nil {
		if s, ok := bcdTime(m.clock); ok {
			d["clock"] = s
		}
	}
	if m.blockSpec != nil {
		if len(m.blockSpec) == 8 {
			d["block"] = blockSpecString(m.blockSpec)
			d["block_type"] = blockTypeName(m.blockSpec[1])
			if n, ok := atoi(m.blockSpec[2:7]); ok {
				d["block_number"] = n
			}
		} else if len(m.blockSpec) == 2 {
			d["block_type"] = blockTypeName(m.blockSpec[1])
		}
	}
	if m.blockList != nil {
		counts := map[string]int{}
		for b := m.blockList; len(b) >= 4; b = b[4:] {
			counts[blockTypeName(b[1])] += int(binary.BigEndian.Uint16(b[2:]))
		}
		d["block_counts"] = counts
	}
	if m.password {
		d["password"] = "present (not shown)"
	}
}

func (m *Message) detailPlus(d map[string]any) {
	d["version"] = int(m.Version)
	d["version_name"] = plusVersionName(m.Version)
	if m.Opcode != 0 {
		d["opcode"] = hex2(uint64(m.Opcode), 2)
		d["opcode_name"] = plusOpcodeName(m.Opcode)
	}
	switch m.Opcode {
	case plusRequest:
		d["sequence"] = int(m.PlusSequence)
		d["session_id"] = hex2(uint64(m.Session), 8)
	case plusResponse, plusResponse2:
		d["sequence"] = int(m.PlusSequence)
		d["return_value"] = hex2(m.ReturnValue, 0)
		if m.errCode != 0 {
			d["error_code"] = int(m.errCode)
		}
	case plusNotification:
		if m.hasSubscr {
			d["subscription_id"] = hex2(uint64(m.subscription), 8)
		}
	}
	if m.Fragmented {
		d["fragmented"] = true
	}
	switch {
	case m.DigestLen > 0:
		d["integrity"] = "integrity-protected: payload not inspected"
	case m.Version == 1 || m.Version == 2:
		d["integrity"] = "payload not inspected"
	}
}

// String formats the address as S7 notation: "DB1.DBX0.0 BYTE 4",
// "M16.0 REAL 1", "C 3 COUNTER 1".
func (it item) String() string {
	if it.syntax != syntaxS7Any {
		return "syntax " + hex2(uint64(it.syntax), 2)
	}
	var b strings.Builder
	switch it.area {
	case areaDB:
		b.WriteString("DB")
		b.WriteString(strconv.Itoa(int(it.db)))
		b.WriteString(".DBX")
	case areaDI:
		b.WriteString("DI")
		b.WriteString(strconv.Itoa(int(it.db)))
		b.WriteString(".DIX")
	case areaCounter, areaTimer, areaIECCounter, areaIECTimer:
		b.WriteString(areaShort(it.area))
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(int(it.addr)))
		b.WriteString(" ")
		b.WriteString(transportSizeName(it.ts))
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(int(it.count)))
		return b.String()
	default:
		b.WriteString(areaShort(it.area))
	}
	b.WriteString(strconv.Itoa(int(it.addr >> 3)))
	b.WriteString(".")
	b.WriteString(strconv.Itoa(int(it.addr & 7)))
	b.WriteString(" ")
	b.WriteString(transportSizeName(it.ts))
	b.WriteString(" ")
	b.WriteString(strconv.Itoa(int(it.count)))
	return b.String()
}

// hex2 formats v as 0x-prefixed lower-case hex with at least width digits.
func hex2(v uint64, width int) string {
	s := strconv.FormatUint(v, 16)
	for len(s) < width {
		s = "0" + s
	}
	return "0x" + s
}

// printable returns b as a string with bytes outside printable ASCII
// replaced by '.', and trailing NULs and spaces removed.
func printable(b []byte) string {
	end := len(b)
	for end > 0 && (b[end-1] == 0 || b[end-1] == ' ') {
		end--
	}
	out := make([]byte, end)
	for i, c := range b[:end] {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}

// text returns an SZL text field: up to the first NUL, spaces trimmed.
func text(b []byte) string {
	if i := indexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(printable(b))
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// atoi parses unsigned ASCII decimal digits.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// sumHex formats a SHA-256 digest.
func sumHex(s *[sha256.Size]byte) string { return hex.EncodeToString(s[:]) }
