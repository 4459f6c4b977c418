package s7

import (
	"encoding/binary"
	"strconv"
)

// userdata decodes a userdata PDU (ROSCTR 7). Parameter: head 0x000112,
// parameter length (4 or 8), method (0x11 request, 0x12 response),
// type (high nibble) and function group (low nibble), subfunction, sequence
// number; with length 8 also data unit reference, last data unit and error
// code. Data: return code, transport size, length, payload.
func (a *Analyzer) userdata(m *Message, param, data []byte) {
	if len(param) < 8 {
		m.name = "Userdata"
		bad(m, stUserdataParam)
		return
	}
	m.UserdataType = param[5] >> 4
	m.Group = param[5] & 0x0f
	m.Subfunction = param[6]
	m.Sequence = param[7]
	m.request = m.UserdataType == 4 || m.UserdataType == 7
	if param[3] >= 8 {
		if len(param) < 12 {
			bad(m, stUserdataParam)
		} else {
			m.DataUnitRef = param[8]
			m.MoreData = param[9] != 0
			m.ParamError = binary.BigEndian.Uint16(param[10:])
		}
	}
	m.name = userdataName(m.Group, m.Subfunction)
	var payload []byte
	if len(data) >= 4 {
		m.ReturnCode = data[0]
		payload = data[4:]
		if l := int(binary.BigEndian.Uint16(data[2:])); l <= len(payload) {
			payload = payload[:l]
		} else if !m.Malformed {
			bad(m, stData)
		}
	}
	szl := m.Group == groupCPU && m.Subfunction == 0x01
	if m.request {
		p := pending{used: true, userdata: true, ref: m.PDURef, group: m.Group, sub: m.Subfunction, pi: -1}
		switch {
		case szl && len(payload) >= 4:
			m.szlID = binary.BigEndian.Uint16(payload)
			m.szlIndex = binary.BigEndian.Uint16(payload[2:])
			m.hasSZL = true
		case szl && a.szl.active:
			// A follow-up request for the next data unit of a
			// fragmented response carries no SZL id.
			m.szlID, m.szlIndex, m.hasSZL = a.szl.id, a.szl.index, true
		case m.Group == groupTime && (m.Subfunction == 0x02 || m.Subfunction == 0x04) && len(payload) >= 10:
			m.clock = payload[:10]
		case m.Group == groupBlock && m.Subfunction == 0x03 && len(payload) >= 8:
			m.blockSpec = payload[:8]
		case m.Group == groupBlock && m.Subfunction == 0x02 && len(payload) >= 2:
			m.blockSpec = payload[:2]
		case m.Group == groupSecurity && m.Subfunction == 0x01:
			m.password = len(payload) > 0
		}
		p.szlID, p.szlIndex, p.szlValid = m.szlID, m.szlIndex, m.hasSZL
		a.dir[dirIndex(m.fromClient)].addPending(p)
	} else {
		var req pending
		found := false
		if m.UserdataType == 8 || m.UserdataType == 11 {
			req, found = a.dir[dirIndex(!m.fromClient)].takePending(m.PDURef, true)
		}
		if m.ParamError != 0 {
			m.status = errorStatus(m.ParamError)
		}
		switch {
		case szl:
			a.szlResponse(m, payload)
			if !m.hasSZL && found && req.szlValid {
				m.szlID, m.szlIndex, m.hasSZL = req.szlID, req.szlIndex, true
			}
		case m.Group == groupTime && (m.Subfunction == 0x01 || m.Subfunction == 0x03) && len(payload) >= 10:
			m.clock = payload[:10]
		case m.Group == groupBlock && m.Subfunction == 0x01 && m.ParamError == 0:
			m.blockList = payload
		}
	}
	m.op = userdataOp(m.Group, m.Subfunction, m.szlID, m.hasSZL)
}

// szlState reassembles a fragmented SZL response: the PLC sends the list in
// several userdata PDUs with the same data unit reference, the last marked
// "last data unit", each after a follow-up request. Only the
// identification lists are kept (bounded by maxSZL); of the others only
// the id is remembered.
type szlState struct {
	active   bool
	dur      uint8
	id       uint16
	index    uint16
	buf      []byte
	overflow bool
}

func (s *szlState) reset() {
	s.active = false
	s.dur = 0
	s.id, s.index = 0, 0
	s.buf = s.buf[:0]
	s.overflow = false
}

// szlResponse handles the data of a "Read SZL" response: a complete list
// (SZL id, index, record length, record count, records) or one data unit
// of a fragmented one.
func (a *Analyzer) szlResponse(m *Message, payload []byte) {
	s := &a.szl
	continuation := s.active && m.DataUnitRef == s.dur
	if !m.MoreData && !continuation {
		if len(payload) >= 4 {
			m.szlID = binary.BigEndian.Uint16(payload)
			m.szlIndex = binary.BigEndian.Uint16(payload[2:])
			m.hasSZL = true
			if len(payload) >= 8 {
				m.szlList = payload
			}
		}
		return
	}
	if !continuation {
		s.reset()
		if len(payload) < 4 {
			return
		}
		s.active = true
		s.dur = m.DataUnitRef
		s.id = binary.BigEndian.Uint16(payload)
		s.index = binary.BigEndian.Uint16(payload[2:])
	}
	m.szlID, m.szlIndex, m.hasSZL = s.id, s.index, true
	if isIdentitySZL(s.id) && !s.overflow {
		if len(s.buf)+len(payload) > maxSZL {
			a.dropped += uint64(len(s.buf) + len(payload))
			s.buf = s.buf[:0]
			s.overflow = true
		} else {
			if s.buf == nil {
				s.buf = make([]byte, 0, 512)
			}
			s.buf = append(s.buf, payload...)
		}
	}
	if !m.MoreData {
		if isIdentitySZL(s.id) && !s.overflow && len(s.buf) >= 8 {
			m.szlList = s.buf
		}
		s.active = false
	}
}

