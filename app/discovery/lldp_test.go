package discovery

import (
	"reflect"
	"testing"
)

type lldpCase struct {
	name string
	in   []byte
	want LLDP
	err  error
	off  int
}

// lldpHead is the three mandatory TLVs of a minimal LLDPDU (20 octets).
var lldpHead = cat(lldpTLV(1, byte(4), mac(macLinux)), lldpTLV(2, byte(5), "eth0"), lldpTLV(3, uint16(120)))

func lldpHeadWant(f func(*LLDP)) LLDP {
	l := LLDP{ChassisIDSubtype: 4, ChassisID: mac(macLinux), ChassisMAC: [6]byte(mac(macLinux)), HasChassisMAC: true,
		PortIDSubtype: 5, PortID: []byte("eth0"), TTL: 120}
	f(&l)
	return l
}

var lldpCases = []lldpCase{
	{name: "scalance xc208", in: lldpScalance, want: LLDP{
		ChassisIDSubtype: ChassisMAC, ChassisID: mac(macScalance), ChassisMAC: [6]byte(mac(macScalance)), HasChassisMAC: true,
		PortIDSubtype: PortLocal, PortID: []byte("port-003"), TTL: 20,
		PortDescription:   []byte("Siemens, SIMATIC NET, Ethernet Port, X1 P3"),
		SystemName:        []byte("sc-crane1-xc208"),
		SystemDescription: []byte(scalanceDesc),
		Capabilities:      LLDPCapBridge | LLDPCapRouter, Enabled: LLDPCapBridge | LLDPCapRouter, HasCapabilities: true,
		MgmtAddr: ip("10.20.1.2"), MgmtIfSubtype: 2, MgmtIfNumber: 1, MgmtAddrs: 1,
		OrgTLVs: 3, End: true,
	}},
	{name: "et200sp", in: lldpET200SP, want: LLDP{
		ChassisIDSubtype: ChassisLocal, ChassisID: []byte("et200sp-crane1"),
		PortIDSubtype: PortLocal, PortID: []byte("port-001"), TTL: 20,
		Capabilities: LLDPCapStationOnly, Enabled: LLDPCapStationOnly, HasCapabilities: true,
		MgmtAddr: ip("10.20.1.31"), MgmtIfSubtype: 2, MgmtIfNumber: 1, MgmtAddrs: 1,
		OrgTLVs: 1, End: true,
	}},
	{name: "linux without end", in: lldpLinux, want: LLDP{
		ChassisIDSubtype: ChassisMAC, ChassisID: mac(macLinux), ChassisMAC: [6]byte(mac(macLinux)), HasChassisMAC: true,
		PortIDSubtype: PortMAC, PortID: mac(macLinux), TTL: 120,
		PortDescription:   []byte("eth1"),
		SystemName:        []byte("gw-crane1"),
		SystemDescription: []byte("Debian GNU/Linux 12 (bookworm) Linux 6.1.0-18-amd64 #1 SMP x86_64"),
		Capabilities:      LLDPCapBridge | LLDPCapRouter | LLDPCapStationOnly, Enabled: LLDPCapRouter, HasCapabilities: true,
		MgmtAddr: ip("fd00:20:1::1"), MgmtIfSubtype: 2, MgmtIfNumber: 2, MgmtAddrs: 2,
		Unknown: 1,
	}},
	{name: "shutdown", in: cat(lldpTLV(1, byte(4), mac(macLinux)), lldpTLV(2, byte(5), "eth0"), lldpTLV(3, uint16(0)), lldpTLV(0)),
		want: lldpHeadWant(func(l *LLDP) { l.TTL, l.End = 0, true })},
	{name: "mandatory only", in: lldpHead, want: lldpHeadWant(func(*LLDP) {})},
	{name: "padding after end ignored", in: cat(lldpHead, lldpTLV(0), make([]byte, 20), "junk"),
		want: lldpHeadWant(func(l *LLDP) { l.End = true })},
	{name: "mac chassis of 5 octets", in: cat(lldpTLV(1, byte(4), hx("0011223344")), lldpHead[9:]),
		want: lldpHeadWant(func(l *LLDP) { l.ChassisID, l.ChassisMAC, l.HasChassisMAC = hx("0011223344"), [6]byte{}, false })},
	{name: "first optional kept", in: cat(lldpHead, lldpTLV(5, "a"), lldpTLV(5, "b"), lldpTLV(7, uint32(4<<16|4)), lldpTLV(7, uint32(0x10001)),
		lldpTLV(4), lldpTLV(6, "d")),
		want: lldpHeadWant(func(l *LLDP) {
			l.SystemName, l.PortDescription, l.SystemDescription = []byte("a"), []byte{}, []byte("d")
			l.Capabilities, l.Enabled, l.HasCapabilities = LLDPCapBridge, LLDPCapBridge, true
		})},
	{name: "mgmt addr other family then oid", in: cat(lldpHead,
		lldpTLV(8, byte(7), byte(6), mac(macLinux), byte(1), uint32(0), byte(0)), // 802 MAC address family
		lldpTLV(8, byte(5), byte(1), ip("10.0.0.9"), byte(3), uint32(7), byte(8), hx("2b06010401817d01"))),
		want: lldpHeadWant(func(l *LLDP) { l.MgmtAddr, l.MgmtIfSubtype, l.MgmtIfNumber, l.MgmtAddrs = ip("10.0.0.9"), 3, 7, 2 })},

	{name: "empty", in: nil, err: ErrTruncated, off: 0},
	{name: "one octet", in: hx("02"), err: ErrTruncated, off: 0},
	{name: "port id first", in: lldpHead[9:], err: ErrMalformed, off: 0},
	{name: "end first", in: lldpTLV(0), err: ErrMalformed, off: 0},
	{name: "ttl second", in: cat(lldpHead[:9], lldpHead[16:], lldpHead[9:16]), err: ErrMalformed, off: 9},
	{name: "chassis only", in: lldpHead[:9], err: ErrTruncated, off: 9},
	{name: "no ttl", in: lldpHead[:16], err: ErrTruncated, off: 16},
	{name: "chassis id without id", in: cat(lldpTLV(1, byte(4)), lldpHead[9:]), err: ErrMalformed, off: 0},
	{name: "port id without id", in: cat(lldpHead[:9], lldpTLV(2, byte(5)), lldpHead[16:]), err: ErrMalformed, off: 9},
	{name: "ttl of 3 octets", in: cat(lldpHead[:16], lldpTLV(3, hx("000078"))), err: ErrMalformed, off: 16},
	{name: "repeated chassis id", in: cat(lldpHead, lldpHead[:9]), err: ErrMalformed, off: 20},
	{name: "repeated ttl", in: cat(lldpHead, lldpTLV(5, "x"), lldpHead[16:]), err: ErrMalformed, off: 23},
	{name: "capabilities of 2 octets", in: cat(lldpHead, lldpTLV(7, uint16(4))), err: ErrMalformed, off: 20},
	{name: "mgmt addr short", in: cat(lldpHead, lldpTLV(8, hx("0501 0a000001 02"))), err: ErrMalformed, off: 20},
	{name: "mgmt addr string length 1", in: cat(lldpHead, lldpTLV(8, byte(1), byte(1), ip("10.0.0.1"), byte(2), uint32(1), byte(0))), err: ErrMalformed, off: 20},
	{name: "mgmt addr string length 33", in: cat(lldpHead, lldpTLV(8, byte(33), byte(1), make([]byte, 40))), err: ErrMalformed, off: 20},
	{name: "mgmt addr past tlv", in: cat(lldpHead, lldpTLV(8, byte(9), byte(1), ip("10.0.0.1"), byte(2), uint32(1), byte(0))), err: ErrMalformed, off: 20},
	{name: "mgmt oid length", in: cat(lldpHead, lldpTLV(8, byte(5), byte(1), ip("10.0.0.1"), byte(2), uint32(1), byte(2), byte(0x2b))), err: ErrMalformed, off: 20},
	{name: "org tlv of 3 octets", in: cat(lldpHead, lldpTLV(127, hx("00120f"))), err: ErrMalformed, off: 20},
	{name: "end with length", in: cat(lldpHead, lldpTLV(0, byte(0))), err: ErrMalformed, off: 20},
	{name: "tlv past end", in: cat(lldpHead, hx("0a10"), "abc"), err: ErrTruncated, off: 20},
	{name: "odd trailing octet", in: cat(lldpHead, byte(0x0a)), err: ErrTruncated, off: 20},
}

