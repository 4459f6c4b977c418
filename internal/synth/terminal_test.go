package synth

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"harborwatch/internal/testutil"
)

const (
	examplePcap = "../../examples/terminal/terminal.pcap"
	exampleSite = "../../examples/terminal/site.yaml"
)

func terminalPcap(t testing.TB, opts TerminalOptions) []byte {
	t.Helper()
	return pcapBytes(t, false, func(w PacketWriter) error { return Terminal(w, opts) })
}

// TestExample keeps the committed example capture equal to what Terminal
// writes; -update rewrites it.
func TestExample(t *testing.T) {
	got := terminalPcap(t, TerminalOptions{})
	if testutil.Update() {
		if err := os.WriteFile(examplePcap, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(examplePcap)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/synth -run TestExample -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from Terminal's output (%d vs %d bytes); run go test ./internal/synth -run TestExample -update",
			examplePcap, len(want), len(got))
	}
	if again := terminalPcap(t, TerminalOptions{}); !bytes.Equal(again, got) {
		t.Fatal("Terminal is not deterministic")
	}
}

// siteModel is what the tests need of examples/terminal/site.yaml, read
// with regular expressions so that the test does not depend on the
// project's loader.
type siteModel struct {
	zones  []siteZone
	assets map[netip.Addr][6]byte
}

type siteZone struct {
	id, kind string
	prefix   netip.Prefix
	vlan     int
}

func loadSite(t *testing.T) siteModel {
	t.Helper()
	b, err := os.ReadFile(exampleSite)
	if err != nil {
		t.Fatal(err)
	}
	m := siteModel{assets: map[netip.Addr][6]byte{}}
	zre := regexp.MustCompile(`\{id: ([\w-]+), kind: ([\w-]+),.*cidrs: \[([0-9./]+)\](?:, vlans: \[(\d+)\])?`)
	for _, z := range zre.FindAllStringSubmatch(string(b), -1) {
		v := 0
		if z[4] != "" {
			v, _ = strconv.Atoi(z[4])
		}
		m.zones = append(m.zones, siteZone{z[1], z[2], netip.MustParsePrefix(z[3]), v})
	}
	are := regexp.MustCompile(`ip: ([0-9.]+), mac: "([0-9a-f:]+)"`)
	for _, a := range are.FindAllStringSubmatch(string(b), -1) {
		m.assets[netip.MustParseAddr(a[1])] = mac(a[2])
	}
	if len(m.zones) != 8 || len(m.assets) != 10 {
		t.Fatalf("site: %d zones, %d assets", len(m.zones), len(m.assets))
	}
	return m
}

func (m siteModel) zone(a netip.Addr) *siteZone {
	for i := range m.zones {
		if m.zones[i].prefix.Contains(a) {
			return &m.zones[i]
		}
	}
	return nil
}

// conv is one conversation of the capture, client first.
type conv struct {
	key      flowKey
	client   netip.AddrPort
	server   netip.AddrPort
	frames   int
	toServer []byte // client → server payload bytes, in order
	toClient []byte
	syn      bool
}

func conversations(fs []*frame) map[flowKey]*conv {
	out := map[flowKey]*conv{}
	for _, f := range fs {
		if f.etype == 0x0806 {
			continue
		}
		k := keyOf(f)
		c := out[k]
		if c == nil {
			c = &conv{key: k, client: netip.AddrPortFrom(f.ip, f.sport), server: netip.AddrPortFrom(f.dstIP, f.dport)}
			c.syn = f.flags == tcpSYN
			out[k] = c
		}
		c.frames++
		if netip.AddrPortFrom(f.ip, f.sport) == c.client {
			c.toServer = append(c.toServer, f.payload...)
		} else {
			c.toClient = append(c.toClient, f.payload...)
		}
	}
	return out
}

