package synth

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// unhex reads "03 00 00 16 …" (spaces and '|' ignored).
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "|", "", "\n", "", "\t", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// TestPayloadBytes checks builders against bytes written out by hand from
// the specifications (and, where the spec has one, its worked example).
func TestPayloadBytes(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"DNS query A", DNSQuery(0x1234, "ab.c", DNSTypeA),
			"1234 0100 0001 0000 0000 0000 | 02 6162 01 63 00 | 0001 0001"},
		{"DNS query drops empty labels and the root dot", DNSQuery(1, ".a..b.", DNSTypeAAAA),
			"0001 0100 0001 0000 0000 0000 | 01 61 01 62 00 | 001c 0001"},
		{"DNS query of the root", DNSQuery(2, "", DNSTypeA),
			"0002 0100 0001 0000 0000 0000 | 00 | 0001 0001"},
		{"DNS response A with a compression pointer", DNSResponse(0x1234, "ab.c", DNSTypeA, 300, a("10.0.0.1")),
			"1234 8180 0001 0001 0000 0000 | 02 6162 01 63 00 0001 0001 | c00c 0001 0001 0000012c 0004 0a000001"},
		{"DNS response AAAA", DNSResponse(7, "x", DNSTypeAAAA, 60, a("fd00::1")),
			"0007 8180 0001 0001 0000 0000 | 01 78 00 001c 0001 | c00c 001c 0001 0000003c 0010 fd000000000000000000000000000001"},
		{"DNS response with no address", DNSResponse(7, "x", DNSTypeA, 60),
			"0007 8180 0001 0000 0000 0000 | 01 78 00 0001 0001"},
		{"TFTP WRQ", TFTPRequest(TFTPWrite, "f.bin", "octet"),
			"0002 662e62696e 00 6f63746574 00"},
		{"TFTP RRQ strips NULs", TFTPRequest(TFTPRead, "a\x00b", "netascii"),
			"0001 6162 00 6e657461736369 69 00"},
		{"TFTP DATA", TFTPData(1, []byte("abc")), "0003 0001 616263"},
		{"TFTP DATA cut to 512", TFTPData(2, make([]byte, 600))[:4], "0003 0002"},
		{"TFTP ACK", TFTPAck(7), "0004 0007"},
		// Modbus Application Protocol V1.1b3 §6.3 example: registers 108–110.
		{"Modbus read holding request", ModbusReadHoldingRequest(1, 1, 0x006b, 3),
			"0001 0000 0006 01 | 03 006b 0003"},
		{"Modbus read holding response", ModbusReadHoldingResponse(1, 1, []uint16{0x022b, 0x0000, 0x0064}),
			"0001 0000 0009 01 | 03 06 022b 0000 0064"},
		{"COTP CR", COTPConnectRequest(0x0001, S7TSAPClient, S7TSAPPLC),
			"03 00 0016 | 11 e0 0000 0001 00 | c0 01 0a | c1 02 0100 | c2 02 0101"},
		{"COTP CC", COTPConnectConfirm(0x0001, 0x0044, S7TSAPClient, S7TSAPPLC),
			"03 00 0016 | 11 d0 0001 0044 00 | c0 01 0a | c1 02 0100 | c2 02 0101"},
		{"S7 setup communication", S7SetupCommunication(1, 480),
			"03 00 0019 | 02 f0 80 | 32 01 0000 0001 0008 0000 | f0 00 0001 0001 01e0"},
		{"S7 setup communication ack", S7SetupCommunicationAck(1, 480),
			"03 00 001b | 02 f0 80 | 32 03 0000 0001 0008 0000 00 00 | f0 00 0001 0001 01e0"},
		{"S7 read var DB1.DBB0 16 bytes", S7ReadVar(2, S7Item{Area: S7AreaDB, DB: 1, Start: 0, Len: 16}),
			"03 00 001f | 02 f0 80 | 32 01 0000 0002 000e 0000 | 04 01 | 12 0a 10 02 0010 0001 84 000000"},
		{"S7 read var MB100", S7ReadVar(3, S7Item{Area: S7AreaFlags, Start: 100, Len: 2}),
			"03 00 001f | 02 f0 80 | 32 01 0000 0003 000e 0000 | 04 01 | 12 0a 10 02 0002 0000 83 000320"},
		{"S7 read var ack with a fill byte", S7ReadVarAck(2, []byte{0xaa}, []byte{0xbb}),
			"03 00 0020 | 02 f0 80 | 32 03 0000 0002 0002 000b 00 00 | 04 02 | ff 04 0008 aa 00 | ff 04 0008 bb"},
		// [MS-RDPBCGR] 2.2.1.1 and 2.2.1.2, cf. the 4.1.1/4.1.2 annotated dumps.
		{"RDP connection request", RDPConnectionRequest("vendor", RDPProtocolSSL|RDPProtocolHybrid),
			"03 00 002c | 27 e0 0000 0000 00 | " + hex.EncodeToString([]byte("Cookie: mstshash=vendor\r\n")) + " | 01 00 0800 03000000"},
		{"RDP connection confirm", RDPConnectionConfirm(0x1234, RDPProtocolHybrid),
			"03 00 0013 | 0e d0 0000 1234 00 | 02 1f 0800 02000000"},
		{"TeamViewer command", TeamViewerCmd(0x0a, []byte{1, 2}), "17 24 0a 02000000 0102"},
		{"ENIP RegisterSession", ENIPRegisterSession(0, 1),
			"6500 0400 00000000 00000000 0100000000000000 00000000 | 0100 0000"},
		{"ENIP RegisterSession reply", ENIPRegisterSession(0x11223344, 1),
			"6500 0400 44332211 00000000 0100000000000000 00000000 | 0100 0000"},
		{"ENIP UnRegisterSession", ENIPUnregisterSession(0x11223344, 2),
			"6600 0000 44332211 00000000 0200000000000000 00000000"},
		{"ENIP ListIdentity", ENIPListIdentity(0), "6300 0000 00000000 00000000 0000000000000000 00000000"},
		{"ENIP ListIdentity reply", ENIPListIdentityReply(5, ENIPIdentity{IP: a("10.10.11.5"), Vendor: 1, DeviceType: 0x0e,
			ProductCode: 166, Major: 34, Minor: 11, Status: 0x3160, Serial: 0x60c5a2f1, Name: "L85"}),
			"6300 2b00 00000000 00000000 0500000000000000 00000000 | 0100 | 0c00 2500 | 0100 | 0002 af12 0a0a0b05 0000000000000000 | " +
				"0100 0e00 a600 22 0b 6031 f1a2c560 | 03 4c3835 | 03"},
		{"ENIP SendRRData", ENIPSendRRData(0x11223344, 9, []byte{0x4c, 0x00}),
			"6f00 1200 44332211 00000000 0900000000000000 00000000 | 00000000 0a00 | 0200 | 0000 0000 | b200 0200 | 4c00"},
		{"CIP Read Tag, even name", CIPReadTag("Hoist_Load", 1),
			"4c 06 91 0a " + hex.EncodeToString([]byte("Hoist_Load")) + " 0100"},
		{"CIP Read Tag, odd name padded", CIPReadTag("abc", 2), "4c 03 91 03 616263 00 0200"},
		{"CIP Read Tag reply", CIPReadTagReply(CIPTypeDINT, []byte{1, 0, 0, 0}), "cc 00 00 00 c400 01000000"},
		{"ENIP class 1 I/O", ENIPIO(0x11223344, 5, 6, []byte{0xaa}),
			"0200 | 0280 0800 44332211 05000000 | b100 0300 0600 aa"},
		{"RTSP interleaved", RTSPInterleaved(0, []byte{1, 2, 3}), "24 00 0003 010203"},
		{"RTP", RTPPacket(96, 1, 2, 3, true, []byte{9}), "80 e0 0001 00000002 00000003 09"},
		{"RTP without marker", RTPPacket(0x80|8, 1, 2, 3, false, nil), "80 08 0001 00000002 00000003"},
		{"TLS ChangeCipherSpec", TLSChangeCipherSpec(), "14 0303 0001 01"},
		{"SSH NEWKEYS length", SSHNewKeys(rand.New(rand.NewPCG(1, 2)))[:6], "0000000c 0a 15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.want)
			if !bytes.Equal(tt.got, want) {
				t.Fatalf("\n got % x\nwant % x", tt.got, want)
			}
		})
	}
}

