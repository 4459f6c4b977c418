package profinet

import (
	"encoding/binary"
	"errors"

	"harborwatch/ics/dcerpc"
)

// PNIO-CM: PROFINET IO context management (IEC 61158-6-10 §5.1, "RPC
// interface"), the calls with which a controller or supervisor sets up an
// application relation (AR) with a device and reads and writes its
// records, carried by connectionless DCE-RPC over UDP (34964, or the
// port the endpoint answers from).

// PortCM is the PNIO-CM endpoint mapper port, where Connect requests go.
const PortCM = 34964

// Roles of the PNIO interfaces dea0000N-6c97-11d1-8271-00a02442df7d.
const (
	RoleDevice      = 1 // the IO device's interface: requests from a controller or supervisor
	RoleController  = 2 // the IO controller's: ApplicationReady from a device
	RoleSupervisor  = 3
	RoleParamServer = 4
)

// PNIO-CM operations (opnums of the device interface).
const (
	OpConnect      = 0
	OpRelease      = 1
	OpRead         = 2
	OpWrite        = 3
	OpControl      = 4
	OpReadImplicit = 5
)

// Block types read (IEC 61158-6-10 §5.2.1.1 BlockType; 0x8000 set for
// the response blocks).
const (
	blockAlarmHigh     = 0x0001
	blockAlarmLow      = 0x0002
	blockWriteReq      = 0x0008
	blockReadReq       = 0x0009
	blockIM0           = 0x0020
	blockARReq         = 0x0101
	blockIOCRReq       = 0x0102
	blockAlarmCRReq    = 0x0103
	blockExpectedSub   = 0x0104
	blockPrmEnd        = 0x0110
	blockPrmEndPlug    = 0x0111
	blockAppReady      = 0x0112
	blockAppReadyPlug  = 0x0113
	blockRelease       = 0x0114
	blockCompanion     = 0x0116
	blockRTC3          = 0x0117
	blockPrmBegin      = 0x0118
	blockWriteRes      = 0x8008
	blockReadRes       = 0x8009
	blockARRes         = 0x8101
	blockModuleDiff    = 0x8104
	indexMultipleWrite = 0xe040
	indexIM0           = 0xaff0
)

// ErrNotCM is the error of a datagram that is not connectionless DCE-RPC
// (the flow is no longer PNIO-CM).
var ErrNotCM = errors.New("profinet: not a pnio-cm datagram")

// pnioUUID is the PNIO interface family without its first byte's role.
var pnioUUID = dcerpc.UUID{0xde, 0xa0, 0x00, 0x00, 0x6c, 0x97, 0x11, 0xd1, 0x82, 0x71, 0x00, 0xa0, 0x24, 0x42, 0xdf, 0x7d}

// pnioRole returns the role of a PNIO interface UUID, 0 for another
// interface.
func pnioRole(u dcerpc.UUID) uint8 {
	r := u[3]
	u[3] = 0
	if u != pnioUUID || r < RoleDevice || r > RoleParamServer {
		return 0
	}
	return r
}

// maxRecords is how many record headers (IODWriteReqHeader,
// IODReadReqHeader and their responses) a message keeps.
const maxRecords = 8

// maxBlocks is how many block types a message keeps.
const maxBlocks = 12

// Record is one record a Read or Write names: where (API, slot,
// subslot), which (index), how long, and in a response the status.
type Record struct {
	API     uint32
	Slot    uint16
	Subslot uint16
	Index   uint16
	Length  uint32
	Status  uint32 // PNIOStatus of a write response; 0 OK
}

// IM0 is the identification and maintenance record 0 (IEC 61158-6-10
// §5.2.5.2) a device returns to a read of index 0xAFF0: its vendor,
// order number, serial number and revisions.
type IM0 struct {
	VendorID         uint16
	OrderID          []byte // 20 characters, blank-padded
	Serial           []byte // 16 characters
	HardwareRevision uint16
	SoftwareRevision [4]byte // prefix ('V', 'R', 'P', 'U', 'T'), functional enhancement, bug fix, internal change
}

