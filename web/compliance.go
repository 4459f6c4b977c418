package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"harborwatch/compliance"
	"harborwatch/compliance/catalog"
	"harborwatch/incident"
	"harborwatch/server"
	"harborwatch/store"
)

// pickSite is the site a compliance page shows: the "site" query value,
// else the first site; "" when the store has none.
func (c *Console) pickSite(r *http.Request) (string, []string, error) {
	sites, err := c.st.Sites(r.Context())
	if err != nil {
		return "", nil, err
	}
	ids := make([]string, len(sites))
	for i, s := range sites {
		ids[i] = s.ID
	}
	want := r.URL.Query().Get("site")
	if want == "" && len(ids) > 0 {
		want = ids[0]
	}
	for _, id := range ids {
		if id == want {
			return want, ids, nil
		}
	}
	if want != "" {
		return "", ids, errorf(http.StatusNotFound, "no site %q", want)
	}
	return "", ids, nil
}

type complianceData struct {
	Site     string
	Sites    []string
	Report   *compliance.Report
	Controls []catalog.Control
	Atts     []store.Attestation
	Now      time.Time
}

// compliancePage shows where a site stands, control by control, with the
// evidence, the attestations and the form to attest.
func (c *Console) compliancePage(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	site, sites, err := c.pickSite(r)
	if err != nil {
		return err
	}
	d := complianceData{Site: site, Sites: sites, Now: c.srv.Now()}
	if site != "" {
		g, err := c.srv.Compliance(r.Context(), site, 0)
		if err != nil {
			return err
		}
		d.Report = g.Report
		if d.Atts, err = c.st.Attestations(r.Context(), site); err != nil {
			return err
		}
	}
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	d.Controls = cat.Controls()
	pg := c.base(r, p, "Compliance", "compliance")
	pg.Data = d
	c.render(w, http.StatusOK, "compliance", pg)
	return nil
}

// complianceReport serves the printable HTML report of a site.
func (c *Console) complianceReport(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	site := r.PathValue("site")
	g, err := c.srv.Compliance(r.Context(), site, 0)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	return g.Report.WriteHTML(w)
}

