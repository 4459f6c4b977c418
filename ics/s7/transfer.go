package s7

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// blockHeaderLen is the length of the header that starts every block in
// load-memory format, as uploaded and downloaded: ident 0x7070, version,
// attribute, language, block type, number, load memory length, security,
// two 6-octet timestamps, and the section lengths (SSB, ADD, local data,
// MC7 code).
const blockHeaderLen = 36

// transfer is a block upload or download in progress on one connection:
// the blocks arrive in upload ack-data (upload) or download-block ack-data
// (download) PDUs; their contents are hashed as they pass, so memory stays
// bounded whatever the block size.
type transfer struct {
	state    uint8
	file     [16]byte
	fileLen  uint8
	id       uint32
	declared int // announced length, -1 unknown
	n        int // octets received
	chunks   int
	head     [blockHeaderLen]byte
	headN    int
	h        hash.Hash
	sum      [sha256.Size]byte
	failed   bool // the device refused a step
}

const (
	xferIdle = iota
	xferActive
	xferDone
)

func (t *transfer) reset() {
	t.state = xferIdle
	t.fileLen = 0
	t.id = 0
	t.declared = -1
	t.n = 0
	t.chunks = 0
	t.headN = 0
	t.failed = false
	if t.h != nil {
		t.h.Reset()
	}
}

// begin starts a transfer of the block file named f.
func (t *transfer) begin(f []byte) {
	t.reset()
	t.state = xferActive
	t.fileLen = uint8(copy(t.file[:], f))
	if t.h == nil {
		t.h = sha256.New()
	}
}

// add hashes the next octets of the block.
func (t *transfer) add(b []byte) {
	if t.state != xferActive {
		return
	}
	if t.headN < blockHeaderLen {
		t.headN += copy(t.head[t.headN:], b)
	}
	t.h.Write(b)
	t.n += len(b)
	t.chunks++
}

// finish completes the transfer and computes the digest.
func (t *transfer) finish() {
	if t.state != xferActive {
		return
	}
	t.h.Sum(t.sum[:0])
	t.state = xferDone
}

// detail describes the transferred block: its name ("FC12"), type, number
// and file system from the file name (kept as sent under block_raw), length, SHA-256 of the contents, and what the block
// header says about itself.
func (t *transfer) detail() map[string]any {
	d := map[string]any{
		"length": t.n,
		"sha256": sumHex(&t.sum),
	}
	f := t.file[:t.fileLen]
	fileDetail(d, f, "name")
	if bt, num, fs, ok := plcFilename(f); ok {
		d["type"] = bt
		d["number"] = num
		d["filesystem"] = filesystemName(fs)
	}
	if t.declared >= 0 {
		d["declared_length"] = t.declared
		d["complete"] = t.declared == t.n
	}
	if t.failed {
		d["refused"] = true
	}
	if t.headN == blockHeaderLen && t.head[0] == 0x70 && t.head[1] == 0x70 {
		d["language"] = languageName(t.head[4])
		d["header_type"] = cmp.Or(BlockTypeName(t.head[5]), "unknown")
		d["header_number"] = int(binary.BigEndian.Uint16(t.head[6:]))
		d["load_memory_length"] = int(binary.BigEndian.Uint32(t.head[8:]))
		d["know_how_protected"] = binary.BigEndian.Uint32(t.head[12:]) != 0
		d["mc7_code_length"] = int(binary.BigEndian.Uint16(t.head[34:]))
	}
	return d
}