// CM is one PNIO-CM datagram. It is valid only during the emit call that
// hands it out; byte slices alias the datagram.
type CM struct {
	Header dcerpc.CLHeader
	Role   uint8 // RoleDevice, RoleController, …
	// PNIOStatus is a response's PNIOStatus (ErrorCode, ErrorDecode,
	// ErrorCode1, ErrorCode2 from the high byte down), or a fault's or
	// reject's NCA status; 0 OK.
	PNIOStatus uint32
	// Object UUID of a call to a device: its DeviceInstance, DeviceID
	// and VendorID (dea00000-6c97-11d1-8271-IIIIDDDDVVVV), when HasDevice.
	Instance, DeviceID, VendorID uint16
	HasDevice                    bool

	Blocks  [maxBlocks]uint16 // block types, in order
	NBlocks int

	ARType     uint16
	ARUUID     dcerpc.UUID
	HasAR      bool
	SessionKey uint16
	// StationName is the CMInitiatorStationName of an ARBlockReq: the
	// name of the controller or supervisor that connects.
	StationName  []byte
	InitiatorMAC [6]byte
	// ControlCommand of an IODControlReq/IOXBlockReq (0x0001
	// ParameterEnd, 0x0002 ApplicationReady, 0x0004 Release, 0x0008
	// Done, …).
	ControlCommand uint16

	Records  [maxRecords]Record
	NRecords int
	More     int // records beyond maxRecords

	IM0    IM0
	HasIM0 bool

	// Fragment: a fragment whose body is not read: a continuation
	// fragment (FragNum > 0) read on its own (ParseCM), or any fragment
	// but the last of a call CMAnalyzer joins.
	Fragment bool
	// StubLen is, on the last fragment of a call whose fragments were
	// joined, the joined stub's length; StubCut says it went past
	// dcerpc.MaxStub and was read from its first MaxStub bytes.
	StubLen   int
	StubCut   bool
	malformed bool
}

// Malformed reports whether the stub could not be read as its operation
// asks.
func (m *CM) Malformed() bool { return m.malformed }

// CMAnalyzer reads the PNIO-CM datagrams of one UDP flow. Its zero value
// is ready to use. A call larger than one datagram (a Connect with many
// submodules, a Write of a large record) comes in fragments (C706
// §12.5.3.7): they are joined per activity and sequence number
// (dcerpc.CLJoin, bounded, what is given up counted) and the call is
// decoded from the whole stub with its last fragment, as tshark does;
// the earlier fragments are emitted as Fragment, their blocks not read.
type CMAnalyzer struct {
	msg  CM
	join dcerpc.CLJoin
}

// Reset readies a for another flow, keeping its join buffers.
func (a *CMAnalyzer) Reset() {
	a.msg = CM{}
	a.join.Reset()
}

// JoinStats returns what joining fragments did since Reset.
func (a *CMAnalyzer) JoinStats() dcerpc.JoinStats { return a.join.Stats() }

// Feed is the stream entry of the proto.Parser contract: PNIO-CM is not
// carried over TCP, so a stream is refused.
func (a *CMAnalyzer) Feed(b []byte, _ bool, _ func(*CM)) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	return 0, ErrNotCM
}

// Datagram parses one UDP payload and emits its message. A payload that
// is not connectionless DCE-RPC is ErrNotCM; one of another interface
// than PNIO's is emitted with Role 0. The fragments of a call are joined
// and the call decoded with its last (StubLen says how long the joined
// stub was).
func (a *CMAnalyzer) Datagram(b []byte, _ bool, emit func(*CM)) error {
	m := &a.msg
	body, err := m.head(b)
	if err != nil {
		return err
	}
	h := &m.Header
	if h.Flags1&dcerpc.CLFlagFrag != 0 && m.Role != 0 && (h.Type == dcerpc.CLRequest || h.Type == dcerpc.CLResponse) {
		stub, whole, cut := a.join.Add(h, body)
		if !whole {
			m.Fragment = true
			emit(m)
			return nil
		}
		m.StubLen, m.StubCut = len(stub), cut
		m.stub(stub, cut)
		emit(m)
		return nil
	}
	m.body(body)
	emit(m)
	return nil
}

