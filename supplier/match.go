package supplier

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxName bounds the names MatchName and MatchOrg look at. Company and
// IEEE organisation names are well under a hundred characters; anything
// longer than maxName bytes is not a name and matches nothing.
const maxName = 1024

// maxPURL bounds the package URLs MatchPURL looks at.
const maxPURL = 4096

// phrase is a name reduced to its words: lower case, punctuation dropped,
// each Han character a word of its own (Chinese is written without spaces).
type phrase []string

// words splits s into the words of a phrase. A word is a run of letters and
// digits; every other character separates words, and each Han character is
// a word by itself.
func words(s string) phrase {
	var p phrase
	start := -1
	for i, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			if start >= 0 {
				p = append(p, strings.ToLower(s[start:i]))
				start = -1
			}
			p = append(p, s[i:i+utf8.RuneLen(r)])
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if start < 0 {
				start = i
			}
		default:
			if start >= 0 {
				p = append(p, strings.ToLower(s[start:i]))
				start = -1
			}
		}
	}
	if start >= 0 {
		p = append(p, strings.ToLower(s[start:]))
	}
	return p
}

// suffixes are the words of corporate forms. They are dropped from the end
// of a catalog name, so that "Huawei Technologies Co., Ltd." matches
// "HUAWEI TECHNOLOGIES CO.,LTD", "Huawei Technologies Corporation" and
// "Huawei Technologies" alike.
var suffixes = map[string]bool{
	"co": true, "company": true, "corp": true, "corporation": true, "inc": true,
	"incorporated": true, "ltd": true, "limited": true, "llc": true, "lp": true,
	"plc": true, "gmbh": true, "ag": true, "kg": true, "sa": true, "spa": true,
	"srl": true, "sas": true, "bv": true, "nv": true, "oy": true, "oyj": true,
	"ab": true, "asa": true, "pty": true, "pvt": true, "private": true,
	"kk": true, "jsc": true, "se": true, "group": true, "holding": true, "holdings": true,
	"有": true, "限": true, "公": true, "司": true, "股": true, "份": true, "集": true, "团": true,
}

// dotted are corporate suffixes written with dots, which split them into
// several words: S.p.A., B.V., N.V., S.A., S.r.l., S.A.S., K.K.
var dotted = []phrase{{"s", "p", "a"}, {"b", "v"}, {"n", "v"}, {"s", "a"}, {"s", "r", "l"}, {"s", "a", "s"}, {"k", "k"}}

// pattern reduces a catalog name to the phrase it matches: its words
// without trailing corporate suffixes. It is empty when nothing is left.
func pattern(s string) phrase {
	p := words(s)
trim:
	for len(p) > 0 {
		if suffixes[p[len(p)-1]] {
			p = p[:len(p)-1]
			continue
		}
		for _, d := range dotted {
			if d.at(p, len(p)-len(d)) {
				p = p[:len(p)-len(d)]
				continue trim
			}
		}
		break
	}
	return p
}

func (p phrase) String() string { return strings.Join(p, " ") }

// at reports whether p occurs in t at word i.
func (p phrase) at(t phrase, i int) bool {
	if i < 0 || i+len(p) > len(t) {
		return false
	}
	for k, w := range p {
		if t[i+k] != w {
			return false
		}
	}
	return true
}

// contains reports whether p occurs in t as a whole-word sequence.
func (t phrase) contains(p phrase) bool {
	for i := 0; i+len(p) <= len(t); i++ {
		if p.at(t, i) {
			return true
		}
	}
	return false
}

// entryPhrase is one phrase of a catalog entry in a phraseIndex.
type entryPhrase struct {
	p phrase
	s *entry
}

// phraseIndex finds the entry phrases occurring in a name. Phrases are kept
// by their first word, so a lookup costs one map probe per word of the name
// and compares only phrases that start there.
type phraseIndex map[string][]entryPhrase

func (x phraseIndex) add(p phrase, e *entry) {
	if len(p) > 0 {
		x[p[0]] = append(x[p[0]], entryPhrase{p, e})
	}
}

// match returns the entry whose phrase occurs in name, outside every
// occurrence of that entry's exclusions. When several do, the longest
// phrase wins, then the one that starts first, then the lowest id.
func (x phraseIndex) match(name string) *Supplier {
	if len(name) > maxName || len(x) == 0 {
		return nil
	}
	t := words(name)
	var best *entry
	bestLen, bestAt := 0, 0
	for i, w := range t {
		for _, ep := range x[w] {
			n := len(ep.p)
			// Words are visited in order, so at equal length an earlier
			// start (bestAt <= i) stands, unless it is the same start.
			if n < bestLen || best != nil && n == bestLen && (bestAt < i || ep.s.ID >= best.ID) {
				continue
			}
			if !ep.p.at(t, i) || ep.s.excluded(t, i, n) {
				continue
			}
			best, bestLen, bestAt = ep.s, n, i
		}
	}
	if best == nil {
		return nil
	}
	return &best.Supplier
}

// excluded reports whether the words t[i:i+n] lie inside an occurrence of
// one of e's exclusions ("Fujitsu Siemens" for Siemens).
func (e *entry) excluded(t phrase, i, n int) bool {
	for _, x := range e.exclude {
		for j := i + n - len(x); j <= i; j++ {
			if x.at(t, j) {
				return true
			}
		}
	}
	return false
}

