package finding

import (
	"fmt"
	"slices"
)

// Mark points at one packet a finding may rest on: the index of its
// capture file in the run and its 1-based packet number in that file. The
// packet path keeps marks (they are small and copy freely); EvidenceOf
// turns them into the Evidence a finding carries once the capture files'
// names are known.
type Mark struct {
	File   int32
	Packet int64
}

// Compare orders marks by capture file, then packet number: the order of
// the packets in the run.
func (m Mark) Compare(o Mark) int {
	switch {
	case m.File < o.File, m.File == o.File && m.Packet < o.Packet:
		return -1
	case m == o:
		return 0
	}
	return 1
}

// Earliest returns the earliest MaxEvidence of marks, once each, sorted, in
// a new slice.
func Earliest(marks []Mark) []Mark {
	marks = slices.Clone(marks)
	slices.SortFunc(marks, Mark.Compare)
	marks = slices.Compact(marks)
	if len(marks) > MaxEvidence {
		marks = marks[:MaxEvidence]
	}
	return marks
}

// EvidenceOf groups marks, in the order given, by capture file: each run
// of marks in one file is one Evidence. captures names the run's capture
// files by index (a file beyond it is named "#N"). It never returns nil, so
// that a finding without evidence still carries an empty list.
func EvidenceOf(marks []Mark, captures []string) []Evidence {
	out := []Evidence{}
	for _, m := range marks {
		name := fmt.Sprintf("#%d", m.File)
		if int(m.File) < len(captures) {
			name = captures[m.File]
		}
		if n := len(out); n > 0 && out[n-1].Capture == name {
			out[n-1].Packets = append(out[n-1].Packets, m.Packet)
			continue
		}
		out = append(out, Evidence{Capture: name, Packets: []int64{m.Packet}})
	}
	return out
}
