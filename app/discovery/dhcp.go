package discovery

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// MessageType is the DHCP message type, option 53 (RFC 2132 §9.6; 9–18
// from RFC 3203, RFC 4388, RFC 6926 and RFC 7724). Zero means the message
// carries no option 53: a BOOTP message with RFC 1497 vendor extensions.
type MessageType uint8

// DHCP message types.
const (
	DHCPDiscover MessageType = 1
	DHCPOffer    MessageType = 2
	DHCPRequest  MessageType = 3
	DHCPDecline  MessageType = 4
	DHCPAck      MessageType = 5
	DHCPNak      MessageType = 6
	DHCPRelease  MessageType = 7
	DHCPInform   MessageType = 8
)

var messageTypeNames = [...]string{
	"", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM",
	"FORCERENEW", "LEASEQUERY", "LEASEUNASSIGNED", "LEASEUNKNOWN", "LEASEACTIVE",
	"BULKLEASEQUERY", "LEASEQUERYDONE", "ACTIVELEASEQUERY", "LEASEQUERYSTATUS", "TLS",
}

// String returns the RFC name ("DISCOVER", "ACK", …), "BOOTP" for zero and
// "TYPE(n)" for an unassigned value.
func (t MessageType) String() string {
	if t == 0 {
		return "BOOTP"
	}
	if int(t) < len(messageTypeNames) {
		return messageTypeNames[t]
	}
	return "TYPE(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (t MessageType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// BOOTP op codes (RFC 951, RFC 2131 §2).
const (
	BootRequest uint8 = 1 // client to server
	BootReply   uint8 = 2 // server to client
)

// Sizes of the fixed BOOTP header (RFC 2131 §2, Figure 1).
const (
	bootpLen   = 236 // op … file
	dhcpOptOff = 240 // after the magic cookie
)

// magicCookie opens the options field (RFC 2131 §3, RFC 1497).
var magicCookie = [4]byte{99, 130, 83, 99}

// DHCP option codes read by ParseDHCP (RFC 2132, RFC 4702).
const (
	optPad          = 0
	optHostname     = 12  // §3.14
	optDomainName   = 15  // §3.17
	optRequestedIP  = 50  // §9.1
	optOverload     = 52  // §9.3
	optMessageType  = 53  // §9.6
	optServerID     = 54  // §9.7
	optParamRequest = 55  // §9.8
	optVendorClass  = 60  // §9.13
	optClientID     = 61  // §9.14
	optFQDN         = 81  // RFC 4702 §2
	optEnd          = 255 // §3.2
)

// DHCP is what one BOOTP/DHCP message says about its client and server. It
// is owned by the caller and meant to be reused: ParseDHCP overwrites every
// field. Byte slices alias the parsed input; nil means the option was
// absent, an empty non-nil slice that it was present and empty. When an
// option occurs more than once the first is kept.
type DHCP struct {
	Op    uint8 // BootRequest or BootReply
	HType uint8 // hardware address type, 1 for Ethernet
	HLen  uint8 // hardware address length
	Hops  uint8
	XID   uint32
	Secs  uint16
	Flags uint16 // bit 15: broadcast (RFC 2131 §2)

	CIAddr netip.Addr // client's address, when it has one
	YIAddr netip.Addr // "your" address, the one the server gives
	SIAddr netip.Addr // next server (boot server)
	GIAddr netip.Addr // relay agent

	// CHAddr is the client hardware address when HasCHAddr (htype 1,
	// hlen 6: an Ethernet MAC).
	CHAddr    [6]byte
	HasCHAddr bool

	MessageType MessageType // option 53; zero for BOOTP
	RequestedIP netip.Addr  // option 50
	ServerID    netip.Addr  // option 54

	// Hostname (12), DomainName (15) and VendorClass (60, "MSFT 5.0",
	// "udhcp 1.36.1", …) are cut at the first NUL, as tshark shows them:
	// some clients send them NUL-terminated although RFC 2132 §2 says not to.
	Hostname    []byte
	DomainName  []byte
	VendorClass []byte
	// ClientID is option 61 whole: the type octet (1 for an Ethernet MAC,
	// 255 for RFC 4361's IAID and DUID) and the identifier.
	ClientID []byte
	// FQDN is the domain name field of option 81 (RFC 4702 §2.3), in ASCII
	// or, when FQDNFlags has the E bit (0x04), in DNS wire format.
	FQDN      []byte
	FQDNFlags uint8
	// ParamRequest is option 55, the option codes the client asks for in
	// its order (a well-known fingerprint of the client's DHCP stack).
	ParamRequest []byte

	// Overload is option 52 (RFC 2132 §9.3): 1, 2 or 3 when the file
	// and/or sname fields hold more options. Those options are not read.
	Overload uint8
	// Options counts the options read (Pad and End not counted).
	Options int

	err Error
}

// ParseDHCP parses a BOOTP/DHCP message, the payload of a UDP datagram to
// or from port 67 or 68 (RFC 2131 §2, §3; RFC 2132):
//
//   - the 236-octet BOOTP header: op (1 or 2), htype, hlen (at most 16),
//     hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr, and
//     sname and file, which are not read;
//   - the magic cookie 99.130.83.99 (RFC 2131 §3). A message without it
//     (BOOTP with a vendor area of its own) is ErrNotDHCP;
//   - options: code, length, value, until the End option (255), which
//     must be there; Pad (0) is skipped. Every length is checked against
//     the input, and the options read have their RFC lengths: 53 and 52
//     one octet, 50 and 54 four, 81 at least three. Bytes after End (the
//     padding to 300 octets) are ignored.
//
// Not done: the options that an Overload option (52) moves into sname and
// file, and the concatenation of split long options (RFC 3396; the first
// occurrence is kept).
//
// On error the fields hold what was read before the fault, and the error
// is an *Error (valid until the next parse into d) wrapping ErrTruncated,
// ErrMalformed or ErrNotDHCP.
func ParseDHCP(b []byte, d *DHCP) error {
	*d = DHCP{}
	if len(b) < 4 {
		return d.fail(ErrTruncated, len(b), "bootp header")
	}
	if b[0] != BootRequest && b[0] != BootReply {
		return d.fail(ErrNotDHCP, 0, "op")
	}
	if b[2] > 16 {
		return d.fail(ErrNotDHCP, 2, "hlen")
	}
	if len(b) < bootpLen {
		return d.fail(ErrTruncated, len(b), "bootp header")
	}
	be := binary.BigEndian
	d.Op, d.HType, d.HLen, d.Hops = b[0], b[1], b[2], b[3]
	d.XID = be.Uint32(b[4:])
	d.Secs = be.Uint16(b[8:])
	d.Flags = be.Uint16(b[10:])
	d.CIAddr = netip.AddrFrom4([4]byte(b[12:16]))
	d.YIAddr = netip.AddrFrom4([4]byte(b[16:20]))
	d.SIAddr = netip.AddrFrom4([4]byte(b[20:24]))
	d.GIAddr = netip.AddrFrom4([4]byte(b[24:28]))
	if d.HType == 1 && d.HLen == 6 {
		d.CHAddr = [6]byte(b[28:34])
		d.HasCHAddr = true
	}
	if len(b) < dhcpOptOff {
		return d.fail(ErrTruncated, len(b), "magic cookie")
	}
	if [4]byte(b[bootpLen:dhcpOptOff]) != magicCookie {
		return d.fail(ErrNotDHCP, bootpLen, "magic cookie")
	}
	// Each turn consumes at least one octet, so the loop ends.
	for i := dhcpOptOff; i < len(b); {
		code := b[i]
		switch code {
		case optPad:
			i++
			continue
		case optEnd:
			return nil
		}
		if i+2 > len(b) {
			return d.fail(ErrTruncated, i, "option length")
		}
		n := int(b[i+1])
		if i+2+n > len(b) {
			return d.fail(ErrTruncated, i, "option value")
		}
		if err := d.option(code, b[i+2:i+2+n], i); err != nil {
			return err
		}
		d.Options++
		i += 2 + n
	}
	return d.fail(ErrTruncated, len(b), "end option")
}

// option stores one option's value v, found at offset off.
func (d *DHCP) option(code byte, v []byte, off int) error {
	switch code {
	case optMessageType:
		if len(v) != 1 {
			return d.fail(ErrMalformed, off, "option 53 length")
		}
		if d.MessageType == 0 {
			d.MessageType = MessageType(v[0])
		}
	case optRequestedIP, optServerID:
		if len(v) != 4 {
			return d.fail(ErrMalformed, off, "address option length")
		}
		a := &d.RequestedIP
		if code == optServerID {
			a = &d.ServerID
		}
		if !a.IsValid() {
			*a = netip.AddrFrom4([4]byte(v))
		}
	case optOverload:
		if len(v) != 1 {
			return d.fail(ErrMalformed, off, "option 52 length")
		}
		if d.Overload == 0 {
			d.Overload = v[0]
		}
	case optFQDN:
		if len(v) < 3 {
			return d.fail(ErrMalformed, off, "option 81 length")
		}
		if d.FQDN == nil {
			d.FQDNFlags = v[0]
			d.FQDN = v[3:] // after flags, RCODE1 and RCODE2
		}
	case optHostname:
		first(&d.Hostname, cutNUL(v))
	case optDomainName:
		first(&d.DomainName, cutNUL(v))
	case optVendorClass:
		first(&d.VendorClass, cutNUL(v))
	case optClientID:
		first(&d.ClientID, v)
	case optParamRequest:
		first(&d.ParamRequest, v)
	}
	return nil
}

func (d *DHCP) fail(err error, off int, what string) error {
	return d.err.set("dhcp", err, off, what)
}

// first stores v in *dst unless an earlier occurrence is there.
func first(dst *[]byte, v []byte) {
	if *dst == nil {
		*dst = v
	}
}

// cutNUL returns b up to its first NUL byte.
func cutNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i:i]
		}
	}
	return b
}
