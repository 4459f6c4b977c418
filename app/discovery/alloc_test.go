package discovery

import "testing"

// TestAllocs proves that parsing allocates nothing, on success and on
// failure (the *Error lives in the result).
func TestAllocs(t *testing.T) {
	var (
		dh DHCP
		ll LLDP
		cd CDP
		dc DCP
	)
	bad := exact(lldpScalance[:30])
	for _, tc := range []struct {
		name string
		in   []byte
		fn   func(b []byte) error
		ok   bool
	}{
		{"dhcp", dhcpRequestCam, func(b []byte) error { return ParseDHCP(b, &dh) }, true},
		{"dhcp error", dhcpRequestCam[:250], func(b []byte) error { return ParseDHCP(b, &dh) }, false},
		{"lldp", lldpScalance, func(b []byte) error { return ParseLLDP(b, &ll) }, true},
		{"lldp error", bad, func(b []byte) error { return ParseLLDP(b, &ll) }, false},
		{"cdp", cdpIE4000, func(b []byte) error { return ParseCDP(b, &cd) }, true},
		{"cdp error", cdpIE4000[:100], func(b []byte) error { return ParseCDP(b, &cd) }, false},
		{"is cdp", cdpIE4000, func(b []byte) error { IsCDP(b); return nil }, true},
		{"dcp", dcpET200SPIdent, func(b []byte) error { return ParseDCP(b, &dc) }, true},
		{"dcp error", dcpET200SPIdent[:40], func(b []byte) error { return ParseDCP(b, &dc) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := exact(tc.in)
			if err := tc.fn(in); (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
			if n := testing.AllocsPerRun(100, func() { _ = tc.fn(in) }); n != 0 {
				t.Fatalf("%v allocations per run, want 0", n)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	var (
		dh DHCP
		ll LLDP
		cd CDP
		dc DCP
	)
	for _, bc := range []struct {
		name string
		in   []byte
		fn   func(b []byte) error
	}{
		{"dhcp", dhcpRequestCam, func(b []byte) error { return ParseDHCP(b, &dh) }},
		{"lldp", lldpScalance, func(b []byte) error { return ParseLLDP(b, &ll) }},
		{"cdp", cdpIE4000, func(b []byte) error { return ParseCDP(b, &cd) }},
		{"dcp", dcpET200SPIdent, func(b []byte) error { return ParseDCP(b, &dc) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			for b.Loop() {
				if err := bc.fn(bc.in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
