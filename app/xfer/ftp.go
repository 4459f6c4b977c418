package xfer

import (
	"bytes"
	"errors"
	"net/netip"
)

// Errors of NextFTPCommand and ParseFTPCommand.
var (
	ErrFTPTruncated = errors.New("xfer: ftp line without end")
	ErrFTPSyntax    = errors.New("xfer: ftp command syntax")
)

// Transfer directions returned by IsFTPTransferVerb.
const (
	DirUpload   = "upload"
	DirDownload = "download"
)

// FTPCommand is one client command of an FTP control connection. It is
// owned by the caller and overwritten by every parse.
type FTPCommand struct {
	// Verb is the command code upper-cased (RFC 959 §5.3.1: "USER",
	// "STOR", "TYPE", …). It aliases a buffer inside the FTPCommand.
	Verb []byte
	// Arg is everything after the single space that follows the verb, up to
	// the line end, as sent (a path may hold spaces). It is nil when the
	// command has no argument and aliases the input otherwise.
	Arg []byte

	verb [4]byte
}

// ParseFTPCommand parses the first command line of b into c; see
// NextFTPCommand.
func ParseFTPCommand(b []byte, c *FTPCommand) error {
	_, err := NextFTPCommand(b, c)
	return err
}

// NextFTPCommand parses the first command line of b into c and returns the
// bytes after that line, so that a caller can loop over a payload holding
// several commands. The syntax is RFC 959 §5.3.1,
//
//	<command code> [<SP> <argument>] <CRLF>
//
// where the command code is three or four ASCII letters, any case (§5.3:
// RFC 959 and its extensions, RFC 2228, 2389, 2428, 3659, define no other
// shape). A bare LF ends a line too. Telnet commands before the command code
// (RFC 959 §4.1.3: IAC IP, IAC DM before ABOR; any IAC with a command or
// option byte) are skipped.
//
// A line without LF yields ErrFTPTruncated and a nil rest: wait for more
// bytes. A line that is not a command yields ErrFTPSyntax and the rest after
// it, so the caller can count it and go on.
func NextFTPCommand(b []byte, c *FTPCommand) (rest []byte, err error) {
	c.Verb, c.Arg = nil, nil
	end := bytes.IndexByte(b, '\n')
	if end < 0 {
		return nil, ErrFTPTruncated
	}
	line, rest := b[:end], b[end+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	line = skipTelnet(line)
	i := 0
	for i < len(line) && i < 5 && isLetter(line[i]) {
		i++
	}
	if i < 3 || i > 4 || (i < len(line) && line[i] != ' ') {
		return rest, ErrFTPSyntax
	}
	for j := range i {
		c.verb[j] = line[j] &^ 0x20 // ASCII upper case
	}
	c.Verb = c.verb[:i]
	if i < len(line) {
		c.Arg = line[i+1:]
	}
	return rest, nil
}

// skipTelnet drops leading Telnet command sequences (RFC 854): IAC WILL,
// WONT, DO or DONT with their option byte, and IAC with any other command
// (SE … SB, 240–250).
func skipTelnet(b []byte) []byte {
	for len(b) >= 2 && b[0] == 0xff {
		switch c := b[1]; {
		case c >= 0xfb && c <= 0xfe:
			if len(b) < 3 {
				return b
			}
			b = b[3:]
		case c >= 0xf0 && c <= 0xfa:
			b = b[2:]
		default:
			return b
		}
	}
	return b
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// FTPReply reports whether b starts with an FTP server reply line (RFC 959
// §4.2): three digits — the first 1 to 5, the second 0 to 5 (§4.2.1) —
// then a space (a one-line reply or the last line of a multi-line one), a
// minus sign (the first line of a multi-line reply, "220-…"), or the line
// end, and text without control characters other than tab, ended by CR LF
// or a bare LF. It returns the code and the text of the first line without
// its line end; text aliases b. The greeting "220 …" on the first server
// payload of a flow identifies FTP.
func FTPReply(b []byte) (code int, text []byte, ok bool) {
	end := bytes.IndexByte(b, '\n')
	if end < 3 {
		return 0, nil, false
	}
	line := b[:end]
	if n := len(line); line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) < 3 || line[0] < '1' || line[0] > '5' || line[1] < '0' || line[1] > '5' || line[2] < '0' || line[2] > '9' {
		return 0, nil, false
	}
	text = line[3:]
	if len(text) > 0 {
		if text[0] != ' ' && text[0] != '-' {
			return 0, nil, false
		}
		text = text[1:]
	}
	for _, c := range text {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return 0, nil, false
		}
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	return code, text, true
}

// IsFTPTransferVerb reports whether verb (any case) moves a file's contents
// (RFC 959 §4.1.3): STOR, STOU and APPE upload (DirUpload), RETR downloads
// (DirDownload).
func IsFTPTransferVerb(verb []byte) (dir string, ok bool) {
	if len(verb) != 4 {
		return "", false
	}
	var v [4]byte
	for i, c := range verb {
		v[i] = c &^ 0x20
	}
	switch string(v[:]) {
	case "STOR", "STOU", "APPE":
		return DirUpload, true
	case "RETR":
		return DirDownload, true
	}
	return "", false
}

// FTPHostPort parses the six decimal numbers "h1,h2,h3,h4,p1,p2" of a PORT
// argument (RFC 959 §4.1.2) or of a 227 reply to PASV (§4.2.2: "Entering
// Passive Mode (h1,h2,h3,h4,p1,p2)"; servers vary the words and the
// brackets, so the numbers are looked for after the first digit). It
// returns the IPv4 address and port they name.
func FTPHostPort(b []byte) (netip.AddrPort, bool) {
	i := 0
	for i < len(b) && (b[i] < '0' || b[i] > '9') {
		i++
	}
	var v [6]int
	for n := range v {
		if n > 0 {
			if i >= len(b) || b[i] != ',' {
				return netip.AddrPort{}, false
			}
			i++
		}
		j := i
		for i < len(b) && i-j < 4 && b[i] >= '0' && b[i] <= '9' {
			v[n] = v[n]*10 + int(b[i]-'0')
			i++
		}
		if i == j || v[n] > 255 {
			return netip.AddrPort{}, false
		}
	}
	a := netip.AddrFrom4([4]byte{byte(v[0]), byte(v[1]), byte(v[2]), byte(v[3])})
	port := uint16(v[4])<<8 | uint16(v[5])
	if port == 0 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, port), true
}

