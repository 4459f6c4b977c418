package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"harborwatch/store"
)

// PutSite creates or replaces a site's model; a zero Updated is now.
func (db *DB) PutSite(ctx context.Context, s store.Site) error {
	if s.ID == "" {
		return fmt.Errorf("store: put site: empty id: %w", store.ErrInvalid)
	}
	if s.Updated.IsZero() {
		s.Updated = now()
	}
	_, err := db.exec(ctx, db.w, `INSERT INTO sites (id, yaml, model, updated, by_user) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET yaml = excluded.yaml, model = excluded.model,
			updated = excluded.updated, by_user = excluded.by_user`,
		s.ID, s.YAML, s.Model, micros(s.Updated), s.By)
	if err != nil {
		return fmt.Errorf("store: put site %q: %w", s.ID, err)
	}
	return nil
}

const siteColumns = `id, yaml, model, updated, by_user`

func scanSite(sc interface{ Scan(...any) error }) (store.Site, error) {
	var s store.Site
	var updated int64
	err := sc.Scan(&s.ID, &s.YAML, &s.Model, &updated, &s.By)
	s.Updated = fromMicros(updated)
	return s, err
}

// Site returns one site (store.ErrNotFound).
func (db *DB) Site(ctx context.Context, id string) (store.Site, error) {
	s, err := scanSite(db.queryRow(ctx, db.r, `SELECT `+siteColumns+` FROM sites WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, notFound("site", id)
	}
	if err != nil {
		return s, fmt.Errorf("store: site %q: %w", id, err)
	}
	return s, nil
}

// Sites lists the sites by id.
func (db *DB) Sites(ctx context.Context) ([]store.Site, error) {
	rows, err := db.query(ctx, db.r, `SELECT `+siteColumns+` FROM sites ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: sites: %w", err)
	}
	return collect(rows, scanSite, "sites")
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error), what string) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

