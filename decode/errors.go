package decode

import "errors"

// Layer names a header that Decode parses. It is the unit in which malformed
// input is counted (Errors) and reported (Error.Layer).
type Layer uint8

// Layers, in the order Errors holds them.
const (
	LayerEthernet Layer = iota // Ethernet II / IEEE 802.3 MAC header
	LayerVLAN                  // 802.1Q / 802.1ad tag
	LayerSLL                   // Linux cooked capture v1
	LayerSLL2                  // Linux cooked capture v2
	LayerNull                  // BSD loopback
	LayerARP
	LayerIPv4
	LayerIPv6 // fixed header and extension headers
	LayerTCP
	LayerUDP
	LayerICMP
	LayerICMPv6
	LayerLink // a link type Decode does not support
	NumLayers // number of layers; not a layer
)

var layerNames = [NumLayers]string{
	LayerEthernet: "ethernet",
	LayerVLAN:     "vlan",
	LayerSLL:      "sll",
	LayerSLL2:     "sll2",
	LayerNull:     "null",
	LayerARP:      "arp",
	LayerIPv4:     "ipv4",
	LayerIPv6:     "ipv6",
	LayerTCP:      "tcp",
	LayerUDP:      "udp",
	LayerICMP:     "icmp",
	LayerICMPv6:   "icmpv6",
	LayerLink:     "link",
}

// String returns the lower-case name of the layer ("ipv4"), or "layer?" for
// a value out of range.
func (l Layer) String() string {
	if l < NumLayers {
		return layerNames[l]
	}
	return "layer?"
}

// MarshalText implements encoding.TextMarshaler with String.
func (l Layer) MarshalText() ([]byte, error) {
	return []byte(l.String()), nil
}

// Sentinel errors. Decode returns an *Error that wraps one of them: test with
// errors.Is, and get the layer with errors.As.
var (
	// ErrTruncated: the captured bytes end inside a header.
	ErrTruncated = errors.New("decode: truncated header")
	// ErrMalformed: a header's fields contradict the protocol or each other
	// (bad version, length fields smaller than the header, …).
	ErrMalformed = errors.New("decode: malformed header")
	// ErrUnsupportedLink: the link type is not one Decode knows.
	ErrUnsupportedLink = errors.New("decode: unsupported link type")
)

// Error is the error Decode returns: the layer whose header was bad and the
// sentinel saying how. Decode returns pointers into a fixed table, so
// returning an error allocates nothing; an *Error is read-only.
type Error struct {
	layer Layer
	err   error
	msg   string
}

var _ error = (*Error)(nil)

// Layer is the layer whose header was bad.
func (e *Error) Layer() Layer { return e.layer }

// Unwrap returns the sentinel (ErrTruncated, ErrMalformed or
// ErrUnsupportedLink).
func (e *Error) Unwrap() error { return e.err }

// Error returns e.g. "decode: ipv4: truncated header".
func (e *Error) Error() string { return e.msg }

type kind uint8

const (
	kindTruncated kind = iota
	kindMalformed
	kindUnsupported
	numKinds
)

var kindErrs = [numKinds]error{ErrTruncated, ErrMalformed, ErrUnsupportedLink}

// errTable holds every (layer, kind) error Decode can return.
var errTable = func() (t [NumLayers][numKinds]Error) {
	what := [numKinds]string{"truncated header", "malformed header", "unsupported link type"}
	for l := range NumLayers {
		for k := range numKinds {
			t[l][k] = Error{layer: l, err: kindErrs[k], msg: "decode: " + l.String() + ": " + what[k]}
		}
	}
	return t
}()

// Errors counts malformed headers per layer: Errors[LayerIPv4] is the number
// of packets whose IPv4 header was truncated or malformed. Each packet that
// fails is counted once, at the layer that failed.
type Errors [NumLayers]uint64

// Add adds the counts of o to e (to merge the counts of several decoders).
func (e *Errors) Add(o *Errors) {
	for i := range e {
		e[i] += o[i]
	}
}

// Total is the number of packets that failed to decode.
func (e *Errors) Total() uint64 {
	var n uint64
	for _, v := range e {
		n += v
	}
	return n
}

// Map returns the non-zero counts keyed by layer name ("ipv4"), for reports.
func (e *Errors) Map() map[string]uint64 {
	m := make(map[string]uint64)
	for l, v := range e {
		if v != 0 {
			m[Layer(l).String()] = v
		}
	}
	return m
}

// Counters counts what Decode saw that is not an error. A packet is counted
// in every line that applies to it (a VLAN-tagged TCP/IPv4 packet counts in
// Packets, VLAN, IPv4 and TCP).
type Counters struct {
	Packets uint64 // calls to Decode, failed or not

	// Truncated counts packets whose headers were whole but whose IP payload
	// the capture cut short (snaplen): Packet.Truncated. A header cut short is
	// an error (Errors), not counted here.
	Truncated uint64
	// Fragments counts IPv4 and IPv6 fragments, first or not.
	Fragments uint64
	// NonIP counts frames without an IP layer: ARP and Other.
	NonIP uint64
	// Other counts frames whose link payload is neither IP nor ARP: 802.3
	// LLC frames (STP, …), LLDP, unknown EtherTypes, SLL protocols and
	// loopback address families.
	Other uint64
	// OtherL4 counts unfragmented or first-fragment IP packets whose
	// transport is not TCP, UDP, ICMP or ICMPv6 (IGMP, ESP, GRE, IPv6 No
	// Next Header, …).
	OtherL4 uint64

	VLAN uint64 // frames with at least one VLAN tag

	// Headers decoded, per protocol.
	ARP, IPv4, IPv6, TCP, UDP, ICMP, ICMPv6 uint64
}

// Add adds the counts of o to c.
func (c *Counters) Add(o *Counters) {
	c.Packets += o.Packets
	c.Truncated += o.Truncated
	c.Fragments += o.Fragments
	c.NonIP += o.NonIP
	c.Other += o.Other
	c.OtherL4 += o.OtherL4
	c.VLAN += o.VLAN
	c.ARP += o.ARP
	c.IPv4 += o.IPv4
	c.IPv6 += o.IPv6
	c.TCP += o.TCP
	c.UDP += o.UDP
	c.ICMP += o.ICMP
	c.ICMPv6 += o.ICMPv6
}

// Map returns the non-zero counters keyed by snake_case name ("other_l4"),
// for reports.
func (c *Counters) Map() map[string]uint64 {
	m := make(map[string]uint64)
	for _, kv := range [...]struct {
		k string
		v uint64
	}{
		{"packets", c.Packets},
		{"truncated", c.Truncated},
		{"fragments", c.Fragments},
		{"non_ip", c.NonIP},
		{"other", c.Other},
		{"other_l4", c.OtherL4},
		{"vlan", c.VLAN},
		{"arp", c.ARP},
		{"ipv4", c.IPv4},
		{"ipv6", c.IPv6},
		{"tcp", c.TCP},
		{"udp", c.UDP},
		{"icmp", c.ICMP},
		{"icmpv6", c.ICMPv6},
	} {
		if kv.v != 0 {
			m[kv.k] = kv.v
		}
	}
	return m
}
