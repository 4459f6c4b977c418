package dcerpc

import "encoding/binary"

// OPC DA calls (the OPC Foundation's opcda.idl): how many items a read,
// a write or an item-management call names — what an HMI asks of a PLC's
// OPC server, read from the call's whole stub (fragments joined).
//
// A DCOM call's stub starts with ORPCTHIS (MS-DCOM §2.2.13.1: COMVERSION,
// flags, reserved, the causality id, a pointer to extensions: 32 bytes
// when the pointer is null, as OPC clients send it), then the method's
// arguments; the item count (dwCount) is the first of them, after
// dwSource for IOPCSyncIO::Read.

var (
	ifOPCSyncIO   = lookupIface(mustUUID("39c13a52-011e-11d0-9675-0020afd8adb3"))
	ifOPCAsyncIO2 = lookupIface(mustUUID("39c13a71-011e-11d0-9675-0020afd8adb3"))
	ifOPCItemMgt  = lookupIface(mustUUID("39c13a54-011e-11d0-9675-0020afd8adb3"))
)

// orpcThisLen is ORPCTHIS without extensions.
const orpcThisLen = 32

// itemsAt returns the offset in the stub of the item count of an OPC DA
// request, or -1 when the call names none.
func itemsAt(iface uint8, opnum uint16) int {
	switch {
	case iface == ifOPCSyncIO && opnum == 3: // Read(dwSource, dwCount, …)
		return orpcThisLen + 4
	case iface == ifOPCSyncIO && opnum == 4, // Write(dwCount, …)
		iface == ifOPCAsyncIO2 && (opnum == 3 || opnum == 4), // Read, Write
		iface == ifOPCItemMgt && opnum >= 3 && opnum <= 8:    // AddItems … SetDatatypes
		return orpcThisLen
	}
	return -1
}

// opcItems reads the item count of an OPC DA request into m. A stub whose
// ORPCTHIS carries extensions is not read further.
func opcItems(m *Message, o binary.ByteOrder, stub []byte) {
	at := itemsAt(m.iface, m.Opnum)
	if at < 0 || len(stub) < at+4 || o.Uint32(stub[orpcThisLen-4:]) != 0 {
		return
	}
	m.Items, m.HasItems = o.Uint32(stub[at:]), true
}
