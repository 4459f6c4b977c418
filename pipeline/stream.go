package pipeline

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/observe"
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
	// Observation receives news of a device: an address seen for the
	// first time (on a flow's end, on ARP, or on a flow judged while
	// open), what a device said of itself, a station's first discovery
	// message (see observe.Observation). It is valid only during the call.
	Observation(*observe.Observation)
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
	OnEvent       func(*event.Event)
	OnFinding     func(*FindingUpdate)
	OnFlow        func(*FlowRecord)
	OnObservation func(*observe.Observation)
}

// Observation implements Sink.
func (f SinkFuncs) Observation(o *observe.Observation) {
	if f.OnObservation != nil {
		f.OnObservation(o)
	}
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

// seqd is a record (an event, a finding update, an observation) with the
// sequence number of the packet after which it was made, in the order the
// run read packets.
type seqd[T any] struct {
	seq uint64
	v   T
}

// queue holds one kind of record until the watermark releases it.
type queue[T any] struct {
	pend, ready []seqd[T]
}

// take moves the records made up to wm to ready, in the given order, and
// returns them; done forgets them once written.
func (q *queue[T]) take(wm uint64, order func(a, b seqd[T]) int) []seqd[T] {
	q.ready = q.ready[:0]
	keep := q.pend[:0]
	for _, x := range q.pend {
		if x.seq <= wm {
			q.ready = append(q.ready, x)
		} else {
			keep = append(keep, x)
		}
	}
	clear(q.pend[len(keep):])
	q.pend = keep
	slices.SortStableFunc(q.ready, order)
	return q.ready
}

func (q *queue[T]) done() {
	clear(q.ready)
	q.ready = q.ready[:0]
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
// Finding updates and observations take the same way, so that their
// streams are the same from one run to the next (shards drain them
// concurrently): what the watermark releases is written in the order of
// the packets, then of the finding ids (of the addresses, MACs).
type merger struct {
	out     *syncSink
	through []uint64
	events  queue[event.Event]
	updates queue[FindingUpdate]
	news    queue[observe.Observation]
	last    event.Event // the last event written
	wrote   bool
	late    uint64 // events written after a later one (timestamps going back beyond the window)
}

func newMerger(out *syncSink, shards int) *merger {
	return &merger{out: out, through: make([]uint64, shards)}
}

// push takes a shard's records (each list in its packet order) and its
// watermark, and writes every record the watermark releases.
func (m *merger) push(shard int, through uint64, evs []seqd[event.Event], ups []seqd[FindingUpdate], obs []seqd[observe.Observation]) {
	m.out.mu.Lock()
	defer m.out.mu.Unlock()
	if through > m.through[shard] {
		m.through[shard] = through
	}
	m.events.pend = append(m.events.pend, evs...)
	m.updates.pend = append(m.updates.pend, ups...)
	m.news.pend = append(m.news.pend, obs...)
	m.release(slices.Min(m.through))
}

// release writes the records made up to wm. The caller holds out.mu.
func (m *merger) release(wm uint64) {
	sink, prog := m.out.sink, m.out.prog
	if len(m.events.pend) > 0 {
		ready := m.events.take(wm, func(a, b seqd[event.Event]) int {
			switch {
			case event.Less(&a.v, &b.v):
				return -1
			case event.Less(&b.v, &a.v):
				return 1
			}
			return 0
		})
		for i := range ready {
			e := &ready[i].v
			if m.wrote && event.Less(e, &m.last) {
				m.late++
			}
			sink.Event(e)
			m.last, m.wrote = *e, true
		}
		if prog != nil {
			prog.events.Add(uint64(len(ready)))
		}
		m.events.done()
	}
	if len(m.updates.pend) > 0 {
		ready := m.updates.take(wm, func(a, b seqd[FindingUpdate]) int {
			return cmp.Or(cmp.Compare(a.seq, b.seq), strings.Compare(a.v.Finding.ID, b.v.Finding.ID))
		})
		for i := range ready {
			sink.Finding(&ready[i].v)
		}
		if prog != nil {
			prog.updates.Add(uint64(len(ready)))
		}
		m.updates.done()
	}
	if len(m.news.pend) > 0 {
		ready := m.news.take(wm, func(a, b seqd[observe.Observation]) int {
			return cmp.Or(cmp.Compare(a.seq, b.seq), strings.Compare(a.v.Kind, b.v.Kind),
				a.v.IP.Compare(b.v.IP), strings.Compare(a.v.MAC, b.v.MAC), strings.Compare(a.v.Via, b.v.Via))
		})
		for i := range ready {
			sink.Observation(&ready[i].v)
		}
		if prog != nil {
			prog.news.Add(uint64(len(ready)))
		}
		m.news.done()
	}
}

// flush writes whatever is left (at the end of the run).
func (m *merger) flush() {
	m.out.mu.Lock()
	defer m.out.mu.Unlock()
	m.release(^uint64(0))
}

// collector is the Sink of a run that asked for events without a Sink of
// its own: it keeps them for Result.Events.
type collector struct {
	events []event.Event
}

func (c *collector) Event(e *event.Event)             { c.events = append(c.events, *e) }
func (c *collector) Finding(*FindingUpdate)           {}
func (c *collector) Flow(*FlowRecord)                 {}
func (c *collector) Observation(*observe.Observation) {}

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
		s.news = o.Observations
		if s.news {
			s.obs.Track()
		}
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
	if s.news && s.obs.Pending() > 0 {
		seq := s.seq
		s.obs.Drain(func(o *observe.Observation) {
			s.obsbuf = append(s.obsbuf, seqd[observe.Observation]{seq: seq, v: *o})
		})
	}
	s.mg.push(s.idx, through, s.evbuf, s.upbuf, s.obsbuf)
	clear(s.evbuf)
	s.evbuf = s.evbuf[:0]
	clear(s.obsbuf)
	s.obsbuf = s.obsbuf[:0]
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
		s.upbuf = append(s.upbuf, seqd[FindingUpdate]{seq: seq, v: FindingUpdate{Kind: kind, At: at, Finding: f}})
	})
}
