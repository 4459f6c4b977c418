package sqlstore

import (
	"testing"

	"harborwatch/store"
	"harborwatch/store/storetest"
)

func TestFleetSQLite(t *testing.T) {
	storetest.Fleet(t, func(t *testing.T) store.Store { return openSQLiteTest(t) })
}

func TestFleetPostgres(t *testing.T) {
	dsn := postgresServer(t)
	storetest.Fleet(t, func(t *testing.T) store.Store {
		db, _ := openPostgresTest(t, dsn)
		return db
	})
}

func TestEvidenceSQLite(t *testing.T) {
	storetest.Evidence(t, func(t *testing.T) store.Store { return openSQLiteTest(t) })
}

func TestEvidencePostgres(t *testing.T) {
	dsn := postgresServer(t)
	storetest.Evidence(t, func(t *testing.T) store.Store {
		db, _ := openPostgresTest(t, dsn)
		return db
	})
}
