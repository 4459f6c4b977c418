package learn

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"harborwatch/event"
	"harborwatch/inventory"
	"harborwatch/site"
)

var t0 = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// small builds a learner with a PLC subnet, a management subnet polling
// it, and a business host downloading a program into it.
func small() (*Learner, *inventory.Inventory) {
	l := New()
	for i := range 20 {
		l.Flow(&Flow{Client: ap("10.1.9.20:40000"), Server: ap("10.1.1.5:502"), Transport: 6, App: "modbus", Packets: 10, First: t0, Last: t0.Add(time.Second)})
		l.Op(&Op{Client: netip.MustParseAddr("10.1.9.20"), Server: netip.MustParseAddr("10.1.1.5"), Port: 502, Proto: "modbus", Op: event.OpRead, TS: t0.Add(time.Duration(i) * time.Second)})
	}
	l.Op(&Op{Client: netip.MustParseAddr("10.1.9.20"), Server: netip.MustParseAddr("10.1.1.5"), Port: 502, Proto: "modbus", Op: event.OpWrite, TS: t0})
	l.Flow(&Flow{Client: ap("10.2.7.7:50000"), Server: ap("10.1.1.5:102"), Transport: 6, App: "s7comm", Packets: 30, First: t0, Last: t0})
	l.Op(&Op{Client: netip.MustParseAddr("10.2.7.7"), Server: netip.MustParseAddr("10.1.1.5"), Port: 102, Proto: "s7comm", Op: event.OpProgramDownload, TS: t0})
	l.Flow(&Flow{Client: ap("10.1.1.5:50000"), Server: ap("198.51.100.1:443"), Transport: 6, App: "https", Packets: 5, First: t0, Last: t0})
	l.Flow(&Flow{Client: ap("10.1.1.5:50000"), Server: ap("255.255.255.255:67"), Transport: 17, App: "udp/67", First: t0, Last: t0})
	inv := &inventory.Inventory{Assets: []inventory.Asset{
		{ID: "a", IPs: []netip.Addr{netip.MustParseAddr("10.1.1.5")}, MACs: []string{"00:1b:1b:00:00:05"}, Vendor: "Siemens", Model: "S7-1500", Kind: "plc",
			Roles: []inventory.Role{{Role: inventory.RolePLC, Evidence: "serves modbus"}}, Addresses: []inventory.Address{{IP: netip.MustParseAddr("10.1.1.5"), VLANs: []uint16{110}}}},
	}}
	return l, inv
}

