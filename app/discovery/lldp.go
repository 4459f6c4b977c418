package discovery

import (
	"encoding/binary"
	"net/netip"
	"strings"
)

// LLDP TLV types (IEEE 802.1AB-2016 §8.4, Table 8-1).
const (
	lldpEnd         = 0
	lldpChassisID   = 1
	lldpPortID      = 2
	lldpTTL         = 3
	lldpPortDesc    = 4
	lldpSystemName  = 5
	lldpSystemDesc  = 6
	lldpSystemCaps  = 7
	lldpMgmtAddr    = 8
	lldpOrgSpecific = 127
)

// Chassis ID subtypes (§8.5.2.2, Table 8-2) and port ID subtypes (§8.5.3.2,
// Table 8-3) that ParseLLDP decodes.
const (
	ChassisMAC     uint8 = 4 // MAC address (IEEE 802)
	ChassisNetAddr uint8 = 5 // network address: IANA family octet + address
	ChassisIfName  uint8 = 6 // interface name
	ChassisLocal   uint8 = 7 // locally assigned
	PortMAC        uint8 = 3 // MAC address
	PortIfName     uint8 = 5 // interface name
	PortLocal      uint8 = 7 // locally assigned
)

// IANA address family numbers, as the management address subtype (§8.5.9.3).
const (
	afIPv4 = 1
	afIPv6 = 2
)

// LLDPCapabilities is the system capabilities bit set of §8.5.8.1 (Table
// 8-4): bit 1 of the standard is the least significant bit.
type LLDPCapabilities uint16

// LLDP system capabilities.
const (
	LLDPCapOther       LLDPCapabilities = 1 << 0
	LLDPCapRepeater    LLDPCapabilities = 1 << 1
	LLDPCapBridge      LLDPCapabilities = 1 << 2 // MAC bridge component (IEEE 802.1Q)
	LLDPCapWLANAP      LLDPCapabilities = 1 << 3 // WLAN access point
	LLDPCapRouter      LLDPCapabilities = 1 << 4
	LLDPCapTelephone   LLDPCapabilities = 1 << 5
	LLDPCapDOCSIS      LLDPCapabilities = 1 << 6 // DOCSIS cable device
	LLDPCapStationOnly LLDPCapabilities = 1 << 7
	LLDPCapCVLAN       LLDPCapabilities = 1 << 8 // C-VLAN component
	LLDPCapSVLAN       LLDPCapabilities = 1 << 9 // S-VLAN component
	LLDPCapTPMR        LLDPCapabilities = 1 << 10
)

var lldpCapNames = [...]string{"other", "repeater", "bridge", "wlan-ap", "router",
	"telephone", "docsis", "station-only", "c-vlan", "s-vlan", "tpmr"}

// String lists the set bits as "bridge,router"; "" for none. It allocates.
func (c LLDPCapabilities) String() string { return bitNames(uint32(c), lldpCapNames[:]) }

// LLDP is what one LLDPDU says about the station that sent it. It is owned
// by the caller and meant to be reused: ParseLLDP overwrites every field.
// Byte slices alias the parsed input; nil means the TLV was absent. An
// optional TLV that occurs more than once keeps its first occurrence.
type LLDP struct {
	// ChassisID is the chassis ID after its subtype octet. When the
	// subtype is ChassisMAC and the ID is six octets, HasChassisMAC is set
	// and ChassisMAC holds it.
	ChassisIDSubtype uint8
	ChassisID        []byte
	ChassisMAC       [6]byte
	HasChassisMAC    bool

	PortIDSubtype uint8
	PortID        []byte // after the subtype octet

	TTL uint16 // seconds; 0 in a shutdown LLDPDU (§9.2.7.2)

	PortDescription   []byte
	SystemName        []byte
	SystemDescription []byte

	// Capabilities are the system's capabilities, Enabled those turned on
	// (§8.5.8); HasCapabilities reports the TLV.
	Capabilities    LLDPCapabilities
	Enabled         LLDPCapabilities
	HasCapabilities bool

	// MgmtAddr is the first IPv4 or IPv6 management address (§8.5.9), with
	// its interface numbering subtype (1 unknown, 2 ifIndex, 3 system port
	// number) and interface number. MgmtAddrs counts all management
	// address TLVs, of any family.
	MgmtAddr      netip.Addr
	MgmtIfSubtype uint8
	MgmtIfNumber  uint32
	MgmtAddrs     int

	OrgTLVs int  // organizationally specific TLVs (type 127): IEEE 802.1/802.3, PROFINET, LLDP-MED, …
	Unknown int  // TLVs of the reserved types 9–126
	End     bool // an End Of LLDPDU TLV closed the LLDPDU (optional since 802.1AB-2016)

	err Error
}

