package textsafe

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// escaped reports whether r is a rune String escapes.
func escaped(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true
	case r < 0x80:
		return false
	case r <= 0x9f:
		return true // C1
	}
	switch r {
	case 0x061c, 0x200e, 0x200f, 0x2028, 0x2029:
		return true
	}
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// clean returns the index of the first byte of s that String must escape,
// or -1 when s is safe as it is.
func clean(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return i
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || escaped(r) {
			return i
		}
		i += n
	}
	return -1
}

// Safe reports whether s needs no escaping: String(s) == s.
func Safe(s string) bool { return clean(s) < 0 }

// String returns s with every control character, bidirectional control,
// line or paragraph separator and byte of invalid UTF-8 escaped (see the
// package documentation); printable text is returned unchanged. When
// nothing needs escaping it returns s itself and allocates nothing.
func String(s string) string {
	i := clean(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '\t':
				b.WriteString(`\t`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			default:
				b.WriteString(`\x`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		case escaped(r):
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hex[r>>shift&0xf])
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Cell returns s made safe for a cell of a CSV file opened in a
// spreadsheet: escaped as String does, and, when it would start with a
// character that makes a spreadsheet read the cell as a formula (=, +, -,
// @, tab or carriage return), prefixed with a single quote, as the OWASP
// advice on CSV injection recommends; "=cmd|' /C calc'!A0" becomes
// "'=cmd|' /C calc'!A0". Quoting the cell itself (commas, quotes, line
// ends) is left to the CSV writer. An empty or safe cell is returned
// unchanged, without allocating.
func Cell(s string) string {
	s = String(s)
	if Formula(s) {
		return "'" + s
	}
	return s
}

// Formula reports whether a spreadsheet would read the cell s as a
// formula: it starts with =, +, -, @, tab or carriage return.
func Formula(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// Row applies Cell to every cell of row, in place, and returns it.
func Row(row []string) []string {
	for i, s := range row {
		row[i] = Cell(s)
	}
	return row
}

// Args makes printf arguments safe in place: strings and every value that
// is not a number or a bool are replaced by their escaped text; numbers and
// bools keep their verbs (%d, %t).
func Args(args []any) {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = String(s)
			continue
		}
		switch reflect.ValueOf(a).Kind() {
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint,
			reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		default:
			args[i] = String(fmt.Sprint(a))
		}
	}
}
