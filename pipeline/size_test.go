package pipeline

import (
	"testing"
	"unsafe"
)

// TestFlowXSize: the per-flow state lives inline in every flow-table
// entry; --flow-memory divides by the entry's size, so a larger flowX
// means fewer flows held in the same memory.
func TestFlowXSize(t *testing.T) {
	if n := unsafe.Sizeof(flowX{}); n > 88 {
		t.Errorf("flowX is %d bytes, want at most 88", n)
	}
}
