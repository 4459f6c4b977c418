package discovery

// The realistic messages the tests share: what the devices of a crane
// network say about themselves. Addresses and names are invented; the
// layouts are those of the specifications, and tshark dissects every one of
// them as the parsers do (oracle_test.go).

// MAC addresses (OUIs of the makers named).
const (
	macScalance = "00:1b:1b:6b:2f:10" // Siemens AG
	macET200SP  = "28:63:36:8a:41:0c" // Siemens AG
	macPLC      = "28:63:36:11:22:33" // Siemens AG, the IO controller
	macCisco    = "70:1f:53:4c:90:83" // Cisco Systems
	macHMI      = "18:66:da:3e:91:07" // Dell, a Windows HMI
	macCamera   = "c0:56:e3:a1:22:33" // Hangzhou Hikvision
	macDHCPSrv  = "00:50:56:aa:bb:01"
	macLinux    = "52:54:00:12:34:56"
)

const (
	scalanceDesc  = "Siemens, SIMATIC NET, SCALANCE XC208, 6GK5208-0BA00-2AC2, HW: Version 1, FW: Version V4.1"
	ciscoSoftware = "Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)\n" +
		"Technical Support: http://www.cisco.com/techsupport\n" +
		"Copyright (c) 1986-2021 by Cisco Systems, Inc.\n" +
		"Compiled Wed 21-Apr-21 10:08 by mcpre"
)

// lldpScalance is a SCALANCE XC208's LLDPDU: chassis MAC, PROFINET style
// port ID, bridge and router, an IPv4 management address, PROFINET,
// IEEE 802.3 and IEEE 802.1 organizationally specific TLVs, End.
var lldpScalance = cat(
	lldpTLV(1, byte(4), mac(macScalance)),
	lldpTLV(2, byte(7), "port-003"),
	lldpTLV(3, uint16(20)),
	lldpTLV(4, "Siemens, SIMATIC NET, Ethernet Port, X1 P3"),
	lldpTLV(5, "sc-crane1-xc208"),
	lldpTLV(6, scalanceDesc),
	lldpTLV(7, uint16(0x0014), uint16(0x0014)),
	lldpMgmt(ip("10.20.1.2"), 1),
	lldpTLV(127, hx("000ecf 02"), hx("0000 0000")),    // PROFINET port status
	lldpTLV(127, hx("00120f 01"), hx("03 6c00 0010")), // IEEE 802.3 MAC/PHY
	lldpTLV(127, hx("0080c2 01"), uint16(1)),          // IEEE 802.1 port VLAN ID
	lldpTLV(0),
)

// lldpET200SP is an IO device's LLDPDU as PROFINET has it: the chassis ID
// is its NameOfStation (locally assigned), the port ID "port-001" and a
// station-only capability.
var lldpET200SP = cat(
	lldpTLV(1, byte(7), "et200sp-crane1"),
	lldpTLV(2, byte(7), "port-001"),
	lldpTLV(3, uint16(20)),
	lldpTLV(7, uint16(0x0080), uint16(0x0080)),
	lldpMgmt(ip("10.20.1.31"), 1),
	lldpTLV(127, hx("000ecf 05"), mac(macET200SP)), // PROFINET chassis MAC
	lldpTLV(0),
)

// lldpLinux is lldpd on a Linux gateway: MAC chassis and port IDs, an IPv6
// management address before an IPv4 one, a reserved TLV type and no End
// TLV (optional since 802.1AB-2016).
var lldpLinux = cat(
	lldpTLV(1, byte(4), mac(macLinux)),
	lldpTLV(2, byte(3), mac(macLinux)),
	lldpTLV(3, uint16(120)),
	lldpTLV(5, "gw-crane1"),
	lldpTLV(6, "Debian GNU/Linux 12 (bookworm) Linux 6.1.0-18-amd64 #1 SMP x86_64"),
	lldpTLV(7, uint16(0x0094), uint16(0x0010)),
	lldpMgmt(ip("fd00:20:1::1"), 2),
	lldpMgmt(ip("10.20.1.254"), 2),
	lldpTLV(4, "eth1"),
	lldpTLV(9, "reserved type"),
)

