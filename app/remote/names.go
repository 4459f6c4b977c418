package remote

// AnyDesk and TeamViewer service domains. A TLS server name (RFC 6066 §3) or
// DNS query name (RFC 1035 §3.1) under one of them identifies the
// application even when its own protocol is encrypted.
var (
	anyDeskDomains    = [...]string{"anydesk.com"} // covers net.anydesk.com, relay-*.net.anydesk.com, boot.net.anydesk.com
	teamViewerDomains = [...]string{"teamviewer.com", "teamviewer.cn", "teamviewer.us", "dyngate.com"}
)

// AnyDeskName reports whether name is anydesk.com or a subdomain of it (the
// relays and boot servers live under net.anydesk.com). The comparison is
// ASCII case-insensitive, on a label boundary ("notanydesk.com" does not
// match), and a single trailing dot (a fully qualified DNS name) is allowed.
func AnyDeskName(name []byte) bool {
	for _, d := range anyDeskDomains {
		if underDomain(name, d) {
			return true
		}
	}
	return false
}

// TeamViewerName reports whether name is teamviewer.com, teamviewer.cn,
// teamviewer.us or dyngate.com (TeamViewer's historical name) or a
// subdomain of one of them, with the same rules as AnyDeskName.
func TeamViewerName(name []byte) bool {
	for _, d := range teamViewerDomains {
		if underDomain(name, d) {
			return true
		}
	}
	return false
}

// AnyDeskALPN reports whether a TLS ALPN protocol name (RFC 7301 §3.1) is
// AnyDesk's: it starts with "anydesk/" (ASCII case-insensitive), followed by
// a version or nothing.
func AnyDeskALPN(alpn []byte) bool {
	const p = "anydesk/"
	return len(alpn) >= len(p) && equalFold(alpn[:len(p)], p)
}

// underDomain reports whether name equals domain or ends with "."+domain,
// ignoring ASCII case and one trailing dot. The labels before domain must
// be non-empty.
func underDomain(name []byte, domain string) bool {
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if len(name) < len(domain) || !equalFold(name[len(name)-len(domain):], domain) {
		return false
	}
	if len(name) == len(domain) {
		return true
	}
	pre := name[:len(name)-len(domain)] // ends with the separating dot
	return len(pre) >= 2 && pre[len(pre)-1] == '.' && pre[len(pre)-2] != '.' && pre[0] != '.'
}

// equalFold reports whether b equals s under ASCII case folding; s is lower
// case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
