package s7

import "encoding/binary"

// s7comm decodes an S7comm PDU: the header (10 octets, 12 with the error
// class and code of ack and ack-data), the parameter and the data.
func (a *Analyzer) s7comm(p []byte, fromClient bool, emit func(*Message)) {
	m := a.start(KindS7, fromClient)
	if len(p) < 10 {
		if len(p) >= 2 {
			m.ROSCTR = p[1]
		}
		a.malformed(m, stS7Header, emit)
		return
	}
	m.ROSCTR = p[1]
	m.PDURef = binary.BigEndian.Uint16(p[4:])
	hl := 10
	if m.ROSCTR == rosctrAck || m.ROSCTR == rosctrAckData {
		hl = 12
		if len(p) < hl {
			a.malformed(m, stS7Header, emit)
			return
		}
		m.ErrorClass, m.ErrorCode = p[10], p[11]
	}
	plen := int(binary.BigEndian.Uint16(p[6:]))
	dlen := int(binary.BigEndian.Uint16(p[8:]))
	lengthsOK := hl+plen+dlen <= len(p)
	if !lengthsOK {
		// Decode what is there; the PDU is reported malformed below.
		plen = min(plen, len(p)-hl)
		dlen = min(dlen, len(p)-hl-plen)
	}
	param := p[hl : hl+plen]
	data := p[hl+plen : hl+plen+dlen]
	switch m.ROSCTR {
	case rosctrJob:
		a.job(m, param, data)
	case rosctrAck, rosctrAckData:
		a.ack(m, param, data)
	case rosctrUserdata:
		a.userdata(m, param, data)
	default:
		m.status = stROSCTR
		m.Malformed = true
	}
	if !lengthsOK {
		bad(m, stS7Lengths)
	}
	if m.Malformed {
		a.malformed(m, m.status, emit)
		return
	}
	emit(m)
}

// bad marks m malformed with status s.
func bad(m *Message, s string) {
	m.Malformed = true
	m.status = s
}

// job decodes a job (ROSCTR 1) parameter and data.
func (a *Analyzer) job(m *Message, param, data []byte) {
	m.request = true
	if len(param) == 0 {
		m.name = "Job"
		bad(m, stNoParam)
		return
	}
	fn := param[0]
	m.Function = fn
	m.hasFunc = true
	m.name = functionName(fn)
	m.op = functionOp(fn)
	pend := pending{used: true, ref: m.PDURef, fn: fn, pi: -1}
	switch fn {
	case fnSetup:
		// func, reserved, max AmQ calling, max AmQ called, PDU length.
		if len(param) < 8 {
			bad(m, stParam)
			break
		}
		m.hasSetup = true
		m.amqCalling = binary.BigEndian.Uint16(param[2:])
		m.amqCalled = binary.BigEndian.Uint16(param[4:])
		m.pduLength = binary.BigEndian.Uint16(param[6:])
	case fnReadVar, fnWriteVar:
		if !parseItems(m, param) {
			bad(m, stParam)
			break
		}
		if fn == fnWriteVar {
			n, ok := dataItems(m, data, m.Items, false)
			m.writeBytes = n
			if !ok {
				bad(m, stData)
			}
		}
	case fnRequestDownload:
		// func, status, 2 unknown, 4 download id, file name, and (when
		// the parameter is longer than 18) a length string: '1', load
		// memory length (6 digits), MC7 code length (6 digits).
		f, rest, ok := blockFile(param)
		if !ok {
			bad(m, stParam)
			break
		}
		m.file = f
		if len(rest) >= 14 && int(rest[0]) >= 13 {
			if n, ok := atoi(rest[2:8]); ok {
				m.blockLen = n
			}
			if n, ok := atoi(rest[8:14]); ok {
				m.mc7Len = n
			}
		}
		a.download.begin(f)
		a.download.declared = -1
		if m.blockLen > 0 {
			a.download.declared = m.blockLen
		}
	case fnDownloadBlock:
		// Sent by the PLC: func, status, 2 unknown, 4 unknown, file name.
		f, _, ok := blockFile(param)
		if !ok {
			bad(m, stParam)
			break
		}
		m.file = f
		m.MoreData = param[1]&0x01 != 0
	case fnDownloadEnded:
		// Sent by the PLC: func, status, error code, 4 unknown, file name.
		f, _, ok := blockFile(param)
		if !ok {
			bad(m, stParam)
			break
		}
		m.file = f
		if a.download.state == xferActive {
			a.download.finish()
			m.xfer = &a.download
		}
	case fnStartUpload:
		// func, status, 2 unknown, 4 upload id, file name.
		f, _, ok := blockFile(param)
		if !ok {
			bad(m, stParam)
			break
		}
		m.file = f
		a.upload.begin(f)
	case fnUpload, fnEndUpload:
		// func, status, 2 unknown (End upload: error code), 4 upload id.
		if len(param) < 8 {
			bad(m, stParam)
			break
		}
		m.uploadID = binary.BigEndian.Uint32(param[4:])
		m.hasUploadID = true
		if fn == fnEndUpload && a.upload.state == xferActive {
			a.upload.finish()
			m.xfer = &a.upload
		}
	case fnPIService:
		// func, 7 unknown, parameter block length (2), parameter block,
		// service name length (1), service name.
		if len(param) < 10 {
			bad(m, stParam)
			break
		}
		bl := int(binary.BigEndian.Uint16(param[8:]))
		if 10+bl+1 > len(param) {
			bad(m, stParam)
			break
		}
		block := param[10 : 10+bl]
		sl := int(param[10+bl])
		if 11+bl+sl > len(param) {
			bad(m, stParam)
			break
		}
		a.piService(m, param[11+bl:11+bl+sl], block)
		pend.pi, pend.piStop = m.pi, m.op == opPLCStop
	case fnPLCStop:
		// func, 5 unknown, service name length (1), service name.
		if len(param) < 7 || 7+int(param[6]) > len(param) {
			bad(m, stParam)
			break
		}
		m.piService = param[7 : 7+int(param[6])]
	}
	a.dir[dirIndex(m.fromClient)].addPending(pend)
}

