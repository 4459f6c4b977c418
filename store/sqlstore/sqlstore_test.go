package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"harborwatch/store"
	"harborwatch/store/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openSQLiteTest(t)
	})
}

func openSQLiteTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if db.Backend() != SQLite {
		t.Fatalf("Backend = %q", db.Backend())
	}
	return db
}

func TestPostgres(t *testing.T) {
	dsn := postgresServer(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		db, _ := openPostgresTest(t, dsn)
		return db
	})
}

// postgresServer returns the DSN of the test server's maintenance
// database, skipping the test when no server answers (failing it when
// HARBORWATCH_REQUIRE_POSTGRES=1).
func postgresServer(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("HARBORWATCH_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		err = db.PingContext(context.Background())
		db.Close()
	}
	if err != nil {
		if os.Getenv("HARBORWATCH_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL at %s is required (HARBORWATCH_REQUIRE_POSTGRES=1) but does not answer: %v", dsn, err)
		}
		t.Skipf("no PostgreSQL at %s (set HARBORWATCH_TEST_POSTGRES to another server): %v", dsn, err)
	}
	return dsn
}

// openPostgresTest creates a fresh database on the server, dropped when t
// ends, and opens the store on it; it returns the store and its DSN.
func openPostgresTest(t testing.TB, server string) (*DB, string) {
	t.Helper()
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	name := "hwtest_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if db.Backend() != Postgres {
		t.Fatalf("Backend = %q", db.Backend())
	}
	return db, u.String()
}

// latestMigration is the version of the newest embedded migration.
func latestMigration(t *testing.T, backend string) int64 {
	t.Helper()
	entries, err := migrations.ReadDir("migrations/" + backend)
	if err != nil || len(entries) == 0 {
		t.Fatalf("no migrations for %s: %v", backend, err)
	}
	var v int64
	if _, err := fmt.Sscanf(entries[len(entries)-1].Name(), "%d_", &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func testMigrations(t *testing.T, db *DB, reopen func() *DB) {
	ctx := context.Background()
	want := latestMigration(t, db.Backend())
	for i, d := range []*DB{db, reopen()} {
		v, err := d.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var max int64
		if err := d.r.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version`).Scan(&max); err != nil {
			t.Fatal(err)
		}
		if v != want || max != want {
			t.Fatalf("open %d: schema version %d, goose table at %d; want %d", i+1, v, max, want)
		}
		// The schema is usable after each open.
		if err := d.PutSite(ctx, store.Site{ID: fmt.Sprint("s", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMigrationsSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	open := func() *DB {
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	first := open()
	var mode string
	if err := first.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q (%v), want wal", mode, err)
	}
	testMigrations(t, first, open)
}

func TestMigrationsPostgres(t *testing.T) {
	server := postgresServer(t)
	db, dsn := openPostgresTest(t, server)
	testMigrations(t, db, func() *DB {
		again, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { again.Close() })
		return again
	})
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(context.Background(), ""); err == nil {
		t.Fatal("Open of an empty dsn succeeded")
	}
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")); err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}
