package yamlfile

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that no input makes the Reader panic or loop, and that
// the problems it reports have real positions, are sorted, are valid UTF-8
// and are the same each time.
func FuzzParse(f *testing.F) {
	var files []string
	for _, dir := range []string{"../../site/testdata", "../../supplier/testdata"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil || len(m) == 0 {
			f.Fatalf("seeds in %s: %v %v", dir, m, err)
		}
		files = append(files, m...)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
	}
	for _, s := range []string{
		"", "---\n", "- name: a\n---\n- b\n", "a: &a [*a]\n", "- &a {name: a, on: 1}\n- *a\n",
		"- {<<: {name: a}}\n", "? [a]\n: b\n", "n: 0x_1\n", "n: -9223372036854775809\n", "name: ' '\n",
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, blank bool) {
		r := Reader{File: "fuzz.yaml", MaxSize: 1 << 20, RejectBlank: blank}
		got := read(&r, string(data))
		ps := r.Problems()
		for _, p := range ps {
			if p.Line < 1 || p.Col < 0 || p.Msg == "" || p.File != "fuzz.yaml" || !utf8.ValidString(p.Msg) {
				t.Fatalf("bad problem %+v", p)
			}
		}
		if !slices.IsSortedFunc(ps, func(a, b Problem) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Col - b.Col
		}) {
			t.Fatalf("problems not sorted:\n%s", got)
		}
		again := Reader{File: "fuzz.yaml", MaxSize: 1 << 20, RejectBlank: blank}
		if got2 := read(&again, string(data)); got2 != got {
			t.Fatalf("not deterministic:\n%s---\n%s", got, got2)
		}
	})
}
