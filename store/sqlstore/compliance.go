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

var _ store.Compliance = (*DB)(nil)

const attestationColumns = `id, site, control, by_person, statement, document, doc_sha256, at, expires, author, created, withdrawn`

func scanAttestation(sc interface{ Scan(...any) error }) (store.Attestation, error) {
	var a store.Attestation
	var at, expires, created, withdrawn int64
	err := sc.Scan(&a.ID, &a.Site, &a.Control, &a.By, &a.Statement, &a.Document, &a.DocSHA256, &at, &expires, &a.Author, &created, &withdrawn)
	a.At, a.Expires, a.Created, a.Withdrawn = fromMicros(at), fromMicros(expires), fromMicros(created), fromMicros(withdrawn)
	return a, err
}

// AddAttestation stores a (checked with Check, else store.ErrInvalid; an
// empty ID is assigned, "A" and 16 hex digits; a zero Created is now).
func (db *DB) AddAttestation(ctx context.Context, a store.Attestation) (store.Attestation, error) {
	if err := a.Check(); err != nil {
		return a, fmt.Errorf("store: add attestation: %w: %w", err, store.ErrInvalid)
	}
	if a.ID == "" {
		a.ID = newID("A")
	}
	a.At, a.Expires, a.Created, a.Withdrawn = trunc(a.At), trunc(a.Expires), trunc(a.Created), time.Time{}
	if a.Created.IsZero() {
		a.Created = now()
	}
	a.By, a.Statement, a.Document, a.Author = clean(a.By), clean(a.Statement), clean(a.Document), clean(a.Author)
	res, err := db.exec(ctx, db.w, `INSERT INTO attestations (`+attestationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`,
		a.ID, a.Site, a.Control, a.By, a.Statement, a.Document, a.DocSHA256, micros(a.At), micros(a.Expires), a.Author, micros(a.Created), int64(0))
	if err != nil {
		return a, fmt.Errorf("store: add attestation: %w", err)
	}
	if rowsAffected(res) == 0 {
		return a, fmt.Errorf("store: attestation %q exists: %w", a.ID, store.ErrConflict)
	}
	return a, nil
}

// Attestations lists a site's attestations ("" → all), newest first.
func (db *DB) Attestations(ctx context.Context, site string) ([]store.Attestation, error) {
	q := `SELECT ` + attestationColumns + ` FROM attestations`
	var args []any
	if site != "" {
		q += ` WHERE site = ?`
		args = append(args, site)
	}
	rows, err := db.query(ctx, db.r, q+` ORDER BY created DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: attestations: %w", err)
	}
	return collect(rows, scanAttestation, "attestations")
}

// WithdrawAttestation marks an attestation withdrawn at at.
func (db *DB) WithdrawAttestation(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		at = now()
	}
	res, err := db.exec(ctx, db.w, `UPDATE attestations SET withdrawn = ? WHERE id = ? AND withdrawn = 0`, micros(trunc(at)), clean(id))
	if err != nil {
		return fmt.Errorf("store: withdraw attestation %q: %w", id, err)
	}
	if rowsAffected(res) == 1 {
		return nil
	}
	var n int
	if err := db.queryRow(ctx, db.w, `SELECT COUNT(*) FROM attestations WHERE id = ?`, id).Scan(&n); err != nil {
		return fmt.Errorf("store: withdraw attestation %q: %w", id, err)
	}
	if n == 0 {
		return notFound("attestation", id)
	}
	return fmt.Errorf("store: attestation %q is withdrawn already: %w", id, store.ErrConflict)
}

const accessColumns = `id, site, crane, system, holder, path, sources, mfa, clause, clause_sha256, attester, expires, author, updated`

func scanAccess(sc interface{ Scan(...any) error }) (store.AccessEntry, error) {
	var a store.AccessEntry
	var sources string
	var expires, updated int64
	err := sc.Scan(&a.ID, &a.Site, &a.Crane, &a.System, &a.Holder, &a.Path, &sources, &a.MFA, &a.Clause, &a.ClauseSHA256, &a.Attester, &expires, &a.Author, &updated)
	if err == nil {
		err = json.Unmarshal([]byte(sources), &a.Sources)
	}
	a.Expires, a.Updated = fromMicros(expires), fromMicros(updated)
	return a, err
}

// PutAccess creates or replaces an access entry (an empty ID is assigned,
// "R" and 16 hex digits; Updated is now).
func (db *DB) PutAccess(ctx context.Context, a store.AccessEntry) (store.AccessEntry, error) {
	if err := a.Check(); err != nil {
		return a, fmt.Errorf("store: put access entry: %w: %w", err, store.ErrInvalid)
	}
	if a.ID == "" {
		a.ID = newID("R")
	}
	a.Sources = slices.Clone(a.Sources)
	a.System, a.Holder, a.Clause, a.Attester, a.Author = clean(a.System), clean(a.Holder), clean(a.Clause), clean(a.Attester), clean(a.Author)
	a.Expires, a.Updated = trunc(a.Expires), now()
	src, _ := json.Marshal(a.Sources)
	_, err := db.exec(ctx, db.w, `INSERT INTO access_entries (`+accessColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET site = excluded.site, crane = excluded.crane, system = excluded.system,
		holder = excluded.holder, path = excluded.path, sources = excluded.sources, mfa = excluded.mfa,
		clause = excluded.clause, clause_sha256 = excluded.clause_sha256, attester = excluded.attester,
		expires = excluded.expires, author = excluded.author, updated = excluded.updated`,
		clean(a.ID), a.Site, a.Crane, a.System, a.Holder, a.Path, string(src), a.MFA, a.Clause, a.ClauseSHA256, a.Attester, micros(a.Expires), a.Author, micros(a.Updated))
	if err != nil {
		return a, fmt.Errorf("store: put access entry %q: %w", a.ID, err)
	}
	return a, nil
}

// AccessEntries lists a site's register ("" → all).
func (db *DB) AccessEntries(ctx context.Context, site string) ([]store.AccessEntry, error) {
	q := `SELECT ` + accessColumns + ` FROM access_entries`
	var args []any
	if site != "" {
		q += ` WHERE site = ?`
		args = append(args, site)
	}
	rows, err := db.query(ctx, db.r, q+` ORDER BY site, crane, system, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: access entries: %w", err)
	}
	return collect(rows, scanAccess, "access entries")
}

