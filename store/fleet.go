package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
)

// Fleet stores what sensors publish over the bus (harborwatch serve
// --nats): their findings, events, assets and heartbeats. Its methods are
// part of Store.
type Fleet interface {
	// Ingest stores a batch of sensor messages in one transaction: all of
	// it or none. A message whose ID was stored before is skipped (a
	// redelivery), counted in Duplicates; a finding update older than one
	// already stored for the same sensor run is skipped, counted in
	// Stale.
	Ingest(ctx context.Context, ms []FleetMessage) (IngestSummary, error)
	// Sensors lists the sensors of a site ("" → every site) by site and
	// sensor, each with its latest heartbeat.
	Sensors(ctx context.Context, site string) ([]Sensor, error)
}

// FleetMessage is one message of a sensor, as Ingest stores it: a header
// and one of the bodies.
type FleetMessage struct {
	ID                string // unique: the bus message id
	Site, Sensor, Run string
	Seq               uint64
	Sent              time.Time // the sensor's clock
	Received          time.Time // the server's clock

	// Finding is a finding as it stands in the sensor's run so far (its
	// count, times and evidence are the run's): the run's last update of
	// a finding replaces its earlier ones in the stored finding.
	Finding *finding.Finding
	// Event is a protocol event, stored with the capture SENSOR/RUN.
	Event *event.Event
	// Asset is an asset of the sensor's inventory: merged as a run's.
	Asset *AssetData
	// Seen is a device seen (an observation): stored when the site has no
	// asset of that id yet, else its last seen widened; nothing else of
	// the stored asset changes.
	Seen *AssetData
	// Heartbeat is the sensor's state as it sent it (JSON), with the time
	// its run started.
	Heartbeat json.RawMessage
	Started   time.Time
}

// Capture is the capture name a sensor run's findings, events and assets
// are stored under: SENSOR/RUN.
func (m *FleetMessage) Capture() string { return m.Sensor + "/" + m.Run }

// IngestSummary says what Ingest did.
type IngestSummary struct {
	Stored, Duplicates, Stale int
	New, Seen, Reopened       int // findings, as in RunSummary
	Events, Assets, Sensors   int
	// Changes are the findings New, Seen and Reopened count, in the order
	// of the messages: the first update of a finding in a sensor run, and
	// a resolved finding seen again. Later updates of a finding in the same
	// run are not changes (its count grew).
	Changes []FindingChange
}

// FindingChange is one finding an Ingest stored as new, seen by another
// run, or reopened: Kind is "new", "seen" or "reopened".
type FindingChange struct {
	Site, ID, Kind string
}

// Sensor is a sensor and its latest heartbeat.
type Sensor struct {
	Site      string          `json:"site"`
	Sensor    string          `json:"sensor"`
	Run       string          `json:"run"`
	Started   time.Time       `json:"started"`
	Sent      time.Time       `json:"sent"`     // the heartbeat, on the sensor's clock
	Received  time.Time       `json:"received"` // the heartbeat, on the server's
	Heartbeat json.RawMessage `json:"heartbeat"`
}

// MergeLive returns the stored finding old after a sensor run's update
// seen: the run's earlier contribution (prevCount occurrences, evidence
// under capture) replaced by seen's — so the run's last update counts
// once however many came before — the time span of both, the highest
// severity, the newest title and detail, at most MaxEvidence evidence
// entries (the newest kept).
func MergeLive(old, seen finding.Finding, prevCount uint64, capture string) finding.Finding {
	m := seen
	m.ID = old.ID
	m.Pcap = nil
	if !old.FirstSeen.IsZero() && (m.FirstSeen.IsZero() || old.FirstSeen.Before(m.FirstSeen)) {
		m.FirstSeen = old.FirstSeen
	}
	if old.LastSeen.After(m.LastSeen) {
		m.LastSeen = old.LastSeen
	}
	base := old.Count
	if prevCount <= base {
		base -= prevCount
	} else {
		base = 0
	}
	m.Count = base + seen.Count
	m.Severity = max(old.Severity, seen.Severity)
	ev := make([]finding.Evidence, 0, len(old.Evidence)+len(seen.Evidence))
	for _, e := range old.Evidence {
		if e.Capture != capture && !strings.HasPrefix(e.Capture, capture+"/") {
			ev = append(ev, e)
		}
	}
	ev = append(ev, seen.Evidence...)
	if len(ev) > MaxEvidence {
		ev = ev[len(ev)-MaxEvidence:]
	}
	m.Evidence = ev
	return m
}
