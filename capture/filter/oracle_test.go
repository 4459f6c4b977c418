package filter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"harborwatch/capture"
)

// tcpdump returns the path of tcpdump, the oracle of the filter tests.
// Without it the test is skipped, unless HARBORWATCH_REQUIRE_TCPDUMP=1
// (as in CI), where it fails.
func tcpdump(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		if os.Getenv("HARBORWATCH_REQUIRE_TCPDUMP") == "1" {
			t.Fatal("tcpdump is required (HARBORWATCH_REQUIRE_TCPDUMP=1) but not installed")
		}
		t.Skip("tcpdump not installed")
	}
	return bin
}

// oracleCaptures: a capture of the simulated terminal (802.1Q tags on
// every crane network), shared captures with IPv6 (pcap and pcapng),
// ICS traffic, DNS, and the edge cases written by writeEdges.
var oracleCaptures = []string{
	"../../examples/terminal/terminal.pcap",
	"../../app/http/testdata/curl_wget_python.pcap",
	"../../ics/profinet/testdata/profinet_io_cm_mixed_2.pcapng",
	"../../ics/modbus/testdata/modbus_test.pcap",
	"../../ics/bacnet/testdata/bacnet_example.pcap",
	"../../decode/testdata/enip_cip_example.pcap",
	"../../app/dns/testdata/dig_dnsmasq.pcap",
}

// oracleExprs are compared with tcpdump over every capture.
var oracleExprs = []string{
	"tcp", "udp", "icmp", "icmp6", "ip", "ip6", "arp", "rarp", "sctp",
	"tcp port 502", "udp port 47808", "port 502", "src port 502", "dst port 502", "port 102",
	"tcp dst port 44818 or udp port 2222", "sctp port 2905", "udp port 53",
	"portrange 500-600", "udp portrange 1-1024", "tcp src portrange 1024-65535", "dst portrange 47000-48000",
	"host 10.10.1.5", "src host 10.10.1.5", "dst host 10.10.1.5", "host ::1", "src host fe80::14ea:3851:8243:3893",
	"host 192.168.1.1", "dst 10.10.1.5", "src 192.168.1.1", "host ::ffff:10.10.1.5",
	"ip host 10.10.1.5", "arp src host 10.10.1.5", "rarp host 10.10.1.5", "ip6 host ::1", "ip dst 10.10.1.5",
	"ip6 net fe80::/10", "ip src net 10.10.0.0/16", "arp net 192.168.1.0/24", "ip net 0.0.0.0/0", "ip host 10.10.1.5 or 10.10.2.11",
	"net 10.10.0.0/16", "net 10.10.1.0 mask 255.255.255.0", "src net 10.10", "dst net 192.168.1.0/24",
	"net fe80::/10", "net 2001:db8::/32", "src net fe80::14ea:3851:8243:3800/120", "net 0.0.0.0/0", "net ::/0",
	"ether host 00:1b:1b:01:00:05", "ether src 00:a0:45:6d:d3:44", "ether dst ff:ff:ff:ff:ff:ff", "ether src host 00:a0:45:6d:d3:44",
	"ether proto 0x88cc", "ether proto \\ip6", "ether proto \\arp", "ether proto 0x8892",
	"vlan", "vlan 110", "vlan 210", "vlan 0", "vlan 210 and udp port 2222", "vlan and tcp", "not vlan", "vlan and vlan",
	"vlan 300 and vlan 110 and tcp", "vlan 110 or tcp port 502", "vlan and host 10.10.1.5", "vlan 110 and not ip6",
	"vlan and arp", "vlan and ether proto 0x88b5", "vlan and ether src 00:a0:45:6d:d3:44", "vlan and less 100",
	"less 100", "greater 1000", "less 60 or greater 1400", "greater 64 and less 64",
	"proto \\tcp", "ip proto 17", "ip6 proto 58", "proto 2", "ip6 proto \\udp", "proto 132",
	"tcp and not port 502", "!(tcp || udp)", "host 10.10.1.5 and (port 502 or port 102)",
	"tcp port 502 or 102", "host 10.10.1.5 or 10.10.2.11", "not ip and not ip6 and not arp", "ip and not vlan",
	"udp and (src port 53 or dst port 53)", "ip6 and tcp", "tcp port 5481 and src host ::1",
	"udp port 137 and not host 192.168.1.1", "tcp or udp and port 502", "not tcp port 502 and ip",
	"(vlan 110 or vlan 210) and (tcp port 502 or udp port 2222)", "vlan and (tcp or vlan and udp)",
}

