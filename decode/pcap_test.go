package decode

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"harborwatch/capture"
)

// readPcap reads a classic pcap file from testdata: just enough of the
// format for these tests (the real reader is package capture's).
func readPcap(t testing.TB, name string) (capture.LinkType, [][]byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 {
		t.Fatalf("%s: short file header", name)
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		t.Fatalf("%s: not a pcap file", name)
	}
	link := capture.LinkType(bo.Uint32(b[20:]) & 0x0fffffff)
	var frames [][]byte
	for off := 24; off < len(b); {
		if len(b)-off < 16 {
			t.Fatalf("%s: short record header at %d", name, off)
		}
		n := int(bo.Uint32(b[off+8:]))
		off += 16
		if n > len(b)-off {
			t.Fatalf("%s: short record at %d", name, off)
		}
		frames = append(frames, b[off:off+n:off+n])
		off += n
	}
	return link, frames
}

// TestCaptureRows checks a few packets of each real capture against what
// tshark 4.0 shows for them.
func TestCaptureRows(t *testing.T) {
	type row struct {
		frame            int
		src, dst         string // IP or ARP addresses
		srcMAC, dstMAC   string
		ttl              uint8
		ipLen            int
		sport, dport     uint16
		flags            uint8
		seq, ack         uint32
		win              uint16
		payLen           int // tcp.len, udp.length-8
		proto            uint8
		arpOp, etherType uint16
	}
	for _, tc := range []struct {
		file string
		link capture.LinkType
		rows []row
	}{
		{"s7comm_plus.pcap", capture.LinkLinuxSLL, []row{
			{frame: 1, src: "192.168.0.1", dst: "192.168.0.3", srcMAC: "ac:64:17:46:0d:51", dstMAC: "00:00:00:00:00:00", ttl: 64, ipLen: 40,
				sport: 102, dport: 49154, flags: 0x10, seq: 1378466098, ack: 934096608, win: 8192, payLen: 0, proto: 6, etherType: 0x0800},
			{frame: 2, src: "192.168.0.1", dst: "192.168.0.3", srcMAC: "ac:64:17:46:0d:51", dstMAC: "00:00:00:00:00:00", ttl: 64, ipLen: 153,
				sport: 102, dport: 49154, flags: 0x18, seq: 1378466098, ack: 934096608, win: 8192, payLen: 113, proto: 6, etherType: 0x0800},
			{frame: 14, src: "192.168.0.3", dst: "192.168.0.1", srcMAC: "ac:64:17:46:cb:52", dstMAC: "00:00:00:00:00:00", ttl: 128, ipLen: 41,
				sport: 49155, dport: 102, flags: 0x10, seq: 3096526833, ack: 2518673507, win: 63480, payLen: 1, proto: 6, etherType: 0x0800},
			{frame: 262, src: "192.168.0.3", dst: "192.168.0.1", srcMAC: "ac:64:17:46:cb:52", dstMAC: "00:00:00:00:00:00", ttl: 128, ipLen: 40,
				sport: 49154, dport: 102, flags: 0x10, seq: 934100272, ack: 1378475330, win: 64017, payLen: 0, proto: 6, etherType: 0x0800},
		}},
		{"enip_cip_example.pcap", capture.LinkEthernet, []row{
			{frame: 2, src: "192.168.10.105", dst: "192.168.10.120", srcMAC: "00:1d:09:99:b2:2c", dstMAC: "00:00:bc:3e:eb:e4", ttl: 128, ipLen: 250,
				sport: 3033, dport: 44818, flags: 0x18, seq: 3486464847, ack: 2381756312, win: 65264, payLen: 210, proto: 6, etherType: 0x0800},
			{frame: 5, srcMAC: "00:1e:f6:73:59:81", dstMAC: "01:80:c2:00:00:00", payLen: 39}, // 802.3 LLC (STP), eth.len 39
			{frame: 107, src: "192.168.10.131", dst: "192.168.10.131", srcMAC: "00:e0:62:60:35:d0", dstMAC: "ff:ff:ff:ff:ff:ff",
				arpOp: 1, etherType: 0x0806}, // gratuitous ARP
			{frame: 181, srcMAC: "00:21:91:06:f1:66", dstMAC: "01:80:c2:00:00:0e", etherType: 0x88cc, payLen: 48}, // LLDP: 62-byte frame
			{frame: 366, src: "10.1.1.167", dst: "10.1.1.164", srcMAC: "3c:a9:f4:21:22:f8", dstMAC: "00:19:07:24:3c:ca", ttl: 47, ipLen: 44,
				sport: 37997, dport: 44818, flags: 0x02, seq: 2195839964, ack: 0, win: 1024, payLen: 0, proto: 6, etherType: 0x0800},
			{frame: 372, src: "10.1.1.164", dst: "10.1.1.167", srcMAC: "00:19:07:24:3c:ca", dstMAC: "3c:a9:f4:21:22:f8", ttl: 52, ipLen: 115,
				sport: 44818, dport: 5262, flags: 0x18, seq: 2276476562, ack: 2349192837, win: 4096, payLen: 75, proto: 6, etherType: 0x0800},
			{frame: 384, src: "192.168.1.24", dst: "192.168.1.22", srcMAC: "34:c0:f9:fe:65:6b", dstMAC: "00:1d:9c:c5:13:dd", ttl: 64, ipLen: 134,
				sport: 2222, dport: 2222, payLen: 106, proto: 17, etherType: 0x0800},
		}},
	} {
		link, frames := readPcap(t, tc.file)
		if link != tc.link {
			t.Fatalf("%s: link %v, want %v", tc.file, link, tc.link)
		}
		for _, r := range tc.rows {
			t.Run(fmt.Sprintf("%s/%d", tc.file, r.frame), func(t *testing.T) {
				var d Decoder
				var p Packet
				if err := d.Decode(link, frames[r.frame-1], &p); err != nil {
					t.Fatal(err)
				}
				addr := func(a string) string {
					if a == "" {
						return "invalid IP"
					}
					return a
				}
				got := row{frame: r.frame, src: addr(p.Src.String()), dst: addr(p.Dst.String()),
					srcMAC: net.HardwareAddr(p.SrcMAC[:]).String(), dstMAC: net.HardwareAddr(p.DstMAC[:]).String(),
					ttl: p.TTL, ipLen: p.IPLen, sport: p.SrcPort, dport: p.DstPort, flags: p.TCPFlags,
					seq: p.Seq, ack: p.Ack, win: p.Window, payLen: p.PayloadLen, proto: p.Proto,
					arpOp: p.ARPOp, etherType: p.EtherType}
				want := r
				want.src, want.dst = addr(r.src), addr(r.dst)
				if got != want {
					t.Errorf("got  %+v\nwant %+v", got, want)
				}
				if !p.Truncated && len(p.Payload) != p.PayloadLen {
					t.Errorf("len(Payload) = %d, PayloadLen = %d", len(p.Payload), p.PayloadLen)
				}
			})
		}
	}
}

