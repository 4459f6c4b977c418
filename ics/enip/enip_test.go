package enip

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"

	"harborwatch/event"
)

// collect feeds PDUs (each a whole TCP payload) through a and returns the
// records and Details of the messages, failing on framing errors.
type out struct {
	recs    []rec
	details []map[string]any
}

func feedAll(t *testing.T, a *Analyzer, fromClient []bool, pdus ...[]byte) out {
	t.Helper()
	var o out
	for i, p := range pdus {
		fc := true
		if fromClient != nil {
			fc = fromClient[i]
		}
		n, err := a.Feed(p, fc, func(m *Message) {
			o.recs = append(o.recs, record(m))
			d := map[string]any{}
			m.Detail(d)
			o.details = append(o.details, d)
		})
		if err != nil || n != len(p) {
			t.Fatalf("pdu %d: Feed = %d, %v; want %d, nil", i, n, err, len(p))
		}
	}
	return o
}

func feed(t *testing.T, pdus ...[]byte) out { return feedAll(t, &Analyzer{}, nil, pdus...) }

// TestClassification covers every operation of the EtherNet/IP
// list with requests built from the specifications.
func TestClassification(t *testing.T) {
	sym := func(s string) []byte { return symbol(s) }
	cases := []struct {
		name  string
		cip   []byte
		want  string // service name
		op    string
		class int // -1: no class
	}{
		{"get attribute single identity", request(0x0E, cat(cls(1), inst(1), attr(7)), nil), "Get_Attribute_Single", event.OpIdentity, 1},
		{"get attributes all identity", request(0x01, cat(cls(1), inst(1)), nil), "Get_Attributes_All", event.OpIdentity, 1},
		{"get attribute list identity", request(0x03, cat(cls(1), inst(1)), cat(le16(1), le16(7))), "Get_Attribute_List", event.OpIdentity, 1},
		{"get attribute single assembly", request(0x0E, cat(cls(4), inst(100), attr(3)), nil), "Get_Attribute_Single", event.OpRead, 4},
		{"get attribute 16-bit class", request(0x0E, cat(cls(0x300), inst(70000), attr(1)), nil), "Get_Attribute_Single", event.OpRead, 0x300},
		{"find next object instance", request(0x11, cat(cls(4), inst(0)), []byte{5}), "Find_Next_Object_Instance", event.OpRead, 4},
		{"get member", request(0x18, cat(cls(0x8E), inst(1), attr(2), member(1)), nil), "Get_Member", event.OpRead, 0x8E},
		{"set attribute single assembly", request(0x10, cat(cls(4), inst(150), attr(3)), []byte{1, 2}), "Set_Attribute_Single", event.OpWrite, 4},
		{"set attribute list wall clock", request(0x04, cat(cls(0x8B), inst(1)), cat(le16(1), le16(6), le32(1), le32(2))), "Set_Attribute_List", event.OpWrite, 0x8B},
		{"set attribute single identity", request(0x10, cat(cls(1), inst(1), attr(7)), []byte{1, 'x'}), "Set_Attribute_Single", event.OpWrite, 1},
		{"set member", request(0x19, cat(cls(0x8E), inst(1), attr(2), member(1)), []byte{1}), "Set_Member", event.OpWrite, 0x8E},
		{"create", request(0x08, cat(cls(4), inst(0)), nil), "Create", event.OpWrite, 4},
		{"delete", request(0x09, cat(cls(4), inst(200)), nil), "Delete", event.OpWrite, 4},
		{"save", request(0x16, cat(cls(0x0F), inst(1)), nil), "Save", event.OpWrite, 0x0F},
		{"tcp/ip set attribute single", request(0x10, cat(cls(0xF5), inst(1), attr(5)), make([]byte, 22)), "Set_Attribute_Single", event.OpConfigChange, 0xF5},
		{"tcp/ip set attributes all", request(0x02, cat(cls(0xF5), inst(1)), make([]byte, 8)), "Set_Attributes_All", event.OpConfigChange, 0xF5},
		{"ethernet link set attribute single", request(0x10, cat(cls(0xF6), inst(1), attr(6)), le16(0x0001)), "Set_Attribute_Single", event.OpConfigChange, 0xF6},
		{"ethernet link apply attributes", request(0x0D, cat(cls(0xF6), inst(1)), nil), "Apply_Attributes", event.OpConfigChange, 0xF6},
		{"ethernet link get and clear", request(0x4C, cat(cls(0xF6), inst(1), attr(4)), nil), "Get_and_Clear", event.OpDiagnostics, 0xF6},
		{"ethernet/ip security set", request(0x10, cat(cls(0x5E), inst(1), attr(3)), []byte{1}), "Set_Attribute_Single", event.OpConfigChange, 0x5E},
		{"tcp/ip get attribute single", request(0x0E, cat(cls(0xF5), inst(1), attr(5)), nil), "Get_Attribute_Single", event.OpRead, 0xF5},
		{"reset identity", request(0x05, cat(cls(1), inst(1)), []byte{1}), "Reset", event.OpPLCStart, 1},
		{"start", request(0x06, cat(cls(0x64), inst(1)), nil), "Start", event.OpPLCStart, 0x64},
		{"stop logix controller", request(0x07, cat(cls(0x64), inst(1)), nil), "Stop", event.OpPLCStop, 0x64},
		{"forward open", forwardOpen(), "Forward_Open", event.OpSession, 6},
		{"large forward open", request(0x5B, cat(cls(6), inst(1)), nil), "Large_Forward_Open", event.OpSession, 6},
		{"forward close", forwardClose(), "Forward_Close", event.OpSession, 6},
		{"get connection owner", request(0x5A, cat(cls(6), inst(1)), nil), "Get_Connection_Owner", event.OpRead, 6},
		{"read tag", request(0x4C, sym("Speed"), le16(1)), "Read_Tag", event.OpRead, -1},
		{"read tag fragmented", request(0x52, sym("Recipe"), cat(le16(10), le32(0))), "Read_Tag_Fragmented", event.OpRead, -1},
		{"write tag", request(0x4D, sym("Speed"), cat(le16(0xC4), le16(1), le32(7))), "Write_Tag", event.OpWrite, -1},
		{"write tag fragmented", request(0x53, sym("Recipe"), cat(le16(0xC4), le16(10), le32(0), le32(7))), "Write_Tag_Fragmented", event.OpWrite, -1},
		{"read modify write tag", request(0x4E, sym("Flags"), cat(le16(4), le32(1), le32(0xFFFFFFFF))), "Read_Modify_Write_Tag", event.OpWrite, -1},
		{"read modify write by symbol instance", request(0x4E, cat(cls(0x6B), inst(0x1234)), cat(le16(4), le32(1), le32(0))), "Read_Modify_Write_Tag", event.OpWrite, 0x6B},
		{"read tag by symbol instance", request(0x4C, cat(cls(0x6B), inst(0x1234)), le16(1)), "Read_Tag", event.OpRead, 0x6B},
		{"get instance attribute list", request(0x55, cat(cls(0x6B), inst(0)), cat(le16(2), le16(1), le16(2))), "Get_Instance_Attribute_List", event.OpRead, 0x6B},
		{"read template", request(0x4C, cat(cls(0x6C), inst(0x2F1)), cat(le32(0), le16(100))), "Read_Tag", event.OpRead, 0x6C},
		{"file initiate upload", request(0x4B, cat(cls(0x37), inst(0xC8)), []byte{200}), "Initiate_Upload", event.OpProgramUpload, 0x37},
		{"file initiate partial read", request(0x4D, cat(cls(0x37), inst(0xC8)), cat(le32(0), le16(100))), "Initiate_Partial_Read", event.OpProgramUpload, 0x37},
		{"file upload transfer", request(0x4F, cat(cls(0x37), inst(0xC8)), []byte{0}), "Upload_Transfer", event.OpProgramUpload, 0x37},
		{"file initiate download", initiateDownload(0xC9, 1000, "program.bin"), "Initiate_Download", event.OpProgramDownload, 0x37},
		{"file initiate download firmware name", initiateDownload(0xC9, 1000, "Firmware_v21.bin"), "Initiate_Download", event.OpFirmwareUpdate, 0x37},
		{"file initiate download firmware kit", initiateDownload(0xC9, 1000, "1756-L8x_35.011.DMK"), "Initiate_Download", event.OpFirmwareUpdate, 0x37},
		{"file initiate partial write", request(0x4E, cat(cls(0x37), inst(0xC9)), cat(le32(0), le16(4), []byte{1, 2, 3, 4})), "Initiate_Partial_Write", event.OpProgramDownload, 0x37},
		{"file download transfer", downloadTransfer(0xC9, 0, 0, []byte("data")), "Download_Transfer", event.OpProgramDownload, 0x37},
		{"file clear", request(0x51, cat(cls(0x37), inst(0xC9)), nil), "Clear_File", event.OpProgramDelete, 0x37},
		{"file delete instance", request(0x09, cat(cls(0x37), inst(0xC9)), nil), "Delete", event.OpProgramDelete, 0x37},
		{"pccc typed read", pcccRequest(0x0F, 0x68), "Execute_PCCC", event.OpRead, 0x67},
		{"pccc protected typed logical read", pcccRequest(0x0F, 0xA2), "Execute_PCCC", event.OpRead, 0x67},
		{"pccc protected typed logical write", pcccRequest(0x0F, 0xAA), "Execute_PCCC", event.OpWrite, 0x67},
		{"pccc word range write", pcccRequest(0x0F, 0x00), "Execute_PCCC", event.OpWrite, 0x67},
		{"pccc diagnostic status", pcccRequest(0x06, 0x03), "Execute_PCCC", event.OpDiagnostics, 0x67},
		{"pccc change mode", pcccRequest(0x0F, 0x80), "Execute_PCCC", event.OpOther, 0x67},
		{"no operation", request(0x17, cat(cls(2), inst(1)), nil), "No_Operation", event.OpDiagnostics, 2},
		{"identity flash leds", request(0x4B, cat(cls(1), inst(1)), nil), "Flash_LEDs", event.OpDiagnostics, 1},
		{"unknown common service", request(0x30, cat(cls(2), inst(1)), nil), "Unknown_Service", event.OpOther, 2},
		{"unknown high service", request(0x70, cat(cls(2), inst(1)), nil), "Unknown_Service", event.OpOther, 2},
		{"vendor class service", request(0x4F, cat(cls(0x04), inst(1)), nil), "Object_Specific_Service", event.OpOther, 4},
		{"vendor service without class", request(0x60, sym("X"), nil), "Object_Specific_Service", event.OpOther, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := feed(t, sendRR(testCtx, tc.cip))
			if len(o.recs) != 1 {
				t.Fatalf("%d messages, want 1", len(o.recs))
			}
			r := o.recs[0]
			if r.Name != tc.want || r.Op != tc.op || r.Func != int(tc.cip[0]) || r.Malformed || !r.Request ||
				r.Proto != "cip" || r.Kind != KindCIP || r.Status != "" {
				t.Errorf("got %s op %s func %#x malformed %v req %v proto %s status %q; want %s op %s func %#x",
					r.Name, r.Op, r.Func, r.Malformed, r.Request, r.Proto, r.Status, tc.want, tc.op, tc.cip[0])
			}
			if (tc.class < 0) != (r.Has&HasClass == 0) || (tc.class >= 0 && r.Class != uint32(tc.class)) {
				t.Errorf("class %#x (has %v), want %#x", r.Class, r.Has&HasClass != 0, tc.class)
			}
			if tc.class >= 0 && o.details[0]["class"] != tc.class {
				t.Errorf("detail class = %v, want %d", o.details[0]["class"], tc.class)
			}
		})
	}
}

