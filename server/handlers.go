package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"harborwatch/auth"
	"harborwatch/finding"
	"harborwatch/site"
	"harborwatch/store"
)

// sessionPrefix names the tokens a login makes.
const sessionPrefix = "session:"

// SessionTTL is how long a login's session token lasts.
const SessionTTL = 12 * time.Hour

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func pathID(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if !idPattern.MatchString(v) {
		return "", errorf(http.StatusBadRequest, "%s %q is not an id (letters, digits, '.', '_', '-'; at most 64)", name, v)
	}
	return v, nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ *Principal) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	s.metrics.handler(s).ServeHTTP(w, r)
	return nil
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var req loginRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	p.target, p.Actor = "user:"+req.Username, "anonymous"
	secret, u, exp, err := s.login0(r.Context(), req.Username, req.Password, remote(r))
	var te *ThrottledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(int(te.Wait.Seconds()+0.999)))
		return &apiError{status: http.StatusTooManyRequests, msg: te.Error()}
	case errors.Is(err, ErrBadLogin):
		return errorf(http.StatusUnauthorized, "%v", err)
	case err != nil:
		return err
	}
	p.Actor, p.Role = "user:"+u.Name, u.Role
	writeJSON(w, http.StatusOK, map[string]any{"token": secret, "role": u.Role, "expires": exp})
	return nil
}

// dummyHash is checked against when the user does not exist. It is made
// at the first login of an unknown name, not at start: a hash costs 64 MiB
// and a good part of a second, which no other command should pay.
var dummyHash = sync.OnceValue(func() string {
	h, err := auth.HashPassword("harborwatch-no-such-user-placeholder")
	if err != nil {
		panic(err)
	}
	return h
})

type siteSummary struct {
	ID      string    `json:"id"`
	Updated time.Time `json:"updated"`
	By      string    `json:"by"`
}

func (s *Server) listSites(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	ss, err := s.st.Sites(r.Context())
	if err != nil {
		return err
	}
	out := make([]siteSummary, len(ss))
	for i, x := range ss {
		out[i] = siteSummary{x.ID, x.Updated, x.By}
	}
	writeList(w, "sites", out)
	return nil
}

// getByID answers the object get returns for the id in the path value
// name.
func getByID[T any](name string, get func(context.Context, string) (T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ *Principal) error {
		id, err := pathID(r, name)
		if err != nil {
			return err
		}
		x, err := get(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, x)
		return nil
	}
}

// writeList answers {key: xs, …extra}, an empty list rather than null.
func writeList[T any](w http.ResponseWriter, key string, xs []T, extra ...any) {
	if xs == nil {
		xs = []T{}
	}
	m := map[string]any{key: xs}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	writeJSON(w, http.StatusOK, m)
}

// problem is one problem of a site model, as the API answers it.
type problem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// modelSummary is the parsed form of a site kept beside its text.
type modelSummary struct {
	Facility      site.Facility `json:"facility"`
	Zones         []string      `json:"zones"`
	Cranes        []string      `json:"cranes"`
	Conduits      int           `json:"conduits"`
	Assets        int           `json:"assets"`
	ChangeWindows int           `json:"change_windows"`
	Gateways      int           `json:"remote_access_gateways"`
}

func (s *Server) putSite(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "site")
	if err != nil {
		return err
	}
	p.target = "site:" + id
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	m, err := site.Parse(id+".yaml", body)
	if err != nil {
		var ps site.Problems
		if !errors.As(err, &ps) {
			ps = site.Problems{{Msg: err.Error()}}
		}
		out := make([]problem, len(ps))
		for i, x := range ps {
			out[i] = problem{x.Line, x.Col, x.Msg}
		}
		p.detail = map[string]any{"problems": len(out)}
		return &apiError{status: http.StatusUnprocessableEntity, msg: "the site model has problems", body: map[string]any{"problems": out}}
	}
	sum := modelSummary{Facility: m.Facility, Conduits: len(m.Conduits), Assets: len(m.Assets), ChangeWindows: len(m.ChangeWindows), Gateways: len(m.RemoteAccess.Gateways)}
	for _, z := range m.Zones {
		sum.Zones = append(sum.Zones, z.ID)
	}
	for _, c := range m.Cranes {
		sum.Cranes = append(sum.Cranes, c.ID)
	}
	model, _ := json.Marshal(sum)
	x := store.Site{ID: id, YAML: string(body), Model: string(model), Updated: s.now().UTC(), By: p.Actor}
	if err := s.st.PutSite(r.Context(), x); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "model": sum})
	return nil
}

