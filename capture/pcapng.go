package capture

import (
	"io"
	"math/bits"
)

// The pcapng format, as described in draft-ietf-opsawg-pcapng ("PCAP Now
// Generic (pcapng) Capture File Format"). A file is a sequence of blocks
// (section 3.1): type, total length, body padded to 32 bits, and the total
// length again. Sections (3.4) start with a Section Header Block whose
// byte-order magic sets the byte order of every block up to the next
// section; interfaces are numbered from 0 within each section.

// Block types (section 10.1).
const (
	blockSHB = 0x0a0d0d0a // Section Header Block, 4.1 (a palindrome: same in both byte orders)
	blockIDB = 0x00000001 // Interface Description Block, 4.2
	blockPB  = 0x00000002 // Packet Block, appendix A (obsolete)
	blockSPB = 0x00000003 // Simple Packet Block, 4.4
	blockEPB = 0x00000006 // Enhanced Packet Block, 4.3
)

const (
	byteOrderMagic = 0x1a2b3c4d // SHB byte-order magic (4.1)

	// Smallest total length of each block we read: 12 bytes of framing
	// plus the fixed fields of the body.
	minSHB = 28 // magic, versions, section length
	minIDB = 20 // link type, reserved, snaplen
	minEPB = 32 // interface, timestamp, captured and original length
	minPB  = 32 // interface, drops, timestamp, captured and original length
	minSPB = 16 // original length

	// maxBlock caps a block's total length: the largest packet plus room
	// for options. Anything longer is taken as damage, not read.
	maxBlock = maxPacket + 1<<16
	// maxIfaces caps the interfaces of one section, so that a hostile file
	// cannot make the interface table grow without bound.
	maxIfaces = 1 << 16

	// Options (3.5) and IDB options (4.2) that change how packets read.
	optEndOfOpt = 0
	optTSResol  = 9
	optTSOffset = 14
)

// iface is what an Interface Description Block says about its packets.
type iface struct {
	link    LinkType
	snaplen uint32 // 0: no limit
	units   uint64 // timestamp units per second (if_tsresol; default 10^6)
	scale   uint64 // nanoseconds per unit when units divides 10^9, else 0
	offset  int64  // if_tsoffset, in nanoseconds
}

// nanos converts a block timestamp in the interface's units to
// nanoseconds since the epoch. Values outside int64 wrap; they never panic.
func (ifc *iface) nanos(ts uint64) int64 {
	if ifc.scale != 0 {
		return int64(ts*ifc.scale) + ifc.offset
	}
	sec, frac := ts/ifc.units, ts%ifc.units
	hi, lo := bits.Mul64(frac, 1e9)
	sub, _ := bits.Div64(hi, lo, ifc.units) // hi < units since frac < units
	return int64(sec)*1e9 + int64(sub) + ifc.offset
}

// tsUnits decodes if_tsresol (4.2): with the top bit clear the rest is a
// negative power of 10, with it set a negative power of 2. Resolutions
// finer than a uint64 count per second can hold are refused.
func tsUnits(v byte) (uint64, bool) {
	if v&0x80 != 0 {
		e := v & 0x7f
		if e > 63 {
			return 0, false
		}
		return 1 << e, true
	}
	if v > 19 {
		return 0, false
	}
	u := uint64(1)
	for range v {
		u *= 10
	}
	return u, true
}

// ngReader reads a pcapng file.
type ngReader struct {
	file
	skipping bool    // the section's major version is not 1: skip to the next section (3.4)
	ifaces   []iface // interfaces of the current section, by ID
	lastTS   int64   // timestamp of the last packet, for Simple Packet Blocks
	hdr      [12]byte
}

var _ Source = (*ngReader)(nil)

// openPcapNG reads the first Section Header Block; the block type has been
// recognised.
func openPcapNG(f file) (*ngReader, error) {
	r := &ngReader{file: f}
	if err := r.read(r.hdr[:8]); err != nil {
		return nil, r.fail(0, err, errTruncFileHeader)
	}
	if err := r.section(0); err != nil {
		return nil, err
	}
	return r, nil
}

