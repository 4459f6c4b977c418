package pipeline

import (
	"net/netip"
	"time"

	"harborwatch/app"
	"harborwatch/app/dns"
	apphttp "harborwatch/app/http"
	"harborwatch/app/remote"
	apptls "harborwatch/app/tls"
	"harborwatch/app/xfer"
	"harborwatch/capture"
	"harborwatch/decode"
	"harborwatch/detect"
	"harborwatch/event"
	"harborwatch/flow"
	"harborwatch/site"
)

// maxProbes is how many payload-carrying packets of a flow are offered to
// the identification probes before the flow is left unidentified.
const maxProbes = 6

// flowX is the pipeline's per-flow state, kept inline in the flow table.
type flowX struct {
	app     app.App
	done    bool      // identification finished
	probes  uint8     // payload packets probed
	swapped bool      // judged with client and server exchanged (a data flow whose requester is the flow's responder)
	named   bool      // the message naming the peer was read: a TLS ClientHello, an HTTP response head
	session bool      // session event emitted
	judged  bool      // judged while open (detect.State.FlowOpen): its end goes to FlowRest
	logs    uint16    // open-flow records handed to the Sink
	ics     *icsState // industrial analyzer state, from the shard's pool
	ops     uint32    // ICS operations the client requested (event.OpBit)
	nmarks  uint8
	marks   [detect.MaxConnMarks]detect.Mark
}

type pairKey struct {
	vlan   uint16
	lo, hi netip.Addr
}

func pairOf(vlan uint16, a, b netip.Addr) pairKey {
	if b.Less(a) {
		a, b = b, a
	}
	return pairKey{vlan: vlan, lo: a, hi: b}
}

// expectation announces a data flow between two hosts (TFTP, FTP data).
type expectation struct {
	app       app.App
	transport uint8
	client    netip.Addr
	until     int64
}

const (
	tftpExpect = int64(60 * time.Second)
	ftpExpect  = int64(5 * time.Minute)
	maxExpect  = 4096
)

// shard owns one flow table and one detection state; it is driven by one
// goroutine.
type shard struct {
	dec    decode.Decoder
	pkt    decode.Packet
	flows  *flow.Table[flowX]
	det    *detect.State
	expect map[pairKey]expectation
	names  []string
	emit   bool
	site   *site.Site

	// Streaming (see stream.go); out is nil when the run does not stream.
	seq       uint64 // reading-order sequence number of the packet being handled
	idx       int    // the shard's index
	out       *syncSink
	mg        *merger
	evbuf     []seqEvent // events not yet handed to the merger
	track     bool       // findings are handed to the Sink
	flowLog   bool       // flows are handed to the Sink
	epoch     int64      // ns of packet time
	nextEpoch int64
	flowEvery int64 // ns between an open flow's records; 0: only at its end

	live     *liveShard // counters published for Progress.Snapshot, when asked
	sincePub int

	disc         discoveryState
	icsFree      icsPools
	icsEmit      icsHandlers
	icsFlow      *flow.Flow[flowX] // flow whose PDUs are being emitted
	dir          flow.Dir
	icsErrors    [numICS]uint64 // framing errors
	icsMalformed [numICS]uint64 // PDUs that framed but are not valid
	tcpGaps      uint64
	tcpDropped   uint64

	cur    *capture.Packet // packet being handled
	conn   detect.Conn
	onFlow func(*FlowRecord)
	rec    FlowRecord

	dns   dns.Message
	hello apptls.ClientHello
	req   apphttp.Request
	resp  apphttp.Response
	ftp   xfer.FTPCommand
	tftp  xfer.TFTPPacket
	smb   xfer.SMB2Message
	rdp   remote.RDPRequest
}

func newShard(eng *detect.Engine, maxFlows int, emit bool, names []string) *shard {
	s := &shard{det: eng.NewState(), expect: make(map[pairKey]expectation), names: names, emit: emit,
		site: eng.Site(), epoch: int64(defaultEpoch)}
	s.flows = flow.New(flow.Options[flowX]{MaxFlows: maxFlows, OnEnd: s.end})
	s.initICS()
	return s
}

