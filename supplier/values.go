package supplier

import (
	"fmt"
	"math"
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

// normalizeCountry checks an ISO 3166-1 alpha-2 code and upper-cases it.
func normalizeCountry(s string) (string, bool) {
	if len(s) != 2 {
		return "", false
	}
	u := strings.ToUpper(s)
	if u[0] < 'A' || u[0] > 'Z' || u[1] < 'A' || u[1] > 'Z' {
		return "", false
	}
	return u, true
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

// suggest returns " (did you mean "x"?)" for the option closest to s, or
// " (valid: a, b, c)" when none is close.
func suggest(s string, options []string) string {
	best, bestD := "", math.MaxInt
	ls := strings.ToLower(s)
	for _, o := range options {
		if d := editDistance(ls, o); d < bestD {
			best, bestD = o, d
		}
	}
	switch {
	case best != "" && bestD <= max(1, len(s)/3):
		return fmt.Sprintf(" (did you mean %q?)", best)
	case len(options) == 0 || len(options) > 30:
		return ""
	}
	return " (valid: " + strings.Join(options, ", ") + ")"
}

// editDistance is the optimal-string-alignment distance of a and b, in
// bytes: insertions, deletions, substitutions and swaps of neighbours.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt // too long to be a typo of a short keyword
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