// TestEncapsulationCommands covers the commands that carry no CIP.
func TestEncapsulationCommands(t *testing.T) {
	reg := encapPDU(cmdRegisterSession, 0, 0, testCtx, cat(le16(1), le16(0)))
	cases := []struct {
		name       string
		pdu        []byte
		fromClient bool
		want, op   string
		status     string
		malformed  bool
	}{
		{"list identity request", encapPDU(cmdListIdentity, 0, 0, testCtx, nil), true, "ListIdentity", event.OpIdentity, "", false},
		{"list identity reply", listIdentityReply(1, 14, 166, 33, 11, 0x00C0FFEE, "1756-L83E/B", 3), false, "ListIdentity", event.OpIdentity, "", false},
		{"list services request", encapPDU(cmdListServices, 0, 0, testCtx, nil), true, "ListServices", event.OpIdentity, "", false},
		{"list services reply", encapPDU(cmdListServices, 0, 0, testCtx, cpfData(item(itemServices, cat(le16(1), le16(0x0120), []byte("Communications\x00\x00"))))), false, "ListServices", event.OpIdentity, "", false},
		{"list interfaces", encapPDU(cmdListInterfaces, 0, 0, testCtx, nil), true, "ListInterfaces", event.OpIdentity, "", false},
		{"register session", reg, true, "RegisterSession", event.OpSession, "", false},
		{"register session reply", encapPDU(cmdRegisterSession, testSession, 0, testCtx, cat(le16(1), le16(0))), false, "RegisterSession", event.OpSession, "", false},
		{"register session refused", encapPDU(cmdRegisterSession, 0, 0x69, testCtx, cat(le16(2), le16(0))), false, "RegisterSession", event.OpSession, "Unsupported encapsulation protocol revision", false},
		{"unregister session", encapPDU(cmdUnRegisterSession, testSession, 0, [8]byte{}, nil), true, "UnRegisterSession", event.OpSession, "", false},
		{"nop", encapPDU(cmdNOP, 0, 0, [8]byte{}, []byte{1, 2, 3}), true, "NOP", event.OpSession, "", false},
		{"indicate status", encapPDU(cmdIndicateStatus, 0, 0, [8]byte{}, nil), true, "IndicateStatus", event.OpSession, "", false},
		{"cancel", encapPDU(cmdCancel, 0, 0, [8]byte{}, nil), true, "Cancel", event.OpSession, "", false},
		{"legacy command", encapPDU(0x0001, 0, 0, [8]byte{}, nil), true, "Reserved_Legacy", event.OpOther, "", false},
		{"send rr data without cip", encapPDU(cmdSendRRData, testSession, 0, testCtx, cat(le32(0), le16(0), cpfData(item(itemNull, nil)))), true, "SendRRData", event.OpSession, "", false},
		{"send rr data error reply", encapPDU(cmdSendRRData, testSession, 0x64, testCtx, nil), false, "SendRRData", event.OpSession, "Invalid session handle", false},
		{"send unit data unknown status", encapPDU(cmdSendUnitData, testSession, 0x99, testCtx, nil), false, "SendUnitData", event.OpSession, "Unknown encapsulation status", false},
		{"list identity request with data", encapPDU(cmdListIdentity, 0, 0, testCtx, []byte{1}), true, "ListIdentity", event.OpIdentity, probListLength, true},
		{"list identity truncated item", encapPDU(cmdListIdentity, 0, 0, testCtx, cpfData(item(itemIdentity, make([]byte, 20)))), false, "ListIdentity", event.OpIdentity, probIdentity, true},
		{"send rr data truncated", encapPDU(cmdSendRRData, testSession, 0, testCtx, []byte{0, 0}), true, "SendRRData", event.OpSession, probCPF, true},
		{"send rr data item past end", encapPDU(cmdSendRRData, testSession, 0, testCtx, cat(le32(0), le16(0), le16(1), le16(itemUnconnData), le16(50), []byte{1})), true, "SendRRData", event.OpSession, probCPF, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := feedAll(t, &Analyzer{}, []bool{tc.fromClient}, tc.pdu)
			if len(o.recs) != 1 {
				t.Fatalf("%d messages, want 1", len(o.recs))
			}
			r := o.recs[0]
			if r.Kind != KindEncap || r.Proto != "enip" || r.Name != tc.want || r.Op != tc.op || r.Status != tc.status ||
				r.Malformed != tc.malformed || r.Request != tc.fromClient || r.Func != int(r.Command) || r.Index != 0 {
				t.Errorf("got %+v", r)
			}
		})
	}
}

