package discovery

import (
	"encoding/binary"
	"net/netip"
)

// cdpSNAP is the LLC/SNAP header in front of CDP: DSAP 0xAA, SSAP 0xAA,
// control 0x03 (UI), OUI 00-00-0C (Cisco), protocol ID 0x2000.
var cdpSNAP = [8]byte{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00}

const (
	cdpHeaderLen = 4 // version, TTL, checksum
	cdpTLVHeader = 4 // type, length (the length counts these four octets)
)

// CDP TLV types read by ParseCDP.
const (
	cdpDeviceID     = 0x0001
	cdpAddresses    = 0x0002
	cdpPortID       = 0x0003
	cdpCapabilities = 0x0004
	cdpSoftware     = 0x0005
	cdpPlatform     = 0x0006
	cdpNativeVLAN   = 0x000a
	cdpMgmtAddr     = 0x0016
)

// CDPCapabilities is the bit set of the CDP Capabilities TLV.
type CDPCapabilities uint32

// CDP capabilities.
const (
	CDPCapRouter      CDPCapabilities = 0x001
	CDPCapTransBridge CDPCapabilities = 0x002 // transparent bridge
	CDPCapSRBridge    CDPCapabilities = 0x004 // source route bridge
	CDPCapSwitch      CDPCapabilities = 0x008
	CDPCapHost        CDPCapabilities = 0x010
	CDPCapIGMP        CDPCapabilities = 0x020
	CDPCapRepeater    CDPCapabilities = 0x040
	CDPCapPhone       CDPCapabilities = 0x080 // VoIP phone
	CDPCapRemote      CDPCapabilities = 0x100 // remotely managed device
	CDPCapCVTA        CDPCapabilities = 0x200 // CVTA / STP dispute resolution
	CDPCapMACRelay    CDPCapabilities = 0x400 // two-port MAC relay
)

var cdpCapNames = [...]string{"router", "trans-bridge", "sr-bridge", "switch", "host",
	"igmp", "repeater", "phone", "remote", "cvta", "mac-relay"}

// String lists the set bits as "router,switch,igmp"; "" for none. It
// allocates.
func (c CDPCapabilities) String() string { return bitNames(uint32(c), cdpCapNames[:]) }

// CDP is what one CDP advertisement says about the Cisco (or Cisco
// compatible) device that sent it. It is owned by the caller and meant to
// be reused: ParseCDP overwrites every field. Byte slices alias the parsed
// input; nil means the TLV was absent. A TLV that occurs more than once
// keeps its first occurrence.
type CDP struct {
	Version uint8 // 1 or 2
	TTL     uint8 // seconds
	// Checksum is the header's checksum; ChecksumOK reports that it
	// matches the advertisement, computed as Cisco does (an Internet
	// checksum whose odd last octet is sign-extended, see cdpChecksum). A
	// bad checksum is not an error: the fields are still read.
	Checksum   uint16
	ChecksumOK bool

	DeviceID        []byte     // TLV 0x01, often the host name or serial number
	Addr            netip.Addr // TLV 0x02: the first IPv4 address
	PortID          []byte     // TLV 0x03, the sending interface ("GigabitEthernet1/4")
	Capabilities    CDPCapabilities
	HasCapabilities bool       // TLV 0x04
	SoftwareVersion []byte     // TLV 0x05, the IOS banner, several lines
	Platform        []byte     // TLV 0x06 ("cisco IE-4000-8GT4G-E")
	NativeVLAN      uint16     // TLV 0x0a, when HasNativeVLAN
	HasNativeVLAN   bool       //
	MgmtAddr        netip.Addr // TLV 0x16: the first IPv4 management address

	TLVs    int // TLVs read
	Unknown int // TLVs of other types

	err Error
}

// IsCDP reports whether an LLC payload (the data of an IEEE 802.3
// length-field frame, from the DSAP on) carries CDP: LLC/SNAP with OUI
// 00-00-0C and protocol ID 0x2000.
func IsCDP(llc []byte) bool {
	return len(llc) >= len(cdpSNAP) && [8]byte(llc[:8]) == cdpSNAP
}

