package web

import (
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode"

	"harborwatch/finding"
	"harborwatch/report"
	"harborwatch/server"
)

func asThrottled(err error, te **server.ThrottledError) bool { return errors.As(err, te) }

// clean drops control and format characters from text shown on a page
// (html/template escapes the rest).
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}

var funcs = template.FuncMap{
	"clean": clean,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"whenp": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"sev":       func(s finding.Severity) string { return s.String() },
	"technique": finding.TechniqueName,
	"num": func(n any) string { // 12,345: the report's thousands
		switch v := n.(type) {
		case int:
			return report.Count(uint64(max(v, 0)))
		case int64:
			return report.Count(uint64(max(v, 0)))
		case uint64:
			return report.Count(v)
		}
		return fmt.Sprint(n)
	},
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
}
