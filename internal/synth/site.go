package synth

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The terminal model: the zones, conduits, cranes and devices of a
// container terminal of N ship-to-shore cranes. Terminal's traffic, the
// site model of TerminalSiteYAML and the inventory of TerminalAssets are
// all drawn from it, so the three agree.
//
// Crane k (STS-KK) has two zones: stsKK-control, 10.10.(10k-9).0/24 on
// VLAN 100k+10, and stsKK-cctv, 10.10.(10k-8).0/24 on VLAN 100k+20. Odd
// cranes are controlled by a Siemens S7-1500 speaking S7comm, even cranes
// by a Rockwell ControlLogix speaking EtherNet/IP. Device MACs carry the
// vendor's OUI, then the crane number, 0 (control) or 2 (cameras), and the
// host number.

// Limits of TerminalOptions.Cranes.
const (
	MinCranes     = 2  // the scenarios use STS-01 and STS-02
	MaxCranes     = 24 // 10k-8 must stay a byte, 100k+20 a VLAN id
	defaultCranes = 2  // the shipped example
)

// ErrCranes is returned for a crane count outside MinCranes..MaxCranes.
var ErrCranes = errors.New("synth: crane count out of range")

// InventoryHeader is the header of the declared inventory as CSV, the
// field order of InventoryRow.Record.
var InventoryHeader = []string{"id", "name", "ip", "mac", "kind", "vendor", "model", "supplier", "origin",
	"crane", "zone", "criticality", "serial", "firmware", "notes"}

// InventoryRow is one device of the terminal as its declared inventory
// lists it. Every field is text as written in the CSV; empty when unknown.
type InventoryRow struct {
	ID, Name, IP, MAC, Kind, Vendor, Model, Supplier, Origin string
	Crane, Zone, Criticality, Serial, Firmware, Notes        string
}

// Record returns the row's fields in InventoryHeader order.
func (r InventoryRow) Record() []string {
	return []string{r.ID, r.Name, r.IP, r.MAC, r.Kind, r.Vendor, r.Model, r.Supplier, r.Origin,
		r.Crane, r.Zone, r.Criticality, r.Serial, r.Firmware, r.Notes}
}

// TerminalAssets returns the declared inventory of the terminal of
// opts.Cranes cranes, one row per device of the site model's assets, in
// the same order. Intruders of the scenarios are not in it.
func TerminalAssets(opts TerminalOptions) ([]InventoryRow, error) {
	m, err := opts.model()
	if err != nil {
		return nil, err
	}
	rows := make([]InventoryRow, len(m.nodes))
	for i, n := range m.nodes {
		rows[i] = n.row
	}
	return rows, nil
}

// TerminalSiteYAML returns the site model (site.yaml) of the terminal of
// opts.Cranes cranes: its zones, conduits, cranes, every device Terminal
// writes traffic for (intruders aside), the weekly change window, the
// remote-access gateway and the prohibited destinations; with the power
// SCADA and the substation when a scenario of opts needs them
// (TerminalScenario.Power). For the default two cranes and the example's
// scenarios it is TerminalSite.
func TerminalSiteYAML(opts TerminalOptions) ([]byte, error) {
	m, err := opts.model()
	if err != nil {
		return nil, err
	}
	return m.siteYAML(), nil
}

// TerminalSite is the site model of the example terminal (two cranes),
// identical to examples/terminal/site.yaml.
var TerminalSite = func() []byte {
	b, err := TerminalSiteYAML(TerminalOptions{})
	if err != nil {
		panic(err) // the default crane count is in range
	}
	return b
}()

// node is one device: its wire identity and its inventory row.
type node struct {
	Host
	row   InventoryRow
	ports *portSet // ephemeral ports, made on first use
}

