package detect

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"harborwatch/app"
	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/site"
)

// RouterAddresses is the number of distinct addresses above which a MAC is
// taken for a router forwarding other hosts' traffic rather than a
// multi-homed host: a router's MAC carries every routed source address.
const RouterAddresses = 4

// Result is what detection found in a run.
type Result struct {
	Findings []finding.Finding
	Assets   []Asset
	Stats    Stats
	// Routers are MACs seen with more than RouterAddresses addresses in
	// several zones, taken for routers and not reported as multi-homed.
	Routers []string
	// Stations are the devices that described themselves in discovery
	// messages (LLDP, CDP, PROFINET DCP, DHCP), sorted by MAC.
	Stations []Station
}

// Finish merges the shards' states and returns the findings, in the order
// of finding.Sort, and the observed assets sorted by address. captures names the capture files by index.
func (e *Engine) Finish(states []*State, captures []string) *Result {
	aggs := make(map[aggKey]*agg)
	hosts := make(map[netip.Addr]*hostObs)
	macs := make(map[[6]byte]*macObs)
	ids := make(map[netip.Addr]map[string]any)
	stns := make(map[[6]byte]*station)
	var res Result
	for _, s := range states {
		res.Stats.HostsDropped += s.stats.HostsDropped
		res.Stats.ExternalDropped += s.stats.ExternalDropped
		for k, a := range s.aggs {
			if m := aggs[k]; m != nil {
				m.merge(a)
			} else {
				aggs[k] = a
			}
		}
		for ip, h := range s.hosts {
			if m := hosts[ip]; m != nil {
				m.merge(h)
			} else {
				hosts[ip] = h
			}
		}
		for ip, id := range s.ids {
			if m := ids[ip]; m != nil {
				for k, v := range id {
					if _, ok := m[k]; !ok {
						m[k] = v
					}
				}
			} else {
				ids[ip] = id
			}
		}
		for mac, st := range s.stns {
			if m := stns[mac]; m != nil {
				m.merge(st)
			} else {
				stns[mac] = st
			}
		}
		for mac, mo := range s.macs {
			if m := macs[mac]; m != nil {
				for _, b := range mo.bindings {
					m.add(b)
				}
				m.more = m.more || mo.more
			} else {
				macs[mac] = mo
			}
		}
	}
	for _, a := range aggs {
		res.Findings = append(res.Findings, e.aggFinding(a, captures))
	}
	res.Findings = append(res.Findings, e.multiHomed(macs, captures, &res)...)
	routers := map[string]bool{}
	for _, r := range res.Routers {
		routers[r] = true
	}
	for _, h := range hosts {
		h.pickMAC(routers)
	}
	res.Findings = append(res.Findings, e.unknownDevices(hosts, captures)...)
	finding.Sort(res.Findings)
	// An external address seen with a MAC that no other address uses is
	// a device on the monitored segment (a capture without a site model,
	// or a public addressing plan); one behind a router shares its MAC.
	macUse := map[[6]byte]int{}
	for _, h := range hosts {
		for _, ms := range h.macs[:h.nmacs] {
			macUse[ms.mac]++
		}
	}
	for _, h := range hosts {
		if external(h.zone) && (!h.hasMAC || macUse[h.mac] != 1) {
			continue
		}
		a := e.asset(h)
		if mo := macs[h.mac]; h.hasMAC && mo != nil {
			// The VLANs a host is on are those its own MAC was seen on
			// with its address: a routed copy of its traffic, captured
			// on another VLAN, carries a router's MAC instead.
			a.VLANs = a.VLANs[:0]
			for _, b := range mo.bindings {
				if b.ip == h.ip && !slices.Contains(a.VLANs, b.vlan) {
					a.VLANs = append(a.VLANs, b.vlan)
				}
			}
			slices.Sort(a.VLANs)
		}
		a.Identity = ids[h.ip]
		res.Assets = append(res.Assets, a)
	}
	slices.SortFunc(res.Assets, func(a, b Asset) int { return a.IP.Compare(b.IP) })
	for _, st := range stns {
		res.Stations = append(res.Stations, st.export())
	}
	slices.SortFunc(res.Stations, func(a, b Station) int { return strings.Compare(a.MAC, b.MAC) })
	slices.Sort(res.Routers)
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

func (h *hostObs) merge(o *hostObs) {
	for _, ms := range o.macs[:o.nmacs] {
		h.addMAC(ms)
	}
	if o.first < h.first || (o.first == h.first && o.mark.less(h.mark)) {
		h.first, h.mark = o.first, o.mark
	}
	if o.last > h.last {
		h.last = o.last
	}
	h.packets += o.packets
	h.bytes += o.bytes
	h.apps |= o.apps
	h.served |= o.served
	h.ops |= o.ops
	for _, p := range o.peers[:o.npeers] {
		h.addPeer(p)
	}
	h.morePeers = h.morePeers || o.morePeers
	h.vlans.merge(&o.vlans)
}

// pickMAC sets the host's MAC: the first seen that is not a router's (a
// host seen behind a gateway carries the gateway's MAC there).
func (h *hostObs) pickMAC(routers map[string]bool) {
	for _, ms := range h.macs[:h.nmacs] {
		if !routers[macString(ms.mac)] && !virtualRouter(ms.mac) {
			h.mac, h.hasMAC = ms.mac, true
			return
		}
	}
}

func (mo *macObs) add(b binding) {
	for i := range mo.bindings {
		x := &mo.bindings[i]
		if x.ip == b.ip && x.vlan == b.vlan {
			if b.ts < x.ts || (b.ts == x.ts && b.mark.less(x.mark)) {
				x.ts, x.mark = b.ts, b.mark
			}
			return
		}
	}
	if len(mo.bindings) >= maxBindings {
		mo.more = true
		return
	}
	mo.bindings = append(mo.bindings, b)
}

func ts(ns int64) time.Time { return time.Unix(0, ns).UTC() }

func (e *Engine) hostOf(ep Endpoint, z *site.Zone) finding.Host {
	h := finding.Host{IP: ep.IP}
	if z != nil {
		h.Zone = z.ID
	}
	if ep.HasMAC {
		h.MAC = macString(ep.MAC)
	}
	if a := e.site.AssetByIP(ep.IP); a != nil {
		h.Asset = a.ID
	} else if ep.HasMAC {
		if a := e.site.AssetByMAC(ep.MAC); a != nil {
			h.Asset = a.ID
		}
	}
	return h
}

// Evidence returns the evidence of a finding resting on marks: the
// earliest finding.MaxEvidence of them, once each, grouped by capture
// (captures names the run's capture files by index).
func Evidence(marks []Mark, captures []string) []finding.Evidence {
	marks = slices.Clone(marks)
	slices.SortFunc(marks, func(a, b Mark) int {
		switch {
		case a.less(b):
			return -1
		case b.less(a):
			return 1
		}
		return 0
	})
	marks = slices.Compact(marks)
	if len(marks) > finding.MaxEvidence {
		marks = marks[:finding.MaxEvidence]
	}
	return evidence(marks, captures)
}

// evidence groups marks, sorted, by capture.
func evidence(marks []Mark, captures []string) []finding.Evidence {
	var out []finding.Evidence
	for _, m := range marks {
		name := fmt.Sprintf("#%d", m.File)
		if int(m.File) < len(captures) {
			name = captures[m.File]
		}
		if n := len(out); n > 0 && out[n-1].Capture == name {
			out[n-1].Packets = append(out[n-1].Packets, m.Packet)
			continue
		}
		out = append(out, finding.Evidence{Capture: name, Packets: []int64{m.Packet}})
	}
	if out == nil {
		out = []finding.Evidence{}
	}
	return out
}

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
		Evidence:   evidence(a.marks, captures),
		Controls:   rule.Controls,
		Techniques: rule.Techniques,
		Detail:     map[string]any{},
	}
	f.ID = finding.NewID(f.Rule, a.key.src, a.key.dst, appName, "")
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
		f.Title = fmt.Sprintf("%s %s from %s to %s (%s)", appName, what, zs, zd, a.key.dst)
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

