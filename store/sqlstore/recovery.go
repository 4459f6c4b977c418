package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"harborwatch/finding"
	"harborwatch/store"
)

var _ store.Recovery = (*DB)(nil)

const baselineColumns = `id, site, asset, kind, source, key_id, manifest, path, created, by_user`

func scanBaseline(sc interface{ Scan(...any) error }) (store.Baseline, error) {
	var b store.Baseline
	var manifest string
	var created int64
	err := sc.Scan(&b.ID, &b.Site, &b.Asset, &b.Kind, &b.Source, &b.KeyID, &manifest, &b.Path, &created, &b.By)
	b.Manifest, b.Created = []byte(manifest), fromMicros(created)
	return b, err
}

// AddBaseline stores a new baseline of an asset, numbered after the
// asset's newest one (see store.Recovery).
func (db *DB) AddBaseline(ctx context.Context, b store.Baseline) (store.Baseline, error) {
	if b.Asset == "" || len(b.Manifest) == 0 {
		return b, fmt.Errorf("store: add baseline: no asset or no manifest: %w", store.ErrInvalid)
	}
	if b.ID == "" {
		b.ID = newID("B")
	}
	b.Created = trunc(b.Created)
	if b.Created.IsZero() {
		b.Created = now()
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if db.backend == Postgres {
			if _, err := db.exec(ctx, tx, `SELECT pg_advisory_xact_lock(hashtext(?))`, "harborwatch.baseline:"+b.Asset); err != nil {
				return err
			}
		}
		var seq int64
		if err := db.queryRow(ctx, tx, `SELECT COALESCE(MAX(seq), 0) FROM baselines WHERE asset = ?`, b.Asset).Scan(&seq); err != nil {
			return err
		}
		res, err := db.exec(ctx, tx, `INSERT INTO baselines (id, seq, site, asset, kind, source, key_id, manifest, path, created, by_user)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			b.ID, seq+1, clean(b.Site), clean(b.Asset), clean(b.Kind), clean(b.Source), clean(b.KeyID), clean(string(b.Manifest)),
			clean(b.Path), micros(b.Created), clean(b.By))
		if err != nil {
			return err
		}
		if rowsAffected(res) == 0 {
			return fmt.Errorf("id %q is taken: %w", b.ID, store.ErrConflict)
		}
		return nil
	})
	if err != nil {
		return b, fmt.Errorf("store: add baseline of %q: %w", b.Asset, err)
	}
	return b, nil
}

// Baseline returns the newest baseline of an asset (store.ErrNotFound).
func (db *DB) Baseline(ctx context.Context, asset string) (store.Baseline, error) {
	b, err := scanBaseline(db.queryRow(ctx, db.r, `SELECT `+baselineColumns+` FROM baselines WHERE asset = ? ORDER BY seq DESC LIMIT 1`, asset))
	if errors.Is(err, sql.ErrNoRows) {
		return b, notFound("baseline of asset", asset)
	}
	if err != nil {
		return b, fmt.Errorf("store: baseline of %q: %w", asset, err)
	}
	return b, nil
}

// Baselines lists the newest baseline of every asset, by asset.
func (db *DB) Baselines(ctx context.Context) ([]store.Baseline, error) {
	rows, err := db.query(ctx, db.r, `SELECT `+baselineColumns+` FROM baselines b
		WHERE seq = (SELECT MAX(seq) FROM baselines c WHERE c.asset = b.asset) ORDER BY asset`)
	if err != nil {
		return nil, fmt.Errorf("store: baselines: %w", err)
	}
	return collect(rows, scanBaseline, "baselines")
}

// SetBaselinePath sets the re-verification path of an asset's newest
// baseline (store.ErrNotFound).
func (db *DB) SetBaselinePath(ctx context.Context, asset, path string) error {
	res, err := db.exec(ctx, db.w, `UPDATE baselines SET path = ? WHERE asset = ? AND seq = (SELECT MAX(seq) FROM baselines WHERE asset = ?)`,
		clean(path), asset, asset)
	if err != nil {
		return fmt.Errorf("store: set baseline path of %q: %w", asset, err)
	}
	if rowsAffected(res) == 0 {
		return notFound("baseline of asset", asset)
	}
	return nil
}

// AddVerification stores a verification and merges its findings into the
// site's (see store.Recovery); the findings' history names the
// verification where a run names its capture.
func (db *DB) AddVerification(ctx context.Context, v store.Verification, fs []finding.Finding) (store.Verification, store.RunSummary, error) {
	var sum store.RunSummary
	if v.Asset == "" {
		return v, sum, fmt.Errorf("store: add verification: no asset: %w", store.ErrInvalid)
	}
	if v.ID == "" {
		v.ID = newID("V")
	}
	v.At = trunc(v.At)
	if v.At.IsZero() {
		v.At = now()
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		sum = store.RunSummary{}
		_, err := db.exec(ctx, tx, `INSERT INTO verifications (id, site, asset, baseline, status, result, at, by_user)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, v.ID, clean(v.Site), clean(v.Asset), clean(v.Baseline), clean(v.Status),
			clean(string(v.Result)), micros(v.At), clean(v.By))
		if err != nil {
			return err
		}
		return db.mergeFindings(ctx, tx, v.Site, "verification:"+v.ID, v.At, fs, &sum)
	})
	if err != nil {
		return v, store.RunSummary{}, fmt.Errorf("store: add verification of %q: %w", v.Asset, err)
	}
	return v, sum, nil
}

