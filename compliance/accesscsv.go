package compliance

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"harborwatch/internal/yamlfile"
	"harborwatch/store"
)

// Problem is one thing wrong in an imported file, at a 1-based line and
// column.
type Problem = yamlfile.Problem

// Problems is every problem of a file, in file order.
type Problems = yamlfile.Problems

// AccessColumns are the columns of an access register CSV file, in any
// order; site, system, holder, path and sources are required.
var AccessColumns = []string{"id", "site", "crane", "system", "holder", "path", "sources", "mfa", "clause", "clause_sha256", "attester", "expires"}

// Limits of ParseAccessCSV.
const (
	MaxAccessBytes = 4 << 20
	MaxAccessRows  = 10_000
	maxField       = 1024
)

// ParseAccessCSV reads an access register CSV file (a header row naming
// AccessColumns, then one entry a row): sources are addresses or CIDR
// prefixes separated by spaces or semicolons, mfa is yes/no (or
// true/false, empty = no), expires YYYY-MM-DD or empty. Every problem is
// reported with name:line:col, and a row with a problem is left out (the
// others are returned); nothing is dropped silently.
func ParseAccessCSV(name string, r io.Reader) ([]store.AccessEntry, Problems) {
	var ps Problems
	bad := func(line, col int, format string, args ...any) {
		ps = append(ps, Problem{File: name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxAccessBytes+1))
	if err != nil {
		bad(0, 0, "read: %v", err)
		return nil, ps
	}
	if len(data) > MaxAccessBytes {
		bad(0, 0, "larger than %d bytes", MaxAccessBytes)
		return nil, ps
	}
	if !utf8.Valid(data) {
		bad(1, 1, "not UTF-8 text")
		return nil, ps
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\ufeff")))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		bad(1, 1, "empty file: want a header row (%s)", strings.Join(AccessColumns, ","))
		return nil, ps
	}
	if err != nil {
		bad(csvPos(err, 1), csvCol(err), "%s", csvMsg(err))
		return nil, ps
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		line, c := cr.FieldPos(i)
		switch {
		case !slices.Contains(AccessColumns, h):
			bad(line, c, "unknown column %q: want %s", h, strings.Join(AccessColumns, ", "))
		case col[h] != 0:
			bad(line, c, "column %q given twice", h)
		default:
			col[h] = i + 1
		}
	}
	for _, req := range []string{"site", "system", "holder", "path", "sources"} {
		if col[req] == 0 {
			bad(1, 1, "no %q column", req)
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}
	var out []store.AccessEntry
	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			bad(csvPos(err, 0), csvCol(err), "%s", csvMsg(err))
			if _, ok := errors.AsType[*csv.ParseError](err); ok {
				continue
			}
			break
		}
		rows++
		if rows > MaxAccessRows {
			line, _ := cr.FieldPos(0)
			bad(line, 1, "more than %d rows: the rest is not read", MaxAccessRows)
			break
		}
		rowBad := false
		get := func(name string) (string, int, int) {
			i := col[name] - 1
			if i < 0 || i >= len(rec) {
				line, _ := cr.FieldPos(0)
				return "", line, 1
			}
			line, c := cr.FieldPos(i)
			v := strings.TrimSpace(rec[i])
			if len(v) > maxField {
				bad(line, c, "%s: longer than %d bytes", name, maxField)
				rowBad = true
				return "", line, c
			}
			return v, line, c
		}
		if len(rec) != len(header) {
			line, _ := cr.FieldPos(0)
			bad(line, 1, "%d fields, the header has %d", len(rec), len(header))
			continue
		}
		var e store.AccessEntry
		e.ID, _, _ = get("id")
		e.Site, _, _ = get("site")
		e.Crane, _, _ = get("crane")
		e.System, _, _ = get("system")
		e.Holder, _, _ = get("holder")
		e.Clause, _, _ = get("clause")
		e.Attester, _, _ = get("attester")
		var line, c int
		var v string
		if v, line, c = get("path"); !slices.Contains(store.AccessPaths, strings.ToLower(v)) {
			bad(line, c, "path %q: want %s", v, strings.Join(store.AccessPaths, ", "))
			rowBad = true
		}
		e.Path = strings.ToLower(v)
		v, line, c = get("sources")
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ';' }) {
			if _, err := netip.ParsePrefix(s); err != nil {
				if _, err := netip.ParseAddr(s); err != nil {
					bad(line, c, "source %q is neither an IP address nor a CIDR prefix", s)
					rowBad = true
					continue
				}
			}
			e.Sources = append(e.Sources, s)
		}
		switch v, line, c = get("mfa"); strings.ToLower(v) {
		case "yes", "true", "y":
			e.MFA = true
		case "", "no", "false", "n":
		default:
			bad(line, c, "mfa %q: want yes or no", v)
			rowBad = true
		}
		v, line, c = get("clause_sha256")
		e.ClauseSHA256 = strings.ToLower(v)
		if v, line, c = get("expires"); v != "" {
			t, err := time.Parse(time.DateOnly, v)
			if err != nil {
				bad(line, c, "expires %q: want YYYY-MM-DD", v)
				rowBad = true
			}
			e.Expires = t
		}
		if !rowBad {
			if err := e.Check(); err != nil {
				l, _ := cr.FieldPos(0)
				bad(l, 1, "%v", err)
				rowBad = true
			}
		}
		if !rowBad {
			out = append(out, e)
		}
	}
	return out, ps
}

func csvPos(err error, def int) int {
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		return pe.Line
	}
	return def
}

func csvCol(err error) int {
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		return pe.Column
	}
	return 0
}

func csvMsg(err error) string {
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