// ParseCDP parses a Cisco Discovery Protocol advertisement, version 1 or 2,
// from an LLC payload: the LLC/SNAP header (see IsCDP), the CDP header
// (version, TTL in seconds, checksum) and TLVs to the end of b, each a
// two-octet type, a two-octet length that counts the four header octets,
// and a value. b must end where the 802.3 length field says the LLC data
// ends: Ethernet padding after it would be read as a broken TLV (and spoils
// the checksum).
//
// Cisco does not publish CDP; the layout is the one Wireshark's
// packet-cdp.c dissects. Read: Device ID (1), Addresses (2: a count, then
// per address a protocol type, protocol length, protocol, address length
// and address; the first IPv4 one, NLPID 0xCC, is kept), Port ID (3),
// Capabilities (4, four octets), Software Version (5), Platform (6),
// Native VLAN (0x0a, two octets) and Management Address (0x16, laid out as
// Addresses). Other TLVs are counted in Unknown.
//
// On error the fields hold what was read before the fault, and the error is
// an *Error (valid until the next parse into c) wrapping ErrNotCDP,
// ErrTruncated or ErrMalformed.
func ParseCDP(b []byte, c *CDP) error {
	*c = CDP{}
	for i := 0; i < len(cdpSNAP); i++ {
		if i == len(b) {
			return c.fail(ErrTruncated, i, "llc/snap header")
		}
		if b[i] != cdpSNAP[i] {
			return c.fail(ErrNotCDP, i, "llc/snap header")
		}
	}
	if len(b) < len(cdpSNAP)+cdpHeaderLen {
		return c.fail(ErrTruncated, len(b), "cdp header")
	}
	p := b[len(cdpSNAP):] // the CDP packet, which the checksum covers
	c.Version, c.TTL = p[0], p[1]
	if c.Version != 1 && c.Version != 2 {
		return c.fail(ErrMalformed, len(cdpSNAP), "version")
	}
	c.Checksum = binary.BigEndian.Uint16(p[2:])
	c.ChecksumOK = cdpChecksum(p) == 0xffff
	// Each turn consumes at least the four-octet TLV header.
	for i := len(cdpSNAP) + cdpHeaderLen; i < len(b); {
		if len(b)-i < cdpTLVHeader {
			return c.fail(ErrTruncated, i, "tlv header")
		}
		typ := binary.BigEndian.Uint16(b[i:])
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < cdpTLVHeader {
			return c.fail(ErrMalformed, i, "tlv length")
		}
		if n > len(b)-i {
			return c.fail(ErrTruncated, i, "tlv value")
		}
		if err := c.tlv(typ, b[i+cdpTLVHeader:i+n], i); err != nil {
			return err
		}
		c.TLVs++
		i += n
	}
	return nil
}

// tlv stores the value v of one TLV, found at offset off.
func (c *CDP) tlv(typ uint16, v []byte, off int) error {
	switch typ {
	case cdpDeviceID:
		first(&c.DeviceID, v)
	case cdpPortID:
		first(&c.PortID, v)
	case cdpSoftware:
		first(&c.SoftwareVersion, v)
	case cdpPlatform:
		first(&c.Platform, v)
	case cdpCapabilities:
		if len(v) != 4 {
			return c.fail(ErrMalformed, off, "capabilities length")
		}
		if !c.HasCapabilities {
			c.Capabilities = CDPCapabilities(binary.BigEndian.Uint32(v))
			c.HasCapabilities = true
		}
	case cdpNativeVLAN:
		if len(v) != 2 {
			return c.fail(ErrMalformed, off, "native vlan length")
		}
		if !c.HasNativeVLAN {
			c.NativeVLAN = binary.BigEndian.Uint16(v)
			c.HasNativeVLAN = true
		}
	case cdpAddresses, cdpMgmtAddr:
		a, ok := firstIPv4(v)
		if !ok {
			return c.fail(ErrMalformed, off, "address list")
		}
		dst := &c.Addr
		if typ == cdpMgmtAddr {
			dst = &c.MgmtAddr
		}
		if !dst.IsValid() {
			*dst = a
		}
	default:
		c.Unknown++
	}
	return nil
}

// firstIPv4 walks a CDP address list: a four-octet count, then per address
// a protocol type (1 NLPID, 2 IEEE 802.2), protocol length, protocol,
// two-octet address length and address. It returns the first IPv4 address
// (NLPID 0xCC, four octets), or the zero Addr when there is none; ok is
// false when the list runs past v.
func firstIPv4(v []byte) (ip netip.Addr, ok bool) {
	if len(v) < 4 {
		return netip.Addr{}, false
	}
	count := binary.BigEndian.Uint32(v)
	i := 4
	// Each address takes at least four octets of v, so the loop ends.
	for k := uint32(0); k < count; k++ {
		if len(v)-i < 2 {
			return netip.Addr{}, false
		}
		ptype, plen := v[i], int(v[i+1])
		i += 2
		if len(v)-i < plen+2 {
			return netip.Addr{}, false
		}
		proto := v[i : i+plen]
		i += plen
		alen := int(binary.BigEndian.Uint16(v[i:]))
		i += 2
		if len(v)-i < alen {
			return netip.Addr{}, false
		}
		if !ip.IsValid() && ptype == 1 && plen == 1 && proto[0] == 0xcc && alen == 4 {
			ip = netip.AddrFrom4([4]byte(v[i:]))
		}
		i += alen
	}
	return ip, true
}

// cdpChecksum returns the ones' complement sum of the CDP packet p as
// Cisco computes it; it is 0xffff when the checksum field is right. For an
// even length this is RFC 1071's sum. For an odd length Cisco does not pad
// with a zero octet (RFC 1071 §4.1): a last octet x below 0x80 counts as
// the word 0x00xx, one at or above 0x80 as 0xff00|(x-1), the sign-extended
// octet less one. This is how Wireshark's packet-cdp.c checks it, and it
// agrees with tshark on both kinds of odd length (see the oracle test).
func cdpChecksum(p []byte) uint16 {
	var sum uint32
	n := len(p) &^ 1
	for i := 0; i < n; i += 2 {
		sum += uint32(p[i])<<8 | uint32(p[i+1])
	}
	if len(p)&1 != 0 {
		x := uint32(p[len(p)-1])
		if x&0x80 != 0 {
			x = 0xff00 | (x - 1)
		}
		sum += x
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return uint16(sum)
}

func (c *CDP) fail(err error, off int, what string) error {
	return c.err.set("cdp", err, off, what)
}
