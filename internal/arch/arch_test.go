// Package arch holds tests of the project's structure: which package may
// import which (packets flow down the stages; parsers depend on nothing but
// the standard library), what each pulls in transitively (views and
// vocabulary leaves never the packet path; the packet path never what
// keeps, serves or shows results) and that every package documents itself.
package arch

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"sort"
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
	"app/xfer":          {"proto", "ics/dcerpc"},
	"ics/":              {"event", "proto"},
	"ics/profinet":      {"event", "proto", "ics/dcerpc", "app/discovery"},
	"proto":             {},
	"event":             {},
	"finding":           {},
	"runstats":          {},
	"capture":           {},
	"decode":            {"capture"},
	"flow":              {"decode", "capture"},
	"evidence":          {"capture"},
	"evidence/ring":     {"capture", "evidence"},
	"site":              {"app", "internal/yamlfile", "supplier", "gopkg.in/yaml.v3"},
	"oui":               {},
	"oui/internal/gen":  {},
	"supplier":          {"internal/yamlfile", "gopkg.in/yaml.v3"},
	"declared":          {"site", "github.com/CycloneDX/cyclonedx-go"},
	"inventory":         {"declared", "event", "finding", "observe", "oui", "site", "supplier", "internal/textsafe", "github.com/CycloneDX/cyclonedx-go"},
	"observe":           {"app", "event", "finding", "site"},
	"detect":            {"app", "event", "finding", "observe", "site"},
	"pipeline":          {"app", "app/dns", "app/http", "app/remote", "app/tls", "app/xfer", "capture", "decode", "detect", "event", "flow", "ics/bacnet", "ics/dnp3", "ics/enip", "ics/dcerpc", "ics/iec104", "ics/modbus", "ics/opcua", "ics/profinet", "ics/s7", "site", "app/discovery", "app/ntp", "finding", "observe", "proto", "runstats"},
	"report":            {"declared", "event", "finding", "inventory", "runstats", "internal/textsafe"},
	"analysis":          {"capture", "declared", "event", "inventory", "oui", "pipeline", "report", "site", "supplier", "vuln"},
	"internal/synth":    {"capture", "finding"},
	"internal/yamlfile": {"gopkg.in/yaml.v3"},
	"internal/textsafe": {},
	"internal/cli": {"analysis", "capture", "declared", "detect", "evidence", "evidence/ring", "finding", "inventory", "oui", "pipeline", "report", "site", "supplier", "internal/synth", "internal/textsafe", "sink/jsonl", "vuln", "learn", "event",
		"auth", "export", "internal/tlsself", "signing", "server", "store", "store/sqlstore", "web", "golang.org/x/term", "capture/live", "capture/filter",
		"compliance", "compliance/catalog", "incident", "github.com/chromedp/chromedp", "integrity", "recovery", "bus", "observe",
		"github.com/prometheus/client_golang/prometheus", "github.com/prometheus/client_golang/prometheus/collectors", "github.com/prometheus/client_golang/prometheus/promhttp"},
	"capture/live":      {"capture", "golang.org/x/net/bpf", "golang.org/x/sys/unix"},
	"capture/filter":    {"capture", "golang.org/x/net/bpf"},
	"vuln":              {"finding", "inventory", "site"},
	"learn":             {"event", "finding", "inventory", "site", "internal/textsafe"},
	"sink/jsonl":        {"app", "event", "finding", "observe", "pipeline"},
	"bus/spool":         {},
	"bus":               {"bus/spool", "event", "finding", "observe", "pipeline", "github.com/nats-io/nats.go", "github.com/nats-io/nats.go/jetstream", "github.com/nats-io/nats-server/v2/server"},
	"cmd/harborwatch":   {"internal/cli"},
	"bench/gen":         {"capture", "internal/synth"},
	"bench/baseline":    {"github.com/gopacket/gopacket", "github.com/gopacket/gopacket/layers", "github.com/gopacket/gopacket/pcapgo"},
	"internal/testutil": {"capture", "decode", "flow", "proto"},
	"internal/arch":     {},
	"web":               {"auth", "compliance", "compliance/catalog", "evidence", "incident", "finding", "inventory", "recovery", "report", "runstats", "server", "site", "store", "web/draw"},
	"web/draw":          {"site"},
	"auth":              {"store", "golang.org/x/crypto/argon2"},
	"internal/tlsself":  {},
	"signing":           {},
	"integrity":         {"event", "finding", "ics/s7", "signing", "site"},
	"recovery":          {"finding", "integrity", "store"},
	"store":             {"event", "finding"},
	"export":            {"finding", "store"},
	"store/":            {"event", "finding", "store", "github.com/jackc/pgx/v5/stdlib", "github.com/pressly/goose/v3", "github.com/pressly/goose/v3/lock", "modernc.org/sqlite"},
	"server": {"analysis", "auth", "bus", "capture", "event", "vuln", "export", "finding", "inventory", "observe", "pipeline", "recovery", "runstats", "site", "store",
		"compliance", "compliance/catalog", "incident",
		"github.com/prometheus/client_golang/prometheus", "github.com/prometheus/client_golang/prometheus/collectors", "github.com/prometheus/client_golang/prometheus/promhttp"},

	// The control catalog reads the rule table for the rules citing each
	// control.
	"compliance/catalog": {"finding", "internal/yamlfile", "gopkg.in/yaml.v3"},
	"compliance":         {"compliance/catalog", "event", "finding", "recovery", "site", "store", "internal/textsafe", "internal/yamlfile"},
	"incident":           {"event", "evidence", "finding", "internal/textsafe", "signing", "site", "store"},
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

