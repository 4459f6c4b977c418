package pipeline

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
)

// Sink receives what a run finds as it happens: protocol events, findings
// as they are made and as they change, and flows as they end. The pipeline
// never calls a Sink's methods concurrently, whatever the number of
// workers, and calls them from its own goroutines: a Sink that blocks
// holds the analysis up (that is the back pressure of a slow writer).
type Sink interface {
	// Event receives a protocol event. Events come in packet-time order
	// (see Options.Events). The event is valid only during the call.
	Event(*event.Event)
	// Finding receives a finding when it is made and each time it changes
	// (count, last seen, evidence, severity), as it stands then; the last
	// update of an ID is the finding the run reports. The update is the
	// Sink's to keep.
	Finding(*FindingUpdate)
	// Flow receives a flow when it ends, and a long flow while it is open
	// (Open set) once per Options.FlowInterval of packet time. The record
	// is valid only during the call.
	Flow(*FlowRecord)
}

// UpdateKind says what a FindingUpdate is.
type UpdateKind uint8

// Kinds of finding updates.
const (
	FindingNew     UpdateKind = iota + 1 // the finding's first update
	FindingChanged                       // a later update: counts, times, evidence or detail changed
)

var updateKindNames = [...]string{FindingNew: "new", FindingChanged: "changed"}

func (k UpdateKind) String() string {
	if int(k) < len(updateKindNames) && k > 0 {
		return updateKindNames[k]
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (k UpdateKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// FindingUpdate is a finding as it stands at a moment of packet time.
type FindingUpdate struct {
	Kind UpdateKind `json:"kind"`
	// At is the packet time at which the update was handed on: the first
	// epoch boundary after the packets that changed the finding (so no
	// later than one epoch after them), or the last packet's time for the
	// updates made at the end of the run. Packet time moves with packets:
	// the update is handed on when the first packet at or past that
	// boundary is read (or at the end of the input).
	At      time.Time       `json:"at"`
	Finding finding.Finding `json:"finding"`
}

// SinkFuncs adapts functions to a Sink; nil functions ignore what they
// would receive.
type SinkFuncs struct {
	OnEvent   func(*event.Event)
	OnFinding func(*FindingUpdate)
	OnFlow    func(*FlowRecord)
}

// Event implements Sink.
func (f SinkFuncs) Event(e *event.Event) {
	if f.OnEvent != nil {
		f.OnEvent(e)
	}
}

// Finding implements Sink.
func (f SinkFuncs) Finding(u *FindingUpdate) {
	if f.OnFinding != nil {
		f.OnFinding(u)
	}
}

// Flow implements Sink.
func (f SinkFuncs) Flow(r *FlowRecord) {
	if f.OnFlow != nil {
		f.OnFlow(r)
	}
}

var _ Sink = SinkFuncs{}

// Fold keeps the last update of every finding: the batch view of a stream
// of updates. Its zero value is ready; it is not safe for concurrent use
// (a Sink's methods are never called concurrently).
type Fold struct {
	byID  map[string]int
	items []finding.Finding
}

// Add folds one update in.
func (f *Fold) Add(u *FindingUpdate) {
	if f.byID == nil {
		f.byID = map[string]int{}
	}
	if i, ok := f.byID[u.Finding.ID]; ok {
		f.items[i] = u.Finding
		return
	}
	f.byID[u.Finding.ID] = len(f.items)
	f.items = append(f.items, u.Finding)
}

// Findings returns the folded findings, in the report's order.
func (f *Fold) Findings() []finding.Finding {
	out := slices.Clone(f.items)
	finding.Sort(out)
	return out
}

// syncSink serializes a run's calls to its Sink.
type syncSink struct {
	mu   sync.Mutex
	sink Sink
	prog *Progress // counts what was handed on, when not nil
}

func (s *syncSink) finding(u *FindingUpdate) {
	s.mu.Lock()
	s.sink.Finding(u)
	s.mu.Unlock()
	if s.prog != nil {
		s.prog.updates.Add(1)
	}
}

func (s *syncSink) flow(r *FlowRecord) {
	s.mu.Lock()
	s.sink.Flow(r)
	s.mu.Unlock()
	if s.prog != nil {
		s.prog.flowRecs.Add(1)
	}
}

// seqEvent is an event with the sequence number of the packet it came
// from, in the order the run read packets.
type seqEvent struct {
	seq uint64
	ev  event.Event
}

// seqUpdate is a finding update with the sequence number of the last
// packet its shard had handled when it was made.
type seqUpdate struct {
	seq uint64
	u   FindingUpdate
}

// merger puts the shards' events back into one timeline with a bounded
// buffer. Each shard hands over, after each batch, its events and the
// sequence number through which it has handled every packet given to it;
// the smallest of those over all shards is the watermark: no event of an
// earlier packet can still come, so the events up to it are sorted (by
// event.Less) and written, and only those after it wait. The reader gives
// every shard a batch (empty if need be) at least every tickPackets
// packets and every epoch, so the watermark never stalls behind an idle
// shard: memory is bounded by workers × batches in flight, not by the
// length of the capture.
//
// Finding updates take the same way, so that the findings stream is the
// same from one run to the next (shards drain their findings
// concurrently): the updates the watermark releases are written in the
// order of their packets, then of their finding ids.
type merger struct {
	out     *syncSink
	through []uint64
	pending []seqEvent
	ready   []seqEvent
	upPend  []seqUpdate
	upReady []seqUpdate
	last    event.Event // the last event written
	wrote   bool
	late    uint64 // events written after a later one (timestamps going back beyond the window)
}

func newMerger(out *syncSink, shards int) *merger {
	return &merger{out: out, through: make([]uint64, shards)}
}

// push takes a shard's events (in its packet order) and its watermark, and
// writes every event the watermark releases.
func (m *merger) push(shard int, through uint64, evs []seqEvent, ups []seqUpdate) {
	m.out.mu.Lock()
	defer m.out.mu.Unlock()
	if through > m.through[shard] {
		m.through[shard] = through
	}
	m.pending = append(m.pending, evs...)
	m.upPend = append(m.upPend, ups...)
	wm := slices.Min(m.through)
	m.release(wm)
	m.releaseUpdates(wm)
}

// releaseUpdates writes the pending finding updates made up to wm, in the
// order of their packets, then of their ids. The caller holds out.mu.
func (m *merger) releaseUpdates(wm uint64) {
	if len(m.upPend) == 0 {
		return
	}
	m.upReady = m.upReady[:0]
	keep := m.upPend[:0]
	for _, u := range m.upPend {
		if u.seq <= wm {
			m.upReady = append(m.upReady, u)
		} else {
			keep = append(keep, u)
		}
	}
	clear(m.upPend[len(keep):])
	m.upPend = keep
	slices.SortStableFunc(m.upReady, func(a, b seqUpdate) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), strings.Compare(a.u.Finding.ID, b.u.Finding.ID))
	})
	for i := range m.upReady {
		m.out.sink.Finding(&m.upReady[i].u)
	}
	if m.out.prog != nil {
		m.out.prog.updates.Add(uint64(len(m.upReady)))
	}
	clear(m.upReady)
}

