package store

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Advisories keeps security advisories (CSAF 2.0 documents, as CISA
// publishes its ICS advisories) that serve matches every run's assets
// against. An advisory is kept by its tracking id, one revision at a
// time: the newest imported.
type Advisories interface {
	// PutAdvisory stores an advisory unless the one stored under its id
	// is the same revision or a newer one (AdvisoryOutcome decides, in
	// one transaction). It returns what it did: AdvisoryImported,
	// AdvisoryUpdated or AdvisoryUnchanged, and the revision stored
	// before (zero when none).
	PutAdvisory(ctx context.Context, a Advisory) (outcome string, prev Advisory, err error)
	// Advisories lists the stored advisories by id, without their
	// documents.
	Advisories(ctx context.Context) ([]Advisory, error)
	// Advisory returns one stored advisory with its document
	// (ErrNotFound).
	Advisory(ctx context.Context, id string) (Advisory, error)
}

// Advisory is a stored advisory: what identifies its revision, and its
// document as imported.
type Advisory struct {
	ID        string    `json:"id"` // document.tracking.id
	Title     string    `json:"title"`
	Publisher string    `json:"publisher"`
	Version   string    `json:"version"`         // document.tracking.version
	Current   time.Time `json:"current_release"` // document.tracking.current_release_date
	SHA256    string    `json:"sha256"`          // of Doc
	File      string    `json:"file"`            // the name it was imported from
	// Doc is the CSAF document as imported (JSON); Advisories leaves it
	// out.
	Doc      json.RawMessage `json:"-"`
	Imported time.Time       `json:"imported"` // when this revision was stored
	By       string          `json:"by"`
}

// What PutAdvisory did.
const (
	AdvisoryImported  = "imported"  // no advisory with its id was stored
	AdvisoryUpdated   = "updated"   // a newer revision replaced the stored one
	AdvisoryUnchanged = "unchanged" // the stored revision is the same or newer
)

// AdvisoryOutcome decides what importing incoming does when stored is
// the revision kept under its id (found false: none). A later current
// release date is newer; on the same date a higher tracking version is.
// The same revision, or an older one, leaves the stored one.
func AdvisoryOutcome(stored Advisory, found bool, incoming Advisory) string {
	if !found {
		return AdvisoryImported
	}
	a, b := stored.Current.UTC().Truncate(time.Microsecond), incoming.Current.UTC().Truncate(time.Microsecond)
	switch {
	case b.After(a):
		return AdvisoryUpdated
	case b.Before(a):
		return AdvisoryUnchanged
	}
	if compareRevision(incoming.Version, stored.Version) > 0 {
		return AdvisoryUpdated
	}
	return AdvisoryUnchanged
}

// compareRevision compares CSAF tracking versions: integer versioning
// ("3") or semantic versioning ("1.2.0"), part by part as numbers where
// both parts are numbers, else as text.
func compareRevision(a, b string) int {
	pa, pb := strings.Split(strings.TrimSpace(a), "."), strings.Split(strings.TrimSpace(b), ".")
	for i := range max(len(pa), len(pb)) {
		x, y := "0", "0"
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		nx, ex := strconv.ParseUint(x, 10, 64)
		ny, ey := strconv.ParseUint(y, 10, 64)
		switch {
		case ex == nil && ey == nil && nx != ny:
			if nx > ny {
				return 1
			}
			return -1
		case (ex != nil || ey != nil) && x != y:
			return strings.Compare(x, y)
		}
	}
	return 0
}
