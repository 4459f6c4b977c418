package enip

import (
	"strings"
	"testing"

	"harborwatch/event"
)

func TestNames(t *testing.T) {
	cases := []struct {
		name, got, want string
	}{
		{"command nop", first(commandName(0x0000)), "NOP"},
		{"command list identity", first(commandName(0x0063)), "ListIdentity"},
		{"command send unit data", first(commandName(0x0070)), "SendUnitData"},
		{"command unknown", first(commandName(0x0071)), ""},
		{"encap status success", encapStatusName(0), ""},
		{"encap status invalid command", encapStatusName(1), "Invalid or unsupported encapsulation command"},
		{"encap status memory", encapStatusName(2), "Insufficient memory resources"},
		{"encap status data", encapStatusName(3), "Poorly formed or incorrect data"},
		{"encap status length", encapStatusName(0x65), "Invalid length"},
		{"encap status not allowed", encapStatusName(0x6A), "Encapsulated CIP service not allowed on this port"},
		{"status success", statusName(0), ""},
		{"status path destination", statusName(0x05), "Path destination unknown"},
		{"status privilege", statusName(0x0F), "Privilege violation"},
		{"status last", statusName(0x2E), "Service not supported for specified path"},
		{"status reserved", statusName(0x40), "Reserved status"},
		{"status class specific", statusName(0xD0), "Object class specific error"},
		{"extended status", extendedStatusName(1, 0x0100), "Connection in use or duplicate Forward_Open"},
		{"extended status out of connections", extendedStatusName(1, 0x0113), "Out of connections"},
		{"extended status other general", extendedStatusName(5, 0x0100), ""},
		{"extended status unlisted", extendedStatusName(1, 0x0999), ""},
		{"class identity", className(1), "Identity"},
		{"class tcp/ip", className(0xF5), "TCP/IP Interface"},
		{"class file", className(0x37), "File"},
		{"class vendor", className(0x8E), ""},
		{"vendor rockwell", vendorName(1), "Rockwell Automation/Allen-Bradley"},
		{"vendor omron", vendorName(47), "Omron Corporation"},
		{"vendor schneider", vendorName(243), "Schneider Automation Inc."},
		{"vendor siemens", vendorName(1251), "Siemens AG"},
		{"vendor liebherr", vendorName(1252), "Liebherr Transportation Systems GmbH & Co KG"},
		{"vendor unlisted", vendorName(9999), ""},
		{"device adapter", deviceTypeName(0x0C), "Communications Adapter"},
		{"device plc", deviceTypeName(0x0E), "Programmable Logic Controller"},
		{"device drive", deviceTypeName(0x02), "AC Drive Device"},
		{"device switch", deviceTypeName(0x2C), "Managed Ethernet Switch"},
		{"device hmi", deviceTypeName(0x18), "Human-Machine Interface"},
		{"device unlisted", deviceTypeName(0x96), ""},
		{"reset power cycle", resetTypeName(0), "power cycle"},
		{"reset factory", resetTypeName(1), "factory defaults"},
		{"reset keep comms", resetTypeName(2), "factory defaults except communication parameters"},
		{"reset vendor", resetTypeName(100), "vendor specific"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func first(s string, _ bool) string { return s }

func TestCommandOp(t *testing.T) {
	for cmd, want := range map[uint16]string{
		cmdListIdentity: event.OpIdentity, cmdListServices: event.OpIdentity, cmdListInterfaces: event.OpIdentity,
		cmdRegisterSession: event.OpSession, cmdSendRRData: event.OpSession, cmdNOP: event.OpSession, 0x0002: event.OpOther,
	} {
		if got := opNames[commandOp(cmd)]; got != want {
			t.Errorf("commandOp(%#x) = %s, want %s", cmd, got, want)
		}
	}
}

func TestRank(t *testing.T) {
	order := []opcode{opRead, opIdentity, opDiagnostics, opIO, opSession, opOther, opWrite, opAuth,
		opConfigChange, opProgramUpload, opPLCStart, opPLCStop, opProgramDelete, opProgramDownload, opFirmwareUpdate}
	for i := 1; i < len(order); i++ {
		if rank(order[i]) <= rank(order[i-1]) {
			t.Errorf("rank(%s) = %d is not above rank(%s) = %d", opNames[order[i]], rank(order[i]), opNames[order[i-1]], rank(order[i-1]))
		}
	}
	if len(order) != int(numOps) {
		t.Errorf("%d ops ranked, %d defined", len(order), numOps)
	}
	// Every op name is one of the event vocabulary.
	for _, n := range opNames {
		found := false
		for _, o := range event.Ops {
			found = found || o == n
		}
		if !found {
			t.Errorf("op %q is not in event.Ops", n)
		}
	}
}

func TestLookup(t *testing.T) {
	cases := []struct {
		name          string
		svc           uint8
		class         uint32
		hasClass, sym bool
		want, op      string
	}{
		{"response bit ignored", 0x8E, 1, true, false, "Get_Attribute_Single", event.OpIdentity},
		{"0x4e on connection manager", 0x4E, 6, true, false, "Forward_Close", event.OpSession},
		{"0x4e on file", 0x4E, 0x37, true, false, "Initiate_Partial_Write", event.OpProgramDownload},
		{"0x4e on symbol", 0x4E, 0x6B, true, false, "Read_Modify_Write_Tag", event.OpWrite},
		{"0x4e symbolic", 0x4E, 0, false, true, "Read_Modify_Write_Tag", event.OpWrite},
		{"0x4e with class and symbol", 0x4E, 6, true, true, "Read_Modify_Write_Tag", event.OpWrite},
		{"0x52 on connection manager", 0x52, 6, true, false, "Unconnected_Send", event.OpOther},
		{"0x52 without class", 0x52, 0, false, false, "Read_Tag_Fragmented", event.OpRead},
		{"0x54 without class", 0x54, 0, false, false, "Forward_Open", event.OpSession},
		{"0x5b without class", 0x5B, 0, false, false, "Large_Forward_Open", event.OpSession},
		{"0x4b without class", 0x4B, 0, false, false, "Execute_PCCC", event.OpOther},
		{"0x4c on message router", 0x4C, 2, true, false, "Read_Tag", event.OpRead},
		{"0x4f without class", 0x4F, 0, false, false, "Object_Specific_Service", event.OpOther},
		{"0x56 on connection manager", 0x56, 6, true, false, "Get_Connection_Data", event.OpRead},
		{"0x57 on connection manager", 0x57, 6, true, false, "Search_Connection_Data", event.OpRead},
		{"0x63 on assembly", 0x63, 4, true, false, "Object_Specific_Service", event.OpOther},
		{"0x00", 0x00, 1, true, false, "Unknown_Service", event.OpOther},
		{"0x1f", 0x1F, 1, true, false, "Unknown_Service", event.OpOther},
		{"0x1d", 0x1D, 4, true, false, "Get_Connection_Point_Member_List", event.OpRead},
		{"restore", 0x15, 0xF5, true, false, "Restore", event.OpConfigChange},
		{"insert member", 0x1A, 4, true, false, "Insert_Member", event.OpWrite},
		{"remove member", 0x1B, 4, true, false, "Remove_Member", event.OpWrite},
		{"group sync", 0x1C, 4, true, false, "GroupSync", event.OpRead},
		{"error response", 0x14, 4, true, false, "Error_Response", event.OpOther},
		{"get attribute single without class", 0x0E, 0, false, false, "Get_Attribute_Single", event.OpRead},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := lookup(tc.svc, tc.class, tc.hasClass, tc.sym)
			if s.name != tc.want || opNames[s.op] != tc.op {
				t.Errorf("lookup = %s/%s, want %s/%s", s.name, opNames[s.op], tc.want, tc.op)
			}
		})
	}
}

func TestPCCC(t *testing.T) {
	cases := []struct {
		name     string
		data     []byte
		response bool
		cmd, fnc uint8
		ok       bool
		pccc, op string
	}{
		{"typed read", cat([]byte{7}, le16(1), le32(9), []byte{0x0F, 0}, le16(1), []byte{0x68}), false, 0x0F, 0x68, true, "PCCC_Typed_Read", event.OpRead},
		{"typed write", cat([]byte{7}, le16(1), le32(9), []byte{0x0F, 0}, le16(1), []byte{0x67}), false, 0x0F, 0x67, true, "PCCC_Typed_Write", event.OpWrite},
		{"word range read", cat([]byte{7}, le16(1), le32(9), []byte{0x0F, 0}, le16(1), []byte{0x01}), false, 0x0F, 0x01, true, "PCCC_Word_Range_Read", event.OpRead},
		{"read modify write", cat([]byte{7}, le16(1), le32(9), []byte{0x0F, 0}, le16(1), []byte{0x26}), false, 0x0F, 0x26, true, "PCCC_Read_Modify_Write", event.OpWrite},
		{"protected write with mask", cat([]byte{7}, le16(1), le32(9), []byte{0x0F, 0}, le16(1), []byte{0xAB}), false, 0x0F, 0xAB, true, "PCCC_Protected_Typed_Logical_Write", event.OpWrite},
		{"diagnostic other", cat([]byte{7}, le16(1), le32(9), []byte{0x06, 0}, le16(1), []byte{0x01}), false, 0x06, 0x01, true, "PCCC_Command", event.OpOther},
		{"other command", cat([]byte{7}, le16(1), le32(9), []byte{0x01, 0}, le16(1)), false, 0x01, 0, true, "PCCC_Command", event.OpOther},
		{"reply", cat([]byte{7}, le16(1), le32(9), []byte{0x4F, 0}, le16(1), []byte{1, 2}), true, 0x0F, 0, true, "", ""},
		{"empty", nil, false, 0, 0, false, "", ""},
		{"zero requestor length", []byte{0, 1, 2, 3, 4}, false, 0, 0, false, "", ""},
		{"short", []byte{7, 1, 2, 3}, false, 0, 0, false, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd, fnc, ok := pcccCommand(tc.data, tc.response)
			if cmd != tc.cmd || fnc != tc.fnc || ok != tc.ok {
				t.Errorf("pcccCommand = %#x, %#x, %v; want %#x, %#x, %v", cmd, fnc, ok, tc.cmd, tc.fnc, tc.ok)
			}
			if !ok || tc.pccc == "" {
				return
			}
			name, op := pcccOp(cmd, fnc)
			if name != tc.pccc || opNames[op] != tc.op {
				t.Errorf("pcccOp = %s/%s, want %s/%s", name, opNames[op], tc.pccc, tc.op)
			}
		})
	}
}