// MatchName returns the entry a company, manufacturer, vendor or supplier
// name designates, as people write it: "Huawei Technologies Co., Ltd.",
// "HUAWEI", "Quectel Wireless Solutions", "ZPMC". The name or an alias of
// the entry must occur in s as a sequence of whole words, ignoring case,
// punctuation and corporate suffixes (Co., Ltd., Inc., GmbH, Group, …), and
// not inside one of the entry's exclusions: "Shanghai Dahua Scale Factory"
// is not Dahua and "Rockwell Collins" not Rockwell Automation. The longest
// matching name wins. MatchName returns nil when no entry matches, and for
// names longer than 1 KiB.
func (c *Catalog) MatchName(s string) *Supplier { return c.names.match(s) }

// MatchOrg returns the entry an IEEE registry organisation name (of an
// OUI, MA-M, MA-S or IAB assignment) belongs to, by the entries' oui_orgs
// phrases, matched as in MatchName: "Hangzhou Hikvision Digital
// Technology Co.,Ltd." is Hikvision, "Hangzhou Ezviz Software Co.,Ltd." too.
func (c *Catalog) MatchOrg(org string) *Supplier { return c.orgs.match(org) }

// ouiPrefix is an explicit assignment prefix of 24, 28 or 36 bits.
type ouiPrefix struct {
	val  uint64 // the prefix, right-aligned
	bits uint8
	s    *entry
}

func macBits(mac [6]byte) uint64 {
	return uint64(mac[0])<<40 | uint64(mac[1])<<32 | uint64(mac[2])<<24 |
		uint64(mac[3])<<16 | uint64(mac[4])<<8 | uint64(mac[5])
}

// MatchOUI returns the entry whose explicit ouis prefix holds mac, the
// longest prefix winning, or nil. It consults only the ouis of the catalog
// entries, not a registry of organisation names: look the address up in the
// IEEE registry and pass the organisation to MatchOrg for the rest.
// Locally administered addresses match nothing, as no prefix is local.
// MatchOUI does not allocate.
func (c *Catalog) MatchOUI(mac [6]byte) *Supplier {
	v := macBits(mac)
	for i := range c.ouis { // longest first
		o := &c.ouis[i]
		if v>>(48-o.bits) == o.val {
			return &o.s.Supplier
		}
	}
	return nil
}

// purlPattern is a package URL prefix: a type and the leading path
// segments of namespace and name.
type purlPattern struct {
	segs []string // type first; lower case, percent-decoded
	s    *entry
}

// purlSegments splits a package URL (https://github.com/package-url/purl-spec)
// into its type and path segments — namespace and name — without version,
// qualifiers or subpath, lower-cased and percent-decoded. ok is false for
// anything that is not a package URL. When pattern is true, a version,
// qualifiers and a subpath are refused rather than dropped.
func purlSegments(s string, pattern bool) (segs []string, ok bool) {
	scheme, rest, found := strings.Cut(s, ":")
	if !found || !strings.EqualFold(scheme, "pkg") {
		return nil, false
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		if pattern {
			return nil, false
		}
		rest = rest[:i]
	}
	for _, seg := range strings.Split(rest, "/") {
		if seg != "" {
			segs = append(segs, seg)
		}
	}
	if len(segs) < 2 {
		return nil, false
	}
	last := segs[len(segs)-1]
	if name, _, versioned := strings.Cut(last, "@"); versioned {
		if pattern || name == "" {
			return nil, false
		}
		segs[len(segs)-1] = name
	}
	for i, seg := range segs {
		if d, err := url.PathUnescape(seg); err == nil {
			seg = d
		} else if pattern {
			return nil, false
		}
		segs[i] = strings.ToLower(seg)
	}
	for _, c := range []byte(segs[0]) { // the type
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '+' || c == '-') {
			return nil, false
		}
	}
	return segs, true
}

// covers reports whether the pattern covers the package URL's segments:
// each of its segments equals the package's, the last one possibly as a
// dotted prefix (pkg:maven/com.huawei covers pkg:maven/com.huawei.hms/…).
func (p purlPattern) covers(segs []string) bool {
	if len(p.segs) > len(segs) {
		return false
	}
	last := len(p.segs) - 1
	for i, seg := range p.segs[:last] {
		if segs[i] != seg {
			return false
		}
	}
	return segs[last] == p.segs[last] ||
		strings.HasPrefix(segs[last], p.segs[last]) && segs[last][len(p.segs[last])] == '.'
}

// MatchPURL returns the entry one of whose purl prefixes covers the
// package URL: "pkg:maven/com.huawei.hms/push@6.1" is Huawei by
// "pkg:maven/com.huawei". Version, qualifiers and subpath are ignored, and
// so is case; percent-escapes are decoded. The pattern with the most
// segments wins, then the longer one. It returns nil for anything that is
// not a package URL.
func (c *Catalog) MatchPURL(purl string) *Supplier {
	if len(purl) > maxPURL {
		return nil
	}
	segs, ok := purlSegments(purl, false)
	if !ok {
		return nil
	}
	var best *purlPattern
	for i := range c.purls {
		p := &c.purls[i]
		if !p.covers(segs) {
			continue
		}
		if best == nil || len(p.segs) > len(best.segs) ||
			len(p.segs) == len(best.segs) && len(p.segs[len(p.segs)-1]) > len(best.segs[len(best.segs)-1]) {
			best = p
		}
	}
	if best == nil {
		return nil
	}
	return &best.s.Supplier
}
