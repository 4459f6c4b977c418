package inventory

import (
	"fmt"
	"slices"
	"strings"

	"harborwatch/finding"
	"harborwatch/oui"
	"harborwatch/site"
	"harborwatch/supplier"
)

// concerns lists why a is tied to suppliers of concern, one entry per
// supplier (the strongest reason first: made by it before delivered by it).
func (b *builder) concerns(a *Asset) []Concern {
	var out []Concern
	add := func(s *supplier.Supplier, maker bool, format string, args ...any) {
		if s == nil || !s.Concern {
			return
		}
		reason := fmt.Sprintf(format, args...)
		for i := range out {
			if out[i].Supplier == s.ID {
				if maker && !out[i].Maker {
					out[i].Maker, out[i].Reason = true, reason
				}
				return
			}
		}
		out = append(out, Concern{Supplier: s.ID, Name: s.Name, Reason: reason, Lists: listings(s.Lists), Maker: maker})
	}
	for _, m := range a.macs {
		if oui.Kind(m) != oui.Universal {
			continue
		}
		blk, ok := oui.Lookup(m)
		if s := b.cat.MatchOUI(m); s != nil {
			add(s, true, "MAC %s is in %s's IEEE block %s", site.MAC(m).String(), s.Name, blk.Prefix)
		} else if ok {
			if s := b.cat.MatchOrg(blk.Org); s != nil {
				add(s, true, "MAC %s is in IEEE block %s registered to %s", site.MAC(m).String(), blk.Prefix, blk.Org)
			}
		}
	}
	for _, k := range []string{"vendor", "vendor_name", "system_description", "platform", "device_vendor", "vendor_class", "http_server", "ssh_banner"} {
		if v, ok := a.Identity[k].(string); ok && v != "" {
			if s := b.cat.MatchName(v); s != nil {
				add(s, true, "the device identifies itself as %q (%s)", clip(v), k)
			}
		}
	}
	for _, d := range a.decl {
		x := &d.a
		what := "declared"
		if x.BOMRef != "" || x.Type != "" {
			what = "BOM"
		}
		if s := b.cat.MatchName(x.Vendor); s != nil {
			add(s, true, "%s vendor %q (%s)", what, x.Vendor, d.source)
		}
		if s := b.cat.MatchName(x.Manufacturer); s != nil {
			add(s, true, "%s manufacturer %q (%s)", what, x.Manufacturer, d.source)
		}
		if s := b.cat.MatchName(x.Publisher); s != nil {
			add(s, true, "%s publisher %q (%s)", what, x.Publisher, d.source)
		}
		if x.PURL != "" {
			if s := b.cat.MatchPURL(x.PURL); s != nil {
				add(s, true, "%s package %s (%s)", what, x.PURL, d.source)
			}
		}
		if s := b.cat.MatchName(x.Supplier); s != nil {
			add(s, false, "%s supplier %q (%s)", what, x.Supplier, d.source)
		}
	}
	slices.SortStableFunc(out, func(x, y Concern) int {
		switch {
		case x.Maker && !y.Maker:
			return -1
		case y.Maker && !x.Maker:
			return 1
		}
		return strings.Compare(x.Supplier, y.Supplier)
	})
	return out
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// findings reconciles the declarations with the observations:
// inventory.missing-device, inventory.mismatch and supplier.not-isolated.
func (b *builder) findings() []finding.Finding {
	var out []finding.Finding
	core := b.coreVLANs()
	for _, a := range b.assets {
		if f, ok := b.missing(a); ok {
			out = append(out, f)
		}
		out = append(out, b.mismatches(a)...)
		if f, ok := b.notIsolated(a, core); ok {
			out = append(out, f)
		}
	}
	finding.Sort(out)
	return out
}

func (b *builder) host(a *Asset) finding.Host {
	h := finding.Host{Asset: a.ID}
	if !a.Declared {
		h.Asset = ""
	}
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

// missing reports a declared device with an address that was never seen,
// in a zone where the capture saw other devices (a zone the capture does
// not cover says nothing of its devices).
func (b *builder) missing(a *Asset) (finding.Finding, bool) {
	if b.opts.Observed == nil || !a.Declared || a.Observed || (len(a.IPs) == 0 && len(a.macs) == 0) {
		return finding.Finding{}, false
	}
	covered := ""
	for _, z := range a.Zones {
		if b.seenZones[z] {
			covered = z
			break
		}
	}
	if covered == "" {
		return finding.Finding{}, false
	}
	return finding.New(finding.Spec{
		Rule: finding.RuleMissingDevice, Severity: finding.Low, Src: b.host(a),
		Title:  fmt.Sprintf("%s is declared in %s but was never seen", a.ID, covered),
		Detail: map[string]any{"declared_in": a.Sources, "zone": covered},
	}), true
}

// mismatches reports an observed device whose MAC is not among its
// declared ones (matched by address), or whose MAC block belongs to
// another known maker than its declared vendor.
func (b *builder) mismatches(a *Asset) []finding.Finding {
	if !a.Declared || !a.Observed {
		return nil
	}
	var out []finding.Finding
	var declMACs [][6]byte
	for _, d := range a.decl {
		for _, m := range d.a.MACs {
			declMACs = append(declMACs, [6]byte(m))
		}
	}
	if len(declMACs) > 0 {
		// A mismatch is an address seen with MACs none of which is
		// declared (a routed copy of its traffic carries a router's MAC,
		// so one MAC that is not declared proves nothing).
		var other []string
		for _, h := range a.obs {
			if h.MAC == "" || b.routers[h.MAC] {
				continue
			}
			own := false
			for _, m := range h.MACs {
				own = own || slices.Contains(declMACs, ownMAC(m))
			}
			if !own {
				other = appendUnique(other, h.MAC)
			}
		}
		if len(other) > 0 {
			var want []string
			for _, m := range declMACs {
				want = append(want, site.MAC(m).String())
			}
			out = append(out, finding.New(finding.Spec{
				Rule: finding.RuleMismatch, Severity: finding.Medium, Src: b.host(a), Key: "mac",
				Title: fmt.Sprintf("%s answers from MAC %s, declared %s", a.ID, strings.Join(other, ", "), strings.Join(want, ", ")),
				First: a.first, Last: a.last, Count: a.Packets, Evidence: b.evidence(a),
				Detail: map[string]any{"field": "mac", "declared": want, "observed": other, "declared_in": a.Sources},
			}))
		}
	}
	if a.VendorSource == "declared" && a.OUIOrg != "" {
		dv := b.cat.MatchName(a.Vendor)
		ov := b.cat.MatchOrg(a.OUIOrg)
		if ov == nil && len(a.macs) > 0 {
			ov = b.cat.MatchOUI(a.macs[0])
		}
		if dv != nil && ov != nil && dv.ID != ov.ID {
			out = append(out, finding.New(finding.Spec{
				Rule: finding.RuleMismatch, Severity: finding.Medium, Src: b.host(a), Key: "vendor",
				Title: fmt.Sprintf("%s is declared %s but its MAC block is %s's", a.ID, a.Vendor, ov.Name),
				First: a.first, Last: a.last, Count: a.Packets, Evidence: b.evidence(a),
				Detail: map[string]any{"field": "vendor", "declared": a.Vendor, "observed": a.OUIOrg, "declared_in": a.Sources},
			}))
		}
	}
	return out
}

// coreVLANs are the VLANs of core-control devices: declared
// core-control, or in a crane-control zone and serving an ICS protocol.
func (b *builder) coreVLANs() map[uint16]string {
	core := map[uint16]string{}
	for _, a := range b.assets {
		isCore := a.Criticality == string(site.CriticalityCoreControl)
		if !isCore && b.inControl(a) {
			for _, r := range a.Roles {
				if r.Role == RolePLC {
					isCore = true
				}
			}
		}
		if !isCore {
			continue
		}
		for _, v := range a.VLANs {
			if _, ok := core[v]; !ok && v != 0 {
				core[v] = a.ID
			}
		}
		for _, zid := range a.Zones {
			if z := b.site.ZoneByID(zid); z != nil {
				for _, v := range z.VLANs {
					if _, ok := core[v]; !ok {
						core[v] = a.ID
					}
				}
			}
		}
	}
	return core
}

func (b *builder) inControl(a *Asset) bool {
	for _, zid := range a.Zones {
		if z := b.site.ZoneByID(zid); z != nil && z.Kind == site.KindCraneControl {
			return true
		}
	}
	return false
}

// notIsolated reports a device made by a supplier of concern that sits in
// a crane-control zone or on a VLAN of core-control devices (MSCI: devices
// from untrusted suppliers on their own VLAN). Equipment merely delivered
// by a supplier of concern (a ZPMC crane's Siemens PLC) is not judged:
// the crane's own control equipment belongs in its control zone.
func (b *builder) notIsolated(a *Asset, core map[uint16]string) (finding.Finding, bool) {
	var c *Concern
	for i := range a.Concern {
		if a.Concern[i].Maker {
			c = &a.Concern[i]
			break
		}
	}
	if c == nil {
		return finding.Finding{}, false
	}
	a.Isolation = "isolated"
	where, sev := "", finding.Medium
	for _, zid := range a.Zones {
		if z := b.site.ZoneByID(zid); z != nil && z.Kind == site.KindCraneControl {
			where, sev = "in crane-control zone "+z.ID, finding.High
			break
		}
	}
	var vlan uint16
	if where == "" {
		for _, v := range a.VLANs {
			if id, ok := core[v]; ok && id != a.ID {
				where, vlan = fmt.Sprintf("on VLAN %d with core-control device %s", v, id), v
				break
			}
		}
	}
	known := slices.ContainsFunc(a.Zones, func(id string) bool {
		z := b.site.ZoneByID(id)
		return z != nil && !z.Builtin
	})
	if !known && len(a.VLANs) == 0 {
		a.Isolation = "unknown" // no zone of the site model, no VLAN seen: cannot be judged
	}
	if where == "" {
		return finding.Finding{}, false
	}
	a.Isolation = "not-isolated"
	var lists []map[string]any
	for _, l := range c.Lists {
		lists = append(lists, map[string]any{"name": l.Name, "citation": l.Citation, "date": l.Date})
	}
	detail := map[string]any{"supplier": c.Supplier, "reason": c.Reason, "lists": lists, "where": where}
	if vlan != 0 {
		detail["vlan"] = vlan
	}
	if a.Declared {
		detail["declared_in"] = a.Sources
	}
	return finding.New(finding.Spec{
		Rule: finding.RuleNotIsolated, Severity: sev, Src: b.host(a),
		Title: fmt.Sprintf("%s device %s %s", c.Name, nameOf(a), where),
		First: a.first, Last: a.last, Count: a.Packets, Evidence: b.evidence(a), Detail: detail,
	}), true
}

func nameOf(a *Asset) string {
	if len(a.IPs) > 0 && !a.Declared {
		return a.IPs[0].String()
	}
	return a.ID
}
