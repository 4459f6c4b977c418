package storetest

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/store"
)

// RunCompliance runs the conformance suite of store.Compliance
// (attestations, the access register, incidents); open returns an empty
// store.
func RunCompliance(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Attestations", testAttestations},
		{"AttestationChecks", testAttestationChecks},
		{"AccessRegister", testAccess},
		{"Incidents", testIncidents},
		{"ComplianceTextIsStored", testComplianceText},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func attestation(site, control string, at time.Time) store.Attestation {
	return store.Attestation{Site: site, Control: control, By: "J. Officer (CySO)", Statement: "MFA is enforced on the remote-access gateway",
		Document: "gateway-config.pdf", DocSHA256: strings.Repeat("ab", 32), At: at, Expires: at.Add(365 * 24 * time.Hour), Author: "user:cyso"}
}

func testAttestations(t *testing.T, s store.Store) {
	a1 := must(s.AddAttestation(ctx, attestation("t1", "MSCI-RA-1", t0)))(t)
	if !strings.HasPrefix(a1.ID, "A") || a1.Created.IsZero() {
		t.Fatalf("assigned id %q, created %v", a1.ID, a1.Created)
	}
	a2 := must(s.AddAttestation(ctx, attestation("t1", "MARSEC-105-4", t0.Add(time.Hour))))(t)
	must(s.AddAttestation(ctx, attestation("t2", "MSCI-RA-1", t0)))(t)
	if _, err := s.AddAttestation(ctx, store.Attestation{ID: a1.ID, Site: "t1", Control: "MSCI-RA-1", By: "x", Statement: "y", At: t0}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("same id again: %v, want ErrConflict", err)
	}
	got := must(s.Attestations(ctx, "t1"))(t)
	if len(got) != 2 {
		t.Fatalf("t1 has %d attestations, want 2", len(got))
	}
	if !slices.ContainsFunc(got, func(a store.Attestation) bool { return a.ID == a2.ID && a.Control == "MARSEC-105-4" }) {
		t.Fatalf("attestations %+v lack %s", got, a2.ID)
	}
	for _, a := range got {
		if a.ID == a1.ID {
			want := a1
			if a.By != want.By || a.Statement != want.Statement || a.DocSHA256 != want.DocSHA256 || !a.At.Equal(t0) ||
				!a.Expires.Equal(want.Expires) || a.Author != want.Author || !a.Withdrawn.IsZero() {
				t.Fatalf("read back %+v, stored %+v", a, want)
			}
			if !a.Valid(t0.Add(time.Hour)) || a.Valid(t0.Add(-time.Hour)) || a.Valid(t0.Add(366*24*time.Hour)) {
				t.Fatal("Valid: wrong before, during or after its span")
			}
		}
	}
	if n := len(must(s.Attestations(ctx, ""))(t)); n != 3 {
		t.Fatalf("all sites: %d attestations, want 3", n)
	}
	check(t, s.WithdrawAttestation(ctx, a1.ID, t0.Add(2*time.Hour)))
	if err := s.WithdrawAttestation(ctx, a1.ID, t0.Add(3*time.Hour)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("withdraw twice: %v, want ErrConflict", err)
	}
	if err := s.WithdrawAttestation(ctx, "Anope", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("withdraw unknown: %v, want ErrNotFound", err)
	}
	for _, a := range must(s.Attestations(ctx, "t1"))(t) {
		if a.ID == a1.ID && (!a.Withdrawn.Equal(t0.Add(2*time.Hour)) || a.Valid(t0.Add(3*time.Hour))) {
			t.Fatalf("withdrawn attestation reads %+v", a)
		}
	}
}

func testAttestationChecks(t *testing.T, s store.Store) {
	for name, mod := range map[string]func(a *store.Attestation){
		"no person":     func(a *store.Attestation) { a.By = " " },
		"no statement":  func(a *store.Attestation) { a.Statement = "" },
		"bad hash":      func(a *store.Attestation) { a.DocSHA256 = "XYZ" },
		"no date":       func(a *store.Attestation) { a.At = time.Time{} },
		"expires first": func(a *store.Attestation) { a.Expires = a.At.Add(-time.Hour) },
		"bad control":   func(a *store.Attestation) { a.Control = "x' OR 1=1 --" },
	} {
		a := attestation("t1", "MSCI-RA-1", t0)
		mod(&a)
		if _, err := s.AddAttestation(ctx, a); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if n := len(must(s.Attestations(ctx, ""))(t)); n != 0 {
		t.Fatalf("%d invalid attestations stored", n)
	}
}

func testAccess(t *testing.T, s store.Store) {
	e := store.AccessEntry{Site: "t1", Crane: "sts-01", System: "plc", Holder: "Crane Vendor Ltd", Path: store.PathGateway,
		Sources: []string{"10.50.0.0/24", "192.0.2.7"}, MFA: true, Clause: "Annex C §4", ClauseSHA256: strings.Repeat("0f", 32),
		Attester: "J. Officer", Expires: t0.Add(90 * 24 * time.Hour), Author: "user:cyso"}
	e1 := must(s.PutAccess(ctx, e))(t)
	if !strings.HasPrefix(e1.ID, "R") {
		t.Fatalf("assigned id %q", e1.ID)
	}
	e2 := e
	e2.Crane, e2.Path, e2.Sources, e2.MFA, e2.Clause, e2.ClauseSHA256 = "sts-02", store.PathOnSite, []string{"10.1.2.3"}, false, "", ""
	e2 = must(s.PutAccess(ctx, e2))(t)
	got := must(s.AccessEntries(ctx, "t1"))(t)
	if len(got) != 2 || got[0].ID != e1.ID || got[1].ID != e2.ID {
		t.Fatalf("register %+v, want %s then %s (by crane)", got, e1.ID, e2.ID)
	}
	g := got[0]
	if !slices.Equal(g.Sources, e.Sources) || !g.MFA || g.Clause != e.Clause || g.ClauseSHA256 != e.ClauseSHA256 || !g.Expires.Equal(e.Expires) || g.Holder != e.Holder {
		t.Fatalf("read back %+v, stored %+v", g, e)
	}
	if !g.Covers(netip.MustParseAddr("10.50.0.9")) || !g.Covers(netip.MustParseAddr("192.0.2.7")) || g.Covers(netip.MustParseAddr("10.50.1.9")) {
		t.Fatal("Covers: wrong")
	}
	// Replace keeps the id.
	e1.Holder = "Other Vendor"
	must(s.PutAccess(ctx, e1))(t)
	got = must(s.AccessEntries(ctx, "t1"))(t)
	if len(got) != 2 || got[0].Holder != "Other Vendor" {
		t.Fatalf("after replace: %+v", got)
	}
	for name, mod := range map[string]func(a *store.AccessEntry){
		"bad path":         func(a *store.AccessEntry) { a.Path = "teamviewer" },
		"no sources":       func(a *store.AccessEntry) { a.Sources = nil },
		"bad source":       func(a *store.AccessEntry) { a.Sources = []string{"10.0.0.300"} },
		"mfa, no attester": func(a *store.AccessEntry) { a.Attester = "" },
		"bad hash":         func(a *store.AccessEntry) { a.ClauseSHA256 = "abc" },
		"no holder":        func(a *store.AccessEntry) { a.Holder = "" },
	} {
		bad := e
		bad.ID = ""
		mod(&bad)
		if _, err := s.PutAccess(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	check(t, s.DeleteAccess(ctx, e2.ID))
	if err := s.DeleteAccess(ctx, e2.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v, want ErrNotFound", err)
	}
	if n := len(must(s.AccessEntries(ctx, ""))(t)); n != 1 {
		t.Fatalf("%d entries left, want 1", n)
	}
}

func testIncidents(t *testing.T, s store.Store) {
	in := store.Incident{Site: "t1", Title: "PLC stop on STS-01", Status: store.IncidentOpen, Findings: []string{"HW-AAAAAAAAAAAA", "HW-BBBBBBBBBBBB"},
		Notes: "called the vendor", Fields: map[string]string{"reporter_name": "J. Officer"}, Detected: t0, Author: "user:cyso"}
	a := must(s.AddIncident(ctx, in))(t)
	if !strings.HasPrefix(a.ID, "I") || a.Created.IsZero() || !a.Updated.Equal(a.Created) {
		t.Fatalf("added %+v", a)
	}
	b := must(s.AddIncident(ctx, store.Incident{Site: "t2", Title: "other", Status: store.IncidentOpen, Findings: []string{"HW-CCCCCCCCCCCC"}, Detected: t0}))(t)
	g := must(s.Incident(ctx, a.ID))(t)
	if g.Title != in.Title || !slices.Equal(g.Findings, in.Findings) || g.Fields["reporter_name"] != "J. Officer" || !g.Detected.Equal(t0) || g.Notes != in.Notes {
		t.Fatalf("read back %+v", g)
	}
	if _, err := s.Incident(ctx, "Inope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown incident: %v", err)
	}
	g.Status, g.Notes, g.Fields = store.IncidentReported, "NRC report 1234567", map[string]string{"nrc_report_number": "1234567"}
	g.Site, g.Detected = "elsewhere", t0.Add(time.Hour) // neither may change
	u := must(s.UpdateIncident(ctx, g))(t)
	g2 := must(s.Incident(ctx, a.ID))(t)
	if g2.Status != store.IncidentReported || g2.Site != "t1" || !g2.Detected.Equal(t0) || g2.Fields["nrc_report_number"] != "1234567" ||
		g2.Fields["reporter_name"] != "" || u.Updated.Before(a.Updated) {
		t.Fatalf("after update %+v", g2)
	}
	g2.Status = "escalated"
	if _, err := s.UpdateIncident(ctx, g2); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad status: %v", err)
	}
	if _, err := s.UpdateIncident(ctx, store.Incident{ID: "Inope", Title: "x", Status: store.IncidentOpen, Findings: []string{"HW-1"}}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	if _, err := s.AddIncident(ctx, store.Incident{Site: "t1", Title: "none", Status: store.IncidentOpen}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no findings: %v", err)
	}
	if l := must(s.Incidents(ctx, "t1"))(t); len(l) != 1 || l[0].ID != a.ID {
		t.Fatalf("t1 incidents %+v", l)
	}
	if l := must(s.Incidents(ctx, ""))(t); len(l) != 2 || !slices.ContainsFunc(l, func(x store.Incident) bool { return x.ID == b.ID }) {
		t.Fatalf("all incidents %+v", l)
	}
}

// testComplianceText stores text no column may refuse (NUL, invalid
// UTF-8, quotes) and reads it back cleaned, never failing.
func testComplianceText(t *testing.T, s store.Store) {
	a := attestation("t1", "MSCI-PHY-1", t0)
	a.Statement = "gate locked'); DROP TABLE attestations; --\x00\xff"
	got := must(s.AddAttestation(ctx, a))(t)
	l := must(s.Attestations(ctx, "t1"))(t)
	if len(l) != 1 || l[0].Statement != got.Statement || strings.ContainsRune(l[0].Statement, 0) || !strings.Contains(l[0].Statement, "DROP TABLE") {
		t.Fatalf("statement read back %q", l[0].Statement)
	}
	in := must(s.AddIncident(ctx, store.Incident{Site: "t1", Title: "bad \xff title", Status: store.IncidentOpen, Findings: []string{"HW-1"},
		Fields: map[string]string{"k\x00": "v\xff"}, Detected: t0}))(t)
	g := must(s.Incident(ctx, in.ID))(t)
	if g.Title != in.Title || g.Fields["k"] != "v\uFFFD" {
		t.Fatalf("incident read back %q %q", g.Title, g.Fields)
	}
}
