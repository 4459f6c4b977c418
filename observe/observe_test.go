package observe

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"harborwatch/app"
	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/site"
)

const testSite = `version: 1
facility: {id: t, name: "Test terminal"}
zones:
  - {id: sts01-control, kind: crane-control, crane: STS-01, cidrs: [10.10.1.0/24], vlans: [110]}
  - {id: sts01-cctv, kind: crane-noncritical, crane: STS-01, cidrs: [10.10.2.0/24]}
  - {id: sts02-control, kind: crane-control, crane: STS-02, cidrs: [10.10.11.0/24]}
  - {id: crane-mgmt, kind: crane-management, cidrs: [10.10.9.0/24]}
  - {id: tos, kind: business, cidrs: [10.50.0.0/16]}
  - {id: vendor-cloud, kind: external, cidrs: [198.51.100.0/24]}
cranes:
  - {id: STS-01, manufacturer: ZPMC}
  - {id: STS-02, manufacturer: ZPMC}
assets:
  - {id: plc1, ip: 10.10.1.5, mac: "00:1b:1b:01:00:05", kind: plc, crane: STS-01}
  - {id: fw1, ip: 10.50.0.254, mac: "00:00:5e:00:01:01", kind: firewall}
`

// conn is a flow of 3 packets from the client and 2 from the server,
// from second 1 to second 2 of packet time, its first packets 1 to 3.
func conn(client, server string, transport uint8, a app.App, vlan uint16) Conn {
	cp := netip.MustParseAddrPort(client)
	sp := netip.MustParseAddrPort(server)
	return Conn{
		Client:    Endpoint{IP: cp.Addr(), Port: cp.Port()},
		Server:    Endpoint{IP: sp.Addr(), Port: sp.Port()},
		VLAN:      vlan,
		Transport: transport,
		App:       a,
		First:     1_000_000_000,
		Last:      2_000_000_000,
		Packets:   [2]uint64{3, 2},
		Bytes:     [2]uint64{300, 200},
		Marks:     [MaxConnMarks]finding.Mark{{Packet: 1}, {Packet: 2}, {Packet: 3}},
		NMarks:    3,
	}
}

// TestAssetBehaviour checks what the inventory infers roles from: the
// applications a host serves, the ICS servers it polls, the operations it
// requests and the VLANs its own MAC is on — merged over shards.
func TestAssetBehaviour(t *testing.T) {
	st, err := site.Parse("site.yaml", []byte(testSite))
	if err != nil {
		t.Fatal(err)
	}
	e := New(Options{Site: st})
	hmi := [6]byte{0x3c, 0x52, 0x82, 9, 0, 0x1e}
	plc := [6]byte{0x00, 0x1b, 0x1b, 1, 0, 5}
	poll := func(s *State, server string, a app.App, ops uint32) {
		c := conn("10.10.9.30:40000", server, 6, a, 110)
		c.Client.MAC, c.Client.HasMAC = hmi, true
		c.Server.MAC, c.Server.HasMAC = plc, true
		c.Ops = ops
		s.Flow(&c)
	}
	a, b := e.NewState(), e.NewState()
	poll(a, "10.10.1.5:102", app.S7comm, event.OpBit(event.OpRead))
	poll(b, "10.10.1.6:502", app.Modbus, event.OpBit(event.OpProgramDownload))
	poll(b, "10.10.1.5:102", app.S7comm, event.OpBit(event.OpRead)|event.OpBit(event.OpPLCStop))
	b.Station(plc, netip.MustParseAddr("10.10.1.5"), 110, SourceLLDP, map[string]any{"system_name": "plc1"}, finding.Mark{Packet: 9}, 5)
	a.Station(plc, netip.Addr{}, 110, SourceDCP, map[string]any{"station_name": "plc1-dcp", "system_name": "other"}, finding.Mark{Packet: 3}, 3)
	c := e.NewState()
	c.Station(plc, netip.Addr{}, 110, SourceDCP, nil, finding.Mark{Packet: 1}, 1)
	if !c.Again(plc, SourceDCP, 4) || c.Again(plc, SourceLLDP, 4) || c.stns[plc].frames != 2 || c.stns[plc].last != 4 {
		t.Error("Again does not track sources per state, or does not count the message")
	}
	res := e.Finish([]*State{a, b})
	byIP := map[string]Asset{}
	for _, as := range res.Assets {
		byIP[as.IP.String()] = as
	}
	h := byIP["10.10.9.30"]
	if want := []string{event.OpRead, event.OpProgramDownload, event.OpPLCStop}; !slices.Equal(h.Ops, want) {
		t.Errorf("hmi ops = %v, want %v", h.Ops, want)
	}
	if want := []netip.Addr{netip.MustParseAddr("10.10.1.5"), netip.MustParseAddr("10.10.1.6")}; !slices.Equal(h.Polled, want) {
		t.Errorf("hmi polled = %v, want %v", h.Polled, want)
	}
	if !slices.Equal(h.VLANs, []uint16{110}) || len(h.Served) != 0 {
		t.Errorf("hmi vlans %v served %v", h.VLANs, h.Served)
	}
	if p := byIP["10.10.1.5"]; !slices.Equal(p.Served, []string{"s7comm"}) || len(p.Polled) != 0 || len(p.Ops) != 0 {
		t.Errorf("plc served %v polled %v ops %v", p.Served, p.Polled, p.Ops)
	}
	if len(res.Stations) != 1 {
		t.Fatalf("stations = %+v", res.Stations)
	}
	s := res.Stations[0]
	if s.MAC != "00:1b:1b:01:00:05" || !slices.Equal(s.Sources, []string{SourceLLDP, SourceDCP}) || s.Frames != 2 ||
		!slices.Equal(s.IPs, []netip.Addr{netip.MustParseAddr("10.10.1.5")}) || !slices.Equal(s.VLANs, []uint16{110}) ||
		s.Identity["station_name"] != "plc1-dcp" || s.Identity["system_name"] == nil || s.Evidence.Packet != 3 {
		t.Errorf("station = %+v", s)
	}
}

