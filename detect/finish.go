package detect

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"harborwatch/app"
	"harborwatch/finding"
	"harborwatch/observe"
	"harborwatch/site"
)

// Result is what detection found in a run.
type Result struct {
	Findings []finding.Finding
}

// Finish merges the shards' states and returns the findings, in the order
// of finding.Sort: those of flows and protocol events, and the host-level
// ones judged over obs, the run's merged observations (multi-homed hosts,
// devices missing from the site's inventory; none when obs is nil).
// captures names the capture files by index.
func (e *Engine) Finish(states []*State, obs *observe.Result, captures []string) *Result {
	aggs := make(map[aggKey]*agg)
	for _, s := range states {
		for k, a := range s.aggs {
			if m := aggs[k]; m != nil {
				m.merge(a)
			} else {
				aggs[k] = a
			}
		}
	}
	var res Result
	for _, a := range aggs {
		res.Findings = append(res.Findings, e.aggFinding(a, captures))
	}
	if obs != nil {
		res.Findings = append(res.Findings, e.multiHomed(obs.MultiHomed, captures)...)
		res.Findings = append(res.Findings, e.unknownDevices(obs.Assets, captures)...)
	}
	finding.Sort(res.Findings)
	return &res
}

func (a *agg) merge(o *agg) {
	if o.sev > a.sev {
		a.sev = o.sev
	}
	if o.first != 0 {
		a.seen(o.first, o.last)
	}
	if o.dport < a.dport {
		a.dport = o.dport
	}
	a.count += o.count
	a.packets += o.packets
	a.bytes += o.bytes
	for _, m := range o.marks {
		a.addMark(m)
	}
	for _, n := range o.names {
		a.names = addSorted(a.names, &a.namesMore, n)
	}
	a.namesMore = a.namesMore || o.namesMore
	for _, v := range o.via {
		a.via = addVia(a.via, v)
	}
	for _, m := range o.matches {
		a.addMatch(m)
	}
	for _, f := range o.files {
		if !slices.Contains(a.files, f) {
			if len(a.files) >= maxDetailNames {
				a.filesMore = true
				break
			}
			a.files = append(a.files, f)
		}
	}
	a.filesMore = a.filesMore || o.filesMore
	for _, n := range o.funcs {
		a.funcs = addSorted(a.funcs, &a.funcsMore, n)
	}
	a.funcsMore = a.funcsMore || o.funcsMore
	a.accepted += o.accepted
	for _, sc := range o.statuses {
		for range sc.n {
			a.addStatus(sc.status)
		}
	}
}

func ts(ns int64) time.Time { return time.Unix(0, ns).UTC() }

func (e *Engine) hostOf(ep observe.Endpoint, z *site.Zone) finding.Host { return ep.Host(e.site, z) }

func zoneID(z *site.Zone) string {
	if z == nil {
		return "?"
	}
	return z.ID
}

