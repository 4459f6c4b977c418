package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"harborwatch/auth"
	"harborwatch/compliance"
	"harborwatch/compliance/catalog"
	"harborwatch/incident"
	"harborwatch/store"
)

// Compliance evaluates a site at now with the default policy (or
// maxAge when not zero).
func (s *Server) Compliance(ctx context.Context, site string, maxAge time.Duration) (*compliance.Gathered, error) {
	return compliance.Gather(ctx, s.st, site, s.now().UTC(), compliance.Policy{MaxAge: maxAge})
}

// Attest records an attestation for p (analyst or higher), audited. The
// control must be one of the catalog.
func (s *Server) Attest(ctx context.Context, p *Principal, remote string, a store.Attestation) (store.Attestation, error) {
	if !auth.RoleAllows(p.Role, store.Analyst) {
		return a, errorf(http.StatusForbidden, "role %s may not attest", p.Role)
	}
	cat, err := catalog.Load()
	if err != nil {
		return a, err
	}
	if _, ok := cat.Control(a.Control); !ok {
		return a, errorf(http.StatusUnprocessableEntity, "control %q is not in the catalog", a.Control)
	}
	if _, err := s.st.Site(ctx, a.Site); err != nil {
		return a, err
	}
	a.Author, a.ID, a.Created = p.Actor, "", s.now().UTC()
	if err := a.Check(); err != nil {
		return a, errorf(http.StatusUnprocessableEntity, "attestation: %v", err)
	}
	a, err = s.st.AddAttestation(ctx, a)
	s.audit(ctx, p.Actor, remote, "attestation.add", "attestation:"+a.ID, result(err),
		map[string]any{"site": a.Site, "control": a.Control, "by": a.By, "doc_sha256": a.DocSHA256})
	return a, err
}

// WithdrawAttestation withdraws one for p (analyst or higher), audited.
func (s *Server) WithdrawAttestation(ctx context.Context, p *Principal, remote, id string) error {
	if !auth.RoleAllows(p.Role, store.Analyst) {
		return errorf(http.StatusForbidden, "role %s may not withdraw attestations", p.Role)
	}
	err := s.st.WithdrawAttestation(ctx, id, s.now().UTC())
	s.audit(ctx, p.Actor, remote, "attestation.withdraw", "attestation:"+id, result(err), nil)
	return err
}

// PutAccess creates or replaces an access register entry for p (admin),
// audited.
func (s *Server) PutAccess(ctx context.Context, p *Principal, remote string, a store.AccessEntry) (store.AccessEntry, error) {
	if !auth.RoleAllows(p.Role, store.Admin) {
		return a, errorf(http.StatusForbidden, "role %s may not change the access register", p.Role)
	}
	if _, err := s.st.Site(ctx, a.Site); err != nil {
		return a, err
	}
	a.Author = p.Actor
	if err := a.Check(); err != nil {
		return a, errorf(http.StatusUnprocessableEntity, "access entry: %v", err)
	}
	a, err := s.st.PutAccess(ctx, a)
	s.audit(ctx, p.Actor, remote, "access.put", "access:"+a.ID, result(err), map[string]any{"site": a.Site, "crane": a.Crane,
		"system": a.System, "holder": a.Holder, "path": a.Path, "sources": a.Sources, "mfa": a.MFA, "clause_sha256": a.ClauseSHA256})
	return a, err
}

// DeleteAccess removes an access register entry for p (admin), audited.
func (s *Server) DeleteAccess(ctx context.Context, p *Principal, remote, id string) error {
	if !auth.RoleAllows(p.Role, store.Admin) {
		return errorf(http.StatusForbidden, "role %s may not change the access register", p.Role)
	}
	err := s.st.DeleteAccess(ctx, id)
	s.audit(ctx, p.Actor, remote, "access.delete", "access:"+id, result(err), nil)
	return err
}

// OpenIncident opens an incident from findings of a site for p (analyst
// or higher), audited.
func (s *Server) OpenIncident(ctx context.Context, p *Principal, remote, site string, findings []string, title string) (store.Incident, error) {
	if !auth.RoleAllows(p.Role, store.Analyst) {
		return store.Incident{}, errorf(http.StatusForbidden, "role %s may not open incidents", p.Role)
	}
	if len(findings) == 0 || len(findings) > incident.MaxFindings {
		return store.Incident{}, errorf(http.StatusUnprocessableEntity, "an incident needs 1 to %d findings", incident.MaxFindings)
	}
	in, err := incident.Open(ctx, s.st, site, findings, title, p.Actor, s.now().UTC())
	s.audit(ctx, p.Actor, remote, "incident.open", "incident:"+in.ID, result(err), map[string]any{"site": site, "findings": findings})
	return in, err
}

// UpdateIncident replaces an incident's status, notes, title and report
// fields for p (analyst or higher), audited.
func (s *Server) UpdateIncident(ctx context.Context, p *Principal, remote string, in store.Incident) (store.Incident, error) {
	if !auth.RoleAllows(p.Role, store.Analyst) {
		return in, errorf(http.StatusForbidden, "role %s may not change incidents", p.Role)
	}
	if err := in.Check(); err != nil {
		return in, errorf(http.StatusUnprocessableEntity, "incident: %v", err)
	}
	in, err := s.st.UpdateIncident(ctx, in)
	s.audit(ctx, p.Actor, remote, "incident.update", "incident:"+in.ID, result(err), map[string]any{"status": in.Status, "fields": len(in.Fields)})
	return in, err
}

func result(err error) string {
	if err != nil {
		return "failed"
	}
	return "ok"
}

// --- API handlers -------------------------------------------------------

