package profinet

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"harborwatch/app/discovery"
)

// EtherType is PROFINET's real-time EtherType.
const EtherType = 0x8892

// Class is the kind of a PROFINET real-time frame, by its FrameID
// (IEC 61158-6-10 §4.2.2.2, as Wireshark's packet-pn-rt.c ranges them).
type Class uint8

// Frame classes.
const (
	ClassOther     Class = iota // reserved FrameIDs
	ClassRT3                    // 0x0100–0x7FFF: isochronous cyclic data (RT_CLASS_3)
	ClassRT2                    // 0x8000–0xBFFF: cyclic data (RT_CLASS_2)
	ClassRT1                    // 0xC000–0xFBFF: cyclic data (RT_CLASS_1)
	ClassAlarmHigh              // 0xFC01
	ClassAlarmLow               // 0xFE01
	ClassDCP                    // 0xFEFC–0xFEFF
	ClassPTCP                   // 0x0020–0x0081, 0xFF00–0xFF7F: time synchronisation and delay measurement
	ClassFragment               // 0xFF80–0xFF8F
	ClassUDP                    // 0xC000–0xFBFF over UDP: cyclic data (RT_CLASS_UDP, unicast to 0xF7FF, then multicast)
	NumClasses
)

var classNames = [NumClasses]string{"other", "RT_CLASS_3", "RT_CLASS_2", "RT_CLASS_1", "Alarm High", "Alarm Low", "DCP", "PTCP", "fragment", "RT_CLASS_UDP"}

// String names c.
func (c Class) String() string {
	if c < NumClasses {
		return classNames[c]
	}
	return "other"
}

// Cyclic reports whether frames of c carry cyclic I/O data.
func (c Class) Cyclic() bool { return c == ClassRT1 || c == ClassRT2 || c == ClassRT3 || c == ClassUDP }

// ClassOf returns the class of a FrameID.
func ClassOf(id uint16) Class {
	switch {
	case id >= 0x0020 && id <= 0x0021, id >= 0x0080 && id <= 0x0081, id >= 0xff00 && id <= 0xff7f:
		return ClassPTCP
	case id >= 0x0100 && id <= 0x7fff:
		return ClassRT3
	case id >= 0x8000 && id <= 0xbfff:
		return ClassRT2
	case id >= 0xc000 && id <= 0xfbff:
		return ClassRT1
	case id == 0xfc01:
		return ClassAlarmHigh
	case id == 0xfe01:
		return ClassAlarmLow
	case id >= 0xfefc && id <= 0xfeff:
		return ClassDCP
	case id >= 0xff80 && id <= 0xff8f:
		return ClassFragment
	}
	return ClassOther
}

// ClassOfUDP returns the class of a FrameID carried over UDP (RT_CLASS_UDP,
// IEC 61158-6-10 §4.2.2.2; Wireshark's packet-pn-rt.c reads it so on UDP
// port 34962): cyclic data from 0xC000 to 0xFBFF and the two alarm
// FrameIDs; the rest (the layer-2 classes, DCP, PTCP) is not sent over
// UDP and is ClassOther.
func ClassOfUDP(id uint16) Class {
	switch {
	case id >= 0xc000 && id <= 0xfbff:
		return ClassUDP
	case id == 0xfc01:
		return ClassAlarmHigh
	case id == 0xfe01:
		return ClassAlarmLow
	}
	return ClassOther
}

// UDP ports of PROFINET IO real-time frames (IANA): RT_CLASS_UDP
// unicast and multicast cyclic data. PortCM (34964), context
// management's, may carry them too.
const (
	PortRT   = 34962
	PortRTMC = 34963
)

// DataStatus bits of the APDU status of a cyclic frame (IEC 61158-6-10
// §4.7.2.1.3).
const (
	StatusPrimary   = 0x01 // State: primary (else backup)
	StatusValid     = 0x04 // DataValid
	StatusRun       = 0x10 // ProviderState: run (else stop)
	StatusNoProblem = 0x20 // StationProblemIndicator: normal (else a problem detected)
	StatusIgnore    = 0x80 // evaluate the data status only, not the data
	// statusWatched are the bits whose change is an event.
	statusWatched = StatusPrimary | StatusValid | StatusRun | StatusNoProblem
)

