package spool

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ErrFull is returned by Append when the record does not fit in the
// queue's bound; the record is counted in Stats.Dropped.
var ErrFull = errors.New("spool: full")

// ErrClosed is returned by the methods of a closed Spool.
var ErrClosed = errors.New("spool: closed")

// MaxRecord is the largest record a Spool takes (and reads back: a
// length above it is damage).
const MaxRecord = 8 << 20

const header = 8 // length, CRC-32C

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Options configure a Spool. The zero value holds 256 MiB.
type Options struct {
	// Max bounds the bytes on disk (segments, headers included); 0 → 256
	// MiB. It cannot be below 64 KiB.
	Max int64
	// Segment is the size at which a segment file is closed and a new one
	// begun; 0 → Max/8, at most 8 MiB (and at least 16 KiB).
	Segment int64
}

// Stats count a Spool's records.
type Stats struct {
	Pending  int64  // records appended and not committed
	Bytes    int64  // bytes on disk, headers and records already read included
	Appended uint64 // records appended since Open
	Dropped  uint64 // records refused: they did not fit (ErrFull)
	Damaged  uint64 // damaged or torn records skipped, since Open
}

// pos is a place in the queue: a segment's number and a byte offset in it.
type pos struct {
	seg uint64
	off int64
}

type segment struct {
	n    uint64
	size int64 // bytes written (the last segment: flushed and buffered)
}

// Spool is a bounded on-disk FIFO queue of records.
type Spool struct {
	dir  string
	opts Options

	mu      sync.Mutex
	segs    []segment // oldest first; the last is written
	w       *os.File
	bw      *bufio.Writer
	cursor  pos   // the first record not committed
	peeked  []pos // the end of each record the last Read returned
	rf      *os.File
	rseg    uint64 // the segment rf reads
	total   int64
	stats   Stats
	closed  bool
	scratch [header]byte
}

