package yamlfile

import (
	"strings"
	"testing"
)

func TestCountry(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"CN", "CN", true},
		{"cn", "CN", true},
		{"Us", "US", true},
		{"CHN", "", false},
		{"C1", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := Country(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Country(%q) = %q, %v", tt.in, got, ok)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"id", "kind", "cidrs", "vlans"}
	many := make([]string, 31)
	for i := range many {
		many[i] = strings.Repeat("x", i+5)
	}
	tests := []struct {
		name, in string
		options  []string
		want     string
	}{
		{"missing letter", "cidr", keys, ` (did you mean "cidrs"?)`},
		{"swapped letters", "knid", keys, ` (did you mean "kind"?)`},
		{"case", "VLANS", keys, ` (did you mean "vlans"?)`},
		{"too far", "colour", keys, " (valid: id, kind, cidrs, vlans)"},
		{"empty input", "", keys, " (valid: id, kind, cidrs, vlans)"},
		{"no options", "x", nil, ""},
		{"too many options", "abc", many, ""},
		{"very long input", strings.Repeat("c", 100), keys, " (valid: id, kind, cidrs, vlans)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Suggest(tt.in, tt.options); got != tt.want {
				t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "abc", 0},
		{"cidr", "cidrs", 1},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
		{"flaw", "lawn", 2},
		{"knid", "kind", 1},
		{"ca", "abc", 3},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := editDistance(tt.a, tt.b); got != tt.want {
				t.Errorf("editDistance = %d, want %d", got, tt.want)
			}
			if got := editDistance(tt.b, tt.a); got != tt.want {
				t.Errorf("editDistance reversed = %d, want %d", got, tt.want)
			}
		})
	}
}
