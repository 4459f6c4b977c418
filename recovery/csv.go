package recovery

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"harborwatch/store"
)

// Problem is one thing wrong with a register file, at a 1-based line and
// column (0 when not known).
type Problem struct {
	File      string
	Line, Col int
	Msg       string
}

func (p Problem) Error() string {
	switch {
	case p.Line == 0:
		return p.File + ": " + p.Msg
	case p.Col == 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// Limits of a register file.
const (
	maxFile = 32 << 20
	maxRows = 100000
)

// Items are the advisory's backup items.
var Items = []string{"os-image", "plc-program", "vfd-settings", "switch-config"}

// Systems are the systems whose operating-system image the advisory asks
// to back up (Backup.System of an os-image).
var Systems = []string{"crane-management", "cabin-view", "ground-view"}

// Components are the spare component kinds.
var Components = []string{"plc", "embedded-computer", "network-device", "drive"}

var (
	backupColumns = []string{"id", "crane", "asset", "item", "system", "location", "offline", "sha256", "size", "taken_at",
		"restore_tested", "restore_result", "restore_by", "note"}
	spareColumns = []string{"id", "crane", "component", "model", "on_hand", "required", "location", "firmware_compatible",
		"rebuild_tested", "note"}
)

// table reads a register CSV: a header naming columns (in any order; id
// and the optional columns may be left out), then rows.
type table struct {
	name     string
	cr       *csv.Reader
	cols     map[string]int
	problems []Problem
	notices  []Problem
}

func openTable(name string, r io.Reader, known, required []string) (*table, []byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	t := &table{name: name, cols: map[string]int{}}
	if len(data) > maxFile {
		t.problems = append(t.problems, Problem{File: name, Msg: fmt.Sprintf("larger than %d bytes: not read", maxFile)})
		return t, nil, nil
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	t.cr = csv.NewReader(bytes.NewReader(data))
	t.cr.Comment = '#'
	t.cr.FieldsPerRecord = -1
	header, err := t.cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			t.problems = append(t.problems, Problem{File: name, Line: 1, Msg: "empty file: no header line"})
		} else {
			t.problems = append(t.problems, t.csvProblem(err))
		}
		t.cr = nil
		return t, data, nil
	}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		line, col := t.cr.FieldPos(i)
		switch {
		case !slices.Contains(known, h):
			t.notices = append(t.notices, Problem{File: name, Line: line, Col: col, Msg: fmt.Sprintf("column %q is not one harborwatch reads (it reads %s): ignored", h, strings.Join(known, ", "))})
		case t.has(h):
			t.problems = append(t.problems, Problem{File: name, Line: line, Col: col, Msg: fmt.Sprintf("column %q twice", h)})
			t.cr = nil
			return t, data, nil
		default:
			t.cols[h] = i
		}
	}
	for _, c := range required {
		if !t.has(c) {
			t.problems = append(t.problems, Problem{File: name, Line: 1, Msg: fmt.Sprintf("no %q column (the header must name %s)", c, strings.Join(required, ", "))})
			t.cr = nil
		}
	}
	return t, data, nil
}

func (t *table) has(c string) bool { _, ok := t.cols[c]; return ok }

func (t *table) csvProblem(err error) Problem {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return Problem{File: t.name, Line: pe.Line, Col: pe.Column, Msg: "csv syntax error: " + pe.Err.Error()}
	}
	return Problem{File: t.name, Msg: err.Error()}
}

// rows calls fn for each row, with a cell reader; fn's problems skip
// the row.
func (t *table) rows(fn func(r *row) bool) {
	if t.cr == nil {
		return
	}
	for n := 0; ; n++ {
		rec, err := t.cr.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.problems = append(t.problems, t.csvProblem(err))
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				continue
			}
			return
		}
		if n >= maxRows {
			line, _ := t.cr.FieldPos(0)
			t.problems = append(t.problems, Problem{File: t.name, Line: line, Msg: fmt.Sprintf("more than %d rows: the rest is not read", maxRows)})
			return
		}
		empty := true
		for _, f := range rec {
			if strings.TrimSpace(f) != "" {
				empty = false
			}
		}
		if empty {
			continue
		}
		r := &row{t: t, rec: rec}
		fn(r)
		if r.bad != nil {
			t.problems = append(t.problems, *r.bad)
		}
	}
}

type row struct {
	t   *table
	rec []string
	bad *Problem // the first problem of the row
}

// line is the row's first line.
func (r *row) line() int { l, _ := r.t.cr.FieldPos(0); return l }

func (r *row) fail(col string, format string, args ...any) {
	if r.bad != nil {
		return
	}
	p := Problem{File: r.t.name, Msg: fmt.Sprintf(format, args...) + ": row skipped"}
	if i, ok := r.t.cols[col]; ok && i < len(r.rec) {
		p.Line, p.Col = r.t.cr.FieldPos(i)
	} else {
		p.Line = r.line()
	}
	r.bad = &p
}

// str returns the trimmed cell of column c ("" when the column or the
// cell is missing); a cell with control characters fails the row.
func (r *row) str(c string) string {
	i, ok := r.t.cols[c]
	if !ok || i >= len(r.rec) {
		return ""
	}
	s := strings.TrimSpace(r.rec[i])
	for _, ch := range s {
		if ch < 0x20 || ch == 0x7f {
			r.fail(c, "%s: control character %U", c, ch)
			return ""
		}
	}
	if len(s) > 1000 {
		r.fail(c, "%s: longer than 1000 characters", c)
		return ""
	}
	return s
}