// Next reads blocks until one holds a packet.
func (r *ngReader) Next(p *Packet) error {
	for !r.done {
		start := r.off
		if err := r.read(r.hdr[:8]); err != nil {
			if err == io.EOF { // input ends on a block boundary
				r.end()
				return io.EOF
			}
			return r.fail(start, err, errTruncBlockHeader)
		}
		typ := r.u32(r.hdr[0:4])
		if typ == blockSHB {
			if err := r.section(start); err != nil {
				return err
			}
			continue
		}
		length := r.u32(r.hdr[4:8])
		if length < 12 || length%4 != 0 || length > maxBlock {
			return r.damage(start, errBlockLength)
		}
		var least uint32
		switch {
		case r.skipping:
		case typ == blockIDB:
			least = minIDB
		case typ == blockEPB:
			least = minEPB
		case typ == blockPB:
			least = minPB
		case typ == blockSPB:
			least = minSPB
		}
		if least == 0 {
			// Name resolution, interface statistics, decryption secrets,
			// custom, local and unknown blocks carry no packets (3.1:
			// a parser "can simply ignore their content").
			if err := r.skipBlock(start, length); err != nil {
				return err
			}
			continue
		}
		if length < least {
			return r.damage(start, errBlockShort)
		}
		body, err := r.body(start, length, 8)
		if err != nil {
			return err
		}
		switch typ {
		case blockIDB:
			if err := r.addIface(start, body); err != nil {
				return err
			}
		case blockEPB:
			// 4.3: Interface ID (32 bits), then timestamp and lengths.
			return r.packet(start, p, r.u32(body[0:4]), body[4:])
		case blockPB:
			// Appendix A: Interface ID (16 bits) and Drops Count (16
			// bits), then the same fields as an EPB.
			return r.packet(start, p, uint32(r.u16(body[0:2])), body[4:])
		case blockSPB:
			return r.simple(start, p, body)
		}
	}
	return io.EOF
}

// section reads a Section Header Block (4.1) whose first 8 bytes are in
// r.hdr. The byte-order magic sets the byte order of the new section, and
// the section's interfaces start afresh.
func (r *ngReader) section(start int64) error {
	if err := r.read(r.hdr[8:12]); err != nil {
		return r.fail(start, err, errTruncBlock)
	}
	switch [4]byte(r.hdr[8:12]) {
	case [4]byte{0x4d, 0x3c, 0x2b, 0x1a}:
		r.be = false
	case [4]byte{0x1a, 0x2b, 0x3c, 0x4d}:
		r.be = true
	default:
		return r.damage(start, errByteOrder)
	}
	length := r.u32(r.hdr[4:8])
	if length < minSHB || length%4 != 0 || length > maxBlock {
		return r.damage(start, errBlockLength)
	}
	body, err := r.body(start, length, 12)
	if err != nil {
		return err
	}
	// Major Version 1 is the only one defined; a section of any other
	// version is skipped up to the next Section Header Block (3.4). The
	// Section Length is advisory and not used.
	r.skipping = r.u16(body[0:2]) != 1
	r.ifaces = r.ifaces[:0]
	return nil
}

// body reads the rest of a block of total length length, of which
// consumed bytes have been read, checks the trailing length and returns
// the remaining body.
func (r *ngReader) body(start int64, length uint32, consumed int) ([]byte, error) {
	need := int(length) - consumed
	b, err := r.fill(need)
	if err != nil {
		return nil, r.fail(start, err, errTruncBlock)
	}
	if r.u32(b[need-4:]) != length {
		return nil, r.damage(start, errTrailer)
	}
	return b[:need-4], nil
}

// skipBlock discards a block's body without reading it into memory and
// checks its trailing length.
func (r *ngReader) skipBlock(start int64, length uint32) error {
	if err := r.skip(int(length) - 12); err != nil {
		return r.fail(start, err, errTruncBlock)
	}
	if err := r.read(r.hdr[8:12]); err != nil {
		return r.fail(start, err, errTruncBlock)
	}
	if r.u32(r.hdr[8:12]) != length {
		return r.damage(start, errTrailer)
	}
	return nil
}

