package testutil

import (
	"testing"

	"harborwatch/proto"
)

// Resyncing is a stream parser that resynchronises after a gap: Gap says
// the next bytes of a direction do not follow the last ones, and Feed
// skips to the first plausible message boundary (proto.Resyncer and the
// parsers' Feed).
type Resyncing[M interface{ Name() string }] interface {
	Gap(fromClient bool)
	Feed(b []byte, fromClient bool, emit func(M)) (int, error)
}

// FeedAfterGap offers b to p from the client after a gap, in chunks of
// the given size (the way reassembly hands over bytes: unconsumed ones
// offered again), and returns the names of the messages emitted. A
// framing error fails the test; bytes left unconsumed are an error.
func FeedAfterGap[M interface{ Name() string }](t testing.TB, p Resyncing[M], b []byte, chunk int) []string {
	t.Helper()
	p.Gap(true)
	var names []string
	var pending []byte
	for off := 0; off < len(b); off += chunk {
		pending = append(pending, b[off:min(off+chunk, len(b))]...)
		n, err := p.Feed(pending, true, func(m M) { names = append(names, m.Name()) })
		if err != nil {
			t.Fatalf("chunk at %d: %v", off, err)
		}
		pending = pending[n:]
	}
	if len(pending) != 0 {
		t.Errorf("%d bytes left unconsumed", len(pending))
	}
	return names
}

// Resyncer is a Resyncing parser that counts what resynchronising cost
// (proto.Resyncer).
type Resyncer[M interface{ Name() string }] interface {
	Resyncing[M]
	Resyncs() proto.Resync
}

// CheckResync is the body of an analyzer's FuzzResync. It feeds b to a
// fresh parser whole, from the client, after a gap, then to another from
// the server in chunks of chunk+1 bytes (unconsumed bytes offered again,
// as reassembly does, and a gap again after a framing error). It fails
// on more consumed than offered, on skipped bytes not consumed, and on a
// message or a framing error before a boundary was found.
func CheckResync[M interface{ Name() string }, P Resyncer[M]](t *testing.T, fresh func() P, b []byte, chunk uint8) {
	t.Helper()
	a := fresh()
	a.Gap(true)
	n, err := a.Feed(b, true, func(M) {})
	if n < 0 || n > len(b) {
		t.Fatalf("consumed %d of %d", n, len(b))
	}
	if rs := a.Resyncs(); rs.Skipped > uint64(n) || (err != nil && rs.Count == 0) {
		t.Fatalf("resyncs %+v, consumed %d, error %v", rs, n, err)
	}
	c := fresh()
	c.Gap(false)
	var pending []byte
	size := int(chunk) + 1
	for off := 0; off < len(b); off += size {
		pending = append(pending, b[off:min(off+size, len(b))]...)
		k, err := c.Feed(pending, false, func(m M) {
			if c.Resyncs().Count == 0 {
				t.Fatalf("%s emitted before a boundary was found", m.Name())
			}
		})
		if k < 0 || k > len(pending) {
			t.Fatalf("consumed %d of %d", k, len(pending))
		}
		if err != nil {
			if c.Resyncs().Count == 0 {
				t.Fatalf("framing error %v before a boundary was found", err)
			}
			c.Gap(false)
			k = len(pending)
		}
		pending = pending[k:]
	}
}
