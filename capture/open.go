package capture

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
)

const (
	// readBufSize is the bufio buffer in front of every file: 1 MiB makes
	// one read system call per several thousand packets (with 64 KiB the
	// calls took 12% of an analysis's CPU); merging hundreds of rotated
	// files costs 1 MiB each.
	readBufSize = 1 << 20
	// maxPacket is the hard cap on one packet's captured length. No link
	// type harborwatch decodes comes near it; a larger length is damage.
	maxPacket = 16 << 20
	// defaultSnaplen is what libpcap writes when no limit was asked for;
	// a pcap record up to this long is accepted whatever the header says.
	defaultSnaplen = 262144
)

// Open opens the capture file at path and returns a Source reading it. The
// format (pcap in either byte order with micro- or nanosecond timestamps,
// or pcapng) is recognised from the first bytes, not the file name.
//
// A file that is not a capture fails with an error wrapping ErrNotCapture
// that names the file and shows its first bytes (a directory: says so). A capture whose file
// header is damaged fails with a *DamageError. Close closes the file.
func Open(path string) (Source, error) {
	return OpenWith(path, Options{})
}

// OpenWith is Open with options.
func OpenWith(path string, o Options) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, &openError{name: path, what: "is a directory, not a capture file (pcap or pcapng)", err: ErrNotCapture}
	}
	src, err := newSource(f, path, f, o)
	if err != nil {
		f.Close()
		return nil, err
	}
	return src, nil
}

// NewReader returns a Source reading a capture from r, which need not
// support Seek; name is used in errors and by Name. It recognises the
// format as Open does. Close does not close r: the caller owns it.
func NewReader(r io.Reader, name string) (Source, error) {
	return newSource(r, name, nil, Options{})
}

// NewReaderWith is NewReader with options.
func NewReaderWith(r io.Reader, name string, o Options) (Source, error) {
	return newSource(r, name, nil, o)
}

// Options choose what a Source does besides reading packets. The zero
// value only reads packets.
type Options struct {
	// Hash computes the SHA-256 of the input as it is read, for SHA256.
	// The bytes are hashed once, as they move from the input into the
	// read buffer (a megabyte at a time, never per packet), so the file is
	// not read twice. Hashing costs CPU (several times what the reading
	// costs), hence it is off unless asked.
	//
	// The sum is of every byte of the input, from the first to the last:
	// when the Source stops at damage it still reads the rest of the input,
	// unparsed, into the hash, so the sum of a damaged or truncated file is
	// that of the file as it is on disk (what sha256sum prints).
	Hash bool
}

// SHA256 returns the SHA-256 of the input of s, a Source opened with
// Options.Hash, once s has read all of it: after Next has returned io.EOF
// or a *DamageError. ok is false for a Source opened without Hash, one not
// read to its end (closed early), one whose input failed with an I/O
// error, and for Sources that do not hash (a Merged: ask each source).
func SHA256(s Source) (sum [sha256.Size]byte, ok bool) {
	if h, ok := s.(interface {
		SHA256() ([sha256.Size]byte, bool)
	}); ok {
		return h.SHA256()
	}
	return sum, false
}

// hashReader hashes what it reads: it sits between the input and the
// bufio.Reader, so it is called once per buffer fill, not per packet.
type hashReader struct {
	r io.Reader
	h hash.Hash
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n]) // a hash.Hash never returns an error
	return n, err
}

// newSource sniffs the magic number and reads the file header.
func newSource(r io.Reader, name string, c io.Closer, o Options) (Source, error) {
	var hr *hashReader
	if o.Hash {
		hr = &hashReader{r: r, h: sha256.New()}
		r = hr
	}
	f := file{
		br:     bufio.NewReaderSize(r, readBufSize),
		name:   name,
		closer: c,
		hash:   hr,
	}
	magic, err := f.br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, &openError{name: name, what: err.Error(), err: err}
	}
	switch {
	case len(magic) == 0:
		return nil, &openError{name: name, what: "not a capture file (pcap or pcapng): file is empty", err: ErrNotCapture}
	case len(magic) < 4:
		what := fmt.Sprintf("not a capture file (pcap or pcapng): only %d bytes: % x", len(magic), magic)
		return nil, &openError{name: name, what: what, err: ErrNotCapture}
	}
	switch m := [4]byte(magic); m {
	case [4]byte{0x0a, 0x0d, 0x0d, 0x0a}:
		r, err := openPcapNG(f)
		if err != nil {
			return nil, err
		}
		return r, nil
	case [4]byte{0xd4, 0xc3, 0xb2, 0xa1}, [4]byte{0xa1, 0xb2, 0xc3, 0xd4},
		[4]byte{0x4d, 0x3c, 0xb2, 0xa1}, [4]byte{0xa1, 0xb2, 0x3c, 0x4d}:
		r, err := openPcap(f)
		if err != nil {
			return nil, err
		}
		return r, nil
	default:
		what := fmt.Sprintf("not a capture file (pcap or pcapng): starts with % x", magic)
		if m[0] == 0x1f && m[1] == 0x8b {
			what += " (gzip-compressed: decompress it first)"
		}
		return nil, &openError{name: name, what: what, err: ErrNotCapture}
	}
}

