package learn

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"harborwatch/finding"
	"harborwatch/internal/textsafe"
	"harborwatch/site"
)

// reviews writes what a person must look at: traffic a crane network
// should not carry, whatever the draft allows.
func (l *Learner) reviews(d *Draft, hosts map[netip.Addr]*host, fs []finding.Finding, existing *site.Site, declared bool) {
	gateway := func(a netip.Addr) bool {
		return slices.Contains(d.Gateways, a) || (existing != nil && existing.IsGateway(a))
	}
	zoneOf := func(a netip.Addr) *Zone {
		if h := hosts[a]; h != nil {
			return h.zone
		}
		return nil
	}
	name := func(a netip.Addr) string {
		if z := zoneOf(a); z != nil {
			return fmt.Sprintf("%s (%s)", a, z.ID)
		}
		return a.String() + " (Internet)"
	}
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	// Operations that change what a controller runs.
	type opk struct {
		c, s      netip.Addr
		proto, op string
	}
	drastic := map[opk]*tally{}
	for k, t := range l.ops {
		if slices.Contains(drasticOps, k.op) {
			dk := opk{k.c, k.s, k.proto, k.op}
			if drastic[dk] == nil {
				drastic[dk] = &tally{}
			}
			drastic[dk].add(t.n, 0, t.first, t.last)
		}
	}
	for k, t := range drastic {
		where := "not allowed by this draft: allow it in a conduit limited to a change window if it is planned maintenance"
		if z := zoneOf(k.c); z == nil || z.Kind != site.KindCraneManagement {
			where = "engineering operation from outside a management zone"
		}
		add("%s from %s to %s over %s, %s (%s): %s", k.op, name(k.c), name(k.s), k.proto, times(t.n), t.first.UTC().Format(time.RFC3339), where)
	}
	// Remote access and cleartext file transfers.
	for k, t := range l.flows {
		zc, zs := zoneOf(k.c), zoneOf(k.s)
		crane := (zc != nil && zc.Kind.IsCrane()) || (zs != nil && zs.Kind.IsCrane())
		switch {
		case k.tr != 6 && k.tr != 17 && zc != nil && zs != nil && zc != zs:
			add("IP protocol %d between zones (%s to %s), %s: a conduit cannot allow it (TCP and UDP only); it stays a finding of low or medium severity", k.tr, name(k.c), name(k.s), nouns(t.n, "flow"))
		case k.port == 0 && zc != nil && zs != nil && zc != zs:
			add("flows to port 0 between zones (%s to %s), %s: a conduit cannot allow them; they stay findings", name(k.c), name(k.s), nouns(t.n, "flow"))
		case slices.Contains(remoteApps, k.app) && zc != zs && !gateway(k.c):
			if crane || zs == nil || zc == nil {
				add("remote access not through a gateway: %s from %s to %s, %s", k.app, name(k.c), name(k.s), nouns(t.n, "flow"))
			}
		case slices.Contains(transferApps, k.app) && crane:
			add("cleartext file transfer (%s) from %s to %s, %s: use a secure transfer for firmware and projects", k.app, name(k.c), name(k.s), nouns(t.n, "flow"))
		}
	}
	// The Internet: from crane zones always, from others up to
	// maxEgressReviews.
	other := 0
	for _, e := range d.Egress {
		z := zoneOf(e.Client)
		dir := "from"
		if z == nil {
			z, dir = zoneOf(e.Server), "into"
		}
		if z == nil {
			continue
		}
		if !z.Kind.IsCrane() {
			other++
			if other > maxEgressReviews {
				continue
			}
		}
		add("internet traffic %s %s zone %s: %s to %s, %s/%d, %s", dir, z.Kind, z.ID, e.Client, e.Server, e.App, e.Port, nouns(e.Flows, "flow"))
	}
	if other > maxEgressReviews {
		add("internet traffic of other zones: %d more client-server pairs (see the list below)", other-maxEgressReviews)
	}
	// Findings the run made without a site model.
	for i := range fs {
		f := &fs[i]
		if !slices.Contains(ReviewRules, f.Rule) {
			continue
		}
		ends := f.Src.IP.String()
		if f.Dst.IP.IsValid() {
			ends += " to " + f.Dst.IP.String()
		}
		add("finding %s (%s): %s [%s]", f.Rule, f.Severity, f.Title, ends)
	}
	// Devices that do not belong on a control network, and one device in
	// two zones.
	seen := map[any]bool{}
	for _, h := range hosts {
		if h.zone == nil {
			continue
		}
		if h.zone.Kind == site.KindCraneControl && h.has("camera") && !h.servedICS {
			add("a camera on a control network: %s in %s (%s)%s", h.ip, h.zone.ID, evidence(h, "camera"), l.peers(h.ip, zoneOf))
		}
		a := h.asset
		if a == nil || seen[a] {
			continue
		}
		seen[a] = true
		if declared && !a.Declared {
			add("a device not in the declared inventory: %s in %s (%s)%s", h.ip, h.zone.ID, cmp.Or(strings.Join(a.MACs, " "), "no MAC seen"), l.peers(h.ip, zoneOf))
		}
		if len(a.Concern) > 0 && h.zone.Kind.IsCrane() && a.Concern[0].Maker {
			add("a device made by a supplier of concern (%s) in %s zone %s: %s", a.Concern[0].Name, h.zone.Kind, h.zone.ID, h.ip)
		}
		var zs []string
		var ips []string
		for _, ip := range a.IPs {
			if z := zoneOf(ip.Unmap()); z != nil && !slices.Contains(zs, z.ID) {
				zs = append(zs, z.ID)
				ips = append(ips, ip.Unmap().String())
			}
		}
		if len(zs) > 1 {
			add("one device in %d zones (multi-homed): %s at %s", len(zs), strings.Join(a.MACs, " "), pairsOf(ips, zs))
		}
	}
	slices.Sort(out)
	d.Reviews = slices.Compact(out)
}

