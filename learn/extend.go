package learn

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrFlowList is returned when the site to extend writes a list the
// draft must add to in flow style ([...]): entries can be added only to
// a block list.
var ErrFlowList = errors.New("learn: cannot extend a list written in flow style")

// extend inserts the drafted zones, conduits and assets into the text of
// the site extended, after the last entry of each list (a list it does
// not have is added at the end), and appends the review as comments. No
// line of the site is changed or removed.
func (d *Draft) extend(opts Options, head []byte) ([]byte, error) {
	st, text := opts.Existing, opts.ExistingText
	lines := strings.SplitAfter(string(text), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		lines[n-1] += "\n"
	}
	type insertion struct {
		at    int // index of the line before which it goes (len(lines): the end)
		key   string
		entry []byte
	}
	var ins []insertion
	var appended []string
	add := func(key string, last int, entries []byte) error {
		if len(entries) == 0 {
			return nil
		}
		keyLine := slices.IndexFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, key+":")
		})
		if keyLine < 0 {
			appended = append(appended, key+":\n"+string(entries))
			return nil
		}
		rest := strings.TrimSpace(strings.TrimPrefix(lines[keyLine], key+":"))
		if last == 0 {
			// No entry: the key must open an empty block list ("key:"
			// followed by nothing but comments).
			if rest != "" && !strings.HasPrefix(rest, "#") {
				return fmt.Errorf("%w: %s (line %d): write it as a block list (- …)", ErrFlowList, key, keyLine+1)
			}
			last = keyLine + 1
		}
		entryLine := lines[last-1]
		trimmed := strings.TrimLeft(entryLine, " ")
		indent := entryLine[:len(entryLine)-len(trimmed)]
		if last-1 != keyLine && !strings.HasPrefix(trimmed, "- ") && !strings.HasPrefix(trimmed, "-\n") {
			return fmt.Errorf("%w: %s (line %d): write it as a block list (- …)", ErrFlowList, key, last)
		}
		if last-1 == keyLine {
			indent = "  "
		}
		at := len(lines)
		for i := last; i < len(lines); i++ {
			l := lines[i]
			if l != "" && l[0] != ' ' && l[0] != '\t' && l[0] != '#' && l[0] != '\n' && l[0] != '\r' && l[0] != '-' {
				at = i
				break
			}
		}
		// Comments and blank lines at column 0 just above the next key
		// belong to it.
		for at > last && (strings.TrimSpace(lines[at-1]) == "" || strings.HasPrefix(lines[at-1], "#")) {
			at--
		}
		re := strings.ReplaceAll(string(entries), "\n  ", "\n"+indent)
		re = indent + strings.TrimPrefix(re, "  ")
		ins = append(ins, insertion{at: at, key: key, entry: []byte(re)})
		return nil
	}
	lastLine := func(ls []int) int {
		m := 0
		for _, l := range ls {
			m = max(m, l)
		}
		return m
	}
	var zl, cl, al []int
	for _, z := range st.Zones {
		zl = append(zl, z.Line)
	}
	for _, c := range st.Conduits {
		cl = append(cl, c.Line)
	}
	for _, a := range st.Assets {
		al = append(al, a.Line)
	}
	mark := "learned: "
	if err := add("zones", lastLine(zl), d.zoneLines(mark)); err != nil {
		return nil, err
	}
	if err := add("conduits", lastLine(cl), d.conduitLines(mark)); err != nil {
		return nil, err
	}
	if err := add("assets", lastLine(al), d.assetLines(mark)); err != nil {
		return nil, err
	}
	slices.SortStableFunc(ins, func(a, b insertion) int { return b.at - a.at })
	for _, in := range ins {
		lines = slices.Insert(lines, in.at, string(in.entry))
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
	}
	for _, a := range appended {
		b.WriteString("\n" + a)
	}
	b.WriteString("\n# ---- Extended by 'harborwatch site learn': the entries marked \"learned:\"\n")
	fmt.Fprintf(&b, "# ---- were added (%d zones, %d conduits, %d assets); nothing above was changed.\n", len(d.Zones), len(d.Conduits), len(d.Assets))
	if len(d.Gateways) > 0 {
		gs := make([]string, len(d.Gateways))
		for i, g := range d.Gateways {
			gs[i] = g.String()
		}
		fmt.Fprintf(&b, "# review: guessed remote-access gateways not in remote_access.gateways: %s\n", strings.Join(gs, ", "))
	}
	for _, l := range strings.SplitAfter(string(head), "\n") {
		// The draft's header describes a new file: keep only its review
		// and traffic lists.
		listed := strings.HasPrefix(l, "#   ") && !strings.HasPrefix(l, "#    ")
		if listed || strings.HasPrefix(l, "# review: ") || strings.HasPrefix(l, "# Routers") || strings.HasPrefix(l, "# Internet") || strings.HasPrefix(l, "# REVIEW") {
			b.WriteString(l)
		}
	}
	return b.Bytes(), nil
}
