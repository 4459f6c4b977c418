package enip

import (
	"crypto/sha256"
	"encoding/binary"
)

// This file holds the CIP semantics: message router requests and responses
// (CIP Vol. 1 §2-4), Multiple_Service_Packet (Vol. 1 § ),
// Unconnected_Send (Vol. 1 §3-5.5.2), request/response pairing, File object
// transfers (Vol. 1 §5-42), PCCC (Rockwell 1770-6.5.16) and class 0/1 I/O
// counting (Vol. 1 §3-4.2, Vol. 2 §3-2.2).

// reqInfo is what a pending request remembers for its response.
type reqInfo struct {
	class, instance, attribute uint32
	has                        PathHas
	symbolic                   bool
	svc                        uint8
	op                         opcode
}

// pending is a request waiting for its response. For a Multiple_Service_
// Packet (possibly inside an Unconnected_Send) emb holds its services.
type pending struct {
	used, connected, viaUCS bool
	key, age                uint64
	top                     reqInfo
	n                       int
	emb                     [maxEmbedded]reqInfo
}

func info(m *Message) reqInfo {
	return reqInfo{
		class: m.Path.Class, instance: m.Path.Instance, attribute: m.Path.Attribute,
		has: m.Path.Has, symbolic: m.Path.Symbolic, svc: m.Service, op: m.op,
	}
}

// apply gives a response the class, instance, attribute and operation of
// its request.
func (r *reqInfo) apply(m *Message) {
	m.Path = Path{Class: r.class, Instance: r.instance, Attribute: r.attribute, Has: r.has, Symbolic: r.symbolic}
	s := lookup(m.Service, r.class, r.has&HasClass != 0, r.symbolic)
	m.name, m.sp, m.op = s.name, s.sp, r.op
	m.Paired = true
}

// push records a request. A connected request reuses the entry of an
// earlier one with the same sequence count (a retry); otherwise the oldest
// entry is evicted when the table is full.
func (a *Analyzer) push(connected bool, key uint64) *pending {
	a.age++
	if a.pend == nil {
		a.pend = new([maxPending]pending)
	}
	var slot, oldest *pending
	for i := range a.pend {
		p := &a.pend[i]
		if !p.used {
			if slot == nil {
				slot = p
			}
			continue
		}
		if connected && p.connected && p.key == key {
			slot = p
			break
		}
		if oldest == nil || p.age < oldest.age {
			oldest = p
		}
	}
	if slot == nil {
		slot = oldest
		a.dropped++
	}
	slot.used, slot.connected, slot.viaUCS = true, connected, false
	slot.key, slot.age, slot.n = key, a.age, 0
	slot.top = reqInfo{}
	return slot
}

// match finds the oldest pending request with the key.
func (a *Analyzer) match(connected bool, key uint64) *pending {
	var best *pending
	if a.pend == nil {
		return nil
	}
	for i := range a.pend {
		p := &a.pend[i]
		if p.used && p.connected == connected && p.key == key && (best == nil || p.age < best.age) {
			best = p
		}
	}
	return best
}

// resetCIP clears the CIP fields of m, keeping the encapsulation and
// connection fields, before the next service of the same PDU.
func (m *Message) resetCIP() {
	*m = Message{
		Kind: m.Kind, Command: m.Command, Length: m.Length, Session: m.Session,
		EncapStatus: m.EncapStatus, Context: m.Context, Options: m.Options,
		Connected: m.Connected, ConnID: m.ConnID, Sequence: m.Sequence,
	}
}