// cdpIE4000 is a Cisco IE-4000's CDPv2 advertisement.
var cdpIE4000 = cdpFrame(2, 180,
	cdpTLV(0x01, "ie4000-crane2.port.local"),
	cdpTLV(0x02, cdpAddrList(ip("10.20.2.1"))),
	cdpTLV(0x03, "GigabitEthernet1/3"),
	cdpTLV(0x04, uint32(0x28)), // switch, IGMP
	cdpTLV(0x05, ciscoSoftware),
	cdpTLV(0x06, "cisco IE-4000-8GT4G-E"),
	cdpTLV(0x09, "CRANES"),   // VTP management domain
	cdpTLV(0x0a, uint16(20)), // native VLAN
	cdpTLV(0x0b, byte(1)),    // full duplex
	cdpTLV(0x16, cdpAddrList(ip("fd00:20:2::1"), ip("10.20.2.1"))),
	cdpTLV(0x12, byte(0)), // trust bitmap
	cdpTLV(0x13, byte(0)), // untrusted port CoS
)

// dcpET200SPIdent is an ET 200SP interface module's Identify response.
var dcpET200SPIdent = dcpPDU(0xfeff, 5, 1, 0x01000001, 0,
	dcpBlock(2, 1, 0, "ET200SP"),
	dcpBlock(2, 2, 0, "et200sp-crane1"),
	dcpBlock(2, 3, 0, uint16(0x002a), uint16(0x0313)),
	dcpBlock(2, 4, 0, byte(0x01), byte(0)),
	dcpBlock(2, 5, 0, hx("0201 0202 0203 0204 0207 0102")), // device options
	dcpBlock(1, 2, 1, ip("10.20.1.31"), ip("255.255.255.0"), ip("10.20.1.1")),
	dcpBlock(2, 7, 0, byte(0x00), byte(0x64)),
	dcpBlock(2, 8, 0, uint16(0x002a), uint16(0x0313)),
	dcpBlock(1, 1, 0, mac(macET200SP)),
)

// dcpIdentAll is a controller's Identify All request (short: the frame is
// padded).
var dcpIdentAll = dcpPDU(0xfefe, 5, 0, 0x01000002, 128, dcpBlock(0xff, 0xff, -1))

// dcpIdentName asks for one station by name.
var dcpIdentName = dcpPDU(0xfefe, 5, 0, 0x01000003, 1, dcpBlock(2, 2, -1, "et200sp-crane1"))

// dcpSetName is an engineering tool renaming a station permanently, then
// ending the transaction.
var dcpSetName = dcpPDU(0xfefd, 4, 0, 0x01000004, 0,
	dcpBlock(2, 2, 1, "et200sp-crane7"),
	dcpBlock(5, 2, 0),
)

// dcpHello is a station's Hello after power-on (fast start-up).
var dcpHello = dcpPDU(0xfefc, 6, 0, 0x01000005, 0,
	dcpBlock(2, 2, 0, "et200sp-crane1"),
	dcpBlock(1, 2, 2, ip("10.20.1.31"), ip("255.255.255.0"), ip("10.20.1.1")),
	dcpBlock(2, 3, 0, uint16(0x002a), uint16(0x0313)),
	dcpBlock(2, 4, 0, byte(0x01), byte(0)),
)

// dcpGetResp answers a Get of the NameOfStation and the full IP suite.
var dcpGetResp = dcpPDU(0xfefd, 3, 1, 0x01000006, 0,
	dcpBlock(2, 2, 0, "et200sp-crane1"),
	dcpBlock(1, 3, 0x81, ip("10.20.1.31"), ip("255.255.255.0"), ip("10.20.1.1"),
		ip("10.20.1.53"), ip("0.0.0.0"), ip("0.0.0.0"), ip("0.0.0.0")),
)

