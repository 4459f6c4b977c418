// Command gen writes the vendor table that package oui embeds, from the IEEE
// registry listings shipped by Debian's ieee-data package:
//
//	go run ./internal/gen -dir /usr/share/ieee-data -out ieee.txt.gz
//
// It reads oui.csv (MA-L), mam.csv (MA-M), oui36.csv (MA-S) and iab.csv
// (IAB), each with the header
// "Registry,Assignment,Organization Name,Organization Address", and writes
// the gzip-compressed text table described in package oui (doc.go). The
// output is deterministic: the same input files give the same bytes (no
// timestamps, no file names in the gzip header, records sorted).
//
// What it does to the rows:
//   - organisation names: HTML character references that the IEEE export
//     leaves in some names (&amp;, &#39;) are decoded, control characters
//     dropped, spaces trimmed and internal runs of white space (tabs, no-break
//     and other Unicode spaces) collapsed to one space;
//   - rows whose organisation is "IEEE Registration Authority" are dropped:
//     they mark an MA-L (or one 36-bit block) that the IEEE sub-divided into
//     MA-M, MA-S or IAB blocks, not a vendor, so a MAC in an unassigned part
//     of such a block is attributed to nobody;
//   - an assignment listed more than once (old MA-L blocks given to several
//     organisations) becomes one block whose name lists the distinct names,
//     sorted and joined by " | ";
//   - rows whose first octet has the I/G (0x01) or U/L (0x02) bit set are
//     dropped: twenty MA-L blocks assigned before IEEE 802 fixed those bits
//     (02-60-8C 3COM, AA-00-04 DEC, …); package oui never attributes such
//     addresses, so the blocks could never be found;
//   - a row with no organisation name is skipped with a warning.
//
// Anything else unexpected (header, registry, assignment that is not hex of
// the registry's length, CSV syntax) is an error naming file and line.
//
// The table's version is the date (UTC) in the directory's .lastupdate file,
// which ieee-data's update-ieee-data writes when it fetches the lists, or
// else the newest modification date of the four files; -version overrides
// both.
package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// magic is the first line of the table; package oui checks it.
const magic = "harborwatch-oui 1"

// placeholder is the organisation of the rows that mark a sub-divided block.
const placeholder = "IEEE Registration Authority"

// source is one registry listing.
type source struct {
	file     string
	registry string // the Registry column every row must carry
	letter   byte   // the registry's letter in the table
	digits   int    // hex digits of an assignment
}

var sources = []source{
	{"oui.csv", "MA-L", 'L', 6},
	{"mam.csv", "MA-M", 'M', 7},
	{"oui36.csv", "MA-S", 'S', 9},
	{"iab.csv", "IAB", 'I', 9},
}

var header = []string{"Registry", "Assignment", "Organization Name", "Organization Address"}

// record is one block of the table.
type record struct {
	digits int    // 6, 7 or 9
	value  uint64 // the assignment
	letter byte   // L, M, S or I
	hex    string // the assignment, upper case
	orgs   []string
}

// stats says what generate did, for the summary line.
type stats struct {
	rows         int
	blocks       map[byte]int
	placeholders int
	groupLocal   int // rows with the I/G or U/L bit set
	merged       int
	warnings     []string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("gen", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dir := fl.String("dir", "/usr/share/ieee-data", "directory holding the ieee-data CSV files")
	out := fl.String("out", "ieee.txt.gz", "table file to write")
	version := fl.String("version", "", "table version (default: date of the directory's .lastupdate)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 0 {
		fmt.Fprintf(stderr, "gen: unexpected arguments %q\n", fl.Args())
		return 2
	}
	data, st, err := generate(os.DirFS(*dir), *version)
	if err != nil {
		fmt.Fprintf(stderr, "gen: %s: %v\n", *dir, err)
		return 1
	}
	for _, w := range st.warnings {
		fmt.Fprintf(stderr, "gen: warning: %s\n", w)
	}
	if err := writeFile(*out, data); err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "gen: wrote %s (%d bytes): %d rows, %d blocks (MA-L %d, MA-M %d, MA-S %d, IAB %d), %d placeholder rows and %d group/local rows dropped, %d duplicate rows merged\n",
		*out, len(data), st.rows, st.blocks['L']+st.blocks['M']+st.blocks['S']+st.blocks['I'],
		st.blocks['L'], st.blocks['M'], st.blocks['S'], st.blocks['I'], st.placeholders, st.groupLocal, st.merged)
	return 0
}