var appPorts = map[string][]uint16{
	"rdp": {3389}, "teamviewer": {5938}, "https": {443}, "tftp": {69}, "smb": {445}, "ftp": {21},
	"dns": {53}, "http": {80}, "s7comm": {102}, "modbus": {502}, "enip": {44818, 2222}, "rtsp": {554},
	"ntp": {123}, "ssh": {22},
}

// find returns the conversations from client src to server dst on one of
// app's ports.
func find(cs map[flowKey]*conv, src, dst, app string) []*conv {
	var out []*conv
	for _, c := range cs {
		if c.client.Addr().String() == src && c.server.Addr().String() == dst && slices.Contains(appPorts[app], c.server.Port()) {
			out = append(out, c)
		}
	}
	return out
}

func TestTerminal(t *testing.T) {
	site := loadSite(t)
	start := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	fs := parseAll(t, readPcap(t, terminalPcap(t, TerminalOptions{})))
	cs := conversations(fs)

	t.Run("size and time span", func(t *testing.T) {
		if len(fs) < 1000 || len(fs) > 3000 {
			t.Errorf("%d frames, want 1k–3k", len(fs))
		}
		if fs[0].ts < start.UnixNano() || fs[len(fs)-1].ts >= start.Add(TerminalDuration).UnixNano() {
			t.Errorf("frames from %v to %v", time.Unix(0, fs[0].ts).UTC(), time.Unix(0, fs[len(fs)-1].ts).UTC())
		}
		if fs[len(fs)-1].ts < start.Add(TerminalDuration-time.Second).UnixNano() {
			t.Errorf("traffic stops at %v", time.Unix(0, fs[len(fs)-1].ts).UTC())
		}
	})
	t.Run("site assets keep their MAC", func(t *testing.T) {
		seen := map[netip.Addr]bool{}
		for _, f := range fs {
			if m, ok := site.assets[f.ip]; ok {
				seen[f.ip] = true
				if f.src != m && f.src != GatewayMAC(uint16(max(f.vlan, 0))) {
					t.Fatalf("%v sends from MAC % x, site says % x", f.ip, f.src, m)
				}
			}
		}
		if len(seen) != len(site.assets) {
			t.Errorf("%d of %d assets send", len(seen), len(site.assets))
		}
	})
	t.Run("VLANs follow the zones", func(t *testing.T) {
		for _, c := range cs {
			want := -1
			if z := site.zone(c.client.Addr()); z != nil && z.vlan != 0 {
				want = z.vlan
			} else if z := site.zone(c.server.Addr()); z != nil && z.vlan != 0 {
				want = z.vlan
			}
			if c.key.vlan != want {
				t.Errorf("%v → %v on VLAN %d, want %d", c.client, c.server, c.key.vlan, want)
			}
		}
		for _, f := range fs {
			if f.etype == 0x0806 {
				if z := site.zone(f.ip); z != nil && z.vlan != 0 && f.vlan != z.vlan {
					t.Errorf("ARP from %v on VLAN %d", f.ip, f.vlan)
				}
			}
		}
	})
	t.Run("TCP conversations are whole", func(t *testing.T) {
		for _, c := range cs {
			if c.key.proto == 6 && !c.syn {
				t.Errorf("%v → %v starts without a SYN", c.client, c.server)
			}
		}
	})
	check := func(t *testing.T, list []Violation) {
		for _, v := range list {
			switch {
			case v.Rule == "segmentation.multi-homed":
				var macs [2][6]byte
				var vlans [2]int
				for _, f := range fs {
					for i, a := range []string{v.Src, v.Dst} {
						if f.ip.String() == a {
							macs[i], vlans[i] = f.src, f.vlan
						}
					}
				}
				if macs[0] != macs[1] || macs[0] == [6]byte{} || vlans[0] != 90 || vlans[1] != -1 {
					t.Errorf("%v: MACs % x / % x, VLANs %v", v, macs[0], macs[1], vlans)
				}
			case v.Dst == "":
				a := netip.MustParseAddr(v.Src)
				if _, declared := site.assets[a]; declared || site.zone(a) == nil || !strings.HasPrefix(site.zone(a).kind, "crane-") {
					t.Errorf("%v: not an undeclared crane-zone address", v)
				}
				n := 0
				for _, f := range fs {
					if f.ip == a {
						n++
					}
				}
				if n == 0 {
					t.Errorf("%v: never sends", v)
				}
			default:
				if len(find(cs, v.Src, v.Dst, v.App)) == 0 {
					t.Errorf("%v: no such conversation", v)
				}
			}
		}
	}
	t.Run("violations are present", func(t *testing.T) { check(t, TerminalViolations) })
	t.Run("normal flows are present", func(t *testing.T) { check(t, TerminalQuiet) })

	u16 := func(s string) []byte {
		var b []byte
		for _, r := range utf16.Encode([]rune(s)) {
			b = append(b, byte(r), byte(r>>8))
		}
		return b
	}
	content := []struct {
		name, src, dst, app string
		toServer            []byte
		toClient            []byte
	}{
		{"RDP cookie", "10.50.7.77", "10.10.9.30", "rdp", []byte("Cookie: mstshash=vendor\r\n"), nil},
		{"gateway RDP cookie", "10.20.0.10", "10.10.9.30", "rdp", []byte("Cookie: mstshash=rcms-svc\r\n"), nil},
		{"TeamViewer magic", "10.10.9.20", "188.172.219.133", "teamviewer", []byte{0x17, 0x24, 0x0a}, []byte{0x17, 0x24}},
		{"TeamViewer name lookup", "10.10.9.20", "10.40.0.53", "dns", []byte("\x07router4\x0ateamviewer\x03com\x00"), []byte{188, 172, 219, 133}},
		{"vendor SNI", "10.10.11.5", "198.51.100.23", "https", []byte("diag.crane-vendor.example"), nil},
		{"TFTP write request", "10.50.7.77", "10.10.1.5", "tftp", []byte("\x00\x02s7-1500_fw_v3.1.bin\x00octet\x00"), nil},
		{"SMB share", "10.50.7.77", "10.10.9.30", "smb", u16(`\\10.10.9.30\backups`), nil},
		{"SMB file", "10.50.7.77", "10.10.9.30", "smb", u16("STS01_project.zap16"), nil},
		{"FTP STOR", "10.10.9.20", "10.10.1.20", "ftp", []byte("STOR spreader_params.cfg\r\n"), []byte("227 Entering Passive Mode (10,10,1,20,196,34).")},
		{"LOGINK lookup", "10.50.1.10", "10.40.0.53", "dns", []byte("\x07gateway\x06logink\x02cn\x00"), []byte{203, 0, 113, 80}},
		{"LOGINK SNI", "10.50.1.10", "203.0.113.80", "https", []byte("gateway.logink.cn"), nil},
		{"prohibited Host", "10.50.1.10", "203.0.113.81", "http", []byte("Host: example-bad.cn\r\n"), []byte("HTTP/1.1 200 OK")},
		{"rogue Modbus read", "10.10.1.99", "10.10.1.5", "modbus", []byte{0, 0, 0, 6, 1, 3}, nil},
		{"camera COTP CR", "10.10.2.11", "10.10.1.5", "s7comm", []byte{3, 0, 0, 0x16, 0x11, 0xe0}, nil},
		{"TOS SNI", "10.50.1.10", "10.10.9.30", "https", []byte("cms01.t3.example"), nil},
		{"S7 read var", "10.10.9.20", "10.10.1.5", "s7comm", []byte{0x32, 0x01, 0, 0}, []byte{0x32, 0x03, 0, 0}},
		{"ListIdentity", "10.10.9.30", "10.10.11.5", "enip", []byte{0x63, 0}, []byte("1756-L85E/B")},
		{"camera ANNOUNCE", "10.10.2.11", "10.10.9.40", "rtsp", []byte("ANNOUNCE rtsp://10.10.9.40:554/record/sts01-cam1 RTSP/1.0\r\n"), []byte("RTSP/1.0 200 OK")},
		{"SSH banners", "10.20.0.10", "10.10.9.30", "ssh", []byte("SSH-2.0-"), []byte("SSH-2.0-")},
	}
	for _, c := range content {
		t.Run(c.name, func(t *testing.T) {
			convs := find(cs, c.src, c.dst, c.app)
			var in, out []byte
			for _, cv := range convs {
				in = append(in, cv.toServer...)
				out = append(out, cv.toClient...)
			}
			if !bytes.Contains(in, c.toServer) || !bytes.Contains(out, c.toClient) {
				t.Fatalf("%d conversations; request or reply bytes missing", len(convs))
			}
		})
	}
	t.Run("FTP data and TFTP transfer", func(t *testing.T) {
		var ftpData, tftpData bool
		for _, c := range cs {
			if c.client.Addr().String() == "10.10.9.20" && c.server == netip.MustParseAddrPort("10.10.1.20:50210") &&
				bytes.HasPrefix(c.toServer, []byte("# spreader parameters\n")) {
				ftpData = true
			}
			// The server answers from a new port, so it sends first: the
			// flow's initiator is the PLC.
			if c.key.proto == 17 && c.client.Addr().String() == "10.10.1.5" && c.client.Port() != 69 &&
				c.server.Addr().String() == "10.50.7.77" &&
				bytes.HasPrefix(c.toClient, []byte("\x00\x03\x00\x01S7-1500 FW V3.1")) && bytes.HasPrefix(c.toServer, []byte{0, 4, 0, 0}) {
				tftpData = true
			}
		}
		if !ftpData || !tftpData {
			t.Fatalf("FTP data connection %v, TFTP transfer %v", ftpData, tftpData)
		}
	})
}

