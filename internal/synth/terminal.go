package synth

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"harborwatch/finding"
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
	// Cranes is the number of ship-to-shore cranes, MinCranes to
	// MaxCranes; 0 means the example's two. The scenarios involve STS-01
	// and STS-02 whatever the number.
	Cranes int
	// Duration is how much traffic to write; 0 means TerminalDuration.
	// With scenarios it must be at least TerminalDuration, the time their
	// script takes.
	Duration time.Duration
	// Rate is the packets per second of capture time the whole capture
	// should carry, up to MaxTerminalRate. Background load — more polling,
	// short request/response conversations, camera streams, all between
	// declared hosts over allowed conduits — tops the normal traffic up to
	// it; 0 means the normal traffic alone (about 75 packets/s a crane). A
	// rate under the normal traffic's adds nothing.
	Rate int
	// Progress, when not nil, is called every 65,536 frames with the
	// counts so far (from the generating goroutine).
	Progress func(TerminalStats)
}

// TerminalStats counts what Terminal wrote.
type TerminalStats struct {
	Packets       int64 // frames
	Bytes         int64 // frame bytes
	Conversations int64 // TCP connections and UDP exchanges (a flow table's flows, before reuse of a 5-tuple)
}

// MaxTerminalRate is the highest TerminalOptions.Rate: about what one
// 1 Gbit/s monitor port carries in the terminal's mix.
const MaxTerminalRate = 1_000_000

// ErrOptions is returned for TerminalOptions out of range.
var ErrOptions = errors.New("synth: bad terminal options")

// TerminalDuration is how much traffic Terminal writes by default, and the
// least it writes with scenarios.
const TerminalDuration = 60 * time.Second

// Violation is one finding a correct analysis of the Terminal capture
// against its site model reports (or, in TerminalQuiet, one flow that must
// not produce any). Src is the client address (for device findings: the
// device's address), Dst the server address (for segmentation.multi-homed:
// the device's other address; empty for device findings), App the
// application in the site model's protocol vocabulary (empty when the
// finding is about a device). Scenario names the TerminalScenarios entry
// that causes it (empty for TerminalQuiet).
type Violation struct {
	Rule     string `json:"rule,omitempty"`
	Src      string `json:"src"`
	Dst      string `json:"dst,omitempty"`
	App      string `json:"app,omitempty"`
	Scenario string `json:"scenario,omitempty"`
}

// Expect returns the finding (or quiet flow) v describes, as
// finding.Check compares it with an analysis.
func (v Violation) Expect() finding.Expect {
	return finding.Expect{Rule: v.Rule, Src: v.Src, Dst: v.Dst, App: v.App}
}

