package discovery

import (
	"reflect"
	"testing"
)

type dcpCase struct {
	name string
	in   []byte
	want DCP
	err  error
	off  int
}

// identResp is an Identify response (with BlockInfo) holding blocks.
func identResp(blocks ...[]byte) []byte {
	return dcpPDU(0xfeff, 5, 1, 9, 0, blocks...)
}

func identRespWant(in []byte, f func(*DCP)) DCP {
	d := DCP{FrameID: 0xfeff, Service: DCPIdentify, ServiceType: DCPSuccess, XID: 9, DataLength: uint16(len(in) - 12)}
	f(&d)
	return d
}

var dcpCases = []dcpCase{
	{name: "et200sp identify response", in: dcpET200SPIdent, want: DCP{
		FrameID: 0xfeff, Service: DCPIdentify, ServiceType: DCPSuccess, XID: 0x01000001, DataLength: uint16(len(dcpET200SPIdent) - 12),
		TypeOfStation: []byte("ET200SP"), NameOfStation: []byte("et200sp-crane1"),
		VendorID: 0x002a, DeviceID: 0x0313, HasDeviceID: true, DeviceRole: DCPRoleIODevice,
		DeviceInstance: 0x0064, HasDeviceInstance: true, OEMVendorID: 0x002a, OEMDeviceID: 0x0313, HasOEMDeviceID: true,
		MAC: [6]byte(mac(macET200SP)), HasMAC: true,
		IP: ip("10.20.1.31"), Mask: ip("255.255.255.0"), Gateway: ip("10.20.1.1"), IPInfo: 1,
		Blocks: 9, Unknown: 1,
	}},
	{name: "identify all", in: dcpIdentAll, want: DCP{FrameID: 0xfefe, Service: DCPIdentify, Request: true, XID: 0x01000002,
		ResponseDelay: 128, DataLength: 4, All: true, Blocks: 1}},
	{name: "identify all with ethernet padding", in: cat(dcpIdentAll, make([]byte, 30)), want: DCP{FrameID: 0xfefe, Service: DCPIdentify,
		Request: true, XID: 0x01000002, ResponseDelay: 128, DataLength: 4, All: true, Blocks: 1}},
	{name: "identify by name", in: dcpIdentName, want: DCP{FrameID: 0xfefe, Service: DCPIdentify, Request: true, XID: 0x01000003,
		ResponseDelay: 1, DataLength: 18, NameOfStation: []byte("et200sp-crane1"), Blocks: 1}},
	{name: "set name", in: dcpSetName, want: DCP{FrameID: 0xfefd, Service: DCPSet, Request: true, XID: 0x01000004,
		DataLength: 26, NameOfStation: []byte("et200sp-crane7"), Qualifier: 1, HasQualifier: true, Control: DCPControlStop, Blocks: 2}},
	{name: "set response", in: dcpSetResp, want: DCP{FrameID: 0xfefd, Service: DCPSet, ServiceType: DCPSuccess, XID: 0x01000004,
		DataLength: 15, Responses: 2, Blocks: 2}},
	{name: "set response with a refused block", in: dcpPDU(0xfefd, 4, 1, 8, 0,
		dcpBlock(5, 4, -1, byte(1), byte(2), byte(0)), dcpBlock(5, 4, -1, byte(2), byte(2), byte(3)), dcpBlock(5, 4, -1, byte(5), byte(6), byte(1))),
		want: DCP{FrameID: 0xfefd, Service: DCPSet, ServiceType: DCPSuccess, XID: 8, DataLength: 23, Responses: 3, Failed: 2,
			ErrOption: 2, ErrSuboption: 2, Error: 3, Blocks: 3}},
	{name: "set ip: its qualifier, no IPInfo", in: dcpPDU(0xfefd, 4, 0, 3, 0, dcpBlock(1, 2, 1, ip("10.0.0.5"), ip("255.0.0.0"), ip("10.0.0.1"))),
		want: DCP{FrameID: 0xfefd, Service: DCPSet, Request: true, XID: 3, DataLength: 18,
			IP: ip("10.0.0.5"), Mask: ip("255.0.0.0"), Gateway: ip("10.0.0.1"), Qualifier: 1, HasQualifier: true, Blocks: 1}},
	{name: "set factory reset and signal, dhcp", in: dcpPDU(0xfefd, 4, 0, 4, 0, dcpBlock(5, 1, 0), dcpBlock(5, 3, 0, byte(1), byte(0)),
		dcpBlock(5, 6, 2), dcpBlock(3, 61, 0, byte(0)), dcpBlock(5, 2, 0)),
		want: DCP{FrameID: 0xfefd, Service: DCPSet, Request: true, XID: 4, DataLength: 34,
			Control: DCPControlStart | DCPControlSignal | DCPControlResetToFactory | DCPControlStop, DHCP: 1, Blocks: 5}},
	{name: "set response block cut", in: dcpPDU(0xfefd, 4, 1, 8, 0, dcpBlock(5, 4, -1, byte(1), byte(2))), err: ErrMalformed, off: 12},
	{name: "hello", in: dcpHello, want: DCP{FrameID: 0xfefc, Service: DCPHello, Request: true, XID: 0x01000005, DataLength: 56,
		NameOfStation: []byte("et200sp-crane1"), IP: ip("10.20.1.31"), Mask: ip("255.255.255.0"), Gateway: ip("10.20.1.1"), IPInfo: 2,
		VendorID: 0x002a, DeviceID: 0x0313, HasDeviceID: true, DeviceRole: DCPRoleIODevice, Blocks: 4}},
	{name: "get request", in: dcpGetReq, want: DCP{FrameID: 0xfefd, Service: DCPGet, Request: true, XID: 0x01000006, DataLength: 4, Blocks: 2}},
	{name: "get response full ip suite", in: dcpGetResp, want: DCP{FrameID: 0xfefd, Service: DCPGet, ServiceType: DCPSuccess, XID: 0x01000006,
		DataLength: 54, NameOfStation: []byte("et200sp-crane1"),
		IP: ip("10.20.1.31"), Mask: ip("255.255.255.0"), Gateway: ip("10.20.1.1"), IPInfo: 0x81, Blocks: 2}},
	{name: "unsupported response", in: dcpPDU(0xfeff, 5, 5, 9, 0), want: DCP{FrameID: 0xfeff, Service: DCPIdentify, ServiceType: DCPUnsupported, XID: 9}},
	{name: "alias, empty name, first kept", in: identResp(dcpBlock(2, 6, 0, "port-002.sc-crane1-xc208"), dcpBlock(2, 2, 0),
		dcpBlock(2, 2, 0, "second"), dcpBlock(2, 4, 0, byte(2), byte(0)), dcpBlock(2, 4, 0, byte(1), byte(0)), dcpBlock(3, 61, 0, byte(61), byte(1), byte(1))),
		want: identRespWant(identResp(dcpBlock(2, 6, 0, "port-002.sc-crane1-xc208"), dcpBlock(2, 2, 0),
			dcpBlock(2, 2, 0, "second"), dcpBlock(2, 4, 0, byte(2), byte(0)), dcpBlock(2, 4, 0, byte(1), byte(0)), dcpBlock(3, 61, 0, byte(61), byte(1), byte(1))),
			func(d *DCP) {
				d.AliasName, d.NameOfStation, d.DeviceRole, d.Blocks, d.Unknown = []byte("port-002.sc-crane1-xc208"), []byte{}, DCPRoleIOController, 6, 1
			})},
	{name: "odd last block without padding", in: identResp(dcpBlock(2, 1, 0, "S7-1500")),
		want: identRespWant(identResp(dcpBlock(2, 1, 0, "S7-1500")), func(d *DCP) { d.TypeOfStation, d.Blocks = []byte("S7-1500"), 1 })},

	{name: "empty", in: nil, err: ErrTruncated, off: 0},
	{name: "cyclic rt frame", in: hx("8000 0102030405060708090a0b0c"), err: ErrNotDCP, off: 0},
	{name: "alarm frame", in: hx("fc01 0102030405060708090a0b0c"), err: ErrNotDCP, off: 0},
	{name: "ptcp frame", in: hx("ff40 0102030405060708090a0b0c"), err: ErrNotDCP, off: 0},
	{name: "header cut", in: dcpIdentAll[:11], err: ErrTruncated, off: 11},
	{name: "service id 7", in: dcpPDU(0xfefe, 7, 0, 1, 0), err: ErrMalformed, off: 2},
	{name: "service id 2", in: dcpPDU(0xfefe, 2, 0, 1, 0), err: ErrMalformed, off: 2},
	{name: "service type 2", in: dcpPDU(0xfefe, 5, 2, 1, 0), err: ErrMalformed, off: 3},
	{name: "data past end", in: dcpIdentName[:len(dcpIdentName)-1], err: ErrTruncated, off: len(dcpIdentName) - 1},
	{name: "block header cut", in: cat(uint16(0xfefe), byte(5), byte(0), uint32(1), uint16(1), uint16(3), hx("020200")), err: ErrTruncated, off: 12},
	{name: "block past data", in: cat(uint16(0xfefe), byte(5), byte(0), uint32(1), uint16(1), uint16(6), hx("0202 0004 6162")), err: ErrTruncated, off: 12},
	{name: "block info missing", in: identResp(dcpBlock(2, 2, -1, byte('x'))), err: ErrMalformed, off: 12},
	{name: "device id of 3", in: identResp(dcpBlock(2, 3, 0, hx("002a03"))), err: ErrMalformed, off: 12},
	{name: "oem id of 5", in: identResp(dcpBlock(2, 8, 0, hx("002a031300"))), err: ErrMalformed, off: 12},
	{name: "role of 1", in: identResp(dcpBlock(2, 2, 0, "ab"), dcpBlock(2, 4, 0, byte(1))), err: ErrMalformed, off: 20},
	{name: "instance of 3", in: identResp(dcpBlock(2, 7, 0, hx("000064"))), err: ErrMalformed, off: 12},
	{name: "mac of 5", in: identResp(dcpBlock(1, 1, 0, hx("2863368a41"))), err: ErrMalformed, off: 12},
	{name: "ip of 11", in: identResp(dcpBlock(1, 2, 1, make([]byte, 11))), err: ErrMalformed, off: 12},
	{name: "ip suite of 12", in: identResp(dcpBlock(1, 3, 1, make([]byte, 12))), err: ErrMalformed, off: 12},
	{name: "get selectors odd", in: cat(uint16(0xfefd), byte(3), byte(0), uint32(1), uint16(0), uint16(3), hx("020201")), err: ErrMalformed, off: 12},
}

func TestParseDCP(t *testing.T) {
	for _, tc := range dcpCases {
		t.Run(tc.name, func(t *testing.T) {
			d := DCP{NameOfStation: []byte("stale"), HasMAC: true, Blocks: 7}
			err := ParseDCP(exact(tc.in), &d)
			checkErr(t, err, tc.err, "dcp", tc.off)
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

func TestDCPServiceString(t *testing.T) {
	for s, want := range map[DCPService]string{DCPGet: "Get", DCPSet: "Set", DCPIdentify: "Identify", DCPHello: "Hello", 9: "Service(9)"} {
		if got := s.String(); got != want {
			t.Errorf("%d: %q, want %q", s, got, want)
		}
		if b, _ := s.MarshalText(); string(b) != want {
			t.Errorf("%d: MarshalText %q", s, b)
		}
	}
}
