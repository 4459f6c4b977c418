package sqlstore

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"harborwatch/store"
	"harborwatch/store/storetest"
)

func TestRecoverySQLite(t *testing.T) {
	storetest.RunRecovery(t, func(t *testing.T) store.Store { return openSQLiteTest(t) })
}

func TestRecoveryPostgres(t *testing.T) {
	dsn := postgresServer(t)
	storetest.RunRecovery(t, func(t *testing.T) store.Store {
		db, _ := openPostgresTest(t, dsn)
		return db
	})
}

// TestRecoverySurvivesReopen: the registers are on disk, not in memory.
func TestRecoverySurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddBaseline(ctx, store.Baseline{Asset: "plc1", Manifest: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutBackup(ctx, store.Backup{Crane: "sts01", Item: "plc-program"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutSpare(ctx, store.Spare{Crane: "sts01", Component: "plc", Required: 1}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bs, _ := db.Backups(ctx, "")
	ps, _ := db.Spares(ctx, "")
	if _, err := db.Baseline(ctx, "plc1"); err != nil || len(bs) != 1 || len(ps) != 1 {
		t.Fatalf("after reopen: baseline %v, %d backups, %d spares", err, len(bs), len(ps))
	}
}
