package pipeline

import (
	"sync"
	"sync/atomic"
)

// Progress is updated by a run while it reads; it is safe to read
// concurrently: Packets and Bytes as the reader goes, and Snapshot for
// every counter of the run so far (what a metrics endpoint or a sensor's
// status shows while a capture or a live interface is being read).
type Progress struct {
	Packets atomic.Int64
	Bytes   atomic.Int64

	events   atomic.Uint64 // events handed to the Sink
	updates  atomic.Uint64 // finding updates handed to the Sink
	flowRecs atomic.Uint64 // flow records handed to the Sink
	news     atomic.Uint64 // observations handed to the Sink

	mu     sync.Mutex
	shards []*liveShard
}

// Snapshot is a run's counters at one moment. The shards publish theirs
// every few thousand packets (and after each batch), so a snapshot taken
// while the run goes may lag the reader by that much; the one taken after
// Run returns is exact.
type Snapshot struct {
	Packets         uint64 `json:"packets"`
	Bytes           uint64 `json:"bytes"`
	Flows           uint64 `json:"flows"`        // flows started
	ActiveFlows     uint64 `json:"active_flows"` // flows in the tables now
	EvictedFlows    uint64 `json:"evicted_flows"`
	TCPGaps         uint64 `json:"tcp_gaps"`
	TCPDroppedBytes uint64 `json:"tcp_dropped_bytes"`
	DecodeErrors    uint64 `json:"decode_errors"` // malformed headers, all layers
	Events          uint64 `json:"events"`
	FindingUpdates  uint64 `json:"finding_updates"`
	FlowRecords     uint64 `json:"flow_records"`
	Observations    uint64 `json:"observations"`
}

// Snapshot returns the run's counters so far.
func (p *Progress) Snapshot() Snapshot {
	s := Snapshot{
		Packets: uint64(p.Packets.Load()), Bytes: uint64(p.Bytes.Load()),
		Events: p.events.Load(), FindingUpdates: p.updates.Load(), FlowRecords: p.flowRecs.Load(), Observations: p.news.Load(),
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.shards {
		s.Flows += l.flows.Load()
		s.ActiveFlows += l.active.Load()
		s.EvictedFlows += l.evicted.Load()
		s.TCPGaps += l.gaps.Load()
		s.TCPDroppedBytes += l.dropped.Load()
		s.DecodeErrors += l.decodeErrors.Load()
	}
	return s
}

// liveShard holds what one shard last published.
type liveShard struct {
	flows, active, evicted, gaps, dropped, decodeErrors atomic.Uint64
}

// attach gives a run's shards their published counters.
func (p *Progress) attach(shards []*shard) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shards = p.shards[:0]
	for _, s := range shards {
		s.live = &liveShard{}
		p.shards = append(p.shards, s.live)
	}
}

// publishEvery is how many packets a shard handles between publications
// of its counters.
const publishEvery = 4096

// publish stores the shard's counters for Progress.Snapshot.
func (s *shard) publish() {
	s.sincePub = 0
	l := s.live
	if l == nil {
		return
	}
	fs := s.flows.Stats()
	l.flows.Store(fs.Created)
	l.active.Store(fs.Active)
	l.evicted.Store(fs.Evicted)
	l.gaps.Store(s.tcpGaps)
	l.dropped.Store(s.tcpDropped)
	l.decodeErrors.Store(s.dec.Errors.Total())
}
