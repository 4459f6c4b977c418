package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/store"
)

// Ingest stores sensor messages in one transaction (see store.Fleet).
func (db *DB) Ingest(ctx context.Context, ms []store.FleetMessage) (store.IngestSummary, error) {
	var sum store.IngestSummary
	if len(ms) == 0 {
		return sum, nil
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		sum = store.IngestSummary{}
		if db.backend == Postgres {
			// As FinishRun: one site's findings merge one writer at a
			// time, and not while suppressions change. Sites are locked
			// in order, so two ingests never wait on each other's.
			if _, err := db.exec(ctx, tx, `SELECT pg_advisory_xact_lock_shared(?)`, suppressionsLock); err != nil {
				return err
			}
			var sites []string
			for i := range ms {
				if !slices.Contains(sites, ms[i].Site) {
					sites = append(sites, ms[i].Site)
				}
			}
			slices.Sort(sites)
			for _, s := range sites {
				if _, err := db.exec(ctx, tx, `SELECT pg_advisory_xact_lock(hashtext(?))`, "harborwatch.site:"+s); err != nil {
					return err
				}
			}
		}
		sups, err := db.suppressions(ctx, tx)
		if err != nil {
			return err
		}
		var events []eventRow
		for i := range ms {
			m := &ms[i]
			if m.ID == "" || m.Site == "" {
				return fmt.Errorf("message %d without an id or a site: %w", i, store.ErrInvalid)
			}
			res, err := db.exec(ctx, tx, `INSERT INTO fleet_messages (id, site, received) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
				clean(m.ID), clean(m.Site), micros(m.Received))
			if err != nil {
				return err
			}
			if rowsAffected(res) == 0 {
				sum.Duplicates++
				continue
			}
			sum.Stored++
			at := trunc(m.Received)
			if at.IsZero() {
				at = now()
			}
			switch {
			case m.Finding != nil:
				if err := db.liveFinding(ctx, tx, m, at, sups, &sum); err != nil {
					return fmt.Errorf("finding %s of %s: %w", m.Finding.ID, m.ID, err)
				}
			case m.Event != nil:
				events = append(events, eventRow{site: m.Site, capture: m.Capture(), e: m.Event})
			case m.Asset != nil:
				var rs store.RunSummary
				if err := db.mergeAsset(ctx, tx, m.Site, m.Capture(), at, m.Asset, &rs); err != nil {
					return fmt.Errorf("asset %s of %s: %w", m.Asset.ID, m.ID, err)
				}
				sum.Assets++
			case m.Seen != nil:
				if err := db.seenAsset(ctx, tx, m.Site, at, m.Seen); err != nil {
					return fmt.Errorf("asset %s of %s: %w", m.Seen.ID, m.ID, err)
				}
				sum.Assets++
			case m.Heartbeat != nil:
				if err := db.heartbeat(ctx, tx, m, at); err != nil {
					return fmt.Errorf("heartbeat %s: %w", m.ID, err)
				}
				sum.Sensors++
			}
		}
		if err := db.insertEventRows(ctx, tx, events); err != nil {
			return err
		}
		sum.Events = len(events)
		return nil
	})
	if err != nil {
		return store.IngestSummary{}, fmt.Errorf("store: ingest %d sensor messages: %w", len(ms), err)
	}
	return sum, nil
}

// liveFinding merges a sensor run's update of a finding (store.MergeLive).
func (db *DB) liveFinding(ctx context.Context, tx *sql.Tx, m *store.FleetMessage, at time.Time,
	sups []store.Suppression, sum *store.IngestSummary) error {
	f := *m.Finding
	capture := m.Capture()
	f.Evidence = slices.Clone(f.Evidence)
	for i := range f.Evidence {
		f.Evidence[i].Capture = capture + "/" + f.Evidence[i].Capture
	}
	var prevSeq, prevCount int64
	err := db.queryRow(ctx, tx, `SELECT seq, count FROM fleet_findings WHERE site = ? AND id = ? AND run = ?`+db.forUpdate(),
		m.Site, f.ID, m.Run).Scan(&prevSeq, &prevCount)
	first := errors.Is(err, sql.ErrNoRows)
	if err != nil && !first {
		return err
	}
	if !first && uint64(prevSeq) >= m.Seq {
		sum.Stale++
		return nil
	}
	if first {
		_, err = db.exec(ctx, tx, `INSERT INTO fleet_findings (site, id, run, seq, count) VALUES (?, ?, ?, ?, ?)`,
			m.Site, f.ID, m.Run, int64(m.Seq), int64(f.Count))
	} else {
		_, err = db.exec(ctx, tx, `UPDATE fleet_findings SET seq = ?, count = ? WHERE site = ? AND id = ? AND run = ?`,
			int64(m.Seq), int64(f.Count), m.Site, f.ID, m.Run)
	}
	if err != nil {
		return err
	}
	var data, state string
	err = db.queryRow(ctx, tx, `SELECT data, state FROM findings WHERE site = ? AND id = ?`+db.forUpdate(),
		m.Site, f.ID).Scan(&data, &state)
	if errors.Is(err, sql.ErrNoRows) {
		var rs store.RunSummary
		if err := db.insertFinding(ctx, tx, m.Site, capture, at, &f, sups, &rs); err != nil {
			return err
		}
		sum.New++
		sum.Changes = append(sum.Changes, store.FindingChange{Site: m.Site, ID: f.ID, Kind: "new"})
		return nil
	}
	if err != nil {
		return err
	}
	var old finding.Finding
	if err := json.Unmarshal([]byte(data), &old); err != nil {
		return fmt.Errorf("stored finding is not valid JSON: %w", err)
	}
	mf := store.MergeLive(old, f, uint64(prevCount), capture)
	// A change in the history once per run, and a resolved finding seen
	// again (its count grew) is reopened.
	var ch *store.Change
	if first {
		ch = &store.Change{At: at, Actor: "system", To: state, Capture: capture, Reason: "seen by sensor " + m.Sensor + " (run " + m.Run + ")"}
		sum.Seen++
	}
	reopen := state == store.Resolved && (first || f.Count > uint64(prevCount))
	if reopen {
		ch = &store.Change{At: at, Actor: "system", From: store.Resolved, To: store.Open, Capture: capture,
			Reason: "seen again by sensor " + m.Sensor + " (run " + m.Run + ")"}
		state = store.Open
		sum.Reopened++
	}
	switch {
	case reopen:
		sum.Changes = append(sum.Changes, store.FindingChange{Site: m.Site, ID: f.ID, Kind: "reopened"})
	case first:
		sum.Changes = append(sum.Changes, store.FindingChange{Site: m.Site, ID: f.ID, Kind: "seen"})
	}
	b, err := json.Marshal(&mf)
	if err != nil {
		return err
	}
	query := `UPDATE findings SET rule = ?, severity = ?, state = ?, first_seen = ?, last_seen = ?, count = ?,
		occurrences = occurrences + ?, search = ?, updated = ?, data = ?, src_zone = ?, dst_zone = ?`
	occ := 0
	if first {
		occ = 1
	}
	args := []any{mf.Rule, int(mf.Severity), state, micros(mf.FirstSeen), micros(mf.LastSeen), int64(mf.Count),
		occ, searchText(&mf), micros(at), string(b), mf.Src.Zone, mf.Dst.Zone}
	if reopen {
		query += `, reason = ?`
		args = append(args, ch.Reason)
	}
	args = append(args, m.Site, mf.ID)
	if _, err := db.exec(ctx, tx, query+` WHERE site = ? AND id = ?`, args...); err != nil {
		return err
	}
	if ch != nil {
		return db.addChange(ctx, tx, m.Site, mf.ID, *ch)
	}
	return nil
}

// seenAsset stores a device seen: a new asset, or the stored one's last
// seen widened.
func (db *DB) seenAsset(ctx context.Context, tx *sql.Tx, site string, at time.Time, a *store.AssetData) error {
	if a.ID == "" {
		return fmt.Errorf("asset without an id: %w", store.ErrInvalid)
	}
	var last sql.NullInt64
	err := db.queryRow(ctx, tx, `SELECT last_seen FROM assets WHERE site = ? AND id = ?`+db.forUpdate(), site, a.ID).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		var rs store.RunSummary
		return db.mergeAsset(ctx, tx, site, "", at, a, &rs)
	}
	if err != nil {
		return err
	}
	if !a.LastSeen.IsZero() && (!last.Valid || a.LastSeen.UnixMicro() > last.Int64) {
		_, err = db.exec(ctx, tx, `UPDATE assets SET last_seen = ?, updated = ? WHERE site = ? AND id = ?`,
			a.LastSeen.UnixMicro(), micros(at), site, a.ID)
	}
	return err
}

// heartbeat keeps a sensor's latest heartbeat: a later one of the same
// run, or one of a run started later.
func (db *DB) heartbeat(ctx context.Context, tx *sql.Tx, m *store.FleetMessage, at time.Time) error {
	var run string
	var seq, started int64
	err := db.queryRow(ctx, tx, `SELECT run, seq, started FROM fleet_sensors WHERE site = ? AND sensor = ?`+db.forUpdate(),
		m.Site, m.Sensor).Scan(&run, &seq, &started)
	hb := clean(string(m.Heartbeat))
	if errors.Is(err, sql.ErrNoRows) {
		_, err = db.exec(ctx, tx, `INSERT INTO fleet_sensors (site, sensor, run, seq, started, sent, received, heartbeat)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.Site, m.Sensor, m.Run, int64(m.Seq), micros(m.Started), micros(m.Sent), micros(at), hb)
		return err
	}
	if err != nil {
		return err
	}
	newer := run == m.Run && uint64(seq) < m.Seq || run != m.Run && micros(m.Started) >= started
	if !newer {
		return nil
	}
	_, err = db.exec(ctx, tx, `UPDATE fleet_sensors SET run = ?, seq = ?, started = ?, sent = ?, received = ?, heartbeat = ?
		WHERE site = ? AND sensor = ?`, m.Run, int64(m.Seq), micros(m.Started), micros(m.Sent), micros(at), hb, m.Site, m.Sensor)
	return err
}

type eventRow struct {
	site, capture string
	e             *event.Event
}

// insertEventRows inserts events in the transaction, many a statement.
func (db *DB) insertEventRows(ctx context.Context, tx *sql.Tx, rows []eventRow) error {
	var buf []byte
	args := make([]any, 0, 6*min(len(rows), eventBatch))
	for start := 0; start < len(rows); start += eventBatch {
		batch := rows[start:min(start+eventBatch, len(rows))]
		args = args[:0]
		for i := range batch {
			r := &batch[i]
			c := *r.e
			c.Capture = r.capture
			var err error
			if buf, err = event.AppendJSON(buf[:0], &c); err != nil {
				return fmt.Errorf("event %d: %w", start+i, err)
			}
			args = append(args, r.site, r.capture, c.TS.UnixMicro(), clean(c.Proto), clean(c.Op), string(buf))
		}
		if _, err := db.exec(ctx, tx, insertEvents(len(batch)), args...); err != nil {
			return err
		}
	}
	return nil
}

// Sensors lists sensors with their latest heartbeat (see store.Fleet).
func (db *DB) Sensors(ctx context.Context, site string) ([]store.Sensor, error) {
	q := `SELECT site, sensor, run, started, sent, received, heartbeat FROM fleet_sensors`
	var args []any
	if site != "" {
		q += ` WHERE site = ?`
		args = append(args, site)
	}
	rows, err := db.query(ctx, db.r, q+` ORDER BY site, sensor`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sensors: %w", err)
	}
	defer rows.Close()
	var out []store.Sensor
	for rows.Next() {
		var s store.Sensor
		var started, sent, received int64
		var hb string
		if err := rows.Scan(&s.Site, &s.Sensor, &s.Run, &started, &sent, &received, &hb); err != nil {
			return nil, fmt.Errorf("store: sensors: %w", err)
		}
		s.Started, s.Sent, s.Received, s.Heartbeat = fromMicros(started), fromMicros(sent), fromMicros(received), json.RawMessage(hb)
		if !json.Valid(s.Heartbeat) {
			s.Heartbeat = json.RawMessage("null")
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