// parseReq decodes a message router request (CIP Vol. 1 Table 2-4.1) into
// m and classifies it. It reads the Analyzer's state but does not change it.
func (a *Analyzer) parseReq(m *Message, b []byte) {
	if len(b) == 0 {
		m.name, m.op = svcUnknown.name, opOther
		m.Malformed, m.problem = true, probShortCIP
		return
	}
	m.Service = b[0] & 0x7F
	m.Response = b[0]&0x80 != 0
	if len(b) < 2 || len(b) < 2+2*int(b[1]) {
		s := lookup(m.Service, 0, false, false)
		m.name, m.op = s.name, s.op
		m.Malformed, m.problem = true, probShortCIP
		return
	}
	n := 2 + 2*int(b[1])
	perr := parsePath(&m.Path, b[2:n])
	m.Data = b[n:]
	s := lookup(m.Service, m.Path.Class, m.Path.Has&HasClass != 0, m.Path.Symbolic)
	m.name, m.op, m.sp = s.name, s.op, s.sp
	if perr != nil {
		m.Malformed, m.problem = true, probPath
		return
	}
	a.refine(m)
}

// refine adjusts a request's operation from its data: the PCCC command,
// and firmware for File object downloads.
func (a *Analyzer) refine(m *Message) {
	inst := m.Path.Instance
	switch m.sp {
	case spPCCC:
		if cmd, fnc, ok := pcccCommand(m.Data, false); ok {
			_, m.op = pcccOp(cmd, fnc)
		}
	case spFileInitDownload:
		if a.firmwareInstance(inst) || firmwareName(stringI(fileNameField(m.Data))) {
			m.op = opFirmwareUpdate
		}
	case spFileDownload, spFileInitPartialWrite:
		t := &a.xfer[0]
		if a.firmwareInstance(inst) || (t.active && t.Instance == inst && t.Firmware) {
			m.op = opFirmwareUpdate
		}
	}
}

// parseResp decodes a message router response (CIP Vol. 1 Table 2-4.2).
func parseResp(m *Message, b []byte) bool {
	m.Service = b[0] & 0x7F
	m.Response = true
	if len(b) < 4 || len(b) < 4+2*int(b[3]) {
		m.Malformed, m.problem = true, probShortCIP
		return false
	}
	m.GeneralStatus = b[2]
	n := 4 + 2*int(b[3])
	m.ExtStatus = b[4:n]
	m.Data = b[n:]
	return true
}

// cipRequest handles a request carried by SendRRData/SendUnitData.
func (a *Analyzer) cipRequest(m *Message, b []byte, connected bool, key uint64, emit func(*Message)) {
	a.parseReq(m, b)
	ent := a.push(connected, key)
	switch {
	case m.sp == spMSP && !m.Malformed:
		op, have := a.mspScan(m.Data, ent)
		if have {
			m.op = op
		}
		m.Container = true
		ent.top = info(m)
		emit(m)
		a.mspEmit(m, m.Data, 0, emit)
	case m.sp == spUnconnectedSend && !m.Malformed:
		a.ucsRequest(m, ent, emit)
	default:
		a.trackReq(m)
		ent.top = info(m)
		emit(m)
	}
}

// mspCount returns the number of services of a Multiple_Service_Packet
// request or response body.
func mspCount(d []byte) (int, bool) {
	if len(d) < 2 {
		return 0, false
	}
	n := int(binary.LittleEndian.Uint16(d))
	return n, 2+2*n <= len(d)
}

// mspItem returns the i-th of n services; offsets are from the start of the
// body and must increase.
func mspItem(d []byte, n, i int) ([]byte, bool) {
	off := int(binary.LittleEndian.Uint16(d[2+2*i:]))
	end := len(d)
	if i+1 < n {
		end = int(binary.LittleEndian.Uint16(d[2+2*(i+1):]))
	}
	if off < 2+2*n || off >= end || end > len(d) {
		return nil, false
	}
	return d[off:end], true
}

// mspScan classifies the services of a Multiple_Service_Packet request,
// records them in ent for pairing, and returns the highest-ranked op.
func (a *Analyzer) mspScan(d []byte, ent *pending) (opcode, bool) {
	n, ok := mspCount(d)
	if !ok {
		return opOther, false
	}
	best, have := opOther, false
	ent.n = 0
	for i := range n {
		sub, ok := mspItem(d, n, i)
		if !ok {
			break
		}
		t := &a.tmp
		*t = Message{}
		a.parseReq(t, sub)
		if !have || rank(t.op) > rank(best) {
			best, have = t.op, true
		}
		if i < maxEmbedded {
			ent.emb[i] = info(t)
			ent.n = i + 1
		} else {
			a.dropped++
		}
	}
	return best, have
}