func (s *shard) mark() detect.Mark {
	return detect.Mark{File: int32(s.cur.File), Packet: s.cur.Number}
}

// handle runs one packet through decode, flow, identification, parsers and
// detection. It allocates nothing in steady state unless events are asked
// for or a finding is being recorded.
func (s *shard) handle(cp *capture.Packet) {
	s.cur = cp
	if s.track && cp.TS >= s.nextEpoch {
		s.tick(cp.TS)
	}
	if s.sincePub++; s.sincePub >= publishEvery {
		s.publish()
	}
	p := &s.pkt
	err := s.dec.Decode(cp.Link, cp.Data, p)
	switch p.L3 {
	case decode.L3ARP:
		if err == nil && p.HasEth {
			s.det.ARP(p.ARPSender, p.Src, p.VLAN(), s.mark(), cp.TS)
		}
		return
	case decode.L3IPv4, decode.L3IPv6:
	case decode.L3None:
		if err == nil && len(p.Payload) > 0 {
			s.discover(p)
		}
		return
	default:
		return
	}
	if err != nil && !p.HasL4 {
		return // counted by the decoder
	}
	if p.Frag && p.FragOff != 0 {
		return // counted as a fragment; not reassembled
	}
	if p.Proto == decode.ProtoUDP && (p.DstPort == 67 || p.DstPort == 68) && (p.SrcPort == 67 || p.SrcPort == 68) && len(p.Payload) > 0 {
		s.dhcp(p)
	}
	f, dir, isNew := s.flows.Packet(p, cp.TS)
	if f == nil {
		return
	}
	x := &f.X
	if isNew {
		s.newFlow(f)
	}
	if int(x.nmarks) < len(x.marks) {
		x.marks[x.nmarks] = s.mark()
		x.nmarks++
	}
	if len(p.Payload) > 0 {
		s.inspect(f, dir)
	}
	// A flow that lasts is judged while open, once its application is
	// settled, so that its findings do not wait for an end that may never
	// come (a Modbus or S7 connection stays open for months).
	if !x.judged && x.done && cp.TS-f.First >= s.epoch {
		x.judged = true
		s.det.FlowOpen(s.fill(f))
	}
	if s.flowLog && s.flowEvery > 0 && cp.TS-f.First >= int64(x.logs+1)*s.flowEvery && x.logs < ^uint16(0) {
		x.logs++
		s.record(f, "", true)
	}
}

func (s *shard) newFlow(f *flow.Flow[flowX]) {
	if len(s.expect) == 0 {
		return
	}
	k := pairOf(f.VLAN, f.Client.Addr, f.Server.Addr)
	e, ok := s.expect[k]
	if !ok {
		return
	}
	if e.until < s.cur.TS {
		delete(s.expect, k)
		return
	}
	if e.transport != f.Proto {
		return
	}
	f.X.app, f.X.done = e.app, true
	f.X.swapped = f.Client.Addr != e.client
}

func (s *shard) expectData(f *flow.Flow[flowX], client netip.Addr, a app.App, transport uint8, d int64) {
	k := pairOf(f.VLAN, f.Client.Addr, f.Server.Addr)
	if _, ok := s.expect[k]; !ok && len(s.expect) >= maxExpect {
		for k, e := range s.expect { // drop stale announcements
			if e.until < s.cur.TS {
				delete(s.expect, k)
			}
		}
		if len(s.expect) >= maxExpect {
			return
		}
	}
	s.expect[k] = expectation{app: a, transport: transport, client: client, until: s.cur.TS + d}
}

