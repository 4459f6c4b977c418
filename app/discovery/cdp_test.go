package discovery

import (
	"encoding/binary"
	"reflect"
	"testing"
)

type cdpCase struct {
	name string
	in   []byte
	want CDP
	err  error
	off  int
}

// cdpMin is an advertisement with a device ID only; cdpWant builds its
// expected result.
func cdpMin(tlvs ...[]byte) []byte {
	return cdpFrame(2, 180, append([][]byte{cdpTLV(1, "sw1")}, tlvs...)...)
}

func cdpWant(in []byte, f func(*CDP)) CDP {
	c := CDP{Version: 2, TTL: 180, Checksum: binary.BigEndian.Uint16(in[10:]), ChecksumOK: true, DeviceID: []byte("sw1"), TLVs: 1}
	f(&c)
	return c
}

// cdpRaw is LLC/SNAP and a CDP header with the checksum left zero, then b.
func cdpRaw(b ...any) []byte { return cat(hx("aaaa03 00000c 2000 02b4 0000"), cat(b...)) }

var cdpCases = []cdpCase{
	{name: "ie4000", in: cdpIE4000, want: CDP{
		Version: 2, TTL: 180, Checksum: binary.BigEndian.Uint16(cdpIE4000[10:]), ChecksumOK: true,
		DeviceID: []byte("ie4000-crane2.port.local"), Addr: ip("10.20.2.1"),
		PortID: []byte("GigabitEthernet1/3"), Capabilities: CDPCapSwitch | CDPCapIGMP, HasCapabilities: true,
		SoftwareVersion: []byte(ciscoSoftware), Platform: []byte("cisco IE-4000-8GT4G-E"),
		NativeVLAN: 20, HasNativeVLAN: true, MgmtAddr: ip("10.20.2.1"),
		TLVs: 12, Unknown: 4,
	}},
	{name: "odd length low", in: cdpOddLow, want: CDP{Version: 1, TTL: 60, Checksum: binary.BigEndian.Uint16(cdpOddLow[10:]),
		ChecksumOK: true, DeviceID: []byte("sw01"), TLVs: 2, Unknown: 1}},
	{name: "odd length high", in: cdpOddHigh, want: CDP{Version: 1, TTL: 60, Checksum: binary.BigEndian.Uint16(cdpOddHigh[10:]),
		ChecksumOK: true, DeviceID: []byte("sw01"), TLVs: 2, Unknown: 1}},
	{name: "bad checksum still read", in: cdpVariants()[3].in, want: CDP{
		Version: 2, TTL: 180, Checksum: binary.BigEndian.Uint16(cdpIE4000[10:]) ^ 0x0100,
		DeviceID: []byte("ie4000-crane2.port.local"), Addr: ip("10.20.2.1"),
		PortID: []byte("GigabitEthernet1/3"), Capabilities: CDPCapSwitch | CDPCapIGMP, HasCapabilities: true,
		SoftwareVersion: []byte(ciscoSoftware), Platform: []byte("cisco IE-4000-8GT4G-E"),
		NativeVLAN: 20, HasNativeVLAN: true, MgmtAddr: ip("10.20.2.1"),
		TLVs: 12, Unknown: 4,
	}},
	{name: "ipv6 only and empty lists", in: cdpMin(cdpTLV(2, cdpAddrList(ip("fd00::1"))), cdpTLV(0x16, cdpAddrList())),
		want: cdpWant(cdpMin(cdpTLV(2, cdpAddrList(ip("fd00::1"))), cdpTLV(0x16, cdpAddrList())), func(c *CDP) { c.TLVs = 3 })},
	{name: "first occurrence kept", in: cdpMin(cdpTLV(1, "sw2"), cdpTLV(4, uint32(1)), cdpTLV(4, uint32(8)),
		cdpTLV(0x0a, uint16(5)), cdpTLV(0x0a, uint16(6)), cdpTLV(2, cdpAddrList(ip("10.0.0.1"))), cdpTLV(2, cdpAddrList(ip("10.0.0.2")))),
		want: cdpWant(cdpMin(cdpTLV(1, "sw2"), cdpTLV(4, uint32(1)), cdpTLV(4, uint32(8)),
			cdpTLV(0x0a, uint16(5)), cdpTLV(0x0a, uint16(6)), cdpTLV(2, cdpAddrList(ip("10.0.0.1"))), cdpTLV(2, cdpAddrList(ip("10.0.0.2")))),
			func(c *CDP) {
				c.Capabilities, c.HasCapabilities, c.NativeVLAN, c.HasNativeVLAN, c.Addr = CDPCapRouter, true, 5, true, ip("10.0.0.1")
				c.TLVs = 8
			})},
	{name: "empty strings", in: cdpFrame(1, 10, cdpTLV(1), cdpTLV(3), cdpTLV(5), cdpTLV(6)),
		want: CDP{Version: 1, TTL: 10, Checksum: binary.BigEndian.Uint16(cdpFrame(1, 10, cdpTLV(1), cdpTLV(3), cdpTLV(5), cdpTLV(6))[10:]),
			ChecksumOK: true, DeviceID: []byte{}, PortID: []byte{}, SoftwareVersion: []byte{}, Platform: []byte{}, TLVs: 4}},
	{name: "no tlvs", in: cdpFrame(2, 180), want: CDP{Version: 2, TTL: 180, Checksum: binary.BigEndian.Uint16(cdpFrame(2, 180)[10:]), ChecksumOK: true}},

	{name: "empty", in: nil, err: ErrTruncated, off: 0},
	{name: "snap cut", in: hx("aaaa03"), err: ErrTruncated, off: 3},
	{name: "stp llc", in: hx("424203 0000 00"), err: ErrNotCDP, off: 0},
	{name: "vtp", in: hx("aaaa03 00000c 2003 01"), err: ErrNotCDP, off: 7},
	{name: "other oui", in: hx("aaaa03 00000d 2000 02b4 0000"), err: ErrNotCDP, off: 5},
	{name: "header cut", in: hx("aaaa03 00000c 2000 02b4"), err: ErrTruncated, off: 10},
	{name: "version 3", in: hx("aaaa03 00000c 2000 03b4 0000"), err: ErrMalformed, off: 8},
	{name: "tlv header cut", in: cdpRaw(hx("0001 00")), err: ErrTruncated, off: 12},
	{name: "tlv length 3", in: cdpRaw(hx("0001 0003 00")), err: ErrMalformed, off: 12},
	{name: "tlv length past end", in: cdpRaw(cdpTLV(1, "sw1"), hx("0003 0010"), "Gi1/1"), err: ErrTruncated, off: 19},
	{name: "capabilities of 3", in: cdpRaw(cdpTLV(4, hx("000028"))), err: ErrMalformed, off: 12},
	{name: "native vlan of 1", in: cdpRaw(cdpTLV(1, "s"), cdpTLV(0x0a, byte(1))), err: ErrMalformed, off: 17},
	{name: "address count too high", in: cdpRaw(cdpTLV(2, uint32(2), hx("0101cc 0004 0a000001"))), err: ErrMalformed, off: 12},
	{name: "address count cut", in: cdpRaw(cdpTLV(2, hx("000001"))), err: ErrMalformed, off: 12},
	{name: "address past tlv", in: cdpRaw(cdpTLV(0x16, uint32(1), hx("0101cc 0008 0a000001"))), err: ErrMalformed, off: 12},
	{name: "protocol past tlv", in: cdpRaw(cdpTLV(2, uint32(1), hx("0208 aaaa03"))), err: ErrMalformed, off: 12},
}

