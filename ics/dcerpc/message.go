package dcerpc

import (
	"net/netip"
	"strconv"

	"harborwatch/event"
)

// Packet types (C706 §12.6.4.1; the connectionless ones are not carried
// over TCP but are named).
const (
	TypeRequest          = 0
	TypeResponse         = 2
	TypeFault            = 3
	TypeBind             = 11
	TypeBindAck          = 12
	TypeBindNak          = 13
	TypeAlterContext     = 14
	TypeAlterContextResp = 15
	TypeAuth3            = 16
	TypeShutdown         = 17
	TypeCancel           = 18
	TypeOrphaned         = 19
)

var typeNames = [...]string{"request", "ping", "response", "fault", "working", "nocall", "reject",
	"ack", "cl_cancel", "fack", "cancel_ack", "bind", "bind_ack", "bind_nak", "alter_context",
	"alter_context_resp", "auth3", "shutdown", "co_cancel", "orphaned"}

// Flags (pfc_flags).
const (
	FlagFirstFrag  = 0x01
	FlagLastFrag   = 0x02
	FlagObjectUUID = 0x80
)

// maxContexts is how many presentation contexts a bind names that a
// Message keeps (and a flow remembers).
const maxContexts = 8

// Context is a presentation context of a bind or alter_context.
type Context struct {
	ID      uint16
	UUID    UUID
	Version uint16 // major
	Minor   uint16
}

// maxEndpoints is how many endpoints one Message keeps.
const maxEndpoints = 4

// Endpoint is an endpoint a PDU hands out: an ept_map tower (TCP, or UDP
// for ncadg_ip_udp) or a DCOM string binding (TCP). Addr is invalid when
// the binding names a host, not an address (the port is then the
// responding server's).
type Endpoint struct {
	Addr netip.Addr
	Port uint16
	UDP  bool
}

// Message is one connection-oriented DCE-RPC PDU. It is valid only during
// the emit call that hands it out.
type Message struct {
	Type      uint8
	Flags     uint8
	DRep      [4]byte
	FragLen   uint16
	AuthLen   uint16
	CallID    uint32
	ContextID uint16 // request, response, fault
	Opnum     uint16 // request; a response's or fault's request's, when HasOpnum
	HasOpnum  bool
	// Iface indexes the well-known interface of the call (request,
	// response, fault) when known; IfaceUUID is the call's interface when
	// its bind was seen (IfaceKnown).
	iface       uint8
	IfaceUUID   UUID
	IfaceKnown  bool
	FaultStatus uint32 // fault: the status; bind_nak: the reason
	// Contexts of a bind or alter_context (NContexts of them kept), or the
	// results of a bind_ack or alter_context_resp (Accepted, Rejected).
	Contexts  [maxContexts]Context
	NContexts int
	Accepted  int
	Rejected  int
	// Endpoints handed out by the PDU (the call's, when it is the last
	// fragment of a fragmented call).
	Endpoints  [maxEndpoints]Endpoint
	NEndpoints int
	// StubLen is, on the last fragment of a call whose fragments were
	// joined, the joined stub's length; StubCut says it went past
	// MaxStub and was decoded from its first MaxStub bytes.
	StubLen int
	StubCut bool
	// Items is how many items an OPC DA read, write or item-management
	// request names (opc.go), when HasItems.
	Items    uint32
	HasItems bool
	// Service is what an RCreateServiceW request creates (svcctl.go),
	// nil for other PDUs; like the Message, valid during the emit call.
	Service *Service
	// CL: a connectionless PDU (UDP), whose Type is a connectionless
	// packet type (CLRequest, CLPing, …) and CallID its sequence number.
	CL         bool
	fromClient bool
	malformed  bool
	encrypted  bool // the stub is sealed (auth level privacy): not decoded
}

// Malformed reports whether the PDU framed but its body was too short
// for its type.
func (m *Message) Malformed() bool { return m.malformed }

// Request reports whether m is a request (a request, bind, alter_context,
// auth3, cancel, orphaned or shutdown: what a caller sends).
func (m *Message) Request() bool {
	if m.CL {
		h := CLHeader{Type: m.Type}
		return h.Request()
	}
	switch m.Type {
	case TypeResponse, TypeFault, TypeBindAck, TypeBindNak, TypeAlterContextResp:
		return false
	}
	return true
}

// Func is the packet type.
func (m *Message) Func() int { return int(m.Type) }

// TypeName names the packet type.
func (m *Message) TypeName() string {
	if int(m.Type) < len(typeNames) {
		return typeNames[m.Type]
	}
	return "unknown"
}

func (m *Message) call() bool {
	return m.Type == TypeRequest || m.Type == TypeResponse || m.Type == TypeFault
}

// method returns the table entry of the call's interface and opnum.
func (m *Message) method() (method, bool) {
	if !m.HasOpnum || m.iface == unknownIface {
		return method{}, false
	}
	f := &ifaces[m.iface]
	if int(m.Opnum) < len(f.methods) && f.methods[m.Opnum].name != "" {
		return f.methods[m.Opnum], true
	}
	return method{op: f.op}, false
}