func (s *Server) listCaptures(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	limit, err := queryInt(r, "limit", 100, 1000)
	if err != nil {
		return err
	}
	cs, err := s.st.Captures(r.Context(), r.URL.Query().Get("site"), limit)
	if err != nil {
		return err
	}
	writeList(w, "captures", cs)
	return nil
}

func (s *Server) listFindings(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	q := r.URL.Query()
	fq := store.FindingQuery{Site: q.Get("site"), Rule: q.Get("rule"), State: q.Get("state"), Text: q.Get("q"), Cursor: q.Get("cursor"), Now: s.now()}
	if v := q.Get("severity"); v != "" {
		sev, err := finding.ParseSeverity(v)
		if err != nil {
			return errorf(http.StatusBadRequest, "severity: %v", err)
		}
		fq.Severity = sev.String()
	}
	if fq.State != "" && !store.ValidState(fq.State) && fq.State != store.Suppressed {
		return errorf(http.StatusBadRequest, "state %q is not one of open, acknowledged, resolved, suppressed", fq.State)
	}
	limit, err := queryInt(r, "limit", 100, 1000)
	if err != nil {
		return err
	}
	fq.Limit = limit
	fs, next, err := s.st.Findings(r.Context(), fq)
	if err != nil {
		return err
	}
	writeList(w, "findings", fs, "next", next)
	return nil
}

// findingRef is the finding a request's path names ({id}), with its site
// (findingSite).
func (s *Server) findingRef(r *http.Request) (site, id string, err error) {
	if id, err = pathID(r, "id"); err != nil {
		return "", "", err
	}
	site, err = s.findingSite(r, id)
	return site, id, err
}

// findingSite resolves the site of finding id: the site query parameter,
// else the one site holding it.
func (s *Server) findingSite(r *http.Request, id string) (string, error) {
	if v := r.URL.Query().Get("site"); v != "" {
		return v, nil
	}
	sites, err := s.st.FindingSites(r.Context(), id)
	if err != nil {
		return "", err
	}
	switch len(sites) {
	case 0:
		return "", errorf(http.StatusNotFound, "finding %s: not found", id)
	case 1:
		return sites[0], nil
	}
	return "", errorf(http.StatusConflict, "finding %s is in several sites (%s): say which with ?site=", id, strings.Join(sites, ", "))
}

func (s *Server) getFinding(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	st, id, err := s.findingRef(r)
	if err != nil {
		return err
	}
	f, err := s.st.Finding(r.Context(), st, id)
	if err != nil {
		return err
	}
	v := findingView{Finding: f}
	ev, err := s.st.Evidence(r.Context(), st, id)
	switch {
	case err == nil:
		v.EvidenceFile = &evidenceRef{URL: "/api/v1/findings/" + id + "/evidence.pcap?site=" + url.QueryEscape(st),
			Format: ev.Format, Packets: ev.Packets, Bytes: ev.Bytes, SHA256: ev.SHA256, Sensor: ev.Sensor, Stored: ev.Stored}
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// findingView is a finding as GET /api/v1/findings/{id} gives it: with
// the evidence file a sensor published for it, when serve holds one.
type findingView struct {
	store.Finding
	EvidenceFile *evidenceRef `json:"evidence_file,omitempty"`
}

// evidenceRef names a finding's evidence file and where to fetch it.
type evidenceRef struct {
	URL     string    `json:"url"`
	Format  string    `json:"format"`
	Packets int       `json:"packets"`
	Bytes   int64     `json:"bytes"`
	SHA256  string    `json:"sha256"`
	Sensor  string    `json:"sensor"`
	Stored  time.Time `json:"stored"`
}

// findingEvidence serves the evidence file a sensor published for a
// finding (serve --nats stores it when it stores the finding).
func (s *Server) findingEvidence(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	st, id, err := s.findingRef(r)
	if err != nil {
		return err
	}
	ev, err := s.st.Evidence(r.Context(), st, id)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "finding %s of site %s has no evidence file (only findings a sensor published with its evidence have one)", id, st)
	}
	if err != nil {
		return err
	}
	ctype := "application/vnd.tcpdump.pcap"
	if ev.Format == "pcapng" {
		ctype = "application/x-pcapng"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(ev.Data)))
	h.Set("Content-Disposition", `attachment; filename="`+id+"."+ev.Format+`"`)
	h.Set("X-Evidence-SHA256", ev.SHA256)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(ev.Data)
	if err != nil {
		s.log.Debug("write evidence: " + err.Error())
	}
	return nil
}

