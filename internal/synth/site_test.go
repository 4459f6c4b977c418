package synth

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"harborwatch/site"
)

// TestTerminalSiteModel loads the generated site model of several crane
// counts with the project's loader and checks it against the terminal's
// layout and its declared inventory.
func TestTerminalSiteModel(t *testing.T) {
	for _, n := range []int{0, 2, 3, 4, 7, MaxCranes} {
		t.Run(fmt.Sprintf("cranes=%d", n), func(t *testing.T) {
			y, err := TerminalSiteYAML(TerminalOptions{Cranes: n})
			if err != nil {
				t.Fatal(err)
			}
			s, err := site.Parse("site.yaml", y)
			if err != nil {
				t.Fatalf("site.Parse: %v", err)
			}
			rows, err := TerminalAssets(TerminalOptions{Cranes: n})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				n = 2
				if !bytes.Equal(y, TerminalSite) {
					t.Error("the default differs from TerminalSite")
				}
			}
			if len(s.Cranes) != n || len(s.Zones) != 2*n+7 || len(s.Assets) != len(rows) || len(rows) != 10*n+10 {
				t.Fatalf("%d cranes, %d zones, %d assets, %d rows", len(s.Cranes), len(s.Zones), len(s.Assets), len(rows))
			}
			for k := 1; k <= n; k++ {
				id := fmt.Sprintf("STS-%02d", k)
				c := s.Cranes[k-1]
				if c.ID != id || c.Manufacturer != "ZPMC" || !c.RemoteManagement {
					t.Errorf("crane %d: %+v", k, c)
				}
				for _, z := range []struct {
					id, kind string
					third    int
					vlan     uint16
				}{
					{fmt.Sprintf("sts%02d-control", k), "crane-control", 10*k - 9, uint16(100*k + 10)},
					{fmt.Sprintf("sts%02d-cctv", k), "crane-noncritical", 10*k - 8, uint16(100*k + 20)},
				} {
					zz := s.ZoneByID(z.id)
					want := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 10, byte(z.third), 0}), 24)
					if zz == nil || string(zz.Kind) != z.kind || zz.Crane != id || !slices.Equal(zz.CIDRs, []netip.Prefix{want}) ||
						!slices.Equal(zz.VLANs, []uint16{z.vlan}) {
						t.Errorf("zone %s: %+v", z.id, zz)
					}
				}
			}
			// STS-01's electrical house and the building management
			// network, whatever the number of cranes.
			if z := s.ZoneByID("sts01-ehouse"); z == nil || z.Kind != "crane-control" || z.Crane != "STS-01" ||
				!slices.Equal(z.VLANs, []uint16{130}) || s.Zone(netip.MustParseAddr("10.10.3.10"), 130) != z {
				t.Errorf("zone sts01-ehouse: %+v", z)
			}
			if z := s.ZoneByID("bms"); z == nil || z.Kind != "port-ot" || s.Zone(netip.MustParseAddr("10.60.0.10"), 0) != z {
				t.Errorf("zone bms: %+v", z)
			}
			// Every row is an asset of the site with the same identity, in
			// the zone its address falls in.
			for i, r := range rows {
				a := s.Assets[i]
				if a.ID != r.ID || a.IP.String() != r.IP || a.MAC.String() != r.MAC || a.Kind != r.Kind || a.Vendor != r.Vendor ||
					a.Model != r.Model || a.Supplier != r.Supplier || a.Origin != r.Origin || a.Crane != r.Crane ||
					string(a.Criticality) != r.Criticality {
					t.Errorf("asset %d: site %+v, row %+v", i, a, r)
				}
				if z := s.Zone(a.IP, 0); z.ID != r.Zone {
					t.Errorf("%s: address in zone %s, row says %s", r.ID, z.ID, r.Zone)
				}
				if len(r.Record()) != len(InventoryHeader) || r.Name == "" || r.Serial == "" && r.Kind != "server" {
					t.Errorf("%s: incomplete row %+v", r.ID, r)
				}
			}
		})
	}
}

// TestTerminalDevices checks the vendors behind the crane devices: the
// OUIs of their MACs, Siemens S7 on odd cranes and Rockwell on even ones,
// and no camera of a supplier of concern in the normal inventory.
func TestTerminalDevices(t *testing.T) {
	// With the substation (the telecontrol scenario's) and its RTUs.
	rows, err := TerminalAssets(TerminalOptions{Cranes: 4, Scenarios: []string{"substation-telecontrol"}})
	if err != nil {
		t.Fatal(err)
	}
	oui := map[string]string{"Siemens": "00:1b:1b", "Rockwell": "00:00:bc", "ABB": "00:1c:01", "Axis": "00:40:8c", "WAGO": "00:30:de",
		"HP": "3c:52:82", "VMware": "00:50:56", "Dell": "d0:94:66", "SEL": "00:30:a7"}
	kinds := map[string]int{}
	for _, r := range rows {
		want := oui[r.Vendor]
		if r.Vendor == "Siemens" && r.Kind == "drive" {
			want = "00:1f:f8" // Siemens drive technologies
		}
		if r.Vendor == "Siemens" && r.Kind == "controller" {
			want = "00:a0:03" // Siemens building technologies
		}
		if !strings.HasPrefix(r.MAC, want+":") {
			t.Errorf("%s (%s): MAC %s, want OUI %s", r.ID, r.Vendor, r.MAC, want)
		}
		if strings.HasPrefix(r.MAC, "44:19:b6") {
			t.Errorf("%s has a Hikvision OUI", r.ID)
		}
		kinds[r.Kind]++
		if strings.HasSuffix(r.ID, "-plc1") {
			odd := r.ID[4]%2 == 1 // sts01, sts03…
			if odd != (r.Vendor == "Siemens") || !odd != (r.Vendor == "Rockwell") {
				t.Errorf("%s: vendor %s", r.ID, r.Vendor)
			}
		}
	}
	want := map[string]int{"plc": 8, "drive": 8, "remote-io": 8, "hmi": 4, "camera": 8, "server": 12, "engineering-workstation": 1, "remote-access": 1,
		"controller": 1, "rtu": 2}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d %s, want %d", kinds[k], k, n)
		}
	}
}

func TestTerminalCraneCount(t *testing.T) {
	for _, n := range []int{-1, 1, MaxCranes + 1} {
		if _, err := TerminalSiteYAML(TerminalOptions{Cranes: n}); !errors.Is(err, ErrCranes) {
			t.Errorf("TerminalSiteYAML(%d): %v", n, err)
		}
		if _, err := TerminalAssets(TerminalOptions{Cranes: n}); !errors.Is(err, ErrCranes) {
			t.Errorf("TerminalAssets(%d): %v", n, err)
		}
		if err := Terminal(discard{}, TerminalOptions{Cranes: n}); !errors.Is(err, ErrCranes) {
			t.Errorf("Terminal(%d): %v", n, err)
		}
	}
}
