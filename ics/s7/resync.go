package s7

import (
	"encoding/binary"

	"harborwatch/proto"
)

// Resynchronisation (proto.Resyncer). After a gap in a direction — a hole
// the reassembly skipped, a framing error, a flow first seen midway — the
// next bytes need not start on a TPKT boundary. Feed then skips to the
// first offset where a TPKT packet plausibly starts (boundary): RFC 1006
// version 3, reserved 0, a length from the 7-octet minimum up to a COTP
// TPDU of the largest size ISO 8073 negotiates, and a COTP TPDU that fits
// it: a class-0 data TPDU (LI 2) whose first fragment carries the S7comm
// (0x32, with a known ROSCTR; a whole PDU's header, parameter and data
// lengths filling the TPKT) or S7comm-plus (0x72) protocol id, or a
// connection-management TPDU (CR, CC, DR, DC) whose header fills the
// TPKT. When the whole packet is there and more bytes follow, they must
// start another TPKT header. A chance match inside S7 data takes all of
// that.

// maxTPKT bounds a plausible TPKT length: the 8192-octet TPDU size ISO
// 8073 §13.3.4 b allows at most, with the TPKT and DT headers.
const maxTPKT = 8192 + tpktHeaderLen + 3

// Gap implements proto.Resyncer: the COTP fragments held for the
// direction are dropped (their PDU was cut) and its next Feed resynchronises.
func (a *Analyzer) Gap(fromClient bool) {
	d := &a.dir[dirIndex(fromClient)]
	a.dropped += uint64(len(d.cotp))
	d.cotp = d.cotp[:0]
	d.overflow = false
	d.plusFrag = false
	d.lost = true
}

// Resyncs implements proto.Resyncer.
func (a *Analyzer) Resyncs() proto.Resync { return a.resync }

var _ proto.Resyncer = (*Analyzer)(nil)

// Verdicts of boundary (proto.Seek).
const (
	notHere  = proto.NotHere
	here     = proto.Here
	needMore = proto.NeedMore
)

// seek returns the offset of the first plausible TPKT boundary in b and
// whether one was found; when not, bytes from the offset on may still
// start one and wait for more.
func seek(b []byte) (int, bool) { return proto.Seek(b, tpktVersion, boundary) }

// boundary judges whether a TPKT packet plausibly starts at b[0].
func boundary(b []byte) int {
	if len(b) < 2 {
		return needMore
	}
	if b[0] != tpktVersion || b[1] != 0 {
		return notHere
	}
	if len(b) < 8 {
		return needMore
	}
	l := int(binary.BigEndian.Uint16(b[2:]))
	li := int(b[4])
	if l < tpktMinLen || l > maxTPKT || tpktHeaderLen+1+li > l {
		return notHere
	}
	switch b[5] >> 4 {
	case cotpDT:
		if li != 2 || b[5]&0x0f != 0 || b[6]&0x7f != 0 || l < 8 {
			return notHere
		}
		switch b[7] {
		case protoS7:
			if l < 17 {
				return notHere
			}
			if len(b) < 17 {
				return needMore
			}
			hl := 10
			switch b[8] {
			case rosctrJob, rosctrUserdata:
			case rosctrAck, rosctrAckData:
				hl = 12
			default:
				return notHere
			}
			// A whole PDU (EOT) fills the TPKT: header, parameter, data.
			if b[6]&0x80 != 0 && tpktHeaderLen+3+hl+int(binary.BigEndian.Uint16(b[13:]))+int(binary.BigEndian.Uint16(b[15:])) != l {
				return notHere
			}
		case protoS7Plus:
		default:
			return notHere
		}
	case cotpCR, cotpCC, cotpDR, cotpDC:
		if li < 6 || tpktHeaderLen+1+li != l {
			return notHere
		}
	default:
		return notHere
	}
	if len(b) >= l+2 && (b[l] != tpktVersion || b[l+1] != 0) {
		return notHere
	}
	return here
}
