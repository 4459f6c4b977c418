package proto

import "net/netip"

// Transport is the IP protocol a Probe applies to.
type Transport uint8

// Transports, with their IP protocol numbers.
const (
	TCP Transport = 6
	UDP Transport = 17
)

// Verdict is a probe's answer about one payload.
type Verdict uint8

// Verdicts.
const (
	// No: the payload is not this protocol's.
	No Verdict = iota
	// Maybe: the payload is this protocol's, but a later payload may still
	// name another protocol sharing its framing (COTP before the first S7
	// PDU says which S7 dialect it is).
	Maybe
	// Sure: the flow is this protocol's; identification ends.
	Sure
)

// Probe says when a flow is a protocol's, the way Zeek's dynamic protocol
// detection attaches analyzers: by the server port as a hint and the first
// payload bytes as proof.
type Probe struct {
	Transport Transport
	// Ports are the server ports the probe is limited to; nil: any port.
	Ports []uint16
	// Match checks a payload sent by the flow's client (fromClient) or
	// server; nil means the port alone decides (Sure).
	Match func(pl []byte, fromClient bool) Verdict
}

// Check returns the probe's verdict on one payload of a flow whose server
// port is port.
func (p *Probe) Check(port uint16, pl []byte, fromClient bool) Verdict {
	if p.Ports != nil && !hasPort(p.Ports, port) {
		return No
	}
	if p.Match == nil {
		return Sure
	}
	return p.Match(pl, fromClient)
}

func hasPort(ports []uint16, port uint16) bool {
	for _, q := range ports {
		if q == port {
			return true
		}
	}
	return false
}

// Spec describes a protocol analyzer to the registry.
type Spec struct {
	// Name names the analyzer in the run's statistics (analyzers and
	// decode_errors); it is stable.
	Name string
	// Stream asks the pipeline to reassemble each direction of a TCP flow
	// and to offer Feed the in-order bytes, of which Feed consumes whole
	// PDUs. Otherwise Feed gets each payload (TCP segment or UDP datagram)
	// as it comes.
	Stream bool
	// PerFlow says that Open returns a distinct Flow for each flow (from
	// a pool) and wants it back through Close. Otherwise the Flow Open
	// returns for a transport serves every flow of that transport in the
	// shard: the pipeline asks for it once and keeps nothing per flow
	// (a protocol that needs a few flags per flow keeps them in
	// Reporter.State).
	PerFlow bool
	// New returns the analyzer of one pipeline shard.
	New func() Analyzer
}

// Analyzer is one shard's analyzer of a protocol: it holds what its flows
// may share (parse buffers) and hands out per-flow state, from a pool so
// that steady state allocates nothing.
type Analyzer interface {
	// Open returns the state of a new flow carried by t (with
	// Spec.PerFlow), or the Flow serving every flow carried by t.
	Open(t Transport) Flow
	// Close takes back a PerFlow Flow whose flow ended; the Flow is not
	// used again until Open returns it.
	Close(Flow)
}

// Flow is a protocol's state for one flow.
type Flow interface {
	// Feed offers bytes sent by the flow's client (fromClient) or server.
	// With Spec.Stream and TCP, b is the reassembled bytes of that
	// direction not consumed yet; Feed returns how many it consumed (an
	// incomplete PDU stays for the next call). Otherwise b is one payload
	// and n is ignored. An error is a framing error: the pipeline counts it
	// under the analyzer's name in decode_errors and as a violation, and
	// drops the direction's buffered bytes.
	Feed(r Reporter, fromClient bool, b []byte) (n int, err error)
}

// Gapped is implemented by the Flow of a stream analyzer (Spec.Stream)
// that finds PDU boundaries again in bytes that do not start on one: after
// a hole in the capture that the reassembly skipped, after a framing
// error, and in a flow first seen midway (no handshake in the capture).
// The pipeline calls Gap before it feeds such bytes.
type Gapped interface {
	// Gap says the next bytes Feed gets from the client (fromClient) or
	// the server do not follow the last ones: the Flow forgets what it
	// held of the PDU the loss cut and, from its next Feed, skips to the
	// first plausible PDU boundary (consuming what it skips) instead of
	// failing. It reports false when the Flow cannot resynchronise: its
	// bytes are then fed as before and a framing error drops them.
	Gap(fromClient bool) bool
	// Resyncs returns what finding boundaries again has cost the Flow
	// since Open.
	Resyncs() Resync
}

