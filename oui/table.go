package oui

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"
)

// ErrFormat is wrapped by every error Load returns for a table that is not
// in the format described in the package documentation.
var ErrFormat = errors.New("oui: malformed table")

const (
	magic = "harborwatch-oui 1"
	// maxTable bounds the decompressed table Load accepts: the IEEE lists
	// of 2022 make 1.5 MB, so 16 MiB leaves room for growth and stops a
	// gzip bomb.
	maxTable = 16 << 20
	// maxVersion bounds the version string.
	maxVersion = 64
)

// group is the blocks of one prefix length, sorted by prefix.
type group struct {
	bits int
	// keys holds each block's prefix, the top bits of the 48-bit address.
	keys []uint64
	// org indexes Table.orgs; reg is the block's registry.
	org []uint32
	reg []Registry
	// text holds the blocks' formatted prefixes ("00-1B-1B"), width bytes
	// each, so Lookup returns Block.Prefix as a substring and allocates
	// nothing.
	text  string
	width int
}

// shapes are the groups' prefix lengths, in the order of the table file;
// Lookup tries them backwards, longest prefix first.
var shapes = [...]struct {
	bits, digits int
}{{24, 6}, {28, 7}, {36, 9}}

// Table is a parsed vendor table. It is immutable and safe for concurrent
// use. The zero Table and a nil *Table are empty.
type Table struct {
	version string
	orgs    []string
	groups  [len(shapes)]group
	count   [numRegistries]int
}

// Load reads a gzip-compressed table, as written by the generator
// (oui/internal/gen) and embedded in this package. Every error for bad
// content wraps ErrFormat and names the line; the error of a failing reader
// is returned wrapped, without ErrFormat.
func Load(r io.Reader) (*Table, error) {
	src := &trap{r: r}
	text, err := gunzip(src)
	switch {
	case src.err != nil:
		return nil, fmt.Errorf("oui: read table: %w", src.err)
	case err != nil:
		return nil, fmt.Errorf("%w: decompress: %w", ErrFormat, err)
	case len(text) > maxTable:
		return nil, fmt.Errorf("%w: more than %d bytes decompressed", ErrFormat, maxTable)
	}
	return parse(text)
}

// gunzip decompresses r, up to one byte more than maxTable.
func gunzip(r io.Reader) ([]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(io.LimitReader(zr, maxTable+1))
}

// trap keeps the error of the reader under the gzip reader, so Load can
// tell a failing reader from bad data.
type trap struct {
	r   io.Reader
	err error
}

func (t *trap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}

// parse reads the decompressed table.
func parse(text []byte) (*Table, error) {
	t := &Table{}
	for i, s := range shapes {
		t.groups[i] = group{bits: s.bits, width: s.digits + (s.digits-1)/2}
	}
	// One pass to size the arrays: lines bound the blocks per group.
	var lines [len(shapes)]int
	for l := range bytes.Lines(text) {
		if len(l) > 2 && l[1] == ' ' {
			if g, _, ok := registryOf(l[0]); ok {
				lines[g]++
			}
		}
	}
	var prefix [len(shapes)][]byte
	for g := range t.groups {
		t.groups[g].keys = make([]uint64, 0, lines[g])
		t.groups[g].org = make([]uint32, 0, lines[g])
		t.groups[g].reg = make([]Registry, 0, lines[g])
		prefix[g] = make([]byte, 0, lines[g]*t.groups[g].width)
	}
	index := map[string]uint32{}

	n, ended, sawVersion := 0, false, false
	lastGroup := 0
	for line := range bytes.Lines(text) {
		n++
		if !bytes.HasSuffix(line, []byte("\n")) {
			return nil, fmt.Errorf("%w: line %d: no newline at end of file", ErrFormat, n)
		}
		line = line[:len(line)-1]
		switch {
		case ended:
			return nil, fmt.Errorf("%w: line %d: data after the end line", ErrFormat, n)
		case n == 1:
			if string(line) != magic {
				return nil, fmt.Errorf("%w: line 1: %.40q is not %q", ErrFormat, line, magic)
			}
		case !sawVersion && len(line) > 0 && line[0] == '#':
			// Comments only before the version line.
		case !sawVersion:
			v, ok := bytes.CutPrefix(line, []byte("version "))
			if !ok || !printable(v) || len(v) > maxVersion {
				return nil, fmt.Errorf("%w: line %d: want version line (1 to %d printable characters), got %.40q", ErrFormat, n, maxVersion, line)
			}
			t.version = string(v)
			sawVersion = true
		case bytes.HasPrefix(line, []byte("end ")):
			c, err := strconv.Atoi(string(line[len("end "):]))
			if err != nil || c != t.Len() {
				return nil, fmt.Errorf("%w: line %d: end line %.40q, but the table has %d blocks", ErrFormat, n, line, t.Len())
			}
			ended = true
		default:
			g, err := t.add(line, prefix[:], lastGroup, index)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: %s", ErrFormat, n, err)
			}
			lastGroup = g
		}
	}
	if !ended {
		return nil, fmt.Errorf("%w: line %d: truncated: no end line", ErrFormat, n)
	}
	for g := range t.groups {
		t.groups[g].text = string(prefix[g])
	}
	return t, nil
}

