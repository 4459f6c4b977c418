package opcua

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"harborwatch/event"
)

// Func values of the messages without a service: the transport messages
// (service ids start at 397); 0 is an OPN, MSG or CLO whose service could
// not be read (encrypted, or not a namespace 0 numeric NodeId).
const (
	FuncHello        = 1
	FuncAcknowledge  = 2
	FuncError        = 3
	FuncReverseHello = 4
)

// Message is one OPC UA TCP message (its final or abort chunk), decoded:
// the transport fields of Hello, Acknowledge, Error and ReverseHello, the
// security headers of OPN, MSG and CLO, and the service's NodeId and
// header when the body is not encrypted. It is reused by its Analyzer: it
// and every slice in it are valid only during the emit call.
type Message struct {
	Type       uint8 // TypeHello, …
	Chunk      byte  // 'F' or 'A' (intermediate chunks are folded in)
	Size       uint32
	Chunks     int  // chunks the message came in
	FromClient bool // sent by the flow's client

	// Hello, Acknowledge.
	Version, ReceiveBuffer, SendBuffer, MaxMessage, MaxChunks uint32
	EndpointURL, ServerURI                                    []byte

	// Error and abort chunks: the StatusCode and reason.
	ErrorCode uint32
	Reason    []byte

	// OPN, MSG, CLO.
	ChannelID      uint32
	TokenID        uint32
	Policy         []byte // OPN: the security policy URI
	Mode           uint8  // the channel's security mode (ModeNone, …), ModeUnknown until known
	Encrypted      bool   // the body is encrypted: the service is unknown
	EncryptedCount uint64 // encrypted messages of the flow so far, this one included
	SequenceNumber uint32
	RequestID      uint32
	Service        uint32 // the service's NodeId (namespace 0, numeric), when HasService
	HasService     bool
	RequestType    uint32 // OpenSecureChannelRequest: 0 issue, 1 renew
	ServiceResult  uint32 // a response's StatusCode
	Paired         bool   // a response matched with its request by request id
	Body           []byte // the service's body after its NodeId
	Raw            []byte // the whole chunk

	certificate bool // OPN: a sender certificate is present
	modeAsked   bool // OpenSecureChannelRequest: Mode is the one asked
	reqService  uint32
	problem     string
}

// Insecure implements proto.Insecurer: an OpenSecureChannel request
// (issue or renew) from the client with SecurityPolicy None — a channel
// neither signed nor encrypted: anyone on the path can read and change
// its reads, writes and method calls.
func (m *Message) Insecure() string {
	if m.Type == TypeOpen && m.FromClient && string(m.Policy) == policyNone {
		return "SecurityPolicy None"
	}
	return ""
}

// Malformed reports whether the message frames but its content is cut
// short; Status names the problem.
func (m *Message) Malformed() bool { return m.problem != "" }

// Request reports whether m is a request: Hello, a service request, or an
// OPN or CLO whose body is encrypted and that the client sent.
func (m *Message) Request() bool {
	switch m.Type {
	case TypeHello:
		return true
	case TypeAcknowledge, TypeError, TypeReverseHello:
		return false
	}
	if m.HasService {
		return services[m.Service].request
	}
	return m.FromClient
}

// Func is the service's NodeId (the numeric id of its DefaultBinary
// encoding: 631 ReadRequest, …), FuncHello and the like for the transport
// messages, 0 when the service is unknown.
func (m *Message) Func() int {
	switch m.Type {
	case TypeHello:
		return FuncHello
	case TypeAcknowledge:
		return FuncAcknowledge
	case TypeError:
		return FuncError
	case TypeReverseHello:
		return FuncReverseHello
	}
	if m.HasService {
		return int(m.Service)
	}
	return 0
}

