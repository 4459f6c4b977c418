package dcerpc

import (
	"bytes"
	"encoding/binary"
	"net/netip"
)

// Protocol identifiers of tower floors (C706 Appendix I).
const (
	floorTCP = 0x07
	floorUDP = 0x08
	floorIP  = 0x09
)

// endpoints collects the TCP endpoints a response hands out: the towers
// of an ept_map answer, the string bindings of the DCOM activator and
// OXID resolver ("host[port]"). Calls of other interfaces are not read.
func (a *Analyzer) endpoints(m *Message, _ binary.ByteOrder, stub []byte) {
	if m.Type != TypeResponse || !m.HasOpnum {
		return
	}
	switch m.iface {
	case ifEPM:
		if m.Opnum == 3 {
			towers(m, stub)
		}
	case ifActivator, ifOldActivation, ifOXID:
		stringBindings(m, stub)
	}
}

// addEndpoint adds e to m's endpoints unless present or full.
func addEndpoint(m *Message, e Endpoint) {
	if e.Port == 0 {
		return
	}
	for _, x := range m.Endpoints[:m.NEndpoints] {
		if x == e {
			return
		}
	}
	if m.NEndpoints < maxEndpoints {
		m.Endpoints[m.NEndpoints] = e
		m.NEndpoints++
	}
}

// towers finds the ncacn_ip_tcp and ncadg_ip_udp floors of the towers in
// an ept_map answer: a TCP or UDP floor (lhs 0x07 or 0x08, a 2-byte
// big-endian port) followed by an IP floor (lhs 0x09, a 4-byte address).
// Floor lengths are little-endian whatever the data representation (C706
// Appendix L).
func towers(m *Message, b []byte) {
	for i := 0; i+7 <= len(b); i++ {
		if b[i] != 1 || b[i+1] != 0 || (b[i+2] != floorTCP && b[i+2] != floorUDP) || b[i+3] != 2 || b[i+4] != 0 {
			continue
		}
		e := Endpoint{Port: binary.BigEndian.Uint16(b[i+5:]), UDP: b[i+2] == floorUDP}
		j := i + 7
		if j+9 <= len(b) && b[j] == 1 && b[j+1] == 0 && b[j+2] == floorIP && b[j+3] == 4 && b[j+4] == 0 {
			if ip := netip.AddrFrom4([4]byte(b[j+5 : j+9])); !ip.IsUnspecified() {
				e.Addr = ip
			}
			j += 9
		}
		addEndpoint(m, e)
		i = j - 1
	}
}

// maxBinding bounds the characters of a string binding.
const maxBinding = 128

// stringBindings finds the ncacn_ip_tcp string bindings of a DCOM
// DUALSTRINGARRAY (MS-DCOM §2.2.19): tower id 0x0007, then a NUL-ended
// UTF-16LE "host[port]". A host that is an IP address is kept; a name is
// not (the port is then the responder's).
func stringBindings(m *Message, b []byte) {
	for i := 0; i+4 <= len(b); i += 2 {
		if b[i] != floorTCP || b[i+1] != 0 {
			continue
		}
		var s [maxBinding]byte
		n, j := 0, i+2
		for ; j+1 < len(b) && n < maxBinding; j += 2 {
			c, hi := b[j], b[j+1]
			if hi != 0 || c == 0 || c >= 0x7f || c < 0x20 {
				break
			}
			s[n] = c
			n++
		}
		if n == 0 || j+1 >= len(b) || b[j] != 0 || b[j+1] != 0 {
			continue
		}
		if e, ok := parseBinding(s[:n]); ok {
			addEndpoint(m, e)
		}
		i = j
	}
}

// parseBinding reads "host[port]".
func parseBinding(s []byte) (Endpoint, bool) {
	if len(s) < 4 || s[len(s)-1] != ']' {
		return Endpoint{}, false
	}
	k := len(s) - 2
	port := 0
	mul := 1
	for ; k >= 0 && s[k] >= '0' && s[k] <= '9'; k-- {
		port += int(s[k]-'0') * mul
		mul *= 10
		if mul > 100000 {
			return Endpoint{}, false
		}
	}
	if k < 1 || s[k] != '[' || port == 0 || port > 65535 || k == len(s)-2 {
		return Endpoint{}, false
	}
	e := Endpoint{Port: uint16(port), Addr: parseIP(s[:k])}
	return e, true
}

// parseIP reads a dotted-quad IPv4 address without allocating, an IPv6
// address through netip (which allocates); anything else (a host name)
// is the invalid Addr.
func parseIP(s []byte) netip.Addr {
	if bytes.IndexByte(s, ':') >= 0 {
		a, err := netip.ParseAddr(string(s))
		if err != nil {
			return netip.Addr{}
		}
		return a.Unmap()
	}
	var ip [4]byte
	k, v, digits := 0, 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9' && digits < 3:
			v = v*10 + int(c-'0')
			digits++
		case c == '.' && digits > 0 && k < 3:
			if v > 255 {
				return netip.Addr{}
			}
			ip[k], k, v, digits = byte(v), k+1, 0, 0
		default:
			return netip.Addr{}
		}
	}
	if k != 3 || digits == 0 || v > 255 {
		return netip.Addr{}
	}
	ip[3] = byte(v)
	return netip.AddrFrom4(ip)
}
