package integrity

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/finding"
	"harborwatch/signing"
)

var t0 = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

func key(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// program writes a PLC program directory: a block dump of OB1, FC12 and
// DB100, and a project note.
func program(t *testing.T, dir string, fc12 []byte) {
	t.Helper()
	dump := slices.Concat(S7Block("OB", 1, []byte("ob1 code")), S7Block("FC", 12, fc12), S7Block("DB", 100, make([]byte, 40)))
	write(t, filepath.Join(dir, "blocks.mc7"), dump)
	write(t, filepath.Join(dir, "notes", "readme.txt"), []byte("crane 1 hoist PLC\n"))
}

func write(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func build(t *testing.T, dir string) Manifest {
	t.Helper()
	m, err := Build(Options{Asset: "sts01-plc1", Kind: KindPLCProgram, By: "alice", At: t0}, dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBuildBlocks(t *testing.T) {
	dir := t.TempDir()
	program(t, dir, []byte("fc12 v1"))
	m := build(t, dir)
	if len(m.Entries) != 2 || m.Entries[0].Path != "blocks.mc7" || m.Entries[1].Path != "notes/readme.txt" {
		t.Fatalf("entries %+v", m.Entries)
	}
	e := m.Entries[0]
	var names []string
	for _, b := range e.Blocks {
		names = append(names, b.Name)
	}
	if e.Format != FormatS7Blocks || !slices.Equal(names, []string{"OB1", "FC12", "DB100"}) || e.Size != 36*3+8+7+40 {
		t.Fatalf("blocks entry %+v", e)
	}
	if e.Blocks[1].Offset != 44 || e.Blocks[1].Size != 43 {
		t.Errorf("FC12 at %d size %d", e.Blocks[1].Offset, e.Blocks[1].Size)
	}
	if m.Entries[1].Blocks != nil || m.Entries[1].Size != 18 {
		t.Errorf("text entry %+v", m.Entries[1])
	}
	if hb := m.BlockHashes(); len(hb) != 3 || hb["FC12"].SHA256 != e.Blocks[1].SHA256 {
		t.Errorf("BlockHashes %v", hb)
	}
}

// TestDetects: a tampered file, a tampered manifest and a wrong key are
// each detected and named.
func TestDetects(t *testing.T) {
	pub, priv := key(t)
	otherPub, otherPriv := key(t)
	dir := t.TempDir()
	program(t, dir, []byte("fc12 v1"))
	base := build(t, dir)
	base.Sign(priv)
	if err := base.Verify(pub); err != nil {
		t.Fatalf("fresh manifest: %v", err)
	}
	// Through its file form, as kept.
	back, err := Read("base.json", bytes.NewReader(base.Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(pub); err != nil {
		t.Fatalf("read back: %v", err)
	}

	t.Run("untouched", func(t *testing.T) {
		now := build(t, dir)
		r := Compare(back, now)
		if r.Status != Matches || r.Matched != 2 || len(r.Findings()) != 0 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("tampered file", func(t *testing.T) {
		d2 := t.TempDir()
		program(t, d2, []byte("fc12 v2"))
		write(t, filepath.Join(d2, "extra.bin"), []byte{1})
		os.Remove(filepath.Join(d2, "notes", "readme.txt"))
		r := Compare(back, build(t, d2))
		if r.Status != Differs || len(r.Changed) != 1 || r.Changed[0].Path != "blocks.mc7" ||
			!slices.Equal(r.Missing, []string{"notes/readme.txt"}) || !slices.Equal(r.New, []string{"extra.bin"}) {
			t.Fatalf("%+v", r)
		}
		bs := r.Changed[0].Blocks
		if len(bs) != 1 || bs[0].Name != "FC12" || bs[0].Was == "" || bs[0].Now == "" || bs[0].Was == bs[0].Now {
			t.Fatalf("block changes %+v", bs)
		}
		fs := r.Findings()
		if len(fs) != 1 || fs[0].Rule != finding.RuleIntegrityMismatch || fs[0].Severity != finding.High ||
			!strings.Contains(fs[0].Title, "1 changed, 1 missing, 1 new") || fs[0].Src.Asset != "sts01-plc1" {
			t.Fatalf("findings %+v", fs)
		}
		if !slices.Contains(fs[0].Controls, "MSCI-INT-1") {
			t.Errorf("controls %v", fs[0].Controls)
		}
	})
	t.Run("tampered manifest", func(t *testing.T) {
		// Someone makes the baseline accept a changed program: the FC12
		// hash in the manifest file is replaced.
		d2 := t.TempDir()
		program(t, d2, []byte("fc12 evil"))
		evil := build(t, d2)
		text := string(base.Marshal())
		text = strings.Replace(text, base.Entries[0].SHA256, evil.Entries[0].SHA256, 1)
		m, err := Read("base.json", strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		err = m.Verify(pub)
		if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "changed after it was signed") {
			t.Fatalf("Verify of a changed manifest: %v", err)
		}
		r := Invalidated(m, "bob", t0, err)
		fs := r.Findings()
		if len(fs) != 1 || fs[0].Rule != finding.RuleIntegrityBaselineInvalid || fs[0].Severity != finding.Critical {
			t.Fatalf("%+v", fs)
		}
		// Re-signing with another key to cover it up is a wrong key.
		m.Sign(otherPriv)
		if err := m.Verify(pub); !errors.Is(err, ErrWrongKey) {
			t.Fatalf("re-signed with another key: %v", err)
		}
		// Claiming the right key id does not help either.
		m.KeyID = signing.KeyID(pub)
		if err := m.Verify(pub); !errors.Is(err, ErrTampered) {
			t.Fatalf("forged key id: %v", err)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		err := back.Verify(otherPub)
		if !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), signing.KeyID(pub)) || !strings.Contains(err.Error(), signing.KeyID(otherPub)) {
			t.Fatalf("Verify with another key: %v", err)
		}
	})
	t.Run("unsigned", func(t *testing.T) {
		m := build(t, dir)
		if err := m.Verify(pub); !errors.Is(err, ErrUnsigned) {
			t.Fatalf("%v", err)
		}
	})
}

func TestParseS7BlocksErrors(t *testing.T) {
	good := S7Block("FC", 1, []byte("x"))
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"short header", good[:20], "truncated block header at offset 0"},
		{"no ident", append([]byte{0x71}, good[1:]...), "no block ident 0x7070 at offset 0"},
		{"type", func() []byte { b := slices.Clone(good); b[5] = 0x42; return b }(), "unknown block type 0x42 at offset 5"},
		{"runs past", good[:len(good)-1], "load memory length 37 does not fit (36 bytes left)"},
		{"second truncated", append(slices.Clone(good), 0x70, 0x70, 1), "truncated block header at offset 37"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseS7Blocks(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
	// A plc-program file that starts like a dump but is not one is hashed
	// whole with a note, not refused and not silently treated as blocks.
	dir := t.TempDir()
	write(t, filepath.Join(dir, "x.mc7"), good[:len(good)-1])
	m := build(t, dir)
	if e := m.Entries[0]; e.Blocks != nil || !strings.Contains(e.Note, "does not fit") {
		t.Fatalf("%+v", e)
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"syntax", "{\n  \"format\": x}", "m.json:2:14"},
		{"format", `{"format":"other/1"}`, `format "other/1"`},
		{"unknown field", `{"format":"harborwatch-baseline/1","extra":1}`, "unknown field"},
		{"bad hash", `{"format":"harborwatch-baseline/1","asset":"a","kind":"firmware","source":"files","entries":[{"path":"a","size":1,"sha256":"XY"}]}`, "not 64 lower-case hex"},
		{"dup", `{"format":"harborwatch-baseline/1","asset":"a","kind":"firmware","source":"files","entries":[{"path":"a","sha256":"` + strings.Repeat("0", 64) + `"},{"path":"a","sha256":"` + strings.Repeat("0", 64) + `"}]}`, `path "a" twice`},
		{"trailing", `{"format":"harborwatch-baseline/1","asset":"a","kind":"firmware","source":"files","entries":[]} {}`, "data after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read("m.json", strings.NewReader(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a", "f"), []byte("1"))
	write(t, filepath.Join(dir, "b", "f"), []byte("2"))
	if _, err := Build(Options{Asset: "x", Kind: KindOther}, filepath.Join(dir, "a", "f"), filepath.Join(dir, "b", "f")); err == nil || !strings.Contains(err.Error(), `both be "f"`) {
		t.Errorf("same name twice: %v", err)
	}
	if _, err := Build(Options{Asset: "x", Kind: "bogus"}, dir); err == nil {
		t.Error("bad kind accepted")
	}
	if _, err := Build(Options{Asset: "x", Kind: KindOther, MaxFiles: 1}, dir); err == nil || !strings.Contains(err.Error(), "more than 1 files") {
		t.Errorf("max files: %v", err)
	}
	if _, err := Build(Options{Asset: "x", Kind: KindOther}, filepath.Join(dir, "nope")); err == nil {
		t.Error("missing root accepted")
	}
}
