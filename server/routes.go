package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"harborwatch/auth"
	"harborwatch/store"
)

// route is one served route: its method and path pattern (net/http's), the
// least role it needs, and its handler.
type route struct {
	method, path string
	role         string
	public       bool   // no token needed
	action       string // audit action of a write ("" for reads)
	summary      string
	h            handlerFunc
}

// handlerFunc handles an authenticated request; it writes the response
// itself or returns an error (an *apiError, or anything else → 500).
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *Principal) error

// Principal is who makes a request.
type Principal struct {
	Actor string // user:NAME or token:NAME
	Role  string
	Token string // token id
	// Session is the secret of a console session (cookie), "" for a
	// bearer token: writes with it need the CSRF header.
	Session string
	// audit fields a handler may set for the audit entry of its request
	target  string
	detail  map[string]any
	audited bool // the handler wrote the audit entry itself
}

// apiError is an error answered with its status and a JSON body
// {"error": msg} (or body when not nil).
type apiError struct {
	status int
	msg    string
	body   any
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// table is every route the server serves. A route not in it is not
// served; the OpenAPI document and the security tests are made from it.
func (s *Server) table() []route {
	return []route{
		{method: "GET", path: "/healthz", public: true, summary: "liveness: ok when the server answers", h: s.healthz},
		{method: "POST", path: "/api/v1/login", public: true, action: "login", summary: "log in with a username and password; returns a session token", h: s.login},
		{method: "GET", path: "/metrics", role: store.Viewer, summary: "Prometheus metrics", h: s.metricsHandler},
		{method: "GET", path: "/api/v1/openapi.json", role: store.Viewer, summary: "this API's OpenAPI 3.1 description", h: s.openapi},
		{method: "GET", path: "/api/v1/sites", role: store.Viewer, summary: "list sites", h: s.listSites},
		{method: "GET", path: "/api/v1/sites/{site}", role: store.Viewer, summary: "a site's model", h: getByID("site", s.st.Site)},
		{method: "PUT", path: "/api/v1/sites/{site}", role: store.Admin, action: "site.put", summary: "create or replace a site's model (site.yaml body)", h: s.putSite},
		{method: "POST", path: "/api/v1/sites/{site}/captures", role: store.Analyst, action: "capture.upload", summary: "upload a capture (raw pcap or pcapng body) for analysis", h: s.upload},
		{method: "GET", path: "/api/v1/captures", role: store.Viewer, summary: "list captures", h: s.listCaptures},
		{method: "GET", path: "/api/v1/captures/{id}", role: store.Viewer, summary: "a capture and its analysis status", h: getByID("id", s.st.Capture)},
		{method: "GET", path: "/api/v1/findings", role: store.Viewer, summary: "list findings", h: s.listFindings},
		{method: "GET", path: "/api/v1/findings/{id}", role: store.Viewer, summary: "one finding", h: s.getFinding},
		{method: "GET", path: "/api/v1/findings/{id}/evidence.pcap", role: store.Viewer, summary: "a finding's evidence packets as a capture file (pcap, or pcapng when their link types differ), as a sensor published them (?site=)", h: s.findingEvidence},
		{method: "GET", path: "/api/v1/findings/{id}/history", role: store.Viewer, summary: "a finding's history", h: s.findingHistory},
		{method: "POST", path: "/api/v1/findings/{id}/state", role: store.Analyst, action: "finding.state", summary: "change a finding's state", h: s.setState},
		{method: "GET", path: "/api/v1/suppressions", role: store.Viewer, summary: "list suppressions", h: s.listSuppressions},
		{method: "POST", path: "/api/v1/suppressions", role: store.Analyst, action: "suppression.add", summary: "add a suppression", h: s.addSuppression},
		{method: "DELETE", path: "/api/v1/suppressions/{id}", role: store.Analyst, action: "suppression.delete", summary: "delete a suppression", h: s.deleteSuppression},
		{method: "GET", path: "/api/v1/assets", role: store.Viewer, summary: "list assets", h: s.listAssets},
		{method: "GET", path: "/api/v1/assets/{site}/{id}/changes", role: store.Viewer, summary: "what changed in an asset", h: s.assetChanges},
		{method: "GET", path: "/api/v1/advisories", role: store.Viewer, summary: "list the advisories runs are matched against (imported and --csaf)", h: s.listAdvisories},
		{method: "GET", path: "/api/v1/vulns", role: store.Viewer, summary: "known vulnerabilities: the stored assets matching advisories (?site=, &asset=)", h: s.listVulns},
		{method: "GET", path: "/api/v1/events", role: store.Viewer, summary: "list events", h: s.listEvents},
		{method: "GET", path: "/api/v1/fleet", role: store.Viewer, summary: "the fleet across sites: cranes by manufacturer, suppliers of concern, devices not isolated, open findings by rule, sensors", h: s.fleet},
		{method: "GET", path: "/api/v1/fleet/{site}", role: store.Viewer, summary: "one site's fleet view", h: s.fleetSiteView},
		{method: "GET", path: "/api/v1/sensors", role: store.Viewer, summary: "sensors with their last heartbeat, drops and lag (?site=)", h: s.listSensors},
		{method: "GET", path: "/api/v1/audit", role: store.Admin, summary: "read the audit log", h: s.auditLog},
		{method: "GET", path: "/api/v1/tokens", role: store.Admin, summary: "list API tokens", h: s.listTokens},
		{method: "POST", path: "/api/v1/tokens", role: store.Admin, action: "token.create", summary: "create an API token (shown once)", h: s.createToken},
		{method: "DELETE", path: "/api/v1/tokens/{id}", role: store.Admin, action: "token.revoke", summary: "revoke an API token", h: s.revokeToken},
		{method: "POST", path: "/api/v1/users", role: store.Admin, action: "user.add", summary: "add a user", h: s.addUser},

		// Compliance: evaluation, attestations, the access register, incidents.
		{method: "GET", path: "/api/v1/sites/{site}/compliance", role: store.Viewer, summary: "a site's status per control with its evidence (format=json, csv plan of action, html, oscal, text)", h: s.complianceReport},
		{method: "GET", path: "/api/v1/sites/{site}/attestations", role: store.Viewer, summary: "list a site's attestations", h: s.listAttestations},
		{method: "POST", path: "/api/v1/sites/{site}/attestations", role: store.Analyst, action: "attestation.add", summary: "attest a control", h: s.addAttestation},
		{method: "POST", path: "/api/v1/attestations/{id}/withdraw", role: store.Analyst, action: "attestation.withdraw", summary: "withdraw an attestation", h: s.withdrawAttestation},
		{method: "GET", path: "/api/v1/sites/{site}/access", role: store.Viewer, summary: "a site's access register reconciled with the wire (last use, review items, unregistered access)", h: s.listAccess},
		{method: "POST", path: "/api/v1/sites/{site}/access", role: store.Admin, action: "access.put", summary: "add or replace an access register entry", h: s.putAccess},
		{method: "DELETE", path: "/api/v1/access/{id}", role: store.Admin, action: "access.delete", summary: "remove an access register entry", h: s.deleteAccess},
		{method: "GET", path: "/api/v1/incidents", role: store.Viewer, summary: "list incidents", h: s.listIncidents},
		{method: "POST", path: "/api/v1/sites/{site}/incidents", role: store.Analyst, action: "incident.open", summary: "open an incident from findings", h: s.openIncident},
		{method: "GET", path: "/api/v1/incidents/{id}", role: store.Viewer, summary: "an incident's report draft (NRC and CISA fields), guidance, clock and timeline", h: s.incidentDraft},
		{method: "POST", path: "/api/v1/incidents/{id}", role: store.Analyst, action: "incident.update", summary: "change an incident's status, notes and report fields", h: s.updateIncident},
		{method: "GET", path: "/api/v1/incidents/{id}/stix", role: store.Viewer, summary: "an incident's indicators as a STIX 2.1 bundle", h: s.incidentSTIX},
		// The recovery registers (recovery.go): integrity baselines and their
		// verifications, backups, spares, readiness.
		{method: "GET", path: "/api/v1/baselines", role: store.Viewer, summary: "list the current integrity baseline of every asset", h: s.listBaselines},
		{method: "GET", path: "/api/v1/baselines/{asset}", role: store.Viewer, summary: "an asset's current integrity baseline (the signed manifest)", h: getByID("asset", s.st.Baseline)},
		{method: "GET", path: "/api/v1/verifications", role: store.Viewer, summary: "list baseline verifications, newest first (?asset=, ?limit=)", h: s.listVerifications},
		{method: "GET", path: "/api/v1/backups", role: store.Viewer, summary: "list the backup register (?crane=)", h: s.listBackups},
		{method: "PUT", path: "/api/v1/backups/{id}", role: store.Analyst, action: "backup.put", summary: "create or replace a backup register entry", h: s.putBackup},
		{method: "DELETE", path: "/api/v1/backups/{id}", role: store.Analyst, action: "backup.delete", summary: "delete a backup register entry", h: s.deleteBackup},
		{method: "POST", path: "/api/v1/backups/import", role: store.Analyst, action: "backup.import", summary: "import backup register rows (CSV body); bad rows are answered with file:line:col", h: s.importRegister("backup")},
		{method: "GET", path: "/api/v1/spares", role: store.Viewer, summary: "list the spares register (?crane=)", h: s.listSpares},
		{method: "PUT", path: "/api/v1/spares/{id}", role: store.Analyst, action: "spare.put", summary: "create or replace a spares register entry", h: s.putSpare},
		{method: "DELETE", path: "/api/v1/spares/{id}", role: store.Analyst, action: "spare.delete", summary: "delete a spares register entry", h: s.deleteSpare},
		{method: "POST", path: "/api/v1/spares/import", role: store.Analyst, action: "spares.import", summary: "import spares register rows (CSV body)", h: s.importRegister("spares")},
		{method: "GET", path: "/api/v1/readiness", role: store.Viewer, summary: "readiness per crane: the gaps of the registers against the advisory (?site=, ?at=, ?max_backup_age=)", h: s.readiness},
	}
}

// mux serves the table; anything else is 404 (with a token) or 401.
func (s *Server) mux() http.Handler {
	m := http.NewServeMux()
	for i := range s.routes {
		rt := &s.routes[i]
		m.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	notFound := s.wrap(&route{path: "/", role: store.Viewer, h: func(http.ResponseWriter, *http.Request, *Principal) error {
		return errorf(http.StatusNotFound, "no such route")
	}})
	m.Handle("/api/", notFound)
	m.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := s.console; h != nil {
			h.ServeHTTP(w, r)
			return
		}
		notFound.ServeHTTP(w, r)
	}))
	return securityHeaders(m)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Frame-Options", "DENY")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap authenticates, authorizes, runs the handler, answers its error,
