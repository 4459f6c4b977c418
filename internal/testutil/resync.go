package testutil

import "testing"

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