// TestExternalBound: external addresses are remembered (as candidates for
// devices with public addresses) only up to MaxExternalHosts per state;
// the rest are counted. Those without a MAC are not remembered at all.
func TestExternalBound(t *testing.T) {
	e := New(Options{})
	s := e.NewState()
	client := [6]byte{0x3c, 0x52, 0x82, 9, 0, 0x1e}
	for i := range MaxExternalHosts + 5 {
		c := conn("10.10.9.30:40000", fmt.Sprintf("203.0.%d.%d:443", i/250, i%250+1), 6, app.HTTPS, 0)
		c.Client.MAC, c.Client.HasMAC = client, true
		c.Server.MAC, c.Server.HasMAC = [6]byte{0, 0x1b, 0x17, 0, 0, 1}, true
		s.Flow(&c)
	}
	c := conn("10.10.9.30:40000", "198.51.100.9:443", 6, app.HTTPS, 0) // no MAC
	s.Flow(&c)
	if s.Stats().ExternalDropped != 5 || s.Stats().HostsDropped != 0 {
		t.Errorf("stats %+v", s.Stats())
	}
	res := e.Finish([]*State{s})
	if len(res.Assets) != 1 || res.Stats.ExternalDropped != 5 {
		t.Errorf("%d assets, stats %+v", len(res.Assets), res.Stats)
	}
}

