package dcerpc

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"

	"harborwatch/proto"
)

// names counts the records of a capture by "type name op status".
func names(t *testing.T, name string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range replay(t, "testdata/"+name, false).Records {
		out[r.Type+" "+r.Name+" "+r.Op+" "+r.Status]++
	}
	return out
}

func TestNamesAndOps(t *testing.T) {
	for _, tt := range []struct {
		capture string
		want    map[string]int
	}{
		{"opc_read_write.pcap", map[string]int{
			"request IOPCAsyncIO2.Write write ": 1, "response IOPCAsyncIO2.Write write ": 1,
			"alter_context alter_context session ": 1, "request context 1 opnum 3 other ": 2}},
		{"opcda_1.pcap", map[string]int{
			"request IOPCSyncIO.Write write ": 1, "request IOPCItemProperties.GetItemProperties read ": 1,
			"request IOXIDResolver.SimplePing session ": 50, "request context 5 opnum 3 other ": 52}},
		{"opcae_1.pcap", map[string]int{
			"request IOPCEventServer.CreateEventSubscription other ":       1,
			"request IOPCEventSubscriptionMgt.Refresh read ":               1,
			"request IOPCEventSink.OnEvent read ":                          11,
			"request ISystemActivator.RemoteCreateInstance other ":         2,
			"response IOXIDResolver.ResolveOxid2 identity ":                1,
			"request 7380f421-cfbf-11d2-b1ad-0090272e599b opnum 10 other ": 2,
			"bind bind session ": 10}},
		{"Discovery_impacket_rpcdump.pcapng", map[string]int{
			"request EPM.ept_lookup identity ": 1, "response EPM.ept_lookup identity ": 11}},
	} {
		got := names(t, tt.capture)
		for k, n := range tt.want {
			if got[k] != n {
				t.Errorf("%s: %q ×%d, want ×%d", tt.capture, k, got[k], n)
			}
		}
	}
}

// TestEndpoints: the DCOM activator's and OXID resolver's answers hand out
// the dynamic ports the captures' next connections go to.
func TestEndpoints(t *testing.T) {
	var got []string
	for _, r := range replay(t, "testdata/opcae_1.pcap", false).Records {
		for _, e := range r.Endpoints {
			got = append(got, r.Name+" "+netip.AddrPortFrom(e.Addr, e.Port).String())
		}
	}
	exp := []string{
		"ISystemActivator.RemoteCreateInstance 192.168.11.18:50012",
		"ISystemActivator.RemoteCreateInstance 192.168.11.18:50013",
		"IOXIDResolver.ResolveOxid2 192.168.11.20:49205",
	}
	var withAddr []string
	for _, g := range got {
		if !slices.Contains(exp, g) {
			continue
		}
		withAddr = append(withAddr, g)
	}
	slices.Sort(withAddr)
	slices.Sort(exp)
	if !slices.Equal(withAddr, exp) {
		t.Errorf("endpoints %q, want %q among them", got, exp)
	}
}

// towerPDU builds an ept_map response (little-endian) whose stub holds
// one ncacn_ip_tcp tower for addr:port.
func towerPDU(callID uint32, port uint16, addr [4]byte) []byte {
	tower := []byte{5, 0, // floor count
		0x13, 0, 0x0d} // floor 1 lhs (interface id), truncated for the test
	tower = append(tower, make([]byte, 18)...) // its uuid and version
	tower = append(tower, 2, 0, 0, 0)          // rhs
	tower = append(tower, 1, 0, floorTCP, 2, 0, byte(port>>8), byte(port))
	tower = append(tower, 1, 0, floorIP, 4, 0, addr[0], addr[1], addr[2], addr[3])
	stub := make([]byte, 20+4)                       // context handle, num towers
	stub = binary.LittleEndian.AppendUint32(stub, 1) // max count
	stub = binary.LittleEndian.AppendUint32(stub, 0) // offset
	stub = binary.LittleEndian.AppendUint32(stub, 1) // actual count
	stub = binary.LittleEndian.AppendUint32(stub, 3) // referent
	stub = binary.LittleEndian.AppendUint32(stub, uint32(len(tower)))
	stub = binary.LittleEndian.AppendUint32(stub, uint32(len(tower)))
	stub = append(stub, tower...)
	return pdu(TypeResponse, callID, append([]byte{0, 0, 0, 0, 0, 0, 0, 0}, stub...))
}