// piService classifies a PI service by its name and decodes its parameter
// block: the block list of _INSE/_INS2/_DELE (count, 1 unknown, count × 8:
// type (2), number (5), file system (1)) and the argument string of
// P_PROGRAM, _MODU and _GARB.
func (a *Analyzer) piService(m *Message, svc, block []byte) {
	m.piService = svc
	m.pi = lookupPI(svc)
	if m.pi < 0 {
		m.op = opOther
		return
	}
	s := &piServices[m.pi]
	m.name = s.name
	m.op = s.op
	switch s.service {
	case "_INSE", "_INS2", "_DELE":
		if len(block) >= 2 {
			n := int(block[0])
			if 2+8*n <= len(block) {
				m.piBlocks = block[2 : 2+8*n]
			} else {
				bad(m, stParam)
			}
		}
	default:
		m.piArg = block
		// P_PROGRAM starts the program: without argument a hot restart,
		// with "C " a cold restart. PLC stop is function 0x29; an argument
		// naming a stop is taken as one.
		if s.service == "P_PROGRAM" && isStopArg(block) {
			m.op = opPLCStop
		}
	}
}

// isStopArg reports whether a P_PROGRAM argument asks for STOP.
func isStopArg(b []byte) bool {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	if len(b) != 4 {
		return false
	}
	for i, c := range b {
		if c|0x20 != "stop"[i] {
			return false
		}
	}
	return true
}

// blockFile returns the file name of an up/download job parameter (length
// at octet 8) and the parameter after it.
func blockFile(param []byte) (f, rest []byte, ok bool) {
	if len(param) < 9 {
		return nil, nil, false
	}
	l := int(param[8])
	if 9+l > len(param) {
		return nil, nil, false
	}
	return param[9 : 9+l], param[9+l:], true
}

// parseItems decodes the variable addresses of a read or write job: item
// count, then per item the variable specification 0x12, its length, the
// syntax id and, for S7ANY, transport size, count, DB number, area and the
// 24-bit bit address.
func parseItems(m *Message, param []byte) bool {
	if len(param) < 2 {
		return false
	}
	m.Items = int(param[1])
	off := 2
	for i := 0; i < m.Items; i++ {
		if off+2 > len(param) {
			return false
		}
		l := int(param[off+1])
		if off+2+l > len(param) {
			return false
		}
		spec := param[off+2 : off+2+l]
		if i < maxItems && len(spec) >= 1 {
			it := &m.items[i]
			it.syntax = spec[0]
			if spec[0] == syntaxS7Any && len(spec) >= 10 {
				it.ts = spec[1]
				it.count = binary.BigEndian.Uint16(spec[2:])
				it.db = binary.BigEndian.Uint16(spec[4:])
				it.area = spec[6]
				it.addr = uint32(spec[7])<<16 | uint32(spec[8])<<8 | uint32(spec[9])
			}
		}
		off += 2 + l
	}
	return true
}

// dataItems walks the data items of a write job or read response: return
// code, transport size, length, data, and a fill octet after an odd length
// unless last. The length is in bits for the bit, byte/word/dword and
// integer transport sizes. A response item that is not a success carries
// no data and is counted in m.ItemErrors. It returns the data octets and
// whether the items fit.
func dataItems(m *Message, data []byte, count int, response bool) (n int, ok bool) {
	off := 0
	for i := 0; i < count; i++ {
		if off+4 > len(data) {
			return n, false
		}
		rc, ts := data[off], data[off+1]
		l := int(binary.BigEndian.Uint16(data[off+2:]))
		off += 4
		if response && rc != retSuccess && rc != 0 {
			m.itemError(rc)
			continue
		}
		switch ts {
		case 0x03: // BIT
			l = (l + 7) / 8
		case 0x04, 0x05: // BYTE/WORD/DWORD, INTEGER
			l /= 8
		}
		if off+l > len(data) {
			return n, false
		}
		off += l
		n += l
		if l%2 == 1 && i < count-1 && off < len(data) {
			off++
		}
	}
	return n, true
}

