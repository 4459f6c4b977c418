package ring

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"

	"harborwatch/capture"
	"harborwatch/evidence"
)

// Defaults and bounds of Options.
const (
	DefaultSize  = 256 << 20
	DefaultBlock = 4 << 20
	// MinBlock is the smallest block: a packet of 64 KiB and more fits.
	MinBlock = 256 << 10
	// MaxSize is the largest ring: the index keeps offsets/8 in 31 bits.
	MaxSize = 16 << 30
	// headerLen is the size of a record's header in the file.
	headerLen = 32
	// claimed marks an index entry a Cut asked for.
	claimed = 1 << 31
)

// Options configure a Ring.
type Options struct {
	// Path is the ring file: made anew (an existing file is replaced) and
	// removed by Close.
	Path string
	// Size is the file's size in bytes (0 → DefaultSize), rounded down to
	// whole blocks; at least two blocks.
	Size int64
	// Block is the size of a block, written at once (0 → Size/16, at most
	// DefaultBlock; at least MinBlock, rounded down to a multiple of 8).
	Block int
	// Index bounds the packets indexed over all captures (0 → Size/128).
	Index int
	// Captures is how many captures are tapped (0 → 1): their indexes
	// share Index equally.
	Captures int
}

// Stats count what a Ring did.
type Stats struct {
	Packets uint64 // appended
	Bytes   uint64 // captured bytes appended
	// Held is how many packets the ring holds now.
	Held uint64
	// Evicted counts the packets pushed out of the ring; Overwritten
	// those of them no Cut had asked for.
	Evicted     uint64
	Overwritten uint64
	// Claimed counts packets a Cut found; Missing the packets a Cut asked
	// for and did not find (evicted, or never held).
	Claimed uint64
	Missing uint64
	// WriteErrors counts blocks the file could not take (their packets
	// are then reported missing by Cut).
	WriteErrors uint64
}

// Ring is a bounded file of recent packets with an index by capture and
// packet number.
type Ring struct {
	f      *os.File
	path   string
	size   int64 // whole blocks
	block  int
	blocks int

	mu     sync.Mutex
	mem    []byte // the block being filled
	cur    int    // its index in the file
	pos    int    // bytes of mem used
	idx    []index
	perCap int
	st     Stats
	err    error // the first write error
}

// index is one capture's window of packet numbers: entries[(head+i) %
// len] is the packet number lo+i, for i < n. An entry is the record's
// offset in the file / 8, with the claimed bit.
type index struct {
	entries []uint32
	head, n int
	lo      int64
}

// Ref names a packet: a capture's index (as given to Tap) and its
// 1-based packet number.
type Ref = evidence.Ref

// Open makes the ring file, preallocated to its size.
func Open(o Options) (*Ring, error) {
	if o.Path == "" {
		return nil, errors.New("ring: no file")
	}
	if o.Size <= 0 {
		o.Size = DefaultSize
	}
	if o.Block <= 0 {
		o.Block = int(min(DefaultBlock, o.Size/16))
	}
	o.Block = max(o.Block, MinBlock) &^ 7
	if o.Size > MaxSize {
		return nil, fmt.Errorf("ring: size %d over the largest, %d", o.Size, int64(MaxSize))
	}
	blocks := int(o.Size / int64(o.Block))
	if blocks < 2 {
		return nil, fmt.Errorf("ring: size %d: want at least two blocks of %d bytes", o.Size, o.Block)
	}
	if o.Captures <= 0 {
		o.Captures = 1
	}
	size := int64(blocks) * int64(o.Block)
	if o.Index <= 0 {
		o.Index = int(size / 128)
	}
	per := max(o.Index/o.Captures, 16)
	// Made anew: never through a link planted at the name.
	if fi, err := os.Lstat(o.Path); err == nil && !fi.IsDir() {
		if err := os.Remove(o.Path); err != nil {
			return nil, fmt.Errorf("ring: %w", err)
		}
	}
	f, err := os.OpenFile(o.Path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ring: %w", err)
	}
	if err := preallocate(f, size); err != nil {
		f.Close()
		os.Remove(o.Path)
		return nil, fmt.Errorf("ring: preallocate %d bytes for %s: %w", size, o.Path, err)
	}
	r := &Ring{f: f, path: o.Path, size: size, block: o.Block, blocks: blocks, mem: make([]byte, o.Block), perCap: per}
	r.idx = make([]index, o.Captures)
	for i := range r.idx {
		r.idx[i].entries = make([]uint32, per)
	}
	return r, nil
}

