package xfer

import (
	"encoding/binary"
	"unicode/utf16"
)

// Builders for SMB2 test messages, field by field as [MS-SMB2] §2.2 lays
// them out. All integers are little-endian.

type le []byte

func (b le) u8(v uint8) le   { return append(b, v) }
func (b le) u16(v uint16) le { return binary.LittleEndian.AppendUint16(b, v) }
func (b le) u32(v uint32) le { return binary.LittleEndian.AppendUint32(b, v) }
func (b le) u64(v uint64) le { return binary.LittleEndian.AppendUint64(b, v) }
func (b le) raw(v []byte) le { return append(b, v...) }

// utf16le encodes s as UTF-16LE without a terminator.
func utf16le(s string) []byte {
	var b le
	for _, u := range utf16.Encode([]rune(s)) {
		b = b.u16(u)
	}
	return b
}

// hdr is an SMB2 packet header, sync form unless flags has SMB2FlagAsync
// (§2.2.1.1, §2.2.1.2).
type hdr struct {
	cmd       SMB2Command
	flags     uint32
	status    uint32
	next      uint32
	msgID     uint64
	treeID    uint32
	asyncID   uint64
	sessionID uint64
}

func (h hdr) bytes() le {
	b := le{0xfe, 'S', 'M', 'B'}.
		u16(64).       // StructureSize
		u16(1).        // CreditCharge
		u32(h.status). // Status / ChannelSequence+Reserved
		u16(uint16(h.cmd)).
		u16(31). // CreditRequest/CreditResponse
		u32(h.flags).
		u32(h.next).
		u64(h.msgID)
	if h.flags&SMB2FlagAsync != 0 {
		b = b.u64(h.asyncID)
	} else {
		b = b.u32(0x0000feff).u32(h.treeID) // Reserved (ProcessId), TreeId
	}
	return b.u64(h.sessionID).raw(make([]byte, 16)) // SessionId, Signature
}