// aggFinding is the finding an aggregate of flows and events makes.
func (e *Engine) aggFinding(a *agg, captures []string) finding.Finding {
	rule, _ := finding.Lookup(a.key.rule)
	tr := app.Transport(a.key.transport)
	appName := app.Name(a.key.app, tr, a.dport)
	f := finding.Finding{
		Rule:       a.key.rule,
		Severity:   a.sev,
		Src:        e.hostOf(a.src, a.srcZone),
		Dst:        e.hostOf(a.dst, a.dstZone),
		Transport:  tr,
		App:        appName,
		DPort:      a.dport,
		FirstSeen:  ts(a.first),
		LastSeen:   ts(a.last),
		Count:      a.count,
		Evidence:   finding.EvidenceOf(a.marks, captures),
		Controls:   rule.Controls,
		Techniques: rule.Techniques,
		Detail:     map[string]any{},
	}
	extra := ""
	if a.key.transport == 0 { // layer 2: the MACs tell the pair apart
		extra = site.MAC(a.key.srcMAC).String() + ">" + site.MAC(a.key.dstMAC).String()
	}
	f.ID = finding.NewID(f.Rule, a.key.src, a.key.dst, appName, extra)
	if a.packets > 0 {
		f.Detail["packets"] = a.packets
		f.Detail["bytes"] = a.bytes
	}
	zs, zd := zoneID(a.srcZone), zoneID(a.dstZone)
	switch a.key.rule {
	case finding.RuleCrossZone:
		f.Title = fmt.Sprintf("%s from %s to %s: no conduit allows it", appName, zs, zd)
	case finding.RuleEgressExternal:
		if external(a.srcZone) {
			f.Title = fmt.Sprintf("external %s reaches %s over %s", a.key.src, zd, appName)
		} else {
			f.Title = fmt.Sprintf("%s talks to external %s over %s", zs, a.key.dst, appName)
		}
	case finding.RuleRemoteAccess:
		f.Title = fmt.Sprintf("%s session %s → %s (%s) not through a remote-access gateway", appName, a.key.src, a.key.dst, zd)
	case finding.RuleICSInsecure:
		f.Title = fmt.Sprintf("%s session from %s into %s without security", appName, zs, zd)
		if len(a.names) > 0 {
			f.Title += " (" + strings.Join(a.names, ", ") + ")"
			f.Detail["security"] = slices.Clone(a.names)
		}
	case finding.RuleFileTransfer:
		f.Title = fmt.Sprintf("%s file transfer between %s and %s", appName, zs, zd)
		if len(a.files) > 0 {
			files := make([]map[string]string, 0, len(a.files))
			for _, fo := range a.files {
				files = append(files, map[string]string{"op": fo.Op, "name": fo.Name})
			}
			f.Detail["files"] = files
			if a.filesMore {
				f.Detail["files_truncated"] = true
			}
		}
	case finding.RuleProhibited:
		what := a.key.dst.String()
		if len(a.names) > 0 {
			what = a.names[0]
			f.Detail["names"] = slices.Clone(a.names)
			if a.namesMore {
				f.Detail["names_truncated"] = true
			}
		}
		var patterns, lists []string
		for _, m := range a.matches {
			patterns = append(patterns, m.Pattern)
			if !slices.Contains(lists, m.Source) {
				lists = append(lists, m.Source)
			}
		}
		slices.Sort(lists)
		f.Title = fmt.Sprintf("%s contacts prohibited %s (%s)", a.key.src, what, strings.Join(patterns, ", "))
		f.Detail["via"] = slices.Clone(a.via)
		f.Detail["matched"] = patterns
		f.Detail["lists"] = lists
	}
	if strings.HasPrefix(a.key.rule, "ics.") {
		what := strings.TrimPrefix(a.key.rule, "ics.")
		dst := a.key.dst.String()
		if a.key.transport == 0 && !a.key.dst.IsValid() {
			dst = site.MAC(a.key.dstMAC).String() // a layer-2 station whose address is unknown
		}
		f.Title = fmt.Sprintf("%s %s from %s to %s (%s)", appName, what, zs, zd, dst)
		if a.key.rule == finding.RuleICSAuthFailure {
			f.Title = fmt.Sprintf("failed %s authentication from %s to %s (%s)", appName, zs, zd, a.key.dst)
		}
		if len(a.funcs) > 0 {
			f.Detail["functions"] = slices.Clone(a.funcs)
		}
		if len(a.names) > 0 {
			f.Detail["objects"] = slices.Clone(a.names)
		}
		f.Detail["accepted"] = a.accepted
		if len(a.statuses) > 0 {
			rej := map[string]uint64{}
			for _, sc := range a.statuses {
				rej[sc.status] = sc.n
			}
			f.Detail["rejected"] = rej
		}
	}
	if f.Title == "" {
		f.Title = rule.Title
	}
	return f
}

