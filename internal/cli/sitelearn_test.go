package cli

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"harborwatch/finding"
	"harborwatch/internal/synth"
	"harborwatch/site"
)

// learnAndCheck runs site learn on capture, checks the draft with site
// check, analyzes the capture with it and returns the draft, its review
// lines and the findings.
func learnAndCheck(t *testing.T, capture string, more ...string) (*site.Site, []string, []finding.Finding) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "learned.yaml")
	r := runCLI(t, nil, append([]string{"site", "learn", "--out", out}, append(more, capture)...)...)
	if r.code != ExitOK {
		t.Fatalf("site learn: exit %d\n%s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`site learn: \d+ zones?, \d+ conduits?, \d+ assets?, `).MatchString(r.stderr) {
		t.Errorf("no summary on stderr: %q", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout with --out: %q", r.stdout)
	}
	if r := runCLI(t, nil, "site", "check", out); r.code != ExitOK {
		t.Fatalf("site check of the draft: exit %d\n%s", r.code, r.stderr)
	}
	st, err := site.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var reviews []string
	for _, l := range strings.Split(string(text), "\n") {
		if r, ok := strings.CutPrefix(l, "# review: "); ok {
			reviews = append(reviews, r)
		}
	}
	r = runCLI(t, nil, "analyze", "--site", out, "--format", "json", capture)
	if r.code != ExitOK {
		t.Fatalf("analyze with the draft: exit %d\n%s", r.code, r.stderr)
	}
	var doc struct{ Findings []finding.Finding }
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range doc.Findings {
		if f.Rule == finding.RuleCrossZone {
			t.Errorf("the draft leaves a cross-zone finding on the traffic it was learned from: %s", f.Title)
		}
	}
	return st, reviews, doc.Findings
}

// TestSiteLearnTerminal: learned from the example capture of the
// simulated terminal, the draft passes site check, gives no cross-zone
// finding on the same capture, and its zones and assets agree with the
// simulator's truth: no learned zone mixes hosts of two true zones, the
// crane zones get their true kind and VLAN, every declared device that
// sent traffic is an asset with its vendor.
func TestSiteLearnTerminal(t *testing.T) {
	st, reviews, _ := learnAndCheck(t, examplePcap)
	truth, err := site.Parse("truth.yaml", synth.TerminalSite)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := synth.TerminalAssets(synth.TerminalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	learnedOf := map[string]string{} // learned zone → true zone
	byIP := map[netip.Addr]*site.Asset{}
	for _, a := range st.Assets {
		for _, ip := range a.IPs {
			byIP[ip] = a
		}
	}
	kinds, missing := 0, 0
	for _, row := range rows {
		ip := netip.MustParseAddr(row.IP)
		tz, lz := truth.Zone(ip, 0), st.Zone(ip, 0)
		if lz.Builtin {
			t.Errorf("%s (%s, true zone %s) is in no learned zone", row.ID, row.IP, tz.ID)
			continue
		}
		if prev, ok := learnedOf[lz.ID]; ok && prev != tz.ID {
			t.Errorf("learned zone %s mixes hosts of %s and %s", lz.ID, prev, tz.ID)
		}
		learnedOf[lz.ID] = tz.ID
		if tz.Kind.IsCrane() {
			kinds++
			if lz.Kind != tz.Kind {
				t.Errorf("%s: learned zone %s is %s, the true zone %s is %s", row.IP, lz.ID, lz.Kind, tz.ID, tz.Kind)
			}
			if tv := truth.ZoneByID(tz.ID).VLANs; len(tv) != 1 || len(lz.VLANs) != 1 || lz.VLANs[0] != tv[0] {
				t.Errorf("%s: learned VLANs %v, true %v", lz.ID, lz.VLANs, tv)
			}
		}
		a := byIP[ip]
		if a == nil {
			missing++
			t.Errorf("declared device %s (%s) is no learned asset", row.ID, row.IP)
			continue
		}
		// A host behind a router shows no MAC of its own: the draft
		// gives none rather than the router's.
		if a.MAC != (site.MAC{}) && a.MAC.String() != row.MAC {
			t.Errorf("%s: learned MAC %s, true %s", row.ID, a.MAC, row.MAC)
		}
	}
	if kinds < 20 {
		t.Errorf("only %d devices in crane zones checked", kinds)
	}
	if len(st.RemoteAccess.Gateways) != 1 || st.RemoteAccess.Gateways[0] != netip.MustParseAddr("10.20.0.10") {
		t.Errorf("gateways %v, want the simulator's 10.20.0.10", st.RemoteAccess.Gateways)
	}
	for _, want := range []string{
		"a camera on a control network: 10.10.1.64",
		"internet traffic from crane-control zone control-v210: 10.10.11.5 to 198.51.100.23",
		"remote access not through a gateway: rdp from 10.50.7.77",
		"cleartext file transfer (tftp) from 10.50.7.77",
		"one device in 2 zones (multi-homed): 3c:52:82:09:00:99",
	} {
		if !containsPrefix(reviews, want) {
			t.Errorf("no review line %q in:\n%s", want, strings.Join(reviews, "\n"))
		}
	}
}

func containsPrefix(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// TestSiteLearnScenarios: on the capture of each scenario of the
// simulator, the review lines name the planted problem (the addresses of
// every finding it must cause), and the draft leaves no cross-zone
// finding. The simulator's declared inventory is given (--csv), so an
// undeclared device that behaves is named too.
func TestSiteLearnScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and analyzes a capture per scenario")
	}
	dir := t.TempDir()
	for _, sc := range synth.TerminalScenarios {
		if len(sc.Violations) == 0 {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			pcap := filepath.Join(dir, sc.Name+".pcap")
			if r := runCLI(t, nil, "simulate", "--out", pcap, "--scenario", sc.Name); r.code != ExitOK {
				t.Fatalf("simulate: exit %d\n%s", r.code, r.stderr)
			}
			_, reviews, _ := learnAndCheck(t, pcap, "--csv", filepath.Join(dir, sc.Name+".inventory.csv"))
			for _, v := range sc.Violations {
				named := false
				for _, r := range reviews {
					if strings.Contains(r, v.Src+" ") || strings.HasSuffix(r, v.Src) {
						if v.Dst == "" || v.Rule == finding.RuleNotIsolated || strings.Contains(r, v.Dst) {
							named = true
						}
					}
				}
				if !named {
					t.Errorf("%s %s → %s (%s) is named by no review line:\n%s", v.Rule, v.Src, v.Dst, v.App, strings.Join(reviews, "\n"))
				}
			}
		})
	}
}

