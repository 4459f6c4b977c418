package integrity

import (
	"bytes"
	"slices"
	"testing"
)

func FuzzParseS7Blocks(f *testing.F) {
	f.Add(slices.Concat(S7Block("OB", 1, []byte("x")), S7Block("DB", 2, make([]byte, 9))))
	f.Add(S7Block("FC", 12, nil))
	f.Add([]byte{0x70, 0x70})
	f.Fuzz(func(t *testing.T, data []byte) {
		bs, err := ParseS7Blocks(data)
		if err != nil {
			return
		}
		var n int64
		for _, b := range bs {
			if b.Offset != n || b.Size < s7HeaderLen || b.Name == "" {
				t.Fatalf("block %+v after %d", b, n)
			}
			n += b.Size
		}
		if n != int64(len(data)) {
			t.Fatalf("blocks cover %d of %d bytes", n, len(data))
		}
	})
}

func FuzzRead(f *testing.F) {
	m := Manifest{Format: Format, Asset: "a", Kind: KindPLCProgram, Source: SourceFiles,
		Entries: []Entry{{Path: "p", Size: 3, SHA256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
			Blocks: []Block{{Name: "FC1", Size: 3, SHA256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"}}}}}
	f.Add(m.Marshal())
	f.Add([]byte(`{"format":"harborwatch-baseline/1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read("f", bytes.NewReader(data))
		if err != nil {
			return
		}
		// What reads back is canonical and reads again.
		m2, err := Read("f", bytes.NewReader(m.Marshal()))
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if !bytes.Equal(m.Canonical(), m2.Canonical()) {
			t.Fatal("canonical form changed through a round trip")
		}
	})
}