// ParseCM reads one PNIO-CM datagram into m (every field overwritten),
// on its own: of a fragmented call, the first fragment's blocks are read
// as far as they go, later fragments are only marked Fragment
// (CMAnalyzer joins them).
func ParseCM(b []byte, m *CM) error {
	body, err := m.head(b)
	if err != nil {
		return err
	}
	m.body(body)
	return nil
}

// head resets m and reads the connectionless header, the role of its
// interface and the device its object UUID names; it returns the body.
func (m *CM) head(b []byte) ([]byte, error) {
	*m = CM{}
	body, err := dcerpc.ParseCL(b, &m.Header)
	if err != nil {
		return nil, ErrNotCM
	}
	h := &m.Header
	m.Role = pnioRole(h.Interface)
	if o := h.Object; m.Role != 0 && [10]byte(o[:10]) == [10]byte(pnioUUID[:10]) {
		// The object UUID names the device: dea00000-6c97-11d1-8271-
		// followed by instance, device ID and vendor ID.
		m.Instance = binary.BigEndian.Uint16(o[10:])
		m.DeviceID = binary.BigEndian.Uint16(o[12:])
		m.VendorID = binary.BigEndian.Uint16(o[14:])
		m.HasDevice = true
	}
	return body, nil
}

// body reads the body of one datagram: a fault's or reject's status, a
// call's stub (of a first fragment, as far as it goes; a later fragment
// is only marked).
func (m *CM) body(body []byte) {
	h := &m.Header
	switch h.Type {
	case dcerpc.CLFault, dcerpc.CLReject:
		if len(body) >= 4 {
			m.PNIOStatus = h.Order().Uint32(body)
		}
		return
	case dcerpc.CLRequest, dcerpc.CLResponse:
	default:
		return
	}
	if m.Role == 0 {
		return
	}
	if h.FragNum > 0 {
		m.Fragment = true
		return
	}
	m.stub(body, h.Flags1&dcerpc.CLFlagFrag != 0)
}

// stub reads a call's NDR stub: ArgsMaximum (request) or PNIOStatus
// (response), then ArgsLength and the conformant varying array of the
// blocks. partial: the stub may end early (a first fragment, a joined
// stub cut at dcerpc.MaxStub).
func (m *CM) stub(body []byte, partial bool) {
	h := &m.Header
	ord := h.Order()
	if len(body) < 20 {
		if h.Type == dcerpc.CLResponse && len(body) >= 4 {
			m.PNIOStatus = ord.Uint32(body) // an error answer may carry only its status
			return
		}
		m.malformed = true
		return
	}
	if h.Type == dcerpc.CLResponse {
		m.PNIOStatus = ord.Uint32(body)
	}
	n := int(ord.Uint32(body[16:]))
	blocks := body[20:]
	if n > len(blocks) || n < 0 {
		if !partial {
			m.malformed = true
		}
		n = len(blocks) // a first fragment: read what it holds
	}
	m.blocks(blocks[:n], partial, 0)
}

