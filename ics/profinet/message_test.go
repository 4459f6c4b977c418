package profinet

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"harborwatch/event"
	"harborwatch/ics/dcerpc"
	"harborwatch/proto"
)

func parse(t *testing.T, b []byte) *CM {
	t.Helper()
	var m CM
	if err := ParseCM(b, &m); err != nil {
		t.Fatalf("ParseCM: %v", err)
	}
	return &m
}

func TestCMMessages(t *testing.T) {
	multi := record(blockWriteReq, 0, 1, indexMultipleWrite, 0, 0)
	var nested []byte
	for i := range 9 {
		nested = append(nested, record(blockWriteReq, 1, uint16(i), 0x100+uint16(i), 3, 0)...)
		nested = append(nested, 1, 2, 3, 0) // three octets of data, padded to four
	}
	be.PutUint32(multi[36:], uint32(len(nested)))
	for _, tc := range []struct {
		name                 string
		in                   []byte
		op, nm, status       string
		request, malformed   bool
		records, more        int
		fragment, hasIM0     bool
		station, controlName string
	}{
		{name: "connect request", in: cl(false, RoleDevice, dcerpc.CLRequest, OpConnect, 0, 0, stub(4096, cat(
			block(blockARReq, u16(1), arUUID, u16(5), []byte{0, 0xa0, 0x45, 1, 2, 3}, make([]byte, 16), u32(0x11), u16(600), u16(0x8892), u16(5), []byte("plc-1")),
			block(blockIOCRReq, make([]byte, 10))))),
			op: event.OpSession, nm: "Connect request", request: true, station: "plc-1"},
		{name: "I&M0 read response, little-endian", in: cl(true, RoleDevice, dcerpc.CLResponse, OpRead, 0, 0, stubIn(binary.LittleEndian, 0, cat(
			record(blockReadRes, 0, 1, indexIM0, uint32(len(im0Block())), 0), im0Block()))),
			op: event.OpRead, nm: "Read response", records: 1, hasIM0: true},
		{name: "write response refusing a record", in: cl(false, RoleDevice, dcerpc.CLResponse, OpWrite, 0, 0, stub(0,
			record(blockWriteRes, 1, 1, 0x1f4, 0, 0xdf80b000))),
			op: event.OpConfigChange, nm: "Write response", status: "IODWriteRes 0xdf80b000", records: 1},
		{name: "connect refused", in: cl(false, RoleDevice, dcerpc.CLResponse, OpConnect, 0, 0, u32(0xdb81_0000)),
			op: event.OpSession, nm: "Connect response", status: "IODConnectRes 0xdb810000"},
		{name: "multiple write of nine records", in: cl(false, RoleDevice, dcerpc.CLRequest, OpWrite, 0, 0, stub(4096, cat(multi, nested))),
			op: event.OpConfigChange, nm: "Write request", request: true, records: 8, more: 1},
		{name: "fault", in: cl(false, RoleDevice, dcerpc.CLFault, OpWrite, 0, 0, u32(0x1c010003)),
			op: event.OpConfigChange, nm: "Write fault", status: "fault 0x1c010003"},
		{name: "ping", in: cl(false, RoleDevice, dcerpc.CLPing, 0, 0, 0, nil), op: event.OpSession, nm: "ping", request: true},
		{name: "control to the controller", in: cl(false, RoleController, dcerpc.CLRequest, OpControl, 0, 0, stub(4096,
			block(blockAppReady, u16(0), arUUID, u16(1), u16(0), u16(2), u16(0)))),
			op: event.OpSession, nm: "Control request", request: true, controlName: "ApplicationReady"},
		{name: "first fragment of a connect", in: cl(false, RoleDevice, dcerpc.CLRequest, OpConnect, dcerpc.CLFlagFrag, 0,
			cat(u32(4096), u32(900), u32(4096), u32(0), u32(900), block(blockIOCRReq, make([]byte, 10)), block(blockExpectedSub, make([]byte, 30))[:12])),
			op: event.OpSession, nm: "Connect request", request: true},
		{name: "later fragment", in: cl(false, RoleDevice, dcerpc.CLRequest, OpConnect, dcerpc.CLFlagFrag|dcerpc.CLFlagLastFrag, 1, make([]byte, 40)),
			op: event.OpSession, nm: "Connect request", request: true, fragment: true},
		{name: "stub too short", in: cl(false, RoleDevice, dcerpc.CLRequest, OpRead, 0, 0, make([]byte, 12)),
			op: event.OpRead, nm: "Read request", request: true, malformed: true},
		{name: "block past the array", in: cl(false, RoleDevice, dcerpc.CLRequest, OpWrite, 0, 0, stub(4096, block(blockWriteReq, make([]byte, 10)))[:40]),
			op: event.OpConfigChange, nm: "Write request", request: true, malformed: true},
		{name: "another interface", in: cl(false, 0, dcerpc.CLRequest, 3, 0, 0, nil), op: event.OpOther, nm: "request", request: true},
		{name: "unknown opnum", in: cl(false, RoleDevice, dcerpc.CLRequest, 9, 0, 0, stub(4096, nil)), op: event.OpOther, nm: "opnum 9 request", request: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := parse(t, tc.in)
			if m.Op() != tc.op || m.Name() != tc.nm || m.Status() != tc.status || m.Request() != tc.request || m.Malformed() != tc.malformed {
				t.Errorf("op %q name %q status %q request %v malformed %v; want %q %q %q %v %v",
					m.Op(), m.Name(), m.Status(), m.Request(), m.Malformed(), tc.op, tc.nm, tc.status, tc.request, tc.malformed)
			}
			if m.NRecords != tc.records || m.More != tc.more || m.Fragment != tc.fragment || m.HasIM0 != tc.hasIM0 ||
				string(m.StationName) != tc.station {
				t.Errorf("records %d (+%d) fragment %v im0 %v station %q", m.NRecords, m.More, m.Fragment, m.HasIM0, m.StationName)
			}
			if tc.controlName != "" && controlName(m.ControlCommand) != tc.controlName {
				t.Errorf("control %q, want %q", controlName(m.ControlCommand), tc.controlName)
			}
			if m.Role != 0 && (!m.HasDevice || m.VendorID != 0x002a || m.DeviceID != 0x0313 || m.Instance != 1) {
				t.Errorf("device %v %#x %#x %d", m.HasDevice, m.VendorID, m.DeviceID, m.Instance)
			}
			d := map[string]any{}
			m.Detail(d)
			if d["pdu_type"] == nil {
				t.Errorf("detail %v", d)
			}
		})
	}
}

