package synth

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"time"
)

// S7 functions of a program upload.
const (
	s7StartUpload = 0x1d
	s7Upload      = 0x1e
	s7EndUpload   = 0x1f
)

// s7UploadParam is the parameter of the upload functions: function,
// status, two unknown octets (End upload: an error code) and the 4-octet
// upload id the PLC hands out.
func s7UploadParam(fn, status uint8, id uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{fn, status, 0, 0}, id)
}

// S7StartUpload is the client's job asking to upload the block file
// ("_" + S7BlockFile).
func S7StartUpload(ref uint16, file string) []byte {
	p := append(s7UploadParam(s7StartUpload, 0, 0), byte(len(file)))
	return s7(s7Job, ref, append(p, file...), nil)
}

// S7StartUploadAck is the PLC's answer: the upload id and the block's
// length as seven ASCII digits.
func S7StartUploadAck(ref uint16, id uint32, length int) []byte {
	s := strconv.Itoa(min(max(length, 0), 9999999))
	for len(s) < 7 {
		s = "0" + s
	}
	p := append(s7UploadParam(s7StartUpload, 0, id), byte(len(s)))
	return s7(s7AckData, ref, append(p, s...), nil)
}

// S7Upload is the client's job asking for the next part of an upload.
func S7Upload(ref uint16, id uint32) []byte {
	return s7(s7Job, ref, s7UploadParam(s7Upload, 0, id), nil)
}

// S7UploadAck is the PLC's answer with the next part: status 1 when more
// follows, then the data part (length, 0x00FB, the chunk).
func S7UploadAck(ref uint16, more bool, chunk []byte) []byte {
	st := byte(0)
	if more {
		st = 1
	}
	d := binary.BigEndian.AppendUint16(nil, uint16(len(chunk)))
	d = append(d, 0, 0xfb)
	return s7(s7AckData, ref, []byte{s7Upload, st}, append(d, chunk...))
}

// S7EndUpload is the client's job closing upload id.
func S7EndUpload(ref uint16, id uint32) []byte {
	return s7(s7Job, ref, s7UploadParam(s7EndUpload, 0, id), nil)
}

// S7EndUploadAck is the PLC's answer to End upload.
func S7EndUploadAck(ref uint16) []byte {
	return s7(s7AckData, ref, []byte{s7EndUpload}, nil)
}

// IntegrityBlock is one block of the program-integrity scenarios' PLC
// program: its type, number and contents in load-memory form.
type IntegrityBlock struct {
	Type   uint8
	Number uint16
	Data   []byte
}

// IntegrityProgram returns the known-good program of sts01-plc1 the
// program-integrity scenario uploads (OB 1, FC 12, DB 5), and the FC 12
// it later downloads in its place: the same for every seed, so that a
// test can build the block dump a baseline is made from.
func IntegrityProgram() (good []IntegrityBlock, tampered IntegrityBlock) {
	r := rand.New(rand.NewPCG(15, 15))
	good = []IntegrityBlock{
		{S7BlockOB, 1, S7Block(r, 0x03, S7BlockOB, 1, 300)},
		{S7BlockFC, 12, S7Block(r, 0x03, S7BlockFC, 12, 900)},
		{S7BlockDB, 5, S7Block(r, 0x05, S7BlockDB, 5, 400)},
	}
	tampered = IntegrityBlock{S7BlockFC, 12, S7Block(r, 0x03, S7BlockFC, 12, 900)}
	return good, tampered
}

// s7UploadAll uploads blocks from plc as an engineering station does, one
// Start upload / Upload… / End upload sequence per block on one
// connection.
func (t *term) s7UploadAll(c, plc Host, blocks []IntegrityBlock) {
	ex := t.s7Connect(uint16(t.r.Uint32()))
	ref := uint16(0x0200)
	for i, b := range blocks {
		file := "_" + S7BlockFile(b.Type, b.Number)
		id := uint32(7 + i)
		ex = append(ex,
			cl(S7StartUpload(ref, file), ms(200)),
			sv(S7StartUploadAck(ref, id, len(b.Data)), ms(3)))
		ref++
		const chunk = 200
		for off := 0; off < len(b.Data); off += chunk {
			end := min(off+chunk, len(b.Data))
			ex = append(ex,
				cl(S7Upload(ref, id), ms(1)),
				sv(S7UploadAck(ref, end < len(b.Data), b.Data[off:end]), ms(2)))
			ref++
		}
		ex = append(ex,
			cl(S7EndUpload(ref, id), ms(1)),
			sv(S7EndUploadAck(ref), ms(2)))
		ref++
	}
	t.tcp(c, plc, 102, ex...)
}

// s7DownloadData downloads a block with the given contents as an
// engineering station does: Request download, the PLC's Download block
// jobs answered with the block in chunks of at most 200 bytes, Download
// ended, then the _INSE PI service activating the block.
func (t *term) s7DownloadData(c, plc Host, b IntegrityBlock) {
	name := S7BlockFile(b.Type, b.Number)
	file := "_" + name
	blk := b.Data
	ex := t.s7Connect(uint16(t.r.Uint32()))
	ex = append(ex,
		cl(S7RequestDownload(2, file, len(blk), len(blk)-56), ms(400)),
		sv(S7RequestDownloadAck(2), ms(3)))
	const chunk = 200
	ref := uint16(0x0100)
	for off := 0; off < len(blk); off += chunk {
		end := min(off+chunk, len(blk))
		ex = append(ex,
			sv(S7DownloadBlock(ref, file), ms(1)),
			cl(S7DownloadBlockAck(ref, end < len(blk), blk[off:end]), ms(0.8)))
		ref++
	}
	ex = append(ex,
		sv(S7DownloadEnded(ref, file), ms(2)),
		cl(S7DownloadEndedAck(ref), ms(0.6)),
		cl(S7InsertBlocks(3, name), ms(50)),
		sv(S7PIServiceAck(3), ms(12)))
	t.tcp(c, plc, 102, ex...)
}

// programIntegrity: ews01 uploads the known-good program of sts01-plc1 at
// 20 s (a baseline can be learned from it), downloads a different FC 12
// at 40 s and the unchanged DB 5 at 44 s, and uploads the program again
// at 50 s (OB 1 and DB 5 confirm the baseline, FC 12 shows the change).
func (t *term) programIntegrity() {
	good, tampered := IntegrityProgram()
	ews, plc := t.m.ews.Host, t.m.cranes[0].plc.Host
	t.do(20*time.Second, func() { t.s7UploadAll(ews, plc, good) })
	t.do(40*time.Second, func() { t.s7DownloadData(ews, plc, tampered) })
	t.do(44*time.Second, func() { t.s7DownloadData(ews, plc, good[2]) })
	t.do(50*time.Second, func() {
		t.s7UploadAll(ews, plc, []IntegrityBlock{good[0], tampered, good[2]})
	})
}

// remoteProgramUpdate: the remote-access gateway downloads DB 5 straight
// into the STS-02 PLC at 46 s.
func (t *term) remoteProgramUpdate() {
	good, _ := IntegrityProgram()
	t.do(46*time.Second, func() { t.s7DownloadData(t.m.gw.Host, t.m.cranes[1].plc.Host, good[2]) })
}
