package integrity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"harborwatch/signing"
)

// Format names the manifest format and its version; Read refuses others.
const Format = "harborwatch-baseline/1"

// Kind is what a baseline holds.
type Kind string

// The kinds of baseline, in the advisory's vocabulary.
const (
	KindPLCProgram   Kind = "plc-program"
	KindFirmware     Kind = "firmware"
	KindOSImage      Kind = "os-image"
	KindVFDParams    Kind = "vfd-params"
	KindSwitchConfig Kind = "switch-config"
	KindOther        Kind = "other"
)

// Kinds lists every kind.
var Kinds = []Kind{KindPLCProgram, KindFirmware, KindOSImage, KindVFDParams, KindSwitchConfig, KindOther}

// ParseKind parses a kind name.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown kind %q (want plc-program, firmware, os-image, vfd-params, switch-config or other)", s)
}

// Sources of a manifest.
const (
	SourceFiles = "files" // hashed from files (Build)
	SourceWire  = "wire"  // learned from transfers seen on the wire (Learn)
)

// Block is one PLC program block inside a file, or moved on the wire.
type Block struct {
	Name   string `json:"name"`             // "FC12", "OB1", "DB100"
	Offset int64  `json:"offset,omitempty"` // in the file (0 for the wire)
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Entry is one file of a baseline (or, learned from the wire, one block
// or one transfer, named by it).
type Entry struct {
	Path   string `json:"path"` // slash-separated, relative to the root it was found under
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Format is the form the blocks were parsed from ("s7-blocks"), ""
	// when the file is hashed as a whole only.
	Format string  `json:"format,omitempty"`
	Blocks []Block `json:"blocks,omitempty"`
	// Note says why a file that looked like a block dump was hashed as a
	// whole only.
	Note string `json:"note,omitempty"`
}

// Manifest is a baseline: an asset's files (or blocks) with their hashes,
// who made it and when, and its signature.
type Manifest struct {
	Format  string    `json:"format"`
	Asset   string    `json:"asset"`
	Kind    Kind      `json:"kind"`
	Source  string    `json:"source"`
	By      string    `json:"by"`
	Created time.Time `json:"created"`
	// Origin says what the manifest was made from: the roots given, or the
	// capture files and the PLC address of a learned one.
	Origin  []string `json:"origin,omitempty"`
	Entries []Entry  `json:"entries"`
	// KeyID names the key that signed it; Signature is the base64 ed25519
	// signature of Canonical. Neither enters Canonical.
	KeyID     string `json:"key_id,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// Errors of Verify; each is wrapped with what was found.
var (
	ErrUnsigned = errors.New("manifest is not signed")
	ErrWrongKey = errors.New("manifest was signed with another key")
	ErrTampered = errors.New("manifest was changed after it was signed (signature does not verify)")
)

// normalize sorts entries by path and blocks by offset and name, and puts
// Created in UTC with microsecond precision, as stores keep it.
func (m *Manifest) normalize() {
	m.Created = m.Created.UTC().Truncate(time.Microsecond)
	slices.SortFunc(m.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	for i := range m.Entries {
		slices.SortStableFunc(m.Entries[i].Blocks, func(a, b Block) int {
			if a.Offset != b.Offset {
				if a.Offset < b.Offset {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Name, b.Name)
		})
	}
	if m.Entries == nil {
		m.Entries = []Entry{}
	}
}

// Canonical returns the bytes the signature covers: the manifest without
// KeyID and Signature, entries sorted, as compact JSON with fields in
// declaration order (encoding/json is deterministic for structs).
func (m *Manifest) Canonical() []byte {
	c := *m
	c.Entries = slices.Clone(m.Entries)
	for i := range c.Entries {
		c.Entries[i].Blocks = slices.Clone(c.Entries[i].Blocks)
	}
	c.normalize()
	c.KeyID, c.Signature = "", ""
	b, err := json.Marshal(&c)
	if err != nil {
		panic("integrity: marshal manifest: " + err.Error()) // only plain fields: cannot fail
	}
	return b
}

// Sign signs the manifest with priv, setting KeyID and Signature.
func (m *Manifest) Sign(priv ed25519.PrivateKey) {
	m.normalize()
	pub := priv.Public().(ed25519.PublicKey)
	m.KeyID = signing.KeyID(pub)
	m.Signature = base64.StdEncoding.EncodeToString(signing.Sign(priv, m.Canonical()))
}

// Verify checks the manifest's signature with pub: ErrUnsigned,
// ErrWrongKey (naming both keys) or ErrTampered, wrapped; nil when the
// manifest is as its signer made it.
func (m *Manifest) Verify(pub ed25519.PublicKey) error {
	if m.Signature == "" {
		return fmt.Errorf("baseline of %s: %w", m.Asset, ErrUnsigned)
	}
	want := signing.KeyID(pub)
	if m.KeyID != want {
		return fmt.Errorf("baseline of %s: %w: signed by key %s, checked with key %s", m.Asset, ErrWrongKey, m.KeyID, want)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || !signing.Verify(pub, m.Canonical(), sig) {
		return fmt.Errorf("baseline of %s (key %s): %w", m.Asset, m.KeyID, ErrTampered)
	}
	return nil
}

// Marshal returns the manifest as indented JSON, as written to files and
// kept in the store.
func (m *Manifest) Marshal() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic("integrity: marshal manifest: " + err.Error())
	}
	return append(b, '\n')
}

// maxManifest bounds what Read reads.
const maxManifest = 64 << 20

// Read parses a manifest (JSON, at most 64 MiB) and checks its shape:
// format, asset, kind, source, hashes of 64 lower-case hex digits, no
// duplicate paths. name names the input in errors.
func Read(name string, r io.Reader) (Manifest, error) {
	var m Manifest
	data, err := io.ReadAll(io.LimitReader(r, maxManifest+1))
	if err != nil {
		return m, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxManifest {
		return m, fmt.Errorf("%s: larger than %d bytes: not a baseline manifest", name, maxManifest)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(data, se.Offset)
			return m, fmt.Errorf("%s:%d:%d: %v", name, line, col, err)
		}
		return m, fmt.Errorf("%s: not a baseline manifest: %v", name, err)
	}
	if dec.More() {
		return m, fmt.Errorf("%s: data after the manifest", name)
	}
	if err := m.check(); err != nil {
		return m, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

func (m *Manifest) check() error {
	if m.Format != Format {
		return fmt.Errorf("format %q, want %q", m.Format, Format)
	}
	if m.Asset == "" {
		return errors.New("no asset")
	}
	if _, err := ParseKind(string(m.Kind)); err != nil {
		return err
	}
	if m.Source != SourceFiles && m.Source != SourceWire {
		return fmt.Errorf("source %q, want files or wire", m.Source)
	}
	seen := map[string]bool{}
	for i, e := range m.Entries {
		if e.Path == "" {
			return fmt.Errorf("entry %d: no path", i+1)
		}
		if seen[e.Path] {
			return fmt.Errorf("entry %d: path %q twice", i+1, e.Path)
		}
		seen[e.Path] = true
		if !isSHA256(e.SHA256) {
			return fmt.Errorf("entry %q: sha256 %q is not 64 lower-case hex digits", e.Path, e.SHA256)
		}
		if e.Size < 0 {
			return fmt.Errorf("entry %q: negative size", e.Path)
		}
		for _, b := range e.Blocks {
			if b.Name == "" || !isSHA256(b.SHA256) || b.Size < 0 || b.Offset < 0 {
				return fmt.Errorf("entry %q: bad block %q", e.Path, b.Name)
			}
		}
	}
	if m.Entries == nil {
		m.Entries = []Entry{}
	}
	return nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Options say what Build hashes and records.
type Options struct {
	Asset string
	Kind  Kind
	By    string
	At    time.Time // zero: now
	// MaxFiles bounds how many files a walk takes (0: 100000); more is an
	// error, not a silent cut.
	MaxFiles int
}

// Build hashes every regular file under roots (a file is taken as is; a
// directory is walked, symbolic links are not followed) into a manifest.
// A file given as a root is named by its base name, a file under a
// directory root by its path below it. For plc-program baselines, files
// that parse as S7 block dumps also get their blocks. Build does not sign.
func Build(o Options, roots ...string) (Manifest, error) {
	m := Manifest{Format: Format, Asset: o.Asset, Kind: o.Kind, Source: SourceFiles, By: o.By, Created: o.At}
	if m.Created.IsZero() {
		m.Created = time.Now()
	}
	if o.Asset == "" {
		return m, errors.New("no asset")
	}
	if _, err := ParseKind(string(o.Kind)); err != nil {
		return m, err
	}
	if len(roots) == 0 {
		return m, errors.New("no files or directories to hash")
	}
	maxFiles := o.MaxFiles
	if maxFiles <= 0 {
		maxFiles = 100000
	}
	seen := map[string]string{}
	add := func(name, file string) error {
		if prev, ok := seen[name]; ok {
			return fmt.Errorf("%s and %s would both be %q in the baseline: give them under one directory", prev, file, name)
		}
		if len(seen) >= maxFiles {
			return fmt.Errorf("more than %d files", maxFiles)
		}
		seen[name] = file
		e, err := hashFile(file, o.Kind == KindPLCProgram)
		if err != nil {
			return err
		}
		e.Path = name
		m.Entries = append(m.Entries, e)
		return nil
	}
	for _, root := range roots {
		fi, err := os.Stat(root)
		if err != nil {
			return m, err
		}
		m.Origin = append(m.Origin, filepath.ToSlash(filepath.Clean(root)))
		if !fi.IsDir() {
			if !fi.Mode().IsRegular() {
				return m, fmt.Errorf("%s: not a regular file", root)
			}
			if err := add(filepath.Base(root), root); err != nil {
				return m, err
			}
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil // directories, links, devices
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			return add(path.Clean(filepath.ToSlash(rel)), p)
		})
		if err != nil {
			return m, err
		}
	}
	m.normalize()
	return m, nil
}

// hashFile hashes one file and, with blocks, its S7 blocks: a file that
// starts like a block dump and is at most maxBlockDump bytes is read whole
// and parsed; any other is streamed through the hash.
func hashFile(name string, blocks bool) (Entry, error) {
	var e Entry
	f, err := os.Open(name)
	if err != nil {
		return e, err
	}
	defer f.Close()
	var head [2]byte
	n, _ := io.ReadFull(f, head[:])
	if blocks && n == 2 && head[0] == 0x70 && head[1] == 0x70 {
		fi, err := f.Stat()
		if err != nil {
			return e, err
		}
		if fi.Size() <= maxBlockDump {
			rest, err := io.ReadAll(io.LimitReader(f, maxBlockDump))
			if err != nil {
				return e, fmt.Errorf("read %s: %w", name, err)
			}
			data := append(head[:], rest...)
			sum := sha256.Sum256(data)
			e.Size, e.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
			bs, err := ParseS7Blocks(data)
			if err != nil {
				e.Note = "starts like an S7 block dump but " + err.Error() + ": hashed whole"
				return e, nil
			}
			e.Format, e.Blocks = FormatS7Blocks, bs
			return e, nil
		}
		e.Note = fmt.Sprintf("larger than %d bytes: hashed whole, blocks not parsed", maxBlockDump)
	}
	h := sha256.New()
	h.Write(head[:n])
	m, err := io.Copy(h, f)
	if err != nil {
		return e, fmt.Errorf("read %s: %w", name, err)
	}
	e.Size = int64(n) + m
	e.SHA256 = hex.EncodeToString(h.Sum(nil))
	return e, nil
}

// BlockHashes returns the blocks of the manifest by name: the blocks of
// parsed block dumps and, for a manifest learned from the wire, its
// entries. A block name twice (in two dumps) keeps the first in path order.
func (m *Manifest) BlockHashes() map[string]Block {
	out := map[string]Block{}
	for _, e := range m.Entries {
		if m.Source == SourceWire {
			if _, ok := out[e.Path]; !ok {
				out[e.Path] = Block{Name: e.Path, Size: e.Size, SHA256: e.SHA256}
			}
			continue
		}
		for _, b := range e.Blocks {
			if _, ok := out[b.Name]; !ok {
				out[b.Name] = b
			}
		}
	}
	return out
}
