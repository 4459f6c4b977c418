package discovery

import (
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"maps"
	"math/bits"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"harborwatch/capture"
	"harborwatch/internal/testutil"
)

// TestOracle writes every built message into a pcap, has tshark dissect it
// (-T pdml: the whole protocol tree), and compares each field the parsers
// read with what tshark's dissectors (packet-lldp.c, packet-cdp.c,
// packet-pn-dcp.c, packet-dhcp.c) make of the same bytes. Both sides are
// reduced to the same keys; a key one side has and the other lacks is a
// difference too. tshark must also see no malformed packet: that checks
// the builders.
func TestOracle(t *testing.T) {
	bin := testutil.Tshark(t)
	frames := oracleFrames()
	path := filepath.Join(t.TempDir(), "discovery.pcap")
	writePcap(t, path, frames)

	out, err := exec.Command(bin, "-r", path, "-T", "pdml").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var doc struct {
		Packets []pdmlPacket `xml:"packet"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("tshark pdml: %v", err)
	}
	if len(doc.Packets) != len(frames) {
		t.Fatalf("tshark read %d packets, want %d", len(doc.Packets), len(frames))
	}
	for i, f := range frames {
		t.Run(f.name, func(t *testing.T) {
			pkt := &doc.Packets[i]
			if pkt.proto("_ws.malformed") != nil || pkt.root().find("_ws.malformed") != nil {
				t.Fatal("tshark: malformed packet")
			}
			var want, got map[string]string
			switch f.proto {
			case "lldp":
				want, got = tsharkLLDP(t, pkt), ourLLDP(t, f.payload())
			case "cdp":
				want, got = tsharkCDP(t, pkt), ourCDP(t, f.payload())
			case "dcp":
				want, got = tsharkDCP(t, pkt), ourDCP(t, f.payload())
			case "dhcp":
				want, got = tsharkDHCP(t, pkt), ourDHCP(t, f.payload())
			}
			if len(want) < 5 {
				t.Fatalf("tshark gave only %v", want)
			}
			for _, k := range slices.Sorted(maps.Keys(mergeKeys(want, got))) {
				w, wok := want[k]
				g, gok := got[k]
				if w != g || wok != gok {
					t.Errorf("%s: ours %q (%v), tshark %q (%v)", k, g, gok, w, wok)
				}
			}
		})
	}
}

func mergeKeys(a, b map[string]string) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// writePcap writes the frames to an Ethernet pcap at path.
func writePcap(t *testing.T, path string, frames []oracleFrame) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := capture.NewPcapWriter(f, capture.LinkEthernet, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, fr := range frames {
		ts := int64(1767225600+i) * 1e9 // 2026-01-01, a second apart
		if err := w.WritePacket(ts, fr.frame, len(fr.frame)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// --- PDML ---

type pdmlField struct {
	Name   string      `xml:"name,attr"`
	Show   string      `xml:"show,attr"`
	Value  string      `xml:"value,attr"`
	Fields []pdmlField `xml:"field"`
}

type pdmlPacket struct {
	Protos []struct {
		Name   string      `xml:"name,attr"`
		Fields []pdmlField `xml:"field"`
	} `xml:"proto"`
}

// proto returns the protocol's tree as a field whose children are its
// top-level fields, or nil.
func (p *pdmlPacket) proto(name string) *pdmlField {
	for _, pr := range p.Protos {
		if pr.Name == name {
			return &pdmlField{Name: name, Fields: pr.Fields}
		}
	}
	return nil
}

// root is every protocol's tree under one field.
func (p *pdmlPacket) root() *pdmlField {
	r := &pdmlField{}
	for _, pr := range p.Protos {
		r.Fields = append(r.Fields, pdmlField{Name: pr.Name, Fields: pr.Fields})
	}
	return r
}

// find returns the first descendant named name, depth first, or nil.
func (f *pdmlField) find(name string) *pdmlField {
	for i := range f.Fields {
		c := &f.Fields[i]
		if c.Name == name {
			return c
		}
		if d := c.find(name); d != nil {
			return d
		}
	}
	return nil
}

// child returns the first direct child named name, or nil.
func (f *pdmlField) child(name string) *pdmlField {
	for i := range f.Fields {
		if f.Fields[i].Name == name {
			return &f.Fields[i]
		}
	}
	return nil
}

// all returns every descendant named name, depth first.
func (f *pdmlField) all(name string) []*pdmlField {
	var out []*pdmlField
	for i := range f.Fields {
		c := &f.Fields[i]
		if c.Name == name {
			out = append(out, c)
		}
		out = append(out, c.all(name)...)
	}
	return out
}

// must returns the descendant named name, failing the test without it.
func must(t *testing.T, f *pdmlField, name string) *pdmlField {
	t.Helper()
	d := f.find(name)
	if d == nil {
		t.Fatalf("tshark: no %s", name)
	}
	return d
}

func protoOf(t *testing.T, p *pdmlPacket, name string) *pdmlField {
	t.Helper()
	f := p.proto(name)
	if f == nil {
		t.Fatalf("tshark: no %s in the packet", name)
	}
	return f
}

// setFirst sets m[k] unless it is set: the parsers keep first occurrences.
func setFirst(m map[string]string, k, v string) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// --- LLDP ---

func tsharkLLDP(t *testing.T, p *pdmlPacket) map[string]string {
	root := protoOf(t, p, "lldp")
	m := map[string]string{}
	mgmt, org, unknown := 0, 0, 0
	for i := range root.Fields {
		tlv := &root.Fields[i]
		ty := tlv.child("lldp.tlv.type")
		if ty == nil {
			continue
		}
		switch ty.Show {
		case "0":
			m["end"] = "true"
		case "1":
			m["chassis.subtype"] = must(t, tlv, "lldp.chassis.subtype").Show
			m["chassis.id"] = tlv.Value[6:] // after type, length, subtype
			if mac := tlv.find("lldp.chassis.id.mac"); mac != nil {
				m["chassis.mac"] = mac.Show
			}
		case "2":
			m["port.subtype"] = must(t, tlv, "lldp.port.subtype").Show
			m["port.id"] = tlv.Value[6:]
		case "3":
			m["ttl"] = must(t, tlv, "lldp.time_to_live").Show
		case "4":
			setFirst(m, "port.desc", must(t, tlv, "lldp.port.desc").Show)
		case "5":
			setFirst(m, "system.name", must(t, tlv, "lldp.tlv.system.name").Show)
		case "6":
			setFirst(m, "system.desc", must(t, tlv, "lldp.tlv.system.desc").Show)
		case "7":
			setFirst(m, "caps", must(t, tlv, "lldp.tlv.system_cap").Show)
			setFirst(m, "caps.enabled", must(t, tlv, "lldp.tlv.enable_system_cap").Show)
		case "8":
			mgmt++
			a := tlv.find("lldp.mgn.addr.ip4")
			if a == nil {
				a = tlv.find("lldp.mgn.addr.ip6")
			}
			if _, ok := m["mgmt.addr"]; !ok && a != nil {
				m["mgmt.addr"] = a.Show
				m["mgmt.if.subtype"] = must(t, tlv, "lldp.mgn.interface.subtype").Show
				m["mgmt.if.number"] = must(t, tlv, "lldp.mgn.interface.number").Show
			}
		case "127":
			org++
		default:
			unknown++
		}
	}
	m["mgmt.count"], m["org"], m["unknown"] = itoa(mgmt), itoa(org), itoa(unknown)
	return m
}

func ourLLDP(t *testing.T, b []byte) map[string]string {
	var l LLDP
	if err := ParseLLDP(exact(b), &l); err != nil {
		t.Fatalf("ParseLLDP: %v", err)
	}
	m := map[string]string{
		"chassis.subtype": itoa(int(l.ChassisIDSubtype)),
		"chassis.id":      hex.EncodeToString(l.ChassisID),
		"port.subtype":    itoa(int(l.PortIDSubtype)),
		"port.id":         hex.EncodeToString(l.PortID),
		"ttl":             itoa(int(l.TTL)),
		"mgmt.count":      itoa(l.MgmtAddrs),
		"org":             itoa(l.OrgTLVs),
		"unknown":         itoa(l.Unknown),
	}
	if l.HasChassisMAC {
		m["chassis.mac"] = net.HardwareAddr(l.ChassisMAC[:]).String()
	}
	if l.End {
		m["end"] = "true"
	}
	setBytes(m, "port.desc", l.PortDescription)
	setBytes(m, "system.name", l.SystemName)
	setBytes(m, "system.desc", l.SystemDescription)
	if l.HasCapabilities {
		m["caps"] = fmt.Sprintf("0x%04x", uint16(l.Capabilities))
		m["caps.enabled"] = fmt.Sprintf("0x%04x", uint16(l.Enabled))
	}
	if l.MgmtAddr.IsValid() {
		m["mgmt.addr"] = l.MgmtAddr.String()
		m["mgmt.if.subtype"] = itoa(int(l.MgmtIfSubtype))
		m["mgmt.if.number"] = strconv.FormatUint(uint64(l.MgmtIfNumber), 10)
	}
	return m
}

// setBytes sets m[k] to v as a string when v is present (non-nil).
func setBytes(m map[string]string, k string, v []byte) {
	if v != nil {
		m[k] = string(v)
	}
}

// --- CDP ---

func tsharkCDP(t *testing.T, p *pdmlPacket) map[string]string {
	root := protoOf(t, p, "cdp")
	m := map[string]string{
		"version":  must(t, root, "cdp.version").Show,
		"ttl":      must(t, root, "cdp.ttl").Show,
		"checksum": must(t, root, "cdp.checksum").Show,
		// Checksum Status: 0 bad, 1 good, 2 unverified.
		"checksum.ok": strconv.FormatBool(must(t, root, "cdp.checksum.status").Show == "1"),
	}
	tlvs, unknown := 0, 0
	for i := range root.Fields {
		tlv := &root.Fields[i]
		ty := tlv.child("cdp.tlv.type")
		if ty == nil {
			continue
		}
		tlvs++
		typ, err := strconv.ParseUint(ty.Show, 0, 16)
		if err != nil {
			t.Fatalf("tshark: cdp.tlv.type %q", ty.Show)
		}
		switch typ {
		case 0x01:
			setFirst(m, "device.id", must(t, tlv, "cdp.deviceid").Show)
		case 0x02, 0x16:
			k := "addr"
			if typ == 0x16 {
				k = "mgmt.addr"
			}
			if a := tlv.find("cdp.nrgyz.ip_address"); a != nil {
				setFirst(m, k, a.Show)
			}
		case 0x03:
			setFirst(m, "port.id", must(t, tlv, "cdp.portid").Show)
		case 0x04:
			setFirst(m, "caps", must(t, tlv, "cdp.capabilities").Show)
		case 0x05:
			// tshark shows the version one line per field.
			var lines []string
			for _, l := range tlv.all("cdp.software_version") {
				lines = append(lines, l.Show)
			}
			setFirst(m, "software", strings.Join(lines, "\n"))
		case 0x06:
			setFirst(m, "platform", must(t, tlv, "cdp.platform").Show)
		case 0x0a:
			setFirst(m, "native.vlan", must(t, tlv, "cdp.native_vlan").Show)
		default:
			unknown++
		}
	}
	m["tlvs"], m["unknown"] = itoa(tlvs), itoa(unknown)
	return m
}

func ourCDP(t *testing.T, b []byte) map[string]string {
	if !IsCDP(b) {
		t.Fatal("IsCDP = false")
	}
	var c CDP
	if err := ParseCDP(exact(b), &c); err != nil {
		t.Fatalf("ParseCDP: %v", err)
	}
	m := map[string]string{
		"version":     itoa(int(c.Version)),
		"ttl":         itoa(int(c.TTL)),
		"checksum":    fmt.Sprintf("0x%04x", c.Checksum),
		"checksum.ok": strconv.FormatBool(c.ChecksumOK),
		"tlvs":        itoa(c.TLVs),
		"unknown":     itoa(c.Unknown),
	}
	setBytes(m, "device.id", c.DeviceID)
	setBytes(m, "port.id", c.PortID)
	setBytes(m, "software", c.SoftwareVersion)
	setBytes(m, "platform", c.Platform)
	if c.Addr.IsValid() {
		m["addr"] = c.Addr.String()
	}
	if c.MgmtAddr.IsValid() {
		m["mgmt.addr"] = c.MgmtAddr.String()
	}
	if c.HasCapabilities {
		m["caps"] = fmt.Sprintf("0x%08x", uint32(c.Capabilities))
	}
	if c.HasNativeVLAN {
		m["native.vlan"] = itoa(int(c.NativeVLAN))
	}
	return m
}

// --- PROFINET DCP ---

func tsharkDCP(t *testing.T, p *pdmlPacket) map[string]string {
	root := protoOf(t, p, "pn_dcp")
	m := map[string]string{
		"frame.id":     must(t, protoOf(t, p, "pn_rt"), "pn_rt.frame_id").Show,
		"service":      must(t, root, "pn_dcp.service_id").Show,
		"service.type": must(t, root, "pn_dcp.service_type").Show,
		"xid":          must(t, root, "pn_dcp.xid").Show,
		"data.length":  must(t, root, "pn_dcp.data_length").Show,
	}
	if d := root.child("pn_dcp.response_delay"); d != nil {
		m["response.delay"] = d.Show
	}
	blocks, unknown, responses, control := 0, 0, 0, 0
	set := m["service"] == "4"
	for i := range root.Fields {
		blk := &root.Fields[i]
		if blk.Name == "pn_dcp.option" { // a Get request's selector
			blocks++
			continue
		}
		if blk.Name != "pn_dcp.block" {
			continue
		}
		blocks++
		if len(blk.Fields) < 2 {
			t.Fatalf("tshark: short block %+v", blk)
		}
		key := blk.Fields[0].Show + "/" + blk.Fields[1].Show // option/suboption
		switch key {
		case "2/1":
			setFirst(m, "type.of.station", must(t, blk, "pn_dcp.suboption_device_devicevendorvalue").Show)
		case "2/2":
			setFirst(m, "name.of.station", must(t, blk, "pn_dcp.suboption_device_nameofstation").Show)
		case "2/6":
			setFirst(m, "alias", must(t, blk, "pn_dcp.suboption_device_aliasname").Show)
		case "2/3":
			setFirst(m, "vendor.id", must(t, blk, "pn_dcp.suboption_vendor_id").Show)
			setFirst(m, "device.id", must(t, blk, "pn_dcp.suboption_device_id").Show)
		case "2/4":
			setFirst(m, "role", must(t, blk, "pn_dcp.suboption_device_role").Show)
		case "2/7":
			hl := blk.all("pn_dcp.suboption_device_instance")
			if len(hl) != 2 {
				t.Fatalf("tshark: device instance %+v", blk)
			}
			setFirst(m, "instance", hl[0].Show+"/"+hl[1].Show)
		case "2/8":
			setFirst(m, "oem.vendor.id", must(t, blk, "pn_dcp.suboption_device_oem_ven_id").Show)
			setFirst(m, "oem.device.id", must(t, blk, "pn_dcp.suboption_device_oem_dev_id").Show)
		case "1/1":
			setFirst(m, "mac", must(t, blk, "pn_dcp.suboption_ip_mac_address").Show)
		case "1/2", "1/3":
			if _, ok := m["ip"]; ok {
				break
			}
			m["ip"] = must(t, blk, "pn_dcp.suboption_ip_ip").Show
			m["mask"] = must(t, blk, "pn_dcp.suboption_ip_subnetmask").Show
			m["gateway"] = must(t, blk, "pn_dcp.suboption_ip_standard_gateway").Show
			info := blk.find("pn_dcp.suboption_ip_block_info") // IP parameter
			if info == nil {
				info = blk.find("pn_dcp.block_info") // full IP suite
			}
			if info != nil {
				m["ip.info"] = info.Show
			}
		case "255/255":
			m["all"] = "true"
		case "5/4":
			if !set || m["service.type"] == "0" {
				unknown++
				break
			}
			responses++
		case "5/1", "5/2", "5/3", "5/5", "5/6":
			if !set || m["service.type"] != "0" {
				unknown++
				break
			}
			control++
		default:
			unknown++
		}
	}
	m["blocks"], m["unknown"] = itoa(blocks), itoa(unknown)
	m["responses"], m["control"] = itoa(responses), itoa(control)
	return m
}

func ourDCP(t *testing.T, b []byte) map[string]string {
	var d DCP
	if err := ParseDCP(exact(b), &d); err != nil {
		t.Fatalf("ParseDCP: %v", err)
	}
	m := map[string]string{
		"frame.id":     itoa(int(d.FrameID)),
		"service":      itoa(int(d.Service)),
		"service.type": itoa(int(d.ServiceType)),
		"xid":          fmt.Sprintf("0x%08x", d.XID),
		"data.length":  itoa(int(d.DataLength)),
		"blocks":       itoa(d.Blocks),
		"unknown":      itoa(d.Unknown),
		"responses":    itoa(d.Responses),
		"control":      itoa(bits.OnesCount8(d.Control)),
	}
	if d.Service == DCPIdentify && d.Request {
		m["response.delay"] = itoa(int(d.ResponseDelay))
	}
	setBytes(m, "type.of.station", d.TypeOfStation)
	setBytes(m, "name.of.station", d.NameOfStation)
	setBytes(m, "alias", d.AliasName)
	if d.HasDeviceID {
		m["vendor.id"] = fmt.Sprintf("0x%04x", d.VendorID)
		m["device.id"] = fmt.Sprintf("0x%04x", d.DeviceID)
	}
	if d.DeviceRole != 0 {
		m["role"] = fmt.Sprintf("0x%02x", d.DeviceRole)
	}
	if d.HasDeviceInstance {
		m["instance"] = fmt.Sprintf("0x%02x/0x%02x", d.DeviceInstance>>8, d.DeviceInstance&0xff)
	}
	if d.HasOEMDeviceID {
		m["oem.vendor.id"] = fmt.Sprintf("0x%04x", d.OEMVendorID)
		m["oem.device.id"] = fmt.Sprintf("0x%04x", d.OEMDeviceID)
	}
	if d.HasMAC {
		m["mac"] = net.HardwareAddr(d.MAC[:]).String()
	}
	if d.IP.IsValid() {
		m["ip"], m["mask"], m["gateway"] = d.IP.String(), d.Mask.String(), d.Gateway.String()
		// Only responses and Hellos carry a BlockInfo.
		if !d.Request || d.Service == DCPHello {
			m["ip.info"] = itoa(int(d.IPInfo))
		}
	}
	if d.All {
		m["all"] = "true"
	}
	return m
}

// --- DHCP ---

func tsharkDHCP(t *testing.T, p *pdmlPacket) map[string]string {
	root := protoOf(t, p, "dhcp")
	top := func(name string) string {
		f := root.child(name)
		if f == nil {
			t.Fatalf("tshark: no %s", name)
		}
		return f.Show
	}
	m := map[string]string{
		"op": top("dhcp.type"), "htype": top("dhcp.hw.type"), "hlen": top("dhcp.hw.len"),
		"hops": top("dhcp.hops"), "xid": top("dhcp.id"), "secs": top("dhcp.secs"), "flags": top("dhcp.flags"),
		"ciaddr": top("dhcp.ip.client"), "yiaddr": top("dhcp.ip.your"),
		"siaddr": top("dhcp.ip.server"), "giaddr": top("dhcp.ip.relay"),
		"chaddr": top("dhcp.hw.mac_addr"),
	}
	options := 0
	for i := range root.Fields {
		opt := &root.Fields[i]
		if opt.Name != "dhcp.option.type" || len(opt.Value) < 2 {
			continue
		}
		code, err := strconv.ParseUint(opt.Value[:2], 16, 8)
		if err != nil {
			t.Fatalf("tshark: option %q", opt.Value)
		}
		if code == 0 || code == 255 {
			continue
		}
		options++
		value := func() string { return must(t, opt, "dhcp.option.value").Value }
		switch code {
		case 53:
			setFirst(m, "message.type", must(t, opt, "dhcp.option.dhcp").Show)
		case 50:
			setFirst(m, "requested.ip", must(t, opt, "dhcp.option.requested_ip_address").Show)
		case 54:
			setFirst(m, "server.id", must(t, opt, "dhcp.option.dhcp_server_id").Show)
		case 12:
			setFirst(m, "hostname", must(t, opt, "dhcp.option.hostname").Show)
		case 15:
			setFirst(m, "domain.name", must(t, opt, "dhcp.option.domain_name").Show)
		case 60:
			setFirst(m, "vendor.class", must(t, opt, "dhcp.option.vendor_class_id").Show)
		case 61:
			setFirst(m, "client.id", value())
		case 55:
			setFirst(m, "param.request", value())
		case 81:
			setFirst(m, "fqdn.flags", must(t, opt, "dhcp.fqdn.flags").Show)
			setFirst(m, "fqdn", must(t, opt, "dhcp.fqdn.name").Show)
		case 52:
			setFirst(m, "overload", must(t, opt, "dhcp.option.option_overload").Show)
		}
	}
	m["options"] = itoa(options)
	return m
}

func ourDHCP(t *testing.T, b []byte) map[string]string {
	var d DHCP
	if err := ParseDHCP(exact(b), &d); err != nil {
		t.Fatalf("ParseDHCP: %v", err)
	}
	if !d.HasCHAddr {
		t.Fatal("no chaddr")
	}
	m := map[string]string{
		"op": itoa(int(d.Op)), "htype": fmt.Sprintf("0x%02x", d.HType), "hlen": itoa(int(d.HLen)),
		"hops": itoa(int(d.Hops)), "xid": fmt.Sprintf("0x%08x", d.XID), "secs": itoa(int(d.Secs)),
		"flags":  fmt.Sprintf("0x%04x", d.Flags),
		"ciaddr": d.CIAddr.String(), "yiaddr": d.YIAddr.String(),
		"siaddr": d.SIAddr.String(), "giaddr": d.GIAddr.String(),
		"chaddr":  net.HardwareAddr(d.CHAddr[:]).String(),
		"options": itoa(d.Options),
	}
	if d.MessageType != 0 {
		m["message.type"] = itoa(int(d.MessageType))
	}
	if d.RequestedIP.IsValid() {
		m["requested.ip"] = d.RequestedIP.String()
	}
	if d.ServerID.IsValid() {
		m["server.id"] = d.ServerID.String()
	}
	setBytes(m, "hostname", d.Hostname)
	setBytes(m, "domain.name", d.DomainName)
	setBytes(m, "vendor.class", d.VendorClass)
	if d.ClientID != nil {
		m["client.id"] = hex.EncodeToString(d.ClientID)
	}
	if d.ParamRequest != nil {
		m["param.request"] = hex.EncodeToString(d.ParamRequest)
	}
	if d.FQDN != nil {
		m["fqdn.flags"] = fmt.Sprintf("0x%02x", d.FQDNFlags)
		m["fqdn"] = string(d.FQDN)
	}
	if d.Overload != 0 {
		m["overload"] = itoa(int(d.Overload))
	}
	return m
}
