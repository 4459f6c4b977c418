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

var _ store.Evidence = (*DB)(nil)

// PutEvidence stores a finding's evidence file, replacing the stored one.
func (db *DB) PutEvidence(ctx context.Context, e store.EvidenceFile) error {
	if strings.TrimSpace(e.Site) == "" || strings.TrimSpace(e.FindingID) == "" {
		return fmt.Errorf("store: put evidence: no site or finding id: %w", store.ErrInvalid)
	}
	if len(e.Data) == 0 {
		return fmt.Errorf("store: put evidence of %s: no data: %w", e.FindingID, store.ErrInvalid)
	}
	if e.Format != "pcap" && e.Format != "pcapng" {
		return fmt.Errorf("store: put evidence of %s: format %q: %w", e.FindingID, e.Format, store.ErrInvalid)
	}
	sum := sha256.Sum256(e.Data)
	e.SHA256, e.Bytes = hex.EncodeToString(sum[:]), int64(len(e.Data))
	if e.Stored.IsZero() {
		e.Stored = now()
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := db.exec(ctx, tx, `INSERT INTO finding_evidence (site, finding_id, sensor, run, object, format, packets, bytes, sha256, stored, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (site, finding_id) DO UPDATE SET sensor = excluded.sensor, run = excluded.run, object = excluded.object,
			format = excluded.format, packets = excluded.packets, bytes = excluded.bytes, sha256 = excluded.sha256,
			stored = excluded.stored, data = excluded.data`,
			clean(e.Site), clean(e.FindingID), clean(e.Sensor), clean(e.Run), clean(e.Object), e.Format, e.Packets, e.Bytes, e.SHA256,
			micros(trunc(e.Stored)), e.Data)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: put evidence of %s: %w", e.FindingID, err)
	}
	return nil
}

// Evidence returns a site's finding's evidence file (store.ErrNotFound).
func (db *DB) Evidence(ctx context.Context, site, findingID string) (store.EvidenceFile, error) {
	var e store.EvidenceFile
	var stored int64
	err := db.queryRow(ctx, db.r, `SELECT site, finding_id, sensor, run, object, format, packets, bytes, sha256, stored, data
		FROM finding_evidence WHERE site = ? AND finding_id = ?`, site, findingID).
		Scan(&e.Site, &e.FindingID, &e.Sensor, &e.Run, &e.Object, &e.Format, &e.Packets, &e.Bytes, &e.SHA256, &stored, &e.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("store: evidence of %s in %s: %w", findingID, site, store.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("store: evidence of %s: %w", findingID, err)
	}
	e.Stored = fromMicros(stored)
	return e, nil
}
