package declared

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// seed adds the files matching the patterns to f's corpus; a pattern that
// matches nothing fails, as a missing fixture must.
func seed(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		files, err := filepath.Glob(p)
		if err != nil || len(files) == 0 {
			f.Fatalf("seeds %s: %v %v", p, files, err)
		}
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// checkResult checks what holds for any input: problems and notices at
// real positions of the file, assets with distinct non-empty ids and a
// source in the file, parents that are cranes or earlier assets.
func checkResult(t *testing.T, name string, data []byte, r Result) {
	t.Helper()
	lines := bytes.Count(bytes.TrimPrefix(data, utf8BOM), []byte("\n")) + 1
	for _, ps := range [][]Problem{r.Problems, r.Notices} {
		if len(ps) > maxProblems+1 {
			t.Fatalf("%d problems", len(ps))
		}
		for _, p := range ps {
			if p.File != name || p.Line < 1 || p.Line > lines || p.Col < 0 || p.Msg == "" {
				t.Fatalf("bad problem %+v (the input has %d lines)", p, lines)
			}
		}
	}
	known := map[string]bool{}
	for _, c := range r.Cranes {
		if c.ID == "" || known[c.ID] || !strings.HasPrefix(c.Source, name+":") {
			t.Fatalf("bad crane %+v", c)
		}
		known[c.ID] = true
	}
	seen := map[string]bool{}
	for _, a := range r.Assets {
		if a.ID == "" || seen[a.ID] || !strings.HasPrefix(a.Source, name+":") {
			t.Fatalf("bad asset %+v", a)
		}
		if a.Parent != "" && !seen[a.Parent] && !known[a.Parent] {
			t.Fatalf("asset %q: parent %q is neither a crane nor an earlier asset", a.ID, a.Parent)
		}
		seen[a.ID] = true
		if len(a.IPs) > maxValues || len(a.MACs) > maxValues {
			t.Fatalf("asset %q: %d addresses, %d macs", a.ID, len(a.IPs), len(a.MACs))
		}
	}
}

func FuzzCSV(f *testing.F) {
	seed(f, "testdata/*.csv", "../examples/cranes/*.csv")
	for _, s := range []string{
		"", "id\n", "\ufeffid;ip\na;10.0.0.1 10.0.0.2\n", "id,ip\n\"a\n", "id,notes\n\"#x\",\"a\r\nb\"\n",
		"tag\tmac\nx\t00:1b:1b:00:00:01\n", "id,name,id\na,b,c\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := ReadCSV("fuzz.csv", bytes.NewReader(data))
		checkResult(t, "fuzz.csv", data, r)
		// What was read writes out and reads back the same.
		var buf bytes.Buffer
		if err := WriteCSV(&buf, r.Assets); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		back := ReadCSV("back.csv", &buf)
		if len(back.Problems) > 0 || len(back.Assets) != len(r.Assets) {
			t.Fatalf("round trip: %d assets of %d, problems %q\n%s", len(back.Assets), len(r.Assets), errs(back.Problems), out)
		}
		for i, a := range r.Assets {
			b := back.Assets[i]
			a.Source, b.Source = "", ""
			if !equalAssets(a, b) {
				t.Fatalf("round trip:\n%+v\n%+v", a, b)
			}
		}
	})
}

// equalAssets compares two assets, nil and empty lists alike.
func equalAssets(a, b Asset) bool {
	if len(a.IPs) != len(b.IPs) || len(a.MACs) != len(b.MACs) {
		return false
	}
	for i := range a.IPs {
		if a.IPs[i] != b.IPs[i] {
			return false
		}
	}
	for i := range a.MACs {
		if a.MACs[i] != b.MACs[i] {
			return false
		}
	}
	a.IPs, b.IPs, a.MACs, b.MACs = nil, nil, nil, nil
	return reflect.DeepEqual(a, b)
}

func FuzzJSON(f *testing.F) {
	seed(f, "testdata/*.json")
	for _, s := range []string{
		"", "[]", `{"assets": [{"id": "a", "ips": ["10.0.0.1"]}], "cranes": [{"id": "c"}]}`, `[{"id": 1e400}]`,
		`{"assets": [{"id": "a", "id": "b"}]}`, "[[[[[[[[[[]]]]]]]]]]", `"\ud800"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := ReadJSON("fuzz.json", bytes.NewReader(data))
		checkResult(t, "fuzz.json", data, r)
	})
}

func FuzzCycloneDX(f *testing.F) {
	seed(f, "testdata/*.cdx.*", "../examples/cranes/*.cdx.*")
	for _, s := range []string{
		"", "<bom/>", `<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components><component type="device"><name>a</name>` +
			`<components><component type="firmware"><name>b</name></component></components></component></components></bom>`,
		`{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "device", "name": "a", "components": [{"name": "a"}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := ReadCycloneDX("fuzz.cdx", bytes.NewReader(data))
		checkResult(t, "fuzz.cdx", data, r)
	})
}
