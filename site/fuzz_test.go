package site

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that it returns
// either a usable Site or Problems with real positions, the same each time.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("seeds: %v %v", files, err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{zonesYAML, policyYAML, prohibitedYAML, "", "version: 1\n", "a: &a [*a]\n", "version: 1\nzones: &z [*z]\n"} {
		f.Add([]byte(s))
	}
	addrs := []netip.Addr{
		netip.MustParseAddr("10.10.1.5"), netip.MustParseAddr("8.8.8.8"),
		netip.MustParseAddr("fd00::1"), {},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err == nil {
			if s == nil {
				t.Fatal("nil Site without error")
			}
			for _, a := range addrs {
				z := s.Zone(a, 711)
				if z == nil {
					t.Fatal("Zone returned nil")
				}
				_ = s.Allows(z, z, "modbus", "tcp", 502)
				_ = s.AssetByIP(a)
				_, _ = s.ProhibitedAddr(a)
			}
			_, _ = s.ProhibitedDomain(data)
			return
		}
		if s != nil {
			t.Fatal("Site returned with an error")
		}
		var ps Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("error %v (%T) is not Problems", err, err)
		}
		for _, p := range ps {
			if p.Line < 1 || p.Col < 0 || p.Msg == "" || p.File != "fuzz.yaml" {
				t.Fatalf("bad problem %+v", p)
			}
		}
		if _, err2 := Parse("fuzz.yaml", data); err2 == nil || err2.Error() != err.Error() {
			t.Fatalf("Parse is not deterministic:\n%v\n---\n%v", err, err2)
		}
	})
}

// FuzzProhibitedDomain checks the allocation-free matcher against the
// obvious string-based one.
func FuzzProhibitedDomain(f *testing.F) {
	s, err := Parse("fuzz.yaml", []byte(prohibitedYAML))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		"logink.cn", "WWW.LOGINK.CN.", "notlogink.cn", "x.api.logink.cn", "example-bad.cn",
		"deep.sub.example-bad.cn", "", ".", strings.Repeat("a.", 150) + "logink.org",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, name []byte) {
		got, ok := s.ProhibitedDomain(name)
		want, wantOK := slowProhibited(s, string(name))
		if ok != wantOK || got != want {
			t.Fatalf("ProhibitedDomain(%q) = %+v, %v; want %+v, %v", name, got, ok, want, wantOK)
		}
	})
}

// slowProhibited is the reference: lower-case ASCII, drop one trailing
// dot, then try every listed pattern.
func slowProhibited(s *Site, name string) (Match, bool) {
	b := []byte(strings.TrimSuffix(name, "."))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	n := string(b)
	var best Match
	found := false
	for pattern, m := range s.domains {
		if n != pattern && !strings.HasSuffix(n, "."+pattern) {
			continue
		}
		switch {
		case !found,
			m.Source == SourceLOGINK && best.Source != SourceLOGINK,
			m.Source == best.Source && len(m.Pattern) > len(best.Pattern):
			best, found = m, true
		}
	}
	return best, found
}
