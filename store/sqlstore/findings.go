package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"harborwatch/finding"
	"harborwatch/store"
)

// FinishRun records a capture's analysis in one transaction (see
// store.Store). Its findings: one already stored for the site is merged
// (store.MergeFinding), counted seen and gets a "seen" change, or, when it
// was resolved, is reopened; a new one is stored open, hidden by the first
// active suppression that matches it. Its assets are merged. The capture
// is done, finished at r.At (zero → now).
func (db *DB) FinishRun(ctx context.Context, r store.Run) (store.RunSummary, error) {
	var sum store.RunSummary
	at := trunc(r.At)
	if at.IsZero() {
		at = now()
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		sum = store.RunSummary{}
		var site string
		err := db.queryRow(ctx, tx, `SELECT site FROM captures WHERE id = ?`+db.forUpdate(), r.Capture).Scan(&site)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("capture", r.Capture)
		}
		if err != nil {
			return err
		}
		if r.Site != "" && r.Site != site {
			return fmt.Errorf("capture %q is of site %q, not %q: %w", r.Capture, site, r.Site, store.ErrConflict)
		}
		if db.backend == Postgres {
			// Runs of one site merge their findings one after the other,
			// and not while suppressions change (new findings must see
			// the suppressions of the moment).
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
		for i := range r.Findings {
			if err := db.mergeFinding(ctx, tx, site, r.Capture, at, &r.Findings[i], sups, &sum); err != nil {
				return fmt.Errorf("finding %s: %w", r.Findings[i].ID, err)
			}
		}
		for i := range r.Assets {
			if err := db.mergeAsset(ctx, tx, site, r.Capture, at, &r.Assets[i], &sum); err != nil {
				return fmt.Errorf("asset %s: %w", r.Assets[i].ID, err)
			}
		}
		stats := ""
		if len(r.Stats) > 0 {
			stats = string(r.Stats)
		}
		_, err = db.exec(ctx, tx, `UPDATE captures SET status = ?, finished = ?, stats = ?, error = '' WHERE id = ?`,
			store.Done, micros(at), stats, r.Capture)
		return err
	})
	if err != nil {
		return store.RunSummary{}, fmt.Errorf("store: finish run of capture %q: %w", r.Capture, err)
	}
	return sum, nil
}

// mergeFinding stores one finding of a run.
func (db *DB) mergeFinding(ctx context.Context, tx *sql.Tx, site, capture string, at time.Time,
	f *finding.Finding, sups []store.Suppression, sum *store.RunSummary) error {
	var data, state string
	err := db.queryRow(ctx, tx, `SELECT data, state FROM findings WHERE site = ? AND id = ?`+db.forUpdate(),
		site, f.ID).Scan(&data, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return db.insertFinding(ctx, tx, site, capture, at, f, sups, sum)
	}
	if err != nil {
		return err
	}
	var old finding.Finding
	if err := json.Unmarshal([]byte(data), &old); err != nil {
		return fmt.Errorf("stored finding is not valid JSON: %w", err)
	}
	m := store.MergeFinding(old, *f)
	ch := store.Change{At: at, Actor: "system", To: state, Capture: capture, Reason: "seen in capture " + capture}
	reason := ""
	setReason := false
	if state == store.Resolved {
		ch.From, ch.To, ch.Reason = store.Resolved, store.Open, "seen again in capture "+capture
		reason, setReason = ch.Reason, true
		sum.Reopened++
		sum.ReopenedIDs = append(sum.ReopenedIDs, f.ID)
	}
	sum.Seen++
	b, err := json.Marshal(&m)
	if err != nil {
		return err
	}
	query := `UPDATE findings SET rule = ?, severity = ?, state = ?, first_seen = ?, last_seen = ?, count = ?,
		occurrences = occurrences + 1, search = ?, updated = ?, data = ?, src_zone = ?, dst_zone = ?`
	args := []any{m.Rule, int(m.Severity), ch.To, micros(m.FirstSeen), micros(m.LastSeen), int64(m.Count),
		searchText(&m), micros(at), string(b), m.Src.Zone, m.Dst.Zone}
	if setReason {
		query += `, reason = ?`
		args = append(args, reason)
	}
	args = append(args, site, m.ID)
	if _, err := db.exec(ctx, tx, query+` WHERE site = ? AND id = ?`, args...); err != nil {
		return err
	}
	return db.addChange(ctx, tx, site, m.ID, ch)
}

