package dnp3

import (
	"encoding/binary"

	"harborwatch/proto"
)

// Resynchronisation (proto.Resyncer). After a gap in a direction — a hole
// the reassembly skipped, a framing error, a flow first seen midway — the
// next bytes need not start on a link frame, and Feed would fail on them
// (ErrStart). It then skips to the first offset where a link header
// plausibly starts (boundary): the start octets 0x05 0x64, a length of 5
// at least, a link function the control octet's PRM bit allows, and a
// header CRC that checks, which leaves a chance match about one in 65536
// among the headers that pass the rest. The transport segments the gap
// cut are dropped: the fragment they began is lost, and reassembly starts
// again at the next first segment.

// Gap implements proto.Resyncer: the direction's fragment in reassembly
// is dropped and its next Feed resynchronises.
func (a *Analyzer) Gap(fromClient bool) {
	d := &a.dir[dirIndex(fromClient)]
	d.active = false
	d.lost = true
}

// Resyncs implements proto.Resyncer.
func (a *Analyzer) Resyncs() proto.Resync { return a.resync }

var _ proto.Resyncer = (*Analyzer)(nil)

func dirIndex(fromClient bool) int {
	if fromClient {
		return 1
	}
	return 0
}

// Verdicts of boundary (proto.Seek).
const (
	notHere  = proto.NotHere
	here     = proto.Here
	needMore = proto.NeedMore
)

// seek returns the offset of the first plausible link header in b and
// whether one was found; when not, bytes from the offset on may still
// start one and wait for more.
func seek(b []byte) (int, bool) { return proto.Seek(b, 0x05, boundary) }

// boundary judges whether a link frame plausibly starts at b[0] (0x05).
func boundary(b []byte) int {
	if len(b) < 2 {
		return needMore
	}
	if b[1] != 0x64 {
		return notHere
	}
	if len(b) < headerLen {
		return needMore
	}
	if b[2] < 5 || !linkFunction(b[3]) || crc(b[:8]) != binary.LittleEndian.Uint16(b[8:]) {
		return notHere
	}
	return here
}

// linkFunction reports whether the control octet names a defined link
// function (IEEE 1815-2012 §9.2.4.1.3): from a primary station reset link
// states (0), test link states (2), confirmed or unconfirmed user data
// (3, 4), request link status (9); from a secondary ACK (0), NACK (1),
// link status (11), not supported (15).
func linkFunction(ctrl byte) bool {
	f := ctrl & 0x0F
	if ctrl&0x40 != 0 {
		return f == 0 || f == 2 || f == 3 || f == 4 || f == 9
	}
	return f == 0 || f == 1 || f == 11 || f == 15
}