func TestDraft(t *testing.T) {
	l, inv := small()
	d, err := l.Draft(Options{Inventory: inv, Captures: []string{"x.pcap"}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := site.Parse("draft.yaml", d.YAML)
	if err != nil {
		t.Fatalf("%v\n%s", err, d.YAML)
	}
	kinds := map[string]site.ZoneKind{}
	for _, z := range st.Zones {
		kinds[z.ID] = z.Kind
	}
	want := map[string]site.ZoneKind{"control-v110": site.KindCraneControl, "mgmt-10-1-9": site.KindCraneManagement, "business-10-2-7": site.KindBusiness}
	if len(kinds) != len(want) {
		t.Fatalf("zones %v, want %v\n%s", kinds, want, d.YAML)
	}
	for id, k := range want {
		if kinds[id] != k {
			t.Errorf("zone %s: %q, want %q", id, kinds[id], k)
		}
	}
	y := string(d.YAML)
	for _, s := range []string{
		"  - {from: mgmt-10-1-9, to: control-v110, protocols: [\"modbus\"], ports: [502], operations: [read, write]}\n",
		// the download is not allowed: the conduit allows reads only
		"  - {from: business-10-2-7, to: control-v110, protocols: [\"s7comm\"], ports: [102], operations: [read]}\n",
		"# review: program-download from 10.2.7.7 (business-10-2-7) to 10.1.1.5 (control-v110) over s7comm, once (2026-11-03T09:00:00Z): engineering operation from outside a management zone\n",
		"# review: internet traffic from crane-control zone control-v110: 10.1.1.5 to 198.51.100.1, https/443, 1 flow\n",
		"  - {id: plc-10-1-1-5, ip: 10.1.1.5, mac: \"00:1b:1b:00:00:05\", kind: \"plc\", vendor: \"Siemens\", model: \"S7-1500\"}\n",
		"(22 flows, 22 ICS requests)",
	} {
		if !strings.Contains(y, s) {
			t.Errorf("draft lacks %q:\n%s", s, y)
		}
	}
	if l.Skipped != 1 {
		t.Errorf("skipped %d, want 1 (the broadcast)", l.Skipped)
	}
	if st.AllowsOp(st.ZoneByID("business-10-2-7"), st.ZoneByID("control-v110"), "s7comm", 102, event.OpProgramDownload, t0) {
		t.Error("the draft allows the program download")
	}
}

// TestDraftHostileText: what devices say of themselves — newlines,
// quotes, comment marks, control characters, YAML syntax — stays inside
// its value or comment.
func TestDraftHostileText(t *testing.T) {
	l, inv := small()
	evil := "Siemens\"\n- {id: x}\r\n# review: fake\x00\x1b[31m: {a: [b"
	inv.Assets[0].Vendor, inv.Assets[0].Model, inv.Assets[0].Firmware = evil, evil, evil
	inv.Assets[0].Roles[0].Evidence = evil
	inv.Assets[0].OUIOrg = evil
	d, err := l.Draft(Options{Inventory: inv, Captures: []string{"a\nb.pcap"}, Facility: evil})
	if err != nil {
		t.Fatal(err)
	}
	st, err := site.Parse("draft.yaml", d.YAML)
	if err != nil {
		t.Fatalf("%v\n%s", err, d.YAML)
	}
	if len(st.Assets) != 3 || st.Assets[0].Vendor != strings.TrimSpace(evil) && st.Assets[0].Vendor != evil {
		t.Errorf("assets %d, vendor %q", len(st.Assets), st.Assets[0].Vendor)
	}
	if strings.Contains(string(d.YAML), "\n# review: fake") || strings.Contains(string(d.YAML), "\x1b") {
		t.Errorf("hostile text escaped its place:\n%s", d.YAML)
	}
}

func TestCover(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"10.50.1.0/24", "10.50.3.0/24", "10.50.7.0/24"}, "10.50.0.0/21"},
		{[]string{"10.50.1.0/24", "10.50.0.0/24"}, "10.50.0.0/23"},
		{[]string{"10.50.1.0/24"}, "10.50.1.0/24"},
		{[]string{"fd00:1::/64", "fd00:1:0:2::/64"}, "fd00:1::/62"},
	} {
		var ps []netip.Prefix
		for _, s := range tc.in {
			ps = append(ps, netip.MustParsePrefix(s))
		}
		if got := cover(ps); got.String() != tc.want {
			t.Errorf("cover(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

var fuzzSiteText = []byte("version: 1\nzones:\n  - {id: a, kind: business, cidrs: [10.1.9.0/24], vlans: [110]}\nconduits:\n  - {from: a, to: a}\n")

var fuzzSite = func() *site.Site {
	s, err := site.Parse("fuzz.yaml", fuzzSiteText)
	if err != nil {
		panic(err)
	}
	return s
}()

// FuzzDraft: whatever the flows and the inventory say, the draft loads
// as a site model, alone or extending a site (whose lines stay).
func FuzzDraft(f *testing.F) {
	f.Add("Siemens", "S7-1500", "modbus", uint16(502), []byte{10, 1, 1, 5}, []byte{10, 1, 9, 20}, uint16(110), "read")
	f.Add("a\"\n#b", "{[", "tcp/1", uint16(0), []byte{192, 168, 0, 255}, []byte{172, 16, 0, 1}, uint16(4095), "program-download")
	f.Add("", "", "", uint16(65535), []byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, []byte{10, 0, 0, 1}, uint16(0), "")
	f.Add("x", "y", "icmp", uint16(0), []byte{10, 1, 1, 5}, []byte{10, 2, 1, 5}, uint16(1), "")
	f.Fuzz(func(t *testing.T, vendor, model, app string, port uint16, a, b []byte, vlan uint16, op string) {
		ca, ok1 := netip.AddrFromSlice(a)
		sa, ok2 := netip.AddrFromSlice(b)
		if !ok1 || !ok2 {
			return
		}
		l := New()
		tr := uint8(6)
		switch {
		case app == "icmp":
			tr = 1
		case port%3 == 1:
			tr = 17
		}
		l.Flow(&Flow{Client: netip.AddrPortFrom(sa, 40000), Server: netip.AddrPortFrom(ca, port), Transport: tr, App: app, First: t0, Last: t0})
		l.Op(&Op{Client: sa, Server: ca, Port: port, Proto: app, Op: op, TS: t0})
		inv := &inventory.Inventory{Assets: []inventory.Asset{{ID: "x", IPs: []netip.Addr{ca}, MACs: []string{vendor}, Vendor: vendor, Model: model, Kind: model,
			Roles:     []inventory.Role{{Role: inventory.RolePLC, Evidence: vendor}, {Role: inventory.RoleCamera, Evidence: model}},
			Addresses: []inventory.Address{{IP: ca, VLANs: []uint16{vlan}}}}}}
		d, err := l.Draft(Options{Inventory: inv, Facility: vendor, Captures: []string{model}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := site.Parse("draft.yaml", d.YAML); err != nil {
			t.Fatalf("%v\n%s", err, d.YAML)
		}
		// The same, extending a site.
		d, err = l.Draft(Options{Inventory: inv, Existing: fuzzSite, ExistingText: fuzzSiteText})
		if err != nil {
			t.Fatal(err)
		}
		got, err := site.Parse("extended.yaml", d.YAML)
		if err != nil {
			t.Fatalf("%v\n%s", err, d.YAML)
		}
		if len(got.Zones) < len(fuzzSite.Zones) || !strings.HasPrefix(string(d.YAML), "version: 1\nzones:\n  - {id: a, kind: business, cidrs: [10.1.9.0/24], vlans: [110]}\n") {
			t.Fatalf("the site extended was rewritten:\n%s", d.YAML)
		}
	})
}