// blocks reads a sequence of blocks (IEC 61158-6-10 §5.2.1.1: type,
// length of what follows the length, version high and low). partial: the
// sequence may end inside a block (a first fragment). depth bounds the
// nesting of MultipleWrite.
func (m *CM) blocks(b []byte, partial bool, depth int) {
	be := binary.BigEndian
	for len(b) > 0 {
		if len(b) < 6 {
			m.malformed = m.malformed || !partial
			return
		}
		typ, bl := be.Uint16(b), int(be.Uint16(b[2:]))
		if bl < 2 || 4+bl > len(b) {
			m.malformed = m.malformed || !partial
			return
		}
		if m.NBlocks < maxBlocks {
			m.Blocks[m.NBlocks] = typ
			m.NBlocks++
		}
		blk := b[:4+bl]
		b = b[4+bl:]
		switch typ {
		case blockARReq:
			if len(blk) < 58 {
				m.malformed = true
				return
			}
			m.arCommon(blk)
			m.InitiatorMAC = [6]byte(blk[26:32])
			nl := int(be.Uint16(blk[56:]))
			if 58+nl > len(blk) {
				m.malformed = true
				return
			}
			m.StationName = blk[58 : 58+nl]
		case blockARRes:
			if len(blk) < 32 {
				m.malformed = true
				return
			}
			m.arCommon(blk)
		case blockPrmEnd, blockPrmEndPlug, blockAppReady, blockAppReadyPlug, blockRelease, blockCompanion, blockRTC3, blockPrmBegin,
			blockPrmEnd | 0x8000, blockPrmEndPlug | 0x8000, blockAppReady | 0x8000, blockAppReadyPlug | 0x8000,
			blockRelease | 0x8000, blockCompanion | 0x8000, blockRTC3 | 0x8000, blockPrmBegin | 0x8000:
			if len(blk) < 32 {
				m.malformed = true
				return
			}
			m.ARUUID, m.HasAR = dcerpc.UUID(blk[8:24]), true
			m.SessionKey = be.Uint16(blk[24:])
			m.ControlCommand = be.Uint16(blk[28:])
		case blockWriteReq, blockReadReq, blockWriteRes, blockReadRes:
			if len(blk) < 40 {
				m.malformed = true
				return
			}
			r := Record{API: be.Uint32(blk[24:]), Slot: be.Uint16(blk[28:]), Subslot: be.Uint16(blk[30:]),
				Index: be.Uint16(blk[34:]), Length: be.Uint32(blk[36:])}
			if typ == blockWriteRes && len(blk) >= 48 {
				r.Status = be.Uint32(blk[44:])
			}
			if !m.HasAR {
				m.ARUUID, m.HasAR = dcerpc.UUID(blk[8:24]), true
			}
			multiple := r.Index == indexMultipleWrite && (typ == blockWriteReq || typ == blockWriteRes)
			if !multiple || depth > 0 {
				m.addRecord(r)
			}
			// The record data follows the header block (requests of a
			// write, responses of a read); a MultipleWrite's data is the
			// nested headers and data, each padded to four octets.
			if typ == blockWriteReq || typ == blockReadRes {
				dl := int(r.Length)
				if dl > len(b) {
					if !partial {
						m.malformed = true
					}
					dl = len(b)
				}
				data := b[:dl]
				b = b[dl:]
				switch {
				case multiple && depth == 0:
					m.blocks(data, partial, depth+1)
				case typ == blockReadRes && r.Index == indexIM0:
					m.im0(data)
				}
				if depth > 0 && len(b) > 0 {
					if pad := (4 - dl%4) % 4; pad <= len(b) {
						b = b[pad:]
					}
				}
			}
		case blockIM0:
			m.im0(blk)
		}
	}
}

// arCommon reads what ARBlockReq and ARBlockRes share: the AR type and
// UUID and the session key.
func (m *CM) arCommon(blk []byte) {
	be := binary.BigEndian
	m.ARType = be.Uint16(blk[6:])
	m.ARUUID, m.HasAR = dcerpc.UUID(blk[8:24]), true
	m.SessionKey = be.Uint16(blk[24:])
}

func (m *CM) addRecord(r Record) {
	if m.NRecords < maxRecords {
		m.Records[m.NRecords] = r
		m.NRecords++
		return
	}
	m.More++
}

// im0 reads an I&M0 block: header (6), VendorID (2), OrderID (20),
// IM_Serial_Number (16), IM_Hardware_Revision (2), IM_Software_Revision
// (4), then counters and versions not kept.
func (m *CM) im0(blk []byte) {
	if len(blk) < 50 || binary.BigEndian.Uint16(blk) != blockIM0 {
		return
	}
	m.IM0 = IM0{VendorID: binary.BigEndian.Uint16(blk[6:]), OrderID: blk[8:28], Serial: blk[28:44],
		HardwareRevision: binary.BigEndian.Uint16(blk[44:]), SoftwareRevision: [4]byte(blk[46:50])}
	m.HasIM0 = true
}
