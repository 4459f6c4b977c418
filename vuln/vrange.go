package vuln

import (
	"regexp"
	"slices"
	"strings"
)

// Range is a parsed version constraint from an advisory: a
// product_version_range (or a product_version, an exact version). A string
// that cannot be parsed is kept with Parsed false and the reason: a
// product under it is "possibly affected", never silently left out.
type Range struct {
	Raw    string
	Parsed bool
	// All is true for "all versions" (vers:all/*, "All versions").
	All bool
	// Note says how a string that is not valid vers was read (e.g. the
	// CISA hybrid vers:all/<V3.1.4, or a per-train bound).
	Note string
	// Reason is why the string could not be parsed (Parsed false).
	Reason      string
	constraints []constraint
}

type constraint struct {
	op string // "=", "!=", "<", "<=", ">", ">="
	v  Version
}

var (
	allVersions = regexp.MustCompile(`(?i)^\s*all(\s+firmware)?(\s+versions?)?\s*`)
	trainBounds = regexp.MustCompile(`(?i)^<\s*v?\d+(\.\d+)*(_v\d+(\.\d+)*)+$`)
	andWord     = regexp.MustCompile(`(?i)\s+and\s+`)
)

// ParseRange parses a version range as CISA writes them:
//
//   - vers: strings (vers:generic/>=1.0|<2.0; vers:all/* for every version);
//   - the invalid-but-common hybrid vers:all/<V3.1.4, read as
//     vers:generic/<V3.1.4;
//   - bare constraints: <V3.2_HF1, <= 5.008, >= 5.3.1 build 150410 | <= 5.4.4
//     Build 161125, joined by | or "and" (the vers containment rules: a
//     lower bound and the next upper bound form an interval);
//   - free text: "All versions", "All versions < V3.X.16", "All firmware
//     versions < V5.2", "All versions >= V2.5 and < V20.8";
//   - a single version, meaning that version only (V4.5.0);
//   - Rockwell's per-train bounds <v36.011_v35.013_v34.014: below 34.014,
//     or below the bound on the v35 and v36 trains.
func ParseRange(s string) Range {
	r := Range{Raw: s}
	t := strings.TrimSpace(s)
	if t == "" {
		return r.fail("empty")
	}
	if strings.HasPrefix(strings.ToLower(t), "vers:") {
		return r.parseVers(t)
	}
	if trainBounds.MatchString(t) {
		return r.parseTrains(t)
	}
	if m := allVersions.FindString(t); m != "" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(m)), "all") {
		rest := strings.TrimSpace(t[len(m):])
		if rest == "" || rest == "*" {
			r.Parsed, r.All = true, true
			return r
		}
		if !strings.ContainsAny(rest[:1], "<>=!") {
			return r.fail("text after \"All versions\" is not a constraint")
		}
		t = rest
		r.Note = "free text"
	}
	return r.parseConstraints(t)
}

// ParseExact parses a product_version: one exact version. A string that
// is itself a range (CISA places vers:all/* under product_version) is
// parsed as one.
func ParseExact(s string) Range {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToLower(t), "vers:") || strings.ContainsAny(t[:min(1, len(t))], "<>") {
		r := ParseRange(s)
		if r.Parsed {
			r.Note = joinNote(r.Note, "range given as product_version")
		}
		return r
	}
	r := Range{Raw: s}
	v, ok := ParseVersion(t)
	if !ok {
		return r.fail("not a version")
	}
	r.Parsed = true
	r.constraints = []constraint{{op: "=", v: v}}
	return r
}

func (r Range) fail(reason string) Range {
	r.Parsed, r.Reason, r.constraints, r.All = false, reason, nil, false
	return r
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func (r Range) parseVers(t string) Range {
	rest := t[len("vers:"):]
	scheme, body, ok := strings.Cut(rest, "/")
	if !ok {
		return r.fail("vers: without a /")
	}
	body = strings.TrimSpace(body)
	if body == "*" {
		r.Parsed, r.All = true, true
		return r
	}
	if strings.EqualFold(scheme, "all") {
		r.Note = "vers:all/ with a constraint (not valid vers) read as vers:generic/"
	}
	return r.parseConstraints(body)
}

// parseConstraints parses constraints joined by | or "and".
func (r Range) parseConstraints(t string) Range {
	t = andWord.ReplaceAllString(t, "|")
	for part := range strings.SplitSeq(t, "|") {
		part = strings.TrimSpace(part)
		if part == "" {
			return r.fail("empty constraint")
		}
		op := "="
		for _, o := range []string{">=", "<=", "!=", "<", ">", "="} {
			if strings.HasPrefix(part, o) {
				op, part = o, strings.TrimSpace(part[len(o):])
				break
			}
		}
		if part == "*" && op == "=" {
			r.Parsed, r.All, r.constraints = true, true, nil
			return r
		}
		v, ok := ParseVersion(part)
		if !ok {
			return r.fail("not a version: " + part)
		}
		r.constraints = append(r.constraints, constraint{op: op, v: v})
	}
	if len(r.constraints) == 1 && r.constraints[0].op == "=" && r.Note == "" {
		r.Note = "a single version in a range: that version only"
	}
	r.Parsed = true
	return r
}

// parseTrains reads <v36.011_v35.013_v34.014.
func (r Range) parseTrains(t string) Range {
	var bounds []Version
	for p := range strings.SplitSeq(strings.TrimSpace(strings.TrimPrefix(t, "<")), "_") {
		v, ok := ParseVersion(p)
		if !ok || v.Major() < 0 {
			return r.fail("not a version: " + p)
		}
		bounds = append(bounds, v)
	}
	slices.SortFunc(bounds, Version.Compare)
	r.constraints = append(r.constraints, constraint{op: "<", v: bounds[0]})
	for _, b := range bounds[1:] {
		lo := Version{Raw: "v" + itoa(b.Major()), segs: []int{b.Major()}}
		r.constraints = append(r.constraints, constraint{op: ">=", v: lo}, constraint{op: "<", v: b})
	}
	r.Parsed = true
	r.Note = "per-train bounds: below the lowest, or below the bound on each later major version"
	return r
}

// Contains reports whether v is in the range (the vers containment
// algorithm). It is false for an unparsed range.
func (r Range) Contains(v Version) bool {
	if !r.Parsed {
		return false
	}
	if r.All {
		return true
	}
	var cs []constraint
	for _, c := range r.constraints {
		switch c.op {
		case "=":
			if v.Compare(c.v) == 0 {
				return true
			}
		case "!=":
			if v.Compare(c.v) == 0 {
				return false
			}
		default:
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return false
	}
	slices.SortStableFunc(cs, func(a, b constraint) int { return a.v.Compare(b.v) })
	for i, c := range cs {
		cmpv := v.Compare(c.v)
		below := c.op == "<" && cmpv < 0 || c.op == "<=" && cmpv <= 0
		above := c.op == ">" && cmpv > 0 || c.op == ">=" && cmpv >= 0
		if i == 0 && below {
			return true
		}
		if i == len(cs)-1 && above {
			return true
		}
		if i+1 < len(cs) && above {
			n := cs[i+1]
			nc := v.Compare(n.v)
			if n.op == "<" && nc < 0 || n.op == "<=" && nc <= 0 {
				return true
			}
		}
	}
	return false
}

// String describes the range as parsed.
func (r Range) String() string {
	if !r.Parsed {
		return "unparsed: " + r.Raw
	}
	if r.All {
		return "all versions"
	}
	var b strings.Builder
	for i, c := range r.constraints {
		if i > 0 {
			b.WriteString(" | ")
		}
		b.WriteString(c.op + " " + c.v.Raw)
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
