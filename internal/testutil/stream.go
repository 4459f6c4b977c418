package testutil

import (
	"net/netip"
	"slices"
	"testing"

	"harborwatch/decode"
	"harborwatch/flow"
)

// Segment is one payload-carrying TCP or UDP packet of a capture, with its
// flow's client and server as the flow table decides them (handshake, else
// first packet with the server-port tie-breaker).
type Segment struct {
	Number         int64 // 1-based packet number in the file
	TS             int64 // ns
	Client, Server netip.AddrPort
	FromClient     bool
	Proto          uint8 // 6 TCP, 17 UDP
	Seq            uint32
	Payload        []byte // copied
}

// Segments reads a capture and returns its payload-carrying TCP and UDP
// packets in file order. A missing or damaged fixture fails the test.
func Segments(t testing.TB, path string) []Segment {
	t.Helper()
	var dec decode.Decoder
	var p decode.Packet
	tab := flow.New(flow.Options[struct{}]{})
	var out []Segment
	for _, cp := range Frames(t, path) {
		if dec.Decode(cp.Link, cp.Data, &p) != nil || !p.HasL4 {
			continue
		}
		if p.Proto != decode.ProtoTCP && p.Proto != decode.ProtoUDP {
			continue
		}
		f, dir, _ := tab.Packet(&p, cp.TS)
		if f == nil || len(p.Payload) == 0 {
			continue
		}
		out = append(out, Segment{
			Number: cp.Number, TS: cp.TS,
			Client:     netip.AddrPortFrom(f.Client.Addr, f.Client.Port),
			Server:     netip.AddrPortFrom(f.Server.Addr, f.Server.Port),
			FromClient: dir == flow.FromClient,
			Proto:      p.Proto, Seq: p.Seq,
			Payload: slices.Clone(p.Payload),
		})
	}
	return out
}