func TestPayloadText(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"HTTP request", HTTPRequest("GET", "example-bad.cn", "/x", "Accept: */*"),
			"GET /x HTTP/1.1\r\nHost: example-bad.cn\r\nAccept: */*\r\n\r\n"},
		{"HTTP response", HTTPResponse(200, "text/plain", []byte("hi"), "Server: x"),
			"HTTP/1.1 200 OK\r\nServer: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"},
		{"HTTP response without a type", HTTPResponse(404, "", nil),
			"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"},
		{"SSH banner", SSHBanner("OpenSSH_9.2"), "SSH-2.0-OpenSSH_9.2\r\n"},
		{"RFB banner", RFBBanner(), "RFB 003.008\n"},
		{"FTP command", FTPCommand("STOR", "spreader_params.cfg"), "STOR spreader_params.cfg\r\n"},
		{"FTP command without argument", FTPCommand("PASV", ""), "PASV\r\n"},
		{"FTP reply", FTPReply(220, "ready."), "220 ready.\r\n"},
		{"FTP 227", FTPPassive(netip.MustParseAddr("10.10.1.20"), 50210),
			"227 Entering Passive Mode (10,10,1,20,196,34).\r\n"},
		{"RTSP DESCRIBE", RTSPRequest("DESCRIBE", "rtsp://10.10.2.11/axis-media", 2, nil, "Accept: application/sdp"),
			"DESCRIBE rtsp://10.10.2.11/axis-media RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n"},
		{"RTSP PLAY", RTSPRequest("PLAY", "rtsp://h/s", 4, nil, "Session: 12", "Range: npt=0.000-"),
			"PLAY rtsp://h/s RTSP/1.0\r\nCSeq: 4\r\nSession: 12\r\nRange: npt=0.000-\r\n\r\n"},
		{"RTSP response with a body", RTSPResponse(200, 2, []byte("v=0\r\n"), "Content-Type: application/sdp"),
			"RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n"},
		{"SDP", SDPVideo(netip.MustParseAddr("10.10.2.11"), "cam"),
			"v=0\r\no=- 0 0 IN IP4 10.10.2.11\r\ns=cam\r\nc=IN IP4 10.10.2.11\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n" +
				"a=rtpmap:96 H264/90000\r\na=control:trackID=1\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if string(tt.got) != tt.want {
				t.Fatalf("\n got %q\nwant %q", tt.got, tt.want)
			}
		})
	}
}