// release writes the pending events of packets up to wm, in timeline
// order. The caller holds out.mu.
func (m *merger) release(wm uint64) {
	if len(m.pending) == 0 {
		return
	}
	m.ready = m.ready[:0]
	keep := m.pending[:0]
	for _, e := range m.pending {
		if e.seq <= wm {
			m.ready = append(m.ready, e)
		} else {
			keep = append(keep, e)
		}
	}
	clear(m.pending[len(keep):])
	m.pending = keep
	if len(m.ready) == 0 {
		return
	}
	slices.SortStableFunc(m.ready, func(a, b seqEvent) int {
		switch {
		case event.Less(&a.ev, &b.ev):
			return -1
		case event.Less(&b.ev, &a.ev):
			return 1
		}
		return 0
	})
	for i := range m.ready {
		e := &m.ready[i].ev
		if m.wrote && event.Less(e, &m.last) {
			m.late++
		}
		m.out.sink.Event(e)
		m.last, m.wrote = *e, true
	}
	if m.out.prog != nil {
		m.out.prog.events.Add(uint64(len(m.ready)))
	}
	clear(m.ready)
}

// flush writes whatever is left (at the end of the run).
func (m *merger) flush() {
	m.out.mu.Lock()
	defer m.out.mu.Unlock()
	m.release(^uint64(0))
	m.releaseUpdates(^uint64(0))
}

// collector is the Sink of a run that asked for events without a Sink of
// its own: it keeps them for Result.Events.
type collector struct {
	events []event.Event
}

func (c *collector) Event(e *event.Event)   { c.events = append(c.events, *e) }
func (c *collector) Finding(*FindingUpdate) {}
func (c *collector) Flow(*FlowRecord)       {}

// stream sets the shard up to hand its results on as they happen.
func (s *shard) stream(idx int, out *syncSink, mg *merger, o *Options) {
	s.idx, s.out, s.mg = idx, out, mg
	s.epoch = epochOf(o)
	if o.Sink != nil {
		s.track = o.Findings
		if s.track {
			s.det.Track()
		}
		s.flowLog = o.Flows
	}
	switch {
	case o.FlowInterval > 0:
		s.flowEvery = int64(o.FlowInterval)
	case o.FlowInterval == 0:
		s.flowEvery = int64(defaultFlowInterval)
	}
}

// pushEvents hands the shard's events to the merger, with the sequence
// number through which the shard has handled every packet given to it.
func (s *shard) pushEvents(through uint64) {
	if s.mg == nil {
		return
	}
	s.mg.push(s.idx, through, s.evbuf, s.upbuf)
	clear(s.evbuf)
	s.evbuf = s.evbuf[:0]
	clear(s.upbuf)
	s.upbuf = s.upbuf[:0]
}

// advance is called after each batch: ts is the reader's packet time then
// and through its sequence number.
func (s *shard) advance(ts int64, through uint64) {
	if s.track && ts >= s.nextEpoch {
		s.tick(ts)
	}
	s.pushEvents(through)
}

// tick is called when the shard's packet time ts has reached the next
// epoch boundary: it hands on the findings that changed before that
// boundary, stamped with it, and sets the next boundary. The changes were
// made by packets of the epoch that ends there, so each update is stamped
// no later than one epoch after the packet that made it.
func (s *shard) tick(ts int64) {
	due := s.nextEpoch
	s.nextEpoch = (ts/s.epoch + 1) * s.epoch
	if due != 0 && s.det.Pending() > 0 {
		s.drain(time.Unix(0, due).UTC(), s.seq)
	}
}

// drain takes the findings that changed, stamped at packet time at, for
// the merger to hand to the Sink (after packet seq).
func (s *shard) drain(at time.Time, seq uint64) {
	if !s.track {
		return
	}
	s.det.Drain(s.names, func(f finding.Finding, first bool) {
		kind := FindingChanged
		if first {
			kind = FindingNew
		}
		s.upbuf = append(s.upbuf, seqUpdate{seq: seq, u: FindingUpdate{Kind: kind, At: at, Finding: f}})
	})
}
