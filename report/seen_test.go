package report

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"harborwatch/inventory"
)

// TestSeen: operations by protocol and kind, busiest first, with their
// busiest pairs; IT protocols are not ICS requests; remote access and
// file transfers by pair; hosts by main role and suppliers of concern of
// the devices seen; the text opens with it and points to site learn.
func TestSeen(t *testing.T) {
	c := NewCounter()
	hmi, plc := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	for i := range 4000 {
		c.Op("modbus", "write", hmi, plc)
		if i < 7 {
			c.Op("modbus", "write", netip.AddrFrom4([4]byte{10, 0, 1, byte(i)}), plc)
		}
	}
	c.Op("s7comm", "program-download", hmi, plc)
	c.Op("dns", "query", hmi, plc) // not ICS
	c.Op("modbus", "", hmi, plc)   // no operation
	c.Protocol("modbus", 1)
	c.Protocol("rdp", 0) // no flow confirmed: not listed
	c.Op("rdp", "session", hmi, plc)
	c.Op("rdp", "", hmi, plc)
	c.Op("tftp", "upload", plc, hmi)
	// Shards count apart and merge.
	other := NewCounter()
	other.Op("modbus", "write", hmi, plc)
	c.Merge(other)
	assets := []inventory.Asset{
		{Observed: true, Roles: []inventory.Role{{Role: "plc"}}, Concern: []inventory.Concern{{Name: "Acme \x1b[31m"}}},
		{Observed: true, Roles: []inventory.Role{{Role: "hmi"}}},
		{Observed: true},
		{Declared: true, Roles: []inventory.Role{{Role: "plc"}}}, // not seen
	}
	s := c.Seen(assets)
	if s.Requests != 4009 || len(s.Operations) != 2 || s.Operations[0].Op != "write" || s.Operations[0].N != 4008 ||
		len(s.Operations[0].Pairs) != MaxSeenPairs || s.Operations[0].MorePairs != 8-MaxSeenPairs || s.Operations[0].Pairs[0].N != 4001 {
		t.Fatalf("operations: %d requests, %+v", s.Requests, s.Operations)
	}
	if fmt.Sprint(s.Hosts) != "[{hmi 1} {other 1} {plc 1}]" || len(s.Suppliers) != 1 || s.Suppliers[0].N != 1 {
		t.Errorf("hosts %v, suppliers %v", s.Hosts, s.Suppliers)
	}
	if len(s.RemoteAccess) != 1 || s.RemoteAccess[0].N != 2 || len(s.FileTransfers) != 1 || s.FileTransfers[0].App != "tftp" {
		t.Errorf("remote %v, transfers %v", s.RemoteAccess, s.FileTransfers)
	}
	var b bytes.Buffer
	if err := Text(&b, &Document{Seen: s}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"NO SITE MODEL",
		"  hosts           3: 1 hmi, 1 other, 1 plc\n",
		"    modbus     write                   4,008\n",
		"               10.0.0.1 → 10.0.0.2 4,001, ",
		"  flows           modbus 1\n",
		"3 more pairs\n",
		"    s7comm     program-download            1  (changes what the controller runs)\n",
		"    rdp        10.0.0.1 → 10.0.0.2, 2 requests\n",
		"  suppliers of concern: 1 device: Acme \\x1b[31m 1\n",
		"harborwatch site learn --out site.yaml CAPTURE...",
		"FINDINGS: none",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("text carries an escape")
	}
}
