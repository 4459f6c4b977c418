package export

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"harborwatch/finding"
)

// cefSeverity maps a finding's severity to CEF's 0–10 scale: low → 3,
// medium → 5, high → 8, critical → 10, anything else → 0.
func cefSeverity(s finding.Severity) int {
	switch s {
	case finding.Critical:
		return 10
	case finding.High:
		return 8
	case finding.Medium:
		return 5
	case finding.Low:
		return 3
	}
	return 0
}

// maxCEFMsg is the most characters of the msg extension (ArcSight's limit).
const maxCEFMsg = 1023

// formatCEF returns a change as one ArcSight CEF line:
//
//	CEF:0|harborwatch|harborwatch|VERSION|RULE|TITLE|SEVERITY|EXTENSION
//
// The extension carries rt (the change's time, ms since the epoch), act
// (the change's kind), src/dst (IPv4; IPv6 addresses go to c6a2/c6a3),
// dpt, proto, app, cnt, start/end (first and last seen), cs1 the finding
// id, cs2 the site, cs3 the state, cs4 the controls, cs5 the ATT&CK for
// ICS techniques, cs6 the actor, deviceExternalId (deviceID) and msg (the
// title and the detail). Header fields escape '\' and '|', extension
// values '\', '=' and line breaks; other control characters become spaces.
func formatCEF(version, deviceID string, c Change) string {
	f := &c.F
	var b strings.Builder
	b.WriteString("CEF:0|harborwatch|harborwatch|")
	for _, h := range []string{version, f.Rule, f.Title} {
		b.WriteString(cefHeader(h))
		b.WriteByte('|')
	}
	b.WriteString(strconv.Itoa(cefSeverity(f.Severity)))
	b.WriteByte('|')
	e := ext{b: &b}
	e.add("rt", ms(c.At))
	e.add("act", c.Kind)
	if f.Src.IP.Is4() || f.Src.IP.Is4In6() {
		e.add("src", f.Src.IP.Unmap().String())
	} else if f.Src.IP.IsValid() {
		e.add("c6a2", f.Src.IP.String())
		e.add("c6a2Label", "Source IPv6 Address")
	}
	if f.Dst.IP.Is4() || f.Dst.IP.Is4In6() {
		e.add("dst", f.Dst.IP.Unmap().String())
	} else if f.Dst.IP.IsValid() {
		e.add("c6a3", f.Dst.IP.String())
		e.add("c6a3Label", "Destination IPv6 Address")
	}
	if f.DPort != 0 {
		e.add("dpt", strconv.Itoa(int(f.DPort)))
	}
	e.add("proto", strings.ToUpper(f.Transport))
	e.add("app", f.App)
	e.add("cnt", strconv.FormatUint(f.Count, 10))
	if !f.FirstSeen.IsZero() {
		e.add("start", ms(f.FirstSeen))
		e.add("end", ms(f.LastSeen))
	}
	e.label("cs1", "findingId", f.ID)
	e.label("cs2", "site", c.F.Site)
	e.label("cs3", "state", c.F.State)
	e.label("cs4", "controls", strings.Join(f.Controls, ","))
	e.label("cs5", "techniques", strings.Join(f.Techniques, ","))
	e.label("cs6", "actor", c.Actor)
	e.add("deviceExternalId", deviceID)
	e.add("msg", truncate(message(c), maxCEFMsg))
	return b.String()
}

// ext writes CEF extension pairs, space-separated, skipping empty values.
type ext struct {
	b       *strings.Builder
	started bool
}

func (e *ext) add(key, value string) {
	if value == "" {
		return
	}
	if e.started {
		e.b.WriteByte(' ')
	}
	e.started = true
	e.b.WriteString(key)
	e.b.WriteByte('=')
	e.b.WriteString(cefValue(value))
}

// label adds a custom string and its label when the value is not empty.
func (e *ext) label(key, label, value string) {
	if value != "" {
		e.add(key, value)
		e.add(key+"Label", label)
	}
}

// cefHeader escapes a CEF header field: '\' and '|' are escaped, control
// characters (line breaks included) become spaces.
func cefHeader(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == '|':
			b.WriteByte('\\')
			b.WriteRune(r)
		case isControl(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cefValue escapes a CEF extension value: '\' and '=' are escaped, CR LF
// and LF become \n, CR \r, other control characters spaces.
func cefValue(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == '=':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case isControl(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isControl tells C0 and C1 control characters and the Unicode line and
// paragraph separators, which receivers may take for line breaks.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '\u2028' || r == '\u2029'
}

// message is a change's human text: the title, the reason of a state
// change, then the detail as "key: value" pairs by key.
func message(c Change) string {
	parts := []string{c.F.Title}
	if c.Kind == KindState && c.F.Reason != "" {
		parts = append(parts, "reason: "+c.F.Reason)
	}
	keys := make([]string, 0, len(c.F.Detail))
	for k := range c.F.Detail {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %v", k, c.F.Detail[k]))
	}
	return strings.Join(parts, "; ")
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// ms returns t in ms since the epoch, "" for the zero time.
func ms(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}
