package site

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// apps are the canonical protocol names valid in a conduit's protocols,
// besides tcp/PORT and udp/PORT.
var apps = []string{
	"dns", "http", "https", "ssh", "telnet", "rdp", "vnc", "teamviewer", "anydesk",
	"ftp", "tftp", "smb", "ntp", "rtsp", "modbus", "s7comm", "s7comm-plus", "enip",
	"bacnet", "opcua",
	"iec104", "dnp3", "dcerpc", "profinet",
}

// appAliases maps accepted aliases to canonical names.
var appAliases = map[string]string{"tls": "https", "cip": "enip"}

// canonicalApp resolves an alias without allocating; other names are
// returned unchanged.
func canonicalApp(app string) string {
	switch app {
	case "tls":
		return "https"
	case "cip":
		return "enip"
	}
	return app
}

// NormalizeApp returns the canonical form of a protocol name as a conduit
// lists it: one of dns, http, https, ssh, telnet, rdp, vnc, teamviewer,
// anydesk, ftp, tftp, smb, ntp, rtsp, modbus, s7comm, s7comm-plus, enip,
// iec104, dnp3, dcerpc, profinet, or
// tcp/PORT or udp/PORT with PORT in 1..65535 written without leading zeros.
// Case is ignored; the aliases tls (https) and cip (enip) are resolved. ok is
// false for anything else.
func NormalizeApp(name string) (string, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if a, ok := appAliases[name]; ok {
		return a, true
	}
	for _, a := range apps {
		if a == name {
			return a, true
		}
	}
	t, rest, ok := strings.Cut(name, "/")
	if !ok || (t != "tcp" && t != "udp") {
		return "", false
	}
	p, ok := parsePortNumber(rest)
	if !ok {
		return "", false
	}
	return t + "/" + strconv.Itoa(int(p)), true
}

// splitTransportPort splits a canonical tcp/PORT or udp/PORT.
func splitTransportPort(s string) (transport string, port uint16, ok bool) {
	t, rest, ok := strings.Cut(s, "/")
	if !ok || (t != "tcp" && t != "udp") {
		return "", 0, false
	}
	p, ok := parsePortNumber(rest)
	return t, p, ok
}

// parsePortNumber parses a decimal port 1..65535.
func parsePortNumber(s string) (uint16, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > math.MaxUint16 {
		return 0, false
	}
	return uint16(n), true
}

// parsePortRange parses "502" or "1024-2047".
func parsePortRange(s string) (PortRange, string) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "-")
	l, ok := parsePortNumber(strings.TrimSpace(lo))
	if !ok {
		return PortRange{}, "want a port 1..65535 or a range such as 1024-2047"
	}
	if !isRange {
		return PortRange{l, l}, ""
	}
	h, ok := parsePortNumber(strings.TrimSpace(hi))
	if !ok {
		return PortRange{}, "want a port 1..65535 or a range such as 1024-2047"
	}
	if h < l {
		return PortRange{}, "range ends before it starts"
	}
	return PortRange{l, h}, ""
}

// operations are the ICS operations valid in a conduit's operations.
var operations = []string{
	"read", "write", "program-download", "program-upload", "program-delete",
	"plc-stop", "plc-start", "firmware-update", "config-change", "identity",
	"diagnostics", "auth", "session", "io", "other",
}

var criticalities = []string{
	string(CriticalityCoreControl), string(CriticalityNonCritical), string(CriticalitySupport),
}

// parsePrefix parses a CIDR and explains what is wrong with a bad one.
func parsePrefix(s string) (netip.Prefix, string) {
	addr, bits, ok := strings.Cut(s, "/")
	if !ok {
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			return netip.Prefix{}, fmt.Sprintf("missing prefix length (use %s/%d for one address)", a, a.BitLen())
		}
		return netip.Prefix{}, "want a CIDR such as 10.10.1.0/24"
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, "want a CIDR such as 10.10.1.0/24"
	}
	if a.Is4In6() {
		return netip.Prefix{}, "an IPv4-mapped IPv6 prefix never matches; write the IPv4 prefix"
	}
	n, err := strconv.Atoi(bits)
	if err != nil || bits[0] == '+' || bits[0] == '-' || (len(bits) > 1 && bits[0] == '0') {
		return netip.Prefix{}, "want a CIDR such as 10.10.1.0/24"
	}
	if n > a.BitLen() {
		return netip.Prefix{}, fmt.Sprintf("prefix length %d is longer than %d", n, a.BitLen())
	}
	p := netip.PrefixFrom(a, n)
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Sprintf("host bits are set (did you mean %s?)", m)
	}
	return p, ""
}

