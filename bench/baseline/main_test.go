package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/internal/testutil"
)

// fixtures are real and simulated captures of the project, pcap and pcapng.
var fixtures = []string{
	"../../examples/terminal/terminal.pcap",
	"../../ics/modbus/testdata/modbus_test_data_part1.pcap",
	"../../ics/s7/testdata/snap7.pcap",
	"../../ics/enip/testdata/enip_test.pcap",
	"../../ics/enip/testdata/set_attribute_single_service_cip.pcapng",
	"../../app/dns/testdata/dig_dnsmasq.pcap",
	"../../app/http/testdata/curl_wget_python.pcap",
	"../../app/tls/testdata/clienthello_loopback.pcap",
}

func countFile(t testing.TB, path, mode string) *counter {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	c, err := count(bufio.NewReader(bytes.NewReader(b)), mode)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// conv names a conversation, its ends sorted apart from flowKey's own
// ordering so that the oracle comparison does not share its code.
func conv(proto uint8, x, y netip.AddrPort) string {
	if x.Compare(y) > 0 {
		x, y = y, x
	}
	return fmt.Sprintf("%d %s %s", proto, x, y)
}

// byConv folds the VLAN out of the flows, as tshark does not key by it,
// and fails when a flow is counted twice on one VLAN (once per direction).
func byConv(t *testing.T, c *counter) map[string][2]uint64 {
	t.Helper()
	m := map[string][2]uint64{}
	seen := map[string]bool{}
	for _, f := range c.flows {
		a, b := f.key.ends()
		k := conv(f.key.proto, a, b)
		if v := fmt.Sprint(f.key.vlan, " ", k); seen[v] {
			t.Errorf("flow %s counted twice", v)
		} else {
			seen[v] = true
		}
		v := m[k]
		m[k] = [2]uint64{v[0] + f.packets, v[1] + f.bytes}
	}
	return m
}

// tsharkFlows counts packets and wire bytes per TCP/UDP flow with tshark,
// the innermost IP and port fields of each frame, IP reassembly off.
func tsharkFlows(t *testing.T, path string) (flows map[string][2]uint64, packets uint64) {
	t.Helper()
	bin := testutil.Tshark(t)
	out, err := exec.Command(bin, "-r", path, "-n",
		"-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
		"-T", "fields", "-E", "separator=/t", "-E", "occurrence=l",
		"-e", "frame.len", "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
		"-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport",
		"-e", "icmp.type", "-e", "icmpv6.type").Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", path, err)
	}
	flows = map[string][2]uint64{}
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(f) != 11 {
			t.Fatalf("tshark line %q: %d fields", line, len(f))
		}
		packets++
		wire, err := strconv.ParseUint(f[0], 10, 32)
		if err != nil {
			t.Fatalf("tshark frame.len %q", f[0])
		}
		src, dst := f[1], f[2]
		if f[3] != "" {
			src, dst = f[3], f[4]
		}
		var proto uint8
		sp, dp := f[5], f[6]
		switch {
		case f[9] != "" || f[10] != "" || src == "": // ICMP (and its quoted packet), non-IP
			continue
		case sp != "":
			proto = 6
		case f[7] != "":
			proto, sp, dp = 17, f[7], f[8]
		default:
			continue
		}
		s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
		sport, _ := strconv.ParseUint(sp, 10, 16)
		dport, _ := strconv.ParseUint(dp, 10, 16)
		k := conv(proto, netip.AddrPortFrom(s, uint16(sport)), netip.AddrPortFrom(d, uint16(dport)))
		v := flows[k]
		flows[k] = [2]uint64{v[0] + 1, v[1] + wire}
	}
	return flows, packets
}

// TestTshark compares, flow by flow, the packets and bytes each mode
// counts with those tshark counts on the same file.
func TestTshark(t *testing.T) {
	for _, path := range fixtures {
		want, packets := tsharkFlows(t, path)
		if len(want) == 0 {
			t.Fatalf("%s: tshark sees no flow", path)
		}
		for _, mode := range []string{"parser", "source"} {
			t.Run(filepath.Base(path)+"/"+mode, func(t *testing.T) {
				c := countFile(t, path, mode)
				if c.packets != packets {
					t.Errorf("%d packets, tshark %d", c.packets, packets)
				}
				if c.errors != 0 {
					t.Errorf("%d decode errors", c.errors)
				}
				got := byConv(t, c)
				for k, w := range want {
					if got[k] != w {
						t.Errorf("%v: packets, bytes %v, tshark %v", k, got[k], w)
					}
				}
				for k, g := range got {
					if _, ok := want[k]; !ok {
						t.Errorf("%v: %v, not a flow for tshark", k, g)
					}
				}
				var sum uint64
				for _, f := range c.flows {
					sum += f.packets
				}
				if sum+c.other != c.packets {
					t.Errorf("flows hold %d packets, other %d, total %d", sum, c.other, c.packets)
				}
			})
		}
	}
}

