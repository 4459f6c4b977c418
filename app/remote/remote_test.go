package remote

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// hx decodes hex, ignoring spaces and newlines; it panics on bad test data.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// cat concatenates byte slices and strings.
func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case []byte:
			b = append(b, p...)
		case string:
			b = append(b, p...)
		case byte:
			b = append(b, p)
		default:
			panic("cat: bad part")
		}
	}
	return b
}

// exact returns a copy of b whose capacity is its length, so that a read
// past len(b) panics even through a reslice.
func exact(b []byte) []byte { return append([]byte(nil), b...)[:len(b):len(b)] }

type sshCase struct {
	name string
	in   []byte
	want string // "" = not a banner
}

var sshCases = []sshCase{
	{"openssh ubuntu", []byte("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n"), "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5"},
	{"openssh with kexinit", cat("SSH-2.0-OpenSSH_8.9\r\n", hx("000005dc 07 14 c0ffee")), "SSH-2.0-OpenSSH_8.9"},
	{"dropbear", []byte("SSH-2.0-dropbear_2022.83\r\n"), "SSH-2.0-dropbear_2022.83"},
	{"ssh 1.99 cisco", []byte("SSH-1.99-Cisco-1.25\r\n"), "SSH-1.99-Cisco-1.25"},
	{"bare lf", []byte("SSH-2.0-Go\n"), "SSH-2.0-Go"},
	{"tab in comment", []byte("SSH-2.0-X comment\twith tab\r\n"), "SSH-2.0-X comment\twith tab"},
	{"utf8 comment", []byte("SSH-2.0-X Kr\xc3\xa4ne\r\n"), "SSH-2.0-X Kr\xc3\xa4ne"},
	{"longest", cat("SSH-2.0-", strings.Repeat("a", 245), "\r\n"), "SSH-2.0-" + strings.Repeat("a", 245)},
	{"too long", cat("SSH-2.0-", strings.Repeat("a", 246), "\r\n"), ""},
	{"no line end", []byte("SSH-2.0-OpenSSH_9.6"), ""},
	{"empty software", []byte("SSH-2.0-\r\n"), ""},
	{"space software", []byte("SSH-2.0- x\r\n"), ""},
	{"one number version", []byte("SSH-2-OpenSSH\r\n"), ""},
	{"letter version", []byte("SSH-x.0-OpenSSH\r\n"), ""},
	{"missing minus", []byte("SSH-2.0OpenSSH\r\n"), ""},
	{"control in software", []byte("SSH-2.0-Open\x01SSH\r\n"), ""},
	{"del in comment", []byte("SSH-2.0-X a\x7f\r\n"), ""},
	{"nul in comment", []byte("SSH-2.0-X a\x00\r\n"), ""},
	{"lower case", []byte("ssh-2.0-OpenSSH\r\n"), ""},
	{"http", []byte("GET / HTTP/1.1\r\n"), ""},
	{"pre-banner line", []byte("hello\r\nSSH-2.0-X\r\n"), ""},
	{"empty", nil, ""},
}

func TestSSHBanner(t *testing.T) {
	for _, tc := range sshCases {
		t.Run(tc.name, func(t *testing.T) {
			in := exact(tc.in)
			got, ok := SSHBanner(in)
			if ok != (tc.want != "") || string(got) != tc.want {
				t.Fatalf("SSHBanner = %q, %v; want %q", got, ok, tc.want)
			}
			if ok && &got[0] != &in[0] {
				t.Fatal("banner does not alias the input")
			}
			if tc.want == "" {
				return
			}
			end := bytes.IndexByte(tc.in, '\n')
			for i := range end {
				if b, ok := SSHBanner(exact(tc.in[:i])); ok {
					t.Fatalf("prefix %d: got %q, want no banner", i, b)
				}
			}
		})
	}
}