// file is what the pcap and pcapng readers share: the buffered input, the
// position in it, the packet count and the one reusable packet buffer.
type file struct {
	br     *bufio.Reader
	name   string
	closer io.Closer // nil when the caller owns the input
	off    int64     // bytes consumed from the input
	n      int64     // packets returned
	buf    []byte    // packet (or block) buffer; Packet.Data points into it
	done   bool      // an end, damage or I/O error has been returned
	be     bool      // headers are big-endian

	hash  *hashReader       // nil unless Options.Hash
	sum   [sha256.Size]byte // the input's SHA-256, once sumOK
	sumOK bool
}

func (f *file) u16(b []byte) uint16 {
	if f.be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (f *file) u32(b []byte) uint32 {
	if f.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (f *file) u64(b []byte) uint64 {
	if f.be {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// end ends the Source at the end of its input, or at damage. With
// Options.Hash the rest of the input (after damage) is read into the hash,
// through the read buffer, and the sum is taken.
func (f *file) end() {
	f.done = true
	if f.hash == nil || f.sumOK {
		return
	}
	for {
		if _, err := f.br.Discard(readBufSize); err != nil {
			if !errors.Is(err, io.EOF) {
				f.hash = nil // the input failed: its sum is unknown
				return
			}
			break
		}
	}
	f.hash.h.Sum(f.sum[:0])
	f.sumOK = true
}

// SHA256 returns the input's SHA-256 (see the package function SHA256).
func (f *file) SHA256() ([sha256.Size]byte, bool) { return f.sum, f.sumOK }

// Name returns the name given at Open or NewReader.
func (f *file) Name() string { return f.name }

// Close closes the file opened by Open; for NewReader it only ends the
// Source. Next returns io.EOF afterwards.
func (f *file) Close() error {
	f.done = true
	if f.closer == nil {
		return nil
	}
	c := f.closer
	f.closer = nil
	return c.Close()
}

// read fills b from the input, counting the bytes consumed.
func (f *file) read(b []byte) error {
	n, err := io.ReadFull(f.br, b)
	f.off += int64(n)
	return err
}

// fill reads the next n bytes into the reusable buffer and returns them.
// The buffer grows only when n exceeds its capacity, and then only as
// fast as bytes actually arrive, so a hostile length in a short input
// never causes a large allocation.
func (f *file) fill(n int) ([]byte, error) {
	have := 0
	for {
		if cap(f.buf) >= n {
			b := f.buf[:n]
			err := f.read(b[have:])
			return b, err
		}
		b := f.buf[:cap(f.buf)]
		if err := f.read(b[have:]); err != nil {
			return nil, err
		}
		have = len(b)
		grown := make([]byte, min(n, max(2*len(b), 4096)))
		copy(grown, b)
		f.buf = grown
	}
}

// skip discards the next n bytes of the input.
func (f *file) skip(n int) error {
	k, err := f.br.Discard(n)
	f.off += int64(k)
	return err
}

// damage ends the Source with a *DamageError at offset at.
func (f *file) damage(at int64, err error) error {
	f.end()
	return &DamageError{File: f.name, Offset: at, Packet: f.n + 1, Err: err}
}

// fail ends the Source after a failed read of the unit starting at at: a
// short read is damage of kind trunc, anything else an I/O error.
func (f *file) fail(at int64, err, trunc error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return f.damage(at, trunc)
	}
	f.done = true
	return fmt.Errorf("read %s at byte %d: %w", f.name, f.off, err)
}
