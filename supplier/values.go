package supplier

import (
	"fmt"
	"strings"
	"time"
)

// validID reports whether s is a usable supplier id: 1 to 64 lower-case
// letters, digits, '_' and '-', starting with a letter.
func validID(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parseDate checks a YYYY-MM-DD calendar date.
func parseDate(s string) string {
	if len(s) != len("2006-01-02") {
		return "want a date written YYYY-MM-DD"
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return "want a date written YYYY-MM-DD"
	}
	if t.Year() < 1900 {
		return "not a plausible date for a listing"
	}
	return ""
}

// checkProduct checks a product word: lower-case letters and digits in
// words joined by single '-'.
func checkProduct(s string) string {
	const want = "use lower-case words joined by '-', such as ip-camera"
	if s == "" || len(s) > 64 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return want
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return want
		}
	}
	return ""
}

// parseOUI parses an assignment prefix of 6, 7 or 9 hex digits (24, 28 or
// 36 bits), with or without '-', ':' or '.' between them: "C0-9B-F4-B",
// "c09bf4b".
func parseOUI(s string) (val uint64, bits uint8, why string) {
	const want = "want 6, 7 or 9 hex digits (a 24-, 28- or 36-bit prefix) such as C0-9B-F4-B"
	n := 0
	for _, c := range []byte(s) {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		case c == '-' || c == ':' || c == '.':
			continue
		default:
			return 0, 0, want
		}
		if n++; n > 9 {
			return 0, 0, want
		}
		val = val<<4 | uint64(d)
	}
	if n != 6 && n != 7 && n != 9 {
		return 0, 0, want
	}
	bits = uint8(4 * n)
	if first := val >> (bits - 8); first&0x03 != 0 {
		return 0, 0, "not an IEEE assignment: the group or local bit of the first octet is set"
	}
	return val, bits, ""
}

// formatOUI writes a prefix in upper-case hex, octets joined by '-', the
// odd nibble last: "C0-9B-F4-B".
func formatOUI(val uint64, bits uint8) string {
	const hex = "0123456789ABCDEF"
	n := int(bits / 4)
	b := make([]byte, 0, n+n/2)
	for i := range n {
		if i > 0 && i%2 == 0 {
			b = append(b, '-')
		}
		b = append(b, hex[val>>(4*(n-1-i))&0xf])
	}
	return string(b)
}

// normalizeDomain lower-cases a domain, drops one trailing dot and checks
// its syntax (RFC 1035 §2.3.1 labels, plus '_').
func normalizeDomain(s string) (string, string) {
	d := strings.ToLower(strings.TrimSuffix(s, "."))
	switch {
	case d == "":
		return "", "empty domain"
	case strings.HasPrefix(d, "*."):
		return "", fmt.Sprintf("a domain stands for its subdomains too; write %q", strings.TrimPrefix(d, "*."))
	case len(d) > 253:
		return "", "longer than 253 characters"
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return "", "labels must have 1 to 63 characters"
		}
		for _, c := range []byte(label) {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", fmt.Sprintf("character %q is not allowed in a domain", c)
			}
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "", "a label must not start or end with '-'"
		}
	}
	return d, ""
}
