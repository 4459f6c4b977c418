package integrity

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"harborwatch/ics/s7"
	"strconv"
)

// FormatS7Blocks names the S7 block dump form in Entry.Format.
const FormatS7Blocks = "s7-blocks"

// maxBlockDump bounds the size of a file parsed for blocks (64 MiB; an S7
// load memory is a few MiB at most).
const maxBlockDump = 64 << 20

// s7HeaderLen is the length of the header that starts every S7 block in
// load-memory format (the form S7 upload and download move, and the form
// Step 7 keeps blocks in): ident 0x7070, version, attribute, language,
// block type, number (2), load memory length (4), security (4), two
// 6-octet timestamps, and the lengths of the SSB, ADD, local data and MC7
// code sections (2 each).
const s7HeaderLen = 36

// ParseS7Blocks splits data — one or more S7 blocks in load-memory format
// one after the other, as an upload writes them out — into its blocks,
// each named ("FC12") from its header and hashed on its own (the SHA-256 of
// exactly the bytes an S7 transfer of that block moves, so a block learned
// from the wire and one hashed from a file compare). Anything else — a
// header that does not start with 0x7070, a length that runs past the end
// or is shorter than the header, an unknown block type — is an error
// naming the offset.
func ParseS7Blocks(data []byte) ([]Block, error) {
	var out []Block
	if len(data) == 0 {
		return nil, fmt.Errorf("empty")
	}
	for off := 0; off < len(data); {
		b := data[off:]
		if len(b) < s7HeaderLen {
			return nil, fmt.Errorf("truncated block header at offset %d (%d bytes left, a header has %d)", off, len(b), s7HeaderLen)
		}
		if b[0] != 0x70 || b[1] != 0x70 {
			return nil, fmt.Errorf("no block ident 0x7070 at offset %d", off)
		}
		typ := s7.BlockTypeName(b[5])
		if typ == "" {
			return nil, fmt.Errorf("unknown block type 0x%02x at offset %d", b[5], off+5)
		}
		n := binary.BigEndian.Uint32(b[8:])
		if n < s7HeaderLen || uint64(n) > uint64(len(b)) {
			return nil, fmt.Errorf("block %s%d at offset %d: load memory length %d does not fit (%d bytes left)",
				typ, binary.BigEndian.Uint16(b[6:]), off, n, len(b))
		}
		sum := sha256.Sum256(b[:n])
		out = append(out, Block{
			Name:   typ + strconv.Itoa(int(binary.BigEndian.Uint16(b[6:]))),
			Offset: int64(off), Size: int64(n), SHA256: hex.EncodeToString(sum[:]),
		})
		off += int(n)
	}
	return out, nil
}

// S7Block builds a block in load-memory format of the given type ("FC",
// "OB", …), number and body (the sections after the header): what tests,
// the simulator and a block dump hold. The header's MC7 length is the
// body's length; timestamps and security are zero.
func S7Block(typ string, number uint16, body []byte) []byte {
	var code byte
	for c := byte(0x08); c <= 0x0f; c++ {
		if s7.BlockTypeName(c) == typ {
			code = c
		}
	}
	b := make([]byte, s7HeaderLen, s7HeaderLen+len(body))
	b[0], b[1], b[2], b[3], b[4], b[5] = 0x70, 0x70, 0x01, 0x01, 0x02, code
	binary.BigEndian.PutUint16(b[6:], number)
	binary.BigEndian.PutUint32(b[8:], uint32(s7HeaderLen+len(body)))
	binary.BigEndian.PutUint16(b[34:], uint16(min(len(body), 0xffff)))
	return append(b, body...)
}
