package oui

import (
	"encoding/csv"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestReference checks every row of testdata/oui-vendors-of-interest.csv,
// a list of the vendors harborwatch cares about drawn from the same
// ieee-data version as the embedded table (see testdata/README.md): the
// first and the last address of each block must be found with the row's
// registry, prefix and organisation.
func TestReference(t *testing.T) {
	f, err := os.Open("testdata/oui-vendors-of-interest.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "registry,assignment,organization,vendor_key" {
		t.Fatalf("header %q", got)
	}
	rows = rows[1:]
	if len(rows) != 2089 {
		t.Errorf("%d rows, want 2089", len(rows))
	}
	perRegistry := map[Registry]int{}
	for i, row := range rows {
		line := i + 2
		var reg Registry
		if err := reg.UnmarshalText([]byte(row[0])); err != nil {
			t.Errorf("line %d: %v", line, err)
			continue
		}
		perRegistry[reg]++
		hex := row[1]
		bits := 4 * len(hex)
		v, err := strconv.ParseUint(hex, 16, 64)
		if err != nil || (bits != 24 && bits != 28 && bits != 36) || row[3] == "" {
			t.Errorf("line %d: bad row %q", line, row)
			continue
		}
		var prefix strings.Builder
		for j := range len(hex) {
			if j > 0 && j%2 == 0 {
				prefix.WriteByte('-')
			}
			prefix.WriteByte(hex[j])
		}
		want := Block{Prefix: prefix.String(), Bits: bits, Registry: reg, Org: row[2]}
		first := v << (48 - bits)
		last := first | (1<<(48-bits) - 1)
		for _, a := range []uint64{first, last} {
			m := [6]byte{byte(a >> 40), byte(a >> 32), byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}
			got, ok := Lookup(m)
			if !ok || got != want {
				t.Errorf("line %d (%s, %s): Lookup(% x) = %+v, %v; want %+v", line, row[3], hex, m, got, ok, want)
			}
		}
	}
	// The list covers all four registries, so the test exercises each.
	for _, r := range []Registry{MAL, MAM, MAS, IAB} {
		if perRegistry[r] == 0 {
			t.Errorf("no %v rows", r)
		}
	}
}