// maxEgressReviews bounds the review lines on internet traffic outside
// crane zones (the list of internet traffic has them all).
const maxEgressReviews = 20

// maxEgressList bounds the list of internet traffic.
const maxEgressList = 200

// peers says whom a host talked to outside its zone: ", talks to A
// (zone) over app, …", at most three.
func (l *Learner) peers(a netip.Addr, zoneOf func(netip.Addr) *Zone) string {
	var out []string
	for k := range l.flows {
		var peer netip.Addr
		switch a {
		case k.c:
			peer = k.s
		case k.s:
			peer = k.c
		default:
			continue
		}
		if zp := zoneOf(peer); zp == zoneOf(a) {
			continue
		} else if zp != nil {
			out = append(out, fmt.Sprintf("%s (%s) over %s", peer, zp.ID, k.app))
		} else {
			out = append(out, fmt.Sprintf("%s (Internet) over %s", peer, k.app))
		}
	}
	if len(out) == 0 {
		return ""
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 3 {
		out = append(out[:3], fmt.Sprintf("%d more", len(out)-3))
	}
	return "; talks to " + strings.Join(out, ", ")
}

func pairsOf(ips, zones []string) string {
	var b []string
	for i := range ips {
		b = append(b, ips[i]+" in "+zones[i])
	}
	return strings.Join(b, ", ")
}

func evidence(h *host, role string) string {
	if h.asset != nil {
		for _, r := range h.asset.Roles {
			if r.Role == role {
				return r.Evidence
			}
		}
	}
	return role
}

func times(n uint64) string {
	if n == 1 {
		return "once"
	}
	return strconv.FormatUint(n, 10) + " times"
}

func nouns(n uint64, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatUint(n, 10) + " " + one + "s"
}

// q quotes text for YAML: a double-quoted scalar (Go's escapes are
// YAML's), printable ASCII only.
func q(s string) string { return strconv.QuoteToASCII(s) }

// c makes text safe in a comment: one line, no control characters.
func c(s string) string { return textsafe.String(s) }

func (d *Draft) render(opts Options, l *Learner) ([]byte, error) {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	caps := make([]string, len(opts.Captures))
	for i, x := range opts.Captures {
		caps[i] = c(x)
	}
	p("# Site model DRAFTED by 'harborwatch site learn' from %s\n", cmp.Or(strings.Join(caps, ", "), "traffic"))
	p("# (%s, %s). Everything in it is a guess from traffic: review it\n", nouns(l.Flows, "flow"), nouns(l.Ops, "ICS request"))
	p("# before use, above all the lines marked \"review:\". What was guessed:\n")
	p("#  - zones: one per subnet (/24, /64) and VLAN seen, subnets of one /16 with the\n")
	p("#    same kind and VLANs merged; the kind from the roles of their hosts (each\n")
	p("#    zone says why). Confirm each kind and add crane: STS-xx to crane zones;\n")
	p("#  - conduits: one per pair of zones and protocol seen, with the server ports\n")
	p("#    and the ICS operations seen. They allow what the capture carried,\n")
	p("#    problems included; remove what should not be allowed. Operations that\n")
	p("#    change what a controller runs (program download, stop, firmware update,\n")
	p("#    configuration change) are never allowed here: allow them in a change\n")
	p("#    window (change_windows:) if they are planned maintenance;\n")
	p("#  - assets: the devices seen, with what identified them; confirm vendor,\n")
	p("#    model, supplier, origin and criticality;\n")
	p("#  - remote-access gateways: hosts that reach other zones only by remote-\n")
	p("#    access protocols. Not guessed: cranes, change windows, prohibited lists.\n")
	p("version: 1\n")
	fac := cmp.Or(opts.Facility, "learned")
	p("facility: {id: %s, name: %s}\n", q(fac), q("learned from traffic: review"))
	p("\n# REVIEW: what looks wrong in the traffic (%d)\n", len(d.Reviews))
	for _, r := range d.Reviews {
		p("# review: %s\n", c(r))
	}
	if len(d.Reviews) == 0 {
		p("# (nothing)\n")
	}
	if len(d.Routers) > 0 {
		p("# Routers (a MAC carrying many addresses; not listed as assets):\n")
		for _, r := range d.Routers {
			p("#   %s\n", c(r))
		}
	}
	if len(d.Egress) > 0 {
		p("# Internet traffic seen (no conduit is drafted for it):\n")
		for i, e := range d.Egress {
			if i == maxEgressList {
				p("#   … %d more\n", len(d.Egress)-i)
				break
			}
			p("#   %s: %s → %s %s/%d, %s\n", e.Zone, e.Client, e.Server, c(e.App), e.Port, nouns(e.Flows, "flow"))
		}
	}

	zs, cs, as := d.zoneLines(""), d.conduitLines(""), d.assetLines("")
	if opts.Existing != nil {
		return d.extend(opts, b.Bytes())
	}
	section := func(key string, lines []byte) {
		p("\n%s:\n", key)
		if len(lines) == 0 {
			p("  []\n")
		}
		b.Write(lines)
	}
	section("zones", zs)
	section("conduits", cs)
	section("assets", as)

	if len(d.Gateways) > 0 {
		gs := make([]string, len(d.Gateways))
		for i, g := range d.Gateways {
			gs[i] = g.String()
		}
		p("\n# guessed: these hosts reach other zones by remote-access protocols only;\n")
		p("# review: confirm each is an approved remote-access gateway (with MFA)\n")
		p("remote_access: {gateways: [%s]}\n", strings.Join(gs, ", "))
	}
	return b.Bytes(), nil
}

// zoneLines writes the drafted zones as block-list entries, each with
// its comments (which start with mark).
func (d *Draft) zoneLines(mark string) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	for _, z := range d.Zones {
		p("  # "+mark+"guessed %s: %s\n", z.Kind, c(z.Why))
		cidrs := make([]string, len(z.CIDRs))
		for i, x := range z.CIDRs {
			cidrs[i] = x.String()
		}
		if len(z.CIDRs) == 1 && len(z.Hosts) > 0 && base(z.Hosts[0]) != z.CIDRs[0] {
			p("  # review: %s covers the subnets seen (%s); narrow it if other networks share it\n", z.CIDRs[0], c(hostsList(z.Hosts)))
		}
		vl := ""
		if len(z.VLANs) > 0 {
			vs := make([]string, len(z.VLANs))
			for i, v := range z.VLANs {
				vs[i] = strconv.Itoa(int(v))
			}
			vl = ", vlans: [" + strings.Join(vs, ", ") + "]"
		}
		p("  - {id: %s, kind: %s, cidrs: [%s]%s}\n", z.ID, z.Kind, strings.Join(cidrs, ", "), vl)
	}
	return b.Bytes()
}