// Path is the ring file.
func (r *Ring) Path() string { return r.path }

// Size is the ring file's size in bytes.
func (r *Ring) Size() int64 { return r.size }

// Close removes the ring file.
func (r *Ring) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	if rerr := os.Remove(r.path); err == nil {
		err = rerr
	}
	return err
}

// Reset evicts every packet (counted as Append would) and makes the ring
// ready for a new run of captures captures, whose packet numbers start
// again.
func (r *Ring) Reset(captures int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.idx {
		for r.idx[c].n > 0 {
			r.evictOldest(c)
		}
	}
	captures = max(captures, 1)
	if captures != len(r.idx) {
		per := max(len(r.idx)*r.perCap/captures, 16)
		r.idx = make([]index, captures)
		for i := range r.idx {
			r.idx[i].entries = make([]uint32, per)
		}
		r.perCap = per
	}
}

// Err returns the first error writing the file.
func (r *Ring) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Stats returns the ring's counts.
func (r *Ring) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.Held = 0
	for c := range r.idx {
		st.Held += uint64(r.idx[c].n)
	}
	return st
}

// Append copies p into the ring as packet p.Number of capture c. It
// allocates nothing. A packet whose number does not follow the capture's
// last one starts the capture's window again (the packets before are
// evicted); a capture index out of range, or a packet larger than a
// block, is not kept.
func (r *Ring) Append(c int, p *capture.Packet) {
	need := (headerLen + len(p.Data) + 7) &^ 7
	r.mu.Lock()
	defer r.mu.Unlock()
	if c < 0 || c >= len(r.idx) || need > r.block || p.Number < 1 {
		return
	}
	if r.pos+need > r.block {
		r.flush()
	}
	x := &r.idx[c]
	if x.n > 0 && p.Number != x.lo+int64(x.n) {
		for x.n > 0 {
			r.evictOldest(c)
		}
	}
	if x.n == len(x.entries) {
		r.evictOldest(c)
	}
	if x.n == 0 {
		x.lo, x.head = p.Number, 0
	}
	b := r.mem[r.pos : r.pos+need]
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(c))
	le.PutUint32(b[4:], uint32(len(p.Data)))
	le.PutUint32(b[8:], uint32(p.OrigLen))
	le.PutUint32(b[12:], uint32(p.Link))
	le.PutUint64(b[16:], uint64(p.Number))
	le.PutUint64(b[24:], uint64(p.TS))
	n := copy(b[headerLen:], p.Data)
	clear(b[headerLen+n:])
	off := int64(r.cur)*int64(r.block) + int64(r.pos)
	x.entries[(x.head+x.n)%len(x.entries)] = uint32(off / 8)
	x.n++
	r.pos += need
	r.st.Packets++
	r.st.Bytes += uint64(len(p.Data))
}

// flush writes the block in memory to the file and starts the next one,
// evicting the packets it held. r.mu is held.
func (r *Ring) flush() {
	if r.f != nil {
		if _, err := r.f.WriteAt(r.mem[:r.pos], int64(r.cur)*int64(r.block)); err != nil {
			r.st.WriteErrors++
			if r.err == nil {
				r.err = fmt.Errorf("ring: write %s: %w", r.path, err)
			}
		}
	}
	r.cur = (r.cur + 1) % r.blocks
	r.pos = 0
	// The packets of block cur are every capture's oldest: their window
	// of numbers begins there.
	for c := range r.idx {
		x := &r.idx[c]
		for x.n > 0 && int(int64(x.entries[x.head]&^claimed)*8/int64(r.block)) == r.cur {
			r.evictOldest(c)
		}
	}
}

// evictOldest drops capture c's oldest packet. r.mu is held.
func (r *Ring) evictOldest(c int) {
	x := &r.idx[c]
	if x.entries[x.head]&claimed == 0 {
		r.st.Overwritten++
	}
	r.st.Evicted++
	x.head = (x.head + 1) % len(x.entries)
	x.n--
	x.lo++
}

