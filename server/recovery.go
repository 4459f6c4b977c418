package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"harborwatch/auth"
	"harborwatch/recovery"
	"harborwatch/site"
	"harborwatch/store"
)

func (s *Server) listBaselines(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	bs, err := s.st.Baselines(r.Context())
	if err != nil {
		return err
	}
	writeList(w, "baselines", bs)
	return nil
}

func (s *Server) listVerifications(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	limit, err := queryInt(r, "limit", 100, 10000)
	if err != nil {
		return err
	}
	vs, err := s.st.Verifications(r.Context(), r.URL.Query().Get("asset"), limit)
	if err != nil {
		return err
	}
	writeList(w, "verifications", vs)
	return nil
}

func (s *Server) listBackups(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	bs, err := s.st.Backups(r.Context(), r.URL.Query().Get("crane"))
	if err != nil {
		return err
	}
	writeList(w, "backups", bs)
	return nil
}

// backupRequest is the body of PUT /api/v1/backups/{id}.
type backupRequest struct {
	Crane         string     `json:"crane"`
	Asset         string     `json:"asset"`
	Item          string     `json:"item"`
	System        string     `json:"system"`
	Location      string     `json:"location"`
	Offline       bool       `json:"offline"`
	SHA256        string     `json:"sha256"`
	Size          int64      `json:"size"`
	TakenAt       time.Time  `json:"taken_at"`
	RestoreTested *time.Time `json:"restore_tested"`
	RestoreResult string     `json:"restore_result"`
	RestoreBy     string     `json:"restore_by"`
	Note          string     `json:"note"`
}

// CheckBackup says what is wrong with a backup register entry, as the
// CSV reader would: "" when nothing.
func CheckBackup(b store.Backup) string {
	switch {
	case b.Crane == "":
		return "crane is required"
	case !slices.Contains(recovery.Items, b.Item):
		return fmt.Sprintf("item %q: want %s", b.Item, strings.Join(recovery.Items, ", "))
	case b.System != "" && !slices.Contains(recovery.Systems, b.System):
		return fmt.Sprintf("system %q: want %s", b.System, strings.Join(recovery.Systems, ", "))
	case b.Item == "os-image" && b.System == "":
		return "an os-image names its system (" + strings.Join(recovery.Systems, ", ") + ")"
	case b.SHA256 != "" && (len(b.SHA256) != 64 || strings.Trim(b.SHA256, "0123456789abcdef") != ""):
		return fmt.Sprintf("sha256 %q: not 64 lower-case hex digits", b.SHA256)
	case b.RestoreResult != "" && b.RestoreResult != "pass" && b.RestoreResult != "fail":
		return fmt.Sprintf("restore_result %q: want pass or fail", b.RestoreResult)
	case b.RestoreTested != nil && b.RestoreResult == "":
		return "a restore test (restore_tested) needs restore_result pass or fail"
	case b.Size < 0:
		return "size is negative"
	case len(b.Location) > 1000 || len(b.Note) > 1000:
		return "location or note longer than 1000 characters"
	}
	return ""
}