// crane holds one crane's devices.
type crane struct {
	k          int
	id         string // STS-01
	pre        string // sts01
	ctrl, cctv zone
	s7         bool // main PLC speaks S7comm (odd cranes); else EtherNet/IP
	plc        *node
	drives     []*node // hoist, trolley
	spreader   *node
	rio        []*node
	hmi        *node
	cams       []*node // cam1 streams to the recorder, cam2 to the OCR server
	ocr        *node
	identity   map[*node]ENIPIdentity // what the EtherNet/IP devices say of themselves
}

type zone struct {
	id, kind, crane string
	cidr            netip.Prefix
	vlan            uint16
}

// model is the whole terminal.
type model struct {
	cranes                                []*crane
	ews, cms, nvr, gw, upd, dns, ntp, tos *node
	bms, hvac                             *node // building management (addBuilding)
	zones                                 []zone
	nodes                                 []*node // every declared device, in site order
	// The power SCADA and the substation feeding the cranes and shore
	// power, when a scenario needs them (TerminalScenario.Power): scada
	// masters rtu (IEC 104) and spc (DNP3).
	scada, rtu, spc *node
	conduits        string // site.yaml lines of conduits beyond the common ones
}

const (
	critCore    = "core-control"
	critNonCrit = "non-critical"
	critSupport = "support"
)

// newModel builds the terminal of n cranes (0: the example's two).
func newModel(n int) (*model, error) {
	if n == 0 {
		n = defaultCranes
	}
	if n < MinCranes || n > MaxCranes {
		return nil, fmt.Errorf("%w: %d (want %d to %d)", ErrCranes, n, MinCranes, MaxCranes)
	}
	m := &model{}
	for k := 1; k <= n; k++ {
		m.cranes = append(m.cranes, newCrane(k))
	}
	for _, c := range m.cranes {
		m.zones = append(m.zones, c.ctrl, c.cctv)
	}
	mgmt := zone{id: "crane-mgmt", kind: "crane-management", cidr: netip.MustParsePrefix("10.10.9.0/24"), vlan: 90}
	rcms := zone{id: "rcms", kind: "remote-access", cidr: netip.MustParsePrefix("10.20.0.0/28")}
	edge := zone{id: "edge", kind: "dmz", cidr: netip.MustParsePrefix("10.30.0.0/24")}
	ot := zone{id: "ot-services", kind: "port-ot", cidr: netip.MustParsePrefix("10.40.0.0/24")}
	tos := zone{id: "tos", kind: "business", cidr: netip.MustParsePrefix("10.50.0.0/16")}
	m.zones = append(m.zones, mgmt, rcms, edge, ot, tos)

	for _, c := range m.cranes {
		m.nodes = append(m.nodes, c.plc)
		m.nodes = append(m.nodes, c.drives...)
		m.nodes = append(m.nodes, c.spreader)
		m.nodes = append(m.nodes, c.rio...)
		m.nodes = append(m.nodes, c.hmi)
		m.nodes = append(m.nodes, c.cams...)
		m.nodes = append(m.nodes, c.ocr)
	}
	add := func(z zone, id, ip, mac string, ttl uint8, row InventoryRow) *node {
		nd := newNode(z, id, ip, mac, ttl, "", row)
		m.nodes = append(m.nodes, nd)
		return nd
	}
	m.ews = add(mgmt, "ews01", "10.10.9.20", "3c:52:82:09:00:14", 128, InventoryRow{Name: "engineering workstation",
		Kind: "engineering-workstation", Vendor: "HP", Model: "Z2 G9", Criticality: critSupport, Serial: "CZC2419K7Q",
		Notes: "TIA Portal, Studio 5000"})
	m.cms = add(mgmt, "cms01", "10.10.9.30", "3c:52:82:09:00:1e", 128, InventoryRow{Name: "crane management system",
		Kind: "server", Vendor: "HP", Model: "crane management system", Criticality: critSupport, Serial: "CZJ2420B1M"})
	m.nvr = add(mgmt, "nvr01", "10.10.9.40", "3c:52:82:09:00:28", 128, InventoryRow{Name: "video recorder",
		Kind: "server", Vendor: "HP", Model: "video recorder", Criticality: critSupport, Serial: "CZJ2420B2N"})
	m.gw = add(rcms, "rcms-gw", "10.20.0.10", "00:1b:1b:20:00:0a", 64, InventoryRow{Name: "remote-access gateway",
		Kind: "remote-access", Vendor: "Siemens", Model: "SINEMA RC", Criticality: critSupport, Serial: "S V-L2RC0417", Firmware: "V3.2"})
	m.upd = add(edge, "upd01", "10.30.0.20", "00:50:56:30:00:14", 64, InventoryRow{Name: "update mirror",
		Kind: "server", Vendor: "VMware", Model: "virtual machine", Criticality: critSupport,
		Notes: "serves vendor and OS updates to crane management"})
	m.dns = add(ot, "dns01", "10.40.0.53", "00:50:56:40:00:35", 64, InventoryRow{Name: "name server",
		Kind: "server", Vendor: "VMware", Model: "virtual machine", Criticality: critSupport})
	m.ntp = add(ot, "ntp01", "10.40.0.123", "00:50:56:40:00:7b", 64, InventoryRow{Name: "time server",
		Kind: "server", Vendor: "VMware", Model: "virtual machine", Criticality: critSupport})
	m.tos = add(tos, "tos01", "10.50.1.10", "00:50:56:50:01:0a", 64, InventoryRow{Name: "terminal operating system",
		Kind: "server", Vendor: "VMware", Model: "virtual machine", Criticality: critSupport})
	m.addBuilding()
	return m, nil
}

