package finding

import (
	"fmt"
	"slices"
	"testing"
)

// TestEarliest: the earliest MaxEvidence marks, once each, in packet
// order (capture file first), whatever the order given.
func TestEarliest(t *testing.T) {
	var marks []Mark
	for i := 30; i > 0; i-- {
		marks = append(marks, Mark{File: int32(i % 2), Packet: int64(i)}, Mark{File: int32(i % 2), Packet: int64(i)})
	}
	got := Earliest(marks)
	if len(got) != MaxEvidence || len(marks) != 60 || marks[0].Packet != 30 {
		t.Fatalf("%d marks (given %d, first %v)", len(got), len(marks), marks[0])
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].Compare(got[i]) >= 0 {
			t.Fatalf("not sorted once each: %v", got)
		}
	}
	if got[0] != (Mark{File: 0, Packet: 2}) || got[14] != (Mark{File: 0, Packet: 30}) || got[15] != (Mark{File: 1, Packet: 1}) {
		t.Errorf("earliest = %v", got)
	}
}

// TestEvidenceOf: marks grouped by capture file in the order given; a file
// beyond the run's list is named by its index; no marks, no evidence (but
// a list).
func TestEvidenceOf(t *testing.T) {
	got := EvidenceOf([]Mark{{0, 1}, {0, 5}, {1, 2}, {2, 7}, {0, 9}}, []string{"a.pcap", "b.pcap"})
	want := []Evidence{
		{Capture: "a.pcap", Packets: []int64{1, 5}},
		{Capture: "b.pcap", Packets: []int64{2}},
		{Capture: "#2", Packets: []int64{7}},
		{Capture: "a.pcap", Packets: []int64{9}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("EvidenceOf = %v, want %v", got, want)
	}
	if e := EvidenceOf(nil, nil); e == nil || len(e) != 0 {
		t.Errorf("EvidenceOf(nil) = %#v", e)
	}
	if !slices.IsSortedFunc([]Mark{{0, 9}, {1, 1}, {1, 2}}, Mark.Compare) {
		t.Error("Compare does not order by file, then packet")
	}
}