// audits writes and denials, and counts the request.
func (s *Server) wrap(rt *route) http.Handler {
	return http.HandlerFunc(func(w0 http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &statusWriter{ResponseWriter: w0}
		p := &Principal{}
		err := s.authorize(r, rt, p)
		if err == nil {
			err = rt.h(w, r, p)
		}
		if err != nil {
			s.answer(w, r, err)
		}
		status := w.status
		if status == 0 {
			status = http.StatusOK
		}
		s.metrics.request(rt.method+" "+rt.path, status, time.Since(start))
		denied := status == http.StatusUnauthorized || status == http.StatusForbidden
		if (rt.action != "" || denied) && !p.audited {
			s.auditRequest(r, rt, p, status)
		}
	})
}

// authorize finds the principal of r and checks it may use rt: a bearer
// token, or the console's session cookie (whose writes must carry the
// session's CSRF token in the X-CSRF-Token header).
func (s *Server) authorize(r *http.Request, rt *route, p *Principal) error {
	if rt.public {
		return nil
	}
	secret, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	secret = strings.TrimSpace(secret)
	if !bearer && r.Header.Get("Authorization") == "" {
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			secret = c.Value
			p.Session = secret
		}
	}
	if secret == "" {
		return &apiError{status: http.StatusUnauthorized, msg: "a token is required: Authorization: Bearer TOKEN"}
	}
	if err := s.authenticate(r.Context(), secret, p); err != nil {
		return err
	}
	if p.Session != "" && r.Method != http.MethodGet && r.Method != http.MethodHead && !s.CheckCSRF(p.Session, r.Header.Get(CSRFHeader)) {
		return errorf(http.StatusForbidden, "a console session's write needs its CSRF token in the %s header", CSRFHeader)
	}
	if !auth.RoleAllows(p.Role, rt.role) {
		return errorf(http.StatusForbidden, "role %s may not do this (needs %s)", p.Role, rt.role)
	}
	return nil
}