// mspEmit emits the services of a Multiple_Service_Packet request body d,
// numbering them from base+1.
func (a *Analyzer) mspEmit(m *Message, d []byte, base int, emit func(*Message)) {
	n, ok := mspCount(d)
	if !ok {
		return
	}
	for i := range n {
		sub, ok := mspItem(d, n, i)
		m.resetCIP()
		m.Index, m.Embedded = base+i+1, true
		if !ok {
			m.name, m.op = svcUnknown.name, opOther
			m.Malformed, m.problem = true, probMSP
			emit(m)
			return
		}
		a.parseReq(m, sub)
		a.trackReq(m)
		emit(m)
	}
}

// ucsSplit returns the embedded message request and the route path of an
// Unconnected_Send request (CIP Vol. 1 Table 3-5.22).
func ucsSplit(d []byte) (req, route []byte, ok bool) {
	if len(d) < 4 {
		return nil, nil, false
	}
	size := int(binary.LittleEndian.Uint16(d[2:]))
	if 4+size > len(d) || size == 0 {
		return nil, nil, false
	}
	req = d[4 : 4+size]
	i := 4 + size
	if size%2 == 1 {
		i++ // pad byte
	}
	if i+2 <= len(d) {
		words := int(d[i])
		i += 2
		route = d[i:min(len(d), i+2*words)]
	}
	return req, route, true
}

// ucsRequest emits an Unconnected_Send (container) and the request it
// carries; the target's reply comes back as that request's response.
func (a *Analyzer) ucsRequest(m *Message, ent *pending, emit func(*Message)) {
	inner, _, ok := ucsSplit(m.Data)
	if !ok {
		m.Malformed, m.problem = true, probUCS
		ent.top = info(m)
		emit(m)
		return
	}
	t := &a.tmp
	*t = Message{}
	a.parseReq(t, inner)
	top, isMSP, data := info(t), t.sp == spMSP && !t.Malformed, t.Data
	if isMSP {
		if op, have := a.mspScan(data, ent); have {
			top.op = op
		}
	}
	ent.viaUCS, ent.top = true, top
	m.op, m.Container = top.op, true
	emit(m)

	m.resetCIP()
	m.Index, m.Embedded = 1, true
	a.parseReq(m, inner)
	if isMSP {
		m.op, m.Container = top.op, true
		emit(m)
		a.mspEmit(m, m.Data, 1, emit)
		return
	}
	a.trackReq(m)
	emit(m)
}

// cipResponse handles a response carried by SendRRData/SendUnitData.
func (a *Analyzer) cipResponse(m *Message, b []byte, connected bool, key uint64, emit func(*Message)) {
	ok := parseResp(m, b)
	ent := a.match(connected, key)
	if ent != nil {
		switch {
		case ent.top.svc == m.Service:
			ent.top.apply(m)
		case ent.viaUCS && m.Service == 0x52: // the router's own failure reply
			r := reqInfo{svc: 0x52, class: classConnMgr, has: HasClass, op: ent.top.op}
			r.apply(m)
			ent.n = 0
		default:
			ent = nil // not this request's response; leave it waiting
		}
	}
	if !m.Paired {
		s := lookup(m.Service, 0, false, false)
		m.name, m.op, m.sp = s.name, s.op, s.sp
	}
	if ent != nil {
		ent.used = false // its fields stay readable until the next push
	}
	if !ok {
		emit(m)
		return
	}
	if m.sp == spMSP {
		a.mspResponse(m, ent, emit)
		return
	}
	a.trackResp(m)
	emit(m)
}

