package capture

import (
	"errors"
	"io"
	"testing"
)

// pcapOf builds a pcap file with one packet per timestamp (µs); each
// packet's one byte of data is its tag.
func pcapOf(ts []int64, tags []byte) []byte {
	pb := newPcap(le, false, 65535, 1)
	for i, t := range ts {
		pb.packet(uint32(t/1e6), uint32(t%1e6), []byte{tags[i]})
	}
	return pb.b
}

func TestMerge(t *testing.T) {
	type want struct {
		tag    byte
		file   int
		number int64
	}
	tests := []struct {
		name  string
		files [][]byte
		want  []want
		names string
	}{
		{"interleaved", [][]byte{
			pcapOf([]int64{1, 4, 5, 9}, []byte("abcd")),
			pcapOf([]int64{2, 3, 6, 10, 11}, []byte("ABCDE")),
		}, []want{
			{'a', 0, 1}, {'A', 1, 1}, {'B', 1, 2}, {'b', 0, 2}, {'c', 0, 3},
			{'C', 1, 3}, {'d', 0, 4}, {'D', 1, 4}, {'E', 1, 5},
		}, "f0, f1"},
		{"ties go to the lower file, then file order", [][]byte{
			pcapOf([]int64{5, 5, 7}, []byte("abc")),
			pcapOf([]int64{5, 7, 7}, []byte("ABC")),
			pcapOf([]int64{5}, []byte("x")),
		}, []want{
			{'a', 0, 1}, {'b', 0, 2}, {'A', 1, 1}, {'x', 2, 1}, {'c', 0, 3}, {'B', 1, 2}, {'C', 1, 3},
		}, "f0, f1, f2"},
		{"unsorted file keeps its order", [][]byte{
			pcapOf([]int64{9, 1}, []byte("ab")),
			pcapOf([]int64{5}, []byte("A")),
		}, []want{
			{'A', 1, 1}, {'a', 0, 1}, {'b', 0, 2},
		}, "f0, f1"},
		{"one source", [][]byte{
			pcapOf([]int64{3, 2, 1}, []byte("abc")),
		}, []want{{'a', 0, 1}, {'b', 0, 2}, {'c', 0, 3}}, "f0"},
		{"an empty source", [][]byte{
			pcapOf(nil, nil),
			pcapOf([]int64{1}, []byte("A")),
		}, []want{{'A', 1, 1}}, "f0, f1"},
		{"no sources", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srcs []Source
			for i, b := range tt.files {
				srcs = append(srcs, open(t, b, "f"+string(rune('0'+i))))
			}
			m := Merge(srcs...)
			if m.Name() != tt.names {
				t.Errorf("Name = %q, want %q", m.Name(), tt.names)
			}
			if len(m.Names()) != len(tt.files) {
				t.Errorf("Names = %q", m.Names())
			}
			got, err := readAll(t, m)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d packets, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Data[0] != w.tag || g.File != w.file || g.Number != w.number {
					t.Errorf("packet %d: %q file %d number %d, want %q file %d number %d",
						i, g.Data[0], g.File, g.Number, w.tag, w.file, w.number)
				}
			}
			if err := m.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

// TestMergeDamage merges a damaged file with a good one: the damage is
// returned once, as soon as the damaged file is read past its last good
// packet, and the good file goes on.
func TestMergeDamage(t *testing.T) {
	bad := pcapOf([]int64{1, 3, 5}, []byte("abc"))
	bad = bad[:len(bad)-1] // the packet at 5 is cut
	good := pcapOf([]int64{2, 4, 6, 8}, []byte("ABCD"))
	tags, damage := drain(Merge(open(t, bad, "bad.pcap"), open(t, good, "good.pcap")))
	if tags != "aAb!BCD" {
		t.Errorf("merged %q, want %q", tags, "aAb!BCD")
	}
	if len(damage) != 1 {
		t.Fatalf("%d errors, want 1", len(damage))
	}
	checkDamage(t, damage[0], "bad.pcap", 24+2*17, 3, ErrTruncated, "truncated record data")
}

// drain reads a Merged to its end and returns the packets' tags, with a
// '!' for each error, and the errors.
func drain(m *Merged) (string, []error) {
	var tags []byte
	var errs []error
	for {
		var p Packet
		err := m.Next(&p)
		if err == io.EOF {
			return string(tags), errs
		}
		if err != nil {
			errs = append(errs, err)
			tags = append(tags, '!')
			continue
		}
		tags = append(tags, p.Data[0])
	}
}

// stuck is a Source whose Next always fails, as a broken device might.
type stuck struct{ closed bool }

var errStuck = errors.New("device gone")

func (s *stuck) Next(*Packet) error { return errStuck }
func (s *stuck) Name() string       { return "stuck" }
func (s *stuck) Close() error       { s.closed = true; return errStuck }

// TestMergeFailingSource checks that a source that keeps failing is
// reported once and not asked again, and that Close reaches every source.
func TestMergeFailingSource(t *testing.T) {
	s := &stuck{}
	m := Merge(s, open(t, pcapOf([]int64{1, 2}, []byte("ab")), "ok.pcap"))
	tags, errs := drain(m)
	if tags != "!ab" || len(errs) != 1 || !errors.Is(errs[0], errStuck) {
		t.Errorf("merged %q with errors %v, want %q and one %v", tags, errs, "!ab", errStuck)
	}
	if err := m.Close(); !errors.Is(err, errStuck) || !s.closed {
		t.Errorf("Close = %v, closed %v", err, s.closed)
	}
}

// TestMergeHeap checks the heap against a plain scan with many sources.
func TestMergeHeap(t *testing.T) {
	const files, per = 37, 50
	var srcs []Source
	for f := range files {
		var ts []int64
		tags := make([]byte, per)
		for i := range per {
			ts = append(ts, int64((i*7919+f*104729)%997)*1000+int64(i)*1_000_000)
			tags[i] = byte(f)
		}
		srcs = append(srcs, open(t, pcapOf(ts, tags), "f"))
	}
	got, err := readAll(t, Merge(srcs...))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != files*per {
		t.Fatalf("%d packets, want %d", len(got), files*per)
	}
	next := make([]int64, files)
	for i, p := range got {
		if int(p.Data[0]) != p.File {
			t.Fatalf("packet %d from file %d carries tag %d", i, p.File, p.Data[0])
		}
		if next[p.File]++; p.Number != next[p.File] {
			t.Fatalf("file %d: packet %d out of file order", p.File, p.Number)
		}
		if i > 0 {
			q := got[i-1]
			if p.TS < q.TS || p.TS == q.TS && p.File < q.File {
				t.Fatalf("packet %d (%d, file %d) after (%d, file %d)", i, p.TS, p.File, q.TS, q.File)
			}
		}
	}
}