// fill sets s.conn from f as the detectors see it.
func (s *shard) fill(f *flow.Flow[flowX]) *detect.Conn {
	c := &s.conn
	x := &f.X
	c.VLAN = f.VLAN
	c.Transport = f.Proto
	c.App = x.app
	c.First, c.Last = f.First, f.Last
	c.Client = detect.Endpoint{IP: f.Client.Addr, MAC: f.Client.MAC, HasMAC: f.Client.MAC != [6]byte{}, Port: f.Client.Port}
	c.Server = detect.Endpoint{IP: f.Server.Addr, MAC: f.Server.MAC, HasMAC: f.Server.MAC != [6]byte{}, Port: f.Server.Port}
	c.Packets = f.Packets
	c.Bytes = f.Bytes
	if x.swapped {
		c.Client, c.Server = c.Server, c.Client
		c.Packets[0], c.Packets[1] = c.Packets[1], c.Packets[0]
		c.Bytes[0], c.Bytes[1] = c.Bytes[1], c.Bytes[0]
	}
	c.Marks = x.marks
	c.NMarks = int(x.nmarks)
	c.Ops = x.ops
	return c
}

// end is the flow table's OnEnd: the flow is judged once, at its end.
func (s *shard) end(f *flow.Flow[flowX], why flow.EndReason) {
	if f.X.app == app.Unknown && f.Payload[0] == 0 && f.Payload[1] == 0 {
		f.X.app = app.ByPort(f.Proto, f.Server.Port)
	}
	c := s.fill(f)
	if f.X.judged {
		s.det.FlowRest(c)
	} else {
		s.det.Flow(c)
	}
	if f.X.ics != nil {
		s.putICS(f.X.ics)
		f.X.ics = nil
	}
	if s.onFlow != nil || s.flowLog {
		s.record(f, why.String(), false)
	}
}

func (s *shard) inspect(f *flow.Flow[flowX], dir flow.Dir) {
	x := &f.X
	pl := s.pkt.Payload
	if !x.done {
		x.probes++
		if a, sure := identify(f, dir, pl); a != app.Unknown {
			x.app = a
			x.done = sure
		}
		if x.probes >= maxProbes {
			x.done = true
		}
	}
	switch x.app {
	case app.DNS:
		s.parseDNS(f, dir, pl)
	case app.HTTPS, app.AnyDesk, app.TeamViewer:
		if !x.named && dir == flow.FromClient && apptls.Probe(pl) {
			x.named = true
			s.parseHello(f, dir, pl)
		} else if x.app == app.TeamViewer {
			s.session(f, dir, "teamviewer", "")
		}
	case app.HTTP:
		if dir == flow.FromClient && apphttp.ProbeRequest(pl) {
			s.parseHTTP(f, dir, pl)
		} else if dir == flow.FromServer && !x.named && apphttp.ProbeResponse(pl) {
			x.named = true
			s.httpServer(pl)
		}
	case app.FTP:
		s.parseFTP(f, dir, pl)
	case app.TFTP:
		s.parseTFTP(f, dir, pl)
	case app.SMB:
		if dir == flow.FromClient {
			s.parseSMB(f, dir, pl)
		}
	case app.SSH:
		if b, ok := remote.SSHBanner(pl); ok {
			s.sessionBanner(f, dir, "ssh", b)
		}
	case app.VNC:
		if v, ok := remote.RFBVersion(pl); ok {
			s.sessionBanner(f, dir, "vnc", v)
		}
	case app.RDP:
		if dir == flow.FromClient && s.rdpRequest(pl) {
			s.session(f, dir, "rdp", string(s.rdp.Cookie))
		}
	case app.Telnet:
		s.session(f, dir, "telnet", "")
	case app.Modbus, app.S7comm, app.S7commPlus, app.ENIP:
		s.feedICS(f, dir, pl)
	}
}

func (s *shard) rdpRequest(pl []byte) bool {
	return remote.ParseRDPConnectionRequest(pl, &s.rdp) == nil
}