// addIface reads an Interface Description Block body (4.2): LinkType (16
// bits), Reserved (16 bits), SnapLen (32 bits), options.
func (r *ngReader) addIface(start int64, body []byte) error {
	if len(r.ifaces) >= maxIfaces {
		return r.damage(start, errTooManyIfaces)
	}
	ifc := iface{
		link:    LinkType(r.u16(body[0:2])),
		snaplen: r.u32(body[4:8]),
		units:   1e6,
		scale:   1e3,
	}
	// Options (3.5): code (16 bits), length (16 bits), value padded to 32
	// bits; opt_endofopt ends the list, as does the end of the block.
	for opts := body[8:]; len(opts) >= 4; {
		code, n := r.u16(opts[0:2]), int(r.u16(opts[2:4]))
		if code == optEndOfOpt {
			break
		}
		if 4+n > len(opts) {
			return r.damage(start, errOption)
		}
		v := opts[4 : 4+n]
		switch code {
		case optTSResol:
			units, ok := uint64(0), false
			if n == 1 {
				units, ok = tsUnits(v[0])
			}
			if !ok {
				return r.damage(start, errTSResol)
			}
			ifc.units, ifc.scale = units, 0
			if 1e9%units == 0 {
				ifc.scale = 1e9 / units
			}
		case optTSOffset:
			// A signed number of seconds added to every timestamp.
			if n != 8 {
				return r.damage(start, errTSOffset)
			}
			ifc.offset = int64(r.u64(v)) * 1e9
		}
		opts = opts[min(len(opts), 4+(n+3)&^3):]
	}
	r.ifaces = append(r.ifaces, ifc)
	return nil
}

// packet fills p from an Enhanced (4.3) or obsolete (appendix A) Packet
// Block. rest starts at the timestamp: Timestamp (upper and lower 32
// bits), Captured Packet Length, Original Packet Length, Packet Data
// padded to 32 bits, options.
func (r *ngReader) packet(start int64, p *Packet, id uint32, rest []byte) error {
	if uint64(id) >= uint64(len(r.ifaces)) {
		return r.damage(start, errNoIface)
	}
	ifc := &r.ifaces[id]
	caplen := r.u32(rest[8:12])
	orig := r.u32(rest[12:16])
	if caplen > uint32(len(rest)-16) {
		return r.damage(start, errBlockCapLen)
	}
	if caplen > orig {
		return r.damage(start, errCapOverOrig)
	}
	ts := ifc.nanos(uint64(r.u32(rest[0:4]))<<32 | uint64(r.u32(rest[4:8])))
	r.lastTS = ts
	r.n++
	*p = Packet{
		Data:    rest[16 : 16+caplen : 16+caplen],
		OrigLen: int(orig),
		TS:      ts,
		Link:    ifc.link,
		Iface:   int(id),
		Number:  r.n,
		Offset:  start,
	}
	return nil
}

// simple fills p from a Simple Packet Block (4.4): Original Packet Length,
// then the packet data. It belongs to interface 0; its captured length is
// the original length cut to that interface's SnapLen. It has no
// timestamp: the packet takes the timestamp of the packet before it.
func (r *ngReader) simple(start int64, p *Packet, body []byte) error {
	if len(r.ifaces) == 0 {
		return r.damage(start, errNoIface)
	}
	ifc := &r.ifaces[0]
	orig := r.u32(body[0:4])
	caplen := orig
	if ifc.snaplen != 0 && caplen > ifc.snaplen {
		caplen = ifc.snaplen
	}
	if caplen > uint32(len(body)-4) {
		return r.damage(start, errBlockCapLen)
	}
	r.n++
	*p = Packet{
		Data:    body[4 : 4+caplen : 4+caplen],
		OrigLen: int(orig),
		TS:      r.lastTS,
		Link:    ifc.link,
		Number:  r.n,
		Offset:  start,
	}
	return nil
}
