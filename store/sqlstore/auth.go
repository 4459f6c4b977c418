package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"harborwatch/store"
)

// AddUser creates a user (store.ErrConflict when the name is taken); a
// zero Created is now.
func (db *DB) AddUser(ctx context.Context, u store.User) error {
	if u.Name == "" {
		return fmt.Errorf("store: add user: empty name: %w", store.ErrInvalid)
	}
	u.Created = trunc(u.Created)
	if u.Created.IsZero() {
		u.Created = now()
	}
	res, err := db.exec(ctx, db.w, `INSERT INTO users (name, role, password, created) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING`, u.Name, u.Role, u.Password, micros(u.Created))
	if err != nil {
		return fmt.Errorf("store: add user %q: %w", u.Name, err)
	}
	if rowsAffected(res) == 0 {
		return fmt.Errorf("store: add user %q: the name is taken: %w", u.Name, store.ErrConflict)
	}
	return nil
}

// User returns one user (store.ErrNotFound).
func (db *DB) User(ctx context.Context, name string) (store.User, error) {
	var u store.User
	var created int64
	err := db.queryRow(ctx, db.r, `SELECT name, role, password, created FROM users WHERE name = ?`, name).
		Scan(&u.Name, &u.Role, &u.Password, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("user", name)
	}
	if err != nil {
		return u, fmt.Errorf("store: user %q: %w", name, err)
	}
	u.Created = fromMicros(created)
	return u, nil
}

// Users lists the users by name.
func (db *DB) Users(ctx context.Context) ([]store.User, error) {
	rows, err := db.query(ctx, db.r, `SELECT name, role, password, created FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (store.User, error) {
		var u store.User
		var created int64
		err := sc.Scan(&u.Name, &u.Role, &u.Password, &created)
		u.Created = fromMicros(created)
		return u, err
	}, "users")
}

// AddToken stores a token; an empty ID is assigned ("T" and 16 hex
// digits), a zero Created is now. A token with the same ID or hash is
// store.ErrConflict.
func (db *DB) AddToken(ctx context.Context, t store.Token) error {
	if t.ID == "" {
		t.ID = newID("T")
	}
	if len(t.Hash) == 0 {
		return fmt.Errorf("store: add token %q: no hash: %w", t.ID, store.ErrInvalid)
	}
	t.Created = trunc(t.Created)
	if t.Created.IsZero() {
		t.Created = now()
	}
	res, err := db.exec(ctx, db.w, `INSERT INTO tokens (id, name, role, hash, created, expires, revoked, by_user)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		t.ID, t.Name, t.Role, t.Hash, micros(t.Created), nullMicros(t.Expires), nullMicros(t.Revoked), t.By)
	if err != nil {
		return fmt.Errorf("store: add token %q: %w", t.ID, err)
	}
	if rowsAffected(res) == 0 {
		return fmt.Errorf("store: add token %q: its id or secret is taken: %w", t.ID, store.ErrConflict)
	}
	return nil
}

const tokenColumns = `id, name, role, hash, created, expires, revoked, by_user`

func scanToken(sc interface{ Scan(...any) error }) (store.Token, error) {
	var t store.Token
	var created int64
	var expires, revoked sql.NullInt64
	err := sc.Scan(&t.ID, &t.Name, &t.Role, &t.Hash, &created, &expires, &revoked, &t.By)
	t.Created, t.Expires, t.Revoked = fromMicros(created), fromNullMicros(expires), fromNullMicros(revoked)
	return t, err
}

// TokenByHash returns the token whose secret hashes to hash
// (store.ErrNotFound), revoked and expired ones included.
func (db *DB) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(db.queryRow(ctx, db.r, `SELECT `+tokenColumns+` FROM tokens WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("store: token: %w", store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("store: token: %w", err)
	}
	return t, nil
}

// Tokens lists tokens, newest first.
func (db *DB) Tokens(ctx context.Context) ([]store.Token, error) {
	rows, err := db.query(ctx, db.r, `SELECT `+tokenColumns+` FROM tokens ORDER BY created DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	return collect(rows, scanToken, "tokens")
}

// RevokeToken marks a token revoked at at (store.ErrNotFound); a token
// revoked already keeps its first revocation time.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) error {
	at = trunc(at)
	if at.IsZero() {
		at = now()
	}
	res, err := db.exec(ctx, db.w, `UPDATE tokens SET revoked = COALESCE(revoked, ?) WHERE id = ?`, micros(at), id)
	if err != nil {
		return fmt.Errorf("store: revoke token %q: %w", id, err)
	}
	if rowsAffected(res) == 0 {
		return notFound("token", id)
	}
	return nil
}

// Audit appends e to the audit log (a zero At is now; At is kept in UTC
// microseconds, as it reads back) with Seq, Prev and Hash filled in.
// Appenders are serialized: by the single writer connection of SQLite, by
// an exclusive table lock in PostgreSQL.
func (db *DB) Audit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	e.At = trunc(e.At)
	if e.At.IsZero() {
		e.At = now()
	}
	if len(e.Detail) == 0 {
		e.Detail = nil
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if db.backend == Postgres {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE audit IN EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		var last int64
		var prev string
		err := db.queryRow(ctx, tx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		e.Seq, e.Prev = last+1, prev
		e.Hash = store.ChainHash(prev, &e)
		_, err = db.exec(ctx, tx, `INSERT INTO audit (seq, at, actor, remote, action, target, result, detail, prev, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.Seq, micros(e.At), e.Actor, e.Remote, e.Action, e.Target, e.Result, string(e.Detail), e.Prev, e.Hash)
		return err
	})
	if err != nil {
		return e, fmt.Errorf("store: audit %s by %s: %w", e.Action, e.Actor, err)
	}
	return e, nil
}

// AuditLog returns entries with Seq > after, oldest first, at most limit
// (0 → all).
func (db *DB) AuditLog(ctx context.Context, after int64, limit int) ([]store.AuditEntry, error) {
	query := `SELECT seq, at, actor, remote, action, target, result, detail, prev, hash FROM audit WHERE seq > ? ORDER BY seq`
	args := []any{after}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := db.query(ctx, db.r, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (store.AuditEntry, error) {
		var e store.AuditEntry
		var at int64
		var detail string
		err := sc.Scan(&e.Seq, &at, &e.Actor, &e.Remote, &e.Action, &e.Target, &e.Result, &detail, &e.Prev, &e.Hash)
		e.At = fromMicros(at)
		if detail != "" {
			e.Detail = json.RawMessage(detail)
		}
		return e, err
	}, "audit log")
}