func (s *shard) parseDNS(f *flow.Flow[flowX], dir flow.Dir, pl []byte) {
	m := &s.dns
	var err error
	if f.Proto == decode.ProtoTCP {
		err = m.ParseTCP(pl)
	} else {
		err = m.Parse(pl)
	}
	if err != nil {
		return
	}
	c := s.fill(f)
	if !m.Response {
		for _, q := range m.Questions {
			s.det.Name(c, "dns", q.Name, s.mark(), s.cur.TS)
		}
	}
	if !s.emit {
		return
	}
	for _, q := range m.Questions {
		d := map[string]any{"qtype": dns.TypeString(q.Type), "id": m.ID}
		op := "query"
		if m.Response {
			op = "answer"
			d["rcode"] = m.RCode
			var answers []map[string]any
			for _, a := range m.Answers {
				an := map[string]any{"name": string(a.Name), "type": dns.TypeString(a.Type), "ttl": a.TTL}
				if a.Addr.IsValid() {
					an["addr"] = a.Addr.String()
				}
				if len(a.Target) > 0 {
					an["target"] = string(a.Target)
				}
				answers = append(answers, an)
			}
			if answers != nil {
				d["answers"] = answers
			}
		}
		s.event(dir, "dns", op, string(q.Name), d)
	}
}

func (s *shard) parseHello(f *flow.Flow[flowX], dir flow.Dir, pl []byte) {
	h := &s.hello
	if err := apptls.ParseClientHello(pl, h); err != nil && len(h.SNI) == 0 {
		return
	}
	x := &f.X
	for _, p := range h.ALPN {
		if remote.AnyDeskALPN(p) {
			x.app = app.AnyDesk
		}
	}
	if len(h.SNI) > 0 {
		switch {
		case remote.AnyDeskName(h.SNI):
			x.app = app.AnyDesk
		case remote.TeamViewerName(h.SNI):
			x.app = app.TeamViewer
		}
		s.det.Name(s.fill(f), "tls", h.SNI, s.mark(), s.cur.TS)
	}
	if s.emit {
		d := map[string]any{"version": h.Version}
		if len(h.ALPN) > 0 {
			alpn := make([]string, len(h.ALPN))
			for i, p := range h.ALPN {
				alpn[i] = string(p)
			}
			d["alpn"] = alpn
		}
		s.event(dir, "tls", "client-hello", string(h.SNI), d)
	}
}

func (s *shard) parseHTTP(f *flow.Flow[flowX], dir flow.Dir, pl []byte) {
	r := &s.req
	if err := apphttp.ParseRequest(pl, r); err != nil {
		return
	}
	if len(r.Host) > 0 {
		s.det.Name(s.fill(f), "http", r.Host, s.mark(), s.cur.TS)
	}
	if s.emit {
		d := map[string]any{"method": string(r.Method), "target": string(r.Target), "version": string(r.Version)}
		if len(r.UserAgent) > 0 {
			d["user_agent"] = string(r.UserAgent)
		}
		s.event(dir, "http", "request", string(r.Host), d)
	}
}

func (s *shard) parseFTP(f *flow.Flow[flowX], dir flow.Dir, pl []byte) {
	if dir != flow.FromClient {
		return
	}
	c := &s.ftp
	for len(pl) > 0 {
		rest, err := xfer.NextFTPCommand(pl, c)
		if err != nil {
			return
		}
		if len(rest) >= len(pl) {
			return // no progress: never loop forever on hostile input
		}
		pl = rest
		conn := s.fill(f)
		// Data connections (PASV or PORT) open before STOR/RETR is sent:
		// every command of the control session announces them.
		s.expectData(f, conn.Client.IP, app.FTP, decode.ProtoTCP, ftpExpect)
		op, transfer := xfer.IsFTPTransferVerb(c.Verb)
		if transfer {
			s.det.File(conn, op, c.Arg, s.mark(), s.cur.TS)
		}
		if s.emit {
			name := string(c.Arg)
			if string(c.Verb) == "PASS" {
				name = "********" // never write a password into the event log
			}
			d := map[string]any{"command": string(c.Verb)}
			evop := "command"
			if transfer {
				evop = op
			}
			s.event(dir, "ftp", evop, name, d)
		}
	}
}