// Name is the message's name as tshark writes it: the service
// (ReadRequest, …), Hello, Acknowledge, Error, ReverseHello, or the
// message type (OPN, MSG, CLO) when the service is unknown.
func (m *Message) Name() string {
	switch m.Type {
	case TypeHello:
		return "Hello"
	case TypeAcknowledge:
		return "Acknowledge"
	case TypeError:
		return "Error"
	case TypeReverseHello:
		return "ReverseHello"
	}
	if m.HasService {
		return services[m.Service].name
	}
	return typeCodes[m.Type]
}

// Op classifies m into the event.Op* vocabulary: the service's operation
// (see services), a ServiceFault its request's; transport messages,
// secure channel messages and encrypted ones are session.
func (m *Message) Op() string {
	switch {
	case m.HasService && m.Service == idServiceFault:
		if s, ok := services[m.reqService]; ok && m.Paired {
			return s.op
		}
		return event.OpOther
	case m.HasService:
		return services[m.Service].op
	}
	return event.OpSession
}

// Status is "" for a normal message, the problem of a malformed one, the
// StatusCode name of an Error message, abort chunk or failed response
// (BadDecodingError, …; "Bad" or "Uncertain" for codes not in the table).
func (m *Message) Status() string {
	switch {
	case m.problem != "":
		return m.problem
	case m.Type == TypeError || m.Chunk == 'A':
		return statusName(m.ErrorCode)
	case m.HasService && !services[m.Service].request:
		return statusName(m.ServiceResult)
	}
	return ""
}

// statusName names a StatusCode; Good is "".
func statusName(c uint32) string {
	if n, ok := statusNames[c&0xFFFF0000]; ok {
		return n
	}
	switch c >> 30 {
	case 0:
		return ""
	case 1:
		return "Uncertain"
	}
	return "Bad"
}

// Detail adds the detail keys of m's event: the transport fields, the
// secure channel's security policy and mode (security_mode "None" says
// that nothing is signed or encrypted), "encrypted" with the count of
// encrypted messages when the body could not be read, the request id, and
// what the services the analyzer reads carry: the endpoint URL, the
// session's client application and identity token type (anonymous,
// username with the user name but never the password, certificate), the
// nodes read or written, the methods called, the server's endpoints and
// identity. It allocates.
func (m *Message) Detail(d map[string]any) {
	d["message_type"] = typeCodes[m.Type]
	if m.Chunks > 1 {
		d["chunks"] = m.Chunks
	}
	if m.problem != "" {
		d["malformed"] = true
		d["data"] = hexCapped(m.Raw)
		return
	}
	switch m.Type {
	case TypeHello, TypeAcknowledge:
		d["version"], d["receive_buffer_size"], d["send_buffer_size"] = int(m.Version), int(m.ReceiveBuffer),
			int(m.SendBuffer)
		d["max_message_size"], d["max_chunk_count"] = int(m.MaxMessage), int(m.MaxChunks)
		if m.Type == TypeHello {
			d["endpoint_url"] = printable(m.EndpointURL)
		}
		return
	case TypeError:
		d["error"] = statusHex(m.ErrorCode)
		d["reason"] = printable(m.Reason)
		return
	case TypeReverseHello:
		d["server_uri"], d["endpoint_url"] = printable(m.ServerURI), printable(m.EndpointURL)
		return
	}
	d["secure_channel_id"] = int(m.ChannelID)
	if m.Type == TypeOpen {
		d["security_policy"] = printable(m.Policy)
		d["sender_certificate"] = m.certificate
	} else {
		d["token_id"] = int(m.TokenID)
	}
	d["security_mode"] = modeNames[m.Mode]
	if m.Encrypted {
		d["encrypted"] = true
		d["encrypted_messages"] = int(m.EncryptedCount)
		return
	}
	d["request_id"] = int(m.RequestID)
	if m.Chunk == 'A' {
		d["aborted"] = true
		d["error"] = statusHex(m.ErrorCode)
		d["reason"] = printable(m.Reason)
		return
	}
	if !m.HasService {
		return
	}
	d["service_id"] = int(m.Service)
	if !services[m.Service].request {
		d["service_result"] = statusHex(m.ServiceResult)
	}
	if m.Chunks > 1 {
		return // the body of the first chunk is gone
	}
	m.serviceDetail(d)
}