// mergeFindings merges fs into site's findings in tx, as FinishRun does.
func (db *DB) mergeFindings(ctx context.Context, tx *sql.Tx, site, source string, at time.Time, fs []finding.Finding, sum *store.RunSummary) error {
	if len(fs) == 0 {
		return nil
	}
	if db.backend == Postgres {
		if _, err := db.exec(ctx, tx, `SELECT pg_advisory_xact_lock_shared(?)`, suppressionsLock); err != nil {
			return err
		}
		if _, err := db.exec(ctx, tx, `SELECT pg_advisory_xact_lock(hashtext(?))`, "harborwatch.site:"+site); err != nil {
			return err
		}
	}
	sups, err := db.suppressions(ctx, tx)
	if err != nil {
		return err
	}
	for i := range fs {
		if err := db.mergeFinding(ctx, tx, site, source, at, &fs[i], sups, sum); err != nil {
			return fmt.Errorf("finding %s: %w", fs[i].ID, err)
		}
	}
	return nil
}

// MergeFindings merges findings made outside a capture run (see
// store.Recovery).
func (db *DB) MergeFindings(ctx context.Context, site, source string, at time.Time, fs []finding.Finding) (store.RunSummary, error) {
	var sum store.RunSummary
	at = trunc(at)
	if at.IsZero() {
		at = now()
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		sum = store.RunSummary{}
		return db.mergeFindings(ctx, tx, clean(site), clean(source), at, fs, &sum)
	})
	if err != nil {
		return store.RunSummary{}, fmt.Errorf("store: merge findings of %s: %w", source, err)
	}
	return sum, nil
}

// Verifications lists verifications, newest first.
func (db *DB) Verifications(ctx context.Context, asset string, limit int) ([]store.Verification, error) {
	query := `SELECT id, site, asset, baseline, status, result, at, by_user FROM verifications`
	var args []any
	if asset != "" {
		query += ` WHERE asset = ?`
		args = append(args, asset)
	}
	query += ` ORDER BY at DESC, id DESC`
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := db.query(ctx, db.r, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: verifications: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (store.Verification, error) {
		var v store.Verification
		var result string
		var at int64
		err := sc.Scan(&v.ID, &v.Site, &v.Asset, &v.Baseline, &v.Status, &result, &at, &v.By)
		v.Result, v.At = []byte(result), fromMicros(at)
		return v, err
	}, "verifications")
}

const backupColumns = `id, crane, asset, item, system, location, offline, sha256, size, taken_at, restore_tested,
	restore_result, restore_by, verified, verify_result, note, updated, by_user`

func scanBackup(sc interface{ Scan(...any) error }) (store.Backup, error) {
	var b store.Backup
	var taken, updated int64
	var tested, verified sql.NullInt64
	err := sc.Scan(&b.ID, &b.Crane, &b.Asset, &b.Item, &b.System, &b.Location, &b.Offline, &b.SHA256, &b.Size, &taken, &tested,
		&b.RestoreResult, &b.RestoreBy, &verified, &b.VerifyResult, &b.Note, &updated, &b.By)
	b.TakenAt, b.Updated = fromMicros(taken), fromMicros(updated)
	b.RestoreTested, b.Verified = fromNullMicros(tested), fromNullMicros(verified)
	return b, err
}

// PutBackup creates or replaces a backup register entry.
func (db *DB) PutBackup(ctx context.Context, b store.Backup) (store.Backup, error) {
	if b.Crane == "" && b.Asset == "" {
		return b, fmt.Errorf("store: put backup: neither crane nor asset: %w", store.ErrInvalid)
	}
	if b.ID == "" {
		b.ID = newID("K")
	}
	b.TakenAt, b.Updated = trunc(b.TakenAt), trunc(b.Updated)
	if b.Updated.IsZero() {
		b.Updated = now()
	}
	b.RestoreTested, b.Verified = truncPtr(b.RestoreTested), truncPtr(b.Verified)
	_, err := db.exec(ctx, db.w, `INSERT INTO backups (`+backupColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET crane = excluded.crane, asset = excluded.asset, item = excluded.item,
		system = excluded.system, location = excluded.location, offline = excluded.offline, sha256 = excluded.sha256,
		size = excluded.size, taken_at = excluded.taken_at, restore_tested = excluded.restore_tested,
		restore_result = excluded.restore_result, restore_by = excluded.restore_by, verified = excluded.verified,
		verify_result = excluded.verify_result, note = excluded.note, updated = excluded.updated, by_user = excluded.by_user`,
		clean(b.ID), clean(b.Crane), clean(b.Asset), clean(b.Item), clean(b.System), clean(b.Location), b.Offline, clean(b.SHA256),
		b.Size, micros(b.TakenAt), nullMicros(b.RestoreTested), clean(b.RestoreResult), clean(b.RestoreBy),
		nullMicros(b.Verified), clean(b.VerifyResult), clean(b.Note), micros(b.Updated), clean(b.By))
	if err != nil {
		return b, fmt.Errorf("store: put backup %q: %w", b.ID, err)
	}
	return b, nil
}

// Backup returns one backup register entry (store.ErrNotFound).
func (db *DB) Backup(ctx context.Context, id string) (store.Backup, error) {
	b, err := scanBackup(db.queryRow(ctx, db.r, `SELECT `+backupColumns+` FROM backups WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, notFound("backup", id)
	}
	if err != nil {
		return b, fmt.Errorf("store: backup %q: %w", id, err)
	}
	return b, nil
}

