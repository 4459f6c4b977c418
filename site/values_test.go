package site

import (
	"strings"
	"testing"
	"time"
)

func TestNormalizeApp(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"modbus", "modbus", true},
		{"S7COMM", "s7comm", true},
		{"s7comm-plus", "s7comm-plus", true},
		{" https ", "https", true},
		{"tls", "https", true},
		{"TLS", "https", true},
		{"cip", "enip", true},
		{"enip", "enip", true},
		{"tcp/502", "tcp/502", true},
		{"TCP/0502", "tcp/502", true},
		{"udp/65535", "udp/65535", true},
		{"udp/1", "udp/1", true},
		{"tcp/0", "", false},
		{"tcp/65536", "", false},
		{"tcp/", "", false},
		{"tcp/+5", "", false},
		{"tcp/5a", "", false},
		{"tcp/123456", "", false},
		{"sctp/9", "", false},
		{"quic", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := NormalizeApp(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NormalizeApp(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
	for _, a := range apps {
		if got, ok := NormalizeApp(a); !ok || got != a {
			t.Errorf("NormalizeApp(%q) = %q, %v", a, got, ok)
		}
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in   string
		want PortRange
		why  string
	}{
		{"502", PortRange{502, 502}, ""},
		{"1024-2047", PortRange{1024, 2047}, ""},
		{" 1 - 65535 ", PortRange{1, 65535}, ""},
		{"80-80", PortRange{80, 80}, ""},
		{"10-5", PortRange{}, "range ends before it starts"},
		{"0", PortRange{}, "want a port 1..65535 or a range such as 1024-2047"},
		{"1-2-3", PortRange{}, "want a port 1..65535 or a range such as 1024-2047"},
		{"-5", PortRange{}, "want a port 1..65535 or a range such as 1024-2047"},
		{"", PortRange{}, "want a port 1..65535 or a range such as 1024-2047"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, why := parsePortRange(tt.in)
			if got != tt.want || why != tt.why {
				t.Errorf("parsePortRange(%q) = %v, %q; want %v, %q", tt.in, got, why, tt.want, tt.why)
			}
		})
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in, want, why string
	}{
		{"10.10.1.0/24", "10.10.1.0/24", ""},
		{"0.0.0.0/0", "0.0.0.0/0", ""},
		{"10.10.1.5/32", "10.10.1.5/32", ""},
		{"fd00:10::/32", "fd00:10::/32", ""},
		{"10.10.1.5/24", "", "host bits are set (did you mean 10.10.1.0/24?)"},
		{"10.10.1.0/33", "", "prefix length 33 is longer than 32"},
		{"10.10.1.5", "", "missing prefix length (use 10.10.1.5/32 for one address)"},
		{"fd00::5", "", "missing prefix length (use fd00::5/128 for one address)"},
		{"::ffff:10.0.0.0/104", "", "an IPv4-mapped IPv6 prefix never matches; write the IPv4 prefix"},
		{"fe80::%eth0/64", "", "want a CIDR such as 10.10.1.0/24"},
		{"10.10.1.0/-1", "", "want a CIDR such as 10.10.1.0/24"},
		{"10.10.1.0/+8", "", "want a CIDR such as 10.10.1.0/24"},
		{"10.10.1.0/08", "", "want a CIDR such as 10.10.1.0/24"},
		{"10.10.1.0/", "", "want a CIDR such as 10.10.1.0/24"},
		{"host/24", "", "want a CIDR such as 10.10.1.0/24"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, why := parsePrefix(tt.in)
			got := ""
			if p.IsValid() {
				got = p.String()
			}
			if got != tt.want || why != tt.why {
				t.Errorf("parsePrefix(%q) = %q, %q; want %q, %q", tt.in, got, why, tt.want, tt.why)
			}
		})
	}
}

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in, want, why string
	}{
		{"10.10.1.5", "10.10.1.5", ""},
		{"::ffff:10.10.1.5", "10.10.1.5", ""},
		{"2001:db8::1", "2001:db8::1", ""},
		{"10.10.1.0/24", "", "want an address, not a CIDR"},
		{"10.10.1", "", "want an IPv4 or IPv6 address"},
		{"fe80::1%eth0", "", "an address must not carry an IPv6 zone"},
		{"::", "", "the unspecified address is not a host address"},
		{"ff02::1", "", "a multicast or broadcast address is not a host address"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, why := ParseAddr(tt.in)
			got := ""
			if a.IsValid() {
				got = a.String()
			}
			if got != tt.want || why != tt.why {
				t.Errorf("ParseAddr(%q) = %q, %q; want %q, %q", tt.in, got, why, tt.want, tt.why)
			}
		})
	}
}