func TestRFBVersion(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"realvnc 3.8", []byte("RFB 003.008\n"), "003.008"},
		{"3.3", []byte("RFB 003.003\n"), "003.003"},
		{"apple", []byte("RFB 003.889\n"), "003.889"},
		{"with security types", cat("RFB 003.008\n", hx("01 02")), "003.008"},
		{"two digit major", []byte("RFB 03.008\n\n"), ""},
		{"comma", []byte("RFB 003,008\n"), ""},
		{"letter", []byte("RFB 003.00a\n"), ""},
		{"cr", []byte("RFB 003.008\r"), ""},
		{"lower", []byte("rfb 003.008\n"), ""},
		{"no space", []byte("RFB_003.008\n"), ""},
		{"short", []byte("RFB 003.008"), ""},
		{"empty", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := exact(tc.in)
			got, ok := RFBVersion(in)
			if ok != (tc.want != "") || string(got) != tc.want {
				t.Fatalf("RFBVersion = %q, %v; want %q", got, ok, tc.want)
			}
			if ok && &got[0] != &in[4] {
				t.Fatal("version does not alias the input")
			}
			if tc.want != "" {
				for i := range 12 {
					if _, ok := RFBVersion(exact(tc.in[:i])); ok {
						t.Fatalf("prefix %d accepted", i)
					}
				}
			}
		})
	}
}

func TestTelnet(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want bool
	}{
		// A Linux telnetd opens with DO TERMINAL-TYPE, DO TERMINAL-SPEED,
		// DO X-DISPLAY-LOCATION, DO NEW-ENVIRON.
		{"telnetd opening", hx("fffd18 fffd20 fffd23 fffd27"), true},
		{"will echo", hx("fffb01"), true},
		{"wont", hx("fffc03"), true},
		{"dont exopl", hx("fffeff"), true},
		{"subnegotiation", hx("fffa1801fff0"), false},
		{"iac iac", hx("ffff01"), false},
		{"nop", hx("fff1"), false},
		{"two bytes", hx("fffd"), false},
		{"login prompt", []byte("login: "), false},
		{"empty", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Telnet(exact(tc.in)); got != tc.want {
				t.Fatalf("Telnet = %v, want %v", got, tc.want)
			}
		})
	}
}

// tvIdentify is the shape of TeamViewer's first packet on TCP 5938: a
// 37-byte CMD_IDENTIFY (magic 17 24, command 10, body length 32).
var tvIdentify = cat(hx("17 24 0a 20 00"), bytes.Repeat([]byte{0x5a}, 32))

var tvCases = []struct {
	name string
	in   []byte
	want bool
}{
	{"cmd identify", tvIdentify, true},
	{"cmd identify partial", tvIdentify[:15], true},
	{"header only", tvIdentify[:4], true},
	{"two coalesced", cat(hx("17 24 10 02 00 aabb"), hx("17 24 11 00 00")), true},
	{"request connect", cat(hx("17 24 0b 03 00"), "abc"), true},
	{"data variant", hx("11 30 5a 00 00 01"), true},
	{"data variant short", hx("11 30 5a 00"), true},
	{"32-bit length", cat(hx("17 24 0a 18 00 00 00"), bytes.Repeat([]byte{0x5a}, 24)), true},
	{"length not checked", hx("17 24 0a 02 00 aa bb cc dd"), true},
	{"unknown command", hx("17 24 0c 00 00"), false},
	{"command zero", hx("11 30 00 00"), false},
	{"command 114", hx("17 24 72 00 00"), false},
	{"tls app data", hx("17 03 03 00 20"), false},
	{"three bytes", hx("17 24 0a"), false},
	{"empty", nil, false},
}

func TestTeamViewer(t *testing.T) {
	for _, tc := range tvCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := TeamViewer(exact(tc.in)); got != tc.want {
				t.Fatalf("TeamViewer(% x) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	t.Run("every command", func(t *testing.T) {
		n := 0
		for c := range 256 {
			if TeamViewer([]byte{0x11, 0x30, byte(c), 0}) {
				n++
			}
		}
		// 10, 11, 13–63, 70–72, 90–113
		if want := 2 + 51 + 3 + 24; n != want {
			t.Fatalf("%d commands accepted, want %d", n, want)
		}
	})
}

