package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/server"
	"harborwatch/site"
	"harborwatch/store"
	"harborwatch/store/sqlstore"
)

const (
	exampleSite = "../examples/terminal/site.yaml"
	examplePcap = "../examples/terminal/terminal.pcap"
)

// env is a server with its console over a SQLite store, the example site
// loaded and analyzed, and users of each role.
type env struct {
	t     *testing.T
	srv   *server.Server
	st    store.Store
	ts    *httptest.Server
	token string // an admin API token
}

const password = "correct horse battery staple"

func newEnv(t *testing.T, captures ...[]byte) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlstore.Open(context.Background(), filepath.Join(dir, "hw.db"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st, Data: dir})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(srv, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Mount(c)
	ctx, cancel := context.WithCancel(context.Background())
	ts := httptest.NewUnstartedServer(nil)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ts.Listener, nil) }()
	e := &env{t: t, srv: srv, st: st, ts: ts}
	ts.URL = "http://" + ts.Listener.Addr().String()
	t.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
	tok, secret, err := server.NewToken("test", store.Admin, "", "test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	e.token = secret
	for _, role := range []string{store.Viewer, store.Analyst, store.Admin} {
		u, err := server.NewUser(role+"1", role, password, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	e.api("PUT", "/api/v1/sites/t3", readFile(t, exampleSite), 200)
	name := "terminal.pcap"
	if len(captures) == 0 {
		captures = [][]byte{readFile(t, examplePcap)}
	} else {
		name = "<b>x</b><script>alert(0)<\\script>.pcap" // hostile, and no '/' that would cut it
	}
	for _, cp := range captures {
		var r struct{ ID string }
		json.Unmarshal(e.api("POST", "/api/v1/sites/t3/captures?name="+url.QueryEscape(name), cp, 202), &r)
		e.wait(r.ID)
	}
	return e
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *env) api(method, path string, body []byte, want int) []byte {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.ts.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return b
}

func (e *env) wait(id string) {
	e.t.Helper()
	for range 600 {
		var c store.Capture
		json.Unmarshal(e.api("GET", "/api/v1/captures/"+id, nil, 200), &c)
		if c.Status == store.Done {
			return
		}
		if c.Status == store.Failed {
			e.t.Fatalf("capture %s failed: %s", id, c.Error)
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("capture %s not analyzed", id)
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (int, string) {
	b.e.t.Helper()
	resp, err := b.c.Get(b.e.ts.URL + path)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusSeeOther {
		return resp.StatusCode, resp.Header.Get("Location")
	}
	return resp.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values) (int, string) {
	b.e.t.Helper()
	resp, err := b.c.PostForm(b.e.ts.URL+path, form)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusSeeOther {
		return resp.StatusCode, resp.Header.Get("Location")
	}
	return resp.StatusCode, string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (b *browser) login(user string) string {
	b.e.t.Helper()
	code, loc := b.post("/login", url.Values{"username": {user}, "password": {password}, "next": {"/findings"}})
	if code != http.StatusSeeOther || loc != "/findings" {
		b.e.t.Fatalf("login %s: %d %s", user, code, loc)
	}
	_, page := b.get("/")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		b.e.t.Fatalf("no CSRF token on the overview:\n%.2000s", page)
	}
	return m[1]
}

var findingLink = regexp.MustCompile(`href="/findings/t3/(HW-[0-9A-F]+)"`)

// TestConsoleFlow: log in, read the overview, filter findings, open one,
// acknowledge it with a reason, see its state, its timeline and the audit
// entry change; log out ends the session.
func TestConsoleFlow(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	if code, loc := b.get("/findings"); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
		t.Fatalf("findings without a session: %d %s", code, loc)
	}
	if code, body := b.post("/login", url.Values{"username": {"analyst1"}, "password": {"wrong password!"}}); code != 401 || !strings.Contains(body, "Wrong username or password") {
		t.Fatalf("wrong password: %d", code)
	}
	csrf := b.login("analyst1")
	_, ov := b.get("/")
	for _, want := range []string{"Terminal 3", "STS-01", "STS-02", "ZPMC", "Open findings", "Latest captures"} {
		if !strings.Contains(ov, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	code, list := b.get("/findings?site=t3&state=open&severity=critical")
	if code != 200 {
		t.Fatalf("findings: %d", code)
	}
	ids := findingLink.FindAllStringSubmatch(list, -1)
	if len(ids) == 0 {
		t.Fatal("no critical open finding listed")
	}
	if strings.Contains(list, `sev-high">high`) {
		t.Error("a high finding is listed under severity=critical")
	}
	id := ids[0][1]
	_, page := b.get("/findings/t3/" + id)
	for _, want := range []string{"What was seen", "Why it matters", "Suggested fix", "Path", "Evidence", "Timeline", "tshark -r", "ATT&amp;CK"} {
		if !strings.Contains(page, want) {
			t.Errorf("finding page lacks %q", want)
		}
	}
	// Without the CSRF token: refused.
	if code, _ := b.post("/findings/t3/"+id+"/state", url.Values{"state": {"acknowledged"}, "reason": {"x"}}); code != 403 {
		t.Errorf("state change without CSRF: %d, want 403", code)
	}
	// Without a reason: refused.
	if code, _ := b.post("/findings/t3/"+id+"/state", url.Values{"csrf": {csrf}, "state": {"acknowledged"}}); code != 400 {
		t.Errorf("acknowledge without a reason: %d, want 400", code)
	}
	code, loc := b.post("/findings/t3/"+id+"/state", url.Values{"csrf": {csrf}, "state": {"acknowledged"}, "reason": {"work order 7781"}})
	if code != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d %s", code, loc)
	}
	_, page = b.get(loc)
	if !strings.Contains(page, `id="state">acknowledged`) || !strings.Contains(page, "work order 7781") || !strings.Contains(page, "user:analyst1") {
		t.Errorf("after acknowledging, the page does not show the state, reason and who")
	}
	if _, acked := b.get("/findings?state=acknowledged"); !strings.Contains(acked, id) {
		t.Error("state=acknowledged does not list it")
	}
	var log struct{ Entries []store.AuditEntry }
	json.Unmarshal(e.api("GET", "/api/v1/audit?limit=10000", nil, 200), &log)
	found := false
	for _, en := range log.Entries {
		if en.Action == "finding.state" && en.Actor == "user:analyst1" && strings.HasSuffix(en.Target, id) && en.Result == "ok" {
			found = true
		}
	}
	if !found {
		t.Error("the audit log lacks the acknowledgement")
	}
	// Bulk: resolve two with a reason.
	if len(ids) > 2 {
		form := url.Values{"csrf": {csrf}, "action": {"resolved"}, "reason": {"firewall rule 12"}, "f": {"t3/" + ids[1][1], "t3/" + ids[2][1]}, "back": {"/findings?state=resolved"}}
		if code, loc := b.post("/findings/bulk", form); code != http.StatusSeeOther {
			t.Errorf("bulk: %d %s", code, loc)
		}
		_, res := b.get("/findings?state=resolved")
		if !strings.Contains(res, ids[1][1]) || !strings.Contains(res, ids[2][1]) {
			t.Error("bulk-resolved findings are not listed as resolved")
		}
	}
	// Log out: the session ends.
	if code, loc := b.post("/logout", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther || loc != "/login" {
		t.Fatalf("logout: %d %s", code, loc)
	}
	if code, _ := b.get("/"); code != http.StatusSeeOther {
		t.Errorf("after logout the overview answers %d", code)
	}
}

// TestViewerReadsOnly: a viewer sees no write control, and a forged POST
// (with its own valid CSRF token) is refused with 403 and audited.
func TestViewerReadsOnly(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	csrf := b.login("viewer1")
	_, list := b.get("/findings")
	id := findingLink.FindStringSubmatch(list)[1]
	_, page := b.get("/findings/t3/" + id)
	for _, p := range []string{list, page} {
		for _, ctl := range []string{`name="f"`, `id="bulk-apply"`, `id="set-state"`, `authorized change`} {
			if strings.Contains(p, ctl) {
				t.Errorf("a viewer's page shows %s", ctl)
			}
		}
	}
	for _, path := range []string{"/findings/t3/" + id + "/state", "/findings/bulk", "/admin/users", "/admin/tokens"} {
		code, _ := b.post(path, url.Values{"csrf": {csrf}, "state": {"resolved"}, "reason": {"x"}, "f": {"t3/" + id}, "action": {"resolved"},
			"name": {"mallory"}, "role": {"admin"}, "password": {"aaaaaaaaaaaaaaaa"}})
		if code != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d, want 403", path, code)
		}
	}
	if code, _ := b.get("/admin"); code != http.StatusForbidden {
		t.Errorf("viewer GET /admin: %d, want 403", code)
	}
	f, err := e.st.Finding(context.Background(), "t3", id)
	if err != nil || f.State != store.Open {
		t.Errorf("the finding changed: %s %v", f.State, err)
	}
	var log struct{ Entries []store.AuditEntry }
	json.Unmarshal(e.api("GET", "/api/v1/audit?limit=10000", nil, 200), &log)
	denied := 0
	for _, en := range log.Entries {
		if en.Actor == "user:viewer1" && en.Result == "denied" {
			denied++
		}
	}
	if denied != 4 {
		t.Errorf("%d denials of viewer1 audited, want 4", denied)
	}
	// The API with the session cookie: reads yes, writes need the CSRF header.
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/findings", nil)
	resp, _ := b.c.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("API read with the session cookie: %d", resp.StatusCode)
	}
}

// TestEveryPage: each console page renders for an admin; every page
// needs a session.
func TestEveryPage(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	_, list := func() (int, string) { b.login("admin1"); return b.get("/findings") }()
	id := findingLink.FindStringSubmatch(list)[1]
	f, _ := e.st.Finding(context.Background(), "t3", id)
	c, _ := New(e.srv, nil)
	for _, rt := range c.Routes() {
		method, path, _ := strings.Cut(rt, " ")
		if method != "GET" {
			continue
		}
		rid := id
		if strings.HasPrefix(path, "/assets/") {
			as, _ := e.st.Assets(context.Background(), "t3")
			rid = as[0].ID
		}
		if strings.HasPrefix(path, "/incidents/") {
			rid = openIncident(t, e, id)
		}
		p := strings.NewReplacer("{$}", "", "{site}", "t3", "{id}", rid, "{capture}", f.Evidence[0].Capture+".pcap").Replace(path)
		if p == "/findings/t3/"+id+"/authorize" {
			p += "?reason=planned"
		}
		code, body := b.get(p)
		want := 200
		if strings.HasSuffix(path, "/evidence.pcap") {
			want = 404 // an analyzed capture's finding: no sensor's file (TestSensorEvidence)
		}
		if code != want {
			t.Errorf("GET %s: %d: %.300s", p, code, body)
		}
		anon := e.browser()
		if code, _ := anon.get(p); p != "/login" && code != http.StatusSeeOther {
			t.Errorf("GET %s without a session: %d, want a redirect to the login", p, code)
		}
	}
	// The evidence pcap is a capture of the finding's packets.
	resp, err := b.c.Get(e.ts.URL + "/findings/t3/" + id + "/evidence/" + f.Evidence[0].Capture + ".pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	src, err := capture.NewReader(resp.Body, "evidence")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var pk capture.Packet
	for src.Next(&pk) == nil {
		n++
	}
	if n != len(f.Evidence[0].Packets) {
		t.Errorf("evidence pcap holds %d packets, want %d", n, len(f.Evidence[0].Packets))
	}
}

// TestHostileNames: names with HTML and script from a capture (a DNS
// query, an HTTP host, a TLS server name, an upload's name) are escaped
// on every page.
func TestHostileNames(t *testing.T) {
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	m, err := site.Load(exampleSite)
	if err != nil {
		t.Fatal(err)
	}
	plc := synth.Host{Name: "plc", MAC: [6]byte{0, 0, 0xbc, 1, 0, 5}, IP: netip.MustParseAddr("10.10.1.5")}
	ext := synth.Host{Name: "x", MAC: [6]byte{0, 0x1b, 0x17, 0, 0, 1}, IP: netip.MustParseAddr("198.51.100.99")}
	_ = m
	bld := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	bld.UDP(plc, ext, 40001, 53, synth.Exchange{Data: synth.DNSQuery(7, evil+".example", 1)})
	bld.TCPSession(plc, ext, 40002, 80, synth.Exchange{Data: synth.HTTPRequest("GET", evil, "/")})
	bld.TCPSession(plc, ext, 40003, 443, synth.Exchange{Data: synth.TLSClientHello(bld.Rand(), `"><svg onload=alert(3)>`)})
	if err := bld.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, buf.Bytes())
	b := e.browser()
	b.login("admin1")
	_, list := b.get("/findings")
	ids := findingLink.FindAllStringSubmatch(list, -1)
	if len(ids) == 0 {
		t.Fatal("the hostile capture made no finding")
	}
	pages := []string{"/", "/findings", "/assets", "/cranes", "/zones", "/zones/drawing.svg?site=t3", "/events?limit=1000", "/captures", "/admin", "/admin/audit", "/suppressions"}
	for _, id := range ids {
		pages = append(pages, "/findings/t3/"+id[1])
	}
	sawEvil := false
	for _, p := range pages {
		code, body := b.get(p)
		if code != 200 {
			t.Errorf("GET %s: %d", p, code)
			continue
		}
		for _, bad := range []string{"<script>alert", "<img src=x", "<svg onload", "onerror=alert(2)>"} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s shows %q unescaped", p, bad)
			}
		}
		if strings.Contains(body, "&lt;script&gt;alert") {
			sawEvil = true
		}
	}
	if !sawEvil {
		t.Error("no page shows the hostile names at all (escaped): the test proves nothing")
	}
}

// TestSiteEdit: an admin edits site.yaml in the console; a bad model is
// refused with site check's line:column problems and nothing is saved.
func TestSiteEdit(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	csrf := b.login("admin1")
	bad := "version: 1\nzones:\n  - id: a\n    kind: business\n    cidrs: [10.0.0.0/33]\n"
	code, body := b.post("/admin/sites/t3", url.Values{"csrf": {csrf}, "yaml": {bad}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "line 5, column") || !strings.Contains(body, "10.0.0.0/33") {
		t.Fatalf("a bad site model: %d\n%.3000s", code, body)
	}
	if s, _ := e.st.Site(context.Background(), "t3"); strings.Contains(s.YAML, "10.0.0.0/33") {
		t.Error("the bad model was saved")
	}
	good := string(readFile(t, exampleSite)) + "\n# edited in the console\n"
	if code, loc := b.post("/admin/sites/t3", url.Values{"csrf": {csrf}, "yaml": {good}}); code != http.StatusSeeOther {
		t.Fatalf("a good site model: %d %s", code, loc)
	}
	if s, _ := e.st.Site(context.Background(), "t3"); !strings.Contains(s.YAML, "edited in the console") || s.By != "user:admin1" {
		t.Errorf("the site was not saved by admin1: by %q", s.By)
	}
}