// Verdicts of a boundary function given to Seek: whether a PDU plausibly
// starts at b[0] (Here), does not (NotHere), or may, when more bytes come
// (NeedMore).
const (
	NotHere = iota
	Here
	NeedMore
)

// Seek is the search of a Resyncer after a gap: it returns the offset of
// the first plausible PDU start in b, as boundary judges it, and whether
// one was found; when none was, the bytes from the offset on may still
// start one and wait for more. first, when not negative, is the byte
// every PDU starts with: offsets holding another are passed over without
// asking boundary.
func Seek(b []byte, first int, boundary func([]byte) int) (int, bool) {
	for i := range b {
		if first >= 0 && int(b[i]) != first {
			continue
		}
		switch boundary(b[i:]) {
		case Here:
			return i, true
		case NeedMore:
			return i, false
		}
	}
	return len(b), false
}

// Resync counts a stream analyzer's resynchronisations.
type Resync struct {
	Count   uint64 // PDU boundaries found again after a gap
	Skipped uint64 // bytes skipped to find them (the rest of PDUs a gap cut, garbage)
}

// Reporter receives what a Flow finds in the payload being fed. It knows
// the flow and the packet; every call is about them.
type Reporter interface {
	// Events reports whether events are wanted: build Event details only
	// then (they allocate).
	Events() bool
	// EventOp reports whether events of industrial operation op are
	// wanted: a run may leave out whole operations (polling reads), and
	// their details need not be built either. It counts what it refuses.
	EventOp(op string) bool
	// Event records an event.
	Event(Event)
	// Name records a name the flow's client asked for.
	Name(Name)
	// File records a file transfer operation.
	File(File)
	// Op records one PDU of an industrial protocol.
	Op(Op)
	// Identity records something a device says about itself.
	Identity(Identity)
	// Session records a remote-access session; only the first of a flow
	// becomes an event.
	Session(Session)
	// Expect announces a data flow of the same protocol, whose requester
	// is this flow's client (TFTP, FTP data): a flow that starts towards
	// the announced address and port, or (no address announced) one that
	// answers this flow's client at its address and port, within the
	// announced time. A flow attached so announces nothing.
	Expect(Expect)
	// Service returns the name of the flow's application ("https",
	// "teamviewer", …; "" when unknown).
	Service() string
	// SetService renames the flow's application when a message proves it
	// (a TLS ClientHello naming a remote-access service); unknown names
	// are ignored.
	SetService(name string)
	// State returns a byte of per-flow state the pipeline keeps for the
	// flow's analyzer, zero when the flow starts: room for a few flags
	// without a Flow per flow.
	State() *uint8
	// Confirm says the payload was the protocol's: counted once per flow.
	Confirm()
	// Violation says the protocol could not be parsed where it should
	// have been: counted once per flow.
	Violation()
	// Malformed says a PDU framed but its content is invalid: counted in
	// decode_errors under the analyzer's name, and as a violation.
	Malformed()
}

// Event is an event as a protocol states it; the pipeline adds time,
// addresses, packet and capture.
type Event struct {
	Proto    string // the protocol's event name ("dns", "cip", "s7comm", …)
	Op       string // the operation (event vocabulary)
	Name     string
	Status   string
	Func     int  // the protocol's own code, when HasFunc
	HasFunc  bool // Func is set (industrial PDUs)
	Response bool // a response (else a request)
	Detail   map[string]any
}

// Name sources.
const (
	SourceDNS  = "dns"
	SourceTLS  = "tls"
	SourceHTTP = "http"
)

// Name is a name the flow's client asked for: a DNS question, a TLS server
// name, an HTTP host.
type Name struct {
	Source string // SourceDNS, SourceTLS or SourceHTTP
	Name   []byte
}

