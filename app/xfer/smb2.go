package xfer

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Errors of ParseSMB2.
var (
	ErrSMB2Truncated = errors.New("xfer: smb2 message continues past the payload")
	ErrSMB2Length    = errors.New("xfer: smb2 field outside its message")
	ErrNetBIOS       = errors.New("xfer: bad netbios session frame")
	ErrNoMessage     = errors.New("xfer: netbios frames without smb message")
	ErrSMB1          = errors.New("xfer: smb1 message")
	ErrSMB2Transform = errors.New("xfer: smb2 encrypted or compressed message")
	ErrNotSMB        = errors.New("xfer: not an smb message")
	ErrSMB2Header    = errors.New("xfer: bad smb2 header")
	ErrSMB2Next      = errors.New("xfer: bad smb2 next command offset")
	ErrSMB2Structure = errors.New("xfer: bad smb2 structure size")
)

// SMB2Command is the Command field of the SMB2 header ([MS-SMB2] §2.2.1.2).
type SMB2Command uint16

// SMB2 commands.
const (
	SMB2Negotiate      SMB2Command = 0x0000
	SMB2SessionSetup   SMB2Command = 0x0001
	SMB2Logoff         SMB2Command = 0x0002
	SMB2TreeConnect    SMB2Command = 0x0003
	SMB2TreeDisconnect SMB2Command = 0x0004
	SMB2Create         SMB2Command = 0x0005
	SMB2Close          SMB2Command = 0x0006
	SMB2Flush          SMB2Command = 0x0007
	SMB2Read           SMB2Command = 0x0008
	SMB2Write          SMB2Command = 0x0009
	SMB2Lock           SMB2Command = 0x000a
	SMB2IOCtl          SMB2Command = 0x000b
	SMB2Cancel         SMB2Command = 0x000c
	SMB2Echo           SMB2Command = 0x000d
	SMB2QueryDirectory SMB2Command = 0x000e
	SMB2ChangeNotify   SMB2Command = 0x000f
	SMB2QueryInfo      SMB2Command = 0x0010
	SMB2SetInfo        SMB2Command = 0x0011
	SMB2OplockBreak    SMB2Command = 0x0012
	SMB2ServerToClient SMB2Command = 0x0013 // SMB2_SERVER_TO_CLIENT_NOTIFICATION
	numSMB2Commands                = 0x0014
)

var smb2Names = [numSMB2Commands]string{
	"NEGOTIATE", "SESSION_SETUP", "LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT",
	"CREATE", "CLOSE", "FLUSH", "READ", "WRITE", "LOCK", "IOCTL", "CANCEL",
	"ECHO", "QUERY_DIRECTORY", "CHANGE_NOTIFY", "QUERY_INFO", "SET_INFO",
	"OPLOCK_BREAK", "SERVER_TO_CLIENT_NOTIFICATION",
}

