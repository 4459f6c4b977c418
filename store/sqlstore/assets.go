package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"harborwatch/store"
)

// mergeAsset stores one asset of a run: its data replaced, first/last
// seen widened, and a change for every field whose value differs from
// the stored one (none when the asset is new).
func (db *DB) mergeAsset(ctx context.Context, tx *sql.Tx, site, capture string, at time.Time,
	a *store.AssetData, sum *store.RunSummary) error {
	if a.ID == "" {
		return fmt.Errorf("asset without an id: %w", store.ErrInvalid)
	}
	sum.Assets++
	data := string(a.Data)
	if len(a.Data) == 0 {
		data = "null"
	}
	var fieldsJSON string
	var first, last sql.NullInt64
	err := db.queryRow(ctx, tx, `SELECT fields, first_seen, last_seen FROM assets WHERE site = ? AND id = ?`+db.forUpdate(),
		site, a.ID).Scan(&fieldsJSON, &first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		fields, err := json.Marshal(nonNil(a.Fields))
		if err != nil {
			return err
		}
		_, err = db.exec(ctx, tx, `INSERT INTO assets (site, id, data, fields, first_seen, last_seen, updated, changes)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0)`, site, a.ID, data, string(fields),
			nullMicros(&a.FirstSeen), nullMicros(&a.LastSeen), micros(at))
		return err
	}
	if err != nil {
		return err
	}
	stored := map[string]string{}
	if err := json.Unmarshal([]byte(fieldsJSON), &stored); err != nil {
		return fmt.Errorf("stored fields are not valid JSON: %w", err)
	}
	keys := make([]string, 0, len(a.Fields))
	for k := range a.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	changes := 0
	for _, k := range keys {
		if v := a.Fields[k]; stored[k] != v {
			if _, err := db.exec(ctx, tx, `INSERT INTO asset_changes (site, id, at, capture, field, from_value, to_value)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, site, a.ID, micros(at), capture, k, stored[k], v); err != nil {
				return err
			}
			stored[k] = v
			changes++
		}
	}
	sum.AssetChanges += changes
	fields, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	if !a.FirstSeen.IsZero() && (!first.Valid || a.FirstSeen.UnixMicro() < first.Int64) {
		first = sql.NullInt64{Int64: a.FirstSeen.UnixMicro(), Valid: true}
	}
	if !a.LastSeen.IsZero() && (!last.Valid || a.LastSeen.UnixMicro() > last.Int64) {
		last = sql.NullInt64{Int64: a.LastSeen.UnixMicro(), Valid: true}
	}
	_, err = db.exec(ctx, tx, `UPDATE assets SET data = ?, fields = ?, first_seen = ?, last_seen = ?, updated = ?,
		changes = changes + ? WHERE site = ? AND id = ?`, data, string(fields), first, last, micros(at), changes, site, a.ID)
	return err
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Assets lists a site's assets ("" → all) by site and id.
func (db *DB) Assets(ctx context.Context, site string) ([]store.Asset, error) {
	query := `SELECT site, id, data, first_seen, last_seen, updated, changes FROM assets`
	var args []any
	if site != "" {
		query += ` WHERE site = ?`
		args = append(args, site)
	}
	rows, err := db.query(ctx, db.r, query+` ORDER BY site, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: assets: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (store.Asset, error) {
		var a store.Asset
		var data string
		var first, last sql.NullInt64
		var updated int64
		err := sc.Scan(&a.Site, &a.ID, &data, &first, &last, &updated, &a.Changes)
		a.Data = json.RawMessage(data)
		a.FirstSeen, a.LastSeen, a.Updated = fromNullMicros(first), fromNullMicros(last), fromMicros(updated)
		return a, err
	}, "assets")
}

// AssetChanges lists what changed in one asset, oldest first.
func (db *DB) AssetChanges(ctx context.Context, site, id string) ([]store.AssetChange, error) {
	rows, err := db.query(ctx, db.r, `SELECT at, capture, field, from_value, to_value FROM asset_changes
		WHERE site = ? AND id = ? ORDER BY n`, site, id)
	if err != nil {
		return nil, fmt.Errorf("store: changes of asset %s/%s: %w", site, id, err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (store.AssetChange, error) {
		var c store.AssetChange
		var at int64
		err := sc.Scan(&at, &c.Capture, &c.Field, &c.From, &c.To)
		c.At = fromMicros(at)
		return c, err
	}, "changes of asset "+site+"/"+id)
}
