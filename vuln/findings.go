package vuln

import (
	"fmt"
	"strings"

	"harborwatch/finding"
	"harborwatch/inventory"
	"harborwatch/site"
)

// Devices reads the devices of an inventory, in its order.
func Devices(inv *inventory.Inventory) []Device {
	out := make([]Device, 0, len(inv.Assets))
	for i := range inv.Assets {
		out = append(out, DeviceOf(&inv.Assets[i]))
	}
	return out
}

// Severity maps a CVSS v3 base score to a severity: critical from 9.0,
// high from 7.0, medium from 4.0, else low; one step higher (capped at
// critical) for a device in a crane-control zone.
func Severity(cvss float64, craneControl bool) finding.Severity {
	s := finding.Low
	switch {
	case cvss >= 9.0:
		s = finding.Critical
	case cvss >= 7.0:
		s = finding.High
	case cvss >= 4.0:
		s = finding.Medium
	}
	if craneControl && s < finding.Critical {
		s++
	}
	return s
}

// Findings makes one vulnerability.known finding per asset and advisory
// that affects it (or may), with the advisory id, CVEs, CVSS, the matched
// rule, the remediations and the advisory's citation in the detail. st
// tells which zones are crane-control (nil: site.Default()).
func Findings(inv *inventory.Inventory, advs []*Advisory, st *site.Site) []finding.Finding {
	if st == nil {
		st = site.Default()
	}
	byID := map[string]*inventory.Asset{}
	for i := range inv.Assets {
		byID[inv.Assets[i].ID] = &inv.Assets[i]
	}
	var out []finding.Finding
	for _, r := range Match(Devices(inv), advs) {
		a := byID[r.Asset]
		cc := false
		for _, z := range a.Zones {
			if zz := st.ZoneByID(z); zz != nil && zz.Kind == site.KindCraneControl {
				cc = true
			}
		}
		out = append(out, finding.New(finding.Spec{
			Rule: finding.RuleVulnKnown, Severity: Severity(r.CVSS, cc), Src: host(a), Key: r.Advisory,
			Title: fmt.Sprintf("%s %s: %s (%s)", assetName(a), strings.ReplaceAll(r.Status, "-", " "), r.Advisory, r.Title),
			Count: a.Packets, Detail: Detail(r),
		}))
	}
	finding.Sort(out)
	return out
}

// Detail is a result as a finding's detail.
func Detail(r Result) map[string]any {
	products := make([]map[string]any, 0, len(r.Products))
	for _, p := range r.Products {
		products = append(products, map[string]any{"product": p.Product, "basis": p.Basis, "rule": p.Rule, "status": p.Status})
	}
	d := map[string]any{
		"advisory": r.Advisory, "advisory_title": r.Title, "status": r.Status, "cves": r.CVEs,
		"cvss": r.CVSS, "rule": r.Rule, "products": products, "remediations": r.Remediations,
	}
	if r.Vector != "" {
		d["cvss_vector"] = r.Vector
	}
	if r.URL != "" {
		d["citation"] = r.URL
	}
	return d
}

func host(a *inventory.Asset) finding.Host {
	h := finding.Host{Asset: a.ID}
	if len(a.IPs) > 0 {
		h.IP = a.IPs[0]
	}
	if len(a.MACs) > 0 {
		h.MAC = a.MACs[0]
	}
	if len(a.Zones) > 0 {
		h.Zone = a.Zones[0]
	}
	return h
}

func assetName(a *inventory.Asset) string {
	if a.Declared || len(a.IPs) == 0 {
		return a.ID
	}
	return a.IPs[0].String()
}
