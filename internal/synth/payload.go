package synth

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Payload builders. Each returns a new slice holding one application
// message as it travels in a TCP stream or a UDP datagram, built by hand
// from the specification cited. Bad arguments never panic: over-long
// fields are cut to what the format can carry.

// DNS record types (RFC 1035 §3.2.2, RFC 3596 §2.1).
const (
	DNSTypeA    uint16 = 1
	DNSTypeAAAA uint16 = 28
)

// appendDNSName appends name as labels (RFC 1035 §3.1): empty labels are
// dropped, labels are cut to 63 bytes and the name to 255.
func appendDNSName(b []byte, name string) []byte {
	start := len(b)
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if l == "" {
			continue
		}
		if len(l) > 63 {
			l = l[:63]
		}
		if len(b)-start+1+len(l)+1 > 255 {
			break
		}
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// DNSQuery is a recursive query for name (RFC 1035 §4.1).
func DNSQuery(id uint16, name string, qtype uint16) []byte {
	b := make([]byte, 0, 64)
	b = binary.BigEndian.AppendUint16(b, id)
	b = append(b, 0x01, 0x00)             // RD
	b = append(b, 0, 1, 0, 0, 0, 0, 0, 0) // QDCOUNT 1
	b = appendDNSName(b, name)
	b = binary.BigEndian.AppendUint16(b, qtype)
	return append(b, 0, 1) // class IN
}

// DNSResponse answers DNSQuery(id, name, qtype) with one A record per IPv4
// address and one AAAA record per IPv6 address, each naming the question by
// a compression pointer to offset 12 (RFC 1035 §4.1.3, §4.1.4). No address
// gives an empty NOERROR answer.
func DNSResponse(id uint16, name string, qtype uint16, ttl uint32, addrs ...netip.Addr) []byte {
	b := make([]byte, 0, 64+28*len(addrs))
	b = binary.BigEndian.AppendUint16(b, id)
	b = append(b, 0x81, 0x80) // QR, RD, RA, NOERROR
	n := min(len(addrs), 255)
	b = append(b, 0, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	b = append(b, 0, 0, 0, 0)
	b = appendDNSName(b, name)
	b = binary.BigEndian.AppendUint16(b, qtype)
	b = append(b, 0, 1)
	for _, a := range addrs[:n] {
		b = append(b, 0xc0, 0x0c)
		if a.Is4() {
			b = binary.BigEndian.AppendUint16(b, DNSTypeA)
		} else {
			b = binary.BigEndian.AppendUint16(b, DNSTypeAAAA)
		}
		b = append(b, 0, 1)
		b = binary.BigEndian.AppendUint32(b, ttl)
		ip := a.AsSlice()
		b = binary.BigEndian.AppendUint16(b, uint16(len(ip)))
		b = append(b, ip...)
	}
	return b
}

// TLS record content types (RFC 8446 §5.1).
const (
	tlsChangeCipherSpec = 20
	tlsHandshake        = 22
	tlsApplicationData  = 23
)

func appendTLSRecord(b []byte, typ byte, version uint16, body []byte) []byte {
	b = append(b, typ)
	b = binary.BigEndian.AppendUint16(b, version)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}

func appendRandom(b []byte, r *rand.Rand, n int) []byte {
	for ; n >= 8; n -= 8 {
		b = binary.LittleEndian.AppendUint64(b, r.Uint64())
	}
	for ; n > 0; n-- {
		b = append(b, byte(r.Uint32()))
	}
	return b
}

// ext appends a TLS extension (RFC 8446 §4.2).
func ext(b []byte, typ uint16, data []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

// TLSClientHello is a TLS 1.3 ClientHello in a TLS 1.0-versioned handshake
// record, as browsers send it (RFC 8446 §4.1.2): random, 32-byte legacy
// session id, common cipher suites, and the extensions server_name (RFC 6066
// §3) when sni is not empty, application_layer_protocol_negotiation (RFC
// 7301 §3.1) when alpn is given, supported_groups, signature_algorithms,
// key_share (x25519) and supported_versions (1.3, 1.2).
func TLSClientHello(r *rand.Rand, sni string, alpn ...string) []byte {
	if len(sni) > 255 {
		sni = sni[:255]
	}
	var e []byte
	if sni != "" {
		d := binary.BigEndian.AppendUint16(nil, uint16(len(sni)+3))
		d = append(d, 0) // host_name
		d = binary.BigEndian.AppendUint16(d, uint16(len(sni)))
		d = append(d, sni...)
		e = ext(e, 0, d)
	}
	e = ext(e, 23, nil)                                     // extended_master_secret
	e = ext(e, 0xff01, []byte{0})                           // renegotiation_info
	e = ext(e, 10, []byte{0, 6, 0, 0x1d, 0, 0x17, 0, 0x18}) // supported_groups: x25519, P-256, P-384
	e = ext(e, 11, []byte{1, 0})                            // ec_point_formats: uncompressed
	e = ext(e, 35, nil)                                     // session_ticket
	if len(alpn) > 0 {
		var l []byte
		for _, p := range alpn {
			if p == "" || len(p) > 255 || len(l)+1+len(p) > 1024 {
				continue
			}
			l = append(l, byte(len(p)))
			l = append(l, p...)
		}
		d := binary.BigEndian.AppendUint16(nil, uint16(len(l)))
		e = ext(e, 16, append(d, l...))
	}
	e = ext(e, 5, []byte{1, 0, 0, 0, 0}) // status_request: OCSP
	e = ext(e, 13, []byte{0, 16, 4, 3, 8, 4, 4, 1, 5, 3, 8, 5, 5, 1, 8, 6, 6, 1})
	ks := []byte{0, 36, 0, 0x1d, 0, 32}
	e = ext(e, 51, appendRandom(ks, r, 32)) // key_share
	e = ext(e, 45, []byte{1, 1})            // psk_key_exchange_modes: psk_dhe_ke
	e = ext(e, 43, []byte{4, 3, 4, 3, 3})   // supported_versions: 1.3, 1.2

	h := []byte{3, 3}
	h = appendRandom(h, r, 32)
	h = append(h, 32)
	h = appendRandom(h, r, 32)
	suites := []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}
	h = binary.BigEndian.AppendUint16(h, uint16(2*len(suites)))
	for _, s := range suites {
		h = binary.BigEndian.AppendUint16(h, s)
	}
	h = append(h, 1, 0) // compression: null
	h = binary.BigEndian.AppendUint16(h, uint16(len(e)))
	h = append(h, e...)
	return appendTLSRecord(nil, tlsHandshake, 0x0301, appendHandshake(nil, 1, h))
}

func appendHandshake(b []byte, typ byte, body []byte) []byte {
	b = append(b, typ, byte(len(body)>>16), byte(len(body)>>8), byte(len(body)))
	return append(b, body...)
}

// tlsSessionID returns the legacy session id of a ClientHello built by
// TLSClientHello (record 5 + handshake 4 + version 2 + random 32 bytes in).
func tlsSessionID(ch []byte) []byte {
	const at = 5 + 4 + 2 + 32
	if len(ch) <= at || len(ch) < at+1+int(ch[at]) || ch[at] > 32 {
		return nil
	}
	return ch[at+1 : at+1+int(ch[at])]
}

// TLSServerHello answers clientHello with a TLS 1.3 ServerHello (RFC 8446
// §4.1.3: TLS_AES_128_GCM_SHA256, x25519 key share, the client's session
// id echoed), the middlebox-compatibility ChangeCipherSpec (§D.4), and one
// application_data record of encrypted bytes standing for the encrypted
// handshake (EncryptedExtensions to Finished, §5.2).
func TLSServerHello(r *rand.Rand, clientHello []byte, encrypted int) []byte {
	sid := tlsSessionID(clientHello)
	h := []byte{3, 3}
	h = appendRandom(h, r, 32)
	h = append(h, byte(len(sid)))
	h = append(h, sid...)
	h = append(h, 0x13, 0x01, 0)
	var e []byte
	e = ext(e, 43, []byte{3, 4})
	e = ext(e, 51, appendRandom([]byte{0, 0x1d, 0, 32}, r, 32))
	h = binary.BigEndian.AppendUint16(h, uint16(len(e)))
	h = append(h, e...)
	b := appendTLSRecord(nil, tlsHandshake, 0x0303, appendHandshake(nil, 2, h))
	b = append(b, TLSChangeCipherSpec()...)
	if encrypted > 0 {
		b = append(b, TLSAppData(r, encrypted)...)
	}
	return b
}

// TLSChangeCipherSpec is the one-byte ChangeCipherSpec record (RFC 8446 §5).
func TLSChangeCipherSpec() []byte { return []byte{tlsChangeCipherSpec, 3, 3, 0, 1, 1} }

// TLSAppData is application_data records holding n random (encrypted)
// bytes, split at the record limit of 2^14+256 bytes (RFC 8446 §5.2).
func TLSAppData(r *rand.Rand, n int) []byte {
	var b []byte
	for n > 0 {
		m := min(n, 1<<14+256)
		b = append(b, tlsApplicationData, 3, 3, byte(m>>8), byte(m))
		b = appendRandom(b, r, m)
		n -= m
	}
	return b
}

// HTTPRequest is an HTTP/1.1 request without a body (RFC 9112 §3): the
// request line, Host, then each of headers ("Name: value").
func HTTPRequest(method, host, target string, headers ...string) []byte {
	var sb strings.Builder
	sb.WriteString(method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n")
	for _, h := range headers {
		sb.WriteString(h + "\r\n")
	}
	sb.WriteString("\r\n")
	return []byte(sb.String())
}

// HTTPResponse is an HTTP/1.1 response with a Content-Length body (RFC 9112
// §4, §6.2).
func HTTPResponse(status int, contentType string, body []byte, headers ...string) []byte {
	var sb strings.Builder
	sb.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + reason(status) + "\r\n")
	for _, h := range headers {
		sb.WriteString(h + "\r\n")
	}
	if contentType != "" {
		sb.WriteString("Content-Type: " + contentType + "\r\n")
	}
	sb.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	return append([]byte(sb.String()), body...)
}

func reason(status int) string {
	switch status {
	case 200:
		return "OK"
	case 204:
		return "No Content"
	case 301:
		return "Moved Permanently"
	case 302:
		return "Found"
	case 304:
		return "Not Modified"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 500:
		return "Internal Server Error"
	}
	return "Status"
}

// SSHBanner is the protocol version exchange line "SSH-2.0-software"
// (RFC 4253 §4.2).
func SSHBanner(software string) []byte { return []byte("SSH-2.0-" + software + "\r\n") }

// sshPacket wraps payload in the unencrypted binary packet format (RFC
// 4253 §6): length, padding length, payload, at least 4 bytes of padding
// to a multiple of 8.
func sshPacket(r *rand.Rand, payload []byte) []byte {
	pad := 8 - (5+len(payload))%8
	if pad < 4 {
		pad += 8
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)+pad))
	b = append(b, byte(pad))
	b = append(b, payload...)
	return appendRandom(b, r, pad)
}

