package synth

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"
)

// The terminal's normal traffic: the schedule (normal), the streams that
// play cyclic polling and camera video for the whole duration (poller,
// camStream), and the conversations of the scenarios and services.

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func cl(d []byte, after time.Duration) Exchange { return Exchange{Data: d, After: after} }
func sv(d []byte, after time.Duration) Exchange {
	return Exchange{FromServer: true, Data: d, After: after}
}

// after runs f once, d after the current time.
func (t *term) after(d time.Duration, f func()) {
	t.seq++
	t.pushTask(&task{at: t.b.now + int64(d), seq: t.seq, run: f})
}

// normal schedules the normal traffic of every crane and of the services.
func (t *term) normal(opts TerminalOptions) {
	s := time.Second
	m := t.m
	t.do(ms(10), func() { t.arp(m.cms.Host, m.nvr.Host) })
	for i, c := range m.cranes {
		o := time.Duration(i) * ms(41) // cranes start their polling a little apart
		t.do(o+ms(20), func() { t.arp(c.plc.Host, c.drives[0].Host) })
		if c.s7 {
			t.do(o+ms(100), func() { t.s7Poll(m.ews, c.plc, s, S7Item{Area: S7AreaDB, DB: 1, Len: 16}) })
			t.do(o+ms(350), func() {
				t.s7Poll(m.cms, c.plc, s, S7Item{Area: S7AreaDB, DB: 10, Len: 24}, S7Item{Area: S7AreaFlags, Start: 100, Len: 2})
			})
			t.do(o+ms(600), func() {
				t.s7Poll(c.hmi, c.plc, 500*time.Millisecond, S7Item{Area: S7AreaDB, DB: 20, Len: 8}, S7Item{Area: S7AreaFlags, Len: 4})
			})
			// The PLC reads its drives and remote I/O over Modbus/TCP and
			// the spreader controller over S7comm.
			for j, d := range c.drives {
				t.do(o+ms(1200+17*float64(j)), func() { t.modbusPoll(c.plc, d, 3, 250*time.Millisecond, 6) })
			}
			for j, r := range c.rio {
				t.do(o+ms(1300+17*float64(j)), func() { t.modbusPoll(c.plc, r, 4, 250*time.Millisecond, 8) })
			}
			t.do(o+ms(1400), func() { t.s7Poll(c.plc, c.spreader, 250*time.Millisecond, S7Item{Area: S7AreaDB, DB: 3, Len: 12}) })
		} else {
			t.do(o+ms(100), func() { t.enipPoll(m.ews, c, c.plc, false, s, "Hoist_Load") })
			t.do(o+ms(500), func() { t.enipPoll(m.cms, c, c.plc, true, s, "Hoist_Load") })
			t.do(o+ms(600), func() { t.enipPoll(c.hmi, c, c.plc, false, 500*time.Millisecond, "Trolley_Pos") })
			// The PLC scans its drives, remote I/O and spreader
			// controller with class 1 I/O connections.
			for j, a := range append(append(append([]*node{}, c.drives...), c.rio...), c.spreader) {
				t.do(o+ms(1200+17*float64(j)), func() { t.classOneIO(c.plc, a, 250*time.Millisecond) })
			}
		}
		for j, d := range c.drives {
			t.do(o+ms(230+30*float64(j)), func() { t.modbusPoll(m.cms, d, 3, s, 10) })
		}
		t.do(o+ms(700), func() { t.camera(c.cams[0].Host, m.nvr.Host, c.cams[0].row.ID, "AXIS") })
		t.do(o+ms(900), func() { t.camera(c.cams[1].Host, c.ocr.Host, c.cams[1].row.ID, "AXIS") })
		t.every(10*s+time.Duration((7*i)%45)*s, 64*s, 0, func() { t.ntp(c.plc.Host, m.ntp.Host, 0) })
		t.every(4*s+time.Duration(t.r.Int64N(int64(25*s))), 30*s, 5*s, func() {
			t.https(c.ocr.Host, m.tos.Host, "tos01.t3.example", 1)
		})
	}

	names := []struct {
		name string
		addr netip.Addr
	}{{"nvr01.t3.example", m.nvr.IP}, {"cms01.t3.example", m.cms.IP}, {"updates.t3.example", m.upd.IP}, {"ntp.t3.example", m.ntp.IP}}
	lookups := 0
	t.every(2*s, 60*s, 5*s, func() {
		n := names[lookups%len(names)]
		lookups++
		t.dns(m.ews.Host, m.dns.Host, n.name, n.addr)
	})
	t.every(3*s, 120*s, 0, func() { t.dns(m.tos.Host, m.dns.Host, "cms01.t3.example", m.cms.IP) })
	t.every(3*s+ms(2), 30*s, 2*s, func() { t.https(m.tos.Host, m.cms.Host, "cms01.t3.example", 2) })
	t.every(5*s, 60*s, 5*s, func() { t.dns(m.cms.Host, m.dns.Host, "ntp.t3.example", m.ntp.IP) })
	t.every(5*s+ms(3), 64*s, 0, func() { t.ntp(m.cms.Host, m.ntp.Host, 123) })
	t.do(8*s, func() { t.ssh(m.gw.Host, m.cms.Host) })
	t.do(12*s, func() { t.rdp(m.gw.Host, m.cms.Host, "rcms-svc", 25) })
	t.every(20*s, 64*s, 0, func() { t.ntp(m.ews.Host, m.ntp.Host, 123) })
	t.every(44*s, 300*s, 10*s, func() {
		t.dns(m.ews.Host, m.dns.Host, "updates.t3.example", m.upd.IP)
		t.after(ms(2), func() { t.https(m.ews.Host, m.upd.Host, "updates.t3.example", 3) })
	})
	t.every(46*s, 300*s, 10*s, func() { t.https(m.upd.Host, hUpdates, "dl.crane-vendor.example", 3) })
	if opts.IPv6 {
		t.do(35*s, func() { t.dns(hCMS6, hDNS6, "nvr01.t3.example", netip.MustParseAddr("fd48:7762:90::40")) })
	}
	t.bmsPoll()
}

