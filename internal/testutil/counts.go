package testutil

import (
	"maps"
	"slices"
	"testing"
)

// DiffCounts reports every key whose count differs between ours and an
// oracle's (tshark's per-function counts), in key order.
func DiffCounts(t testing.TB, name string, got, want map[string]int) {
	t.Helper()
	keys := slices.Sorted(maps.Keys(want))
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s %s: ours %d, tshark %d", name, k, got[k], want[k])
		}
	}
}