// identity extracts the module identity from a complete SZL list (header
// of 8 octets, then records):
//
//   - xy11, module identification (record: index, order number MlfB (20),
//     module type BGTyp, Ausbg, Ausbe): index 1 the module's order number,
//     index 6 the basic hardware, index 7 the basic firmware whose Ausbg
//     and Ausbe hold 'V', major, minor, patch.
//   - xy1C, component identification (record: index, 32 octets): index 1
//     automation system name, 2 module name, 3 plant designation,
//     4 copyright, 5 serial number, 7 module type name, 8 memory card
//     serial number, 9 manufacturer id and profile, 10 OEM id, 11 location.
//
// The vendor comes from the PROFIBUS/PROFINET manufacturer id of record 9
// (42 is Siemens), else from a Siemens order number prefix ("6ES7", "6AG1").
func identity(list []byte) map[string]any {
	if len(list) < 8 {
		return nil
	}
	id := binary.BigEndian.Uint16(list)
	rl := int(binary.BigEndian.Uint16(list[4:]))
	n := int(binary.BigEndian.Uint16(list[6:]))
	if rl < 2 {
		return nil
	}
	out := map[string]any{}
	put := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	recs := list[8:]
	for i := 0; i < n && len(recs) >= rl; i++ {
		r := recs[:rl]
		recs = recs[rl:]
		idx := binary.BigEndian.Uint16(r)
		switch id & 0xff {
		case 0x11:
			if rl < 28 {
				return out
			}
			mlfb := text(r[2:22])
			ausbg, ausbe := binary.BigEndian.Uint16(r[24:]), binary.BigEndian.Uint16(r[26:])
			switch idx {
			case 0x0001:
				put("order_number", mlfb)
				put("module_version", strconv.Itoa(int(ausbg))+"."+strconv.Itoa(int(ausbe)))
			case 0x0006:
				if _, ok := out["order_number"]; !ok {
					put("order_number", mlfb)
				}
				put("hardware_version", strconv.Itoa(int(ausbg))+"."+strconv.Itoa(int(ausbe)))
			case 0x0007:
				if ausbg>>8 == 'V' {
					put("firmware", "V"+strconv.Itoa(int(ausbg&0xff))+"."+strconv.Itoa(int(ausbe>>8))+"."+strconv.Itoa(int(ausbe&0xff)))
				}
			}
		case 0x1c:
			t := text(r[2:])
			switch idx {
			case 0x0001:
				put("system_name", t)
			case 0x0002:
				put("module_name", t)
			case 0x0003:
				put("plant", t)
			case 0x0004:
				put("copyright", t)
			case 0x0005:
				put("serial", t)
			case 0x0007:
				put("module_type", t)
			case 0x0008:
				put("memory_card_serial", t)
			case 0x0009:
				if len(r) >= 4 {
					mid := binary.BigEndian.Uint16(r[2:])
					out["manufacturer_id"] = int(mid)
					if mid == 42 {
						out["vendor"] = "Siemens"
					}
				}
			case 0x000a:
				put("oem_id", t)
			case 0x000b:
				put("location", t)
			}
		}
	}
	if on, ok := out["order_number"].(string); ok {
		if _, ok := out["vendor"]; !ok && (hasPrefix(on, "6ES7") || hasPrefix(on, "6AG1") || hasPrefix(on, "6ES5")) {
			out["vendor"] = "Siemens"
		}
		out["model"] = on
	}
	if p, ok := out["module_type"]; ok {
		out["product"] = p
	} else if p, ok := out["module_name"]; ok {
		out["product"] = p
	}
	return out
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// bcdTime decodes the 10-octet S7 timestamp of the clock functions:
// reserved, year (two BCD octets; the first is ignored, the second is the
// year of the century, 90–99 meaning the 1990s), month, day, hour, minute,
// second, then milliseconds in three BCD digits and the weekday in the last
// nibble. It returns ISO 8601 without zone (the PLC's local time).
func bcdTime(b []byte) (string, bool) {
	if len(b) < 10 {
		return "", false
	}
	var v [8]int
	for i, c := range b[2:9] {
		hi, lo := int(c>>4), int(c&0x0f)
		if hi > 9 || lo > 9 {
			return "", false
		}
		v[i] = hi*10 + lo
	}
	ms3 := int(b[9] >> 4)
	if ms3 > 9 {
		return "", false
	}
	year := 2000 + v[0]
	if v[0] >= 90 {
		year = 1900 + v[0]
	}
	ms := v[6]*10 + ms3
	pad := func(n, w int) string {
		s := strconv.Itoa(n)
		for len(s) < w {
			s = "0" + s
		}
		return s
	}
	return pad(year, 4) + "-" + pad(v[1], 2) + "-" + pad(v[2], 2) + "T" + pad(v[3], 2) + ":" +
		pad(v[4], 2) + ":" + pad(v[5], 2) + "." + pad(ms, 3), true
}
