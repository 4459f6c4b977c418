package auth

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Day and Week are the units ParseDuration adds to Go's.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// maxDays is the most whole days a time.Duration holds (about 292 years).
const maxDays = math.MaxInt64 / int64(Day)

// ParseDuration parses a duration of --expires or --retain-events: a Go
// duration ("12h", "90m", "1h30m") whose components may also use the units
// d (24 hours) and w (7 days) with a whole number: "30d", "2w", "1w3d12h".
// A leading sign is accepted as by time.ParseDuration; callers that need a
// positive duration check for it.
func ParseDuration(s string) (time.Duration, error) {
	fail := func() (time.Duration, error) {
		return 0, fmt.Errorf("invalid duration %q: want numbers with units ns, us, ms, s, m, h, d (days) or w (weeks), e.g. 30d, 12h, 2w", s)
	}
	rest, neg := s, false
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		neg, rest = rest[0] == '-', rest[1:]
	}
	if rest == "" {
		return fail()
	}
	var days int64             // from d and w components
	var goPart strings.Builder // the other components, for time.ParseDuration
	for rest != "" {
		i := strings.IndexFunc(rest, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i == 0 {
			return fail()
		}
		if i < 0 {
			i = len(rest)
		}
		num := rest[:i]
		j := strings.IndexFunc(rest[i:], func(r rune) bool { return (r >= '0' && r <= '9') || r == '.' })
		if j < 0 {
			j = len(rest) - i
		}
		unit := rest[i : i+j]
		rest = rest[i+j:]
		mult := int64(0)
		switch unit {
		case "d":
			mult = 1
		case "w":
			mult = 7
		default:
			goPart.WriteString(num + unit)
			continue
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: %s%s: days and weeks take a whole number", s, num, unit)
		}
		if n > maxDays/mult || days+n*mult > maxDays {
			return 0, fmt.Errorf("invalid duration %q: too long (at most %d days)", s, maxDays)
		}
		days += n * mult
	}
	d := time.Duration(days) * Day
	if goPart.Len() > 0 {
		g, err := time.ParseDuration(goPart.String())
		if err != nil {
			return fail()
		}
		if g > math.MaxInt64-d {
			return 0, fmt.Errorf("invalid duration %q: too long", s)
		}
		d += g
	}
	if neg {
		d = -d
	}
	return d, nil
}
