package discovery

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

// zero4 is 0.0.0.0, as ParseDHCP returns an unset address field.
var zero4 = netip.AddrFrom4([4]byte{})

type dhcpCase struct {
	name string
	in   []byte
	want DHCP
	err  error
	off  int // offset the error names
}

func dhcpHeader(op byte, xid uint32, chaddr string) DHCP {
	return DHCP{Op: op, HType: 1, HLen: 6, XID: xid, CIAddr: zero4, YIAddr: zero4, SIAddr: zero4, GIAddr: zero4,
		CHAddr: [6]byte(mac(chaddr)), HasCHAddr: true}
}

func dhcpWith(d DHCP, f func(*DHCP)) DHCP { f(&d); return d }

// withOpts is dhcpDiscoverWin's header with other options.
func withOpts(opts ...[]byte) []byte {
	return dhcpMsg{op: 1, xid: 7, chaddr: macHMI, opts: opts}.bytes()
}

var dhcpCases = []dhcpCase{
	{name: "windows discover", in: dhcpDiscoverWin, want: dhcpWith(dhcpHeader(1, 0x3903f326, macHMI), func(d *DHCP) {
		d.MessageType = DHCPDiscover
		d.ClientID = cat(byte(1), mac(macHMI))
		d.RequestedIP = ip("10.20.3.44")
		d.Hostname = []byte("HMI-CRANE1")
		d.VendorClass = []byte("MSFT 5.0")
		d.ParamRequest = hx("01 03 06 0f 1f 21 2b 2c 2e 2f 77 79 f9 fc")
		d.Options = 6
	})},
	{name: "hikvision request", in: dhcpRequestCam, want: dhcpWith(dhcpHeader(1, 0x5a17c0de, macCamera), func(d *DHCP) {
		d.Secs, d.Flags = 3, 0x8000
		d.MessageType = DHCPRequest
		d.ClientID = cat(byte(1), mac(macCamera))
		d.RequestedIP = ip("10.20.5.23")
		d.ServerID = ip("10.20.5.1")
		d.Hostname = []byte("DS-2CD2143G2-IU")
		d.VendorClass = []byte("HIKVISION")
		d.FQDN, d.FQDNFlags = []byte("cam-gate3.port.local"), 0x01
		d.ParamRequest = hx("01 03 06 0f 1c 2a")
		d.Options = 9
	})},
	{name: "ack", in: dhcpAckCam, want: dhcpWith(dhcpHeader(2, 0x5a17c0de, macCamera), func(d *DHCP) {
		d.Flags = 0x8000
		d.YIAddr, d.SIAddr = ip("10.20.5.23"), ip("10.20.5.1")
		d.MessageType = DHCPAck
		d.ServerID = ip("10.20.5.1")
		d.DomainName = []byte("port.local")
		d.Hostname = []byte("DS-2CD2143G2-IU")
		d.Options = 8
	})},
	{name: "inform with nul and overload", in: dhcpInformPLC, want: dhcpWith(dhcpHeader(1, 0x102, macPLC), func(d *DHCP) {
		d.CIAddr = ip("10.20.1.10")
		d.MessageType = DHCPInform
		d.Hostname = []byte("plc-crane1")
		d.VendorClass = []byte("Siemens S7-1500")
		d.Overload = 3
		d.Options = 4
	})},
	{
		name: "fqdn in wire format",
		in:   withOpts(dhcpOpt(81, byte(0x05), byte(0), byte(0), "\x04cam1\x04port\x05local\x00")),
		want: dhcpWith(dhcpHeader(1, 7, macHMI), func(d *DHCP) {
			d.FQDN, d.FQDNFlags, d.Options = []byte("\x04cam1\x04port\x05local\x00"), 0x05, 1
		}),
	},
	{
		name: "first occurrence kept",
		in: withOpts(dhcpOpt(53, byte(3)), dhcpOpt(53, byte(1)), dhcpOpt(12, "a"), dhcpOpt(12, "b"),
			dhcpOpt(50, ip("10.0.0.1")), dhcpOpt(50, ip("10.0.0.2")), dhcpOpt(81, byte(0), byte(0), byte(0)),
			dhcpOpt(81, byte(1), byte(0), byte(0), "x"), dhcpOpt(52, byte(1)), dhcpOpt(52, byte(2))),
		want: dhcpWith(dhcpHeader(1, 7, macHMI), func(d *DHCP) {
			d.MessageType, d.Hostname, d.RequestedIP = DHCPRequest, []byte("a"), ip("10.0.0.1")
			d.FQDN, d.Overload, d.Options = []byte{}, 1, 10
		}),
	},
	{
		name: "empty options present",
		in:   withOpts(dhcpOpt(12), dhcpOpt(60, "\x00"), dhcpOpt(61), dhcpOpt(55), dhcpOpt(15)),
		want: dhcpWith(dhcpHeader(1, 7, macHMI), func(d *DHCP) {
			d.Hostname, d.VendorClass, d.ClientID, d.ParamRequest, d.DomainName = []byte{}, []byte{}, []byte{}, []byte{}, []byte{}
			d.Options = 5
		}),
	},
	{
		name: "unknown options skipped",
		in:   withOpts(dhcpOpt(43, hx("0104 c0a80001")), dhcpOpt(82, hx("0106 000000000001")), dhcpOpt(250)),
		want: dhcpWith(dhcpHeader(1, 7, macHMI), func(d *DHCP) { d.Options = 3 }),
	},
	{
		name: "token ring chaddr",
		in:   func() []byte { b := exact(dhcpDiscoverWin); b[1] = 6; return b }(),
		want: dhcpWith(dhcpHeader(1, 0x3903f326, macHMI), func(d *DHCP) {
			d.HType, d.CHAddr, d.HasCHAddr = 6, [6]byte{}, false
			d.MessageType = DHCPDiscover
			d.ClientID = cat(byte(1), mac(macHMI))
			d.RequestedIP = ip("10.20.3.44")
			d.Hostname = []byte("HMI-CRANE1")
			d.VendorClass = []byte("MSFT 5.0")
			d.ParamRequest = hx("01 03 06 0f 1f 21 2b 2c 2e 2f 77 79 f9 fc")
			d.Options = 6
		}),
	},

	{name: "empty", in: nil, err: ErrTruncated, off: 0},
	{name: "op 3", in: func() []byte { b := exact(dhcpDiscoverWin); b[0] = 3; return b }(), err: ErrNotDHCP, off: 0},
	{name: "hlen 17", in: func() []byte { b := exact(dhcpDiscoverWin); b[2] = 17; return b }(), err: ErrNotDHCP, off: 2},
	{name: "dns query", in: hx("b4d1 0100 0001 0000 0000 0000 0470 6c63 3103 706f 7274 0000 0100 01"), err: ErrNotDHCP, off: 0},
	{name: "short header", in: dhcpDiscoverWin[:100], err: ErrTruncated, off: 100},
	{name: "no cookie room", in: dhcpDiscoverWin[:239], err: ErrTruncated, off: 239},
	{name: "bootp without cookie", in: func() []byte { b := exact(dhcpDiscoverWin); b[239] = 0; return b }(), err: ErrNotDHCP, off: 236},
	{name: "no end option", in: dhcpDiscoverWin[:len(dhcpDiscoverWin)-1], err: ErrTruncated, off: len(dhcpDiscoverWin) - 1},
	{name: "only pads", in: cat(dhcpDiscoverWin[:240], make([]byte, 60)), err: ErrTruncated, off: 300},
	{name: "option length past end", in: cat(dhcpDiscoverWin[:240], hx("0c05 6869")), err: ErrTruncated, off: 240},
	{name: "option without length", in: cat(dhcpDiscoverWin[:240], hx("3501 01 0c")), err: ErrTruncated, off: 243},
	{name: "option 53 length 2", in: withOpts(dhcpOpt(53, byte(1), byte(1))), err: ErrMalformed, off: 240},
	{name: "option 50 length 3", in: withOpts(dhcpOpt(12, "x"), dhcpOpt(50, hx("0a0000"))), err: ErrMalformed, off: 243},
	{name: "option 54 length 5", in: withOpts(dhcpOpt(54, hx("0a00000101"))), err: ErrMalformed, off: 240},
	{name: "option 81 length 2", in: withOpts(dhcpOpt(81, byte(0), byte(0))), err: ErrMalformed, off: 240},
	{name: "option 52 length 0", in: withOpts(dhcpOpt(52)), err: ErrMalformed, off: 240},
}

