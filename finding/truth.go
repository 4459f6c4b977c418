package finding

import (
	"cmp"
	"fmt"
	"slices"
)

// Expect describes a finding as a ground truth names it: its rule, its
// source and destination addresses, and its application. With an empty
// Rule it describes a flow (Src, Dst, App) that must cause no finding.
// A device rule's expectation names no application and no destination
// but a second address of the same device.
type Expect struct {
	Rule string
	Src  string
	Dst  string
	App  string
}

// ExpectOf describes f as an expectation would: a device rule's finding
// without its application.
func ExpectOf(f *Finding) Expect {
	e := Expect{Rule: f.Rule, App: f.App}
	if f.Src.IP.IsValid() {
		e.Src = f.Src.IP.String()
	}
	if f.Dst.IP.IsValid() {
		e.Dst = f.Dst.IP.String()
	}
	if r, ok := Lookup(f.Rule); ok && r.Device {
		e.App = ""
	}
	return e
}

// String reads "rule src → dst (app)", leaving out what is empty.
func (e Expect) String() string {
	s := e.Src
	if e.Rule != "" {
		s = e.Rule + " " + s
	}
	if e.Dst != "" {
		s += " → " + e.Dst
	}
	if e.App != "" {
		s += " (" + e.App + ")"
	}
	return s
}

// Match is how findings compare with a ground truth.
type Match struct {
	Expected   int      // how many findings the truth expects
	Missing    []Expect // expected and not reported, in the truth's order
	Unexpected []Expect // reported and not expected, sorted by String
	Forbidden  []Expect // reported though the truth forbids them, in its order
	Noisy      []Expect // flows that must cause no finding and caused one, in its order
	Repeated   []Expect // reported more than once, sorted by String
}

// Check compares findings with a ground truth: every finding of must
// reported and no other; none of mustNot (an entry with an empty Rule:
// no finding at all on that flow). A finding is reported twice when two
// findings have one expectation.
func Check(fs []Finding, must, mustNot []Expect) Match {
	got, flows := map[Expect]int{}, map[Expect]bool{}
	for i := range fs {
		e := ExpectOf(&fs[i])
		got[e]++
		e.Rule = ""
		flows[e] = true
	}
	m := Match{Expected: len(must)}
	want := map[Expect]bool{}
	for _, e := range must {
		want[e] = true
		if got[e] == 0 {
			m.Missing = append(m.Missing, e)
		}
	}
	for e, n := range got {
		if !want[e] {
			m.Unexpected = append(m.Unexpected, e)
		}
		if n > 1 {
			m.Repeated = append(m.Repeated, e)
		}
	}
	byString := func(a, b Expect) int { return cmp.Compare(a.String(), b.String()) }
	slices.SortFunc(m.Unexpected, byString)
	slices.SortFunc(m.Repeated, byString)
	for _, e := range mustNot {
		switch {
		case e.Rule == "" && flows[e]:
			m.Noisy = append(m.Noisy, e)
		case e.Rule != "" && got[e] > 0:
			m.Forbidden = append(m.Forbidden, e)
		}
	}
	return m
}

// OK reports whether the findings are exactly the truth's.
func (m *Match) OK() bool {
	return len(m.Missing)+len(m.Unexpected)+len(m.Forbidden)+len(m.Noisy)+len(m.Repeated) == 0
}

// Problems lists what differs from the truth, one line each.
func (m *Match) Problems() []string {
	var out []string
	for _, e := range m.Missing {
		out = append(out, "missing finding "+e.String())
	}
	for _, e := range m.Unexpected {
		out = append(out, "unexpected finding "+e.String())
	}
	for _, e := range m.Forbidden {
		out = append(out, "forbidden finding "+e.String())
	}
	for _, e := range m.Noisy {
		out = append(out, fmt.Sprintf("normal flow %s produced a finding", e))
	}
	for _, e := range m.Repeated {
		out = append(out, "finding "+e.String()+" reported twice")
	}
	return out
}