// addBuilding adds the building management network and STS-01's
// electrical house, whose HVAC controller (it keeps the drive cabinets
// cool: a crane-control zone of its own) the building management server
// supervises over BACnet/IP: zones after the first crane's and the
// site's, the controller among STS-01's devices.
func (m *model) addBuilding() {
	c := m.cranes[0]
	ehouse := zone{id: c.pre + "-ehouse", kind: "crane-control", crane: c.id,
		cidr: netip.MustParsePrefix("10.10.3.0/24"), vlan: 130}
	bms := zone{id: "bms", kind: "port-ot", cidr: netip.MustParsePrefix("10.60.0.0/24")}
	m.zones = slices.Insert(m.zones, 2, ehouse)
	m.zones = append(m.zones, bms)
	m.hvac = newNode(ehouse, c.pre+"-hvac1", "10.10.3.10", "00:a0:03:01:03:0a", 64, c.id, InventoryRow{
		Name: c.id + " e-house HVAC controller", Kind: "controller", Vendor: "Siemens", Model: "Desigo PXC4.E16",
		Criticality: critSupport, Serial: "PXC4-0103010", Firmware: "V7.1.2",
		Notes: "BACnet/IP device 1301; cools the drive cabinets of the electrical house"})
	last := slices.IndexFunc(m.nodes, func(n *node) bool { return n.row.Crane != c.id })
	m.nodes = slices.Insert(m.nodes, last, m.hvac)
	m.bms = newNode(bms, "bms01", "10.60.0.10", "00:50:56:60:00:0a", 64, "", InventoryRow{Name: "building management server",
		Kind: "server", Vendor: "VMware", Model: "virtual machine", Criticality: critSupport,
		Notes: "Desigo CC: supervises the e-house HVAC over BACnet/IP"})
	m.nodes = append(m.nodes, m.bms)
}

