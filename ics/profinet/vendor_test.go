package profinet

import "testing"

func TestVendorName(t *testing.T) {
	for _, c := range []struct {
		id   uint16
		want string
	}{
		{0x002a, "Siemens AG"}, {0x00b0, "Phoenix Contact"}, {0x011d, "WAGO"}, {0x011e, "Hilscher"},
		{0x0120, "Beckhoff Automation"}, {0x010c, "HMS Industrial Networks"}, {0x014d, "Festo"},
		{0x015a, "GE Intelligent Platforms"}, {0x010a, "SEW-EURODRIVE"}, {317, "Turck"}, {0, ""}, {0xffff, ""},
	} {
		if got := VendorName(c.id); got != c.want {
			t.Errorf("VendorName(0x%04x) = %q, want %q", c.id, got, c.want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { _ = VendorName(0x002a) }); n != 0 {
		t.Errorf("%.0f allocations", n)
	}
}