func (s *Server) complianceReport(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	site, err := pathID(r, "site")
	if err != nil {
		return err
	}
	var maxAge time.Duration
	if v := r.URL.Query().Get("max_age"); v != "" {
		if maxAge, err = auth.ParseDuration(v); err != nil || maxAge <= 0 {
			return errorf(http.StatusBadRequest, "max_age %q: want a duration such as 30d", v)
		}
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	ctype := map[string]string{"json": "application/json", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8",
		"oscal": "application/json", "text": "text/plain; charset=utf-8"}[format]
	if ctype == "" {
		return errorf(http.StatusBadRequest, "format %q: want json, csv, html, oscal or text", format)
	}
	g, err := s.Compliance(r.Context(), site, maxAge)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	if format == "html" {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	}
	if format == "json" {
		writeJSON(w, http.StatusOK, map[string]any{"report": g.Report, "reviews": g.Reconciled.Reviews, "warnings": g.Truncated})
		return nil
	}
	return g.Report.Write(w, format)
}

func (s *Server) listAttestations(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	site, err := pathID(r, "site")
	if err != nil {
		return err
	}
	as, err := s.st.Attestations(r.Context(), site)
	if err != nil {
		return err
	}
	writeList(w, "attestations", as)
	return nil
}

type attestRequest struct {
	Control   string    `json:"control"`
	By        string    `json:"by"`
	Statement string    `json:"statement"`
	Document  string    `json:"document"`
	DocSHA256 string    `json:"doc_sha256"`
	At        time.Time `json:"at"`
	Expires   time.Time `json:"expires"`
}

func (s *Server) addAttestation(w http.ResponseWriter, r *http.Request, p *Principal) error {
	site, err := pathID(r, "site")
	if err != nil {
		return err
	}
	var req attestRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if req.At.IsZero() {
		req.At = s.now().UTC()
	}
	a, err := s.Attest(r.Context(), p, remote(r), store.Attestation{Site: site, Control: req.Control, By: req.By, Statement: req.Statement,
		Document: req.Document, DocSHA256: req.DocSHA256, At: req.At, Expires: req.Expires})
	if err := p.wrote(err); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) withdrawAttestation(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = s.WithdrawAttestation(r.Context(), p, remote(r), id)
	if err := p.wrote(err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listAccess(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	site, err := pathID(r, "site")
	if err != nil {
		return err
	}
	g, err := s.Compliance(r.Context(), site, 0)
	if err != nil {
		return err
	}
	writeList(w, "entries", g.Input.Access, "used", g.Reconciled.Used, "reviews", g.Reconciled.Reviews, "unregistered", g.Reconciled.Findings)
	return nil
}

func (s *Server) putAccess(w http.ResponseWriter, r *http.Request, p *Principal) error {
	site, err := pathID(r, "site")
	if err != nil {
		return err
	}
	var a store.AccessEntry
	if err := readJSON(w, r, &a); err != nil {
		return err
	}
	if a.Site != "" && a.Site != site {
		return errorf(http.StatusBadRequest, "the entry's site %q is not the path's %q", a.Site, site)
	}
	a.Site = site
	a, err = s.PutAccess(r.Context(), p, remote(r), a)
	if err := p.wrote(err); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) deleteAccess(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = s.DeleteAccess(r.Context(), p, remote(r), id)
	if err := p.wrote(err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	site := r.URL.Query().Get("site")
	if site != "" && !idPattern.MatchString(site) {
		return errorf(http.StatusBadRequest, "site %q is not an id", site)
	}
	ins, err := s.st.Incidents(r.Context(), site)
	if err != nil {
		return err
	}
	writeList(w, "incidents", ins)
	return nil
}

type openIncidentRequest struct {
	Findings []string `json:"findings"`
	Title    string   `json:"title"`
}

func (s *Server) openIncident(w http.ResponseWriter, r *http.Request, p *Principal) error {
	site, err := pathID(r, "site")
	if err != nil {
		return err
	}
	var req openIncidentRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	in, err := s.OpenIncident(r.Context(), p, remote(r), site, req.Findings, req.Title)
	if err := p.wrote(err); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, in)
	return nil
}

func (s *Server) incidentDraft(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rep, notes, err := incident.Load(r.Context(), s.st, id, s.now().UTC())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"draft": rep, "notes": notes})
	return nil
}

type updateIncidentRequest struct {
	Title  *string           `json:"title"`
	Status *string           `json:"status"`
	Notes  *string           `json:"notes"`
	Fields map[string]string `json:"fields"` // merged: an empty value clears a field
}

func (s *Server) updateIncident(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req updateIncidentRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	in, err := s.st.Incident(r.Context(), id)
	if err != nil {
		return err
	}
	if req.Title != nil {
		in.Title = *req.Title
	}
	if req.Status != nil {
		in.Status = *req.Status
	}
	if req.Notes != nil {
		in.Notes = *req.Notes
	}
	for k, v := range req.Fields {
		if in.Fields == nil {
			in.Fields = map[string]string{}
		}
		if v == "" {
			delete(in.Fields, k)
		} else {
			in.Fields[k] = v
		}
	}
	in, err = s.UpdateIncident(r.Context(), p, remote(r), in)
	if err := p.wrote(err); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

func (s *Server) incidentSTIX(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rep, _, err := incident.Load(r.Context(), s.st, id, s.now().UTC())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.stix.json"`, id))
	writeJSON(w, http.StatusOK, incident.STIX(rep.Incident, rep.Facility, rep.Findings, rep.Files, s.now().UTC()))
	return nil
}

// wrote records whether the method a handler called wrote the request's
// audit entry itself (it does unless it refused the request with an
// *apiError before writing) and returns its error.
func (p *Principal) wrote(err error) error {
	var ae *apiError
	p.audited = !errors.As(err, &ae)
	return err
}