// FTPExtended parses the argument of EPRT (RFC 2428 §2: "|1|132.235.1.2|6275|",
// "|2|1080::8:800:200C:417A|5282|") or the text of a 229 reply to EPSV
// (§3: "Entering Extended Passive Mode (|||6446|)"), whose address is
// empty: the caller knows it (the control connection's server). The
// delimiter is the argument's first character, any printable ASCII
// character; in a reply the argument is inside the first brackets. It
// returns the address (invalid when empty) and the port.
func FTPExtended(b []byte, reply bool) (addr netip.Addr, port uint16, ok bool) {
	if reply {
		i := bytes.IndexByte(b, '(')
		j := bytes.LastIndexByte(b, ')')
		if i < 0 || j < i {
			return netip.Addr{}, 0, false
		}
		b = b[i+1 : j]
	}
	if len(b) < 5 || b[0] < 33 || b[0] > 126 {
		return netip.Addr{}, 0, false
	}
	d, rest := b[0], b[1:]
	var f [3][]byte
	for n := range f {
		i := bytes.IndexByte(rest, d)
		if i < 0 {
			return netip.Addr{}, 0, false
		}
		f[n], rest = rest[:i], rest[i+1:]
	}
	if len(rest) != 0 || len(f[2]) == 0 || len(f[2]) > 5 {
		return netip.Addr{}, 0, false
	}
	p := 0
	for _, c := range f[2] {
		if c < '0' || c > '9' {
			return netip.Addr{}, 0, false
		}
		p = p*10 + int(c-'0')
	}
	if p == 0 || p > 65535 {
		return netip.Addr{}, 0, false
	}
	if len(f[1]) > 0 {
		a, err := netip.ParseAddr(string(f[1]))
		if err != nil || a.Zone() != "" {
			return netip.Addr{}, 0, false
		}
		if (string(f[0]) == "1") != a.Is4() || (string(f[0]) != "1" && string(f[0]) != "2") {
			return netip.Addr{}, 0, false
		}
		addr = a
	} else if !reply || (len(f[0]) != 0) {
		return netip.Addr{}, 0, false
	}
	return addr, uint16(p), true
}
