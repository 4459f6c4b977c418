package web

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"harborwatch/evidence"
	"harborwatch/finding"
	"harborwatch/server"
	"harborwatch/site"
	"harborwatch/store"
	"harborwatch/web/draw"
)

// zoneFlows are the findings between zones as the drawing's red arrows.
func (c *Console) zoneFlows(r *http.Request, siteID string) ([]draw.Flow, error) {
	counts, err := c.st.FindingCounts(r.Context(), siteID, c.srv.Now())
	if err != nil {
		return nil, err
	}
	type pair struct{ from, to string }
	n := map[pair]int{}
	for _, fc := range counts {
		if rl, ok := finding.Lookup(fc.Rule); !ok || rl.Device || fc.SrcZone == "" || fc.DstZone == "" || fc.State == store.Resolved {
			continue
		}
		n[pair{fc.SrcZone, fc.DstZone}] += fc.N
	}
	var out []draw.Flow
	for p, k := range n {
		out = append(out, draw.Flow{From: p.from, To: p.to, Count: k,
			Href: "/findings?site=" + urlq(siteID) + "&zone=" + urlq(p.to) + "&q=" + urlq(p.from)})
	}
	return out, nil
}

func (c *Console) zones(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	sites, err := c.st.Sites(r.Context())
	if err != nil {
		return err
	}
	siteID := r.URL.Query().Get("site")
	var ids []string
	for _, s := range sites {
		ids = append(ids, s.ID)
	}
	if siteID == "" && len(ids) > 0 {
		siteID = ids[0]
	}
	var svg template.HTML
	if siteID != "" {
		m, _, err := c.model(r, siteID)
		if err != nil {
			return err
		}
		flows, err := c.zoneFlows(r, siteID)
		if err != nil {
			return err
		}
		// draw.SVG escapes every text and keeps only relative links: its
		// output goes into the page as it is.
		svg = template.HTML(draw.SVG(draw.Input{Site: m, Flows: flows}))
	}
	pg := c.base(r, p, "Zones and conduits", "zones")
	pg.Data = map[string]any{"Site": siteID, "Sites": ids, "SVG": svg}
	c.render(w, http.StatusOK, "zones", pg)
	return nil
}

func (c *Console) zonesSVG(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	siteID := r.URL.Query().Get("site")
	if siteID == "" {
		sites, err := c.st.Sites(r.Context())
		if err != nil {
			return err
		}
		if len(sites) == 0 {
			return errorf(http.StatusNotFound, "no site yet")
		}
		siteID = sites[0].ID
	}
	m, _, err := c.model(r, siteID)
	if err != nil {
		return err
	}
	flows, err := c.zoneFlows(r, siteID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	_, err = w.Write(draw.SVG(draw.Input{Site: m, Flows: flows}))
	return err
}

// evidence writes the pcap of a finding's packets in one stored capture.
// sensorEvidence serves the evidence file a sensor published for a
// finding, as serve stored it.
func (c *Console) sensorEvidence(w http.ResponseWriter, r *http.Request, _ *server.Principal) error {
	siteID, id := r.PathValue("site"), r.PathValue("id")
	ev, err := c.st.Evidence(r.Context(), siteID, id)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "finding %s of site %s has no evidence file from a sensor", id, siteID)
	}
	if err != nil {
		return err
	}
	ctype, ext := "application/vnd.tcpdump.pcap", ".pcap"
	if ev.Format == "pcapng" {
		ctype, ext = "application/x-pcapng", ".pcapng"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+ext+`"`)
	w.Header().Set("X-Evidence-SHA256", ev.SHA256)
	_, err = w.Write(ev.Data)
	return err
}

func (c *Console) evidence(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	siteID, id, capID := r.PathValue("site"), r.PathValue("id"), strings.TrimSuffix(r.PathValue("capture"), ".pcap")
	f, err := c.st.Finding(r.Context(), siteID, id)
	if err != nil {
		return err
	}
	var refs []evidence.Ref
	for _, ev := range f.Evidence {
		if ev.Capture == capID {
			for _, n := range ev.Packets {
				refs = append(refs, evidence.Ref{File: 0, Number: n})
			}
		}
	}
	if len(refs) == 0 {
		return errorf(http.StatusNotFound, "finding %s has no packets in capture %s", id, capID)
	}
	cp, err := c.st.Capture(r.Context(), capID)
	if err != nil {
		return err
	}
	if cp.Site != siteID {
		return errorf(http.StatusNotFound, "capture %s is not of site %s", capID, siteID)
	}
	if _, err := os.Stat(cp.Path); err != nil {
		return errorf(http.StatusGone, "the server no longer has capture %s", capID)
	}
	dir, err := os.MkdirTemp("", "harborwatch-evidence")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	res, err := evidence.Write(dir, []evidence.Capture{{Path: cp.Path, SHA256: cp.SHA256}}, []evidence.Request{{ID: "evidence", Packets: refs}}, evidence.Options{})
	if err != nil {
		return err
	}
	if len(res.Files) == 0 || res.Files[0].Path == "" {
		return errorf(http.StatusNotFound, "none of the finding's packets could be read from capture %s", capID)
	}
	fh, err := os.Open(res.Files[0].Path)
	if err != nil {
		return err
	}
	defer fh.Close()
	w.Header().Set("Content-Type", "application/vnd.tcpdump.pcap")
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+"-"+capID+filepath.Ext(res.Files[0].Path)+`"`)
	_, err = io.Copy(w, fh)
	return err
}