// Op classifies m into the event vocabulary: binds and the rest of the
// connection's plumbing "session", a call by its interface's method.
func (m *Message) Op() string {
	if !m.call() {
		return event.OpSession
	}
	if m.iface == unknownIface {
		return event.OpOther
	}
	me, _ := m.method()
	return me.op
}

// Name names m: a call by its interface and method ("IOPCSyncIO.Read",
// "IOPCServer opnum 12", "<uuid> opnum 3", "context 5 opnum 3"), other
// PDUs by their type. Only names of known methods are free of
// allocation.
func (m *Message) Name() string {
	if !m.call() {
		return m.TypeName()
	}
	if me, ok := m.method(); ok {
		return me.name
	}
	op := "opnum ?"
	if m.HasOpnum {
		op = "opnum " + strconv.Itoa(int(m.Opnum))
	}
	switch {
	case m.iface != unknownIface:
		return ifaces[m.iface].Name + " " + op
	case m.IfaceKnown:
		return m.IfaceUUID.String() + " " + op
	}
	return "context " + strconv.Itoa(int(m.ContextID)) + " " + op
}

// Status is "" for a success, else the fault's status or the bind's
// rejection.
func (m *Message) Status() string {
	switch {
	case m.Type == TypeFault:
		return faultName(m.FaultStatus)
	case m.CL && m.Type == CLReject:
		return faultName(m.FaultStatus)
	case m.CL:
		return ""
	case m.Type == TypeBindNak:
		return "bind_nak"
	case (m.Type == TypeBindAck || m.Type == TypeAlterContextResp) && m.Rejected > 0 && m.Accepted == 0:
		return "rejected"
	}
	return ""
}

// faultName names the common fault statuses (C706 Appendix E, MS-RPCE
// §3.1.1.5.5), else formats the code.
func faultName(s uint32) string {
	switch s {
	case 0x1c010002:
		return "nca_s_op_rng_error"
	case 0x1c010003:
		return "nca_s_unk_if"
	case 0x1c00001b:
		return "nca_s_proto_error"
	case 0x00000005:
		return "access_denied"
	case 0x000006f7:
		return "rpc_x_bad_stub_data"
	}
	return "fault 0x" + strconv.FormatUint(uint64(s), 16)
}

// Detail adds m's event detail: pdu_type, call_id, and by type the
// context, opnum and interface of a call, the interfaces of a bind, the
// results of its acknowledgement, the fault status, the endpoints handed
// out.
func (m *Message) Detail(d map[string]any) {
	d["pdu_type"] = m.TypeName()
	d["call_id"] = m.CallID
	if m.Flags&(FlagFirstFrag|FlagLastFrag) != FlagFirstFrag|FlagLastFrag {
		d["fragment"] = fragName(m.Flags)
	}
	if m.CL {
		d["transport"] = "udp"
	}
	if m.call() && !m.CL {
		d["context_id"] = m.ContextID
	}
	if m.call() {
		if m.HasOpnum {
			d["opnum"] = m.Opnum
		}
		if m.IfaceKnown {
			d["interface"] = m.IfaceUUID.String()
		}
		if m.iface != unknownIface {
			d["interface_name"] = ifaces[m.iface].Name
		}
	}
	if m.Type == TypeFault {
		d["fault_status"] = m.FaultStatus
	}
	if m.NContexts > 0 {
		cs := make([]map[string]any, m.NContexts)
		for i := range cs {
			c := &m.Contexts[i]
			cs[i] = map[string]any{"context_id": c.ID, "interface": c.UUID.String(),
				"version": strconv.Itoa(int(c.Version)) + "." + strconv.Itoa(int(c.Minor))}
			if n := Interface(c.UUID); n != "" {
				cs[i]["interface_name"] = n
			}
		}
		d["contexts"] = cs
	}
	if m.Type == TypeBindAck || m.Type == TypeAlterContextResp {
		d["accepted"], d["rejected"] = m.Accepted, m.Rejected
	}
	if m.NEndpoints > 0 {
		es := make([]string, m.NEndpoints)
		for i, e := range m.Endpoints[:m.NEndpoints] {
			if e.Addr.IsValid() {
				es[i] = netip.AddrPortFrom(e.Addr, e.Port).String()
			} else {
				es[i] = "[" + strconv.Itoa(int(e.Port)) + "]"
			}
			if e.UDP {
				es[i] = "udp " + es[i]
			}
		}
		d["endpoints"] = es
	}
	if m.StubLen > 0 {
		d["stub_len"] = m.StubLen
	}
	if m.HasItems {
		d["items"] = m.Items
	}
	if m.StubCut {
		d["stub_cut"] = true
	}
	if m.Service != nil {
		d["service_name"] = string(m.Service.Name())
		d["binary_path"] = string(m.Service.BinaryPath())
		if m.Service.Cut {
			d["service_cut"] = true
		}
	}
}

func fragName(f uint8) string {
	switch {
	case f&FlagFirstFrag != 0:
		return "first"
	case f&FlagLastFrag != 0:
		return "last"
	}
	return "middle"
}