func TestIM0Identity(t *testing.T) {
	m := parse(t, cl(false, RoleDevice, dcerpc.CLResponse, OpRead, 0, 0, stub(0, cat(
		record(blockReadRes, 0, 1, indexIM0, uint32(len(im0Block())), 0), im0Block()))))
	want := map[string]any{"profinet_vendor_id": 42, "order_number": "6ES7 315-2EH14-0AB0", "serial": "S C-C2UR28922012",
		"hardware_revision": 3, "firmware": "V3.2.7"}
	if got := m.IM0.fields(); !reflect.DeepEqual(got, want) {
		t.Errorf("identity %v, want %v", got, want)
	}
}

func TestParseCMErrors(t *testing.T) {
	good := cl(false, RoleDevice, dcerpc.CLPing, 0, 0, 0, nil)
	for name, b := range map[string][]byte{
		"short":         good[:79],
		"version 5":     append([]byte{5}, good[1:]...),
		"type 11":       append([]byte{4, 11}, good[2:]...),
		"body past end": cl(false, RoleDevice, dcerpc.CLRequest, 0, 0, 0, make([]byte, 8))[:85],
	} {
		var m CM
		if err := ParseCM(b, &m); !errors.Is(err, ErrNotCM) {
			t.Errorf("%s: %v, want ErrNotCM", name, err)
		}
	}
}