func (s *Server) findingHistory(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	st, id, err := s.findingRef(r)
	if err != nil {
		return err
	}
	h, err := s.st.History(r.Context(), st, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"site": st, "id": id, "history": h})
	return nil
}

type stateRequest struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
	Site   string `json:"site,omitempty"`
}

func (s *Server) setState(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p.target = "finding:" + id
	var req stateRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	st := req.Site
	if st == "" {
		if st, err = s.findingSite(r, id); err != nil {
			return err
		}
	}
	// ChangeState writes its own audit entry; this request's would repeat it.
	f, err := s.ChangeState(r.Context(), p, remote(r), st, id, req.State, req.Reason)
	var ae *apiError
	p.audited = !errors.As(err, &ae) // refused before the store: this request's entry says so
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) listSuppressions(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	ss, err := s.st.Suppressions(r.Context())
	if err != nil {
		return err
	}
	if ss == nil {
		ss = []store.Suppression{}
	}
	now := s.now()
	out := make([]map[string]any, len(ss))
	for i := range ss {
		raw, _ := json.Marshal(ss[i])
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		m["active"] = ss[i].Active(now)
		out[i] = m
	}
	writeJSON(w, http.StatusOK, map[string]any{"suppressions": out})
	return nil
}

type suppressionRequest struct {
	Site      string    `json:"site"`
	Rule      string    `json:"rule"`
	Src       string    `json:"src"`
	Dst       string    `json:"dst"`
	Zone      string    `json:"zone"`
	Asset     string    `json:"asset"`
	Reason    string    `json:"reason"`
	Expires   time.Time `json:"expires"`
	ExpiresIn string    `json:"expires_in"` // e.g. 30d, 12h
}

func (s *Server) addSuppression(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var req suppressionRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	now := s.now().UTC()
	sp := store.Suppression{Site: req.Site, Rule: req.Rule, Src: req.Src, Dst: req.Dst, Zone: req.Zone, Asset: req.Asset,
		Reason: req.Reason, Author: p.Actor, Created: now, Expires: req.Expires.UTC()}
	if req.Expires.IsZero() {
		sp.Expires = time.Time{}
	}
	if req.ExpiresIn != "" {
		d, err := auth.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			return errorf(http.StatusBadRequest, "expires_in %q is not a positive duration such as 12h, 30d or 2w", req.ExpiresIn)
		}
		sp.Expires = now.Add(d)
	}
	if err := sp.CheckScope(); err != nil {
		return errorf(http.StatusUnprocessableEntity, "suppression: %v", err)
	}
	sp, hidden, err := s.st.AddSuppression(r.Context(), sp)
	if err != nil {
		return err
	}
	p.target = "suppression:" + sp.ID
	p.detail = map[string]any{"rule": sp.Rule, "reason": sp.Reason, "hidden": hidden}
	sp.Hidden = hidden
	writeJSON(w, http.StatusCreated, sp)
	return nil
}

