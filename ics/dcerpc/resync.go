package dcerpc

import "harborwatch/proto"

// Resynchronisation (proto.Resyncer). After a gap in a direction of a TCP
// connection — a hole the reassembly skipped, a framing error, a
// connection first seen midway (a DCOM connection lasts for hours) — the
// next bytes need not start on a PDU boundary. Feed then skips to the
// first offset where a connection-oriented header plausibly starts
// (boundary): version 5.0 or 5.1, a packet type of the connection-oriented
// protocol, a data representation with its reserved octets zero, a
// fragment length that holds the header and its auth trailer; when the
// whole PDU is there and a header's worth of bytes follows, those must
// start a header too. The call being joined in that direction lost a
// piece: it is given up.

// Gap implements proto.Resyncer: the direction's next Feed resynchronises.
func (a *Analyzer) Gap(fromClient bool) {
	d := dirIndex(fromClient)
	a.lost[d] = true
	if a.joins[d].active {
		a.joins[d].active = false
		a.joinStats.Lost++
	}
}

// Resyncs implements proto.Resyncer.
func (a *Analyzer) Resyncs() proto.Resync { return a.resync }

var _ proto.Resyncer = (*Analyzer)(nil)

// dirIndex is the side of a direction: requests go from the client, the
// join of side 0; responses from the server, side 1.
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

// seek returns the offset of the first plausible PDU header in b and
// whether one was found; when not, bytes from the offset on may still
// start one and wait for more.
func seek(b []byte) (int, bool) { return proto.Seek(b, -1, boundary) }

// boundary judges whether a PDU plausibly starts at b[0].
func boundary(b []byte) int {
	if b[0] != 5 || (len(b) > 1 && b[1] > 1) || (len(b) > 2 && !coType(b[2])) {
		return notHere
	}
	if len(b) < headerLen {
		return needMore
	}
	if b[6] != 0 || b[7] != 0 || validHeader(b) != nil {
		return notHere
	}
	fl := int(order(b[4]).Uint16(b[8:]))
	if len(b) >= fl+headerLen {
		if next := b[fl:]; next[0] != 5 || next[1] > 1 || !coType(next[2]) || validHeader(next) != nil {
			return notHere
		}
	}
	return here
}

// coType reports whether t is a packet type of the connection-oriented
// protocol.
func coType(t uint8) bool {
	switch t {
	case TypeRequest, TypeResponse, TypeFault, TypeBind, TypeBindAck, TypeBindNak,
		TypeAlterContext, TypeAlterContextResp, TypeAuth3, TypeShutdown, TypeCancel, TypeOrphaned:
		return true
	}
	return false
}