// conduitLines writes the drafted conduits as block-list entries.
func (d *Draft) conduitLines(mark string) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	for _, cd := range d.Conduits {
		more := ""
		if cd.MorePairs > 0 {
			more = fmt.Sprintf(" and %d more", cd.MorePairs)
		}
		ops := ""
		if cd.Ops > 0 {
			ops = ", " + nouns(cd.Ops, "ICS request")
		}
		p("  # "+mark+"%s%s, %s … %s: %s%s\n", nouns(cd.Flows, "flow"), ops, cd.First.UTC().Format(time.RFC3339), cd.Last.UTC().Format(time.RFC3339),
			strings.Join(cd.Pairs, ", "), more)
		ports := make([]string, len(cd.Ports))
		for i, x := range cd.Ports {
			ports[i] = strconv.Itoa(int(x))
		}
		line := fmt.Sprintf("  - {from: %s, to: %s, protocols: [%s]", cd.From, cd.To, q(cd.App))
		if len(ports) > 0 {
			line += ", ports: [" + strings.Join(ports, ", ") + "]"
		}
		if slices.Contains(icsApps, cd.App) {
			ops := cd.Operations
			if len(ops) == 0 {
				// An empty list would allow every operation.
				ops = []string{"read"}
				if cd.Ops > 0 {
					p("  # review: only operations that change what a controller runs were seen (see the review lines); only reads are allowed\n")
				} else {
					p("  # review: no operation of this protocol was decoded; only reads are allowed\n")
				}
			}
			line += ", operations: [" + strings.Join(ops, ", ") + "]"
		}
		p("%s}\n", line)
	}
	return b.Bytes()
}