func TestProbe(t *testing.T) {
	req := cl(false, RoleDevice, dcerpc.CLRequest, OpConnect, 0, 0, stub(4096, nil))
	resp := cl(true, RoleDevice, dcerpc.CLResponse, OpConnect, 0, 0, stub(0, nil))
	for _, tc := range []struct {
		name       string
		b          []byte
		fromClient bool
		want       proto.Verdict
	}{
		{"request from the client", req, true, proto.Sure},
		{"answer from the server", resp, false, proto.Sure},
		{"answer from the client", resp, true, proto.Maybe},
		{"request from the server", req, false, proto.Maybe},
		{"another interface", cl(false, 0, dcerpc.CLRequest, 0, 0, 0, nil), true, proto.No},
		{"dns", []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}, true, proto.No},
	} {
		if got := Probe.Check(34964, tc.b, tc.fromClient); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// reporter records what reportCM tells the pipeline.
type reporter struct {
	ops     []proto.Op
	events  []proto.Event
	ids     []proto.Identity
	expects int
	state   uint8
	bad     int
}

func (r *reporter) Events() bool               { return true }
func (r *reporter) EventOp(string) bool        { return true }
func (r *reporter) Event(e proto.Event)        { r.events = append(r.events, e) }
func (r *reporter) Name(proto.Name)            {}
func (r *reporter) File(proto.File)            {}
func (r *reporter) Op(o proto.Op)              { r.ops = append(r.ops, o) }
func (r *reporter) Identity(id proto.Identity) { r.ids = append(r.ids, id) }
func (r *reporter) Session(proto.Session)      {}
func (r *reporter) Expect(proto.Expect)        { r.expects++ }
func (r *reporter) Service() string            { return "profinet" }
func (r *reporter) SetService(string)          {}
func (r *reporter) State() *uint8              { return &r.state }
func (r *reporter) Confirm()                   {}
func (r *reporter) Violation()                 {}
func (r *reporter) Malformed()                 { r.bad++ }

// TestReport: requests announce their answer's port; the device's IDs,
// the I&M0 record and the controller's station name are identities, each
// once per flow; events are named pn_io with the opnum as func.
func TestReport(t *testing.T) {
	a := proto.NewParsers[CMAnalyzer](reportCM)
	fl := a.Open(proto.UDP)
	r := &reporter{}
	conn := cl(false, RoleDevice, dcerpc.CLRequest, OpConnect, 0, 0, stub(4096,
		block(blockARReq, u16(1), arUUID, u16(5), make([]byte, 6), make([]byte, 16), u32(0x11), u16(600), u16(0x8892), u16(5), []byte("plc-1"))))
	im0 := cl(false, RoleDevice, dcerpc.CLResponse, OpRead, 0, 0, stub(0, cat(
		record(blockReadRes, 0, 1, indexIM0, uint32(len(im0Block())), 0), im0Block())))
	for _, b := range [][]byte{conn, conn, im0, im0} {
		if _, err := fl.Feed(r, true, b); err != nil {
			t.Fatal(err)
		}
	}
	if r.expects != 2 {
		t.Errorf("%d announcements, want one per request", r.expects)
	}
	if len(r.ids) != 3 || r.ids[0].Key != "profinet_initiator_name" || string(r.ids[0].Value) != "plc-1" ||
		r.ids[1].Fields["profinet_device_id"] != 0x0313 || r.ids[2].Fields["order_number"] != "6ES7 315-2EH14-0AB0" {
		t.Errorf("identities %+v", r.ids)
	}
	if len(r.events) != 4 || r.events[0].Proto != "pn_io" || r.events[0].Func != OpConnect || !r.events[2].Response ||
		r.events[2].Op != event.OpRead {
		t.Errorf("events %+v", r.events)
	}
	if _, err := fl.Feed(r, true, []byte("not dce-rpc")); !errors.Is(err, ErrNotCM) {
		t.Errorf("a datagram of another protocol: %v", err)
	}
}

func TestL2Cyclic(t *testing.T) {
	var a L2
	src, dst := [6]byte{0, 0xa0, 0x45, 1, 2, 3}, [6]byte{0, 9, 0x91, 4, 5, 6}
	var got []*Frame
	emit := func(f *Frame) { c := *f; got = append(got, &c) }
	run := uint8(StatusPrimary | StatusValid | StatusRun | StatusNoProblem)
	for i, ds := range []uint8{run, run, run, run &^ StatusRun, run &^ StatusRun, run} {
		if err := a.Frame(cyclicFrame(0xc001, uint16(i*32), ds), src, dst, 5, emit); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 3 || !got[0].First || !got[1].Changed || got[1].Previous != run || got[1].DataStatus != run&^StatusRun ||
		!got[2].Changed || got[2].Op() != event.OpIO || got[2].Name() != "RT_CLASS_1" {
		t.Fatalf("frames %+v", got)
	}
	var conns []IOConn
	a.Conns(func(c *IOConn) { conns = append(conns, *c) })
	if len(conns) != 1 || conns[0].Packets != 6 || conns[0].Bytes != 240 || conns[0].Stopped != 2 || conns[0].Changes != 2 ||
		conns[0].VLAN != 5 || conns[0].Cycle != 160 {
		t.Errorf("connections %+v", conns)
	}
	if err := a.Frame(frame(0xc001, []byte{1, 2}), src, dst, 0, emit); !errors.Is(err, ErrShort) || a.Errors != 1 {
		t.Errorf("short frame: %v, errors %d", err, a.Errors)
	}
	// A full table keeps counting frames, not connections.
	var b L2
	for i := range maxConns {
		s := src
		s[5] = byte(i)
		s[4] = byte(i >> 8)
		b.Frame(cyclicFrame(0xc000, 0, run), s, dst, 0, func(*Frame) {})
	}
	if b.NConns() != maxConns*3/4 || b.Dropped != maxConns/4 || b.Frames[ClassRT1] != maxConns {
		t.Errorf("connections %d, dropped %d, frames %d", b.NConns(), b.Dropped, b.Frames[ClassRT1])
	}
}

func TestL2AlarmsAndDCP(t *testing.T) {
	notification := block(blockAlarmLow, u16(1), u32(0), u16(2), u16(1), u32(0x30), u32(0x31), u16(0x0800))
	ack := block(blockAlarmLow|0x8000, u16(1), u32(0), u16(2), u16(1), u16(0x0800), u32(0))
	for _, tc := range []struct {
		name, op, nm, status string
		b                    []byte
		request, malformed   bool
	}{
		{"alarm notification", event.OpDiagnostics, "Alarm Low DATA-RTA-PDU", "", rta(0xfe01, RTAData, notification), true, false},
		{"alarm ack", event.OpSession, "Alarm Low DATA-RTA-PDU", "", rta(0xfe01, RTAData, ack), false, false},
		{"rta ack", event.OpSession, "Alarm High ACK-RTA-PDU", "", rta(0xfc01, RTAAck, nil), false, false},
		{"abort", event.OpSession, "Alarm High ERR-RTA-PDU", "RTA error 0xcf81fd0f", rta(0xfc01, RTAErr, u32(0xcf81fd0f)), false, false},
		{"alarm cut", event.OpDiagnostics, "Alarm Low DATA-RTA-PDU", "", rta(0xfe01, RTAData, notification[:20]), true, true},
		{"dcp set name", event.OpConfigChange, "DCP Set request", "", dcpFrame(0xfefd, 4, 0, dcpBlock(2, 2, []byte("crane-7"))), true, false},
		{"dcp set signal", event.OpDiagnostics, "DCP Set request", "", dcpFrame(0xfefd, 4, 0, dcpBlock(5, 3, u16(0x0100))), true, false},
		{"dcp set transaction only", event.OpSession, "DCP Set request", "", dcpFrame(0xfefd, 4, 0, dcpBlock(5, 1), dcpBlock(5, 2)), true, false},
		{"dcp factory reset", event.OpConfigChange, "DCP Set request", "", dcpFrame(0xfefd, 4, 0, dcpBlock(5, 6)), true, false},
		{"dcp set refused", event.OpConfigChange, "DCP Set response", "block 2/2 error 3", dcpFrame(0xfefd, 4, 1,
			[]byte{5, 4, 0, 3, 2, 2, 3, 0}), false, false},
		{"dcp get", event.OpRead, "DCP Get request", "", dcpFrame(0xfefd, 3, 0, []byte{2, 2}), true, false},
		{"dcp hello", event.OpIdentity, "DCP Hello", "", dcpFrame(0xfefc, 6, 0), true, false},
		{"dcp not supported", event.OpIdentity, "DCP Identify response", "not supported", dcpFrame(0xfeff, 5, 5), false, false},
		{"dcp cut", event.OpIdentity, "DCP Identify request", "", dcpFrame(0xfefe, 5, 0, []byte{2, 2, 0, 9})[:14], true, true},
	} {
		var a L2
		n := 0
		err := a.Frame(tc.b, [6]byte{1}, [6]byte{2}, 0, func(f *Frame) {
			n++
			if f.Op() != tc.op || f.Name() != tc.nm || f.Status() != tc.status || f.Request() != tc.request || f.Malformed() != tc.malformed {
				t.Errorf("%s: op %q name %q status %q request %v malformed %v", tc.name, f.Op(), f.Name(), f.Status(), f.Request(), f.Malformed())
			}
			d := map[string]any{}
			f.Detail(d)
			if d["frame_id"] == nil {
				t.Errorf("%s: detail %v", tc.name, d)
			}
		})
		if err != nil || n != 1 {
			t.Errorf("%s: %v, %d frames", tc.name, err, n)
		}
	}
}

func TestClassOf(t *testing.T) {
	for id, want := range map[uint16]Class{0x0020: ClassPTCP, 0x0100: ClassRT3, 0x7fff: ClassRT3, 0x8000: ClassRT2, 0xbfff: ClassRT2,
		0xc000: ClassRT1, 0xfbff: ClassRT1, 0xfc01: ClassAlarmHigh, 0xfe01: ClassAlarmLow, 0xfefc: ClassDCP, 0xfeff: ClassDCP,
		0xff40: ClassPTCP, 0xff80: ClassFragment, 0xfc02: ClassOther, 0x0000: ClassOther} {
		if got := ClassOf(id); got != want {
			t.Errorf("ClassOf(%#04x) = %v, want %v", id, got, want)
		}
	}
}
