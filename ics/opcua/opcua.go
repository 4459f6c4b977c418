package opcua

import (
	"encoding/binary"
	"errors"
)

// Message header (OPC UA Part 6 §7.1.2): MessageType (3 ASCII bytes),
// ChunkType (F final, C intermediate, A abort), MessageSize (UInt32, the
// whole chunk, header included).
const (
	headerLen      = 8
	maxMessageSize = 1 << 24 // a chunk larger than this is not OPC UA (stacks negotiate 64 KiB)
	pendingSize    = 16      // requests awaiting a response, per flow
	policyNone     = "http://opcfoundation.org/UA/SecurityPolicy#None"
)

// Message types.
const (
	TypeHello = iota + 1
	TypeAcknowledge
	TypeError
	TypeReverseHello
	TypeOpen
	TypeMessage
	TypeClose
)

var typeCodes = [...]string{TypeHello: "HEL", TypeAcknowledge: "ACK", TypeError: "ERR",
	TypeReverseHello: "RHE", TypeOpen: "OPN", TypeMessage: "MSG", TypeClose: "CLO"}

// ErrFraming is the sentinel every framing error wraps: the stream is not
// OPC UA TCP (or no longer in step); the caller drops its buffer.
var ErrFraming = errors.New("opcua: framing error")

// Framing errors, each wrapping ErrFraming.
var (
	ErrType  error = framingError("opcua: unknown message type or chunk type")
	ErrSize  error = framingError("opcua: impossible message size")
	errTrunc error = framingError("opcua: segment ends inside a message")
)

type framingError string

func (e framingError) Error() string { return string(e) }
func (e framingError) Unwrap() error { return ErrFraming }

// messageType returns the type of the header at the start of b, 0 when
// unknown.
func messageType(b []byte) int {
	if len(b) < 4 {
		return 0
	}
	for t := TypeHello; t <= TypeClose; t++ {
		c := typeCodes[t]
		if b[0] == c[0] && b[1] == c[1] && b[2] == c[2] {
			if b[3] == 'F' || (t >= TypeOpen && (b[3] == 'C' || b[3] == 'A')) {
				return t
			}
			return 0
		}
	}
	return 0
}

// pending is a request awaiting its response, by request id.
type pending struct {
	requestID uint32
	service   uint32
	used      bool
	age       uint32
}

// continued is a message whose intermediate chunks have been seen in one
// direction.
type continued struct {
	active     bool
	service    uint32
	known      bool
	chunks     int
	result     uint32 // a response's service result
	paired     bool
	reqService uint32
}

// Analyzer is the OPC UA TCP state of one flow: the secure channel's
// security mode (from OpenSecureChannel, or learned from the first MSG of
// a signed channel), the count of encrypted messages, the requests
// awaiting a response (a ServiceFault takes its request's operation) and
// the service of a message sent in several chunks. Its zero value is
// ready to use.
type Analyzer struct {
	msg       Message
	mode      uint8
	signed    bool // a security policy other than None was opened
	encrypted uint64
	pend      [pendingSize]pending
	clock     uint32
	cont      [2]continued
}

// Reset makes a reusable for another flow without allocating.
func (a *Analyzer) Reset() { *a = Analyzer{} }

// Mode is the flow's secure channel security mode (ModeUnknown until
// learned).
func (a *Analyzer) Mode() uint8 { return a.mode }

// Encrypted counts the flow's messages whose body was encrypted.
func (a *Analyzer) Encrypted() uint64 { return a.encrypted }

// Feed parses the messages at the start of b, contiguous in-order bytes of
// one direction of a TCP flow (fromClient: sent by the flow's client). It
// emits each final or aborted chunk as a Message valid only during the
// call (intermediate chunks are counted into their message) and returns
// the bytes consumed; an incomplete message is left unconsumed. A framing
// error returns the bytes consumed so far and an error wrapping
// ErrFraming.
func (a *Analyzer) Feed(b []byte, fromClient bool, emit func(*Message)) (n int, err error) {
	for {
		rest := b[n:]
		if len(rest) < headerLen {
			if len(rest) >= 4 && messageType(rest) == 0 {
				return n, ErrType
			}
			return n, nil
		}
		t := messageType(rest)
		if t == 0 {
			return n, ErrType
		}
		size := binary.LittleEndian.Uint32(rest[4:])
		if size < headerLen || size > maxMessageSize {
			return n, ErrSize
		}
		if uint32(len(rest)) < size {
			return n, nil
		}
		if a.chunk(t, rest[:size], fromClient) {
			emit(&a.msg)
		}
		n += int(size)
	}
}

// Datagram reads a payload that must hold whole messages (tests, and
// transports that keep message boundaries).
func (a *Analyzer) Datagram(b []byte, fromClient bool, emit func(*Message)) error {
	n, err := a.Feed(b, fromClient, emit)
	if err == nil && n != len(b) {
		err = errTrunc
	}
	return err
}

// chunk decodes one chunk into a.msg and reports whether it is to be
// emitted (not an intermediate chunk).
func (a *Analyzer) chunk(t int, b []byte, fromClient bool) bool {
	m := &a.msg
	*m = Message{Type: uint8(t), Chunk: b[3], Size: uint32(len(b)), FromClient: fromClient, Raw: b,
		Chunks: 1}
	r := reader{b: b[headerLen:]}
	switch t {
	case TypeHello:
		m.hello(&r, true)
	case TypeAcknowledge:
		m.hello(&r, false)
	case TypeError:
		m.ErrorCode = r.u32()
		m.Reason = r.bytes()
	case TypeReverseHello:
		m.ServerURI = r.bytes()
		m.EndpointURL = r.bytes()
	default:
		return a.secure(m, &r)
	}
	if r.bad {
		m.problem = "truncated transport message"
	}
	return true
}