func appendSSHString(b []byte, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// SSHKexInit is an SSH_MSG_KEXINIT packet (RFC 4253 §7.1) offering
// curve25519-sha256 (RFC 8731), ed25519 host keys and chacha20-poly1305.
func SSHKexInit(r *rand.Rand) []byte {
	p := []byte{20}
	p = appendRandom(p, r, 16)
	lists := []string{
		"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c",
		"ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
		"chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
		"chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
		"hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
		"hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
		"none,zlib@openssh.com",
		"none,zlib@openssh.com",
		"", "",
	}
	for _, l := range lists {
		p = appendSSHString(p, []byte(l))
	}
	p = append(p, 0, 0, 0, 0, 0) // first_kex_packet_follows, reserved
	return sshPacket(r, p)
}

// SSHKexECDHInit is SSH_MSG_KEX_ECDH_INIT with a client x25519 public key
// (RFC 5656 §4, RFC 8731 §3).
func SSHKexECDHInit(r *rand.Rand) []byte {
	return sshPacket(r, appendSSHString([]byte{30}, appendRandom(nil, r, 32)))
}

// SSHKexECDHReply is SSH_MSG_KEX_ECDH_REPLY: an ed25519 host key blob, the
// server's x25519 public key and an ed25519 signature (RFC 5656 §4, RFC
// 8709 §4, §6).
func SSHKexECDHReply(r *rand.Rand) []byte {
	key := appendSSHString(nil, []byte("ssh-ed25519"))
	key = appendSSHString(key, appendRandom(nil, r, 32))
	sig := appendSSHString(nil, []byte("ssh-ed25519"))
	sig = appendSSHString(sig, appendRandom(nil, r, 64))
	p := appendSSHString([]byte{31}, key)
	p = appendSSHString(p, appendRandom(nil, r, 32))
	p = appendSSHString(p, sig)
	return sshPacket(r, p)
}

// SSHNewKeys is SSH_MSG_NEWKEYS (RFC 4253 §7.3).
func SSHNewKeys(r *rand.Rand) []byte { return sshPacket(r, []byte{21}) }

// SSHEncrypted is one chacha20-poly1305 encrypted packet carrying n bytes
// of payload: encrypted length, payload and padding, 16-byte tag.
func SSHEncrypted(r *rand.Rand, n int) []byte {
	pad := 8 - (1+n)%8
	if pad < 4 {
		pad += 8
	}
	return appendRandom(nil, r, 4+1+n+pad+16)
}

// RFBBanner is the RFB ProtocolVersion message "RFB 003.008\n" (RFC 6143
// §7.1.1), sent by both sides.
func RFBBanner() []byte { return []byte("RFB 003.008\n") }

// RDP security protocols of RDP_NEG_REQ/RSP ([MS-RDPBCGR] 2.2.1.1.1).
const (
	RDPProtocolRDP    uint32 = 0
	RDPProtocolSSL    uint32 = 1
	RDPProtocolHybrid uint32 = 2
)

func appendTPKT(b []byte, n int) []byte {
	// RFC 1006 §6: version 3, reserved, length of the whole packet.
	return append(b, 3, 0, byte((n+4)>>8), byte(n+4))
}

// RDPConnectionRequest is the Client X.224 Connection Request PDU
// ([MS-RDPBCGR] 2.2.1.1): TPKT, an X.224 CR TPDU (X.224 §13.3) whose
// user data is the routing cookie "Cookie: mstshash=NAME\r\n" and an
// RDP_NEG_REQ asking for protocols.
func RDPConnectionRequest(cookie string, protocols uint32) []byte {
	if len(cookie) > 200 {
		cookie = cookie[:200]
	}
	c := "Cookie: mstshash=" + cookie + "\r\n"
	x := []byte{byte(6 + len(c) + 8), 0xe0, 0, 0, 0, 0, 0}
	x = append(x, c...)
	x = append(x, 1, 0, 8, 0) // RDP_NEG_REQ, flags, length 8 (LE)
	x = binary.LittleEndian.AppendUint32(x, protocols)
	return append(appendTPKT(nil, len(x)), x...)
}

// RDPConnectionConfirm is the Server X.224 Connection Confirm PDU
// ([MS-RDPBCGR] 2.2.1.2) with an RDP_NEG_RSP selecting protocol.
func RDPConnectionConfirm(srcRef uint16, protocol uint32) []byte {
	x := []byte{14, 0xd0, 0, 0, byte(srcRef >> 8), byte(srcRef), 0}
	x = append(x, 2, 0x1f, 8, 0) // RDP_NEG_RSP; extended client data, gfx, restricted admin supported
	x = binary.LittleEndian.AppendUint32(x, protocol)
	return append(appendTPKT(nil, len(x)), x...)
}

// TeamViewerCmd is a TeamViewer control ("CMD") packet as public traffic
// classifiers know it: magic 0x17 0x24, a command byte, the body length
// (little-endian uint32) and the body.
func TeamViewerCmd(cmd byte, body []byte) []byte {
	b := []byte{0x17, 0x24, cmd}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}

// FTPCommand is a control-connection command "VERB arg" (RFC 959 §4.1,
// §5.3); an empty arg gives "VERB".
func FTPCommand(verb, arg string) []byte {
	if arg == "" {
		return []byte(verb + "\r\n")
	}
	return []byte(verb + " " + arg + "\r\n")
}

// FTPReply is a single-line reply "code text" (RFC 959 §4.2).
func FTPReply(code int, text string) []byte {
	return []byte(strconv.Itoa(code) + " " + text + "\r\n")
}

// FTPPassive is the 227 reply to PASV naming the data address (RFC 959
// §4.1.2 PASV, §4.2.2).
func FTPPassive(addr netip.Addr, port uint16) []byte {
	a := addr.As4()
	s := "Entering Passive Mode (" + strconv.Itoa(int(a[0])) + "," + strconv.Itoa(int(a[1])) + "," +
		strconv.Itoa(int(a[2])) + "," + strconv.Itoa(int(a[3])) + "," +
		strconv.Itoa(int(port>>8)) + "," + strconv.Itoa(int(port&0xff)) + ")."
	return FTPReply(227, s)
}

// TFTP opcodes (RFC 1350 §5).
const (
	TFTPRead  uint16 = 1
	TFTPWrite uint16 = 2
	TFTPDATA  uint16 = 3
	TFTPACK   uint16 = 4
	TFTPERROR uint16 = 5
)

// TFTPRequest is an RRQ or WRQ: opcode, file name, mode, each string
// NUL-terminated (RFC 1350 §5, figure 5-1).
func TFTPRequest(op uint16, file, mode string) []byte {
	b := binary.BigEndian.AppendUint16(nil, op)
	b = append(b, strings.ReplaceAll(file, "\x00", "")...)
	b = append(b, 0)
	b = append(b, strings.ReplaceAll(mode, "\x00", "")...)
	return append(b, 0)
}

// TFTPData is a DATA packet (RFC 1350 figure 5-2); data over 512 bytes is
// cut to 512.
func TFTPData(block uint16, data []byte) []byte {
	if len(data) > 512 {
		data = data[:512]
	}
	b := binary.BigEndian.AppendUint16(nil, TFTPDATA)
	b = binary.BigEndian.AppendUint16(b, block)
	return append(b, data...)
}

// TFTPAck is an ACK packet (RFC 1350 figure 5-3).
func TFTPAck(block uint16) []byte {
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, TFTPACK), block)
}

