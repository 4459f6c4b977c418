package auth

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	h := time.Hour
	good := map[string]time.Duration{
		"30d":        30 * 24 * h,
		"12h":        12 * h,
		"2w":         14 * 24 * h,
		"90m":        90 * time.Minute,
		"1h30m":      90 * time.Minute,
		"1.5h":       90 * time.Minute,
		"1w3d12h":    (7+3)*24*h + 12*h,
		"1d12h30m":   36*h + 30*time.Minute,
		"0":          0,
		"0d":         0,
		"-1d":        -24 * h,
		"+2w":        14 * 24 * h,
		"500ms":      500 * time.Millisecond,
		"3µs":        3 * time.Microsecond,
		"106751d":    106751 * 24 * h,
		"106751d23h": 106751*24*h + 23*h,
	}
	for s, want := range good {
		got, err := ParseDuration(s)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	bad := map[string]string{
		"":                      "want numbers",
		"d":                     "want numbers",
		"5":                     "want numbers",
		"30days":                "want numbers",
		"1.5d":                  "whole number",
		"1y":                    "want numbers",
		"-":                     "want numbers",
		"12h 30m":               "want numbers",
		"d5":                    "want numbers",
		"106752d":               "too long",
		"20000w":                "too long",
		"15250w1w":              "too long",
		"106751d1d":             "too long",
		"106751d24h":            "too long",
		"99999999999999999999d": "whole number",
	}
	for s, want := range bad {
		got, err := ParseDuration(s)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), s) {
			t.Errorf("ParseDuration(%q) = %v, %v; want an error naming it with %q", s, got, err, want)
		}
	}
}
