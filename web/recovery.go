package web

import (
	"net/http"
	"time"

	"harborwatch/recovery"
	"harborwatch/server"
	"harborwatch/store"
)

// baselineRow is a baseline with its latest verification.
type baselineRow struct {
	store.Baseline
	Last *store.Verification
}

// recoveryPage shows readiness per crane (the cranes of ?site= and those
// the registers name), then the registers: integrity baselines with their
// latest verification, backups and spares.
func (c *Console) recoveryPage(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	ctx := r.Context()
	sites, err := c.st.Sites(ctx)
	if err != nil {
		return err
	}
	var ids []string
	for _, s := range sites {
		ids = append(ids, s.ID)
	}
	siteID := r.URL.Query().Get("site")
	if siteID == "" && len(ids) == 1 {
		siteID = ids[0]
	}
	rep, err := server.Readiness(r, c.st, siteID, recovery.Policy{}, c.srv.Now())
	if err != nil {
		return err
	}
	bs, err := c.st.Baselines(ctx)
	if err != nil {
		return err
	}
	rows := make([]baselineRow, len(bs))
	for i, b := range bs {
		rows[i].Baseline = b
		if vs, err := c.st.Verifications(ctx, b.Asset, 1); err == nil && len(vs) > 0 {
			rows[i].Last = &vs[0]
		}
	}
	backups, err := c.st.Backups(ctx, "")
	if err != nil {
		return err
	}
	spares, err := c.st.Spares(ctx, "")
	if err != nil {
		return err
	}
	pg := c.base(r, p, "Recovery", "recovery")
	pg.Data = struct {
		Site      string
		Sites     []string
		Report    recovery.Report
		Baselines []baselineRow
		Backups   []store.Backup
		Spares    []store.Spare
		Day       func(*time.Time) string
	}{siteID, ids, rep, rows, backups, spares, func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "never"
		}
		return t.UTC().Format(time.DateOnly)
	}}
	c.render(w, http.StatusOK, "recovery", pg)
	return nil
}
