package finding

import (
	"fmt"
	"strings"
)

// Severity of a finding.
type Severity uint8

// Severities, in increasing order.
const (
	Low Severity = iota + 1
	Medium
	High
	Critical
)

var severityNames = [...]string{Low: "low", Medium: "medium", High: "high", Critical: "critical"}

func (s Severity) String() string {
	if int(s) < len(severityNames) && s > 0 {
		return severityNames[s]
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// ParseSeverity parses "low", "medium", "high" or "critical", in any case.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if n != "" && n == strings.ToLower(name) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want low, medium, high or critical)", name)
}
