package pipeline

import (
	"runtime"
	"unsafe"

	"harborwatch/flow"
)

// minFlowsPerShard is the fewest flows a shard's table holds, whatever
// Options.FlowMemory says: a smaller table would evict the flows of an
// ordinary crane network as they happen.
const minFlowsPerShard = 1024

// minReassembly is the least memory a shard's TCP reassembly may hold,
// whatever its flow table takes: two streams waiting for the largest PDU
// an analyzer frames.
const minReassembly = 4 * flow.MaxPending

// DefaultFlowMemory is the memory budget of a run when
// Options.FlowMemory is 0.
const DefaultFlowMemory = 256 << 20

// The memory budget (Options.FlowMemory) is shared out evenly between the
// shards, and each shard's share is split:
//
//   - a quarter (hostShare) for the observation tables: hosts, MACs,
//     identities and stations (observe.Options.MaxBytes); the entries
//     beyond it are counted in hosts_dropped;
//   - the rest for the flow table and the TCP reassembly buffers charged
//     against it: the table holds at most that many bytes of flows (the
//     least recently used flow is evicted beyond it, counted in
//     evicted_flows), and reassembly may hold what the table has not
//     allocated (at least minReassembly): beyond it the pending bytes of
//     the stream that waited longest are dropped, counted in
//     tcp_dropped_bytes.
//
// Outside the budget stay a constant per shard (its batches of packets in
// flight, decode and analyzer state) and the run's merged results.
const hostShare = 4

// budget is one shard's share of the memory budget.
type budget struct {
	flows     int   // flow table size
	flowBytes int64 // bytes for the flow table and reassembly
	hostBytes int64 // bytes for the observation tables
}

// budgetOf splits mem (0 → DefaultFlowMemory) over workers shards.
func budgetOf(mem int64, workers int) budget {
	if mem <= 0 {
		mem = DefaultFlowMemory
	}
	per := mem / int64(workers)
	b := budget{hostBytes: per / hostShare}
	b.flowBytes = per - b.hostBytes
	b.flows = int(b.flowBytes / int64(flow.EntrySize[flowX]()))
	if b.flows < minFlowsPerShard {
		b.flows = minFlowsPerShard
	}
	return b
}

// FlowMemoryFloor returns the least flow memory a run over workers shards
// (0 → one per CPU, as Options.Workers) uses: an Options.FlowMemory below
// it is raised to it.
func FlowMemoryFloor(workers int) int64 {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	flows := minFlowsPerShard * int64(flow.EntrySize[flowX]())
	return (flows + flows/(hostShare-1)) * int64(workers)
}

// anStateBytes is what one analyzer state takes besides its buffers.
const anStateBytes = int64(unsafe.Sizeof(anState{}))

// reasmLimit is the memory TCP reassembly may hold in a shard: what the
// flow table has not allocated of its bytes, at least minReassembly.
func (s *shard) reasmLimit() int64 {
	return max(s.flowBytes-s.flows.Mem(), minReassembly)
}

// charge records the memory st's streams hold now and, when reassembly
// holds more than its limit, takes it back: first from the analyzer
// states on the free list, then from the streams that waited longest.
func (s *shard) charge(st *anState) {
	m := int64(st.streams[0].Mem() + st.streams[1].Mem())
	s.reasm += m - st.mem
	st.mem = m
	if m > 0 {
		s.waiting.touch(st)
	} else {
		s.waiting.remove(st)
	}
	if s.reasm <= s.reasmLimit() {
		return
	}
	s.shed()
}

// shed gives back reassembly memory until it is within its limit.
func (s *shard) shed() {
	limit := s.reasmLimit()
	for s.reasm > limit && len(s.an.free) > 0 {
		n := len(s.an.free) - 1
		st := s.an.free[n]
		s.an.free[n] = nil
		s.an.free = s.an.free[:n]
		s.reasm -= st.mem + anStateBytes
	}
	for s.reasm > limit && s.waiting.tail != nil {
		st := s.waiting.tail
		s.waiting.remove(st)
		for i := range st.streams {
			str := &st.streams[i]
			before := str.Stats()
			str.Shed()
			after := str.Stats()
			s.shedBytes += after.DroppedBytes - before.DroppedBytes
		}
		s.reasm -= st.mem
		st.mem = 0
	}
}

// lru is a list of the analyzer states whose streams hold buffers, most
// recently fed first; the links live in the states (no allocation).
type lru struct{ head, tail *anState }

func (l *lru) touch(st *anState) {
	if l.head == st {
		return
	}
	l.remove(st)
	st.next = l.head
	if l.head != nil {
		l.head.prev = st
	}
	l.head = st
	if l.tail == nil {
		l.tail = st
	}
	st.listed = true
}

func (l *lru) remove(st *anState) {
	if !st.listed {
		return
	}
	if st.prev != nil {
		st.prev.next = st.next
	} else {
		l.head = st.next
	}
	if st.next != nil {
		st.next.prev = st.prev
	} else {
		l.tail = st.prev
	}
	st.prev, st.next, st.listed = nil, nil, false
}

// What a run takes besides its memory budget (Options.FlowMemory): the
// program, the merged results and the report built from them
// (RunOverhead), and per shard its batches of packets in flight and its
// decode and analyzer state (ShardOverhead). A run's peak memory stays
// under MemoryLimit when the Go runtime is held to it
// (runtime/debug.SetMemoryLimit): the garbage collector then works harder
// rather than let the heap double.
const (
	RunOverhead   = 64 << 20
	ShardOverhead = 16 << 20
)

// binarySlack is what the process holds outside the Go runtime's memory
// limit (program text, data, the runtime's own maps): GCLimit leaves room
// for it under MemoryLimit.
const binarySlack = 16 << 20

// GCLimit is the limit to hold the Go runtime to
// (runtime/debug.SetMemoryLimit) so that a run stays under MemoryLimit.
func GCLimit(mem int64, workers int) int64 { return MemoryLimit(mem, workers) - binarySlack }

// MemoryLimit returns the memory a run over workers shards (0 → one per
// CPU) with the memory budget mem (0 → DefaultFlowMemory; raised to
// FlowMemoryFloor) stays under.
func MemoryLimit(mem int64, workers int) int64 {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	if mem <= 0 {
		mem = DefaultFlowMemory
	}
	mem = max(mem, FlowMemoryFloor(workers))
	return mem + RunOverhead + ShardOverhead*int64(workers)
}
