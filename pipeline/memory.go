package pipeline

import (
	"runtime"

	"harborwatch/flow"
)

// minFlowsPerShard is the fewest flows a shard's table holds, whatever
// Options.FlowMemory says: a smaller table would evict the flows of an
// ordinary crane network as they happen.
const minFlowsPerShard = 1024

// FlowMemoryFloor returns the least flow memory a run over workers shards
// (0 → one per CPU, as Options.Workers) uses: an Options.FlowMemory below
// it is raised to it.
func FlowMemoryFloor(workers int) int64 {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	return minFlowsPerShard * int64(flow.EntrySize[flowX]()) * int64(workers)
}