// authenticate fills p from the token whose secret is given; a token
// unknown, revoked or expired is 401.
func (s *Server) authenticate(ctx context.Context, secret string, p *Principal) error {
	h := auth.HashToken(secret)
	tok, err := s.st.TokenByHash(ctx, h)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errorf(http.StatusUnauthorized, "the token is not valid")
	case err != nil:
		return err
	}
	if subtle.ConstantTimeCompare(tok.Hash, h) != 1 {
		return errorf(http.StatusUnauthorized, "the token is not valid")
	}
	if tok.Revoked != nil {
		return errorf(http.StatusUnauthorized, "the token was revoked")
	}
	if tok.Expires != nil && !s.now().Before(*tok.Expires) {
		return errorf(http.StatusUnauthorized, "the token expired")
	}
	p.Actor, p.Role, p.Token = tokenActor(tok), tok.Role, tok.ID
	return nil
}

func tokenActor(t store.Token) string {
	if u, ok := strings.CutPrefix(t.Name, sessionPrefix); ok {
		return "user:" + u
	}
	return "token:" + t.Name
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &mbe):
		ae = &apiError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("the body is larger than the limit of %d bytes", mbe.Limit)}
	case errors.Is(err, store.ErrNotFound):
		ae = &apiError{status: http.StatusNotFound, msg: err.Error()}
	case errors.Is(err, store.ErrInvalid):
		ae = &apiError{status: http.StatusBadRequest, msg: err.Error()}
	case errors.Is(err, store.ErrConflict):
		ae = &apiError{status: http.StatusConflict, msg: err.Error()}
	case errors.Is(err, context.Canceled):
		ae = &apiError{status: 499, msg: "the request was cancelled"}
	default:
		s.log.Error("request failed: "+err.Error(), "method", r.Method, "path", r.URL.Path, "error", err.Error())
		ae = &apiError{status: http.StatusInternalServerError, msg: "internal error (see the server log)"}
	}
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="harborwatch"`)
	}
	body := ae.body
	if body == nil {
		body = map[string]string{"error": ae.msg}
	}
	writeJSON(w, ae.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// remote is the client's address (the TCP peer; proxies are not trusted).
func remote(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// auditRequest appends the audit entry of a write or a denial.
func (s *Server) auditRequest(r *http.Request, rt *route, p *Principal, status int) {
	action := rt.action
	result := "ok"
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		result = "denied"
		if action == "" {
			action = "read"
		}
	case status == http.StatusTooManyRequests:
		result = "throttled"
	case status >= 400:
		result = "failed"
	}
	actor := p.Actor
	if actor == "" {
		actor = "anonymous"
	}
	target := p.target
	if target == "" {
		target = r.Method + " " + r.URL.Path
	}
	detail := map[string]any{"status": status}
	for k, v := range p.detail {
		detail[k] = v
	}
	raw, _ := json.Marshal(detail)
	e := store.AuditEntry{At: s.now().UTC(), Actor: actor, Remote: remote(r), Action: action, Target: target, Result: result, Detail: raw}
	if _, err := s.st.Audit(context.WithoutCancel(r.Context()), e); err != nil {
		s.log.Error("audit log: "+err.Error(), "action", action, "error", err.Error())
	}
}

// queryInt reads a non-negative integer query parameter (def when absent).
func queryInt(r *http.Request, name string, def, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errorf(http.StatusBadRequest, "%s must be a non-negative integer, not %q", name, v)
	}
	return min(n, max), nil
}

// readJSON decodes a small JSON body into v, strictly.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errorf(http.StatusBadRequest, "the body is not the JSON expected: %v", err)
	}
	return nil
}
