package detect

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"harborwatch/app"
	"harborwatch/event"
	"harborwatch/site"
)

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
	b.Station(plc, netip.MustParseAddr("10.10.1.5"), 110, SourceLLDP, map[string]any{"system_name": "plc1"}, Mark{Packet: 9}, 5)
	a.Station(plc, netip.Addr{}, 110, SourceDCP, map[string]any{"station_name": "plc1-dcp", "system_name": "other"}, Mark{Packet: 3}, 3)
	c := e.NewState()
	c.Station(plc, netip.Addr{}, 110, SourceDCP, nil, Mark{Packet: 1}, 1)
	if !c.Again(plc, SourceDCP, 4) || c.Again(plc, SourceLLDP, 4) || c.stns[plc].frames != 2 || c.stns[plc].last != 4 {
		t.Error("Again does not track sources per state, or does not count the message")
	}
	res := e.Finish([]*State{a, b}, []string{"x.pcap"})
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
	res := e.Finish([]*State{s}, nil)
	if len(res.Assets) != 1 || res.Stats.ExternalDropped != 5 {
		t.Errorf("%d assets, stats %+v", len(res.Assets), res.Stats)
	}
}
