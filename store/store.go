// Package store keeps what harborwatch serve remembers: sites, captures and
// their analysis runs, findings with their history, assets, events, users,
// tokens, suppressions and the audit log.
//
// Store is one interface with two backends (package store/sqlstore):
// SQLite, the embedded default, and PostgreSQL. Both pass one conformance
// suite (package store/storetest). The domain rules that do not depend on
// the database — how a finding seen again merges with the stored one, when
// a suppression applies, how audit entries chain — are functions of this
// package, so both backends apply the same ones.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
)

// ErrNotFound is returned (wrapped) when the object asked for does not
// exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) when an object to create already
// exists, or a state change is not allowed.
var ErrConflict = errors.New("conflict")

// Store is the persistent state of a harborwatch server. Every method is
// safe for concurrent use. Times are stored with microsecond precision in
// UTC.
type Store interface {
	Advisories // imported security advisories (advisories.go)
	Compliance // attestations, the access register, incidents (compliance.go)
	Recovery   // baselines, verifications, backups, spares (recovery.go)
	Evidence   // findings' evidence files from sensors (evidence.go)

	// Close releases the database.
	Close() error

	// PutSite creates or replaces a site's model.
	PutSite(ctx context.Context, s Site) error
	// Site returns one site (ErrNotFound).
	Site(ctx context.Context, id string) (Site, error)
	// Sites lists the sites by id.
	Sites(ctx context.Context) ([]Site, error)

	// AddCapture records an uploaded capture as queued — or, when its
	// Status is Receiving, as being received and analyzed at once (one
	// attempt, started now: ClaimCapture does not take it); its ID is
	// assigned when empty. The same file uploaded twice is two captures
	// (and two runs): findings seen again grow their counts.
	AddCapture(ctx context.Context, c Capture) (Capture, error)
	// CaptureBySHA returns the newest capture of a site with this SHA-256
	// (ErrNotFound): the watch folder ingests a file once.
	CaptureBySHA(ctx context.Context, site, sha256 string) (Capture, error)
	// Capture returns one capture (ErrNotFound).
	Capture(ctx context.Context, id string) (Capture, error)
	// Captures lists a site's captures ("" → all), newest first, at most
	// limit (0 → all).
	Captures(ctx context.Context, site string, limit int) ([]Capture, error)
	// ClaimCapture moves the oldest queued capture to running and returns
	// it; ok is false when none is queued. Its events from an earlier,
	// interrupted attempt are deleted, so a run's events are stored once.
	ClaimCapture(ctx context.Context) (c Capture, ok bool, err error)
	// RequeueRunning moves every running capture back to queued (at start:
	// a run that was interrupted by a crash is analyzed again).
	RequeueRunning(ctx context.Context) (int, error)
	// Received moves a receiving capture — one analyzed as it arrives —
	// to running once its file is complete and on disk, with its SHA-256
	// and size (ErrNotFound when it is not receiving).
	Received(ctx context.Context, id, sha256 string, size int64) error
	// DropCapture deletes a capture and its events (an upload that did
	// not complete); ErrNotFound when there is none.
	DropCapture(ctx context.Context, id string) error
	// DropReceiving deletes every receiving capture and its events (at
	// start: uploads cut by a crash, never answered) and returns them.
	DropReceiving(ctx context.Context) ([]Capture, error)
	// FailCapture marks a capture failed with the error.
	FailCapture(ctx context.Context, id string, msg string) error
	// AddEvents stores events of a running capture.
	AddEvents(ctx context.Context, site, capture string, evs []event.Event) error
	// FinishRun records a capture's analysis in one transaction: findings
	// merged (MergeFinding) with those already stored for the site,
	// suppressions applied to new ones, resolved ones seen again reopened,
	// the assets merged (first/last seen, changes), the capture done with
	// its statistics. Either all of it is stored or none.
	FinishRun(ctx context.Context, r Run) (RunSummary, error)

	// Findings lists findings by q, in the order of FindingQuery.
	Findings(ctx context.Context, q FindingQuery) (fs []Finding, next string, err error)
	// Finding returns one finding of a site (ErrNotFound).
	Finding(ctx context.Context, site, id string) (Finding, error)
	// FindingCounts counts a site's findings ("" → every site) by site,
	// rule, severity, effective state (at now) and the zones of their two
	// sides, with the latest last seen of each group.
	FindingCounts(ctx context.Context, site string, now time.Time) ([]FindingCount, error)
	// FindingSites returns the sites that hold a finding with this id.
	FindingSites(ctx context.Context, id string) ([]string, error)
	// SetState changes a finding's state to open, acknowledged or
	// resolved (suppressed is reached through suppressions only), with a
	// change in its history.
	SetState(ctx context.Context, site, id string, ch Change) (Finding, error)
	// History returns a finding's changes, oldest first.
	History(ctx context.Context, site, id string) ([]Change, error)

	// AddSuppression stores a suppression (its ID is assigned when empty)
	// and applies it to the stored findings it matches; it returns the
	// suppression and how many findings it now hides.
	AddSuppression(ctx context.Context, s Suppression) (Suppression, int, error)
	// Suppressions lists suppressions, expired ones included, newest first.
	Suppressions(ctx context.Context) ([]Suppression, error)
	// DeleteSuppression removes one (ErrNotFound); the findings it hid show
	// their own state again.
	DeleteSuppression(ctx context.Context, id string) error

	// Assets lists a site's assets ("" → all) by site and id.
	Assets(ctx context.Context, site string) ([]Asset, error)
	// AssetChanges lists what changed in one asset, oldest first.
	AssetChanges(ctx context.Context, site, id string) ([]AssetChange, error)

	// Events lists events by q, in packet-time order.
	Events(ctx context.Context, q EventQuery) (evs []StoredEvent, next string, err error)
	// PruneEvents deletes events older than before (packet time); it
	// returns how many.
	PruneEvents(ctx context.Context, before time.Time) (int64, error)

	// AddUser creates a user (ErrConflict when the name is taken).
	AddUser(ctx context.Context, u User) error
	// User returns one user (ErrNotFound).
	User(ctx context.Context, name string) (User, error)
	// Users lists the users by name.
	Users(ctx context.Context) ([]User, error)

	// AddToken stores a token (by the hash of its secret).
	AddToken(ctx context.Context, t Token) error
	// TokenByHash returns the token whose secret hashes to hash
	// (ErrNotFound), revoked and expired ones included: the caller checks.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// Tokens lists tokens, newest first.
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken marks a token revoked (ErrNotFound).
	RevokeToken(ctx context.Context, id string, at time.Time) error

	// Audit appends an entry to the audit log, chained to the previous one
	// (ChainHash); Seq, Prev and Hash are filled in and returned.
	Audit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// AuditLog returns entries with Seq > after, oldest first, at most
	// limit (0 → all).
	AuditLog(ctx context.Context, after int64, limit int) ([]AuditEntry, error)

	Fleet
}