// power adds the terminal's power SCADA (a port-ot zone) and the 11 kV
// substation that feeds the cranes' cable reels and the shore-power
// connection, with the conduit between them. The substation is a
// crane-control zone: a breaker opened there stops the cranes it feeds.
// Only scenarios that speak to them add them (the zones of a model are
// zones a sensor covers: a crane zone never seen would leave the
// monitoring incomplete).
func (m *model) power() {
	scada := zone{id: "power-scada", kind: "port-ot", cidr: netip.MustParsePrefix("10.60.1.0/24")}
	sub := zone{id: "substation", kind: "crane-control", cidr: netip.MustParsePrefix("10.60.2.0/24")}
	m.zones = append(m.zones, scada, sub)
	add := func(z zone, id, ip, mac string, ttl uint8, row InventoryRow) *node {
		nd := newNode(z, id, ip, mac, ttl, "", row)
		m.nodes = append(m.nodes, nd)
		return nd
	}
	m.scada = add(scada, "pscada01", "10.60.1.10", "3c:52:82:60:01:0a", 128, InventoryRow{Name: "power SCADA master",
		Kind: "server", Vendor: "HP", Model: "ProLiant DL20 Gen11", Criticality: critSupport, Serial: "CZJ2431P0A",
		Notes: "IEC 60870-5-104 and DNP3 master of the substation"})
	m.rtu = add(sub, "sub-rtu1", "10.60.2.10", "00:1b:1b:60:02:0a", 64, InventoryRow{Name: "substation RTU",
		Kind: "rtu", Vendor: "Siemens", Model: "SICAM A8000 CP-8050", Criticality: critCore, Serial: "BF2210041871",
		Firmware: "V05.30", Notes: "IEC 60870-5-104; crane feeder breakers and shore-power setpoints"})
	m.spc = add(sub, "sub-spc1", "10.60.2.20", "00:30:a7:60:02:14", 64, InventoryRow{Name: "shore-power controller",
		Kind: "rtu", Vendor: "SEL", Model: "SEL-3505 RTAC", Criticality: critCore, Serial: "1231540087",
		Firmware: "R150-V2", Notes: "DNP3 outstation with secure authentication; shore-power converter"})
	m.conduits += `  # the power SCADA reads and controls the substation (IEC 104, DNP3), sets its clocks and
  # fetches its records; settings, programs and restarts are changed on site only
  - {from: power-scada, to: substation, protocols: [iec104, dnp3], ports: [2404, 20000],
     operations: [read, identity, diagnostics, session, io, auth, write, config-change, program-upload]}
`
}

// newNode makes a device of zone z; the row's identity fields are filled
// from the other arguments.
func newNode(z zone, id, ip, m string, ttl uint8, craneID string, row InventoryRow) *node {
	row.ID, row.IP, row.MAC, row.Zone, row.Crane = id, ip, m, z.id, craneID
	return &node{Host: host(id, ip, m, z.vlan, ttl), row: row}
}

