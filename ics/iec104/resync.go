package iec104

import "harborwatch/proto"

// Resynchronisation (proto.Resyncer). After a gap in a direction — a hole
// the reassembly skipped, a framing error, a flow first seen midway — the
// next bytes need not start on an APDU boundary, and a start byte 0x68
// inside the rest of a cut APDU would frame garbage. Feed then skips to
// the first offset where an APDU plausibly starts (boundary), counting
// what it skips as the resynchronisation's, not as a prefix: a start byte
// and a length of 4 to 253; with length 4 an S-format control field (0x01
// 0x00, an even receive sequence octet) or a U-format one (one function
// bit, then three zero octets); longer, an I-format control field (both
// sequence numbers' low bits clear) and an ASDU of a named type
// identification with at least one object, a cause of transmission that
// is not 0, and for a type of known size objects that fill it exactly.
// When the whole APDU is there and more bytes follow, the next one must
// be a start byte.

// Gap implements proto.Resyncer: the direction's next Feed resynchronises.
func (a *Analyzer) Gap(fromClient bool) {
	d := dirIndex(fromClient)
	a.lost[d] = true
	a.junk[d] = 0
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

// seek returns the offset of the first plausible APDU in b and whether
// one was found; when not, bytes from the offset on may still start one
// and wait for more.
func seek(b []byte) (int, bool) { return proto.Seek(b, startByte, boundary) }

// boundary judges whether an APDU plausibly starts at b[0] (a start
// byte).
func boundary(b []byte) int {
	if len(b) < 2 {
		return needMore
	}
	l := int(b[1])
	if l < apciLen || l > maxLength {
		return notHere
	}
	if len(b) < 2+l {
		return needMore
	}
	c := b[2:6]
	switch {
	case l == apciLen && c[0] == 0x01:
		if c[1] != 0 || c[2]&1 != 0 {
			return notHere
		}
	case l == apciLen && c[0]&3 == 3:
		if f := c[0] >> 2; f&(f-1) != 0 || c[1] != 0 || c[2] != 0 || c[3] != 0 {
			return notHere
		}
	case l > apciLen && c[0]&1 == 0:
		if c[2]&1 != 0 || !plausibleASDU(b[6:2+l]) {
			return notHere
		}
	default:
		return notHere
	}
	if len(b) > 2+l && b[2+l] != startByte {
		return notHere
	}
	return here
}

// plausibleASDU reports whether d reads as an ASDU the analyzer would
// take for well-formed.
func plausibleASDU(d []byte) bool {
	if len(d) < asduHead+ioaLen {
		return false
	}
	t := types[d[0]]
	n := int(d[1] & 0x7F)
	if t.class == classUnknown || n == 0 || d[2]&0x3F == 0 {
		return false
	}
	if t.size < 0 {
		return true
	}
	body, size := len(d)-asduHead, int(t.size)
	if d[1]&0x80 != 0 {
		return body == ioaLen+n*size
	}
	return body == n*(ioaLen+size)
}