// Site is a facility's site model as uploaded.
type Site struct {
	ID      string    `json:"id"`
	YAML    string    `json:"yaml"`
	Model   string    `json:"model"` // the parsed model as JSON text
	Updated time.Time `json:"updated"`
	By      string    `json:"by"`
}

// Capture states.
const (
	Receiving = "receiving" // being uploaded and analyzed as it arrives
	Queued    = "queued"
	Running   = "running"
	Done      = "done"
	Failed    = "failed"
)

// Capture is an uploaded capture file and its analysis run.
type Capture struct {
	ID       string          `json:"id"`
	Site     string          `json:"site"`
	Name     string          `json:"name"` // the name it was uploaded with
	Path     string          `json:"-"`    // where the server keeps it
	SHA256   string          `json:"sha256"`
	Size     int64           `json:"size"`
	Status   string          `json:"status"`
	Stats    json.RawMessage `json:"stats,omitempty"` // runstats.Stats as JSON
	Error    string          `json:"error,omitempty"`
	By       string          `json:"by"`
	Attempts int             `json:"attempts"` // runs started
	Created  time.Time       `json:"created"`
	Started  *time.Time      `json:"started,omitempty"`
	Finished *time.Time      `json:"finished,omitempty"`
}

// Run is the result of one capture's analysis, for FinishRun.
type Run struct {
	Capture  string
	Site     string
	At       time.Time // when the run finished (wall clock)
	Stats    json.RawMessage
	Findings []finding.Finding
	Assets   []AssetData
}

// AssetData is one asset of a run's inventory: its id, the inventory
// asset object as JSON, and its packet-time first/last seen (zero when it
// was declared but not seen).
type AssetData struct {
	ID                  string
	Data                json.RawMessage
	FirstSeen, LastSeen time.Time
	// Fields are the values whose change is recorded (e.g. "vendor",
	// "model", "firmware", "ips", "macs"): a value different from the
	// stored one makes an AssetChange.
	Fields map[string]string
}

// RunSummary says what FinishRun did: New findings stored, findings
// already stored and Seen again (Reopened: those of them that were
// resolved), new ones Suppressed at once; Assets merged and the
// AssetChanges recorded.
type RunSummary struct {
	New, Seen, Reopened, Suppressed int
	Assets, AssetChanges            int
	ReopenedIDs                     []string // the findings Reopened counts
}

// Finding states.
const (
	Open         = "open"
	Acknowledged = "acknowledged"
	Resolved     = "resolved"
	Suppressed   = "suppressed"
)

