package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"harborwatch/event"
	"harborwatch/store"
)

// eventBatch is how many events one INSERT statement stores (7 bound
// values each: well under either backend's limit on parameters).
const eventBatch = 500

// AddEvents stores events of a capture, in one transaction, many rows per
// statement.
func (db *DB) AddEvents(ctx context.Context, site, capture string, evs []event.Event) error {
	if len(evs) == 0 {
		return nil
	}
	err := db.eventsTx(ctx, func(tx *sql.Tx) error {
		var full *sql.Stmt
		defer func() {
			if full != nil {
				full.Close()
			}
		}()
		args := make([]any, 0, 6*eventBatch)
		var buf []byte
		for start := 0; start < len(evs); start += eventBatch {
			batch := evs[start:min(start+eventBatch, len(evs))]
			args = args[:0]
			for i := range batch {
				e := &batch[i]
				var err error
				if buf, err = event.AppendJSON(buf[:0], e); err != nil {
					return fmt.Errorf("event %d: %w", start+i, err)
				}
				args = append(args, site, capture, e.TS.UnixMicro(), clean(e.Proto), clean(e.Op), string(buf))
			}
			if len(batch) == eventBatch {
				if full == nil {
					var err error
					if full, err = tx.PrepareContext(ctx, db.q(insertEvents(eventBatch))); err != nil {
						return err
					}
				}
				if _, err := full.ExecContext(ctx, args...); err != nil {
					return err
				}
				continue
			}
			if _, err := db.exec(ctx, tx, insertEvents(len(batch)), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: add %d events of capture %q: %w", len(evs), capture, err)
	}
	return nil
}

// insertEvents is the statement that inserts n events.
func insertEvents(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (site, capture_id, ts, proto, op, data) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?, ?, ?, ?, ?, ?)`)
	}
	return b.String()
}

// eventCursor is the key of the last event of a page.
type eventCursor struct {
	TS int64 `json:"t"`
	N  int64 `json:"n"`
}

// Events lists events by q in packet-time order (then the order they were
// stored in).
func (db *DB) Events(ctx context.Context, q store.EventQuery) ([]store.StoredEvent, string, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	limit = min(limit, 10000)
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if q.Site != "" {
		add(`site = ?`, q.Site)
	}
	if q.Proto != "" {
		add(`proto = ?`, q.Proto)
	}
	if q.Op != "" {
		add(`op = ?`, q.Op)
	}
	if !q.Since.IsZero() {
		add(`ts >= ?`, q.Since.UnixMicro())
	}
	if !q.Until.IsZero() {
		add(`ts < ?`, q.Until.UnixMicro())
	}
	if q.Cursor != "" {
		var c eventCursor
		if err := decodeCursor(q.Cursor, &c); err != nil {
			return nil, "", err
		}
		add(`ts >= ? AND (ts > ? OR n > ?)`, c.TS, c.TS, c.N)
	}
	query := `SELECT n, ts, site, capture_id, data FROM events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY ts, n LIMIT ?`
	args = append(args, limit+1)
	rows, err := db.query(ctx, db.r, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var evs []store.StoredEvent
	var last eventCursor
	more := false
	for rows.Next() {
		if len(evs) == limit {
			more = true
			break
		}
		var e store.StoredEvent
		var data string
		if err := rows.Scan(&last.N, &last.TS, &e.Site, &e.CaptureID, &data); err != nil {
			return nil, "", fmt.Errorf("store: events: %w", err)
		}
		if err := json.Unmarshal([]byte(data), &e.Event); err != nil {
			return nil, "", fmt.Errorf("store: stored event %d is not valid JSON: %w", last.N, err)
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: events: %w", err)
	}
	next := ""
	if more {
		next = encodeCursor(last)
	}
	return evs, next, nil
}

// PruneEvents deletes events older than before (packet time) and returns
// how many.
func (db *DB) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.exec(ctx, db.w, `DELETE FROM events WHERE ts < ?`, before.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("store: prune events before %s: %w", before.Format(time.RFC3339), err)
	}
	return res.RowsAffected()
}

// eventsTx runs fn in a write transaction as tx does, on SQLite with
// synchronous=NORMAL: the commit is not synced by itself but by the next
// synced commit (the write-ahead log is one file, synced whole), which
// FinishRun's is. Events stored before a power loss that came before their
// run finished are deleted anyway when the capture is claimed again; a
// process crash loses nothing. It saves a third of an event's cost.
func (db *DB) eventsTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.backend != SQLite {
		return db.tx(ctx, fn)
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return fmt.Errorf("store: events: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = FULL`)
	return txOn(ctx, conn, fn)
}
