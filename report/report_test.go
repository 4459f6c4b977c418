package report

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"harborwatch/finding"
	"harborwatch/inventory"
	"harborwatch/runstats"
)

func doc() *Document {
	t0 := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	t1 := t0.Add(90 * time.Second)
	st := runstats.Stats{
		Captures: []runstats.Capture{
			{File: "a.pcap", Packets: 1200, Bytes: 1234567},
			{File: "b.pcapng", Packets: 7, Bytes: 900, Error: "b.pcapng: damaged at byte 4242 (after packet 7): truncated record data", DamageOffset: 4242},
		},
		Packets: 1207, Bytes: 1235467, Flows: 31, EvictedFlows: 4,
		DecodeErrors: map[string]uint64{"tcp": 2, "ipv4": 1},
		Fragments:    3, Truncated: 5, HostsDropped: 0,
		FirstTS: &t0, LastTS: &t1,
	}
	fs := []finding.Finding{{
		ID: "HW-1", Rule: finding.RuleFileTransfer, Severity: finding.Critical, Title: "tftp file transfer between tos and sts01-control",
		Src: finding.Host{IP: netip.MustParseAddr("10.50.7.77"), Zone: "tos"}, Dst: finding.Host{IP: netip.MustParseAddr("10.10.1.5"), Zone: "sts01-control", Asset: "plc1"},
		Transport: "udp", App: "tftp", DPort: 69, FirstSeen: t0, LastSeen: t1, Count: 2,
		Evidence: []finding.Evidence{{Capture: "a.pcap", Packets: []int64{5, 6}}, {Capture: "b.pcapng", Packets: []int64{1}}},
		Controls: []string{"MSCI-XFER-1"},
		Detail:   map[string]any{"files": []map[string]string{{"op": "upload", "name": "fw.bin"}}},
	}, {
		ID: "HW-2", Rule: finding.RuleProhibited, Severity: finding.High, Title: "10.50.1.10 contacts prohibited gateway.logink.cn (logink.cn)",
		Src: finding.Host{IP: netip.MustParseAddr("10.50.1.10"), Zone: "tos"}, Dst: finding.Host{IP: netip.MustParseAddr("10.40.0.53"), Zone: "ot-services"},
		Transport: "udp", App: "dns", DPort: 53, FirstSeen: t0, LastSeen: t0, Count: 1,
		Evidence: []finding.Evidence{{Capture: "a.pcap", Packets: []int64{9}}},
		Controls: []string{"MSCI-TPA-1"},
		Detail:   map[string]any{"names": []string{"gateway.logink.cn"}, "matched": []string{"logink.cn"}, "lists": []string{"builtin:logink"}},
	}}
	return NewDocument(&Facility{ID: "t3", Name: "Terminal 3", Port: "Port of Example"}, st, fs, inventory.Build(inventory.Options{}))
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, doc()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"harborwatch analysis — Terminal 3, Port of Example\n",
		"capture  a.pcap: 1,200 packets, 1,234,567 bytes\n",
		"         DAMAGED: b.pcapng: damaged at byte 4242 (after packet 7): truncated record data (packets before the damage were analyzed)\n",
		"time     2026-11-03 09:00:00.000Z → 2026-11-03 09:01:30.000Z\n",
		"flows 31, 4 EVICTED (flow memory full: raise --flow-memory)\n",
		"damaged  malformed headers: ipv4 1, tcp 2\n",
		"note     3 IP fragments (not reassembled), 5 packets cut by the snap length\n",
		"FINDINGS: 2 (1 critical, 1 high)\n",
		"\nCRITICAL\n  tos → sts01-control\n    file-transfer.insecure  tftp file transfer between tos and sts01-control\n",
		"        10.50.7.77 → 10.10.1.5 (plc1) port 69/udp\n",
		"        2 flows, 2026-11-03 09:00:00.000Z → 2026-11-03 09:01:30.000Z, id HW-1\n",
		"        file  upload fw.bin\n",
		"        evidence a.pcap packets 5 6\n        evidence b.pcapng packets 1\n",
		"\nHIGH\n  tos → ot-services\n",
		"        1 lookup, ",
		"        names gateway.logink.cn\n        matched logink.cn (builtin:logink)\n",
		"ASSETS: 0 devices, 0 declared, 0 seen\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	empty := &Document{Stats: runstats.Stats{}}
	b.Reset()
	if err := Text(&b, empty); err != nil || !strings.Contains(b.String(), "FINDINGS: none\n") {
		t.Errorf("empty report: %v\n%s", err, b.String())
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, doc()); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	st := back["stats"].(map[string]any)
	caps := st["captures"].([]any)
	if back["version"] != 1.0 || caps[1].(map[string]any)["damage_offset"] != 4242.0 || st["evicted_flows"] != 4.0 {
		t.Errorf("document %v", back)
	}
	f := back["findings"].([]any)[0].(map[string]any)
	if f["severity"] != "critical" || f["rule"] != "file-transfer.insecure" || f["dport"] != 69.0 {
		t.Errorf("finding %v", f)
	}
	if !strings.Contains(b.String(), `"first_seen": "2026-11-03T09:00:00Z"`) {
		t.Errorf("times not RFC 3339 UTC:\n%s", b.String())
	}
	// An empty result still has the arrays, not nulls.
	b.Reset()
	JSON(&b, NewDocument(nil, runstats.Stats{}, nil, inventory.Build(inventory.Options{})))
	if !strings.Contains(b.String(), `"findings": []`) || !strings.Contains(b.String(), `"assets": []`) {
		t.Errorf("empty document:\n%s", b.String())
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[uint64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestTextInventoryFinding: a supplier.not-isolated finding shows the
// device's MAC, why the supplier is of concern and the lists naming it;
// one resting on declarations alone says so instead of a time.
func TestTextInventoryFinding(t *testing.T) {
	f := finding.New(finding.Spec{
		Rule: finding.RuleNotIsolated, Severity: finding.High,
		Src:   finding.Host{IP: netip.MustParseAddr("10.10.1.64"), MAC: "44:19:b6:01:00:40", Zone: "sts01-control"},
		Title: "Hikvision device 10.10.1.64 in crane-control zone sts01-control",
		Detail: map[string]any{"supplier": "hikvision", "reason": "MAC 44:19:b6:01:00:40 is in IEEE block 44-19-B6",
			"lists": []map[string]any{{"name": "FCC Covered List", "citation": "P.L. 116-124", "date": "2021-03-12"}}},
	})
	d := NewDocument(nil, runstats.Stats{}, []finding.Finding{f}, inventory.Build(inventory.Options{}))
	var b bytes.Buffer
	if err := Text(&b, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"        10.10.1.64  mac 44:19:b6:01:00:40\n",
		"        from the declarations, id HW-",
		"        supplier hikvision: MAC 44:19:b6:01:00:40 is in IEEE block 44-19-B6\n",
		"        listed FCC Covered List (P.L. 116-124, 2021-03-12)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}

// TestTextLosses: what the stats count as lost or damaged is shown with
// what it may have cost, and counts of one read as one.
func TestTextLosses(t *testing.T) {
	d := doc()
	d.Stats.TCPGaps, d.Stats.TCPDroppedBytes = 12, 4096
	var b bytes.Buffer
	if err := Text(&b, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"lost     4 flows evicted before their end: later packets start new flows, so findings on them may be split or missed\n",
		"lost     tcp gaps 12 (4,096 bytes not analyzed: ICS operations in them may be missed)\n",
		"damaged  malformed headers: ipv4 1, tcp 2\n         (those packets were analyzed only up to the damage: what they carried may be missed)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}

	one := &Document{Stats: runstats.Stats{EvictedFlows: 1, TCPGaps: 1, Fragments: 1, Truncated: 1, ExternalDropped: 1, HostsDropped: 1},
		Inventory: inventory.Summary{Exposure: inventory.Exposure{Assets: 1, Declared: 1}}}
	b.Reset()
	if err := Text(&b, one); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"lost     1 flow evicted before its end: later packets start new flows, so findings on it may be split or missed\n",
		"lost     tcp gaps 1 (ICS operations across them may be missed)\n",
		"note     1 IP fragment (not reassembled), 1 packet cut by the snap length\n",
		"note     1 external address not remembered",
		"note     1 host not remembered",
		"memory   budget full, dropped: 1 flow, 0 bytes of reassembly, 1 host table entry (raise --flow-memory)\n",
		"ASSETS: 1 device, 1 declared, 0 seen\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
	shed := &Document{Stats: runstats.Stats{TCPGaps: 3, TCPDroppedBytes: 70000, TCPShedBytes: 65536}}
	b.Reset()
	if err := Text(&b, shed); err != nil {
		t.Fatal(err)
	}
	if want := "memory   budget full, dropped: 0 flows, 65,536 bytes of reassembly, 0 host table entries (raise --flow-memory)\n"; !strings.Contains(b.String(), want) {
		t.Errorf("text report lacks %q:\n%s", want, b.String())
	}
	// Nothing lost, nothing said.
	b.Reset()
	if err := Text(&b, &Document{}); err != nil || strings.Contains(b.String(), "lost") || strings.Contains(b.String(), "damaged") || strings.Contains(b.String(), "memory") {
		t.Errorf("clean report: %v\n%s", err, b.String())
	}
}

// TestTextPartialAndLinks: a partial run says so on the report's first
// line, with its reason; packets of unknown link types get a line each;
// a whole run says neither.
func TestTextPartialAndLinks(t *testing.T) {
	d := doc()
	d.Stats.Partial, d.Stats.PartialReason = true, "interrupted by SIGINT"
	d.Stats.UnknownLinkTypes = map[string]uint64{"LINKTYPE_147": 3, "LINKTYPE_105": 1}
	var b bytes.Buffer
	if err := Text(&b, d); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(b.String(), "\n")
	if want := "PARTIAL REPORT (interrupted by SIGINT): only the first 1,207 packets were analyzed"; first != want {
		t.Errorf("first line %q, want %q", first, want)
	}
	if want := "unknown  link type LINKTYPE_105: 1 packet not analyzed (no decoder for it)\n" +
		"unknown  link type LINKTYPE_147: 3 packets not analyzed (no decoder for it)\n"; !strings.Contains(b.String(), want) {
		t.Errorf("text report lacks %q:\n%s", want, b.String())
	}
	b.Reset()
	if err := Text(&b, doc()); err != nil || strings.Contains(b.String(), "PARTIAL") || strings.Contains(b.String(), "unknown ") {
		t.Errorf("whole report: %v\n%s", err, b.String())
	}
	var j bytes.Buffer
	if err := JSON(&j, d); err != nil || !strings.Contains(j.String(), `"partial": true,
    "partial_reason": "interrupted by SIGINT",`) {
		t.Errorf("JSON: %v\n%s", err, j.String())
	}
}
