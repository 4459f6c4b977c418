package dnp3

import (
	"errors"
	"slices"
	"testing"
)

// seeds are the consumed chunks of the captures and hand-built frames.
func seeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, p := range []string{"testdata/dnp3_example.pcap", "testdata/dnp3_test_data_part1.pcap",
		"testdata/select_operate_and_responses.pcap", "testdata/directoperate_and_response.pcap"} {
		_, chunks, _ := replay(f, p)
		for _, c := range chunks {
			out = append(out, c.b)
		}
	}
	return append(out, linkFrame(0xC4, 1, 2, []byte{0xC0, 0xC1, 13}),
		linkFrame(0xC4, 1, 2, append([]byte{0xC0, 0xC2, FuncOpenFile}, openFileObject(2)...)),
		linkFrame(0x44, 2, 1, []byte{0xC0, 0xC3, FuncResponse, 0, 0, 0, 252, 0x00, 0, 0, 1, 4, 'A', 'c', 'm', 'e'}))
}

// emitted is one Message as the fuzz target keeps it.
type emitted struct {
	fragment         []byte
	name, op, status string
	malformed        bool
	detailKeys       int
}

func keep(out *[]emitted) func(*Message) {
	return func(m *Message) {
		d := map[string]any{}
		m.Detail(d)
		*out = append(*out, emitted{slices.Clone(m.Fragment), m.Name(), m.Op(), m.Status(), m.Malformed, len(d)})
	}
}

// FuzzFeed: no panic; n <= len(b); every message is named and classified;
// the stream offered in two pieces emits the same messages and error.
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
		for _, e := range whole {
			if e.name == "" || e.op == "" || (e.malformed && e.status == "") || len(e.fragment) > maxFragment {
				t.Fatalf("message %+v", e)
			}
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
			t.Fatalf("in two pieces: %d messages, %v; whole: %d, %v", len(parts), err1, len(whole), err)
		}
		for i := range whole {
			if !slices.Equal(parts[i].fragment, whole[i].fragment) || parts[i].name != whole[i].name ||
				parts[i].status != whole[i].status || parts[i].op != whole[i].op {
				t.Fatalf("message %d differs: %+v vs %+v", i, parts[i], whole[i])
			}
		}
	})
}
