package synth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harborwatch/internal/testutil"
)

// wireCase is one message and the fields tshark must give its frame
// (fields not listed must be absent).
type wireCase struct {
	name       string
	msg        []byte
	fromServer bool
	want       map[string]string
}

// dissect writes the cases as one conversation between a client and a
// server (UDP 47808 for BACnet, TCP 4840 for OPC UA), has tshark dissect
// the frames that filter selects, and checks each one's fields in order:
// one frame per case, the fields as wanted, nothing malformed and no
// expert information of any severity on them. verbose must appear in
// tshark's detailed dissection.
func dissect(t *testing.T, udp bool, filter string, fields []string, cases []wireCase, verbose ...string) {
	t.Helper()
	bin := testutil.Tshark(t)
	c := host("client", "10.60.0.10", "00:50:56:60:00:0a", 0, 64)
	s := host("server", "10.10.3.10", "00:a0:03:01:03:0a", 0, 64)
	var ex []Exchange
	for _, tc := range cases {
		ex = append(ex, Exchange{FromServer: tc.fromServer, Data: tc.msg, After: 5 * time.Millisecond})
	}
	b := pcapBytes(t, false, func(w PacketWriter) error {
		bl := New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
		if udp {
			bl.UDP(c, s, 47808, 47808, ex...)
		} else {
			bl.TCPSession(c, s, 50123, 4840, ex...)
		}
		return bl.Flush()
	})
	file := filepath.Join(t.TempDir(), "wire.pcap")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ts := tsharkRunner(bin, file)
	if out := ts(t, "-Y", "("+filter+") && (_ws.malformed || _ws.expert)", "-T", "fields", "-e", "frame.number"); strings.TrimSpace(out) != "" {
		t.Errorf("frames with malformed parts or expert information: %s", out)
	}
	args := []string{"-Y", filter, "-T", "fields", "-E", "occurrence=a", "-E", "separator=|"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	lines := strings.Split(strings.TrimRight(ts(t, args...), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("tshark dissects %d frames, want %d:\n%s", len(lines), len(cases), strings.Join(lines, "\n"))
	}
	for i, tc := range cases {
		got := strings.Split(lines[i], "|")
		for j, f := range fields {
			if got[j] != tc.want[f] {
				t.Errorf("%s: %s = %q, want %q", tc.name, f, got[j], tc.want[f])
			}
		}
	}
	v := ts(t, "-Y", filter, "-V")
	for _, s := range verbose {
		if !strings.Contains(v, s) {
			t.Errorf("tshark -V has no %q", s)
		}
	}
}

// TestBACnetTshark has tshark dissect every BACnet/IP builder's message:
// BVLC function, APDU type, service, invoke id and the parameters.
func TestBACnetTshark(t *testing.T) {
	fields := []string{"bvlc.function", "bacapp.type", "bacapp.confirmed_service", "bacapp.unconfirmed_service",
		"bacapp.invoke_id", "bacapp.objectType", "bacapp.instance_number", "bacapp.property_identifier",
		"bacapp.vendor_identifier", "bacapp.present_value.real", "bacapp.present_value.enum_index",
		"bacapp.error_class", "bacapp.error_code", "bacapp.reject_reason"}
	dev := BACnetObject{Type: BACnetDevice, Instance: 1301}
	av := BACnetObject{Type: BACnetAnalogValue, Instance: 1}
	bo := BACnetObject{Type: BACnetBinaryOutput, Instance: 3}
	id := BACnetIdentity{Instance: 1301, MaxAPDU: 1476, Segmentation: 3, Vendor: 7}
	uc, bc := "0x0a", "0x0b"
	cases := []wireCase{
		{"who-is all", BACnetWhoIs(true, -1, -1), false, map[string]string{"bvlc.function": bc, "bacapp.type": "1",
			"bacapp.unconfirmed_service": "8"}},
		{"who-is range", BACnetWhoIs(false, 1000, 4194303), false, map[string]string{"bvlc.function": uc,
			"bacapp.type": "1", "bacapp.unconfirmed_service": "8"}},
		{"i-am", BACnetIAm(true, id), true, map[string]string{"bvlc.function": bc, "bacapp.type": "1",
			"bacapp.unconfirmed_service": "0", "bacapp.objectType": "8", "bacapp.instance_number": "1301",
			"bacapp.vendor_identifier": "7"}},
		{"read object-name", BACnetReadProperty(1, dev, BACnetPropObjectName), false, map[string]string{
			"bvlc.function": uc, "bacapp.type": "0", "bacapp.confirmed_service": "12", "bacapp.invoke_id": "1",
			"bacapp.objectType": "8", "bacapp.instance_number": "1301", "bacapp.property_identifier": "77"}},
		{"read ack string", BACnetReadPropertyACK(1, dev, BACnetPropObjectName, BACnetString("STS01 E-House AHU-1")), true,
			map[string]string{"bvlc.function": uc, "bacapp.type": "3", "bacapp.confirmed_service": "12",
				"bacapp.invoke_id": "1", "bacapp.objectType": "8", "bacapp.instance_number": "1301",
				"bacapp.property_identifier": "77"}},
		{"read ack real", BACnetReadPropertyACK(2, av, BACnetPropPresentValue, BACnetReal(21.5)), true,
			map[string]string{"bvlc.function": uc, "bacapp.type": "3", "bacapp.confirmed_service": "12",
				"bacapp.invoke_id": "2", "bacapp.objectType": "2", "bacapp.instance_number": "1",
				"bacapp.property_identifier": "85", "bacapp.present_value.real": "21.5"}},
		{"read ack unsigned", BACnetReadPropertyACK(3, dev, 11, BACnetUnsigned(70000)), true, // apdu-timeout (ms)
			map[string]string{"bvlc.function": uc, "bacapp.type": "3", "bacapp.confirmed_service": "12",
				"bacapp.invoke_id": "3", "bacapp.objectType": "8", "bacapp.instance_number": "1301",
				"bacapp.property_identifier": "11"}},
		{"write enumerated", BACnetWriteProperty(4, bo, BACnetPropPresentValue, BACnetEnumerated(0), 8), false,
			map[string]string{"bvlc.function": uc, "bacapp.type": "0", "bacapp.confirmed_service": "15",
				"bacapp.invoke_id": "4", "bacapp.objectType": "4", "bacapp.instance_number": "3",
				"bacapp.property_identifier": "85", "bacapp.present_value.enum_index": "0"}},
		{"simple ack", BACnetSimpleACK(4, BACnetWritePropertyService), true, map[string]string{"bvlc.function": uc,
			"bacapp.type": "2", "bacapp.confirmed_service": "15", "bacapp.invoke_id": "4"}},
		{"write real", BACnetWriteProperty(5, av, BACnetPropPresentValue, BACnetReal(35), 0), false,
			map[string]string{"bvlc.function": uc, "bacapp.type": "0", "bacapp.confirmed_service": "15",
				"bacapp.invoke_id": "5", "bacapp.objectType": "2", "bacapp.instance_number": "1",
				"bacapp.property_identifier": "85", "bacapp.present_value.real": "35"}},
		{"dcc", BACnetDeviceCommunicationControl(6, 60, BACnetCommDisable, "hvac2019"), false, map[string]string{
			"bvlc.function": uc, "bacapp.type": "0", "bacapp.confirmed_service": "17", "bacapp.invoke_id": "6"}},
		{"dcc enable", BACnetDeviceCommunicationControl(7, 0, BACnetCommEnable, ""), false, map[string]string{
			"bvlc.function": uc, "bacapp.type": "0", "bacapp.confirmed_service": "17", "bacapp.invoke_id": "7"}},
		{"reinit warmstart", BACnetReinitializeDevice(8, BACnetWarmstart, "admin"), false, map[string]string{
			"bvlc.function": uc, "bacapp.type": "0", "bacapp.confirmed_service": "20", "bacapp.invoke_id": "8"}},
		{"error", BACnetError(8, BACnetReinitializeDeviceService, BACnetErrorClassSecurity, BACnetErrorPasswordFailure), true,
			map[string]string{"bvlc.function": uc, "bacapp.type": "5", "bacapp.confirmed_service": "20",
				"bacapp.invoke_id": "8", "bacapp.error_class": "4", "bacapp.error_code": "26"}},
		{"reinit coldstart", BACnetReinitializeDevice(9, BACnetColdstart, ""), false, map[string]string{
			"bvlc.function": uc, "bacapp.type": "0", "bacapp.confirmed_service": "20", "bacapp.invoke_id": "9"}},
		{"vt-open", BACnetVTOpen(10, 1), false, map[string]string{"bvlc.function": uc, "bacapp.type": "0",
			"bacapp.confirmed_service": "21", "bacapp.invoke_id": "10"}},
		{"reject", BACnetReject(10, BACnetRejectUnrecognizedSvc), true, map[string]string{"bvlc.function": uc,
			"bacapp.type": "6", "bacapp.invoke_id": "10", "bacapp.reject_reason": "9"}},
	}
	dissect(t, true, "bvlc", fields, cases,
		"Device Instance Range Low Limit: 1000", "Device Instance Range High Limit: 4194303",
		"Object Name: STS01 E-House AHU-1",
		"Maximum ADPU Length Accepted: (Unsigned) 1476", "Segmentation Supported:  no-segmentation (3)",
		"Priority: (Unsigned) 8", "apdu-timeout: (Unsigned) 70000",
		"time Duration: (Unsigned) 60", "enable-disable:  disable (1)", "enable-disable:  enable (0)",
		"Password: UTF-8 'hvac2019'", "Password: UTF-8 'admin'",
		"reinitialized State Of Device:  warmstart (1)", "reinitialized State Of Device:  coldstart (0)")
}

// TestOPCUATshark has tshark dissect a whole OPC UA session written by
// the builders: transport and secure channel messages, each service with
// its sequence numbers and request ids, the None policy and mode, both
// identity tokens, the nodes read, written and called.
func TestOPCUATshark(t *testing.T) {
	fields := []string{"opcua.transport.type", "opcua.servicenodeid.numeric", "opcua.transport.scid",
		"opcua.security.seq", "opcua.security.rqid", "opcua.security.spu", "opcua.MessageSecurityMode",
		"opcua.transport.endpoint", "opcua.PolicyId", "opcua.UserName", "opcua.nodeid.string", "opcua.Double"}
	const url = "opc.tcp://10.10.3.10:4840"
	ch := &OPCUAChannel{ID: 7, Token: 1, Time: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)}
	speed := OPCUANodeID{NS: 3, Name: `"DB_Hoist"."ActualSpeed"`}
	limit := OPCUANodeID{NS: 3, Name: `"DB_HoistLimits"."MaxSpeed"`}
	obj, meth := OPCUANodeID{NS: 3, Name: `"Hoist"`}, OPCUANodeID{NS: 3, Name: `"Hoist"."ResetBrakeFault"`}
	msg := func(svc, seq, rqid string) map[string]string {
		return map[string]string{"opcua.transport.type": "MSG", "opcua.servicenodeid.numeric": svc,
			"opcua.transport.scid": "7", "opcua.security.seq": seq, "opcua.security.rqid": rqid}
	}
	with := func(m map[string]string, kv ...string) map[string]string {
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	none := OPCUASecurityPolicyNone
	cases := []wireCase{
		{"hello", OPCUAHello(url), false, map[string]string{"opcua.transport.type": "HEL", "opcua.transport.endpoint": url}},
		{"acknowledge", OPCUAAcknowledge(), true, map[string]string{"opcua.transport.type": "ACK"}},
		{"open", ch.Open(), false, map[string]string{"opcua.transport.type": "OPN", "opcua.servicenodeid.numeric": "446",
			"opcua.transport.scid": "0", "opcua.security.seq": "1", "opcua.security.rqid": "1",
			"opcua.security.spu": none, "opcua.MessageSecurityMode": "0x00000001"}},
		{"open response", ch.OpenResponse(), true, map[string]string{"opcua.transport.type": "OPN",
			"opcua.servicenodeid.numeric": "449", "opcua.transport.scid": "7", "opcua.security.seq": "1",
			"opcua.security.rqid": "1", "opcua.security.spu": none}},
		{"create session", ch.Request(OPCUACreateSessionRequest(OPCUAApplication{"urn:ews01:UaExpert", "urn:UnifiedAutomation:UaExpert", "UaExpert"}, url, "ews01 session")), false,
			with(msg("461", "2", "2"), "opcua.EndpointUrl", url)},
		{"create session response", ch.Response(OPCUACreateSessionResponse(1007, 5007)), true, msg("464", "2", "2")},
		{"activate user", ch.Request(OPCUAActivateSessionRequest("engineer", "secret")), false,
			with(msg("467", "3", "3"), "opcua.PolicyId", "username", "opcua.UserName", "engineer")},
		{"activate response", ch.Response(OPCUAActivateSessionResponse()), true, msg("470", "3", "3")},
		{"activate refused", ch.Request(OPCUAActivateSessionRequest("tos", "tos")), false,
			with(msg("467", "4", "4"), "opcua.PolicyId", "username", "opcua.UserName", "tos")},
		{"service fault", ch.Response(OPCUAServiceFault(OPCUABadUserAccessDenied)), true,
			with(msg("397", "4", "4"), "opcua.ServiceResult", "0x801f0000")},
		{"activate anonymous", ch.Request(OPCUAActivateSessionRequest("", "")), false,
			with(msg("467", "5", "5"), "opcua.PolicyId", "anonymous")},
		{"activate response 2", ch.Response(OPCUAActivateSessionResponse()), true, msg("470", "5", "5")},
		{"read", ch.Request(OPCUAReadRequest(speed, limit)), false,
			with(msg("631", "6", "6"), "opcua.nodeid.string", `"DB_Hoist"."ActualSpeed","DB_HoistLimits"."MaxSpeed"`)},
		{"read response", ch.Response(OPCUAReadResponse(OPCUADouble(0.42), OPCUAFloat(1.5))), true,
			with(msg("634", "6", "6"), "opcua.Double", "0.42")},
		{"write", ch.Request(OPCUAWriteRequest(limit, OPCUADouble(1.8))), false,
			with(msg("673", "7", "7"), "opcua.nodeid.string", `"DB_HoistLimits"."MaxSpeed"`, "opcua.Double", "1.8")},
		{"write response", ch.Response(OPCUAWriteResponse(1)), true, msg("676", "7", "7")},
		{"call", ch.Request(OPCUACallRequest(obj, meth, OPCUABoolean(true), OPCUAString("brake 1"))), false,
			with(msg("712", "8", "8"), "opcua.nodeid.string", `"Hoist","Hoist"."ResetBrakeFault"`)},
		{"call response", ch.Response(OPCUACallResponse(OPCUAInt32(0))), true, msg("715", "8", "8")},
		{"close session", ch.Request(OPCUACloseSessionRequest()), false, msg("473", "9", "9")},
		{"close session response", ch.Response(OPCUACloseSessionResponse()), true, msg("476", "9", "9")},
		{"close channel", ch.Close(), false, with(msg("452", "10", "10"), "opcua.transport.type", "CLO")},
	}
	fields = append(fields, "opcua.EndpointUrl", "opcua.ServiceResult")
	for _, tc := range cases { // every response header says Good, but the fault's
		if tc.fromServer && tc.want["opcua.servicenodeid.numeric"] != "" && tc.want["opcua.ServiceResult"] == "" {
			tc.want["opcua.ServiceResult"] = "0x00000000"
		}
	}
	dissect(t, false, "opcua", fields, cases,
		"SecurityMode: None (0x00000001)", "RequestType: Issue (0x00000000)",
		"UserNameIdentityToken: UserNameIdentityToken", "PolicyId: username", "UserName: engineer",
		"AnonymousIdentityToken: AnonymousIdentityToken",
		"SessionName: ews01 session", "ApplicationUri: urn:ews01:UaExpert", "Text: UaExpert", "AuthenticationToken: ", "Boolean: True", "String: brake 1", "Int32: 0",
		"Float: 1.5", "AttributeId: Value (0x0000000d)")
}

// FuzzBACnetOPCUA checks the framing of the BACnet/IP and OPC UA builders
// for any string and value: the BVLC and chunk lengths equal the message,
// an Unsigned reads back as its value, a character string's tag (short,
// one-octet or two-octet extended length) spans the string exactly, an
// OPC UA string's length prefix is its length.
func FuzzBACnetOPCUA(f *testing.F) {
	f.Add("hvac2019", uint32(1301), uint8(1))
	f.Add("", uint32(0), uint8(0))
	f.Add(strings.Repeat("x", 252), uint32(0x3fffff), uint8(255))
	f.Add(strings.Repeat("y", 300), uint32(70000), uint8(17))
	f.Fuzz(func(t *testing.T, s string, v uint32, inv uint8) {
		if len(s) > 1400 { // a BVLL message is one datagram
			s = s[:1400]
		}
		o := BACnetObject{Type: uint16(v >> 22), Instance: v}
		for _, m := range [][]byte{BACnetWhoIs(inv%2 == 0, int32(v>>10)-1, int32(v)), BACnetIAm(true, BACnetIdentity{Instance: v, Vendor: uint16(v)}),
			BACnetReadProperty(inv, o, v), BACnetReadPropertyACK(inv, o, v, BACnetString(s)),
			BACnetWriteProperty(inv, o, v, BACnetUnsigned(v), inv), BACnetSimpleACK(inv, inv),
			BACnetReinitializeDevice(inv, inv, s), BACnetDeviceCommunicationControl(inv, uint16(v), inv, s),
			BACnetVTOpen(inv, inv), BACnetError(inv, inv, v, v), BACnetReject(inv, inv)} {
			if m[0] != 0x81 || int(m[2])<<8|int(m[3]) != len(m) || m[4] != 1 {
				t.Fatalf("BVLL % x", m[:min(len(m), 8)])
			}
		}
		u := BACnetUnsigned(v)
		got := uint32(0)
		for _, c := range u[1:] {
			got = got<<8 | uint32(c)
		}
		if u[0]>>4 != 2 || int(u[0]&7) != len(u)-1 || got != v {
			t.Fatalf("Unsigned %d: % x", v, u)
		}
		cs := BACnetString(s)
		n, h := int(cs[0]&7), 1
		if n == 5 {
			n, h = int(cs[1]), 2
			if n == 254 {
				n, h = int(cs[2])<<8|int(cs[3]), 4
			}
		}
		if cs[0]>>4 != 7 || h+n != len(cs) || n != 1+len(s) || string(cs[h+1:]) != s {
			t.Fatalf("CharacterString of %d bytes: % x", len(s), cs[:min(len(cs), 8)])
		}
		ch := &OPCUAChannel{ID: v, Token: v}
		for _, m := range [][]byte{OPCUAHello(s), OPCUAAcknowledge(), ch.Open(), ch.OpenResponse(),
			ch.Request(OPCUACreateSessionRequest(OPCUAApplication{s, s, s}, s, s)), ch.Response(OPCUACreateSessionResponse(v, v)),
			ch.Request(OPCUAActivateSessionRequest(s, s)), ch.Response(OPCUAServiceFault(v)),
			ch.Request(OPCUAWriteRequest(OPCUANodeID{NS: uint16(v), ID: v, Name: s}, OPCUAString(s))),
			ch.Request(OPCUACallRequest(OPCUANodeID{ID: v}, OPCUANodeID{NS: uint16(inv), ID: v}, OPCUAInt32(int32(v)))),
			ch.Close()} {
			if int(m[4])|int(m[5])<<8|int(m[6])<<16|int(m[7])<<24 != len(m) || m[3] != 'F' {
				t.Fatalf("chunk % x", m[:8])
			}
		}
		if us := OPCUAString(s); int(us.val[0])|int(us.val[1])<<8 != len(s) || string(us.val[4:]) != s {
			t.Fatalf("String of %d bytes", len(s))
		}
	})
}
