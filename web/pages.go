package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"harborwatch/compliance/catalog"
	"harborwatch/finding"
	"harborwatch/inventory"
	"harborwatch/runstats"
	"harborwatch/server"
	"harborwatch/site"
	"harborwatch/store"
)

// sevIndex orders severities for the count columns: critical first.
func sevIndex(s finding.Severity) int {
	switch s {
	case finding.Critical:
		return 0
	case finding.High:
		return 1
	case finding.Medium:
		return 2
	}
	return 3
}

type bySeverity [4]int

func (b bySeverity) Total() int { return b[0] + b[1] + b[2] + b[3] }

type craneRow struct {
	Site, ID, Name, Maker string
	Open                  bySeverity
	Suppliers             []string
	Isolation             string
	LastSeen              time.Time
	Assets                int
}

type captureRow struct {
	store.Capture
	Packets  uint64
	Gaps     uint64
	Damaged  int
	Partial  bool
	Findings int
}

type siteOverview struct {
	ID, Facility, Port                 string
	Cranes                             []craneRow
	Open                               bySeverity
	Acknowledged, Resolved, Suppressed int
	Assets, Concern, NotIsolated       int
	Captures                           []captureRow
	Problem                            string
}

// slimAsset is what the console reads of a stored asset.
type slimAsset struct {
	inventory.Asset
	Site string
}

func (c *Console) siteAssets(r *http.Request, siteID string) ([]slimAsset, error) {
	rows, err := c.st.Assets(r.Context(), siteID)
	if err != nil {
		return nil, err
	}
	out := make([]slimAsset, 0, len(rows))
	for _, a := range rows {
		var x slimAsset
		if err := json.Unmarshal(a.Data, &x.Asset); err != nil {
			continue
		}
		x.Site = a.Site
		if a.FirstSeen != nil {
			x.FirstSeen = a.FirstSeen
		}
		if a.LastSeen != nil {
			x.LastSeen = a.LastSeen
		}
		out = append(out, x)
	}
	return out, nil
}

// overviewAsset is what the overview reads of an asset.
type overviewAsset struct {
	Crane     string              `json:"crane"`
	Concern   []inventory.Concern `json:"concern"`
	Isolation string              `json:"isolation"`
	LastSeen  *time.Time          `json:"-"`
}