func TestParseMAC(t *testing.T) {
	const want = "want a MAC address such as 00:1b:1b:aa:bb:cc"
	tests := []struct {
		in, out, why string
	}{
		{"00:1b:1b:aa:bb:cc", "00:1b:1b:aa:bb:cc", ""},
		{"00:1B:1B:AA:BB:CC", "00:1b:1b:aa:bb:cc", ""},
		{"00-1b-1b-aa-bb-cc", "00:1b:1b:aa:bb:cc", ""},
		{"001b.1baa.bbcc", "00:1b:1b:aa:bb:cc", ""},
		{"001B1BAABBCC", "00:1b:1b:aa:bb:cc", ""},
		{"02:00:00:00:00:01", "02:00:00:00:00:01", ""},
		{"00:1b-1b:aa:bb:cc", "", want},
		{"00:1b:1b:aa:bb", "", want},
		{"00:1b:1b:aa:bb:cc:dd:ee", "", want},
		{"001b.1baa-bbcc", "", want},
		{"0g1b1baabbcc", "", want},
		{"0:1b:1b:aa:bb:cc", "", want},
		{"", "", want},
		{"00:00:00:00:00:00", "", "the all-zero MAC address is not a device address"},
		{"ff:ff:ff:ff:ff:ff", "", "a multicast or broadcast MAC address is not a device address"},
		{"01:00:5e:7f:ff:fa", "", "a multicast or broadcast MAC address is not a device address"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, why := ParseMAC(tt.in)
			got := ""
			if why == "" {
				got = m.String()
			}
			if got != tt.out || why != tt.why {
				t.Errorf("ParseMAC(%q) = %q, %q; want %q, %q", tt.in, got, why, tt.out, tt.why)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	const want = "want a duration such as 168h or 7d"
	tests := []struct {
		in  string
		d   time.Duration
		why string
	}{
		{"168h", 168 * time.Hour, ""},
		{"7d", 7 * 24 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"1.5d", 36 * time.Hour, ""},
		{"2h30m", 150 * time.Minute, ""},
		{"90s", 90 * time.Second, ""},
		{"1d1d", 48 * time.Hour, ""},
		{"0d", 0, ""},
		{"168", 0, want},
		{"d", 0, want},
		{"1w", 0, want},
		{"-7d", 0, want},
		{"1..5d", 0, want},
		{"", 0, want},
		{"106752d", 0, want},
		{"106751d106751d", 0, "duration too long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, why := parseDuration(tt.in)
			if d != tt.d || why != tt.why {
				t.Errorf("parseDuration(%q) = %v, %q; want %v, %q", tt.in, d, why, tt.d, tt.why)
			}
		})
	}
}

func TestNormalizeDomain(t *testing.T) {
	tests := []struct {
		in, want, why string
	}{
		{"Example-Bad.CN.", "example-bad.cn", ""},
		{"_dmarc.example.com", "_dmarc.example.com", ""},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", ""},
		{"cn", "cn", ""},
		{"*.example.cn", "", `a domain already matches its subdomains; write "example.cn"`},
		{"bücher.example", "", "write an internationalised name in its xn-- form"},
		{"a b.cn", "", "character ' ' is not allowed in a domain"},
		{"a/b.cn", "", "character '/' is not allowed in a domain"},
		{".", "", "empty domain"},
		{"a..b", "", "labels must have 1 to 63 characters"},
		{".a.b", "", "labels must have 1 to 63 characters"},
		{strings.Repeat("a", 64) + ".cn", "", "labels must have 1 to 63 characters"},
		{strings.Repeat("abcdefgh.", 29) + "cn", "", "longer than 253 characters"},
		{"-a.cn", "", "a label must not start or end with '-'"},
		{"a-.cn", "", "a label must not start or end with '-'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, why := normalizeDomain(tt.in)
			if got != tt.want || why != tt.why {
				t.Errorf("normalizeDomain(%q) = %q, %q; want %q, %q", tt.in, got, why, tt.want, tt.why)
			}
		})
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"sts01-control", true},
		{"STS-01", true},
		{"a.b_c-d", true},
		{"7", true},
		{"", false},
		{"-a", false},
		{".a", false},
		{"a b", false},
		{"kind:x", false},
		{"zoné", false},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validID(tt.in); got != tt.want {
				t.Errorf("validID(%q) = %v", tt.in, got)
			}
		})
	}
}
