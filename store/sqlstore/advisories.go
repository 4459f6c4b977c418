package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"harborwatch/store"
)

var _ store.Advisories = (*DB)(nil)

// PutAdvisory stores an advisory unless the stored revision under its id
// is the same or newer (store.AdvisoryOutcome). SHA256 is computed from
// Doc; a zero Imported is now.
func (db *DB) PutAdvisory(ctx context.Context, a store.Advisory) (string, store.Advisory, error) {
	if strings.TrimSpace(a.ID) == "" {
		return "", store.Advisory{}, fmt.Errorf("store: put advisory: no id: %w", store.ErrInvalid)
	}
	if len(a.Doc) == 0 {
		return "", store.Advisory{}, fmt.Errorf("store: put advisory %q: no document: %w", a.ID, store.ErrInvalid)
	}
	// What is stored is valid UTF-8 without NUL (clean); the hash is
	// of what is stored.
	a.ID, a.Doc = clean(a.ID), []byte(clean(string(a.Doc)))
	sum := sha256.Sum256(a.Doc)
	a.SHA256 = hex.EncodeToString(sum[:])
	a.Current = trunc(a.Current)
	if a.Imported.IsZero() {
		a.Imported = now()
	}
	a.Imported = trunc(a.Imported)
	var outcome string
	var prev store.Advisory
	// Two imports of a new id at once both find no row; the second's
	// insert then does nothing and it decides again, seeing the first's.
	raced := errors.New("raced")
	put := func(tx *sql.Tx) error {
		var found bool
		var cur, imp int64
		err := db.queryRow(ctx, tx, `SELECT id, title, publisher, version, current_release, sha256, file, imported, by_user
			FROM advisories WHERE id = ?`+db.forUpdate(), a.ID).
			Scan(&prev.ID, &prev.Title, &prev.Publisher, &prev.Version, &cur, &prev.SHA256, &prev.File, &imp, &prev.By)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			prev = store.Advisory{}
		case err != nil:
			return err
		default:
			found = true
			prev.Current, prev.Imported = fromMicros(cur), fromMicros(imp)
		}
		outcome = store.AdvisoryOutcome(prev, found, a)
		args := []any{clean(a.Title), clean(a.Publisher), clean(a.Version), micros(a.Current), a.SHA256, clean(a.File),
			string(a.Doc), micros(a.Imported), clean(a.By)}
		switch outcome {
		case store.AdvisoryImported:
			var r sql.Result
			r, err = db.exec(ctx, tx, `INSERT INTO advisories (id, title, publisher, version, current_release, sha256, file, doc, imported, by_user)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, append([]any{a.ID}, args...)...)
			if err == nil && rowsAffected(r) == 0 {
				return raced
			}
		case store.AdvisoryUpdated:
			_, err = db.exec(ctx, tx, `UPDATE advisories SET title = ?, publisher = ?, version = ?, current_release = ?, sha256 = ?,
				file = ?, doc = ?, imported = ?, by_user = ? WHERE id = ?`, append(args, a.ID)...)
		}
		return err
	}
	var err error
	for range 3 {
		if err = db.tx(ctx, put); !errors.Is(err, raced) {
			break
		}
	}
	if err != nil {
		return "", store.Advisory{}, fmt.Errorf("store: put advisory %q: %w", a.ID, err)
	}
	return outcome, prev, nil
}

// Advisories lists the stored advisories by id, without their documents.
func (db *DB) Advisories(ctx context.Context) ([]store.Advisory, error) {
	rows, err := db.query(ctx, db.r, `SELECT id, title, publisher, version, current_release, sha256, file, imported, by_user
		FROM advisories ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: advisories: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (store.Advisory, error) {
		var a store.Advisory
		var cur, imp int64
		err := sc.Scan(&a.ID, &a.Title, &a.Publisher, &a.Version, &cur, &a.SHA256, &a.File, &imp, &a.By)
		a.Current, a.Imported = fromMicros(cur), fromMicros(imp)
		return a, err
	}, "advisories")
}

// Advisory returns one stored advisory with its document.
func (db *DB) Advisory(ctx context.Context, id string) (store.Advisory, error) {
	var a store.Advisory
	var cur, imp int64
	var doc string
	err := db.queryRow(ctx, db.r, `SELECT id, title, publisher, version, current_release, sha256, file, doc, imported, by_user
		FROM advisories WHERE id = ?`, id).
		Scan(&a.ID, &a.Title, &a.Publisher, &a.Version, &cur, &a.SHA256, &a.File, &doc, &imp, &a.By)
	if errors.Is(err, sql.ErrNoRows) {
		return a, notFound("advisory", id)
	}
	if err != nil {
		return a, fmt.Errorf("store: advisory %q: %w", id, err)
	}
	a.Current, a.Imported, a.Doc = fromMicros(cur), fromMicros(imp), []byte(doc)
	return a, nil
}
