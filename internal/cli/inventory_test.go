package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"harborwatch/declared"
)

const exampleBOM = "../../examples/cranes/sts-03.cdx.json"

// TestInventoryBOMAlone: a BOM alone is an inventory; its Huawei switch and
// Quectel modem are concerns with their citations, and the crane view
// traces them.
func TestInventoryBOMAlone(t *testing.T) {
	r := runCLI(t, nil, "inventory", "--bom", exampleBOM)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, s := range []string{"sts03-router-modem", "quectel", "huawei", "STS-03", "declared"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("text lacks %q:\n%s", s, r.stdout)
		}
	}
	r = runCLI(t, nil, "inventory", "cranes", "--bom", exampleBOM, "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var doc struct {
		Summary struct {
			Cranes          int `json:"cranes"`
			CranesOfConcern int `json:"cranes_of_concern"`
		} `json:"summary"`
		Cranes []struct {
			ID       string `json:"id"`
			Concerns []struct {
				Supplier, Path string
				Lists          []struct{ Name, Citation, Date string }
			} `json:"concerns"`
		} `json:"cranes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Cranes != 1 || doc.Summary.CranesOfConcern != 1 || len(doc.Cranes) != 1 {
		t.Fatalf("summary %+v", doc.Summary)
	}
	found := map[string]bool{}
	for _, c := range doc.Cranes[0].Concerns {
		if len(c.Lists) == 0 || c.Lists[0].Citation == "" || c.Lists[0].Date == "" {
			t.Errorf("concern without citation: %+v", c)
		}
		found[c.Supplier] = true
	}
	for _, s := range []string{"zpmc", "cccc", "huawei", "quectel", "hikvision"} {
		if !found[s] {
			t.Errorf("crane concerns lack %s: %+v", s, doc.Cranes[0].Concerns)
		}
	}
}

// TestInventoryBadRows: bad rows of an import are reported with file:line
// and skipped; the rest is imported and the command succeeds.
func TestInventoryBadRows(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "cmms.csv")
	os.WriteFile(csv, []byte("id,ip,mac,vendor\n"+
		"ok1,10.10.1.5,00:1b:1b:01:00:05,Siemens\n"+
		"bad1,10.10.1.300,00:1b:1b:01:00:06,Siemens\n"+
		"ok2,10.10.1.7,00:1b:1b:01:00:07,Siemens\n"), 0o644)
	r := runCLI(t, nil, "inventory", "--csv", csv, "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "cmms.csv:3") || !strings.Contains(r.stderr, "(skipped)") {
		t.Errorf("stderr %q", r.stderr)
	}
	var doc struct {
		Assets   []struct{ ID string } `json:"assets"`
		Problems []struct{ Line int }  `json:"problems"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Assets) != 2 || doc.Assets[0].ID != "ok1" || doc.Assets[1].ID != "ok2" || len(doc.Problems) != 1 || doc.Problems[0].Line != 3 {
		t.Errorf("assets %+v problems %+v", doc.Assets, doc.Problems)
	}
}

// TestInventoryExample: the example site and capture; the CycloneDX output
// reads back with every asset.
func TestInventoryExample(t *testing.T) {
	r := runCLI(t, nil, "inventory", "--site", exampleSite, "--format", "cyclonedx", "--workers", "1", examplePcap)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	res := declared.ReadCycloneDX("out.cdx.json", strings.NewReader(r.stdout))
	if len(res.Problems) != 0 {
		t.Fatalf("problems: %v", res.Problems)
	}
	j := runCLI(t, nil, "inventory", "--site", exampleSite, "--format", "json", "--workers", "1", examplePcap)
	var doc struct {
		Assets []struct {
			ID       string `json:"id"`
			Declared bool   `json:"declared"`
			Observed bool   `json:"observed"`
		} `json:"assets"`
	}
	if err := json.Unmarshal([]byte(j.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(res.Assets) != len(doc.Assets) || len(doc.Assets) < 30 {
		t.Errorf("cyclonedx %d assets, json %d", len(res.Assets), len(doc.Assets))
	}
	declaredSeen := 0
	for _, a := range doc.Assets {
		if a.Declared && a.Observed {
			declaredSeen++
		}
	}
	if declaredSeen < 20 {
		t.Errorf("only %d declared assets seen", declaredSeen)
	}
}

func TestInventoryUsage(t *testing.T) {
	for _, args := range [][]string{
		{"inventory"},
		{"inventory", "--format", "xml", "--bom", exampleBOM},
		{"inventory", "cranes", "--format", "csv", "--bom", exampleBOM},
		{"inventory", "--csv", "no-such-file.csv"},
	} {
		if r := runCLI(t, nil, args...); r.code != ExitUsage || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}