// Backups lists the entries of a crane ("" → all).
func (db *DB) Backups(ctx context.Context, crane string) ([]store.Backup, error) {
	query, args := `SELECT `+backupColumns+` FROM backups`, []any{}
	if crane != "" {
		query += ` WHERE crane = ?`
		args = append(args, crane)
	}
	rows, err := db.query(ctx, db.r, query+` ORDER BY crane, asset, item, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: backups: %w", err)
	}
	return collect(rows, scanBackup, "backups")
}

// DeleteBackup removes a backup register entry (store.ErrNotFound).
func (db *DB) DeleteBackup(ctx context.Context, id string) error {
	return db.deleteByID(ctx, "backups", "backup", id)
}

const spareColumns = `id, crane, component, model, on_hand, required, location, firmware_compatible, rebuild_tested, note, updated, by_user`

func scanSpare(sc interface{ Scan(...any) error }) (store.Spare, error) {
	var s store.Spare
	var updated int64
	var tested sql.NullInt64
	err := sc.Scan(&s.ID, &s.Crane, &s.Component, &s.Model, &s.OnHand, &s.Required, &s.Location, &s.FirmwareCompatible,
		&tested, &s.Note, &updated, &s.By)
	s.RebuildTested, s.Updated = fromNullMicros(tested), fromMicros(updated)
	return s, err
}

// PutSpare creates or replaces a spares register entry.
func (db *DB) PutSpare(ctx context.Context, s store.Spare) (store.Spare, error) {
	if s.Crane == "" || s.Component == "" {
		return s, fmt.Errorf("store: put spare: no crane or no component: %w", store.ErrInvalid)
	}
	if s.ID == "" {
		s.ID = newID("P")
	}
	s.Updated = trunc(s.Updated)
	if s.Updated.IsZero() {
		s.Updated = now()
	}
	s.RebuildTested = truncPtr(s.RebuildTested)
	_, err := db.exec(ctx, db.w, `INSERT INTO spares (`+spareColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET crane = excluded.crane, component = excluded.component, model = excluded.model,
		on_hand = excluded.on_hand, required = excluded.required, location = excluded.location,
		firmware_compatible = excluded.firmware_compatible, rebuild_tested = excluded.rebuild_tested,
		note = excluded.note, updated = excluded.updated, by_user = excluded.by_user`,
		clean(s.ID), clean(s.Crane), clean(s.Component), clean(s.Model), s.OnHand, s.Required, clean(s.Location),
		clean(s.FirmwareCompatible), nullMicros(s.RebuildTested), clean(s.Note), micros(s.Updated), clean(s.By))
	if err != nil {
		return s, fmt.Errorf("store: put spare %q: %w", s.ID, err)
	}
	return s, nil
}

// Spares lists the entries of a crane ("" → all).
func (db *DB) Spares(ctx context.Context, crane string) ([]store.Spare, error) {
	query, args := `SELECT `+spareColumns+` FROM spares`, []any{}
	if crane != "" {
		query += ` WHERE crane = ?`
		args = append(args, crane)
	}
	rows, err := db.query(ctx, db.r, query+` ORDER BY crane, component, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: spares: %w", err)
	}
	return collect(rows, scanSpare, "spares")
}

// DeleteSpare removes a spares register entry (store.ErrNotFound).
func (db *DB) DeleteSpare(ctx context.Context, id string) error {
	return db.deleteByID(ctx, "spares", "spare", id)
}

// deleteByID deletes the row of table (a constant of this file) with id.
func (db *DB) deleteByID(ctx context.Context, table, what, id string) error {
	res, err := db.exec(ctx, db.w, `DELETE FROM `+table+` WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: delete %s %q: %w", what, id, err)
	}
	if rowsAffected(res) == 0 {
		return notFound(what, id)
	}
	return nil
}

// truncPtr is an optional time as it reads back (nil for nil or zero).
func truncPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	v := trunc(*t)
	return &v
}