// assetLines writes the drafted assets as block-list entries.
func (d *Draft) assetLines(mark string) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	for _, a := range d.Assets {
		if a.Why != "" || mark != "" {
			p("  # "+mark+"%s\n", c(a.Why))
		}
		fields := []string{"id: " + a.ID}
		if len(a.IPs) == 1 {
			fields = append(fields, "ip: "+a.IPs[0].String())
		} else {
			ips := make([]string, len(a.IPs))
			for i, x := range a.IPs {
				ips[i] = x.String()
			}
			fields = append(fields, "ips: ["+strings.Join(ips, ", ")+"]")
		}
		if a.MAC != "" {
			fields = append(fields, "mac: "+q(a.MAC))
		}
		fields = append(fields, "kind: "+q(a.Kind))
		for _, kv := range [][2]string{{"vendor", a.Vendor}, {"model", a.Model}, {"firmware", a.Firmware}, {"supplier", a.Supplier}} {
			if kv[1] != "" {
				fields = append(fields, kv[0]+": "+q(kv[1]))
			}
		}
		p("  - {%s}\n", strings.Join(fields, ", "))
	}
	return b.Bytes()
}

func hostsList(hs []netip.Addr) string {
	var s []string
	for i, h := range hs {
		if i == 5 {
			s = append(s, fmt.Sprintf("and %d more", len(hs)-i))
			break
		}
		s = append(s, h.String())
	}
	return strings.Join(s, ", ")
}