// TestMultipleServicePacket: the container is the first message (Index 0,
// Container), its services follow (Embedded, Index 1…); the container's op
// is the strongest of its services; the response's services pair by
// position.
func TestMultipleServicePacket(t *testing.T) {
	req := mspRequest(
		request(0x0E, cat(cls(1), inst(1), attr(7)), nil),
		request(0x4D, symbol("Speed"), cat(le16(0xC4), le16(1), le32(7))),
		request(0x0E, cat(cls(0xF5), inst(1), attr(5)), nil),
	)
	rsp := response(0x0A, 0x1E, nil, msp(
		response(0x0E, 0, nil, cat([]byte{11}, []byte("1756-L83E/B"))),
		response(0x4D, 0x0F, nil, nil),
		response(0x0E, 0, nil, make([]byte, 22)),
	))
	a := &Analyzer{}
	o := feedAll(t, a, []bool{true, false}, sendUnit(0x80FE0028, 7, req), sendUnit(0x00010203, 7, rsp))
	type row struct {
		Request             bool
		Name, Op, Status    string
		Index               int
		Container, Embedded bool
		Class               uint32
	}
	want := []row{
		{true, "Multiple_Service_Packet", "write", "", 0, true, false, 2},
		{true, "Get_Attribute_Single", "identity", "", 1, false, true, 1},
		{true, "Write_Tag", "write", "", 2, false, true, 0},
		{true, "Get_Attribute_Single", "read", "", 3, false, true, 0xF5},
		{false, "Multiple_Service_Packet", "write", "Embedded service error", 0, true, false, 2},
		{false, "Get_Attribute_Single", "identity", "", 1, false, true, 1},
		{false, "Write_Tag", "write", "Privilege violation", 2, false, true, 0},
		{false, "Get_Attribute_Single", "read", "", 3, false, true, 0xF5},
	}
	var got []row
	for _, r := range o.recs {
		got = append(got, row{r.Request, r.Name, r.Op, r.Status, r.Index, r.Container, r.Embedded, r.Class})
		if !r.Request && !r.Paired {
			t.Errorf("%s response not paired", r.Name)
		}
		if !r.Connected || r.Sequence != 7 {
			t.Errorf("%s: connected %v sequence %d", r.Name, r.Connected, r.Sequence)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	// The paired identity response yields the product name.
	if !o.recs[5].HasIdentity || o.recs[5].ProductName != "1756-L83E/B" {
		t.Errorf("identity from Get_Attribute_Single attribute 7: %+v", o.recs[5])
	}
	if o.details[2]["tag"] != "Speed" || o.details[6]["general_status"] != 0x0F {
		t.Errorf("details: %v / %v", o.details[2], o.details[6])
	}
}

// TestUnconnectedSend: the container, then the carried request (Index 1);
// the target's reply pairs with the carried request; a routing failure is
// the router's own Unconnected_Send reply.
func TestUnconnectedSend(t *testing.T) {
	route := cat(port(1, 0))
	stop := request(0x07, cat(cls(0x64), inst(1)), nil)
	t.Run("carried stop", func(t *testing.T) {
		o := feedAll(t, &Analyzer{}, []bool{true, false},
			sendRR(testCtx, ucs(stop, route)), sendRR(testCtx, response(0x07, 0, nil, nil)))
		if len(o.recs) != 3 {
			t.Fatalf("%d messages", len(o.recs))
		}
		c, e, r := o.recs[0], o.recs[1], o.recs[2]
		if c.Name != "Unconnected_Send" || !c.Container || c.Op != event.OpPLCStop || c.Class != 6 ||
			e.Name != "Stop" || !e.Embedded || e.Index != 1 || e.Op != event.OpPLCStop || e.Class != 0x64 ||
			r.Name != "Stop" || !r.Paired || r.Class != 0x64 || r.Op != event.OpPLCStop || r.Request {
			t.Errorf("got %+v\n%+v\n%+v", c, e, r)
		}
		if o.details[0]["route"] != "port 1 link 0" {
			t.Errorf("route = %v", o.details[0]["route"])
		}
	})
	t.Run("carried multiple service packet", func(t *testing.T) {
		inner := mspRequest(request(0x4C, symbol("A"), le16(1)), request(0x10, cat(cls(0xF6), inst(1), attr(6)), le16(1)))
		o := feedAll(t, &Analyzer{}, []bool{true, false}, sendRR(testCtx, ucs(inner, route)),
			sendRR(testCtx, response(0x0A, 0, nil, msp(response(0x4C, 0, nil, cat(le16(0xC4), le32(5))), response(0x10, 0, nil, nil)))))
		var names []string
		for _, r := range o.recs {
			names = append(names, r.Name+"/"+r.Op)
		}
		want := []string{"Unconnected_Send/config-change", "Multiple_Service_Packet/config-change", "Read_Tag/read",
			"Set_Attribute_Single/config-change", "Multiple_Service_Packet/config-change", "Read_Tag/read", "Set_Attribute_Single/config-change"}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("got %q, want %q", names, want)
		}
		if o.recs[1].Index != 1 || !o.recs[1].Container || !o.recs[1].Embedded || o.recs[3].Index != 3 {
			t.Errorf("indices: %+v %+v", o.recs[1], o.recs[3])
		}
	})
	t.Run("routing failure", func(t *testing.T) {
		o := feedAll(t, &Analyzer{}, []bool{true, false}, sendRR(testCtx, ucs(stop, route)),
			sendRR(testCtx, response(0x52, 0x01, []uint16{0x0204}, []byte{0, 0})))
		r := o.recs[2]
		if r.Name != "Unconnected_Send" || r.Status != "Connection failure" || r.ExtStatus != 0x0204 || !r.Paired {
			t.Errorf("got %+v", r)
		}
		if o.details[2]["extended_status_name"] != "Unconnected request timed out" {
			t.Errorf("detail %v", o.details[2])
		}
	})
	t.Run("malformed", func(t *testing.T) {
		bad := request(0x52, cat(cls(6), inst(1)), cat([]byte{7, 0xE9}, le16(40), []byte{1, 2}))
		o := feed(t, sendRR(testCtx, bad))
		if r := o.recs[0]; !r.Malformed || r.Status != probUCS || r.Name != "Unconnected_Send" {
			t.Errorf("got %+v", r)
		}
	})
}

// TestPairing: responses carry no path; the request's class decides the
// name of an object-specific service code.
func TestPairing(t *testing.T) {
	t.Run("forward close by sender context", func(t *testing.T) {
		o := feedAll(t, &Analyzer{}, []bool{true, false}, sendRR(testCtx, forwardClose()),
			sendRR(testCtx, response(0x4E, 0, nil, cat(le16(0x1234), le16(1), le32(0xC1DEBED1), []byte{0, 0}))))
		if r := o.recs[1]; r.Name != "Forward_Close" || r.Op != event.OpSession || !r.Paired || r.Class != 6 {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("unpaired 0x4E is the Logix service", func(t *testing.T) {
		o := feedAll(t, &Analyzer{}, []bool{false}, sendRR(testCtx, response(0x4E, 0, nil, nil)))
		if r := o.recs[0]; r.Name != "Read_Modify_Write_Tag" || r.Paired || r.Has != 0 {
			t.Errorf("got %+v", r)
		}
		if o.details[0]["request_seen"] != false {
			t.Errorf("detail %v", o.details[0])
		}
	})
	t.Run("other context does not pair", func(t *testing.T) {
		o := feedAll(t, &Analyzer{}, []bool{true, false}, sendRR(testCtx, forwardClose()),
			sendRR([8]byte{9}, response(0x4E, 0, nil, nil)))
		if r := o.recs[1]; r.Paired || r.Name != "Read_Modify_Write_Tag" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("pipelined requests pair in order", func(t *testing.T) {
		o := feedAll(t, &Analyzer{}, []bool{true, true, false, false},
			sendRR(testCtx, request(0x0E, cat(cls(1), inst(1), attr(1)), nil)),
			sendRR(testCtx, request(0x0E, cat(cls(4), inst(101), attr(3)), nil)),
			sendRR(testCtx, response(0x0E, 0, nil, le16(1))),
			sendRR(testCtx, response(0x0E, 0, nil, []byte{1, 2, 3})))
		if o.recs[2].Class != 1 || o.recs[3].Class != 4 || o.recs[3].Instance != 101 {
			t.Errorf("got %+v / %+v", o.recs[2], o.recs[3])
		}
	})
	t.Run("connected by sequence count", func(t *testing.T) {
		o := feedAll(t, &Analyzer{}, []bool{true, true, false, false},
			sendUnit(1, 10, request(0x4B, cat(cls(0x37), inst(0xC8)), []byte{100})),
			sendUnit(1, 11, request(0x4C, symbol("T"), le16(1))),
			sendUnit(2, 11, response(0x4C, 0, nil, cat(le16(0xC4), le32(1)))),
			sendUnit(2, 10, response(0x4B, 0, nil, cat(le32(500), []byte{100}))))
		if r := o.recs[2]; r.Name != "Read_Tag" || !r.Paired {
			t.Errorf("got %+v", r)
		}
		if r := o.recs[3]; r.Name != "Initiate_Upload" || r.Op != event.OpProgramUpload || r.Class != 0x37 {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("eviction is counted", func(t *testing.T) {
		a := &Analyzer{}
		for i := range maxPending + 3 {
			feedAll(t, a, nil, sendRR([8]byte{byte(i)}, request(0x0E, cat(cls(1), inst(1), attr(1)), nil)))
		}
		if a.Dropped() != 3 {
			t.Errorf("Dropped = %d, want 3", a.Dropped())
		}
		// A connected retry with the same sequence count reuses its entry.
		b := &Analyzer{}
		for range maxPending + 3 {
			feedAll(t, b, nil, sendUnit(1, 5, request(0x0E, cat(cls(1), inst(1), attr(1)), nil)))
		}
		if b.Dropped() != 0 {
			t.Errorf("retries: Dropped = %d, want 0", b.Dropped())
		}
	})
}

// TestFileTransfer: a download built from the File object specification is
// hashed as it passes; retried packets are not hashed twice; an upload is
// hashed from the responses; a firmware instance is learned from its name.
func TestFileTransfer(t *testing.T) {
	t.Run("download", func(t *testing.T) {
		a := &Analyzer{}
		o := feedAll(t, a, []bool{true, false, true, true, false, true},
			sendUnit(1, 1, initiateDownload(0xC9, 10, "crane_hoist.acd")),
			sendUnit(2, 1, response(0x4C, 0, nil, cat(le32(0), le16(0), []byte{200}))),
			sendUnit(1, 2, downloadTransfer(0xC9, 0, 0, []byte("hello"))),
			sendUnit(1, 3, downloadTransfer(0xC9, 0, 0, []byte("hello"))), // retry
			sendUnit(2, 3, response(0x50, 0, nil, []byte{0})),
			sendUnit(1, 4, downloadTransfer(0xC9, 1, 2, []byte("world"))))
		last := o.details[len(o.details)-1]["file"].(map[string]any)
		sum := sha256.Sum256([]byte("helloworld"))
		want := map[string]any{
			"type": "file", "instance": 0xC9, "upload": false, "firmware": false, "size": 10, "length": 10,
			"packets": 2, "done": true, "name": "crane_hoist.acd", "transfer_number": 1, "packet_type": 2,
			"sha256": hex.EncodeToString(sum[:]), "complete": true,
		}
		if !reflect.DeepEqual(last, want) {
			t.Errorf("file detail\n got %v\nwant %v", last, want)
		}
		for i, r := range o.recs {
			if r.Op != event.OpProgramDownload {
				t.Errorf("message %d (%s) op %s", i, r.Name, r.Op)
			}
		}
	})
	t.Run("firmware instance learned from its name", func(t *testing.T) {
		a := &Analyzer{}
		o := feedAll(t, a, []bool{true, false, true, true},
			sendUnit(1, 1, request(0x0E, cat(cls(0x37), inst(0xCA), attr(2)), nil)),
			sendUnit(2, 1, response(0x0E, 0, nil, stringIData("Controller Firmware"))),
			sendUnit(1, 2, initiateDownload(0xCA, 4, "image.bin")),
			sendUnit(1, 3, downloadTransfer(0xCA, 0, 4, []byte("abcd"))))
		if o.recs[2].Op != event.OpFirmwareUpdate || o.recs[3].Op != event.OpFirmwareUpdate {
			t.Errorf("ops %s %s, want firmware-update", o.recs[2].Op, o.recs[3].Op)
		}
		f := o.details[3]["file"].(map[string]any)
		if f["firmware"] != true || f["done"] != true || f["length"] != 4 {
			t.Errorf("file %v", f)
		}
	})
	t.Run("upload", func(t *testing.T) {
		a := &Analyzer{}
		o := feedAll(t, a, []bool{true, false, true, false, true, false},
			sendUnit(1, 1, request(0x4B, cat(cls(0x37), inst(0xC8)), []byte{100})),
			sendUnit(2, 1, response(0x4B, 0, nil, cat(le32(6), []byte{100}))),
			sendUnit(1, 2, request(0x4F, cat(cls(0x37), inst(0xC8)), []byte{0})),
			sendUnit(2, 2, response(0x4F, 0, nil, transfer(0, 0, []byte("eds")))),
			sendUnit(1, 3, request(0x4F, cat(cls(0x37), inst(0xC8)), []byte{1})),
			sendUnit(2, 3, response(0x4F, 0, nil, transfer(1, 2, []byte("abc")))))
		f := o.details[5]["file"].(map[string]any)
		sum := sha256.Sum256([]byte("edsabc"))
		if f["upload"] != true || f["sha256"] != hex.EncodeToString(sum[:]) || f["complete"] != true || f["size"] != 6 {
			t.Errorf("file %v", f)
		}
		if o.recs[5].Op != event.OpProgramUpload || o.recs[5].Name != "Upload_Transfer" {
			t.Errorf("got %+v", o.recs[5])
		}
	})
	t.Run("abort", func(t *testing.T) {
		o := feed(t, sendUnit(1, 1, initiateDownload(0xC9, 10, "p")),
			sendUnit(1, 2, downloadTransfer(0xC9, 0, 0, []byte("hello"))),
			sendUnit(1, 3, downloadTransfer(0xC9, 1, 3, nil)))
		f := o.details[2]["file"].(map[string]any)
		if f["aborted"] != true || f["sha256"] != nil {
			t.Errorf("file %v", f)
		}
	})
	t.Run("transfer without initiate", func(t *testing.T) {
		o := feed(t, sendUnit(1, 2, downloadTransfer(0xC9, 5, 1, []byte("middle"))))
		if o.details[0]["file"] != nil {
			t.Errorf("a middle packet starts no transfer: %v", o.details[0])
		}
	})
}

// TestIdentity: identity from ListIdentity, Get_Attributes_All and
// Get_Attribute_List, and its detail.
func TestIdentity(t *testing.T) {
	t.Run("list identity detail", func(t *testing.T) {
		o := feedAll(t, &Analyzer{}, []bool{false}, listIdentityReply(1, 14, 166, 33, 11, 0x00C0FFEE, "1756-L83E/B", 3))
		d := o.details[0]
		want := map[string]any{
			"vendor_id": 1, "vendor": "Rockwell Automation/Allen-Bradley", "device_type_id": 14,
			"device_type": "Programmable Logic Controller", "product_code": 166, "revision": "33.11",
			"firmware": "33.11", "status": "0x0030", "serial": "0x00c0ffee", "product": "1756-L83E/B",
			"model": "1756-L83E/B", "state": 3,
		}
		if !reflect.DeepEqual(d["identity"], want) {
			t.Errorf("identity\n got %v\nwant %v", d["identity"], want)
		}
		if d["socket"] != "10.1.1.164:44818" || d["encapsulation_version"] != 1 || d["length"] != 51 ||
			d["sender_context"] != "686172626f720001" || d["session"] != "0x00000000" {
			t.Errorf("detail %v", d)
		}
	})
	t.Run("get attributes all", func(t *testing.T) {
		body := cat(le16(1251), le16(0x0E), le16(7), []byte{2, 9}, le16(0), le32(42), []byte{6}, []byte("S7-PLC"))
		o := feedAll(t, &Analyzer{}, []bool{true, false}, sendRR(testCtx, request(0x01, cat(cls(1), inst(1)), nil)),
			sendRR(testCtx, response(0x01, 0, nil, body)))
		id := o.details[1]["identity"].(map[string]any)
		if id["vendor"] != "Siemens AG" || id["product"] != "S7-PLC" || id["firmware"] != "2.9" || id["state"] != nil {
			t.Errorf("identity %v", id)
		}
	})
	t.Run("get attribute list", func(t *testing.T) {
		body := cat(le16(3), le16(1), le16(0), le16(243), le16(6), le16(0x14), le16(7), le16(0), []byte{3}, []byte("M58"))
		o := feedAll(t, &Analyzer{}, []bool{true, false},
			sendRR(testCtx, request(0x03, cat(cls(1), inst(1)), cat(le16(3), le16(1), le16(6), le16(7)))),
			sendRR(testCtx, response(0x03, 0, nil, body)))
		id := o.details[1]["identity"].(map[string]any)
		want := map[string]any{"vendor_id": 243, "vendor": "Schneider Automation Inc.", "product": "M58", "model": "M58"}
		if !reflect.DeepEqual(id, want) {
			t.Errorf("identity %v, want %v", id, want)
		}
	})
	t.Run("failed read has no identity", func(t *testing.T) {
		o := feedAll(t, &Analyzer{}, []bool{true, false}, sendRR(testCtx, request(0x01, cat(cls(1), inst(1)), nil)),
			sendRR(testCtx, response(0x01, 0x08, nil, nil)))
		if o.recs[1].HasIdentity || o.recs[1].Status != "Service not supported" {
			t.Errorf("got %+v", o.recs[1])
		}
	})
}

// TestDetail checks the detail of the services the analyzer reads further.
func TestDetail(t *testing.T) {
	cases := []struct {
		name string
		pdus [][]byte
		dir  []bool
		idx  int
		want map[string]any
	}{
		{"forward open", [][]byte{sendRR(testCtx, forwardOpen())}, nil, 0, map[string]any{
			"session": "0x11223344", "sender_context": "686172626f720001", "class": 6, "class_name": "Connection Manager",
			"instance": 1, "path": "class 0x06, instance 1", "o_t_connection_id": "0x00000000",
			"t_o_connection_id": "0x80fe0028", "connection_serial": 0x1234, "originator_vendor_id": 1,
			"originator_serial": "0xc1debed1", "timeout_multiplier": 3, "o_t_rpi_us": 2000000, "o_t_size": 500,
			"t_o_rpi_us": 2000000, "t_o_size": 500, "transport_class": 3, "trigger": "application object",
			"connection_path": "port 1 link 0, class 0x02, instance 1",
		}},
		{"forward open reply", [][]byte{sendRR(testCtx, forwardOpen()), sendRR(testCtx, forwardOpenReply())}, []bool{true, false}, 1, map[string]any{
			"session": "0x11223344", "sender_context": "686172626f720001", "class": 6, "class_name": "Connection Manager",
			"instance": 1, "general_status": 0, "o_t_connection_id": "0x00010203", "t_o_connection_id": "0x80fe0028",
			"connection_serial": 0x1234, "originator_vendor_id": 1, "originator_serial": "0xc1debed1",
			"o_t_api_us": 2000000, "t_o_api_us": 2000000,
		}},
		{"forward close", [][]byte{sendRR(testCtx, forwardClose())}, nil, 0, map[string]any{
			"session": "0x11223344", "sender_context": "686172626f720001", "class": 6, "class_name": "Connection Manager",
			"instance": 1, "path": "class 0x06, instance 1", "connection_serial": 0x1234, "originator_vendor_id": 1,
			"originator_serial": "0xc1debed1", "connection_path": "port 1 link 0, class 0x02, instance 1",
		}},
		{"reset", [][]byte{sendUnit(0x1234, 9, request(0x05, cat(cls(1), inst(1)), []byte{1}))}, nil, 0, map[string]any{
			"session": "0x11223344", "class": 1, "class_name": "Identity", "instance": 1, "path": "class 0x01, instance 1",
			"connection_id": "0x00001234", "sequence": 9, "reset_type": 1, "reset": "factory defaults",
		}},
		{"write tag with index", [][]byte{sendRR(testCtx, request(0x4D, cat(symbol("Program:Main"), symbol("Hoist"), member(3), symbol("Speed")), cat(le16(0xCA), le16(1), le32(0))))}, nil, 0, map[string]any{
			"session": "0x11223344", "sender_context": "686172626f720001", "member": 3,
			"path": "symbol Program:Main, symbol Hoist, member 3, symbol Speed", "tag": "Program:Main.Hoist[3].Speed",
			"data_type": 0xCA, "elements": 1,
		}},
		{"pccc", [][]byte{sendRR(testCtx, pcccRequest(0x0F, 0xA2))}, nil, 0, map[string]any{
			"session": "0x11223344", "sender_context": "686172626f720001", "class": 0x67, "class_name": "PCCC",
			"instance": 1, "path": "class 0x67, instance 1", "pccc": "PCCC_Protected_Typed_Logical_Read",
			"pccc_command": 0x0F, "pccc_function": 0xA2,
		}},
		{"register session", [][]byte{encapPDU(cmdRegisterSession, 0, 0, [8]byte{}, cat(le16(1), le16(0)))}, nil, 0, map[string]any{
			"session": "0x00000000", "length": 4, "protocol_version": 1, "options_flags": 0,
		}},
		{"list services", [][]byte{encapPDU(cmdListServices, 0, 0, [8]byte{}, cpfData(item(itemServices, cat(le16(1), le16(0x0120), []byte("Communications\x00\x00")))))}, []bool{false}, 0, map[string]any{
			"session": "0x00000000", "length": 26,
			"services": []map[string]any{{"name": "Communications", "version": 1, "flags": 0x0120}},
		}},
		{"malformed", [][]byte{sendRR(testCtx, []byte{0x0E, 9, 0x20})}, nil, 0, map[string]any{
			"session": "0x11223344", "sender_context": "686172626f720001", "malformed": probShortCIP,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := feedAll(t, &Analyzer{}, tc.dir, tc.pdus...)
			if got := o.details[tc.idx]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("detail\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

// TestMalformed: content errors are emitted with Malformed and a status
// naming the problem, and the flow's later PDUs are decoded.
func TestMalformed(t *testing.T) {
	good := sendRR(testCtx, request(0x0E, cat(cls(1), inst(1), attr(7)), nil))
	cases := []struct {
		name    string
		pdu     []byte
		problem string
		kind    Kind
		index   int // of the malformed message
	}{
		{"path past message", sendRR(testCtx, []byte{0x0E, 9, 0x20, 1}), probShortCIP, KindCIP, 0},
		{"no path size", sendRR(testCtx, []byte{0x0E}), probShortCIP, KindCIP, 0},
		{"reserved segment", sendRR(testCtx, request(0x0E, []byte{0xE0, 0}, nil)), probPath, KindCIP, 0},
		{"truncated 32-bit segment", sendRR(testCtx, request(0x0E, []byte{0x26, 0, 1, 2}, nil)), probPath, KindCIP, 0},
		{"response without status", sendRR(testCtx, []byte{0x8E, 0}), probShortCIP, KindCIP, 0},
		{"response status past end", sendRR(testCtx, []byte{0x8E, 0, 0, 3, 1}), probShortCIP, KindCIP, 0},
		{"msp offset backwards", sendRR(testCtx, request(0x0A, cat(cls(2), inst(1)), cat(le16(2), le16(6), le16(4), []byte{0x0E, 0}))), probMSP, KindCIP, 1},
		{"msp count past data", sendRR(testCtx, request(0x0A, cat(cls(2), inst(1)), cat(le16(40)))), "", KindCIP, 0},
		{"msp response offset past data", sendRR(testCtx, response(0x0A, 0, nil, cat(le16(1), le16(90)))), probMSP, KindCIP, 1},
		{"cpf too many items", encapPDU(cmdSendRRData, 1, 0, testCtx, cat(le32(0), le16(0), le16(100))), probCPF, KindEncap, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			buf := cat(tc.pdu, good)
			var recs []rec
			n, err := (&Analyzer{}).Feed(buf, true, func(m *Message) { recs = append(recs, record(m)) })
			if err != nil || n != len(buf) {
				t.Fatalf("Feed = %d, %v", n, err)
			}
			if tc.problem != "" {
				r := recs[tc.index]
				if !r.Malformed || r.Status != tc.problem || r.Kind != tc.kind {
					t.Errorf("message %d: %+v, want problem %q", tc.index, r, tc.problem)
				}
			}
			last := recs[len(recs)-1]
			if last.Name != "Get_Attribute_Single" || last.Malformed || last.Op != event.OpIdentity {
				t.Errorf("the next PDU: %+v", last)
			}
		})
	}
}

// TestFeedFraming: PDUs split and joined, incomplete tails, framing errors.
func TestFeedFraming(t *testing.T) {
	p1 := sendRR(testCtx, request(0x0E, cat(cls(1), inst(1), attr(7)), nil))
	p2 := encapPDU(cmdListIdentity, 0, 0, testCtx, nil)
	stream := cat(p1, p2)
	t.Run("byte by byte", func(t *testing.T) {
		a := &Analyzer{}
		var names []string
		var buf []byte
		for _, c := range stream {
			buf = append(buf, c)
			n, err := a.Feed(buf, true, func(m *Message) { names = append(names, m.Name()) })
			if err != nil {
				t.Fatal(err)
			}
			buf = buf[n:]
		}
		if len(buf) != 0 || !reflect.DeepEqual(names, []string{"Get_Attribute_Single", "ListIdentity"}) {
			t.Errorf("left %d, names %q", len(buf), names)
		}
	})
	t.Run("incomplete tail", func(t *testing.T) {
		n, err := (&Analyzer{}).Feed(stream[:len(p1)+10], true, func(*Message) {})
		if n != len(p1) || err != nil {
			t.Errorf("Feed = %d, %v; want %d, nil", n, err, len(p1))
		}
	})
	t.Run("unknown command", func(t *testing.T) {
		bad := encapPDU(0x1234, 0, 0, testCtx, nil)
		count := 0
		n, err := (&Analyzer{}).Feed(cat(p1, bad, p2), true, func(*Message) { count++ })
		if n != len(p1) || !errors.Is(err, ErrCommand) || !errors.Is(err, ErrFraming) || count != 1 {
			t.Errorf("Feed = %d, %v (%d messages); want %d, ErrCommand", n, err, count, len(p1))
		}
		if err.Error() != "enip: unknown encapsulation command" {
			t.Errorf("error text %q", err)
		}
	})
	t.Run("nonzero options", func(t *testing.T) {
		bad := encapPDU(cmdNOP, 0, 0, testCtx, nil)
		bad[20] = 1
		n, err := (&Analyzer{}).Feed(cat(p1, bad), true, func(*Message) {})
		if n != len(p1) || !errors.Is(err, ErrOptions) || !errors.Is(err, ErrFraming) {
			t.Errorf("Feed = %d, %v; want %d, ErrOptions", n, err, len(p1))
		}
		if err := (&Analyzer{}).Datagram(bad, true, func(*Message) {}); !errors.Is(err, ErrDatagram) {
			t.Errorf("Datagram = %v, want ErrDatagram", err)
		}
	})
	t.Run("datagram", func(t *testing.T) {
		a := &Analyzer{}
		var recs []rec
		emit := func(m *Message) { recs = append(recs, record(m)) }
		if err := a.Datagram(p2, true, emit); err != nil {
			t.Fatal(err)
		}
		if err := a.Datagram([]byte{1, 2, 3}, true, emit); !errors.Is(err, ErrDatagram) || !errors.Is(err, ErrFraming) {
			t.Errorf("garbage: %v", err)
		}
		if err := a.Datagram(cpfData(item(itemConnData, []byte{1})), true, emit); !errors.Is(err, ErrDatagram) {
			t.Errorf("no address: %v", err)
		}
		if err := a.Datagram(cat(p2, []byte{0}), true, emit); !errors.Is(err, ErrDatagram) {
			t.Errorf("trailing byte: %v", err)
		}
		if len(recs) != 1 || recs[0].Name != "ListIdentity" {
			t.Errorf("recs %+v", recs)
		}
	})
}

// TestIO: class 1 I/O is counted per connection id and direction; only the
// first packet of a connection is emitted.
func TestIO(t *testing.T) {
	a := &Analyzer{}
	var recs []rec
	var details []map[string]any
	emit := func(m *Message) {
		recs = append(recs, record(m))
		d := map[string]any{}
		m.Detail(d)
		details = append(details, d)
	}
	for _, p := range []struct {
		conn, seq  uint32
		fromClient bool
	}{{7, 100, true}, {7, 101, true}, {7, 104, true}, {7, 104, true}, {7, 103, true}, {9, 5, false}, {9, 6, false}, {7, 1, false}} {
		if err := a.Datagram(ioPacket(p.conn, p.seq, []byte{1, 0, 0xAA, 0xBB}), p.fromClient, emit); err != nil {
			t.Fatal(err)
		}
	}
	// A connected-address packet without sequence number.
	if err := a.Datagram(cpfData(item(itemConnAddr, le32(11)), item(itemConnData, []byte{1})), true, emit); err != nil {
		t.Fatal(err)
	}
	want := []IOStat{
		{ConnID: 7, FromClient: true, Packets: 5, Bytes: 20, FirstSeq: 100, LastSeq: 104, Lost: 2, Repeated: 2},
		{ConnID: 9, FromClient: false, Packets: 2, Bytes: 8, FirstSeq: 5, LastSeq: 6},
		{ConnID: 7, FromClient: false, Packets: 1, Bytes: 4, FirstSeq: 1, LastSeq: 1},
		{ConnID: 11, FromClient: true, Packets: 1, Bytes: 1},
	}
	if got := a.IOStats(); !reflect.DeepEqual(got, want) {
		t.Errorf("IOStats\n got %+v\nwant %+v", got, want)
	}
	if len(recs) != 4 || recs[0].Op != event.OpIO || recs[0].Name != "Implicit_IO" || recs[0].Func != 0 ||
		recs[0].Proto != "cip" || !recs[0].Request || recs[1].Request || recs[1].IOSeq != 5 {
		t.Errorf("recs %+v", recs)
	}
	if !reflect.DeepEqual(details[0], map[string]any{"connection_id": "0x00000007", "sequence": 100, "length": 4}) {
		t.Errorf("detail %v", details[0])
	}
	t.Run("table full", func(t *testing.T) {
		b := &Analyzer{}
		for i := range maxIO + 2 {
			if err := b.Datagram(ioPacket(uint32(i), 1, nil), true, func(*Message) {}); err != nil {
				t.Fatal(err)
			}
		}
		// A second packet of each: counted on the connection's own entry,
		// inline or in the big table.
		for i := range maxIO {
			b.Datagram(ioPacket(uint32(i), 2, nil), true, func(*Message) {})
		}
		st := b.IOStats()
		if len(st) != maxIO || b.Dropped() != 2 {
			t.Errorf("%d connections, dropped %d", len(st), b.Dropped())
		}
		for i, s := range st {
			if s.ConnID != uint32(i) || s.Packets != 2 || s.LastSeq != 2 {
				t.Fatalf("connection %d: %+v", i, s)
			}
		}
		b.Reset()
		if len(b.IOStats()) != 0 || b.Dropped() != 0 {
			t.Errorf("after Reset: %d connections, dropped %d", len(b.IOStats()), b.Dropped())
		}
		// Reused: the big table is kept, and a new flow starts inline.
		var pkts [5][]byte
		for i := range pkts {
			pkts[i] = ioPacket(uint32(i), 1, nil)
		}
		if n := testing.AllocsPerRun(20, func() {
			b.Reset()
			for _, p := range pkts {
				b.Datagram(p, true, func(*Message) {})
			}
		}); n != 0 || len(b.IOStats()) != 5 || b.IOStats()[4].ConnID != 4 {
			t.Errorf("reused analyzer: %v allocations, %d connections", n, len(b.IOStats()))
		}
	})
}

func TestReset(t *testing.T) {
	a := &Analyzer{}
	pdus := [][]byte{
		sendUnit(1, 1, initiateDownload(0xC9, 3, "p")),
		sendUnit(1, 2, downloadTransfer(0xC9, 0, 4, []byte("abc"))),
	}
	feed := func() {
		for _, p := range pdus {
			if _, err := a.Feed(p, true, func(*Message) {}); err != nil {
				t.Fatal(err)
			}
		}
	}
	feed()
	a.Reset()
	if a.xfer[0].h == nil || a.xfer[0].active || (a.pend != nil && a.pend[0].used) || a.age != 0 {
		t.Errorf("Reset kept state: %+v", a.xfer[0])
	}
	if n := testing.AllocsPerRun(20, func() { feed(); a.Reset() }); n != 0 {
		t.Errorf("a reused Analyzer allocates %v per run", n)
	}
}

func TestKind(t *testing.T) {
	for k, want := range map[Kind]string{KindEncap: "encap", KindCIP: "cip", KindIO: "io", 9: "unknown"} {
		b, _ := k.MarshalText()
		if k.String() != want || string(b) != want {
			t.Errorf("Kind(%d) = %q", k, k.String())
		}
	}
}
