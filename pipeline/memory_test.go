package pipeline

import (
	"runtime"
	"testing"

	"harborwatch/flow"
)

func TestFlowMemoryFloor(t *testing.T) {
	one := FlowMemoryFloor(1)
	if want := int64(minFlowsPerShard) * int64(flow.EntrySize[flowX]()); one != want {
		t.Errorf("FlowMemoryFloor(1) = %d, want %d", one, want)
	}
	if got := FlowMemoryFloor(3); got != 3*one {
		t.Errorf("FlowMemoryFloor(3) = %d, want %d", got, 3*one)
	}
	if got := FlowMemoryFloor(0); got != int64(runtime.NumCPU())*one {
		t.Errorf("FlowMemoryFloor(0) = %d, want one per CPU", got)
	}
}
