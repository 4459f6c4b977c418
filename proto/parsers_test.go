package proto

import (
	"errors"
	"strings"
	"testing"
)

// lines is a toy stream grammar: newline-framed messages; "!" is a framing
// error. As a datagram reader it emits the whole payload.
type lines struct {
	msg    line
	n      int // messages parsed by this flow's parser
	resets int
}

type line struct {
	text       []byte
	seq        int // the parser's message count when emitted
	fromClient bool
	datagram   bool
}

var errBang = errors.New("lines: bang")

func (p *lines) Feed(b []byte, fromClient bool, emit func(*line)) (int, error) {
	n := 0
	for i, c := range b {
		switch c {
		case '!':
			return n, errBang
		case '\n':
			p.n++
			p.msg = line{text: b[n:i], seq: p.n, fromClient: fromClient}
			emit(&p.msg)
			n = i + 1
		}
	}
	return n, nil
}

func (p *lines) Datagram(b []byte, fromClient bool, emit func(*line)) error {
	p.n++
	p.msg = line{text: b, seq: p.n, fromClient: fromClient, datagram: true}
	emit(&p.msg)
	return nil
}

func (p *lines) Reset() { p.n, p.resets = 0, p.resets+1 }

// streamOnly has no Datagram: UDP payloads go to Feed.
type streamOnly struct{ p lines }

func (s *streamOnly) Feed(b []byte, fromClient bool, emit func(*line)) (int, error) {
	return s.p.Feed(b, fromClient, emit)
}

func (s *streamOnly) Reset() { s.p.Reset() }

// got is a Reporter that records the events it is given.
type got struct {
	name   string
	events []Event
}

func (g *got) Events() bool          { return true }
func (g *got) EventOp(string) bool   { return true }
func (g *got) Event(e Event)         { g.events = append(g.events, e) }
func (g *got) Name(Name)             {}
func (g *got) File(File)             {}
func (g *got) Op(Op)                 {}
func (g *got) Identity(Identity)     {}
func (g *got) Session(Session)       {}
func (g *got) Expect(Expect)         {}
func (g *got) Service() string       { return "" }
func (g *got) SetService(string)     {}
func (g *got) State() *uint8         { return nil }
func (g *got) Confirm()              {}
func (g *got) Violation()            {}
func (g *got) Malformed()            {}
func (g *got) texts() (out []string) { return texts(g.events) }

