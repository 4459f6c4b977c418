package detect

import "harborwatch/finding"

// Streaming: a State can remember which of its findings changed, so that
// the pipeline hands them on as they happen (at each packet-time epoch)
// instead of only at the end of the run.
//
// A finding made from flows and protocol events (every rule but the
// host-level ones) is owned by the one State that sees its address pair:
// the pipeline shards by the pair, so no other State holds a part of it,
// and the finding Drain gives is the whole finding as it stands. The
// last one given for an ID is the one Finish reports.

// Track makes the State remember the findings that change, for Drain.
// Without it (the default) nothing is remembered and Drain gives nothing.
func (s *State) Track() { s.track = true }

func (s *State) touch(a *agg) {
	if s.track && !a.dirty {
		a.dirty = true
		s.dirty = append(s.dirty, a)
	}
}

// Drain calls emit with every finding of this State that changed since
// the last Drain, as it stands now, in the order they first changed; first
// is true the first time a finding is given. The Finding is the caller's
// to keep. captures names the run's capture files by index.
func (s *State) Drain(captures []string, emit func(f finding.Finding, first bool)) {
	for i, a := range s.dirty {
		a.dirty = false
		first := !a.emitted
		a.emitted = true
		s.dirty[i] = nil
		emit(s.e.aggFinding(a, captures), first)
	}
	s.dirty = s.dirty[:0]
}

// Pending reports how many findings changed since the last Drain.
func (s *State) Pending() int { return len(s.dirty) }

// HostLevel reports whether a rule is judged over every shard's
// observations at the end of a run (multi-homed hosts, devices the
// inventory does not list) rather than as flows and events happen.
func HostLevel(rule string) bool {
	return rule == finding.RuleMultiHomed || rule == finding.RuleUnknownDevice
}
