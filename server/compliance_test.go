package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"harborwatch/store"
)

// TestComplianceAPI: the evaluation of the example terminal in JSON, CSV
// and OSCAL; an attestation changes a control's status; the access
// register covers a source; an incident opened from a finding drafts its
// report and STIX; every write is in the audit log and roles are enforced.
func TestComplianceAPI(t *testing.T) {
	at := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	h, fs := loaded(t, func(c *Config) { c.Now = func() time.Time { return at } })
	var rep struct {
		Report struct {
			Controls []struct{ ID, Status string }
			Counts   map[string]int
		}
	}
	status := func() map[string]string {
		h.must(200, "GET", "/api/v1/sites/t3/compliance", store.Viewer, nil, &rep)
		m := map[string]string{}
		for _, c := range rep.Report.Controls {
			m[c.ID] = c.Status
		}
		return m
	}
	st := status()
	if len(st) != 65 || st["MSCI-SEG-1"] != "not-satisfied" || st["MARSEC-105-4"] != "not-assessed" {
		t.Fatalf("statuses: %d, SEG-1 %s, MARSEC %s", len(st), st["MSCI-SEG-1"], st["MARSEC-105-4"])
	}
	code, body := h.do("GET", "/api/v1/sites/t3/compliance?format=csv", "", nil)
	if code != 401 {
		t.Errorf("without a token: %d", code)
	}
	code, body = h.do("GET", "/api/v1/sites/t3/compliance?format=csv", store.Viewer, nil)
	if rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll(); code != 200 || err != nil || len(rows) < 10 {
		t.Errorf("csv: %d %v", code, err)
	}
	code, body = h.do("GET", "/api/v1/sites/t3/compliance?format=oscal", store.Viewer, nil)
	if code != 200 || !bytes.Contains(body, []byte(`"oscal-version": "1.1.3"`)) {
		t.Errorf("oscal: %d", code)
	}
	if code, _ := h.do("GET", "/api/v1/sites/t3/compliance?format=docx", store.Viewer, nil); code != 400 {
		t.Errorf("bad format: %d", code)
	}

	// Attest a MARSEC item.
	req := map[string]any{"control": "MARSEC-105-4", "by": "J. Officer", "statement": "in place", "at": at.Add(-time.Hour), "expires": at.Add(365 * 24 * time.Hour)}
	if code, _ := h.do("POST", "/api/v1/sites/t3/attestations", store.Viewer, req); code != 403 {
		t.Errorf("viewer attests: %d", code)
	}
	var a store.Attestation
	h.must(201, "POST", "/api/v1/sites/t3/attestations", store.Analyst, req, &a)
	if a.Author != "token:test-analyst" || a.ID == "" {
		t.Errorf("attestation %+v", a)
	}
	if st := status(); st["MARSEC-105-4"] != "attested" {
		t.Errorf("after attesting: %s", st["MARSEC-105-4"])
	}
	if code, _ := h.do("POST", "/api/v1/sites/t3/attestations", store.Analyst, map[string]any{"control": "NOPE-1", "by": "x", "statement": "y"}); code != 422 {
		t.Errorf("unknown control: %d", code)
	}
	h.must(204, "POST", "/api/v1/attestations/"+a.ID+"/withdraw", store.Analyst, nil, nil)
	if st := status(); st["MARSEC-105-4"] != "not-assessed" {
		t.Errorf("after withdrawing: %s", st["MARSEC-105-4"])
	}

	// The access register: the gateway's entry; the TOS workstation stays unregistered.
	entry := map[string]any{"system": "cms01", "holder": "Crane Vendor Support", "path": "gateway", "sources": []string{"10.20.0.10"}, "mfa": true, "attester": "J. Officer"}
	if code, _ := h.do("POST", "/api/v1/sites/t3/access", store.Analyst, entry); code != 403 {
		t.Errorf("analyst changes the register: %d", code)
	}
	var e store.AccessEntry
	h.must(200, "POST", "/api/v1/sites/t3/access", store.Admin, entry, &e)
	var reg struct {
		Entries      []store.AccessEntry
		Used         map[string]time.Time
		Unregistered []struct{ Src struct{ IP string } }
	}
	h.must(200, "GET", "/api/v1/sites/t3/access", store.Viewer, nil, &reg)
	if len(reg.Entries) != 1 || reg.Used[e.ID].IsZero() || len(reg.Unregistered) == 0 {
		t.Errorf("register %+v", reg)
	}
	for _, u := range reg.Unregistered {
		if u.Src.IP == "10.20.0.10" {
			t.Error("the registered gateway is unregistered")
		}
	}
	if code, _ := h.do("POST", "/api/v1/sites/t3/access", store.Admin, map[string]any{"system": "x", "holder": "y", "path": "teamviewer", "sources": []string{"1.2.3.4"}}); code != 422 {
		t.Errorf("bad path: %d", code)
	}
	h.must(204, "DELETE", "/api/v1/access/"+e.ID, store.Admin, nil, nil)

	// An incident from the RDP finding.
	var rdp string
	for _, f := range fs {
		if f.Rule == "remote-access.unmanaged" {
			rdp = f.ID
		}
	}
	var in store.Incident
	h.must(201, "POST", "/api/v1/sites/t3/incidents", store.Analyst, map[string]any{"findings": []string{rdp}}, &in)
	if code, _ := h.do("POST", "/api/v1/sites/t3/incidents", store.Analyst, map[string]any{"findings": []string{"HW-000000000000"}}); code != 404 {
		t.Errorf("unknown finding: %d", code)
	}
	h.must(200, "POST", "/api/v1/incidents/"+in.ID, store.Analyst, map[string]any{"status": "reported", "fields": map[string]string{"reporter": "J. Officer"}}, nil)
	var draft struct {
		Draft struct {
			Fields     []struct{ Key, Value, By string }
			Assessment struct{ Level string }
			Incident   store.Incident
		}
	}
	h.must(200, "GET", "/api/v1/incidents/"+in.ID, store.Viewer, nil, &draft)
	if len(draft.Draft.Fields) != 22 || draft.Draft.Fields[2].Value != "J. Officer" || draft.Draft.Incident.Status != "reported" || draft.Draft.Assessment.Level != "possible" {
		t.Errorf("draft %+v", draft.Draft)
	}
	code, body = h.do("GET", "/api/v1/incidents/"+in.ID+"/stix", store.Viewer, nil)
	var bundle struct{ Type string }
	if code != 200 || json.Unmarshal(body, &bundle) != nil || bundle.Type != "bundle" {
		t.Errorf("stix: %d %s", code, body)
	}
	var list struct{ Incidents []store.Incident }
	h.must(200, "GET", "/api/v1/incidents?site=t3", store.Viewer, nil, &list)
	if len(list.Incidents) != 1 {
		t.Errorf("incidents %+v", list)
	}

	// Every write is audited once, by action.
	var log struct{ Entries []store.AuditEntry }
	h.must(200, "GET", "/api/v1/audit", store.Admin, nil, &log)
	count := map[string]int{}
	for _, e := range log.Entries {
		if e.Result == "ok" {
			count[e.Action]++
		}
	}
	for action, want := range map[string]int{"attestation.add": 1, "attestation.withdraw": 1, "access.put": 1, "access.delete": 1, "incident.open": 1, "incident.update": 1} {
		if count[action] != want {
			t.Errorf("audit: %d ok %s, want %d (%v)", count[action], action, want, count)
		}
	}
	if strings.Contains(string(body), "<script") {
		t.Error("script in stix")
	}
}