// TestCaptureFields decodes every packet of the real captures and compares
// it field by field with testdata/*.fields, tshark's view of the same file
// (see testdata/README.md).
func TestCaptureFields(t *testing.T) {
	for _, name := range []string{"s7comm_plus", "enip_cip_example"} {
		t.Run(name, func(t *testing.T) {
			link, frames := readPcap(t, name+".pcap")
			f, err := os.Open(filepath.Join("testdata", name+".fields"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			if !sc.Scan() {
				t.Fatal("empty fields file")
			}
			cols := strings.Split(strings.TrimPrefix(sc.Text(), "# "), "|")
			var d Decoder
			var p Packet
			n := 0
			for sc.Scan() {
				want := strings.Split(sc.Text(), "|")
				if len(want) != len(cols) {
					t.Fatalf("line %q: %d columns, want %d", sc.Text(), len(want), len(cols))
				}
				num, _ := strconv.Atoi(want[0])
				if num != n+1 || n >= len(frames) {
					t.Fatalf("fields row %d out of step with the capture (%d frames)", num, len(frames))
				}
				if err := d.Decode(link, frames[n], &p); err != nil {
					t.Errorf("frame %d: %v", num, err)
				}
				n++
				for i, c := range cols[1:] {
					if got := field(c, &p); got != want[i+1] {
						t.Errorf("frame %d: %s = %q, want %q (%s)", num, c, got, want[i+1], &p)
					}
				}
				if !p.Truncated && len(p.Payload) != p.PayloadLen {
					t.Errorf("frame %d: len(Payload) = %d, PayloadLen = %d", num, len(p.Payload), p.PayloadLen)
				}
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			if n != len(frames) {
				t.Errorf("fields file has %d rows, capture %d frames", n, len(frames))
			}
			if d.Errors.Total() != 0 {
				t.Errorf("Errors = %v", d.Errors.Map())
			}
		})
	}
}

// field renders p's value of a tshark field as tshark -T fields prints it
// ("" when the packet has no such field).
func field(name string, p *Packet) string {
	ip := p.L3 == L3IPv4 || p.L3 == L3IPv6
	tcp := p.HasL4 && p.Proto == ProtoTCP
	udp := p.HasL4 && p.Proto == ProtoUDP
	arp := p.L3 == L3ARP
	u := func(ok bool, v uint64) string {
		if !ok {
			return ""
		}
		return strconv.FormatUint(v, 10)
	}
	switch name {
	case "eth.src", "sll.src.eth":
		if p.HasEth {
			return net.HardwareAddr(p.SrcMAC[:]).String()
		}
	case "eth.dst":
		if p.HasEth {
			return net.HardwareAddr(p.DstMAC[:]).String()
		}
	case "eth.type", "sll.etype":
		if p.EtherType != 0 {
			return fmt.Sprintf("0x%04x", p.EtherType)
		}
	case "ip.src":
		if ip {
			return p.Src.String()
		}
	case "ip.dst":
		if ip {
			return p.Dst.String()
		}
	case "ip.ttl":
		return u(ip, uint64(p.TTL))
	case "ip.len":
		return u(ip, uint64(p.IPLen))
	case "ip.proto":
		return u(ip, uint64(p.Proto))
	case "ip.frag_offset":
		return u(ip, uint64(p.FragOff))
	case "tcp.srcport":
		return u(tcp, uint64(p.SrcPort))
	case "tcp.dstport":
		return u(tcp, uint64(p.DstPort))
	case "tcp.flags":
		if tcp {
			return fmt.Sprintf("0x%04x", p.TCPFlags)
		}
	case "tcp.seq_raw":
		return u(tcp, uint64(p.Seq))
	case "tcp.ack_raw":
		return u(tcp, uint64(p.Ack))
	case "tcp.window_size_value":
		return u(tcp, uint64(p.Window))
	case "tcp.len":
		return u(tcp, uint64(p.PayloadLen))
	case "udp.srcport":
		return u(udp, uint64(p.SrcPort))
	case "udp.dstport":
		return u(udp, uint64(p.DstPort))
	case "udp.length":
		return u(udp, uint64(p.PayloadLen+8))
	case "arp.opcode":
		return u(arp, uint64(p.ARPOp))
	case "arp.src.hw_mac":
		if arp {
			return net.HardwareAddr(p.ARPSender[:]).String()
		}
	case "arp.src.proto_ipv4":
		if arp {
			return p.Src.String()
		}
	case "arp.dst.proto_ipv4":
		if arp {
			return p.Dst.String()
		}
	default:
		return "unknown field " + name
	}
	return ""
}

// TestCaptureCounts decodes each real capture whole and checks the counters
// against tshark's protocol hierarchy (tshark -q -z io,phs).
func TestCaptureCounts(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Counters
	}{
		{"s7comm_plus.pcap", Counters{Packets: 262, IPv4: 262, TCP: 262}},
		// 776 frames: 760 IPv4 (362 TCP, 398 UDP), 10 LLC (STP), 4 ARP, 2 LLDP.
		{"enip_cip_example.pcap", Counters{Packets: 776, IPv4: 760, TCP: 362, UDP: 398, ARP: 4, Other: 12, NonIP: 16}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			link, frames := readPcap(t, tc.file)
			var d Decoder
			var p Packet
			for i, f := range frames {
				if err := d.Decode(link, f, &p); err != nil {
					t.Errorf("frame %d: %v", i+1, err)
				}
			}
			if d.Counters != tc.want {
				t.Errorf("Counters =\n\t%+v\nwant\n\t%+v", d.Counters, tc.want)
			}
			if d.Errors.Total() != 0 {
				t.Errorf("Errors = %v", d.Errors.Map())
			}
		})
	}
}
