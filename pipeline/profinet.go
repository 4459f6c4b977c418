package pipeline

import (
	"net/netip"

	"harborwatch/app"
	"harborwatch/app/discovery"
	"harborwatch/decode"
	"harborwatch/detect"
	"harborwatch/event"
	"harborwatch/ics/profinet"
	"harborwatch/observe"
	"harborwatch/proto"
)

// pnState is a shard's PROFINET real-time state: the reader of real-time
// frames (made at the first one), the addresses stations gave of
// themselves in DCP, and the DCP Set requests judged whose answers are
// awaited. Every layer-2 frame goes to the first shard, so one pnState
// sees them all, in order, whatever the number of workers; RT_CLASS_UDP
// datagrams go to the shard of their flow (profinet_udp.go).
type pnState struct {
	l2      *profinet.L2
	emit    func(*profinet.Frame) // s.pnFrame, bound once
	emitUDP func(*profinet.Frame) // s.pnUDPFrame, bound once
	rep     *reporter             // the datagram being read over UDP (profinet_udp.go)
	ips     map[[6]byte]netip.Addr
	sets    [8]pnSet
	next    int
}

// pnSet is a DCP Set request judged as a finding: its answer's status
// goes to the same finding.
type pnSet struct {
	xid           uint32
	tool, station [6]byte
	used          bool
}

// maxPNAddrs bounds the addresses learnt from DCP.
const maxPNAddrs = 4096

// profinet reads a frame of EtherType 0x8892.
func (s *shard) profinet(p *decode.Packet) {
	pn := s.pnInit()
	pn.l2.Frame(p.Payload, p.SrcMAC, p.DstMAC, p.VLAN(), pn.emit)
}

// pnInit makes the shard's PROFINET state at its first frame or datagram.
func (s *shard) pnInit() *pnState {
	pn := &s.pn
	if pn.l2 == nil {
		pn.l2 = new(profinet.L2)
		pn.ips = make(map[[6]byte]netip.Addr)
		pn.emit = s.pnFrame
		pn.emitUDP = s.pnUDPFrame
	}
	return pn
}

// pnFrame handles what the L2 reader emits: a DCP frame's station and
// address, the judging of a DCP Set and of its answer, and the event.
func (s *shard) pnFrame(f *profinet.Frame) {
	if f.Class == profinet.ClassDCP {
		if f.Malformed() {
			s.disc.errs++
			return
		}
		s.dcpStation(f.Src, f.VLAN, f.DCP)
	}
	op := f.Op()
	switch {
	case f.Request() && detect.Judges(op):
		c := s.pnConn(f.Src, f.Dst, f)
		if s.det.Op(c, op, f.Name(), nil, s.mark(), s.cur.TS) {
			s.det.OpObject(c, op, pnObject(f))
			if f.Class == profinet.ClassDCP {
				pn := &s.pn
				pn.sets[pn.next] = pnSet{xid: f.DCP.XID, tool: f.Src, station: f.Dst, used: true}
				pn.next = (pn.next + 1) % len(pn.sets)
			}
		}
	case f.Class == profinet.ClassDCP && !f.Request() && f.DCP.Service == discovery.DCPSet:
		for i := range s.pn.sets {
			if w := &s.pn.sets[i]; w.used && w.xid == f.DCP.XID && w.tool == f.Dst && w.station == f.Src {
				w.used = false
				s.det.OpResult(s.pnConn(f.Dst, f.Src, f), op, f.Status(), s.mark(), s.cur.TS)
				break
			}
		}
	}
	if !s.emit {
		return
	}
	if s.skipOps&event.OpBit(op) != 0 {
		s.filtered++
		return
	}
	d := map[string]any{}
	f.Detail(d)
	s.addEvent(s.packetEvent(!f.Request(), &proto.Event{Proto: f.Proto(), Op: op, Name: f.Name(), Status: f.Status(),
		Func: f.Func(), HasFunc: true, Detail: d}))
}

// pnObject names what a judged frame changes: the station name or
// address a DCP Set assigns, a factory reset.
func pnObject(f *profinet.Frame) string {
	if f.Class != profinet.ClassDCP {
		return ""
	}
	d := f.DCP
	switch {
	case d.NameOfStation != nil:
		return "NameOfStation " + printable(d.NameOfStation)
	case d.IP.IsValid():
		return "IP " + d.IP.String() + " mask " + d.Mask.String() + " gateway " + d.Gateway.String()
	case d.Control&(discovery.DCPControlFactoryReset|discovery.DCPControlResetToFactory) != 0:
		return "factory reset"
	}
	return ""
}

// pnConn is a layer-2 exchange as detection judges it: from client to
// server (MACs), each at the address the site declares for its MAC, else
// the one it gave of itself in DCP, else (the station of a DCP Set) the
// address the Set assigns.
func (s *shard) pnConn(client, server [6]byte, f *profinet.Frame) *observe.Conn {
	c := &s.conn
	ts, m := s.cur.TS, s.mark()
	*c = observe.Conn{VLAN: f.VLAN, App: app.PROFINET, First: ts, Last: ts, Packets: [2]uint64{1, 0}, NMarks: 1}
	c.Marks[0] = m
	c.Client = observe.Endpoint{IP: s.pnAddr(client), MAC: client, HasMAC: true}
	c.Server = observe.Endpoint{IP: s.pnAddr(server), MAC: server, HasMAC: true}
	if !c.Server.IP.IsValid() && server == f.Dst {
		c.Server.IP = f.NewIP()
	}
	return c
}

func (s *shard) pnAddr(mac [6]byte) netip.Addr {
	if a := s.site.AssetByMAC(mac); a != nil && len(a.IPs) > 0 {
		return a.IPs[0]
	}
	return s.pn.ips[mac]
}

// dcpStation records what a DCP answer or Hello says of its sender: its
// identity (the first message of the station only) and its address.
func (s *shard) dcpStation(mac [6]byte, vlan uint16, c *discovery.DCP) {
	if c.Request && c.Service != discovery.DCPHello {
		return // a controller's question or a tool's Set: not a self-description
	}
	if c.IP.IsValid() && !c.IP.IsUnspecified() {
		if _, ok := s.pn.ips[mac]; ok || len(s.pn.ips) < maxPNAddrs {
			s.pn.ips[mac] = c.IP
		}
	}
	ts := s.cur.TS
	if s.obs.Again(mac, observe.SourceDCP, ts) {
		return
	}
	id := map[string]any{}
	put(id, "station_name", c.NameOfStation)
	put(id, "type_of_station", c.TypeOfStation)
	if c.HasDeviceID {
		id["profinet_vendor_id"] = int(c.VendorID)
		id["profinet_device_id"] = int(c.DeviceID)
		if n := profinet.VendorName(c.VendorID); n != "" {
			id["vendor"] = n
		}
	}
	if c.DeviceRole != 0 {
		id["profinet_role"] = int(c.DeviceRole)
	}
	s.obs.Station(mac, c.IP, vlan, observe.SourceDCP, id, s.mark(), ts)
}
