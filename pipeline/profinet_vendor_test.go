package pipeline

import (
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"harborwatch/ics/profinet"
	"harborwatch/internal/testutil"
	"harborwatch/inventory"
)

// pnVendorIDs are the PROFINET vendor IDs each device of the shared
// captures gives of itself, by MAC, as tshark 4.0.17 decodes them: the
// DCP DeviceID block of a station's answer (pn_dcp.suboption_vendor_id)
// and the object UUID of the PNIO-CM calls answered by a device or a
// controller (dcerpc.obj_id, its last four hex digits). tshark shows the
// IDs in hex without a name; the names are VendorName's, from PI's
// manufacturer table, and agree with what the devices say otherwise
// (the SCALANCE X208 is Siemens', IC200PNS001 a GE VersaMax PROFINET
// scanner, pc-worx-rt-basic a Phoenix Contact PC WORX controller).
var pnVendorIDs = map[string]map[string]uint16{
	"ChangeIPUsingDCP.pcap":         {"08:00:06:93:cf:32": 0x002a},
	"profinet_io_cm_mixed_2.pcapng": {"00:09:91:43:e0:67": 0x015a, "00:a0:45:6d:d3:43": 0x00b0},
	"profinet_io_cm_device.pcapng":  {"00:09:91:43:e0:67": 0x015a}, // the device's answers only
}

var pnVendorNames = map[uint16]string{0x002a: "Siemens AG", 0x015a: "GE Intelligent Platforms", 0x00b0: "Phoenix Contact"}

// TestPROFINETVendors: every PROFINET device of the shared captures comes
// out of the inventory with its vendor named from the vendor ID it gave
// (source "identity", ahead of its MAC block's registrant), one worker or
// three.
func TestPROFINETVendors(t *testing.T) {
	for name, want := range pnVendorIDs {
		for _, workers := range []int{1, 3} {
			res := runPN(t, name, nil, workers)
			inv := inventory.Build(inventory.Options{Observed: res.Observation})
			for mac, id := range want {
				var got *inventory.Asset
				for i := range inv.Assets {
					if slices.Contains(inv.Assets[i].MACs, mac) {
						got = &inv.Assets[i]
					}
				}
				switch {
				case got == nil:
					t.Errorf("%s, %d workers: no asset with MAC %s", name, workers, mac)
				case got.Vendor != pnVendorNames[id] || got.Vendor != profinet.VendorName(id) || got.VendorSource != "identity":
					t.Errorf("%s, %d workers: %s: vendor %q (%s), want %q (0x%04x)", name, workers, mac, got.Vendor, got.VendorSource, pnVendorNames[id], id)
				}
			}
		}
	}
}

// TestPROFINETVendorsTshark checks pnVendorIDs against tshark itself.
// Without tshark it skips, unless HARBORWATCH_REQUIRE_TSHARK=1.
func TestPROFINETVendorsTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	for name, want := range pnVendorIDs {
		out, err := exec.Command(bin, "-r", "../ics/profinet/testdata/"+name,
			"-Y", "pn_dcp.suboption_vendor_id || ((pn_io_device || pn_io_controller) && dcerpc.pkt_type == 2)",
			"-T", "fields", "-e", "eth.src", "-e", "pn_dcp.suboption_vendor_id", "-e", "dcerpc.obj_id").Output()
		if err != nil {
			t.Fatalf("tshark %s: %v", name, err)
		}
		got := map[string]uint16{}
		for line := range strings.Lines(string(out)) {
			f := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
			if len(f) < 3 {
				continue
			}
			v := f[1]
			if v == "" && len(f[2]) >= 4 {
				v = "0x" + f[2][len(f[2])-4:]
			}
			n, err := strconv.ParseUint(v, 0, 16)
			if err != nil {
				t.Fatalf("tshark %s: %q", name, line)
			}
			got[f[0]] = uint16(n)
		}
		if len(got) != len(want) {
			t.Errorf("%s: tshark %v, want %v", name, got, want)
		}
		for mac, id := range want {
			if got[mac] != id {
				t.Errorf("%s: %s: tshark 0x%04x, want 0x%04x", name, mac, got[mac], id)
			}
		}
	}
}