// writeFile replaces path atomically: a reader never sees half a table.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".oui-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// generate reads the four listings from fsys and returns the compressed
// table. version, when not empty, is written as the table's version.
func generate(fsys fs.FS, version string) ([]byte, stats, error) {
	st := stats{blocks: map[byte]int{}}
	type key struct {
		digits int
		value  uint64
	}
	recs := map[key]*record{}
	var newest time.Time
	for _, src := range sources {
		f, err := fsys.Open(src.file)
		if err != nil {
			return nil, st, err
		}
		if fi, err := f.Stat(); err == nil && fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
		err = readSource(f, src, &st, func(r record) {
			k := key{r.digits, r.value}
			if old, ok := recs[k]; ok {
				st.merged++
				old.orgs = append(old.orgs, r.orgs...)
				return
			}
			recs[k] = &r
		})
		f.Close()
		if err != nil {
			return nil, st, err
		}
	}
	if version == "" {
		v, err := lastUpdate(fsys)
		switch {
		case err == nil:
			version = v
		case errors.Is(err, fs.ErrNotExist) && !newest.IsZero():
			version = newest.UTC().Format(time.DateOnly)
		default:
			return nil, st, err
		}
	}
	if !validVersion(version) {
		return nil, st, fmt.Errorf("bad version %q: want 1 to 64 printable ASCII characters", version)
	}

	list := make([]*record, 0, len(recs))
	for _, r := range recs {
		slices.Sort(r.orgs)
		r.orgs = slices.Compact(r.orgs)
		list = append(list, r)
		st.blocks[r.letter]++
	}
	slices.SortFunc(list, func(a, b *record) int {
		return cmp.Or(cmp.Compare(a.digits, b.digits), cmp.Compare(a.value, b.value))
	})

	var text bytes.Buffer
	text.WriteString(magic + "\n")
	text.WriteString("# Code generated by oui/internal/gen from the IEEE MA-L, MA-M, MA-S and IAB registries (Debian ieee-data). DO NOT EDIT.\n")
	text.WriteString("version " + version + "\n")
	for _, r := range list {
		text.WriteByte(r.letter)
		text.WriteByte(' ')
		text.WriteString(r.hex)
		text.WriteByte(' ')
		text.WriteString(strings.Join(r.orgs, " | "))
		text.WriteByte('\n')
	}
	text.WriteString("end " + strconv.Itoa(len(list)) + "\n")

	var z bytes.Buffer
	zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if err != nil {
		return nil, st, err
	}
	// The zero gzip.Header: no name, no modification time, so the bytes
	// depend on the table alone.
	if _, err := zw.Write(text.Bytes()); err != nil {
		return nil, st, err
	}
	if err := zw.Close(); err != nil {
		return nil, st, err
	}
	return z.Bytes(), st, nil
}

// readSource parses one CSV listing and hands each kept row to add.
func readSource(r io.Reader, src source, st *stats, add func(record)) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(header)
	cr.ReuseRecord = true
	row, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: header: %w", src.file, err)
	}
	row[0] = strings.TrimPrefix(row[0], "\uFEFF")
	if !slices.Equal(row, header) {
		return fmt.Errorf("%s:1: header %q, want %q", src.file, row, header)
	}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", src.file, err) // a csv.ParseError names the line
		}
		line, _ := cr.FieldPos(0)
		at := src.file + ":" + strconv.Itoa(line)
		st.rows++
		if row[0] != src.registry {
			return fmt.Errorf("%s: registry %q, want %q", at, row[0], src.registry)
		}
		hex := strings.ToUpper(row[1])
		if len(hex) != src.digits {
			return fmt.Errorf("%s: assignment %q: want %d hex digits for %s", at, row[1], src.digits, src.registry)
		}
		value, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			return fmt.Errorf("%s: assignment %q is not hex", at, row[1])
		}
		org := normalize(row[2])
		switch {
		case org == "":
			st.warnings = append(st.warnings, at+": no organisation name, row skipped")
			continue
		case strings.EqualFold(org, placeholder):
			st.placeholders++
			continue
		case value>>(4*src.digits-8)&0x03 != 0:
			st.groupLocal++
			continue
		}
		add(record{digits: src.digits, value: value, letter: src.letter, hex: hex, orgs: []string{org}})
	}
}

// normalize decodes HTML character references, drops control characters
// and collapses white space.
func normalize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = html.UnescapeString(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// lastUpdate reads the .lastupdate file (seconds since the epoch) and
// returns its date.
func lastUpdate(fsys fs.FS) (string, error) {
	b, err := fs.ReadFile(fsys, ".lastupdate")
	if err != nil {
		return "", err
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || sec <= 0 {
		return "", fmt.Errorf(".lastupdate: %q is not a Unix time", bytes.TrimSpace(b))
	}
	return time.Unix(sec, 0).UTC().Format(time.DateOnly), nil
}

func validVersion(v string) bool {
	if v == "" || len(v) > 64 || !utf8.ValidString(v) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return false
		}
	}
	return true
}
