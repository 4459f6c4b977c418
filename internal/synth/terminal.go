package synth

import (
	"cmp"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// TerminalOptions configures Terminal. The zero value gives the shipped
// example capture.
type TerminalOptions struct {
	// Start is the time of the first frame; zero means 2026-11-03T09:00:00Z,
	// outside the site's change window, or TerminalWindowStart, inside it,
	// when a selected scenario needs the window. A Start outside the window
	// with such a scenario makes its truth wrong.
	Start time.Time
	// Seed seeds all randomness; the example uses 0.
	Seed int64
	// NoViolations leaves out the deliberate violations (TerminalViolations),
	// keeping only the normal traffic of TerminalQuiet.
	NoViolations bool
	// Scenarios names the TerminalScenarios to inject (each at most once,
	// in TerminalScenarios order whatever the order here); nil means the
	// example's, an empty non-nil slice none. An unknown name is
	// ErrUnknownScenario.
	Scenarios []string
	// IPv6 adds one DNS exchange over IPv6 (unique local addresses the site
	// model does not zone). Off in the example.
	IPv6 bool
}

// TerminalSite is the site model the Terminal capture is judged against,
// identical to examples/terminal/site.yaml.
//
//go:embed site.yaml
var TerminalSite []byte

// TerminalDuration is how much traffic Terminal writes.
const TerminalDuration = 60 * time.Second

// Violation is one finding a correct analysis of the Terminal capture
// against examples/terminal/site.yaml reports (or, in TerminalQuiet, one
// flow that must not produce any). Src is the client address (for
// device findings: the device's address), Dst the server address (for
// segmentation.multi-homed: the device's other address; empty for
// inventory findings), App the application in the site model's
// protocol vocabulary (empty when the finding is about a device).
// Scenario names the TerminalScenarios entry that causes it (empty for
// TerminalQuiet).
type Violation struct {
	Rule     string `json:"rule,omitempty"`
	Src      string `json:"src"`
	Dst      string `json:"dst,omitempty"`
	App      string `json:"app,omitempty"`
	Scenario string `json:"scenario,omitempty"`
}

// TerminalScenario is one deliberate violation that Terminal can inject
// into the normal traffic, with the findings it must cause.
type TerminalScenario struct {
	Name  string
	Short string // one line for listings
	// Violations are the findings the scenario causes, each with Scenario
	// set to Name.
	Violations []Violation
	// MustNot are findings the scenario's traffic must not cause (a
	// scenario of allowed traffic has only these).
	MustNot []Violation
	// Example is whether the shipped example capture carries the scenario
	// (the selection when TerminalOptions.Scenarios is nil).
	Example bool
	// Window is whether the scenario needs the site's weekly change
	// window: Terminal then starts in it (TerminalWindowStart).
	Window bool
	script func(t *term)
}

// ErrUnknownScenario is returned for a scenario name that
// TerminalScenarios does not list.
var ErrUnknownScenario = errors.New("synth: unknown scenario")

func scenario(name, short string, example bool, script func(t *term), vs ...Violation) TerminalScenario {
	for i := range vs {
		vs[i].Scenario = name
	}
	return TerminalScenario{Name: name, Short: short, Violations: vs, Example: example, script: script}
}

func viol(rule, src, dst, app string) Violation {
	return Violation{Rule: rule, Src: src, Dst: dst, App: app}
}

// TerminalScenarios lists the scenarios in the order of their first
// traffic.
var TerminalScenarios = []TerminalScenario{
	// RDP from a TOS workstation straight to the crane management server
	// (not through the remote-access gateway, and tos → crane-mgmt allows
	// only HTTPS), and TeamViewer from the engineering workstation to the
	// Internet (after a DNS query for router4.teamviewer.com, which itself
	// is allowed).
	scenario("remote-vendor-access", "RDP from the business network to the CMS, TeamViewer from the engineering workstation", true,
		(*term).remoteVendorAccess,
		viol("remote-access.unmanaged", "10.50.7.77", "10.10.9.30", "rdp"),
		viol("segmentation.cross-zone", "10.50.7.77", "10.10.9.30", "rdp"),
		viol("remote-access.unmanaged", "10.10.9.20", "188.172.219.133", "teamviewer"),
		viol("egress.external", "10.10.9.20", "188.172.219.133", "teamviewer")),
	// The one MAC 3c:52:82:09:00:99 sends from crane-mgmt (VLAN 90) and
	// from the business network (untagged); its crane-mgmt address is not
	// in the inventory.
	scenario("multi-homed-cms", "a host in crane management also sends from the business network", true,
		(*term).multiHomed,
		viol("segmentation.multi-homed", "10.10.9.35", "10.50.3.3", ""),
		viol("inventory.unknown-device", "10.10.9.35", "", "")),
	// sts02-plc1 talks TLS to a vendor host on the Internet.
	scenario("crane-egress", "a crane PLC talks TLS to a vendor host on the Internet", true,
		(*term).craneEgress,
		viol("egress.external", "10.10.11.5", "198.51.100.23", "https")),
	// Firmware pushed to the STS-01 PLC by TFTP from the business network
	// (WRQ "s7-1500_fw_v3.1.bin"; the transfer itself runs from a new
	// server port, RFC 1350 §4).
	scenario("firmware-over-tftp", "PLC firmware written by TFTP from the business network", true,
		(*term).firmwareOverTFTP,
		viol("file-transfer.insecure", "10.50.7.77", "10.10.1.5", "tftp"),
		viol("segmentation.cross-zone", "10.50.7.77", "10.10.1.5", "tftp")),
	// A crane project file written over SMB from the business network
	// (\\10.10.9.30\backups, STS01_project.zap16), and spreader parameters
	// uploaded by FTP (STOR spreader_params.cfg; the passive data
	// connection goes to port 50210 of the same host).
	scenario("insecure-file-transfer", "a project file over SMB from the business network, spreader parameters over FTP", true,
		(*term).insecureFileTransfer,
		viol("file-transfer.insecure", "10.50.7.77", "10.10.9.30", "smb"),
		viol("segmentation.cross-zone", "10.50.7.77", "10.10.9.30", "smb"),
		viol("file-transfer.insecure", "10.10.9.20", "10.10.1.20", "ftp"),
		viol("segmentation.cross-zone", "10.10.9.20", "10.10.1.20", "ftp")),
	// The TOS server reaches prohibited destinations: a LOGINK name
	// (built-in list) resolved and contacted, a site-prohibited domain
	// resolved and fetched over HTTP, and an address in a prohibited CIDR.
	scenario("logink-lookup", "the TOS resolves and contacts LOGINK and other prohibited destinations", true,
		(*term).loginkLookup,
		viol("prohibited.destination", "10.50.1.10", "10.40.0.53", "dns"),     // gateway.logink.cn, example-bad.cn
		viol("prohibited.destination", "10.50.1.10", "203.0.113.80", "https"), // SNI gateway.logink.cn
		viol("prohibited.destination", "10.50.1.10", "203.0.113.81", "http"),  // Host: example-bad.cn
		viol("prohibited.destination", "10.50.1.10", "192.0.2.15", "https")),  // 192.0.2.0/24
	// An undeclared device in sts01-control reads the STS-01 PLC over
	// Modbus/TCP (inside the zone, so not cross-zone).
	scenario("unknown-device", "an undeclared device in a crane-control zone reads the PLC", true,
		(*term).unknownDevice,
		viol("inventory.unknown-device", "10.10.1.99", "", "")),
	// A camera opens an S7 connection to the crane PLC (crane-noncritical
	// → crane-control).
	scenario("camera-on-control", "a crane camera opens an S7 connection to the crane PLC", true,
		(*term).cameraOnControl,
		viol("segmentation.cross-zone", "10.10.2.11", "10.10.1.5", "s7comm")),
	// A TOS workstation downloads a block (FC 12) into the STS-01 PLC and
	// activates it: no conduit leads from the business network to crane
	// control, and downloads are allowed only from crane management in the
	// change window.
	scenario("plc-program-download", "a program block downloaded into a crane PLC from the business network", false,
		(*term).plcProgramDownload,
		viol("ics.program-download", "10.50.7.77", "10.10.1.5", "s7comm"),
		viol("segmentation.cross-zone", "10.50.7.77", "10.10.1.5", "s7comm")),
	// The engineering workstation stops the STS-01 PLC: no window allows
	// a stop.
	scenario("plc-stop", "the engineering workstation stops a crane PLC", false,
		(*term).plcStop,
		viol("ics.plc-stop", "10.10.9.20", "10.10.1.5", "s7comm")),
	// The engineering workstation downloads a data block into the STS-01
	// PLC inside the weekly change window: allowed, no finding.
	func() TerminalScenario {
		sc := scenario("authorized-maintenance", "a program download from crane management inside the change window (no finding)", false,
			(*term).authorizedMaintenance)
		sc.Window = true
		sc.MustNot = []Violation{
			{Rule: "ics.program-download", Src: "10.10.9.20", Dst: "10.10.1.5", App: "s7comm", Scenario: sc.Name},
			{Rule: "segmentation.cross-zone", Src: "10.10.9.20", Dst: "10.10.1.5", App: "s7comm", Scenario: sc.Name},
		}
		return sc
	}(),
}

// TerminalWindowStart is where Terminal starts, when no Start is given,
// for scenarios that need the change window of examples/terminal/site.yaml
// (weekly from 2026-11-02T08:00Z for four hours).
var TerminalWindowStart = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// TerminalViolations lists the deliberate violations in the example
// capture (the scenarios with Example set), one entry per finding.
var TerminalViolations = func() []Violation {
	var vs []Violation
	for _, sc := range TerminalScenarios {
		if sc.Example {
			vs = append(vs, sc.Violations...)
		}
	}
	return vs
}()

// Truth is the ground truth of a Terminal capture.
type Truth struct {
	// Scenarios names the scenarios injected, in TerminalScenarios order.
	Scenarios []string
	// Must lists the findings an analysis must report, and no others.
	Must []Violation
	// MustNot lists findings that must not be reported: those of the
	// scenarios left out and those the allowed traffic of a scenario
	// could be mistaken for; and, with an empty Rule, normal flows
	// (TerminalQuiet) that must cause no finding at all — left out when
	// an expected finding has the same endpoints and application.
	MustNot []Violation
}

// TerminalTruth returns the ground truth of a Terminal capture with the
// given scenarios (nil: the example's).
func TerminalTruth(scenarios []string) (Truth, error) {
	sel, err := selectScenarios(scenarios)
	if err != nil {
		return Truth{}, err
	}
	tr := Truth{Scenarios: []string{}, Must: []Violation{}, MustNot: []Violation{}}
	key := func(v Violation) string { return v.Rule + " " + v.Src + ">" + v.Dst + " " + v.App }
	flow := func(v Violation) string { return v.Src + ">" + v.Dst + " " + v.App }
	in, flows := map[string]bool{}, map[string]bool{}
	for _, sc := range sel {
		tr.Scenarios = append(tr.Scenarios, sc.Name)
		for _, v := range sc.Violations {
			tr.Must = append(tr.Must, v)
			in[key(v)] = true
			flows[flow(v)] = true
		}
	}
	for i := range TerminalScenarios {
		sc := &TerminalScenarios[i]
		chosen := slices.Contains(sel, sc)
		for _, v := range sc.MustNot {
			if !in[key(v)] {
				tr.MustNot = append(tr.MustNot, v)
				in[key(v)] = true
			}
		}
		if chosen {
			continue
		}
		for _, v := range sc.Violations {
			if !in[key(v)] {
				tr.MustNot = append(tr.MustNot, v)
				in[key(v)] = true
			}
		}
	}
	for _, q := range TerminalQuiet {
		if !flows[flow(q)] {
			tr.MustNot = append(tr.MustNot, q)
		}
	}
	return tr, nil
}

// selectScenarios returns the named scenarios in TerminalScenarios order,
// each once; nil selects the example's.
func selectScenarios(names []string) ([]*TerminalScenario, error) {
	for _, n := range names {
		if !slices.ContainsFunc(TerminalScenarios, func(sc TerminalScenario) bool { return sc.Name == n }) {
			return nil, fmt.Errorf("%w %q", ErrUnknownScenario, n)
		}
	}
	var sel []*TerminalScenario
	for i := range TerminalScenarios {
		sc := &TerminalScenarios[i]
		if (names == nil && sc.Example) || slices.Contains(names, sc.Name) {
			sel = append(sel, sc)
		}
	}
	return sel, nil
}

// TerminalQuiet lists normal flows of the Terminal capture that the site
// allows and that must produce no finding (Rule is empty).
var TerminalQuiet = []Violation{
	viol("", "10.10.9.20", "10.10.1.5", "s7comm"),  // ews01 polls sts01-plc1
	viol("", "10.10.9.30", "10.10.1.5", "s7comm"),  // cms01 polls sts01-plc1
	viol("", "10.10.9.30", "10.10.11.5", "enip"),   // cms01 polls sts02-plc1 (ListIdentity, Read Tag)
	viol("", "10.10.9.30", "10.10.1.10", "modbus"), // cms01 polls the hoist drive
	viol("", "10.10.1.5", "10.10.1.10", "enip"),    // class 1 I/O inside sts01-control (UDP 2222)
	viol("", "10.10.2.11", "10.10.9.40", "rtsp"),   // STS-01 camera streams to the recorder
	viol("", "10.10.12.11", "10.10.9.40", "rtsp"),  // STS-02 camera streams to the recorder
	viol("", "10.10.9.30", "10.40.0.53", "dns"),    // crane-mgmt name service
	viol("", "10.10.9.20", "10.40.0.53", "dns"),    // (also router4.teamviewer.com)
	viol("", "10.10.9.30", "10.40.0.123", "ntp"),   // crane-mgmt time
	viol("", "10.10.9.20", "10.40.0.123", "ntp"),   //
	viol("", "10.10.1.5", "10.40.0.123", "ntp"),    // PLC time
	viol("", "10.10.11.5", "10.40.0.123", "ntp"),   //
	viol("", "10.50.1.10", "10.10.9.30", "https"),  // TOS pulls crane status (SNI cms01.t3.example)
	viol("", "10.50.1.10", "10.40.0.53", "dns"),    // TOS name service
	viol("", "10.20.0.10", "10.10.9.30", "ssh"),    // vendor support through the gateway
	viol("", "10.20.0.10", "10.10.9.30", "rdp"),    //
}

func mac(s string) [6]byte {
	var m [6]byte
	for i := range 6 {
		m[i] = hexByte(s[3*i])<<4 | hexByte(s[3*i+1])
	}
	return m
}

func hexByte(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 0
}

func host(name, ip, m string, vlan uint16, ttl uint8) Host {
	return Host{Name: name, IP: netip.MustParseAddr(ip), MAC: mac(m), VLAN: vlan, TTL: ttl}
}

// The hosts of examples/terminal/site.yaml, plus the services, visitors
// and intruders of the capture. Windows hosts have TTL 128, Siemens PLCs
// 30, others 64.
var (
	hEWS      = host("ews01", "10.10.9.20", "3c:52:82:09:00:14", 90, 128)
	hCMS      = host("cms01", "10.10.9.30", "3c:52:82:09:00:1e", 90, 128)
	hNVR      = host("nvr01", "10.10.9.40", "3c:52:82:09:00:28", 90, 128)
	hPLC1     = host("sts01-plc1", "10.10.1.5", "00:1b:1b:01:00:05", 110, 30)
	hDrive    = host("sts01-drive-hoist", "10.10.1.10", "00:05:c9:01:00:0a", 110, 64)
	hSpreader = host("sts01-spreader", "10.10.1.20", "00:1b:1b:01:00:14", 110, 30)
	hCam1     = host("sts01-cam1", "10.10.2.11", "00:40:8c:01:02:0b", 120, 64)
	hPLC2     = host("sts02-plc1", "10.10.11.5", "00:00:bc:02:00:05", 210, 64)
	hCam2     = host("sts02-cam1", "10.10.12.11", "00:40:8c:02:02:0b", 220, 64)
	hGW       = host("rcms-gw", "10.20.0.10", "00:1b:1b:20:00:0a", 0, 64)
	hDNS      = host("dns01", "10.40.0.53", "00:50:56:40:00:35", 0, 64)
	hNTP      = host("ntp01", "10.40.0.123", "00:50:56:40:00:7b", 0, 64)
	hTOS      = host("tos01", "10.50.1.10", "00:50:56:50:01:0a", 0, 64)
	hTOSWS    = host("tos-ws77", "10.50.7.77", "b8:ca:3a:50:07:4d", 0, 128)
	hDualMgmt = host("dual-homed", "10.10.9.35", "3c:52:82:09:00:99", 90, 128)
	hDualTOS  = host("dual-homed", "10.50.3.3", "3c:52:82:09:00:99", 0, 128)
	hRogue    = host("unknown", "10.10.1.99", "00:0e:8c:01:00:63", 110, 64)

	edgeMAC    = "00:1b:17:00:00:01" // the site's edge router
	hTeamView  = host("teamviewer", "188.172.219.133", edgeMAC, 0, 64)
	hVendor    = host("crane-vendor", "198.51.100.23", edgeMAC, 0, 64)
	hLogink    = host("logink", "203.0.113.80", edgeMAC, 0, 64)
	hBadHTTP   = host("example-bad", "203.0.113.81", edgeMAC, 0, 64)
	hForbidden = host("prohibited", "192.0.2.15", edgeMAC, 0, 64)

	hCMS6 = host("cms01", "fd48:7762:90::30", "3c:52:82:09:00:1e", 90, 128)
	hDNS6 = host("dns01", "fd48:7762:40::53", "00:50:56:40:00:35", 0, 64)
)

// Terminal writes TerminalDuration of a small container terminal's OT
// traffic, as examples/terminal/site.yaml describes the terminal, to w:
// crane PLC polling (S7comm, Modbus/TCP, EtherNet/IP), camera streams,
// name and time service, HTTPS from the terminal operating system, vendor
// support through the remote-access gateway, plus the violations listed
// by the scenarios of opts.Scenarios (unless opts.NoViolations). The output is
// deterministic: the same options give the same bytes.
//
// examples/terminal/terminal.pcap is Terminal(w, TerminalOptions{}) written
// by capture.PcapWriter (Ethernet, microseconds); regenerate it with
// `go test ./internal/synth -run TestExample -update`.
func Terminal(w PacketWriter, opts TerminalOptions) error {
	start := opts.Start
	if start.IsZero() {
		start = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	}
	var sel []*TerminalScenario
	if !opts.NoViolations {
		var err error
		if sel, err = selectScenarios(opts.Scenarios); err != nil {
			return err
		}
	}
	if opts.Start.IsZero() && slices.ContainsFunc(sel, func(sc *TerminalScenario) bool { return sc.Window }) {
		start = TerminalWindowStart
	}
	t := &term{b: New(w, start, opts.Seed), start: start}
	t.r = t.b.Rand()
	t.script(opts, sel)
	slices.SortStableFunc(t.acts, func(a, b action) int { return cmp.Compare(a.at, b.at) })
	for _, a := range t.acts {
		t.b.Advance(t.start.Add(a.at).Sub(t.b.Now()))
		a.f()
	}
	return t.b.Stop(start.Add(TerminalDuration))
}

type term struct {
	b     *Builder
	r     *rand.Rand
	start time.Time
	acts  []action
}

// action is a step of the script: f runs with the clock at offset at.
type action struct {
	at time.Duration
	f  func()
}

func (t *term) do(at time.Duration, f func()) { t.acts = append(t.acts, action{at, f}) }

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func cl(d []byte, after time.Duration) Exchange { return Exchange{Data: d, After: after} }
func sv(d []byte, after time.Duration) Exchange {
	return Exchange{FromServer: true, Data: d, After: after}
}

func (t *term) script(opts TerminalOptions, sel []*TerminalScenario) {
	s := time.Second
	t.do(ms(10), func() { t.arp(hCMS, hNVR) })
	t.do(ms(20), func() { t.arp(hPLC1, hDrive) })

	t.do(ms(100), func() { t.s7Poll(hEWS, hPLC1, []S7Item{{Area: S7AreaDB, DB: 1, Start: 0, Len: 16}}, 62) })
	t.do(ms(230), func() { t.modbusPoll(hCMS, hDrive, 62) })
	t.do(ms(350), func() {
		t.s7Poll(hCMS, hPLC1, []S7Item{{Area: S7AreaDB, DB: 10, Start: 0, Len: 24}, {Area: S7AreaFlags, Start: 100, Len: 2}}, 62)
	})
	t.do(ms(500), func() { t.enipPoll(hCMS, hPLC2, 62) })
	t.do(ms(700), func() { t.rtsp(hCam1, hNVR, "sts01-cam1") })
	t.do(ms(900), func() { t.rtsp(hCam2, hNVR, "sts02-cam1") })
	t.do(ms(1200), func() { t.classOneIO(hPLC1, hDrive, 15) })

	t.do(2*s, func() { t.dns(hEWS, hDNS, "nvr01.t3.example", hNVR.IP) })
	t.do(3*s, func() { t.dns(hTOS, hDNS, "cms01.t3.example", hCMS.IP) })
	t.do(3*s+ms(2), func() { t.https(hTOS, hCMS, "cms01.t3.example", 2) })
	t.do(5*s, func() { t.dns(hCMS, hDNS, "ntp.t3.example", hNTP.IP) })
	t.do(5*s+ms(3), func() { t.ntp(hCMS, hNTP, 123) })
	t.do(8*s, func() { t.ssh(hGW, hCMS) })
	t.do(10*s, func() { t.ntp(hPLC1, hNTP, t.b.Port()) })
	t.do(12*s, func() { t.rdp(hGW, hCMS, "rcms-svc", 25) })
	t.do(20*s, func() { t.ntp(hEWS, hNTP, 123) })
	t.do(30*s, func() { t.ntp(hPLC2, hNTP, t.b.Port()) })
	t.do(33*s, func() { t.https(hTOS, hCMS, "cms01.t3.example", 1) })
	if opts.IPv6 {
		t.do(35*s, func() { t.dns(hCMS6, hDNS6, "nvr01.t3.example", netip.MustParseAddr("fd48:7762:90::40")) })
	}
	// Each scenario's traffic runs at its own times, none equal to another
	// action's, so the selection does not reorder the rest.
	for _, sc := range sel {
		sc.script(t)
	}
}

func (t *term) remoteVendorAccess() {
	s := time.Second
	// RDP from a TOS workstation to cms01.
	t.do(15*s, func() { t.rdp(hTOSWS, hCMS, "vendor", 12) })
	// TeamViewer from ews01.
	t.do(18*s, func() { t.dns(hEWS, hDNS, "router4.teamviewer.com", hTeamView.IP) })
	t.do(18*s+ms(30), func() { t.teamViewer(hEWS, hTeamView) })
}

// multiHomed is the dual-homed host's traffic: normal in itself, its
// existence is the violation.
func (t *term) multiHomed() {
	s := time.Second
	t.do(14*s, func() { t.dns(hDualMgmt, hDNS, "tos01.t3.example", hTOS.IP) }) // crane-mgmt side
	t.do(14*s+ms(500), func() { t.ntp(hDualMgmt, hNTP, 123) })
	t.do(40*s, func() { t.dns(hDualTOS, hDNS, "tos01.t3.example", hTOS.IP) }) // tos side
	t.do(40*s+ms(2), func() { t.https(hDualTOS, hTOS, "tos01.t3.example", 1) })
}

// craneEgress: sts02-plc1 TLS to a vendor host on the Internet.
func (t *term) craneEgress() {
	t.do(22*time.Second, func() { t.https(hPLC2, hVendor, "diag.crane-vendor.example", 1) })
}

// firmwareOverTFTP: a TFTP firmware upload to sts01-plc1.
func (t *term) firmwareOverTFTP() {
	t.do(25*time.Second, func() { t.tftp(hTOSWS, hPLC1, "s7-1500_fw_v3.1.bin", 3*512+200) })
}

func (t *term) insecureFileTransfer() {
	s := time.Second
	// SMB2 write of a project file to cms01.
	t.do(28*s, func() { t.smb(hTOSWS, hCMS, `\\10.10.9.30\backups`, "STS01_project.zap16", 6000) })
	// FTP upload to the spreader controller. The passive data connection
	// opens after the 227 reply, ≈1166 ms after the control handshake, and
	// sends once 150 has arrived.
	t.do(32*s, func() { t.ftp(hEWS, hSpreader, "spreader_params.cfg") })
	t.do(32*s+ms(1167), func() { t.ftpData(hEWS, hSpreader, 50210) })
}

// loginkLookup: prohibited destinations from the TOS server.
func (t *term) loginkLookup() {
	s := time.Second
	t.do(36*s, func() { t.dns(hTOS, hDNS, "gateway.logink.cn", hLogink.IP) })
	t.do(36*s+ms(20), func() { t.https(hTOS, hLogink, "gateway.logink.cn", 1) })
	t.do(38*s, func() { t.dns(hTOS, hDNS, "example-bad.cn", hBadHTTP.IP) })
	t.do(38*s+ms(20), func() { t.http(hTOS, hBadHTTP, "example-bad.cn") })
	t.do(42*s, func() { t.https(hTOS, hForbidden, "", 1) })
}

// unknownDevice: an undeclared device in sts01-control reads sts01-plc1.
func (t *term) unknownDevice() {
	s := time.Second
	t.do(45*s, func() { t.arp(hRogue, hPLC1) })
	t.do(45*s+ms(5), func() { t.modbusPollN(hRogue, hPLC1, 1, 6, 0) })
}

// cameraOnControl: a camera opens an S7 connection to sts01-plc1.
func (t *term) cameraOnControl() {
	t.do(50*time.Second, func() { t.s7Probe(hCam1, hPLC1) })
}

// plcProgramDownload: a TOS workstation downloads FC 12 into sts01-plc1.
func (t *term) plcProgramDownload() {
	t.do(47*time.Second, func() { t.s7Download(hTOSWS, hPLC1, S7BlockFC, 12, 900) })
}

// plcStop: ews01 stops sts01-plc1.
func (t *term) plcStop() {
	t.do(52*time.Second, func() { t.s7Stop(hEWS, hPLC1) })
}

// authorizedMaintenance: ews01 downloads DB 5 into sts01-plc1 (in the
// change window, see TerminalScenario.Window).
func (t *term) authorizedMaintenance() {
	t.do(55*time.Second, func() { t.s7Download(hEWS, hPLC1, S7BlockDB, 5, 400) })
}

// s7Connect is the start of an S7 connection: COTP CR/CC and setup
// communication.
func (t *term) s7Connect(srcRef uint16) []Exchange {
	return []Exchange{
		cl(COTPConnectRequest(srcRef, S7TSAPClient, S7TSAPPLC), 0),
		sv(COTPConnectConfirm(srcRef, 0x0046, S7TSAPClient, S7TSAPPLC), ms(1.1)),
		cl(S7SetupCommunication(1, 480), ms(0.3)),
		sv(S7SetupCommunicationAck(1, 480), ms(2)),
	}
}

// s7Download downloads one block of size bytes as an engineering station
// does: Request download, the PLC's Download block jobs answered with the
// block in chunks of at most 200 bytes, Download ended, then the _INSE
// PI service activating the block.
func (t *term) s7Download(c, plc Host, typ uint8, number uint16, size int) {
	name := S7BlockFile(typ, number)
	file := "_" + name
	lang := uint8(0x03) // FBD
	if typ == S7BlockDB {
		lang = 0x05 // DB
	}
	blk := S7Block(t.r, lang, typ, number, size)
	ex := t.s7Connect(uint16(t.r.Uint32()))
	ex = append(ex,
		cl(S7RequestDownload(2, file, len(blk), len(blk)-56), ms(400)),
		sv(S7RequestDownloadAck(2), ms(3)))
	const chunk = 200
	ref := uint16(0x0100)
	for off := 0; off < len(blk); off += chunk {
		end := min(off+chunk, len(blk))
		ex = append(ex,
			sv(S7DownloadBlock(ref, file), ms(1)),
			cl(S7DownloadBlockAck(ref, end < len(blk), blk[off:end]), ms(0.8)))
		ref++
	}
	ex = append(ex,
		sv(S7DownloadEnded(ref, file), ms(2)),
		cl(S7DownloadEndedAck(ref), ms(0.6)),
		cl(S7InsertBlocks(3, name), ms(50)),
		sv(S7PIServiceAck(3), ms(12)))
	t.b.TCPSession(c, plc, t.b.Port(), 102, ex...)
}

// s7Stop connects to an S7 PLC and stops it.
func (t *term) s7Stop(c, plc Host) {
	ex := append(t.s7Connect(uint16(t.r.Uint32())),
		cl(S7PLCStop(2), ms(300)),
		sv(S7PLCStopAck(2), ms(25)))
	t.b.TCPSession(c, plc, t.b.Port(), 102, ex...)
}

func (t *term) arp(from, to Host) {
	t.b.ARP(from, to.IP)
	t.b.Advance(ms(0.2 + 0.3*t.r.Float64()))
	t.b.ARPReply(to, from)
}

// jitter returns d ± 2%.
func (t *term) jitter(d time.Duration) time.Duration {
	return d + time.Duration((t.r.Float64()*0.04-0.02)*float64(d))
}

func (t *term) s7Poll(c, plc Host, items []S7Item, n int) {
	ref := uint16(t.r.IntN(1000))
	srcRef := uint16(t.r.Uint32())
	ex := []Exchange{
		cl(COTPConnectRequest(srcRef, S7TSAPClient, S7TSAPPLC), 0),
		sv(COTPConnectConfirm(srcRef, 0x0044, S7TSAPClient, S7TSAPPLC), ms(1.1)),
		cl(S7SetupCommunication(ref, 480), ms(0.3)),
		sv(S7SetupCommunicationAck(ref, 480), ms(2.2)),
	}
	phase := t.r.Float64() * 6
	for i := range n {
		ref++
		vals := make([][]byte, len(items))
		for j, it := range items {
			v := make([]byte, it.Len)
			for k := 0; k+1 < len(v); k += 2 {
				x := 1000 + 400*math.Sin(phase+float64(i)/7+float64(k)) + 20*t.r.Float64()
				binary.BigEndian.PutUint16(v[k:], uint16(x))
			}
			vals[j] = v
		}
		resp := ms(1.5 + t.r.Float64())
		ex = append(ex,
			cl(S7ReadVar(ref, items...), t.jitter(time.Second)-resp),
			sv(S7ReadVarAck(ref, vals...), resp))
	}
	t.b.TCPSession(c, plc, t.b.Port(), 102, ex...)
}

func (t *term) modbusPoll(c, dev Host, n int) { t.modbusPollN(c, dev, 1, n, 0) }

func (t *term) modbusPollN(c, dev Host, unit uint8, n int, addr uint16) {
	tid := uint16(t.r.IntN(100))
	var ex []Exchange
	for i := range n {
		tid++
		vals := make([]uint16, 10)
		for k := range vals {
			vals[k] = uint16(500 + 300*math.Sin(float64(i)/9+float64(k)) + 10*t.r.Float64())
		}
		resp := ms(3 + 2*t.r.Float64())
		after := t.jitter(time.Second) - resp
		if i == 0 {
			after = ms(0.5)
		}
		ex = append(ex,
			cl(ModbusReadHoldingRequest(tid, unit, addr, 10), after),
			sv(ModbusReadHoldingResponse(tid, unit, vals), resp))
	}
	t.b.TCPSession(c, dev, t.b.Port(), 502, ex...)
}

func (t *term) enipPoll(c, plc Host, n int) {
	ctx := t.r.Uint64()
	sess := t.r.Uint32()
	ex := []Exchange{
		cl(ENIPListIdentity(ctx), 0),
		sv(ENIPListIdentityReply(ctx, ENIPIdentity{IP: plc.IP, Vendor: 1, DeviceType: 0x0e, ProductCode: 166,
			Major: 34, Minor: 11, Status: 0x3160, Serial: 0x60c5a2f1, Name: "1756-L85E/B"}), ms(2)),
		cl(ENIPRegisterSession(0, ctx+1), ms(0.5)),
		sv(ENIPRegisterSession(sess, ctx+1), ms(1.5)),
	}
	for i := range n {
		ctx++
		v := binary.LittleEndian.AppendUint32(nil, uint32(42000+int(3000*math.Sin(float64(i)/11))+t.r.IntN(50)))
		resp := ms(1 + t.r.Float64())
		ex = append(ex,
			cl(ENIPSendRRData(sess, ctx, CIPReadTag("Hoist_Load", 1)), t.jitter(time.Second)-resp),
			sv(ENIPSendRRData(sess, ctx, CIPReadTagReply(CIPTypeDINT, v)), resp))
	}
	t.b.TCPSession(c, plc, t.b.Port(), 44818, ex...)
}

func (t *term) classOneIO(scanner, adapter Host, n int) {
	oconn, tconn := t.r.Uint32(), t.r.Uint32()
	var ex []Exchange
	for i := range n {
		o := binary.LittleEndian.AppendUint32(nil, 1) // run/idle header: run
		o = binary.LittleEndian.AppendUint16(o, 0x047f)
		o = binary.LittleEndian.AppendUint16(o, uint16(1200+i))
		tr := binary.LittleEndian.AppendUint16(nil, 0x0637)
		tr = binary.LittleEndian.AppendUint16(tr, uint16(1190+i))
		tr = binary.LittleEndian.AppendUint32(tr, uint32(35000+t.r.IntN(200)))
		after := t.jitter(ms(200))
		if i == 0 {
			after = 0
		}
		ex = append(ex,
			cl(ENIPIO(oconn, uint32(i+1), uint16(i+1), o), after),
			sv(ENIPIO(tconn, uint32(i+1), uint16(i+1), tr), ms(0.4+t.r.Float64())))
	}
	t.b.UDP(scanner, adapter, 2222, 2222, ex...)
}

func (t *term) rtsp(cam, nvr Host, name string) {
	url := "rtsp://" + nvr.IP.String() + ":554/record/" + name
	session := strconv.FormatUint(uint64(t.r.Uint32()), 16)
	sdp := SDPVideo(cam.IP, name)
	ex := []Exchange{
		cl(RTSPRequest("OPTIONS", url, 1, nil, "User-Agent: AXIS"), 0),
		sv(RTSPResponse(200, 1, nil, "Public: OPTIONS, ANNOUNCE, SETUP, RECORD, TEARDOWN"), ms(1)),
		cl(RTSPRequest("ANNOUNCE", url, 2, sdp, "Content-Type: application/sdp", "User-Agent: AXIS"), ms(0.5)),
		sv(RTSPResponse(200, 2, nil), ms(1.5)),
		cl(RTSPRequest("SETUP", url+"/trackID=1", 3, nil,
			"Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record", "User-Agent: AXIS"), ms(0.5)),
		sv(RTSPResponse(200, 3, nil, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record",
			"Session: "+session+";timeout=60"), ms(1.5)),
		cl(RTSPRequest("RECORD", url, 4, nil, "Session: "+session, "Range: npt=0.000-", "User-Agent: AXIS"), ms(0.5)),
		sv(RTSPResponse(200, 4, nil, "Session: "+session), ms(2)),
	}
	seq := uint16(t.r.Uint32())
	ts := t.r.Uint32()
	ssrc := t.r.Uint32()
	const fps = 4
	for i := range int(TerminalDuration.Seconds())*fps + fps {
		var d []byte
		if i%(4*fps) == 0 { // an IDR frame every 4 s, in three fragments
			for k := range 3 {
				seq++
				d = append(d, RTSPInterleaved(0, RTPPacket(96, seq, ts, ssrc, k == 2,
					H264FragmentA(t.r, k == 0, k == 2, true, 1100+t.r.IntN(200))))...)
			}
		} else {
			seq++
			n := 500 + t.r.IntN(700)
			d = RTSPInterleaved(0, RTPPacket(96, seq, ts, ssrc, true, H264FragmentA(t.r, true, true, false, n)))
		}
		ts += 90000 / fps
		after := t.jitter(time.Second / fps)
		if i == 0 {
			after = ms(3)
		}
		ex = append(ex, cl(d, after))
	}
	t.b.TCPSession(cam, nvr, t.b.Port(), 554, ex...)
}

func (t *term) dns(c, s Host, name string, addr netip.Addr) {
	id := uint16(t.r.Uint32())
	qt := DNSTypeA
	if addr.Is6() {
		qt = DNSTypeAAAA
	}
	t.b.UDP(c, s, t.b.Port(), 53,
		cl(DNSQuery(id, name, qt), 0),
		sv(DNSResponse(id, name, qt, 300, addr), ms(0.3+t.r.Float64())))
}

func (t *term) ntp(c, s Host, sport uint16) {
	now := t.b.Now()
	req := NTPRequest(now)
	lat := ms(0.6 + 0.5*t.r.Float64())
	recv := now.Add(lat / 2)
	resp := NTPResponse(req, 2, [4]byte{192, 168, 255, 1}, now.Add(-17*time.Minute), recv, recv.Add(40*time.Microsecond))
	t.b.UDP(c, s, sport, 123, cl(req, 0), sv(resp, lat))
}

// https is a TLS 1.3 connection with n request/response pairs.
func (t *term) https(c, s Host, sni string, n int) {
	var alpn []string
	if sni != "" {
		alpn = []string{"h2", "http/1.1"}
	}
	ch := TLSClientHello(t.r, sni, alpn...)
	fin := append(TLSChangeCipherSpec(), TLSAppData(t.r, 74)...)
	ex := []Exchange{
		cl(ch, 0),
		sv(TLSServerHello(t.r, ch, 2400+t.r.IntN(1600)), ms(2)),
		cl(append(fin, TLSAppData(t.r, 180+t.r.IntN(300))...), ms(0.8)),
	}
	for i := range n {
		if i > 0 {
			ex = append(ex, cl(TLSAppData(t.r, 150+t.r.IntN(300)), ms(400)))
		}
		ex = append(ex, sv(TLSAppData(t.r, 900+t.r.IntN(5000)), ms(6+10*t.r.Float64())))
	}
	ex = append(ex, cl(TLSAppData(t.r, 19), ms(50))) // close_notify
	t.b.TCPSession(c, s, t.b.Port(), 443, ex...)
}

func (t *term) http(c, s Host, hostname string) {
	body := []byte("<html><head><title>gateway</title></head><body>ok</body></html>\n")
	t.b.TCPSession(c, s, t.b.Port(), 80,
		cl(HTTPRequest("GET", hostname, "/api/v1/status", "User-Agent: tos-sync/4.2", "Accept: */*"), 0),
		sv(HTTPResponse(200, "text/html", body, "Server: nginx"), ms(30)))
}

func (t *term) ssh(c, s Host) {
	ex := []Exchange{
		sv(SSHBanner("OpenSSH_for_Windows_8.1"), ms(2)),
		cl(SSHBanner("OpenSSH_9.2p1 Debian-2+deb12u3"), ms(0.5)),
		cl(SSHKexInit(t.r), ms(0.1)),
		sv(SSHKexInit(t.r), ms(1)),
		cl(SSHKexECDHInit(t.r), ms(0.4)),
		sv(append(SSHKexECDHReply(t.r), SSHNewKeys(t.r)...), ms(4)),
		cl(append(SSHNewKeys(t.r), SSHEncrypted(t.r, 28)...), ms(0.6)),
		sv(SSHEncrypted(t.r, 28), ms(1)),
		cl(SSHEncrypted(t.r, 60), ms(0.4)),  // userauth request (publickey)
		sv(SSHEncrypted(t.r, 300), ms(15)),  // userauth success, channel
		cl(SSHEncrypted(t.r, 120), ms(80)),  // channel open, pty, shell
		sv(SSHEncrypted(t.r, 1400), ms(60)), // banner, prompt
	}
	for range 30 { // keystrokes echoed
		ex = append(ex, cl(SSHEncrypted(t.r, 9), ms(120+250*t.r.Float64())), sv(SSHEncrypted(t.r, 9), ms(1)))
	}
	ex = append(ex, sv(SSHEncrypted(t.r, 2000+t.r.IntN(3000)), ms(300)))
	t.b.TCPSession(c, s, t.b.Port(), 22, ex...)
}

func (t *term) rdp(c, s Host, cookie string, updates int) {
	ch := TLSClientHello(t.r, "")
	ex := []Exchange{
		cl(RDPConnectionRequest(cookie, RDPProtocolSSL|RDPProtocolHybrid), 0),
		sv(RDPConnectionConfirm(0x1234, RDPProtocolHybrid), ms(1.2)),
		cl(ch, ms(0.5)),
		sv(TLSServerHello(t.r, ch, 1200+t.r.IntN(400)), ms(2)),
		cl(append(TLSChangeCipherSpec(), TLSAppData(t.r, 74)...), ms(0.5)),
		cl(TLSAppData(t.r, 300), ms(5)), // CredSSP
		sv(TLSAppData(t.r, 340), ms(3)),
		cl(TLSAppData(t.r, 700), ms(4)),
		sv(TLSAppData(t.r, 120), ms(40)),
		cl(TLSAppData(t.r, 400), ms(2)), // MCS connect initial
		sv(TLSAppData(t.r, 330), ms(3)),
	}
	for range updates {
		ex = append(ex,
			cl(TLSAppData(t.r, 30+t.r.IntN(60)), ms(200+400*t.r.Float64())),  // input
			sv(TLSAppData(t.r, 800+t.r.IntN(6000)), ms(15+20*t.r.Float64()))) // screen update
	}
	t.b.TCPSession(c, s, t.b.Port(), 3389, ex...)
}

func (t *term) teamViewer(c, s Host) {
	ex := []Exchange{
		cl(TeamViewerCmd(0x0a, appendRandom(nil, t.r, 24)), 0),
		sv(TeamViewerCmd(0x0b, appendRandom(nil, t.r, 40)), ms(2)),
		cl(TeamViewerCmd(0x1e, appendRandom(nil, t.r, 64)), ms(20)),
		sv(TeamViewerCmd(0x1f, appendRandom(nil, t.r, 16)), ms(2)),
	}
	for range 5 { // keep-alive
		ex = append(ex, cl(TeamViewerCmd(0x10, appendRandom(nil, t.r, 8)), 8*time.Second),
			sv(TeamViewerCmd(0x10, appendRandom(nil, t.r, 8)), ms(2)))
	}
	t.b.TCPSession(c, s, t.b.Port(), 5938, ex...)
}

func (t *term) tftp(c, s Host, file string, size int) {
	cport, tid := t.b.Port(), t.b.Port()
	t.b.UDP(c, s, cport, 69, cl(TFTPRequest(TFTPWrite, file, "octet"), 0))
	img := appendRandom([]byte("S7-1500 FW V3.1\x00"), t.r, size-16)
	ex := []Exchange{sv(TFTPAck(0), ms(1.5))}
	for blk := uint16(1); int(blk-1)*512 <= len(img); blk++ {
		chunk := img[int(blk-1)*512 : min(len(img), int(blk)*512)]
		ex = append(ex, cl(TFTPData(blk, chunk), ms(0.2)), sv(TFTPAck(blk), ms(0.8)))
		if len(chunk) < 512 {
			break
		}
	}
	// The server answers from a new port (RFC 1350 §4): a second flow.
	t.b.UDP(c, s, cport, tid, ex...)
}

func (t *term) smb(c, s Host, share, file string, size int) {
	var cg, sg, fid [16]byte
	for i := range 16 {
		cg[i], sg[i], fid[i] = byte(t.r.Uint32()), byte(t.r.Uint32()), byte(t.r.Uint32())
	}
	sid := uint64(0x0000_1c00_0000_0045)
	h := func(id uint64, tree uint32) SMB2Header {
		return SMB2Header{MessageID: id, SessionID: sid, TreeID: tree}
	}
	now := t.b.Now()
	data := appendRandom([]byte("PK\x03\x04"), t.r, size-4)
	t.b.TCPSession(c, s, t.b.Port(), 445,
		cl(SMB2NegotiateRequest(SMB2Header{}, cg), 0),
		sv(SMB2NegotiateResponse(SMB2Header{}, sg, now), ms(1)),
		cl(SMB2TreeConnectRequest(h(1, 0), share), ms(3)),
		sv(SMB2TreeConnectResponse(h(1, 5)), ms(1.2)),
		cl(SMB2CreateRequest(h(2, 5), file, SMB2AccessReadWrite), ms(0.8)),
		sv(SMB2CreateResponse(h(2, 5), fid, now), ms(1.5)),
		cl(SMB2WriteRequest(h(3, 5), fid, 0, data), ms(0.6)),
		sv(SMB2WriteResponse(h(3, 5), uint32(len(data))), ms(2)),
		cl(SMB2CloseRequest(h(4, 5), fid), ms(0.5)),
		sv(SMB2CloseResponse(h(4, 5)), ms(1)),
	)
}

// ftp is the control connection of an upload through a passive data
// connection (ftpData). The replies come 2–5 ms after each command, well
// after any round trip inside the site, so the data connection can be
// placed in time.
func (t *term) ftp(c, s Host, file string) {
	t.b.TCPSession(c, s, t.b.Port(), 21,
		sv(FTPReply(220, "FTP server ready."), ms(3)),
		cl(FTPCommand("USER", "engineer"), ms(400)),
		sv(FTPReply(331, "Password required for engineer."), ms(2)),
		cl(FTPCommand("PASS", "Crane2019!"), ms(600)),
		sv(FTPReply(230, "User engineer logged in."), ms(5)),
		cl(FTPCommand("TYPE", "I"), ms(100)),
		sv(FTPReply(200, "Type set to I."), ms(2)),
		cl(FTPCommand("PASV", ""), ms(50)),
		sv(FTPPassive(s.IP, 50210), ms(2)),
		cl(FTPCommand("STOR", file), ms(10)),
		sv(FTPReply(150, "Opening BINARY mode data connection for "+file+"."), ms(3)),
		sv(FTPReply(226, "Transfer complete."), ms(120)),
		cl(FTPCommand("QUIT", ""), ms(5)),
		sv(FTPReply(221, "Goodbye."), ms(2)),
	)
}

func (t *term) ftpData(c, s Host, dataPort uint16) {
	cfg := []byte("# spreader parameters\n")
	for i := 0; len(cfg) < 3000; i++ {
		cfg = append(cfg, []byte("twistlock."+string(rune('a'+i%26))+".torque_limit=")...)
		cfg = append(cfg, []byte(strconv.Itoa(800+t.r.IntN(200))+"\n")...)
	}
	t.b.TCPSession(c, s, t.b.Port(), dataPort, cl(cfg, ms(12)))
}

// s7Probe connects to an S7 PLC, sets up communication and leaves.
func (t *term) s7Probe(c, plc Host) {
	srcRef := uint16(t.r.Uint32())
	t.b.TCPSession(c, plc, t.b.Port(), 102,
		cl(COTPConnectRequest(srcRef, S7TSAPClient, S7TSAPPLC), 0),
		sv(COTPConnectConfirm(srcRef, 0x0045, S7TSAPClient, S7TSAPPLC), ms(1.1)),
		cl(S7SetupCommunication(1, 240), ms(0.3)),
		sv(S7SetupCommunicationAck(1, 240), ms(2)),
	)
}