func TestParseDHCP(t *testing.T) {
	for _, tc := range dhcpCases {
		t.Run(tc.name, func(t *testing.T) {
			d := DHCP{Hostname: []byte("stale"), Options: 9}
			err := ParseDHCP(exact(tc.in), &d)
			checkErr(t, err, tc.err, "dhcp", tc.off)
			if tc.err != nil {
				return
			}
			d.err = Error{}
			if !reflect.DeepEqual(d, tc.want) {
				t.Errorf("got  %+v\nwant %+v", d, tc.want)
			}
		})
	}
}

// TestDHCPPartial: on error the fields hold what was read before the fault.
func TestDHCPPartial(t *testing.T) {
	var d DHCP
	in := exact(dhcpRequestCam[:290]) // cut inside the vendor class option, after the host name
	if err := ParseDHCP(in, &d); !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v", err)
	}
	if d.XID != 0x5a17c0de || d.MessageType != DHCPRequest || string(d.Hostname) != "DS-2CD2143G2-IU" {
		t.Fatalf("partial fields lost: %+v", d)
	}
}

func TestMessageTypeString(t *testing.T) {
	for typ, want := range map[MessageType]string{0: "BOOTP", DHCPDiscover: "DISCOVER", DHCPAck: "ACK",
		DHCPInform: "INFORM", 13: "LEASEACTIVE", 18: "TLS", 19: "TYPE(19)", 255: "TYPE(255)"} {
		if got := typ.String(); got != want {
			t.Errorf("%d: %q, want %q", typ, got, want)
		}
		if b, _ := typ.MarshalText(); string(b) != want {
			t.Errorf("%d: MarshalText %q", typ, b)
		}
	}
}

// checkErr checks that err wraps want (nil: no error) in an *Error of
// proto whose offset is off.
func checkErr(t *testing.T, err, want error, proto string, off int) {
	t.Helper()
	if !errors.Is(err, want) || (err == nil) != (want == nil) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err %T is not an *Error", err)
	}
	if e.Proto != proto || e.Offset != off || e.What == "" {
		t.Fatalf("err = %v, want %s at offset %d", err, proto, off)
	}
}