// jitter returns d ± 2%.
func (t *term) jitter(d time.Duration) time.Duration { return jitter(t.r, d) }

func jitter(r *rand.Rand, d time.Duration) time.Duration {
	return d + time.Duration((r.Float64()*0.04-0.02)*float64(d))
}

// pollKind is what a poller's requests and replies are.
type pollKind uint8

const (
	pollS7     pollKind = iota // S7comm read var
	pollModbus                 // Modbus function 3 or 4
	pollCIP                    // EtherNet/IP SendRRData with a Read Tag of a DINT
	pollIO                     // class 1 I/O, originator to target and back
)

// poller is the Stream of a cyclic poll that lasts as long as the
// capture: its opening exchanges, then a request every period (±2%)
// answered after rspMin+rand·rspSpan ms. Requests and replies are copies
// of two templates with the transaction counter and the measured values
// (slow sine waves with noise) written in, in two buffers used in turn.
type poller struct {
	r        *rand.Rand
	kind     pollKind
	pre      []Exchange
	i        int
	req, rsp []byte
	vals     []int // offsets of the reply's 16-bit values
	period   time.Duration
	rspMin   float64
	rspSpan  float64
	k        uint32 // polls so far
	base     uint32 // first transaction counter
	phase    float64
	inRsp    bool
	lastRsp  time.Duration
	buf      [2][]byte
	flip     int
}

var _ Stream = (*poller)(nil)

func (t *term) newPoller(kind pollKind, period time.Duration, rspMin, rspSpan float64) *poller {
	return &poller{r: t.r, kind: kind, period: period, rspMin: rspMin, rspSpan: rspSpan,
		base: uint32(t.r.IntN(1000)), phase: t.r.Float64() * 6}
}