func (e *Engine) multiHomed(macs map[[6]byte]*macObs, captures []string, res *Result) []finding.Finding {
	rule, _ := finding.Lookup(finding.RuleMultiHomed)
	var out []finding.Finding
	for mac, mo := range macs {
		zones := map[string]bool{}
		vlans := map[uint16]bool{} // tagged VLANs only: an untagged copy of a tagged segment (a SPAN of an access port) is not a second VLAN
		ips := map[netip.Addr]bool{}
		for _, b := range mo.bindings {
			zones[b.zone.ID] = true
			if b.vlan != 0 {
				vlans[b.vlan] = true
			}
			ips[b.ip] = true
		}
		if len(zones) < 2 && len(vlans) < 2 {
			continue
		}
		if a := e.site.AssetByMAC(mac); a != nil && forwards(a.Kind) {
			continue
		}
		if len(ips) > RouterAddresses || mo.more || virtualRouter(mac) {
			res.Routers = append(res.Routers, macString(mac))
			continue
		}
		bs := slices.Clone(mo.bindings)
		slices.SortFunc(bs, func(a, b binding) int {
			return cmp.Or(cmp.Compare(a.ts, b.ts), a.ip.Compare(b.ip), cmp.Compare(a.vlan, b.vlan))
		})
		sev := finding.Medium
		for _, b := range bs {
			switch {
			case control(b.zone):
				sev = finding.Critical
			case crane(b.zone) && sev < finding.High:
				sev = finding.High
			}
		}
		first := bs[0]
		second := bs[1]
		for _, b := range bs[1:] {
			if b.zone != first.zone || b.vlan != first.vlan {
				second = b
				break
			}
		}
		var marks []Mark
		var addrs []map[string]any
		zoneList := []string{}
		vlanList := []uint16{}
		for _, b := range bs {
			marks = append(marks, b.mark)
			addrs = append(addrs, map[string]any{"ip": b.ip.String(), "zone": b.zone.ID, "vlan": b.vlan})
			if !slices.Contains(zoneList, b.zone.ID) {
				zoneList = append(zoneList, b.zone.ID)
			}
			if !slices.Contains(vlanList, b.vlan) {
				vlanList = append(vlanList, b.vlan)
			}
		}
		slices.SortFunc(marks, func(a, b Mark) int {
			return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Packet, b.Packet))
		})
		if len(marks) > finding.MaxEvidence {
			marks = marks[:finding.MaxEvidence]
		}
		ep := Endpoint{IP: first.ip, MAC: mac, HasMAC: true}
		f := finding.Finding{
			Rule:       finding.RuleMultiHomed,
			Severity:   sev,
			Src:        e.hostOf(ep, first.zone),
			Dst:        e.hostOf(Endpoint{IP: second.ip, MAC: mac, HasMAC: true}, second.zone),
			FirstSeen:  ts(bs[0].ts),
			LastSeen:   ts(bs[len(bs)-1].ts),
			Count:      uint64(len(bs)),
			Evidence:   evidence(marks, captures),
			Controls:   rule.Controls,
			Techniques: rule.Techniques,
			Detail:     map[string]any{"addresses": addrs, "zones": zoneList, "vlans": vlanList},
		}
		for _, b := range bs {
			if b.ts > f.LastSeen.UnixNano() {
				f.LastSeen = ts(b.ts)
			}
		}
		f.Title = fmt.Sprintf("%s has addresses in %s", macString(mac), strings.Join(zoneList, " and "))
		if len(zoneList) < 2 {
			f.Title = fmt.Sprintf("%s appears on VLANs %v of %s", macString(mac), vlanList, zoneList[0])
		}
		f.ID = finding.NewID(finding.RuleMultiHomed, netip.Addr{}, netip.Addr{}, "", macString(mac))
		out = append(out, f)
	}
	return out
}

