package declared

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"harborwatch/site"
)

// errs formats problems as their Error strings.
func errs(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Error()
	}
	return out
}

// wantProblems compares problems (or notices) with their expected Error
// strings, in order.
func wantProblems(t *testing.T, what string, got []Problem, want []string) {
	t.Helper()
	g := errs(got)
	if len(want) == 0 && len(g) == 0 {
		return
	}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("%s:\ngot:\n\t%s\nwant:\n\t%s", what, strings.Join(g, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// ids returns the IDs of assets, in order.
func ids(as []Asset) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// checkAsset compares two assets field by field and names every field
// that differs.
func checkAsset(t *testing.T, got, want Asset) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := 0; i < g.NumField(); i++ {
		gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
		// nil and empty slices are the same list
		if g.Field(i).Kind() == reflect.Slice && g.Field(i).Len() == 0 && w.Field(i).Len() == 0 {
			continue
		}
		if !reflect.DeepEqual(gf, wf) {
			t.Errorf("asset %q: %s = %v, want %v", want.ID, g.Type().Field(i).Name, gf, wf)
		}
	}
}

// findAsset returns the asset with id, failing the test when there is none.
func findAsset(t *testing.T, as []Asset, id string) Asset {
	t.Helper()
	for _, a := range as {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no asset %q among %v", id, ids(as))
	return Asset{}
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func macs(ss ...string) []site.MAC {
	out := make([]site.MAC, len(ss))
	for i, s := range ss {
		m, why := site.ParseMAC(s)
		if why != "" {
			panic(s + ": " + why)
		}
		out[i] = m
	}
	return out
}

func TestProblemError(t *testing.T) {
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{"a.csv", 3, 7, "bad"}, "a.csv:3:7: bad"},
		{Problem{"a.csv", 3, 0, "bad"}, "a.csv:3: bad"},
		{Problem{"a.csv", 0, 0, "open a.csv: no such file"}, "a.csv: open a.csv: no such file"},
	} {
		if got := tc.p.Error(); got != tc.want {
			t.Errorf("%+v.Error() = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestTextPos(t *testing.T) {
	tx := newText([]byte("ab\nçd\n\nx"))
	for _, tc := range []struct{ off, line, col int }{
		{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 2}, {6, 2, 3}, {7, 3, 1}, {8, 4, 1}, {9, 4, 2}, {99, 4, 2}, {-1, 1, 1},
	} {
		if l, c := tx.pos(tc.off); l != tc.line || c != tc.col {
			t.Errorf("pos(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.line, tc.col)
		}
	}
	for n, want := range map[int]int{1: 0, 2: 3, 3: 7, 4: 8, 5: 9} {
		if got := tx.lineStart(n); got != want {
			t.Errorf("lineStart(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestParseValues(t *testing.T) {
	// Addresses and MACs are read by site.ParseAddr and site.ParseMAC,
	// tested in package site.
	for _, tc := range []struct{ in, want, why string }{
		{"cn", "CN", ""}, {"De", "DE", ""}, {"XK", "XK", ""},
		{"XX", "", `"XX" is not a two-letter ISO 3166 country code such as CN`},
		{"CHN", "", `"CHN" is not a two-letter ISO 3166 country code such as CN`},
		{"UK", "", `"UK" is not an ISO 3166 country code (the United Kingdom is GB)`},
		{"C ", "", `"C " is not a two-letter ISO 3166 country code such as CN`},
	} {
		o, why := parseOrigin(tc.in)
		if o != tc.want || why != tc.why {
			t.Errorf("parseOrigin(%q) = %q, %q; want %q, %q", tc.in, o, why, tc.want, tc.why)
		}
	}
	if n := strings.Count(countries, " "); n != 250 {
		t.Errorf("countries holds %d codes, want 249 assigned + XK", n)
	}
	for in, want := range map[string]site.Criticality{"core-control": site.CriticalityCoreControl, "Non-Critical": site.CriticalityNonCritical, "SUPPORT": site.CriticalitySupport} {
		if c, why := parseCriticality(in); c != want || why != "" {
			t.Errorf("parseCriticality(%q) = %q, %q", in, c, why)
		}
	}
	if _, why := parseCriticality("critical"); why == "" {
		t.Error(`parseCriticality("critical") accepted`)
	}
}

// TestReadFile checks that files are read by their name and content.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	bomJSON, err := os.ReadFile("../examples/cranes/sts-03.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	bomXML, err := os.ReadFile("../examples/cranes/sts-03.cdx.xml")
	if err != nil {
		t.Fatal(err)
	}
	list := []byte(`[{"id": "a", "ip": "10.0.0.1"}]`)
	csv := []byte("id,ip\na,10.0.0.1\n")
	for _, tc := range []struct {
		name   string
		data   []byte
		assets int
		cranes int
	}{
		{"list.csv", csv, 1, 0},
		{"LIST.CSV", csv, 1, 0},
		{"list.json", list, 1, 0},
		{"crane.json", bomJSON, 13, 1},
		{"crane.cdx.json", bomJSON, 13, 1},
		{"crane.bom.json", bomJSON, 13, 1},
		{"crane.xml", bomXML, 13, 1},
		{"crane.cdx.xml", bomXML, 13, 1},
		{"crane.bom", bomXML, 13, 1},
		{"crane.sbom", bomJSON, 13, 1},
		{"list.txt", list, 1, 0},
		{"assets", csv, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			r := ReadFile(p)
			wantProblems(t, "problems", r.Problems, nil)
			if len(r.Assets) != tc.assets || len(r.Cranes) != tc.cranes {
				t.Errorf("%d assets, %d cranes; want %d, %d", len(r.Assets), len(r.Cranes), tc.assets, tc.cranes)
			}
			for _, a := range r.Assets {
				if !strings.HasPrefix(a.Source, p+":") {
					t.Errorf("asset %q: Source %q does not name the file", a.ID, a.Source)
				}
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		p := filepath.Join(dir, "nope.csv")
		r := ReadFile(p)
		if len(r.Problems) != 1 || r.Problems[0].Line != 0 || !strings.Contains(r.Problems[0].Error(), "no such file") {
			t.Errorf("problems = %q", errs(r.Problems))
		}
	})
}

// TestLimits checks the bounds on hostile input.
func TestLimits(t *testing.T) {
	big := bytes.Repeat([]byte("x"), maxFileSize+1)
	for name, read := range map[string]func(string, *bytes.Reader) Result{
		"csv":  func(n string, r *bytes.Reader) Result { return ReadCSV(n, r) },
		"json": func(n string, r *bytes.Reader) Result { return ReadJSON(n, r) },
		"bom":  func(n string, r *bytes.Reader) Result { return ReadCycloneDX(n, r) },
	} {
		r := read("big", bytes.NewReader(big))
		wantProblems(t, name, r.Problems, []string{"big:1:1: file is larger than 16 MiB"})
	}
	r := ReadCSV("broken", iotest.ErrReader(fmt.Errorf("disk on fire")))
	wantProblems(t, "read error", r.Problems, []string{"broken: read: disk on fire"})

	deep := strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2)
	r = ReadJSON("deep.json", strings.NewReader(deep))
	wantProblems(t, "deep json", r.Problems, []string{fmt.Sprintf("deep.json:1:%d: json nested deeper than %d levels", maxDepth+2, maxDepth)})

	head := `<bom xmlns="http://cyclonedx.org/schema/bom/1.6">`
	deepXML := head + strings.Repeat("<a>", maxDepth) + strings.Repeat("</a>", maxDepth) + "</bom>"
	r = ReadCycloneDX("deep.xml", strings.NewReader(deepXML))
	// <bom> and 63 <a> fit; the 64th <a> does not
	wantProblems(t, "deep xml", r.Problems, []string{fmt.Sprintf("deep.xml:1:%d: xml nested deeper than %d levels", len(head)+3*(maxDepth-1)+1, maxDepth)})

	var b strings.Builder
	b.WriteString("id,ip\n")
	for i := range maxRecords + 5 {
		fmt.Fprintf(&b, "a%d,\n", i)
	}
	r = ReadCSV("many.csv", strings.NewReader(b.String()))
	if len(r.Assets) != maxRecords {
		t.Errorf("%d assets from a long file, want %d", len(r.Assets), maxRecords)
	}
	wantProblems(t, "many rows", r.Problems, []string{fmt.Sprintf("many.csv:%d:1: more than %d rows: the rest of the file is not read", maxRecords+2, maxRecords)})
}
