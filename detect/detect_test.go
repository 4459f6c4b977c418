package detect

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"harborwatch/app"
	"harborwatch/finding"
	"harborwatch/observe"
	"harborwatch/site"
)

const testSite = `version: 1
facility: {id: t, name: "Test terminal"}
zones:
  - {id: sts01-control, kind: crane-control, crane: STS-01, cidrs: [10.10.1.0/24], vlans: [110]}
  - {id: sts01-cctv, kind: crane-noncritical, crane: STS-01, cidrs: [10.10.2.0/24]}
  - {id: sts02-control, kind: crane-control, crane: STS-02, cidrs: [10.10.11.0/24]}
  - {id: crane-mgmt, kind: crane-management, cidrs: [10.10.9.0/24]}
  - {id: rcms, kind: remote-access, cidrs: [10.20.0.0/28]}
  - {id: tos, kind: business, cidrs: [10.50.0.0/16]}
  - {id: vendor-cloud, kind: external, cidrs: [198.51.100.0/24]}
conduits:
  - {from: crane-mgmt, to: "kind:crane-control", protocols: [s7comm, modbus], ports: [102, 502]}
  - {from: rcms, to: crane-mgmt, protocols: [rdp]}
  - {from: tos, to: crane-mgmt, protocols: [https], ports: [443]}
  - {from: tos, to: crane-mgmt, protocols: [tcp/8443]}
  - {from: sts02-control, to: vendor-cloud, protocols: [https]}
cranes:
  - {id: STS-01, manufacturer: ZPMC}
  - {id: STS-02, manufacturer: ZPMC}
assets:
  - {id: plc1, ip: 10.10.1.5, mac: "00:1b:1b:01:00:05", kind: plc, crane: STS-01}
  - {id: fw1, ip: 10.50.0.254, mac: "00:00:5e:00:01:01", kind: firewall}
remote_access: {gateways: [10.20.0.10]}
prohibited: {domains: [example-bad.cn], cidrs: [192.0.2.0/24]}
`

// shard is one pipeline shard as the tests drive it: its detection State
// and, beside it, the observation state the host-level rules read.
type shard struct {
	*State
	obs *observe.State
}

// Flow ends a flow as the pipeline does: its hosts are observed and the
// flow is judged.
func (s shard) Flow(c *observe.Conn) {
	s.obs.Flow(c)
	s.State.Flow(c)
}

// engines are a run's detection and observation engines.
type engines struct {
	det *Engine
	obs *observe.Engine
}

func newEngines(st *site.Site) engines {
	return engines{det: New(Options{Site: st}), obs: observe.New(observe.Options{Site: st})}
}

func (e engines) shard() shard { return shard{State: e.det.NewState(), obs: e.obs.NewState()} }

// finish merges the shards as the pipeline does: observations first, then
// the findings, host-level ones judged over the observations.
func (e engines) finish(shards []shard, captures []string) *Result {
	var ds []*State
	var os []*observe.State
	for _, s := range shards {
		ds, os = append(ds, s.State), append(os, s.obs)
	}
	return e.det.Finish(ds, e.obs.Finish(os), captures)
}

// op is one thing the pipeline tells a shard.
type op func(s shard)

func flowOp(client, server string, transport uint8, a app.App, vlan uint16) op {
	return func(s shard) {
		c := conn(client, server, transport, a, vlan)
		s.Flow(&c)
	}
}

func conn(client, server string, transport uint8, a app.App, vlan uint16) observe.Conn {
	cp := netip.MustParseAddrPort(client)
	sp := netip.MustParseAddrPort(server)
	c := observe.Conn{
		Client:    observe.Endpoint{IP: cp.Addr(), Port: cp.Port()},
		Server:    observe.Endpoint{IP: sp.Addr(), Port: sp.Port()},
		VLAN:      vlan,
		Transport: transport,
		App:       a,
		First:     1_000_000_000,
		Last:      2_000_000_000,
		Packets:   [2]uint64{3, 2},
		Bytes:     [2]uint64{300, 200},
		Marks:     [observe.MaxConnMarks]finding.Mark{{Packet: 1}, {Packet: 2}, {Packet: 3}},
		NMarks:    3,
	}
	return c
}

