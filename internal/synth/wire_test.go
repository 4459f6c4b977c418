package synth

// An independent reader for what the package writes: pcap records and
// Ethernet/802.1Q/ARP/IPv4/IPv6/TCP/UDP frames, with checksums recomputed
// here word by word (RFC 1071) rather than with the package's code.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"harborwatch/capture"
)

type record struct {
	ts   int64
	data []byte
}

// readPcap parses a little-endian pcap file (microsecond or nanosecond).
func readPcap(t testing.TB, b []byte) []record {
	t.Helper()
	if len(b) < 24 {
		t.Fatalf("pcap: %d bytes, no header", len(b))
	}
	le := binary.LittleEndian
	var unit int64
	switch le.Uint32(b) {
	case 0xa1b2c3d4:
		unit = 1000
	case 0xa1b23c4d:
		unit = 1
	default:
		t.Fatalf("pcap: magic %08x", le.Uint32(b))
	}
	if lt := le.Uint32(b[20:]); lt != 1 {
		t.Fatalf("pcap: link type %d, want 1 (Ethernet)", lt)
	}
	var out []record
	for off := 24; off < len(b); {
		if off+16 > len(b) {
			t.Fatalf("pcap: truncated record header at %d", off)
		}
		ts := int64(le.Uint32(b[off:]))*1e9 + int64(le.Uint32(b[off+4:]))*unit
		incl, orig := int(le.Uint32(b[off+8:])), int(le.Uint32(b[off+12:]))
		if incl != orig {
			t.Fatalf("pcap: record at %d: incl %d != orig %d", off, incl, orig)
		}
		if off+16+incl > len(b) {
			t.Fatalf("pcap: truncated record at %d", off)
		}
		out = append(out, record{ts: ts, data: b[off+16 : off+16+incl]})
		off += 16 + incl
	}
	return out
}

// frame is a decoded frame.
type frame struct {
	ts       int64
	dst, src [6]byte
	vlan     int // -1 untagged
	etype    uint16
	arpOp    uint16
	ip       netip.Addr // source (ARP: sender)
	dstIP    netip.Addr // destination (ARP: target)
	ttl      uint8
	ipID     uint16
	df       bool
	proto    uint8
	sport    uint16
	dport    uint16
	seq, ack uint32
	flags    uint8
	window   uint16
	opts     []byte
	payload  []byte
	pad      int // bytes after the IP packet
}

func (f *frame) String() string {
	return fmt.Sprintf("%s:%d>%s:%d flags=%02x seq=%d ack=%d len=%d", f.ip, f.sport, f.dstIP, f.dport, f.flags, f.seq, f.ack, len(f.payload))
}