// AddCapture records an uploaded capture as queued; an empty ID is
// assigned ("C" and 16 hex digits), a zero Created is now.
func (db *DB) AddCapture(ctx context.Context, c store.Capture) (store.Capture, error) {
	if c.ID == "" {
		c.ID = newID("C")
	}
	if c.Site == "" {
		return c, fmt.Errorf("store: add capture: no site: %w", store.ErrInvalid)
	}
	c.Created = trunc(c.Created)
	if c.Created.IsZero() {
		c.Created = now()
	}
	c.Attempts, c.Started, c.Finished, c.Error, c.Stats = 0, nil, nil, "", nil
	var started any
	if c.Status == store.Receiving {
		t := c.Created
		c.Attempts, c.Started, started = 1, &t, micros(t)
	} else {
		c.Status = store.Queued
	}
	res, err := db.exec(ctx, db.w, `INSERT INTO captures (id, site, name, path, sha256, size, status, by_user, created, attempts, started)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		c.ID, c.Site, c.Name, c.Path, c.SHA256, c.Size, c.Status, c.By, micros(c.Created), c.Attempts, started)
	if err != nil {
		return c, fmt.Errorf("store: add capture %q: %w", c.ID, err)
	}
	if rowsAffected(res) == 0 {
		return c, fmt.Errorf("store: add capture %q: %w", c.ID, store.ErrConflict)
	}
	return c, nil
}

const captureColumns = `id, site, name, path, sha256, size, status, stats, error, by_user, attempts, created, started, finished`

func scanCapture(sc interface{ Scan(...any) error }) (store.Capture, error) {
	var c store.Capture
	var stats string
	var created int64
	var started, finished sql.NullInt64
	err := sc.Scan(&c.ID, &c.Site, &c.Name, &c.Path, &c.SHA256, &c.Size, &c.Status, &stats, &c.Error, &c.By,
		&c.Attempts, &created, &started, &finished)
	if stats != "" {
		c.Stats = json.RawMessage(stats)
	}
	c.Created, c.Started, c.Finished = fromMicros(created), fromNullMicros(started), fromNullMicros(finished)
	return c, err
}

func (db *DB) oneCapture(ctx context.Context, x querier, what, query string, args ...any) (store.Capture, error) {
	c, err := scanCapture(db.queryRow(ctx, x, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("capture", what)
	}
	if err != nil {
		return c, fmt.Errorf("store: capture %q: %w", what, err)
	}
	return c, nil
}

// CaptureBySHA returns the newest capture of a site with this SHA-256
// (store.ErrNotFound).
func (db *DB) CaptureBySHA(ctx context.Context, site, sha256 string) (store.Capture, error) {
	return db.oneCapture(ctx, db.r, site+"/"+sha256, `SELECT `+captureColumns+` FROM captures
		WHERE site = ? AND sha256 = ? ORDER BY created DESC, id DESC LIMIT 1`, site, sha256)
}

// Capture returns one capture (store.ErrNotFound).
func (db *DB) Capture(ctx context.Context, id string) (store.Capture, error) {
	return db.oneCapture(ctx, db.r, id, `SELECT `+captureColumns+` FROM captures WHERE id = ?`, id)
}

// Captures lists a site's captures ("" → all), newest first; limit 0 (or
// less) lists all.
func (db *DB) Captures(ctx context.Context, site string, limit int) ([]store.Capture, error) {
	query := `SELECT ` + captureColumns + ` FROM captures`
	var args []any
	if site != "" {
		query += ` WHERE site = ?`
		args = append(args, site)
	}
	query += ` ORDER BY created DESC, id DESC`
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := db.query(ctx, db.r, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: captures: %w", err)
	}
	return collect(rows, scanCapture, "captures")
}

// ClaimCapture moves the oldest queued capture to running (one more
// attempt, started now) and deletes its events from an earlier attempt;
// ok is false when none is queued.
func (db *DB) ClaimCapture(ctx context.Context) (store.Capture, bool, error) {
	for {
		var c store.Capture
		var claimed, raced bool
		err := db.tx(ctx, func(tx *sql.Tx) error {
			var id string
			err := db.queryRow(ctx, tx, `SELECT id FROM captures WHERE status = ? ORDER BY created, id LIMIT 1`,
				store.Queued).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			res, err := db.exec(ctx, tx, `UPDATE captures SET status = ?, attempts = attempts + 1, started = ?, finished = NULL, error = ''
				WHERE id = ? AND status = ?`, store.Running, micros(now()), id, store.Queued)
			if err != nil {
				return err
			}
			if rowsAffected(res) == 0 { // another server claimed it first
				raced = true
				return nil
			}
			if _, err := db.exec(ctx, tx, `DELETE FROM events WHERE capture_id = ?`, id); err != nil {
				return err
			}
			c, err = db.oneCapture(ctx, tx, id, `SELECT `+captureColumns+` FROM captures WHERE id = ?`, id)
			claimed = err == nil
			return err
		})
		if err != nil {
			return store.Capture{}, false, fmt.Errorf("store: claim capture: %w", err)
		}
		if !raced {
			return c, claimed, nil
		}
	}
}

// RequeueRunning moves every running capture back to queued and returns
// how many.
func (db *DB) RequeueRunning(ctx context.Context) (int, error) {
	res, err := db.exec(ctx, db.w, `UPDATE captures SET status = ? WHERE status = ?`, store.Queued, store.Running)
	if err != nil {
		return 0, fmt.Errorf("store: requeue running captures: %w", err)
	}
	return int(rowsAffected(res)), nil
}

// Received moves a receiving capture to running with its SHA-256 and
// size (store.ErrNotFound when it is not receiving).
func (db *DB) Received(ctx context.Context, id, sha256 string, size int64) error {
	res, err := db.exec(ctx, db.w, `UPDATE captures SET status = ?, sha256 = ?, size = ? WHERE id = ? AND status = ?`,
		store.Running, sha256, size, id, store.Receiving)
	if err != nil {
		return fmt.Errorf("store: capture %q received: %w", id, err)
	}
	if rowsAffected(res) == 0 {
		return notFound("receiving capture", id)
	}
	return nil
}

// DropCapture deletes a capture and its events (store.ErrNotFound).
func (db *DB) DropCapture(ctx context.Context, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := db.exec(ctx, tx, `DELETE FROM events WHERE capture_id = ?`, id); err != nil {
			return err
		}
		res, err := db.exec(ctx, tx, `DELETE FROM captures WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if rowsAffected(res) == 0 {
			return notFound("capture", id)
		}
		return nil
	})
}

// DropReceiving deletes the receiving captures and their events and
// returns them.
func (db *DB) DropReceiving(ctx context.Context) ([]store.Capture, error) {
	var cs []store.Capture
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := db.query(ctx, tx, `SELECT `+captureColumns+` FROM captures WHERE status = ?`, store.Receiving)
		if err != nil {
			return err
		}
		if cs, err = collect(rows, scanCapture, "captures"); err != nil {
			return err
		}
		for _, c := range cs {
			if _, err := db.exec(ctx, tx, `DELETE FROM events WHERE capture_id = ?`, c.ID); err != nil {
				return err
			}
			if _, err := db.exec(ctx, tx, `DELETE FROM captures WHERE id = ?`, c.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: drop receiving captures: %w", err)
	}
	return cs, nil
}

// FailCapture marks a capture failed with msg, finished now
// (store.ErrNotFound).
func (db *DB) FailCapture(ctx context.Context, id string, msg string) error {
	res, err := db.exec(ctx, db.w, `UPDATE captures SET status = ?, error = ?, finished = ? WHERE id = ?`,
		store.Failed, msg, micros(now()), id)
	if err != nil {
		return fmt.Errorf("store: fail capture %q: %w", id, err)
	}
	if rowsAffected(res) == 0 {
		return notFound("capture", id)
	}
	return nil
}
