package xfer

import (
	"encoding/binary"
	"os"
	"testing"
)

// tcpPayloads returns the non-empty TCP payloads of a classic pcap file of
// Ethernet frames carrying IPv4, in file order. It is just enough of a
// reader to feed real captures to the parsers without depending on the
// capture and decode packages.
func tcpPayloads(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	if len(f) < 24 {
		t.Fatalf("%s: short pcap header", path)
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(f) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		t.Fatalf("%s: not a classic pcap", path)
	}
	if lt := bo.Uint32(f[20:]); lt != 1 {
		t.Fatalf("%s: link type %d, want Ethernet", path, lt)
	}
	var out [][]byte
	for off := 24; off < len(f); {
		if len(f)-off < 16 {
			t.Fatalf("%s: truncated record header at %d", path, off)
		}
		n := int(bo.Uint32(f[off+8:]))
		off += 16
		if n > len(f)-off {
			t.Fatalf("%s: truncated record at %d", path, off)
		}
		frame := f[off : off+n]
		off += n
		if len(frame) < 14+20 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 {
			continue
		}
		ip := frame[14:]
		ihl := int(ip[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(ip[2:]))
		if ip[9] != 6 || ihl < 20 || total > len(ip) || total < ihl+20 {
			continue
		}
		tcp := ip[ihl:total]
		doff := int(tcp[12]>>4) * 4
		if doff < 20 || doff > len(tcp) || len(tcp) == doff {
			continue
		}
		out = append(out, tcp[doff:])
	}
	return out
}