// craneAssets reads only what the overview needs of a site's assets.
func (c *Console) craneAssets(r *http.Request, siteID string) ([]overviewAsset, error) {
	rows, err := c.st.Assets(r.Context(), siteID)
	if err != nil {
		return nil, err
	}
	out := make([]overviewAsset, 0, len(rows))
	for _, a := range rows {
		var x overviewAsset
		if err := json.Unmarshal(a.Data, &x); err != nil {
			continue
		}
		x.LastSeen = a.LastSeen
		out = append(out, x)
	}
	return out, nil
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	sites, err := c.st.Sites(r.Context())
	if err != nil {
		return err
	}
	now := c.srv.Now()
	var out []siteOverview
	for _, s := range sites {
		ov := siteOverview{ID: s.ID}
		m, _, err := c.model(r, s.ID)
		if err != nil {
			ov.Problem = err.Error()
			out = append(out, ov)
			continue
		}
		ov.Facility, ov.Port = m.Facility.Name, m.Facility.Port
		craneOf := map[string]string{} // zone → crane
		for _, z := range m.Zones {
			if z.Crane != "" {
				craneOf[z.ID] = z.Crane
			}
		}
		rows := map[string]*craneRow{}
		for _, cr := range m.Cranes {
			rows[cr.ID] = &craneRow{Site: s.ID, ID: cr.ID, Name: cr.Name, Maker: strings.TrimSpace(cr.Manufacturer + " " + cr.Model)}
		}
		counts, err := c.st.FindingCounts(r.Context(), s.ID, now)
		if err != nil {
			return err
		}
		for _, fc := range counts {
			switch fc.State {
			case store.Open:
				ov.Open[sevIndex(fc.Severity)] += fc.N
				seen := map[string]bool{}
				for _, z := range []string{fc.SrcZone, fc.DstZone} {
					if cr := rows[craneOf[z]]; cr != nil && !seen[cr.ID] {
						cr.Open[sevIndex(fc.Severity)] += fc.N
						seen[cr.ID] = true
					}
				}
			case store.Acknowledged:
				ov.Acknowledged += fc.N
			case store.Resolved:
				ov.Resolved += fc.N
			case store.Suppressed:
				ov.Suppressed += fc.N
			}
		}
		assets, err := c.craneAssets(r, s.ID)
		if err != nil {
			return err
		}
		ov.Assets = len(assets)
		for _, a := range assets {
			if len(a.Concern) > 0 {
				ov.Concern++
				if a.Isolation == "not-isolated" {
					ov.NotIsolated++
				}
			}
			cr := rows[a.Crane]
			if cr == nil {
				continue
			}
			cr.Assets++
			if a.LastSeen != nil && a.LastSeen.After(cr.LastSeen) {
				cr.LastSeen = *a.LastSeen
			}
			for _, cc := range a.Concern {
				if !slices.Contains(cr.Suppliers, cc.Name) {
					cr.Suppliers = append(cr.Suppliers, cc.Name)
				}
				switch {
				case a.Isolation == "not-isolated":
					cr.Isolation = "not isolated"
				case cr.Isolation == "" && a.Isolation != "":
					cr.Isolation = a.Isolation
				}
			}
		}
		for _, cr := range m.Cranes {
			ov.Cranes = append(ov.Cranes, *rows[cr.ID])
		}
		caps, err := c.st.Captures(r.Context(), s.ID, 5)
		if err != nil {
			return err
		}
		for _, cp := range caps {
			ov.Captures = append(ov.Captures, captureHealth(cp))
		}
		out = append(out, ov)
	}
	pg := c.base(r, p, "Overview", "overview")
	pg.Data = out
	c.render(w, http.StatusOK, "overview", pg)
	return nil
}

func captureHealth(cp store.Capture) captureRow {
	row := captureRow{Capture: cp}
	if len(cp.Stats) > 0 {
		var st runstats.Stats
		if json.Unmarshal(cp.Stats, &st) == nil {
			row.Packets, row.Gaps, row.Damaged, row.Partial = st.Packets, st.TCPGaps, st.Damaged(), st.Partial
		}
	}
	return row
}

// findingFilter is the findings page's filter, from the query.
type findingFilter struct {
	Site, Severity, Rule, Zone, Crane, State, Q, Cursor string
}

func (f findingFilter) Query(cursor string) string {
	v := url.Values{}
	for k, x := range map[string]string{"site": f.Site, "severity": f.Severity, "rule": f.Rule, "zone": f.Zone,
		"crane": f.Crane, "state": f.State, "q": f.Q, "cursor": cursor} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v.Encode()
}

type findingsData struct {
	Filter       findingFilter
	Findings     []store.Finding
	Next         string
	Sites        []string
	Rules        []string
	Zones        []string
	Cranes       []string
	States       []string
	Severities   []string
	Suppressions []store.Suppression
	Self         string
}