func TestStringI(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"short string", stringIData("prog.bin"), "prog.bin"},
		{"string", cat([]byte{1, 'e', 'n', 'g', 0xD0}, le16(4), le16(3), []byte("abc")), "abc"},
		{"string2", cat([]byte{1, 'e', 'n', 'g', 0xD5}, le16(1000), le16(2), []byte{'h', 0, 'i', 0}), "h\x00i\x00"},
		{"stringn", cat([]byte{1, 'e', 'n', 'g', 0xD9}, le16(4), le16(1), le16(2), []byte("xy")), "xy"},
		{"no strings", []byte{0, 'e', 'n', 'g', 0xDA, 4, 0, 0}, ""},
		{"unknown type", cat([]byte{1, 'e', 'n', 'g', 0xC1}, le16(4), []byte{1, 'a'}), ""},
		{"past end", cat([]byte{1, 'e', 'n', 'g', 0xDA}, le16(4), []byte{9, 'a'}), ""},
		{"short header", []byte{1, 'e', 'n'}, ""},
		{"string no length", cat([]byte{1, 'e', 'n', 'g', 0xD0}, le16(4)), ""},
		{"stringn no length", cat([]byte{1, 'e', 'n', 'g', 0xD9}, le16(4), le16(1)), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(stringI(tc.b)); got != tc.want {
				t.Errorf("stringI = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFirmwareName(t *testing.T) {
	for name, want := range map[string]bool{
		"firmware.bin": true, "Controller FIRMWARE": true, "L8x_v35.dmk": true, "L8x_v35.DMK": true,
		"program.acd": false, "firm": false, "": false, ".dmk": true, "eds.ico": false,
	} {
		if got := firmwareName([]byte(name)); got != want {
			t.Errorf("firmwareName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestIdentityAttr(t *testing.T) {
	cases := []struct {
		name  string
		attr  uint16
		b     []byte
		n     int
		ok    bool
		check func(Identity) bool
	}{
		{"vendor", 1, le16(47), 2, true, func(id Identity) bool { return id.Vendor == 47 && id.Fields == IDVendor }},
		{"device type", 2, le16(14), 2, true, func(id Identity) bool { return id.DeviceType == 14 }},
		{"product code", 3, le16(99), 2, true, func(id Identity) bool { return id.ProductCode == 99 }},
		{"revision", 4, []byte{20, 11}, 2, true, func(id Identity) bool { return id.Major == 20 && id.Minor == 11 }},
		{"status", 5, le16(0x60), 2, true, func(id Identity) bool { return id.Status == 0x60 }},
		{"serial", 6, le32(0xDEADBEEF), 4, true, func(id Identity) bool { return id.Serial == 0xDEADBEEF }},
		{"product name", 7, []byte{3, 'P', 'L', 'C'}, 4, true, func(id Identity) bool { return string(id.ProductName) == "PLC" }},
		{"state", 8, []byte{3}, 1, true, func(id Identity) bool { return id.State == 3 && id.Fields == IDState }},
		{"unknown attribute", 9, []byte{1, 2}, 0, false, func(id Identity) bool { return id.Fields == 0 }},
		{"short u16", 1, []byte{1}, 0, false, func(id Identity) bool { return id.Fields == 0 }},
		{"short revision", 4, []byte{1}, 0, false, func(id Identity) bool { return id.Fields == 0 }},
		{"short serial", 6, []byte{1, 2}, 0, false, func(id Identity) bool { return id.Fields == 0 }},
		{"short name", 7, []byte{5, 'a'}, 0, false, func(id Identity) bool { return id.Fields == 0 }},
		{"short state", 8, nil, 0, false, func(id Identity) bool { return id.Fields == 0 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var id Identity
			n, ok := identityAttr(&id, tc.attr, tc.b)
			if n != tc.n || ok != tc.ok || !tc.check(id) {
				t.Errorf("identityAttr = %d, %v, %+v", n, ok, id)
			}
		})
	}
}

func TestTransferFileName(t *testing.T) {
	a := &Analyzer{}
	name := strings.Repeat("n", 70)
	feedAll(t, a, nil, sendUnit(1, 1, initiateDownload(1, 1, name)))
	if got := a.xfer[0].FileName(); len(got) != 64 || a.Dropped() != 1 {
		t.Errorf("FileName %q (%d), dropped %d", got, len(got), a.Dropped())
	}
	feedAll(t, a, nil, sendUnit(1, 2, initiateDownload(1, 1, "hoist.acd")))
	if got := a.xfer[0].FileName(); got != "hoist.acd" {
		t.Errorf("FileName %q", got)
	}
}

func TestLearnFirmware(t *testing.T) {
	a := &Analyzer{}
	for i := range maxFirmware + 2 {
		a.learnFirmware(uint32(i))
		a.learnFirmware(uint32(i)) // known: no-op
	}
	if a.fwN != maxFirmware || a.Dropped() != 4 || !a.firmwareInstance(0) || a.firmwareInstance(maxFirmware) {
		t.Errorf("fwN %d, dropped %d", a.fwN, a.Dropped())
	}
}
