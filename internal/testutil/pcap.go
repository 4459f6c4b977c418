package testutil

import (
	"errors"
	"io"
	"net/netip"
	"slices"
	"testing"

	"harborwatch/capture"
	"harborwatch/decode"
)

// Frames reads every packet of a pcap or pcapng fixture with package
// capture, in file order. Each packet's Data is a copy, so all of them stay
// valid together. A missing, unreadable or damaged fixture fails the test.
func Frames(t testing.TB, path string) []capture.Packet {
	t.Helper()
	src, err := capture.Open(path)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	defer src.Close()
	var out []capture.Packet
	var p capture.Packet
	for {
		err := src.Next(&p)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("fixture %s: %v", path, err)
		}
		p.Data = slices.Clone(p.Data)
		out = append(out, p)
	}
}

// Payload is the TCP or UDP payload of one packet of a fixture.
type Payload struct {
	Number   int64 // 1-based packet number in the file, as Wireshark numbers frames
	Src, Dst netip.AddrPort
	Proto    uint8  // decode.ProtoTCP or decode.ProtoUDP
	Data     []byte // the captured payload, copied; non-empty
}

// Payloads returns the non-empty TCP and UDP payloads of a fixture, decoded
// with package decode, in file order. Packets that do not decode to TCP or
// UDP, and those without payload, are left out. A fixture that is missing or
// damaged, or that has no payload at all, fails the test.
func Payloads(t testing.TB, path string) []Payload {
	t.Helper()
	var d decode.Decoder
	var p decode.Packet
	var out []Payload
	for _, f := range Frames(t, path) {
		if d.Decode(f.Link, f.Data, &p) != nil || !p.HasL4 || len(p.Payload) == 0 {
			continue
		}
		if p.Proto != decode.ProtoTCP && p.Proto != decode.ProtoUDP {
			continue
		}
		out = append(out, Payload{
			Number: f.Number,
			Src:    netip.AddrPortFrom(p.Src, p.SrcPort),
			Dst:    netip.AddrPortFrom(p.Dst, p.DstPort),
			Proto:  p.Proto,
			Data:   slices.Clip(p.Payload), // within f.Data, already a copy
		})
	}
	if len(out) == 0 {
		t.Fatalf("fixture %s: no TCP or UDP payload", path)
	}
	return out
}

// PayloadsByNumber returns the Data of Payloads keyed by packet number.
func PayloadsByNumber(t testing.TB, path string) map[int][]byte {
	t.Helper()
	m := map[int][]byte{}
	for _, p := range Payloads(t, path) {
		m[int(p.Number)] = p.Data
	}
	return m
}
