package sqlstore

import "testing"

// ScaleDB is scaleDB for the external tests of this package.
func ScaleDB(tb testing.TB) *DB { return scaleDB(tb) }

// ScaleDeepCursor is a cursor half-way through the scale store's findings.
func ScaleDeepCursor() string { return scaleStore.deep }
