package synth

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// exchangesFrom turns fuzz bytes into up to 8 exchanges: per exchange a
// control byte (bit 0: from the server; bits 1–3: pause class), a length,
// and that many bytes (shorter if the input ends).
func exchangesFrom(b []byte, maxLen int) []Exchange {
	var ex []Exchange
	afters := []time.Duration{0, 10 * time.Microsecond, time.Millisecond, 30 * time.Millisecond,
		45 * time.Millisecond, 190 * time.Millisecond, 210 * time.Millisecond, time.Second}
	for len(b) >= 3 && len(ex) < 8 {
		ctl := b[0]
		n := int(binary.BigEndian.Uint16(b[1:])) % (maxLen + 1)
		b = b[3:]
		n = min(n, len(b))
		ex = append(ex, Exchange{FromServer: ctl&1 != 0, After: afters[ctl>>1&7], Data: b[:n]})
		b = b[n:]
	}
	return ex
}

// FuzzSession drives TCPSession and UDP with arbitrary exchanges and
// checks every frame: lengths, checksums, sequence numbers, the byte
// streams, time order.
func FuzzSession(f *testing.F) {
	f.Add([]byte{0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3, 0, 4, 1, 2, 3, 4}, false, false, false)
	f.Add(append([]byte{0, 0x0b, 0xb8}, make([]byte, 3000)...), true, true, false)
	f.Add([]byte{1, 0, 5, 'h', 'e', 'l', 'l', 'o', 0x0e, 0, 2, 'h', 'i'}, false, true, true)
	f.Add([]byte{2, 0, 0, 5, 0, 0, 15, 0, 1, 'x'}, false, false, true)
	for _, tt := range TerminalViolations { // some real payloads
		f.Add(append([]byte{0, 0, byte(len(tt.Src))}, tt.Src...), false, false, false)
	}
	f.Fuzz(func(t *testing.T, in []byte, v6, tagged, udp bool) {
		c, s := hostA, hostR
		if v6 {
			c, s = host6, host7
		}
		if !tagged {
			c.VLAN, s.VLAN = 0, 0
		}
		if len(in) > 4096 {
			in = in[:4096] // enough for three segments; keeps each run short
		}
		maxLen := 3000
		if udp {
			maxLen = 1452
		}
		ex := exchangesFrom(in, maxLen)
		fs := run(t, 1, func(b *Builder) {
			if udp {
				b.UDP(c, s, 40000, 53, ex...)
			} else {
				b.TCPSession(c, s, 40000, 443, ex...)
			}
		})
		if !udp {
			checkTCP(t, fs, c, s, ex)
			return
		}
		var want [][]byte
		for _, e := range ex {
			if len(e.Data) > 0 {
				want = append(want, e.Data)
			}
		}
		if len(fs) != len(want) {
			t.Fatalf("%d datagrams, want %d", len(fs), len(want))
		}
		for i, fr := range fs {
			if !bytes.Equal(fr.payload, want[i]) {
				t.Fatalf("datagram %d differs", i)
			}
		}
	})
}

