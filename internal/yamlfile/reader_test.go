package yamlfile

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// read parses in with r and walks its root as a mapping of the keys
// name (text), tags (list of text), on (boolean) and n (integer), or as a
// list of such mappings when it is a list, then formats the problems one a
// line.
func read(r *Reader, in string) string {
	if root := r.Parse([]byte(in)); root != nil && root.Kind == yaml.SequenceNode {
		for i, n := range r.List(root, "") {
			func() {
				defer r.EnterItem(n)()
				walk(r, n, ItemCtx("item", "name", r.Resolve(n), i))
			}()
		}
	} else if root != nil {
		walk(r, root, "")
	}
	var b strings.Builder
	for _, p := range r.Problems() {
		fmt.Fprintf(&b, "%s\n", p.Error())
	}
	return b.String()
}

func walk(r *Reader, n *yaml.Node, ctx string) {
	m := r.Mapping(n, ctx, []string{"name", "tags", "on", "n"})
	if m == nil {
		return
	}
	var name string
	r.Text(m, "name", ctx, &name)
	r.Scalars(m["tags"], Field(ctx, "tags"), func(string, *yaml.Node) {})
	if v, ok := m["on"]; ok {
		r.Boolean(v, Field(ctx, "on"))
	}
	if v, ok := m["n"]; ok {
		r.Integer(v, Field(ctx, "n"))
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name, in string
		r        Reader
		want     string
	}{
		{"empty", "", Reader{}, "f.yaml:1:1: empty file\n"},
		{"null document", "---\n", Reader{}, "f.yaml:1:1: empty file\n"},
		{"too large", strings.Repeat("#", 1<<20+1), Reader{MaxSize: 1 << 20}, "f.yaml:1:1: file is larger than 1 MiB\n"},
		{"default size", strings.Repeat("#", DefaultMaxSize+1), Reader{}, "f.yaml:1:1: file is larger than 4 MiB\n"},
		{"bad utf-8", "- name: ok\n- name: a\xffb\n", Reader{}, "f.yaml:2:10: file is not valid utf-8 text\n"},
		{"two documents", "- name: a\n---\n- name: b\n", Reader{}, "f.yaml:2:1: more than one yaml document in the file\n"},
		{"syntax error", "- name: a\n  - b\n", Reader{}, "f.yaml:2: yaml syntax error: did not find expected key\n"},
		{"unknown anchor", "- name: a\n- *nope\n", Reader{}, "f.yaml:2: yaml syntax error: unknown anchor 'nope' referenced\n"},
		{"top mapping", "hello\n", Reader{Top: "a mapping of keys (name, …)"}, "f.yaml:1:1: the file must be a mapping of keys (name, …), got \"hello\"\n"},
		{"top default", "hello\n", Reader{}, "f.yaml:1:1: the file must be a mapping, got \"hello\"\n"},
		{"unknown key", "- name: a\n  tag: [x]\n", Reader{}, "f.yaml:2:3: unknown key \"tag\" in item \"a\" (did you mean \"tags\"?)\n"},
		{"duplicate key", "name: a\nname: b\n", Reader{}, "f.yaml:2:1: duplicate key \"name\" at top level (first at line 1)\n"},
		{"merge key", "- &a {name: a}\n- {<<: *a, on: true}\n", Reader{}, "f.yaml:2:4: merge keys (<<) are not supported in item #2\n"},
		{"complex key", "? [a]\n: b\n", Reader{}, "f.yaml:1:3: keys must be plain words at top level\n"},
		{"not a mapping", "- [a]\n", Reader{}, "f.yaml:1:3: item #1: expected a mapping, got a list\n"},
		{"blank kept", "name: ' '\n", Reader{}, ""},
		{"blank rejected", "name: ' '\n", Reader{RejectBlank: true}, "f.yaml:1:7: name: blank text (leave the key out instead)\n"},
		{"null value", "name:\n", Reader{}, "f.yaml:1:6: name: expected a value, got an empty value\n"},
		{"tags not a list", "tags: x\n", Reader{}, "f.yaml:1:7: tags: expected a list, got \"x\"\n"},
		{"tag a mapping", "tags: [{a: b}]\n", Reader{}, "f.yaml:1:8: tags: expected a value, got a mapping\n"},
		{"boolean", "on: yes\n", Reader{}, "f.yaml:1:5: on: expected true or false, got \"yes\"\n"},
		{"integer", "n: 1.5\n", Reader{}, "f.yaml:1:4: n: expected an integer, got \"1.5\"\n"},
		{"integer range", "n: 99999999999999999999\n", Reader{}, "f.yaml:1:4: n: integer 99999999999999999999 is out of range\n"},
		{"integer forms", "- {n: 0x1f}\n- {n: 1_000}\n- {n: -3}\n", Reader{}, ""},
		{"alias reported at its use", "- &a {name: a, on: 1}\n- *a\n", Reader{},
			"f.yaml:1:20: item \"a\": on: expected true or false, got \"1\"\nf.yaml:2:3: item \"a\": on: expected true or false, got \"1\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			r.File = "f.yaml"
			if got := read(&r, tt.in); got != tt.want {
				t.Errorf("problems:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestResolveBound checks that aliases stop being followed, with one
// report, once they expand to more than MaxAliasWork nodes.
func TestResolveBound(t *testing.T) {
	var b strings.Builder
	b.WriteString("a: &a [" + strings.Repeat("x, ", 999) + "x]\nb: [")
	for i := range 200 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("*a")
	}
	b.WriteString("]\n")
	r := Reader{File: "bomb.yaml"}
	root := r.Parse([]byte(b.String()))
	m := r.Mapping(root, "", []string{"a", "b"})
	followed := 0
	for _, n := range r.List(m["b"], "b") {
		if r.Resolve(n) != nil {
			followed++
		}
	}
	ps := r.Problems()
	// Each alias stands for 1,001 nodes; the one that passes the bound is
	// reported at its column.
	at := fmt.Sprintf("2:%d", 5+4*followed)
	if followed != MaxAliasWork/1001 || len(ps) != 1 || ps[0].Msg != "aliases expand to more than 100000 nodes" || ps[0].Position() != at {
		t.Errorf("followed %d aliases; problems %v", followed, ps)
	}
}

func TestRequired(t *testing.T) {
	r := Reader{File: "f.yaml"}
	root := r.Parse([]byte("id: x\nname: [a]\n"))
	m := r.Mapping(root, "thing", []string{"id", "name", "date"})
	if s, ok := r.Required(m, root, "id", "thing"); !ok || s != "x" {
		t.Errorf("Required(id) = %q, %v", s, ok)
	}
	if s, ok := r.Required(m, root, "name", "thing"); ok || s != "" {
		t.Errorf("Required(name) = %q, %v", s, ok)
	}
	if _, ok := r.Required(m, root, "date", "thing"); ok {
		t.Error("Required(date) found a missing key")
	}
	want := "f.yaml:1:1: thing: missing date\nf.yaml:2:7: thing: name: expected a value, got a list"
	if got := r.Problems().Error(); got != want || r.Len() != 2 {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

func TestItems(t *testing.T) {
	r := Reader{File: "f.yaml"}
	root := r.Parse([]byte("- &a {id: one}\n- *a\n- {id: ''}\n"))
	var got []string
	for i, n := range r.List(root, "") {
		func() {
			defer r.EnterItem(n)()
			item := r.Resolve(n)
			l, c := r.Pos(item)
			got = append(got, fmt.Sprintf("%d %s %d:%d", r.Item(), ItemCtx("entry", "id", item, i), l, c))
		}()
	}
	want := []string{`1 entry "one" 1:3`, `2 entry "one" 2:3`, `3 entry #3 3:3`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("items = %q, want %q", got, want)
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.yaml", Line: 3, Col: 5, Msg: "bad"}, "a.yaml:3:5: bad"},
		{Problem{File: "a.yaml", Line: 3, Msg: "syntax"}, "a.yaml:3: syntax"},
		{Problem{Line: 1, Col: 1, Msg: "empty file"}, "1:1: empty file"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	ps := Problems{tests[0].p, tests[1].p}
	var err error = ps
	var back Problems
	if !errors.As(err, &back) || err.Error() != "a.yaml:3:5: bad\na.yaml:3: syntax" {
		t.Errorf("Problems = %v", err)
	}
}

func TestClip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"short", "short"},
		{strings.Repeat("a", 60), strings.Repeat("a", 60)},
		{strings.Repeat("a", 61), strings.Repeat("a", 60) + "…"},
		// é is two bytes, at 59-60: the cut moves back before it.
		{strings.Repeat("a", 59) + "éxyz", strings.Repeat("a", 59) + "…"},
	}
	for _, tt := range tests {
		if got := Clip(tt.in); got != tt.want {
			t.Errorf("Clip(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDescribeField(t *testing.T) {
	if got := Field("", "version"); got != "version" {
		t.Errorf("Field at top level = %q", got)
	}
	if got := Field(`zone "a"`, "kind"); got != `zone "a": kind` {
		t.Errorf("Field = %q", got)
	}
	for in, want := range map[string]string{"a: b": "a mapping", "[a]": "a list", "~": "an empty value", "x\"y": `"x\"y"`} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(in), &n); err != nil {
			t.Fatal(err)
		}
		if got := Describe(n.Content[0]); got != want {
			t.Errorf("Describe(%s) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]bool{"a: []": false, "a: ~": false, "a: [x]": true, "a: 0": true} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(in), &n); err != nil {
			t.Fatal(err)
		}
		if got := Present(n.Content[0].Content[1]); got != want {
			t.Errorf("Present(%s) = %v, want %v", in, got, want)
		}
	}
	if Present(nil) {
		t.Error("Present(nil)")
	}
}
