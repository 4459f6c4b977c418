package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"harborwatch/store"
)

// Evidence runs the conformance suite of store.Evidence.
func Evidence(t *testing.T, open func(t *testing.T) store.Store) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"PutGetReplace", testEvidence},
		{"Refused", testEvidenceRefused},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			c.fn(t, s)
		})
	}
}

// evidenceData is a capture file's worth of every byte value, NULs and
// invalid UTF-8 included: stored and returned as it is.
func evidenceData(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i) ^ seed
	}
	return b
}

func testEvidence(t *testing.T, s store.Store) {
	if _, err := s.Evidence(ctx, "t3", "HW-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Evidence of an empty store: %v, want ErrNotFound", err)
	}
	first := store.EvidenceFile{Site: "t3", FindingID: "HW-1", Sensor: "sts01", Run: "r1", Object: "t3/sts01/HW-1.pcap", Format: "pcap",
		Packets: 3, Data: evidenceData(1, 5000), Stored: t0}
	if err := s.PutEvidence(ctx, first); err != nil {
		t.Fatal(err)
	}
	other := first
	other.Site, other.Data = "t4", evidenceData(2, 100)
	if err := s.PutEvidence(ctx, other); err != nil {
		t.Fatal(err)
	}
	got := must(s.Evidence(ctx, "t3", "HW-1"))(t)
	sum := sha256.Sum256(first.Data)
	if !bytes.Equal(got.Data, first.Data) || got.SHA256 != hex.EncodeToString(sum[:]) || got.Bytes != 5000 || got.Packets != 3 ||
		got.Sensor != "sts01" || got.Run != "r1" || got.Object != first.Object || got.Format != "pcap" || !got.Stored.Equal(t0) {
		t.Fatalf("Evidence = %+v (%d bytes), want the file put", got, len(got.Data))
	}
	// A newer file of the same finding replaces it; the other site's stays.
	second := first
	second.Run, second.Format, second.Packets, second.Data, second.Object = "r2", "pcapng", 5, evidenceData(3, 7000), "t3/sts01/HW-1.pcapng"
	if err := s.PutEvidence(ctx, second); err != nil {
		t.Fatal(err)
	}
	got = must(s.Evidence(ctx, "t3", "HW-1"))(t)
	if !bytes.Equal(got.Data, second.Data) || got.Run != "r2" || got.Format != "pcapng" || got.Packets != 5 || got.Bytes != 7000 {
		t.Fatalf("after a replacement: %+v", got)
	}
	if o := must(s.Evidence(ctx, "t4", "HW-1"))(t); !bytes.Equal(o.Data, other.Data) {
		t.Fatal("the other site's file changed")
	}
	if _, err := s.Evidence(ctx, "t3", "HW-2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Evidence of another finding: %v, want ErrNotFound", err)
	}
	if _, err := s.Evidence(ctx, "t3", "HW-1' OR '1'='1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an id that is SQL: %v, want ErrNotFound", err)
	}
}

func testEvidenceRefused(t *testing.T, s store.Store) {
	for _, e := range []store.EvidenceFile{
		{FindingID: "HW-1", Format: "pcap", Data: []byte{1}},
		{Site: "t3", Format: "pcap", Data: []byte{1}},
		{Site: "t3", FindingID: "HW-1", Format: "pcap"},
		{Site: "t3", FindingID: "HW-1", Format: "exe", Data: []byte{1}},
	} {
		if err := s.PutEvidence(ctx, e); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("PutEvidence(%+v) = %v, want ErrInvalid", e, err)
		}
	}
}
