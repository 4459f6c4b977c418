package discovery

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
)

// Builders of the messages the tests parse. They write what the
// specifications say, independently of the parsers; tshark checks both
// (oracle_test.go).

// hx decodes hex, ignoring spaces and newlines; it panics on bad test data.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// cat concatenates byte slices, strings, single bytes, big-endian uint16
// and uint32 values, and IPv4 or IPv6 addresses.
func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case []byte:
			b = append(b, p...)
		case string:
			b = append(b, p...)
		case byte:
			b = append(b, p)
		case uint16:
			b = binary.BigEndian.AppendUint16(b, p)
		case uint32:
			b = binary.BigEndian.AppendUint32(b, p)
		case netip.Addr:
			b = append(b, p.AsSlice()...)
		default:
			panic("cat: bad part")
		}
	}
	return b
}

// exact returns a copy of b whose capacity is its length, so that a read
// past len(b) panics even through a reslice.
func exact(b []byte) []byte { return append([]byte(nil), b...)[:len(b):len(b)] }

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func mac(s string) []byte { return hx(strings.ReplaceAll(s, ":", "")) }

// --- DHCP (RFC 2131 §2, RFC 2132) ---

type dhcpMsg struct {
	op                             byte
	xid                            uint32
	secs, flags                    uint16
	ciaddr, yiaddr, siaddr, giaddr string // "" = 0.0.0.0
	chaddr                         string // MAC, htype 1 hlen 6
	opts                           [][]byte
	padTo                          int // pad with zeros after End up to this length
}

// dhcpOpt is one option: code, length, value.
func dhcpOpt(code byte, v ...any) []byte {
	val := cat(v...)
	if len(val) > 255 {
		panic("option too long")
	}
	return cat(code, byte(len(val)), val)
}

func (m dhcpMsg) bytes() []byte {
	addr := func(s string) []byte {
		if s == "" {
			return make([]byte, 4)
		}
		return ip(s).AsSlice()
	}
	chaddr := make([]byte, 16)
	copy(chaddr, mac(m.chaddr))
	b := cat(m.op, byte(1), byte(6), byte(0), m.xid, m.secs, m.flags,
		addr(m.ciaddr), addr(m.yiaddr), addr(m.siaddr), addr(m.giaddr),
		chaddr, make([]byte, 64), make([]byte, 128), []byte{99, 130, 83, 99})
	for _, o := range m.opts {
		b = append(b, o...)
	}
	b = append(b, 255)
	for len(b) < m.padTo {
		b = append(b, 0)
	}
	return b
}

// --- LLDP (IEEE 802.1AB-2016 §8.4) ---

// lldpTLV is one TLV: 7-bit type, 9-bit length, value.
func lldpTLV(typ int, v ...any) []byte {
	val := cat(v...)
	if len(val) > 511 || typ > 127 {
		panic("bad tlv")
	}
	return cat(uint16(typ<<9|len(val)), val)
}

// lldpMgmt is a Management Address TLV (§8.5.9) with ifIndex numbering and
// no OID.
func lldpMgmt(a netip.Addr, ifIndex uint32) []byte {
	family := byte(1)
	if a.Is6() {
		family = 2
	}
	raw := a.AsSlice()
	return lldpTLV(8, byte(1+len(raw)), family, raw, byte(2), ifIndex, byte(0))
}

// --- CDP (Wireshark packet-cdp.c) ---

func cdpTLV(typ uint16, v ...any) []byte {
	val := cat(v...)
	return cat(typ, uint16(4+len(val)), val)
}

// cdpAddrList is the value of an Addresses or Management Address TLV:
// IPv4 addresses as NLPID 0xCC, IPv6 ones as 802.2 protocol 0x86DD.
func cdpAddrList(addrs ...netip.Addr) []byte {
	b := cat(uint32(len(addrs)))
	for _, a := range addrs {
		if a.Is4() {
			b = cat(b, byte(1), byte(1), byte(0xcc), uint16(4), a)
		} else {
			b = cat(b, byte(2), byte(8), hx("aaaa0300000086dd"), uint16(16), a)
		}
	}
	return b
}

// cdpFrame is an LLC payload: LLC/SNAP, CDP header with a correct
// checksum, TLVs. The checksum is computed as Wireshark checks it: the
// ones' complement of the sum with the field zeroed, where an odd last
// octet x counts as 0x00xx, or 0xffxx less one when x >= 0x80.
func cdpFrame(version, ttl byte, tlvs ...[]byte) []byte {
	p := cat(version, ttl, uint16(0))
	for _, t := range tlvs {
		p = append(p, t...)
	}
	var sum uint32
	for i := 0; i+1 < len(p); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(p[i:]))
	}
	if len(p)%2 == 1 {
		x := uint32(p[len(p)-1])
		if x >= 0x80 {
			x = 0xff00 + x - 1
		}
		sum += x
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(p[2:], ^uint16(sum))
	return cat(hx("aaaa03 00000c 2000"), p)
}

// --- PROFINET DCP (IEC 61158-6-10 §4.3) ---

// dcpBlock is one block: option, suboption, length, the optional BlockInfo
// or BlockQualifier (prefix < 0 means none), the value, and a padding
// octet when the length is odd.
func dcpBlock(opt, sub byte, prefix int, v ...any) []byte {
	val := cat(v...)
	if prefix >= 0 {
		val = cat(uint16(prefix), val)
	}
	b := cat(opt, sub, uint16(len(val)), val)
	if len(val)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// dcpPDU is FrameID, the DCP header and the blocks. A padding octet that
// ends the last block is not counted in DCPDataLength (Wireshark's rule:
// pad only when more follows), so it is dropped.
func dcpPDU(frameID uint16, service, typ byte, xid uint32, delay uint16, blocks ...[]byte) []byte {
	var data []byte
	for _, b := range blocks {
		data = append(data, b...)
	}
	if n := len(blocks); n > 0 {
		last := blocks[n-1]
		if binary.BigEndian.Uint16(last[2:])%2 == 1 {
			data = data[:len(data)-1]
		}
	}
	return cat(frameID, service, typ, xid, delay, uint16(len(data)), data)
}

// --- Frames for the pcap the oracle reads ---

// ether is an Ethernet II frame, padded to 60 octets.
func ether(dst, src string, etype uint16, payload []byte) []byte {
	return pad60(cat(mac(dst), mac(src), etype, payload))
}

// dot3 is an IEEE 802.3 frame with a length field, padded to 60 octets.
func dot3(dst, src string, llc []byte) []byte {
	return pad60(cat(mac(dst), mac(src), uint16(len(llc)), llc))
}

func pad60(b []byte) []byte {
	for len(b) < 60 {
		b = append(b, 0)
	}
	return b
}

// udp4 is an Ethernet frame with an IPv4 header (checksummed) and a UDP
// header (checksum 0, which IPv4 allows).
func udp4(srcMAC, dstMAC, src, dst string, sport, dport uint16, payload []byte) []byte {
	ipHdr := cat(byte(0x45), byte(0), uint16(20+8+len(payload)), uint16(0x1234), uint16(0),
		byte(64), byte(17), uint16(0), ip(src), ip(dst))
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ipHdr[i:]))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ipHdr[10:], ^uint16(sum))
	return ether(dstMAC, srcMAC, 0x0800, cat(ipHdr, sport, dport, uint16(8+len(payload)), uint16(0), payload))
}
