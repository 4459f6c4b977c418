package proto

// Parser is a protocol's grammar for one flow, as the industrial protocols
// write it: Feed frames whole PDUs from the in-order bytes of one direction
// and hands each message to emit, returning how many bytes it consumed;
// Reset readies it for another flow. A Parser that also implements
// Datagrams reads UDP payloads through Datagram.
type Parser[M any] interface {
	Feed(b []byte, fromClient bool, emit func(M)) (n int, err error)
	Reset()
}

// Resyncer is implemented by a Parser that can find its place again in
// bytes that do not start on a PDU boundary (see Gapped): Gap drops what
// it held of the PDU a loss cut in that direction and makes its next Feed
// skip to the first plausible boundary, consuming the bytes it skips;
// Resyncs counts what that cost since Reset.
type Resyncer interface {
	Gap(fromClient bool)
	Resyncs() Resync
}

// Dropper is implemented by a Parser, or a Flow, that keeps per-flow
// bookkeeping in fixed tables (requests awaiting their answer, I/O
// connections, calls being joined): Dropped counts what did not fit since
// Reset. The pipeline adds it to the run's stats when the flow closes.
type Dropper interface {
	Dropped() uint64
}

// Datagrams is implemented by a Parser that reads a protocol's UDP
// transport: each payload is one datagram, whose messages go to emit.
type Datagrams[M any] interface {
	Datagram(b []byte, fromClient bool, emit func(M)) error
}

// Parsers is the Analyzer of a protocol whose per-flow grammar is a Parser
// (type P) framing messages of type M: its Spec (ParserSpec) sets Stream
// and PerFlow.
// Each flow holds a P from a pool while it lives (P's buffers are kept for
// the next flow; a P may be kilobytes). The messages a flow's P emits go
// to the report function given to NewParsers with the Reporter of the
// payload being fed. The protocol supplies only its Parser and report: an
// industrial protocol's report calls ReportPDU.
//
// Feeding allocates nothing: the emit callback is bound once per shard and
// messages reach report as they are (M is not converted to an interface).
type Parsers[P any, M any, PP interface {
	*P
	Parser[M]
}] struct {
	report func(r Reporter, m M, fromClient bool)
	pool   Pool[parserFlow[P, M, PP]]
	emit   func(M) // calls report for the Feed in progress; bound once
	// The Feed in progress: emit reports to them.
	r          Reporter
	fromClient bool
}

// NewParsers returns a shard's Analyzer whose flows are Ps, each message
// of which report turns into facts: NewParsers[Analyzer](report).
func NewParsers[P any, M any, PP interface {
	*P
	Parser[M]
}](report func(r Reporter, m M, fromClient bool)) *Parsers[P, M, PP] {
	s := &Parsers[P, M, PP]{report: report}
	s.emit = s.deliver
	return s
}

// ParserSpec returns the Spec of the analyzer named name whose flows are
// Ps (Stream and PerFlow, New: NewParsers[P](report)):
// ParserSpec[Analyzer]("modbus", report).
func ParserSpec[P any, M any, PP interface {
	*P
	Parser[M]
}](name string, report func(r Reporter, m M, fromClient bool)) Spec {
	return Spec{Name: name, Stream: true, PerFlow: true, New: func() Analyzer { return NewParsers[P, M, PP](report) }}
}

// parserFlow is one flow's state: its Parser, and on a UDP flow the
// Parser's Datagrams (nil on TCP, or when P reads no datagrams: then every
// payload goes to Feed).
type parserFlow[P any, M any, PP interface {
	*P
	Parser[M]
}] struct {
	p  P
	s  *Parsers[P, M, PP]
	dg Datagrams[M]
}

// Open returns a flow's state from the pool.
func (s *Parsers[P, M, PP]) Open(t Transport) Flow {
	f := s.pool.Get()
	f.s = s
	f.dg = nil
	if t == UDP {
		f.dg, _ = any(PP(&f.p)).(Datagrams[M])
	}
	return f
}

// Gap passes a gap on to the flow's Parser when it is a Resyncer (see
// Gapped); it reports whether it is.
func (f *parserFlow[P, M, PP]) Gap(fromClient bool) bool {
	r, ok := any(PP(&f.p)).(Resyncer)
	if ok {
		r.Gap(fromClient)
	}
	return ok
}

// Resyncs returns the Parser's resynchronisations, if it is a Resyncer.
func (f *parserFlow[P, M, PP]) Resyncs() Resync {
	if r, ok := any(PP(&f.p)).(Resyncer); ok {
		return r.Resyncs()
	}
	return Resync{}
}

// Dropped returns the Parser's count of bookkeeping that did not fit, if
// it is a Dropper.
func (f *parserFlow[P, M, PP]) Dropped() uint64 {
	if d, ok := any(PP(&f.p)).(Dropper); ok {
		return d.Dropped()
	}
	return 0
}

var _ Gapped = (*parserFlow[nopParser, int, *nopParser])(nil)

// nopParser is a Parser of nothing, for the interface guard above.
type nopParser struct{}

func (*nopParser) Feed(b []byte, _ bool, _ func(int)) (int, error) { return len(b), nil }
func (*nopParser) Reset()                                          {}

// Close resets the flow's Parser and returns its state to the pool.
func (s *Parsers[P, M, PP]) Close(fl Flow) {
	f := fl.(*parserFlow[P, M, PP])
	PP(&f.p).Reset()
	f.dg = nil
	s.pool.Put(f)
}

// Feed hands b to the flow's Parser: a UDP payload to Datagram (consumed
// whole), reassembled TCP bytes to Feed.
func (f *parserFlow[P, M, PP]) Feed(r Reporter, fromClient bool, b []byte) (int, error) {
	s := f.s
	s.r, s.fromClient = r, fromClient
	if f.dg != nil {
		return len(b), f.dg.Datagram(b, fromClient, s.emit)
	}
	return PP(&f.p).Feed(b, fromClient, s.emit)
}

// deliver reports a message of the Feed in progress.
func (s *Parsers[P, M, PP]) deliver(m M) { s.report(s.r, m, s.fromClient) }

// Shared is the Analyzer of a protocol that keeps no state per flow (its
// Spec leaves PerFlow unset): its one Flow, an F held inline, serves every
// flow of either transport in the shard.
type Shared[F any, PF interface {
	*F
	Flow
}] struct{ f F }

// NewShared returns a shard's Analyzer whose one Flow is a copy of f:
// NewShared(ftp{}).
func NewShared[F any, PF interface {
	*F
	Flow
}](f F) *Shared[F, PF] {
	return &Shared[F, PF]{f: f}
}

// Open returns the shared Flow.
func (a *Shared[F, PF]) Open(Transport) Flow { return PF(&a.f) }

// Close does nothing: the shared Flow is never given back.
func (*Shared[F, PF]) Close(Flow) {}

// SureIf returns Sure when ok, else No: the verdict of a probe whose check
// is a plain yes or no.
func SureIf(ok bool) Verdict {
	if ok {
		return Sure
	}
	return No
}