// virtualRouter reports whether mac is a first-hop redundancy protocol's
// virtual router MAC — by definition a gateway: VRRP for IPv4
// (00-00-5E-00-01-xx) and IPv6 (00-00-5E-00-02-xx) per RFC 5798 §7.3, HSRP
// version 1 (00-00-0C-07-AC-xx) and 2 (00-00-0C-9F-Fx-xx), GLBP
// (00-07-B4-00-xx-xx).
func virtualRouter(mac [6]byte) bool {
	switch {
	case mac[0] == 0 && mac[1] == 0 && mac[2] == 0x5e && mac[3] == 0 && (mac[4] == 1 || mac[4] == 2):
		return true
	case mac[0] == 0 && mac[1] == 0 && mac[2] == 0x0c && mac[3] == 0x07 && mac[4] == 0xac:
		return true
	case mac[0] == 0 && mac[1] == 0 && mac[2] == 0x0c && mac[3] == 0x9f && mac[4]&0xf0 == 0xf0:
		return true
	case mac[0] == 0 && mac[1] == 0x07 && mac[2] == 0xb4 && mac[3] == 0:
		return true
	}
	return false
}

// forwards reports whether an asset kind forwards other hosts' traffic, so
// that its MAC carrying several zones' addresses is expected.
func forwards(kind string) bool {
	switch kind {
	case "router", "firewall", "gateway", "switch", "layer3-switch":
		return true
	}
	return false
}