// nbss frames SMB messages as one NetBIOS session message (RFC 1002
// §4.3.1, 24-bit length as on TCP 445).
func nbss(msgs ...[]byte) []byte {
	var body []byte
	for _, m := range msgs {
		body = append(body, m...)
	}
	n := len(body)
	return append([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

// pad8 pads b to a multiple of 8 bytes, as compounded messages are.
func pad8(b []byte) []byte {
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

var clientGUID = []byte{0x4e, 0x3c, 0x71, 0x0d, 0x1a, 0x55, 0x4f, 0x8b, 0x9b, 0x4e, 0x0b, 0x6c, 0x41, 0x2a, 0x7d, 0x10}

// negotiateReq is a Windows 10 style NEGOTIATE request (§2.2.3) offering
// 2.0.2 to 3.1.1, with a preauth integrity context (§2.2.3.1.1).
func negotiateReq() []byte {
	dialects := []uint16{0x0202, 0x0210, 0x0300, 0x0302, 0x0311}
	b := hdr{cmd: SMB2Negotiate}.bytes().
		u16(36).                    // StructureSize
		u16(uint16(len(dialects))). // DialectCount
		u16(1).                     // SecurityMode: signing enabled
		u16(0).                     // Reserved
		u32(0x7f).                  // Capabilities
		raw(clientGUID).
		u32(64 + 36 + 10 + 2). // NegotiateContextOffset (8-byte aligned)
		u16(1).                // NegotiateContextCount
		u16(0)                 // Reserved2
	for _, d := range dialects {
		b = b.u16(d)
	}
	b = b.u16(0)                    // padding to 8
	return b.u16(1).u16(38).u32(0). // SMB2_PREAUTH_INTEGRITY_CAPABILITIES
					u16(1).u16(32).u16(1).raw(make([]byte, 32))
}

// negotiateRsp is a NEGOTIATE response (§2.2.4) choosing dialect.
func negotiateRsp(dialect uint16) []byte {
	return hdr{cmd: SMB2Negotiate, flags: SMB2FlagResponse}.bytes().
		u16(65).      // StructureSize
		u16(1).       // SecurityMode
		u16(dialect). // DialectRevision
		u16(0).       // NegotiateContextCount
		raw(make([]byte, 16)).
		u32(0x2f).u32(8 << 20).u32(8 << 20).u32(8 << 20). // Capabilities, MaxTransact/Read/WriteSize
		u64(0).u64(0).                                    // SystemTime, ServerStartTime
		u16(128).u16(0).u32(0)                            // SecurityBufferOffset, Length, NegotiateContextOffset
}

// treeConnectReq is a TREE_CONNECT request (§2.2.9) for path.
func treeConnectReq(msgID uint64, sessionID uint64, path string) []byte {
	p := utf16le(path)
	return hdr{cmd: SMB2TreeConnect, msgID: msgID, sessionID: sessionID}.bytes().
		u16(9).              // StructureSize
		u16(0).              // Flags/Reserved
		u16(64 + 8).         // PathOffset
		u16(uint16(len(p))). // PathLength
		raw(p)
}

// createReq is a CREATE request (§2.2.13) for name.
func createReq(h hdr, access, disposition uint32, name string) []byte {
	n := utf16le(name)
	h.cmd = SMB2Create
	b := h.bytes().
		u16(57).             // StructureSize
		u8(0).               // SecurityFlags
		u8(0).               // RequestedOplockLevel
		u32(2).              // ImpersonationLevel: Impersonation
		u64(0).              // SmbCreateFlags
		u64(0).              // Reserved
		u32(access).         // DesiredAccess
		u32(0x80).           // FileAttributes: NORMAL
		u32(7).              // ShareAccess: read, write, delete
		u32(disposition).    // CreateDisposition
		u32(0x44).           // CreateOptions: FILE_NON_DIRECTORY_FILE | FILE_SEQUENTIAL_ONLY
		u16(120).            // NameOffset
		u16(uint16(len(n))). // NameLength
		u32(0).u32(0)        // CreateContextsOffset, Length
	if len(n) == 0 {
		return b.u8(0) // Buffer holds at least one byte
	}
	return b.raw(n)
}

var fileID = [16]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x01}
var relatedFID = [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// createRsp is a successful CREATE response (§2.2.14).
func createRsp(msgID uint64, fid [16]byte) []byte {
	return hdr{cmd: SMB2Create, flags: SMB2FlagResponse, msgID: msgID, treeID: 1, sessionID: 0x0000100000000011}.bytes().
		u16(89).u8(0).u8(0).u32(2).  // StructureSize, OplockLevel, Flags, CreateAction: CREATED
		u64(0).u64(0).u64(0).u64(0). // times
		u64(0).u64(0).               // AllocationSize, EndofFile
		u32(0x80).u32(0).            // FileAttributes, Reserved2
		raw(fid[:]).
		u32(0).u32(0) // CreateContextsOffset, Length
}

// writeReq is a WRITE request (§2.2.21) carrying data.
func writeReq(msgID uint64, fid [16]byte, data []byte, declared uint32) []byte {
	return hdr{cmd: SMB2Write, msgID: msgID, treeID: 1, sessionID: 0x0000100000000011}.bytes().
		u16(49).       // StructureSize
		u16(64 + 48).  // DataOffset
		u32(declared). // Length
		u64(0).        // Offset
		raw(fid[:]).
		u32(0).u32(0).        // Channel, RemainingBytes
		u16(0).u16(0).u32(0). // WriteChannelInfoOffset, Length, Flags
		raw(data)
}

// readReq is a READ request (§2.2.19).
func readReq(msgID uint64, fid [16]byte, n uint32) []byte {
	return hdr{cmd: SMB2Read, msgID: msgID, treeID: 1, sessionID: 0x0000100000000011}.bytes().
		u16(49).u8(0x50).u8(0). // StructureSize, Padding, Flags
		u32(n).u64(0).          // Length, Offset
		raw(fid[:]).
		u32(1).u32(0).u32(0). // MinimumCount, Channel, RemainingBytes
		u16(0).u16(0).u8(0)   // ReadChannelInfoOffset, Length, Buffer
}

// queryInfoReq is a QUERY_INFO request (§2.2.37) for FileAllInformation.
func queryInfoReq(h hdr, fid [16]byte) []byte {
	h.cmd = SMB2QueryInfo
	return h.bytes().
		u16(41).u8(1).u8(18). // StructureSize, InfoType FILE, FileInfoClass FileAllInformation
		u32(4096).            // OutputBufferLength
		u16(0).u16(0).        // InputBufferOffset, Reserved
		u32(0).u32(0).u32(0). // InputBufferLength, AdditionalInformation, Flags
		raw(fid[:])
}

// closeReq is a CLOSE request (§2.2.15).
func closeReq(h hdr, fid [16]byte) []byte {
	h.cmd = SMB2Close
	return h.bytes().u16(24).u16(0).u32(0).raw(fid[:])
}

// errorRsp is an error response (§2.2.2).
func errorRsp(cmd SMB2Command, status uint32, msgID uint64) []byte {
	return hdr{cmd: cmd, flags: SMB2FlagResponse, status: status, msgID: msgID}.bytes().
		u16(9).u8(0).u8(0).u32(0).u8(0)
}

// echoReq is an ECHO request (§2.2.28).
func echoReq(msgID uint64) []byte {
	return hdr{cmd: SMB2Echo, msgID: msgID}.bytes().u16(4).u16(0)
}

// compound chains messages (§3.2.4.1.4): each but the last is padded to 8
// bytes and its NextCommand set to its padded length.
func compound(msgs ...[]byte) []byte {
	var out []byte
	for i, m := range msgs {
		m = append([]byte(nil), m...)
		if i < len(msgs)-1 {
			m = pad8(m)
			binary.LittleEndian.PutUint32(m[20:], uint32(len(m)))
		}
		out = append(out, m...)
	}
	return out
}
