package enip

import "encoding/binary"

// Builders of EtherNet/IP and CIP PDUs from the specifications, for the
// operations no public capture shows (downloads, firmware, stops, resets,
// configuration writes …). Each cites the layout it follows.

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// encapPDU builds an encapsulation PDU (CIP Vol. 2 Table 2-3.1).
func encapPDU(cmd uint16, session uint32, status uint32, ctx [8]byte, data []byte) []byte {
	h := cat(le16(cmd), le16(uint16(len(data))), le32(session), le32(status), ctx[:], le32(0))
	return append(h, data...)
}

// item builds a CPF item (CIP Vol. 2 Table 2-6.1).
func item(typ uint16, body []byte) []byte { return cat(le16(typ), le16(uint16(len(body))), body) }

// cpfData builds a CPF: item count and items.
func cpfData(items ...[]byte) []byte { return cat(le16(uint16(len(items))), cat(items...)) }

var testCtx = [8]byte{'h', 'a', 'r', 'b', 'o', 'r', 0, 1}

const testSession = 0x11223344

// sendRR wraps an unconnected CIP message in SendRRData (Vol. 2 §2-4.7):
// interface handle 0, timeout, CPF {null address, unconnected data}.
func sendRR(ctx [8]byte, cip []byte) []byte {
	return encapPDU(cmdSendRRData, testSession, 0, ctx,
		cat(le32(0), le16(10), cpfData(item(itemNull, nil), item(itemUnconnData, cip))))
}

// sendUnit wraps a connected CIP message in SendUnitData (Vol. 2 §2-4.8):
// CPF {connected address, connected data (sequence count + message)}.
func sendUnit(connID uint32, seq uint16, cip []byte) []byte {
	return encapPDU(cmdSendUnitData, testSession, 0, [8]byte{}, cat(le32(0), le16(0),
		cpfData(item(itemConnAddr, le32(connID)), item(itemConnData, cat(le16(seq), cip)))))
}

// Path segments (CIP Vol. 1 Appendix C).
func cls(c uint32) []byte    { return logical(0, c) }
func inst(i uint32) []byte   { return logical(1, i) }
func attr(a uint32) []byte   { return logical(4, a) }
func member(m uint32) []byte { return logical(2, m) }

// logical builds a padded logical segment of the smallest format.
func logical(typ byte, v uint32) []byte {
	s := 0x20 | typ<<2
	switch {
	case v <= 0xFF:
		return []byte{s, byte(v)}
	case v <= 0xFFFF:
		return cat([]byte{s | 1, 0}, le16(uint16(v)))
	default:
		return cat([]byte{s | 2, 0}, le32(v))
	}
}

