package report

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"harborwatch/finding"
)

// TestLayer2FindingHosts: a finding on a layer-2 exchange (a PROFINET DCP
// Set) names a station whose address is unknown by its MAC.
func TestLayer2FindingHosts(t *testing.T) {
	var buf bytes.Buffer
	tw := &textWriter{w: &buf}
	tw.finding(finding.Finding{Rule: finding.RuleICSConfigChange, Title: "profinet config-change", Transport: "ethernet", App: "profinet",
		Src: finding.Host{MAC: "00:0c:29:ba:09:ea"}, Dst: finding.Host{IP: netip.MustParseAddr("192.168.0.6"), MAC: "08:00:06:93:cf:32"}})
	if !strings.Contains(buf.String(), "00:0c:29:ba:09:ea → 192.168.0.6\n") {
		t.Errorf("report:\n%s", buf.String())
	}
}
