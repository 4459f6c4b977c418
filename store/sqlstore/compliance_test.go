package sqlstore

import (
	"testing"

	"harborwatch/store"
	"harborwatch/store/storetest"
)

func TestSQLiteCompliance(t *testing.T) {
	storetest.RunCompliance(t, func(t *testing.T) store.Store {
		return openSQLiteTest(t)
	})
}

func TestPostgresCompliance(t *testing.T) {
	dsn := postgresServer(t)
	storetest.RunCompliance(t, func(t *testing.T) store.Store {
		db, _ := openPostgresTest(t, dsn)
		return db
	})
}