// mspResponse emits a Multiple_Service_Packet response (container) and its
// services, each paired with the service of the request at the same
// position.
func (a *Analyzer) mspResponse(m *Message, ent *pending, emit func(*Message)) {
	d := m.Data
	n, ok := mspCount(d)
	if !ok {
		m.Malformed, m.problem = true, probMSP
		emit(m)
		return
	}
	m.Container = true
	if ent == nil { // unpaired: the strongest op of the services' codes
		best, have := opOther, false
		for i := range n {
			sub, ok := mspItem(d, n, i)
			if !ok {
				break
			}
			s := lookup(sub[0], 0, false, false)
			if !have || rank(s.op) > rank(best) {
				best, have = s.op, true
			}
		}
		m.op = best
	}
	emit(m)
	for i := range n {
		sub, ok := mspItem(d, n, i)
		m.resetCIP()
		m.Index, m.Embedded = i+1, true
		if !ok {
			m.Response = true
			m.name, m.op = svcUnknown.name, opOther
			m.Malformed, m.problem = true, probMSP
			emit(m)
			return
		}
		ok = parseResp(m, sub)
		if ent != nil && i < ent.n && ent.emb[i].svc == m.Service {
			ent.emb[i].apply(m)
		} else {
			s := lookup(m.Service, 0, false, false)
			m.name, m.op, m.sp = s.name, s.op, s.sp
		}
		if ok {
			a.trackResp(m)
		}
		emit(m)
	}
}

// File object transfers.

// fileNameField returns the STRINGI file name of an Initiate_Download
// request: after file size (UDINT), format version (UINT) and revision
// (2 USINT).
func fileNameField(d []byte) []byte {
	if len(d) < 8 {
		return nil
	}
	return d[8:]
}

// stringI returns the characters of the first string of a STRINGI (CIP
// Vol. 1 §C-6.1): count, then language (3), type, character set (UINT) and
// the string in the type's encoding. Two-byte characters keep their raw
// bytes.
func stringI(b []byte) []byte {
	if len(b) < 7 || b[0] == 0 {
		return nil
	}
	typ := b[4]
	b = b[7:]
	var n, off int
	switch typ {
	case 0xDA: // SHORT_STRING
		if len(b) < 1 {
			return nil
		}
		n, off = int(b[0]), 1
	case 0xD0: // STRING
		if len(b) < 2 {
			return nil
		}
		n, off = int(binary.LittleEndian.Uint16(b)), 2
	case 0xD5: // STRING2
		if len(b) < 2 {
			return nil
		}
		n, off = 2*int(binary.LittleEndian.Uint16(b)), 2
	case 0xD9: // STRINGN: character size, length
		if len(b) < 4 {
			return nil
		}
		n, off = int(binary.LittleEndian.Uint16(b))*int(binary.LittleEndian.Uint16(b[2:])), 4
	default:
		return nil
	}
	if len(b) < off+n {
		return nil
	}
	return b[off : off+n]
}

