package sqlstore

import "testing"

// FuzzCursor: a cursor from a client is hostile: decoding any string
// fails cleanly or gives a key that encodes back to a cursor decoding to
// the same key.
func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(findingCursor{Severity: 3, Site: "t3", ID: "HW-0ABC16CBBCE3"}))
	f.Add("")
	f.Add("e30")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, s string) {
		var c findingCursor
		if err := decodeCursor(s, &c); err != nil {
			return
		}
		var again findingCursor
		if err := decodeCursor(encodeCursor(c), &again); err != nil || again != c {
			t.Fatalf("%q: %+v re-encoded decodes as %+v (%v)", s, c, again, err)
		}
	})
}
