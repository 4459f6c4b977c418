package finding

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestExpectOf(t *testing.T) {
	ip := netip.MustParseAddr
	tests := []struct {
		name string
		f    Finding
		want Expect
	}{
		{"flow", Finding{Rule: RuleEgressExternal, Src: Host{IP: ip("10.10.11.5")}, Dst: Host{IP: ip("198.51.100.23")}, App: "https"},
			Expect{RuleEgressExternal, "10.10.11.5", "198.51.100.23", "https"}},
		{"device: no application", Finding{Rule: RuleUnknownDevice, Src: Host{IP: ip("10.10.1.64")}, App: "rtsp"},
			Expect{Rule: RuleUnknownDevice, Src: "10.10.1.64"}},
		{"multi-homed keeps the second address", Finding{Rule: RuleMultiHomed, Src: Host{IP: ip("10.10.9.35")}, Dst: Host{IP: ip("10.10.1.35")}},
			Expect{Rule: RuleMultiHomed, Src: "10.10.9.35", Dst: "10.10.1.35"}},
		{"declared only: no address", Finding{Rule: RuleMissingDevice, Src: Host{Asset: "plc9"}}, Expect{Rule: RuleMissingDevice}},
		{"unknown rule keeps everything", Finding{Rule: "no.such-rule", Src: Host{IP: ip("10.0.0.1")}, App: "dns"},
			Expect{Rule: "no.such-rule", Src: "10.0.0.1", App: "dns"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExpectOf(&tt.f); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	for e, want := range map[Expect]string{
		{RuleEgressExternal, "10.10.11.5", "198.51.100.23", "https"}: "egress.external 10.10.11.5 → 198.51.100.23 (https)",
		{Rule: RuleUnknownDevice, Src: "10.10.1.99"}:                 "inventory.unknown-device 10.10.1.99",
		{Src: "10.10.9.20", Dst: "10.10.1.5", App: "s7comm"}:         "10.10.9.20 → 10.10.1.5 (s7comm)",
	} {
		if got := e.String(); got != want {
			t.Errorf("%+v reads %q, want %q", e, got, want)
		}
	}
}

// TestCheck compares findings with a truth that misses some, forbids
// some and names quiet flows.
func TestCheck(t *testing.T) {
	ip := netip.MustParseAddr
	flow := func(rule, src, dst, app string) Finding {
		return Finding{Rule: rule, Src: Host{IP: ip(src)}, Dst: Host{IP: ip(dst)}, App: app}
	}
	egress := Expect{RuleEgressExternal, "10.10.11.5", "198.51.100.23", "https"}
	unknown := Expect{Rule: RuleUnknownDevice, Src: "10.10.1.64"}
	download := Expect{RuleICSProgramDownload, "10.10.9.20", "10.10.1.5", "s7comm"}
	fs := []Finding{
		flow(RuleEgressExternal, "10.10.11.5", "198.51.100.23", "https"),
		{Rule: RuleUnknownDevice, Src: Host{IP: ip("10.10.1.64")}, App: "rtsp"},
		flow(RuleICSProgramDownload, "10.10.9.20", "10.10.1.5", "s7comm"),
		flow(RuleCrossZone, "10.10.1.64", "10.10.9.40", "rtsp"),
		flow(RuleCrossZone, "10.10.1.64", "10.10.9.40", "rtsp"),
	}
	t.Run("exact", func(t *testing.T) {
		m := Check(fs[:2], []Expect{egress, unknown}, []Expect{download, {Src: "10.10.9.30", Dst: "10.10.1.5", App: "s7comm"}})
		if !m.OK() || m.Expected != 2 || len(m.Problems()) != 0 {
			t.Errorf("%+v", m)
		}
	})
	t.Run("differences", func(t *testing.T) {
		missing := Expect{Rule: RuleNotIsolated, Src: "10.10.1.64"}
		quiet := Expect{Src: "10.10.1.64", Dst: "10.10.9.40", App: "rtsp"}
		m := Check(fs, []Expect{egress, missing, unknown}, []Expect{download, quiet, {Src: "10.10.9.30", Dst: "10.10.1.5", App: "s7comm"}})
		cross := Expect{RuleCrossZone, "10.10.1.64", "10.10.9.40", "rtsp"}
		if m.OK() || m.Expected != 3 || !slices.Equal(m.Missing, []Expect{missing}) ||
			!slices.Equal(m.Unexpected, []Expect{download, cross}) || !slices.Equal(m.Forbidden, []Expect{download}) ||
			!slices.Equal(m.Noisy, []Expect{quiet}) || !slices.Equal(m.Repeated, []Expect{cross}) {
			t.Errorf("%+v", m)
		}
		want := []string{
			"missing finding supplier.not-isolated 10.10.1.64",
			"unexpected finding ics.program-download 10.10.9.20 → 10.10.1.5 (s7comm)",
			"unexpected finding segmentation.cross-zone 10.10.1.64 → 10.10.9.40 (rtsp)",
			"forbidden finding ics.program-download 10.10.9.20 → 10.10.1.5 (s7comm)",
			"normal flow 10.10.1.64 → 10.10.9.40 (rtsp) produced a finding",
			"finding segmentation.cross-zone 10.10.1.64 → 10.10.9.40 (rtsp) reported twice",
		}
		if got := m.Problems(); !slices.Equal(got, want) {
			t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("nothing expected, nothing found", func(t *testing.T) {
		if m := Check(nil, nil, nil); !m.OK() || m.Expected != 0 {
			t.Errorf("%+v", m)
		}
	})
}
