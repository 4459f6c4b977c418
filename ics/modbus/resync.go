package modbus

import (
	"encoding/binary"
	"strings"

	"harborwatch/proto"
)

// Resynchronisation (proto.Resyncer). After a gap in a direction — a hole
// the reassembly skipped, a framing error, a flow first seen midway — the
// next bytes need not start on an ADU boundary. Feed then skips to the
// first offset where an MBAP header plausibly starts (boundary): protocol
// id 0, a length of 2 to 254 (a UMAS frame up to maxUMASLen), and a
// function code the specification or a vendor defines, or its exception
// (length 3). When the whole ADU is there and more bytes follow, they
// must carry protocol id 0 too.

// plausibleFC marks the function codes an ADU plausibly carries: those
// named (funcNames) and the user-defined ranges of §5 (65-72, 100-110).
var plausibleFC = func() (t [128]bool) {
	for fc, n := range funcNames {
		t[fc] = !strings.HasPrefix(n, "unknown-")
	}
	for fc := 65; fc <= 72; fc++ {
		t[fc] = true
	}
	for fc := 100; fc <= 110; fc++ {
		t[fc] = true
	}
	return t
}()

// Gap implements proto.Resyncer: the direction's next Feed resynchronises.
func (a *Analyzer) Gap(fromClient bool) { a.lost[dirIndex(fromClient)] = true }

// Resyncs implements proto.Resyncer.
func (a *Analyzer) Resyncs() proto.Resync { return a.resync }

var _ proto.Resyncer = (*Analyzer)(nil)

func dirIndex(fromClient bool) int {
	if fromClient {
		return 0
	}
	return 1
}

// Verdicts of boundary (proto.Seek).
const (
	notHere  = proto.NotHere
	here     = proto.Here
	needMore = proto.NeedMore
)

// seek returns the offset of the first plausible MBAP header in b and
// whether one was found; when not, bytes from the offset on may still
// start one and wait for more.
func seek(b []byte) (int, bool) { return proto.Seek(b, -1, boundary) }

// boundary judges whether an ADU plausibly starts at b[0].
func boundary(b []byte) int {
	if len(b) >= 4 && (b[2] != 0 || b[3] != 0) {
		return notHere
	}
	if len(b) < mbapLen+1 {
		return needMore
	}
	l := int(binary.BigEndian.Uint16(b[4:]))
	fc := b[mbapLen]
	switch {
	case fc&^exceptionBit == UMAS && l >= 2 && l <= maxUMASLen:
	case l < 2 || l > maxLength || !plausibleFC[fc&^exceptionBit]:
		return notHere
	case fc&exceptionBit != 0 && l != 3:
		return notHere
	}
	if end := 6 + l; len(b) >= end+4 && (b[end+2] != 0 || b[end+3] != 0) {
		return notHere
	}
	return here
}