func (e *Engine) unknownDevices(hosts map[netip.Addr]*hostObs, captures []string) []finding.Finding {
	rule, _ := finding.Lookup(finding.RuleUnknownDevice)
	var out []finding.Finding
	for ip, h := range hosts {
		if !crane(h.zone) || !e.site.ZoneHasAssets(h.zone) {
			continue
		}
		if e.site.AssetByIP(ip) != nil || (h.hasMAC && e.site.AssetByMAC(h.mac) != nil) {
			continue
		}
		sev := finding.Medium
		if control(h.zone) {
			sev = finding.High
		}
		ep := Endpoint{IP: ip, MAC: h.mac, HasMAC: h.hasMAC}
		f := finding.Finding{
			Rule:       finding.RuleUnknownDevice,
			Severity:   sev,
			Src:        e.hostOf(ep, h.zone),
			FirstSeen:  ts(h.first),
			LastSeen:   ts(h.last),
			Count:      h.packets,
			Evidence:   evidence([]Mark{h.mark}, captures),
			Controls:   rule.Controls,
			Techniques: rule.Techniques,
			Detail:     map[string]any{"packets": h.packets, "bytes": h.bytes, "apps": appNames(h.apps)},
			Title:      fmt.Sprintf("%s in %s is not in the site inventory", ip, h.zone.ID),
		}
		f.ID = finding.NewID(finding.RuleUnknownDevice, ip, netip.Addr{}, "", "")
		out = append(out, f)
	}
	return out
}

func appNames(bits uint32) []string {
	out := []string{}
	for a := app.App(1); a < 32; a++ {
		if bits&(1<<a) != 0 && a.String() != "" {
			out = append(out, a.String())
		}
	}
	slices.Sort(out)
	return out
}

func (e *Engine) asset(h *hostObs) Asset {
	ep := Endpoint{IP: h.ip, MAC: h.mac, HasMAC: h.hasMAC}
	host := e.hostOf(ep, h.zone)
	a := Asset{
		IP: h.ip, MAC: host.MAC, Zone: host.Zone, Asset: host.Asset,
		Apps: appNames(h.apps), Served: appNames(h.served), Ops: event.OpsOf(h.ops),
		VLANs:   h.vlans.list(),
		Packets: h.packets, Bytes: h.bytes,
		FirstSeen: ts(h.first), LastSeen: ts(h.last), Evidence: h.mark,
	}
	for _, p := range h.peers[:h.npeers] {
		a.Polled = append(a.Polled, p)
	}
	a.PolledMore = h.morePeers
	for _, ms := range h.macs[:h.nmacs] {
		if virtualRouter(ms.mac) {
			continue
		}
		a.MACs = append(a.MACs, macString(ms.mac))
	}
	return a
}

func (st *station) export() Station {
	out := Station{
		MAC: macString(st.mac), MACBytes: st.mac, IPs: slices.Clone(st.ips),
		VLANs: st.vlans.list(), Identity: st.id, Frames: st.frames,
		FirstSeen: ts(st.first), LastSeen: ts(st.last), Evidence: st.mark,
	}
	for i, n := range sourceNames {
		if st.sources&(1<<i) != 0 {
			out.Sources = append(out.Sources, n)
		}
	}
	return out
}
