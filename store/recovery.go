package store

import (
	"context"
	"encoding/json"
	"time"

	"harborwatch/finding"
)

// Recovery is the part of the store that keeps the recovery registers:
// integrity baselines and their verifications, backups and spares. Every
// method is safe for concurrent use. The callers (CLI, API) write each
// change to the audit log.
type Recovery interface {
	// AddBaseline stores a new baseline of an asset (its ID is assigned
	// when empty, a zero Created is now); it becomes the asset's current
	// one, earlier ones are kept.
	AddBaseline(ctx context.Context, b Baseline) (Baseline, error)
	// Baseline returns the current (newest) baseline of an asset
	// (ErrNotFound).
	Baseline(ctx context.Context, asset string) (Baseline, error)
	// Baselines lists the current baseline of every asset, by asset.
	Baselines(ctx context.Context) ([]Baseline, error)
	// SetBaselinePath sets where serve re-verifies an asset's current
	// baseline from ("" → not scheduled); ErrNotFound without a baseline.
	SetBaselinePath(ctx context.Context, asset, path string) error

	// AddVerification stores the result of verifying an asset against its
	// baseline (its ID assigned when empty) and, in the same transaction,
	// merges its findings with the site's stored ones as a run does.
	AddVerification(ctx context.Context, v Verification, fs []finding.Finding) (Verification, RunSummary, error)
	// MergeFindings merges findings made outside a capture run (a
	// readiness report) with the site's stored ones as a run does; each
	// change's history names source.
	MergeFindings(ctx context.Context, site, source string, at time.Time, fs []finding.Finding) (RunSummary, error)
	// Verifications lists an asset's verifications ("" → every asset),
	// newest first, at most limit (0 → all).
	Verifications(ctx context.Context, asset string, limit int) ([]Verification, error)

	// PutBackup creates or replaces a backup register entry (its ID is
	// assigned when empty; a zero Updated is now).
	PutBackup(ctx context.Context, b Backup) (Backup, error)
	// Backup returns one entry (ErrNotFound).
	Backup(ctx context.Context, id string) (Backup, error)
	// Backups lists the entries of a crane ("" → all), by crane, asset,
	// item and id.
	Backups(ctx context.Context, crane string) ([]Backup, error)
	// DeleteBackup removes an entry (ErrNotFound).
	DeleteBackup(ctx context.Context, id string) error

	// PutSpare creates or replaces a spares register entry (its ID is
	// assigned when empty; a zero Updated is now).
	PutSpare(ctx context.Context, s Spare) (Spare, error)
	// Spares lists the entries of a crane ("" → all), by crane, component
	// and id.
	Spares(ctx context.Context, crane string) ([]Spare, error)
	// DeleteSpare removes an entry (ErrNotFound).
	DeleteSpare(ctx context.Context, id string) error
}

// Baseline is a signed integrity manifest of an asset as stored.
type Baseline struct {
	ID       string          `json:"id"`
	Site     string          `json:"site,omitempty"`
	Asset    string          `json:"asset"`
	Kind     string          `json:"kind"`
	Source   string          `json:"source"` // files or wire
	KeyID    string          `json:"key_id"`
	Manifest json.RawMessage `json:"manifest"` // the signed manifest, as signed
	Path     string          `json:"path,omitempty"`
	Created  time.Time       `json:"created"`
	By       string          `json:"by"`
}

// Verification is one check of an asset against its baseline.
type Verification struct {
	ID       string          `json:"id"`
	Site     string          `json:"site,omitempty"`
	Asset    string          `json:"asset"`
	Baseline string          `json:"baseline"` // its ID
	Status   string          `json:"status"`   // matches, differs, invalid
	Result   json.RawMessage `json:"result"`   // integrity.Result as JSON
	At       time.Time       `json:"at"`
	By       string          `json:"by"`
}

// Backup is one entry of the backup register.
type Backup struct {
	ID    string `json:"id"`
	Crane string `json:"crane"`
	Asset string `json:"asset"`
	// Item is what is backed up: os-image, plc-program, vfd-settings or
	// switch-config; System names the system of an os-image
	// (crane-management, cabin-view, ground-view).
	Item     string    `json:"item"`
	System   string    `json:"system,omitempty"`
	Location string    `json:"location"`
	Offline  bool      `json:"offline"`
	SHA256   string    `json:"sha256,omitempty"`
	Size     int64     `json:"size,omitempty"`
	TakenAt  time.Time `json:"taken_at"`
	// The last restore test: when (nil: never), its result (pass, fail)
	// and who did it.
	RestoreTested *time.Time `json:"restore_tested,omitempty"`
	RestoreResult string     `json:"restore_result,omitempty"`
	RestoreBy     string     `json:"restore_by,omitempty"`
	// Verified is when the backup file was last re-hashed (backup
	// verify), VerifyResult what it found (match, mismatch, unreadable).
	Verified     *time.Time `json:"verified,omitempty"`
	VerifyResult string     `json:"verify_result,omitempty"`
	Note         string     `json:"note,omitempty"`
	Updated      time.Time  `json:"updated"`
	By           string     `json:"by"`
}

// Spare is one entry of the spares register.
type Spare struct {
	ID    string `json:"id"`
	Crane string `json:"crane"`
	// Component is plc, embedded-computer, network-device or drive.
	Component string `json:"component"`
	Model     string `json:"model"`
	OnHand    int    `json:"on_hand"`
	Required  int    `json:"required"`
	Location  string `json:"location"`
	// FirmwareCompatible: yes, no or unknown, against the installed unit.
	FirmwareCompatible string     `json:"firmware_compatible"`
	RebuildTested      *time.Time `json:"rebuild_tested,omitempty"`
	Note               string     `json:"note,omitempty"`
	Updated            time.Time  `json:"updated"`
	By                 string     `json:"by"`
}