func newCrane(k int) *crane {
	kk := fmt.Sprintf("%02d", k)
	c := &crane{k: k, id: "STS-" + kk, pre: "sts" + kk, s7: k%2 == 1, identity: map[*node]ENIPIdentity{}}
	c.ctrl = zone{id: c.pre + "-control", kind: "crane-control", crane: c.id,
		cidr: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 10, byte(10*k - 9), 0}), 24), vlan: uint16(100*k + 10)}
	c.cctv = zone{id: c.pre + "-cctv", kind: "crane-noncritical", crane: c.id,
		cidr: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 10, byte(10*k - 8), 0}), 24), vlan: uint16(100*k + 20)}
	ip := func(z zone, h int) string {
		a := z.cidr.Addr().As4()
		a[3] = byte(h)
		return netip.AddrFrom4(a).String()
	}
	mac := func(oui string, sub, h int) string { return fmt.Sprintf("%s:%02x:%02x:%02x", oui, k, sub, h) }
	dev := func(z zone, name string, h int, oui string, ttl uint8, row InventoryRow) *node {
		sub := 0
		if z.kind == "crane-noncritical" {
			sub = 2
		}
		if row.Supplier == "" && z.kind == "crane-control" {
			row.Supplier, row.Origin = "ZPMC", "CN"
		}
		row.Name = c.id + " " + row.Name
		return newNode(z, c.pre+"-"+name, ip(z, h), mac(oui, sub, h), ttl, c.id, row)
	}
	const (
		ouiSiemens  = "00:1b:1b"
		ouiSinamics = "00:1f:f8" // Siemens AG, Drive Technologies
		ouiRockwell = "00:00:bc"
		ouiABB      = "00:1c:01" // ABB Oy Drives
		ouiWAGO     = "00:30:de"
		ouiAxis     = "00:40:8c"
		ouiDell     = "d0:94:66"
	)
	serial := func(h int) string { return fmt.Sprintf("%02d%03d", k, h) }
	hexSerial := func(prefix string, h int) string { return fmt.Sprintf("%s%02X%02X", prefix, k, h) }
	abb := func(h int, name string) *node {
		return dev(c.ctrl, name, h, ouiABB, 64, InventoryRow{Name: strings.TrimPrefix(name, "drive-") + " drive", Kind: "drive",
			Vendor: "ABB", Model: "ACS880", Criticality: critCore, Serial: "1" + serial(h) + "0471", Firmware: "AINFX 3.40",
			Notes: "FENA-21 Ethernet adapter"})
	}
	if c.s7 {
		c.plc = dev(c.ctrl, "plc1", 5, ouiSiemens, 30, InventoryRow{Name: "main PLC", Kind: "plc", Vendor: "Siemens",
			Model: "S7-1500", Criticality: critCore, Serial: "S C-K" + serial(5) + "19", Firmware: "V3.1",
			Notes: "CPU 1516-3 PN/DP, 6ES7516-3AN02-0AB0"})
		c.drives = []*node{abb(10, "drive-hoist"), abb(11, "drive-trolley")}
		c.spreader = dev(c.ctrl, "spreader", 20, ouiSiemens, 30, InventoryRow{Name: "spreader controller", Kind: "plc",
			Vendor: "Siemens", Model: "ET200SP", Criticality: critCore, Serial: "S C-K" + serial(20) + "21", Firmware: "V3.0",
			Notes: "CPU 1512SP-1 PN"})
		for i, h := range []int{30, 31} {
			c.rio = append(c.rio, dev(c.ctrl, "rio"+strconv.Itoa(i+1), h, ouiWAGO, 64, InventoryRow{Name: "remote I/O",
				Kind: "remote-io", Vendor: "WAGO", Model: "750-362", Criticality: critCore, Serial: "0" + serial(h) + "2207",
				Firmware: "FW 04", Notes: "Modbus/TCP fieldbus coupler"}))
		}
		c.hmi = dev(c.ctrl, "hmi1", 40, ouiSiemens, 128, InventoryRow{Name: "cabin HMI", Kind: "hmi", Vendor: "Siemens",
			Model: "SIMATIC IPC477E", Criticality: critCore, Serial: "S VP" + serial(40) + "64", Notes: "WinCC Runtime"})
	} else {
		id := func(nd *node, devType, product uint16, major, minor uint8, name string) {
			sn, _ := strconv.ParseUint(nd.row.Serial, 16, 32)
			c.identity[nd] = ENIPIdentity{IP: nd.IP, Vendor: 1, DeviceType: devType, ProductCode: product,
				Major: major, Minor: minor, Status: 0x3160, Serial: uint32(sn), Name: name}
		}
		c.plc = dev(c.ctrl, "plc1", 5, ouiRockwell, 64, InventoryRow{Name: "main PLC", Kind: "plc", Vendor: "Rockwell",
			Model: "ControlLogix 5580", Criticality: critCore, Serial: hexSerial("60C5", 5), Firmware: "34.011",
			Notes: "1756-L85E"})
		id(c.plc, 0x0e, 166, 34, 11, "1756-L85E/B")
		c.drives = []*node{abb(10, "drive-hoist"),
			dev(c.ctrl, "drive-trolley", 11, ouiSinamics, 64, InventoryRow{Name: "trolley drive", Kind: "drive",
				Vendor: "Siemens", Model: "SINAMICS G120", Criticality: critCore, Serial: "XAW" + serial(11) + "118",
				Firmware: "V4.7 SP14", Notes: "CU250S-2 PN"})}
		c.spreader = dev(c.ctrl, "spreader", 20, ouiRockwell, 64, InventoryRow{Name: "spreader controller", Kind: "plc",
			Vendor: "Rockwell", Model: "CompactLogix 5380", Criticality: critCore, Serial: hexSerial("61A2", 20),
			Firmware: "33.011", Notes: "5069-L320ER"})
		id(c.spreader, 0x0e, 203, 33, 11, "5069-L320ER/A")
		for i, h := range []int{30, 31} {
			r := dev(c.ctrl, "rio"+strconv.Itoa(i+1), h, ouiRockwell, 64, InventoryRow{Name: "remote I/O",
				Kind: "remote-io", Vendor: "Rockwell", Model: "POINT I/O 1734-AENTR", Criticality: critCore,
				Serial: hexSerial("40B1", h), Firmware: "6.001"})
			id(r, 0x0c, 142, 6, 1, "1734-AENTR/B")
			c.rio = append(c.rio, r)
		}
		c.hmi = dev(c.ctrl, "hmi1", 40, ouiRockwell, 64, InventoryRow{Name: "cabin HMI", Kind: "hmi", Vendor: "Rockwell",
			Model: "PanelView 5510", Criticality: critCore, Serial: hexSerial("D1E0", 40), Firmware: "9.011"})
	}
	c.cams = []*node{
		dev(c.cctv, "cam1", 11, ouiAxis, 64, InventoryRow{Name: "trolley camera", Kind: "camera", Vendor: "Axis",
			Model: "Q6075-E", Criticality: critNonCrit, Serial: fmt.Sprintf("00408C%02X020B", k), Firmware: "10.12.114",
			Notes: "streams to nvr01"}),
		dev(c.cctv, "cam2", 12, ouiAxis, 64, InventoryRow{Name: "OCR camera", Kind: "camera", Vendor: "Axis",
			Model: "P1465-LE", Criticality: critNonCrit, Serial: fmt.Sprintf("00408C%02X020C", k), Firmware: "10.12.114",
			Notes: "streams to the OCR server"}),
	}
	c.ocr = dev(c.cctv, "ocr1", 50, ouiDell, 64, InventoryRow{Name: "OCR server", Kind: "server", Vendor: "Dell",
		Model: "PowerEdge XR12", Criticality: critNonCrit, Serial: "7Q" + serial(50) + "3",
		Notes: "reads container numbers, reports them to the TOS"})
	return c
}

