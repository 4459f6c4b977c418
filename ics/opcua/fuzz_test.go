package opcua

import (
	"errors"
	"testing"
)

// FuzzFeed feeds arbitrary bytes as one direction of a stream: no panic,
// the bytes consumed never exceed the input, errors wrap ErrFraming, and
// every method and the detail of each message answer.
func FuzzFeed(f *testing.F) {
	chunks, _ := captureChunks(f)
	for _, c := range chunks {
		f.Add(c.b, c.fromClient)
	}
	f.Add(cat(opn("http://opcfoundation.org/UA/SecurityPolicy#Basic256", []byte("x")),
		msgChunk('C', 1, cat(serviceID(idWriteRequest), requestHeader)), msgChunk('F', 1, nil)), true)
	f.Add(msgChunk('A', 2, cat(le32(0x80AB0000), str("abort"))), false)
	f.Fuzz(func(t *testing.T, b []byte, fromClient bool) {
		var a Analyzer
		for range 2 { // the second pass sees the channel state the first left
			n, err := a.Feed(b, fromClient, func(m *Message) {
				if m.Name() == "" || m.Op() == "" {
					t.Errorf("%x: empty name or op", b)
				}
				_, _ = m.Func(), m.Request()
				_ = m.Status()
				d := map[string]any{}
				m.Detail(d)
				if d["message_type"] == nil {
					t.Errorf("%x: detail without message_type", b)
				}
			})
			if n < 0 || n > len(b) {
				t.Fatalf("%x: consumed %d", b, n)
			}
			if err != nil && !errors.Is(err, ErrFraming) {
				t.Errorf("%x: %v does not wrap ErrFraming", b, err)
			}
		}
	})
}