// accepted runs prog over every packet of a capture and returns the
// numbers of the packets it accepts; with socket, the packet goes
// through the kernel's hands first: its outermost 802.1Q or 802.1ad tag
// into the metadata. Packets of other link layers go through Ethernet
// (as in Source).
func accepted(t testing.TB, path string, prog *Program) []int64 {
	t.Helper()
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []int64
	var p capture.Packet
	for {
		if err := src.Next(&p); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		data, wire, tag := p.Data, p.OrigLen, Tag{}
		if p.Link != capture.LinkEthernet {
			var ok bool
			if data, ok = Ethernet(nil, p.Link, p.Data); !ok {
				t.Fatalf("%s: link type %s", path, p.Link)
			}
		}
		if prog.Target == Socket {
			data, wire, tag = untag(p.Data, p.OrigLen)
		}
		if prog.Match(data, wire, tag) {
			out = append(out, p.Number)
		}
	}
}

// untag does what Linux does to a received frame before its packet
// sockets see it: an outermost 802.1Q or 802.1ad tag goes from the bytes
// into the metadata.
func untag(data []byte, wire int) ([]byte, int, Tag) {
	if len(data) < 18 {
		return data, wire, Tag{}
	}
	tpid := binary.BigEndian.Uint16(data[12:])
	if tpid != 0x8100 && tpid != 0x88a8 {
		return data, wire, Tag{}
	}
	out := append(slices.Clone(data[:12]), data[16:]...)
	return out, wire - 4, Tag{Present: true, TPID: tpid, TCI: binary.BigEndian.Uint16(data[14:])}
}

// tcpdumpAccepts returns the numbers of the packets of path that tcpdump
// writes out through expr: its output is a subsequence of the capture,
// matched in order by time and bytes.
func tcpdumpAccepts(t testing.TB, bin, path, expr, dir string) []int64 {
	t.Helper()
	out := filepath.Join(dir, "out.pcap")
	cmd := exec.Command(bin, "-r", path, "-w", out, expr)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tcpdump -r %s %q: %v: %s", path, expr, err, b)
	}
	return kept(t, path, out)
}

// kept returns the numbers of the packets of path that out holds: out
// is a subsequence of path, matched in order by time and bytes.
func kept(t testing.TB, path, out string) []int64 {
	all, subset := frames(t, path), frames(t, out)
	var nums []int64
	i := 0
	for _, k := range subset {
		for i < len(all) && (all[i].TS/1000 != k.TS/1000 || !bytes.Equal(all[i].Data, k.Data)) {
			i++
		}
		if i == len(all) {
			t.Fatalf("tcpdump wrote a packet not in %s", path)
		}
		nums = append(nums, all[i].Number)
		i++
	}
	return nums
}

func frames(t testing.TB, path string) []capture.Packet {
	t.Helper()
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []capture.Packet
	var p capture.Packet
	for {
		if err := src.Next(&p); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		p.Data = slices.Clone(p.Data)
		out = append(out, p)
	}
}

// TestTcpdumpOracle: for every expression of the table and every
// capture, the packets the program accepts are exactly those tcpdump
// -r accepts; and the Socket program, run over the frames as the kernel
// hands them to a packet socket (outer tag in the metadata), accepts the
// same packets.
func TestTcpdumpOracle(t *testing.T) {
	bin := tcpdump(t)
	dir := t.TempDir()
	caps := append(slices.Clone(oracleCaptures), writeEdges(t, dir))
	if testing.Short() {
		caps = []string{oracleCaptures[0], caps[len(caps)-1]} // the tagged terminal, the edge cases
	}
	checked := 0
	for _, path := range caps {
		t.Run(filepath.Base(path), func(t *testing.T) {
			for _, expr := range oracleExprs {
				pb, err := Compile(expr, Bytes)
				if err != nil {
					t.Fatalf("%q: %v", expr, err)
				}
				ps, err := Compile(expr, Socket)
				if err != nil {
					t.Fatalf("%q: %v", expr, err)
				}
				want := tcpdumpAccepts(t, bin, path, expr, dir)
				got := accepted(t, path, pb)
				if !slices.Equal(got, want) {
					t.Errorf("%q: accepts %d packets, tcpdump %d; only ours: %v; only tcpdump's: %v",
						expr, len(got), len(want), minus(got, want), minus(want, got))
				}
				if sock := accepted(t, path, ps); !slices.Equal(sock, got) {
					t.Errorf("%q: the socket program accepts %d packets, the bytes program %d; only the socket's: %v; only the bytes': %v",
						expr, len(sock), len(got), minus(sock, got), minus(got, sock))
				}
				checked++
			}
		})
	}
	t.Logf("%d expressions × captures compared", checked)
}