// Next implements Stream.
func (p *poller) Next() (Exchange, bool) {
	if p.i < len(p.pre) {
		p.i++
		return p.pre[p.i-1], true
	}
	idx := p.flip
	p.flip ^= 1
	if !p.inRsp {
		p.k++
		b := append(p.buf[idx][:0], p.req...)
		p.buf[idx] = b
		p.fill(b, false)
		after := ms(0.5)
		if p.k > 1 {
			after = jitter(p.r, p.period) - p.lastRsp
		}
		p.lastRsp = ms(p.rspMin + p.rspSpan*p.r.Float64())
		p.inRsp = true
		return cl(b, after), true
	}
	b := append(p.buf[idx][:0], p.rsp...)
	p.buf[idx] = b
	p.fill(b, true)
	p.inRsp = false
	return sv(b, p.lastRsp), true
}

// fill writes the counter and the values of poll p.k into a copy of a
// template.
func (p *poller) fill(b []byte, rsp bool) {
	n := p.base + p.k
	be, le := binary.BigEndian, binary.LittleEndian
	switch p.kind {
	case pollS7:
		be.PutUint16(b[11:], uint16(n)) // PDU reference: TPKT 4 + COTP 3 + 4
	case pollModbus:
		be.PutUint16(b[0:], uint16(n)) // MBAP transaction id
	case pollCIP:
		le.PutUint64(b[12:], uint64(n)) // sender context
	case pollIO:
		le.PutUint32(b[10:], p.k)         // encapsulation sequence number
		le.PutUint16(b[18:], uint16(p.k)) // CIP sequence count
	}
	if !rsp && p.kind != pollIO {
		return
	}
	for j, at := range p.vals {
		if rsp == (at >= 0) {
			v := uint16(1000 + 400*math.Sin(p.phase+float64(p.k)/7+float64(j)) + 20*p.r.Float64())
			if p.kind == pollCIP || p.kind == pollIO {
				le.PutUint16(b[abs(at):], v)
			} else {
				be.PutUint16(b[abs(at):], v)
			}
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// s7Poll polls items of an S7 PLC from c every period on one connection.
func (t *term) s7Poll(c, plc *node, period time.Duration, items ...S7Item) {
	p := t.newPoller(pollS7, period, 1.5, 1)
	srcRef := uint16(t.r.Uint32())
	p.pre = []Exchange{
		cl(COTPConnectRequest(srcRef, S7TSAPClient, S7TSAPPLC), 0),
		sv(COTPConnectConfirm(srcRef, 0x0044, S7TSAPClient, S7TSAPPLC), ms(1.1)),
		cl(S7SetupCommunication(uint16(p.base), 480), ms(0.3)),
		sv(S7SetupCommunicationAck(uint16(p.base), 480), ms(2.2)),
	}
	p.req = S7ReadVar(0, items...)
	zero := make([][]byte, len(items))
	at := 4 + 3 + 12 + 2 // TPKT, COTP, ack-data header, parameter
	for i, it := range items {
		zero[i] = make([]byte, it.Len)
		at += 4
		for k := 0; k+1 < int(it.Len); k += 2 {
			p.vals = append(p.vals, at+k)
		}
		at += int(it.Len)
		if it.Len%2 == 1 && i < len(items)-1 {
			at++
		}
	}
	p.rsp = S7ReadVarAck(0, zero...)
	t.tcpStream(c.Host, plc.Host, 102, p)
}

// modbusPoll reads n registers of dev with function fn (3: holding, 4:
// input) every period.
func (t *term) modbusPoll(c, dev *node, fn uint8, period time.Duration, n int) {
	p := t.newPoller(pollModbus, period, 3, 2)
	p.req = ModbusReadHoldingRequest(0, 1, 0, uint16(n))
	p.rsp = ModbusReadHoldingResponse(0, 1, make([]uint16, n))
	p.req[7], p.rsp[7] = fn, fn
	for j := range n {
		p.vals = append(p.vals, 9+2*j)
	}
	t.tcpStream(c.Host, dev.Host, 502, p)
}

// enipPoll reads a DINT tag of a Logix PLC every period: ListIdentity
// first if identify, RegisterSession, then Read Tag requests.
func (t *term) enipPoll(c *node, cr *crane, plc *node, identify bool, period time.Duration, tag string) {
	p := t.newPoller(pollCIP, period, 1, 1)
	ctx := uint64(p.base)
	sess := t.r.Uint32()
	if identify {
		p.pre = append(p.pre,
			cl(ENIPListIdentity(ctx), 0),
			sv(ENIPListIdentityReply(ctx, cr.identity[plc]), ms(2)))
	}
	p.pre = append(p.pre,
		cl(ENIPRegisterSession(0, ctx), ms(0.5)),
		sv(ENIPRegisterSession(sess, ctx), ms(1.5)))
	p.req = ENIPSendRRData(sess, 0, CIPReadTag(tag, 1))
	p.rsp = ENIPSendRRData(sess, 0, CIPReadTagReply(CIPTypeDINT, []byte{0x10, 0xa4, 0, 0}))
	p.vals = []int{len(p.rsp) - 4}
	t.tcpStream(c.Host, plc.Host, 44818, p)
}

// classOneIO is a class 1 I/O connection of a scanner to an adapter at
// period (the RPI), both ways, on UDP 2222.
func (t *term) classOneIO(scanner, adapter *node, period time.Duration) {
	p := t.newPoller(pollIO, period, 0.4, 1)
	o := binary.LittleEndian.AppendUint32(nil, 1) // run/idle header: run
	o = append(o, 0, 0, 0, 0)
	p.req = ENIPIO(t.r.Uint32(), 0, 0, o)
	p.rsp = ENIPIO(t.r.Uint32(), 0, 0, make([]byte, 8))
	p.vals = []int{-24, -26, 20, 22, 24} // negative: in the request
	t.udpStream(scanner.Host, adapter.Host, 2222, 2222, p)
}

// camStream is the Stream of a camera pushing H.264 video over RTSP
// (RFC 2326 §10.11 RECORD) with RTP interleaved on the connection: the
// RTSP exchanges, then a frame every 1/fps (±2%), an IDR frame in three
// FU-A fragments every four seconds and a single-NAL P frame otherwise.
type camStream struct {
	r        *rand.Rand
	pre      []Exchange
	i        int
	fps      int
	n        uint32
	seq      uint16
	ts, ssrc uint32
	buf      [2][]byte
	flip     int
}

var _ Stream = (*camStream)(nil)

// Next implements Stream.
func (c *camStream) Next() (Exchange, bool) {
	if c.i < len(c.pre) {
		c.i++
		return c.pre[c.i-1], true
	}
	idx := c.flip
	c.flip ^= 1
	b := c.buf[idx][:0]
	if c.n%uint32(4*c.fps) == 0 {
		for k := range 3 {
			c.seq++
			b = appendRTPH264(b, c.r, c.seq, c.ts, c.ssrc, k == 2, true, k == 0, k == 2, 1100+c.r.IntN(200))
		}
	} else {
		c.seq++
		b = appendRTPH264(b, c.r, c.seq, c.ts, c.ssrc, true, false, false, false, 500+c.r.IntN(700))
	}
	c.buf[idx] = b
	c.ts += 90000 / uint32(c.fps)
	after := jitter(c.r, time.Second/time.Duration(c.fps))
	if c.n == 0 {
		after = ms(3)
	}
	c.n++
	return cl(b, after), true
}

// appendRTPH264 appends one RTP packet (RFC 3550 §5.1, payload type 96)
// on interleaved channel 0 (RFC 2326 §10.12) carrying n random bytes of
// H.264: an FU-A fragment of an IDR slice (RFC 6184 §5.8) when idr, a
// single NAL unit packet of a non-IDR slice (§5.6) otherwise.
func appendRTPH264(b []byte, r *rand.Rand, seq uint16, ts, ssrc uint32, marker, idr, start, end bool, n int) []byte {
	hdr := 2
	if !idr {
		hdr = 1
	}
	l := 12 + hdr + n
	b = append(b, '$', 0, byte(l>>8), byte(l))
	m := byte(96)
	if marker {
		m |= 0x80
	}
	b = append(b, 0x80, m)
	b = binary.BigEndian.AppendUint16(b, seq)
	b = binary.BigEndian.AppendUint32(b, ts)
	b = binary.BigEndian.AppendUint32(b, ssrc)
	if idr {
		h := byte(5)
		if start {
			h |= 0x80
		}
		if end {
			h |= 0x40
		}
		b = append(b, 0x7c, h) // FU indicator: NRI 3, type 28
	} else {
		b = append(b, 0x41) // NRI 2, type 1: coded slice of a non-IDR picture
	}
	return appendRandom(b, r, n)
}

// camera starts cam's video to the recorder rec for the rest of the
// capture; agent is the User-Agent of the camera's RTSP client.
func (t *term) camera(cam, rec Host, name, agent string) {
	url := "rtsp://" + rec.IP.String() + ":554/record/" + name
	session := strconv.FormatUint(uint64(t.r.Uint32()), 16)
	ua := "User-Agent: " + agent
	c := &camStream{r: t.r, fps: 4, seq: uint16(t.r.Uint32()), ts: t.r.Uint32(), ssrc: t.r.Uint32()}
	c.pre = []Exchange{
		cl(RTSPRequest("OPTIONS", url, 1, nil, ua), 0),
		sv(RTSPResponse(200, 1, nil, "Public: OPTIONS, ANNOUNCE, SETUP, RECORD, TEARDOWN"), ms(1)),
		cl(RTSPRequest("ANNOUNCE", url, 2, SDPVideo(cam.IP, name), "Content-Type: application/sdp", ua), ms(0.5)),
		sv(RTSPResponse(200, 2, nil), ms(1.5)),
		cl(RTSPRequest("SETUP", url+"/trackID=1", 3, nil,
			"Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record", ua), ms(0.5)),
		sv(RTSPResponse(200, 3, nil, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record",
			"Session: "+session+";timeout=60"), ms(1.5)),
		cl(RTSPRequest("RECORD", url, 4, nil, "Session: "+session, "Range: npt=0.000-", ua), ms(0.5)),
		sv(RTSPResponse(200, 4, nil, "Session: "+session), ms(2)),
	}
	t.tcpStream(cam, rec, 554, c)
}

// s7Connect is the start of an S7 connection: COTP CR/CC and setup
// communication.
func (t *term) s7Connect(srcRef uint16) []Exchange {
	return []Exchange{
		cl(COTPConnectRequest(srcRef, S7TSAPClient, S7TSAPPLC), 0),
		sv(COTPConnectConfirm(srcRef, 0x0046, S7TSAPClient, S7TSAPPLC), ms(1.1)),
		cl(S7SetupCommunication(1, 480), ms(0.3)),
		sv(S7SetupCommunicationAck(1, 480), ms(2)),
	}
}

// s7Download downloads a block of size random bytes (s7DownloadData).
func (t *term) s7Download(c, plc Host, typ uint8, number uint16, size int) {
	lang := uint8(0x03) // FBD
	if typ == S7BlockDB {
		lang = 0x05 // DB
	}
	t.s7DownloadData(c, plc, IntegrityBlock{Type: typ, Number: number, Data: S7Block(t.r, lang, typ, number, size)})
}

// s7Stop connects to an S7 PLC and stops it.
func (t *term) s7Stop(c, plc Host) {
	ex := append(t.s7Connect(uint16(t.r.Uint32())),
		cl(S7PLCStop(2), ms(300)),
		sv(S7PLCStopAck(2), ms(25)))
	t.tcp(c, plc, 102, ex...)
}

func (t *term) arp(from, to Host) {
	t.b.ARP(from, to.IP)
	t.b.Advance(ms(0.2 + 0.3*t.r.Float64()))
	t.b.ARPReply(to, from)
}

// modbusOnce reads holding registers of dev n times, a second apart, on
// one connection.
func (t *term) modbusOnce(c, dev Host, n int) {
	tid := uint16(t.r.IntN(100))
	var ex []Exchange
	for i := range n {
		tid++
		vals := make([]uint16, 10)
		for k := range vals {
			vals[k] = uint16(500 + 300*math.Sin(float64(i)/9+float64(k)) + 10*t.r.Float64())
		}
		resp := ms(3 + 2*t.r.Float64())
		after := t.jitter(time.Second) - resp
		if i == 0 {
			after = ms(0.5)
		}
		ex = append(ex,
			cl(ModbusReadHoldingRequest(tid, 1, 0, 10), after),
			sv(ModbusReadHoldingResponse(tid, 1, vals), resp))
	}
	t.tcp(c, dev, 502, ex...)
}

func (t *term) dns(c, s Host, name string, addr netip.Addr) {
	id := uint16(t.r.Uint32())
	qt := DNSTypeA
	if addr.Is6() {
		qt = DNSTypeAAAA
	}
	t.udp(c, s, 0, 53,
		cl(DNSQuery(id, name, qt), 0),
		sv(DNSResponse(id, name, qt, 300, addr), ms(0.3+t.r.Float64())))
}

// ntp is one client/server exchange from sport (0: an ephemeral port).
func (t *term) ntp(c, s Host, sport uint16) {
	now := t.b.Now()
	req := NTPRequest(now)
	lat := ms(0.6 + 0.5*t.r.Float64())
	recv := now.Add(lat / 2)
	resp := NTPResponse(req, 2, [4]byte{192, 168, 255, 1}, now.Add(-17*time.Minute), recv, recv.Add(40*time.Microsecond))
	t.udp(c, s, sport, 123, cl(req, 0), sv(resp, lat))
}

// https is a TLS 1.3 connection with n request/response pairs.
func (t *term) https(c, s Host, sni string, n int) {
	var alpn []string
	if sni != "" {
		alpn = []string{"h2", "http/1.1"}
	}
	ch := TLSClientHello(t.r, sni, alpn...)
	fin := append(TLSChangeCipherSpec(), TLSAppData(t.r, 74)...)
	ex := []Exchange{
		cl(ch, 0),
		sv(TLSServerHello(t.r, ch, 2400+t.r.IntN(1600)), ms(2)),
		cl(append(fin, TLSAppData(t.r, 180+t.r.IntN(300))...), ms(0.8)),
	}
	for i := range n {
		if i > 0 {
			ex = append(ex, cl(TLSAppData(t.r, 150+t.r.IntN(300)), ms(400)))
		}
		ex = append(ex, sv(TLSAppData(t.r, 900+t.r.IntN(5000)), ms(6+10*t.r.Float64())))
	}
	ex = append(ex, cl(TLSAppData(t.r, 19), ms(50))) // close_notify
	t.tcp(c, s, 443, ex...)
}

func (t *term) http(c, s Host, hostname string) {
	body := []byte("<html><head><title>gateway</title></head><body>ok</body></html>\n")
	t.tcp(c, s, 80,
		cl(HTTPRequest("GET", hostname, "/api/v1/status", "User-Agent: tos-sync/4.2", "Accept: */*"), 0),
		sv(HTTPResponse(200, "text/html", body, "Server: nginx"), ms(30)))
}

func (t *term) ssh(c, s Host) {
	ex := []Exchange{
		sv(SSHBanner("OpenSSH_for_Windows_8.1"), ms(2)),
		cl(SSHBanner("OpenSSH_9.2p1 Debian-2+deb12u3"), ms(0.5)),
		cl(SSHKexInit(t.r), ms(0.1)),
		sv(SSHKexInit(t.r), ms(1)),
		cl(SSHKexECDHInit(t.r), ms(0.4)),
		sv(append(SSHKexECDHReply(t.r), SSHNewKeys(t.r)...), ms(4)),
		cl(append(SSHNewKeys(t.r), SSHEncrypted(t.r, 28)...), ms(0.6)),
		sv(SSHEncrypted(t.r, 28), ms(1)),
		cl(SSHEncrypted(t.r, 60), ms(0.4)),  // userauth request (publickey)
		sv(SSHEncrypted(t.r, 300), ms(15)),  // userauth success, channel
		cl(SSHEncrypted(t.r, 120), ms(80)),  // channel open, pty, shell
		sv(SSHEncrypted(t.r, 1400), ms(60)), // banner, prompt
	}
	for range 30 { // keystrokes echoed
		ex = append(ex, cl(SSHEncrypted(t.r, 9), ms(120+250*t.r.Float64())), sv(SSHEncrypted(t.r, 9), ms(1)))
	}
	ex = append(ex, sv(SSHEncrypted(t.r, 2000+t.r.IntN(3000)), ms(300)))
	t.tcp(c, s, 22, ex...)
}

func (t *term) rdp(c, s Host, cookie string, updates int) {
	ch := TLSClientHello(t.r, "")
	ex := []Exchange{
		cl(RDPConnectionRequest(cookie, RDPProtocolSSL|RDPProtocolHybrid), 0),
		sv(RDPConnectionConfirm(0x1234, RDPProtocolHybrid), ms(1.2)),
		cl(ch, ms(0.5)),
		sv(TLSServerHello(t.r, ch, 1200+t.r.IntN(400)), ms(2)),
		cl(append(TLSChangeCipherSpec(), TLSAppData(t.r, 74)...), ms(0.5)),
		cl(TLSAppData(t.r, 300), ms(5)), // CredSSP
		sv(TLSAppData(t.r, 340), ms(3)),
		cl(TLSAppData(t.r, 700), ms(4)),
		sv(TLSAppData(t.r, 120), ms(40)),
		cl(TLSAppData(t.r, 400), ms(2)), // MCS connect initial
		sv(TLSAppData(t.r, 330), ms(3)),
	}
	for range updates {
		ex = append(ex,
			cl(TLSAppData(t.r, 30+t.r.IntN(60)), ms(200+400*t.r.Float64())),  // input
			sv(TLSAppData(t.r, 800+t.r.IntN(6000)), ms(15+20*t.r.Float64()))) // screen update
	}
	t.tcp(c, s, 3389, ex...)
}

func (t *term) teamViewer(c, s Host) {
	ex := []Exchange{
		cl(TeamViewerCmd(0x0a, appendRandom(nil, t.r, 24)), 0),
		sv(TeamViewerCmd(0x0b, appendRandom(nil, t.r, 40)), ms(2)),
		cl(TeamViewerCmd(0x1e, appendRandom(nil, t.r, 64)), ms(20)),
		sv(TeamViewerCmd(0x1f, appendRandom(nil, t.r, 16)), ms(2)),
	}
	for range 5 { // keep-alive
		ex = append(ex, cl(TeamViewerCmd(0x10, appendRandom(nil, t.r, 8)), 8*time.Second),
			sv(TeamViewerCmd(0x10, appendRandom(nil, t.r, 8)), ms(2)))
	}
	t.tcp(c, s, 5938, ex...)
}

func (t *term) tftp(c, s Host, file string, size int) {
	ps := t.ports(c)
	cport := ps.take()
	tid := t.ports(s).take() // the server's transfer identifier, held for good
	t.b.UDP(c, s, cport, 69, cl(TFTPRequest(TFTPWrite, file, "octet"), 0))
	img := appendRandom([]byte("S7-1500 FW V3.1\x00"), t.r, size-16)
	ex := []Exchange{sv(TFTPAck(0), ms(1.5))}
	for blk := uint16(1); int(blk-1)*512 <= len(img); blk++ {
		chunk := img[int(blk-1)*512 : min(len(img), int(blk)*512)]
		ex = append(ex, cl(TFTPData(blk, chunk), ms(0.2)), sv(TFTPAck(blk), ms(0.8)))
		if len(chunk) < 512 {
			break
		}
	}
	// The server answers from a new port (RFC 1350 §4): a second flow.
	t.own(t.b.udp(c, s, cport, tid, ex, nil, 0, 0), ps, cport)
}

func (t *term) smb(c, s Host, share, file string, size int) {
	var cg, sg, fid [16]byte
	for i := range 16 {
		cg[i], sg[i], fid[i] = byte(t.r.Uint32()), byte(t.r.Uint32()), byte(t.r.Uint32())
	}
	sid := uint64(0x0000_1c00_0000_0045)
	h := func(id uint64, tree uint32) SMB2Header {
		return SMB2Header{MessageID: id, SessionID: sid, TreeID: tree}
	}
	now := t.b.Now()
	data := appendRandom([]byte("PK\x03\x04"), t.r, size-4)
	t.tcp(c, s, 445,
		cl(SMB2NegotiateRequest(SMB2Header{}, cg), 0),
		sv(SMB2NegotiateResponse(SMB2Header{}, sg, now), ms(1)),
		cl(SMB2TreeConnectRequest(h(1, 0), share), ms(3)),
		sv(SMB2TreeConnectResponse(h(1, 5)), ms(1.2)),
		cl(SMB2CreateRequest(h(2, 5), file, SMB2AccessReadWrite), ms(0.8)),
		sv(SMB2CreateResponse(h(2, 5), fid, now), ms(1.5)),
		cl(SMB2WriteRequest(h(3, 5), fid, 0, data), ms(0.6)),
		sv(SMB2WriteResponse(h(3, 5), uint32(len(data))), ms(2)),
		cl(SMB2CloseRequest(h(4, 5), fid), ms(0.5)),
		sv(SMB2CloseResponse(h(4, 5)), ms(1)),
	)
}

// ftp is the control connection of an upload through a passive data
// connection (ftpData). The replies come 2–5 ms after each command, well
// after any round trip inside the site, so the data connection can be
// placed in time.
func (t *term) ftp(c, s Host, file string) {
	t.tcp(c, s, 21,
		sv(FTPReply(220, "FTP server ready."), ms(3)),
		cl(FTPCommand("USER", "engineer"), ms(400)),
		sv(FTPReply(331, "Password required for engineer."), ms(2)),
		cl(FTPCommand("PASS", "Crane2019!"), ms(600)),
		sv(FTPReply(230, "User engineer logged in."), ms(5)),
		cl(FTPCommand("TYPE", "I"), ms(100)),
		sv(FTPReply(200, "Type set to I."), ms(2)),
		cl(FTPCommand("PASV", ""), ms(50)),
		sv(FTPPassive(s.IP, 50210), ms(2)),
		cl(FTPCommand("STOR", file), ms(10)),
		sv(FTPReply(150, "Opening BINARY mode data connection for "+file+"."), ms(3)),
		sv(FTPReply(226, "Transfer complete."), ms(120)),
		cl(FTPCommand("QUIT", ""), ms(5)),
		sv(FTPReply(221, "Goodbye."), ms(2)),
	)
}

func (t *term) ftpData(c, s Host, dataPort uint16) {
	cfg := []byte("# spreader parameters\n")
	for i := 0; len(cfg) < 3000; i++ {
		cfg = append(cfg, []byte("twistlock."+string(rune('a'+i%26))+".torque_limit=")...)
		cfg = append(cfg, []byte(strconv.Itoa(800+t.r.IntN(200))+"\n")...)
	}
	t.tcp(c, s, dataPort, cl(cfg, ms(12)))
}