// add parses one block line, "L 001B1B Siemens AG,", appends it to its group
// and returns the group. Groups must come in order (L, then M, then S and I
// together), prefixes strictly increasing within a group.
func (t *Table) add(line []byte, prefix [][]byte, lastGroup int, index map[string]uint32) (int, error) {
	if len(line) < 3 || line[1] != ' ' {
		return 0, fmt.Errorf("want \"R HEX ORGANISATION\", got %.40q", line)
	}
	g, reg, ok := registryOf(line[0])
	if !ok {
		return 0, fmt.Errorf("unknown registry %q", line[0])
	}
	digits := shapes[g].digits
	rest := line[2:]
	if len(rest) < digits+2 || rest[digits] != ' ' {
		return 0, fmt.Errorf("%s block: want %d hex digits, a space and a name, got %.40q", reg, digits, rest)
	}
	var key uint64
	for _, c := range rest[:digits] {
		v, ok := unhex(c)
		if !ok {
			return 0, fmt.Errorf("%s block: %q is not upper-case hex", reg, rest[:digits])
		}
		key = key<<4 | uint64(v)
	}
	if key>>(4*digits-8)&(bitMulticast|bitLocal) != 0 {
		return 0, fmt.Errorf("%s block %s: the I/G or U/L bit is set, so Lookup could never find it", reg, rest[:digits])
	}
	org := rest[digits+1:]
	if !printable(org) || org[len(org)-1] == ' ' {
		return 0, fmt.Errorf("organisation %.40q: want valid UTF-8 without control characters or spaces at either end", org)
	}
	grp := &t.groups[g]
	switch {
	case g < lastGroup:
		return 0, fmt.Errorf("%s block %s after longer prefixes: blocks must be sorted", reg, rest[:digits])
	case g == lastGroup && len(grp.keys) > 0 && key <= grp.keys[len(grp.keys)-1]:
		return 0, fmt.Errorf("%s block %s: not after the block before it: blocks must be sorted and unique", reg, rest[:digits])
	}
	i, ok := index[string(org)]
	if !ok {
		// maxTable bounds the names well below 2^32.
		i = uint32(len(t.orgs))
		t.orgs = append(t.orgs, string(org))
		index[t.orgs[i]] = i
	}
	grp.keys = append(grp.keys, key)
	grp.org = append(grp.org, i)
	grp.reg = append(grp.reg, reg)
	t.count[reg]++
	// "70B3D50AE" → "70-B3-D5-0A-E"
	for j, c := range rest[:digits] {
		if j > 0 && j%2 == 0 {
			prefix[g] = append(prefix[g], '-')
		}
		prefix[g] = append(prefix[g], c)
	}
	return g, nil
}

// registryOf maps a block line's registry letter to its group and registry.
// The group index is 0 for MA-L (24 bits), 1 for MA-M (28 bits) and 2 for
// MA-S and IAB (36 bits), as in shapes.
func registryOf(c byte) (group int, r Registry, ok bool) {
	switch c {
	case 'L':
		return 0, MAL, true
	case 'M':
		return 1, MAM, true
	case 'S':
		return 2, MAS, true
	case 'I':
		return 2, IAB, true
	}
	return 0, 0, false
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// printable reports whether b is non-empty valid UTF-8 without control
// characters and does not start with a space.
func printable(b []byte) bool {
	if len(b) == 0 || b[0] == ' ' || !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 || (0x7f <= r && r < 0xa0) {
			return false
		}
	}
	return true
}

// Lookup returns the registered block holding mac: the longest prefix of
// MA-S/IAB (36 bits), MA-M (28 bits) and MA-L (24 bits). Multicast and
// locally administered addresses (see Kind) are never attributed: for them,
// and for addresses in no block, Lookup returns false. It allocates nothing.
func (t *Table) Lookup(mac [6]byte) (Block, bool) {
	if t == nil || mac[0]&(bitMulticast|bitLocal) != 0 {
		return Block{}, false
	}
	addr := uint64(mac[0])<<40 | uint64(mac[1])<<32 | uint64(mac[2])<<24 |
		uint64(mac[3])<<16 | uint64(mac[4])<<8 | uint64(mac[5])
	for g := len(t.groups) - 1; g >= 0; g-- {
		grp := &t.groups[g]
		i, ok := slices.BinarySearch(grp.keys, addr>>(48-grp.bits))
		if !ok {
			continue
		}
		return Block{
			Prefix:   grp.text[i*grp.width : (i+1)*grp.width],
			Bits:     grp.bits,
			Registry: grp.reg[i],
			Org:      t.orgs[grp.org[i]],
		}, true
	}
	return Block{}, false
}

// Version returns the table's version: for the tables the generator
// writes, the date (YYYY-MM-DD, UTC) the IEEE lists were fetched.
func (t *Table) Version() string {
	if t == nil {
		return ""
	}
	return t.version
}

// Len returns the number of blocks in the table.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	n := 0
	for _, c := range t.count {
		n += c
	}
	return n
}

// Count returns the number of blocks of registry r.
func (t *Table) Count(r Registry) int {
	if t == nil || r >= numRegistries {
		return 0
	}
	return t.count[r]
}
