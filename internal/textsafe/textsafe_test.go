package textsafe

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"printable", "spreader_params.cfg", "spreader_params.cfg"},
		{"printable unicode", "Terminal 3 — Hafen Köln, 港口", "Terminal 3 — Hafen Köln, 港口"},
		{"backslash kept", `C:\fw\s7.bin`, `C:\fw\s7.bin`},
		{"ESC", "fw\x1b[2Jbin", `fw\x1b[2Jbin`},
		{"BEL", "a\x07b", `a\x07b`},
		{"NUL", "a\x00", `a\x00`},
		{"tab newline CR", "a\tb\nc\rd", `a\tb\nc\rd`},
		{"DEL", "a\x7f", `a\x7f`},
		{"C1 CSI", "a\u009b2Jb", `a\u009b2Jb`},
		{"C1 first and last", "\u0080\u009f", `\u0080\u009f`},
		{"NBSP kept", "a\u00a0b", "a\u00a0b"},
		{"RLO", "invoice\u202efdp.exe", `invoice\u202efdp.exe`},
		{"bidi set", "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069",
			`\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069`},
		{"line separators", "a\u2028b\u2029", `a\u2028b\u2029`},
		{"zero width joiner kept", "a\u200db", "a\u200db"},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"encoded C1 as bytes", "\xc2\x9b", `\u009b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := String(tt.in)
			if got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := String(got); again != got {
				t.Errorf("String not idempotent: %q → %q", got, again)
			}
			if Safe(tt.in) != (tt.in == tt.want) {
				t.Errorf("Safe(%q) = %v", tt.in, Safe(tt.in))
			}
		})
	}
}

func TestCell(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain", "Schneider Electric", "Schneider Electric"},
		{"formula", "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"plus", "+1+2", "'+1+2"},
		{"minus", "-2+3", "'-2+3"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab first", "\t=1", `\t=1`},
		{"CR first", "\r=1", `\r=1`},
		{"inner equals", "a=b", "a=b"},
		{"controls and formula", "=\x1b[31m", `'=\x1b[31m`},
		{"quoted already", "'=1", "'=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Cell(tt.in)
			if got != tt.want {
				t.Errorf("Cell(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Cell(got); again != got {
				t.Errorf("Cell not idempotent: %q → %q", got, again)
			}
		})
	}
}

func TestNoAllocs(t *testing.T) {
	for _, s := range []string{"", "sts01-plc1", "Terminal 3 — Hafen Köln", "'=1"} {
		if n := testing.AllocsPerRun(100, func() { _ = String(s); _ = Cell(s) }); n != 0 {
			t.Errorf("%q: %v allocations, want 0", s, n)
		}
	}
}

// unsafe returns the first rune of s a terminal or a spreadsheet would
// act on, and whether there is one.
func unsafe(s string) (rune, bool) {
	if !utf8.ValidString(s) {
		return utf8.RuneError, true
	}
	for _, r := range s {
		if escaped(r) {
			return r, true
		}
	}
	return 0, false
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x1b[2J", "\u009b", "\u202e", "\xff\xfe", "\t\n\r", `\x1b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := String(s)
		if r, bad := unsafe(got); bad {
			t.Fatalf("String(%q) = %q holds %U", s, got, r)
		}
		if Safe(s) != (got == s) {
			t.Fatalf("Safe(%q) = %v but String gives %q", s, Safe(s), got)
		}
		if String(got) != got {
			t.Fatalf("String not idempotent on %q", got)
		}
		// Nothing is lost: without backslashes in the input, every
		// backslash of the output starts an escape, and undoing them gives
		// the input back.
		if !strings.Contains(s, `\`) {
			if back := unescape(t, got); back != s {
				t.Fatalf("String(%q) = %q undoes to %q", s, got, back)
			}
		}
		c := Cell(s)
		if r, bad := unsafe(c); bad {
			t.Fatalf("Cell(%q) = %q holds %U", s, c, r)
		}
		if Formula(c) {
			t.Fatalf("Cell(%q) = %q starts a formula", s, c)
		}
	})
}

// unescape undoes String's escapes.
func unescape(t *testing.T, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'x':
			v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteByte(byte(v))
			i += 2
		case 'u':
			v, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteRune(rune(v))
			i += 4
		default:
			t.Fatalf("bad escape in %q", s)
		}
		i++
	}
	return b.String()
}

// TestArgs: strings and other values are escaped in place, numbers and
// bools are left for their verbs.
func TestArgs(t *testing.T) {
	type named string
	args := []any{"a\x1bb", 42, uint16(7), true, 1.5, named("x\u202ey"), []string{"\x07"}}
	Args(args)
	want := []any{`a\x1bb`, 42, uint16(7), true, 1.5, `x\u202ey`, `[\x07]`}
	for i := range want {
		if args[i] != want[i] {
			t.Errorf("arg %d = %#v, want %#v", i, args[i], want[i])
		}
	}
}