func (r *row) oneOf(c string, allowed []string, required bool) string {
	s := strings.ToLower(r.str(c))
	if s == "" {
		if required {
			r.fail(c, "%s: empty (want %s)", c, strings.Join(allowed, ", "))
		}
		return ""
	}
	if !slices.Contains(allowed, s) {
		r.fail(c, "%s: %q is not one of %s", c, s, strings.Join(allowed, ", "))
	}
	return s
}

func (r *row) boolean(c string) bool {
	switch s := strings.ToLower(r.str(c)); s {
	case "yes", "true", "1", "y":
		return true
	case "no", "false", "0", "n", "":
		return false
	default:
		r.fail(c, "%s: %q is not yes or no", c, s)
	}
	return false
}

func (r *row) integer(c string) int64 {
	s := r.str(c)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<50 {
		r.fail(c, "%s: %q is not a count (a whole number ≥ 0)", c, s)
		return 0
	}
	return n
}

// date reads RFC 3339 or YYYY-MM-DD (midnight UTC).
func (r *row) date(c string) *time.Time {
	s := r.str(c)
	if s == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly, "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			if t.Year() < 1970 || t.Year() > 9999 {
				break
			}
			return &t
		}
	}
	r.fail(c, "%s: %q is not a date (YYYY-MM-DD or RFC 3339)", c, s)
	return nil
}

func (r *row) sha(c string) string {
	s := strings.ToLower(r.str(c))
	if s == "" {
		return ""
	}
	if len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
		r.fail(c, "%s: %q is not a SHA-256 (64 hex digits)", c, s)
		return ""
	}
	return s
}

// ReadBackups reads a backup register in CSV: header with at least crane
// or asset, item, taken_at; see WriteBackups for every column. Rows with a
// problem are skipped and reported; unknown columns are notices. The
// error is for an input that cannot be read at all.
func ReadBackups(name string, r io.Reader) (bs []store.Backup, problems, notices []Problem, err error) {
	t, _, err := openTable(name, r, backupColumns, []string{"crane", "item", "taken_at"})
	if err != nil {
		return nil, nil, nil, err
	}
	t.rows(func(r *row) bool {
		b := store.Backup{ID: r.str("id"), Crane: r.str("crane"), Asset: r.str("asset"), Location: r.str("location"),
			Note: r.str("note"), RestoreBy: r.str("restore_by")}
		if b.Crane == "" {
			r.fail("crane", "crane: empty")
		}
		b.Item = r.oneOf("item", Items, true)
		b.System = r.oneOf("system", Systems, false)
		if b.Item == "os-image" && b.System == "" {
			r.fail("system", "system: an os-image backup names its system (%s)", strings.Join(Systems, ", "))
		}
		b.Offline = r.boolean("offline")
		b.SHA256 = r.sha("sha256")
		b.Size = r.integer("size")
		if t := r.date("taken_at"); t != nil {
			b.TakenAt = *t
		} else {
			r.fail("taken_at", "taken_at: empty")
		}
		b.RestoreTested = r.date("restore_tested")
		b.RestoreResult = r.oneOf("restore_result", []string{"pass", "fail"}, false)
		if b.RestoreTested != nil && b.RestoreResult == "" {
			r.fail("restore_result", "restore_result: a restore test says pass or fail")
		}
		if r.bad == nil {
			bs = append(bs, b)
		}
		return true
	})
	return bs, t.problems, t.notices, nil
}

// ReadSpares reads a spares register in CSV: header with at least crane,
// component, on_hand, required; see WriteSpares for every column.
func ReadSpares(name string, r io.Reader) (ss []store.Spare, problems, notices []Problem, err error) {
	t, _, err := openTable(name, r, spareColumns, []string{"crane", "component", "on_hand", "required"})
	if err != nil {
		return nil, nil, nil, err
	}
	t.rows(func(r *row) bool {
		s := store.Spare{ID: r.str("id"), Crane: r.str("crane"), Model: r.str("model"), Location: r.str("location"), Note: r.str("note")}
		if s.Crane == "" {
			r.fail("crane", "crane: empty")
		}
		s.Component = r.oneOf("component", Components, true)
		s.OnHand = int(r.integer("on_hand"))
		s.Required = int(r.integer("required"))
		s.FirmwareCompatible = r.oneOf("firmware_compatible", []string{"yes", "no", "unknown"}, false)
		if s.FirmwareCompatible == "" {
			s.FirmwareCompatible = "unknown"
		}
		s.RebuildTested = r.date("rebuild_tested")
		if r.bad == nil {
			ss = append(ss, s)
		}
		return true
	})
	return ss, t.problems, t.notices, nil
}

func day(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// WriteBackups writes backups as CSV with every column, in the form
// ReadBackups reads.
func WriteBackups(w io.Writer, bs []store.Backup) error {
	cw := csv.NewWriter(w)
	cw.Write(backupColumns)
	for _, b := range bs {
		taken := b.TakenAt
		cw.Write([]string{b.ID, b.Crane, b.Asset, b.Item, b.System, b.Location, yesNo(b.Offline), b.SHA256,
			strconv.FormatInt(b.Size, 10), day(&taken), day(b.RestoreTested), b.RestoreResult, b.RestoreBy, b.Note})
	}
	cw.Flush()
	return cw.Error()
}

// WriteSpares writes spares as CSV with every column.
func WriteSpares(w io.Writer, ss []store.Spare) error {
	cw := csv.NewWriter(w)
	cw.Write(spareColumns)
	for _, s := range ss {
		cw.Write([]string{s.ID, s.Crane, s.Component, s.Model, strconv.Itoa(s.OnHand), strconv.Itoa(s.Required), s.Location,
			s.FirmwareCompatible, day(s.RebuildTested), s.Note})
	}
	cw.Flush()
	return cw.Error()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