func TestTerminalOptions(t *testing.T) {
	bad := map[string]bool{"10.50.7.77": true, "10.10.1.99": true, "188.172.219.133": true, "198.51.100.23": true,
		"203.0.113.80": true, "203.0.113.81": true, "192.0.2.15": true}
	t.Run("no violations", func(t *testing.T) {
		fs := parseAll(t, readPcap(t, terminalPcap(t, TerminalOptions{NoViolations: true})))
		cs := conversations(fs)
		for _, f := range fs {
			if bad[f.ip.String()] || bad[f.dstIP.String()] {
				t.Fatalf("violation traffic: %v", f)
			}
		}
		for _, v := range TerminalQuiet {
			if len(find(cs, v.Src, v.Dst, v.App)) == 0 {
				t.Errorf("%v missing", v)
			}
		}
		if len(find(cs, "10.10.2.11", "10.10.1.5", "s7comm")) != 0 || len(find(cs, "10.10.9.20", "10.10.1.20", "ftp")) != 0 {
			t.Error("violation conversations present")
		}
	})
	t.Run("IPv6 and another start", func(t *testing.T) {
		start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		fs := parseAll(t, readPcap(t, terminalPcap(t, TerminalOptions{IPv6: true, Start: start, Seed: 9})))
		var v6 int
		for _, f := range fs {
			if f.ip.Is6() {
				v6++
				if f.proto != 17 || (f.sport != 53 && f.dport != 53) {
					t.Fatalf("IPv6 frame %v", f)
				}
			}
		}
		if v6 != 2 || fs[0].ts < start.UnixNano() || fs[len(fs)-1].ts >= start.Add(TerminalDuration).UnixNano() {
			t.Fatalf("%d IPv6 frames; span %d–%d", v6, fs[0].ts, fs[len(fs)-1].ts)
		}
	})
}

