package yamlfile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Describe names what a node holds, for "expected X, got Y".
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "an empty value"
		}
		return strconv.Quote(Clip(n.Value))
	}
	return "something else"
}

// Clip shortens s for quoting in a message: to at most 60 bytes, cut at
// the start of a character, and "…".
func Clip(s string) string {
	const n = 60
	if len(s) <= n {
		return s
	}
	for i := n; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return "…"
}

// Field names a key of the mapping named ctx: "zone \"a\": kind", or the
// key alone at top level (ctx "").
func Field(ctx, key string) string {
	if ctx == "" {
		return key
	}
	return ctx + ": " + key
}

// ItemCtx names the i-th item of a list for messages: by the value of key
// when it has one (`zone "cc1"`), else by its 1-based position (`zone #2`).
func ItemCtx(noun, key string, n *yaml.Node, i int) string {
	if n != nil && n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			k, v := n.Content[j], n.Content[j+1]
			if k.Kind == yaml.ScalarNode && k.Value == key && v.Kind == yaml.ScalarNode && v.Value != "" {
				return fmt.Sprintf("%s %q", noun, Clip(v.Value))
			}
		}
	}
	return fmt.Sprintf("%s #%d", noun, i+1)
}

// Present reports whether a key was given with something in it: not
// missing, not null, not an empty list.
func Present(n *yaml.Node) bool {
	return n != nil && !(n.Kind == yaml.SequenceNode && len(n.Content) == 0) &&
		!(n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Country checks an ISO 3166-1 alpha-2 code and upper-cases it.
func Country(s string) (string, bool) {
	if len(s) != 2 {
		return "", false
	}
	u := strings.ToUpper(s)
	if u[0] < 'A' || u[0] > 'Z' || u[1] < 'A' || u[1] > 'Z' {
		return "", false
	}
	return u, true
}

// Suggest returns " (did you mean "x"?)" for the option closest to s, or
// " (valid: a, b, c)" when none is close and there are at most 30.
func Suggest(s string, options []string) string {
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
	// d[i][j] is the distance of a[:i] and b[:j]; three rows suffice.
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
