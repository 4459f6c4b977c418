package vuln

import (
	"cmp"
	"strconv"
	"strings"
	"unicode"
)

// Version is a firmware or software version as vendors write it: an
// optional prefix (V, v, MX-, Firmware__, HiOS, FW), numeric segments
// separated by dots (a segment "X" or "x" is a wildcard: V3.X.16 stands
// for any minor version), then qualifiers, each a word and an optional
// number: SP2, HF1, _HF1, Update 3, build 150410, r2, kit1, R.220614.
//
// Ordering: numeric segments compare as numbers (V3.50 > V3.5; a missing
// segment counts as 0, so V3.2 = V3.2.0). Versions equal in their numeric
// segments compare by their qualifiers in order, where no qualifier comes
// first and, between qualifiers, the kind ranks Update = SP (service
// packs) above HF (hotfixes) above every other word (build, r, kit, …),
// then the number. Hence V3.2 < V3.2 HF1 < V3.2 SP1 < V3.2 SP1 HF1 < V3.3.
type Version struct {
	Raw   string
	segs  []int // -1: wildcard
	quals []qual
}

type qual struct {
	rank int
	word string
	n    int
}

// Qualifier ranks.
const (
	rankOther  = 1
	rankHotfix = 2
	rankPack   = 3
)

// prefixes are the words a version may start with before its first
// digit, lower-case; anything else there makes the string no version.
var prefixes = map[string]bool{"v": true, "mx": true, "mxv": true, "firmware": true, "hios": true, "fw": true, "version": true, "ver": true, "r": true, "rev": true}

// ParseVersion parses a version; ok is false for a string that is not
// one (no digit, an unknown word before the first digit, a segment that
// is neither a number nor a wildcard).
func ParseVersion(s string) (Version, bool) {
	v := Version{Raw: s}
	toks := lex(s)
	i := 0
	// Prefix words.
	for i < len(toks) && !toks[i].num {
		w := strings.ToLower(toks[i].text)
		if strings.HasPrefix(w, "mx") && len(w) > 2 && prefixes[w] {
			i++
			continue
		}
		if !prefixes[w] {
			return Version{Raw: s}, false
		}
		i++
	}
	if i == len(toks) {
		return Version{Raw: s}, false
	}
	// Numeric segments: numbers joined by dots; a lone X between dots is a
	// wildcard.
	for i < len(toks) {
		t := toks[i]
		switch {
		case t.num:
			n, err := strconv.Atoi(trimZeros(t.text))
			if err != nil {
				return Version{Raw: s}, false
			}
			v.segs = append(v.segs, n)
		case (t.text == "X" || t.text == "x") && len(v.segs) > 0 && t.sep == ".":
			v.segs = append(v.segs, -1)
		default:
			goto quals
		}
		i++
		if i < len(toks) && toks[i].sep != "." {
			break
		}
	}
quals:
	for i < len(toks) {
		t := toks[i]
		if t.num {
			// A number after a qualifier word was consumed with it; a
			// bare number here continues the last qualifier (R.220614)
			// or stands alone.
			n, _ := strconv.Atoi(trimZeros(t.text))
			if k := len(v.quals) - 1; k >= 0 && v.quals[k].n == 0 {
				v.quals[k].n = n
			} else {
				v.quals = append(v.quals, qual{rank: rankOther, n: n})
			}
			i++
			continue
		}
		w := strings.ToLower(t.text)
		q := qual{rank: rankOther, word: w}
		switch w {
		case "sp", "update", "upd", "u":
			q.rank = rankPack
		case "hf", "hotfix":
			q.rank = rankHotfix
		}
		i++
		if i < len(toks) && toks[i].num {
			q.n, _ = strconv.Atoi(trimZeros(toks[i].text))
			i++
		}
		v.quals = append(v.quals, q)
	}
	return v, true
}

func trimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" {
		return "0"
	}
	if len(t) > 9 {
		t = t[:9] // beyond int range on 32-bit: compare the leading digits
	}
	return t
}

// token is a run of digits or of letters, with the separator before it.
type token struct {
	text string
	num  bool
	sep  string // "." for a dot, " " for other separators, "" for none
}

func lex(s string) []token {
	var out []token
	sep := ""
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsDigit(r) || unicode.IsLetter(r):
			digit := unicode.IsDigit(r)
			j := i
			for j < len(rs) && (unicode.IsDigit(rs[j]) == digit) && (unicode.IsDigit(rs[j]) || unicode.IsLetter(rs[j])) {
				j++
			}
			out = append(out, token{text: string(rs[i:j]), num: digit, sep: sep})
			sep = ""
			i = j
		default:
			if r == '.' {
				sep = "."
			} else if sep == "" {
				sep = " "
			}
			i++
		}
	}
	return out
}

// Compare compares two versions: -1, 0 or +1. A wildcard segment equals
// any value.
func (v Version) Compare(w Version) int {
	n := max(len(v.segs), len(w.segs))
	for i := range n {
		a, b := seg(v.segs, i), seg(w.segs, i)
		if a < 0 || b < 0 {
			continue
		}
		if c := cmp.Compare(a, b); c != 0 {
			return c
		}
	}
	for i := range max(len(v.quals), len(w.quals)) {
		switch {
		case i >= len(v.quals):
			return -1
		case i >= len(w.quals):
			return 1
		}
		a, b := v.quals[i], w.quals[i]
		if c := cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.n, b.n)); c != 0 {
			return c
		}
	}
	return 0
}

func seg(s []int, i int) int {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// Major is the first numeric segment (-1 for a wildcard or none).
func (v Version) Major() int {
	if len(v.segs) == 0 {
		return -1
	}
	return v.segs[0]
}

// String is the version as written.
func (v Version) String() string { return v.Raw }
