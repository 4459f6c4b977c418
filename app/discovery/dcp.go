package discovery

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// PROFINET frame IDs of DCP (IEC 61158-6-10 §4.3; Wireshark packet-pn.h).
const (
	DCPFrameHello            uint16 = 0xfefc
	DCPFrameGetSet           uint16 = 0xfefd
	DCPFrameIdentifyRequest  uint16 = 0xfefe // multicast to 01-0E-CF-00-00-00
	DCPFrameIdentifyResponse uint16 = 0xfeff
)

// DCPService is the DCP ServiceID.
type DCPService uint8

// DCP services.
const (
	DCPGet      DCPService = 3
	DCPSet      DCPService = 4
	DCPIdentify DCPService = 5
	DCPHello    DCPService = 6
)

// String returns "Get", "Set", "Identify", "Hello" or "Service(n)".
func (s DCPService) String() string {
	switch s {
	case DCPGet:
		return "Get"
	case DCPSet:
		return "Set"
	case DCPIdentify:
		return "Identify"
	case DCPHello:
		return "Hello"
	}
	return "Service(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (s DCPService) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// DCP service types: a request, a successful response, or a response that
// says the request is not supported.
const (
	DCPRequest     uint8 = 0
	DCPSuccess     uint8 = 1
	DCPUnsupported uint8 = 5
)

// DeviceRole bits of the Device/DeviceRole block.
const (
	DCPRoleIODevice     uint8 = 0x01
	DCPRoleIOController uint8 = 0x02
	DCPRoleMultidevice  uint8 = 0x04
	DCPRoleSupervisor   uint8 = 0x08
)

// Control blocks of a Set request (DCP.Control bits).
const (
	DCPControlStart          uint8 = 1 << 0 // Start transaction
	DCPControlStop           uint8 = 1 << 1 // End transaction
	DCPControlSignal         uint8 = 1 << 2 // flash the station's LED
	DCPControlFactoryReset   uint8 = 1 << 3 // Reset Factory Settings (5/5)
	DCPControlResetToFactory uint8 = 1 << 4 // Reset to Factory (5/6)
)

// DCP block options and the suboptions ParseDCP reads.
const (
	dcpOptIP         = 1
	dcpOptDevice     = 2
	dcpOptDHCP       = 3
	dcpOptControl    = 5
	dcpOptAll        = 0xff
	dcpSubResponse   = 4 // Control/Response: option, suboption, BlockError
	dcpSubMAC        = 1 // IP/MAC address
	dcpSubIP         = 2 // IP/IP parameter
	dcpSubIPSuite    = 3 // IP/full IP suite: IP parameter and four DNS servers
	dcpSubVendor     = 1 // Device/DeviceVendorValue ("type of station")
	dcpSubName       = 2 // Device/NameOfStation
	dcpSubDeviceID   = 3 // Device/DeviceID
	dcpSubRole       = 4 // Device/DeviceRole
	dcpSubAlias      = 6 // Device/AliasName
	dcpSubInstance   = 7 // Device/DeviceInstance
	dcpSubOEMID      = 8 // Device/OEMDeviceID
	dcpHeaderLen     = 12
	dcpBlockHeader   = 4
	dcpBlockInfoSize = 2
)

// DCP is one PROFINET DCP PDU: the header and what its blocks say about a
// station. It is owned by the caller and meant to be reused: ParseDCP
// overwrites every field. Byte slices alias the parsed input; nil means the
// block was absent. A block that occurs more than once keeps its first
// occurrence.
//
// In a response (Identify, Get) or a Hello the blocks describe the sender.
// In an Identify request they are filters, the station the controller
// looks for (NameOfStation, or All); in a Set request they are the values
// a controller or engineering tool assigns (a new NameOfStation or IP
// parameter). Request tells them apart.
type DCP struct {
	FrameID       uint16
	Service       DCPService
	ServiceType   uint8 // DCPRequest, DCPSuccess or DCPUnsupported
	Request       bool  // ServiceType is DCPRequest
	XID           uint32
	ResponseDelay uint16 // Identify requests only: the responders' spread factor
	DataLength    uint16 // octets of blocks after the header

	NameOfStation []byte // Device/NameOfStation (2/2), "et200sp-crane1"
	TypeOfStation []byte // Device/DeviceVendorValue (2/1), "ET200SP"
	AliasName     []byte // Device/AliasName (2/6), "port-001.<neighbour's name>"

	VendorID    uint16 // Device/DeviceID (2/3): 0x002a is Siemens
	DeviceID    uint16
	HasDeviceID bool

	DeviceRole uint8 // Device/DeviceRole (2/4): DCPRoleIODevice, …; 0 when absent

	DeviceInstance    uint16 // Device/DeviceInstance (2/7): high << 8 | low
	HasDeviceInstance bool

	OEMVendorID    uint16 // Device/OEMDeviceID (2/8)
	OEMDeviceID    uint16
	HasOEMDeviceID bool

	MAC    [6]byte // IP/MAC address (1/1), when HasMAC
	HasMAC bool

	// IP, Mask and Gateway are the IP parameter (1/2, or the first part of
	// the full IP suite 1/3); the zero Addr when absent. IPInfo is that
	// block's BlockInfo in responses and Hellos: 0 not set, 1 set, 2 set
	// by DHCP, with 0x80 added when the device detected an address
	// conflict.
	IP, Mask, Gateway netip.Addr
	IPInfo            uint16

	// Qualifier is the BlockQualifier of the first NameOfStation or IP
	// block of a Set request (bit 0: 1 save permanently, 0 temporarily),
	// when HasQualifier.
	Qualifier    uint16
	HasQualifier bool
	// Control holds the Control blocks of a Set request
	// (DCPControlSignal, DCPControlFactoryReset, …; Start and End
	// transaction are plumbing) and DHCP the DHCP blocks (option 3) it
	// sets.
	Control uint8
	DHCP    int
	// Responses counts the Control/Response blocks of a Set response, one
	// per block set; Failed those whose BlockError is not 0, the first of
	// which is named by ErrOption, ErrSuboption and Error.
	Responses, Failed              int
	ErrOption, ErrSuboption, Error uint8

	All     bool // an All selector block (0xFF/0xFF): Identify all
	Blocks  int  // blocks read (selectors of a Get request included)
	Unknown int  // blocks of other options or suboptions (DHCP, Control, …)

	err Error
}

// ParseDCP parses a PROFINET DCP PDU (IEC 61158-6-10 §4.3, as Wireshark's
// packet-pn-dcp.c dissects it), the payload of an Ethernet frame of
// EtherType 0x8892 whose FrameID is one of DCP's (0xFEFC to 0xFEFF):
//
//   - FrameID (2), then the DCP header: ServiceID (Get 3, Set 4, Identify
//     5, Hello 6), ServiceType (0 request, 1 success, 5 not supported),
//     Xid (4), ResponseDelay in an Identify request or reserved (2), and
//     DCPDataLength (2), which must fit in b. Bytes after DCPDataLength
//     (the Ethernet padding) are ignored;
//   - blocks, up to DCPDataLength: Option (1), Suboption (1),
//     DCPBlockLength (2) and that many octets of value, padded to an even
//     length when another block follows. The value starts with a
//     BlockInfo (2) in Identify and Get responses and in Hello requests,
//     and with a BlockQualifier (2) in Set requests;
//   - a Get request holds a list of Option/Suboption selectors instead,
//     which are counted and not read.
//
// The blocks read are listed on DCP; values of fixed size must have it
// (DeviceID and OEMDeviceID 4, DeviceRole and DeviceInstance 2, MAC 6, IP
// parameter 12, full IP suite 28).
//
// On error the fields hold what was read before the fault, and the error is
// an *Error (valid until the next parse into d) wrapping ErrNotDCP,
// ErrTruncated or ErrMalformed.
func ParseDCP(b []byte, d *DCP) error {
	*d = DCP{}
	if len(b) < 2 {
		return d.fail(ErrTruncated, len(b), "frame id")
	}
	be := binary.BigEndian
	d.FrameID = be.Uint16(b)
	if d.FrameID < DCPFrameHello || d.FrameID > DCPFrameIdentifyResponse {
		return d.fail(ErrNotDCP, 0, "frame id") // cyclic data, alarms, PTCP, …
	}
	if len(b) < dcpHeaderLen {
		return d.fail(ErrTruncated, len(b), "dcp header")
	}
	d.Service, d.ServiceType = DCPService(b[2]), b[3]
	d.XID = be.Uint32(b[4:])
	d.DataLength = be.Uint16(b[10:])
	if d.Service < DCPGet || d.Service > DCPHello {
		return d.fail(ErrMalformed, 2, "service id")
	}
	switch d.ServiceType {
	case DCPRequest:
		d.Request = true
	case DCPSuccess, DCPUnsupported:
	default:
		return d.fail(ErrMalformed, 3, "service type")
	}
	if d.Service == DCPIdentify && d.Request {
		d.ResponseDelay = be.Uint16(b[8:])
	}
	end := dcpHeaderLen + int(d.DataLength)
	if end > len(b) {
		return d.fail(ErrTruncated, len(b), "dcp data")
	}
	b = b[:end]
	if d.Service == DCPGet && d.Request {
		if d.DataLength%2 != 0 {
			return d.fail(ErrMalformed, dcpHeaderLen, "get selectors")
		}
		d.Blocks = int(d.DataLength) / 2
		return nil
	}
	// BlockInfo or BlockQualifier in front of each value.
	prefixed := (d.Service == DCPIdentify && !d.Request) ||
		(d.Service == DCPHello && d.Request) ||
		(d.Service == DCPGet && !d.Request) ||
		(d.Service == DCPSet && d.Request)
	// Each turn consumes at least the four-octet block header.
	for i := dcpHeaderLen; i < end; {
		if end-i < dcpBlockHeader {
			return d.fail(ErrTruncated, i, "block header")
		}
		n := int(be.Uint16(b[i+2:]))
		if n > end-i-dcpBlockHeader {
			return d.fail(ErrTruncated, i, "block value")
		}
		v := b[i+dcpBlockHeader : i+dcpBlockHeader+n]
		var info uint16
		if prefixed {
			if n < dcpBlockInfoSize {
				return d.fail(ErrMalformed, i, "block info")
			}
			info = be.Uint16(v)
			v = v[dcpBlockInfoSize:]
		}
		if err := d.block(b[i], b[i+1], info, v, i); err != nil {
			return err
		}
		d.Blocks++
		i += dcpBlockHeader + n
		if n%2 != 0 && i < end {
			i++ // padding to an even length
		}
	}
	return nil
}

// block stores the value v of one block (option opt, suboption sub, found
// at offset off); info is its BlockInfo or BlockQualifier, if any.
func (d *DCP) block(opt, sub byte, info uint16, v []byte, off int) error {
	be := binary.BigEndian
	switch {
	case opt == dcpOptDevice && sub == dcpSubName:
		first(&d.NameOfStation, v)
		d.qualify(info)
	case opt == dcpOptDevice && sub == dcpSubVendor:
		first(&d.TypeOfStation, v)
	case opt == dcpOptDevice && sub == dcpSubAlias:
		first(&d.AliasName, v)
	case opt == dcpOptDevice && sub == dcpSubDeviceID:
		if len(v) != 4 {
			return d.fail(ErrMalformed, off, "device id length")
		}
		if !d.HasDeviceID {
			d.VendorID, d.DeviceID, d.HasDeviceID = be.Uint16(v), be.Uint16(v[2:]), true
		}
	case opt == dcpOptDevice && sub == dcpSubOEMID:
		if len(v) != 4 {
			return d.fail(ErrMalformed, off, "oem device id length")
		}
		if !d.HasOEMDeviceID {
			d.OEMVendorID, d.OEMDeviceID, d.HasOEMDeviceID = be.Uint16(v), be.Uint16(v[2:]), true
		}
	case opt == dcpOptDevice && sub == dcpSubRole:
		if len(v) != 2 {
			return d.fail(ErrMalformed, off, "device role length")
		}
		if d.DeviceRole == 0 {
			d.DeviceRole = v[0] // v[1] is reserved
		}
	case opt == dcpOptDevice && sub == dcpSubInstance:
		if len(v) != 2 {
			return d.fail(ErrMalformed, off, "device instance length")
		}
		if !d.HasDeviceInstance {
			d.DeviceInstance, d.HasDeviceInstance = be.Uint16(v), true
		}
	case opt == dcpOptIP && sub == dcpSubMAC:
		if len(v) != 6 {
			return d.fail(ErrMalformed, off, "mac address length")
		}
		if !d.HasMAC {
			d.MAC, d.HasMAC = [6]byte(v), true
		}
	case opt == dcpOptIP && (sub == dcpSubIP || sub == dcpSubIPSuite):
		if (sub == dcpSubIP && len(v) != 12) || (sub == dcpSubIPSuite && len(v) != 28) {
			return d.fail(ErrMalformed, off, "ip parameter length")
		}
		d.qualify(info)
		if !d.IP.IsValid() {
			d.IP = netip.AddrFrom4([4]byte(v))
			d.Mask = netip.AddrFrom4([4]byte(v[4:]))
			d.Gateway = netip.AddrFrom4([4]byte(v[8:]))
			if d.Service != DCPSet { // a Set request's prefix is a BlockQualifier
				d.IPInfo = info
			}
		}
	case opt == dcpOptAll && sub == dcpOptAll:
		d.All = true
	case opt == dcpOptControl && sub == dcpSubResponse && d.Service == DCPSet && !d.Request:
		if len(v) < 3 {
			return d.fail(ErrMalformed, off, "control response length")
		}
		d.Responses++
		if v[2] != 0 {
			if d.Failed == 0 {
				d.ErrOption, d.ErrSuboption, d.Error = v[0], v[1], v[2]
			}
			d.Failed++
		}
	case opt == dcpOptControl && sub >= 1 && sub <= 6 && sub != dcpSubResponse && d.Service == DCPSet && d.Request:
		d.Control |= [...]uint8{1: DCPControlStart, 2: DCPControlStop, 3: DCPControlSignal, 5: DCPControlFactoryReset, 6: DCPControlResetToFactory}[sub]
	case opt == dcpOptDHCP && d.Service == DCPSet && d.Request:
		d.DHCP++
	default:
		d.Unknown++
	}
	return nil
}

// qualify keeps the BlockQualifier of a Set request's first name or IP
// block.
func (d *DCP) qualify(q uint16) {
	if d.Service == DCPSet && d.Request && !d.HasQualifier {
		d.Qualifier, d.HasQualifier = q, true
	}
}

func (d *DCP) fail(err error, off int, what string) error {
	return d.err.set("dcp", err, off, what)
}
