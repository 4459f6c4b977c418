package vuln

import (
	"regexp"
	"strings"
	"unicode"
)

// Model tokens: what in a product name or an asset's model says which
// device it is. Strong tokens name one model or a model pattern
// (1756-EN2T, EDS-G516E, DS-2CD2??2FWD, 6ES7515-2AM02-0AB0); family tokens
// name a product line (S7-1500, M340); words are the name's other words.
type tokens struct {
	strong, family, words []string
	series                string // "Series D" → "D"
}

var (
	familyToken = regexp.MustCompile(`^(S7-\d{3,4}H?|M340|M580)$`)
	versionWord = regexp.MustCompile(`^V\d+(\.\d+)*$`)
	decimal     = regexp.MustCompile(`^\d+(\.\d+)+$`)
	// weakTokens carry a digit but name no model by themselves.
	weakTokens = map[string]bool{"ET200": true, "ET200SP": true, "200SP": true, "4G": true, "LTE": true}
	// stopWords are words of product names that say nothing of the model.
	stopWords = map[string]bool{"AND": true, "THE": true, "FOR": true, "WITH": true, "SERIES": true, "FIRMWARE": true,
		"FAMILY": true, "DEVICES": true, "PRODUCTS": true, "RUNNING": true, "ALL": true, "VERSIONS": true, "INCL": true,
		"RELATED": true, "VARIANTS": true, "CPU": true, "CPUS": true, "MODULES": true, "MODULE": true, "EMBEDDED": true}
	// qualifierWords name a variant that an asset must name too to match
	// (a software controller is not the hardware CPU of the same line).
	qualifierWords = []string{"CONTROLLER", "PLCSIM", "REDUNDANT", "ODK", "MFP"}
	inclText       = regexp.MustCompile(`(?i)\(?\s*incl\..*$`)
	spacedHyphen   = regexp.MustCompile(`\s+-\s+`)
	seriesLetter   = regexp.MustCompile(`(?i)\bSeries\s+([A-Z])\b`)
)

// productTokens reads a product name (and its family) with the
// advisory's wildcards: x or z after a digit or at a token's end, and
// runs of two or more X, stand for any character; a trailing wildcard
// for any suffix.
func productTokens(name string) tokens {
	var t tokens
	if m := seriesLetter.FindStringSubmatch(name); m != nil {
		t.series = strings.ToUpper(m[1])
	}
	name = inclText.ReplaceAllString(name, "")
	name = spacedHyphen.ReplaceAllString(name, "-")
	split(name, true, &t)
	return t
}

// deviceTokens reads what an asset says of its model: its tokens, and
// each string with its spaces removed (BMX P34 2020 → BMXP342020).
func deviceTokens(models []string) tokens {
	var t tokens
	for _, m := range models {
		if s := seriesLetter.FindStringSubmatch(m); s != nil && t.series == "" {
			t.series = strings.ToUpper(s[1])
		}
		m = spacedHyphen.ReplaceAllString(m, "-")
		split(m, false, &t)
		joined := strings.ToUpper(strings.Join(strings.Fields(m), ""))
		if hasDigit(joined) {
			t.strong = appendNew(t.strong, joined)
		}
	}
	return t
}

func split(s string, wild bool, t *tokens) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",()/:;&+", r)
	})
	prev := ""
	for _, f := range fields {
		f = strings.Trim(f, "-.")
		if f == "" {
			continue
		}
		if wild {
			f = wildcards(f)
		}
		u := strings.ToUpper(f)
		switch {
		case !hasDigit(u):
			if len(u) == 1 && prev != "" && familyToken.MatchString(prev+u) {
				// S7-400 H: the H line.
				if n := len(t.family); n > 0 && t.family[n-1] == prev {
					t.family = t.family[:n-1]
				}
				t.family = appendNew(t.family, prev+u)
			}
			if !stopWords[u] && len(u) >= 2 {
				t.words = appendNew(t.words, u)
			}
		case isNumber(u):
			// A bare number names a model with the word before it
			// (ControlLogix 5570, NOE 0100).
			if prev != "" && !isNumber(prev) {
				g := prev + u
				if prev == "ET" {
					break
				}
				t.strong = appendNew(t.strong, g)
			}
		case familyToken.MatchString(u):
			t.family = appendNew(t.family, u)
		case versionWord.MatchString(u), decimal.MatchString(u), weakTokens[u], len(strings.Trim(u, "?*")) < 3:
		default:
			if prev == "ET" && strings.HasPrefix(u, "200") {
				break
			}
			t.strong = appendNew(t.strong, u)
		}
		prev = u
	}
}

// wildcards rewrites an advisory's model pattern as a glob: ? for one
// character, * for any suffix.
func wildcards(s string) string {
	r := []rune(s)
	out := make([]rune, len(r))
	for i, c := range r {
		out[i] = c
		switch {
		case (c == 'x' || c == 'z') && i > 0 && (unicode.IsDigit(r[i-1]) || out[i-1] == '?' || i == len(r)-1 && unicode.IsUpper(r[i-1])):
			out[i] = '?'
		case c == 'X' && (i+1 < len(r) && r[i+1] == 'X' || i > 0 && r[i-1] == 'X' && out[i-1] == '?'):
			out[i] = '?'
		}
	}
	// A trailing run of ? stands for any suffix.
	j := len(out)
	for j > 0 && out[j-1] == '?' {
		j--
	}
	if j < len(out) && j > 0 {
		return string(out[:j]) + "*"
	}
	return string(out)
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// glob matches s against a pattern of ? (one character) and * (any run),
// case-insensitively.
func glob(pattern, s string) bool {
	p, t := []rune(strings.ToUpper(pattern)), []rune(strings.ToUpper(s))
	var pi, ti, star, mark = 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// tokenMatch matches a product token against a device token: as a glob,
// or against the device token up to a hyphen (EDS-G516E matches
// EDS-G516E-4GSFP; DS-2CD2??2FWD matches DS-2CD2142FWD-I).
func tokenMatch(pattern, tok string) bool {
	if glob(pattern, tok) {
		return true
	}
	for i := len(tok) - 1; i > 0; i-- {
		if tok[i] == '-' && glob(pattern, tok[:i]) {
			return true
		}
	}
	return false
}

// normOrder normalizes an order number (MLFB, catalog number): upper
// case, no spaces.
func normOrder(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// mlfbFamily names the SIMATIC line of a Siemens order number (6ES7 or
// SIPLUS 6AG1/6AG2), "" for another.
func mlfbFamily(order string) string {
	o := normOrder(order)
	if len(o) < 7 || !(strings.HasPrefix(o, "6ES7") || strings.HasPrefix(o, "6AG1") || strings.HasPrefix(o, "6AG2")) {
		return ""
	}
	switch {
	case o[4:6] == "21":
		return "S7-1200"
	case o[4:6] == "51":
		return "S7-1500"
	case o[4:6] == "31":
		return "S7-300"
	case o[4:7] == "410":
		return "S7-410"
	case o[4:6] == "41":
		if len(o) > 9 && o[7] == '-' && o[9] == 'H' {
			return "S7-400H"
		}
		return "S7-400"
	}
	return ""
}
