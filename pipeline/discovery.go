package pipeline

import (
	"unicode/utf8"

	"harborwatch/app/discovery"
	"harborwatch/decode"
	"harborwatch/observe"
)

// EtherTypes of the discovery protocols read at layer 2.
const (
	etherLLDP     = 0x88cc
	etherPROFINET = 0x8892
)

// discoveryState holds the reused parse results of one shard.
type discoveryState struct {
	lldp discovery.LLDP
	cdp  discovery.CDP
	dhcp discovery.DHCP
	errs uint64 // malformed discovery messages
}

// discover reads a frame that is not IP or ARP: LLDP, CDP or PROFINET
// (profinet.go: real-time frames, alarms, DCP; a DCP identify response
// or hello describes its sender). Only a device's first message of each
// protocol is turned into an identity record (which allocates); later ones
// are counted.
func (s *shard) discover(p *decode.Packet) {
	if !p.HasEth {
		return
	}
	d := &s.disc
	mac, vlan, ts := p.SrcMAC, p.VLAN(), s.cur.TS
	switch {
	case p.EtherType == etherLLDP:
		if s.obs.Again(mac, observe.SourceLLDP, ts) {
			return
		}
		if err := discovery.ParseLLDP(p.Payload, &d.lldp); err != nil {
			d.errs++
			return
		}
		l := &d.lldp
		id := map[string]any{}
		put(id, "system_name", l.SystemName)
		put(id, "system_description", l.SystemDescription)
		put(id, "port_description", l.PortDescription)
		put(id, "port_id", l.PortID)
		if l.HasCapabilities {
			id["capabilities"] = l.Enabled.String()
		}
		if l.MgmtAddr.IsValid() {
			id["management_address"] = l.MgmtAddr.String()
		}
		s.obs.Station(mac, l.MgmtAddr, vlan, observe.SourceLLDP, id, s.mark(), ts)
	case p.EtherType == etherPROFINET:
		s.profinet(p) // real-time frames, alarms and DCP (profinet.go)
	case p.LLC && discovery.IsCDP(p.Payload):
		if s.obs.Again(mac, observe.SourceCDP, ts) {
			return
		}
		if err := discovery.ParseCDP(p.Payload, &d.cdp); err != nil {
			d.errs++
			return
		}
		c := &d.cdp
		id := map[string]any{}
		put(id, "system_name", c.DeviceID)
		put(id, "platform", c.Platform)
		put(id, "software_version", c.SoftwareVersion)
		put(id, "port_id", c.PortID)
		if c.HasCapabilities {
			id["capabilities"] = c.Capabilities.String()
		}
		ip := c.MgmtAddr
		if !ip.IsValid() {
			ip = c.Addr
		}
		s.obs.Station(mac, ip, vlan, observe.SourceCDP, id, s.mark(), ts)
	}
}

// dhcp reads a DHCP message (UDP 67/68): a client's hostname and vendor
// class, and the address a server acknowledges for it.
func (s *shard) dhcp(p *decode.Packet) {
	d := &s.disc
	if err := discovery.ParseDHCP(p.Payload, &d.dhcp); err != nil {
		d.errs++
		return
	}
	m := &d.dhcp
	if !m.HasCHAddr {
		return
	}
	vlan, ts := p.VLAN(), s.cur.TS
	if m.MessageType == discovery.DHCPAck {
		if m.YIAddr.IsValid() && !m.YIAddr.IsUnspecified() {
			s.obs.Station(m.CHAddr, m.YIAddr, vlan, observe.SourceDHCP, nil, s.mark(), ts)
		}
		return
	}
	if m.Op != 1 { // BOOTREQUEST: the client speaking of itself
		return
	}
	if s.obs.Again(m.CHAddr, observe.SourceDHCP, ts) {
		return
	}
	id := map[string]any{}
	put(id, "hostname", m.Hostname)
	put(id, "vendor_class", m.VendorClass)
	put(id, "dhcp_fqdn", m.FQDN)
	ip := m.CIAddr
	if !ip.IsValid() || ip.IsUnspecified() {
		ip = m.RequestedIP
	}
	if len(id) == 0 && !ip.IsValid() {
		return
	}
	s.obs.Station(m.CHAddr, ip, vlan, observe.SourceDHCP, id, s.mark(), ts)
}

func put(id map[string]any, k string, v []byte) {
	if len(v) > 0 {
		id[k] = printable(v)
	}
}

// printable copies b to a string: text as it is (control bytes replaced,
// cut at 256 bytes), binary values (a MAC-typed port ID) as colon-separated
// hex. Device descriptions are hostile input that reaches reports.
func printable(b []byte) string {
	if len(b) > 256 {
		b = b[:256]
	}
	if !utf8.Valid(b) {
		const hex = "0123456789abcdef"
		out := make([]byte, 0, 3*len(b))
		for i, c := range b {
			if i > 0 {
				out = append(out, ':')
			}
			out = append(out, hex[c>>4], hex[c&0xf])
		}
		return string(out)
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c == 0x7f {
			c = ' '
		}
		out[i] = c
	}
	return string(out)
}
