package remote

// maxSSHLine is the longest SSH identification string, CR LF included
// (RFC 4253 §4.2).
const maxSSHLine = 255

// SSHBanner reports whether b starts with an SSH identification string
// (RFC 4253 §4.2):
//
//	SSH-protoversion-softwareversion SP comments CR LF
//
// and returns the whole line without its line terminator. protoversion is
// digits '.' digits ("2.0", and "1.99" for servers that also speak SSH-1,
// §5.1); softwareversion is one or more printable US-ASCII characters other
// than space. A minus sign is tolerated in softwareversion (some
// implementations send "Cisco-1.25" although §4.2 forbids it). Comments may
// hold any byte except control characters (tab allowed). The line must end
// with CR LF or a bare LF (as OpenSSH accepts) within the first 255 bytes.
// Lines a server may send before its identification string (§4.2) are not
// skipped: the probe wants "SSH-" at the start of the payload.
func SSHBanner(b []byte) (banner []byte, ok bool) {
	if len(b) < 4 || string(b[:4]) != "SSH-" {
		return nil, false
	}
	end := -1
	for i := 4; i < len(b) && i < maxSSHLine; i++ {
		if b[i] == '\n' {
			end = i
			break
		}
	}
	if end < 0 {
		return nil, false
	}
	line := b[:end]
	if line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	// protoversion: digits '.' digits '-'
	i := 4
	i, ok = digits(line, i)
	if !ok || i >= len(line) || line[i] != '.' {
		return nil, false
	}
	i, ok = digits(line, i+1)
	if !ok || i >= len(line) || line[i] != '-' {
		return nil, false
	}
	i++
	// softwareversion: printable US-ASCII, no space.
	start := i
	for i < len(line) && line[i] != ' ' {
		if line[i] <= ' ' || line[i] > '~' {
			return nil, false
		}
		i++
	}
	if i == start {
		return nil, false
	}
	// comments: no control characters.
	for ; i < len(line); i++ {
		c := line[i]
		if (c < ' ' && c != '\t') || c == 0x7f {
			return nil, false
		}
	}
	return line, true
}

// digits skips one or more ASCII digits in b from i and returns the index
// after them; ok is false when there are none.
func digits(b []byte, i int) (int, bool) {
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i, i > start
}

// rfbLen is the length of an RFB ProtocolVersion message.
const rfbLen = 12

// RFBVersion reports whether b starts with an RFB ProtocolVersion message
// (RFC 6143 §7.1.1): exactly 12 bytes "RFB xxx.yyy\n" with three decimal
// digits on each side of the dot, as the server sends first and the client
// echoes ("RFB 003.008\n", and "003.003", "003.007", "003.889" from older or
// vendor servers). It returns the "xxx.yyy" part. Bytes after the twelfth
// (a coalesced next message) are ignored.
func RFBVersion(b []byte) (version []byte, ok bool) {
	if len(b) < rfbLen || string(b[:4]) != "RFB " || b[7] != '.' || b[11] != '\n' {
		return nil, false
	}
	for _, i := range [...]int{4, 5, 6, 8, 9, 10} {
		if b[i] < '0' || b[i] > '9' {
			return nil, false
		}
	}
	return b[4:11], true
}

// Telnet command bytes (RFC 854, "TELNET COMMAND STRUCTURE").
const (
	telnetIAC  = 0xff
	telnetWILL = 0xfb
	telnetDONT = 0xfe
)

// Telnet reports whether b starts with a Telnet option negotiation (RFC 854;
// RFC 855): IAC (255) followed by WILL, WONT, DO or DONT (251–254) and an
// option code. Any option code is accepted (0–255; 255 is EXOPL, RFC 861).
// Telnet servers open with such a negotiation, so this is meant for flows on
// port 23, where a byte pattern this short is evidence enough.
func Telnet(b []byte) bool {
	return len(b) >= 3 && b[0] == telnetIAC && b[1] >= telnetWILL && b[1] <= telnetDONT
}
