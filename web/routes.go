package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"harborwatch/server"
	"harborwatch/store"
)

// page is one route of the console: its pattern and handler.
type pageRoute struct {
	pattern string
	h       http.Handler
}

// table is every page and form of the console; Routes and the mux are
// made from it, so the tests enumerate exactly what is served.
func (c *Console) table() []pageRoute {
	return []pageRoute{
		{"GET /login", http.HandlerFunc(c.loginPage)},
		{"POST /login", http.HandlerFunc(c.login)},
		{"POST /logout", c.post(store.Viewer, c.logout)},
		{"GET /{$}", c.get(store.Viewer, c.overview)},
		{"GET /findings", c.get(store.Viewer, c.findings)},
		{"POST /findings/bulk", c.post(store.Analyst, c.bulk)},
		{"GET /findings/{site}/{id}", c.get(store.Viewer, c.finding)},
		{"POST /findings/{site}/{id}/state", c.post(store.Analyst, c.setState)},
		{"GET /findings/{site}/{id}/authorize", c.get(store.Analyst, c.authorizePreview)},
		{"POST /findings/{site}/{id}/authorize", c.post(store.Analyst, c.authorize)},
		{"GET /findings/{site}/{id}/evidence/{capture}", c.get(store.Viewer, c.evidence)},
		{"GET /findings/{site}/{id}/evidence.pcap", c.get(store.Viewer, c.sensorEvidence)},
		{"GET /suppressions", c.get(store.Viewer, c.suppressions)},
		{"POST /suppressions/{id}/delete", c.post(store.Analyst, c.deleteSuppression)},
		{"GET /assets", c.get(store.Viewer, c.assets)},
		{"GET /assets/export", c.get(store.Viewer, c.assetsExport)},
		{"GET /assets/{site}/{id}", c.get(store.Viewer, c.asset)},
		{"GET /cranes", c.get(store.Viewer, c.cranes)},
		{"GET /recovery", c.get(store.Viewer, c.recoveryPage)},
		{"GET /zones", c.get(store.Viewer, c.zones)},
		{"GET /zones/drawing.svg", c.get(store.Viewer, c.zonesSVG)},
		{"GET /events", c.get(store.Viewer, c.events)},
		{"GET /controls", c.get(store.Viewer, c.controls)},
		{"GET /captures", c.get(store.Viewer, c.captures)},
		{"GET /sensors", c.get(store.Viewer, c.sensors)},
		{"GET /admin", c.get(store.Admin, c.admin)},
		{"POST /admin/users", c.post(store.Admin, c.addUser)},
		{"POST /admin/tokens", c.post(store.Admin, c.createToken)},
		{"POST /admin/tokens/{id}/revoke", c.post(store.Admin, c.revokeToken)},
		{"GET /admin/sites/{site}", c.get(store.Admin, c.siteEdit)},
		{"POST /admin/sites/{site}", c.post(store.Admin, c.siteSave)},
		{"GET /admin/audit", c.get(store.Admin, c.auditPage)},

		// Compliance, the access register and incidents.
		{"GET /compliance", c.get(store.Viewer, c.compliancePage)},
		{"GET /compliance/{site}/report", c.get(store.Viewer, c.complianceReport)},
		{"GET /compliance/{site}/poam.csv", c.get(store.Viewer, c.complianceCSV)},
		{"POST /compliance/{site}/attest", c.post(store.Analyst, c.attest)},
		{"POST /compliance/attestations/{id}/withdraw", c.post(store.Analyst, c.withdrawAttestation)},
		{"GET /access", c.get(store.Viewer, c.accessPage)},
		{"POST /access/{site}", c.post(store.Admin, c.putAccess)},
		{"POST /access/{id}/delete", c.post(store.Admin, c.deleteAccess)},
		{"GET /incidents", c.get(store.Viewer, c.incidentsPage)},
		{"POST /incidents", c.post(store.Analyst, c.openIncident)},
		{"GET /incidents/{id}", c.get(store.Viewer, c.incidentPage)},
		{"POST /incidents/{id}", c.post(store.Analyst, c.updateIncident)},
		{"GET /incidents/{id}/stix", c.get(store.Viewer, c.incidentSTIX)},
	}
}

func (c *Console) routes() {
	m := http.NewServeMux()
	for _, r := range c.table() {
		m.Handle(r.pattern, r.h)
	}
	m.Handle("GET /static/", http.FileServerFS(staticFS)) // the style sheet and the script: public
	c.mux = m
}

// Routes lists the console's route patterns (the static files aside).
func (c *Console) Routes() []string {
	t := c.table()
	out := make([]string, len(t))
	for i, r := range t {
		out[i] = r.pattern
	}
	return out
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
