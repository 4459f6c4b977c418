package dcerpc

import (
	"encoding/binary"
	"errors"
	"testing"

	"harborwatch/event"
	"harborwatch/proto"
)

// clPDU builds a little-endian connectionless PDU to interface iface.
func clPDU(ptype uint8, iface UUID, opnum uint16, seq uint32, flags1 uint8, fragnum uint16, body []byte) []byte {
	le := binary.LittleEndian
	uuid := func(u UUID) []byte {
		b := le.AppendUint32(nil, binary.BigEndian.Uint32(u[:]))
		b = le.AppendUint16(b, binary.BigEndian.Uint16(u[4:]))
		b = le.AppendUint16(b, binary.BigEndian.Uint16(u[6:]))
		return append(b, u[8:]...)
	}
	h := []byte{4, ptype, flags1, 0, 0x10, 0, 0, 0}
	h = append(h, uuid(UUID{})...)
	h = append(h, uuid(iface)...)
	h = append(h, uuid(UUID{9, 9, 9})...)
	h = le.AppendUint32(h, 0)
	h = le.AppendUint32(h, 3)
	h = le.AppendUint32(h, seq)
	h = le.AppendUint16(h, opnum)
	h = le.AppendUint16(h, 0xffff)
	h = le.AppendUint16(h, 0xffff)
	h = le.AppendUint16(h, uint16(len(body)))
	h = le.AppendUint16(h, fragnum)
	h = append(h, 0, 0)
	return append(h, body...)
}

// TestConnectionless: connectionless PDUs over UDP name their interface
// from the header (no bind), take the opnum of calls, the status of
// faults and rejects, and the side of their packet type.
func TestConnectionless(t *testing.T) {
	epm := ifaces[ifEPM].UUID
	for _, tc := range []struct {
		name                     string
		b                        []byte
		typ, nm, op, status, frg string
		request, malformed       bool
	}{
		{"ept_lookup request", clPDU(CLRequest, epm, 2, 1, CLFlagIdem, 0, make([]byte, 16)), "request", "EPM.ept_lookup", event.OpIdentity, "", "", true, false},
		{"its response", clPDU(CLResponse, epm, 2, 1, 0, 0, make([]byte, 8)), "response", "EPM.ept_lookup", event.OpIdentity, "", "", false, false},
		{"fault", clPDU(CLFault, epm, 2, 1, 0, 0, binary.LittleEndian.AppendUint32(nil, 0x1c010003)), "fault", "EPM.ept_lookup", event.OpIdentity, "nca_s_unk_if", "", false, false},
		{"reject", clPDU(CLReject, epm, 0, 1, 0, 0, binary.LittleEndian.AppendUint32(nil, 0x1c010002)), "reject", "reject", event.OpSession, "nca_s_op_rng_error", "", false, false},
		{"reject without status", clPDU(CLReject, epm, 0, 1, 0, 0, nil), "reject", "reject", event.OpSession, "fault 0x0", "", false, true},
		{"ping", clPDU(CLPing, epm, 0, 1, 0, 0, nil), "ping", "ping", event.OpSession, "", "", true, false},
		{"working", clPDU(CLWorking, epm, 0, 1, 0, 0, nil), "working", "working", event.OpSession, "", "", false, false},
		{"unknown interface", clPDU(CLRequest, UUID{1, 2, 3}, 7, 1, 0, 0, nil), "request", "01020300-0000-0000-0000-000000000000 opnum 7", event.OpOther, "", "", true, false},
		{"middle fragment", clPDU(CLRequest, epm, 2, 1, CLFlagFrag, 2, make([]byte, 8)), "request", "EPM.ept_lookup", event.OpIdentity, "", "middle", true, false},
	} {
		var a Analyzer
		n := 0
		err := a.Datagram(tc.b, true, func(m *Message) {
			n++
			if m.TypeName() != tc.typ || m.Name() != tc.nm || m.Op() != tc.op || m.Status() != tc.status ||
				m.Request() != tc.request || m.Malformed() != tc.malformed || !m.CL || m.CallID != 1 {
				t.Errorf("%s: type %q name %q op %q status %q request %v malformed %v", tc.name, m.TypeName(), m.Name(), m.Op(),
					m.Status(), m.Request(), m.Malformed())
			}
			d := map[string]any{}
			m.Detail(d)
			if f, _ := d["fragment"].(string); f != tc.frg || d["transport"] != "udp" || d["context_id"] != nil {
				t.Errorf("%s: detail %v", tc.name, d)
			}
		})
		if err != nil || n != 1 {
			t.Errorf("%s: %v, %d messages", tc.name, err, n)
		}
	}
	var a Analyzer
	if err := a.Datagram([]byte("not rpc"), true, func(*Message) {}); !errors.Is(err, ErrCL) || !errors.Is(err, ErrFraming) {
		t.Errorf("not a pdu: %v", err)
	}
}

func TestProbeUDP(t *testing.T) {
	epm := ifaces[ifEPM].UUID
	good := clPDU(CLRequest, epm, 2, 1, 0, 0, make([]byte, 16))
	for name, tc := range map[string]struct {
		b    []byte
		want proto.Verdict
	}{
		"request":        {good, proto.Sure},
		"trailing bytes": {append(good[:len(good):len(good)], 0), proto.No},
		"body cut":       {good[:len(good)-1], proto.No},
		"version 5":      {append([]byte{5}, good[1:]...), proto.No},
		"dns":            {[]byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}, proto.No},
	} {
		if got := ProbeUDP.Check(135, tc.b, true); got != tc.want {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
}

func TestConnectionlessNoAllocs(t *testing.T) {
	b := clPDU(CLRequest, ifaces[ifEPM].UUID, 2, 1, 0, 0, make([]byte, 16))
	var a Analyzer
	n := 0
	emit := func(m *Message) { n += len(m.Name()) + len(m.Op()) }
	if allocs := testing.AllocsPerRun(100, func() {
		if probeUDP(b, true) != proto.Sure {
			t.Fatal("probe")
		}
		a.Datagram(b, true, emit)
	}); allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
}
