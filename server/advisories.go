package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"harborwatch/finding"
	"harborwatch/inventory"
	"harborwatch/site"
	"harborwatch/store"
	"harborwatch/vuln"
)

// advisoryCache keeps the stored advisories parsed, by id, with the hash
// of the document they were parsed from: a run reads the list (no
// documents) and parses only what was imported since.
type advisoryCache struct {
	mu     sync.Mutex
	parsed map[string]cachedAdvisory
}

type cachedAdvisory struct {
	sha256 string
	adv    *vuln.Advisory
	err    error // the stored document does not parse (logged once)
}

// Advisories returns the advisories runs are matched against: those of
// the configuration (--csaf) and those imported into the store. When
// both hold an id, the newer revision (current release date) is used.
// A stored document that no longer parses is left out and logged.
func (s *Server) Advisories(ctx context.Context) ([]*vuln.Advisory, error) {
	list, err := s.st.Advisories(ctx)
	if err != nil {
		return nil, fmt.Errorf("advisories: %w", err)
	}
	c := &s.advs
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.parsed == nil {
		c.parsed = map[string]cachedAdvisory{}
	}
	byID := map[string]*vuln.Advisory{}
	for _, a := range s.cfg.Advisories {
		byID[a.ID] = a
	}
	live := map[string]bool{}
	for _, sa := range list {
		live[sa.ID] = true
		ca, ok := c.parsed[sa.ID]
		if !ok || ca.sha256 != sa.SHA256 {
			full, err := s.st.Advisory(ctx, sa.ID)
			if err != nil {
				return nil, fmt.Errorf("advisory %s: %w", sa.ID, err)
			}
			ca = cachedAdvisory{sha256: full.SHA256}
			ca.adv, ca.err = vuln.Parse("stored advisory "+sa.ID, full.Doc)
			if ca.err != nil {
				s.log.Error("a stored advisory does not parse: it is not matched: "+ca.err.Error(), "advisory", sa.ID)
			}
			c.parsed[sa.ID] = ca
		}
		if ca.err != nil {
			continue
		}
		if prev := byID[ca.adv.ID]; prev == nil || ca.adv.Current.After(prev.Current) {
			byID[ca.adv.ID] = ca.adv
		}
	}
	for id := range c.parsed {
		if !live[id] {
			delete(c.parsed, id)
		}
	}
	out := make([]*vuln.Advisory, 0, len(byID))
	for _, a := range byID {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *vuln.Advisory) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// advisoryInfo is one advisory as the API lists it.
type advisoryInfo struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Publisher string    `json:"publisher"`
	Version   string    `json:"version"`
	Current   time.Time `json:"current_release"`
	URL       string    `json:"url,omitempty"`
	CVEs      []string  `json:"cves"`
	Products  int       `json:"products"`
	// Source is "store" (imported with 'vulns import') or "config"
	// (the server's --csaf).
	Source   string     `json:"source"`
	File     string     `json:"file,omitempty"`
	Imported *time.Time `json:"imported,omitempty"`
	By       string     `json:"by,omitempty"`
}

func (s *Server) listAdvisories(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	advs, err := s.Advisories(r.Context())
	if err != nil {
		return err
	}
	stored, err := s.st.Advisories(r.Context())
	if err != nil {
		return err
	}
	meta := map[string]store.Advisory{}
	for _, a := range stored {
		meta[a.ID] = a
	}
	out := make([]advisoryInfo, 0, len(advs))
	for _, a := range advs {
		ai := advisoryInfo{ID: a.ID, Title: a.Title, Publisher: a.Publisher, Version: a.Version, Current: a.Current, URL: a.URL,
			CVEs: []string{}, Products: len(a.ProductList), Source: "config"}
		for _, v := range a.Vulns {
			if v.CVE != "" && !slices.Contains(ai.CVEs, v.CVE) {
				ai.CVEs = append(ai.CVEs, v.CVE)
			}
		}
		if m, ok := meta[a.ID]; ok && m.Current.Equal(a.Current.UTC().Truncate(time.Microsecond)) {
			imp := m.Imported
			ai.Source, ai.File, ai.Imported, ai.By = "store", m.File, &imp, m.By
		}
		out = append(out, ai)
	}
	writeList(w, "advisories", out)
	return nil
}

// AssetVulns are the known vulnerabilities of one stored asset.
type AssetVulns struct {
	Site    string      `json:"site"`
	Asset   string      `json:"asset"`
	Matches []VulnMatch `json:"matches"`
}

// VulnMatch is one advisory matching an asset, with the severity of its
// vulnerability.known finding.
type VulnMatch struct {
	vuln.Result
	Severity finding.Severity `json:"severity"`
}

// Vulns matches the stored assets of a site ("" → every site; asset ""
// → every asset) against the advisories (Advisories): the assets with at
// least one match, by site and asset, their matches by advisory.
func (s *Server) Vulns(ctx context.Context, siteID, asset string) ([]AssetVulns, error) {
	advs, err := s.Advisories(ctx)
	if err != nil {
		return nil, err
	}
	out := []AssetVulns{}
	if len(advs) == 0 {
		return out, nil
	}
	stored, err := s.st.Assets(ctx, siteID)
	if err != nil {
		return nil, err
	}
	models := map[string]*site.Site{}
	model := func(id string) *site.Site {
		if m, ok := models[id]; ok {
			return m
		}
		m := site.Default()
		if row, err := s.st.Site(ctx, id); err == nil {
			if p, err := site.Parse(id+".yaml", []byte(row.YAML)); err == nil {
				m = p
			}
		}
		models[id] = m
		return m
	}
	for _, sa := range stored {
		if asset != "" && sa.ID != asset {
			continue
		}
		var a inventory.Asset
		if err := json.Unmarshal(sa.Data, &a); err != nil {
			s.log.Warn("stored asset is not an inventory asset: not matched: "+err.Error(), "site", sa.Site, "asset", sa.ID)
			continue
		}
		a.ID = sa.ID
		rs := vuln.Match([]vuln.Device{vuln.DeviceOf(&a)}, advs)
		if len(rs) == 0 {
			continue
		}
		st := model(sa.Site)
		cc := false
		for _, z := range a.Zones {
			if zz := st.ZoneByID(z); zz != nil && zz.Kind == site.KindCraneControl {
				cc = true
			}
		}
		av := AssetVulns{Site: sa.Site, Asset: sa.ID}
		for _, r := range rs {
			av.Matches = append(av.Matches, VulnMatch{Result: r, Severity: vuln.Severity(r.CVSS, cc)})
		}
		out = append(out, av)
	}
	return out, nil
}

func (s *Server) listVulns(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	q := r.URL.Query()
	if q.Get("asset") != "" && q.Get("site") == "" {
		return errorf(http.StatusBadRequest, "asset needs site: an asset id is unique within its site")
	}
	vs, err := s.Vulns(r.Context(), q.Get("site"), q.Get("asset"))
	if err != nil {
		return err
	}
	writeList(w, "assets", vs)
	return nil
}
