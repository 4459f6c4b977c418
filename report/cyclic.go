package report

import (
	"cmp"
	"slices"

	"harborwatch/runstats"
)

// maxIOLines bounds the connections the text report lists one by one;
// the JSON report has them all.
const maxIOLines = 20

// cyclicIO writes the cyclic I/O section: the connections counted (those
// whose provider stopped, whose data went invalid or whose status changed
// first, then the busiest), and what could not be counted one by one.
func (t *textWriter) cyclicIO(st *runstats.Stats) {
	io := st.CyclicIO
	if io == nil {
		return
	}
	t.printf("CYCLIC I/O: %s, %s\n", Nouns(uint64(len(io.Conns)), "connection", "connections"), Nouns(io.Frames, "frame", "frames"))
	cs := slices.Clone(io.Conns)
	troubled := func(c *runstats.IOConn) int {
		if c.Stopped+c.Invalid+c.Changes > 0 {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(cs, func(a, b runstats.IOConn) int {
		return cmp.Or(cmp.Compare(troubled(&a), troubled(&b)), cmp.Compare(b.Frames, a.Frames))
	})
	for i := range cs {
		if i == maxIOLines {
			n := uint64(len(cs) - maxIOLines)
			t.printf("  … %s more %s (all in the JSON report)\n", Count(n), pick(n, "connection", "connections"))
			break
		}
		c := &cs[i]
		vlan := ""
		if c.VLAN != 0 {
			vlan = " vlan " + Count(uint64(c.VLAN))
		}
		t.printf("  %s %s → %s%s frame 0x%04x (%s): %s, %s in stop, %s invalid, %s; now %s\n",
			c.Protocol, c.Provider, c.Consumer, vlan, c.FrameID, c.Class, Nouns(c.Frames, "frame", "frames"),
			Count(c.Stopped), Count(c.Invalid), Nouns(c.Changes, "status change", "status changes"), c.LastStatus)
	}
	if io.DroppedFrames > 0 {
		t.printf("  NOT COUNTED one by one: %s of %s more %s (connection table full)\n",
			Nouns(io.DroppedFrames, "frame", "frames"), Count(io.DroppedConns), pick(io.DroppedConns, "connection", "connections"))
	}
	t.printf("\n")
}