// symbol builds an ANSI extended symbol segment (0x91), padded.
func symbol(name string) []byte {
	b := cat([]byte{0x91, byte(len(name))}, []byte(name))
	if len(b)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// port builds a port segment with a one-byte link address.
func port(p, link byte) []byte { return []byte{p & 0x0F, link} }

// request builds a message router request (Vol. 1 Table 2-4.1).
func request(svc byte, path []byte, data []byte) []byte {
	return cat([]byte{svc, byte(len(path) / 2)}, path, data)
}

// response builds a message router response (Vol. 1 Table 2-4.2).
func response(svc byte, status byte, ext []uint16, data []byte) []byte {
	b := []byte{svc | 0x80, 0, status, byte(len(ext))}
	for _, e := range ext {
		b = append(b, le16(e)...)
	}
	return append(b, data...)
}

// msp builds a Multiple_Service_Packet body (Vol. 1 § ): count,
// offsets from the count, services.
func msp(services ...[]byte) []byte {
	off := 2 + 2*len(services)
	b := le16(uint16(len(services)))
	for _, s := range services {
		b = append(b, le16(uint16(off))...)
		off += len(s)
	}
	return cat(b, cat(services...))
}

// mspRequest is a Multiple_Service_Packet to the Message Router.
func mspRequest(services ...[]byte) []byte {
	return request(0x0A, cat(cls(2), inst(1)), msp(services...))
}

// ucs builds an Unconnected_Send (Vol. 1 Table 3-5.22) to the Connection
// Manager, carrying inner towards the route path.
func ucs(inner []byte, route []byte) []byte {
	d := cat([]byte{0x07, 0xE9}, le16(uint16(len(inner))), inner)
	if len(inner)%2 == 1 {
		d = append(d, 0)
	}
	d = cat(d, []byte{byte(len(route) / 2), 0}, route)
	return request(0x52, cat(cls(classConnMgr), inst(1)), d)
}

// forwardOpen builds a Forward_Open request (Vol. 1 Table 3-5.16) for a
// class 3 connection to the Message Router.
func forwardOpen() []byte {
	d := cat([]byte{0x0A, 0x0E},
		le32(0), le32(0x80FE0028), // O→T (chosen by target), T→O
		le16(0x1234), le16(1), le32(0xC1DEBED1), // serial, vendor, originator serial
		[]byte{3, 0, 0, 0},          // timeout multiplier, reserved
		le32(2000000), le16(0x43F4), // O→T RPI, params (size 500)
		le32(2000000), le16(0x43F4), // T→O RPI, params
		[]byte{0xA3}, // server, application trigger, class 3
	)
	path := cat(port(1, 0), cls(2), inst(1))
	d = cat(d, []byte{byte(len(path) / 2)}, path)
	return request(0x54, cat(cls(classConnMgr), inst(1)), d)
}

// forwardOpenReply builds a successful Forward_Open response (Vol. 1 Table
// 3-5.18).
func forwardOpenReply() []byte {
	return response(0x54, 0, nil, cat(le32(0x00010203), le32(0x80FE0028), le16(0x1234), le16(1),
		le32(0xC1DEBED1), le32(2000000), le32(2000000), []byte{0, 0}))
}

// forwardClose builds a Forward_Close request (Vol. 1 Table 3-5.20).
func forwardClose() []byte {
	path := cat(port(1, 0), cls(2), inst(1))
	d := cat([]byte{0x0A, 0x0E}, le16(0x1234), le16(1), le32(0xC1DEBED1), []byte{byte(len(path) / 2), 0}, path)
	return request(0x4E, cat(cls(classConnMgr), inst(1)), d)
}

// stringI builds a one-string STRINGI (Vol. 1 §C-6.1) of type SHORT_STRING.
func stringIData(s string) []byte {
	return cat([]byte{1, 'e', 'n', 'g', 0xDA}, le16(4), []byte{byte(len(s))}, []byte(s))
}

// initiateDownload builds a File object Initiate_Download request (Vol. 1
// §5-42.4.2): file size, format version, revision, file name.
func initiateDownload(instance uint32, size uint32, name string) []byte {
	return request(0x4C, cat(cls(classFile), inst(instance)),
		cat(le32(size), le16(1), []byte{2, 1}, stringIData(name)))
}

// transfer builds Download_Transfer request data or Upload_Transfer response
// data (Vol. 1 §5-42.4.5/§5-42.4.4): transfer number, packet type, data and,
// on the last packet, a checksum.
func transfer(num, typ byte, data []byte) []byte {
	b := cat([]byte{num, typ}, data)
	if typ == 2 || typ == 4 {
		b = append(b, 0xAB, 0xCD)
	}
	return b
}

func downloadTransfer(instance uint32, num, typ byte, data []byte) []byte {
	return request(0x50, cat(cls(classFile), inst(instance)), transfer(num, typ, data))
}

// pccc builds Execute_PCCC request data (Rockwell 1756-RM…/1770-6.5.16):
// requestor id (length, vendor, serial), CMD, STS, TNS, FNC, body.
func pcccRequest(cmd, fnc byte) []byte {
	d := cat([]byte{7}, le16(1), le32(0x12345678), []byte{cmd, 0}, le16(0x0101), []byte{fnc, 0x02, 0x07, 0x89, 0x00, 0x00})
	return request(0x4B, cat(cls(classPCCC), inst(1)), d)
}

// listIdentityReply builds a ListIdentity response with one CIP Identity
// item (Vol. 2 Table 2-4.4).
func listIdentityReply(vendor, devType, product uint16, major, minor byte, serial uint32, name string, state byte) []byte {
	body := cat(le16(1),
		[]byte{0, 2, 0xAF, 0x12, 10, 1, 1, 164, 0, 0, 0, 0, 0, 0, 0, 0}, // sockaddr_in, big endian
		le16(vendor), le16(devType), le16(product), []byte{major, minor}, le16(0x0030), le32(serial),
		[]byte{byte(len(name))}, []byte(name), []byte{state})
	return encapPDU(cmdListIdentity, 0, 0, testCtx, cpfData(item(itemIdentity, body)))
}

// ioPacket builds a class 1 I/O datagram (Vol. 2 §3-2.2): CPF {sequenced
// address (connection id, sequence number), connected data}.
func ioPacket(connID, seq uint32, data []byte) []byte {
	return cpfData(item(itemSeqAddr, cat(le32(connID), le32(seq))), item(itemConnData, data))
}
