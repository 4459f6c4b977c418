package store

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Compliance is what the store keeps for the compliance view: attestations
// (what only a person can tell), the access register (who maintains access
// to which crane or system, and how) and incidents. It is embedded in Store.
type Compliance interface {
	// AddAttestation stores an attestation (checked with Check, else
	// ErrInvalid); its ID is assigned when empty (ErrConflict when taken).
	AddAttestation(ctx context.Context, a Attestation) (Attestation, error)
	// Attestations lists a site's attestations ("" → all), withdrawn ones
	// included, newest first.
	Attestations(ctx context.Context, site string) ([]Attestation, error)
	// WithdrawAttestation marks one withdrawn at at (ErrNotFound; ErrConflict
	// when it is withdrawn already).
	WithdrawAttestation(ctx context.Context, id string, at time.Time) error

	// PutAccess creates or replaces an entry of the access register (checked
	// with Check, else ErrInvalid); its ID is assigned when empty.
	PutAccess(ctx context.Context, a AccessEntry) (AccessEntry, error)
	// AccessEntries lists a site's register ("" → all) by site, crane,
	// system and id.
	AccessEntries(ctx context.Context, site string) ([]AccessEntry, error)
	// DeleteAccess removes an entry (ErrNotFound).
	DeleteAccess(ctx context.Context, id string) error

	// AddIncident stores a new incident (checked with Check, else
	// ErrInvalid); its ID is assigned when empty.
	AddIncident(ctx context.Context, in Incident) (Incident, error)
	// Incident returns one incident (ErrNotFound).
	Incident(ctx context.Context, id string) (Incident, error)
	// Incidents lists a site's incidents ("" → all), newest first.
	Incidents(ctx context.Context, site string) ([]Incident, error)
	// UpdateIncident replaces an incident's title, status, findings, notes
	// and report fields (ErrNotFound); Updated is set to now.
	UpdateIncident(ctx context.Context, in Incident) (Incident, error)
}

// Attestation is a person's signed-off statement that a control is met,
// for what the wire cannot show (MFA on the remote-access system, physical
// security, training, the MARSEC Directives). The document it rests on is
// kept by its SHA-256 only.
type Attestation struct {
	ID        string    `json:"id"`
	Site      string    `json:"site"`
	Control   string    `json:"control"`   // a control id of the catalog
	By        string    `json:"by"`        // the person who attests
	Statement string    `json:"statement"` // what they attest
	Document  string    `json:"document,omitempty"`
	DocSHA256 string    `json:"doc_sha256,omitempty"` // lower-case hex
	At        time.Time `json:"at"`                   // when it was attested
	Expires   time.Time `json:"expires,omitzero"`     // zero: never
	Author    string    `json:"author"`               // who recorded it (user:NAME, token:NAME, local:…)
	Created   time.Time `json:"created"`
	Withdrawn time.Time `json:"withdrawn,omitzero"`
}

// Valid tells whether a is in force at now: attested, not withdrawn, not
// expired.
func (a *Attestation) Valid(now time.Time) bool {
	return !a.At.After(now) && a.Withdrawn.IsZero() && (a.Expires.IsZero() || now.Before(a.Expires))
}

var (
	hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)
	idText    = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
)

// Check reports what is wrong with an attestation's fields, or nil. The
// control id is checked against the catalog by the caller (the store
// does not know it).
func (a *Attestation) Check() error {
	switch {
	case !idText.MatchString(a.Site):
		return fmt.Errorf("site %q is not a site id", a.Site)
	case !idText.MatchString(a.Control):
		return fmt.Errorf("control %q is not a control id", a.Control)
	case strings.TrimSpace(a.By) == "":
		return fmt.Errorf("by (the person who attests) is required")
	case strings.TrimSpace(a.Statement) == "":
		return fmt.Errorf("statement is required")
	case a.DocSHA256 != "" && !hexSHA256.MatchString(a.DocSHA256):
		return fmt.Errorf("doc_sha256 must be 64 lower-case hex digits")
	case a.At.IsZero():
		return fmt.Errorf("at (when it was attested) is required")
	case !a.Expires.IsZero() && !a.Expires.After(a.At):
		return fmt.Errorf("expires must be after at")
	}
	return nil
}

// Access paths.
const (
	PathGateway = "gateway" // the site's remote-access gateway
	PathRCMS    = "rcms"    // the crane supplier's remote crane management system
	PathOnSite  = "on-site" // a laptop or console on the crane
)

// AccessPaths lists the valid access paths.
var AccessPaths = []string{PathGateway, PathRCMS, PathOnSite}