func (c *Console) findings(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	q := r.URL.Query()
	f := findingFilter{Site: q.Get("site"), Severity: q.Get("severity"), Rule: q.Get("rule"), Zone: q.Get("zone"),
		Crane: q.Get("crane"), State: q.Get("state"), Q: q.Get("q"), Cursor: q.Get("cursor")}
	fq := store.FindingQuery{Site: f.Site, Severity: f.Severity, Rule: f.Rule, State: f.State, Text: f.Q, Cursor: f.Cursor, Limit: 100, Now: c.srv.Now()}
	d := findingsData{Filter: f, States: []string{store.Open, store.Acknowledged, store.Resolved, store.Suppressed},
		Severities: []string{"critical", "high", "medium", "low"}, Self: r.URL.RequestURI()}
	for _, rl := range finding.Rules() {
		d.Rules = append(d.Rules, rl.ID)
	}
	sites, err := c.st.Sites(r.Context())
	if err != nil {
		return err
	}
	zones, cranes := map[string]bool{}, map[string]bool{}
	for _, s := range sites {
		d.Sites = append(d.Sites, s.ID)
		m, _, err := c.model(r, s.ID)
		if err != nil || (f.Site != "" && f.Site != s.ID) {
			continue
		}
		for _, z := range m.Zones {
			zones[z.ID] = true
			if f.Crane != "" && z.Crane == f.Crane {
				fq.Zones = append(fq.Zones, z.ID)
			}
		}
		for _, cr := range m.Cranes {
			cranes[cr.ID] = true
		}
	}
	d.Zones, d.Cranes = sortedKeys(zones), sortedKeys(cranes)
	// A zone that matches nothing: the filters leave no finding.
	const none = "\x00none"
	switch {
	case f.Zone != "" && f.Crane != "" && !slices.Contains(fq.Zones, f.Zone):
		fq.Zones = []string{none}
	case f.Zone != "":
		fq.Zones = []string{f.Zone}
	case f.Crane != "" && len(fq.Zones) == 0:
		fq.Zones = []string{none}
	}
	if d.Findings, d.Next, err = c.st.Findings(r.Context(), fq); err != nil {
		return err
	}
	if d.Suppressions, err = c.st.Suppressions(r.Context()); err != nil {
		return err
	}
	pg := c.base(r, p, "Findings", "findings")
	pg.Data = d
	c.render(w, http.StatusOK, "findings", pg)
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// splitRef splits "site/id".
func splitRef(ref string) (string, string, bool) {
	s, id, ok := strings.Cut(ref, "/")
	return s, id, ok && s != "" && id != ""
}

func (c *Console) bulk(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	if err := r.ParseForm(); err != nil {
		return errorf(http.StatusBadRequest, "the form: %v", err)
	}
	refs := r.PostForm["f"]
	action, reason := r.PostFormValue("action"), strings.TrimSpace(r.PostFormValue("reason"))
	if len(refs) == 0 {
		return errorf(http.StatusBadRequest, "no finding selected")
	}
	if len(refs) > 1000 {
		return errorf(http.StatusBadRequest, "at most 1,000 findings at once")
	}
	if reason == "" {
		return errorf(http.StatusBadRequest, "a reason is required")
	}
	n := 0
	for _, ref := range refs {
		st, id, ok := splitRef(ref)
		if !ok {
			return errorf(http.StatusBadRequest, "%q is not a finding", ref)
		}
		switch action {
		case store.Acknowledged, store.Resolved, store.Open:
			if _, err := c.srv.ChangeState(r.Context(), p, server.Remote(r), st, id, action, reason); err != nil {
				return err
			}
		case "suppress":
			f, err := c.st.Finding(r.Context(), st, id)
			if err != nil {
				return err
			}
			sp := store.Suppression{Site: st, Rule: f.Rule, Src: addrString(f.Src.IP), Dst: addrString(f.Dst.IP), Reason: reason}
			if _, _, err := c.srv.Suppress(r.Context(), p, server.Remote(r), sp); err != nil {
				return err
			}
		default:
			return errorf(http.StatusBadRequest, "action %q: want acknowledged, resolved, open or suppress", action)
		}
		n++
	}
	back(w, r, "/findings", fmt.Sprintf("%d finding(s): %s", n, action))
	return nil
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

type findingData struct {
	F          store.Finding
	Rule       finding.Rule
	Explain    explanation
	History    []store.Change
	SrcZone    *site.Zone
	DstZone    *site.Zone
	Conduits   []site.Conduit // between the two zones, that do not allow this
	Captures   map[string]store.Capture
	Tshark     map[string]string
	Techniques []string
	// Sensor is the evidence file a sensor published for the finding
	// (its packets cut from the sensor's ring), when serve holds one.
	Sensor *store.EvidenceFile
}

func (c *Console) finding(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	siteID, id := r.PathValue("site"), r.PathValue("id")
	f, err := c.st.Finding(r.Context(), siteID, id)
	if err != nil {
		return err
	}
	d := findingData{F: f, Explain: explain(f.Rule), Captures: map[string]store.Capture{}, Tshark: map[string]string{}}
	d.Rule, _ = finding.Lookup(f.Rule)
	if d.History, err = c.st.History(r.Context(), siteID, id); err != nil {
		return err
	}
	if m, _, err := c.model(r, siteID); err == nil {
		d.SrcZone, d.DstZone = zoneByID(m, f.Src.Zone), zoneByID(m, f.Dst.Zone)
		for _, cd := range m.Conduits {
			if endpointHas(m, cd.From, d.SrcZone) && endpointHas(m, cd.To, d.DstZone) {
				d.Conduits = append(d.Conduits, cd)
			}
		}
	}
	for _, ev := range f.Evidence {
		if cp, err := c.st.Capture(r.Context(), ev.Capture); err == nil {
			d.Captures[ev.Capture] = cp
		}
		nums := make([]string, len(ev.Packets))
		for i, n := range ev.Packets {
			nums[i] = fmt.Sprint(n)
		}
		name := ev.Capture
		if cp, ok := d.Captures[ev.Capture]; ok {
			name = cp.Name
		}
		d.Tshark[ev.Capture] = fmt.Sprintf("tshark -r %s -Y 'frame.number in {%s}'", shellQuote(name), strings.Join(nums, " "))
	}
	if ev, err := c.st.Evidence(r.Context(), siteID, id); err == nil {
		ev.Data = nil
		d.Sensor = &ev
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	pg := c.base(r, p, f.ID+" "+f.Title, "findings")
	pg.Data = d
	c.render(w, http.StatusOK, "finding", pg)
	return nil
}

// endpointHas tells whether a conduit's end (a zone id, or "kind:" and a
// kind) takes in zone z.
func endpointHas(m *site.Site, end string, z *site.Zone) bool {
	if z == nil {
		return false
	}
	if k, ok := strings.CutPrefix(end, "kind:"); ok {
		return string(z.Kind) == k
	}
	return end == z.ID
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func zoneByID(m *site.Site, id string) *site.Zone {
	for _, z := range m.Zones {
		if z.ID == id {
			return z
		}
	}
	return nil
}

func (c *Console) setState(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	siteID, id := r.PathValue("site"), r.PathValue("id")
	if _, err := c.srv.ChangeState(r.Context(), p, server.Remote(r), siteID, id, r.PostFormValue("state"), strings.TrimSpace(r.PostFormValue("reason"))); err != nil {
		return err
	}
	back(w, r, "/findings/"+url.PathEscape(siteID)+"/"+url.PathEscape(id), "state: "+r.PostFormValue("state"))
	return nil
}

// proposal is what "this is an authorized change" would save: a
// suppression, and the conduit (or window) to add to the site model.
type proposal struct {
	F           store.Finding
	Suppression store.Suppression
	YAML        string
	Reason      string
}

func (c *Console) propose(r *http.Request) (proposal, error) {
	siteID, id := r.PathValue("site"), r.PathValue("id")
	f, err := c.st.Finding(r.Context(), siteID, id)
	if err != nil {
		return proposal{}, err
	}
	reason := strings.TrimSpace(r.FormValue("reason"))
	pr := proposal{F: f, Reason: reason, Suppression: store.Suppression{Site: siteID, Rule: f.Rule,
		Src: addrString(f.Src.IP), Dst: addrString(f.Dst.IP), Reason: reason}}
	var b strings.Builder
	if f.Src.Zone != "" && f.Dst.Zone != "" {
		fmt.Fprintf(&b, "conduits:\n  - id: %s-to-%s\n    from: %s\n    to: %s\n", f.Src.Zone, f.Dst.Zone, f.Src.Zone, f.Dst.Zone)
		if f.App != "" {
			fmt.Fprintf(&b, "    protocols: [%s]\n", f.App)
		}
		if rl, ok := finding.Lookup(f.Rule); ok && rl.Op != "" {
			fmt.Fprintf(&b, "    operations: [%s]\n    windows: [maintenance]   # a change window, so that it is allowed only then\n", rl.Op)
		}
		fmt.Fprintf(&b, "    description: %q\n", clean(reason))
	}
	pr.YAML = b.String()
	return pr, nil
}

func (c *Console) authorizePreview(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	pr, err := c.propose(r)
	if err != nil {
		return err
	}
	pg := c.base(r, p, "Authorized change: "+pr.F.ID, "findings")
	pg.Data = pr
	c.render(w, http.StatusOK, "authorize", pg)
	return nil
}

func (c *Console) authorize(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	pr, err := c.propose(r)
	if err != nil {
		return err
	}
	if pr.Reason == "" {
		return errorf(http.StatusBadRequest, "a reason is required")
	}
	if exp := r.PostFormValue("expires_in"); exp != "" {
		d, err := parseDays(exp)
		if err != nil {
			return errorf(http.StatusBadRequest, "%v", err)
		}
		pr.Suppression.Expires = c.srv.Now().Add(d).UTC()
	}
	sp, hidden, err := c.srv.Suppress(r.Context(), p, server.Remote(r), pr.Suppression)
	if err != nil {
		return err
	}
	back(w, r, "/findings/"+url.PathEscape(pr.F.Site)+"/"+url.PathEscape(pr.F.ID), fmt.Sprintf("suppression %s saved: it hides %d finding(s)", sp.ID, hidden))
	return nil
}

func parseDays(s string) (time.Duration, error) {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n <= 0 || n > 3650 {
		return 0, fmt.Errorf("expiry %q: want a number of days from 1 to 3650", s)
	}
	return time.Duration(n) * 24 * time.Hour, nil
}

func (c *Console) suppressions(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	ss, err := c.st.Suppressions(r.Context())
	if err != nil {
		return err
	}
	now := c.srv.Now()
	type row struct {
		store.Suppression
		Active bool
	}
	rows := make([]row, len(ss))
	for i, s := range ss {
		rows[i] = row{s, s.Active(now)}
	}
	pg := c.base(r, p, "Suppressions", "findings")
	pg.Data = rows
	c.render(w, http.StatusOK, "suppressions", pg)
	return nil
}

func (c *Console) deleteSuppression(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	id := r.PathValue("id")
	err := c.st.DeleteSuppression(r.Context(), id)
	result := "ok"
	if err != nil {
		result = "failed"
	}
	c.srv.Audit(r.Context(), p, server.Remote(r), "suppression.delete", "suppression:"+id, result, nil)
	if err != nil {
		return err
	}
	back(w, r, "/suppressions", "suppression "+id+" deleted")
	return nil
}

type assetsData struct {
	Site, Q string
	Sites   []string
	Assets  []slimAsset
	Total   int
}

func (c *Console) assetList(r *http.Request) (assetsData, error) {
	q := r.URL.Query()
	d := assetsData{Site: q.Get("site"), Q: strings.ToLower(strings.TrimSpace(q.Get("q")))}
	sites, err := c.st.Sites(r.Context())
	if err != nil {
		return d, err
	}
	for _, s := range sites {
		d.Sites = append(d.Sites, s.ID)
	}
	all, err := c.siteAssets(r, d.Site)
	if err != nil {
		return d, err
	}
	d.Total = len(all)
	for _, a := range all {
		if d.Q != "" && !strings.Contains(strings.ToLower(assetText(a)), d.Q) {
			continue
		}
		d.Assets = append(d.Assets, a)
	}
	return d, nil
}

func assetText(a slimAsset) string {
	parts := []string{a.ID, a.Name, a.Vendor, a.Model, a.Firmware, a.Supplier, a.Crane, a.Kind, strings.Join(a.MACs, " "), strings.Join(a.Zones, " ")}
	for _, ip := range a.IPs {
		parts = append(parts, ip.String())
	}
	return strings.Join(parts, " ")
}

func (c *Console) assets(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	d, err := c.assetList(r)
	if err != nil {
		return err
	}
	const most = 1000
	shown := d
	if len(shown.Assets) > most {
		shown.Assets = shown.Assets[:most]
	}
	pg := c.base(r, p, "Assets", "assets")
	pg.Data = struct {
		assetsData
		Shown, Matching int
	}{shown, len(shown.Assets), len(d.Assets)}
	c.render(w, http.StatusOK, "assets", pg)
	return nil
}

func (c *Console) assetsExport(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	d, err := c.assetList(r)
	if err != nil {
		return err
	}
	inv := &inventory.Inventory{}
	for _, a := range d.Assets {
		inv.Assets = append(inv.Assets, a.Asset)
	}
	name := "harborwatch-assets"
	if d.Site != "" {
		name += "-" + strings.Map(func(r rune) rune {
			if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
				return '_'
			}
			return r
		}, d.Site)
	}
	switch r.URL.Query().Get("format") {
	case "cyclonedx":
		w.Header().Set("Content-Type", "application/vnd.cyclonedx+json")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.cdx.json"`)
		return inventory.CycloneDX(w, inv, inventory.BOMOptions{})
	default:
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		return inventory.CSV(w, inv)
	}
}

type craneView struct {
	Site  string
	Crane site.Crane
	Items []craneAsset
}

type craneAsset struct {
	slimAsset
	Path string // the asset's way out: STS-03 ← router ← modem
}

func (c *Console) cranes(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	sites, err := c.st.Sites(r.Context())
	if err != nil {
		return err
	}
	var out []craneView
	for _, s := range sites {
		m, _, err := c.model(r, s.ID)
		if err != nil {
			continue
		}
		assets, err := c.siteAssets(r, s.ID)
		if err != nil {
			return err
		}
		byID := map[string]slimAsset{}
		for _, a := range assets {
			byID[a.ID] = a
		}
		for _, cr := range m.Cranes {
			v := craneView{Site: s.ID, Crane: cr}
			for _, a := range assets {
				if a.Crane != cr.ID {
					continue
				}
				chain := []string{cr.ID}
				for x, n := a, 0; x.Parent != "" && n < 8; n++ {
					par, ok := byID[x.Parent]
					if !ok {
						break
					}
					chain = append(chain, cmp.Or(par.Name, par.ID))
					x = par
				}
				chain = append(chain, cmp.Or(a.Name, a.ID))
				v.Items = append(v.Items, craneAsset{a, strings.Join(chain, " ← ")})
			}
			out = append(out, v)
		}
	}
	pg := c.base(r, p, "Cranes", "cranes")
	pg.Data = out
	c.render(w, http.StatusOK, "cranes", pg)
	return nil
}

func (c *Console) events(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	q := r.URL.Query()
	eq := store.EventQuery{Site: q.Get("site"), Proto: q.Get("proto"), Op: q.Get("op"), Cursor: q.Get("cursor"), Limit: 200}
	var err error
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &eq.Since}, {"until", &eq.Until}} {
		if v := q.Get(t.name); v != "" {
			if *t.dst, err = time.Parse("2006-01-02T15:04", v); err != nil {
				if *t.dst, err = time.Parse(time.RFC3339, v); err != nil {
					return errorf(http.StatusBadRequest, "%s %q: want a time such as 2026-11-02T09:00", t.name, v)
				}
			}
		}
	}
	host := strings.TrimSpace(q.Get("host"))
	evs, next, err := c.st.Events(r.Context(), eq)
	if err != nil {
		return err
	}
	if host != "" {
		kept := evs[:0]
		for _, e := range evs {
			if e.Src.String() == host || e.Dst.String() == host {
				kept = append(kept, e)
			}
		}
		evs = kept
	}
	sites, _ := c.st.Sites(r.Context())
	var ids []string
	for _, s := range sites {
		ids = append(ids, s.ID)
	}
	v := url.Values{}
	for _, k := range []string{"site", "proto", "op", "since", "until", "host"} {
		if q.Get(k) != "" {
			v.Set(k, q.Get(k))
		}
	}
	if next != "" {
		v.Set("cursor", next)
	}
	pg := c.base(r, p, "Events", "events")
	pg.Data = map[string]any{"Events": evs, "Next": next, "NextQuery": v.Encode(), "Q": q, "Sites": ids,
		"Ops": []string{"program-download", "program-upload", "plc-stop", "plc-start", "firmware-update", "config-change", "write", "auth"}}
	c.render(w, http.StatusOK, "events", pg)
	return nil
}

func (c *Console) captures(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	cs, err := c.st.Captures(r.Context(), r.URL.Query().Get("site"), 200)
	if err != nil {
		return err
	}
	rows := make([]captureRow, len(cs))
	for i, cp := range cs {
		rows[i] = captureHealth(cp)
	}
	sites, _ := c.st.Sites(r.Context())
	var ids []string
	for _, s := range sites {
		ids = append(ids, s.ID)
	}
	pg := c.base(r, p, "Captures", "captures")
	pg.Data = map[string]any{"Captures": rows, "Sites": ids}
	c.render(w, http.StatusOK, "captures", pg)
	return nil
}

// asset shows one asset: identity, roles and their evidence, supplier of
// concern with its citations, addresses over time, what changed.
func (c *Console) asset(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	siteID, id := r.PathValue("site"), r.PathValue("id")
	all, err := c.siteAssets(r, siteID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(all, func(a slimAsset) bool { return a.ID == id })
	if i < 0 {
		return errorf(http.StatusNotFound, "asset %s of site %s: not found", id, siteID)
	}
	changes, err := c.st.AssetChanges(r.Context(), siteID, id)
	if err != nil {
		return err
	}
	vulns, err := c.srv.Vulns(r.Context(), siteID, id)
	if err != nil {
		return err
	}
	var matches []server.VulnMatch
	if len(vulns) == 1 {
		matches = vulns[0].Matches
	}
	pg := c.base(r, p, "Asset "+id, "assets")
	pg.Data = map[string]any{"A": all[i], "Changes": changes, "Vulns": matches}
	c.render(w, http.StatusOK, "asset", pg)
	return nil
}

// controls lists the control catalog: what each control id a finding
// cites means, where it comes from and how to satisfy it, with the open
// findings that bear on it.
func (c *Console) controls(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	counts, err := c.st.FindingCounts(r.Context(), "", c.srv.Now())
	if err != nil {
		return err
	}
	open := map[string]int{} // rule → open findings
	for _, fc := range counts {
		if fc.State == store.Open {
			open[fc.Rule] += fc.N
		}
	}
	type row struct {
		catalog.Control
		Open int
	}
	var rows []row
	for _, ct := range cat.Controls() {
		n := 0
		for _, rl := range ct.Rules {
			n += open[rl]
		}
		rows = append(rows, row{ct, n})
	}
	pg := c.base(r, p, "Controls", "controls")
	pg.Data = rows
	c.render(w, http.StatusOK, "controls", pg)
	return nil
}