// insertFinding stores a finding seen for the first time.
func (db *DB) insertFinding(ctx context.Context, tx *sql.Tx, site, capture string, at time.Time,
	f *finding.Finding, sups []store.Suppression, sum *store.RunSummary) error {
	n := *f
	n.Pcap = nil
	if n.Evidence == nil {
		n.Evidence = []finding.Evidence{}
	}
	var sup sql.NullString
	for i := range sups {
		if sups[i].Active(at) && sups[i].Matches(site, &n) {
			sup = sql.NullString{String: sups[i].ID, Valid: true}
			sum.Suppressed++
			break
		}
	}
	b, err := json.Marshal(&n)
	if err != nil {
		return err
	}
	_, err = db.exec(ctx, tx, `INSERT INTO findings (site, id, rule, severity, state, first_seen, last_seen, count,
		occurrences, reason, suppression, search, updated, data, src_zone, dst_zone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, '', ?, ?, ?, ?, ?, ?)`,
		site, n.ID, n.Rule, int(n.Severity), store.Open, micros(n.FirstSeen), micros(n.LastSeen), int64(n.Count),
		sup, searchText(&n), micros(at), string(b), n.Src.Zone, n.Dst.Zone)
	if err != nil {
		return err
	}
	sum.New++
	return db.addChange(ctx, tx, site, n.ID, store.Change{At: at, Actor: "system", To: store.Open,
		Capture: capture, Reason: "first seen in capture " + capture})
}

// searchText is what the text filter of FindingQuery searches: the
// finding's title, rule, id, addresses, zones and assets, lower case.
func searchText(f *finding.Finding) string {
	parts := []string{f.Title, f.Rule, f.ID, addrText(f.Src), addrText(f.Dst), f.Src.Zone, f.Dst.Zone, f.Src.Asset, f.Dst.Asset}
	return clean(strings.ToLower(strings.Join(parts, "\x1f")))
}

func addrText(h finding.Host) string {
	if !h.IP.IsValid() {
		return ""
	}
	return h.IP.String()
}