// dhcpDiscoverWin is a Windows HMI's DISCOVER.
var dhcpDiscoverWin = dhcpMsg{
	op: 1, xid: 0x3903f326, chaddr: macHMI,
	opts: [][]byte{
		dhcpOpt(53, byte(1)),
		dhcpOpt(61, byte(1), mac(macHMI)),
		dhcpOpt(50, ip("10.20.3.44")),
		dhcpOpt(12, "HMI-CRANE1"),
		dhcpOpt(60, "MSFT 5.0"),
		dhcpOpt(55, hx("01 03 06 0f 1f 21 2b 2c 2e 2f 77 79 f9 fc")),
	},
}.bytes()

// dhcpRequestCam is a Hikvision camera's REQUEST, padded to 300 octets.
var dhcpRequestCam = dhcpMsg{
	op: 1, xid: 0x5a17c0de, secs: 3, flags: 0x8000, chaddr: macCamera,
	opts: [][]byte{
		dhcpOpt(53, byte(3)),
		dhcpOpt(61, byte(1), mac(macCamera)),
		dhcpOpt(50, ip("10.20.5.23")),
		dhcpOpt(54, ip("10.20.5.1")),
		dhcpOpt(57, uint16(576)),
		dhcpOpt(12, "DS-2CD2143G2-IU"),
		dhcpOpt(60, "HIKVISION"),
		dhcpOpt(81, byte(0x01), byte(0), byte(0), "cam-gate3.port.local"),
		dhcpOpt(55, hx("01 03 06 0f 1c 2a")),
	},
	padTo: 300,
}.bytes()

// dhcpAckCam is the server's ACK to it.
var dhcpAckCam = dhcpMsg{
	op: 2, xid: 0x5a17c0de, flags: 0x8000, yiaddr: "10.20.5.23", siaddr: "10.20.5.1", chaddr: macCamera,
	opts: [][]byte{
		dhcpOpt(53, byte(5)),
		dhcpOpt(54, ip("10.20.5.1")),
		dhcpOpt(51, uint32(86400)),
		dhcpOpt(1, ip("255.255.255.0")),
		dhcpOpt(3, ip("10.20.5.1")),
		dhcpOpt(6, ip("10.20.5.1")),
		dhcpOpt(15, "port.local"),
		dhcpOpt(12, "DS-2CD2143G2-IU"),
	},
	padTo: 300,
}.bytes()

// dhcpInformPLC is a renewing PLC's INFORM with a NUL-terminated host name
// and vendor class (as some embedded stacks send them) and an option
// overload.
var dhcpInformPLC = dhcpMsg{
	op: 1, xid: 0x00000102, ciaddr: "10.20.1.10", chaddr: macPLC,
	opts: [][]byte{
		dhcpOpt(53, byte(8)),
		dhcpOpt(0), // a Pad, Pad (code 0, then a length octet 0 read as Pad)
		dhcpOpt(12, "plc-crane1\x00"),
		dhcpOpt(60, "Siemens S7-1500\x00"),
		dhcpOpt(52, byte(3)),
	},
}.bytes()

// cdpOddLow and cdpOddHigh are CDPv1 advertisements of odd length whose
// last octet is below, and at or above, 0x80.
var (
	cdpOddLow  = cdpFrame(1, 60, cdpTLV(0x01, "sw01"), cdpTLV(0x0b, byte(0x01)))
	cdpOddHigh = cdpFrame(1, 60, cdpTLV(0x01, "sw01"), cdpTLV(0x12, byte(0x9c)))
)

// dcpSetResp is the station's answer to dcpSetName: a Control/Response
// block per block set (option, suboption, BlockError).
var dcpSetResp = dcpPDU(0xfefd, 4, 1, 0x01000004, 0,
	dcpBlock(5, 4, -1, byte(2), byte(2), byte(0)),
	dcpBlock(5, 4, -1, byte(5), byte(2), byte(0)),
)

// dcpGetReq asks for the NameOfStation and the IP parameter: a list of
// selectors, not blocks.
var dcpGetReq = cat(uint16(0xfefd), byte(3), byte(0), uint32(0x01000006), uint16(0), uint16(4), hx("0202 0102"))