// FuzzPayloads feeds arbitrary names and data to the payload builders:
// none may panic, and each result must keep its own length fields true.
func FuzzPayloads(f *testing.F) {
	f.Add("cms01.t3.example", []byte("PK\x03\x04"), uint16(1))
	f.Add("gateway.logink.cn", []byte{}, uint16(0))
	f.Add(`\\10.10.9.30\backups`, []byte("STS01_project.zap16"), uint16(0xffff))
	f.Add("..."+strings.Repeat("a", 70)+"..", make([]byte, 600), uint16(300))
	f.Add("s7-1500_fw_v3.1.bin\x00", []byte{0xff}, uint16(2))
	f.Add(strings.Repeat("x", 300), make([]byte, 70000), uint16(125))
	f.Fuzz(func(t *testing.T, name string, data []byte, n uint16) {
		r := rand.New(rand.NewPCG(uint64(n), 1))
		be, le := binary.BigEndian, binary.LittleEndian

		// DNS: the name as labels of 1–63 bytes, at most 255 in all.
		for _, q := range [][]byte{DNSQuery(n, name, DNSTypeA), DNSResponse(n, name, DNSTypeAAAA, 60, netip.MustParseAddr("fd00::1"), netip.MustParseAddr("10.0.0.1"))} {
			p, total := q[12:], 0
			for p[0] != 0 {
				if p[0] > 63 || int(p[0]) >= len(p) {
					t.Fatalf("label length %d", p[0])
				}
				total += 1 + int(p[0])
				p = p[1+p[0]:]
			}
			if total+1 > 255 {
				t.Fatalf("name of %d bytes", total+1)
			}
			if be.Uint16(q[6:]) > 0 && len(p) != 5+2*12+4+16 {
				t.Fatalf("answers of %d bytes", len(p)-5)
			}
		}
		// TLS: record and handshake lengths agree.
		ch := TLSClientHello(r, name, name, "h2")
		if int(be.Uint16(ch[3:])) != len(ch)-5 || int(ch[6])<<16|int(ch[7])<<8|int(ch[8]) != len(ch)-9 {
			t.Fatal("ClientHello lengths")
		}
		for sh := TLSServerHello(r, ch, int(n)); len(sh) > 0; {
			l := int(be.Uint16(sh[3:]))
			if 5+l > len(sh) {
				t.Fatal("ServerHello record length")
			}
			sh = sh[5+l:]
		}
		// TPKT-framed PDUs carry their own length.
		for _, p := range [][]byte{RDPConnectionRequest(name, uint32(n)), RDPConnectionConfirm(n, uint32(n)),
			COTPConnectRequest(n, n, n), S7ReadVar(n, S7Item{Len: n}), S7ReadVarAck(n, data, data)} {
			if p[0] != 3 || int(be.Uint16(p[2:])) != len(p) || int(p[4]) >= len(p)-4 {
				t.Fatalf("TPKT % x for %d bytes", p[:5], len(p))
			}
		}
		// MBAP, ENIP, NetBIOS lengths.
		if m := ModbusReadHoldingResponse(n, 1, make([]uint16, int(n)%300)); int(be.Uint16(m[4:])) != len(m)-6 {
			t.Fatal("MBAP length")
		}
		if e := ENIPSendRRData(1, 2, CIPReadTag(name, n)); int(le.Uint16(e[2:])) != len(e)-24 {
			t.Fatal("ENIP length")
		}
		if e := ENIPListIdentityReply(1, ENIPIdentity{Name: name}); int(le.Uint16(e[2:])) != len(e)-24 || int(le.Uint16(e[28:])) != len(e)-30 {
			t.Fatal("ListIdentity lengths")
		}
		if c := CIPReadTag(name, n); int(c[1])*2 != len(c)-4 {
			t.Fatal("CIP path size")
		}
		h := SMB2Header{MessageID: uint64(n)}
		for _, m := range [][]byte{SMB2TreeConnectRequest(h, name), SMB2CreateRequest(h, name, uint32(n)), SMB2WriteRequest(h, [16]byte{}, 0, data)} {
			if int(m[1])<<16|int(m[2])<<8|int(m[3]) != len(m)-4 {
				t.Fatal("NetBIOS length")
			}
		}
		// Text and TFTP: strings end where they should.
		if q := TFTPRequest(TFTPWrite, name, name); bytes.Count(q[2:], []byte{0}) != 2 || q[len(q)-1] != 0 {
			t.Fatal("TFTP strings")
		}
		if d := TFTPData(n, data); len(d) != 4+min(len(data), 512) {
			t.Fatal("TFTP data")
		}
		if x := RTSPInterleaved(byte(n), data); int(be.Uint16(x[2:])) != len(x)-4 {
			t.Fatal("interleaved length")
		}
		if x := appendRTPH264(data[:len(data):len(data)], r, n, uint32(n), 7, n%2 == 0, n%3 == 0, true, false, int(n)%1400); !bytes.Equal(x[:len(data)], data) ||
			int(be.Uint16(x[len(data)+2:])) != len(x)-len(data)-4 || x[len(data)] != '$' {
			t.Fatal("RTP frame")
		}
		if x := ENIPIO(1, 2, n, data); int(le.Uint16(x[16:])) != len(x)-18 {
			t.Fatal("I/O item length")
		}
		_ = HTTPRequest(name, name, name, name)
		_ = RTSPRequest(name, name, int(n), data, name)
		_ = FTPCommand(name, name)
		_ = TeamViewerCmd(byte(n), data)
		_ = SSHEncrypted(r, int(n)%2000)
	})
}

// FuzzStream plays arbitrary exchanges through a Stream that reuses its
// two buffers as the contract allows, over TCP or UDP: the frames must
// carry exactly the exchanges' bytes, as FuzzSession checks them.
func FuzzStream(f *testing.F) {
	f.Add([]byte{0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3, 0, 4, 1, 2, 3, 4}, false)
	f.Add(append([]byte{0, 0x0b, 0xb8}, make([]byte, 3000)...), false)
	f.Add([]byte{1, 0, 5, 'h', 'e', 'l', 'l', 'o', 0x0e, 0, 2, 'h', 'i', 0, 0, 1, 'x'}, true)
	f.Add([]byte{2, 0, 0, 5, 0, 0, 15, 0, 1, 'x', 4, 0, 0, 1, 0, 1, 'y'}, false)
	f.Fuzz(func(t *testing.T, in []byte, udp bool) {
		if len(in) > 8192 {
			in = in[:8192]
		}
		maxLen := 3000
		if udp {
			maxLen = 1452
		}
		ex := exchangesFrom(in, maxLen)
		fs := run(t, 1, func(b *Builder) {
			if udp {
				b.UDPStream(hostA, hostR, 40000, 53, &reuseStream{ex: ex})
			} else {
				b.TCPStream(hostA, hostR, 40000, 443, &reuseStream{ex: ex})
			}
		})
		if !udp {
			checkTCP(t, fs, hostA, hostR, ex)
			return
		}
		var want [][]byte
		for _, e := range ex {
			if len(e.Data) > 0 {
				want = append(want, e.Data)
			}
		}
		if len(fs) != len(want) {
			t.Fatalf("%d datagrams, want %d", len(fs), len(want))
		}
		for i, fr := range fs {
			if !bytes.Equal(fr.payload, want[i]) {
				t.Fatalf("datagram %d differs", i)
			}
		}
	})
}