// hello reads a Hello's or Acknowledge's fields (Part 6 §7.1.2.3-4).
func (m *Message) hello(r *reader, hel bool) {
	m.Version = r.u32()
	m.ReceiveBuffer = r.u32()
	m.SendBuffer = r.u32()
	m.MaxMessage = r.u32()
	m.MaxChunks = r.u32()
	if hel {
		m.EndpointURL = r.bytes()
	}
}

// secure decodes an OPN, MSG or CLO chunk: the security headers, and the
// service NodeId and header when the body is not encrypted.
func (a *Analyzer) secure(m *Message, r *reader) bool {
	m.ChannelID = r.u32()
	if m.Type == TypeOpen {
		m.Policy = r.bytes()
		m.certificate = len(r.bytes()) > 0
		r.bytes() // receiver certificate thumbprint
		if r.bad {
			m.problem = "truncated OPN security header"
			return true
		}
		if string(m.Policy) == policyNone {
			a.signed, a.mode = false, ModeNone
		} else {
			a.signed, a.mode = true, ModeUnknown
		}
	} else {
		m.TokenID = r.u32()
	}
	if r.bad {
		m.problem = "truncated security header"
		return true
	}
	dir := 0
	if !m.FromClient {
		dir = 1
	}
	c := &a.cont[dir]
	if (m.Type == TypeOpen && a.signed) || (a.signed && a.mode == ModeSignAndEncrypt) {
		return a.encryptedChunk(m, c)
	}
	m.SequenceNumber = r.u32()
	m.RequestID = r.u32()
	if c.active {
		// A later chunk: its body continues the first chunk's.
		m.Service, m.HasService = c.service, c.known
	} else if m.Chunk != 'A' {
		id := r.nodeID()
		if !r.bad && id.numeric && id.ns == 0 {
			m.Service = id.id
			_, m.HasService = services[id.id]
		}
	}
	if a.signed && a.mode == ModeUnknown {
		if !m.HasService {
			a.mode = ModeSignAndEncrypt
			return a.encryptedChunk(m, c)
		}
		a.mode = ModeSign
	}
	m.Mode = a.mode
	if r.bad {
		m.problem = "truncated sequence header"
		return true
	}
	if m.Chunk == 'C' {
		if !c.active {
			// The first chunk: its body starts with the service's header.
			a.service(m, r)
			*c = continued{active: true, service: m.Service, known: m.HasService, result: m.ServiceResult,
				paired: m.Paired, reqService: m.reqService}
		}
		c.chunks++
		return false
	}
	m.Body = r.b
	if c.active {
		m.Chunks += c.chunks
		m.ServiceResult, m.Paired, m.reqService = c.result, c.paired, c.reqService
		*c = continued{}
	}
	if m.Chunk == 'A' {
		m.ErrorCode = r.u32()
		m.Reason = r.bytes()
		return true
	}
	if m.Chunks == 1 {
		a.service(m, r)
	}
	return true
}

// encryptedChunk counts an encrypted chunk; intermediate chunks are folded
// into their message as for clear ones.
func (a *Analyzer) encryptedChunk(m *Message, c *continued) bool {
	m.Encrypted = true
	m.Mode = a.mode
	if m.Chunk == 'C' {
		c.active = true
		c.chunks++
		return false
	}
	if c.active {
		m.Chunks += c.chunks
		*c = continued{}
	}
	a.encrypted++
	m.EncryptedCount = a.encrypted
	return true
}

// service reads the header of a request or response and remembers
// requests for their responses.
func (a *Analyzer) service(m *Message, r *reader) {
	if !m.HasService {
		return
	}
	s := services[m.Service]
	if s.request {
		a.remember(m)
		if m.Service == idOpenSecureChannelReq {
			r.requestHeader()
			r.u32() // client protocol version
			m.RequestType = r.u32()
			mode := r.u32()
			if !r.bad && mode >= ModeNone && mode <= ModeSignAndEncrypt {
				m.Mode, m.modeAsked = uint8(mode), true
			}
		}
	} else {
		m.ServiceResult = r.responseHeader()
		a.answer(m)
	}
	if r.bad {
		m.problem = "truncated service header"
	}
}

func (a *Analyzer) remember(m *Message) {
	a.clock++
	slot := -1
	for i := range a.pend {
		p := &a.pend[i]
		if p.used && p.requestID == m.RequestID {
			slot = i
			break
		}
		if slot < 0 && !p.used {
			slot = i
		}
	}
	if slot < 0 {
		slot = 0
		for i := range a.pend {
			if a.pend[i].age < a.pend[slot].age {
				slot = i
			}
		}
	}
	a.pend[slot] = pending{requestID: m.RequestID, service: m.Service, used: true, age: a.clock}
}

func (a *Analyzer) answer(m *Message) {
	for i := range a.pend {
		p := &a.pend[i]
		if p.used && p.requestID == m.RequestID {
			m.Paired, m.reqService = true, p.service
			p.used = false
			return
		}
	}
}
