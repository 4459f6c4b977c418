package detect

import (
	"fmt"
	"net/netip"
	"time"
)

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

// maxDetailNames bounds the names (files, domains) kept in a finding's detail.
const maxDetailNames = 20

func macString(m [6]byte) string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}
