package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"harborwatch/store"
)

// concrete turns a route pattern into a path to request.
func concrete(path string) string {
	return pathParam.ReplaceAllString(path, "x1")
}

// TestEveryRouteNeedsAToken enumerates the routes from the router: each
// one that is not public answers 401 without a token, with a malformed
// one, an unknown one, an expired one and a revoked one; each write
// answers 403 to a viewer; and every denial is in the audit log.
func TestEveryRouteNeedsAToken(t *testing.T) {
	h := startServer(t, t.TempDir(), nil)
	expired := h.token(store.Admin, "old", "1s")
	revokedTok, revoked, _ := NewToken("gone", store.Admin, "", "test", time.Now())
	if err := h.st.AddToken(t.Context(), revokedTok); err != nil {
		t.Fatal(err)
	}
	h.must(204, "DELETE", "/api/v1/tokens/"+revokedTok.ID, store.Admin, nil, nil)
	time.Sleep(1100 * time.Millisecond) // "old" expires

	routes := h.srv.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes enumerated", len(routes))
	}
	denials := 0
	for _, rt := range routes {
		path := concrete(rt.Path)
		if rt.Public {
			if rt.Path != "/healthz" && rt.Path != "/api/v1/login" {
				t.Errorf("%s %s is public: only /healthz and login may be", rt.Method, rt.Path)
			}
			continue
		}
		for _, tok := range []string{"", "Bearer", "hw_notarealtoken", expired, revoked} {
			req, _ := http.NewRequest(rt.Method, h.url+path, strings.NewReader("{}"))
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with token %.12q: %d, want 401", rt.Method, path, tok, resp.StatusCode)
			}
			denials++
		}
		if rt.Role != store.Viewer {
			if code, body := h.do(rt.Method, path, store.Viewer, map[string]string{}); code != http.StatusForbidden {
				t.Errorf("%s %s as viewer: %d, want 403: %s", rt.Method, path, code, body)
			}
			denials++
		}
		if rt.Role == store.Admin {
			if code, _ := h.do(rt.Method, path, store.Analyst, map[string]string{}); code != http.StatusForbidden {
				t.Errorf("%s %s as analyst: %d, want 403", rt.Method, path, code)
			}
			denials++
		}
	}
	// An unknown path is 401 without a token too (nothing is told).
	if code, _ := h.do("GET", "/api/v1/nothing-here", "", nil); code != 401 {
		t.Errorf("unknown path without a token: %d, want 401", code)
	}
	denials++
	var log struct{ Entries []store.AuditEntry }
	h.must(200, "GET", "/api/v1/audit?limit=10000", store.Admin, nil, &log)
	got := 0
	for _, e := range log.Entries {
		if e.Result == "denied" {
			got++
		}
	}
	if got != denials {
		t.Errorf("audit log holds %d denials, want %d", got, denials)
	}
}

func TestUploadLimit(t *testing.T) {
	h := startServer(t, t.TempDir(), func(c *Config) { c.MaxUpload = 64 << 10 })
	h.must(200, "PUT", "/api/v1/sites/t3", store.Admin, readFile(t, exampleSite), nil)
	code, body := h.do("POST", "/api/v1/sites/t3/captures", store.Analyst, readFile(t, examplePcap))
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized upload: %d, want 413: %s", code, body)
	}
	// Without a Content-Length (chunked): cut off while streaming.
	code, body = h.do("POST", "/api/v1/sites/t3/captures", store.Analyst, struct{ *bytes.Reader }{bytes.NewReader(readFile(t, examplePcap))})
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized chunked upload: %d, want 413: %s", code, body)
	}
	if code, _ := h.do("POST", "/api/v1/sites/t3/captures", store.Analyst, []byte("GET / HTTP/1.0\r\n\r\nnot a capture")); code != http.StatusUnsupportedMediaType {
		t.Errorf("a non-capture upload: %d, want 415", code)
	}
	if code, _ := h.do("POST", "/api/v1/sites/nosuch/captures", store.Analyst, readFile(t, examplePcap)[:1000]); code != http.StatusNotFound {
		t.Errorf("upload to an unknown site: %d, want 404", code)
	}
	var cs struct{ Captures []store.Capture }
	h.must(200, "GET", "/api/v1/captures", store.Viewer, nil, &cs)
	if len(cs.Captures) != 0 {
		t.Errorf("refused uploads left %d captures", len(cs.Captures))
	}
}

func TestSiteProblems(t *testing.T) {
	h := startServer(t, t.TempDir(), nil)
	var out struct {
		Problems []struct {
			Line, Column int
			Message      string
		}
	}
	h.must(422, "PUT", "/api/v1/sites/bad", store.Admin, []byte("version: 1\nzones:\n  - id: a\n    kind: business\n    cidrs: [10.0.0.0/33]\n"), &out)
	if len(out.Problems) == 0 || out.Problems[0].Line != 5 || !strings.Contains(out.Problems[0].Message, "10.0.0.0/33") {
		t.Errorf("problems: %+v", out.Problems)
	}
	if code, _ := h.do("GET", "/api/v1/sites/bad", store.Viewer, nil); code != 404 {
		t.Errorf("a refused site was stored (GET: %d)", code)
	}
}

