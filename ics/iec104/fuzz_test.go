package iec104

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// seeds are the consumed chunks of the captures and hand-built APDUs.
func seeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, p := range []string{"testdata/iec104.pcap", "testdata/TestDissectIec104.pcap", "testdata/58_59.pcap",
		"testdata/104deneme2.pcap", "testdata/IEC104_SQ.pcapng"} {
		_, chunks, _ := replay(f, p)
		for _, c := range chunks {
			out = append(out, c.b)
		}
	}
	return append(out, resetProcess, fileSegment, clockSync, []byte{0x68, 0x04, 0x07, 0, 0, 0})
}

// emitted is one Message as the fuzz target keeps it.
type emitted struct {
	apdu             []byte
	prefix           int
	name, op, status string
	malformed        bool
	detailKeys       int
}

func keep(out *[]emitted) func(*Message) {
	return func(m *Message) {
		d := map[string]any{}
		m.Detail(d)
		*out = append(*out, emitted{slices.Clone(m.APDU), m.Prefix, m.Name(), m.Op(), m.Status(), m.Malformed, len(d)})
	}
}

// FuzzFeed: no panic; n <= len(b); every emitted APDU starts with the
// start byte, its prefix and APDU are the bytes consumed, in order; and
// the stream offered in two pieces emits the same APDUs and error.
func FuzzFeed(f *testing.F) {
	for i, s := range seeds(f) {
		f.Add(s, uint16(i), i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, b []byte, split uint16, fromClient bool) {
		b = b[:len(b):len(b)]
		var whole []emitted
		var a Analyzer
		n, err := a.Feed(b, fromClient, keep(&whole))
		if n < 0 || n > len(b) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		if err != nil && !errors.Is(err, ErrFraming) {
			t.Fatalf("error %v does not wrap ErrFraming", err)
		}
		off := 0
		for _, e := range whole {
			off += e.prefix
			if !bytes.HasPrefix(b[off:], e.apdu) || e.apdu[0] != startByte {
				t.Fatalf("APDU %x not at offset %d", e.apdu, off)
			}
			off += len(e.apdu)
			if e.name == "" || e.op == "" || (e.malformed && e.status == "") {
				t.Fatalf("message %+v", e)
			}
		}
		if off > n {
			t.Fatalf("emitted %d bytes, consumed %d", off, n)
		}

		k := int(split) % (len(b) + 1)
		var parts []emitted
		var c Analyzer
		buf := slices.Clone(b[:k])
		n1, err1 := c.Feed(buf, fromClient, keep(&parts))
		if err1 == nil {
			buf = append(buf[n1:], b[k:]...)
			_, err1 = c.Feed(buf, fromClient, keep(&parts))
		}
		if err1 != err || len(parts) != len(whole) {
			t.Fatalf("in two pieces: %d APDUs, %v; whole: %d APDUs, %v", len(parts), err1, len(whole), err)
		}
		for i := range whole {
			if !bytes.Equal(parts[i].apdu, whole[i].apdu) || parts[i].prefix != whole[i].prefix ||
				parts[i].status != whole[i].status || parts[i].op != whole[i].op {
				t.Fatalf("APDU %d differs: %+v vs %+v", i, parts[i], whole[i])
			}
		}
	})
}
