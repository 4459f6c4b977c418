package ring

import (
	"bytes"
	"encoding/binary"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"harborwatch/capture"
)

// pkt makes packet n of capture c: its bytes say who it is, so a packet
// cut from the ring can be checked byte for byte.
func pkt(c int, n int64, size int) capture.Packet {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(int64(i) + n*7 + int64(c)*13)
	}
	if size >= 12 {
		binary.BigEndian.PutUint32(b[0:], uint32(c))
		binary.BigEndian.PutUint64(b[4:], uint64(n))
	}
	link := capture.LinkEthernet
	if c == 1 {
		link = capture.LinkRaw
	}
	return capture.Packet{Data: b, OrigLen: size + 4, TS: 1_700_000_000_000_000_000 + n*1000 + int64(c), Link: link, Number: n}
}

func open(t testing.TB, o Options) *Ring {
	t.Helper()
	if o.Path == "" {
		o.Path = filepath.Join(t.TempDir(), "ring")
	}
	r, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func check(t *testing.T, r *Ring, refs []Ref, wantMissing []Ref, size func(Ref) int) {
	t.Helper()
	got, missing := r.Cut(refs)
	if !equalRefs(missing, wantMissing) {
		t.Fatalf("missing %v, want %v", missing, wantMissing)
	}
	if len(got)+len(missing) != len(refs) {
		t.Fatalf("%d packets and %d missing for %d refs", len(got), len(missing), len(refs))
	}
	k := 0
	for _, ref := range refs {
		if containsRef(missing, ref) {
			continue
		}
		want := pkt(ref.File, ref.Number, size(ref))
		g := got[k]
		k++
		if !bytes.Equal(g.Data, want.Data) || g.TS != want.TS || g.OrigLen != want.OrigLen || g.Link != want.Link {
			t.Fatalf("packet %v: got %d bytes ts %d orig %d link %v, want %d bytes ts %d orig %d link %v",
				ref, len(g.Data), g.TS, g.OrigLen, g.Link, len(want.Data), want.TS, want.OrigLen, want.Link)
		}
	}
}

func equalRefs(a, b []Ref) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func containsRef(rs []Ref, r Ref) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// TestWrapAround: a ring of 4 blocks of 256 KiB, filled with 1,000-byte
// packets of two captures many times over. Every packet of the last
// three blocks is there, byte for byte, whether in the block in memory or
// in the file; older ones are missing; evictions are counted once each,
// and those no Cut claimed as overwrites.
func TestWrapAround(t *testing.T) {
	r := open(t, Options{Size: 4 * MinBlock, Block: MinBlock, Captures: 2})
	const size = 1000
	rec := (headerLen + size + 7) &^ 7
	perBlock := MinBlock / rec
	total := int64(10 * perBlock) // 2.5 laps
	for n := int64(1); n <= total; n++ {
		for c := range 2 {
			p := pkt(c, n, size)
			r.Append(c, &p)
		}
	}
	st := r.Stats()
	if st.Packets != uint64(2*total) || st.Held+st.Evicted != st.Packets || st.Overwritten != st.Evicted {
		t.Fatalf("stats %+v", st)
	}
	// The ring holds at least three blocks' worth (the blocks in the file
	// and the one in memory, less the one started again).
	if st.Held < uint64(3*perBlock) || st.Held > uint64(4*perBlock) {
		t.Fatalf("holds %d packets, want between %d and %d", st.Held, 3*perBlock, 4*perBlock)
	}
	held := int64(st.Held / 2)
	oldest := total - held + 1
	sz := func(Ref) int { return size }
	refs := []Ref{{File: 0, Number: total}, {File: 1, Number: total}, {File: 0, Number: oldest}, {File: 1, Number: oldest + 1}, {File: 0, Number: total - int64(perBlock) - 3}, {File: 0, Number: oldest - 1}, {File: 1, Number: 1}, {File: 1, Number: total + 1}, {File: 0, Number: 0}, {File: 5, Number: 1}}
	check(t, r, refs, []Ref{{File: 0, Number: oldest - 1}, {File: 1, Number: 1}, {File: 1, Number: total + 1}, {File: 0, Number: 0}, {File: 5, Number: 1}}, sz)
	st = r.Stats()
	if st.Claimed != 5 || st.Missing != 5 {
		t.Fatalf("claimed %d missing %d, want 5 and 5", st.Claimed, st.Missing)
	}

	// Claimed packets are not counted as overwritten when they go.
	before := r.Stats()
	for n := total + 1; n <= total+int64(5*perBlock); n++ {
		p := pkt(0, n, size)
		r.Append(0, &p)
	}
	after := r.Stats()
	evicted := after.Evicted - before.Evicted
	over := after.Overwritten - before.Overwritten
	// Five laps of capture 0 alone push out everything held before, of
	// both captures: the five claimed packets among them are not
	// overwrites.
	if after.Held != uint64(after.Packets-after.Evicted) || evicted-over != 5 {
		t.Fatalf("evicted %d, overwritten %d: want the 5 claimed ones not counted as overwritten", evicted, over)
	}
}

// TestClaimedNotOverwritten: exactly the packets a Cut claimed are left
// out of the overwrite count when the ring turns over.
func TestClaimedNotOverwritten(t *testing.T) {
	r := open(t, Options{Size: 2 * MinBlock, Block: MinBlock})
	for n := int64(1); n <= 100; n++ {
		p := pkt(0, n, 500)
		r.Append(0, &p)
	}
	check(t, r, []Ref{{File: 0, Number: 3}, {File: 0, Number: 50}, {File: 0, Number: 99}}, nil, func(Ref) int { return 500 })
	for n := int64(101); n <= 3000; n++ { // several laps
		p := pkt(0, n, 500)
		r.Append(0, &p)
	}
	st := r.Stats()
	if st.Evicted < 100 || st.Evicted-st.Overwritten != 3 {
		t.Fatalf("evicted %d overwritten %d: want the 3 claimed packets not overwritten", st.Evicted, st.Overwritten)
	}
	check(t, r, []Ref{{File: 0, Number: 3}, {File: 0, Number: 3000}}, []Ref{{File: 0, Number: 3}}, func(Ref) int { return 500 })
}

// TestIndexBound: a capture whose index is full loses its oldest packet,
// counted, though the file still has room.
func TestIndexBound(t *testing.T) {
	r := open(t, Options{Size: 4 * MinBlock, Block: MinBlock, Index: 100, Captures: 2})
	for n := int64(1); n <= 80; n++ {
		p := pkt(0, n, 60)
		r.Append(0, &p)
	}
	st := r.Stats()
	if st.Held != 50 || st.Overwritten != 30 {
		t.Fatalf("held %d overwritten %d, want 50 and 30 (50 entries a capture)", st.Held, st.Overwritten)
	}
	check(t, r, []Ref{{File: 0, Number: 30}, {File: 0, Number: 31}, {File: 0, Number: 80}}, []Ref{{File: 0, Number: 30}}, func(Ref) int { return 60 })
}

// TestGapAndReset: a number that does not follow starts the capture's
// window again; Reset empties the ring for a new run.
func TestGapAndReset(t *testing.T) {
	r := open(t, Options{Size: 2 * MinBlock, Block: MinBlock})
	for _, n := range []int64{1, 2, 3, 10, 11} {
		p := pkt(0, n, 100)
		r.Append(0, &p)
	}
	sz := func(Ref) int { return 100 }
	check(t, r, []Ref{{File: 0, Number: 2}, {File: 0, Number: 10}, {File: 0, Number: 11}}, []Ref{{File: 0, Number: 2}}, sz)
	if st := r.Stats(); st.Held != 2 || st.Overwritten != 3 {
		t.Fatalf("stats %+v", st)
	}
	r.Reset(2)
	if st := r.Stats(); st.Held != 0 || st.Evicted != 5 || st.Overwritten != 3 {
		t.Fatalf("after Reset: %+v", st)
	}
	p := pkt(1, 1, 100)
	r.Append(1, &p)
	check(t, r, []Ref{{File: 1, Number: 1}, {File: 0, Number: 10}}, []Ref{{File: 0, Number: 10}}, sz)
}

// TestTap: packets read through a Tap are in the ring when Next returns.
func TestTap(t *testing.T) {
	r := open(t, Options{Size: 2 * MinBlock, Block: MinBlock, Captures: 2})
	src := &fakeSource{c: 1, n: 5, size: 200}
	tapped := r.Tap(1, src)
	var p capture.Packet
	for i := int64(1); i <= 5; i++ {
		if err := tapped.Next(&p); err != nil {
			t.Fatal(err)
		}
		check(t, r, []Ref{{File: 1, Number: i}}, nil, func(Ref) int { return 200 })
	}
	if tapped.Name() != "fake" {
		t.Fatalf("name %q", tapped.Name())
	}
}

type fakeSource struct {
	c, size int
	n, i    int64
	p       capture.Packet
}

func (f *fakeSource) Next(p *capture.Packet) error {
	if f.i == f.n {
		return io.EOF
	}
	f.i++
	f.p = pkt(f.c, f.i, f.size)
	*p = f.p
	return nil
}
func (f *fakeSource) Name() string { return "fake" }
func (f *fakeSource) Close() error { return nil }

// TestAppendAllocs: appending allocates nothing, block writes included.
func TestAppendAllocs(t *testing.T) {
	r := open(t, Options{Size: 4 * MinBlock, Block: MinBlock, Captures: 2})
	ps := []capture.Packet{pkt(0, 1, 60), pkt(1, 1, 1514)}
	n := int64(1)
	allocs := testing.AllocsPerRun(20000, func() {
		n++
		ps[0].Number, ps[1].Number = n, n
		r.Append(0, &ps[0])
		r.Append(1, &ps[1])
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per Append pair, want 0", allocs)
	}
	// Through a Tap, as the sensor reads.
	r.Reset(2)
	src := &loopSource{p: pkt(0, 1, 300)}
	tapped := r.Tap(0, src)
	var p capture.Packet
	allocs = testing.AllocsPerRun(20000, func() {
		if err := tapped.Next(&p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per tapped Next, want 0", allocs)
	}
	if r.Stats().Evicted == 0 {
		t.Fatal("the test did not wrap the ring")
	}
}

// loopSource yields one packet again and again, numbered on.
type loopSource struct {
	p capture.Packet
	n int64
}

func (l *loopSource) Next(p *capture.Packet) error {
	l.n++
	*p = l.p
	p.Number = l.n
	return nil
}
func (l *loopSource) Name() string { return "loop" }
func (l *loopSource) Close() error { return nil }

// TestCutWhileAppending: Cut from another goroutine while the ring turns
// over gets either the right bytes or a missing packet (run with -race).
func TestCutWhileAppending(t *testing.T) {
	r := open(t, Options{Size: 3 * MinBlock, Block: MinBlock})
	const size = 300
	var wg sync.WaitGroup
	done := make(chan struct{})
	var last sync.Map
	wg.Go(func() {
		defer close(done)
		for n := int64(1); n <= 20000; n++ {
			p := pkt(0, n, size)
			r.Append(0, &p)
			if n%100 == 0 {
				last.Store(0, n)
			}
		}
	})
	for {
		select {
		case <-done:
			wg.Wait()
			return
		default:
		}
		v, ok := last.Load(0)
		if !ok {
			continue
		}
		n := v.(int64)
		refs := []Ref{{File: 0, Number: n}, {File: 0, Number: n - 500}, {File: 0, Number: n - 1500}, {File: 0, Number: n - 3000}}
		got, missing := r.Cut(refs)
		if len(got)+len(missing) != len(refs) {
			t.Fatalf("%d + %d for %d", len(got), len(missing), len(refs))
		}
		if containsRef(missing, refs[0]) {
			t.Fatalf("the newest packet %d missing", n)
		}
		k := 0
		for _, ref := range refs {
			if containsRef(missing, ref) {
				continue
			}
			if want := pkt(0, ref.Number, size); !bytes.Equal(got[k].Data, want.Data) {
				t.Fatalf("packet %d: wrong bytes", ref.Number)
			}
			k++
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, o := range []Options{
		{},
		{Path: filepath.Join(dir, "a"), Size: MinBlock, Block: MinBlock},
		{Path: filepath.Join(dir, "b"), Size: MaxSize + 1},
		{Path: filepath.Join(dir, "no", "such", "dir")},
	} {
		if r, err := Open(o); err == nil {
			r.Close()
			t.Errorf("Open(%+v) succeeded", o)
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{64, 300, 1514} {
		b.Run(byteName(size), func(b *testing.B) {
			r := open(b, Options{Size: 64 << 20})
			p := pkt(0, 1, size)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			n := int64(0)
			for b.Loop() {
				n++
				p.Number = n
				r.Append(0, &p)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}

func byteName(n int) string {
	return string(rune('0'+n/1000%10)) + string(rune('0'+n/100%10)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10)) + "B"
}

// FuzzRing drives a small ring with appends (of random sizes, to two
// captures, now and then with a gap in the numbers) and cuts, against a
// model of what was appended: every packet a Cut returns is the one
// appended under its number, byte for byte; the newest packet of a
// capture is never missing; the counts add up.
func FuzzRing(f *testing.F) {
	f.Add([]byte{0, 10, 1, 200, 2, 0, 3, 1, 0, 255, 255, 2, 1})
	f.Add(bytes.Repeat([]byte{0, 250, 1, 251, 2, 7}, 200))
	r := open(f, Options{Size: 3 * MinBlock, Block: MinBlock, Index: 400, Captures: 2})
	f.Fuzz(func(t *testing.T, ops []byte) {
		r.Reset(2) // one ring for every input: a new run each time
		st0 := r.Stats()
		next := [2]int64{1, 1}
		sizes := [2]map[int64]int{{}, {}}
		if len(ops) > 512 {
			ops = ops[:512]
		}
		for len(ops) >= 2 {
			op, arg := ops[0], ops[1]
			ops = ops[2:]
			c := int(op & 1)
			switch op % 4 {
			case 0, 1: // append arg*11 bytes (up to 2.8 KiB) to capture c
				size := int(arg) * 11
				for range int(op>>2)%8 + 1 {
					p := pkt(c, next[c], size)
					r.Append(c, &p)
					sizes[c][next[c]] = size
					next[c]++
				}
			case 2: // a gap in capture c's numbers
				next[c] += int64(arg%5) + 1
			case 3: // cut some of capture c's recent packets
				var refs []Ref
				for k := int64(1); k <= int64(arg%23)+1; k++ {
					if n := next[c] - k*int64(arg%7+1); n >= 1 {
						if _, ok := sizes[c][n]; ok {
							refs = append(refs, Ref{File: c, Number: n})
						}
					}
				}
				got, missing := r.Cut(refs)
				if len(got)+len(missing) != len(refs) {
					t.Fatalf("%d + %d for %d refs", len(got), len(missing), len(refs))
				}
				k := 0
				for _, ref := range refs {
					if containsRef(missing, ref) {
						if ref.Number == next[c]-1 {
							t.Fatalf("the newest packet %v is missing", ref)
						}
						continue
					}
					want := pkt(c, ref.Number, sizes[c][ref.Number])
					if g := got[k]; !bytes.Equal(g.Data, want.Data) || g.TS != want.TS || g.OrigLen != want.OrigLen || g.Link != want.Link {
						t.Fatalf("packet %v differs from the one appended", ref)
					}
					k++
				}
			}
		}
		st := r.Stats()
		st.Packets -= st0.Packets
		st.Evicted -= st0.Evicted
		st.Overwritten -= st0.Overwritten
		if st.Held+st.Evicted != st.Packets || st.Overwritten > st.Evicted {
			t.Fatalf("counts do not add up: %+v", st)
		}
	})
}
