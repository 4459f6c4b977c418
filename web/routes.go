package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"harborwatch/server"
	"harborwatch/store"
)

func (c *Console) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /login", c.loginPage)
	m.HandleFunc("POST /login", c.login)
	m.Handle("POST /logout", c.post(store.Viewer, c.logout))
	m.Handle("GET /{$}", c.get(store.Viewer, c.overview))
	m.Handle("GET /findings", c.get(store.Viewer, c.findings))
	m.Handle("POST /findings/bulk", c.post(store.Analyst, c.bulk))
	m.Handle("GET /findings/{site}/{id}", c.get(store.Viewer, c.finding))
	m.Handle("POST /findings/{site}/{id}/state", c.post(store.Analyst, c.setState))
	m.Handle("GET /findings/{site}/{id}/authorize", c.get(store.Analyst, c.authorizePreview))
	m.Handle("POST /findings/{site}/{id}/authorize", c.post(store.Analyst, c.authorize))
	m.Handle("GET /findings/{site}/{id}/evidence/{capture}", c.get(store.Viewer, c.evidence))
	m.Handle("GET /suppressions", c.get(store.Viewer, c.suppressions))
	m.Handle("POST /suppressions/{id}/delete", c.post(store.Analyst, c.deleteSuppression))
	m.Handle("GET /assets", c.get(store.Viewer, c.assets))
	m.Handle("GET /assets/export", c.get(store.Viewer, c.assetsExport))
	m.Handle("GET /assets/{site}/{id}", c.get(store.Viewer, c.asset))
	m.Handle("GET /cranes", c.get(store.Viewer, c.cranes))
	m.Handle("GET /zones", c.get(store.Viewer, c.zones))
	m.Handle("GET /zones/drawing.svg", c.get(store.Viewer, c.zonesSVG))
	m.Handle("GET /events", c.get(store.Viewer, c.events))
	m.Handle("GET /controls", c.get(store.Viewer, c.controls))
	m.Handle("GET /captures", c.get(store.Viewer, c.captures))
	m.Handle("GET /admin", c.get(store.Admin, c.admin))
	m.Handle("POST /admin/users", c.post(store.Admin, c.addUser))
	m.Handle("POST /admin/tokens", c.post(store.Admin, c.createToken))
	m.Handle("POST /admin/tokens/{id}/revoke", c.post(store.Admin, c.revokeToken))
	m.Handle("GET /admin/sites/{site}", c.get(store.Admin, c.siteEdit))
	m.Handle("POST /admin/sites/{site}", c.post(store.Admin, c.siteSave))
	m.Handle("GET /admin/audit", c.get(store.Admin, c.auditPage))
	m.Handle("GET /static/", http.FileServerFS(staticFS))
	c.mux = m
}

// Routes lists the console's route patterns (tests enumerate them).
func (c *Console) Routes() []string {
	return []string{"GET /login", "POST /login", "POST /logout", "GET /{$}", "GET /findings", "POST /findings/bulk",
		"GET /findings/{site}/{id}", "POST /findings/{site}/{id}/state", "GET /findings/{site}/{id}/authorize",
		"POST /findings/{site}/{id}/authorize", "GET /findings/{site}/{id}/evidence/{capture}", "GET /suppressions",
		"POST /suppressions/{id}/delete", "GET /assets", "GET /assets/export", "GET /assets/{site}/{id}", "GET /cranes", "GET /zones",
		"GET /zones/drawing.svg", "GET /events", "GET /controls", "GET /captures", "GET /admin", "POST /admin/users", "POST /admin/tokens",
		"POST /admin/tokens/{id}/revoke", "GET /admin/sites/{site}", "POST /admin/sites/{site}", "GET /admin/audit"}
}

// safeNext keeps a redirect target on this server (a path, not a URL).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	return next
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	pg := c.base(r, nil, "Log in", "")
	pg.Data = map[string]string{"Next": safeNext(r.URL.Query().Get("next"))}
	c.render(w, http.StatusOK, "login", pg)
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	user, pw, next := r.PostFormValue("username"), r.PostFormValue("password"), safeNext(r.PostFormValue("next"))
	secret, _, exp, err := c.srv.Login(r.Context(), user, pw, server.Remote(r))
	if err != nil {
		pg := c.base(r, nil, "Log in", "")
		pg.Data = map[string]string{"Next": next, "Username": user}
		status := http.StatusUnauthorized
		var te *server.ThrottledError
		switch {
		case asThrottled(err, &te):
			status = http.StatusTooManyRequests
			pg.Error = te.Error()
		case err == server.ErrBadLogin:
			pg.Error = "Wrong username or password."
		default:
			status, pg.Error = server.StatusOf(err)
		}
		c.render(w, status, "login", pg)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: server.SessionCookie, Value: secret, Path: "/", Expires: exp,
		HttpOnly: true, Secure: c.srv.Secure(), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	if err := c.srv.Logout(r.Context(), p, server.Remote(r)); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: server.SessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HttpOnly: true, Secure: c.srv.Secure(), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// back redirects to the page the form came from (its "back" field), with
// a message.
func back(w http.ResponseWriter, r *http.Request, fallback, msg string) {
	to := safeNext(r.PostFormValue("back"))
	if to == "/" && fallback != "" {
		to = fallback
	}
	u, _ := url.Parse(to)
	q := u.Query()
	q.Set("done", msg)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}