// firmwareName reports whether a file or instance name says firmware: it
// contains "firmware" (any case) or ends in ".dmk", the extension of
// Rockwell firmware kits (ControlFLASH Plus).
func firmwareName(b []byte) bool {
	const word = "firmware"
	var buf [8]byte
	for i := 0; i+len(word) <= len(b); i++ {
		for j := range len(word) {
			c := b[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[j] = c
		}
		if string(buf[:]) == word {
			return true
		}
	}
	if n := len(b); n >= 4 {
		ext := [4]byte{b[n-4], b[n-3] | 0x20, b[n-2] | 0x20, b[n-1] | 0x20}
		return ext == [4]byte{'.', 'd', 'm', 'k'}
	}
	return false
}

func (a *Analyzer) firmwareInstance(inst uint32) bool {
	for _, v := range a.fw[:a.fwN] {
		if v == inst {
			return true
		}
	}
	return false
}

func (a *Analyzer) learnFirmware(inst uint32) {
	if a.firmwareInstance(inst) {
		return
	}
	if a.fwN == maxFirmware {
		a.dropped++
		return
	}
	a.fw[a.fwN] = inst
	a.fwN++
}

// start begins a transfer, keeping the hash state.
func (t *Transfer) start(inst uint32, upload bool) {
	h := t.h
	if h == nil {
		h = sha256.New()
	}
	h.Reset()
	*t = Transfer{Instance: inst, Upload: upload, active: true, h: h}
}

// packet adds a transfer packet: transfer number, packet type, file data
// and, on the last packet, a checksum (CIP Vol. 1 Tables 5-42.11/5-42.13).
// A repeated transfer number (a retry) is not hashed again.
func (t *Transfer) packet(d []byte) {
	if len(d) < 2 {
		return
	}
	num, typ := d[0], d[1]
	data := d[2:]
	last := typ == 2 || typ == 4
	if last && len(data) >= 2 {
		data = data[:len(data)-2]
	}
	if t.seen && num == t.Number {
		return
	}
	t.Number, t.Type, t.seen = num, typ, true
	t.Packets++
	if typ == 3 {
		t.Done, t.Aborted, t.active = true, true, false
		return
	}
	t.h.Write(data)
	t.Length += uint64(len(data))
	if last {
		t.h.Sum(t.Sum[:0])
		t.Done, t.active = true, false
	}
}

// firstPacket reports whether transfer data d starts a file (packet type
// first, or first and last).
func firstPacket(d []byte) bool { return len(d) >= 2 && (d[1] == 0 || d[1] == 4) }

// trackReq updates transfer state from a request and attaches the transfer.
func (a *Analyzer) trackReq(m *Message) {
	if m.Malformed || m.Response {
		return
	}
	inst := m.Path.Instance
	switch m.sp {
	case spFileInitDownload:
		t := &a.xfer[0]
		t.start(inst, false)
		t.Firmware = m.op == opFirmwareUpdate
		if len(m.Data) >= 4 {
			t.Size = binary.LittleEndian.Uint32(m.Data)
		}
		name := stringI(fileNameField(m.Data))
		for _, c := range name {
			if c == 0 {
				continue // high bytes of two-byte characters
			}
			if t.nameN == len(t.name) {
				a.dropped++
				break
			}
			t.name[t.nameN] = c
			t.nameN++
		}
		m.Transfer = t
	case spFileDownload:
		t := &a.xfer[0]
		if !t.active || t.Instance != inst {
			if !firstPacket(m.Data) {
				return
			}
			t.start(inst, false)
			t.Firmware = m.op == opFirmwareUpdate
		}
		t.packet(m.Data)
		m.Transfer = t
	case spFileUpload:
		if t := &a.xfer[1]; t.active && t.Instance == inst {
			m.Transfer = t
		}
	}
}

// trackResp updates transfer state from a response and attaches the
// transfer; it learns File object instances whose name says firmware.
func (a *Analyzer) trackResp(m *Message) {
	if !m.Paired || m.Path.Has&HasClass == 0 || m.Path.Class != classFile {
		return
	}
	inst := m.Path.Instance
	switch m.sp {
	case spFileInitUpload:
		if m.GeneralStatus == 0 && len(m.Data) >= 4 {
			t := &a.xfer[1]
			t.start(inst, true)
			t.Size = binary.LittleEndian.Uint32(m.Data)
			t.Firmware = a.firmwareInstance(inst)
			m.Transfer = t
		}
	case spFileUpload:
		if m.GeneralStatus != 0 {
			return
		}
		t := &a.xfer[1]
		if !t.active || t.Instance != inst {
			if !firstPacket(m.Data) {
				return
			}
			t.start(inst, true)
			t.Firmware = a.firmwareInstance(inst)
		}
		t.packet(m.Data)
		m.Transfer = t
	case spFileInitDownload, spFileDownload:
		if t := &a.xfer[0]; t.h != nil && t.Instance == inst {
			m.Transfer = t
		}
	case spGetAttr:
		// Instance Name (attribute 2, STRINGI) of a File object instance.
		if m.Service == 0x0E && m.GeneralStatus == 0 && m.Path.Has&HasAttribute != 0 &&
			m.Path.Attribute == 2 && firmwareName(stringI(m.Data)) {
			a.learnFirmware(inst)
		}
	}
}

// pcccCommand returns the PCCC command and function code of an
// Execute_PCCC request or response: after the requestor id (its first byte
// is its own length), CMD, STS, TNS (2) and, for requests of commands
// 0x06/0x0F, FNC.
func pcccCommand(d []byte, response bool) (cmd, fnc uint8, ok bool) {
	if len(d) < 1 {
		return 0, 0, false
	}
	i := int(d[0])
	if i < 1 || len(d) < i+4 {
		return 0, 0, false
	}
	cmd = d[i] &^ 0x40 // the reply bit
	if !response && len(d) >= i+5 {
		fnc = d[i+4]
	}
	return cmd, fnc, true
}

// Class 0/1 I/O.

// IOStat counts the I/O packets of one connection id and direction.
type IOStat struct {
	ConnID     uint32
	FromClient bool   // sent by the flow's client
	Packets    uint64 // packets seen
	Bytes      uint64 // connected data bytes seen
	FirstSeq   uint32 // encapsulation sequence number of the first packet
	LastSeq    uint32 // highest sequence number seen
	Lost       uint64 // sequence numbers skipped (packets lost before the capture point)
	Repeated   uint64 // packets whose sequence number did not advance
}

// IOStats returns the I/O counters of the flow, one per connection id and
// direction, in order of first appearance. The slice aliases the Analyzer:
// it is valid until the next Datagram or Reset. The caller reads the totals
// when the flow ends (before Reset) or whenever it reports.
func (a *Analyzer) IOStats() []IOStat { return a.ioTable()[:a.ioN] }

// ioTable is where the flow's I/O counters are: inline, or in ioBig once
// there were more connections than fit inline.
func (a *Analyzer) ioTable() []IOStat {
	if a.ioN > ioInline {
		return a.ioBig[:]
	}
	return a.io[:]
}

// ioPacket counts a class 0/1 I/O packet: a CPF with a sequenced address
// (or connected address) item and a connected data item.
func (a *Analyzer) ioPacket(b []byte, fromClient bool, emit func(*Message)) error {
	if !cpfValid(b) {
		return ErrDatagram
	}
	items, ok := cpfItems(b)
	var conn, seq uint32
	var data []byte
	hasConn, hasSeq, hasData := false, false, false
	for ok {
		var typ uint16
		var body []byte
		typ, body, items, ok = items.next()
		if !ok {
			break
		}
		switch typ {
		case itemSeqAddr:
			if len(body) >= 8 {
				conn, seq = binary.LittleEndian.Uint32(body), binary.LittleEndian.Uint32(body[4:])
				hasConn, hasSeq = true, true
			}
		case itemConnAddr:
			if len(body) >= 4 && !hasConn {
				conn, hasConn = binary.LittleEndian.Uint32(body), true
			}
		case itemConnData:
			data, hasData = body, true
		}
	}
	if !hasConn || !hasData {
		return ErrDatagram
	}
	tab := a.ioTable()
	for i := range tab[:a.ioN] {
		s := &tab[i]
		if s.ConnID != conn || s.FromClient != fromClient {
			continue
		}
		s.Packets++
		s.Bytes += uint64(len(data))
		if hasSeq {
			switch d := seq - s.LastSeq; {
			case d == 0 || d >= 1<<31:
				s.Repeated++
			default:
				s.Lost += uint64(d - 1)
				s.LastSeq = seq
			}
		}
		return nil
	}
	if a.ioN == maxIO {
		a.dropped++
		return nil
	}
	if a.ioN == ioInline { // move to the big table
		if a.ioBig == nil {
			a.ioBig = new([maxIO]IOStat)
		}
		copy(a.ioBig[:], a.io[:])
		tab = a.ioBig[:]
	}
	tab[a.ioN] = IOStat{ConnID: conn, FromClient: fromClient, Packets: 1,
		Bytes: uint64(len(data)), FirstSeq: seq, LastSeq: seq}
	a.ioN++
	m := &a.msg
	*m = Message{Kind: KindIO, Response: !fromClient, ConnID: conn, IOSeq: seq, Data: data,
		name: "Implicit_IO", op: opIO}
	emit(m)
	return nil
}