// RTA PDU types (the low nibble of PDUType, IEC 61158-6-10 §4.10.3.2).
const (
	RTAData = 1
	RTANack = 2
	RTAAck  = 3
	RTAErr  = 4
)

var rtaNames = [...]string{"", "DATA-RTA-PDU", "NACK-RTA-PDU", "ACK-RTA-PDU", "ERR-RTA-PDU"}

// Alarm is an alarm frame's RTA PDU: endpoints, type, sequence numbers,
// and its body: an AlarmNotification (DATA) or AlarmAck, or an ERR's
// PNIOStatus (an abort).
type Alarm struct {
	DstEndpoint, SrcEndpoint uint16
	PDUType                  uint8 // RTAData, RTANack, RTAAck, RTAErr
	SendSeq, AckSeq          uint16
	Block                    uint16 // block type of a DATA PDU's body (0x0001/0x0002 notification, 0x8001/0x8002 ack)
	AlarmType                uint16
	API                      uint32
	Slot, Subslot            uint16
	ModuleIdent              uint32
	SubmoduleIdent           uint32
	Specifier                uint16
	Status                   uint32 // ERR: PNIOStatus; ack: its PNIOStatus
}

// IOConn counts the cyclic frames of one I/O connection: a provider (its
// MAC) sending one FrameID to one destination on one VLAN, or over UDP
// (RT_CLASS_UDP) from one address and port to another (SrcAddr, DstAddr;
// Src and Dst are then zero).
type IOConn struct {
	Src, Dst         [6]byte
	SrcAddr, DstAddr netip.AddrPort
	VLAN             uint16
	FrameID          uint16
	Packets          uint64
	Bytes            uint64 // I/O data bytes (without the APDU status)
	DataStatus       uint8  // the last one seen
	Changes          uint64 // changes of the watched data status bits
	Stopped          uint64 // frames whose provider was in stop
	Invalid          uint64 // frames whose data was not valid
	Cycle            uint16 // the last cycle counter seen
	used             bool
}

// Frame is one PROFINET real-time frame as the L2 reader saw it. It is
// valid only during the emit call that hands it out; byte slices alias the
// frame.
type Frame struct {
	FrameID  uint16
	Class    Class
	Src, Dst [6]byte
	VLAN     uint16
	// UDP: a frame carried over UDP (L2.UDP), from SrcAddr to DstAddr
	// (Src, Dst and VLAN are zero).
	UDP              bool
	SrcAddr, DstAddr netip.AddrPort
	// Cyclic frames: the connection's counters (Conn), whether this frame
	// opened it (First) or changed its watched data status (Changed, with
	// the status before in Previous), the cycle counter and the data
	// length.
	Conn       *IOConn
	First      bool
	Changed    bool
	Previous   uint8
	Cycle      uint16
	DataStatus uint8
	Transfer   uint8 // TransferStatus
	DataLen    int
	// Alarm frames.
	Alarm Alarm
	// DCP frames: the parsed PDU.
	DCP       *discovery.DCP
	malformed bool
}

// Errors of L2.Frame; the frame is counted and not emitted.
var (
	ErrShort    = errors.New("profinet: frame too short")
	ErrNotFrame = errors.New("profinet: not a profinet real-time frame")
)

// maxConns is the size of an L2 reader's table of I/O connections (a
// power of two: the table is open-addressed); MaxConns, three quarters of
// it, bounds the connections it counts one by one.
const (
	maxConns = 1024
	MaxConns = maxConns * 3 / 4
)

// L2 reads the PROFINET real-time frames of one shard, at layer 2
// (EtherType 0x8892, Frame) and over UDP (RT_CLASS_UDP, UDP): it counts
// cyclic frames per I/O connection, reads alarms and DCP, and emits a
// Frame for what is news: the first frame of a connection and each change
// of its data status, every alarm and DCP frame. Its zero value is ready;
// it allocates nothing per frame.
type L2 struct {
	conns   [maxConns]IOConn
	nconns  int
	Dropped uint64 // cyclic frames of connections the table had no room for
	// DroppedConns counts those connections, told apart by a hash in a
	// set of 4,096 bits: exact for a few hundred, an undercount beyond.
	DroppedConns uint64
	droppedSet   [64]uint64
	Frames       [NumClasses]uint64 // frames read, per class
	Errors       uint64             // frames too short or malformed
	frame        Frame
	dcp          discovery.DCP
}