// TestSQLMetacharacters: filters carrying SQL change nothing.
func TestSQLMetacharacters(t *testing.T) {
	h := startServer(t, t.TempDir(), nil)
	h.must(200, "PUT", "/api/v1/sites/t3", store.Admin, readFile(t, exampleSite), nil)
	if c := h.waitCapture(upload(h, "t3", examplePcap)); c.Status != store.Done {
		t.Fatal(c.Error)
	}
	all := h.allFindings("")
	for _, bad := range []string{"' OR 1=1 --", "t3' OR '1'='1", `%`, `_`, `t3"; DROP TABLE findings; --`, `\`, "t3%", "*"} {
		q := "site=" + urlq(bad) + "&rule=" + urlq(bad)
		if fs := h.allFindings("site=" + urlq(bad)); len(fs) != 0 {
			t.Errorf("site=%q matched %d findings", bad, len(fs))
		}
		if fs := h.allFindings(q); len(fs) != 0 {
			t.Errorf("%s matched %d findings", q, len(fs))
		}
		if fs := h.allFindings("q=" + urlq(bad)); len(fs) != 0 && bad != "_" {
			t.Errorf("q=%q matched %d findings", bad, len(fs))
		}
		code, _ := h.do("GET", "/api/v1/events?site="+urlq(bad)+"&proto="+urlq(bad)+"&op="+urlq(bad), store.Viewer, nil)
		if code != 200 {
			t.Errorf("events with %q: %d", bad, code)
		}
		code, _ = h.do("GET", "/api/v1/assets?site="+urlq(bad), store.Viewer, nil)
		if code != 200 {
			t.Errorf("assets with %q: %d", bad, code)
		}
	}
	if after := h.allFindings(""); len(after) != len(all) {
		t.Errorf("findings before %d, after %d", len(all), len(after))
	}
}

// TestLoginThrottle: 20 failed logins in a row are slowed down (429 with
// Retry-After, even with the right password), all in the audit log.
func TestLoginThrottle(t *testing.T) {
	h := startServer(t, t.TempDir(), nil)
	u, err := NewUser("alice", store.Analyst, "correct horse battery staple", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.st.AddUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token, Role string }
	h.must(200, "POST", "/api/v1/login", "", map[string]string{"username": "alice", "password": "correct horse battery staple"}, &tok)
	if tok.Role != store.Analyst || tok.Token == "" {
		t.Fatalf("login: %+v", tok)
	}
	h.tokens["alice"] = tok.Token
	h.must(200, "GET", "/api/v1/findings", "alice", nil, nil)

	codes := map[int]int{}
	for i := range 20 {
		code, _ := h.do("POST", "/api/v1/login", "", map[string]string{"username": "alice", "password": fmt.Sprintf("wrong-%d", i)})
		codes[code]++
	}
	if codes[401] == 0 || codes[429] == 0 || codes[401]+codes[429] != 20 {
		t.Errorf("20 failed logins answered %v, want some 401 then 429", codes)
	}
	if code, _ := h.do("POST", "/api/v1/login", "", map[string]string{"username": "alice", "password": "correct horse battery staple"}); code != 429 {
		t.Errorf("the right password while throttled: %d, want 429", code)
	}
	var log struct{ Entries []store.AuditEntry }
	h.must(200, "GET", "/api/v1/audit", store.Admin, nil, &log)
	n := map[string]int{}
	for _, e := range log.Entries {
		if e.Action == "login" {
			n[e.Result]++
			if e.Target != "user:alice" || e.Remote != "127.0.0.1" {
				t.Errorf("login entry %+v", e)
			}
		}
	}
	if n["ok"] != 1 || n["denied"] != codes[401] || n["throttled"] != codes[429]+1 {
		t.Errorf("audit log logins %v, want 1 ok, %d denied, %d throttled", n, codes[401], codes[429]+1)
	}
	if _, err := store.VerifyChain("", 0, log.Entries); err != nil {
		t.Errorf("the chain of the served audit log: %v", err)
	}
}

// TestOpenAPIListsTheRoutes: the document lists exactly the served routes.
func TestOpenAPIListsTheRoutes(t *testing.T) {
	h := startServer(t, t.TempDir(), nil)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	h.must(200, "GET", "/api/v1/openapi.json", store.Viewer, nil, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	listed := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			listed[strings.ToUpper(m)+" "+p] = true
		}
	}
	served := map[string]bool{}
	for _, rt := range h.srv.Routes() {
		served[rt.Method+" "+rt.Path] = true
		if !listed[rt.Method+" "+rt.Path] {
			t.Errorf("%s %s is served but not in openapi.json", rt.Method, rt.Path)
		}
	}
	for k := range listed {
		if !served[k] {
			t.Errorf("%s is in openapi.json but not served", k)
		}
	}
	raw, _ := json.Marshal(doc)
	if len(raw) < 1000 {
		t.Errorf("openapi.json is only %d bytes", len(raw))
	}
}

func urlq(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", "+", "%2B", " ", "%20", "'", "%27", `"`, "%22", ";", "%3B", `\`, "%5C").Replace(s)
}

// TestLoginUnknownUser: a name that does not exist is refused as a wrong
// password is (the check of the dummy hash, made at this first use).
func TestLoginUnknownUser(t *testing.T) {
	h := startServer(t, t.TempDir(), nil)
	code, body := h.do("POST", "/api/v1/login", "", map[string]string{"username": "nobody", "password": "correct horse battery staple"})
	if code != 401 || !strings.Contains(string(body), "wrong username or password") {
		t.Errorf("login of an unknown user: %d %s, want 401", code, body)
	}
}
