package synth

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"harborwatch/capture"
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
	return parseSiteModel(t, b, 2)
}

// parseSiteModel reads the zones and assets of a generated site model of
// cranes cranes.
func parseSiteModel(t *testing.T, b []byte, cranes int) siteModel {
	t.Helper()
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
	rows, err := TerminalAssets(TerminalOptions{Cranes: cranes})
	if err != nil {
		t.Fatal(err)
	}
	// Per crane two zones and ten devices; besides, five zones and eight
	// devices of the site, and the building management zone and server
	// and STS-01's e-house zone and HVAC controller.
	if len(m.zones) != 2*cranes+7 || len(m.assets) != len(rows) || len(rows) != 10*cranes+10 {
		t.Fatalf("site: %d zones, %d assets (%d rows)", len(m.zones), len(m.assets), len(rows))
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
	"ntp": {123}, "ssh": {22}, "bacnet": {47808}, "opcua": {4840},
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
		if len(fs) < 8000 || len(fs) > 14000 {
			t.Errorf("%d frames, want 8k–14k", len(fs))
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
		{"Hikvision camera", "10.10.1.64", "10.10.9.40", "rtsp", []byte("ANNOUNCE rtsp://10.10.9.40:554/record/ch1-main RTSP/1.0\r\n"), []byte("RTSP/1.0 200 OK")},
		{"OCR camera", "10.10.2.12", "10.10.2.50", "rtsp", []byte("User-Agent: AXIS\r\n"), nil},
		{"OCR results", "10.10.2.50", "10.50.1.10", "https", []byte("tos01.t3.example"), nil},
		{"update mirror", "10.10.9.20", "10.30.0.20", "https", []byte("updates.t3.example"), nil},
		{"updates fetched", "10.30.0.20", "198.51.100.40", "https", []byte("dl.crane-vendor.example"), nil},
		{"PLC reads its remote I/O", "10.10.1.5", "10.10.1.30", "modbus", []byte{0, 0, 0, 6, 1, 4, 0, 0, 0, 8}, nil},
		{"spreader read", "10.10.1.5", "10.10.1.20", "s7comm", []byte{0x32, 0x01, 0, 0}, []byte{0x32, 0x03, 0, 0}},
		{"class 1 I/O", "10.10.11.5", "10.10.11.31", "enip", []byte{2, 0, 0x02, 0x80, 8, 0}, []byte{2, 0, 0x02, 0x80, 8, 0}},
		{"TOS SNI", "10.50.1.10", "10.10.9.30", "https", []byte("cms01.t3.example"), nil},
		{"S7 read var", "10.10.9.20", "10.10.1.5", "s7comm", []byte{0x32, 0x01, 0, 0}, []byte{0x32, 0x03, 0, 0}},
		{"ListIdentity", "10.10.9.30", "10.10.11.5", "enip", []byte{0x63, 0}, []byte("1756-L85E/B")},
		{"Read Tag", "10.10.11.40", "10.10.11.5", "enip", []byte("Trolley_Pos"), []byte{0xcc, 0, 0, 0, 0xc4, 0}},
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
	bad := map[string]bool{"10.50.7.77": true, "10.10.1.99": true, "10.10.1.64": true, "188.172.219.133": true,
		"198.51.100.23": true, "203.0.113.80": true, "203.0.113.81": true, "192.0.2.15": true}
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
		if len(find(cs, "10.10.9.20", "10.10.1.20", "ftp")) != 0 {
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
// expert error, the frames of each protocol as many as the package's own
// reader counts, and the fields below as verified with TShark 4.0. CI sets
// HARBORWATCH_REQUIRE_TSHARK=1 so that a missing tshark fails instead of
// skipping.
func TestTshark(t *testing.T) {
	tshark := testutil.Tshark(t)
	b := terminalPcap(t, TerminalOptions{})
	file := filepath.Join(t.TempDir(), "terminal.pcap")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ts := tsharkRunner(tshark, file)
	clean(t, ts)
	t.Run("protocol hierarchy", func(t *testing.T) {
		phs := hierarchy(t, ts)
		for p, n := range expectedHierarchy(parseAll(t, readPcap(t, b))) {
			if phs[p] != n {
				t.Errorf("%s: %d frames, want %d", p, phs[p], n)
			}
		}
		for _, p := range []string{"vlan", "tls", "tpkt", "cotp", "enip", "cip", "nbss", "smb2", "tftp", "ftp-data", "http", "rdp", "rtsp", "rtp"} {
			if phs[p] == 0 {
				t.Errorf("no %s", p)
			}
		}
	})
	fields := []struct {
		field string
		want  []string // distinct values, sorted
	}{
		{"tls.handshake.extensions_server_name", []string{"cms01.t3.example", "diag.crane-vendor.example", "dl.crane-vendor.example",
			"gateway.logink.cn", "tos01.t3.example", "updates.t3.example"}},
		{"rdp.rt_cookie", []string{"Cookie: mstshash=rcms-svc", "Cookie: mstshash=vendor"}},
		{"dns.qry.name", []string{"cms01.t3.example", "example-bad.cn", "gateway.logink.cn", "ntp.t3.example",
			"nvr01.t3.example", "router4.teamviewer.com", "tos01.t3.example", "updates.t3.example"}},
		{"http.host", []string{"example-bad.cn"}},
		{"tftp.destination_file", []string{"s7-1500_fw_v3.1.bin"}},
		{"smb2.tree", []string{`\\10.10.9.30\backups`}},
		{"smb2.filename", []string{"STS01_project.zap16"}},
		{"ftp.request.command", []string{"PASS", "PASV", "QUIT", "STOR", "TYPE", "USER"}},
		{"enip.lir.name", []string{"1756-L85E/B"}},
		{"s7comm.param.func", []string{"0x04", "0xf0"}},
		{"mbtcp.unit_id", []string{"1"}},
		{"modbus.func_code", []string{"3", "4"}},
		{"ntp.stratum", []string{"0", "2"}},
		{"rtsp.method", []string{"ANNOUNCE", "OPTIONS", "RECORD", "SETUP"}},
		{"rtp.p_type", []string{"96"}},
	}
	for _, f := range fields {
		t.Run(f.field, func(t *testing.T) {
			if got := distinct(t, ts, f.field); !slices.Equal(got, f.want) {
				t.Fatalf("got %q, want %q", got, f.want)
			}
		})
	}
}

// TestTsharkLoad dissects two minutes of a four-crane terminal under
// background load: nothing malformed, no expert error, and the protocols
// of the load counted as the package's own reader counts them.
func TestTsharkLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 240,000 packets through tshark")
	}
	tshark := testutil.Tshark(t)
	b := pcapBytes(t, false, func(w PacketWriter) error {
		return Terminal(w, TerminalOptions{Cranes: 4, Duration: 2 * time.Minute, Rate: 2000, Seed: 5})
	})
	file := filepath.Join(t.TempDir(), "load.pcap")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ts := tsharkRunner(tshark, file)
	clean(t, ts)
	phs := hierarchy(t, ts)
	fs := parseAll(t, readPcap(t, b))
	if len(fs) < 220_000 || len(fs) > 260_000 {
		t.Errorf("%d frames, want about 240,000", len(fs))
	}
	for p, n := range expectedHierarchy(fs) {
		if phs[p] != n {
			t.Errorf("%s: %d frames, want %d", p, phs[p], n)
		}
	}
}

type tsharkFunc func(t *testing.T, args ...string) string

func tsharkRunner(tshark, file string) tsharkFunc {
	return func(t *testing.T, args ...string) string {
		t.Helper()
		cmd := exec.Command(tshark, append([]string{"-n", "-r", file}, args...)...)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark %v: %v", args, err)
		}
		return string(out)
	}
}

// clean checks that tshark finds no malformed frame, no expert error, no
// bad checksum and no TCP analysis flag (retransmission, lost segment,
// reused ports, …).
func clean(t *testing.T, ts tsharkFunc) {
	t.Run("no malformed packets or errors", func(t *testing.T) {
		out := ts(t, "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
			"-Y", "_ws.malformed || _ws.expert.severity >= 8388608 || ip.checksum.status == 0 || tcp.checksum.status == 0 || "+
				"udp.checksum.status == 0 || tcp.analysis.flags", "-T", "fields", "-e", "frame.number")
		if strings.TrimSpace(out) != "" {
			t.Fatalf("frames with problems: %.300s", out)
		}
	})
}

// hierarchy returns tshark's protocol hierarchy: frames per protocol,
// summed over the places it appears.
func hierarchy(t *testing.T, ts tsharkFunc) map[string]int {
	phs := map[string]int{}
	re := regexp.MustCompile(`^\s*(\S+)\s+frames:(\d+)`)
	for _, l := range strings.Split(ts(t, "-q", "-z", "io,phs"), "\n") {
		if m := re.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[2])
			phs[m[1]] += n
		}
	}
	return phs
}