func TestNTP(t *testing.T) {
	t.Run("request", func(t *testing.T) {
		// The Unix epoch is NTP second 2208988800 = 0x83aa7e80 (RFC 5905 §6).
		req := NTPRequest(time.Unix(0, 5e8))
		want := unhex(t, "23 00 06 ec"+strings.Repeat("00", 36)+"83aa7e80 80000000")
		if !bytes.Equal(req, want) {
			t.Fatalf("got % x", req)
		}
	})
	t.Run("response", func(t *testing.T) {
		req := NTPRequest(time.Unix(0, 5e8))
		req[0] = 0x1b // version 3 client
		ref := time.Unix(1, 0)
		resp := NTPResponse(req, 2, [4]byte{192, 168, 255, 1}, ref, time.Unix(2, 0), time.Unix(2, 25e7))
		want := unhex(t, "1c 02 06 e9 0000021c 00000180 c0a8ff01 | 83aa7e81 00000000 | 83aa7e80 80000000 | "+
			"83aa7e82 00000000 | 83aa7e82 40000000")
		if !bytes.Equal(resp, want) {
			t.Fatalf("\n got % x\nwant % x", resp, want)
		}
	})
	t.Run("response to a short request", func(t *testing.T) {
		resp := NTPResponse(nil, 1, [4]byte{'G', 'P', 'S', 0}, time.Time{}, time.Unix(0, 0), time.Unix(0, 0))
		if len(resp) != 48 || resp[0] != 0x24 || !bytes.Equal(resp[16:32], make([]byte, 16)) {
			t.Fatalf("got % x", resp)
		}
	})
}