func texts(es []Event) (out []string) {
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

// reportLine reports a message as an event naming the reporter it reached,
// the side, the flow's count and the transport.
func reportLine(r Reporter, m *line, fromClient bool) {
	if m.fromClient != fromClient {
		panic("fromClient not the fed side's")
	}
	op := "stream"
	if m.datagram {
		op = "datagram"
	}
	r.Event(Event{Proto: r.(*got).name, Op: op, Name: string(m.text), Func: m.seq, Response: !fromClient})
}

func TestParsers(t *testing.T) {
	a := NewParsers[lines](reportLine)
	var _ Analyzer = a
	ra, rb := &got{name: "a"}, &got{name: "b"}

	tcp1, tcp2, udp := a.Open(TCP), a.Open(TCP), a.Open(UDP)
	// Bytes of an incomplete message are not consumed.
	if n, err := tcp1.Feed(ra, true, []byte("one\ntw")); n != 4 || err != nil {
		t.Fatalf("Feed = %d, %v; want 4, nil", n, err)
	}
	// Another flow's messages reach the reporter of its own Feed.
	if n, err := tcp2.Feed(rb, false, []byte("x\ny\n")); n != 4 || err != nil {
		t.Fatalf("Feed = %d, %v; want 4, nil", n, err)
	}
	if n, err := tcp1.Feed(ra, true, []byte("two\n")); n != 4 || err != nil {
		t.Fatalf("Feed = %d, %v; want 4, nil", n, err)
	}
	// A datagram is consumed whole, newline or not.
	if n, err := udp.Feed(rb, true, []byte("dg\n!")); n != 4 || err != nil {
		t.Fatalf("Datagram Feed = %d, %v; want 4, nil", n, err)
	}
	// A framing error is returned as it is.
	if n, err := tcp1.Feed(ra, true, []byte("three\n!")); n != 6 || err != errBang {
		t.Fatalf("Feed = %d, %v; want 6, %v", n, err, errBang)
	}

	want := map[*got][]Event{
		ra: {
			{Proto: "a", Op: "stream", Name: "one", Func: 1},
			{Proto: "a", Op: "stream", Name: "two", Func: 2},
			{Proto: "a", Op: "stream", Name: "three", Func: 3},
		},
		rb: {
			{Proto: "b", Op: "stream", Name: "x", Func: 1, Response: true},
			{Proto: "b", Op: "stream", Name: "y", Func: 2, Response: true},
			{Proto: "b", Op: "datagram", Name: "dg\n!", Func: 1},
		},
	}
	for r, w := range want {
		if len(r.events) != len(w) {
			t.Fatalf("reporter %s got %q, want %q", r.name, r.texts(), texts(w))
		}
		for i := range w {
			if r.events[i].Proto != w[i].Proto || r.events[i].Op != w[i].Op || r.events[i].Name != w[i].Name ||
				r.events[i].Func != w[i].Func || r.events[i].Response != w[i].Response {
				t.Errorf("reporter %s event %d = %+v, want %+v", r.name, i, r.events[i], w[i])
			}
		}
	}

	// Close resets the parser and pools the state: the next flow gets it
	// back, counting from zero.
	p1 := tcp1.(*parserFlow[lines, *line, *lines])
	a.Close(tcp1)
	if p1.p.resets != 1 || p1.p.n != 0 {
		t.Fatalf("after Close: resets %d, n %d; want 1, 0", p1.p.resets, p1.p.n)
	}
	// Reopened on UDP, the pooled state reads datagrams.
	if f := a.Open(UDP); f != Flow(p1) {
		t.Fatalf("Open after Close did not reuse the pooled state")
	}
	rc := &got{name: "c"}
	if n, err := p1.Feed(rc, false, []byte("d")); n != 1 || err != nil || len(rc.events) != 1 ||
		rc.events[0].Op != "datagram" || rc.events[0].Func != 1 {
		t.Fatalf("reused state on UDP: %d, %v, %+v", n, err, rc.events)
	}
	// Reopened on TCP, it frames a stream again.
	a.Close(p1)
	if f := a.Open(TCP); f != Flow(p1) {
		t.Fatalf("Open after Close did not reuse the pooled state")
	}
	if n, err := p1.Feed(rc, false, []byte("d")); n != 0 || err != nil || len(rc.events) != 1 {
		t.Fatalf("reused state on TCP: %d, %v, %+v", n, err, rc.events)
	}
}

func TestParserSpec(t *testing.T) {
	s := ParserSpec[lines]("lines", reportLine)
	if s.Name != "lines" || !s.Stream || !s.PerFlow {
		t.Fatalf("ParserSpec = %+v, want Name lines, Stream, PerFlow", s)
	}
	a, b := s.New(), s.New()
	if a == b {
		t.Fatalf("New returned one analyzer twice")
	}
	r := &got{name: "s"}
	if n, err := a.Open(TCP).Feed(r, true, []byte("p\nq")); n != 2 || err != nil || len(r.events) != 1 || r.events[0].Name != "p" {
		t.Fatalf("Feed = %d, %v, events %+v; want 2, nil, one event p", n, err, r.events)
	}
}

func TestParsersWithoutDatagrams(t *testing.T) {
	a := NewParsers[streamOnly](reportLine)
	r := &got{name: "u"}
	f := a.Open(UDP)
	if n, err := f.Feed(r, true, []byte("a\nb")); n != 2 || err != nil {
		t.Fatalf("Feed = %d, %v; want 2, nil", n, err)
	}
	if len(r.events) != 1 || r.events[0].Op != "stream" || r.events[0].Name != "a" {
		t.Fatalf("got %+v, want one stream message a", r.events)
	}
}

// nop is a Reporter that keeps nothing.
type nop struct{ got }

func (nop) Event(Event) {}

func TestParsersNoAllocs(t *testing.T) {
	a := NewParsers[lines](func(r Reporter, m *line, fromClient bool) { r.Confirm() })
	var r Reporter = &nop{}
	tcp, udp := a.Open(TCP), a.Open(UDP)
	in := []byte("a\nb\nc\n")
	// Warm up the pool, then open, feed and close flows.
	a.Close(a.Open(TCP))
	n := testing.AllocsPerRun(100, func() {
		tcp.Feed(r, true, in)
		udp.Feed(r, false, in)
		f := a.Open(UDP)
		f.Feed(r, true, in)
		a.Close(f)
	})
	if n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}

// counter is a Flow counting its Feeds.
type counter struct {
	name string
	n    int
}

func (c *counter) Feed(Reporter, bool, []byte) (int, error) { c.n++; return 0, nil }

func TestShared(t *testing.T) {
	a := NewShared(counter{name: "c"})
	var _ Analyzer = a
	first := a.Open(TCP)
	for _, tr := range []Transport{TCP, UDP, TCP} {
		f := a.Open(tr)
		if f != first {
			t.Fatalf("Open(%d) returned another Flow", tr)
		}
		f.Feed(nil, true, nil)
		a.Close(f)
	}
	if c := first.(*counter); c.name != "c" || c.n != 3 {
		t.Fatalf("shared Flow %+v, want name c fed 3 times", *c)
	}
}

func TestSureIf(t *testing.T) {
	if SureIf(true) != Sure || SureIf(false) != No {
		t.Fatalf("SureIf(true), SureIf(false) = %v, %v", SureIf(true), SureIf(false))
	}
}

// TestSeek: the first offset boundary calls Here, or the one it calls
// NeedMore; offsets not holding first are passed over unasked.
func TestSeek(t *testing.T) {
	// A "PDU" is 'P' then a digit; 'P' at the end needs more.
	boundary := func(b []byte) int {
		switch {
		case b[0] != 'P':
			return NotHere
		case len(b) < 2:
			return NeedMore
		case b[1] >= '0' && b[1] <= '9':
			return Here
		}
		return NotHere
	}
	for _, c := range []struct {
		in    string
		first int
		at    int
		found bool
	}{
		{"xxP1", -1, 2, true},
		{"PxP", -1, 2, false},
		{"xyz", -1, 3, false},
		{"", -1, 0, false},
		{"aP7", 'P', 1, true},
		{"aQ7", 'P', 3, false},
	} {
		asked := 0
		at, found := Seek([]byte(c.in), c.first, func(b []byte) int { asked++; return boundary(b) })
		if at != c.at || found != c.found {
			t.Errorf("Seek(%q, %d) = %d, %v; want %d, %v", c.in, c.first, at, found, c.at, c.found)
		}
		if c.first >= 0 && asked > strings.Count(c.in, string(rune(c.first))) {
			t.Errorf("Seek(%q, %q) asked boundary %d times", c.in, rune(c.first), asked)
		}
	}
}