// DeleteAccess removes an access entry.
func (db *DB) DeleteAccess(ctx context.Context, id string) error {
	res, err := db.exec(ctx, db.w, `DELETE FROM access_entries WHERE id = ?`, clean(id))
	if err != nil {
		return fmt.Errorf("store: delete access entry %q: %w", id, err)
	}
	if rowsAffected(res) == 0 {
		return notFound("access entry", id)
	}
	return nil
}

const incidentColumns = `id, site, title, status, findings, notes, fields, detected, author, created, updated`

func scanIncident(sc interface{ Scan(...any) error }) (store.Incident, error) {
	var in store.Incident
	var findings, fields string
	var detected, created, updated int64
	err := sc.Scan(&in.ID, &in.Site, &in.Title, &in.Status, &findings, &in.Notes, &fields, &detected, &in.Author, &created, &updated)
	if err == nil {
		err = json.Unmarshal([]byte(findings), &in.Findings)
	}
	if err == nil && fields != "" && fields != "null" {
		err = json.Unmarshal([]byte(fields), &in.Fields)
	}
	in.Detected, in.Created, in.Updated = fromMicros(detected), fromMicros(created), fromMicros(updated)
	return in, err
}

func cleanIncident(in *store.Incident) (findings, fields string) {
	in.Title, in.Notes, in.Author = clean(in.Title), clean(in.Notes), clean(in.Author)
	if in.Fields != nil {
		m := make(map[string]string, len(in.Fields))
		for k, v := range in.Fields {
			m[clean(k)] = clean(v)
		}
		in.Fields = m
	}
	in.Findings = slices.Clone(in.Findings)
	f, _ := json.Marshal(in.Findings)
	fl, _ := json.Marshal(in.Fields)
	return string(f), string(fl)
}

// AddIncident stores a new incident (an empty ID is assigned, "I" and 16
// hex digits; Created and Updated are now).
func (db *DB) AddIncident(ctx context.Context, in store.Incident) (store.Incident, error) {
	if err := in.Check(); err != nil {
		return in, fmt.Errorf("store: add incident: %w: %w", err, store.ErrInvalid)
	}
	if in.ID == "" {
		in.ID = newID("I")
	}
	findings, fields := cleanIncident(&in)
	in.Detected = trunc(in.Detected)
	in.Created = now()
	in.Updated = in.Created
	res, err := db.exec(ctx, db.w, `INSERT INTO incidents (`+incidentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`,
		clean(in.ID), in.Site, in.Title, in.Status, findings, in.Notes, fields, micros(in.Detected), in.Author, micros(in.Created), micros(in.Updated))
	if err != nil {
		return in, fmt.Errorf("store: add incident: %w", err)
	}
	if rowsAffected(res) == 0 {
		return in, fmt.Errorf("store: incident %q exists: %w", in.ID, store.ErrConflict)
	}
	return in, nil
}

// Incident returns one incident.
func (db *DB) Incident(ctx context.Context, id string) (store.Incident, error) {
	in, err := scanIncident(db.queryRow(ctx, db.r, `SELECT `+incidentColumns+` FROM incidents WHERE id = ?`, id))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return in, notFound("incident", id)
		}
		return in, fmt.Errorf("store: incident %q: %w", id, err)
	}
	return in, nil
}

// Incidents lists a site's incidents ("" → all), newest first.
func (db *DB) Incidents(ctx context.Context, site string) ([]store.Incident, error) {
	q := `SELECT ` + incidentColumns + ` FROM incidents`
	var args []any
	if site != "" {
		q += ` WHERE site = ?`
		args = append(args, site)
	}
	rows, err := db.query(ctx, db.r, q+` ORDER BY created DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: incidents: %w", err)
	}
	return collect(rows, scanIncident, "incidents")
}

// UpdateIncident replaces an incident's title, status, findings, notes and
// fields; site, detection time, author and creation stay.
func (db *DB) UpdateIncident(ctx context.Context, in store.Incident) (store.Incident, error) {
	old, err := db.Incident(ctx, in.ID)
	if err != nil {
		return in, err
	}
	in.Site, in.Detected, in.Author, in.Created = old.Site, old.Detected, old.Author, old.Created
	if err := in.Check(); err != nil {
		return in, fmt.Errorf("store: update incident: %w: %w", err, store.ErrInvalid)
	}
	findings, fields := cleanIncident(&in)
	in.Updated = now()
	res, err := db.exec(ctx, db.w, `UPDATE incidents SET title = ?, status = ?, findings = ?, notes = ?, fields = ?, updated = ? WHERE id = ?`,
		in.Title, in.Status, findings, in.Notes, fields, micros(in.Updated), in.ID)
	if err != nil {
		return in, fmt.Errorf("store: update incident %q: %w", in.ID, err)
	}
	if rowsAffected(res) == 0 {
		return in, notFound("incident", in.ID)
	}
	return in, nil
}