func (s *Server) deleteSuppression(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p.target = "suppression:" + id
	if err := s.st.DeleteSuppression(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	as, err := s.st.Assets(r.Context(), r.URL.Query().Get("site"))
	if err != nil {
		return err
	}
	writeList(w, "assets", as)
	return nil
}

func (s *Server) assetChanges(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	st, err := pathID(r, "site")
	if err != nil {
		return err
	}
	cs, err := s.st.AssetChanges(r.Context(), st, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeList(w, "changes", cs)
	return nil
}

func parseTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, errorf(http.StatusBadRequest, "%s %q is not an RFC 3339 time such as 2026-11-02T09:00:00Z", name, v)
	}
	return t, nil
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	q := r.URL.Query()
	eq := store.EventQuery{Site: q.Get("site"), Proto: q.Get("proto"), Op: q.Get("op"), Cursor: q.Get("cursor")}
	var err error
	if eq.Since, err = parseTime(r, "since"); err != nil {
		return err
	}
	if eq.Until, err = parseTime(r, "until"); err != nil {
		return err
	}
	if eq.Limit, err = queryInt(r, "limit", 1000, 10000); err != nil {
		return err
	}
	evs, next, err := s.st.Events(r.Context(), eq)
	if err != nil {
		return err
	}
	writeList(w, "events", evs, "next", next)
	return nil
}

func (s *Server) auditLog(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	after, err := queryInt(r, "after", 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 1000, 10000)
	if err != nil {
		return err
	}
	es, err := s.st.AuditLog(r.Context(), int64(after), limit)
	if err != nil {
		return err
	}
	writeList(w, "entries", es)
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	ts, err := s.st.Tokens(r.Context())
	if err != nil {
		return err
	}
	writeList(w, "tokens", ts)
	return nil
}

type tokenRequest struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Expires string `json:"expires"` // duration: 90d, 12h
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var req tokenRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	tok, secret, err := NewToken(req.Name, req.Role, req.Expires, p.Actor, s.now())
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if err := s.st.AddToken(r.Context(), tok); err != nil {
		return err
	}
	p.target = "token:" + tok.ID
	p.detail = map[string]any{"name": tok.Name, "role": tok.Role}
	writeJSON(w, http.StatusCreated, map[string]any{"id": tok.ID, "name": tok.Name, "role": tok.Role, "expires": tok.Expires, "token": secret})
	return nil
}

// NewToken makes a token named name with role, expiring after expires (a
// duration such as 90d; "" → never), made by actor at now. It returns
// the token to store and its secret, to show once.
func NewToken(name, role, expires, actor string, now time.Time) (store.Token, string, error) {
	if !idPattern.MatchString(name) || strings.HasPrefix(name, sessionPrefix) {
		return store.Token{}, "", fmt.Errorf("token name %q: want letters, digits, '.', '_', '-' (at most 64)", name)
	}
	if !auth.ValidRole(role) {
		return store.Token{}, "", fmt.Errorf("role %q is not one of viewer, analyst, admin", role)
	}
	secret, hash, err := auth.NewToken()
	if err != nil {
		return store.Token{}, "", err
	}
	t := store.Token{ID: newID("T"), Name: name, Role: role, Hash: hash, Created: now.UTC(), By: actor}
	if expires != "" {
		d, err := auth.ParseDuration(expires)
		if err != nil || d <= 0 {
			return store.Token{}, "", fmt.Errorf("expires %q is not a positive duration such as 12h, 90d or 2w", expires)
		}
		e := now.Add(d).UTC()
		t.Expires = &e
	}
	return t, secret, nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p.target = "token:" + id
	if err := s.st.RevokeToken(r.Context(), id, s.now().UTC()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type userRequest struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var req userRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	u, err := NewUser(req.Name, req.Role, req.Password, s.now())
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	p.target = "user:" + u.Name
	p.detail = map[string]any{"role": u.Role}
	if err := s.st.AddUser(r.Context(), u); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

// NewUser makes a user with its password hashed, after checking the
// name, the role and the password policy.
func NewUser(name, role, password string, now time.Time) (store.User, error) {
	if !idPattern.MatchString(name) {
		return store.User{}, fmt.Errorf("user name %q: want letters, digits, '.', '_', '-' (at most 64)", name)
	}
	if !auth.ValidRole(role) {
		return store.User{}, fmt.Errorf("role %q is not one of viewer, analyst, admin", role)
	}
	if err := auth.CheckPasswordPolicy(password); err != nil {
		return store.User{}, err
	}
	h, err := auth.HashPassword(password)
	if err != nil {
		return store.User{}, err
	}
	return store.User{Name: name, Role: role, Password: h, Created: now.UTC()}, nil
}