// yq quotes s for a YAML flow mapping when it is not a plain word.
func yq(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' || r == '/') {
			return strconv.Quote(s)
		}
	}
	return s
}

// conduits of every terminal, as site.yaml lines with their comments.
const conduits = `conduits:
  # engineering and crane management systems poll the crane PLCs at any time…
  - {from: crane-mgmt, to: "kind:crane-control", protocols: [s7comm, modbus, enip], ports: [102, 502, 44818],
     operations: [read, diagnostics, identity, session, io]}
  # …and change them only in the weekly maintenance window
  - {from: crane-mgmt, to: "kind:crane-control", protocols: [s7comm, modbus, enip], ports: [102, 502, 44818],
     operations: [write, program-download, program-upload], windows: [weekly]}
  # vendor support lands on the gateway, which reaches crane management only
  - {from: rcms, to: crane-mgmt, protocols: [rdp, ssh], ports: [3389, 22]}
  # the terminal operating system sends job orders and pulls crane status over HTTPS
  - {from: tos, to: crane-mgmt, protocols: [https], ports: [443]}
  # cameras stream to the video recorder in crane management
  - {from: "kind:crane-noncritical", to: crane-mgmt, protocols: [rtsp], ports: [554]}
  # the OCR servers report container numbers to the TOS
  - {from: "kind:crane-noncritical", to: tos, protocols: [https], ports: [443]}
  # crane management fetches updates from the mirror at the Internet edge
  - {from: crane-mgmt, to: edge, protocols: [https], ports: [443]}
  # name and time service for the OT side
  - {from: crane-mgmt, to: ot-services, protocols: [dns, ntp], ports: [53, 123]}
  - {from: "kind:crane-control", to: ot-services, protocols: [ntp], ports: [123]}
  - {from: tos, to: ot-services, protocols: [dns], ports: [53]}
  # building management supervises STS-01's e-house HVAC: reads and setpoint writes
  - {from: bms, to: sts01-ehouse, protocols: [bacnet], ports: [47808], operations: [read, identity, write]}
  # crane management monitors the crane PLCs' OPC UA servers: no writes, no method calls
  - {from: crane-mgmt, to: "kind:crane-control", protocols: [opcua], ports: [4840],
     operations: [read, identity, session, auth]}
`

