package spool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func rec(i int) []byte { return fmt.Appendf(nil, "record %06d %s", i, bytes.Repeat([]byte{'x'}, i%97)) }

// readAll reads and commits every record, in batches of n.
func readAll(t *testing.T, s *Spool, n int) [][]byte {
	t.Helper()
	var all [][]byte
	for {
		rs, err := s.Read(n, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 {
			return all
		}
		all = append(all, rs...)
		if err := s.Commit(len(rs)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOrderAcrossSegmentsAndRestart: records come back oldest first over
// many segments; records read but not committed come back after a
// restart; committed segments are deleted.
func TestOrderAcrossSegmentsAndRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Max: 1 << 20, Segment: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	for i := range n {
		if err := s.Append(rec(i)); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) < 5 {
		t.Fatalf("%d segments, want several", len(segs))
	}
	// Read 1000, commit 700, read 50 more without committing, close.
	rs, err := s.Read(1000, 1<<30)
	if err != nil || len(rs) != 1000 {
		t.Fatalf("read %d, %v", len(rs), err)
	}
	if err := s.Commit(700); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Pending != n-700 || st.Appended != n {
		t.Errorf("stats %+v", st)
	}
	if _, err := s.Read(50, 1<<30); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{Max: 1 << 20, Segment: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st := s.Stats(); st.Pending != n-700 {
		t.Errorf("pending after reopen %d, want %d", st.Pending, n-700)
	}
	all := readAll(t, s, 333)
	if len(all) != n-700 {
		t.Fatalf("%d records after reopen, want %d", len(all), n-700)
	}
	for i, r := range all {
		if !bytes.Equal(r, rec(700+i)) {
			t.Fatalf("record %d = %q, want %q", i, r, rec(700+i))
		}
	}
	segs, _ = filepath.Glob(filepath.Join(dir, "*.seg"))
	if st := s.Stats(); len(segs) != 1 || st.Bytes != 0 || st.Pending != 0 {
		t.Errorf("drained: %d segments, stats %+v; want one empty segment", len(segs), st)
	}
}

// TestFull: appends beyond the bound are refused and counted; room made
// by commits is used again.
func TestFull(t *testing.T) {
	s, err := Open(t.TempDir(), Options{Max: 64 << 10, Segment: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := bytes.Repeat([]byte{'a'}, 1000-header)
	ok, full := 0, 0
	for range 100 {
		switch err := s.Append(r); {
		case err == nil:
			ok++
		case errors.Is(err, ErrFull):
			full++
		default:
			t.Fatal(err)
		}
	}
	if ok != 65 || full != 35 || s.Stats().Dropped != 35 {
		t.Fatalf("%d appended, %d full, stats %+v; want 65 and 35", ok, full, s.Stats())
	}
	if got := readAll(t, s, 10); len(got) != 65 {
		t.Fatalf("read %d, want 65", len(got))
	}
	if err := s.Append(r); err != nil {
		t.Errorf("append after draining: %v", err)
	}
}

// TestTornTail: a record cut in the middle by a crash is counted and cut
// off; the records before it are read, and appends go on after them.
func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		s.Append(rec(i))
	}
	s.Close()
	seg, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	fi, _ := os.Stat(seg[0])
	os.Truncate(seg[0], fi.Size()-3)
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st := s.Stats(); st.Damaged != 1 || st.Pending != 9 {
		t.Errorf("stats %+v, want 1 damaged, 9 pending", st)
	}
	s.Append(rec(42))
	all := readAll(t, s, 100)
	if len(all) != 10 || !bytes.Equal(all[8], rec(8)) || !bytes.Equal(all[9], rec(42)) {
		t.Errorf("read %d records: %q", len(all), all)
	}
}

// TestDamagedMiddle: a flipped byte in an old segment skips the rest of
// that segment (counted) and goes on with the next.
func TestDamagedMiddle(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Max: 1 << 20, Segment: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		s.Append(rec(i))
	}
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	b, _ := os.ReadFile(segs[0])
	b[100] ^= 0xff
	os.WriteFile(segs[0], b, 0o640)
	s, err = Open(dir, Options{Max: 1 << 20, Segment: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all := readAll(t, s, 64)
	if len(all) == 0 || len(all) >= 500 || !bytes.Equal(all[len(all)-1], rec(499)) {
		t.Fatalf("read %d records, last %q", len(all), all[len(all)-1])
	}
	if s.Stats().Damaged == 0 {
		t.Error("damage not counted")
	}
}

// FuzzOpen: whatever the segment and cursor files hold, Open and reading
// never panic, and every record read carries its checksum.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	s, _ := Open(dir, Options{})
	for i := range 5 {
		s.Append(rec(i))
	}
	s.Close()
	seg, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%020d.seg", 1)))
	f.Add(seg, []byte("1 0\n"))
	f.Add(seg[:len(seg)-5], []byte("1 20\n"))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 'x'}, []byte("x y"))
	f.Fuzz(func(t *testing.T, seg, cursor []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%020d.seg", 1)), seg, 0o640)
		os.WriteFile(filepath.Join(dir, "cursor"), cursor, 0o640)
		s, err := Open(dir, Options{})
		if err != nil {
			return
		}
		defer s.Close()
		for range 1000 {
			rs, err := s.Read(16, 1<<20)
			if err != nil || len(rs) == 0 {
				break
			}
			if err := s.Commit(len(rs)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Append([]byte("after")); err != nil {
			t.Fatal(err)
		}
		rs, err := s.Read(16, 1<<20)
		if err != nil || len(rs) != 1 || string(rs[0]) != "after" {
			t.Fatalf("after draining: %q %v", rs, err)
		}
	})
}