// Conns calls f with each I/O connection counted (in table order).
func (a *L2) Conns(f func(*IOConn)) {
	for i := range a.conns {
		if a.conns[i].used {
			f(&a.conns[i])
		}
	}
}

// NConns is the number of I/O connections counted.
func (a *L2) NConns() int { return a.nconns }

// Frame reads b, the payload of an Ethernet frame of EtherType 0x8892
// (FrameID first), sent from src to dst on vlan, and emits it when it is
// news. A frame too short for its class is ErrShort (counted in Errors);
// a malformed DCP or alarm PDU is emitted with Malformed set.
func (a *L2) Frame(b []byte, src, dst [6]byte, vlan uint16, emit func(*Frame)) error {
	if len(b) < 2 {
		a.Errors++
		return ErrShort
	}
	id := binary.BigEndian.Uint16(b)
	c := ClassOf(id)
	a.Frames[c]++
	f := &a.frame
	*f = Frame{FrameID: id, Class: c, Src: src, Dst: dst, VLAN: vlan}
	switch {
	case c.Cyclic():
		if len(b) < 2+4 {
			a.Errors++
			return ErrShort
		}
		return a.cyclic(f, b, emit)
	case c == ClassAlarmHigh || c == ClassAlarmLow:
		f.malformed = !f.Alarm.parse(b[2:])
		if f.malformed {
			a.Errors++
		}
		emit(f)
	case c == ClassDCP:
		if err := discovery.ParseDCP(b, &a.dcp); err != nil {
			f.malformed = true // counted by the caller, as discovery errors are
		}
		f.DCP = &a.dcp
		emit(f)
	}
	return nil
}

// UDP reads b, the payload of a UDP datagram from src to dst (FrameID
// first: RT_CLASS_UDP cyclic data, or an alarm), counting and emitting it
// as Frame does a layer-2 frame; the I/O connection is keyed by the two
// addresses and ports and the FrameID. A FrameID not sent over UDP is
// ErrNotFrame, a datagram too short ErrShort (both counted in Errors).
func (a *L2) UDP(b []byte, src, dst netip.AddrPort, emit func(*Frame)) error {
	if len(b) < 2 {
		a.Errors++
		return ErrShort
	}
	id := binary.BigEndian.Uint16(b)
	c := ClassOfUDP(id)
	if c == ClassOther {
		a.Errors++
		return ErrNotFrame
	}
	a.Frames[c]++
	f := &a.frame
	*f = Frame{FrameID: id, Class: c, UDP: true, SrcAddr: src, DstAddr: dst}
	if c == ClassUDP {
		if len(b) < 2+4 {
			a.Errors++
			return ErrShort
		}
		return a.cyclic(f, b, emit)
	}
	f.malformed = !f.Alarm.parse(b[2:])
	if f.malformed {
		a.Errors++
	}
	emit(f)
	return nil
}

// cyclic counts a cyclic frame: FrameID, I/O data, then the APDU status
// (CycleCounter, DataStatus, TransferStatus) in its last four octets.
func (a *L2) cyclic(f *Frame, b []byte, emit func(*Frame)) error {
	st := b[len(b)-4:]
	f.Cycle, f.DataStatus, f.Transfer = binary.BigEndian.Uint16(st), st[2], st[3]
	f.DataLen = len(b) - 6
	cn, isNew, h := a.conn(f)
	if cn == nil {
		a.Dropped++
		if w, bit := &a.droppedSet[h>>6&63], uint64(1)<<(h&63); *w&bit == 0 {
			*w |= bit
			a.DroppedConns++
		}
		return nil
	}
	cn.Packets++
	cn.Bytes += uint64(f.DataLen)
	cn.Cycle = f.Cycle
	if f.DataStatus&StatusRun == 0 {
		cn.Stopped++
	}
	if f.DataStatus&StatusValid == 0 {
		cn.Invalid++
	}
	f.Conn = cn
	switch {
	case isNew:
		f.First = true
		cn.DataStatus = f.DataStatus
		emit(f)
	case (cn.DataStatus^f.DataStatus)&statusWatched != 0:
		f.Changed, f.Previous = true, cn.DataStatus
		cn.Changes++
		cn.DataStatus = f.DataStatus
		emit(f)
	default:
		cn.DataStatus = f.DataStatus
	}
	return nil
}