// NTP timestamps (RFC 5905 §6): seconds since 1900 and a 32-bit fraction.
func appendNTPTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	ns := t.UnixNano()
	sec := uint32(ns/1e9 + 2208988800)
	frac := uint32((uint64(ns%1e9) << 32) / 1e9)
	b = binary.BigEndian.AppendUint32(b, sec)
	return binary.BigEndian.AppendUint32(b, frac)
}

// NTPRequest is a version 4 client-mode packet (RFC 5905 §7.3) whose
// transmit timestamp is xmit.
func NTPRequest(xmit time.Time) []byte {
	b := []byte{0x23, 0, 6, 0xec} // LI 0, VN 4, mode 3; stratum 0; poll 2^6; precision 2^-20
	b = append(b, make([]byte, 36)...)
	return appendNTPTime(b, xmit)
}

// NTPResponse is the server-mode answer to req (RFC 5905 §7.3, §8): the
// request's version and poll, the given stratum and reference id, origin
// timestamp copied from the request's transmit timestamp, receive and
// transmit timestamps.
func NTPResponse(req []byte, stratum uint8, refID [4]byte, ref, recv, xmit time.Time) []byte {
	vn, poll := byte(4), byte(6)
	if len(req) >= 48 {
		vn = req[0] >> 3 & 7
		poll = req[2]
	}
	b := []byte{vn<<3 | 4, stratum, poll, 0xe9} // LI 0, mode 4; precision 2^-23
	b = append(b, 0, 0, 0x02, 0x1c)             // root delay ≈ 8 ms
	b = append(b, 0, 0, 0x01, 0x80)             // root dispersion ≈ 6 ms
	b = append(b, refID[:]...)
	b = appendNTPTime(b, ref)
	if len(req) >= 48 {
		b = append(b, req[40:48]...)
	} else {
		b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	b = appendNTPTime(b, recv)
	return appendNTPTime(b, xmit)
}

// RTSPRequest is an RTSP/1.0 request (RFC 2326 §6): request line, CSeq,
// headers, and the body with its Content-Length when not empty.
func RTSPRequest(method, url string, cseq int, body []byte, headers ...string) []byte {
	return rtspMessage(method+" "+url+" RTSP/1.0", cseq, body, headers)
}

// RTSPResponse is an RTSP/1.0 response (RFC 2326 §7).
func RTSPResponse(status, cseq int, body []byte, headers ...string) []byte {
	return rtspMessage("RTSP/1.0 "+strconv.Itoa(status)+" "+reason(status), cseq, body, headers)
}

func rtspMessage(first string, cseq int, body []byte, headers []string) []byte {
	var sb strings.Builder
	sb.WriteString(first + "\r\nCSeq: " + strconv.Itoa(cseq) + "\r\n")
	for _, h := range headers {
		sb.WriteString(h + "\r\n")
	}
	if len(body) > 0 {
		sb.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	sb.WriteString("\r\n")
	return append([]byte(sb.String()), body...)
}

// SDPVideo is a session description of one H.264 video stream (RFC 8866
// §5; RFC 6184 §8.2.1 for the rtpmap).
func SDPVideo(origin netip.Addr, name string) []byte {
	ip := "IP4"
	if origin.Is6() {
		ip = "IP6"
	}
	a := origin.String()
	return []byte("v=0\r\no=- 0 0 IN " + ip + " " + a + "\r\ns=" + name + "\r\nc=IN " + ip + " " + a +
		"\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=1\r\n")
}

// RTSPInterleaved frames data on an interleaved channel of the RTSP
// connection: '$', channel, length (RFC 2326 §10.12). Data over 65535
// bytes is cut.
func RTSPInterleaved(channel byte, data []byte) []byte {
	if len(data) > 0xffff {
		data = data[:0xffff]
	}
	b := []byte{'$', channel, byte(len(data) >> 8), byte(len(data))}
	return append(b, data...)
}

// RTPPacket is an RTP version 2 packet without CSRCs (RFC 3550 §5.1).
func RTPPacket(pt uint8, seq uint16, ts, ssrc uint32, marker bool, payload []byte) []byte {
	m := pt & 0x7f
	if marker {
		m |= 0x80
	}
	b := []byte{0x80, m}
	b = binary.BigEndian.AppendUint16(b, seq)
	b = binary.BigEndian.AppendUint32(b, ts)
	b = binary.BigEndian.AppendUint32(b, ssrc)
	return append(b, payload...)
}

// H264FragmentA is an H.264 FU-A fragment of a coded slice (RFC 6184
// §5.8): FU indicator (NRI 3, type 28), FU header with start/end bits
// and NAL type 1 (5 for an IDR slice), then n random bytes.
func H264FragmentA(r *rand.Rand, start, end, idr bool, n int) []byte {
	h := byte(1)
	if idr {
		h = 5
	}
	if start {
		h |= 0x80
	}
	if end {
		h |= 0x40
	}
	return appendRandom([]byte{0x7c, h}, r, n)
}

// SMB2 commands ([MS-SMB2] 2.2.1.2).
const (
	smb2Negotiate   = 0x0000
	smb2TreeConnect = 0x0003
	smb2Create      = 0x0005
	smb2Close       = 0x0006
	smb2Write       = 0x0009
)

// SMB2 access masks for SMB2CreateRequest ([MS-SMB2] 2.2.13.1.1).
const (
	SMB2AccessRead      uint32 = 0x00120089 // FILE_READ_DATA|READ_EA|READ_ATTRIBUTES|READ_CONTROL|SYNCHRONIZE
	SMB2AccessReadWrite uint32 = 0x0012019f // plus FILE_WRITE_DATA|APPEND_DATA|WRITE_EA|WRITE_ATTRIBUTES
)

// SMB2Header addresses one SMB2 message ([MS-SMB2] 2.2.1.2).
type SMB2Header struct {
	MessageID uint64
	SessionID uint64
	TreeID    uint32
}

// smb2 frames an SMB2 message for direct TCP transport: a 4-byte header
// of a zero byte and the 24-bit length ([MS-SMB2] 2.1), then the 64-byte
// sync header ([MS-SMB2] 2.2.1.2) and body.
func smb2(h SMB2Header, cmd uint16, response bool, body []byte) []byte {
	n := 64 + len(body)
	b := []byte{0, byte(n >> 16), byte(n >> 8), byte(n)}
	b = append(b, 0xfe, 'S', 'M', 'B')
	b = binary.LittleEndian.AppendUint16(b, 64)
	b = binary.LittleEndian.AppendUint16(b, 1) // credit charge
	b = binary.LittleEndian.AppendUint32(b, 0) // status (responses: STATUS_SUCCESS); channel sequence in requests
	b = binary.LittleEndian.AppendUint16(b, cmd)
	b = binary.LittleEndian.AppendUint16(b, 1) // credits requested or granted
	flags := uint32(0)
	if response {
		flags = 1 // SMB2_FLAGS_SERVER_TO_REDIR
	}
	b = binary.LittleEndian.AppendUint32(b, flags)
	b = binary.LittleEndian.AppendUint32(b, 0) // next command
	b = binary.LittleEndian.AppendUint64(b, h.MessageID)
	b = binary.LittleEndian.AppendUint32(b, 0xfeff) // reserved (process id)
	b = binary.LittleEndian.AppendUint32(b, h.TreeID)
	b = binary.LittleEndian.AppendUint64(b, h.SessionID)
	b = append(b, make([]byte, 16)...) // signature
	return append(b, body...)
}

// filetime is a Windows FILETIME: 100 ns ticks since 1601.
func filetime(t time.Time) uint64 {
	return uint64(t.UnixNano()/100 + 116444736000000000)
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// SMB2NegotiateRequest offers dialects 2.0.2 to 3.0.2 ([MS-SMB2] 2.2.3).
func SMB2NegotiateRequest(h SMB2Header, clientGUID [16]byte) []byte {
	dialects := []uint16{0x0202, 0x0210, 0x0300, 0x0302}
	b := binary.LittleEndian.AppendUint16(nil, 36)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dialects)))
	b = binary.LittleEndian.AppendUint16(b, 1)    // signing enabled
	b = binary.LittleEndian.AppendUint16(b, 0)    // reserved
	b = binary.LittleEndian.AppendUint32(b, 0x7f) // capabilities
	b = append(b, clientGUID[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // client start time
	for _, d := range dialects {
		b = binary.LittleEndian.AppendUint16(b, d)
	}
	return smb2(h, smb2Negotiate, false, b)
}

// SMB2NegotiateResponse selects dialect 3.0.2 ([MS-SMB2] 2.2.4) with an
// empty security buffer.
func SMB2NegotiateResponse(h SMB2Header, serverGUID [16]byte, now time.Time) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 65)
	b = binary.LittleEndian.AppendUint16(b, 1) // signing enabled
	b = binary.LittleEndian.AppendUint16(b, 0x0302)
	b = binary.LittleEndian.AppendUint16(b, 0) // negotiate context count
	b = append(b, serverGUID[:]...)
	b = binary.LittleEndian.AppendUint32(b, 0x2f)  // capabilities
	b = binary.LittleEndian.AppendUint32(b, 8<<20) // max transact
	b = binary.LittleEndian.AppendUint32(b, 8<<20) // max read
	b = binary.LittleEndian.AppendUint32(b, 8<<20) // max write
	b = binary.LittleEndian.AppendUint64(b, filetime(now))
	b = binary.LittleEndian.AppendUint64(b, 0)        // server start time
	b = binary.LittleEndian.AppendUint16(b, 64+64)    // security buffer offset
	b = binary.LittleEndian.AppendUint16(b, 0)        // security buffer length
	b = binary.LittleEndian.AppendUint32(b, 0)        // negotiate context offset
	return smb2(h, smb2Negotiate, true, append(b, 0)) // one byte of buffer
}