// TestSiteLearnRealCaptures: on real captures with traffic between
// subnets, the draft passes site check, has a zone per subnet seen, and
// leaves no cross-zone finding on the capture it was learned from.
func TestSiteLearnRealCaptures(t *testing.T) {
	for _, tc := range []struct {
		pcap  string
		zones int
	}{
		{"../../ics/iec104/testdata/104deneme2.pcap", 1},
		{"../../ics/iec104/testdata/iec104.pcap", 2},
		{"../../ics/iec104/testdata/IEC104_SQ.pcapng", 2},
		{"../../ics/bacnet/testdata/bacnet_error_reject_abort.pcap", 2},
		{"../../ics/enip/testdata/set_attribute_single_service_cip.pcapng", 2},
		{"../../ics/enip/testdata/enip_cip_example.pcap", 2},
		{"../../ics/profinet/testdata/profinet_io_cm_mixed_2.pcapng", 1},
		{"../../ics/dcerpc/testdata/opc_read_write.pcap", 1},
	} {
		t.Run(filepath.Base(tc.pcap), func(t *testing.T) {
			st, _, fs := learnAndCheck(t, tc.pcap)
			// No segmentation finding at all: a dual-stack host (an IPv6
			// link-local address beside its IPv4 one) is not multi-homed.
			for _, f := range fs {
				if strings.HasPrefix(f.Rule, "segmentation.") {
					t.Errorf("the draft leaves %s: %s", f.Rule, f.Title)
				}
			}
			if len(st.Zones) != tc.zones {
				t.Errorf("%d zones, want %d", len(st.Zones), tc.zones)
			}
			if len(st.Conduits) == 0 && tc.zones > 1 {
				t.Errorf("no conduit learned")
			}
		})
	}
}