var nameCases = []struct {
	name       string
	in         string
	anyDesk    bool
	teamViewer bool
}{
	{"anydesk apex", "anydesk.com", true, false},
	{"anydesk relay", "relay-5f3a1c2b.net.anydesk.com", true, false},
	{"anydesk net", "net.anydesk.com", true, false},
	{"anydesk boot upper", "BOOT.NET.AnyDesk.COM", true, false},
	{"anydesk fqdn", "net.anydesk.com.", true, false},
	{"not anydesk", "notanydesk.com", false, false},
	{"anydesk elsewhere", "anydesk.com.evil.example", false, false},
	{"anydesk empty label", "a..anydesk.com", false, false},
	{"anydesk leading dot", ".anydesk.com", false, false},
	{"teamviewer ping", "ping3.teamviewer.com", false, true},
	{"teamviewer router", "router15.teamviewer.com", false, true},
	{"teamviewer cn", "client.teamviewer.cn", false, true},
	{"teamviewer us", "teamviewer.us", false, true},
	{"dyngate", "master1.dyngate.com", false, true},
	{"dyngate fqdn upper", "MASTER1.DYNGATE.COM.", false, true},
	{"teamviewer other tld", "teamviewer.de", false, false},
	{"teamviewer suffix only", "myteamviewer.com", false, false},
	{"two dots", "teamviewer.com..", false, false},
	{"dot", ".", false, false},
	{"empty", "", false, false},
}

func TestNames(t *testing.T) {
	for _, tc := range nameCases {
		t.Run(tc.name, func(t *testing.T) {
			in := exact([]byte(tc.in))
			if got := AnyDeskName(in); got != tc.anyDesk {
				t.Errorf("AnyDeskName(%q) = %v, want %v", tc.in, got, tc.anyDesk)
			}
			if got := TeamViewerName(in); got != tc.teamViewer {
				t.Errorf("TeamViewerName(%q) = %v, want %v", tc.in, got, tc.teamViewer)
			}
		})
	}
}

func TestAnyDeskALPN(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"anydesk/6.2.0/windows", true},
		{"anydesk/", true},
		{"AnyDesk/8", true},
		{"anydesk", false},
		{"h2", false},
		{"http/1.1", false},
		{"", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := AnyDeskALPN(exact([]byte(tc.in))); got != tc.want {
				t.Fatalf("AnyDeskALPN(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// TestRealS7Capture runs every probe and the RDP parser over the TCP
// payloads of a real S7comm session (ISO-on-TCP: TPKT, COTP CR/CC, DT): the
// same framing as RDP, but not RDP, and nothing else either.
func TestRealS7Capture(t *testing.T) {
	ps := testutil.Payloads(t, "testdata/s7ident.pcap")
	if len(ps) != 24 {
		t.Fatalf("%d payloads, want 24", len(ps))
	}
	var r RDPRequest
	var notRDP, x224 int
	for i, pl := range ps {
		p := pl.Data
		if _, ok := SSHBanner(p); ok {
			t.Errorf("payload %d: SSH", i)
		}
		if _, ok := RFBVersion(p); ok {
			t.Errorf("payload %d: RFB", i)
		}
		if Telnet(p) || TeamViewer(p) {
			t.Errorf("payload %d: telnet or teamviewer", i)
		}
		switch err := ParseRDPConnectionRequest(p, &r); err {
		case ErrNotRDP:
			notRDP++
		case ErrX224:
			x224++
		default:
			t.Errorf("payload %d: ParseRDPConnectionRequest = %v", i, err)
		}
	}
	// One COTP CR with TSAP parameters; the CC and the DT TPDUs are not CRs.
	if notRDP != 1 || x224 != 23 {
		t.Fatalf("not rdp %d, not x.224 CR %d; want 1 and 23", notRDP, x224)
	}
	if err := ParseRDPConnectionRequest(ps[0].Data, &r); !errors.Is(err, ErrNotRDP) {
		t.Fatalf("first payload (COTP CR): %v", err)
	}
}