// SMB2TreeConnectRequest connects to path (\\server\share), UTF-16LE
// ([MS-SMB2] 2.2.9).
func SMB2TreeConnectRequest(h SMB2Header, path string) []byte {
	p := utf16le(path)
	b := binary.LittleEndian.AppendUint16(nil, 9)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, 64+8) // path offset
	b = binary.LittleEndian.AppendUint16(b, uint16(len(p)))
	return smb2(h, smb2TreeConnect, false, append(b, p...))
}

// SMB2TreeConnectResponse grants a disk share ([MS-SMB2] 2.2.10).
func SMB2TreeConnectResponse(h SMB2Header) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 16)
	b = append(b, 1, 0)                                 // share type disk, reserved
	b = binary.LittleEndian.AppendUint32(b, 0)          // share flags: manual caching
	b = binary.LittleEndian.AppendUint32(b, 0)          // capabilities
	b = binary.LittleEndian.AppendUint32(b, 0x001f01ff) // maximal access: full control
	return smb2(h, smb2TreeConnect, true, b)
}

// SMB2CreateRequest opens name (relative to the share) with access,
// overwriting or creating it ([MS-SMB2] 2.2.13).
func SMB2CreateRequest(h SMB2Header, name string, access uint32) []byte {
	n := utf16le(name)
	b := binary.LittleEndian.AppendUint16(nil, 57)
	b = append(b, 0, 0)                        // security flags, oplock level none
	b = binary.LittleEndian.AppendUint32(b, 2) // impersonation
	b = append(b, make([]byte, 16)...)         // create flags, reserved
	b = binary.LittleEndian.AppendUint32(b, access)
	b = binary.LittleEndian.AppendUint32(b, 0x80) // FILE_ATTRIBUTE_NORMAL
	b = binary.LittleEndian.AppendUint32(b, 1)    // share read
	b = binary.LittleEndian.AppendUint32(b, 5)    // FILE_OVERWRITE_IF
	b = binary.LittleEndian.AppendUint32(b, 0x44) // non-directory, sequential
	b = binary.LittleEndian.AppendUint16(b, 64+56)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(n)))
	b = binary.LittleEndian.AppendUint32(b, 0) // create contexts offset
	b = binary.LittleEndian.AppendUint32(b, 0) // and length
	if len(n) == 0 {
		n = []byte{0}
	}
	return smb2(h, smb2Create, false, append(b, n...))
}