// mixFile writes a generated capture of the terminal mix.
func mixFile(t testing.TB, packets, flows int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mix.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := capture.NewPcapWriter(f, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	err = synth.Mix(w, synth.MixOptions{Packets: packets, Flows: flows, Seed: 7,
		Start: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMix checks both modes on a generated capture with thousands of
// flows: every packet read, the flow count the generator promises, and the
// same flow table from both.
func TestMix(t *testing.T) {
	const packets, flows = 60000, 6000
	path := mixFile(t, packets, flows)
	p, s := countFile(t, path, "parser"), countFile(t, path, "source")
	if p.packets != packets || s.packets != packets {
		t.Fatalf("packets: parser %d, source %d, want %d", p.packets, s.packets, packets)
	}
	if n := len(p.flows); n < flows*9/10 || n > flows*11/10 {
		t.Errorf("%d flows, want %d ±10%%", n, flows)
	}
	var pw, sw bytes.Buffer
	p.write(&pw, 0)
	s.write(&sw, 0)
	if pw.String() != sw.String() {
		t.Error("parser and source modes count different flows")
	}
	if n := strings.Count(pw.String(), "\n"); n != len(p.flows) {
		t.Errorf("%d lines for %d flows", n, len(p.flows))
	}
}

// TestRun runs the command as the benchmark script does, on a real Modbus
// capture whose flows and totals tshark gives (-z conv,tcp; capinfos).
func TestRun(t *testing.T) {
	path := "../../ics/modbus/testdata/modbus_test_data_part1.pcap"
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // exact, when the exit code is 0
		stderr string // contained
	}{
		{"top", []string{"-top", "2", path}, 0,
			"tcp vlan=0 10.0.0.3:502 10.0.0.57:2578 packets=32 bytes=2054\n" +
				"tcp vlan=0 10.0.0.8:502 10.0.0.57:4446 packets=31 bytes=1920\n",
			"baseline mode=parser packets=118 bytes=8269 flows=6 other=0 errors=0 "},
		{"source", []string{"-mode", "source", "-top", "1", path}, 0,
			"tcp vlan=0 10.0.0.3:502 10.0.0.57:2578 packets=32 bytes=2054\n",
			"baseline mode=source packets=118 bytes=8269 flows=6 other=0 errors=0 "},
		{"no file", []string{}, 2, "", "Usage: baseline"},
		{"bad mode", []string{"-mode", "fast", path}, 2, "", "Usage: baseline"},
		{"missing", []string{filepath.Join(t.TempDir(), "none.pcap")}, 1, "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, stderr.String())
			}
			if tt.code == 0 && stdout.String() != tt.stdout {
				t.Errorf("stdout\n%s\nwant\n%s", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tt.stderr)
			}
		})
	}
}

// TestDamaged checks that a bad file is an error that says where.
func TestDamaged(t *testing.T) {
	good, err := os.ReadFile(fixtures[0])
	if err != nil {
		t.Fatal(err)
	}
	// Cut the file in the middle of its 11th packet's data.
	off := 24
	for range 10 {
		off += 16 + int(binary.LittleEndian.Uint32(good[off+8:]))
	}
	cut := good[:off+16+10]
	raw := bytes.Clone(good[:24])
	binary.LittleEndian.PutUint32(raw[20:], 101) // LINKTYPE_RAW
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "read file header: EOF"},
		{"not a capture", []byte("hello, world, this is text"), "file header: Unknown magic"},
		{"truncated", cut, "packet 11: unexpected EOF"},
		{"raw IP", raw, "only Ethernet captures are supported"},
	}
	for _, tt := range tests {
		for _, mode := range []string{"parser", "source"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				_, err := count(bufio.NewReader(bytes.NewReader(tt.data)), mode)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want %q", err, tt.want)
				}
			})
		}
	}
}

// TestNoAllocs proves the parser path allocates nothing per packet once
// its flows exist.
func TestNoAllocs(t *testing.T) {
	frames := testutil.Frames(t, fixtures[0])
	c, d := newCounter(), newDecoder()
	for _, p := range frames {
		d.packet(c, p.Data, len(p.Data))
	}
	i := 0
	n := testing.AllocsPerRun(len(frames)*2, func() {
		p := frames[i%len(frames)]
		d.packet(c, p.Data, len(p.Data))
		i++
	})
	if n != 0 {
		t.Fatalf("%v allocations per packet, want 0", n)
	}
}

// FuzzCount reads arbitrary bytes as a capture in both modes: no panic, and
// when a file reads, its packets are all counted once.
func FuzzCount(f *testing.F) {
	for _, path := range fixtures {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatalf("fixture: %v", err)
		}
		if len(b) > 1024 {
			b = b[:1024]
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mode := range []string{"parser", "source"} {
			c, err := count(bufio.NewReader(bytes.NewReader(b)), mode)
			if err != nil {
				continue
			}
			var sum uint64
			for _, fl := range c.flows {
				sum += fl.packets
			}
			if sum+c.other != c.packets || len(c.index) != len(c.flows) {
				t.Fatalf("%s: %d in flows + %d other != %d packets", mode, sum, c.other, c.packets)
			}
			var out bytes.Buffer
			c.write(&out, 0)
			if got := strings.Count(out.String(), "\n"); got != len(c.flows) {
				t.Fatalf("%s: %d lines for %d flows", mode, got, len(c.flows))
			}
		}
	})
}
