// Package sqlstore is the SQL implementation of store.Store, with two
// backends: SQLite (a file, the embedded default, pure Go) and PostgreSQL
// (through pgx). Both run the same SQL; a small dialect shim covers what
// differs (placeholders, row locks). The schema is migrated with goose
// from migrations embedded in the binary when the store is opened.
//
// Times are stored as microseconds since 1970 in UTC.
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"harborwatch/store"
)

//go:embed migrations
var migrations embed.FS

// Backend names, as Backend returns them.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// sqliteBusyTimeout is how long an SQLite connection waits for a lock
// held by another connection (or process) before giving up.
const sqliteBusyTimeout = 10 * time.Second

// DB is a store.Store on an SQL database.
type DB struct {
	backend string
	// w runs every write. For SQLite it is a single connection, so that
	// writers from many goroutines queue in Go instead of failing with
	// SQLITE_BUSY; for PostgreSQL it is the one pool.
	w *sql.DB
	// r runs reads: for SQLite a pool of read-only connections (WAL lets
	// them read while the writer writes); for PostgreSQL the same pool.
	r *sql.DB
}

var _ store.Store = (*DB)(nil)

// Open opens the store at dsn and migrates its schema to the latest
// version. A dsn starting with postgres:// or postgresql:// is a
// PostgreSQL connection string; anything else is the path of an SQLite
// file (created when missing), optionally prefixed with "sqlite:".
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	s := &DB{backend: Postgres, w: db, r: db}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, fmt.Errorf("store: no database: give an SQLite file path or a postgres:// URL")
	}
	pragmas := func(extra ...string) string {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout("+strconv.FormatInt(sqliteBusyTimeout.Milliseconds(), 10)+")")
		q.Add("_pragma", "foreign_keys(1)")
		// FULL: a transaction acknowledged is on disk, even after a power
		// loss (NORMAL in WAL mode may lose the last ones).
		q.Add("_pragma", "synchronous(FULL)")
		for _, e := range extra {
			k, v, _ := strings.Cut(e, "=")
			q.Add(k, v)
		}
		return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", pragmas("_pragma=journal_mode(WAL)", "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &DB{backend: SQLite, w: w}
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	if mode != "wal" {
		w.Close()
		return nil, fmt.Errorf("store: sqlite %s: journal mode is %q, want wal (is it on a file system without shared memory?)", path, mode)
	}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", pragmas("_pragma=query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s.r = r
	return s, nil
}

// migrate applies the embedded migrations not applied yet.
func (db *DB) migrate(ctx context.Context) error {
	p, err := db.migrator()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate the %s schema: %w", db.backend, err)
	}
	return nil
}

func (db *DB) migrator() (*goose.Provider, error) {
	dir, err := fs.Sub(migrations, "migrations/"+db.backend)
	if err != nil {
		return nil, fmt.Errorf("store: migrations for %s: %w", db.backend, err)
	}
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if db.backend == Postgres {
		dialect = goose.DialectPostgres
		// Two servers starting at once on one database migrate in turn.
		l, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("store: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(l))
	}
	p, err := goose.NewProvider(dialect, db.w, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrations for %s: %w", db.backend, err)
	}
	return p, nil
}

// SchemaVersion returns the version of the schema the database is at
// (the newest migration applied).
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := db.migrator()
	if err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return v, nil
}

// Backend returns "sqlite" or "postgres".
func (db *DB) Backend() string { return db.backend }

// Close releases the database.
func (db *DB) Close() error {
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// q rewrites a query written with ? placeholders for the backend:
// PostgreSQL numbers them ($1, $2, …). The queries of this package hold
// no ? but placeholders (user input is always bound, never spliced in).
func (db *DB) q(query string) string {
	if db.backend != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// forUpdate is the clause that locks the rows a SELECT reads in a
// transaction: PostgreSQL only (SQLite has one writer at a time).
func (db *DB) forUpdate() string {
	if db.backend == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func (db *DB) exec(ctx context.Context, x querier, query string, args ...any) (sql.Result, error) {
	return x.ExecContext(ctx, db.q(query), args...)
}

func (db *DB) query(ctx context.Context, x querier, query string, args ...any) (*sql.Rows, error) {
	return x.QueryContext(ctx, db.q(query), db.lookupArgs(args)...)
}

func (db *DB) queryRow(ctx context.Context, x querier, query string, args ...any) *sql.Row {
	return x.QueryRowContext(ctx, db.q(query), db.lookupArgs(args)...)
}

// lookupArgs makes the values a query looks up acceptable to the backend.
// PostgreSQL refuses text with NUL bytes or invalid UTF-8 even as a
// parameter; as no stored text holds either, such a value must match
// nothing: it becomes its cleaned form marked with U+FFFF, a
// noncharacter no stored name carries.
func (db *DB) lookupArgs(args []any) []any {
	if db.backend != Postgres {
		return args
	}
	var out []any
	for i, a := range args {
		s, ok := a.(string)
		if !ok || clean(s) == s {
			continue
		}
		if out == nil {
			out = slices.Clone(args)
		}
		out[i] = clean(s) + "\uFFFF"
	}
	if out == nil {
		return args
	}
	return out
}

// tx runs fn in a write transaction, committed when fn returns nil and
// rolled back otherwise.
func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return txOn(ctx, db.w, fn)
}

// txOn runs fn in a transaction begun on b (the writer pool, or one of
// its connections).
func txOn(ctx context.Context, b interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, fn func(tx *sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// micros is t as stored: microseconds since 1970 UTC; 0 for the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros is the time stored as us (0 → the zero time), in UTC.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// nullMicros stores an optional time.
func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil || t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// fromNullMicros reads an optional time.
func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid || v.Int64 == 0 {
		return nil
	}
	t := time.UnixMicro(v.Int64).UTC()
	return &t
}

// trunc is t as it reads back: UTC, whole microseconds.
func trunc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// now is the current time as stored.
func now() time.Time { return trunc(time.Now()) }

// newID returns prefix followed by 16 random hex digits.
func newID(prefix string) string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return prefix + hex.EncodeToString(b[:])
}

// clean makes s storable in a text column of either backend: valid UTF-8
// with no NUL (PostgreSQL refuses both).
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// notFound wraps store.ErrNotFound with what was not found.
func notFound(what, id string) error {
	return fmt.Errorf("store: %s %q: %w", what, id, store.ErrNotFound)
}

// rowsAffected returns n of a result, treating an error as 0 rows.
func rowsAffected(r sql.Result) int64 {
	n, err := r.RowsAffected()
	if err != nil {
		return 0
	}
	return n
}
