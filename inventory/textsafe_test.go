package inventory

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"harborwatch/finding"
	"harborwatch/internal/textsafe"
)

// hostileInventory is an inventory every name of which is s, as devices,
// vendor files and site models may give them.
func hostileInventory(s string) *Inventory {
	counts := map[string]int{s: 1}
	ls := []Listing{{Name: s, Citation: s, Date: s}}
	a := Asset{ID: s, Name: s, MACs: []string{s}, Zones: []string{s}, Vendor: s, VendorSource: s, Model: s, Serial: s,
		Firmware: s, Kind: s, Roles: []Role{{Role: s}}, Supplier: s, Origin: s, Crane: s, Criticality: s,
		Concern: []Concern{{Supplier: s, Name: s, Lists: ls}}, Isolation: s, Declared: true}
	c := Crane{ID: s, Name: s, Manufacturer: s, Model: s, Supplier: s, Origin: s, RemotePaths: []string{s}, Zones: []string{s},
		Concerns: []CraneConcern{{Supplier: s, Name: s, Path: s, Lists: ls}},
		Exposure: Exposure{Assets: 1, BySupplier: counts, ByCriticality: counts, ByIsolation: counts}}
	return &Inventory{Facility: s, Assets: []Asset{a, a}, Cranes: []Crane{c},
		Summary:  Summary{Exposure: c.Exposure, Cranes: 1},
		Findings: []finding.Finding{{Rule: s, Severity: finding.High, Title: s}}, OUITable: s}
}

// checkViews writes the inventory of the name s in every text and CSV view
// and fails when a view holds a raw control, bidi or separator character,
// or a CSV cell starts a formula.
func checkViews(t *testing.T, s string) (text, cranes string, rows, craneRows [][]string) {
	t.Helper()
	inv := hostileInventory(s)
	var b bytes.Buffer
	for _, v := range []struct {
		name string
		w    func(*bytes.Buffer) error
		out  *string
	}{
		{"text", func(b *bytes.Buffer) error { return Text(b, inv) }, &text},
		{"cranes", func(b *bytes.Buffer) error { return CranesText(b, inv) }, &cranes},
	} {
		b.Reset()
		if err := v.w(&b); err != nil {
			t.Fatal(err)
		}
		*v.out = b.String()
		for i, line := range strings.Split(*v.out, "\n") {
			if !textsafe.Safe(line) {
				t.Fatalf("name %q: %s line %d raw: %q", s, v.name, i+1, line)
			}
		}
	}
	for _, v := range []struct {
		name string
		w    func(*bytes.Buffer) error
		rows *[][]string
	}{
		{"csv", func(b *bytes.Buffer) error { return CSV(b, inv) }, &rows},
		{"cranes csv", func(b *bytes.Buffer) error { return CranesCSV(b, inv) }, &craneRows},
	} {
		b.Reset()
		if err := v.w(&b); err != nil {
			t.Fatal(err)
		}
		// The CSV writer quotes cells holding a comma, quote or line end;
		// after escaping none holds a raw line end, so each record is one
		// line of the file.
		if !textsafe.Safe(strings.ReplaceAll(b.String(), "\n", "")) {
			t.Fatalf("name %q: %s raw: %q", s, v.name, b.String())
		}
		r := csv.NewReader(&b)
		r.FieldsPerRecord = -1
		var err error
		if *v.rows, err = r.ReadAll(); err != nil {
			t.Fatalf("name %q: %s: %v", s, v.name, err)
		}
		for _, row := range *v.rows {
			for i, cell := range row {
				if textsafe.Formula(cell) || !textsafe.Safe(cell) {
					t.Fatalf("name %q: %s cell %d %q", s, v.name, i, cell)
				}
			}
		}
	}
	return text, cranes, rows, craneRows
}

// TestViewsEscape: controls, C1, bidi characters and formulas from any
// source show escaped in the text views and neutralized in the CSV ones.
func TestViewsEscape(t *testing.T) {
	const raw = "=HYPERLINK(\"x\")\x1b[5m\t\u009b\u202e\r\n"
	const shown = `=HYPERLINK("x")\x1b[5m\t\u009b\u202e\r\n`
	text, cranes, rows, craneRows := checkViews(t, raw)
	for _, want := range []string{"OUI table " + shown + "\n", "\n" + shown + "  ", "  [high] " + shown + ": " + shown + "\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{"Facility " + shown + ": ", "\nCrane " + shown + " — " + shown + " " + strings.TrimSuffix(shown, `\r\n`) + "\n", // trimmed, then escaped
		"  remote path: " + shown + "\n", "    " + shown + "\n      " + shown + " (" + shown + ", " + shown + ")\n"} {
		if !strings.Contains(cranes, want) {
			t.Errorf("cranes text lacks %q:\n%s", want, cranes)
		}
	}
	if len(rows) != 3 || rows[1][0] != "'"+shown || rows[1][5] != "'"+shown {
		t.Errorf("csv rows %q", rows)
	}
	if len(craneRows) != 2 || craneRows[1][0] != "'"+shown || craneRows[1][len(craneRows[1])-2] != "'"+shown+" 1" {
		t.Errorf("cranes csv rows %q", craneRows)
	}
}

// FuzzViews: whatever the names, the text views hold no raw control, bidi
// or separator character, and no CSV cell holds one or starts a formula.
func FuzzViews(f *testing.F) {
	for _, s := range []string{"", "plc1", "=cmd|' /C calc'!A0", "+1", "-1", "@x", "\t=1", "\r=1", "\x1b[2J", "\u009b", "\u202e", "\xff", "a,\"b\"\nc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkViews(t, s) })
}
