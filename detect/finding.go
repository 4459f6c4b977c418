package detect

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Severity of a finding.
type Severity uint8

// Severities, in increasing order.
const (
	Low Severity = iota + 1
	Medium
	High
	Critical
)

var severityNames = [...]string{Low: "low", Medium: "medium", High: "high", Critical: "critical"}

func (s Severity) String() string {
	if int(s) < len(severityNames) && s > 0 {
		return severityNames[s]
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// ParseSeverity parses "low", "medium", "high" or "critical".
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if n != "" && n == strings.ToLower(name) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want low, medium, high or critical)", name)
}

// Rule ids. They are stable: reports, suppressions and SIEM rules key on them.
const (
	RuleCrossZone      = "segmentation.cross-zone"
	RuleMultiHomed     = "segmentation.multi-homed"
	RuleEgressExternal = "egress.external"
	RuleRemoteAccess   = "remote-access.unmanaged"
	RuleFileTransfer   = "file-transfer.insecure"
	RuleProhibited     = "prohibited.destination"
	RuleUnknownDevice  = "inventory.unknown-device"
)

// ruleInfo is what a rule says and which controls it bears on. Control ids
// are those of the project's control catalog: MSCI-* for the maritime
// advisory's crane mitigations, USCG-* for 33 CFR 101.650 measures.
type ruleInfo struct {
	title    string
	controls []string
}

var rules = map[string]ruleInfo{
	RuleCrossZone: {"Traffic between zones with no conduit allowing it",
		[]string{"MSCI-SEG-1", "MSCI-SEG-2", "MSCI-NET-1", "USCG-SEG-1", "USCG-SEG-2"}},
	RuleMultiHomed: {"Host with addresses in several zones or VLANs (multi-homed)",
		[]string{"MSCI-SEG-2", "MSCI-SEG-1", "USCG-SEG-1"}},
	RuleEgressExternal: {"Crane network talks to an external address",
		[]string{"MSCI-MON-1", "MSCI-SEG-1", "MSCI-NET-1", "USCG-RISK-4", "USCG-SEG-2"}},
	RuleRemoteAccess: {"Remote-access session into a crane network not through the remote-access gateway",
		[]string{"MSCI-RA-1", "MSCI-VEND-1", "MSCI-MON-2", "USCG-ACCT-4", "USCG-TRN-3", "USCG-SUP-1"}},
	RuleFileTransfer: {"Cleartext file transfer into or out of a crane network",
		[]string{"MSCI-XFER-1", "USCG-DATA-2"}},
	RuleProhibited: {"Contact with a prohibited destination",
		[]string{"MSCI-TPA-1", "MSCI-NET-1", "USCG-SUP-1"}},
	RuleUnknownDevice: {"Device in a crane zone that the site inventory does not list",
		[]string{"USCG-DEV-1", "USCG-DEV-3", "MSCI-VLAN-2"}},
}

// Rules lists the rule ids this package can report, sorted.
func Rules() []string {
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Host is one side of a finding.
type Host struct {
	IP    netip.Addr `json:"ip"`
	MAC   string     `json:"mac,omitempty"`
	Zone  string     `json:"zone,omitempty"`
	Asset string     `json:"asset,omitempty"`
}

// Evidence names the packets a finding rests on, per capture file: the
// file's name, its SHA-256 (lower-case hex, when the run hashed its
// captures, as analyze --evidence does) and the 1-based packet numbers.
type Evidence struct {
	Capture string  `json:"capture"`
	SHA256  string  `json:"sha256,omitempty"`
	Packets []int64 `json:"packets"`
}

// PcapFile is a capture file written with a finding's evidence packets
// (analyze --evidence): where, how many packets, its size and SHA-256.
type PcapFile struct {
	Path    string `json:"path"`
	Packets int    `json:"packets"`
	Bytes   int64  `json:"bytes"`
	SHA256  string `json:"sha256"`
}

// Finding is one reported violation, aggregated over every flow and event
// with the same rule, source, destination and application.
type Finding struct {
	ID        string         `json:"id"`
	Rule      string         `json:"rule"`
	Severity  Severity       `json:"severity"`
	Title     string         `json:"title"`
	Src       Host           `json:"src"`
	Dst       Host           `json:"dst"`
	Transport string         `json:"transport,omitempty"`
	App       string         `json:"app,omitempty"`
	DPort     uint16         `json:"dport,omitempty"`
	FirstSeen time.Time      `json:"first_seen"`
	LastSeen  time.Time      `json:"last_seen"`
	Count     uint64         `json:"count"`
	Evidence  []Evidence     `json:"evidence"`
	Pcap      *PcapFile      `json:"pcap,omitempty"` // with analyze --evidence
	Controls  []string       `json:"controls"`
	Detail    map[string]any `json:"detail,omitempty"`
}

// Asset is a device observed on the monitored networks (internal addresses
// only).
type Asset struct {
	IP    netip.Addr `json:"ip"`
	MAC   string     `json:"mac,omitempty"`
	Zone  string     `json:"zone"`
	Asset string     `json:"asset,omitempty"`
	Apps  []string   `json:"apps"`
	// Identity is what the device said of itself over an ICS protocol
	// (vendor, product, order number, serial, firmware…), when it did.
	Identity map[string]any `json:"identity,omitempty"`
	// Served are the applications the host answered as a server; Ops the
	// ICS operations it requested; Polled the ICS servers it talked to as
	// a client (at most 16, PolledMore when there were more); VLANs the
	// VLANs its own MAC was seen on with its address (without a MAC: the
	// VLANs of its flows). The inventory infers roles from them.
	// MACs are every MAC the address was seen with (at most 4, first seen
	// first), its own and those of routers forwarding its traffic;
	// first-hop redundancy virtual MACs left out. MAC is the one taken
	// for its own.
	MACs       []string     `json:"macs,omitempty"`
	Served     []string     `json:"served,omitempty"`
	Ops        []string     `json:"ops,omitempty"`
	Polled     []netip.Addr `json:"polled,omitempty"`
	PolledMore bool         `json:"polled_more,omitempty"`
	VLANs      []uint16     `json:"vlans,omitempty"`
	Packets    uint64       `json:"packets"`
	Bytes      uint64       `json:"bytes"`
	FirstSeen  time.Time    `json:"first_seen"`
	LastSeen   time.Time    `json:"last_seen"`
	Evidence   Mark         `json:"-"` // the host's first packet
}

// Station is a device that described itself in discovery messages: LLDP,
// CDP, PROFINET DCP or DHCP (Sources), with the fields it gave (Identity:
// system name and description, station name, hostname, vendor class…).
type Station struct {
	MAC       string         `json:"mac"`
	MACBytes  [6]byte        `json:"-"`
	IPs       []netip.Addr   `json:"ips,omitempty"`
	VLANs     []uint16       `json:"vlans,omitempty"`
	Sources   []string       `json:"sources"`
	Identity  map[string]any `json:"identity,omitempty"`
	Frames    uint64         `json:"frames"`
	FirstSeen time.Time      `json:"first_seen"`
	LastSeen  time.Time      `json:"last_seen"`
	Evidence  Mark           `json:"-"`
}

// MaxEvidence is the most packet numbers a finding carries.
const MaxEvidence = 20

// maxDetailNames bounds the names (files, domains) kept in a finding's detail.
const maxDetailNames = 20

func macString(m [6]byte) string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}
