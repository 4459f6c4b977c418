package auth

import (
	"strings"
	"testing"
)

// FuzzParsePHC: any stored hash string, however damaged, parses into
// bounded parameters or fails; what parses formats back to itself.
func FuzzParsePHC(f *testing.F) {
	h, err := HashPassword("a long enough passphrase")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(h)
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=4294967295,t=3,p=2$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err != nil {
			return
		}
		if p.m > 256<<10 || p.t < 1 || p.t > 10 || p.p < 1 || p.p > 16 {
			t.Fatalf("%q parsed into unbounded parameters %+v", s, p)
		}
		if back := formatPHC(p); back != s {
			t.Fatalf("%q formats back as %q", s, back)
		}
	})
}

// FuzzParseDuration: no panic; what parses is not negative for inputs
// without a minus sign.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30d", "2w", "1w3d12h", "90m", "1.5h", "-1d", "9999999999999w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && d < 0 && !strings.Contains(s, "-") {
			t.Fatalf("%q parsed as %v", s, d)
		}
	})
}
