package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse checks that no input makes Parse panic, that it returns either
// a catalog or problems with real, sorted positions, that it is
// deterministic, and that a catalog it accepts keeps its promises: unique
// ids, complete citations with real dates, attest-only MARSEC entries.
func FuzzParse(f *testing.F) {
	// The built-in file is large for a fuzzing seed; its first controls
	// (one of each kind of field) make a quicker one.
	seed := string(builtinYAML)
	if i := nthIndex(seed, "\n  - id: ", 5); i > 0 {
		seed = seed[:i+1]
	}
	f.Add([]byte(seed))
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
	for _, s := range []string{
		"", "version: 1\ncontrols:\n", "controls: [&a {id: X}, *a, *a]\n", "version: 0x10\ncontrols: [{}]\n",
		"version: 1\ncontrols:\n  - {id: MSCI-A, rules: [ics.write, ics.write]}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		c2, err2 := Parse("fuzz.yaml", data)
		if (c == nil) == (err == nil) {
			t.Fatalf("catalog %v with error %v", c != nil, err)
		}
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %v (%T) is not Problems", err, err)
			}
			for i, p := range ps {
				if p.File != "fuzz.yaml" || p.Line < 1 || p.Col < 0 || p.Msg == "" || !utf8.ValidString(p.Msg) {
					t.Fatalf("bad problem %+v", p)
				}
				if i > 0 && (ps[i-1].Line > p.Line || ps[i-1].Line == p.Line && ps[i-1].Col > p.Col) {
					t.Fatalf("problems out of order:\n%v", err)
				}
			}
			if err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("not deterministic:\n%v\n---\n%v", err, err2)
			}
			return
		}
		if err2 != nil || !slices.EqualFunc(c.Controls(), c2.Controls(), equal) {
			t.Fatal("not deterministic")
		}
		seen := map[string]bool{}
		for _, ctl := range c.Controls() {
			if seen[ctl.ID] {
				t.Fatalf("duplicate id %s accepted", ctl.ID)
			}
			seen[ctl.ID] = true
			if got, ok := c.Control(ctl.ID); !ok || !equal(got, ctl) {
				t.Fatalf("Control(%s) = %+v", ctl.ID, got)
			}
			ci := ctl.Citation
			if ci.Document == "" || ci.Paragraph == "" || ctl.Title == "" || ctl.Summary == "" || ctl.How == "" || ctl.Evidence.What == "" {
				t.Fatalf("incomplete control accepted: %+v", ctl)
			}
			if _, err := time.Parse(time.DateOnly, ci.Date); err != nil {
				t.Fatalf("%s: date %q accepted", ctl.ID, ci.Date)
			}
			if ctl.Source == SourceMARSEC && (!ctl.AttestOnly || ctl.Evidence.Observed != ObservedAttest) {
				t.Fatalf("%s: MARSEC entry not attest-only", ctl.ID)
			}
		}
	})
}

// nthIndex is the index of the n-th (1-based) occurrence of sep in s, or -1.
func nthIndex(s, sep string, n int) int {
	at := -1
	for ; n > 0; n-- {
		i := strings.Index(s[at+1:], sep)
		if i < 0 {
			return -1
		}
		at += 1 + i
	}
	return at
}
