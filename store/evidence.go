package store

import (
	"context"
	"time"
)

// Evidence keeps the evidence files of findings sensors publish (serve
// --nats fetches each from the NATS object store when it stores the
// finding): one file per site and finding, the newest replacing the one
// before, as a finding's evidence grows.
type Evidence interface {
	// PutEvidence stores a finding's evidence file, replacing the one
	// stored for the same site and finding. SHA256, Bytes and Stored are
	// computed (Stored: now when zero).
	PutEvidence(ctx context.Context, e EvidenceFile) error
	// Evidence returns the evidence file of a site's finding, with its
	// data (ErrNotFound).
	Evidence(ctx context.Context, site, findingID string) (EvidenceFile, error)
}

// EvidenceFile is a finding's evidence packets as a capture file.
type EvidenceFile struct {
	Site      string `json:"site"`
	FindingID string `json:"finding_id"`
	// Sensor and Run name the sensor run that cut it; Object its name in
	// the object store.
	Sensor string `json:"sensor"`
	Run    string `json:"run"`
	Object string `json:"object"`
	Format string `json:"format"` // "pcap" or "pcapng"
	// Packets is how many packets it holds (as the sensor said).
	Packets int       `json:"packets"`
	Bytes   int64     `json:"bytes"`
	SHA256  string    `json:"sha256"` // of Data
	Stored  time.Time `json:"stored"`
	Data    []byte    `json:"-"`
}
