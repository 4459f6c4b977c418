package dcerpc

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
	"unicode/utf16"
)

// fragPDU builds a little-endian PDU with the given pfc flags.
func fragPDU(typ, flags uint8, callID uint32, body []byte) []byte {
	b := pdu(typ, callID, body)
	b[3] = flags
	return b
}

// fragments cuts a call's stub into PDUs of at most size stub bytes each,
// with hdr (the request's or response's 8 bytes) before each piece.
func fragments(typ uint8, callID uint32, hdr, stub []byte, size int) [][]byte {
	var out [][]byte
	for off := 0; off < len(stub) || off == 0; off += size {
		end := min(off+size, len(stub))
		var fl uint8
		if off == 0 {
			fl |= FlagFirstFrag
		}
		if end == len(stub) {
			fl |= FlagLastFrag
		}
		out = append(out, fragPDU(typ, fl, callID, append(slices.Clone(hdr), stub[off:end]...)))
		if end == len(stub) {
			break
		}
	}
	return out
}

// eptMapStub is an ept_map answer's stub (little-endian): the entry
// handle, the number of towers, and one tower per endpoint (ncacn_ip_tcp
// or ncadg_ip_udp), each after a filler of pad bytes.
func eptMapStub(pad int, es ...Endpoint) []byte {
	le := binary.LittleEndian
	stub := make([]byte, 20)
	stub = le.AppendUint32(stub, uint32(len(es)))
	stub = le.AppendUint32(stub, uint32(len(es))) // max count
	stub = le.AppendUint32(stub, 0)               // offset
	stub = le.AppendUint32(stub, uint32(len(es))) // actual count
	for i := range es {
		stub = le.AppendUint32(stub, uint32(3+i)) // referents
	}
	for _, e := range es {
		tower := []byte{5, 0, 0x13, 0, 0x0d}
		tower = append(tower, make([]byte, pad)...)
		tower = append(tower, 2, 0, 0, 0)
		fl := byte(floorTCP)
		if e.UDP {
			fl = floorUDP
		}
		tower = append(tower, 1, 0, fl, 2, 0, byte(e.Port>>8), byte(e.Port))
		a := e.Addr.As4()
		tower = append(tower, 1, 0, floorIP, 4, 0, a[0], a[1], a[2], a[3])
		stub = le.AppendUint32(stub, uint32(len(tower)))
		stub = le.AppendUint32(stub, uint32(len(tower)))
		stub = append(stub, tower...)
		for len(stub)%4 != 0 {
			stub = append(stub, 0)
		}
	}
	return le.AppendUint32(stub, 0) // status
}