// serviceDetail decodes the parameters of the services the analyzer reads.
func (m *Message) serviceDetail(d map[string]any) {
	r := reader{b: m.Body}
	switch m.Service {
	case idOpenSecureChannelReq:
		if m.modeAsked {
			d["request_type"] = map[uint32]string{0: "Issue", 1: "Renew"}[m.RequestType]
		}
	case idCreateSessionRequest:
		r.requestHeader()
		createSessionDetail(d, &r)
	case idActivateSessionReq:
		r.requestHeader()
		activateSessionDetail(d, &r)
	case idReadRequest:
		r.requestHeader()
		r.skip(8) // max age
		r.skip(4) // timestamps to return
		if ns := nodeList(&r, false); len(ns) > 0 {
			d["nodes"] = ns
		}
	case idWriteRequest:
		r.requestHeader()
		if ns := nodeList(&r, true); len(ns) > 0 {
			d["nodes"] = ns
		}
	case idCallRequest:
		r.requestHeader()
		if ms := callList(&r); len(ms) > 0 {
			d["methods"] = ms
		}
	case idGetEndpointsResponse:
		r.responseHeader()
		endpointsDetail(d, &r)
	}
	if r.bad {
		d["truncated"] = true
	}
}

// applicationDescription reads an ApplicationDescription (Part 4 §7.1)
// into a map of its names.
func applicationDescription(r *reader) map[string]any {
	app := map[string]any{}
	if v := r.bytes(); len(v) > 0 {
		app["application_uri"] = printable(v)
	}
	if v := r.bytes(); len(v) > 0 {
		app["product_uri"] = printable(v)
	}
	if v := r.localizedText(); len(v) > 0 {
		app["application_name"] = printable(v)
	}
	app["application_type"] = map[uint32]string{0: "Server", 1: "Client", 2: "ClientAndServer",
		3: "DiscoveryServer"}[r.u32()]
	r.bytes() // gateway server uri
	r.bytes() // discovery profile uri
	for range r.arrayLen(64) {
		r.bytes() // discovery urls
	}
	return app
}

// createSessionDetail adds the client application, endpoint and session
// name of a CreateSessionRequest.
func createSessionDetail(d map[string]any, r *reader) {
	app := applicationDescription(r)
	r.bytes() // server uri
	url := r.bytes()
	name := r.bytes()
	if r.bad {
		return
	}
	d["client"] = app
	d["endpoint_url"] = printable(url)
	if len(name) > 0 {
		d["session_name"] = printable(name)
	}
}

// activateSessionDetail adds the identity token type of an
// ActivateSessionRequest, and a user name token's user name and whether
// its password is encrypted (never the password).
func activateSessionDetail(d map[string]any, r *reader) {
	r.bytes() // client signature algorithm
	r.bytes() // client signature
	for range r.arrayLen(64) {
		r.bytes() // software certificate
		r.bytes() // its signature
	}
	for range r.arrayLen(64) {
		r.bytes() // locale ids
	}
	t, body := r.extensionObject()
	if r.bad {
		return
	}
	kind := "none"
	if t.numeric && t.ns == 0 {
		if k, ok := tokenTypes[t.id]; ok {
			kind = k
		} else {
			kind = "type " + strconv.Itoa(int(t.id))
		}
	}
	d["identity_token"] = kind
	tr := reader{b: body}
	switch kind {
	case "username":
		tr.bytes() // policy id
		user := tr.bytes()
		pw := tr.bytes()
		alg := tr.bytes()
		if !tr.bad {
			d["user_name"] = printable(user)
			d["password_encrypted"] = len(alg) > 0
			d["password_given"] = len(pw) > 0
		}
	case "certificate":
		tr.bytes()
		if cert := tr.bytes(); !tr.bad && len(cert) > 0 {
			sum := sha256.Sum256(cert)
			d["certificate_sha256"] = hex.EncodeToString(sum[:])
		}
	}
}