// tlsRecords splits a byte stream into TLS records, checking lengths.
func tlsRecords(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 5 {
			t.Fatalf("record header cut: % x", b)
		}
		n := int(binary.BigEndian.Uint16(b[3:]))
		if 5+n > len(b) || n > 1<<14+256 {
			t.Fatalf("record length %d of %d", n, len(b)-5)
		}
		out = append(out, b[:5+n])
		b = b[5+n:]
	}
	return out
}

// helloExtensions parses a ClientHello or ServerHello record into its
// session id and extensions.
func helloExtensions(t *testing.T, rec []byte, typ byte) (sid []byte, exts map[uint16][]byte) {
	t.Helper()
	if rec[0] != 22 {
		t.Fatalf("content type %d", rec[0])
	}
	h := rec[5:]
	if h[0] != typ || int(h[1])<<16|int(h[2])<<8|int(h[3]) != len(h)-4 {
		t.Fatalf("handshake header % x, body %d", h[:4], len(h)-4)
	}
	p := h[4+2+32:]
	sid = p[1 : 1+p[0]]
	p = p[1+p[0]:]
	if typ == 1 {
		n := int(binary.BigEndian.Uint16(p))
		p = p[2+n:]
		p = p[1+p[0]:]
	} else {
		p = p[3:]
	}
	n := int(binary.BigEndian.Uint16(p))
	p = p[2:]
	if n != len(p) {
		t.Fatalf("extensions length %d of %d", n, len(p))
	}
	exts = map[uint16][]byte{}
	for len(p) > 0 {
		typ, l := binary.BigEndian.Uint16(p), int(binary.BigEndian.Uint16(p[2:]))
		exts[typ] = p[4 : 4+l]
		p = p[4+l:]
	}
	return sid, exts
}

func TestTLS(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		sni  string
		alpn []string
		ext  map[uint16]string // hex of expected extension bodies
	}{
		{"SNI and ALPN", "cms01.t3.example", []string{"h2", "http/1.1"}, map[uint16]string{
			0:  "0013 00 0010 " + hex.EncodeToString([]byte("cms01.t3.example")),
			16: "000c 02 6832 08 " + hex.EncodeToString([]byte("http/1.1")),
			43: "04 0304 0303",
		}},
		{"no SNI", "", nil, map[uint16]string{43: "04 0304 0303"}},
		{"ALPN entries too long or empty are dropped", "x", []string{"", strings.Repeat("a", 256), "h2"}, map[uint16]string{
			0: "0004 00 0001 78", 16: "0003 02 6832",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := TLSClientHello(r, tt.sni, tt.alpn...)
			recs := tlsRecords(t, ch)
			if len(recs) != 1 || binary.BigEndian.Uint16(ch[1:]) != 0x0301 {
				t.Fatalf("%d records, version %04x", len(recs), binary.BigEndian.Uint16(ch[1:]))
			}
			sid, exts := helloExtensions(t, ch, 1)
			if len(sid) != 32 {
				t.Fatalf("session id of %d bytes", len(sid))
			}
			for typ, want := range tt.ext {
				if got := exts[typ]; !bytes.Equal(got, unhex(t, want)) {
					t.Errorf("extension %d: got % x, want %s", typ, got, want)
				}
			}
			if _, ok := exts[0]; ok != (tt.sni != "") {
				t.Errorf("server_name present %v", ok)
			}
			if _, ok := exts[16]; ok != (len(tt.alpn) > 0) {
				t.Errorf("ALPN present %v", ok)
			}
			if ks := exts[51]; len(ks) != 2+4+32 || !bytes.Equal(ks[:6], []byte{0, 36, 0, 0x1d, 0, 32}) {
				t.Errorf("key_share % x", ks)
			}

			sh := TLSServerHello(r, ch, 3000)
			srecs := tlsRecords(t, sh)
			if len(srecs) != 3 || srecs[1][0] != 20 || srecs[2][0] != 23 || len(srecs[2]) != 3005 {
				t.Fatalf("server flight: %d records", len(srecs))
			}
			ssid, sexts := helloExtensions(t, srecs[0], 2)
			if !bytes.Equal(ssid, sid) {
				t.Errorf("session id not echoed")
			}
			if !bytes.Equal(sexts[43], []byte{3, 4}) {
				t.Errorf("supported_versions % x", sexts[43])
			}
		})
	}
	t.Run("server hello for a short client hello", func(t *testing.T) {
		sh := TLSServerHello(r, []byte{22, 3, 1}, 0)
		if len(tlsRecords(t, sh)) != 2 {
			t.Fatal("want ServerHello and ChangeCipherSpec")
		}
	})
	t.Run("application data split at the record limit", func(t *testing.T) {
		recs := tlsRecords(t, TLSAppData(r, 40000))
		if len(recs) != 3 || len(recs[0]) != 5+16640 || len(recs[2]) != 5+40000-2*16640 {
			t.Fatalf("%d records", len(recs))
		}
	})
}