// ParseAddr parses a unicast host address as site.yaml takes it; on
// failure it returns the reason, for a message that names the value.
// Other asset lists (package declared) read addresses with it too.
func ParseAddr(s string) (netip.Addr, string) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		if strings.Contains(s, "/") {
			return netip.Addr{}, "want an address, not a CIDR"
		}
		return netip.Addr{}, "want an IPv4 or IPv6 address"
	case a.Zone() != "":
		return netip.Addr{}, "an address must not carry an IPv6 zone"
	}
	a = a.Unmap()
	switch {
	case a.IsUnspecified():
		return netip.Addr{}, "the unspecified address is not a host address"
	case a.IsMulticast() || a == bcast4:
		return netip.Addr{}, "a multicast or broadcast address is not a host address"
	}
	return a, ""
}

// ParseMAC parses a hardware address written as 00:1b:1b:aa:bb:cc,
// 00-1B-1B-AA-BB-CC, 001b.1baa.bbcc or 001b1baabbcc.
func ParseMAC(s string) (MAC, string) {
	const want = "want a MAC address such as 00:1b:1b:aa:bb:cc"
	var hex []byte
	switch {
	case len(s) == 17 && (s[2] == ':' || s[2] == '-'):
		sep := s[2]
		for i := 0; i < 17; i += 3 {
			if i+2 < 17 && s[i+2] != sep {
				return MAC{}, want
			}
			hex = append(hex, s[i], s[i+1])
		}
	case len(s) == 14 && s[4] == '.' && s[9] == '.':
		hex = []byte(s[0:4] + s[5:9] + s[10:14])
	case len(s) == 12:
		hex = []byte(s)
	default:
		return MAC{}, want
	}
	var m MAC
	for i := range m {
		hi, ok1 := unhex(hex[2*i])
		lo, ok2 := unhex(hex[2*i+1])
		if !ok1 || !ok2 {
			return MAC{}, want
		}
		m[i] = hi<<4 | lo
	}
	switch {
	case m == MAC{}:
		return MAC{}, "the all-zero MAC address is not a device address"
	case m[0]&1 != 0:
		return MAC{}, "a multicast or broadcast MAC address is not a device address"
	}
	return m, ""
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseDuration is time.ParseDuration with one more unit, d (24h), which may
// lead: "7d", "1d12h", "1.5d", "168h".
func parseDuration(s string) (time.Duration, string) {
	const want = "want a duration such as 168h or 7d"
	if s == "" {
		return 0, want
	}
	var total time.Duration
	rest := s
	for rest != "" {
		// one number and its unit
		i := 0
		for i < len(rest) && (rest[i] == '.' || ('0' <= rest[i] && rest[i] <= '9')) {
			i++
		}
		j := i
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') && rest[j] != '.' {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		if num == "" || unit == "" {
			return 0, want
		}
		var d time.Duration
		if unit == "d" {
			h, err := time.ParseDuration(num + "h")
			if err != nil || h > math.MaxInt64/24 {
				return 0, want
			}
			d = h * 24
		} else {
			var err error
			if d, err = time.ParseDuration(num + unit); err != nil {
				return 0, want
			}
		}
		if d > math.MaxInt64-total {
			return 0, "duration too long"
		}
		total += d
	}
	return total, ""
}

// normalizeDomain lower-cases a domain, drops one trailing dot and checks
// its syntax (RFC 1035 §2.3.1 labels, plus '_' as used by service names).
func normalizeDomain(s string) (string, string) {
	d := strings.ToLower(strings.TrimSuffix(s, "."))
	switch {
	case d == "":
		return "", "empty domain"
	case strings.HasPrefix(d, "*."):
		return "", fmt.Sprintf("a domain already matches its subdomains; write %q", strings.TrimPrefix(d, "*."))
	case len(d) > maxDomainLen:
		return "", "longer than 253 characters"
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return "", "labels must have 1 to 63 characters"
		}
		for _, c := range []byte(label) {
			switch {
			case c >= 0x80:
				return "", "write an internationalised name in its xn-- form"
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			default:
				return "", fmt.Sprintf("character %q is not allowed in a domain", c)
			}
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "", "a label must not start or end with '-'"
		}
	}
	return d, ""
}

// validID reports whether s is a usable identifier: 1 to 128 characters,
// starting with a letter or digit, then letters, digits, '.', '_' or '-'.
func validID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}
