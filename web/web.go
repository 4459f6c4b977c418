// Package web is harborwatch's console: server-rendered pages over the
// server's store for the Facility Security Officer and the SOC analyst —
// overview per crane, findings with their states and bulk actions, a
// finding's page with its evidence and timeline, assets and cranes, the
// drawing of zones and conduits, events, captures, and administration.
// Pages read without JavaScript; a few small scripts (sorting a table,
// upload progress) enhance them. Sessions are the server's session
// tokens in an HttpOnly, SameSite=Strict cookie (Secure under TLS); every
// form carries the session's CSRF token; roles are the API's.
package web

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"harborwatch/auth"
	"harborwatch/server"
	"harborwatch/site"
	"harborwatch/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Console serves the pages.
type Console struct {
	srv *server.Server
	st  store.Store
	tpl map[string]*template.Template
	mux *http.ServeMux
	log *slog.Logger

	mu    sync.Mutex
	sites map[string]cachedSite // parsed site models by id
}

type cachedSite struct {
	updated time.Time
	model   *site.Site
}

// New builds the console of srv; mount it with srv.Mount.
func New(srv *server.Server, log *slog.Logger) (*Console, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Console{srv: srv, st: srv.Store(), log: log, sites: map[string]cachedSite{}, tpl: map[string]*template.Template{}}
	base := template.New("layout.html").Funcs(funcs)
	base, err := base.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, p)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		c.tpl[name] = t
	}
	c.routes()
	return c, nil
}

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

// page is what every page's template gets.
type page struct {
	Title    string
	Nav      string
	User     string
	Role     string
	CSRF     string
	CanWrite bool // analyst or admin
	IsAdmin  bool
	Flash    string
	Error    string
	Data     any
}

// handler is a console handler for a logged-in principal.
type handler func(w http.ResponseWriter, r *http.Request, p *server.Principal) error

// httpError is an error answered with a status and a message page.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &httpError{status, fmt.Sprintf(format, args...)}
}

// get serves a page to a logged-in user with at least role need; without
// a session, to the login page.
func (c *Console) get(need string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := c.srv.Session(r)
		if err != nil {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if !auth.RoleAllows(p.Role, need) {
			c.fail(w, r, p, errorf(http.StatusForbidden, "role %s may not see this (needs %s)", p.Role, need))
			return
		}
		if err := h(w, r, p); err != nil {
			c.fail(w, r, p, err)
		}
	})
}

// post handles a form: a session, its CSRF token in the form's "csrf"
// field, and at least role need; refusals are 401/403 and audited.
func (c *Console) post(need string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 8<<20)
		p, err := c.srv.Session(r)
		if err != nil {
			c.fail(w, r, nil, errorf(http.StatusUnauthorized, "not logged in"))
			return
		}
		if !c.srv.CheckCSRF(p.Session, r.PostFormValue("csrf")) {
			c.srv.Audit(r.Context(), p, server.Remote(r), "console.post", r.URL.Path, "denied", map[string]any{"why": "csrf"})
			c.fail(w, r, p, errorf(http.StatusForbidden, "this form lacks its CSRF token (or it is from another session): reload the page"))
			return
		}
		if !auth.RoleAllows(p.Role, need) {
			c.srv.Audit(r.Context(), p, server.Remote(r), "console.post", r.URL.Path, "denied", map[string]any{"role": p.Role, "needs": need})
			c.fail(w, r, p, errorf(http.StatusForbidden, "role %s may not do this (needs %s)", p.Role, need))
			return
		}
		if err := h(w, r, p); err != nil {
			c.fail(w, r, p, err)
		}
	})
}

// fail answers err as a page with its status.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, p *server.Principal, err error) {
	status, msg := http.StatusInternalServerError, "internal error (see the server log)"
	var he *httpError
	if errors.As(err, &he) {
		status, msg = he.status, he.msg
	} else if st, m := server.StatusOf(err); st != http.StatusInternalServerError {
		status, msg = st, m
	} else {
		c.log.Error("console: "+err.Error(), "path", r.URL.Path, "error", err.Error())
	}
	pg := c.base(r, p, "Error", "")
	pg.Error = msg
	c.render(w, status, "error", pg)
}

// base fills what every page shows.
func (c *Console) base(r *http.Request, p *server.Principal, title, nav string) *page {
	pg := &page{Title: title, Nav: nav, Flash: r.URL.Query().Get("done")}
	if p != nil {
		pg.User = strings.TrimPrefix(strings.TrimPrefix(p.Actor, "user:"), "token:")
		pg.Role = p.Role
		pg.CSRF = c.srv.CSRF(p.Session)
		pg.CanWrite = auth.RoleAllows(p.Role, store.Analyst)
		pg.IsAdmin = auth.RoleAllows(p.Role, store.Admin)
	}
	return pg
}

func (c *Console) render(w http.ResponseWriter, status int, name string, pg *page) {
	t, ok := c.tpl[name]
	if !ok {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout.html", pg); err != nil {
		c.log.Error("console: render "+name+": "+err.Error(), "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// model returns a site's parsed model, cached until the site changes.
func (c *Console) model(r *http.Request, id string) (*site.Site, store.Site, error) {
	row, err := c.st.Site(r.Context(), id)
	if err != nil {
		return nil, row, err
	}
	c.mu.Lock()
	cs, ok := c.sites[id]
	c.mu.Unlock()
	if ok && cs.updated.Equal(row.Updated) {
		return cs.model, row, nil
	}
	m, err := site.Parse(id+".yaml", []byte(row.YAML))
	if err != nil {
		return nil, row, err
	}
	c.mu.Lock()
	c.sites[id] = cachedSite{row.Updated, m}
	c.mu.Unlock()
	return m, row, nil
}
