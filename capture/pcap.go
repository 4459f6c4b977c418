package capture

import "io"

// The pcap format, as described in draft-ietf-opsawg-pcap ("PCAP Capture
// File Format"): a 24-byte file header (section 4) followed by packet
// records, each a 16-byte header and the captured bytes (section 5),
// unpadded. All header fields are in the byte order of the writer, told
// apart by the magic number (section 4.1).

const (
	pcapFileHeaderLen   = 24
	pcapRecordHeaderLen = 16

	// linkTypeMask keeps the LinkType of the "LinkType and additional
	// information" field (section 4, figure 2); the upper bits carry the
	// FCS length and reserved bits.
	linkTypeMask = 0xffff
)

// pcapReader reads a pcap file.
type pcapReader struct {
	file
	nanos bool     // fraction field is nanoseconds (magic 0xa1b23c4d)
	link  LinkType // from the file header
	limit uint32   // largest plausible captured length
	hdr   [pcapRecordHeaderLen]byte
}

var _ Source = (*pcapReader)(nil)

// openPcap reads the file header; the magic has been recognised.
func openPcap(f file) (*pcapReader, error) {
	r := &pcapReader{file: f}
	h, err := r.fill(pcapFileHeaderLen)
	if err != nil {
		return nil, r.fail(0, err, errTruncFileHeader)
	}
	// Magic number (section 4.1): a1 b2 c3 d4 / a1 b2 3c 4d as stored by a
	// big-endian writer, the reverse by a little-endian one.
	r.be = h[0] == 0xa1
	r.nanos = r.u32(h[0:4]) == 0xa1b23c4d
	if major := r.u16(h[4:6]); major != 2 {
		return nil, r.damage(0, errPcapVersion)
	}
	// Reserved1 (thiszone) and Reserved2 (sigfigs) are ignored, as the
	// draft requires.
	snaplen := r.u32(h[16:20])
	r.link = LinkType(r.u32(h[20:24]) & linkTypeMask)
	r.limit = min(max(snaplen, defaultSnaplen), maxPacket)
	return r, nil
}

// Next reads the next packet record (section 5).
func (r *pcapReader) Next(p *Packet) error {
	if r.done {
		return io.EOF
	}
	start := r.off
	if err := r.read(r.hdr[:]); err != nil {
		if err == io.EOF { // input ends on a record boundary
			r.end()
			return io.EOF
		}
		return r.fail(start, err, errTruncRecordHeader)
	}
	sec := r.u32(r.hdr[0:4])
	frac := r.u32(r.hdr[4:8])
	incl := r.u32(r.hdr[8:12])
	orig := r.u32(r.hdr[12:16])
	if incl > r.limit {
		return r.damage(start, errRecordTooLong)
	}
	if incl > orig {
		return r.damage(start, errCapOverOrig)
	}
	data, err := r.fill(int(incl))
	if err != nil {
		return r.fail(start, err, errTruncRecordData)
	}
	ts := int64(sec) * 1e9
	if r.nanos {
		ts += int64(frac)
	} else {
		ts += int64(frac) * 1e3
	}
	r.n++
	*p = Packet{
		Data:    data[:len(data):len(data)], // appending must not reach into the buffer
		OrigLen: int(orig),
		TS:      ts,
		Link:    r.link,
		Number:  r.n,
		Offset:  start,
	}
	return nil
}
