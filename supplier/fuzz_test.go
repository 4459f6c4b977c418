package supplier

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that no input makes Parse panic, and that it returns
// either a usable Catalog or Problems with real positions, the same each
// time.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("seeds: %v %v", files, err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(builtinYAML)
	for _, s := range []string{"", "[]", "- &a [*a]\n", "- {id: a, name: A, concern: false, exclude: [A A]}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err == nil {
			if c == nil {
				t.Fatal("nil Catalog without error")
			}
			for _, s := range c.All() {
				if c.ByID(s.ID) != s || s.File != "fuzz.yaml" || s.Line < 1 {
					t.Fatalf("entry %+v", s)
				}
				_ = c.MatchName(s.Name)
				_ = c.Parent(s)
				for _, p := range s.PURL {
					if c.MatchPURL(p) == nil {
						t.Fatalf("%s: its own package url prefix %q matches nothing", s.ID, p)
					}
				}
			}
			_ = c.MatchName(string(data))
			_ = c.MatchOrg(string(data))
			_ = c.MatchPURL(string(data))
			return
		}
		if c != nil {
			t.Fatal("Catalog returned with an error")
		}
		var ps Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("error %v (%T) is not Problems", err, err)
		}
		for _, p := range ps {
			if p.Line < 1 || p.Col < 0 || p.Msg == "" || p.File != "fuzz.yaml" {
				t.Fatalf("bad problem %+v", p)
			}
		}
		if _, err2 := Parse("fuzz.yaml", data); err2 == nil || err2.Error() != err.Error() {
			t.Fatalf("Parse is not deterministic:\n%v\n---\n%v", err, err2)
		}
	})
}

// FuzzMatchName checks MatchName against a slow reference that splits
// words with a regular expression and tries every name of every entry at
// every word.
func FuzzMatchName(f *testing.F) {
	c := Builtin()
	for _, s := range []string{
		"Huawei Technologies Co., Ltd.", "Shanghai Dahua Scale Factory", "Rockwell Collins", "ZPMC / Siemens",
		"华为技术有限公司", "Fujitsu Siemens Siemens AG", "İstanbul Dahua", "ＺＴＥ", "Mitsui E&S", "", "Co., Ltd.",
		"Prama Hikvision India", "Dahua Scale Dahua", "Siemens Fujitsu Siemens",
	} {
		f.Add(s)
	}
	seen := map[string]bool{}
	for _, r := range ieeeRows(f) {
		if !seen[r.org] {
			seen[r.org] = true
			f.Add(r.org)
		}
	}
	ref := refNames(c)
	f.Fuzz(func(t *testing.T, name string) {
		got := c.MatchName(name)
		want := slowMatch(ref, name)
		if got != want {
			t.Fatalf("MatchName(%q) = %v, want %v", name, id(got), id(want))
		}
		if again := c.MatchName(name); again != got {
			t.Fatalf("MatchName(%q) is not deterministic", name)
		}
		if isASCII(name) {
			if up := c.MatchName(strings.ToUpper(name)); up != got {
				t.Fatalf("MatchName(%q) = %v but MatchName of its upper case = %v", name, id(got), id(up))
			}
		}
	})
}

func id(s *Supplier) string {
	if s == nil {
		return "nil"
	}
	return s.ID
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

var (
	hanRE  = regexp.MustCompile(`\p{Han}`)
	wordRE = regexp.MustCompile(`[\p{L}\p{Nd}\p{Mn}]+`)
)

// refSplit is the reference word splitter: Han characters apart, then
// runs of letters, decimal digits and non-spacing marks.
func refSplit(s string) []string {
	var out []string
	for _, w := range wordRE.FindAllString(hanRE.ReplaceAllString(s, " $0 "), -1) {
		out = append(out, strings.ToLower(w))
	}
	return out
}

// refWords is the reference normalisation, as a string of words; with
// strip, trailing corporate suffixes are dropped.
func refWords(s string, strip bool) string {
	n := " " + strings.Join(refSplit(s), " ")
	for strip {
		before := n
		for suffix := range suffixes {
			n = strings.TrimSuffix(n, " "+suffix)
		}
		for _, d := range []string{" s p a", " b v", " n v", " s a", " s r l", " s a s", " k k"} {
			n = strings.TrimSuffix(n, d)
		}
		if n == before {
			break
		}
	}
	return strings.TrimPrefix(n, " ")
}

// refName is a name or alias of an entry, split by the reference.
type refName struct {
	s       *Supplier
	words   []string
	exclude [][]string
}

func refNames(c *Catalog) []refName {
	var ns []refName
	for _, s := range c.All() {
		var ex [][]string
		for _, x := range s.Exclude {
			ex = append(ex, refSplit(x))
		}
		for _, n := range append([]string{s.Name}, s.Aliases...) {
			if w := strings.Fields(refWords(n, true)); len(w) > 0 {
				ns = append(ns, refName{s, w, ex})
			}
		}
	}
	return ns
}

// slowMatch is the reference MatchName: every name at every word.
func slowMatch(names []refName, name string) *Supplier {
	if len(name) > maxName {
		return nil
	}
	t := refSplit(name)
	at := func(p []string, i int) bool {
		return i >= 0 && i+len(p) <= len(t) && strings.Join(t[i:i+len(p)], "\x00") == strings.Join(p, "\x00")
	}
	var best *Supplier
	bestLen, bestAt := 0, 0
	for _, n := range names {
		p := n.words
	next:
		for i := range t {
			if !at(p, i) {
				continue
			}
			for _, xp := range n.exclude {
				for j := 0; j < len(t); j++ {
					if j <= i && i+len(p) <= j+len(xp) && at(xp, j) {
						continue next
					}
				}
			}
			if best == nil || len(p) > bestLen || len(p) == bestLen && (i < bestAt || i == bestAt && n.s.ID < best.ID) {
				best, bestLen, bestAt = n.s, len(p), i
			}
		}
	}
	return best
}
