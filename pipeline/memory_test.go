package pipeline

import (
	"runtime"
	"testing"

	"harborwatch/flow"
)

func TestFlowMemoryFloor(t *testing.T) {
	one := FlowMemoryFloor(1)
	if flows := int64(minFlowsPerShard) * int64(flow.EntrySize[flowX]()); one != flows+flows/(hostShare-1) {
		t.Errorf("FlowMemoryFloor(1) = %d, want %d flows and their hosts' share", one, minFlowsPerShard)
	}
	if got := FlowMemoryFloor(3); got != 3*one {
		t.Errorf("FlowMemoryFloor(3) = %d, want %d", got, 3*one)
	}
	if got := FlowMemoryFloor(0); got != int64(runtime.NumCPU())*one {
		t.Errorf("FlowMemoryFloor(0) = %d, want one per CPU", got)
	}
}

// TestBudgetFloor: a run given FlowMemoryFloor gets its least flow table
// in each shard.
func TestBudgetFloor(t *testing.T) {
	for _, w := range []int{1, 2, 3} {
		b := budgetOf(FlowMemoryFloor(w), w)
		if b.flows != minFlowsPerShard || b.flowBytes < int64(minFlowsPerShard)*int64(flow.EntrySize[flowX]())-int64(w) {
			t.Errorf("%d workers: %+v", w, b)
		}
		if b.hostBytes <= 0 {
			t.Errorf("%d workers: no host share: %+v", w, b)
		}
	}
}

func TestMemoryLimit(t *testing.T) {
	if got, want := MemoryLimit(64<<20, 2), int64(64<<20+RunOverhead+2*ShardOverhead); got != want {
		t.Errorf("MemoryLimit(64MiB, 2) = %d, want %d", got, want)
	}
	if got, want := MemoryLimit(0, 1), int64(DefaultFlowMemory+RunOverhead+ShardOverhead); got != want {
		t.Errorf("MemoryLimit(0, 1) = %d, want %d", got, want)
	}
	if got, want := MemoryLimit(1, 1), FlowMemoryFloor(1)+RunOverhead+ShardOverhead; got != want {
		t.Errorf("MemoryLimit(1, 1) = %d, want the floor's %d", got, want)
	}
}
