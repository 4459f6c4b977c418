package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"harborwatch/finding"
	"harborwatch/store"
)

// suppressionsLock is the PostgreSQL advisory lock that changes of
// suppressions take exclusively and runs (FinishRun) shared.
const suppressionsLock int64 = 0x4857_5355_5050 // "HWSUPP"

// lockSuppressions takes suppressionsLock exclusively in tx (PostgreSQL).
func (db *DB) lockSuppressions(ctx context.Context, tx *sql.Tx) error {
	if db.backend != Postgres {
		return nil
	}
	_, err := db.exec(ctx, tx, `SELECT pg_advisory_xact_lock(?)`, suppressionsLock)
	return err
}

const suppressionColumns = `id, site, rule, src, dst, zone, asset, reason, author, created, expires`

func scanSuppression(sc interface{ Scan(...any) error }) (store.Suppression, error) {
	var s store.Suppression
	var created, expires int64
	err := sc.Scan(&s.ID, &s.Site, &s.Rule, &s.Src, &s.Dst, &s.Zone, &s.Asset, &s.Reason, &s.Author, &created, &expires)
	s.Created, s.Expires = fromMicros(created), fromMicros(expires)
	return s, err
}

// suppressions lists every suppression, newest first.
func (db *DB) suppressions(ctx context.Context, x querier) ([]store.Suppression, error) {
	rows, err := db.query(ctx, x, `SELECT `+suppressionColumns+` FROM suppressions ORDER BY created DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("suppressions: %w", err)
	}
	return collect(rows, scanSuppression, "suppressions")
}

// AddSuppression stores s (its scope checked with CheckScope, else
// store.ErrInvalid; an empty ID is assigned, "S" and 16 hex digits; a zero
// Created is now) and hides with it the stored findings it matches that
// no other active suppression hides. It returns s and how many findings it
// hid.
func (db *DB) AddSuppression(ctx context.Context, s store.Suppression) (store.Suppression, int, error) {
	if err := s.CheckScope(); err != nil {
		return s, 0, fmt.Errorf("store: add suppression: %w: %w", err, store.ErrInvalid)
	}
	if s.ID == "" {
		s.ID = newID("S")
	}
	s.Created, s.Expires, s.Hidden = trunc(s.Created), trunc(s.Expires), 0
	if s.Created.IsZero() {
		s.Created = now()
	}
	at := s.Created // it applies as of when it was made
	err := db.tx(ctx, func(tx *sql.Tx) error {
		s.Hidden = 0
		if err := db.lockSuppressions(ctx, tx); err != nil {
			return err
		}
		res, err := db.exec(ctx, tx, `INSERT INTO suppressions (`+suppressionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`,
			s.ID, s.Site, s.Rule, s.Src, s.Dst, s.Zone, s.Asset, s.Reason, s.Author, micros(s.Created), micros(s.Expires))
		if err != nil {
			return err
		}
		if rowsAffected(res) == 0 {
			return fmt.Errorf("suppression %q exists: %w", s.ID, store.ErrConflict)
		}
		if !s.Active(at) {
			return nil
		}
		query := `SELECT f.site, f.data FROM findings f LEFT JOIN suppressions s ON s.id = f.suppression
			WHERE f.rule = ? AND NOT ` + activeSQL
		args := []any{s.Rule, at.UnixMicro()}
		if s.Site != "" {
			query += ` AND f.site = ?`
			args = append(args, s.Site)
		}
		hits, err := db.matching(ctx, tx, query, args, []store.Suppression{s})
		if err != nil {
			return err
		}
		for _, h := range hits {
			if _, err := db.exec(ctx, tx, `UPDATE findings SET suppression = ? WHERE site = ? AND id = ?`,
				s.ID, h.site, h.id); err != nil {
				return err
			}
		}
		s.Hidden = len(hits)
		return nil
	})
	if err != nil {
		return s, 0, fmt.Errorf("store: add suppression %q: %w", s.ID, err)
	}
	return s, s.Hidden, nil
}

// hit is a finding a suppression matches.
type hit struct{ site, id, sup string }

// matching runs query (selecting a finding's site and JSON) and returns
// the findings the first of sups matches, with the suppression's id.
func (db *DB) matching(ctx context.Context, x querier, query string, args []any, sups []store.Suppression) ([]hit, error) {
	rows, err := db.query(ctx, x, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hits []hit
	for rows.Next() {
		var site, data string
		if err := rows.Scan(&site, &data); err != nil {
			return nil, err
		}
		var f finding.Finding
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			return nil, fmt.Errorf("stored finding %s is not valid JSON: %w", site, err)
		}
		for i := range sups {
			if sups[i].Matches(site, &f) {
				hits = append(hits, hit{site, f.ID, sups[i].ID})
				break
			}
		}
	}
	return hits, rows.Err()
}

// Suppressions lists suppressions, expired ones included, newest first,
// with the number of findings each hides now.
func (db *DB) Suppressions(ctx context.Context) ([]store.Suppression, error) {
	sups, err := db.suppressions(ctx, db.r)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	rows, err := db.query(ctx, db.r, `SELECT suppression, COUNT(*) FROM findings WHERE suppression IS NOT NULL GROUP BY suppression`)
	if err != nil {
		return nil, fmt.Errorf("store: suppressions: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("store: suppressions: %w", err)
		}
		counts[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: suppressions: %w", err)
	}
	at := time.Now()
	for i := range sups {
		if sups[i].Active(at) {
			sups[i].Hidden = counts[sups[i].ID]
		}
	}
	return sups, nil
}

// DeleteSuppression removes a suppression (store.ErrNotFound). The
// findings it hid are hidden by another active suppression that matches
// them, if any, and otherwise show their own state again.
func (db *DB) DeleteSuppression(ctx context.Context, id string) error {
	at := time.Now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockSuppressions(ctx, tx); err != nil {
			return err
		}
		res, err := db.exec(ctx, tx, `DELETE FROM suppressions WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if rowsAffected(res) == 0 {
			return notFound("suppression", id)
		}
		all, err := db.suppressions(ctx, tx)
		if err != nil {
			return err
		}
		var others []store.Suppression
		for _, s := range all {
			if s.Active(at) {
				others = append(others, s)
			}
		}
		hits, err := db.matching(ctx, tx, `SELECT site, data FROM findings WHERE suppression = ?`, []any{id}, others)
		if err != nil {
			return err
		}
		if _, err := db.exec(ctx, tx, `UPDATE findings SET suppression = NULL WHERE suppression = ?`, id); err != nil {
			return err
		}
		for _, h := range hits {
			if _, err := db.exec(ctx, tx, `UPDATE findings SET suppression = ? WHERE site = ? AND id = ?`,
				h.sup, h.site, h.id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("store: delete suppression %q: %w", id, err)
	}
	return err
}