// TestTshark dissects the example with tshark: no malformed packet, no
// expert error, every protocol of the scenario recognised, and the fields
// below as verified with TShark 4.0. CI sets HARBORWATCH_REQUIRE_TSHARK=1
// so that a missing tshark fails instead of skipping.
func TestTshark(t *testing.T) {
	tshark := testutil.Tshark(t)
	file := filepath.Join(t.TempDir(), "terminal.pcap")
	if err := os.WriteFile(file, terminalPcap(t, TerminalOptions{}), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := func(t *testing.T, args ...string) string {
		t.Helper()
		cmd := exec.Command(tshark, append([]string{"-n", "-r", file}, args...)...)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark %v: %v", args, err)
		}
		return string(out)
	}

	t.Run("no malformed packets or errors", func(t *testing.T) {
		out := ts(t, "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
			"-Y", "_ws.malformed || _ws.expert.severity >= 8388608 || ip.checksum.status == 0 || tcp.checksum.status == 0 || "+
				"udp.checksum.status == 0 || tcp.analysis.flags", "-T", "fields", "-e", "frame.number")
		if strings.TrimSpace(out) != "" {
			t.Fatalf("frames with problems: %s", out)
		}
	})
	t.Run("protocol hierarchy", func(t *testing.T) {
		phs := map[string]int{}
		re := regexp.MustCompile(`^\s*(\S+)\s+frames:(\d+)`)
		for _, l := range strings.Split(ts(t, "-q", "-z", "io,phs"), "\n") {
			if m := re.FindStringSubmatch(l); m != nil {
				n, _ := strconv.Atoi(m[2])
				phs[m[1]] += n
			}
		}
		want := map[string]int{
			"arp": 6, "dns": 16, "ntp": 10, "tftp": 10, "smb2": 10, "mbtcp": 132, "s7comm": 242, "cipio": 30,
			"ftp": 14, "ftp-data": 3, "http": 2, "rdp": 4, "ssh": 76, "rtsp": 551, "rtp": 535,
		}
		for p, n := range want {
			if phs[p] != n {
				t.Errorf("%s: %d frames, want %d", p, phs[p], n)
			}
		}
		for _, p := range []string{"vlan", "tls", "tpkt", "cotp", "enip", "cip", "nbss"} {
			if phs[p] == 0 {
				t.Errorf("no %s", p)
			}
		}
	})
	fields := []struct {
		field string
		want  []string // distinct values, sorted
	}{
		{"tls.handshake.extensions_server_name", []string{"cms01.t3.example", "diag.crane-vendor.example", "gateway.logink.cn", "tos01.t3.example"}},
		{"rdp.rt_cookie", []string{"Cookie: mstshash=rcms-svc", "Cookie: mstshash=vendor"}},
		{"dns.qry.name", []string{"cms01.t3.example", "example-bad.cn", "gateway.logink.cn", "ntp.t3.example",
			"nvr01.t3.example", "router4.teamviewer.com", "tos01.t3.example"}},
		{"http.host", []string{"example-bad.cn"}},
		{"tftp.destination_file", []string{"s7-1500_fw_v3.1.bin"}},
		{"smb2.tree", []string{`\\10.10.9.30\backups`}},
		{"smb2.filename", []string{"STS01_project.zap16"}},
		{"ftp.request.command", []string{"PASS", "PASV", "QUIT", "STOR", "TYPE", "USER"}},
		{"enip.lir.name", []string{"1756-L85E/B"}},
		{"s7comm.param.func", []string{"0x04", "0xf0"}},
		{"mbtcp.unit_id", []string{"1"}},
		{"ntp.stratum", []string{"0", "2"}},
	}
	for _, f := range fields {
		t.Run(f.field, func(t *testing.T) {
			var got []string
			for _, l := range strings.Split(ts(t, "-Y", f.field, "-T", "fields", "-e", f.field), "\n") {
				for _, v := range strings.Split(l, ",") {
					if v = strings.TrimSpace(v); v != "" && !slices.Contains(got, v) {
						got = append(got, v)
					}
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, f.want) {
				t.Fatalf("got %q, want %q", got, f.want)
			}
		})
	}
}