// pdu builds a little-endian single-fragment PDU.
func pdu(typ uint8, callID uint32, body []byte) []byte {
	b := []byte{5, 0, typ, FlagFirstFrag | FlagLastFrag, 0x10, 0, 0, 0}
	b = binary.LittleEndian.AppendUint16(b, uint16(headerLen+len(body)))
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, callID)
	return append(b, body...)
}

// bindPDU binds context id to interface u, version 3.0.
func bindPDU(callID uint32, id uint16, u UUID) []byte { return bindPDUVersion(callID, id, u, 3) }

// ndr20 is the NDR transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860
// version 2, as a bind carries it (little-endian).
var ndr20 = []byte{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 2, 0, 0, 0}

// bindPDUVersion binds context id to version ver.0 of interface u.
func bindPDUVersion(callID uint32, id uint16, u UUID, ver uint16) []byte {
	body := []byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 1, 0, 0, 0}
	body = binary.LittleEndian.AppendUint16(body, id)
	body = append(body, 1, 0)
	body = binary.LittleEndian.AppendUint32(body, binary.BigEndian.Uint32(u[:]))
	body = binary.LittleEndian.AppendUint16(body, binary.BigEndian.Uint16(u[4:]))
	body = binary.LittleEndian.AppendUint16(body, binary.BigEndian.Uint16(u[6:]))
	body = append(body, u[8:]...)
	body = binary.LittleEndian.AppendUint16(body, ver)
	body = append(body, 0, 0)     // minor version
	body = append(body, ndr20...) // transfer syntax
	return pdu(TypeBind, callID, body)
}

// requestPDU calls opnum on context id.
func requestPDU(callID uint32, id, opnum uint16) []byte {
	body := []byte{0, 0, 0, 0}
	body = binary.LittleEndian.AppendUint16(body, id)
	body = binary.LittleEndian.AppendUint16(body, opnum)
	return pdu(TypeRequest, callID, body)
}

// reporter records what report tells the pipeline.
type reporter struct {
	ops     []string
	events  []proto.Event
	expects []proto.Expect
	bad     int
}

func (r *reporter) Events() bool            { return true }
func (r *reporter) EventOp(string) bool     { return true }
func (r *reporter) Event(e proto.Event)     { r.events = append(r.events, e) }
func (r *reporter) Name(proto.Name)         {}
func (r *reporter) File(proto.File)         {}
func (r *reporter) Op(o proto.Op)           { r.ops = append(r.ops, o.Op) }
func (r *reporter) Identity(proto.Identity) {}
func (r *reporter) Session(proto.Session)   {}
func (r *reporter) Expect(e proto.Expect)   { r.expects = append(r.expects, e) }
func (r *reporter) Service() string         { return "dcerpc" }
func (r *reporter) SetService(string)       {}
func (r *reporter) State() *uint8           { var b uint8; return &b }
func (r *reporter) Confirm()                {}
func (r *reporter) Violation()              {}
func (r *reporter) Malformed()              { r.bad++ }

// TestEptMapExpect: an ept_map answer's tower is announced as the
// endpoint of a DCE-RPC connection to come, by address and by port.
func TestEptMapExpect(t *testing.T) {
	a := proto.NewParsers[Analyzer](report)
	fl := a.Open(proto.TCP)
	var r reporter
	epm := ifaces[ifEPM].UUID
	for _, c := range []struct {
		b          []byte
		fromClient bool
	}{
		{bindPDU(1, 0, epm), true},
		{requestPDU(2, 0, 3), true},
		{towerPDU(2, 49667, [4]byte{10, 10, 1, 5}), false},
	} {
		n, err := fl.Feed(&r, c.fromClient, c.b)
		if err != nil || n != len(c.b) {
			t.Fatalf("Feed: %d of %d, %v", n, len(c.b), err)
		}
	}
	if r.bad != 0 {
		t.Errorf("%d malformed", r.bad)
	}
	if got := r.events[2].Name; got != "EPM.ept_map" {
		t.Errorf("response named %q, want EPM.ept_map", got)
	}
	want := []netip.AddrPort{netip.AddrPortFrom(netip.Addr{}, 49667), netip.MustParseAddrPort("10.10.1.5:49667")}
	var got []netip.AddrPort
	for _, e := range r.expects {
		if e.Transport != proto.TCP || e.Within <= 0 {
			t.Errorf("expectation %+v", e)
		}
		got = append(got, e.Server)
	}
	if !slices.Equal(got, want) {
		t.Errorf("expectations %v, want %v", got, want)
	}
	if !slices.Equal(r.ops, []string{"session", "identity", "identity"}) {
		t.Errorf("ops %q", r.ops)
	}
}

