package yamlfile

import (
	"strconv"
	"strings"
)

// Problem is one thing wrong with a file, at a 1-based line and column.
// Col is 0 when only the line is known (YAML syntax errors).
type Problem struct {
	File      string
	Line, Col int
	Msg       string
}

// Error formats p as "file:line:col: msg", leaving out the parts not known.
func (p Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
	}
	b.WriteString(p.Position())
	b.WriteString(": ")
	b.WriteString(p.Msg)
	return b.String()
}

// Position formats the line and column as "line:col", or "line" when the
// column is not known.
func (p Problem) Position() string {
	if p.Col > 0 {
		return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
	}
	return strconv.Itoa(p.Line)
}

// Problems is every problem found in a file, sorted by line and column.
type Problems []Problem

// Error joins the problems, one a line.
func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Error()
	}
	return strings.Join(s, "\n")
}
