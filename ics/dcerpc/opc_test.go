package dcerpc

import (
	"encoding/binary"
	"slices"
	"testing"
)

// TestOPCItemsCaptures: the OPC DA writes of the captures name one item
// each (the value the HMI writes, a string, in the stub after it).
func TestOPCItemsCaptures(t *testing.T) {
	for _, tc := range []struct{ capture, name string }{
		{"opc_read_write.pcap", "IOPCAsyncIO2.Write"},
		{"opcda_1.pcap", "IOPCSyncIO.Write"},
	} {
		n := 0
		for _, r := range replay(t, "testdata/"+tc.capture, true).Records {
			if r.Name != tc.name || !r.Request {
				continue
			}
			n++
			if r.Detail["items"] != uint32(1) {
				t.Errorf("%s packet %d: %s detail %v, want items 1", tc.capture, r.Packet, r.Name, r.Detail)
			}
		}
		if n != 1 {
			t.Errorf("%s: %d %s requests, want 1", tc.capture, n, tc.name)
		}
	}
}

// TestOPCItemsJoined: an IOPCItemMgt.AddItems request in fragments names
// its item count with its last fragment; an ORPCTHIS with extensions is
// not read further.
func TestOPCItemsJoined(t *testing.T) {
	itemMgt := ifaces[ifOPCItemMgt].UUID
	le := binary.LittleEndian
	stub := func(ext uint32, count uint32) []byte {
		b := []byte{5, 0, 7, 0}
		b = append(b, make([]byte, 24)...) // flags, reserved, causality id
		b = le.AppendUint32(b, ext)
		b = le.AppendUint32(b, count)
		return append(b, make([]byte, 300)...) // the item definitions
	}
	hdr := []byte{0, 0, 0, 0, 0, 0, 3, 0} // AddItems
	var a Analyzer
	feedAll(t, &a, true, bindPDU(1, 0, itemMgt))
	ms := feedAll(t, &a, true, fragments(TypeRequest, 2, hdr, stub(0, 3), 20)...)
	for i, m := range ms {
		last := i == len(ms)-1
		if m.Name() != "IOPCItemMgt.AddItems" || m.HasItems != last || (last && m.Items != 3) {
			t.Errorf("fragment %d: %s items %v %d", i, m.Name(), m.HasItems, m.Items)
		}
	}
	m := feedAll(t, &a, true, fragments(TypeRequest, 3, hdr, stub(0x20000, 3), 1000)...)[0]
	if m.HasItems {
		t.Errorf("with extensions: items %d", m.Items)
	}
	if !slices.Contains([]int{-1}, itemsAt(ifOPCItemMgt, 9)) || itemsAt(ifOPCSyncIO, 3) != orpcThisLen+4 {
		t.Error("itemsAt")
	}
}
