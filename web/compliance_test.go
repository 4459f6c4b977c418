package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"harborwatch/server"
	"harborwatch/store"
)

// openIncident opens an incident of site t3 from a finding, as an analyst.
func openIncident(t *testing.T, e *env, finding string) string {
	t.Helper()
	in, err := e.srv.OpenIncident(context.Background(), &server.Principal{Actor: "user:analyst1", Role: store.Analyst}, "", "t3", []string{finding}, "")
	if err != nil {
		t.Fatal(err)
	}
	return in.ID
}

// TestCompliancePages: the compliance page shows every control with its
// status and evidence; an analyst attests a control with a document
// (hashed) and it becomes attested; the printable report and the CSV
// plan of action are served; an admin adds an access entry; an incident
// opened from a finding shows its draft and takes a person's fields; a
// viewer can read but not write; hostile text is escaped; every write
// is audited.
func TestCompliancePages(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	csrf := b.login("analyst1")
	code, page := b.get("/compliance?site=t3")
	if code != 200 || strings.Count(page, `<tr id="MSCI-`)+strings.Count(page, `<tr id="USCG-`)+strings.Count(page, `<tr id="MARSEC-`) != 65 {
		t.Fatalf("compliance page: %d, %d controls", code, strings.Count(page, `<tr id="`))
	}
	if !regexp.MustCompile(`(?s)<tr id="MSCI-SEG-1">.*?state-not-satisfied`).MatchString(page) || !strings.Contains(page, `href="/findings/t3/HW-`) {
		t.Error("MSCI-SEG-1 is not shown not satisfied with its findings")
	}

	// Attest with a document: multipart, hashed.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"csrf": csrf, "control": "MARSEC-105-5", "by": "<b>J. Officer</b>", "statement": "measures in place <script>x</script>", "days": "365", "back": "/compliance?site=t3"} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("document", "annex.pdf")
	fw.Write([]byte("annex"))
	mw.Close()
	resp, err := b.c.Post(e.ts.URL+"/compliance/t3/attest", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("attest: %d", resp.StatusCode)
	}
	_, page = b.get("/compliance?site=t3")
	if !regexp.MustCompile(`(?s)<tr id="MARSEC-105-5">.*?state-attested`).MatchString(page) {
		t.Error("MARSEC-105-5 is not attested after attesting")
	}
	// sha256("annex")
	if !strings.Contains(page, "b119bda4207bd15e9e1f63063b558917301ec18c4ff21d91964f66bf90a7d522") || !strings.Contains(page, "annex.pdf") {
		t.Error("the document's hash is not shown")
	}
	if strings.Contains(page, "<script>x</script>") || strings.Contains(page, "<b>J. Officer</b>") {
		t.Error("attestation text is not escaped")
	}
	as, _ := e.st.Attestations(context.Background(), "t3")
	if len(as) != 1 || as[0].DocSHA256 != "b119bda4207bd15e9e1f63063b558917301ec18c4ff21d91964f66bf90a7d522" || as[0].Author != "user:analyst1" || as[0].Expires.Sub(as[0].At) != 365*24*time.Hour {
		t.Fatalf("stored %+v", as)
	}
	if code, loc := b.post("/compliance/attestations/"+as[0].ID+"/withdraw", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther {
		t.Errorf("withdraw: %d %s", code, loc)
	}

	code, rep := b.get("/compliance/t3/report")
	if code != 200 || !strings.Contains(rep, "Plan of action and milestones") {
		t.Errorf("report: %d", code)
	}
	code, csvBody := b.get("/compliance/t3/poam.csv")
	if rows, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll(); code != 200 || err != nil || len(rows) < 10 {
		t.Errorf("poam: %d %v", code, err)
	}

	// The analyst may not change the access register; the admin may.
	if code, _ := b.post("/access/t3", url.Values{"csrf": {csrf}, "system": {"cms01"}, "holder": {"v"}, "path": {"gateway"}, "sources": {"10.20.0.10"}}); code != http.StatusForbidden {
		t.Errorf("analyst adds an access entry: %d", code)
	}
	ab := e.browser()
	acsrf := ab.login("admin1")
	if code, loc := ab.post("/access/t3", url.Values{"csrf": {acsrf}, "system": {"cms01"}, "holder": {"Crane Vendor <i>Support</i>"}, "path": {"gateway"},
		"sources": {"10.20.0.10"}, "mfa": {"on"}, "attester": {"J. Officer"}, "back": {"/access?site=t3"}}); code != http.StatusSeeOther {
		t.Fatalf("admin adds: %d %s", code, loc)
	}
	_, page = ab.get("/access?site=t3")
	if !strings.Contains(page, "Crane Vendor &lt;i&gt;Support&lt;/i&gt;") || !strings.Contains(page, "10.50.7.77 → 10.10.9.30") {
		t.Errorf("access page lacks the entry or the unregistered RDP:\n%.3000s", page)
	}
	if code, _ := ab.post("/access/t3", url.Values{"csrf": {acsrf}, "system": {"x"}, "holder": {"y"}, "path": {"teamviewer"}, "sources": {"1.2.3.4"}}); code != 422 {
		t.Errorf("bad path: %d", code)
	}

	// An incident from a finding: the draft, a person's field, the STIX.
	_, list := b.get("/findings?rule=remote-access.unmanaged")
	fid := findingLink.FindStringSubmatch(list)[1]
	_, fpage := b.get("/findings/t3/" + fid)
	if !strings.Contains(fpage, `href="/incidents?site=t3&amp;findings=`+fid+`"`) {
		t.Error("the finding page does not offer to open an incident")
	}
	if _, ipage := b.get("/incidents?site=t3&findings=" + fid); !strings.Contains(ipage, ">"+fid+"</textarea>") {
		t.Error("the incidents form is not filled with the finding")
	}
	code, loc := b.post("/incidents", url.Values{"csrf": {csrf}, "site": {"t3"}, "findings": {fid}})
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/incidents/I") {
		t.Fatalf("open incident: %d %s", code, loc)
	}
	iid := strings.TrimPrefix(strings.Split(loc, "?")[0], "/incidents/")
	_, page = b.get("/incidents/" + iid)
	if !strings.Contains(page, "Reportable? possible") || strings.Count(page, `name="field.`) != 22 || !strings.Contains(page, "1-800-424-8802") {
		t.Errorf("incident page:\n%.2000s", page)
	}
	if code, _ := b.post("/incidents/"+iid, url.Values{"csrf": {csrf}, "status": {"reported"}, "field.reporter": {"J. Officer"}, "note": {"NRC called"}}); code != http.StatusSeeOther {
		t.Errorf("update: %d", code)
	}
	in, _ := e.st.Incident(context.Background(), iid)
	if in.Status != "reported" || in.Fields["reporter"] != "J. Officer" || !strings.Contains(in.Notes, "NRC called") {
		t.Errorf("incident %+v", in)
	}
	if code, stix := b.get("/incidents/" + iid + "/stix"); code != 200 || !strings.Contains(stix, `"type": "bundle"`) {
		t.Errorf("stix: %d", code)
	}

	// A viewer reads, does not write.
	vb := e.browser()
	vcsrf := vb.login("viewer1")
	if code, _ := vb.get("/incidents/" + iid); code != 200 {
		t.Errorf("viewer reads the incident: %d", code)
	}
	if code, _ := vb.post("/incidents/"+iid, url.Values{"csrf": {vcsrf}, "status": {"closed"}}); code != http.StatusForbidden {
		t.Errorf("viewer updates: %d", code)
	}
	if code, _ := vb.post("/compliance/t3/attest", url.Values{"csrf": {vcsrf}, "control": {"MSCI-PHY-1"}, "by": {"x"}, "statement": {"y"}}); code != http.StatusForbidden {
		t.Errorf("viewer attests: %d", code)
	}

	log, _ := e.st.AuditLog(context.Background(), 0, 0)
	count := map[string]int{}
	for _, a := range log {
		if a.Result == "ok" {
			count[a.Action]++
		}
	}
	for action, want := range map[string]int{"attestation.add": 1, "attestation.withdraw": 1, "access.put": 1, "incident.open": 1, "incident.update": 1} {
		if count[action] != want {
			t.Errorf("audit %s: %d, want %d", action, count[action], want)
		}
	}
}