func TestParseCDP(t *testing.T) {
	for _, tc := range cdpCases {
		t.Run(tc.name, func(t *testing.T) {
			c := CDP{DeviceID: []byte("stale"), HasNativeVLAN: true, TLVs: 3}
			err := ParseCDP(exact(tc.in), &c)
			checkErr(t, err, tc.err, "cdp", tc.off)
			if tc.err != nil {
				return
			}
			c.err = Error{}
			if !reflect.DeepEqual(c, tc.want) {
				t.Errorf("got  %+v\nwant %+v", c, tc.want)
			}
		})
	}
}

// TestCDPOddLengths makes sure the checksum cases are what they claim.
func TestCDPOddLengths(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		high bool
	}{{cdpOddLow, false}, {cdpOddHigh, true}} {
		p := tc.in[8:]
		if len(p)%2 != 1 || (p[len(p)-1] >= 0x80) != tc.high {
			t.Fatalf("%x: length %d, last octet %#x", p, len(p), p[len(p)-1])
		}
	}
	// And that the quirk matters: an RFC 1071 checksum (zero padding) of
	// the high case disagrees with the one Cisco sends.
	p := exact(cdpOddHigh[8:])
	binary.BigEndian.PutUint16(p[2:], 0)
	var sum uint32
	for i := 0; i < len(p); i += 2 {
		w := uint32(p[i]) << 8
		if i+1 < len(p) {
			w |= uint32(p[i+1])
		}
		sum += w
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	if ^uint16(sum) == binary.BigEndian.Uint16(cdpOddHigh[10:]) {
		t.Fatal("RFC 1071 and Cisco checksums agree: the case tests nothing")
	}
}

func TestIsCDP(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want bool
	}{
		{cdpIE4000, true},
		{cdpIE4000[:8], true},
		{cdpIE4000[:7], false},
		{hx("aaaa03 00000c 2003"), false}, // VTP
		{hx("aaaa03 00000c 2004"), false}, // DTP
		{hx("aaaa03 000000 88cc"), false}, // LLDP over SNAP
		{hx("424203 00000000"), false},    // STP
		{nil, false},
	} {
		if got := IsCDP(exact(tc.in)); got != tc.want {
			t.Errorf("IsCDP(%x) = %v", tc.in, got)
		}
	}
}

func TestCDPCapabilitiesString(t *testing.T) {
	for c, want := range map[CDPCapabilities]string{
		0: "", CDPCapSwitch | CDPCapIGMP: "switch,igmp", CDPCapRouter | CDPCapMACRelay | 1<<20: "router,mac-relay",
	} {
		if got := c.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint32(c), got, want)
		}
	}
}
