package enip

import (
	"encoding/binary"

	"harborwatch/proto"
)

// Resynchronisation (proto.Resyncer). After a gap in a direction — a hole
// the reassembly skipped, a framing error, a flow first seen midway — the
// next bytes need not start on an encapsulation header. Feed then skips to
// the first offset where one plausibly starts (boundary): a command CIP
// Vol. 2 Table 2-3.2 defines (not NOP, whose all-zero header any run of
// zeros would match), zero options, a status below 0x100 (Table 2-3.3);
// for SendRRData and SendUnitData a length that holds the interface
// handle (0), the timeout and a Common Packet Format of 1 to maxItems
// items. When the whole PDU is there and more bytes follow, they must
// start with a defined command too.

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

// seek returns the offset of the first plausible encapsulation header in b
// and whether one was found; when not, bytes from the offset on may still
// start one and wait for more.
func seek(b []byte) (int, bool) { return proto.Seek(b, -1, boundary) }

// boundary judges whether an encapsulation PDU plausibly starts at b[0].
func boundary(b []byte) int {
	if len(b) >= 2 {
		if c := binary.LittleEndian.Uint16(b); c == cmdNOP {
			return notHere
		} else if _, ok := commandName(c); !ok {
			return notHere
		}
	}
	if len(b) < headerLen {
		return needMore
	}
	cmd := binary.LittleEndian.Uint16(b)
	l := int(binary.LittleEndian.Uint16(b[2:]))
	if binary.LittleEndian.Uint32(b[20:]) != 0 || binary.LittleEndian.Uint32(b[8:]) >= 0x100 {
		return notHere
	}
	if cmd == cmdSendRRData || cmd == cmdSendUnitData {
		if l < cpfIfaceTimeout+2 {
			return notHere
		}
		if len(b) < headerLen+cpfIfaceTimeout+2 {
			return needMore
		}
		if n := binary.LittleEndian.Uint16(b[headerLen+cpfIfaceTimeout:]); binary.LittleEndian.Uint32(b[headerLen:]) != 0 || n == 0 || n > maxItems {
			return notHere
		}
	}
	if end := headerLen + l; len(b) >= end+2 {
		if c := binary.LittleEndian.Uint16(b[end:]); c == cmdNOP {
			return notHere
		} else if _, ok := commandName(c); !ok {
			return notHere
		}
	}
	return here
}