// AccessEntry is one line of the access register: who maintains access to
// a crane or system, by which path, from which addresses, with the
// attested MFA and contract clause.
type AccessEntry struct {
	ID     string `json:"id"`
	Site   string `json:"site"`
	Crane  string `json:"crane,omitempty"` // crane id, "" for a system not on a crane
	System string `json:"system"`          // the system or asset accessed (e.g. "plc", "cms", an asset id)
	Holder string `json:"holder"`          // the vendor or person
	Path   string `json:"path"`            // gateway, rcms or on-site
	// Sources are the addresses or CIDR prefixes the holder's sessions come
	// from; a session or ICS change from a source no entry covers is
	// access.unregistered.
	Sources      []string  `json:"sources"`
	MFA          bool      `json:"mfa"`                     // attested by Attester
	Clause       string    `json:"clause,omitempty"`        // the contract clause on data sharing and remote access
	ClauseSHA256 string    `json:"clause_sha256,omitempty"` // of the contract document
	Attester     string    `json:"attester,omitempty"`      // who attested MFA and clause
	Expires      time.Time `json:"expires,omitzero"`
	Author       string    `json:"author"`
	Updated      time.Time `json:"updated"`
}

// Check reports what is wrong with an access entry's fields, or nil.
func (a *AccessEntry) Check() error {
	switch {
	case !idText.MatchString(a.Site):
		return fmt.Errorf("site %q is not a site id", a.Site)
	case a.Crane != "" && !idText.MatchString(a.Crane):
		return fmt.Errorf("crane %q is not a crane id", a.Crane)
	case strings.TrimSpace(a.System) == "":
		return fmt.Errorf("system is required")
	case strings.TrimSpace(a.Holder) == "":
		return fmt.Errorf("holder (the vendor or person) is required")
	case !slices.Contains(AccessPaths, a.Path):
		return fmt.Errorf("path %q is not one of %s", a.Path, strings.Join(AccessPaths, ", "))
	case len(a.Sources) == 0:
		return fmt.Errorf("sources (addresses or CIDR prefixes the sessions come from) are required")
	case a.ClauseSHA256 != "" && !hexSHA256.MatchString(a.ClauseSHA256):
		return fmt.Errorf("clause_sha256 must be 64 lower-case hex digits")
	case (a.MFA || a.Clause != "") && strings.TrimSpace(a.Attester) == "":
		return fmt.Errorf("attester is required when MFA or a contract clause is attested")
	}
	for _, s := range a.Sources {
		if _, err := netip.ParsePrefix(s); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(s); err != nil {
			return fmt.Errorf("source %q is neither an IP address nor a CIDR prefix", s)
		}
	}
	return nil
}

// Covers tells whether the entry covers sessions from addr.
func (a *AccessEntry) Covers(addr netip.Addr) bool {
	for _, s := range a.Sources {
		if addrIn(s, addr) {
			return true
		}
	}
	return false
}

// Incident states.
const (
	IncidentOpen     = "open"
	IncidentReported = "reported"
	IncidentClosed   = "closed"
)

// Incident is a set of findings escalated to an incident, with the fields
// of the report a person adds (Fields, keyed by the report's field names)
// and notes.
type Incident struct {
	ID       string            `json:"id"`
	Site     string            `json:"site"`
	Title    string            `json:"title"`
	Status   string            `json:"status"`
	Findings []string          `json:"findings"` // finding ids of the site
	Notes    string            `json:"notes,omitempty"`
	Fields   map[string]string `json:"fields,omitempty"`
	Detected time.Time         `json:"detected"` // when harborwatch first saw it: the reporting clock starts here
	Author   string            `json:"author"`
	Created  time.Time         `json:"created"`
	Updated  time.Time         `json:"updated"`
}

// Check reports what is wrong with an incident's fields, or nil.
func (in *Incident) Check() error {
	switch {
	case !idText.MatchString(in.Site):
		return fmt.Errorf("site %q is not a site id", in.Site)
	case strings.TrimSpace(in.Title) == "":
		return fmt.Errorf("title is required")
	case !slices.Contains([]string{IncidentOpen, IncidentReported, IncidentClosed}, in.Status):
		return fmt.Errorf("status %q is not open, reported or closed", in.Status)
	case len(in.Findings) == 0:
		return fmt.Errorf("an incident needs at least one finding")
	}
	for _, f := range in.Findings {
		if !idText.MatchString(f) {
			return fmt.Errorf("finding %q is not a finding id", f)
		}
	}
	return nil
}
