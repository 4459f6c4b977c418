package report

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"harborwatch/finding"
	"harborwatch/internal/textsafe"
	"harborwatch/inventory"
	"harborwatch/runstats"
)

// hostileDoc is a report every name of which is s: the facility, the
// capture file and its damage, zones and assets, a finding's title, the
// TFTP file name, the looked-up name, the evidence and the pcap excerpt.
func hostileDoc(s string) *Document {
	t0 := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	st := runstats.Stats{
		Captures: []runstats.Capture{{File: s + ".pcap", Packets: 3, Bytes: 300, Error: s}},
		Packets:  3, Bytes: 300, Flows: 1, FirstTS: &t0, LastTS: &t0,
		DecodeErrors: map[string]uint64{s: 1},
	}
	fs := []finding.Finding{{
		ID: "HW-1", Rule: finding.RuleFileTransfer, Severity: finding.Critical, Title: "tftp file transfer between " + s,
		Src:       finding.Host{IP: netip.MustParseAddr("10.50.7.77"), Zone: s, Asset: s},
		Dst:       finding.Host{IP: netip.MustParseAddr("10.10.1.5"), Zone: s, Asset: s, MAC: s},
		Transport: "udp", App: "tftp", DPort: 69, FirstSeen: t0, LastSeen: t0, Count: 1,
		Evidence: []finding.Evidence{{Capture: s + ".pcap", SHA256: s, Packets: []int64{1}}},
		Pcap:     &finding.PcapFile{Path: s, Packets: 1, Bytes: 60, SHA256: s},
		Controls: []string{s},
		Detail: map[string]any{"files": []map[string]string{{"op": "upload", "name": s}}, "names": []string{s},
			"matched": []string{s}, "lists": []string{s}, "functions": []string{s}, "objects": []string{s},
			"declared_in": []string{s}, "addresses": []map[string]any{{"ip": s, "zone": s, "vlan": 1}}},
	}, {
		ID: "HW-2", Rule: finding.RuleMismatch, Severity: finding.Medium, Title: s,
		Src:    finding.Host{IP: netip.MustParseAddr("10.10.1.5"), Zone: s, Asset: s, MAC: s},
		Detail: map[string]any{"field": s, "declared": []string{s}, "observed": s},
	}, {
		ID: "HW-3", Rule: finding.RuleNotIsolated, Severity: finding.High, Title: s,
		Src:    finding.Host{IP: netip.MustParseAddr("10.10.1.6"), Zone: s, Asset: s},
		Detail: map[string]any{"supplier": s, "reason": s, "lists": []map[string]any{{"name": s, "citation": s, "date": s}}},
	}}
	return NewDocument(&Facility{ID: s, Name: s, Port: s}, st, fs, inventory.Build(inventory.Options{}))
}

// TestTextEscapes: names with controls, C1 and bidi characters print
// escaped wherever they appear; printable names print as they are.
func TestTextEscapes(t *testing.T) {
	const raw = "fw\x1b[2J\a\u009b1m\u202egpj.exe\n\tx"
	const shown = `fw\x1b[2J\x07\u009b1m\u202egpj.exe\n\tx`
	var b bytes.Buffer
	if err := Text(&b, hostileDoc(raw)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for i, line := range strings.Split(out, "\n") {
		if !textsafe.Safe(line) {
			t.Errorf("line %d raw: %q", i+1, line)
		}
	}
	title := "harborwatch analysis — " + shown + ", " + shown
	for _, want := range []string{
		title + "\n" + strings.Repeat("=", len([]rune(title))) + "\n",
		"capture  " + shown + ".pcap: 3 packets",
		"         DAMAGED: " + shown + " (packets",
		"malformed headers: " + shown + " 1\n",
		"  " + shown + " → " + shown + "\n",
		"    file-transfer.insecure  tftp file transfer between " + shown + "\n",
		"        10.50.7.77 (" + shown + ") → 10.10.1.5 (" + shown + ") port 69/udp\n",
		"        file  upload " + shown + "\n",
		"        names " + shown + "\n",
		"        evidence " + shown + ".pcap (sha256 " + shown + ") packets 1\n",
		"        pcap " + shown + " (1 packet, 60 bytes, sha256 " + shown + ")\n",
		"        addresses " + shown + " (" + shown + ", vlan 1)\n",
		"        " + shown + " declared [" + shown + "], observed " + shown + "\n",
		"  mac " + shown + "\n",
		"        supplier " + shown + ": " + shown + "\n",
		"        listed " + shown + " (" + shown + ", " + shown + ")\n",
		"        controls " + shown + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}

	b.Reset()
	if err := Text(&b, hostileDoc("Hafen Köln — 港口 \\x1b")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "file  upload Hafen Köln — 港口 \\x1b\n") {
		t.Errorf("printable name changed:\n%s", b.String())
	}
}

// FuzzText: whatever the names, the text report holds no raw control,
// bidi or separator character and no invalid UTF-8.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "fw.bin", "\x1b[2J", "\u009b", "\u202e", "\xff", "a\nb\tc\rd", "%s%d%!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		if err := Text(&b, hostileDoc(s)); err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(b.String(), "\n") {
			if !textsafe.Safe(line) {
				t.Fatalf("name %q: line %d raw: %q", s, i+1, line)
			}
		}
	})
}
