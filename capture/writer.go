package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"math"
)

// Errors of the writers, for input they cannot write.
var (
	ErrBadLink      = errors.New("capture: link type out of range")
	ErrBadSnaplen   = errors.New("capture: snap length out of range")
	ErrBadTSResol   = errors.New("capture: timestamp resolution out of range (want 0 to 9)")
	ErrBadInterface = errors.New("capture: undefined interface")
	ErrBadTimestamp = errors.New("capture: timestamp out of range for the format")
	ErrBadLength    = errors.New("capture: original length shorter than data or too long")
)

// writeBufSize is the buffer the writers put in front of an io.Writer
// that is not already a *bufio.Writer.
const writeBufSize = 64 << 10

func buffered(w io.Writer) *bufio.Writer {
	if bw, ok := w.(*bufio.Writer); ok {
		return bw
	}
	return bufio.NewWriterSize(w, writeBufSize)
}

// zeros pads pcapng blocks to 32 bits.
var zeros [4]byte

// PcapWriter writes a little-endian pcap file (draft-ietf-opsawg-pcap).
// Output is buffered: call Flush when done. It does not allocate per
// packet. It is not safe for concurrent use.
type PcapWriter struct {
	w       *bufio.Writer
	snaplen int
	nanos   bool
	hdr     [pcapRecordHeaderLen]byte
}

// NewPcapWriter writes the file header to w and returns a writer for the
// records. snaplen 0 means 262144, libpcap's default; nanos chooses
// nanosecond timestamps (magic 0xa1b23c4d) over microseconds. If w is a
// *bufio.Writer it is used as is, otherwise it is wrapped in one.
func NewPcapWriter(w io.Writer, link LinkType, snaplen int, nanos bool) (*PcapWriter, error) {
	if link > linkTypeMask {
		return nil, ErrBadLink
	}
	if snaplen == 0 {
		snaplen = defaultSnaplen
	}
	if snaplen < 0 || snaplen > maxPacket {
		return nil, ErrBadSnaplen
	}
	pw := &PcapWriter{w: buffered(w), snaplen: snaplen, nanos: nanos}
	var h [pcapFileHeaderLen]byte
	magic := uint32(0xa1b2c3d4)
	if nanos {
		magic = 0xa1b23c4d
	}
	le := binary.LittleEndian
	le.PutUint32(h[0:4], magic)
	le.PutUint16(h[4:6], 2) // version 2.4
	le.PutUint16(h[6:8], 4)
	le.PutUint32(h[16:20], uint32(snaplen))
	le.PutUint32(h[20:24], uint32(link))
	if _, err := pw.w.Write(h[:]); err != nil {
		return nil, err
	}
	return pw, nil
}

// WritePacket writes one record: ts in nanoseconds since the epoch (from
// 1970 to 2106, cut to microseconds unless the writer is in nanoseconds),
// the captured data (cut to the snap length) and the length on the wire,
// which must be at least len(data).
func (pw *PcapWriter) WritePacket(ts int64, data []byte, origLen int) error {
	if ts < 0 || ts/1e9 > math.MaxUint32 {
		return ErrBadTimestamp
	}
	if origLen < len(data) || int64(origLen) > math.MaxUint32 {
		return ErrBadLength
	}
	if len(data) > pw.snaplen {
		data = data[:pw.snaplen]
	}
	frac := ts % 1e9
	if !pw.nanos {
		frac /= 1e3
	}
	le := binary.LittleEndian
	le.PutUint32(pw.hdr[0:4], uint32(ts/1e9))
	le.PutUint32(pw.hdr[4:8], uint32(frac))
	le.PutUint32(pw.hdr[8:12], uint32(len(data)))
	le.PutUint32(pw.hdr[12:16], uint32(origLen))
	if _, err := pw.w.Write(pw.hdr[:]); err != nil {
		return err
	}
	_, err := pw.w.Write(data)
	return err
}

// Flush writes any buffered data to the underlying writer.
func (pw *PcapWriter) Flush() error { return pw.w.Flush() }

// PcapNGWriter writes a little-endian pcapng file (draft-ietf-opsawg-pcapng)
// of one section: interfaces (Interface Description Blocks) and packets
// (Enhanced Packet Blocks). Output is buffered: call Flush when done. It
// does not allocate per packet. It is not safe for concurrent use.
type PcapNGWriter struct {
	w      *bufio.Writer
	ifaces []ngOut
	err    error // sticky: the first write error
	hdr    [28]byte
}

