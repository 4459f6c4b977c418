package discovery

import (
	"reflect"
	"testing"
)

// The fuzz targets feed arbitrary input to each parser, seeded from every
// message the tests build (good and bad). Beyond no panic and no over-read
// (the input's capacity is its length), each checks: an error is an *Error
// wrapping a sentinel with an offset inside the input; result slices lie
// inside the input; and what the protocol's framing promises, that bytes
// after the end of the message (the End option or TLV, DCPDataLength)
// change nothing.

// junk is appended after a complete message.
var junk = []byte("\x00\xff\x01\x02junk")

func FuzzDHCP(f *testing.F) {
	for _, tc := range dhcpCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)]
		var d DHCP
		err := ParseDHCP(b, &d)
		checkOutcome(t, b, [][]byte{d.Hostname, d.DomainName, d.VendorClass, d.ClientID, d.FQDN, d.ParamRequest}, err)
		if err != nil {
			return
		}
		if d.Op != BootRequest && d.Op != BootReply || len(b) < 241 || d.HasCHAddr != (d.HType == 1 && d.HLen == 6) {
			t.Fatalf("accepted %+v", d)
		}
		// The End option ends the message.
		var d2 DHCP
		if err := ParseDHCP(exact(append(exact(b), junk...)), &d2); err != nil {
			t.Fatalf("with junk after: %v", err)
		}
		d.err, d2.err = Error{}, Error{}
		if !reflect.DeepEqual(d, d2) {
			t.Fatalf("junk after End changed the result:\n%+v\n%+v", d, d2)
		}
	})
}

func FuzzLLDP(f *testing.F) {
	for _, tc := range lldpCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)]
		var l LLDP
		err := ParseLLDP(b, &l)
		checkOutcome(t, b, [][]byte{l.ChassisID, l.PortID, l.PortDescription, l.SystemName, l.SystemDescription}, err)
		if err != nil {
			return
		}
		if len(l.ChassisID) == 0 || len(l.PortID) == 0 || l.HasChassisMAC && l.ChassisIDSubtype != ChassisMAC {
			t.Fatalf("accepted %+v", l)
		}
		if !l.End {
			return
		}
		var l2 LLDP
		if err := ParseLLDP(exact(append(exact(b), junk...)), &l2); err != nil {
			t.Fatalf("with junk after: %v", err)
		}
		l.err, l2.err = Error{}, Error{}
		if !reflect.DeepEqual(l, l2) {
			t.Fatalf("junk after End changed the result:\n%+v\n%+v", l, l2)
		}
	})
}

func FuzzCDP(f *testing.F) {
	for _, tc := range cdpCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)]
		var c CDP
		err := ParseCDP(b, &c)
		checkOutcome(t, b, [][]byte{c.DeviceID, c.PortID, c.SoftwareVersion, c.Platform}, err)
		if IsCDP(b) != (len(b) >= 8 && string(b[:8]) == "\xaa\xaa\x03\x00\x00\x0c\x20\x00") {
			t.Fatalf("IsCDP(%x)", b)
		}
		if err != nil {
			return
		}
		if !IsCDP(b) || c.Version < 1 || c.Version > 2 || c.TLVs < c.Unknown {
			t.Fatalf("accepted %+v", c)
		}
	})
}

func FuzzDCP(f *testing.F) {
	for _, tc := range dcpCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)]
		var d DCP
		err := ParseDCP(b, &d)
		checkOutcome(t, b, [][]byte{d.NameOfStation, d.TypeOfStation, d.AliasName}, err)
		if err != nil {
			return
		}
		if d.FrameID < DCPFrameHello || d.FrameID > DCPFrameIdentifyResponse || d.Request != (d.ServiceType == DCPRequest) || d.Unknown > d.Blocks {
			t.Fatalf("accepted %+v", d)
		}
		// DCPDataLength ends the PDU: cutting the rest or adding more
		// changes nothing.
		n := dcpHeaderLen + int(d.DataLength)
		for _, in := range [][]byte{exact(b[:n]), exact(append(exact(b), junk...))} {
			var d2 DCP
			if err := ParseDCP(in, &d2); err != nil {
				t.Fatalf("%x: %v", in, err)
			}
			d.err, d2.err = Error{}, Error{}
			if !reflect.DeepEqual(d, d2) {
				t.Fatalf("bytes after DCPDataLength changed the result:\n%+v\n%+v", d, d2)
			}
		}
	})
}