// SMB2CreateResponse reports a created file with fileID ([MS-SMB2] 2.2.14).
func SMB2CreateResponse(h SMB2Header, fileID [16]byte, now time.Time) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 89)
	b = append(b, 0, 0)                        // oplock, flags
	b = binary.LittleEndian.AppendUint32(b, 2) // FILE_CREATED
	ft := filetime(now)
	for range 4 {
		b = binary.LittleEndian.AppendUint64(b, ft)
	}
	b = binary.LittleEndian.AppendUint64(b, 0) // allocation size
	b = binary.LittleEndian.AppendUint64(b, 0) // end of file
	b = binary.LittleEndian.AppendUint32(b, 0x80)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = append(b, fileID[:]...)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	return smb2(h, smb2Create, true, b)
}

// SMB2WriteRequest writes data at offset of fileID ([MS-SMB2] 2.2.21).
func SMB2WriteRequest(h SMB2Header, fileID [16]byte, offset uint64, data []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 49)
	b = binary.LittleEndian.AppendUint16(b, 64+48) // data offset
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = binary.LittleEndian.AppendUint64(b, offset)
	b = append(b, fileID[:]...)
	b = append(b, make([]byte, 16)...) // channel, remaining, channel info, flags
	if len(data) == 0 {
		data = []byte{0}
	}
	return smb2(h, smb2Write, false, append(b, data...))
}

// SMB2WriteResponse acknowledges count bytes written ([MS-SMB2] 2.2.22).
func SMB2WriteResponse(h SMB2Header, count uint32) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 17)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, count)
	b = append(b, make([]byte, 8)...)
	return smb2(h, smb2Write, true, append(b, 0))
}

// SMB2CloseRequest closes fileID ([MS-SMB2] 2.2.15).
func SMB2CloseRequest(h SMB2Header, fileID [16]byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 24)
	b = append(b, 0, 0, 0, 0, 0, 0)
	return smb2(h, smb2Close, false, append(b, fileID[:]...))
}

// SMB2CloseResponse answers a close without attributes ([MS-SMB2] 2.2.16).
func SMB2CloseResponse(h SMB2Header) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 60)
	return smb2(h, smb2Close, true, append(b, make([]byte, 58)...))
}
