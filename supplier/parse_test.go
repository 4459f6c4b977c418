package supplier

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"harborwatch/internal/yamlfile"
)

var update = flag.Bool("update", false, "rewrite testdata/*.bad.yaml.errors")

// formatProblems renders problems as the golden files hold them: one
// "line:col: message" a line.
func formatProblems(ps Problems) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Position())
		b.WriteString(": ")
		b.WriteString(p.Msg)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestParseGood(t *testing.T) {
	data, err := os.ReadFile("testdata/small.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("small.yaml", data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	ids := []string{}
	for _, s := range c.All() {
		ids = append(ids, s.ID)
	}
	if got := strings.Join(ids, " "); got != "acme_cranes beta_holding gamma" {
		t.Fatalf("ids = %s", got)
	}
	a := c.ByID("acme_cranes")
	want := Supplier{
		ID: "acme_cranes", Name: "Acme Port Machinery Co., Ltd.",
		Aliases: []string{"Acme PM", "ACME-PM USA", "阿克米港机"},
		Parent:  "beta_holding", Country: "CN", Concern: true,
		Products: []string{"sts-crane", "rtg-crane"},
		OUIOrgs:  []string{"Acme Port Machinery"},
		OUIs:     []string{"AC-DE-48", "0C-12-35", "70-B3-D5-0A-F", "00-1B-1B-3"},
		PURL:     []string{"pkg:maven/com.acmepm", "pkg:generic/acme-pm"},
		Domains:  []string{"acme-pm.example", "cloud.acme-pm.example"},
		Exclude:  []string{"Acme PM Scale Factory"},
		Lists: []Listing{
			{Name: "Example List", Citation: "99 FR 12345, FR Doc 2099-00001", Date: "2020-01-31", Status: StatusInForce},
			{Name: "Example Advisory", Citation: "Advisory 2021-001", Date: "2021-06-30", Status: StatusAdvisory, Note: "guidance only"},
		},
		Note: "An example supplier of concern.",
		File: "small.yaml", Line: 3,
	}
	if got := fmt.Sprintf("%+v", *a); got != fmt.Sprintf("%+v", want) {
		t.Errorf("acme_cranes =\n%s\nwant\n%s", got, fmt.Sprintf("%+v", want))
	}
	b := c.ByID("beta_holding")
	if len(b.Lists) != 2 || b.Lists[1] != a.Lists[1] || b.Line != 22 || b.Note != "The parent." {
		t.Errorf("beta_holding = %+v", b)
	}
	if p := c.Parent(a); p != b {
		t.Errorf("Parent(acme_cranes) = %v", p)
	}
	if g := c.ByID("gamma"); g.Concern || g.Country != "DE" || len(g.Lists) != 0 || c.Parent(g) != nil {
		t.Errorf("gamma = %+v", g)
	}
}

func TestParseBad(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil || len(files) < 8 {
		t.Fatalf("bad files: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(f, data)
			if c != nil {
				t.Fatal("Parse returned a Catalog for a bad file")
			}
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("Parse error %v (%T) is not Problems", err, err)
			}
			for i, p := range ps {
				if p.File != f || p.Line < 1 || p.Col < 0 {
					t.Errorf("problem %d has position %q %d:%d", i, p.File, p.Line, p.Col)
				}
				if p.Msg == "" || strings.ToLower(p.Msg[:1]) != p.Msg[:1] {
					t.Errorf("problem %d: message %q does not start lower-case", i, p.Msg)
				}
				if i > 0 && (ps[i-1].Line > p.Line || ps[i-1].Line == p.Line && ps[i-1].Col > p.Col) {
					t.Errorf("problems %d and %d are out of order", i-1, i)
				}
			}
			got := formatProblems(ps)
			golden := f + ".errors"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("golden file: %v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func TestParseInline(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "1:1: empty file\n"},
		{"null document", "---\n", "1:1: empty file\n"},
		{"empty list", "[]\n", ""},
		{"bad utf-8", "- {id: a, name: \"a\xffb\", concern: false}\n", "1:19: file is not valid utf-8 text\n"},
		{"too large", "[]\n" + strings.Repeat("#", maxFileSize), "1:1: file is larger than 4 MiB\n"},
		{"two documents", "[]\n---\n[]\n", "2:1: more than one yaml document in the file\n"},
		{"unknown anchor", "- *nope\n", "1: yaml syntax error: unknown anchor 'nope' referenced\n"},
		{"complex key", "- {[a]: b, id: a, name: A, concern: false}\n", "1:4: keys must be plain words in supplier \"a\"\n"},
		{"long value", "- {id: a, name: A, concern: false, products: [" + strings.Repeat("é", 40) + "]}\n",
			"1:47: supplier \"a\": products: bad product \"" + strings.Repeat("é", 30) + "…\": use lower-case words joined by '-', such as ip-camera\n"},
		{"han name", "- {id: a, name: 华为技术有限公司, concern: false}\n- {id: b, name: 华为技术, concern: false}\n",
			"2:17: supplier \"b\": name \"华为技术\" is already claimed by supplier \"a\" (line 1)\n"},
		{"null lists", "- {id: a, name: A, concern: true, lists: ~}\n", "1:3: supplier \"a\": a supplier of concern needs at least one listing in lists (name, citation, date)\n" +
			"1:42: supplier \"a\": lists: expected a list, got an empty value\n"},
		{"neutral empty lists", "- {id: a, name: A, concern: false, lists: []}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("inline.yaml", []byte(tt.in))
			if tt.want == "" {
				if err != nil || c == nil {
					t.Fatalf("Parse = %v, %v; want a Catalog", c, err)
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) || c != nil {
				t.Fatalf("Parse = %v, %v; want Problems", c, err)
			}
			if got := formatProblems(ps); got != tt.want {
				t.Errorf("problems:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestParseAliasBomb feeds a document whose aliases would make the parser
// visit 2×10^8 nodes; it must give up early, with one problem saying so.
func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("- &z {id: a, name: A, concern: false, products: [")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "p%d", i)
	}
	b.WriteString("]}\n")
	for range 100000 {
		b.WriteString("- *z\n")
	}
	_, err := Parse("bomb.yaml", []byte(b.String()))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse = %v", err)
	}
	limit := 0
	for _, p := range ps {
		if strings.HasPrefix(p.Msg, "aliases expand to more than") {
			limit++
		}
	}
	// Each aliased entry repeats its id and name at its alias, until the
	// parser gives up after maxAliasWork nodes.
	if limit != 1 || len(ps) > yamlfile.MaxAliasWork/2000*2+10 {
		t.Errorf("%d problems, %d alias limits:\n%.3000s", len(ps), limit, formatProblems(ps))
	}
}

func TestProblemError(t *testing.T) {
	p := Problem{File: "catalog.yaml", Line: 3, Col: 7, Msg: `supplier "a": missing name`}
	if got, want := p.Error(), `catalog.yaml:3:7: supplier "a": missing name`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	q := Problem{Line: 2, Msg: "yaml syntax error: x"}
	if got, want := q.Error(), "2: yaml syntax error: x"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (Problems{p, q}).Error(), p.Error()+"\n"+q.Error(); got != want {
		t.Errorf("Problems.Error() = %q, want %q", got, want)
	}
}

// decodeNode parses a YAML document for Decode.
func decodeNode(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestDecode(t *testing.T) {
	base := Builtin()
	tests := []struct {
		name, in, want string
	}{
		{"override and add", `
- id: hikvision
  name: Hangzhou Hikvision Digital Technology Co., Ltd.
  aliases: [Hikvision, Acme Vision]
  concern: true
  lists: [{name: Local ban, citation: "port policy 12", date: 2025-01-01}]
- id: acme_reseller
  name: Acme Security Systems
  parent: hikvision
  concern: true
  lists: [{name: NDAA FY2019 s.889, citation: "P.L. 115-232 s.889 (relabelled Hikvision cameras)", date: 2018-08-13}]
`, ""},
		{"claims of the base", `
- id: hik
  name: Hikvision
  concern: false
  oui_orgs: [Zhejiang Dahua Technology]
  ouis: [c09bf4b]
  purl: ["pkg:maven/com.huawei"]
  domains: [LOGINK.CN]
- id: acme
  name: Acme
  concern: false
  parent: cetc
`, `3:9: supplier "hik": name "Hikvision" is already claimed by built-in supplier "hikvision" (to change that entry, give its id)
5:14: supplier "hik": oui_org "Zhejiang Dahua Technology" is already claimed by built-in supplier "dahua" (to change that entry, give its id)
6:10: supplier "hik": prefix C0-9B-F4-B is already claimed by built-in supplier "nuctech" (to change that entry, give its id)
7:10: supplier "hik": package url prefix "pkg:maven/com.huawei" is already claimed by built-in supplier "huawei" (to change that entry, give its id)
8:13: supplier "hik": domain logink.cn is already claimed by built-in supplier "logink" (to change that entry, give its id)
12:11: supplier "acme": parent: "cetc" is not the id of a supplier (write a parent that is not in the catalog by its name, such as CETC)
`},
		{"not a list", "{id: a}\n", "1:1: suppliers: expected a list, got a mapping\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, ps := Decode("site.yaml", decodeNode(t, tt.in), base)
			if got := formatProblems(ps); got != tt.want {
				t.Fatalf("problems:\n%s\nwant:\n%s", got, tt.want)
			}
			if tt.want != "" {
				if list != nil {
					t.Errorf("Decode returned %d entries with problems", len(list))
				}
				return
			}
			for _, s := range list {
				if s.File != "site.yaml" || s.Line == 0 {
					t.Errorf("%s: File, Line = %q, %d", s.ID, s.File, s.Line)
				}
			}
		})
	}

	// A base that is not built in is named by its file.
	small, err := os.ReadFile("testdata/small.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("small.yaml", small)
	if err != nil {
		t.Fatal(err)
	}
	_, ps := Decode("site.yaml", decodeNode(t, "- {id: x, name: Gamma, concern: false}\n"), c)
	if got, want := formatProblems(ps), "1:17: supplier \"x\": name \"Gamma\" is already claimed by supplier \"gamma\" (small.yaml, line 27)\n"; got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

// TestDocExample parses the example catalog of the format description, so
// the documentation cannot drift from the parser, and checks that its
// table of built-in entries names every entry of the catalog.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "formats", "suppliers.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## An example\n\n```yaml\n")
	if !ok {
		t.Fatal("no example in the format description")
	}
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("unterminated example")
	}
	c, err := Parse("suppliers.md", []byte(example))
	if err != nil {
		t.Fatalf("the documented example does not parse:\n%v", err)
	}
	if len(c.All()) != 3 {
		t.Errorf("example has %d entries", len(c.All()))
	}

	_, table, ok := strings.Cut(string(doc), "## Built-in entries\n")
	if !ok {
		t.Fatal("no table of built-in entries")
	}
	table, _, _ = strings.Cut(table, "\n## ")
	var documented []string
	for _, line := range strings.Split(table, "\n") {
		if id, ok := strings.CutPrefix(line, "| `"); ok {
			id, _, _ = strings.Cut(id, "`")
			documented = append(documented, id)
		}
	}
	var ids []string
	for _, s := range Builtin().All() {
		ids = append(ids, s.ID)
	}
	slices.Sort(documented)
	if !slices.Equal(documented, ids) {
		t.Errorf("documented entries %v\nbuilt-in entries   %v", documented, ids)
	}
}

func BenchmarkParseBuiltin(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(builtinYAML)))
	for b.Loop() {
		if _, err := Parse(builtinFile, builtinYAML); err != nil {
			b.Fatal(err)
		}
	}
}