func (db *DB) addChange(ctx context.Context, x querier, site, id string, ch store.Change) error {
	_, err := db.exec(ctx, x, `INSERT INTO finding_changes (site, id, at, actor, from_state, to_state, reason, capture)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, site, id, micros(ch.At), ch.Actor, ch.From, ch.To, ch.Reason, ch.Capture)
	return err
}

// findingColumns are read by scanFinding; the query joins findings f with
// suppressions s on f.suppression.
const findingColumns = `f.site, f.data, f.state, f.occurrences, f.reason, f.updated, s.id, s.expires, f.severity`

// scanFinding reads a finding with its effective state at now.
func scanFinding(sc interface{ Scan(...any) error }, now time.Time) (store.Finding, int, error) {
	var f store.Finding
	var data string
	var updated int64
	var sup sql.NullString
	var expires sql.NullInt64
	var sev int
	if err := sc.Scan(&f.Site, &data, &f.State, &f.Occurrences, &f.Reason, &updated, &sup, &expires, &sev); err != nil {
		return f, 0, err
	}
	if err := json.Unmarshal([]byte(data), &f.Finding); err != nil {
		return f, 0, fmt.Errorf("stored finding %s/%s is not valid JSON: %w", f.Site, f.ID, err)
	}
	f.Updated = fromMicros(updated)
	if sup.Valid && (expires.Int64 == 0 || expires.Int64 > now.UnixMicro()) {
		f.State, f.Suppression = store.Suppressed, sup.String
	}
	return f, sev, nil
}

// findingCursor is the key of the last finding of a page.
type findingCursor struct {
	Severity int    `json:"v"`
	Site     string `json:"s"`
	ID       string `json:"i"`
}

func encodeCursor(v any) string {
	b, _ := json.Marshal(v) // cursors are plain structs
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("store: cursor %q is not one a listing returned: %w", s, store.ErrInvalid)
	}
	return nil
}

// likeEscape escapes the LIKE wildcards of s (the escape is \).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// activeSQL is the condition under which the joined suppression s hides a
// finding; its one placeholder is the time of the query.
const activeSQL = `(s.id IS NOT NULL AND (s.expires = 0 OR s.expires > ?))`

// Findings lists findings by q: severity (highest first), site, id.
func (db *DB) Findings(ctx context.Context, q store.FindingQuery) ([]store.Finding, string, error) {
	at := q.Now
	if at.IsZero() {
		at = time.Now()
	}
	atUS := at.UnixMicro()
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if q.Site != "" {
		add(`f.site = ?`, q.Site)
	}
	if q.Rule != "" {
		add(`f.rule = ?`, q.Rule)
	}
	if q.Severity != "" {
		sev, err := finding.ParseSeverity(q.Severity)
		if err != nil {
			return nil, "", nil // no finding has a severity that is not one
		}
		add(`f.severity = ?`, int(sev))
	}
	switch q.State {
	case "":
	case store.Suppressed:
		// Few findings are suppressed: reach them through the index on
		// suppression, not by scanning the others.
		add(`f.suppression IN (SELECT id FROM suppressions WHERE expires = 0 OR expires > ?)`, atUS)
	default:
		add(`f.state = ? AND NOT `+activeSQL, q.State, atUS)
	}
	if len(q.Zones) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(q.Zones)), ", ")
		add(`(f.src_zone IN (`+marks+`) OR f.dst_zone IN (`+marks+`))`, append(zoneArgs(q.Zones), zoneArgs(q.Zones)...)...)
	}
	if q.Text != "" {
		if clean(q.Text) != q.Text {
			return nil, "", nil // stored text holds no NUL and no invalid UTF-8
		}
		add(`f.search LIKE ? ESCAPE '\'`, "%"+likeEscape(clean(strings.ToLower(q.Text)))+"%")
	}
	if q.Cursor != "" {
		var c findingCursor
		if err := decodeCursor(q.Cursor, &c); err != nil {
			return nil, "", err
		}
		add(`f.severity <= ? AND (f.severity < ? OR (f.severity = ? AND (f.site > ? OR (f.site = ? AND f.id > ?))))`,
			c.Severity, c.Severity, c.Severity, c.Site, c.Site, c.ID)
	}
	query := `SELECT ` + findingColumns + ` FROM findings f LEFT JOIN suppressions s ON s.id = f.suppression`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY f.severity DESC, f.site, f.id LIMIT ?`
	args = append(args, limit+1)
	rows, err := db.query(ctx, db.r, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: findings: %w", err)
	}
	defer rows.Close()
	var fs []store.Finding
	var last findingCursor
	more := false
	for rows.Next() {
		if len(fs) == limit {
			more = true
			break
		}
		f, sev, err := scanFinding(rows, at)
		if err != nil {
			return nil, "", fmt.Errorf("store: findings: %w", err)
		}
		fs = append(fs, f)
		last = findingCursor{Severity: sev, Site: f.Site, ID: f.ID}
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: findings: %w", err)
	}
	next := ""
	if more {
		next = encodeCursor(last)
	}
	return fs, next, nil
}

// Finding returns one finding of a site (store.ErrNotFound).
func (db *DB) Finding(ctx context.Context, site, id string) (store.Finding, error) {
	return db.finding(ctx, db.r, site, id)
}

func (db *DB) finding(ctx context.Context, x querier, site, id string) (store.Finding, error) {
	f, _, err := scanFinding(db.queryRow(ctx, x, `SELECT `+findingColumns+` FROM findings f
		LEFT JOIN suppressions s ON s.id = f.suppression WHERE f.site = ? AND f.id = ?`, site, id), time.Now())
	if errors.Is(err, sql.ErrNoRows) {
		return f, notFound("finding", site+"/"+id)
	}
	if err != nil {
		return f, fmt.Errorf("store: finding %s/%s: %w", site, id, err)
	}
	return f, nil
}

// FindingSites returns the sites that hold a finding with this id, by id.
func (db *DB) FindingSites(ctx context.Context, id string) ([]string, error) {
	rows, err := db.query(ctx, db.r, `SELECT site FROM findings WHERE id = ? ORDER BY site`, id)
	if err != nil {
		return nil, fmt.Errorf("store: sites of finding %q: %w", id, err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (string, error) {
		var s string
		return s, sc.Scan(&s)
	}, "sites of finding "+id)
}

// SetState changes a finding's own state (store.ValidState, else
// store.ErrConflict) and records ch in its history with From filled in;
// a zero ch.At is now. It returns the finding as it now reads.
func (db *DB) SetState(ctx context.Context, site, id string, ch store.Change) (store.Finding, error) {
	if !store.ValidState(ch.To) {
		return store.Finding{}, fmt.Errorf("store: set state of finding %s/%s to %q: not open, acknowledged or resolved: %w",
			site, id, ch.To, store.ErrConflict)
	}
	ch.At = trunc(ch.At)
	if ch.At.IsZero() {
		ch.At = now()
	}
	var f store.Finding
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := db.queryRow(ctx, tx, `SELECT state FROM findings WHERE site = ? AND id = ?`+db.forUpdate(),
			site, id).Scan(&ch.From)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("finding", site+"/"+id)
		}
		if err != nil {
			return err
		}
		if _, err := db.exec(ctx, tx, `UPDATE findings SET state = ?, reason = ?, updated = ? WHERE site = ? AND id = ?`,
			ch.To, ch.Reason, micros(ch.At), site, id); err != nil {
			return err
		}
		if err := db.addChange(ctx, tx, site, id, ch); err != nil {
			return err
		}
		f, err = db.finding(ctx, tx, site, id)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("store: set state of finding %s/%s: %w", site, id, err)
	}
	return f, err
}

// History returns a finding's changes, oldest first (store.ErrNotFound
// when there is no such finding).
func (db *DB) History(ctx context.Context, site, id string) ([]store.Change, error) {
	rows, err := db.query(ctx, db.r, `SELECT at, actor, from_state, to_state, reason, capture FROM finding_changes
		WHERE site = ? AND id = ? ORDER BY n`, site, id)
	if err != nil {
		return nil, fmt.Errorf("store: history of finding %s/%s: %w", site, id, err)
	}
	chs, err := collect(rows, func(sc interface{ Scan(...any) error }) (store.Change, error) {
		var c store.Change
		var at int64
		err := sc.Scan(&at, &c.Actor, &c.From, &c.To, &c.Reason, &c.Capture)
		c.At = fromMicros(at)
		return c, err
	}, "history of finding "+site+"/"+id)
	if err == nil && len(chs) == 0 {
		if _, err := db.Finding(ctx, site, id); err != nil {
			return nil, err
		}
	}
	return chs, err
}

func zoneArgs(zs []string) []any {
	out := make([]any, len(zs))
	for i, z := range zs {
		out[i] = z
	}
	return out
}

// FindingCounts counts a site's findings ("" → every site) by site,
// rule, severity, effective state and the zones of their two sides.
func (db *DB) FindingCounts(ctx context.Context, site string, now time.Time) ([]store.FindingCount, error) {
	if now.IsZero() {
		now = time.Now()
	}
	query := `SELECT f.site, f.rule, f.severity, CASE WHEN ` + activeSQL + ` THEN 'suppressed' ELSE f.state END AS st,
		f.src_zone, f.dst_zone, COUNT(*), MAX(f.last_seen)
		FROM findings f LEFT JOIN suppressions s ON s.id = f.suppression`
	args := []any{now.UnixMicro()}
	if site != "" {
		query += ` WHERE f.site = ?`
		args = append(args, site)
	}
	query += ` GROUP BY f.site, f.rule, f.severity, st, f.src_zone, f.dst_zone ORDER BY f.site, f.rule, f.severity, st, f.src_zone, f.dst_zone`
	rows, err := db.query(ctx, db.r, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: finding counts: %w", err)
	}
	defer rows.Close()
	var out []store.FindingCount
	for rows.Next() {
		var c store.FindingCount
		var sev int
		var last int64
		if err := rows.Scan(&c.Site, &c.Rule, &sev, &c.State, &c.SrcZone, &c.DstZone, &c.N, &last); err != nil {
			return nil, fmt.Errorf("store: finding counts: %w", err)
		}
		c.Severity, c.LastSeen = finding.Severity(sev), fromMicros(last)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: finding counts: %w", err)
	}
	return out, nil
}