func withMAC(o op, client, server string, transport uint8, a app.App, vlan uint16, cmac, smac [6]byte) op {
	return func(s shard) {
		c := conn(client, server, transport, a, vlan)
		c.Client.MAC, c.Client.HasMAC = cmac, true
		c.Server.MAC, c.Server.HasMAC = smac, true
		s.Flow(&c)
	}
}

func nameOp(client, server string, a app.App, via, name string) op {
	return func(s shard) {
		c := conn(client, server, 17, a, 0)
		s.Name(&c, via, []byte(name), finding.Mark{Packet: 7}, 1_500_000_000)
	}
}

func fileOpOf(client, server string, a app.App, fop, name string) op {
	return func(s shard) {
		transport := uint8(6)
		if a == app.TFTP {
			transport = 17
		}
		c := conn(client, server, transport, a, 0)
		s.File(&c, fop, []byte(name), finding.Mark{Packet: 9}, 1_500_000_000)
	}
}

// summary renders findings as "severity rule src>dst app" lines.
func summary(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		dst := ""
		if f.Dst.IP.IsValid() {
			dst = f.Dst.IP.String()
		}
		out = append(out, fmt.Sprintf("%s %s %s>%s %s", f.Severity, f.Rule, f.Src.IP, dst, f.App))
	}
	return out
}

var (
	macA = [6]byte{0x3c, 0x52, 0x82, 0, 0, 0x99}
	macB = [6]byte{0x3c, 0x52, 0x82, 0, 0, 0x98}
	macC = [6]byte{0x3c, 0x52, 0x82, 0, 0, 0x97}
	macR = [6]byte{0x00, 0x00, 0x5e, 0x00, 0x01, 0x01}
	macX = [6]byte{0x00, 0x0e, 0x8c, 0x01, 0x00, 0x63}
	mac5 = [6]byte{0x00, 0x1b, 0x1b, 0x01, 0x00, 0x05}
)