// Open opens (or creates) the queue in dir. Records appended and not
// committed before are read again; a torn record at the end of the last
// segment is cut off and counted.
func Open(dir string, opts Options) (*Spool, error) {
	if opts.Max == 0 {
		opts.Max = 256 << 20
	}
	if opts.Max < 64<<10 {
		return nil, fmt.Errorf("spool: %d bytes is below the least bound of 64 KiB", opts.Max)
	}
	if opts.Segment <= 0 {
		opts.Segment = min(opts.Max/8, 8<<20)
	}
	opts.Segment = max(opts.Segment, 16<<10)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir, opts: opts}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		num, ok := strings.CutSuffix(name, ".seg")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		s.segs = append(s.segs, segment{n: n, size: fi.Size()})
	}
	slices.SortFunc(s.segs, func(a, b segment) int { return cmpU(a.n, b.n) })
	s.cursor = s.readCursor()
	// Segments wholly behind the cursor were committed: remove them.
	for len(s.segs) > 0 && s.segs[0].n < s.cursor.seg {
		os.Remove(s.path(s.segs[0].n))
		s.segs = s.segs[1:]
	}
	if len(s.segs) == 0 || s.segs[0].n > s.cursor.seg {
		// The cursor's segment is gone: start at the oldest one there is.
		s.cursor = pos{}
		if len(s.segs) > 0 {
			s.cursor.seg = s.segs[0].n
		}
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	if len(s.segs) == 0 {
		s.segs = append(s.segs, segment{n: max(s.cursor.seg, 1)})
		s.cursor = pos{seg: s.segs[0].n}
	}
	last := &s.segs[len(s.segs)-1]
	if s.w, err = os.OpenFile(s.path(last.n), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s.bw = bufio.NewWriterSize(s.w, 64<<10)
	for _, g := range s.segs {
		s.total += g.size
	}
	return s, nil
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Spool) path(n uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d.seg", n))
}

// readCursor reads DIR/cursor ("SEGMENT OFFSET"); a missing or damaged
// one is the start.
func (s *Spool) readCursor() pos {
	b, err := os.ReadFile(filepath.Join(s.dir, "cursor"))
	if err != nil {
		return pos{}
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		s.stats.Damaged++
		return pos{}
	}
	seg, err1 := strconv.ParseUint(f[0], 10, 64)
	off, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || off < 0 {
		s.stats.Damaged++
		return pos{}
	}
	return pos{seg: seg, off: off}
}

// check scans the records from the cursor to count those pending, and
// cuts a torn or damaged end off the last segment.
func (s *Spool) check() error {
	for i := range s.segs {
		g := &s.segs[i]
		if g.n < s.cursor.seg {
			continue
		}
		off := int64(0)
		if g.n == s.cursor.seg {
			off = min(s.cursor.off, g.size)
			if s.cursor.off > g.size {
				s.stats.Damaged++
				s.cursor.off = g.size
			}
		}
		f, err := os.Open(s.path(g.n))
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		end, n, bad := scan(f, off, g.size)
		f.Close()
		s.stats.Pending += n
		if bad {
			s.stats.Damaged++
			if i == len(s.segs)-1 {
				if err := os.Truncate(s.path(g.n), end); err != nil {
					return fmt.Errorf("spool: cut the torn end: %w", err)
				}
				g.size = end
			}
		}
	}
	return nil
}

// scan reads records from off to size; it returns the end of the last
// good record, how many there are, and whether damage stopped it.
func scan(r io.ReaderAt, off, size int64) (end, n int64, bad bool) {
	var h [header]byte
	buf := make([]byte, 0, 4096)
	for off < size {
		if size-off < header {
			return off, n, true
		}
		if _, err := r.ReadAt(h[:], off); err != nil {
			return off, n, true
		}
		l := int64(binary.BigEndian.Uint32(h[:4]))
		if l > MaxRecord || off+header+l > size {
			return off, n, true
		}
		buf = slices.Grow(buf[:0], int(l))[:l]
		if _, err := r.ReadAt(buf, off+header); err != nil {
			return off, n, true
		}
		if crc32.Checksum(buf, castagnoli) != binary.BigEndian.Uint32(h[4:]) {
			return off, n, true
		}
		off += header + l
		n++
	}
	return off, n, false
}

// Append adds a record at the end of the queue. It returns ErrFull, and
// counts the record dropped, when the queue's bound leaves no room.
func (s *Spool) Append(rec []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if len(rec) > MaxRecord {
		s.stats.Dropped++
		return fmt.Errorf("spool: a record of %d bytes is larger than %d: %w", len(rec), MaxRecord, ErrFull)
	}
	need := int64(header + len(rec))
	if s.total+need > s.opts.Max {
		s.stats.Dropped++
		return ErrFull
	}
	last := &s.segs[len(s.segs)-1]
	if last.size > 0 && last.size+need > s.opts.Segment {
		if err := s.rotate(); err != nil {
			return err
		}
		last = &s.segs[len(s.segs)-1]
	}
	binary.BigEndian.PutUint32(s.scratch[:4], uint32(len(rec)))
	binary.BigEndian.PutUint32(s.scratch[4:], crc32.Checksum(rec, castagnoli))
	if _, err := s.bw.Write(s.scratch[:]); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := s.bw.Write(rec); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	last.size += need
	s.total += need
	s.stats.Pending++
	s.stats.Appended++
	return nil
}

// rotate closes the written segment (synced) and begins the next.
func (s *Spool) rotate() error {
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := s.w.Sync(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.w.Close()
	n := s.segs[len(s.segs)-1].n + 1
	w, err := os.OpenFile(s.path(n), os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.w = w
	s.bw.Reset(w)
	s.segs = append(s.segs, segment{n: n})
	return nil
}

// Read returns up to n records (at most about maxBytes of them, but at
// least one) from the oldest end, without removing them: a later Read
// returns them again until Commit. The records are the caller's.
func (s *Spool) Read(n int, maxBytes int) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if err := s.bw.Flush(); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s.peeked = s.peeked[:0]
	var out [][]byte
	at := s.cursor
	bytes := 0
	for len(out) < n && (bytes < maxBytes || len(out) == 0) {
		i := s.segIndex(at.seg)
		if i < 0 {
			break
		}
		g := s.segs[i]
		if at.off >= g.size {
			if i == len(s.segs)-1 {
				break
			}
			at = pos{seg: s.segs[i+1].n}
			continue
		}
		rec, next, err := s.readAt(at, g.size)
		if err != nil {
			if !errors.Is(err, errDamaged) {
				return nil, err
			}
			if len(out) > 0 {
				break // hand on what comes before the damage first
			}
			// Damage at the head: it can never be delivered. Skip the
			// rest of the segment (the written one: cut it off there).
			s.stats.Damaged++
			if i == len(s.segs)-1 {
				s.cutLast(at.off)
				break
			}
			at = pos{seg: s.segs[i+1].n}
			s.cursor = at
			if err := s.writeCursor(); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, rec)
		s.peeked = append(s.peeked, next)
		bytes += len(rec)
		at = next
	}
	return out, nil
}

var errDamaged = errors.New("spool: damaged record")

// readAt reads the record at p in a segment of the given size.
func (s *Spool) readAt(p pos, size int64) ([]byte, pos, error) {
	if s.rf == nil || s.rseg != p.seg {
		if s.rf != nil {
			s.rf.Close()
		}
		f, err := os.Open(s.path(p.seg))
		if err != nil {
			s.rf = nil
			return nil, p, fmt.Errorf("spool: %w", err)
		}
		s.rf, s.rseg = f, p.seg
	}
	var h [header]byte
	if size-p.off < header {
		return nil, p, errDamaged
	}
	if _, err := s.rf.ReadAt(h[:], p.off); err != nil {
		return nil, p, errDamaged
	}
	l := int64(binary.BigEndian.Uint32(h[:4]))
	if l > MaxRecord || p.off+header+l > size {
		return nil, p, errDamaged
	}
	rec := make([]byte, l)
	if _, err := s.rf.ReadAt(rec, p.off+header); err != nil {
		return nil, p, errDamaged
	}
	if crc32.Checksum(rec, castagnoli) != binary.BigEndian.Uint32(h[4:]) {
		return nil, p, errDamaged
	}
	return rec, pos{seg: p.seg, off: p.off + header + l}, nil
}

// cutLast cuts the written segment at off (its end is damaged).
func (s *Spool) cutLast(off int64) {
	last := &s.segs[len(s.segs)-1]
	if err := s.w.Truncate(off); err == nil {
		s.total -= last.size - off
		last.size = off
	}
}

func (s *Spool) segIndex(n uint64) int {
	for i := range s.segs {
		if s.segs[i].n == n {
			return i
		}
	}
	return -1
}

// Commit removes the first n records the last Read returned: they were
// delivered. Segments wholly behind them are deleted.
func (s *Spool) Commit(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if n <= 0 {
		return nil
	}
	if n > len(s.peeked) {
		return fmt.Errorf("spool: commit of %d records, only %d were read", n, len(s.peeked))
	}
	s.cursor = s.peeked[n-1]
	s.peeked = s.peeked[:0]
	s.stats.Pending = max(0, s.stats.Pending-int64(n))
	// Delete the segments behind the cursor (never the written one).
	for len(s.segs) > 1 && s.segs[0].n < s.cursor.seg {
		if s.rf != nil && s.rseg == s.segs[0].n {
			s.rf.Close()
			s.rf = nil
		}
		if err := os.Remove(s.path(s.segs[0].n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("spool: %w", err)
		}
		s.total -= s.segs[0].size
		s.segs = s.segs[1:]
	}
	// The written segment read to its end: start it over, so an idle
	// queue holds nothing on disk.
	if len(s.segs) == 1 && s.cursor.seg == s.segs[0].n && s.cursor.off == s.segs[0].size && s.bw.Buffered() == 0 {
		if err := s.w.Truncate(0); err == nil {
			s.total -= s.segs[0].size
			s.segs[0].size = 0
			s.cursor.off = 0
		}
	}
	return s.writeCursor()
}

// writeCursor stores the cursor (written aside and renamed: a crash
// leaves the old one or the new one).
func (s *Spool) writeCursor() error {
	p := filepath.Join(s.dir, "cursor")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, fmt.Appendf(nil, "%d %d\n", s.cursor.seg, s.cursor.off), 0o640); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// Sync flushes the appended records and syncs them to disk.
func (s *Spool) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return s.w.Sync()
}

// Stats returns the queue's counts.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Bytes = s.total
	return st
}

// Close flushes and syncs the queue and closes its files.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.bw.Flush()
	if serr := s.w.Sync(); err == nil {
		err = serr
	}
	if cerr := s.w.Close(); err == nil {
		err = cerr
	}
	if s.rf != nil {
		s.rf.Close()
	}
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}