func minus(a, b []int64) []int64 {
	var out []int64
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
			if len(out) == 10 {
				break
			}
		}
	}
	return out
}

// writeLinks writes the untagged edge-case frames as captures of the
// other link layers the filter reads (each frame whose network layer
// the link can carry), and returns their paths.
func writeLinks(t testing.TB, dir string) []string {
	t.Helper()
	var paths []string
	for _, lt := range []capture.LinkType{capture.LinkRaw, capture.LinkIPv4, capture.LinkIPv6, capture.LinkNull, capture.LinkLinuxSLL, capture.LinkLinuxSLL2} {
		path := filepath.Join(dir, "edges-"+lt.String()+".pcap")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w, err := capture.NewPcapWriter(f, lt, 65535, false)
		if err != nil {
			t.Fatal(err)
		}
		ts := int64(1_700_000_000) * 1e9
		for _, fr := range edgeFrames() {
			if len(fr) < 14 {
				continue
			}
			typ := binary.BigEndian.Uint16(fr[12:])
			nl := fr[14:]
			var out []byte
			switch lt {
			case capture.LinkRaw:
				if typ == 0x0800 || typ == 0x86dd {
					out = nl
				}
			case capture.LinkIPv4:
				if typ == 0x0800 {
					out = nl
				}
			case capture.LinkIPv6:
				if typ == 0x86dd {
					out = nl
				}
			case capture.LinkNull:
				fam := map[uint16]uint32{0x0800: 2, 0x86dd: 30}[typ]
				if fam != 0 {
					out = append(binary.LittleEndian.AppendUint32(nil, fam), nl...)
				}
			case capture.LinkLinuxSLL:
				h := []byte{0, 0, 0, 1, 0, 6}
				h = append(append(h, fr[6:12]...), 0, 0)
				out = append(binary.BigEndian.AppendUint16(h, typ), nl...)
			case capture.LinkLinuxSLL2:
				h := binary.BigEndian.AppendUint16(nil, typ)
				h = append(h, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6)
				out = append(append(append(h, fr[6:12]...), 0, 0), nl...)
			}
			if out == nil {
				continue
			}
			ts += 1e6
			if err := w.WritePacket(ts, out, len(out)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		paths = append(paths, path)
	}
	return paths
}

// TestTcpdumpOracleLinks: on captures of raw IP, BSD loopback and Linux
// cooked v1 and v2, the filter accepts what tcpdump -r accepts, for
// every expression tcpdump compiles for the link layer (it refuses ether
// and vlan primitives there).
func TestTcpdumpOracleLinks(t *testing.T) {
	bin := tcpdump(t)
	dir := t.TempDir()
	paths := append(writeLinks(t, dir), "../../ics/opcua/testdata/open62541_client-server_mainloop.pcap")
	if testing.Short() {
		paths = paths[3:5] // BSD loopback, Linux cooked
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			compared := 0
			for _, expr := range oracleExprs {
				if strings.Contains(expr, "ether") || strings.Contains(expr, "vlan") {
					continue
				}
				out := filepath.Join(dir, "out.pcap")
				var want []int64
				if b, err := exec.Command(bin, "-r", path, "-w", out, expr).CombinedOutput(); err != nil {
					if !bytes.Contains(b, []byte("expression rejects all packets")) {
						t.Fatalf("tcpdump -r %s %q: %v: %s", path, expr, err, b)
					}
					// It compiles to "reject": no packet.
				} else {
					want = kept(t, path, out)
				}
				p, err := Compile(expr, Bytes)
				if err != nil {
					t.Fatal(err)
				}
				if got := accepted(t, path, p); !slices.Equal(got, want) {
					t.Errorf("%q: accepts %d packets, tcpdump %d; only ours: %v; only tcpdump's: %v",
						expr, len(got), len(want), minus(got, want), minus(want, got))
				}
				compared++
			}
			if compared < 50 {
				t.Errorf("only %d expressions compared", compared)
			}
		})
	}
}