// TestNoSiteSummary: without a site model, the text report of a real
// Modbus capture with no finding still says what went by — its 1,142
// Modbus requests (63 writes) by pair — and points to site learn; with a
// site model there is no such section.
func TestNoSiteSummary(t *testing.T) {
	const pcap = "../../ics/modbus/testdata/modbus_test.pcap"
	r := runCLI(t, nil, "analyze", pcap)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, s := range []string{
		"NO SITE MODEL: nothing was judged against zones, conduits or change windows\n",
		"  ICS requests    1,142\n",
		"    modbus     read                    1,079\n",
		"    modbus     write                      63\n",
		"  harborwatch site learn --out site.yaml CAPTURE...\n",
		"FINDINGS: none\n",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("report lacks %q:\n%s", s, r.stdout)
		}
	}
	if i, j := strings.Index(r.stdout, "NO SITE MODEL"), strings.Index(r.stdout, "FINDINGS:"); i < 0 || j < i {
		t.Errorf("the summary does not open the report")
	}
	r = runCLI(t, nil, "analyze", "--format", "json", pcap)
	var doc struct {
		Seen *struct {
			Requests   uint64 `json:"ics_requests"`
			Operations []struct {
				Proto, Op string
				N         uint64
				Pairs     []struct {
					Client, Server string
					N              uint64
				}
			} `json:"ics_operations"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Seen == nil {
		t.Fatalf("json: %v, seen %v", err, doc.Seen)
	}
	var writes uint64
	for _, o := range doc.Seen.Operations {
		if o.Op == "write" {
			for _, p := range o.Pairs {
				writes += p.N
			}
		}
	}
	if doc.Seen.Requests != 1142 || writes != 63 {
		t.Errorf("json: %d requests, %d writes by pair; want 1142 and 63", doc.Seen.Requests, writes)
	}
	r = runCLI(t, nil, "analyze", "--site", exampleSite, examplePcap)
	if strings.Contains(r.stdout, "NO SITE MODEL") {
		t.Errorf("a report with a site model has the no-site summary")
	}
}

// TestSiteLearnExtend: with --site the draft is the site's text with
// entries inserted — every line of the site is still there, in order —
// it passes site check and leaves no cross-zone finding; the terminal's
// own site gets the conduits of the planted traffic and the undeclared
// devices, no zone; a partial site gets the missing zones and lists; a
// flow-style list that must grow is refused (exit 2).
func TestSiteLearnExtend(t *testing.T) {
	dir := t.TempDir()
	partial := filepath.Join(dir, "partial.yaml")
	if err := os.WriteFile(partial, []byte(`# only crane 1 and management, written by hand
version: 1
facility: {id: t3, name: "Terminal 3"}

zones:
  - {id: sts01-control, kind: crane-control, crane: STS-01, cidrs: [10.10.1.0/24], vlans: [110]}
  # management
  - id: crane-mgmt
    kind: crane-management
    cidrs: [10.10.9.0/24]

conduits:
  - {from: crane-mgmt, to: sts01-control, protocols: [s7comm], ports: [102], operations: [read, session]}

# cranes follow
cranes:
  - {id: STS-01, manufacturer: ZPMC}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	flow := filepath.Join(dir, "flow.yaml")
	if err := os.WriteFile(flow, []byte("version: 1\nzones:\n  - {id: a, kind: business, cidrs: [10.50.0.0/16]}\nconduits: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		site            string
		zones, newZones int
	}{
		{exampleSite, 11, 0},
		{partial, 2, 11},
	} {
		t.Run(filepath.Base(tc.site), func(t *testing.T) {
			orig, err := os.ReadFile(tc.site)
			if err != nil {
				t.Fatal(err)
			}
			st, _, _ := learnAndCheck(t, examplePcap, "--site", tc.site)
			if len(st.Zones) != tc.zones+tc.newZones {
				t.Errorf("%d zones, want %d + %d", len(st.Zones), tc.zones, tc.newZones)
			}
			out := filepath.Join(t.TempDir(), "x.yaml")
			if r := runCLI(t, nil, "site", "learn", "--site", tc.site, "--out", out, examplePcap); r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got, _ := os.ReadFile(out)
			lines := strings.Split(string(got), "\n")
			i := 0
			for _, l := range strings.Split(strings.TrimSuffix(string(orig), "\n"), "\n") {
				for i < len(lines) && lines[i] != l {
					i++
				}
				if i == len(lines) {
					t.Fatalf("line %q of the site is not in the extended one, in order:\n%s", l, got)
				}
				i++
			}
			if !strings.Contains(string(got), "# ---- Extended by 'harborwatch site learn'") {
				t.Errorf("no trailer")
			}
		})
	}
	t.Run("terminal conduits", func(t *testing.T) {
		st, _, _ := learnAndCheck(t, examplePcap, "--site", exampleSite)
		for _, want := range []string{"tos>crane-mgmt rdp", "tos>sts01-control tftp", "sts01-control>crane-mgmt rtsp"} {
			found := false
			for _, c := range st.Conduits {
				if c.From+">"+c.To+" "+strings.Join(c.Protocols, ",") == want {
					found = true
				}
			}
			if !found {
				t.Errorf("no conduit %s added", want)
			}
		}
		for _, ip := range []string{"10.10.1.64", "10.10.1.99", "10.50.7.77", "10.10.9.35"} {
			if st.AssetByIP(netip.MustParseAddr(ip)) == nil {
				t.Errorf("undeclared device %s not added", ip)
			}
		}
	})
	r := runCLI(t, nil, "site", "learn", "--site", flow, examplePcap)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "flow style") || r.stdout != "" {
		t.Errorf("flow-style list: exit %d, stderr %q", r.code, r.stderr)
	}
}