func TestParseLLDP(t *testing.T) {
	for _, tc := range lldpCases {
		t.Run(tc.name, func(t *testing.T) {
			l := LLDP{SystemName: []byte("stale"), End: true, OrgTLVs: 4}
			err := ParseLLDP(exact(tc.in), &l)
			checkErr(t, err, tc.err, "lldp", tc.off)
			if tc.err != nil {
				return
			}
			l.err = Error{}
			if !reflect.DeepEqual(l, tc.want) {
				t.Errorf("got  %+v\nwant %+v", l, tc.want)
			}
		})
	}
}

// TestLLDPPartial: on error the fields hold what was read before the fault.
func TestLLDPPartial(t *testing.T) {
	var l LLDP
	in := exact(cat(lldpScalance[:len(lldpScalance)-2], lldpTLV(127, hx("00120f"))))
	if err := ParseLLDP(in, &l); err == nil {
		t.Fatal("no error")
	}
	if string(l.SystemName) != "sc-crane1-xc208" || !l.MgmtAddr.IsValid() || l.OrgTLVs != 3 || l.End {
		t.Fatalf("partial fields: %+v", l)
	}
}

func TestLLDPCapabilitiesString(t *testing.T) {
	for c, want := range map[LLDPCapabilities]string{
		0: "", LLDPCapBridge | LLDPCapRouter: "bridge,router", LLDPCapStationOnly: "station-only",
		LLDPCapOther | LLDPCapTPMR | 1<<15: "other,tpmr",
	} {
		if got := c.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint16(c), got, want)
		}
	}
}