// Finding is a stored finding: the report v1 object, its site, its state
// and how often it was seen. FirstSeen/LastSeen (in the embedded finding)
// span every run; Count sums them; Evidence lists each capture's packets
// (MergeFinding).
type Finding struct {
	finding.Finding
	Site        string    `json:"site"`
	State       string    `json:"state"` // effective: suppressed while an active suppression hides it
	Occurrences int64     `json:"occurrences"`
	Reason      string    `json:"reason,omitempty"` // of the last state change
	Suppression string    `json:"suppression,omitempty"`
	Updated     time.Time `json:"updated"`
}

// FindingCount is how many findings share a site, rule, severity,
// effective state and pair of zones.
type FindingCount struct {
	Site, Rule       string
	Severity         finding.Severity
	State            string
	SrcZone, DstZone string
	N                int
	LastSeen         time.Time
}

// Change is one entry of a finding's history: a state change by a person,
// or the finding seen (again) in a run.
type Change struct {
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to"`
	Reason  string    `json:"reason,omitempty"`
	Capture string    `json:"capture,omitempty"`
}

// FindingQuery filters findings. Empty fields do not filter. Findings
// come ordered by severity (highest first), then site, then id; Cursor is
// the opaque next of the previous page.
type FindingQuery struct {
	Site, Rule, Severity, State string   // Severity: exactly that one ("high")
	Zones                       []string // either side in one of these zones
	Text                        string   // substring of title, rule, id, addresses, zones, assets
	Limit                       int      // 0 → 100; at most 1000
	Cursor                      string
	Now                         time.Time // for suppression expiry (zero → time.Now())
}

// Suppression hides findings of a rule within a scope. Empty scope fields
// match anything; Site "" applies to every site; a zero Expires never
// expires.
type Suppression struct {
	ID      string    `json:"id"`
	Site    string    `json:"site,omitempty"`
	Rule    string    `json:"rule"`
	Src     string    `json:"src,omitempty"`   // IP address or CIDR prefix
	Dst     string    `json:"dst,omitempty"`   // IP address or CIDR prefix
	Zone    string    `json:"zone,omitempty"`  // source or destination zone
	Asset   string    `json:"asset,omitempty"` // source or destination asset
	Reason  string    `json:"reason"`
	Author  string    `json:"author"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires,omitzero"`
	Hidden  int       `json:"hidden"` // findings it hides now (filled by Suppressions)
}

// Asset is one asset of a site's inventory as stored: the latest inventory
// object and when it was first and last seen over every run.
type Asset struct {
	Site      string          `json:"site"`
	ID        string          `json:"id"`
	Data      json.RawMessage `json:"asset"`
	FirstSeen *time.Time      `json:"first_seen"`
	LastSeen  *time.Time      `json:"last_seen"`
	Updated   time.Time       `json:"updated"`
	Changes   int             `json:"changes"`
}

// AssetChange is one changed value of an asset between runs.
type AssetChange struct {
	At      time.Time `json:"at"`
	Capture string    `json:"capture"`
	Field   string    `json:"field"`
	From    string    `json:"from"`
	To      string    `json:"to"`
}

// StoredEvent is an event with the site and capture it came from.
type StoredEvent struct {
	event.Event
	Site      string `json:"site"`
	CaptureID string `json:"capture_id"`
}

// EventQuery filters events; Since/Until bound packet time (Until
// exclusive); zero values do not filter.
type EventQuery struct {
	Site, Proto, Op string
	Since, Until    time.Time
	Limit           int // 0 → 1000; at most 10000
	Cursor          string
}

// Roles.
const (
	Viewer  = "viewer"
	Analyst = "analyst"
	Admin   = "admin"
)

// User is a person who logs in.
type User struct {
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	Password string    `json:"-"` // argon2id hash in PHC string form
	Created  time.Time `json:"created"`
}

// Token is an API token; the secret is never stored, only its SHA-256.
type Token struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Role    string     `json:"role"`
	Hash    []byte     `json:"-"`
	Created time.Time  `json:"created"`
	Expires *time.Time `json:"expires,omitempty"`
	Revoked *time.Time `json:"revoked,omitempty"`
	By      string     `json:"by"`
}

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	Seq    int64           `json:"seq"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`  // user:NAME, token:NAME, system
	Remote string          `json:"remote"` // client address, "" for local commands
	Action string          `json:"action"` // e.g. login, login.failed, site.put, finding.state
	Target string          `json:"target,omitempty"`
	Result string          `json:"result"` // ok, denied, failed
	Detail json.RawMessage `json:"detail,omitempty"`
	Prev   string          `json:"prev"` // Hash of the entry before ("" for the first)
	Hash   string          `json:"hash"`
}