func (m *model) siteYAML() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `# Site model of a container terminal: %d ship-to-shore cranes, each with a
# control and a camera network, a crane management network, a remote-access
# gateway, an update mirror at the Internet edge, OT services and the
# terminal's business network. harborwatch judges every observed flow
# against this file. Written by harborwatch's traffic generator.
version: 1
facility: {id: t3, name: "Terminal 3", port: "Port of Example"}

zones:
`, len(m.cranes))
	for _, z := range m.zones {
		fmt.Fprintf(&b, "  - {id: %s, kind: %s, ", z.id, z.kind)
		if z.crane != "" {
			fmt.Fprintf(&b, "crane: %s, ", z.crane)
		}
		fmt.Fprintf(&b, "cidrs: [%s]", z.cidr)
		if z.vlan != 0 {
			fmt.Fprintf(&b, ", vlans: [%d]", z.vlan)
		}
		b.WriteString("}\n")
	}
	b.WriteString("\n" + conduits + m.conduits + "\ncranes:\n")
	for _, c := range m.cranes {
		fmt.Fprintf(&b, "  - {id: %s, manufacturer: ZPMC, model: \"STS 65t twin-lift\", commissioned: %d, remote_management: true}\n",
			c.id, 2019+2*((c.k-1)%4))
	}
	b.WriteString("\nassets:\n")
	last := "-"
	for _, n := range m.nodes {
		r := n.row
		if r.Crane != last {
			if r.Crane == "" {
				b.WriteString("  # crane management, remote access, edge, OT services, business\n")
			} else {
				fmt.Fprintf(&b, "  # %s\n", r.Crane)
			}
			last = r.Crane
		}
		fmt.Fprintf(&b, "  - {id: %s, ip: %s, mac: %q, kind: %s, vendor: %s", r.ID, r.IP, r.MAC, yq(r.Kind), yq(r.Vendor))
		if r.Model != "" {
			fmt.Fprintf(&b, ", model: %s", yq(r.Model))
		}
		sep := ",\n     "
		for _, kv := range [][2]string{{"supplier", r.Supplier}, {"origin", r.Origin}, {"crane", r.Crane}, {"criticality", r.Criticality}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, "%s%s: %s", sep, kv[0], yq(kv[1]))
				sep = ", "
			}
		}
		b.WriteString("}\n")
	}
	b.WriteString(`
change_windows:
  - {id: weekly, start: "2026-11-02T08:00:00Z", end: "2026-11-02T12:00:00Z", every: 168h}

remote_access: {gateways: [10.20.0.10]}

prohibited: {domains: [example-bad.cn], cidrs: [192.0.2.0/24]}
`)
	return []byte(b.String())
}
