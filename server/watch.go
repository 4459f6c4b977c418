package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"harborwatch/store"
)

// watchLoop scans the watch folder until ctx is done.
func (s *Server) watchLoop(ctx context.Context) {
	seen := map[string]int64{} // path → size at the previous scan
	warned := map[string]bool{}
	t := time.NewTicker(s.cfg.WatchInterval)
	defer t.Stop()
	for {
		s.scanWatch(ctx, seen, warned)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// scanWatch ingests the files of Watch/SITE/ whose size did not change
// since the previous scan (a file still being copied waits).
func (s *Server) scanWatch(ctx context.Context, seen map[string]int64, warned map[string]bool) {
	sites, err := os.ReadDir(s.cfg.Watch)
	if err != nil {
		if !warned[s.cfg.Watch] {
			s.log.Warn("watch folder: "+err.Error(), "error", err.Error())
			warned[s.cfg.Watch] = true
		}
		return
	}
	now := map[string]int64{}
	for _, sd := range sites {
		if !sd.IsDir() || strings.HasPrefix(sd.Name(), ".") {
			continue
		}
		siteID := sd.Name()
		dir := filepath.Join(s.cfg.Watch, siteID)
		files, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, fe := range files {
			name := fe.Name()
			if !fe.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".part") || strings.HasSuffix(name, ".tmp") {
				continue
			}
			path := filepath.Join(dir, name)
			fi, err := fe.Info()
			if err != nil {
				continue
			}
			now[path] = fi.Size()
			if prev, ok := seen[path]; !ok || prev != fi.Size() {
				continue // new or still growing: next scan
			}
			if ctx.Err() != nil {
				return
			}
			if err := s.ingestFile(ctx, siteID, path); err != nil {
				key := path + "\x00" + err.Error()
				if !warned[key] {
					s.log.Warn(fmt.Sprintf("watch: %s: %v", path, err), "file", path, "error", err.Error())
					warned[key] = true
				}
			}
		}
	}
	clear(seen)
	for k, v := range now {
		seen[k] = v
	}
}

var errNoSite = errors.New("no such site: PUT its site.yaml first (the file stays until then)")

// ingestFile queues one dropped file unless a capture with its SHA-256
// was already taken for the site, then moves it to .done/ (or, when it
// is not a capture, to .failed/).
func (s *Server) ingestFile(ctx context.Context, siteID, path string) error {
	if !idPattern.MatchString(siteID) {
		return fmt.Errorf("folder name %q is not a site id", siteID)
	}
	if _, err := s.st.Site(ctx, siteID); errors.Is(err, store.ErrNotFound) {
		return errNoSite
	} else if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	id := newID("C")
	c, err := s.keep(io.LimitReader(f, s.cfg.MaxUpload+1), id, func(head []byte) error {
		if !isCapture(head) {
			return fmt.Errorf("not a pcap or pcapng capture (first bytes % x)", head)
		}
		return nil
	})
	f.Close()
	if err != nil {
		if strings.HasPrefix(err.Error(), "not a pcap") {
			return s.moveAside(path, ".failed", err)
		}
		return err
	}
	if c.Size > s.cfg.MaxUpload {
		os.Remove(c.Path)
		return s.moveAside(path, ".failed", fmt.Errorf("larger than the upload limit of %d bytes", s.cfg.MaxUpload))
	}
	if old, err := s.st.CaptureBySHA(ctx, siteID, c.SHA256); err == nil {
		os.Remove(c.Path)
		s.log.Info(fmt.Sprintf("watch: %s was already ingested as capture %s: moved aside", path, old.ID), "file", path, "capture", old.ID)
		return s.moveAside(path, ".done", nil)
	} else if !errors.Is(err, store.ErrNotFound) {
		os.Remove(c.Path)
		return err
	}
	c.Site, c.Name, c.By, c.Status, c.Created = siteID, filepath.Base(path), "watch", store.Queued, s.now().UTC()
	if err := durable(c.Path); err != nil {
		os.Remove(c.Path)
		return err
	}
	if _, err := s.st.AddCapture(ctx, c); err != nil {
		os.Remove(c.Path)
		return err
	}
	raw := fmt.Sprintf(`{"site":%q,"file":%q,"sha256":%q,"bytes":%d}`, siteID, filepath.Base(path), c.SHA256, c.Size)
	if _, err := s.st.Audit(ctx, store.AuditEntry{At: s.now().UTC(), Actor: "system", Action: "capture.watch", Target: "capture:" + c.ID, Result: "ok", Detail: []byte(raw)}); err != nil {
		s.log.Error("audit log: "+err.Error(), "error", err.Error())
	}
	s.metrics.uploads.Inc()
	s.kick()
	s.log.Info(fmt.Sprintf("watch: queued %s as capture %s of site %s", path, c.ID, siteID), "file", path, "capture", c.ID)
	return s.moveAside(path, ".done", nil)
}

func (s *Server) moveAside(path, sub string, why error) error {
	dir := filepath.Join(filepath.Dir(path), sub)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	dst := filepath.Join(dir, filepath.Base(path))
	if _, err := os.Stat(dst); err == nil {
		dst = filepath.Join(dir, fmt.Sprintf("%s.%d", filepath.Base(path), s.now().UnixNano()))
	}
	if err := os.Rename(path, dst); err != nil {
		return err
	}
	if why != nil {
		s.log.Warn(fmt.Sprintf("watch: %s %v: moved to %s", path, why, dst), "file", path, "error", why.Error())
	}
	return nil
}