// lookup returns the index entry of packet ref, or false. r.mu is held.
func (r *Ring) lookup(ref Ref) (*uint32, bool) {
	if ref.File < 0 || ref.File >= len(r.idx) {
		return nil, false
	}
	x := &r.idx[ref.File]
	i := ref.Number - x.lo
	if x.n == 0 || i < 0 || i >= int64(x.n) {
		return nil, false
	}
	return &x.entries[(x.head+int(i))%len(x.entries)], true
}

// Cut copies the packets refs name out of the ring, in the order refs
// lists them, and marks them claimed; a packet the ring no longer holds
// (or never held) is returned in missing instead. The packets are the
// caller's.
func (r *Ring) Cut(refs []Ref) (pkts []evidence.Packet, missing []Ref) {
	type slot struct {
		off  int64
		ok   bool
		pkt  evidence.Packet
		file bool // to be read from the file
	}
	slots := make([]slot, len(refs))
	r.mu.Lock()
	for i, ref := range refs {
		e, ok := r.lookup(ref)
		if !ok {
			continue
		}
		*e |= claimed
		off := int64(*e&^claimed) * 8
		s := &slots[i]
		s.off, s.ok = off, true
		if int(off/int64(r.block)) == r.cur {
			at := int(off % int64(r.block))
			s.pkt, s.ok = parse(r.mem[at:r.pos], ref)
		} else {
			s.file = true
		}
	}
	f := r.f
	r.mu.Unlock()

	// The file is read without the lock; what was read counts only if
	// the packet is still held afterwards (its block not started again,
	// so not overwritten).
	var head [headerLen]byte
	for i, ref := range refs {
		s := &slots[i]
		if !s.file {
			continue
		}
		s.ok = false
		if f == nil {
			continue
		}
		if _, err := f.ReadAt(head[:], s.off); err != nil {
			continue
		}
		caplen := binary.LittleEndian.Uint32(head[4:])
		if int64(caplen) > int64(r.block)-headerLen {
			continue
		}
		buf := make([]byte, headerLen+int(caplen))
		copy(buf, head[:])
		if _, err := f.ReadAt(buf[headerLen:], s.off+headerLen); err != nil {
			continue
		}
		s.pkt, s.ok = parse(buf, ref)
	}
	r.mu.Lock()
	for i, ref := range refs {
		s := &slots[i]
		if s.file && s.ok {
			if e, ok := r.lookup(ref); !ok || int64(*e&^claimed)*8 != s.off {
				s.ok = false
			}
		}
		if s.ok {
			pkts = append(pkts, s.pkt)
			r.st.Claimed++
		} else {
			missing = append(missing, ref)
			r.st.Missing++
		}
	}
	r.mu.Unlock()
	return pkts, missing
}

// parse reads the record at the start of b, which must be packet ref, and
// copies its bytes.
func parse(b []byte, ref Ref) (evidence.Packet, bool) {
	if len(b) < headerLen {
		return evidence.Packet{}, false
	}
	le := binary.LittleEndian
	caplen := le.Uint32(b[4:])
	if int(le.Uint32(b[0:])) != ref.File || int64(le.Uint64(b[16:])) != ref.Number || uint64(caplen) > uint64(len(b)-headerLen) {
		return evidence.Packet{}, false
	}
	data := make([]byte, caplen)
	copy(data, b[headerLen:])
	return evidence.Packet{Data: data, OrigLen: int(le.Uint32(b[8:])), Link: capture.LinkType(le.Uint32(b[12:])), TS: int64(le.Uint64(b[24:]))}, true
}

// Tap returns src with every packet it yields appended to the ring as a
// packet of capture c (its index in the run, as evidence refs name it).
func (r *Ring) Tap(c int, src capture.Source) capture.Source {
	return &tap{Source: src, r: r, c: c}
}

type tap struct {
	capture.Source
	r *Ring
	c int
}

func (t *tap) Next(p *capture.Packet) error {
	err := t.Source.Next(p)
	if err == nil {
		t.r.Append(t.c, p)
	}
	return err
}