// expectedHierarchy counts, with the package's own reader, the frames
// tshark should give to protocols it recognises by port and first bytes.
func expectedHierarchy(fs []*frame) map[string]int {
	want := map[string]int{"arp": 0, "dns": 0, "ntp": 0, "cipio": 0, "mbtcp": 0, "s7comm": 0, "ssh": 0, "ftp": 0}
	port := func(f *frame, p uint16) bool { return f.sport == p || f.dport == p }
	for _, f := range fs {
		tcpData := f.proto == 6 && len(f.payload) > 0
		switch {
		case f.etype == 0x0806:
			want["arp"]++
		case f.proto == 17 && port(f, 53):
			want["dns"]++
		case f.proto == 17 && port(f, 123):
			want["ntp"]++
		case f.proto == 17 && f.sport == 2222 && f.dport == 2222:
			want["cipio"]++
		case tcpData && port(f, 502):
			want["mbtcp"]++
		case tcpData && port(f, 102) && len(f.payload) > 7 && f.payload[5] == 0xf0 && f.payload[7] == 0x32:
			want["s7comm"]++
		case tcpData && port(f, 22):
			want["ssh"]++
		case tcpData && port(f, 21):
			want["ftp"]++
		}
	}
	return want
}

// distinct returns the distinct values tshark gives a field, sorted.
func distinct(t *testing.T, ts tsharkFunc, field string) []string {
	var got []string
	for _, l := range strings.Split(ts(t, "-Y", field, "-T", "fields", "-e", field), "\n") {
		for _, v := range strings.Split(l, ",") {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(got, v) {
				got = append(got, v)
			}
		}
	}
	slices.Sort(got)
	return got
}

