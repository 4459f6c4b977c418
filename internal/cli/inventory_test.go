package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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
		{"inventory", "cranes", "--format", "cyclonedx", "--bom", exampleBOM},
		{"inventory", "--csv", "no-such-file.csv"},
	} {
		if r := runCLI(t, nil, args...); r.code != ExitUsage || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

// TestInventoryUnreadableImport: a file of which nothing can be imported
// (not a BOM, not an asset list) is an error naming the file and why, not
// an empty inventory.
func TestInventoryUnreadableImport(t *testing.T) {
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "assets.csv")
	os.WriteFile(csvFile, []byte("id,ip\nplc1,10.0.0.1\n"), 0o644)
	list := filepath.Join(dir, "list.json")
	os.WriteFile(list, []byte(`{"assets": [{"id": "plc1"}]}`), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--bom", csvFile}, "inventory: --bom " + csvFile + ": nothing imported: " + csvFile + ":1:1: not a CycloneDX BOM"},
		{[]string{"--bom", list}, "inventory: --bom " + list + ": nothing imported: " + list + `:1:1: not a CycloneDX BOM: bomFormat must be "CycloneDX"`},
		{[]string{"--bom", examplePcap}, "--bom " + examplePcap + ": nothing imported"},
		{[]string{"--csv", examplePcap}, "--csv " + examplePcap + ": nothing imported"},
		{[]string{"--json", csvFile}, "--json " + csvFile + ": nothing imported"},
		{[]string{"--site", exampleSite, "--csv", csvFile, "--bom", csvFile}, "--bom " + csvFile + ": nothing imported"},
	} {
		r := runCLI(t, nil, append([]string{"inventory"}, tt.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, want %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
	// A file with some good rows is imported, its bad rows reported.
	if r := runCLI(t, nil, "inventory", "--csv", csvFile, "--bom", exampleBOM); r.code != ExitOK {
		t.Errorf("good files: exit %d\n%s", r.code, r.stderr)
	}
}

// TestInventoryCranesCSV: 'inventory cranes --format csv' writes one row
// per crane.
func TestInventoryCranesCSV(t *testing.T) {
	r := runCLI(t, nil, "inventory", "cranes", "--site", exampleSite, "--bom", exampleBOM, "--format", "csv")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || strings.Join(rows[0][:3], ",") != "id,name,manufacturer" {
		t.Fatalf("%d rows:\n%s", len(rows), r.stdout)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	var sts03 []string
	for _, row := range rows[1:] {
		if row[col["id"]] == "STS-03" {
			sts03 = row
		}
	}
	if sts03 == nil {
		t.Fatalf("no STS-03:\n%s", r.stdout)
	}
	for _, s := range []string{"quectel", "huawei", "zpmc"} {
		if !strings.Contains(sts03[col["concern"]], s) {
			t.Errorf("STS-03 concern %q lacks %s", sts03[col["concern"]], s)
		}
	}
	if !strings.Contains(sts03[col["concern_paths"]], "STS-03 ← sts03-router ← sts03-router-modem") || sts03[col["assets"]] == "0" {
		t.Errorf("STS-03 row %q", sts03)
	}
	if r := runCLI(t, nil, "inventory", "cranes", "--format", "cyclonedx-xml", "--bom", exampleBOM); r.code != ExitUsage || !strings.Contains(r.stderr, "want text, json or csv") {
		t.Errorf("cranes cyclonedx-xml: exit %d %q", r.code, r.stderr)
	}
}

// TestInventoryBOMMetadata: a CycloneDX export has a serial number (a new
// one each time), a timestamp and the tool with its version.
func TestInventoryBOMMetadata(t *testing.T) {
	var serials []string
	for range 2 {
		r := runCLI(t, nil, "inventory", "--bom", exampleBOM, "--format", "cyclonedx")
		if r.code != ExitOK {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		var bom struct {
			SerialNumber string `json:"serialNumber"`
			Metadata     struct {
				Timestamp string `json:"timestamp"`
				Tools     struct {
					Components []struct{ Type, Name, Version string } `json:"components"`
				} `json:"tools"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &bom); err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(bom.SerialNumber) {
			t.Errorf("serialNumber %q", bom.SerialNumber)
		}
		if ts, err := time.Parse(time.RFC3339, bom.Metadata.Timestamp); err != nil || time.Since(ts) > time.Hour {
			t.Errorf("timestamp %q: %v", bom.Metadata.Timestamp, err)
		}
		if tc := bom.Metadata.Tools.Components; len(tc) != 1 || tc[0].Name != "harborwatch" || tc[0].Version != Version || tc[0].Type != "application" {
			t.Errorf("tools %+v", tc)
		}
		serials = append(serials, bom.SerialNumber)
	}
	if serials[0] == serials[1] {
		t.Error("two exports share a serial number")
	}
	r := runCLI(t, nil, "inventory", "--bom", exampleBOM, "--format", "cyclonedx-xml")
	for _, s := range []string{`serialNumber="urn:uuid:`, "<timestamp>", "<name>harborwatch</name>", "<version>" + Version + "</version>"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("XML BOM lacks %q", s)
		}
	}
}

// TestInventoryRoundTrips: the demo terminal's inventory with the STS-03
// BOM — whose devices share two addresses with the site's own STS-03
// declarations — exported as CSV and as CycloneDX imports back with every
// asset.
func TestInventoryRoundTrips(t *testing.T) {
	dir := t.TempDir()
	capFile := filepath.Join(dir, "terminal.pcap")
	if r := runCLI(t, nil, "simulate", "--out", capFile, "--cranes", "4"); r.code != ExitOK {
		t.Fatalf("simulate: exit %d\n%s", r.code, r.stderr)
	}
	siteFile := filepath.Join(dir, "terminal.site.yaml")
	base := []string{"inventory", "--site", siteFile, "--bom", exampleBOM, "--workers", "1", capFile}
	j := runCLI(t, nil, append(base, "--format", "json")...)
	var doc struct {
		Assets []struct {
			ID  string   `json:"id"`
			IPs []string `json:"ips"`
		} `json:"assets"`
	}
	if err := json.Unmarshal([]byte(j.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	shared := map[string]int{}
	for _, a := range doc.Assets {
		for _, ip := range a.IPs {
			shared[ip]++
		}
	}
	n := 0
	for _, c := range shared {
		if c > 1 {
			n++
		}
	}
	if len(doc.Assets) < 60 || n == 0 {
		t.Fatalf("%d assets, %d shared addresses: the test needs both", len(doc.Assets), n)
	}
	for _, tt := range []struct{ format, flag, file string }{
		{"csv", "--csv", "inv.csv"},
		{"cyclonedx", "--bom", "inv.cdx.json"},
		{"cyclonedx-xml", "--bom", "inv.cdx.xml"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			out := filepath.Join(dir, tt.file)
			if r := runCLI(t, nil, append(base, "--format", tt.format, "--out", out)...); r.code != ExitOK {
				t.Fatalf("export: exit %d\n%s", r.code, r.stderr)
			}
			r := runCLI(t, nil, "inventory", tt.flag, out, "--format", "json")
			if r.code != ExitOK {
				t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
			}
			var back struct {
				Assets []struct {
					ID string `json:"id"`
				} `json:"assets"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &back); err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, a := range back.Assets {
				got[a.ID] = true
			}
			for _, a := range doc.Assets {
				if !got[a.ID] {
					t.Errorf("%s lost by the round trip", a.ID)
				}
			}
			if len(back.Assets) != len(doc.Assets) {
				t.Errorf("%d assets back, %d exported", len(back.Assets), len(doc.Assets))
			}
		})
	}
}

// TestInventoryPlurals: counts of one read as one.
func TestInventoryPlurals(t *testing.T) {
	csvFile := filepath.Join(t.TempDir(), "one.csv")
	os.WriteFile(csvFile, []byte("id,ip\nplc1,10.0.0.1\n"), 0o644)
	if r := runCLI(t, nil, "inventory", "--csv", csvFile); !strings.HasPrefix(r.stdout, "Inventory: 1 asset (1 declared, 0 observed)") {
		t.Errorf("text: %q", r.stdout)
	}
	if r := runCLI(t, nil, "inventory", "cranes", "--bom", exampleBOM); !strings.HasPrefix(r.stdout, "Facility -: 1 crane (1 with suppliers of concern), ") {
		t.Errorf("cranes: %q", r.stdout)
	}
}

// TestInventoryVendorBOM: a crane maker's BOM without harborwatch
// properties is one crane with all its devices.
func TestInventoryVendorBOM(t *testing.T) {
	const bom = "../../declared/testdata/bom-zpmc-sts07.cdx.json"
	r := runCLI(t, nil, "inventory", "cranes", "--bom", bom, "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var doc struct {
		Summary struct {
			Cranes int `json:"cranes"`
		} `json:"summary"`
		Cranes []struct {
			ID     string   `json:"id"`
			Assets []string `json:"assets"`
		} `json:"cranes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Cranes != 1 || len(doc.Cranes) != 1 || doc.Cranes[0].ID != "STS-07" || len(doc.Cranes[0].Assets) != 7 {
		t.Fatalf("want 1 crane STS-07 with 7 assets: %+v", doc)
	}
}