// nodeList lists the nodes of a ReadRequest (ReadValueId) or WriteRequest
// (WriteValue: the value is skipped by stopping after the first), capped
// at 32: "ns=N;i=ID" and the attribute.
func nodeList(r *reader, write bool) []string {
	n := r.arrayLen(1 << 16)
	var out []string
	for i := 0; i < n && i < 32 && !r.bad; i++ {
		id := r.nodeID()
		attr := r.u32()
		r.bytes() // index range
		if r.bad {
			break
		}
		s := nodeString(id) + " attr " + strconv.Itoa(int(attr))
		out = append(out, s)
		if write {
			break // a DataValue follows; its encoding is not walked
		}
		r.skip(2) // data encoding: QualifiedName namespace
		r.bytes() // and name
	}
	return out
}

// callList lists the object and method NodeIds of a CallRequest's first
// method (the arguments that follow are not walked).
func callList(r *reader) []string {
	if r.arrayLen(1<<16) == 0 {
		return nil
	}
	obj := r.nodeID()
	meth := r.nodeID()
	if r.bad {
		return nil
	}
	return []string{nodeString(obj) + " method " + nodeString(meth)}
}

// endpointsDetail adds a GetEndpointsResponse's endpoints (URL, security
// mode and policy) and the first endpoint's server as the identity.
func endpointsDetail(d map[string]any, r *reader) {
	n := r.arrayLen(64)
	var eps []map[string]any
	for i := 0; i < n && !r.bad; i++ {
		url := r.bytes()
		app := applicationDescription(r)
		r.bytes() // server certificate
		mode := r.u32()
		policy := r.bytes()
		for range r.arrayLen(64) { // user identity tokens
			r.bytes()
			r.u32()
			r.bytes()
			r.bytes()
			r.bytes()
		}
		r.bytes() // transport profile uri
		r.u8()    // security level
		if r.bad {
			break
		}
		m := "unknown"
		if mode < uint32(len(modeNames)) {
			m = modeNames[mode]
		}
		eps = append(eps, map[string]any{"url": printable(url), "security_mode": m,
			"security_policy": printable(policy)})
		if i == 0 {
			id := map[string]any{}
			if v, ok := app["product_uri"]; ok {
				id["product_uri"] = v
			}
			if v, ok := app["application_uri"]; ok {
				id["application_uri"] = v
			}
			if v, ok := app["application_name"]; ok {
				id["application_name"] = v
			}
			if len(id) > 0 {
				d["identity"] = id
			}
		}
	}
	d["endpoints"] = eps
}

// nodeString writes a NodeId as OPC UA's text form does: ns=N;i=ID, s=…,
// g=…, b=….
func nodeString(n nodeID) string {
	p := ""
	if n.ns != 0 {
		p = "ns=" + strconv.Itoa(int(n.ns)) + ";"
	}
	switch n.kind {
	case 0, 1, 2:
		return p + "i=" + strconv.FormatUint(uint64(n.id), 10)
	case 3:
		return p + "s=" + printable(n.other)
	case 4:
		return p + "g=" + hex.EncodeToString(n.other)
	}
	return p + "b=" + hexCapped(n.other)
}

// statusHex writes a StatusCode as 0x80020000 with its name when known.
func statusHex(c uint32) string {
	s := "0x" + hex.EncodeToString([]byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)})
	if n := statusName(c); n != "" {
		s += " " + n
	}
	return s
}

// printable keeps b's printable ASCII, replacing anything else with '.';
// it is cut at 512 bytes.
func printable(b []byte) string {
	if len(b) > 512 {
		b = b[:512]
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7E {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}

// hexCapped renders b in hex, cut at 256 bytes with a marker.
func hexCapped(b []byte) string {
	const limit = 256
	if len(b) > limit {
		return hex.EncodeToString(b[:limit]) + "…(" + strconv.Itoa(len(b)) + " bytes)"
	}
	return hex.EncodeToString(b)
}
