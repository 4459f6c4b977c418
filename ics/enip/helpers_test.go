package enip

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"harborwatch/internal/testutil"
)

// rec is a copy of what a test needs from one emitted Message.
type rec struct {
	Packet         int64
	Client, Server netip.AddrPort
	FromClient     bool // direction of the packet it came in
	Kind           Kind
	Proto          string
	Request        bool
	Func           int
	Name, Op       string
	Status         string
	Index          int
	Container      bool
	Embedded       bool
	Paired         bool
	Malformed      bool
	Class          uint32
	Instance       uint32
	Attribute      uint32
	Has            PathHas
	Connected      bool
	Sequence       uint16
	Command        uint16
	Length         uint16
	Session        uint32
	EncapStatus    uint32
	Context        [8]byte
	Options        uint32
	GeneralStatus  uint8
	ExtStatus      int // -1 when absent
	ConnID         uint32
	IOSeq          uint32
	Identity       Identity
	HasIdentity    bool
	ProductName    string
}

func record(m *Message) rec {
	r := rec{
		Kind: m.Kind, Proto: m.Proto(), Request: m.Request(), Func: m.Func(), Name: m.Name(),
		Op: m.Op(), Status: m.Status(), Index: m.Index, Container: m.Container,
		Embedded: m.Embedded, Paired: m.Paired, Malformed: m.Malformed,
		Class: m.Path.Class, Instance: m.Path.Instance, Attribute: m.Path.Attribute, Has: m.Path.Has,
		Connected: m.Connected, Sequence: m.Sequence, Command: m.Command, Length: m.Length,
		Session: m.Session, EncapStatus: m.EncapStatus, Context: m.Context, Options: m.Options,
		GeneralStatus: m.GeneralStatus, ExtStatus: -1, ConnID: m.ConnID, IOSeq: m.IOSeq,
	}
	if len(m.ExtStatus) >= 2 {
		r.ExtStatus = int(binary.LittleEndian.Uint16(m.ExtStatus))
	}
	if id, ok := m.Identity(); ok {
		r.Identity, r.HasIdentity = id, true
		r.ProductName = string(id.ProductName)
		r.Identity.ProductName = nil
	}
	return r
}

// stream is one direction of a TCP flow being reassembled.
type stream struct {
	init bool
	next uint32
	buf  []byte
}

// result is what a capture produced.
type result struct {
	recs      []rec
	framing   int                         // Feed/Datagram errors
	gaps      int                         // TCP gaps resynchronised
	io        map[netip.AddrPort][]IOStat // per flow client: IOStats at the end
	analyzers map[flowKey]*Analyzer
	pdus      int // messages emitted
}

type flowKey struct {
	client, server netip.AddrPort
	proto          uint8
}

// runCapture feeds every payload of a capture through one Analyzer per
// flow: TCP by reassembling each direction by sequence number (appending,
// calling Feed, dropping consumed bytes; retransmitted bytes are skipped and
// a gap resynchronises), UDP by Datagram.
func runCapture(t testing.TB, path string) result {
	t.Helper()
	res := result{io: map[netip.AddrPort][]IOStat{}, analyzers: map[flowKey]*Analyzer{}}
	streams := map[[2]any]*stream{}
	for _, s := range testutil.Segments(t, path) {
		k := flowKey{s.Client, s.Server, s.Proto}
		a := res.analyzers[k]
		if a == nil {
			a = &Analyzer{}
			res.analyzers[k] = a
		}
		emit := func(m *Message) {
			r := record(m)
			r.Packet, r.Client, r.Server, r.FromClient = s.Number, s.Client, s.Server, s.FromClient
			res.recs = append(res.recs, r)
			res.pdus++
		}
		if s.Proto == 17 {
			if err := a.Datagram(s.Payload, s.FromClient, emit); err != nil {
				res.framing++
			}
			continue
		}
		sk := [2]any{k, s.FromClient}
		st := streams[sk]
		if st == nil {
			st = &stream{}
			streams[sk] = st
		}
		p := s.Payload
		if !st.init {
			st.init, st.next = true, s.Seq
		}
		if d := int32(s.Seq - st.next); d < 0 { // retransmission or overlap
			if int(-d) >= len(p) {
				continue
			}
			p = p[-d:]
		} else if d > 0 { // gap: resynchronise
			res.gaps++
			st.buf = st.buf[:0]
		}
		st.next = s.Seq + uint32(len(s.Payload))
		st.buf = append(st.buf, p...)
		n, err := a.Feed(st.buf, s.FromClient, emit)
		if err != nil {
			if !errors.Is(err, ErrFraming) {
				t.Fatalf("packet %d: error %v does not wrap ErrFraming", s.Number, err)
			}
			res.framing++
			st.buf = st.buf[:0]
			continue
		}
		st.buf = append(st.buf[:0], st.buf[n:]...)
	}
	for k, a := range res.analyzers {
		if st := a.IOStats(); len(st) > 0 {
			res.io[k.client] = append([]IOStat(nil), st...)
		}
	}
	return res
}

// pdus returns the payloads of a capture's packets in order, for
// allocation tests and benchmarks: each is a whole PDU in these clean
// captures.
type payload struct {
	data       []byte
	fromClient bool
	udp        bool
}

func payloads(t testing.TB, path string) []payload {
	t.Helper()
	var out []payload
	for _, s := range testutil.Segments(t, path) {
		out = append(out, payload{s.Payload, s.FromClient, s.Proto == 17})
	}
	return out
}