func (s *shard) parseTFTP(f *flow.Flow[flowX], dir flow.Dir, pl []byte) {
	t := &s.tftp
	if xfer.ParseTFTP(pl, t) != nil {
		return
	}
	if t.Opcode != 1 && t.Opcode != 2 {
		return
	}
	op := "download"
	if t.Opcode == 2 {
		op = "upload"
	}
	c := s.fill(f)
	s.det.File(c, op, t.Filename, s.mark(), s.cur.TS)
	s.expectData(f, c.Client.IP, app.TFTP, decode.ProtoUDP, tftpExpect)
	if s.emit {
		s.event(dir, "tftp", op, string(t.Filename), map[string]any{"mode": string(t.Mode)})
	}
}

func (s *shard) parseSMB(f *flow.Flow[flowX], dir flow.Dir, pl []byte) {
	m := &s.smb
	for n := 0; len(pl) > 0 && n < 16; n++ {
		rest, err := xfer.ParseSMB2(pl, m)
		if err != nil {
			return
		}
		var op string
		var name []byte
		switch {
		case m.Response:
		case m.Command == 0x0003 && len(m.Path) > 0:
			op, name = "share", m.Path
		case m.Command == 0x0005 && len(m.Name) > 0:
			op, name = "open", m.Name
			if m.Write {
				op = "upload"
			}
		}
		if op != "" {
			s.det.File(s.fill(f), op, name, s.mark(), s.cur.TS)
			if s.emit {
				s.event(dir, "smb", op, string(name), map[string]any{"command": m.Command})
			}
		}
		if len(rest) >= len(pl) {
			return
		}
		pl = rest
	}
}

// httpServer records the Server field of an HTTP response as part of the
// server's identity (a camera's or a PLC's web server names its maker).
func (s *shard) httpServer(pl []byte) {
	if apphttp.ParseResponse(pl, &s.resp) != nil || len(s.resp.Server) == 0 {
		return
	}
	ip := s.pkt.Src
	if s.det.HasIdentity(ip, "http_server") {
		return
	}
	s.det.Identity(ip, map[string]any{"http_server": printable(s.resp.Server)})
}

func (s *shard) sessionBanner(f *flow.Flow[flowX], dir flow.Dir, proto string, banner []byte) {
	if dir == flow.FromServer && proto == "ssh" && !s.det.HasIdentity(s.pkt.Src, "ssh_banner") {
		// The SSH server's identification names its software and often
		// the device's firmware ("SSH-2.0-Cisco-1.25", "SSH-2.0-ROSSSH").
		s.det.Identity(s.pkt.Src, map[string]any{"ssh_banner": printable(banner)})
	}
	if !s.emit {
		return
	}
	side := "client"
	if dir == flow.FromServer {
		side = "server"
	}
	s.event(dir, proto, "banner", string(banner), map[string]any{"side": side})
}

// session emits one remote-access event per flow.
func (s *shard) session(f *flow.Flow[flowX], dir flow.Dir, proto, name string) {
	if f.X.session || !s.emit {
		return
	}
	f.X.session = true
	s.event(dir, proto, "session", name, nil)
}

func (s *shard) event(dir flow.Dir, proto, op, name string, detail map[string]any) {
	p := &s.pkt
	d := event.Request
	if dir == flow.FromServer {
		d = event.Response
	}
	capName := ""
	if s.cur.File < len(s.names) {
		capName = s.names[s.cur.File]
	}
	s.addEvent(event.Event{
		TS: time.Unix(0, s.cur.TS).UTC(), Proto: proto, Dir: d,
		Src: p.Src, SPort: p.SrcPort, Dst: p.Dst, DPort: p.DstPort, VLAN: p.VLAN(),
		Packet: s.cur.Number, Capture: capName, File: s.cur.File,
		Op: op, Name: name, Detail: detail,
	})
}