// ngOut is how packets of one interface are written.
type ngOut struct {
	snaplen int   // 0: no limit
	div     int64 // nanoseconds per timestamp unit
}

// NewPcapNGWriter writes a Section Header Block to w and returns a writer
// for the section. If w is a *bufio.Writer it is used as is, otherwise it
// is wrapped in one. A write error is returned by the next call.
func NewPcapNGWriter(w io.Writer) *PcapNGWriter {
	nw := &PcapNGWriter{w: buffered(w)}
	le := binary.LittleEndian
	h := nw.hdr[:minSHB]
	le.PutUint32(h[0:4], blockSHB)
	le.PutUint32(h[4:8], minSHB)
	le.PutUint32(h[8:12], byteOrderMagic)
	le.PutUint16(h[12:14], 1) // version 1.0
	le.PutUint16(h[14:16], 0)
	le.PutUint64(h[16:24], math.MaxUint64) // section length unknown (-1)
	le.PutUint32(h[24:28], minSHB)
	nw.write(h)
	return nw
}

func (nw *PcapNGWriter) write(b []byte) {
	if nw.err == nil {
		_, nw.err = nw.w.Write(b)
	}
}

// AddInterface writes an Interface Description Block and returns the new
// interface's ID for WritePacket. snaplen 0 means no limit. tsresol is
// the timestamp resolution as a negative power of 10, 0 (seconds) to 9
// (nanoseconds); it is written as the if_tsresol option.
func (nw *PcapNGWriter) AddInterface(link LinkType, snaplen int, tsresol uint8) (int, error) {
	if link > math.MaxUint16 {
		return 0, ErrBadLink
	}
	if snaplen < 0 || snaplen > maxPacket {
		return 0, ErrBadSnaplen
	}
	if tsresol > 9 {
		return 0, ErrBadTSResol
	}
	div := int64(1)
	for range 9 - tsresol {
		div *= 10
	}
	const length = minIDB + 8 + 4 // if_tsresol (padded) and opt_endofopt
	var b [length]byte
	le := binary.LittleEndian
	le.PutUint32(b[0:4], blockIDB)
	le.PutUint32(b[4:8], length)
	le.PutUint16(b[8:10], uint16(link))
	le.PutUint32(b[12:16], uint32(snaplen))
	le.PutUint16(b[16:18], optTSResol)
	le.PutUint16(b[18:20], 1)
	b[20] = tsresol
	le.PutUint32(b[28:32], length)
	nw.write(b[:])
	if nw.err != nil {
		return 0, nw.err
	}
	nw.ifaces = append(nw.ifaces, ngOut{snaplen: snaplen, div: div})
	return len(nw.ifaces) - 1, nil
}

// WritePacket writes an Enhanced Packet Block for interface iface: ts in
// nanoseconds since the epoch (cut to the interface's resolution, not
// before 1970), the captured data (cut to the interface's snap length)
// and the length on the wire, which must be at least len(data).
func (nw *PcapNGWriter) WritePacket(iface int, ts int64, data []byte, origLen int) error {
	if nw.err != nil {
		return nw.err
	}
	if iface < 0 || iface >= len(nw.ifaces) {
		return ErrBadInterface
	}
	out := nw.ifaces[iface]
	if ts < 0 {
		return ErrBadTimestamp
	}
	if origLen < len(data) || int64(origLen) > math.MaxUint32 {
		return ErrBadLength
	}
	if out.snaplen != 0 && len(data) > out.snaplen {
		data = data[:out.snaplen]
	}
	pad := -len(data) & 3
	length := uint32(minEPB + len(data) + pad)
	units := uint64(ts / out.div)
	le := binary.LittleEndian
	h := nw.hdr[:28]
	le.PutUint32(h[0:4], blockEPB)
	le.PutUint32(h[4:8], length)
	le.PutUint32(h[8:12], uint32(iface))
	le.PutUint32(h[12:16], uint32(units>>32))
	le.PutUint32(h[16:20], uint32(units))
	le.PutUint32(h[20:24], uint32(len(data)))
	le.PutUint32(h[24:28], uint32(origLen))
	nw.write(h)
	nw.write(data)
	nw.write(zeros[:pad])
	le.PutUint32(h[0:4], length)
	nw.write(h[0:4])
	return nw.err
}

// Flush writes any buffered data to the underlying writer.
func (nw *PcapNGWriter) Flush() error {
	if nw.err != nil {
		return nw.err
	}
	return nw.w.Flush()
}