// String returns the command's name in [MS-SMB2] ("CREATE", …), or
// "command(0xNNNN)".
func (c SMB2Command) String() string {
	if c < numSMB2Commands {
		return smb2Names[c]
	}
	return "command(0x" + strconv.FormatUint(uint64(c), 16) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (c SMB2Command) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// SMB2 header flags ([MS-SMB2] §2.2.1.2).
const (
	SMB2FlagResponse        uint32 = 0x00000001 // SMB2_FLAGS_SERVER_TO_REDIR
	SMB2FlagAsync           uint32 = 0x00000002 // SMB2_FLAGS_ASYNC_COMMAND
	SMB2FlagRelated         uint32 = 0x00000004 // SMB2_FLAGS_RELATED_OPERATIONS
	SMB2FlagSigned          uint32 = 0x00000008 // SMB2_FLAGS_SIGNED
	SMB2FlagDFSOperations   uint32 = 0x10000000
	SMB2FlagReplayOperation uint32 = 0x20000000
)

// Access mask bits ([MS-SMB2] §2.2.13.1.1) that let a CREATE write a file's
// data.
const (
	FileWriteData  uint32 = 0x00000002
	FileAppendData uint32 = 0x00000004
	GenericAll     uint32 = 0x10000000
	GenericWrite   uint32 = 0x40000000

	writeAccess = FileWriteData | FileAppendData | GenericAll | GenericWrite
)

// CreateDisposition values ([MS-SMB2] §2.2.13).
const (
	FileSupersede   uint32 = 0
	FileOpen        uint32 = 1
	FileCreate      uint32 = 2
	FileOpenIf      uint32 = 3
	FileOverwrite   uint32 = 4
	FileOverwriteIf uint32 = 5
)

// smb2NameBuf bounds a decoded share path or file name: 1024 bytes of UTF-8
// hold any name of up to 341 UTF-16 units (and any of 1024 ASCII ones),
// more than MAX_PATH; longer names are cut and flagged.
const smb2NameBuf = 1024

// SMB2Message is one SMB2 message. It is owned by the caller and reused:
// ParseSMB2 overwrites every field. Path and Name alias a buffer inside the
// SMB2Message.
type SMB2Message struct {
	Command  SMB2Command
	Response bool   // SMB2_FLAGS_SERVER_TO_REDIR: sent by the server
	Flags    uint32 // header flags (SMB2FlagSigned, …)
	// Status is the NTSTATUS of a response (0 = STATUS_SUCCESS); zero in a
	// request, where the field is ChannelSequence/Reserved.
	Status    uint32
	MessageID uint64
	TreeID    uint32 // zero when the async header (SMB2FlagAsync) is used
	AsyncID   uint64 // async header only
	SessionID uint64

	// Path is the share path of a TREE_CONNECT request ("\\server\share").
	Path []byte
	// Name is the file name of a CREATE request, relative to the share
	// (empty for the share's root).
	Name []byte
	// Cut reports that Path or Name did not fit the internal buffer and
	// was cut short.
	Cut bool

	// CREATE request.
	DesiredAccess     uint32
	CreateDisposition uint32
	// Write is true for a CREATE request that asks to write or append data
	// (FILE_WRITE_DATA, FILE_APPEND_DATA, GENERIC_WRITE, GENERIC_ALL) or
	// whose disposition may create, supersede or overwrite a file
	// (FILE_SUPERSEDE, FILE_CREATE, FILE_OPEN_IF, FILE_OVERWRITE,
	// FILE_OVERWRITE_IF), and for every WRITE request. MAXIMUM_ALLOWED
	// alone does not count. Responses never set it, so that one write
	// yields one event.
	Write bool

	// Dialect is, in a NEGOTIATE request, the highest dialect offered
	// (0x0202, 0x0210, 0x0300, 0x0302, 0x0311) and, in a successful
	// NEGOTIATE response, the dialect chosen.
	Dialect uint16
	// FileID is the file handle of a successful CREATE response, of a
	// READ, WRITE or CLOSE request and of an IOCTL request or response.
	FileID [16]byte
	// Length is the byte count of a READ or WRITE request, or the data
	// length of a READ response.
	Length uint32
	// Data is what a WRITE request writes or a READ response returns, or
	// the input of an IOCTL request (§2.2.31, CtlCode) or the output of its
	// response (§2.2.32): at most Length (InputCount, OutputCount) bytes,
	// fewer when the message runs past the payload (Partial). It aliases
	// the parsed payload. On a named pipe it carries DCE-RPC.
	Data    []byte
	CtlCode uint32

	// Partial reports that the message runs past the end of the payload
	// (its NetBIOS frame is longer than what was passed): the fields that
	// were present are set, and rest is nil.
	Partial bool

	buf [smb2NameBuf]byte
	// A compound chain's state: the rest returned last started at chainAt,
	// and chain bytes from there end its NetBIOS frame.
	chainAt *byte
	chain   int
}

const (
	smb2HeaderLen = 64
	nbssHeaderLen = 4
)

// ParseSMB2 parses one SMB2 message and returns the bytes after it.
//
// b is either a TCP payload on port 445 or 139 — NetBIOS session service
// frames (RFC 1002 §4.3.1; on 445 the direct-TCP variant of [MS-SMB2] §2.1:
// type 0x00 and a 24-bit length) — or the rest returned by the previous
// call, which may start directly with the next SMB2 header of a compounded
// chain ([MS-SMB2] §3.2.4.1.4: NextCommand). Pass the same m to that next
// call: it remembers where the NetBIOS frame of the chain ends (for exactly
// the rest slice it returned), so that the last message of a chain is
// delimited correctly; a message starting "\xfeSMB" that is not such a rest
// is taken to end at len(b) or at its own NextCommand. Session request,
// positive/negative response, retarget and keep-alive frames (0x81–0x85)
// before a message are skipped; if nothing else is there, ErrNoMessage.
//
// The header ([MS-SMB2] §2.2.1) is always decoded. The bodies decoded are
// NEGOTIATE (§2.2.3, §2.2.4: dialects), TREE_CONNECT request (§2.2.9: share
// path), CREATE request (§2.2.13: name, access, disposition) and response
// (§2.2.14: FileId), READ and WRITE requests (§2.2.19, §2.2.21: FileId,
// length) and CLOSE request (§2.2.15: FileId); error responses (a nonzero
// Status) carry no body fields. Path and Name offsets are from the start of
// the SMB2 header and must lie inside this message.
//
// rest is what follows the message: the next message of the compound
// chain, or the next NetBIOS frame. When an error leaves the framing known
// (a bad message inside a complete frame), rest still points after the
// frame or to the next chained message, so the caller can count the error
// and go on; when the framing is lost or nothing is left (ErrNetBIOS,
// ErrSMB2Truncated, ErrNoMessage) rest is nil. SMB1 (ErrSMB1) and encrypted or compressed SMB3 messages
// (ErrSMB2Transform) are reported, not parsed.
func ParseSMB2(b []byte, m *SMB2Message) (rest []byte, err error) {
	chainAt, chain := m.chainAt, m.chain
	m.reset()

	// Framing: [start, frameEnd) is the NetBIOS frame or chain remainder
	// holding this message; frameEnd may lie past len(b).
	var start, frameEnd int
	if len(b) >= 4 && b[0] == 0xfe && b[1] == 'S' && b[2] == 'M' && b[3] == 'B' {
		frameEnd = len(b)
		if chain > 0 && &b[0] == chainAt {
			frameEnd = chain // the next message of the chain returned last
		}
	} else {
		for {
			if len(b) < nbssHeaderLen {
				if len(b) == 0 {
					return nil, ErrNoMessage
				}
				return nil, ErrSMB2Truncated
			}
			n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
			if b[0] == 0x00 { // SESSION MESSAGE
				start, frameEnd = nbssHeaderLen, nbssHeaderLen+n
				break
			}
			if b[0] < 0x81 || b[0] > 0x85 {
				return nil, ErrNetBIOS
			}
			if n > len(b)-nbssHeaderLen {
				return nil, ErrNoMessage
			}
			b = b[nbssHeaderLen+n:]
		}
	}
	var after []byte // bytes after the frame, when it is complete
	if frameEnd <= len(b) {
		after = b[frameEnd:]
	}
	msg := b[start:min(frameEnd, len(b))]
	m.Partial = frameEnd > len(b)

	if len(msg) < smb2HeaderLen {
		if len(msg) >= 4 {
			if err := protocolID(msg); err != nil {
				return after, err
			}
		}
		if m.Partial {
			return nil, ErrSMB2Truncated
		}
		if len(msg) < 4 {
			return after, ErrNotSMB
		}
		return after, ErrSMB2Length
	}
	if err := protocolID(msg); err != nil {
		return after, err
	}
	if binary.LittleEndian.Uint16(msg[4:]) != smb2HeaderLen {
		return after, ErrSMB2Header
	}
	m.Flags = binary.LittleEndian.Uint32(msg[16:])
	m.Response = m.Flags&SMB2FlagResponse != 0
	if m.Response {
		m.Status = binary.LittleEndian.Uint32(msg[8:])
	}
	m.Command = SMB2Command(binary.LittleEndian.Uint16(msg[12:]))
	m.MessageID = binary.LittleEndian.Uint64(msg[24:])
	if m.Flags&SMB2FlagAsync != 0 {
		m.AsyncID = binary.LittleEndian.Uint64(msg[32:])
	} else {
		m.TreeID = binary.LittleEndian.Uint32(msg[36:])
	}
	m.SessionID = binary.LittleEndian.Uint64(msg[40:])

	// Compounding: NextCommand is the offset of the next header, 8-byte
	// aligned, and the next header must fit in the frame.
	msgEnd := frameEnd
	rest = after
	if next := int(binary.LittleEndian.Uint32(msg[20:])); next != 0 {
		if next < smb2HeaderLen || next%8 != 0 || next > frameEnd-start-smb2HeaderLen {
			return after, ErrSMB2Next
		}
		msgEnd = start + next
		if msgEnd < len(b) {
			rest = b[msgEnd:]
			m.chainAt, m.chain = &rest[0], frameEnd-msgEnd
		} else {
			rest = nil
		}
		msg = b[start:min(msgEnd, len(b))]
		m.Partial = msgEnd > len(b)
	}
	if err := m.body(msg); err != nil {
		return rest, err
	}
	return rest, nil
}

// protocolID classifies the first four bytes of a message.
func protocolID(msg []byte) error {
	if msg[1] != 'S' || msg[2] != 'M' || msg[3] != 'B' {
		return ErrNotSMB
	}
	switch msg[0] {
	case 0xfe:
		return nil
	case 0xff:
		return ErrSMB1
	case 0xfd, 0xfc: // transform header (§2.2.41) / compression transform (§2.2.42)
		return ErrSMB2Transform
	}
	return ErrNotSMB
}

// reset clears every field but the name buffer (which Path and Name
// reslice, so it needs no clearing).
func (m *SMB2Message) reset() {
	m.Command, m.Response, m.Flags, m.Status = 0, false, 0, 0
	m.MessageID, m.TreeID, m.AsyncID, m.SessionID = 0, 0, 0, 0
	m.Path, m.Name, m.Cut = nil, nil, false
	m.DesiredAccess, m.CreateDisposition, m.Write = 0, 0, false
	m.Dialect, m.FileID, m.Length = 0, [16]byte{}, 0
	m.Data, m.CtlCode = nil, 0
	m.Partial, m.chainAt, m.chain = false, nil, 0
}

// body decodes the command-specific part of msg (header included).
func (m *SMB2Message) body(msg []byte) error {
	if m.Response {
		if m.Status == statusBufferOverflow && (m.Command == SMB2Read || m.Command == SMB2IOCtl) {
			m.pipeData(msg) // a named pipe's answer longer than the buffer: its first part
			return nil
		}
		if m.Status != 0 {
			return nil // error response (§2.2.2) or interim STATUS_PENDING
		}
		switch m.Command {
		case SMB2Read, SMB2IOCtl:
			m.pipeData(msg)
		case SMB2Negotiate: // §2.2.4
			p, err := m.fixed(msg, 65, 6)
			if err != nil {
				return err
			}
			m.Dialect = binary.LittleEndian.Uint16(p[4:])
		case SMB2Create: // §2.2.14
			p, err := m.fixed(msg, 89, 80)
			if err != nil {
				return err
			}
			copy(m.FileID[:], p[64:80])
		}
		return nil
	}
	switch m.Command {
	case SMB2Negotiate: // §2.2.3
		p, err := m.fixed(msg, 36, 36)
		if err != nil {
			return err
		}
		count := int(binary.LittleEndian.Uint16(p[2:]))
		d, err := m.span(msg, smb2HeaderLen+36, 2*count)
		if err != nil {
			return err
		}
		for i := 0; i+1 < len(d); i += 2 {
			m.Dialect = max(m.Dialect, binary.LittleEndian.Uint16(d[i:]))
		}
	case SMB2TreeConnect: // §2.2.9
		p, err := m.fixed(msg, 9, 8)
		if err != nil {
			return err
		}
		s, err := m.span(msg, int(binary.LittleEndian.Uint16(p[4:])), int(binary.LittleEndian.Uint16(p[6:])))
		if err != nil {
			return err
		}
		m.Path = m.decode(s)
	case SMB2Create: // §2.2.13
		p, err := m.fixed(msg, 57, 56)
		if err != nil {
			return err
		}
		m.DesiredAccess = binary.LittleEndian.Uint32(p[24:])
		m.CreateDisposition = binary.LittleEndian.Uint32(p[36:])
		switch m.CreateDisposition {
		case FileSupersede, FileCreate, FileOpenIf, FileOverwrite, FileOverwriteIf:
			m.Write = true
		default:
			m.Write = m.DesiredAccess&writeAccess != 0
		}
		s, err := m.span(msg, int(binary.LittleEndian.Uint16(p[44:])), int(binary.LittleEndian.Uint16(p[46:])))
		if err != nil {
			return err
		}
		m.Name = m.decode(s)
	case SMB2Read, SMB2Write: // §2.2.19, §2.2.21
		p, err := m.fixed(msg, 49, 32)
		if err != nil {
			return err
		}
		m.Length = binary.LittleEndian.Uint32(p[4:])
		copy(m.FileID[:], p[16:32])
		m.Write = m.Command == SMB2Write
		if m.Write {
			m.Data = m.data(msg, int(binary.LittleEndian.Uint16(p[2:])), m.Length)
		}
	case SMB2IOCtl: // §2.2.31: read for a pipe's DCE-RPC, never an error
		p, err := m.fixed(msg, 57, 56)
		if err != nil {
			return nil
		}
		m.CtlCode = binary.LittleEndian.Uint32(p[4:])
		copy(m.FileID[:], p[8:24])
		m.Data = m.data(msg, int(binary.LittleEndian.Uint32(p[24:])), binary.LittleEndian.Uint32(p[28:]))
	case SMB2Close: // §2.2.15
		p, err := m.fixed(msg, 24, 24)
		if err != nil {
			return err
		}
		copy(m.FileID[:], p[8:24])
	}
	return nil
}

// fixed returns the body of msg after checking its StructureSize and that
// need bytes of it are present.
func (m *SMB2Message) fixed(msg []byte, size uint16, need int) ([]byte, error) {
	p := msg[smb2HeaderLen:]
	if len(p) < 2 || len(p) < need {
		if m.Partial {
			return nil, ErrSMB2Truncated
		}
		return nil, ErrSMB2Length
	}
	if binary.LittleEndian.Uint16(p) != size {
		return nil, ErrSMB2Structure
	}
	return p, nil
}

// span returns msg[off:off+n] (offsets from the SMB2 header) after checking
// that it lies in the message's variable part.
func (m *SMB2Message) span(msg []byte, off, n int) ([]byte, error) {
	if n == 0 {
		return msg[:0], nil
	}
	if off < smb2HeaderLen {
		return nil, ErrSMB2Length
	}
	if off > len(msg) || n > len(msg)-off {
		if m.Partial {
			return nil, ErrSMB2Truncated
		}
		return nil, ErrSMB2Length
	}
	return msg[off : off+n], nil
}

// statusBufferOverflow (STATUS_BUFFER_OVERFLOW) answers a read of a
// named pipe whose message is longer than the buffer: data follows.
const statusBufferOverflow = 0x80000005

// pipeData reads the data of a READ response (§2.2.20: a one-octet
// DataOffset, DataLength) or the output of an IOCTL response (§2.2.32:
// CtlCode, FileId, OutputOffset, OutputCount) into Data; a body that
// does not parse leaves Data nil.
func (m *SMB2Message) pipeData(msg []byte) {
	le := binary.LittleEndian
	switch m.Command {
	case SMB2Read:
		p, err := m.fixed(msg, 17, 16)
		if err != nil {
			return
		}
		m.Length = le.Uint32(p[4:])
		m.Data = m.data(msg, int(p[2]), m.Length)
	case SMB2IOCtl:
		p, err := m.fixed(msg, 49, 48)
		if err != nil {
			return
		}
		m.CtlCode = le.Uint32(p[4:])
		copy(m.FileID[:], p[8:24])
		m.Data = m.data(msg, int(le.Uint32(p[32:])), le.Uint32(p[36:]))
	}
}

// data returns the n bytes at off (from the header's start) of msg, or
// those present when the message runs past the payload; nil when off lies
// outside the message.
func (m *SMB2Message) data(msg []byte, off int, n uint32) []byte {
	if n == 0 || off < smb2HeaderLen || off > len(msg) {
		return nil
	}
	return msg[off : off+int(min(uint64(n), uint64(len(msg)-off)))]
}

// decode converts a UTF-16LE name into m.buf.
func (m *SMB2Message) decode(s []byte) []byte {
	n, cut := utf16LEToUTF8(m.buf[:], s)
	m.Cut = m.Cut || cut
	return m.buf[:n:n]
}

// ProbeSMB reports whether b starts with an SMB message in a NetBIOS
// session message frame (RFC 1002 §4.3.1 type 0x00; [MS-SMB2] §2.1 on TCP
// 445), and which protocol: 1 for SMB1 ("\xffSMB", [MS-CIFS] §2.2.3.1, the
// frame at least the 32-byte header), 2 for SMB2 ("\xfeSMB", [MS-SMB2]
// §2.2.1, at least 64 bytes with StructureSize 64 when present), 3 for an
// SMB 3.x encrypted or compressed message ("\xfdSMB" transform header
// §2.2.41, at least 52 bytes; "\xfcSMB" compression transform §2.2.42, at
// least 8).
func ProbeSMB(b []byte) (version int, ok bool) {
	if len(b) < 8 || b[0] != 0x00 || b[5] != 'S' || b[6] != 'M' || b[7] != 'B' {
		return 0, false
	}
	n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	switch b[4] {
	case 0xff:
		if n < 32 {
			return 0, false
		}
		return 1, true
	case 0xfe:
		if n < smb2HeaderLen || (len(b) >= 10 && binary.LittleEndian.Uint16(b[8:]) != smb2HeaderLen) {
			return 0, false
		}
		return 2, true
	case 0xfd:
		if n < 52 {
			return 0, false
		}
		return 3, true
	case 0xfc:
		if n < 8 {
			return 0, false
		}
		return 3, true
	}
	return 0, false
}