// sshPackets splits unencrypted SSH binary packets (RFC 4253 §6).
func sshPackets(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		n := int(binary.BigEndian.Uint32(b))
		pad := int(b[4])
		if (4+n)%8 != 0 || pad < 4 || 4+n > len(b) || pad >= n {
			t.Fatalf("packet length %d, padding %d, of %d", n, pad, len(b))
		}
		out = append(out, b[5:4+n-pad])
		b = b[4+n:]
	}
	return out
}

func sshStrings(t *testing.T, p []byte, n int) [][]byte {
	t.Helper()
	var out [][]byte
	for range n {
		l := int(binary.BigEndian.Uint32(p))
		out = append(out, p[4:4+l])
		p = p[4+l:]
	}
	return out
}

func TestSSH(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	t.Run("KEXINIT", func(t *testing.T) {
		p := sshPackets(t, SSHKexInit(r))
		if len(p) != 1 || p[0][0] != 20 {
			t.Fatalf("%d packets", len(p))
		}
		lists := sshStrings(t, p[0][17:], 10)
		if !strings.HasPrefix(string(lists[0]), "curve25519-sha256,") || string(lists[1][:11]) != "ssh-ed25519" {
			t.Fatalf("lists %q", lists[:2])
		}
	})
	t.Run("ECDH init and reply", func(t *testing.T) {
		p := sshPackets(t, append(SSHKexECDHInit(r), append(SSHKexECDHReply(r), SSHNewKeys(r)...)...))
		if len(p) != 3 || p[0][0] != 30 || p[1][0] != 31 || p[2][0] != 21 {
			t.Fatalf("%d packets", len(p))
		}
		if q := sshStrings(t, p[0][1:], 1); len(q[0]) != 32 {
			t.Fatalf("Q_C of %d bytes", len(q[0]))
		}
		f := sshStrings(t, p[1][1:], 3)
		key, sig := sshStrings(t, f[0], 2), sshStrings(t, f[2], 2)
		if string(key[0]) != "ssh-ed25519" || len(key[1]) != 32 || len(f[1]) != 32 || string(sig[0]) != "ssh-ed25519" || len(sig[1]) != 64 {
			t.Fatalf("reply fields %q", key[0])
		}
	})
	t.Run("encrypted packet size", func(t *testing.T) {
		for n := range 20 {
			if got := len(SSHEncrypted(r, n)); (got-4-16)%8 != 0 || got-4-16-1-n < 4 {
				t.Fatalf("payload %d: %d bytes", n, got)
			}
		}
	})
}