func TestRules(t *testing.T) {
	st, err := site.Parse("test.yaml", []byte(testSite))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ops  []op
		want []string
	}{
		{"cross-zone fires: business to crane control",
			[]op{flowOp("10.50.7.77:40000", "10.10.1.5:102", 6, app.S7comm, 0)},
			[]string{"critical segmentation.cross-zone 10.50.7.77>10.10.1.5 s7comm"}},
		{"cross-zone: ICMP echo into crane control is medium, not critical",
			[]op{flowOp("10.50.7.77:0", "10.10.1.5:0", 1, app.Unknown, 0)},
			[]string{"medium segmentation.cross-zone 10.50.7.77>10.10.1.5 icmp"}},
		{"cross-zone: ICMPv6 and other IP protocols between non-crane zones are low",
			[]op{flowOp("192.168.5.5:0", "10.50.1.10:0", 58, app.Unknown, 0),
				flowOp("192.168.5.6:0", "10.50.1.11:0", 47, app.Unknown, 0)},
			[]string{"low segmentation.cross-zone 192.168.5.5>10.50.1.10 icmpv6", "low segmentation.cross-zone 192.168.5.6>10.50.1.11 ip/47"}},
		{"cross-zone: ICMP with an ICS flow beside it, the ICS flow stays critical",
			[]op{flowOp("10.50.7.77:0", "10.10.1.5:0", 1, app.Unknown, 0),
				flowOp("10.50.7.77:40000", "10.10.1.5:502", 6, app.Modbus, 0)},
			[]string{"medium segmentation.cross-zone 10.50.7.77>10.10.1.5 icmp", "critical segmentation.cross-zone 10.50.7.77>10.10.1.5 modbus"}},
		{"egress: ICMP from crane control to the internet is medium",
			[]op{flowOp("10.10.11.5:0", "203.0.113.9:0", 1, app.Unknown, 0)},
			[]string{"medium egress.external 10.10.11.5>203.0.113.9 icmp"}},
		{"cross-zone fires high: business to crane management on a port no conduit allows",
			[]op{flowOp("10.50.7.77:40000", "10.10.9.30:80", 6, app.HTTP, 0)},
			[]string{"high segmentation.cross-zone 10.50.7.77>10.10.9.30 http"}},
		{"cross-zone silent: conduit allows management to control",
			[]op{flowOp("10.10.9.20:40000", "10.10.1.5:102", 6, app.S7comm, 0),
				flowOp("10.10.9.20:40001", "10.10.11.5:502", 6, app.Modbus, 0)},
			nil},
		{"cross-zone silent: same zone",
			[]op{flowOp("10.50.7.77:40000", "10.50.1.10:445", 6, app.SMB, 0)},
			nil},
		{"cross-zone fires: conduit direction matters",
			[]op{flowOp("10.10.1.5:40000", "10.10.9.20:102", 6, app.S7comm, 0)},
			[]string{"critical segmentation.cross-zone 10.10.1.5>10.10.9.20 s7comm"}},
		{"cross-zone: tcp/PORT conduit allows an unidentified flow, not another port",
			[]op{flowOp("10.50.7.77:40000", "10.10.9.30:8443", 6, app.Unknown, 0),
				flowOp("10.50.7.77:40000", "10.10.9.30:8444", 6, app.Unknown, 0)},
			[]string{"high segmentation.cross-zone 10.50.7.77>10.10.9.30 tcp/8444"}},
		{"cross-zone silent: broadcast and multicast destinations",
			[]op{flowOp("10.10.1.5:68", "255.255.255.255:67", 17, app.Unknown, 0),
				flowOp("10.50.7.77:5353", "224.0.0.251:5353", 17, app.DNS, 0)},
			nil},
		{"cross-zone fires medium between unzoned and a declared zone",
			[]op{flowOp("192.168.5.5:40000", "10.50.1.10:80", 6, app.HTTP, 0)},
			[]string{"medium segmentation.cross-zone 192.168.5.5>10.50.1.10 http"}},
		{"cross-zone: VLAN-less address on a declared VLAN of control",
			[]op{flowOp("10.50.7.77:40000", "10.10.2.11:554", 6, app.RTSP, 0)},
			[]string{"high segmentation.cross-zone 10.50.7.77>10.10.2.11 rtsp"}},
		{"egress fires: crane control to the internet",
			[]op{flowOp("10.10.11.5:40000", "203.0.113.9:443", 6, app.HTTPS, 0)},
			[]string{"critical egress.external 10.10.11.5>203.0.113.9 https"}},
		{"egress fires: inbound from the internet into crane management",
			[]op{flowOp("203.0.113.9:40000", "10.10.9.30:3389", 6, app.RDP, 0)},
			[]string{"high egress.external 203.0.113.9>10.10.9.30 rdp",
				"high remote-access.unmanaged 203.0.113.9>10.10.9.30 rdp"}},
		{"egress silent: conduit to a declared external zone",
			[]op{flowOp("10.10.11.5:40000", "198.51.100.23:443", 6, app.HTTPS, 0)},
			nil},
		{"egress silent: business to the internet",
			[]op{flowOp("10.50.7.77:40000", "203.0.113.9:443", 6, app.HTTPS, 0)},
			nil},
		{"remote access fires: RDP not from the gateway (plus cross-zone)",
			[]op{flowOp("10.50.7.77:40000", "10.10.9.30:3389", 6, app.RDP, 0)},
			[]string{"high remote-access.unmanaged 10.50.7.77>10.10.9.30 rdp",
				"high segmentation.cross-zone 10.50.7.77>10.10.9.30 rdp"}},
		{"remote access silent: RDP from the gateway through its conduit",
			[]op{flowOp("10.20.0.10:40000", "10.10.9.30:3389", 6, app.RDP, 0)},
			nil},
		{"remote access fires: TeamViewer dialling out from crane management",
			[]op{flowOp("10.10.9.20:40000", "188.172.219.133:5938", 6, app.TeamViewer, 0)},
			[]string{"high egress.external 10.10.9.20>188.172.219.133 teamviewer",
				"high remote-access.unmanaged 10.10.9.20>188.172.219.133 teamviewer"}},
		{"remote access silent: SSH inside business",
			[]op{flowOp("10.50.7.77:40000", "10.50.1.10:22", 6, app.SSH, 0)},
			nil},
		{"file transfer fires with file names",
			[]op{fileOpOf("10.10.9.20:40000", "10.10.1.20:21", app.FTP, "upload", "spreader.cfg"),
				flowOp("10.10.9.20:40000", "10.10.1.20:21", 6, app.FTP, 0)},
			[]string{"critical file-transfer.insecure 10.10.9.20>10.10.1.20 ftp",
				"critical segmentation.cross-zone 10.10.9.20>10.10.1.20 ftp",
				"high inventory.unknown-device 10.10.1.20> "}},
		{"file transfer silent outside crane zones",
			[]op{fileOpOf("10.50.7.77:40000", "10.50.1.10:445", app.SMB, "upload", "x.docx"),
				flowOp("10.50.7.77:40000", "10.50.1.10:445", 6, app.SMB, 0)},
			nil},
		{"prohibited fires: builtin LOGINK name by DNS and TLS",
			[]op{nameOp("10.50.1.10:40000", "10.40.0.53:53", app.DNS, "dns", "gateway.logink.cn"),
				nameOp("10.50.1.10:40001", "203.0.113.80:443", app.HTTPS, "tls", "GATEWAY.LOGINK.CN.")},
			[]string{"high prohibited.destination 10.50.1.10>10.40.0.53 dns",
				"high prohibited.destination 10.50.1.10>203.0.113.80 https"}},
		{"prohibited fires: site domain and CIDR",
			[]op{nameOp("10.50.1.10:40000", "203.0.113.81:80", app.HTTP, "http", "www.example-bad.cn"),
				flowOp("10.50.1.10:40000", "192.0.2.15:443", 6, app.HTTPS, 0)},
			[]string{"high prohibited.destination 10.50.1.10>192.0.2.15 https",
				"high prohibited.destination 10.50.1.10>203.0.113.81 http"}},
		{"prohibited silent: look-alike names",
			[]op{nameOp("10.50.1.10:40000", "10.40.0.53:53", app.DNS, "dns", "notlogink.cn"),
				nameOp("10.50.1.10:40000", "10.40.0.53:53", app.DNS, "dns", "logink.cn.example.com")},
			nil},
		{"multi-homed fires: one MAC in management and business",
			[]op{withMAC(nil, "10.10.9.35:40000", "10.10.9.30:443", 6, app.HTTPS, 0, macA, macB),
				withMAC(nil, "10.50.3.3:40000", "10.50.1.10:443", 6, app.HTTPS, 0, macA, macC)},
			[]string{"high segmentation.multi-homed 10.10.9.35>10.50.3.3 "}},
		{"multi-homed fires critical across VLANs into control",
			[]op{withMAC(nil, "10.10.1.5:40000", "10.10.1.6:502", 6, app.Modbus, 110, mac5, macB),
				withMAC(nil, "10.10.1.5:40001", "10.10.1.7:502", 6, app.Modbus, 111, mac5, macC)},
			[]string{"critical segmentation.multi-homed 10.10.1.5>10.10.1.5 ",
				// 10.10.1.6 and .7 are not in the inventory of a zone that has one
				"high inventory.unknown-device 10.10.1.6> ",
				"high inventory.unknown-device 10.10.1.7> "}},
		{"multi-homed silent: a declared firewall routes for both zones",
			[]op{withMAC(nil, "10.50.1.12:40000", "10.10.9.32:443", 6, app.HTTPS, 0, macR, macB),
				withMAC(nil, "10.10.9.30:40000", "10.10.1.5:102", 6, app.S7comm, 0, macA, macR)},
			nil},
		{"multi-homed silent: an undeclared router with many addresses",
			func() []op {
				var ops []op
				for i := range 6 {
					ops = append(ops, withMAC(nil, fmt.Sprintf("10.50.0.%d:40000", i+1), fmt.Sprintf("10.10.9.%d:443", 40+i), 6, app.HTTPS, 0, macX, macB))
				}
				return append(ops, withMAC(nil, "10.10.9.99:40000", "10.10.9.40:443", 6, app.HTTPS, 0, macX, macB))
			}(),
			nil},
		{"multi-homed silent: a VRRP gateway MAC carries two zones' addresses",
			[]op{withMAC(nil, "10.50.1.12:40000", "10.10.9.32:443", 6, app.HTTPS, 0, [6]byte{0, 0, 0x5e, 0, 1, 7}, macB),
				withMAC(nil, "10.10.9.30:40000", "10.50.1.13:443", 6, app.HTTPS, 0, macA, [6]byte{0, 0, 0x5e, 0, 1, 7})},
			[]string{"high segmentation.cross-zone 10.10.9.30>10.50.1.13 https"}},
		{"unknown device fires in a crane zone with declared assets",
			[]op{withMAC(nil, "10.10.1.99:40000", "10.10.1.5:502", 6, app.Modbus, 110, macX, mac5)},
			[]string{"high inventory.unknown-device 10.10.1.99> "}},
		{"unknown device silent where the zone declares no assets",
			[]op{flowOp("10.10.11.99:40000", "10.10.11.5:502", 6, app.Modbus, 0)},
			nil},
		{"unknown device silent for a declared asset known by MAC only",
			[]op{withMAC(nil, "10.10.1.55:40000", "10.10.1.5:502", 6, app.Modbus, 110, mac5, mac5)},
			nil},
		{"ARP sender counts as a device",
			[]op{func(s shard) {
				s.obs.ARP(macX, netip.MustParseAddr("10.10.1.98"), 110, finding.Mark{Packet: 4}, 1_000_000_000)
			}},
			[]string{"high inventory.unknown-device 10.10.1.98> "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngines(st)
			s := e.shard()
			for _, o := range tt.ops {
				o(s)
			}
			got := summary(e.finish([]shard{s}, []string{"t.pcap"}).Findings)
			want := slices.Clone(tt.want)
			slices.Sort(got)
			slices.Sort(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("findings:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestAggregationAndEvidence(t *testing.T) {
	st, err := site.Parse("test.yaml", []byte(testSite))
	if err != nil {
		t.Fatal(err)
	}
	e := newEngines(st)
	// The same violation over 10 flows, split over two shards in two orders:
	// one finding, count 10, the 20 earliest packets as evidence, whatever
	// the sharding.
	run := func(shards int, reverse bool) finding.Finding {
		states := make([]shard, shards)
		for i := range states {
			states[i] = e.shard()
		}
		for i := range 10 {
			j := i
			if reverse {
				j = 9 - i
			}
			c := conn(fmt.Sprintf("10.50.7.77:%d", 40000+j), "10.10.1.5:102", 6, app.S7comm, 0)
			c.First = int64(j+1) * 1e9
			c.Last = c.First + 5e8
			for k := range c.Marks {
				c.Marks[k] = finding.Mark{File: int32(j % 2), Packet: int64(j*10 + k + 1)}
			}
			c.NMarks = observe.MaxConnMarks
			states[j%shards].Flow(&c)
		}
		fs := e.finish(states, []string{"a.pcap", "b.pcap"}).Findings
		if len(fs) != 1 {
			t.Fatalf("%d findings, want 1", len(fs))
		}
		return fs[0]
	}
	a := run(1, false)
	b := run(2, true)
	if a.Count != 10 || b.Count != 10 {
		t.Errorf("count %d, %d; want 10", a.Count, b.Count)
	}
	if fmt.Sprint(a.Evidence) != fmt.Sprint(b.Evidence) {
		t.Errorf("evidence depends on sharding:\n%v\n%v", a.Evidence, b.Evidence)
	}
	n := 0
	for _, ev := range a.Evidence {
		n += len(ev.Packets)
	}
	if n != finding.MaxEvidence {
		t.Errorf("%d evidence packets, want %d", n, finding.MaxEvidence)
	}
	want := []int64{1, 2, 3, 4, 21, 22, 23, 24, 41, 42, 43, 44, 61, 62, 63, 64, 81, 82, 83, 84}
	if len(a.Evidence) != 1 || a.Evidence[0].Capture != "a.pcap" || a.Evidence[0].SHA256 != "" || !slices.Equal(a.Evidence[0].Packets, want) {
		t.Errorf("evidence %v, want [{a.pcap %v}]", a.Evidence, want)
	}
	if !a.FirstSeen.Equal(b.FirstSeen) || a.FirstSeen.Unix() != 1 || a.LastSeen.UnixNano() != 10_500_000_000 {
		t.Errorf("first/last seen %v %v", a.FirstSeen, a.LastSeen)
	}
	if a.ID != b.ID || !strings.HasPrefix(a.ID, "HW-") {
		t.Errorf("ids %q %q", a.ID, b.ID)
	}
	if a.Detail["packets"] != uint64(50) {
		t.Errorf("packets %v, want 50", a.Detail["packets"])
	}
	if !slices.Equal(a.Controls, []string{"MSCI-SEG-1", "MSCI-SEG-2", "MSCI-NET-1", "USCG-SEG-1", "USCG-SEG-2"}) {
		t.Errorf("controls %v", a.Controls)
	}
}

func TestFileNamesInDetail(t *testing.T) {
	st, err := site.Parse("test.yaml", []byte(testSite))
	if err != nil {
		t.Fatal(err)
	}
	e := newEngines(st)
	s := e.shard()
	for _, n := range []string{"b.bin", "a.bin", "b.bin"} {
		fileOpOf("10.50.7.77:40000", "10.10.1.5:69", app.TFTP, "upload", n)(s)
	}
	c := conn("10.50.7.77:40000", "10.10.1.5:69", 17, app.TFTP, 0)
	s.Flow(&c)
	var ft *finding.Finding
	res := e.finish([]shard{s}, []string{"t.pcap"})
	for i := range res.Findings {
		if res.Findings[i].Rule == finding.RuleFileTransfer {
			ft = &res.Findings[i]
		}
	}
	if ft == nil {
		t.Fatal("no file-transfer finding")
	}
	got := fmt.Sprint(ft.Detail["files"])
	if got != "[map[name:b.bin op:upload] map[name:a.bin op:upload]]" {
		t.Errorf("files %s", got)
	}
	if ft.Src.Zone != "tos" || ft.Dst.Zone != "sts01-control" || ft.Dst.Asset != "plc1" || ft.Transport != "udp" || ft.DPort != 69 {
		t.Errorf("hosts %+v %+v %s/%d", ft.Src, ft.Dst, ft.Transport, ft.DPort)
	}
}

func TestSeverityText(t *testing.T) {
	for _, s := range []finding.Severity{finding.Low, finding.Medium, finding.High, finding.Critical} {
		b, _ := s.MarshalText()
		var back finding.Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v round trip: %v %v", s, back, err)
		}
	}
	if _, err := finding.ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity accepted severe")
	}
}