// complianceCSV serves the plan of action as CSV.
func (c *Console) complianceCSV(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	site := r.PathValue("site")
	g, err := c.srv.Compliance(r.Context(), site, 0)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="poam.csv"`)
	return g.Report.WritePOAM(w)
}

// attest records an attestation from the form; an attached document is
// hashed and not kept.
func (c *Console) attest(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	site := r.PathValue("site")
	a := store.Attestation{Site: site, Control: r.PostFormValue("control"), By: r.PostFormValue("by"), Statement: r.PostFormValue("statement")}
	a.At = c.srv.Now().UTC().Truncate(24 * time.Hour)
	if v := r.PostFormValue("date"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return errorf(http.StatusBadRequest, "date %q: want YYYY-MM-DD", v)
		}
		a.At = t
	}
	if v := r.PostFormValue("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 3650 {
			return errorf(http.StatusBadRequest, "valid for %q days: want 1 to 3650", v)
		}
		a.Expires = a.At.AddDate(0, 0, n)
	}
	if f, h, err := r.FormFile("document"); err == nil {
		sum := sha256.New()
		_, err := io.Copy(sum, f)
		f.Close()
		if err != nil {
			return err
		}
		a.Document, a.DocSHA256 = h.Filename, hex.EncodeToString(sum.Sum(nil))
	} else if !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart) {
		return errorf(http.StatusBadRequest, "document: %v", err)
	}
	a, err := c.srv.Attest(r.Context(), p, server.Remote(r), a)
	if err != nil {
		return err
	}
	back(w, r, "/compliance?site="+site, "attestation "+a.ID+" of "+a.Control+" recorded")
	return nil
}

func (c *Console) withdrawAttestation(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	id := r.PathValue("id")
	if err := c.srv.WithdrawAttestation(r.Context(), p, server.Remote(r), id); err != nil {
		return err
	}
	back(w, r, "/compliance", "attestation "+id+" withdrawn")
	return nil
}

type accessData struct {
	Site  string
	Sites []string
	G     *compliance.Gathered
	Paths []string
}

// accessPage shows a site's access register reconciled with the wire.
func (c *Console) accessPage(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	site, sites, err := c.pickSite(r)
	if err != nil {
		return err
	}
	d := accessData{Site: site, Sites: sites, Paths: store.AccessPaths}
	if site != "" {
		if d.G, err = c.srv.Compliance(r.Context(), site, 0); err != nil {
			return err
		}
	}
	pg := c.base(r, p, "Access register", "access")
	pg.Data = d
	c.render(w, http.StatusOK, "access", pg)
	return nil
}

func (c *Console) putAccess(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	site := r.PathValue("site")
	a := store.AccessEntry{Site: site, Crane: strings.TrimSpace(r.PostFormValue("crane")), System: r.PostFormValue("system"),
		Holder: r.PostFormValue("holder"), Path: r.PostFormValue("path"), MFA: r.PostFormValue("mfa") == "on",
		Clause: r.PostFormValue("clause"), ClauseSHA256: strings.ToLower(strings.TrimSpace(r.PostFormValue("clause_sha256"))), Attester: r.PostFormValue("attester")}
	for _, s := range strings.FieldsFunc(r.PostFormValue("sources"), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		a.Sources = append(a.Sources, s)
	}
	if v := r.PostFormValue("expires"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return errorf(http.StatusBadRequest, "expires %q: want YYYY-MM-DD", v)
		}
		a.Expires = t
	}
	a, err := c.srv.PutAccess(r.Context(), p, server.Remote(r), a)
	if err != nil {
		return err
	}
	back(w, r, "/access?site="+site, "access entry "+a.ID+" saved")
	return nil
}

func (c *Console) deleteAccess(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	id := r.PathValue("id")
	if err := c.srv.DeleteAccess(r.Context(), p, server.Remote(r), id); err != nil {
		return err
	}
	back(w, r, "/access", "access entry "+id+" removed")
	return nil
}

// incidentsPage lists incidents and opens new ones from finding ids.
func (c *Console) incidentsPage(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	_, sites, err := c.pickSite(r)
	if err != nil {
		return err
	}
	ins, err := c.st.Incidents(r.Context(), "")
	if err != nil {
		return err
	}
	pg := c.base(r, p, "Incidents", "incidents")
	pg.Data = map[string]any{"Incidents": ins, "Sites": sites, "Findings": r.URL.Query().Get("findings"), "Site": r.URL.Query().Get("site")}
	c.render(w, http.StatusOK, "incidents", pg)
	return nil
}

func (c *Console) openIncident(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	ids := strings.FieldsFunc(r.PostFormValue("findings"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' })
	in, err := c.srv.OpenIncident(r.Context(), p, server.Remote(r), r.PostFormValue("site"), ids, r.PostFormValue("title"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/incidents/"+in.ID+"?done="+in.ID+"+opened", http.StatusSeeOther)
	return nil
}

// incidentPage shows the report draft of an incident with the form for
// what a person adds.
func (c *Console) incidentPage(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	rep, notes, err := incident.Load(r.Context(), c.st, r.PathValue("id"), c.srv.Now().UTC())
	if err != nil {
		return err
	}
	pg := c.base(r, p, "Incident "+rep.Incident.ID, "incidents")
	pg.Data = map[string]any{"R": rep, "Notes": notes, "Statuses": []string{store.IncidentOpen, store.IncidentReported, store.IncidentClosed}}
	c.render(w, http.StatusOK, "incident", pg)
	return nil
}

func (c *Console) updateIncident(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	in, err := c.st.Incident(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if v := r.PostFormValue("status"); v != "" {
		in.Status = v
	}
	if v := strings.TrimSpace(r.PostFormValue("note")); v != "" {
		in.Notes = strings.TrimSpace(in.Notes + "\n" + c.srv.Now().UTC().Format(time.RFC3339) + " " + p.Actor + ": " + v)
	}
	if err := r.ParseForm(); err != nil {
		return errorf(http.StatusBadRequest, "form: %v", err)
	}
	for k, vs := range r.PostForm {
		key, ok := strings.CutPrefix(k, "field.")
		if !ok || len(vs) == 0 {
			continue
		}
		if in.Fields == nil {
			in.Fields = map[string]string{}
		}
		if v := strings.TrimSpace(vs[0]); v != "" {
			in.Fields[key] = v
		} else {
			delete(in.Fields, key)
		}
	}
	in, err = c.srv.UpdateIncident(r.Context(), p, server.Remote(r), in)
	if err != nil {
		return err
	}
	back(w, r, "/incidents/"+in.ID, "incident "+in.ID+" saved")
	return nil
}

func (c *Console) incidentSTIX(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	rep, _, err := incident.Load(r.Context(), c.st, r.PathValue("id"), c.srv.Now().UTC())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+rep.Incident.ID+`.stix.json"`)
	enc := jsonEncoder(w)
	return enc.Encode(incident.STIX(rep.Incident, rep.Facility, rep.Findings, rep.Files, c.srv.Now().UTC()))
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc
}