// File is a file transfer operation: Op is "download", "upload", "open",
// "share", …; Name the file, share or path.
type File struct {
	Op   string
	Name []byte
}

// Op is one PDU of an industrial protocol as detection sees it: the
// operation a client asks of a device, or the device's answer.
type Op struct {
	Op string // the operation (event vocabulary: read, write, program-download, …)
	// Request: the PDU is a request, whichever side sent it (during an S7
	// download the PLC sends the download jobs).
	Request bool
	// Container: the PDU carries services reported on their own, through
	// which it is judged.
	Container bool
	// PDU gives the protocol's name of the message, its status and its
	// detail; each is taken only when detection needs it (most PDUs are
	// reads that need none of them, and the detail allocates).
	PDU PDU
}

// Name is the protocol's own name of the PDU.
func (o *Op) Name() string { return o.PDU.Name() }

// Status is "" for a success, else the protocol's error.
func (o *Op) Status() string { return o.PDU.Status() }

// Insecurer is implemented by a PDU that can open a session without
// protection: Insecure names what is missing ("SecurityPolicy None" for
// an OPC UA channel opened with no signing or encryption), "" when the
// PDU is protected or opens nothing. The pipeline asks it of requests
// from the flow's client; detection judges it by the server's zone.
type Insecurer interface{ Insecure() string }

// Detailer adds a PDU's event detail to d.
type Detailer interface{ Detail(d map[string]any) }

// Object names the object of o's request from its detail: a block file
// name or PI-service argument, a CIP tag or file, a UMAS block. It
// allocates.
func (o *Op) Object() string {
	if o.PDU == nil {
		return ""
	}
	d := map[string]any{}
	o.PDU.Detail(d)
	return ObjectOf(d)
}

// ObjectOf names the object of a request from its event detail: the first
// of the keys block_name (a PLC block as engineers write it, "FC12"),
// filename, pi_argument, tag, file and block that holds a name.
func ObjectOf(d map[string]any) string {
	for _, k := range [...]string{"block_name", "filename", "pi_argument", "tag", "file", "block"} {
		switch v := d[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case map[string]any:
			if n, ok := v["name"].(string); ok && n != "" {
				return n
			}
		}
	}
	return ""
}

// Identity is what a device says about itself. Either Key and Value (one
// field, recorded only if the device has none under Key yet: a banner, a
// server header), or Fields (a whole record: an ICS identity answer).
type Identity struct {
	// Server: the identity is the flow's server's; else the sender's of
	// the payload being fed.
	Server bool
	Key    string
	Value  []byte
	Fields map[string]any
}

// Session is a remote-access session: Proto is the protocol's event name,
// Name what the client says it is (an RDP cookie), if anything.
type Session struct {
	Proto string
	Name  []byte
}

// Expect announces a data flow (see Reporter.Expect).
type Expect struct {
	Transport Transport
	// Server is the address and port the data flow is opened to (FTP:
	// the PORT or EPRT argument, the 227 or 229 reply); the first flow
	// it labels uses the announcement up. A port without an address
	// names that port of this flow's server (EPSV). The zero value names
	// this flow's client, answered from any port (TFTP: the server
	// answers the request from a port of its own, RFC 1350 §4), for as
	// long as the announcement holds.
	Server netip.AddrPort
	// Within is how long, in nanoseconds of packet time, the announcement
	// holds.
	Within int64
}

// Pool is a free list of per-flow states: Get reuses one or allocates,
// Put returns one. Its zero value is ready; it is not safe for concurrent
// use (an Analyzer belongs to one shard).
type Pool[T any] struct{ free []*T }

// Get returns a free T, allocating one only when none is free.
func (p *Pool[T]) Get() *T {
	if n := len(p.free); n > 0 {
		x := p.free[n-1]
		p.free = p.free[:n-1]
		return x
	}
	return new(T)
}

// Put returns x to the pool; the caller resets it first.
func (p *Pool[T]) Put(x *T) { p.free = append(p.free, x) }
