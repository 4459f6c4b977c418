package dcerpc

import (
	"encoding/binary"
	"errors"

	"harborwatch/proto"
)

// headerLen is the common header of a connection-oriented PDU.
const headerLen = 16

// authLevelPrivacy is RPC_C_AUTHN_LEVEL_PKT_PRIVACY: the stub is sealed.
const authLevelPrivacy = 6

// pendingSize is how many calls awaiting a response a flow remembers.
const pendingSize = 16

// ErrFraming is the sentinel every framing error wraps: the stream is not
// connection-oriented DCE-RPC (or no longer in step).
var ErrFraming = errors.New("dcerpc: framing error")

// Framing errors, each wrapping ErrFraming.
var (
	ErrVersion error = framingError("dcerpc: not version 5.0 or 5.1")
	ErrLength  error = framingError("dcerpc: impossible fragment or auth length")
)

type framingError string

func (e framingError) Error() string { return string(e) }
func (e framingError) Unwrap() error { return ErrFraming }

// order returns the integer byte order of a data representation.
func order(drep0 byte) binary.ByteOrder {
	if drep0&0x10 != 0 {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// validHeader checks the common header at the start of b (at least
// headerLen bytes): version, packet type, data representation and
// lengths.
func validHeader(b []byte) error {
	if b[0] != 5 || b[1] > 1 || b[2] > TypeOrphaned || b[4]&^0x11 != 0 || b[5] > 3 {
		return ErrVersion
	}
	o := order(b[4])
	fl, al := o.Uint16(b[8:]), o.Uint16(b[10:])
	if fl < headerLen || int(al)+headerLen > int(fl) {
		return ErrLength
	}
	return nil
}

// ctxEntry is a presentation context a flow's binds named.
type ctxEntry struct {
	id    uint16
	uuid  UUID
	iface uint8
	used  bool
}

// call is a request awaiting its response.
type call struct {
	id    uint32
	ctx   uint16
	opnum uint16
	used  bool
	age   uint32
}

// Analyzer is the DCE-RPC state of one TCP flow: the presentation
// contexts its binds named and the calls awaiting a response. Its zero
// value is ready to use.
type Analyzer struct {
	msg   Message
	ctxs  [maxContexts * 2]ctxEntry
	nctx  int
	calls [pendingSize]call
	clock uint32
	// The stubs of fragmented calls being joined (join.go): per side of a
	// connection (requests, responses), and per connectionless call.
	joins     [2]coJoin
	joinStats JoinStats
	svc       Service // what Message.Service points to
	cl        CLJoin
	// Per direction, after a gap: the next Feed seeks a PDU boundary
	// (resync.go).
	lost   [2]bool
	resync proto.Resync
}

// Reset makes a reusable for another flow without allocating: the join
// buffers are kept.
func (a *Analyzer) Reset() {
	j0, j1 := a.joins[0].buf[:0], a.joins[1].buf[:0]
	a.cl.Reset()
	cl := a.cl
	*a = Analyzer{cl: cl}
	a.joins[0].buf, a.joins[1].buf = j0, j1
}

// Feed parses the PDUs at the start of b, contiguous in-order bytes of one
// direction of a TCP flow (fromClient: sent by the flow's client), and
// emits each as a Message valid only during the call. It returns the bytes
// consumed; an incomplete PDU is left unconsumed. A framing error returns
// the bytes consumed so far and an error wrapping ErrFraming. After Gap,
// it first skips to the first plausible PDU boundary (resync.go).
func (a *Analyzer) Feed(b []byte, fromClient bool, emit func(*Message)) (n int, err error) {
	for {
		if lost := &a.lost[dirIndex(fromClient)]; *lost {
			i, ok := seek(b[n:])
			n += i
			a.resync.Skipped += uint64(i)
			if !ok {
				return n, nil
			}
			*lost = false
			a.resync.Count++
		}
		if len(b)-n < headerLen {
			return n, nil
		}
		p := b[n:]
		if err := validHeader(p); err != nil {
			return n, err
		}
		fl := int(order(p[4]).Uint16(p[8:]))
		if len(p) < fl {
			return n, nil
		}
		a.parse(p[:fl], fromClient)
		emit(&a.msg)
		n += fl
	}
}

// parse fills a.msg from one whole PDU.
func (a *Analyzer) parse(p []byte, fromClient bool) {
	o := order(p[4])
	m := &a.msg
	*m = Message{Type: p[2], Flags: p[3], FragLen: o.Uint16(p[8:]), AuthLen: o.Uint16(p[10:]),
		CallID: o.Uint32(p[12:]), fromClient: fromClient}
	copy(m.DRep[:], p[4:8])
	body := p[headerLen:]
	if m.AuthLen > 0 { // the auth trailer: 8 bytes of sec_trailer, then the verifier
		end := len(p) - int(m.AuthLen) - 8
		if end < headerLen {
			m.malformed = true
			return
		}
		// sec_trailer: auth type, level, pad length (the stub is padded
		// before it), reserved, context id. At privacy level the stub is
		// sealed: it is not decoded.
		m.encrypted = p[end+1] == authLevelPrivacy
		if pad := int(p[end+2]); end-pad >= headerLen+8 {
			end -= pad
		}
		body = p[headerLen:end]
	}
	switch m.Type {
	case TypeRequest:
		a.request(m, o, body)
	case TypeResponse, TypeFault:
		a.response(m, o, body)
	case TypeBind, TypeAlterContext:
		a.bind(m, o, body)
	case TypeBindAck, TypeAlterContextResp:
		a.bindAck(m, o, body)
	case TypeBindNak:
		if len(body) < 2 {
			m.malformed = true
			return
		}
		m.FaultStatus = uint32(o.Uint16(body))
	}
}

// request reads a request's context and opnum and remembers the call.
func (a *Analyzer) request(m *Message, o binary.ByteOrder, body []byte) {
	if len(body) < 8 {
		m.malformed = true
		return
	}
	m.ContextID, m.Opnum, m.HasOpnum = o.Uint16(body[4:]), o.Uint16(body[6:]), true
	a.resolve(m)
	stub := body[8:]
	if m.Flags&FlagObjectUUID != 0 {
		if len(stub) < 16 {
			m.malformed = true
			return
		}
		stub = stub[16:]
	}
	if m.Flags&FlagFirstFrag != 0 {
		a.remember(m)
	}
	a.stub(m, o, stub, 0)
}

// response reads a response's or fault's context and takes the interface
// and opnum of its request.
func (a *Analyzer) response(m *Message, o binary.ByteOrder, body []byte) {
	if len(body) < 8 || (m.Type == TypeFault && len(body) < 12) {
		m.malformed = true
		return
	}
	m.ContextID = o.Uint16(body[4:])
	if m.Type == TypeFault {
		m.FaultStatus = o.Uint32(body[8:])
	}
	last := m.Flags&FlagLastFrag != 0 || m.Type == TypeFault
	if c := a.lookup(m.CallID, last); c != nil {
		m.Opnum, m.HasOpnum = c.opnum, true
	}
	a.resolve(m)
	if m.Type == TypeResponse {
		a.stub(m, o, body[8:], 1)
	}
}

// resolve sets the call's interface from the flow's contexts.
func (a *Analyzer) resolve(m *Message) {
	for i := range a.nctx {
		if c := &a.ctxs[i]; c.used && c.id == m.ContextID {
			m.IfaceUUID, m.IfaceKnown, m.iface = c.uuid, true, c.iface
			return
		}
	}
}

// remember records a request awaiting its response, replacing the oldest
// when the table is full.
func (a *Analyzer) remember(m *Message) {
	a.clock++
	j := 0
	for i := range a.calls {
		c := &a.calls[i]
		if !c.used || c.id == m.CallID {
			j = i
			break
		}
		if c.age < a.calls[j].age {
			j = i
		}
	}
	a.calls[j] = call{id: m.CallID, ctx: m.ContextID, opnum: m.Opnum, used: true, age: a.clock}
}

// lookup returns the pending call id, forgetting it when done.
func (a *Analyzer) lookup(id uint32, done bool) *call {
	for i := range a.calls {
		if c := &a.calls[i]; c.used && c.id == id {
			if done {
				c.used = false
			}
			return c
		}
	}
	return nil
}

// bind reads the presentation context list of a bind or alter_context
// and remembers its contexts.
func (a *Analyzer) bind(m *Message, o binary.ByteOrder, body []byte) {
	if len(body) < 12 {
		m.malformed = true
		return
	}
	n := int(body[8])
	p := body[12:]
	for range n {
		if len(p) < 24 {
			m.malformed = true
			return
		}
		nts := int(p[2])
		c := Context{ID: o.Uint16(p), UUID: readUUID(o, p[4:]), Version: o.Uint16(p[20:]), Minor: o.Uint16(p[22:])}
		if m.NContexts < maxContexts {
			m.Contexts[m.NContexts] = c
			m.NContexts++
		}
		a.addContext(c)
		if len(p) < 24+20*nts {
			m.malformed = true
			return
		}
		p = p[24+20*nts:]
	}
}

// addContext remembers context c, replacing one of the same id, else the
// first when the table is full.
func (a *Analyzer) addContext(c Context) {
	e := ctxEntry{id: c.ID, uuid: c.UUID, iface: lookupIface(c.UUID), used: true}
	for i := range a.nctx {
		if a.ctxs[i].id == c.ID {
			a.ctxs[i] = e
			return
		}
	}
	if a.nctx < len(a.ctxs) {
		a.ctxs[a.nctx] = e
		a.nctx++
		return
	}
	copy(a.ctxs[:], a.ctxs[1:])
	a.ctxs[len(a.ctxs)-1] = e
}

// bindAck counts the accepted and rejected contexts of a bind_ack or
// alter_context_resp.
func (a *Analyzer) bindAck(m *Message, o binary.ByteOrder, body []byte) {
	if len(body) < 10 {
		m.malformed = true
		return
	}
	sl := int(o.Uint16(body[8:]))
	off := headerLen + 10 + sl
	off += (4 - off%4) % 4 // the result list is 4-aligned in the PDU
	off -= headerLen
	if len(body) < off+4 {
		m.malformed = true
		return
	}
	n := int(body[off])
	p := body[off+4:]
	for range n {
		if len(p) < 24 {
			m.malformed = true
			return
		}
		if o.Uint16(p) == 0 {
			m.Accepted++
		} else {
			m.Rejected++
		}
		p = p[24:]
	}
}

// readUUID reads an NDR UUID (its first three fields in byte order o).
func readUUID(o binary.ByteOrder, b []byte) UUID {
	var u UUID
	binary.BigEndian.PutUint32(u[0:], o.Uint32(b))
	binary.BigEndian.PutUint16(u[4:], o.Uint16(b[4:]))
	binary.BigEndian.PutUint16(u[6:], o.Uint16(b[6:]))
	copy(u[8:], b[8:16])
	return u
}
