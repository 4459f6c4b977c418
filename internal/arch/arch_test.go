// Package arch holds tests of the project's structure: which package may
// import which (packets flow down the stages; parsers depend on nothing but
// the standard library) and that every package documents itself.
package arch

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "harborwatch"

// allowed lists, per package (a path prefix ending in "/" covers the
// subtree), the project packages it may import. Standard-library imports
// are always allowed; third-party ones are listed with their path.
var allowed = map[string][]string{
	"app":               {},
	"app/":              {"proto"},
	"app/tls":           {"proto", "app/remote"},
	"ics/":              {"event", "proto"},
	"proto":             {},
	"event":             {},
	"finding":           {},
	"capture":           {},
	"decode":            {"capture"},
	"flow":              {"decode", "capture"},
	"evidence":          {"capture"},
	"site":              {"app", "internal/yamlfile", "supplier", "gopkg.in/yaml.v3"},
	"oui":               {},
	"oui/internal/gen":  {},
	"supplier":          {"internal/yamlfile", "gopkg.in/yaml.v3"},
	"declared":          {"site", "github.com/CycloneDX/cyclonedx-go"},
	"inventory":         {"declared", "event", "finding", "observe", "oui", "site", "supplier", "github.com/CycloneDX/cyclonedx-go"},
	"observe":           {"app", "event", "finding", "site"},
	"detect":            {"app", "event", "finding", "observe", "site"},
	"pipeline":          {"app", "app/dns", "app/http", "app/remote", "app/tls", "app/xfer", "capture", "decode", "detect", "event", "flow", "ics/enip", "ics/modbus", "ics/s7", "site", "app/discovery", "app/ntp", "finding", "observe", "proto"},
	"report":            {"declared", "event", "finding", "inventory", "pipeline"},
	"internal/synth":    {"capture", "finding"},
	"internal/yamlfile": {"gopkg.in/yaml.v3"},
	"internal/cli":      {"capture", "declared", "detect", "evidence", "finding", "inventory", "oui", "pipeline", "report", "site", "supplier", "internal/synth", "sink/jsonl"},
	"sink/jsonl":        {"app", "event", "finding", "pipeline"},
	"cmd/harborwatch":   {"internal/cli"},
	"bench/gen":         {"capture", "internal/synth"},
	"bench/baseline":    {"github.com/gopacket/gopacket", "github.com/gopacket/gopacket/layers", "github.com/gopacket/gopacket/pcapgo"},
	"internal/testutil": {"capture", "decode", "flow"},
	"internal/arch":     {},
}

func rule(pkg string) ([]string, bool) {
	if r, ok := allowed[pkg]; ok {
		return r, true
	}
	best := ""
	for k := range allowed {
		if strings.HasSuffix(k, "/") && strings.HasPrefix(pkg, k) && len(k) > len(best) {
			best = k
		}
	}
	r, ok := allowed[best]
	return r, ok && best != ""
}

func packages(t *testing.T) map[string]*build.Package {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]*build.Package{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "out") {
			return filepath.SkipDir
		}
		p, err := build.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(root, path)
		pkgs[filepath.ToSlash(rel)] = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestImports(t *testing.T) {
	for rel, p := range packages(t) {
		allow, ok := rule(rel)
		if !ok {
			t.Errorf("%s: no import rule; add it to allowed", rel)
			continue
		}
		for _, imp := range p.Imports {
			first := strings.Split(imp, "/")[0]
			switch {
			case imp == module || strings.HasPrefix(imp, module+"/"):
				dep := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
				if !slices.Contains(allow, dep) {
					t.Errorf("%s imports %s, which its rule does not allow", rel, dep)
				}
			case strings.Contains(first, "."):
				if !slices.Contains(allow, imp) {
					t.Errorf("%s imports third-party %s, which its rule does not allow", rel, imp)
				}
			}
		}
	}
}

// TestPackageDocs checks that every non-main library package has a doc.go
// (or a package comment) saying its place in the data path.
func TestPackageDocs(t *testing.T) {
	for rel, p := range packages(t) {
		if p.Name == "main" || strings.HasPrefix(rel, "internal/arch") {
			continue
		}
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("%s: no package documentation", rel)
		}
	}
}