// ndrWString is a conformant varying NUL-ended UTF-16LE string, padded
// to 4.
func ndrWString(s string) []byte {
	u := append(utf16.Encode([]rune(s)), 0)
	le := binary.LittleEndian
	b := le.AppendUint32(nil, uint32(len(u)))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, uint32(len(u)))
	for _, c := range u {
		b = le.AppendUint16(b, c)
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// createServiceStub is an RCreateServiceW request's stub.
func createServiceStub(name, display, path string) []byte {
	le := binary.LittleEndian
	b := make([]byte, 20) // the SCM handle
	b = append(b, ndrWString(name)...)
	b = le.AppendUint32(b, 0x20000) // display name referent
	b = append(b, ndrWString(display)...)
	b = le.AppendUint32(b, 0xf01ff) // access
	b = le.AppendUint32(b, 0x10)    // own process
	b = le.AppendUint32(b, 3)       // demand start
	b = le.AppendUint32(b, 0)       // error control
	b = append(b, ndrWString(path)...)
	return append(b, make([]byte, 28)...) // load order group, tag, dependencies, account, password: null
}

var svcctlUUID = mustUUID("367abb81-9844-35f1-ad32-98f038001003")

// feedAll feeds PDUs to a, each whole, and returns the messages as
// copies.
func feedAll(t *testing.T, a *Analyzer, fromClient bool, pdus ...[]byte) []Message {
	t.Helper()
	var out []Message
	for _, b := range pdus {
		n, err := a.Feed(b, fromClient, func(m *Message) { out = append(out, *m) })
		if err != nil || n != len(b) {
			t.Fatalf("Feed: %d of %d, %v", n, len(b), err)
		}
	}
	return out
}

// TestJoinEptMap: an ept_map answer in several fragments, its towers cut
// across them, hands out its endpoints (TCP and UDP) with its last
// fragment, once; the earlier fragments hand out none.
func TestJoinEptMap(t *testing.T) {
	es := []Endpoint{{Addr: netip.MustParseAddr("10.10.1.5"), Port: 49667},
		{Addr: netip.MustParseAddr("10.10.1.5"), Port: 49668, UDP: true}}
	stub := eptMapStub(300, es...)
	for _, size := range []int{7, 64, 333, len(stub)} {
		var a Analyzer
		feedAll(t, &a, true, bindPDU(1, 0, ifaces[ifEPM].UUID), requestPDU(2, 0, 3))
		frags := fragments(TypeResponse, 2, make([]byte, 8), stub, size)
		ms := feedAll(t, &a, false, frags...)
		for i, m := range ms {
			last := i == len(ms)-1
			if m.Name() != "EPM.ept_map" || (m.NEndpoints > 0) != last {
				t.Errorf("size %d fragment %d: %s, %d endpoints", size, i, m.Name(), m.NEndpoints)
			}
		}
		got := ms[len(ms)-1].Endpoints[:ms[len(ms)-1].NEndpoints]
		if !slices.Equal(got, es) {
			t.Errorf("size %d: endpoints %v, want %v", size, got, es)
		}
		st := a.JoinStats()
		wantJoined := uint64(0)
		if len(frags) > 1 {
			wantJoined = 1
		}
		if st.Joined != wantJoined || st.Over != 0 || st.Lost != 0 {
			t.Errorf("size %d (%d fragments): stats %+v", size, len(frags), st)
		}
		if m := ms[len(ms)-1]; len(frags) > 1 && (m.StubLen != len(stub) || m.StubCut) {
			t.Errorf("size %d: stub %d cut %v, want %d", size, m.StubLen, m.StubCut, len(stub))
		}
	}
}

// TestJoinStreamCut: the PDUs of a fragmented call cut anywhere by TCP
// segments (fed as the pipeline's reassembly does: what Feed leaves is
// offered again with the next segment) give the same messages as whole.
func TestJoinStreamCut(t *testing.T) {
	es := []Endpoint{{Addr: netip.MustParseAddr("10.0.0.7"), Port: 1025}}
	var stream []byte
	stream = append(stream, bindPDU(1, 0, ifaces[ifEPM].UUID)...)
	stream = append(stream, requestPDU(2, 0, 3)...)
	for _, f := range fragments(TypeResponse, 2, make([]byte, 8), eptMapStub(100, es...), 50) {
		stream = append(stream, f...)
	}
	var whole Analyzer
	want := feedAll(t, &whole, false, stream)
	for _, seg := range []int{1, 3, 16, 17, 100, 1460} {
		var a Analyzer
		var got []Message
		var buf []byte
		for off := 0; off < len(stream); off += seg {
			buf = append(buf, stream[off:min(off+seg, len(stream))]...)
			n, err := a.Feed(buf, false, func(m *Message) { got = append(got, *m) })
			if err != nil {
				t.Fatalf("segment %d: %v", seg, err)
			}
			buf = append(buf[:0], buf[n:]...)
		}
		if len(buf) != 0 || !slices.Equal(got, want) {
			t.Errorf("segments of %d: %d messages (%d bytes left), want %d", seg, len(got), len(buf), len(want))
		}
	}
}

// TestJoinLimits: a stub beyond MaxStub is decoded from its first
// MaxStub bytes and counted; a later fragment whose first was not seen
// is counted and decodes nothing.
func TestJoinLimits(t *testing.T) {
	es := []Endpoint{{Addr: netip.MustParseAddr("10.0.0.7"), Port: 1025}}
	stub := append(eptMapStub(0, es...), make([]byte, MaxStub)...)
	var a Analyzer
	feedAll(t, &a, true, bindPDU(1, 0, ifaces[ifEPM].UUID), requestPDU(2, 0, 3))
	ms := feedAll(t, &a, false, fragments(TypeResponse, 2, make([]byte, 8), stub, 4000)...)
	last := ms[len(ms)-1]
	if !last.StubCut || last.StubLen != MaxStub || last.NEndpoints != 1 || a.JoinStats().Over != 1 {
		t.Errorf("over the cap: cut %v len %d endpoints %d stats %+v", last.StubCut, last.StubLen, last.NEndpoints, a.JoinStats())
	}
	d := map[string]any{}
	last.Detail(d)
	if d["stub_cut"] != true || d["stub_len"] != MaxStub {
		t.Errorf("detail %v", d)
	}
	// The call's next fragments without its first.
	feedAll(t, &a, true, requestPDU(3, 0, 3))
	ms = feedAll(t, &a, false, fragments(TypeResponse, 3, make([]byte, 8), eptMapStub(0, es...), 20)[1:]...)
	if n := ms[len(ms)-1].NEndpoints; n != 0 || a.JoinStats().Lost != 1 {
		t.Errorf("without the first fragment: %d endpoints, stats %+v", n, a.JoinStats())
	}
}

// TestCreateService: an RCreateServiceW request, whole or in fragments,
// names the service and the program it runs; at privacy level the sealed
// stub is not read; an auth pad before the trailer is not part of it.
func TestCreateService(t *testing.T) {
	stub := createServiceStub("PSEXESVC", "PSEXESVC", `%SystemRoot%\PSEXESVC.exe`)
	hdr := []byte{0, 0, 0, 0, 0, 0, opCreateServiceW, 0}
	for _, size := range []int{len(stub), 40, 9} {
		var a Analyzer
		feedAll(t, &a, true, bindPDU(1, 0, svcctlUUID))
		ms := feedAll(t, &a, true, fragments(TypeRequest, 2, hdr, stub, size)...)
		m := ms[len(ms)-1]
		if m.Service == nil {
			t.Fatalf("size %d: no service", size)
		}
		if m.Name() != "svcctl.RCreateServiceW" || string(m.Service.Name()) != "PSEXESVC" ||
			string(m.Service.BinaryPath()) != `%SystemRoot%\PSEXESVC.exe` || m.Service.StartType != 3 || m.Malformed() {
			t.Errorf("size %d: %s %q %q start %d malformed %v", size, m.Name(), m.Service.Name(), m.Service.BinaryPath(),
				m.Service.StartType, m.Malformed())
		}
		d := map[string]any{}
		m.Detail(d)
		if d["service_name"] != "PSEXESVC" || d["binary_path"] != `%SystemRoot%\PSEXESVC.exe` {
			t.Errorf("size %d: detail %v", size, d)
		}
		for _, x := range ms[:len(ms)-1] {
			if x.Service != nil {
				t.Errorf("size %d: an earlier fragment names the service", size)
			}
		}
	}
	// Authenticated: a sec_trailer at level 5 (integrity) after 4 pad
	// bytes; at level 6 (privacy) the stub is sealed.
	for _, level := range []byte{5, 6} {
		body := append(slices.Clone(hdr), stub...)
		body = append(body, 0xee, 0xee, 0xee, 0xee)      // auth pad
		body = append(body, 10, level, 4, 0, 0, 0, 0, 0) // sec_trailer
		body = append(body, make([]byte, 16)...)         // verifier
		p := pdu(TypeRequest, 2, body)
		binary.LittleEndian.PutUint16(p[10:], 16)
		var a Analyzer
		feedAll(t, &a, true, bindPDU(1, 0, svcctlUUID))
		m := feedAll(t, &a, true, p)[0]
		if got, want := string(m.Service.Name()), map[byte]string{5: "PSEXESVC", 6: ""}[level]; got != want || m.Malformed() {
			t.Errorf("level %d: service %q malformed %v, want %q", level, got, m.Malformed(), want)
		}
	}
	// A stub cut short is malformed; a name longer than the buffer is cut.
	var a Analyzer
	feedAll(t, &a, true, bindPDU(1, 0, svcctlUUID))
	if m := feedAll(t, &a, true, pdu(TypeRequest, 3, append(slices.Clone(hdr), stub[:30]...)))[0]; !m.Malformed() {
		t.Error("a cut stub is not malformed")
	}
	name := ""
	for i := range 100 {
		name += string(rune('a' + i%26))
	}
	m := feedAll(t, &a, true, pdu(TypeRequest, 4, append(slices.Clone(hdr), createServiceStub(name, "", "x.exe")...)))[0]
	if m.Service == nil {
		t.Fatal("long name: no service")
	}
	if !m.Service.Cut || string(m.Service.Name()) != name[:maxServiceName] || string(m.Service.BinaryPath()) != "x.exe" {
		t.Errorf("long name: cut %v %q %q", m.Service.Cut, m.Service.Name(), m.Service.BinaryPath())
	}
}

// joinCalls is a conversation of fragmented calls: an ept_map answer in
// three fragments, an RCreateServiceW request in five.
func joinCalls() (client, server [][]byte) {
	es := []Endpoint{{Addr: netip.MustParseAddr("10.10.1.5"), Port: 49670}}
	stub := eptMapStub(700, es...)
	svc := createServiceStub("PSEXESVC", "PSEXESVC", `%SystemRoot%\PSEXESVC.exe`)
	client = [][]byte{bindPDU(1, 0, ifaces[ifEPM].UUID), bindPDU(2, 1, svcctlUUID), requestPDU(3, 0, 3)}
	client = append(client, fragments(TypeRequest, 4, []byte{0, 0, 0, 0, 1, 0, opCreateServiceW, 0}, svc, 48)...)
	server = fragments(TypeResponse, 3, make([]byte, 8), stub, (len(stub)+2)/3)
	return client, server
}

// TestJoinNoAllocs: joining and decoding fragmented calls allocates
// nothing once the join buffers have grown (Reset keeps them).
func TestJoinNoAllocs(t *testing.T) {
	client, server := joinCalls()
	var a Analyzer
	var eps, names int
	emit := func(m *Message) { eps += m.NEndpoints; names += len(m.Service.Name()) + len(m.Name()) }
	allocs := testing.AllocsPerRun(50, func() {
		a.Reset()
		for _, b := range client {
			a.Feed(b, true, emit)
		}
		for _, b := range server {
			a.Feed(b, false, emit)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
	if eps == 0 || names == 0 || a.JoinStats().Joined != 2 {
		t.Errorf("endpoints %d names %d stats %+v", eps, names, a.JoinStats())
	}
}

// BenchmarkJoin feeds the fragmented calls of joinCalls: PDUs per second,
// joined and decoded.
func BenchmarkJoin(b *testing.B) {
	client, server := joinCalls()
	var a Analyzer
	n, size := 0, 0
	for _, p := range append(client, server...) {
		size += len(p)
	}
	emit := func(m *Message) { n += m.NEndpoints }
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		a.Reset()
		for _, p := range client {
			a.Feed(p, true, emit)
		}
		for _, p := range server {
			a.Feed(p, false, emit)
		}
	}
	b.ReportMetric(float64(b.N*(len(client)+len(server)))/b.Elapsed().Seconds(), "pdus/s")
}

// BenchmarkCLJoin feeds an ept_map answer over UDP in five datagrams.
func BenchmarkCLJoin(b *testing.B) {
	es := []Endpoint{{Addr: netip.MustParseAddr("10.10.1.5"), Port: 1030, UDP: true}}
	frags := clFragments(CLResponse, ifaces[ifEPM].UUID, 3, 7, eptMapStub(300, es...), 80)
	var a Analyzer
	n := 0
	emit := func(m *Message) { n += m.NEndpoints }
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range frags {
			a.Datagram(d, false, emit)
		}
	}
	b.ReportMetric(float64(b.N*len(frags))/b.Elapsed().Seconds(), "pdus/s")
}