// ParseLLDP parses an LLDPDU, the payload of an Ethernet frame of EtherType
// 0x88CC (IEEE 802.1AB-2016 §8): a sequence of TLVs, each a 7-bit type and
// a 9-bit length (§8.4, Figure 8-5) and a value of that length.
//
//   - The first three TLVs must be Chassis ID, Port ID and Time To Live
//     (§8.2), and none of them may occur again (§9.2.7.7.1).
//   - Chassis ID and Port ID are a subtype octet and 1 to 255 octets
//     (§8.5.2, §8.5.3); Time To Live is two octets (§8.5.4); System
//     Capabilities four (§8.5.8); a Management Address TLV (§8.5.9) must
//     be consistent with its own address and OID lengths; an
//     organizationally specific TLV holds at least its OUI and subtype
//     (§8.6). Port Description, System Name and System Description are
//     taken as they are (§8.5.5–§8.5.7).
//   - An End Of LLDPDU TLV (§8.5.1, zero length) stops the walk, so the
//     Ethernet padding after it is never read. Since 802.1AB-2016 End is
//     optional: the LLDPDU may also end with the input after a whole TLV.
//
// On error the fields hold what was read before the fault, and the error is
// an *Error (valid until the next parse into l) wrapping ErrTruncated or
// ErrMalformed.
func ParseLLDP(b []byte, l *LLDP) error {
	*l = LLDP{}
	n := 0 // TLVs read
	// Each turn consumes at least the two-octet TLV header.
	for i := 0; i < len(b); n++ {
		if len(b)-i < 2 {
			return l.fail(ErrTruncated, i, "tlv header")
		}
		h := binary.BigEndian.Uint16(b[i:])
		typ, size := int(h>>9), int(h&0x1ff)
		if len(b)-i-2 < size {
			return l.fail(ErrTruncated, i, "tlv value")
		}
		v := b[i+2 : i+2+size]
		if n < 3 && typ != n+1 {
			return l.fail(ErrMalformed, i, mandatoryOrder[n])
		}
		if err := l.tlv(typ, v, i, n); err != nil {
			return err
		}
		if typ == lldpEnd {
			l.End = true
			return nil
		}
		i += 2 + size
	}
	if n < 3 {
		return l.fail(ErrTruncated, len(b), mandatoryOrder[n])
	}
	return nil
}

var (
	mandatoryOrder    = [3]string{"chassis id tlv", "port id tlv", "time to live tlv"}
	repeatedMandatory = [3]string{"repeated chassis id tlv", "repeated port id tlv", "repeated time to live tlv"}
)

// tlv stores the value v of the n-th TLV, found at offset off.
func (l *LLDP) tlv(typ int, v []byte, off, n int) error {
	switch typ {
	case lldpEnd:
		if len(v) != 0 {
			return l.fail(ErrMalformed, off, "end tlv length")
		}
	case lldpChassisID, lldpPortID, lldpTTL:
		if n >= 3 {
			return l.fail(ErrMalformed, off, repeatedMandatory[typ-1])
		}
		switch typ {
		case lldpChassisID:
			if len(v) < 2 {
				return l.fail(ErrMalformed, off, "chassis id length")
			}
			l.ChassisIDSubtype, l.ChassisID = v[0], v[1:]
			if v[0] == ChassisMAC && len(v) == 7 {
				l.ChassisMAC = [6]byte(v[1:])
				l.HasChassisMAC = true
			}
		case lldpPortID:
			if len(v) < 2 {
				return l.fail(ErrMalformed, off, "port id length")
			}
			l.PortIDSubtype, l.PortID = v[0], v[1:]
		case lldpTTL:
			if len(v) != 2 {
				return l.fail(ErrMalformed, off, "time to live length")
			}
			l.TTL = binary.BigEndian.Uint16(v)
		}
	case lldpPortDesc:
		first(&l.PortDescription, v)
	case lldpSystemName:
		first(&l.SystemName, v)
	case lldpSystemDesc:
		first(&l.SystemDescription, v)
	case lldpSystemCaps:
		if len(v) != 4 {
			return l.fail(ErrMalformed, off, "system capabilities length")
		}
		if !l.HasCapabilities {
			l.Capabilities = LLDPCapabilities(binary.BigEndian.Uint16(v))
			l.Enabled = LLDPCapabilities(binary.BigEndian.Uint16(v[2:]))
			l.HasCapabilities = true
		}
	case lldpMgmtAddr:
		return l.mgmtAddr(v, off)
	case lldpOrgSpecific:
		if len(v) < 4 {
			return l.fail(ErrMalformed, off, "organizationally specific tlv length")
		}
		l.OrgTLVs++
	default:
		l.Unknown++
	}
	return nil
}

// mgmtAddr reads a Management Address TLV (§8.5.9, Figure 8-11): address
// string length (subtype + address, 2 to 32), address subtype, address,
// interface numbering subtype, interface number (4), OID string length
// (0 to 128) and OID.
func (l *LLDP) mgmtAddr(v []byte, off int) error {
	if len(v) < 9 {
		return l.fail(ErrMalformed, off, "management address length")
	}
	alen := int(v[0])
	if alen < 2 || alen > 32 || 1+alen+6 > len(v) {
		return l.fail(ErrMalformed, off, "management address string length")
	}
	rest := v[1+alen:]
	if 6+int(rest[5]) != len(rest) {
		return l.fail(ErrMalformed, off, "management address oid length")
	}
	l.MgmtAddrs++
	if l.MgmtAddr.IsValid() {
		return nil
	}
	family, addr := v[1], v[2:1+alen]
	switch {
	case family == afIPv4 && len(addr) == 4:
		l.MgmtAddr = netip.AddrFrom4([4]byte(addr))
	case family == afIPv6 && len(addr) == 16:
		l.MgmtAddr = netip.AddrFrom16([16]byte(addr))
	default:
		return nil
	}
	l.MgmtIfSubtype = rest[0]
	l.MgmtIfNumber = binary.BigEndian.Uint32(rest[1:])
	return nil
}

func (l *LLDP) fail(err error, off int, what string) error {
	return l.err.set("lldp", err, off, what)
}

// bitNames joins the names of the bits set in v, lowest first; bits without
// a name are left out.
func bitNames(v uint32, names []string) string {
	var sb strings.Builder
	for i, name := range names {
		if v&(1<<i) == 0 {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(name)
	}
	return sb.String()
}