// TestRoutersAndMultiHomed: a MAC carrying addresses of several zones is a
// router when it carries more than RouterAddresses of them or is a
// first-hop redundancy MAC, is left alone when the site declares it for a
// forwarding device, and is otherwise multi-homed, with its bindings in
// order of first sight — merged over shards. A host seen only behind a
// router takes no MAC of its own, and an IPv6 link-local address is no
// second zone.
func TestRoutersAndMultiHomed(t *testing.T) {
	st, err := site.Parse("site.yaml", []byte(testSite+"  - {id: l3, ip: 10.50.0.253, mac: \"00:0e:8c:00:00:01\", kind: layer3-switch}\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := New(Options{Site: st})
	a, b := e.NewState(), e.NewState()
	var (
		router = [6]byte{0x00, 0x0e, 0x8c, 0, 0, 0x42} // undeclared
		vrrp   = [6]byte{0x00, 0x00, 0x5e, 0x00, 0x01, 0x07}
		l3     = [6]byte{0x00, 0x0e, 0x8c, 0, 0, 0x01} // declared layer3-switch
		cms    = [6]byte{0x3c, 0x52, 0x82, 9, 0, 0x23}
		peer   = [6]byte{0x3c, 0x52, 0x82, 9, 0, 0x28}
		hmi    = [6]byte{0x3c, 0x52, 0x82, 9, 0, 0x60} // dual-stack: IPv4 and an IPv6 link-local
	)
	n := int64(0)
	flow := func(s *State, client string, mac [6]byte, first int64) {
		n++
		c := conn(client+":40000", "10.10.9.40:443", 6, app.HTTPS, 0)
		c.Client.MAC, c.Client.HasMAC = mac, true
		c.Server.MAC, c.Server.HasMAC = peer, true
		c.First, c.Marks[0] = first, finding.Mark{Packet: n}
		s.Flow(&c)
	}
	for i := range RouterAddresses + 1 {
		flow([]*State{a, b}[i%2], fmt.Sprintf("10.50.0.%d", i+1), router, int64(i+1)*1e9)
	}
	flow(a, "10.10.9.50", router, 9e9)
	flow(b, "10.50.0.20", vrrp, 1e9)
	flow(a, "10.10.9.51", vrrp, 2e9)
	flow(a, "10.50.0.30", l3, 1e9)
	flow(b, "10.10.9.52", l3, 2e9)
	flow(b, "10.50.3.3", cms, 5e9)
	flow(a, "10.10.9.35", cms, 4e9)
	flow(a, "10.10.9.60", hmi, 3e9)
	flow(b, "[fe80::3e52:82ff:fe09:60]", hmi, 3e9)
	res := e.Finish([]*State{a, b})

	if want := []string{"00:00:5e:00:01:07", "00:0e:8c:00:00:42"}; !slices.Equal(res.Routers, want) {
		t.Errorf("routers = %v, want %v", res.Routers, want)
	}
	if len(res.MultiHomed) != 1 || res.MultiHomed[0].MAC != cms {
		t.Fatalf("multi-homed = %+v", res.MultiHomed)
	}
	var got []string
	for _, bd := range res.MultiHomed[0].Bindings {
		got = append(got, fmt.Sprintf("%s %s %d %d %d", bd.IP, bd.Zone.ID, bd.VLAN, bd.TS, bd.Mark.Packet))
	}
	if want := []string{"10.10.9.35 crane-mgmt 0 4000000000 12", "10.50.3.3 tos 0 5000000000 11"}; !slices.Equal(got, want) {
		t.Errorf("bindings = %q, want %q", got, want)
	}
	for _, as := range res.Assets {
		if as.IP == netip.MustParseAddr("10.50.0.1") {
			if as.MAC != "" || !slices.Equal(as.MACs, []string{"00:0e:8c:00:00:42"}) {
				t.Errorf("host behind the router: mac %q, macs %v", as.MAC, as.MACs)
			}
			return
		}
	}
	t.Error("no asset 10.50.0.1")
}

// TestEndpointHost: a host is named by its zone, its MAC when seen, and the
// site's asset with its address, else with its MAC.
func TestEndpointHost(t *testing.T) {
	st, err := site.Parse("site.yaml", []byte(testSite))
	if err != nil {
		t.Fatal(err)
	}
	plc := [6]byte{0x00, 0x1b, 0x1b, 1, 0, 5}
	z := st.ZoneByID("sts01-control")
	for _, tc := range []struct {
		name string
		ep   Endpoint
		want finding.Host
	}{
		{"by address", Endpoint{IP: netip.MustParseAddr("10.10.1.5")},
			finding.Host{IP: netip.MustParseAddr("10.10.1.5"), Zone: "sts01-control", Asset: "plc1"}},
		{"by MAC", Endpoint{IP: netip.MustParseAddr("10.10.1.55"), MAC: plc, HasMAC: true},
			finding.Host{IP: netip.MustParseAddr("10.10.1.55"), MAC: "00:1b:1b:01:00:05", Zone: "sts01-control", Asset: "plc1"}},
		{"unknown", Endpoint{IP: netip.MustParseAddr("10.10.1.56"), MAC: [6]byte{2}, HasMAC: true},
			finding.Host{IP: netip.MustParseAddr("10.10.1.56"), MAC: "02:00:00:00:00:00", Zone: "sts01-control"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.ep.Host(st, z); got != tc.want {
				t.Errorf("Host = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestZonePerVLAN: an address in no zone's CIDRs is in the zone of the
// VLAN it is seen on; each binding of its MAC keeps the zone of its own
// VLAN, whichever VLAN the host was first seen on.
func TestZonePerVLAN(t *testing.T) {
	st, err := site.Parse("site.yaml", []byte(strings.Replace(testSite, "cranes:", "  - {id: sts01-io, kind: crane-control, crane: STS-01, vlans: [130]}\ncranes:", 1)))
	if err != nil {
		t.Fatal(err)
	}
	e := New(Options{Site: st})
	s := e.NewState()
	mac := [6]byte{0x3c, 0x52, 0x82, 7, 7, 7}
	ip := netip.MustParseAddr("192.168.7.7")
	for i, vlan := range []uint16{130, 0, 130, 0} {
		s.ARP(mac, ip, vlan, finding.Mark{Packet: int64(i + 1)}, int64(i+1)*1e9)
	}
	res := e.Finish([]*State{s})
	if len(res.MultiHomed) != 1 {
		t.Fatalf("multi-homed = %+v", res.MultiHomed)
	}
	var got []string
	for _, b := range res.MultiHomed[0].Bindings {
		got = append(got, fmt.Sprintf("%d %s %d", b.VLAN, b.Zone.ID, b.Mark.Packet))
	}
	if want := []string{"130 sts01-io 1", "0 unzoned 2"}; !slices.Equal(got, want) {
		t.Errorf("bindings %q, want %q", got, want)
	}
	if len(res.Assets) != 1 || res.Assets[0].Zone != "sts01-io" || res.Assets[0].Packets != 4 {
		t.Errorf("assets %+v", res.Assets)
	}
}