// ack decodes an ack (ROSCTR 2) or ack-data (ROSCTR 3): the response to a
// job sent the other way, paired with it by PDU reference.
func (a *Analyzer) ack(m *Message, param, data []byte) {
	req, found := a.dir[dirIndex(!m.fromClient)].takePending(m.PDURef, false)
	switch {
	case len(param) > 0:
		m.Function = param[0]
		m.hasFunc = true
	case found:
		m.Function = req.fn
		m.hasFunc = true
		m.paired = true
	}
	if !m.hasFunc {
		m.name = "Ack"
		if m.ROSCTR == rosctrAckData {
			m.name = "Ack-data"
		}
		m.op = opOther
	} else {
		m.name = functionName(m.Function)
		m.op = functionOp(m.Function)
	}
	if found && req.fn == m.Function && req.pi >= 0 {
		m.pi = req.pi
		m.name = piServices[req.pi].name
		m.op = piServices[req.pi].op
		if req.piStop {
			m.op = opPLCStop
		}
	}
	failed := m.ErrorClass != 0 || m.ErrorCode != 0
	if failed {
		m.status = errorStatus(uint16(m.ErrorClass)<<8 | uint16(m.ErrorCode))
	}
	if !m.hasFunc {
		return
	}
	switch m.Function {
	case fnSetup:
		if len(param) >= 8 {
			m.hasSetup = true
			m.amqCalling = binary.BigEndian.Uint16(param[2:])
			m.amqCalled = binary.BigEndian.Uint16(param[4:])
			m.pduLength = binary.BigEndian.Uint16(param[6:])
		}
	case fnReadVar, fnWriteVar:
		if len(param) < 2 {
			if !failed {
				bad(m, stParam)
			}
			return
		}
		m.Items = int(param[1])
		if m.Function == fnReadVar {
			if _, ok := dataItems(m, data, m.Items, true); !ok {
				bad(m, stData)
				return
			}
		} else {
			if len(data) < m.Items {
				bad(m, stData)
				return
			}
			for _, rc := range data[:m.Items] {
				if rc != retSuccess {
					m.itemError(rc)
				}
			}
		}
	case fnRequestDownload:
		if failed {
			a.download.failed = true
			a.download.state = xferIdle
		}
	case fnDownloadBlock:
		// Sent by the engineering station: status, then data length (2),
		// 2 unknown (0x00fb), block contents.
		if len(param) >= 2 {
			m.MoreData = param[1]&0x01 != 0
		}
		a.blockData(m, &a.download, data, failed)
	case fnDownloadEnded:
		a.download.ended(m, failed)
	case fnStartUpload:
		// status, 2 unknown, upload id (4), length string length (1),
		// block length as ASCII digits.
		if failed {
			a.upload.failed = true
			a.upload.state = xferIdle
			return
		}
		if len(param) >= 8 {
			m.uploadID = binary.BigEndian.Uint32(param[4:])
			m.hasUploadID = true
			a.upload.id = m.uploadID
		}
		if len(param) >= 9 && 9+int(param[8]) <= len(param) {
			if n, ok := atoi(param[9 : 9+int(param[8])]); ok {
				m.blockLen = n
				a.upload.declared = n
			}
		}
	case fnUpload:
		if len(param) >= 2 {
			m.MoreData = param[1]&0x01 != 0
		}
		a.blockData(m, &a.upload, data, failed)
	case fnEndUpload:
		a.upload.ended(m, failed)
	}
}

// itemError counts a failed response item; the first names the status.
func (m *Message) itemError(rc uint8) {
	if m.ItemErrors == 0 && m.status == "" {
		m.status = returnCodeName(rc)
	}
	m.ItemErrors++
}

// blockData adds the block contents of an upload or download-block
// ack-data to transfer t.
// ended hands a finished transfer to the message that ends it.
func (t *transfer) ended(m *Message, failed bool) {
	if t.state == xferDone {
		m.xfer = t
		if failed {
			t.failed = true
		}
	}
}

func (a *Analyzer) blockData(m *Message, t *transfer, data []byte, failed bool) {
	if failed {
		t.failed = true
		return
	}
	if len(data) < 4 {
		if len(data) > 0 {
			bad(m, stData)
		}
		return
	}
	l := int(binary.BigEndian.Uint16(data))
	if 4+l > len(data) {
		bad(m, stData)
		l = len(data) - 4
	}
	m.chunk = l
	t.add(data[4 : 4+l])
}
