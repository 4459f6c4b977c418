package profinet

import (
	"testing"

	"harborwatch/ics/dcerpc"
	"harborwatch/proto"
)

func TestVendorName(t *testing.T) {
	for _, c := range []struct {
		id   uint16
		want string
	}{
		{0x002a, "Siemens AG"}, {0x00b0, "Phoenix Contact"}, {0x011d, "WAGO"}, {0x011e, "Hilscher"},
		{0x0120, "Beckhoff Automation"}, {0x010c, "HMS Industrial Networks"}, {0x014d, "Festo"},
		{0x015a, "GE Intelligent Platforms"}, {0x010a, "SEW-EURODRIVE"}, {317, "Turck"}, {553, "Moxa"}, {888, "Balluff"},
		{542, "HBC-radiomatic"}, {0, ""}, {0xffff, ""},
	} {
		if got := VendorName(c.id); got != c.want {
			t.Errorf("VendorName(0x%04x) = %q, want %q", c.id, got, c.want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { _ = VendorName(0x002a) }); n != 0 {
		t.Errorf("%.0f allocations", n)
	}
}

// TestReportVendor: the device identities reportCM records (the object
// UUID's IDs, the I&M0 record) carry the vendor's name.
func TestReportVendor(t *testing.T) {
	fl := proto.NewParsers[CMAnalyzer](reportCM).Open(proto.UDP)
	r := &reporter{}
	im0 := cl(false, RoleDevice, dcerpc.CLResponse, OpRead, 0, 0, stub(0, cat(
		record(blockReadRes, 0, 1, indexIM0, uint32(len(im0Block())), 0), im0Block())))
	if _, err := fl.Feed(r, false, im0); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, id := range r.ids {
		v, ok := id.Fields["profinet_vendor_id"].(int)
		if !ok {
			continue
		}
		n++
		if want := VendorName(uint16(v)); want == "" || id.Fields["vendor"] != want {
			t.Errorf("identity %v: want vendor %q", id.Fields, want)
		}
	}
	if n != 2 {
		t.Errorf("identities %+v: want the object UUID's and the I&M0 record's", r.ids)
	}
}