func TestProbe(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    []byte
		want proto.Verdict
	}{
		{"bind", bindPDU(1, 0, ifaces[ifEPM].UUID), proto.Sure},
		{"request mid-flow", requestPDU(7, 5, 3), proto.Sure},
		{"version 4", append([]byte{4}, requestPDU(7, 5, 3)[1:]...), proto.No},
		{"bad drep", append(append([]byte{}, requestPDU(7, 5, 3)[:4]...), append([]byte{0x20}, requestPDU(7, 5, 3)[5:]...)...), proto.No},
		{"short", []byte{5, 0, 11, 3}, proto.No},
		{"http", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), proto.No},
	} {
		if got := Probe.Check(49155, tt.b, true); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFraming(t *testing.T) {
	var a Analyzer
	b := requestPDU(1, 0, 3)
	n, err := a.Feed(b[:20], true, func(*Message) { t.Error("emitted a partial PDU") })
	if n != 0 || err != nil {
		t.Errorf("partial: %d, %v", n, err)
	}
	bad := append([]byte{}, b...)
	binary.LittleEndian.PutUint16(bad[8:], 8) // shorter than the header
	if _, err := a.Feed(bad, true, func(*Message) {}); err != ErrLength {
		t.Errorf("frag length 8: %v, want ErrLength", err)
	}
	short := pdu(TypeRequest, 2, []byte{1, 2})
	var m Message
	a.Feed(short, true, func(x *Message) { m = *x })
	if !m.Malformed() {
		t.Error("a request without context and opnum is not malformed")
	}
}

func TestUUIDString(t *testing.T) {
	u := mustUUID("39c13a52-011e-11d0-9675-0020afd8adb3")
	if u.String() != "39c13a52-011e-11d0-9675-0020afd8adb3" || Interface(u) != "IOPCSyncIO" {
		t.Errorf("%s %q", u, Interface(u))
	}
}

func TestParseBinding(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Endpoint
		ok   bool
	}{
		{"192.168.11.18[50012]", Endpoint{Addr: netip.MustParseAddr("192.168.11.18"), Port: 50012}, true},
		{"ZOBO75JGAV6HHMB[50013]", Endpoint{Port: 50013}, true},
		{"fe80::1[49155]", Endpoint{Addr: netip.MustParseAddr("fe80::1"), Port: 49155}, true},
		{"10.0.0.256[135]", Endpoint{Port: 135}, true},
		{"HOST", Endpoint{}, false},
		{"HOST[]", Endpoint{}, false},
		{"HOST[70000]", Endpoint{}, false},
		{"[135]", Endpoint{}, false},
	} {
		got, ok := parseBinding([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q: %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestFault: a fault takes its request's interface and method, its
// status names the fault.
func TestFault(t *testing.T) {
	var a Analyzer
	var got []string
	emit := func(m *Message) { got = append(got, m.Name()+" "+m.Op()+" "+m.Status()) }
	sync := mustUUID("39c13a52-011e-11d0-9675-0020afd8adb3")
	fault := pdu(TypeFault, 2, []byte{0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0x1c, 0, 0, 0, 0})
	for _, b := range [][]byte{bindPDU(1, 0, sync), requestPDU(2, 0, 4), fault} {
		if n, err := a.Feed(b, true, emit); err != nil || n != len(b) {
			t.Fatalf("Feed: %d, %v", n, err)
		}
	}
	want := []string{"bind session ", "IOPCSyncIO.Write write ", "IOPCSyncIO.Write write nca_s_unk_if"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