// conn finds or adds the connection of f in the open-addressed table; h
// is its hash.
func (a *L2) conn(f *Frame) (c *IOConn, isNew bool, h uint32) {
	h = uint32(f.FrameID)*0x9e3779b1 ^ uint32(f.VLAN)<<16
	for _, x := range f.Src {
		h = (h ^ uint32(x)) * 16777619
	}
	for _, x := range f.Dst {
		h = (h ^ uint32(x)) * 16777619
	}
	if f.UDP {
		for _, ap := range [2]netip.AddrPort{f.SrcAddr, f.DstAddr} {
			for _, x := range ap.Addr().As16() {
				h = (h ^ uint32(x)) * 16777619
			}
			h = (h ^ uint32(ap.Port())) * 16777619
		}
	}
	for i := range uint32(maxConns) {
		c = &a.conns[(h+i)&(maxConns-1)]
		if !c.used {
			if a.nconns >= MaxConns {
				return nil, false, h // keep probes short: the table stays a quarter free
			}
			*c = IOConn{Src: f.Src, Dst: f.Dst, SrcAddr: f.SrcAddr, DstAddr: f.DstAddr, VLAN: f.VLAN, FrameID: f.FrameID, used: true}
			a.nconns++
			return c, true, h
		}
		if c.FrameID == f.FrameID && c.Src == f.Src && c.Dst == f.Dst && c.VLAN == f.VLAN && c.SrcAddr == f.SrcAddr && c.DstAddr == f.DstAddr {
			return c, false, h
		}
	}
	return nil, false, h
}

// parse reads an RTA PDU (IEC 61158-6-10 §4.10.3.2): AlarmDstEndpoint,
// AlarmSrcEndpoint, PDUType, AddFlags, SendSeqNum, AckSeqNum, VarPartLen,
// then the var part. It reports whether the PDU was whole.
func (al *Alarm) parse(b []byte) bool {
	be := binary.BigEndian
	if len(b) < 12 {
		return false
	}
	al.DstEndpoint, al.SrcEndpoint = be.Uint16(b), be.Uint16(b[2:])
	al.PDUType = b[4] & 0x0f
	al.SendSeq, al.AckSeq = be.Uint16(b[6:]), be.Uint16(b[8:])
	n := int(be.Uint16(b[10:]))
	v := b[12:]
	if n > len(v) || al.PDUType < RTAData || al.PDUType > RTAErr {
		return false
	}
	v = v[:n]
	switch al.PDUType {
	case RTAErr:
		if len(v) < 4 {
			return false
		}
		al.Status = be.Uint32(v)
	case RTAData:
		if len(v) < 6 {
			return false
		}
		al.Block = be.Uint16(v)
		switch al.Block {
		case blockAlarmHigh, blockAlarmLow:
			// BlockHeader, AlarmType, API, Slot, Subslot, ModuleIdent,
			// SubmoduleIdent, AlarmSpecifier.
			if len(v) < 26 {
				return false
			}
			al.AlarmType, al.API = be.Uint16(v[6:]), be.Uint32(v[8:])
			al.Slot, al.Subslot = be.Uint16(v[12:]), be.Uint16(v[14:])
			al.ModuleIdent, al.SubmoduleIdent = be.Uint32(v[16:]), be.Uint32(v[20:])
			al.Specifier = be.Uint16(v[24:])
		case blockAlarmHigh | 0x8000, blockAlarmLow | 0x8000:
			// AlarmAck: BlockHeader, AlarmType, API, Slot, Subslot,
			// AlarmSpecifier, PNIOStatus.
			if len(v) < 22 {
				return false
			}
			al.AlarmType, al.API = be.Uint16(v[6:]), be.Uint32(v[8:])
			al.Slot, al.Subslot = be.Uint16(v[12:]), be.Uint16(v[14:])
			al.Specifier, al.Status = be.Uint16(v[16:]), be.Uint32(v[18:])
		}
	}
	return true
}