func (c *Console) admin(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	users, err := c.st.Users(r.Context())
	if err != nil {
		return err
	}
	tokens, err := c.st.Tokens(r.Context())
	if err != nil {
		return err
	}
	sites, err := c.st.Sites(r.Context())
	if err != nil {
		return err
	}
	pg := c.base(r, p, "Administration", "admin")
	pg.Data = map[string]any{"Users": users, "Tokens": tokens, "Sites": sites, "Roles": []string{store.Viewer, store.Analyst, store.Admin},
		"NewToken": r.URL.Query().Get("token")}
	c.render(w, http.StatusOK, "admin", pg)
	return nil
}

func (c *Console) addUser(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	u, err := server.NewUser(r.PostFormValue("name"), r.PostFormValue("role"), r.PostFormValue("password"), c.srv.Now())
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	err = c.st.AddUser(r.Context(), u)
	c.srv.Audit(r.Context(), p, server.Remote(r), "user.add", "user:"+u.Name, result(err), map[string]any{"role": u.Role, "via": "console"})
	if err != nil {
		return err
	}
	back(w, r, "/admin", "user "+u.Name+" added")
	return nil
}

func result(err error) string {
	if err != nil {
		return "failed"
	}
	return "ok"
}

func (c *Console) createToken(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	tok, secret, err := server.NewToken(r.PostFormValue("name"), r.PostFormValue("role"), r.PostFormValue("expires"), p.Actor, c.srv.Now())
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	err = c.st.AddToken(r.Context(), tok)
	c.srv.Audit(r.Context(), p, server.Remote(r), "token.create", "token:"+tok.ID, result(err), map[string]any{"name": tok.Name, "role": tok.Role, "via": "console"})
	if err != nil {
		return err
	}
	// Shown once, on the page the form returns to; never stored.
	pg := c.base(r, p, "New token", "admin")
	pg.Data = map[string]string{"ID": tok.ID, "Name": tok.Name, "Role": tok.Role, "Secret": secret}
	c.render(w, http.StatusOK, "token", pg)
	return nil
}

func (c *Console) revokeToken(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	id := r.PathValue("id")
	err := c.st.RevokeToken(r.Context(), id, c.srv.Now().UTC())
	c.srv.Audit(r.Context(), p, server.Remote(r), "token.revoke", "token:"+id, result(err), map[string]any{"via": "console"})
	if err != nil {
		return err
	}
	back(w, r, "/admin", "token "+id+" revoked")
	return nil
}

type siteEditData struct {
	ID       string
	YAML     string
	Problems []site.Problem
	New      bool
}

func (c *Console) siteEdit(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	id := r.PathValue("site")
	d := siteEditData{ID: id}
	row, err := c.st.Site(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.New = true
		d.YAML = "version: 1\nfacility:\n  id: " + id + "\n  name: \nzones: []\n"
	case err != nil:
		return err
	default:
		d.YAML = row.YAML
	}
	pg := c.base(r, p, "Site "+id, "admin")
	pg.Data = d
	c.render(w, http.StatusOK, "site", pg)
	return nil
}

func (c *Console) siteSave(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	id := r.PathValue("site")
	text := strings.ReplaceAll(r.PostFormValue("yaml"), "\r\n", "\n")
	_, err := site.Parse(id+".yaml", []byte(text))
	if err != nil {
		d := siteEditData{ID: id, YAML: text}
		var ps site.Problems
		if errors.As(err, &ps) {
			d.Problems = ps
		} else {
			d.Problems = site.Problems{{Msg: err.Error()}}
		}
		c.srv.Audit(r.Context(), p, server.Remote(r), "site.put", "site:"+id, "failed", map[string]any{"problems": len(d.Problems), "via": "console"})
		pg := c.base(r, p, "Site "+id, "admin")
		pg.Data = d
		c.render(w, http.StatusUnprocessableEntity, "site", pg)
		return nil
	}
	err = c.st.PutSite(r.Context(), store.Site{ID: id, YAML: text, Model: "{}", Updated: c.srv.Now().UTC(), By: p.Actor})
	c.srv.Audit(r.Context(), p, server.Remote(r), "site.put", "site:"+id, result(err), map[string]any{"via": "console"})
	if err != nil {
		return err
	}
	back(w, r, "/admin/sites/"+id, "site "+id+" saved")
	return nil
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	es, err := c.st.AuditLog(r.Context(), max(after, 0), 200)
	if err != nil {
		return err
	}
	next := ""
	if len(es) == 200 {
		next = fmt.Sprint(es[len(es)-1].Seq)
	}
	pg := c.base(r, p, "Audit log", "admin")
	pg.Data = map[string]any{"Entries": es, "Next": next}
	c.render(w, http.StatusOK, "audit", pg)
	return nil
}

func urlq(s string) string { return url.QueryEscape(s) }