// multiHomed makes a finding of each multi-homed MAC observation saw.
func (e *Engine) multiHomed(homes []observe.MultiHomed, captures []string) []finding.Finding {
	rule, _ := finding.Lookup(finding.RuleMultiHomed)
	var out []finding.Finding
	for _, mh := range homes {
		mac, bs := mh.MAC, mh.Bindings
		sev := finding.Medium
		for _, b := range bs {
			switch {
			case control(b.Zone):
				sev = finding.Critical
			case crane(b.Zone) && sev < finding.High:
				sev = finding.High
			}
		}
		first := bs[0]
		second := bs[1]
		for _, b := range bs[1:] {
			if b.Zone != first.Zone || b.VLAN != first.VLAN {
				second = b
				break
			}
		}
		var marks []finding.Mark
		var addrs []map[string]any
		zoneList := []string{}
		vlanList := []uint16{}
		for _, b := range bs {
			marks = append(marks, b.Mark)
			addrs = append(addrs, map[string]any{"ip": b.IP.String(), "zone": b.Zone.ID, "vlan": b.VLAN})
			if !slices.Contains(zoneList, b.Zone.ID) {
				zoneList = append(zoneList, b.Zone.ID)
			}
			if !slices.Contains(vlanList, b.VLAN) {
				vlanList = append(vlanList, b.VLAN)
			}
		}
		slices.SortFunc(marks, finding.Mark.Compare)
		if len(marks) > finding.MaxEvidence {
			marks = marks[:finding.MaxEvidence]
		}
		macText := site.MAC(mac).String()
		f := finding.Finding{
			Rule:       finding.RuleMultiHomed,
			Severity:   sev,
			Src:        e.hostOf(observe.Endpoint{IP: first.IP, MAC: mac, HasMAC: true}, first.Zone),
			Dst:        e.hostOf(observe.Endpoint{IP: second.IP, MAC: mac, HasMAC: true}, second.Zone),
			FirstSeen:  ts(bs[0].TS),
			LastSeen:   ts(bs[len(bs)-1].TS),
			Count:      uint64(len(bs)),
			Evidence:   finding.EvidenceOf(marks, captures),
			Controls:   rule.Controls,
			Techniques: rule.Techniques,
			Detail:     map[string]any{"addresses": addrs, "zones": zoneList, "vlans": vlanList},
		}
		for _, b := range bs {
			if b.TS > f.LastSeen.UnixNano() {
				f.LastSeen = ts(b.TS)
			}
		}
		f.Title = fmt.Sprintf("%s has addresses in %s", macText, strings.Join(zoneList, " and "))
		if len(zoneList) < 2 {
			f.Title = fmt.Sprintf("%s appears on VLANs %v of %s", macText, vlanList, zoneList[0])
		}
		f.ID = finding.NewID(finding.RuleMultiHomed, netip.Addr{}, netip.Addr{}, "", macText)
		out = append(out, f)
	}
	return out
}

// unknownDevices makes a finding of each observed device in a crane zone
// that declares assets, where the site lists no asset with its address or
// MAC.
func (e *Engine) unknownDevices(assets []observe.Asset, captures []string) []finding.Finding {
	rule, _ := finding.Lookup(finding.RuleUnknownDevice)
	var out []finding.Finding
	for i := range assets {
		a := &assets[i]
		z := e.site.ZoneByID(a.Zone)
		if z == nil || !crane(z) || !e.site.ZoneHasAssets(z) {
			continue
		}
		if a.Asset != "" { // listed, by address or by MAC
			continue
		}
		sev := finding.Medium
		if control(z) {
			sev = finding.High
		}
		f := finding.Finding{
			Rule:       finding.RuleUnknownDevice,
			Severity:   sev,
			Src:        finding.Host{IP: a.IP, MAC: a.MAC, Zone: a.Zone},
			FirstSeen:  a.FirstSeen,
			LastSeen:   a.LastSeen,
			Count:      a.Packets,
			Evidence:   finding.EvidenceOf([]finding.Mark{a.Evidence}, captures),
			Controls:   rule.Controls,
			Techniques: rule.Techniques,
			Detail:     map[string]any{"packets": a.Packets, "bytes": a.Bytes, "apps": slices.Clone(a.Apps)},
			Title:      fmt.Sprintf("%s in %s is not in the site inventory", a.IP, z.ID),
		}
		f.ID = finding.NewID(finding.RuleUnknownDevice, a.IP, netip.Addr{}, "", "")
		out = append(out, f)
	}
	return out
}
