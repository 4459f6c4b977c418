package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"harborwatch/store"
)

// adv builds an advisory revision: id, tracking version, current
// release date t0+days, and a document that differs by all three.
func adv(id, version string, days int) store.Advisory {
	cur := t0.Add(time.Duration(days) * 24 * time.Hour)
	return store.Advisory{
		ID: id, Title: "Advisory " + id, Publisher: "CISA", Version: version, Current: cur, File: strings.ToLower(id) + ".json",
		Doc: []byte(fmt.Sprintf(`{"document":{"tracking":{"id":%q,"version":%q,"current_release_date":%q}}}`, id, version, cur.Format(time.RFC3339))),
		By:  "user:ann",
	}
}

func testAdvisories(t *testing.T, s store.Store) {
	_, err := s.Advisory(ctx, "ICSA-00-000-00")
	wantErr(t, err, store.ErrNotFound, "Advisory of an unknown id")
	if got := must(s.Advisories(ctx))(t); len(got) != 0 {
		t.Fatalf("Advisories of an empty store = %v", got)
	}
	put := func(a store.Advisory, want string) store.Advisory {
		t.Helper()
		got, prev, err := s.PutAdvisory(ctx, a)
		check(t, err)
		if got != want {
			t.Fatalf("PutAdvisory(%s v%s %s) = %s, want %s", a.ID, a.Version, a.Current.Format(time.DateOnly), got, want)
		}
		return prev
	}
	v1 := adv("ICSA-24-284-01", "1", 0)
	put(v1, store.AdvisoryImported)
	put(adv("ICSA-23-040-02", "2", 3), store.AdvisoryImported)
	// The same revision again, bytes and all: nothing changes.
	if prev := put(v1, store.AdvisoryUnchanged); prev.Version != "1" || !prev.Current.Equal(v1.Current) {
		t.Fatalf("prev = %+v, want the stored v1", prev)
	}
	// A newer release date replaces it and says what it replaced.
	v2 := adv("ICSA-24-284-01", "2", 10)
	if prev := put(v2, store.AdvisoryUpdated); prev.Version != "1" {
		t.Fatalf("prev of the update = %+v, want v1", prev)
	}
	// An older revision imported after a newer one does not go back.
	put(v1, store.AdvisoryUnchanged)
	// The same date with a higher tracking version is newer (semantic
	// versions compare by number: 1.10.0 > 1.9.0).
	a := adv("ICSA-25-001-01", "1.9.0", 20)
	put(a, store.AdvisoryImported)
	b := adv("ICSA-25-001-01", "1.10.0", 20)
	put(b, store.AdvisoryUpdated)
	put(a, store.AdvisoryUnchanged)

	got := must(s.Advisory(ctx, "ICSA-24-284-01"))(t)
	sum := sha256.Sum256(v2.Doc)
	if got.Version != "2" || !got.Current.Equal(v2.Current) || string(got.Doc) != string(v2.Doc) ||
		got.SHA256 != hex.EncodeToString(sum[:]) || got.Title != v2.Title || got.File != v2.File || got.By != "user:ann" || got.Imported.IsZero() {
		t.Fatalf("Advisory = %+v (doc %s), want revision 2 with its document and hash", got, got.Doc)
	}
	list := must(s.Advisories(ctx))(t)
	var ids []string
	for _, a := range list {
		ids = append(ids, a.ID+"@"+a.Version)
		if a.Doc != nil {
			t.Fatalf("Advisories returned the document of %s", a.ID)
		}
	}
	if want := "ICSA-23-040-02@2 ICSA-24-284-01@2 ICSA-25-001-01@1.10.0"; strings.Join(ids, " ") != want {
		t.Fatalf("Advisories = %s, want %s (by id, newest revisions)", strings.Join(ids, " "), want)
	}

	// Refused: no id, no document.
	_, _, err = s.PutAdvisory(ctx, store.Advisory{Doc: []byte("{}")})
	wantErr(t, err, store.ErrInvalid, "PutAdvisory without an id")
	_, _, err = s.PutAdvisory(ctx, store.Advisory{ID: "X"})
	wantErr(t, err, store.ErrInvalid, "PutAdvisory without a document")

	// Hostile text is stored as valid UTF-8 without NUL, and found by
	// the id it is stored under.
	h := adv("ICSA-\x00bad\xff", "1", 0)
	h.Title = "t\x00\xfe"
	put(h, store.AdvisoryImported)
	for _, a := range must(s.Advisories(ctx))(t) {
		if strings.ContainsRune(a.ID, 0) || strings.ContainsRune(a.Title, 0) {
			t.Fatalf("stored a NUL: %q %q", a.ID, a.Title)
		}
	}

	// Concurrent imports of the same revision: one imported, the rest
	// unchanged.
	c := adv("ICSA-26-100-01", "1", 30)
	var mu sync.Mutex
	outcomes := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			o, _, err := s.PutAdvisory(ctx, c)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			outcomes[o]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if outcomes[store.AdvisoryImported] != 1 || outcomes[store.AdvisoryUnchanged] != 7 {
		t.Fatalf("concurrent imports: %v, want 1 imported and 7 unchanged", outcomes)
	}
}