func (s *Server) putBackup(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req backupRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	b := store.Backup{ID: id, Crane: req.Crane, Asset: req.Asset, Item: req.Item, System: req.System, Location: req.Location,
		Offline: req.Offline, SHA256: strings.ToLower(req.SHA256), Size: req.Size, TakenAt: req.TakenAt.UTC(), RestoreTested: req.RestoreTested,
		RestoreResult: req.RestoreResult, RestoreBy: req.RestoreBy, Note: req.Note, By: p.Actor, Updated: s.now().UTC()}
	if msg := CheckBackup(b); msg != "" {
		return errorf(http.StatusUnprocessableEntity, "backup: %s", msg)
	}
	if old, err := s.st.Backup(r.Context(), id); err == nil {
		// A replaced entry keeps what backup verify found.
		b.Verified, b.VerifyResult = old.Verified, old.VerifyResult
	}
	b, err = s.st.PutBackup(r.Context(), b)
	if err != nil {
		return err
	}
	p.target = "backup:" + b.ID
	p.detail = map[string]any{"crane": b.Crane, "asset": b.Asset, "item": b.Item, "offline": b.Offline, "sha256": b.SHA256}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) deleteBackup(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p.target = "backup:" + id
	if err := s.st.DeleteBackup(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listSpares(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	ss, err := s.st.Spares(r.Context(), r.URL.Query().Get("crane"))
	if err != nil {
		return err
	}
	writeList(w, "spares", ss)
	return nil
}

// spareRequest is the body of PUT /api/v1/spares/{id}.
type spareRequest struct {
	Crane              string     `json:"crane"`
	Component          string     `json:"component"`
	Model              string     `json:"model"`
	OnHand             int        `json:"on_hand"`
	Required           int        `json:"required"`
	Location           string     `json:"location"`
	FirmwareCompatible string     `json:"firmware_compatible"`
	RebuildTested      *time.Time `json:"rebuild_tested"`
	Note               string     `json:"note"`
}

func (s *Server) putSpare(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req spareRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if req.FirmwareCompatible == "" {
		req.FirmwareCompatible = "unknown"
	}
	switch {
	case req.Crane == "":
		return errorf(http.StatusUnprocessableEntity, "spare: crane is required")
	case !slices.Contains(recovery.Components, req.Component):
		return errorf(http.StatusUnprocessableEntity, "spare: component %q: want %s", req.Component, strings.Join(recovery.Components, ", "))
	case req.OnHand < 0 || req.Required < 0 || req.OnHand > 1e6 || req.Required > 1e6:
		return errorf(http.StatusUnprocessableEntity, "spare: on_hand and required are counts from 0 to 1000000")
	case !slices.Contains([]string{"yes", "no", "unknown"}, req.FirmwareCompatible):
		return errorf(http.StatusUnprocessableEntity, "spare: firmware_compatible %q: want yes, no or unknown", req.FirmwareCompatible)
	}
	sp, err := s.st.PutSpare(r.Context(), store.Spare{ID: id, Crane: req.Crane, Component: req.Component, Model: req.Model,
		OnHand: req.OnHand, Required: req.Required, Location: req.Location, FirmwareCompatible: req.FirmwareCompatible,
		RebuildTested: req.RebuildTested, Note: req.Note, By: p.Actor, Updated: s.now().UTC()})
	if err != nil {
		return err
	}
	p.target = "spare:" + sp.ID
	p.detail = map[string]any{"crane": sp.Crane, "component": sp.Component, "on_hand": sp.OnHand, "required": sp.Required}
	writeJSON(w, http.StatusOK, sp)
	return nil
}

func (s *Server) deleteSpare(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p.target = "spare:" + id
	if err := s.st.DeleteSpare(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// importRegister imports the CSV body into a register: the good rows are
// put, the bad ones answered (422 when any, with what was imported).
func (s *Server) importRegister(what string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		name := "body"
		if n := r.URL.Query().Get("name"); n != "" && idPattern.MatchString(strings.ReplaceAll(n, "/", "_")) {
			name = n
		}
		body := http.MaxBytesReader(w, r.Body, 32<<20)
		var bs []store.Backup
		var ss []store.Spare
		var problems, notices []recovery.Problem
		var err error
		if what == "backup" {
			bs, problems, notices, err = recovery.ReadBackups(name, body)
		} else {
			ss, problems, notices, err = recovery.ReadSpares(name, body)
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return err
			}
			return errorf(http.StatusBadRequest, "%s import: %v", what, err)
		}
		now := s.now().UTC()
		for _, b := range bs {
			b.By, b.Updated = p.Actor, now
			if _, err := s.st.PutBackup(r.Context(), b); err != nil {
				return err
			}
		}
		for _, sp := range ss {
			sp.By, sp.Updated = p.Actor, now
			if _, err := s.st.PutSpare(r.Context(), sp); err != nil {
				return err
			}
		}
		text := func(ps []recovery.Problem) []string {
			out := make([]string, len(ps))
			for i, p := range ps {
				out[i] = p.Error()
			}
			return out
		}
		n := len(bs) + len(ss)
		p.target = what + ":import"
		p.detail = map[string]any{"rows": n, "problems": len(problems)}
		status := http.StatusOK
		if len(problems) > 0 {
			status = http.StatusUnprocessableEntity
		}
		writeJSON(w, status, map[string]any{"imported": n, "problems": text(problems), "notices": text(notices)})
		return nil
	}
}

func (s *Server) readiness(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	q := r.URL.Query()
	now := s.now().UTC()
	if v := q.Get("at"); v != "" {
		t, err := parseTime(r, "at")
		if err != nil {
			return err
		}
		now = t.UTC()
	}
	var pol recovery.Policy
	for _, x := range []struct {
		name string
		d    *time.Duration
	}{{"max_backup_age", &pol.MaxBackupAge}, {"max_restore_age", &pol.MaxRestoreAge}, {"max_rebuild_age", &pol.MaxRebuildAge}} {
		if v := q.Get(x.name); v != "" {
			d, err := auth.ParseDuration(v)
			if err != nil || d <= 0 {
				return errorf(http.StatusBadRequest, "%s %q is not a positive duration such as 30d or 12w", x.name, v)
			}
			*x.d = d
		}
	}
	rep, err := Readiness(r, s.st, q.Get("site"), pol, now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// Readiness makes the readiness report of the stored registers at now:
// the cranes of the stored site model siteID ("" → only those the
// registers name) and the changes the store knows.
func Readiness(r *http.Request, st store.Store, siteID string, pol recovery.Policy, now time.Time) (recovery.Report, error) {
	ctx := r.Context()
	var cranes []string
	if siteID != "" {
		sm, err := st.Site(ctx, siteID)
		if err != nil {
			return recovery.Report{}, err
		}
		m, err := site.Parse(siteID, []byte(sm.YAML))
		if err != nil {
			return recovery.Report{}, errorf(http.StatusConflict, "site %s: its model does not parse", siteID)
		}
		for _, c := range m.Cranes {
			cranes = append(cranes, c.ID)
		}
	}
	bs, err := st.Backups(ctx, "")
	if err != nil {
		return recovery.Report{}, err
	}
	ss, err := st.Spares(ctx, "")
	if err != nil {
		return recovery.Report{}, err
	}
	changes, err := recovery.StoreChanges(ctx, st)
	if err != nil {
		return recovery.Report{}, err
	}
	return recovery.Readiness(cranes, bs, ss, changes, pol, now), nil
}

// reverify verifies every baseline that has a path against the files
// there, keeps each result with its findings and audits it as the system.
func (s *Server) reverify(ctx context.Context) {
	bs, err := s.st.Baselines(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("baseline re-verification: "+err.Error(), "error", err.Error())
		}
		return
	}
	for _, b := range bs {
		if b.Path == "" || ctx.Err() != nil {
			continue
		}
		res, v, sum, err := recovery.Verify(ctx, s.st, b, s.cfg.ReverifyKey, []string{b.Path}, "", "system", s.now().UTC())
		result, detail := res.Status, map[string]any{"baseline": b.ID, "path": b.Path}
		if err != nil {
			result, detail["error"] = "failed", err.Error()
			s.log.Warn(fmt.Sprintf("baseline of %s: re-verification from %s failed: %v", b.Asset, b.Path, err), "asset", b.Asset, "error", err.Error())
		} else {
			detail["verification"], detail["findings_new"] = v.ID, sum.New
			level := slog.LevelInfo
			if res.Status != "matches" {
				level = slog.LevelWarn
			}
			s.log.Log(ctx, level, fmt.Sprintf("baseline of %s: %s", b.Asset, res.Summary()), "asset", b.Asset, "status", res.Status)
		}
		s.audit(ctx, "system", "", "baseline.verify", "asset:"+b.Asset, result, detail)
	}
}

func (s *Server) reverifyLoop(ctx context.Context) {
	s.reverify(ctx)
	t := time.NewTicker(s.cfg.Reverify)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.reverify(ctx)
		}
	}
}