// packetPath is the path packets take, up to detection (a path ending in
// "/" covers the subtree): it reads packets and hands on what it finds,
// and knows nothing of how results are kept, served or shown.
var packetPath = []string{"capture", "decode", "flow", "app/", "ics/", "proto", "pipeline"}

// leaves are the vocabulary packages: they import nothing of ours but
// each other, so that any package may use them without pulling in a
// stage.
var leaves = []string{"app", "event", "finding", "runstats", "site", "supplier", "oui", "internal/yamlfile", "internal/textsafe"}

// within reports whether pkg is one of the paths (a path ending in "/"
// covers its subtree, not itself).
func within(pkg string, paths []string) bool {
	for _, p := range paths {
		if pkg == p || strings.HasSuffix(p, "/") && strings.HasPrefix(pkg, p) {
			return true
		}
	}
	return false
}

// deps computes transitive imports (project, standard library and
// third-party), without tests.
type deps struct {
	t    *testing.T
	pkgs map[string]*build.Package // project packages by path relative to the module
	ext  map[string]*build.Package // other packages by import path
}

func newDeps(t *testing.T) *deps {
	return &deps{t: t, pkgs: packages(t), ext: map[string]*build.Package{}}
}

// project returns the path relative to the module of a project import.
func project(imp string) (string, bool) {
	if imp == module || strings.HasPrefix(imp, module+"/") {
		return strings.TrimPrefix(strings.TrimPrefix(imp, module), "/"), true
	}
	return "", false
}

// name is how rules and messages name an import: the path relative to the
// module for the project's packages, the import path for others.
func name(imp string) string {
	if rel, ok := project(imp); ok {
		return rel
	}
	return imp
}

func (d *deps) pkg(imp, srcDir string) *build.Package {
	if rel, ok := project(imp); ok {
		if p, ok := d.pkgs[rel]; ok {
			return p
		}
	}
	if p, ok := d.ext[imp]; ok {
		return p
	}
	p, err := build.Import(imp, srcDir, 0)
	if err != nil {
		d.t.Fatalf("import %s: %v", imp, err)
	}
	d.ext[imp] = p
	return p
}

// closure returns every package that rel imports, directly or not, by
// import path, each mapped to the name of a package importing it.
func (d *deps) closure(rel string) map[string]string {
	out := map[string]string{}
	var walk func(from string, p *build.Package)
	walk = func(from string, p *build.Package) {
		for _, imp := range p.Imports {
			if _, ok := out[imp]; ok || imp == "C" {
				continue
			}
			out[imp] = from
			walk(name(imp), d.pkg(imp, p.Dir))
		}
	}
	walk(rel, d.pkgs[rel])
	return out
}

// TestTransitive checks what packages pull in, directly or not: views and
// vocabulary leaves never pull in the packet path (nor leaves any other
// package of ours), and the packet path never pulls in what keeps, serves
// or shows results.
func TestTransitive(t *testing.T) {
	d := newDeps(t)
	views := []string{"report"}
	// Standard-library and project packages the packet path must not reach.
	forbiddenStd := []string{"net/http", "database/sql"}
	forbidden := []string{"report", "inventory", "analysis", "sink/", "store/", "server", "web"}
	rels := make([]string, 0, len(d.pkgs))
	for rel := range d.pkgs {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	checked := map[string]bool{}
	for _, rel := range rels {
		var bad func(imp string) bool
		switch {
		case within(rel, leaves):
			bad = func(imp string) bool {
				dep, ok := project(imp)
				return ok && !within(dep, leaves)
			}
		case within(rel, views):
			bad = func(imp string) bool {
				dep, ok := project(imp)
				return ok && within(dep, packetPath)
			}
		case within(rel, packetPath):
			bad = func(imp string) bool {
				if dep, ok := project(imp); ok {
					return within(dep, forbidden)
				}
				return slices.Contains(forbiddenStd, imp)
			}
		default:
			continue
		}
		checked[rel] = true
		cl := d.closure(rel)
		imps := make([]string, 0, len(cl))
		for imp := range cl {
			imps = append(imps, imp)
		}
		sort.Strings(imps)
		for _, imp := range imps {
			if bad(imp) {
				t.Errorf("%s pulls in %s (imported by %s)", rel, name(imp), cl[imp])
			}
		}
	}
	for _, must := range []string{"report", "event", "finding", "runstats", "site", "capture", "flow", "ics/modbus", "app/dns", "pipeline"} {
		if !checked[must] {
			t.Errorf("%s: not checked (renamed? update the lists)", must)
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
