package declared

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// propAliases maps the property names crane makers and SBOM tools write,
// lowered and without a namespace or separators ("acme:IP_Address" is
// "ipaddress"), to the field they fill — the names of propNames, plus
// hostname, vlan and vendor.
var propAliases = map[string]string{
	"ip": "ip", "ips": "ip", "ipv4": "ip", "ipv6": "ip", "ipaddress": "ip", "ipaddresses": "ip", "ipaddr": "ip",
	"ipv4address": "ip", "ipv6address": "ip",
	"mac": "mac", "macs": "mac", "macaddress": "mac", "macaddresses": "mac", "macaddr": "mac", "hwaddress": "mac",
	"ethernetaddress": "mac",
	"hostname":        "hostname", "host": "hostname", "dnsname": "hostname", "fqdn": "hostname",
	"firmware": "firmware", "firmwareversion": "firmware", "fwversion": "firmware", "fw": "firmware",
	"serial": "serial", "serialnumber": "serial", "serialno": "serial", "sn": "serial",
	"model": "model", "modelnumber": "model", "modelname": "model",
	"role": "kind", "kind": "kind", "devicerole": "kind", "devicetype": "kind", "function": "kind",
	"zone": "zone", "networkzone": "zone", "securityzone": "zone",
	"vlan": "vlan", "vlanid": "vlan",
	"criticality": "criticality",
	"origin":      "origin", "countryoforigin": "origin",
	"notes": "notes", "note": "notes", "comment": "notes",
	"vendor": "vendor", "manufacturer": "vendor",
	"crane": "crane", "unit": "crane",
}

// propKey splits a property name into whether it is in the harborwatch
// namespace and the field it fills ("" when none): harborwatch properties
// by their exact names, any other by propAliases, its namespace (up to the
// last ':') and case ignored.
func propKey(name string) (harborwatch bool, field string) {
	if local, ok := strings.CutPrefix(name, propPrefix); ok {
		for _, n := range propNames {
			if local == n {
				return true, n
			}
		}
		return true, ""
	}
	local := name[strings.LastIndexByte(name, ':')+1:]
	local = strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' || r == ' ' {
			return -1
		}
		return unicode.ToLower(r)
	}, local)
	return false, propAliases[local]
}

// craneWord finds a crane designation or the word crane in a name: "STS-07",
// "RTG 12", "Ship-to-Shore Crane".
var (
	craneWord  = regexp.MustCompile(`(?i)\b(crane|gantry|ship-to-shore|STS|RTG|RMG|ASC|QC)\b`)
	craneDesig = regexp.MustCompile(`\b(STS|RTG|RMG|ASC|QC)[- ]?[0-9]{1,4}[A-Z]?\b`)
)

// craneTypes are the component types a crane is described with: CycloneDX
// has no type for machines, so makers write device, or a type of their own.
var craneTypes = []string{"device", "machine", "assembly", "equipment", ""}

// looksLikeCrane reports whether a component names a crane by its type
// and name.
func looksLikeCrane(typ, name string) bool {
	for _, t := range craneTypes {
		if strings.EqualFold(typ, t) {
			return craneWord.MatchString(name)
		}
	}
	return false
}

// craneIDFromName returns the crane designation in a name ("STS-07" in
// "Ship-to-Shore Crane STS-07"), or "".
func craneIDFromName(name string) string {
	return craneDesig.FindString(name)
}

// product is what a CPE or package URL says of a component.
type product struct {
	part                     byte // CPE part: 'h' hardware, 'o' operating system or firmware, 'a' application; 0 for a purl
	vendor, product, version string
}

// parseCPE reads a CPE 2.3 formatted string (cpe:2.3:h:siemens:s7-1500_cpu:2.9:*:…)
// or a CPE 2.2 URI (cpe:/h:siemens:s7-1500_cpu:2.9). Underscores in the
// vendor and product become spaces; "*" and "-" are no value.
func parseCPE(s string) (product, bool) {
	var fields []string
	switch {
	case strings.HasPrefix(s, "cpe:2.3:"):
		fields = splitCPE(s[len("cpe:2.3:"):])
	case strings.HasPrefix(s, "cpe:/"):
		fields = strings.Split(s[len("cpe:/"):], ":")
		for i, f := range fields {
			if u, err := url.PathUnescape(f); err == nil {
				fields[i] = u
			}
		}
	default:
		return product{}, false
	}
	if len(fields) < 2 || len(fields[0]) != 1 || !strings.Contains("aho", fields[0]) {
		return product{}, false
	}
	get := func(i int) string {
		if i >= len(fields) || fields[i] == "*" || fields[i] == "-" {
			return ""
		}
		return fields[i]
	}
	p := product{part: fields[0][0], vendor: get(1), product: get(2), version: get(3)}
	p.vendor = strings.ReplaceAll(p.vendor, "_", " ")
	p.product = strings.ReplaceAll(p.product, "_", " ")
	return p, p.vendor != "" || p.product != ""
}

// splitCPE splits the fields of a CPE 2.3 formatted string at the colons
// not escaped by a backslash, and unescapes them.
func splitCPE(s string) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == ':':
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(out, b.String())
}

// parsePURL reads a package URL, pkg:type/namespace/name@version?…#…: the
// last segment of the namespace is the vendor, the name the product.
func parsePURL(s string) (product, bool) {
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return product{}, false
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, _, _ = strings.Cut(rest, "?")
	rest = strings.TrimLeft(rest, "/")
	var p product
	if at := strings.LastIndexByte(rest, '@'); at > 0 && at > strings.LastIndexByte(rest, '/') {
		p.version, rest = unescape(rest[at+1:]), rest[:at]
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	if len(segs) < 2 || segs[0] == "" {
		return product{}, false
	}
	p.product = unescape(segs[len(segs)-1])
	if len(segs) > 2 {
		p.vendor = strings.TrimPrefix(unescape(segs[len(segs)-2]), "@")
	}
	return p, p.product != ""
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// parseVLAN checks an IEEE 802.1Q VLAN id, 1 to 4094.
func parseVLAN(s string) (string, string) {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.ToLower(s), "vlan"))
	if err != nil || n < 1 || n > 4094 {
		return "", "not a VLAN id from 1 to 4094"
	}
	return strconv.Itoa(n), ""
}