// csum16 is the RFC 1071 checksum, one 16-bit word at a time.
func csum16(parts ...[]byte) uint16 {
	var all []byte
	for _, p := range parts {
		all = append(all, p...)
	}
	if len(all)%2 == 1 {
		all = append(all, 0)
	}
	var s uint32
	for i := 0; i < len(all); i += 2 {
		s += uint32(all[i])<<8 | uint32(all[i+1])
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

var errFrame = errors.New("bad frame")

// parse decodes one frame and verifies every length and checksum.
func parse(r record) (*frame, error) {
	b := r.data
	f := &frame{ts: r.ts, vlan: -1}
	if len(b) < 60 {
		return nil, fmt.Errorf("%w: %d bytes, under the Ethernet minimum", errFrame, len(b))
	}
	copy(f.dst[:], b)
	copy(f.src[:], b[6:])
	f.etype = binary.BigEndian.Uint16(b[12:])
	p := b[14:]
	if f.etype == 0x8100 {
		tci := binary.BigEndian.Uint16(p)
		f.vlan = int(tci & 0x0fff)
		f.etype = binary.BigEndian.Uint16(p[2:])
		p = p[4:]
	}
	switch f.etype {
	case 0x0806:
		if !bytes.Equal(p[:6], []byte{0, 1, 8, 0, 6, 4}) {
			return nil, fmt.Errorf("%w: ARP header % x", errFrame, p[:6])
		}
		f.arpOp = binary.BigEndian.Uint16(p[6:])
		f.ip = netip.AddrFrom4([4]byte(p[14:18]))
		f.dstIP = netip.AddrFrom4([4]byte(p[24:28]))
		if !bytes.Equal(p[8:14], f.src[:]) {
			return nil, fmt.Errorf("%w: ARP sender MAC differs from Ethernet source", errFrame)
		}
		f.pad = len(p) - 28
		return f, nil
	case 0x0800:
		if p[0] != 0x45 {
			return nil, fmt.Errorf("%w: IPv4 version/IHL %02x", errFrame, p[0])
		}
		tot := int(binary.BigEndian.Uint16(p[2:]))
		if tot > len(p) || tot < 20 {
			return nil, fmt.Errorf("%w: IPv4 total length %d of %d", errFrame, tot, len(p))
		}
		if c := csum16(p[:20]); c != 0 {
			return nil, fmt.Errorf("%w: IPv4 header checksum residue %04x", errFrame, c)
		}
		f.ipID = binary.BigEndian.Uint16(p[4:])
		f.df = p[6]&0x40 != 0
		f.ttl, f.proto = p[8], p[9]
		f.ip = netip.AddrFrom4([4]byte(p[12:16]))
		f.dstIP = netip.AddrFrom4([4]byte(p[16:20]))
		f.pad = len(p) - tot
		l4 := p[20:tot]
		pseudo := append(append([]byte{}, p[12:20]...), 0, f.proto, byte(len(l4)>>8), byte(len(l4)))
		return f, f.l4(pseudo, l4)
	case 0x86dd:
		if p[0]>>4 != 6 {
			return nil, fmt.Errorf("%w: IPv6 version %d", errFrame, p[0]>>4)
		}
		pl := int(binary.BigEndian.Uint16(p[4:]))
		if 40+pl > len(p) {
			return nil, fmt.Errorf("%w: IPv6 payload length %d", errFrame, pl)
		}
		f.proto, f.ttl = p[6], p[7]
		f.ip = netip.AddrFrom16([16]byte(p[8:24]))
		f.dstIP = netip.AddrFrom16([16]byte(p[24:40]))
		f.pad = len(p) - 40 - pl
		l4 := p[40 : 40+pl]
		pseudo := append(append([]byte{}, p[8:40]...), 0, 0, byte(len(l4)>>8), byte(len(l4)), 0, 0, 0, f.proto)
		return f, f.l4(pseudo, l4)
	}
	return nil, fmt.Errorf("%w: EtherType %04x", errFrame, f.etype)
}

func (f *frame) l4(pseudo, l4 []byte) error {
	switch f.proto {
	case 6:
		if len(l4) < 20 {
			return fmt.Errorf("%w: TCP header %d bytes", errFrame, len(l4))
		}
		off := int(l4[12]>>4) * 4
		if off < 20 || off > len(l4) {
			return fmt.Errorf("%w: TCP data offset %d", errFrame, off)
		}
		if c := csum16(pseudo, l4); c != 0 {
			return fmt.Errorf("%w: TCP checksum residue %04x (%v)", errFrame, c, f)
		}
		f.sport, f.dport = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:])
		f.seq, f.ack = binary.BigEndian.Uint32(l4[4:]), binary.BigEndian.Uint32(l4[8:])
		f.flags = l4[13]
		f.window = binary.BigEndian.Uint16(l4[14:])
		f.opts = l4[20:off]
		f.payload = l4[off:]
	case 17:
		if len(l4) < 8 || int(binary.BigEndian.Uint16(l4[4:])) != len(l4) {
			return fmt.Errorf("%w: UDP length", errFrame)
		}
		if binary.BigEndian.Uint16(l4[6:]) == 0 {
			return fmt.Errorf("%w: UDP checksum absent", errFrame)
		}
		if c := csum16(pseudo, l4); c != 0 {
			return fmt.Errorf("%w: UDP checksum residue %04x", errFrame, c)
		}
		f.sport, f.dport = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:])
		f.payload = l4[8:]
	default:
		return fmt.Errorf("%w: IP protocol %d", errFrame, f.proto)
	}
	return nil
}

// parseAll decodes every record, failing the test on any bad frame or
// timestamp going backwards.
func parseAll(t testing.TB, recs []record) []*frame {
	t.Helper()
	out := make([]*frame, 0, len(recs))
	var last int64
	for i, r := range recs {
		f, err := parse(r)
		if err != nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		if r.ts < last {
			t.Fatalf("frame %d: time goes back %d → %d", i+1, last, r.ts)
		}
		last = r.ts
		out = append(out, f)
	}
	return out
}

// memWriter keeps frames in memory (copies), as a PacketWriter.
type memWriter struct {
	recs []record
	err  error // returned from the write after failAfter frames
	fail int
}

func (m *memWriter) WritePacket(ts int64, data []byte, origLen int) error {
	if m.err != nil && len(m.recs) >= m.fail {
		return m.err
	}
	if origLen != len(data) {
		return fmt.Errorf("origLen %d != len %d", origLen, len(data))
	}
	m.recs = append(m.recs, record{ts: ts, data: bytes.Clone(data)})
	return nil
}

// pcapBytes runs gen against a capture.PcapWriter and returns the file.
func pcapBytes(t testing.TB, nanos bool, gen func(w PacketWriter) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 0, nanos)
	if err != nil {
		t.Fatal(err)
	}
	if err := gen(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// flowKey is a conversation as a flow table keys it: VLAN, protocol and
// the two endpoints in canonical order.
type flowKey struct {
	vlan  int
	proto uint8
	a, b  netip.AddrPort
}

func keyOf(f *frame) flowKey {
	a, b := netip.AddrPortFrom(f.ip, f.sport), netip.AddrPortFrom(f.dstIP, f.dport)
	if b.Compare(a) < 0 {
		a, b = b, a
	}
	return flowKey{f.vlan, f.proto, a, b}
}

func TestCsum16(t *testing.T) {
	// RFC 1071 §3 worked example: the sum of 0001 f203 f4f5 f6f7 is ddf2.
	if got := ^csum16([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}); got != 0xddf2 {
		t.Fatalf("sum = %04x, want ddf2", got)
	}
}