// Expects returns the findings (or quiet flows) vs describe.
func Expects(vs []Violation) []finding.Expect {
	out := make([]finding.Expect, len(vs))
	for i, v := range vs {
		out[i] = v.Expect()
	}
	return out
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
	// Power is whether the scenario needs the terminal's power SCADA and
	// substation: the model (Terminal, TerminalSiteYAML, TerminalAssets)
	// then has them.
	Power  bool
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
	// A camera with a Hikvision MAC (44:19:b6, Hangzhou Hikvision Digital
	// Technology), not in the site model, sits in sts01-control (its VLAN
	// and subnet) and streams RTSP to the recorder in crane management:
	// an undeclared device, a supplier of concern in a crane-control zone,
	// and a flow from crane control to crane management that no conduit
	// allows.
	scenario("camera-on-control-vlan", "a Hikvision camera on a crane-control VLAN streams to the recorder", true,
		(*term).cameraOnControlVLAN,
		viol("inventory.unknown-device", "10.10.1.64", "", ""),
		viol("segmentation.cross-zone", "10.10.1.64", "10.10.9.40", "rtsp"),
		viol("supplier.not-isolated", "10.10.1.64", "", "")),
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
	// The engineering workstation uploads the known-good program of the
	// STS-01 PLC, then downloads a changed FC 12 and an unchanged DB 5,
	// and uploads again, all inside the change window: nothing the site
	// forbids, but a baseline learned from the first upload tells the
	// changed block (integrity.program-changed, see IntegrityProgram).
	func() TerminalScenario {
		sc := scenario("program-integrity", "a crane PLC's program uploaded, then a changed block downloaded in the change window", false,
			(*term).programIntegrity)
		sc.Window = true
		sc.MustNot = []Violation{
			{Rule: "ics.program-download", Src: "10.10.9.20", Dst: "10.10.1.5", App: "s7comm", Scenario: sc.Name},
			{Rule: "ics.program-upload", Src: "10.10.9.20", Dst: "10.10.1.5", App: "s7comm", Scenario: sc.Name},
		}
		return sc
	}(),
	// The remote-access gateway downloads a block into the STS-02 PLC: no
	// conduit allows it (integrity.remote-update with a baseline check).
	scenario("remote-program-update", "the remote-access gateway downloads a block into a crane PLC", false,
		(*term).remoteProgramUpdate,
		viol("ics.program-download", "10.20.0.10", "10.10.11.5", "s7comm"),
		viol("segmentation.cross-zone", "10.20.0.10", "10.10.11.5", "s7comm")),
	// BACnet/IP and OPC UA (bacnet_opcua.go).
	// The building management server reads STS-01's e-house HVAC
	// controller and writes its setpoint (allowed); a TOS workstation
	// switches its compressor off, raises the setpoint, disables its
	// communication and cold-starts it: no conduit leads from the business
	// network to the crane, and no site allows a restart.
	func() TerminalScenario {
		sc := scenario("bms-hvac-override", "a TOS workstation overrides and restarts a crane e-house HVAC controller over BACnet", false,
			(*term).bmsOverride,
			viol("segmentation.cross-zone", "10.50.7.77", "10.10.3.10", "bacnet"),
			viol("ics.write", "10.50.7.77", "10.10.3.10", "bacnet"),
			viol("ics.config-change", "10.50.7.77", "10.10.3.10", "bacnet"),
			viol("ics.plc-stop", "10.50.7.77", "10.10.3.10", "bacnet"))
		sc.MustNot = []Violation{
			{Rule: "segmentation.cross-zone", Src: "10.60.0.10", Dst: "10.10.3.10", App: "bacnet", Scenario: sc.Name},
			{Rule: "ics.write", Src: "10.60.0.10", Dst: "10.10.3.10", App: "bacnet", Scenario: sc.Name},
		}
		return sc
	}(),
	// The engineering workstation opens an OPC UA session without
	// security on the STS-01 PLC: reading is allowed from crane
	// management, a write and a method call are not; the TOS server, over
	// no conduit, fails to log in as a user and reads anonymously.
	func() TerminalScenario {
		sc := scenario("opcua-crane-write", "an engineering workstation writes a crane PLC node and calls a method over OPC UA without security", false,
			(*term).opcuaCrane,
			viol("ics.write", "10.10.9.20", "10.10.1.5", "opcua"),
			viol("ics.config-change", "10.10.9.20", "10.10.1.5", "opcua"),
			viol("segmentation.cross-zone", "10.50.1.10", "10.10.1.5", "opcua"),
			viol("ics.auth-failure", "10.50.1.10", "10.10.1.5", "opcua"),
			// Both open their channel with SecurityPolicy None into crane
			// control.
			viol("ics.insecure-channel", "10.10.9.20", "10.10.1.5", "opcua"),
			viol("ics.insecure-channel", "10.50.1.10", "10.10.1.5", "opcua"))
		sc.MustNot = []Violation{
			{Rule: "segmentation.cross-zone", Src: "10.10.9.20", Dst: "10.10.1.5", App: "opcua", Scenario: sc.Name},
		}
		return sc
	}(),
	// Telecontrol of the substation feeding the cranes and shore power
	// (telecontrol.go). The power SCADA runs the RTU over IEC 104 —
	// interrogation, clock synchronization, a feeder breaker opened and
	// closed, the shore-power switch, set-points, a disturbance record
	// uploaded: all allowed — and downloads a parameter file, which the
	// site leaves to work on site; it runs the shore-power controller over
	// DNP3 — an integrity poll, time, unsolicited responses, a breaker
	// tripped by select and operate under a secure-authentication
	// challenge, a set-point, the event log read: allowed — then restarts
	// it warm, writes a settings file and restarts it cold: not allowed. A
	// TOS workstation resets the RTU's process.
	func() TerminalScenario {
		const scada, rtu, spc, ws = "10.60.1.10", "10.60.2.10", "10.60.2.20", "10.50.7.77"
		sc := scenario("substation-telecontrol", "the power SCADA's IEC 104 and DNP3 sessions with the substation; a TOS workstation resets its RTU", false,
			(*term).substationTelecontrol,
			viol("ics.program-download", scada, rtu, "iec104"),
			viol("ics.program-download", scada, spc, "dnp3"),
			viol("ics.plc-stop", scada, spc, "dnp3"),
			viol("ics.plc-stop", ws, rtu, "iec104"),
			viol("segmentation.cross-zone", ws, rtu, "iec104"))
		sc.MustNot = mustNot(sc.Name,
			viol("ics.write", scada, rtu, "iec104"), viol("ics.config-change", scada, rtu, "iec104"),
			viol("ics.program-upload", scada, rtu, "iec104"), viol("segmentation.cross-zone", scada, rtu, "iec104"),
			viol("ics.write", scada, spc, "dnp3"), viol("ics.config-change", scada, spc, "dnp3"),
			viol("ics.program-upload", scada, spc, "dnp3"), viol("ics.auth-failure", scada, spc, "dnp3"),
			viol("segmentation.cross-zone", scada, spc, "dnp3"))
		sc.Power = true
		return sc
	}(),
}