// TestTerminalRate checks that background load brings the capture to the
// rate asked for, evenly over time, in many short conversations.
func TestTerminalRate(t *testing.T) {
	tests := []struct {
		cranes, rate int
		d            time.Duration
	}{
		{2, 1000, time.Minute},
		{4, 5000, 2 * time.Minute},
		{6, 20000, time.Minute},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("cranes=%d/rate=%d", tt.cranes, tt.rate), func(t *testing.T) {
			var w memWriter
			st, err := RunTerminal(&w, TerminalOptions{Cranes: tt.cranes, Rate: tt.rate, Duration: tt.d, NoViolations: true, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			want := float64(tt.rate) * tt.d.Seconds()
			if n := float64(len(w.recs)); n < 0.97*want || n > 1.03*want || st.Packets != int64(len(w.recs)) {
				t.Errorf("%d frames (stats %d), want %.0f ±3%%", len(w.recs), st.Packets, want)
			}
			var bytes int64
			per := make([]int, int(tt.d/(10*time.Second)))
			start := terminalStart.UnixNano()
			for _, r := range w.recs {
				bytes += int64(len(r.data))
				if i := int((r.ts - start) / 10e9); i >= 0 && i < len(per) {
					per[i]++
				}
			}
			if bytes != st.Bytes {
				t.Errorf("stats say %d bytes, wrote %d", st.Bytes, bytes)
			}
			for i, n := range per[1:] { // the first seconds ramp up
				if w := float64(tt.rate) * 10; float64(n) < 0.93*w || float64(n) > 1.07*w {
					t.Errorf("%d frames in seconds %d–%d, want %.0f ±7%%", n, 10*(i+1), 10*(i+2), w)
				}
			}
			flows := map[flowKey]bool{}
			for _, f := range parseAll(t, w.recs) {
				flows[keyOf(f)] = true
			}
			t.Logf("%d frames, %d bytes, %d conversations, %d distinct flows", len(w.recs), bytes, st.Conversations, len(flows))
			// At least one flow per 35 frames: 200,000 flows in a gigabyte.
			if len(flows) < len(w.recs)/35 || float64(len(flows)) < 0.9*float64(st.Conversations) {
				t.Errorf("%d distinct flows, %d conversations for %d frames", len(flows), st.Conversations, len(w.recs))
			}
		})
	}
	t.Run("under the normal rate", func(t *testing.T) {
		var a, b frameCounter
		if _, err := RunTerminal(&a, TerminalOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := RunTerminal(&b, TerminalOptions{Rate: 10}); err != nil {
			t.Fatal(err)
		}
		if b.n < a.n || b.n > a.n+a.n/100 {
			t.Errorf("rate 10 writes %d frames, no rate %d", b.n, a.n)
		}
	})
}

// TestTerminalMemory runs a terminal under load for ten minutes: the open
// conversations, the schedule and the heap stay as they were after the
// first minute.
func TestTerminalMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 3,000,000 frames")
	}
	tt, err := newTerm(&frameCounter{}, TerminalOptions{Cranes: 4, Rate: 5000, Duration: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	var heap1, sessions1, tasks1 int
	until := tt.start
	for i := 1; i <= 10; i++ {
		peakS, peakT := 0, 0
		for range 60 {
			until += int64(time.Second)
			tt.run(until)
			peakS, peakT = max(peakS, len(tt.b.q)), max(peakT, len(tt.tasks))
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap := int(ms.HeapInuse)
		t.Logf("minute %d: %d frames, %d open conversations (peak), %d tasks, %d sessions pooled, heap %d KiB",
			i, tt.b.Packets(), peakS, peakT, len(tt.b.free), heap>>10)
		if i == 1 {
			heap1, sessions1, tasks1 = heap, peakS, peakT
			continue
		}
		if peakS > sessions1*13/10 || peakT > tasks1 || heap > heap1+8<<20 {
			t.Errorf("minute %d: %d conversations, %d tasks, heap %d KiB; minute 1: %d, %d, %d KiB",
				i, peakS, peakT, heap>>10, sessions1, tasks1, heap1>>10)
		}
	}
}

// TestTerminalAllocs: once warm, the background load and the cyclic polls
// and camera streams allocate nothing per frame.
func TestTerminalAllocs(t *testing.T) {
	m, err := newModel(4)
	if err != nil {
		t.Fatal(err)
	}
	tt := &term{b: New(&frameCounter{}, terminalStart, 1), m: m, start: terminalStart.UnixNano(), end: terminalStart.Add(time.Hour).UnixNano()}
	tt.r = tt.b.Rand()
	for _, c := range m.cranes[:2] {
		if c.s7 {
			tt.s7Poll(m.cms, c.plc, time.Second, S7Item{Area: S7AreaDB, DB: 1, Len: 16})
			tt.modbusPoll(c.plc, c.rio[0], 4, 250*time.Millisecond, 8)
		} else {
			tt.enipPoll(m.cms, c, c.plc, true, time.Second, "Hoist_Load")
			tt.classOneIO(c.plc, c.rio[0], 250*time.Millisecond)
		}
		tt.camera(c.cams[0].Host, m.nvr.Host, c.cams[0].row.ID, "AXIS")
	}
	tt.load = newLoad(tt, 50000)
	tt.run(tt.start + int64(60*time.Second))
	before, until := tt.b.Packets(), tt.b.now
	allocs := testing.AllocsPerRun(50, func() {
		until += int64(20 * time.Millisecond)
		tt.run(until)
	})
	n := tt.b.Packets() - before
	if allocs != 0 || n < 40000 {
		t.Fatalf("%v allocations per 20 ms (%d frames in all)", allocs, n)
	}
}

// TestTerminalDeterminism: the same options give the same bytes; another
// seed other bytes.
func TestTerminalDeterminism(t *testing.T) {
	opts := TerminalOptions{Cranes: 4, Rate: 1000, Duration: 90 * time.Second, Seed: 42}
	a := terminalPcap(t, opts)
	b := terminalPcap(t, opts)
	opts.Seed = 43
	c := terminalPcap(t, opts)
	if !bytes.Equal(a, b) || bytes.Equal(a, c) || len(a) < 10<<20 {
		t.Errorf("same seed equal: %v, other seed equal: %v (%d bytes)", bytes.Equal(a, b), bytes.Equal(a, c), len(a))
	}
}

func TestTerminalBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts TerminalOptions
	}{
		{"negative duration", TerminalOptions{Duration: -time.Second}},
		{"shorter than the scenarios", TerminalOptions{Duration: 30 * time.Second}},
		{"negative rate", TerminalOptions{Rate: -1}},
		{"rate too high", TerminalOptions{Rate: MaxTerminalRate + 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Terminal(discard{}, tt.opts); !errors.Is(err, ErrOptions) {
				t.Errorf("err = %v, want ErrOptions", err)
			}
		})
	}
	// Without scenarios a short capture is fine.
	var fc frameCounter
	if err := Terminal(&fc, TerminalOptions{Duration: 5 * time.Second, NoViolations: true}); err != nil || fc.n < 500 {
		t.Errorf("5 s without scenarios: %d frames, %v", fc.n, err)
	}
}

func TestTerminalProgress(t *testing.T) {
	var calls []TerminalStats
	st, err := RunTerminal(discard{}, TerminalOptions{Cranes: 3, Rate: 4000, Progress: func(s TerminalStats) { calls = append(calls, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != int(st.Packets/progressEvery) {
		t.Fatalf("%d progress calls for %d frames", len(calls), st.Packets)
	}
	for i, c := range calls {
		if c.Packets != int64(i+1)*progressEvery || c.Bytes <= 0 || c.Conversations <= 0 || c.Bytes > st.Bytes {
			t.Errorf("call %d: %+v", i, c)
		}
	}
}

// BenchmarkTerminalLoad writes a four-crane terminal at 100,000 packets/s
// of capture time into a pcap writer, and reports the generation speed.
func BenchmarkTerminalLoad(b *testing.B) {
	w, err := capture.NewPcapWriter(bufio.NewWriterSize(io.Discard, 1<<20), capture.LinkEthernet, 0, false)
	if err != nil {
		b.Fatal(err)
	}
	tt, err := newTerm(w, TerminalOptions{Cranes: 4, Rate: 100000, Duration: 10000 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	until := tt.start + int64(10*time.Second)
	tt.run(until)
	b.ReportAllocs()
	start, n0, by0 := time.Now(), tt.b.Packets(), tt.b.Bytes()
	for b.Loop() {
		until += int64(time.Millisecond) // about 100 frames
		tt.run(until)
	}
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(tt.b.Packets()-n0)/el, "pkts/s")
	b.ReportMetric(float64(tt.b.Bytes()-by0)/el/1e6, "MB/s")
}