// smb2Parse checks the direct-TCP framing and sync header and returns
// command, flags and body.
func smb2Parse(t *testing.T, b []byte) (cmd uint16, flags uint32, h SMB2Header, body []byte) {
	t.Helper()
	if b[0] != 0 || int(b[1])<<16|int(b[2])<<8|int(b[3]) != len(b)-4 {
		t.Fatalf("transport header % x for %d bytes", b[:4], len(b))
	}
	m := b[4:]
	le := binary.LittleEndian
	if !bytes.Equal(m[:4], []byte{0xfe, 'S', 'M', 'B'}) || le.Uint16(m[4:]) != 64 {
		t.Fatalf("header % x", m[:8])
	}
	h = SMB2Header{MessageID: le.Uint64(m[24:]), TreeID: le.Uint32(m[36:]), SessionID: le.Uint64(m[40:])}
	return le.Uint16(m[12:]), le.Uint32(m[16:]), h, m[64:]
}

func TestSMB2(t *testing.T) {
	le := binary.LittleEndian
	h := SMB2Header{MessageID: 3, SessionID: 0x1c0000000045, TreeID: 5}
	fid := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	now := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		msg   []byte
		cmd   uint16
		resp  bool
		size  uint16
		check func(t *testing.T, body, msg []byte)
	}{
		{"negotiate request", SMB2NegotiateRequest(h, fid), 0, false, 36, func(t *testing.T, body, _ []byte) {
			if le.Uint16(body[2:]) != 4 || !bytes.Equal(body[36:], unhex(t, "0202 1002 0003 0203")) {
				t.Fatalf("dialects % x", body[36:])
			}
		}},
		{"negotiate response", SMB2NegotiateResponse(h, fid, now), 0, true, 65, func(t *testing.T, body, _ []byte) {
			if le.Uint16(body[4:]) != 0x0302 || le.Uint16(body[56:]) != 128 || le.Uint16(body[58:]) != 0 {
				t.Fatalf("dialect %04x, security buffer %d+%d", le.Uint16(body[4:]), le.Uint16(body[56:]), le.Uint16(body[58:]))
			}
			// FILETIME of 2026-11-03T09:00Z: (1793696400 + 11644473600) × 10^7
			if got := le.Uint64(body[40:]); got != 134_381_700_000_000_000 {
				t.Fatalf("system time %d", got)
			}
		}},
		{"tree connect", SMB2TreeConnectRequest(h, `\\10.10.9.30\backups`), 3, false, 9, func(t *testing.T, body, msg []byte) {
			off, n := int(le.Uint16(body[4:])), int(le.Uint16(body[6:]))
			if got := fromUTF16(msg[4+off : 4+off+n]); got != `\\10.10.9.30\backups` {
				t.Fatalf("path %q at %d", got, off)
			}
		}},
		{"tree connect response", SMB2TreeConnectResponse(h), 3, true, 16, func(t *testing.T, body, _ []byte) {
			if body[2] != 1 || le.Uint32(body[12:]) != 0x001f01ff {
				t.Fatalf("share type %d", body[2])
			}
		}},
		{"create", SMB2CreateRequest(h, "STS01_project.zap16", SMB2AccessReadWrite), 5, false, 57, func(t *testing.T, body, msg []byte) {
			if le.Uint32(body[24:]) != 0x0012019f || le.Uint32(body[36:]) != 5 {
				t.Fatalf("access %08x disposition %d", le.Uint32(body[24:]), le.Uint32(body[36:]))
			}
			off, n := int(le.Uint16(body[44:])), int(le.Uint16(body[46:]))
			if off != 120 || fromUTF16(msg[4+off:4+off+n]) != "STS01_project.zap16" {
				t.Fatalf("name at %d", off)
			}
		}},
		{"create response", SMB2CreateResponse(h, fid, now), 5, true, 89, func(t *testing.T, body, _ []byte) {
			if !bytes.Equal(body[64:80], fid[:]) || le.Uint32(body[4:]) != 2 {
				t.Fatalf("file id % x", body[64:80])
			}
		}},
		{"write", SMB2WriteRequest(h, fid, 4096, []byte("PK\x03\x04")), 9, false, 49, func(t *testing.T, body, msg []byte) {
			off, n := int(le.Uint16(body[2:])), int(le.Uint32(body[4:]))
			if off != 112 || string(msg[4+off:4+off+n]) != "PK\x03\x04" || le.Uint64(body[8:]) != 4096 || !bytes.Equal(body[16:32], fid[:]) {
				t.Fatalf("data at %d len %d", off, n)
			}
		}},
		{"write response", SMB2WriteResponse(h, 4), 9, true, 17, func(t *testing.T, body, _ []byte) {
			if le.Uint32(body[4:]) != 4 {
				t.Fatal("count")
			}
		}},
		{"close", SMB2CloseRequest(h, fid), 6, false, 24, func(t *testing.T, body, _ []byte) {
			if !bytes.Equal(body[8:24], fid[:]) {
				t.Fatal("file id")
			}
		}},
		{"close response", SMB2CloseResponse(h), 6, true, 60, func(t *testing.T, body, _ []byte) {
			if len(body) != 60 {
				t.Fatalf("%d bytes", len(body))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, flags, gh, body := smb2Parse(t, tt.msg)
			if cmd != tt.cmd || (flags&1 != 0) != tt.resp || gh != h || le.Uint16(body) != tt.size {
				t.Fatalf("command %d flags %x header %+v structure size %d", cmd, flags, gh, le.Uint16(body))
			}
			tt.check(t, body, tt.msg)
		})
	}
}

func fromUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func TestH264FragmentA(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		name            string
		start, end, idr bool
		header          byte
	}{
		{"whole slice", true, true, false, 0xc1},
		{"IDR start", true, false, true, 0x85},
		{"IDR middle", false, false, true, 0x05},
		{"IDR end", false, true, true, 0x45},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := H264FragmentA(r, tt.start, tt.end, tt.idr, 10)
			if len(b) != 12 || b[0] != 0x7c || b[1] != tt.header {
				t.Fatalf("% x", b)
			}
		})
	}
}

func TestClamp(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name string
		got  int
		want int
	}{
		{"DNS label cut to 63", len(DNSQuery(1, strings.Repeat("a", 70)+".b", DNSTypeA)), 12 + 1 + 63 + 2 + 1 + 4},
		{"DNS name cut to 255", len(appendDNSName(nil, strings.Repeat("abcdefghi.", 40))), 250 + 1},
		{"Modbus at most 125 registers", len(ModbusReadHoldingResponse(1, 1, make([]uint16, 200))), 9 + 250},
		{"RDP cookie cut to 200", len(RDPConnectionRequest(long, 0)), 4 + 7 + 17 + 200 + 2 + 8},
		{"S7 at most 20 items", len(S7ReadVar(1, make([]S7Item, 30)...)), 17 + 2 + 20*12},
		{"CIP tag cut to 255", len(CIPReadTag(long, 1)), 2 + 2 + 255 + 1 + 2},
		{"I/O data cut to 500", len(ENIPIO(1, 1, 1, make([]byte, 600))), 20 + 500},
		{"RTSP interleaved cut", len(RTSPInterleaved(0, make([]byte, 70000))), 4 + 65535},
		{"TLS SNI cut to 255", len(tlsSNI(TLSClientHello(rand.New(rand.NewPCG(1, 1)), long))), 255},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("length %d, want %d", tt.got, tt.want)
			}
		})
	}
}

// tlsSNI returns the host name of a ClientHello built by TLSClientHello.
func tlsSNI(ch []byte) []byte {
	p := ch[5+4+2+32:]
	p = p[1+p[0]:]
	p = p[2+int(binary.BigEndian.Uint16(p)):]
	p = p[1+p[0]:]
	p = p[2:]
	for len(p) >= 4 {
		typ, l := binary.BigEndian.Uint16(p), int(binary.BigEndian.Uint16(p[2:]))
		if typ == 0 {
			return p[4+5 : 4+l]
		}
		p = p[4+l:]
	}
	return nil
}