// TerminalWindowStart is where Terminal starts, when no Start is given,
// for scenarios that need the change window of the site model (weekly
// from 2026-11-02T08:00Z for four hours).
var TerminalWindowStart = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// terminalStart is where Terminal starts otherwise.
var terminalStart = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)

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

// Check compares the findings of an analysis with the truth.
func (tr Truth) Check(fs []finding.Finding) finding.Match {
	return finding.Check(fs, Expects(tr.Must), Expects(tr.MustNot))
}

// TerminalTruth returns the ground truth of a Terminal capture with the
// given scenarios (nil: the example's). It holds for any number of
// cranes, duration and rate: the scenarios involve the first two cranes,
// and the background load causes no finding.
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

// TerminalQuiet lists normal flows of every Terminal capture that the site
// allows and that must produce no finding (Rule is empty).
var TerminalQuiet = []Violation{
	viol("", "10.10.9.20", "10.10.1.5", "s7comm"),    // ews01 polls sts01-plc1
	viol("", "10.10.9.30", "10.10.1.5", "s7comm"),    // cms01 polls sts01-plc1
	viol("", "10.10.1.40", "10.10.1.5", "s7comm"),    // the cabin HMI polls it
	viol("", "10.10.9.20", "10.10.11.5", "enip"),     // ews01 polls sts02-plc1 (Read Tag)
	viol("", "10.10.9.30", "10.10.11.5", "enip"),     // cms01 too (ListIdentity, Read Tag)
	viol("", "10.10.9.30", "10.10.1.10", "modbus"),   // cms01 polls the hoist drive
	viol("", "10.10.1.5", "10.10.1.10", "modbus"),    // sts01-plc1 reads its drives…
	viol("", "10.10.1.5", "10.10.1.30", "modbus"),    // …its remote I/O…
	viol("", "10.10.1.5", "10.10.1.20", "s7comm"),    // …and its spreader controller
	viol("", "10.10.11.5", "10.10.11.10", "enip"),    // class 1 I/O inside sts02-control (UDP 2222)
	viol("", "10.10.2.11", "10.10.9.40", "rtsp"),     // STS-01 camera streams to the recorder
	viol("", "10.10.12.11", "10.10.9.40", "rtsp"),    // STS-02 camera streams to the recorder
	viol("", "10.10.2.12", "10.10.2.50", "rtsp"),     // OCR camera streams to the OCR server
	viol("", "10.10.2.50", "10.50.1.10", "https"),    // OCR server reports to the TOS
	viol("", "10.10.9.30", "10.40.0.53", "dns"),      // crane-mgmt name service
	viol("", "10.10.9.20", "10.40.0.53", "dns"),      // (also router4.teamviewer.com)
	viol("", "10.10.9.30", "10.40.0.123", "ntp"),     // crane-mgmt time
	viol("", "10.10.9.20", "10.40.0.123", "ntp"),     //
	viol("", "10.10.1.5", "10.40.0.123", "ntp"),      // PLC time
	viol("", "10.10.11.5", "10.40.0.123", "ntp"),     //
	viol("", "10.50.1.10", "10.10.9.30", "https"),    // TOS job orders and crane status (SNI cms01.t3.example)
	viol("", "10.50.1.10", "10.40.0.53", "dns"),      // TOS name service
	viol("", "10.20.0.10", "10.10.9.30", "ssh"),      // vendor support through the gateway
	viol("", "10.20.0.10", "10.10.9.30", "rdp"),      //
	viol("", "10.10.9.20", "10.30.0.20", "https"),    // updates from the mirror at the edge
	viol("", "10.30.0.20", "198.51.100.40", "https"), // the mirror fetches them
	viol("", "10.60.0.10", "10.10.3.10", "bacnet"),   // the BMS reads STS-01's e-house HVAC controller
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

// Visitors and intruders of the scenarios, and hosts outside the site.
// Windows hosts have TTL 128, Siemens PLCs 30, others 64.
var (
	hTOSWS    = host("tos-ws77", "10.50.7.77", "b8:ca:3a:50:07:4d", 0, 128)
	hDualMgmt = host("dual-homed", "10.10.9.35", "3c:52:82:09:00:99", 90, 128)
	hDualTOS  = host("dual-homed", "10.50.3.3", "3c:52:82:09:00:99", 0, 128)
	hRogue    = host("unknown", "10.10.1.99", "00:0e:8c:01:00:63", 110, 64)
	hHikCam   = host("hikvision-cam", "10.10.1.64", "44:19:b6:01:00:40", 110, 64)

	edgeMAC    = "00:1b:17:00:00:01" // the site's edge router
	hTeamView  = host("teamviewer", "188.172.219.133", edgeMAC, 0, 64)
	hVendor    = host("crane-vendor", "198.51.100.23", edgeMAC, 0, 64)
	hUpdates   = host("vendor-updates", "198.51.100.40", edgeMAC, 0, 64)
	hLogink    = host("logink", "203.0.113.80", edgeMAC, 0, 64)
	hBadHTTP   = host("example-bad", "203.0.113.81", edgeMAC, 0, 64)
	hForbidden = host("prohibited", "192.0.2.15", edgeMAC, 0, 64)

	hCMS6 = host("cms01", "fd48:7762:90::30", "3c:52:82:09:00:1e", 90, 128)
	hDNS6 = host("dns01", "fd48:7762:40::53", "00:50:56:40:00:35", 0, 64)
)

// Terminal writes the traffic of a container terminal of opts.Cranes
// ship-to-shore cranes, as TerminalSiteYAML describes it, to w: crane PLC
// polling (S7comm, Modbus/TCP, EtherNet/IP explicit messages and class 1
// I/O), camera streams, name and time service, job orders and OCR results
// to and from the terminal operating system, updates through the edge
// mirror, vendor support through the remote-access gateway, background
// load up to opts.Rate, plus the violations of the scenarios of
// opts.Scenarios (unless opts.NoViolations). The output is deterministic:
// the same options give the same bytes.
//
// Generation streams: memory holds the open conversations and a schedule
// of recurring tasks, never the capture nor a list of its messages, so
// captures of any length are written in constant memory, at over a
// million packets a second with background load.
//
// examples/terminal/terminal.pcap is Terminal(w, TerminalOptions{}) written
// by capture.PcapWriter (Ethernet, microseconds); regenerate it with
// `go test ./internal/synth -run TestExample -update`.
func Terminal(w PacketWriter, opts TerminalOptions) error {
	_, err := RunTerminal(w, opts)
	return err
}

// RunTerminal is Terminal, returning what it wrote.
func RunTerminal(w PacketWriter, opts TerminalOptions) (TerminalStats, error) {
	t, err := newTerm(w, opts)
	if err != nil {
		return TerminalStats{}, err
	}
	t.run(t.end)
	err = t.b.Stop(time.Unix(0, t.end))
	return t.stats(), err
}

// Validate reports whether Terminal can run with o: ErrCranes,
// ErrUnknownScenario or ErrOptions (with what is wrong) when not.
func (o TerminalOptions) Validate() error {
	_, _, _, err := o.resolve()
	return err
}

// resolve checks o and returns its model, scenarios and duration.
func (o TerminalOptions) resolve() (*model, []*TerminalScenario, time.Duration, error) {
	m, err := o.model()
	if err != nil {
		return nil, nil, 0, err
	}
	var sel []*TerminalScenario
	if !o.NoViolations {
		if sel, err = selectScenarios(o.Scenarios); err != nil {
			return nil, nil, 0, err
		}
	}
	d := o.Duration
	if d == 0 {
		d = TerminalDuration
	}
	switch {
	case d < 0 || d > 10000*time.Hour:
		return nil, nil, 0, fmt.Errorf("%w: duration %v", ErrOptions, o.Duration)
	case d < TerminalDuration && len(sel) > 0:
		return nil, nil, 0, fmt.Errorf("%w: duration %v is shorter than the scenarios' %v", ErrOptions, d, TerminalDuration)
	case o.Rate < 0 || o.Rate > MaxTerminalRate:
		return nil, nil, 0, fmt.Errorf("%w: rate %d (want 0 to %d packets/s)", ErrOptions, o.Rate, MaxTerminalRate)
	}
	return m, sel, d, nil
}

// newTerm checks opts and schedules a run: the normal traffic, the
// scenarios and the background load.
func newTerm(w PacketWriter, opts TerminalOptions) (*term, error) {
	m, sel, d, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	start := opts.Start
	if start.IsZero() {
		start = terminalStart
		if slices.ContainsFunc(sel, func(sc *TerminalScenario) bool { return sc.Window }) {
			start = TerminalWindowStart
		}
	}
	t := &term{b: New(w, start, opts.Seed), m: m, start: start.UnixNano(), end: start.Add(d).UnixNano()}
	t.r = t.b.Rand()
	if opts.Progress != nil {
		t.b.progress = func() { opts.Progress(t.stats()) }
	}
	t.normal(opts)
	// Each scenario's traffic runs at its own times, none equal to another
	// task's, so the selection does not reorder the rest.
	for _, sc := range sel {
		sc.script(t)
	}
	if opts.Rate > 0 {
		t.load = newLoad(t, opts.Rate)
	}
	return t, nil
}

// run runs the tasks due before until (at most the end), writing every
// frame due by the last of them.
func (t *term) run(until int64) {
	until = min(until, t.end)
	for len(t.tasks) > 0 && t.b.Err() == nil {
		k := t.tasks[0]
		if k.at >= until {
			break
		}
		t.popTask()
		t.b.Advance(time.Duration(k.at - t.b.now))
		k.run()
		if k.every > 0 {
			k.at += k.every
			if k.jitter > 0 {
				k.at += t.r.Int64N(2*k.jitter+1) - k.jitter
			}
			t.pushTask(k)
		}
	}
}

// term is one Terminal run: the builder, the model and the schedule.
type term struct {
	b          *Builder
	r          *rand.Rand
	m          *model
	start, end int64   // ns
	tasks      []*task // min-heap on (at, seq)
	seq        uint64
	load       *load
	intruders  map[netip.Addr]*portSet
}

// task is an entry of the schedule: run at at, and again every every ±
// jitter (ns) if every > 0.
type task struct {
	at, every, jitter int64
	seq               uint64
	run               func()
}

func (t *term) stats() TerminalStats {
	return TerminalStats{Packets: t.b.Packets(), Bytes: t.b.Bytes(), Conversations: t.b.Conversations()}
}

// do runs f once at offset at from the start.
func (t *term) do(at time.Duration, f func()) { t.every(at, 0, 0, f) }

// every runs f at offset at from the start, then every period ± jitter.
func (t *term) every(at, period, jitter time.Duration, f func()) {
	t.seq++
	t.pushTask(&task{at: t.start + int64(at), every: int64(period), jitter: int64(jitter), seq: t.seq, run: f})
}

func (t *term) taskLess(i, j int) bool {
	a, b := t.tasks[i], t.tasks[j]
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

func (t *term) pushTask(k *task) {
	t.tasks = append(t.tasks, k)
	for i := len(t.tasks) - 1; i > 0; {
		p := (i - 1) / 2
		if !t.taskLess(i, p) {
			break
		}
		t.tasks[i], t.tasks[p] = t.tasks[p], t.tasks[i]
		i = p
	}
}

func (t *term) popTask() {
	n := len(t.tasks) - 1
	t.tasks[0] = t.tasks[n]
	t.tasks[n] = nil
	t.tasks = t.tasks[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && t.taskLess(r, l) {
			m = r
		}
		if !t.taskLess(m, i) {
			return
		}
		t.tasks[i], t.tasks[m] = t.tasks[m], t.tasks[i]
		i = m
	}
}

// ports returns the ephemeral ports of a host of the model or of a
// scenario.
func (t *term) ports(h Host) *portSet {
	for _, n := range t.m.nodes {
		if n.IP == h.IP {
			return t.nodePorts(n)
		}
	}
	if t.intruders == nil {
		t.intruders = map[netip.Addr]*portSet{}
	}
	p := t.intruders[h.IP]
	if p == nil {
		p = newPortSet(h.TTL, uint16(t.r.Uint32()))
		t.intruders[h.IP] = p
	}
	return p
}

func (t *term) nodePorts(n *node) *portSet {
	if n.ports == nil {
		n.ports = newPortSet(n.TTL, uint16(t.r.Uint32()))
	}
	return n.ports
}

// tcp starts a conversation from an ephemeral port of c, held until it
// ends.
func (t *term) tcp(c, s Host, dport uint16, ex ...Exchange) {
	ps := t.ports(c)
	port := ps.take()
	t.own(t.b.tcp(c, s, port, dport, ex, nil, 0, 0), ps, port)
}

func (t *term) tcpStream(c, s Host, dport uint16, st Stream) {
	ps := t.ports(c)
	port := ps.take()
	t.own(t.b.tcpStream(c, s, port, dport, st), ps, port)
}

// udp is tcp for datagrams; sport 0 takes an ephemeral port.
func (t *term) udp(c, s Host, sport, dport uint16, ex ...Exchange) {
	if sport != 0 {
		t.b.UDP(c, s, sport, dport, ex...)
		return
	}
	ps := t.ports(c)
	port := ps.take()
	t.own(t.b.udp(c, s, port, dport, ex, nil, 0, 0), ps, port)
}

func (t *term) udpStream(c, s Host, sport, dport uint16, st Stream) {
	if sport != 0 {
		t.b.UDPStream(c, s, sport, dport, st)
		return
	}
	ps := t.ports(c)
	port := ps.take()
	t.own(t.b.udpStream(c, s, port, dport, st), ps, port)
}

// own makes ss hold port of ps until it ends.
func (t *term) own(ss *session, ps *portSet, port uint16) {
	if ss == nil { // the builder failed; the error is sticky
		ps.free(port)
		return
	}
	ss.owner, ss.oport = ps, port
}

// The scenarios. Each runs at offsets of its own within the first
// TerminalDuration.

func (t *term) remoteVendorAccess() {
	s := time.Second
	cms, ews := t.m.cms.Host, t.m.ews.Host
	// RDP from a TOS workstation to cms01.
	t.do(15*s, func() { t.rdp(hTOSWS, cms, "vendor", 12) })
	// TeamViewer from ews01.
	t.do(18*s, func() { t.dns(ews, t.m.dns.Host, "router4.teamviewer.com", hTeamView.IP) })
	t.do(18*s+ms(30), func() { t.teamViewer(ews, hTeamView) })
}

// multiHomed is the dual-homed host's traffic: normal in itself, its
// existence is the violation.
func (t *term) multiHomed() {
	s := time.Second
	dns, tos := t.m.dns.Host, t.m.tos.Host
	t.do(14*s, func() { t.dns(hDualMgmt, dns, "tos01.t3.example", tos.IP) }) // crane-mgmt side
	t.do(14*s+ms(500), func() { t.ntp(hDualMgmt, t.m.ntp.Host, 123) })
	t.do(40*s, func() { t.dns(hDualTOS, dns, "tos01.t3.example", tos.IP) }) // tos side
	t.do(40*s+ms(2), func() { t.https(hDualTOS, tos, "tos01.t3.example", 1) })
}

// craneEgress: sts02-plc1 TLS to a vendor host on the Internet.
func (t *term) craneEgress() {
	t.do(22*time.Second, func() { t.https(t.m.cranes[1].plc.Host, hVendor, "diag.crane-vendor.example", 1) })
}

// firmwareOverTFTP: a TFTP firmware upload to sts01-plc1.
func (t *term) firmwareOverTFTP() {
	t.do(25*time.Second, func() { t.tftp(hTOSWS, t.m.cranes[0].plc.Host, "s7-1500_fw_v3.1.bin", 3*512+200) })
}

func (t *term) insecureFileTransfer() {
	s := time.Second
	ews, spreader := t.m.ews.Host, t.m.cranes[0].spreader.Host
	// SMB2 write of a project file to cms01.
	t.do(28*s, func() { t.smb(hTOSWS, t.m.cms.Host, `\\10.10.9.30\backups`, "STS01_project.zap16", 6000) })
	// FTP upload to the spreader controller. The passive data connection
	// opens after the 227 reply, ≈1166 ms after the control handshake, and
	// sends once 150 has arrived.
	t.do(32*s, func() { t.ftp(ews, spreader, "spreader_params.cfg") })
	t.do(32*s+ms(1167), func() { t.ftpData(ews, spreader, 50210) })
}

// loginkLookup: prohibited destinations from the TOS server.
func (t *term) loginkLookup() {
	s := time.Second
	tos, dns := t.m.tos.Host, t.m.dns.Host
	t.do(36*s, func() { t.dns(tos, dns, "gateway.logink.cn", hLogink.IP) })
	t.do(36*s+ms(20), func() { t.https(tos, hLogink, "gateway.logink.cn", 1) })
	t.do(38*s, func() { t.dns(tos, dns, "example-bad.cn", hBadHTTP.IP) })
	t.do(38*s+ms(20), func() { t.http(tos, hBadHTTP, "example-bad.cn") })
	t.do(42*s, func() { t.https(tos, hForbidden, "", 1) })
}

// unknownDevice: an undeclared device in sts01-control reads sts01-plc1.
func (t *term) unknownDevice() {
	s := time.Second
	plc := t.m.cranes[0].plc.Host
	t.do(45*s, func() { t.arp(hRogue, plc) })
	t.do(45*s+ms(5), func() { t.modbusOnce(hRogue, plc, 6) })
}

// cameraOnControlVLAN: a Hikvision camera in sts01-control streams to
// nvr01 from 50 s on.
func (t *term) cameraOnControlVLAN() {
	t.do(50*time.Second, func() { t.camera(hHikCam, t.m.nvr.Host, "ch1-main", "Hikvision") })
}

// plcProgramDownload: a TOS workstation downloads FC 12 into sts01-plc1.
func (t *term) plcProgramDownload() {
	t.do(47*time.Second, func() { t.s7Download(hTOSWS, t.m.cranes[0].plc.Host, S7BlockFC, 12, 900) })
}

// plcStop: ews01 stops sts01-plc1.
func (t *term) plcStop() {
	t.do(52*time.Second, func() { t.s7Stop(t.m.ews.Host, t.m.cranes[0].plc.Host) })
}

// authorizedMaintenance: ews01 downloads DB 5 into sts01-plc1 (in the
// change window, see TerminalScenario.Window).
func (t *term) authorizedMaintenance() {
	t.do(55*time.Second, func() { t.s7Download(t.m.ews.Host, t.m.cranes[0].plc.Host, S7BlockDB, 5, 400) })
}
