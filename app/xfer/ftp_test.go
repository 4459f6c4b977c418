package xfer

import (
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// hx decodes hex, ignoring white space; it panics on bad test data.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// exact returns a copy of b whose capacity is its length, so that a read
// past len(b) panics even through a reslice.
func exact(b []byte) []byte { return append([]byte(nil), b...)[:len(b):len(b)] }

// ftpSession is the client side of an FTP control connection that logs in,
// switches to binary, uploads a firmware image and fetches a backup, as one
// payload (tshark 4.0 dissects its first line as USER / operator).
const ftpSession = "USER operator\r\n" +
	"PASS s3cret\r\n" +
	"TYPE I\r\n" +
	"PASV\r\n" +
	"STOR firmware.bin\r\n" +
	"RETR config/backup 2024.cfg\r\n" +
	"QUIT\r\n"

func TestFTPSession(t *testing.T) {
	want := []struct {
		verb, arg string
		hasArg    bool
		dir       string
	}{
		{"USER", "operator", true, ""},
		{"PASS", "s3cret", true, ""},
		{"TYPE", "I", true, ""},
		{"PASV", "", false, ""},
		{"STOR", "firmware.bin", true, DirUpload},
		{"RETR", "config/backup 2024.cfg", true, DirDownload},
		{"QUIT", "", false, ""},
	}
	b := exact([]byte(ftpSession))
	var c FTPCommand
	for i, w := range want {
		rest, err := NextFTPCommand(b, &c)
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
		if string(c.Verb) != w.verb || string(c.Arg) != w.arg || (c.Arg != nil) != w.hasArg {
			t.Fatalf("command %d = %q %q, want %q %q", i, c.Verb, c.Arg, w.verb, w.arg)
		}
		dir, ok := IsFTPTransferVerb(c.Verb)
		if dir != w.dir || ok != (w.dir != "") {
			t.Fatalf("command %d: IsFTPTransferVerb = %q %v", i, dir, ok)
		}
		b = rest
	}
	if len(b) != 0 {
		t.Fatalf("%d bytes left", len(b))
	}
	if _, err := NextFTPCommand(b, &c); err != ErrFTPTruncated || c.Verb != nil {
		t.Fatalf("empty rest: %v %q", err, c.Verb)
	}
}

var ftpCases = []struct {
	name      string
	in        string
	verb, arg string
	hasArg    bool
	rest      string
	err       error
}{
	{name: "stor", in: "STOR fw.bin\r\n", verb: "STOR", arg: "fw.bin", hasArg: true},
	{name: "lower case", in: "stor fw.bin\r\n", verb: "STOR", arg: "fw.bin", hasArg: true},
	{name: "mixed case", in: "Retr a\r\n", verb: "RETR", arg: "a", hasArg: true},
	{name: "three letters", in: "CWD /plc\r\n", verb: "CWD", arg: "/plc", hasArg: true},
	{name: "no argument", in: "PASV\r\n", verb: "PASV"},
	{name: "bare lf", in: "NOOP\n", verb: "NOOP"},
	{name: "empty argument", in: "PASS \r\n", verb: "PASS", arg: "", hasArg: true},
	{name: "spaces in path", in: "STOR my file .bin\r\n", verb: "STOR", arg: "my file .bin", hasArg: true},
	{name: "leading space kept", in: "STOR  x\r\n", verb: "STOR", arg: " x", hasArg: true},
	{name: "utf8 path", in: "STOR Kr\xc3\xa4n.bin\r\n", verb: "STOR", arg: "Kr\xc3\xa4n.bin", hasArg: true},
	{name: "rest kept", in: "TYPE I\r\nPASV\r\n", verb: "TYPE", arg: "I", hasArg: true, rest: "PASV\r\n"},
	{name: "abor with telnet synch", in: "\xff\xf4\xff\xf2ABOR\r\n", verb: "ABOR"},
	{name: "telnet option", in: "\xff\xfb\x01USER x\r\n", verb: "USER", arg: "x", hasArg: true},

	{name: "no line end", in: "STOR fw.bin", err: ErrFTPTruncated},
	{name: "empty", in: "", err: ErrFTPTruncated},
	{name: "empty line", in: "\r\nPASV\r\n", rest: "PASV\r\n", err: ErrFTPSyntax},
	{name: "two letters", in: "AB x\r\n", err: ErrFTPSyntax},
	{name: "five letters", in: "HELLO\r\n", err: ErrFTPSyntax},
	{name: "digit", in: "ST0R x\r\n", err: ErrFTPSyntax},
	{name: "tab separator", in: "STOR\tx\r\n", err: ErrFTPSyntax},
	{name: "leading space", in: " STOR x\r\n", err: ErrFTPSyntax},
	{name: "server reply", in: "220 ready\r\n", err: ErrFTPSyntax},
	{name: "binary", in: "\x00\x01\x02\n", err: ErrFTPSyntax},
	{name: "lone iac", in: "\xff\r\n", err: ErrFTPSyntax},
	{name: "cut telnet option", in: "\xff\xfb\r\n", err: ErrFTPSyntax},
}

func TestNextFTPCommand(t *testing.T) {
	for _, tc := range ftpCases {
		t.Run(tc.name, func(t *testing.T) {
			c := FTPCommand{Verb: []byte("OLD"), Arg: []byte("old")}
			rest, err := NextFTPCommand(exact([]byte(tc.in)), &c)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if string(rest) != tc.rest {
				t.Fatalf("rest = %q, want %q", rest, tc.rest)
			}
			if string(c.Verb) != tc.verb || string(c.Arg) != tc.arg || (c.Arg != nil) != tc.hasArg {
				t.Fatalf("= %q %q, want %q %q", c.Verb, c.Arg, tc.verb, tc.arg)
			}
			if err2 := ParseFTPCommand(exact([]byte(tc.in)), &c); err2 != err {
				t.Fatalf("ParseFTPCommand = %v, NextFTPCommand = %v", err2, err)
			}
			if tc.err == nil {
				end := strings.IndexByte(tc.in, '\n')
				for i := range end {
					if _, err := NextFTPCommand(exact([]byte(tc.in[:i])), &c); err != ErrFTPTruncated {
						t.Fatalf("prefix %d: %v", i, err)
					}
				}
			}
		})
	}
}

var ftpReplyCases = []struct {
	name string
	in   string
	code int
	text string
	ok   bool
}{
	{"vsftpd greeting", "220 (vsFTPd 3.0.3)\r\n", 220, "(vsFTPd 3.0.3)", true},
	{"multi-line first", "220-Welcome to crane FTP\r\n220 ready\r\n", 220, "Welcome to crane FTP", true},
	{"pasv", "227 Entering Passive Mode (10,20,1,5,195,80).\r\n", 227, "Entering Passive Mode (10,20,1,5,195,80).", true},
	{"transfer complete", "226 Transfer complete.\r\n", 226, "Transfer complete.", true},
	{"preliminary", "150 Ok to send data.\n", 150, "Ok to send data.", true},
	{"no text", "200\r\n", 200, "", true},
	{"tab", "530 Login\tincorrect.\r\n", 530, "Login\tincorrect.", true},
	{"code 600", "600 x\r\n", 0, "", false},
	{"code 260", "260 x\r\n", 0, "", false},
	{"code 099", "099 x\r\n", 0, "", false},
	{"letter", "22a x\r\n", 0, "", false},
	{"no separator", "220x\r\n", 0, "", false},
	{"control char", "220 a\x1bb\r\n", 0, "", false},
	{"no line end", "220 ready", 0, "", false},
	{"ssh banner", "SSH-2.0-X\r\n", 0, "", false},
	{"client command", "USER x\r\n", 0, "", false},
	{"empty", "", 0, "", false},
}

func TestFTPReply(t *testing.T) {
	for _, tc := range ftpReplyCases {
		t.Run(tc.name, func(t *testing.T) {
			code, text, ok := FTPReply(exact([]byte(tc.in)))
			if code != tc.code || string(text) != tc.text || ok != tc.ok {
				t.Fatalf("FTPReply = %d %q %v, want %d %q %v", code, text, ok, tc.code, tc.text, tc.ok)
			}
			if tc.ok {
				end := strings.IndexByte(tc.in, '\n')
				for i := range end {
					if _, _, ok := FTPReply(exact([]byte(tc.in[:i]))); ok {
						t.Fatalf("prefix %d accepted", i)
					}
				}
			}
		})
	}
}

func TestIsFTPTransferVerb(t *testing.T) {
	for _, tc := range []struct {
		verb, dir string
	}{
		{"STOR", DirUpload}, {"stou", DirUpload}, {"Appe", DirUpload}, {"RETR", DirDownload},
		{"LIST", ""}, {"DELE", ""}, {"STO", ""}, {"STORE", ""}, {"", ""}, {"S\xd4OR", ""},
	} {
		t.Run(tc.verb, func(t *testing.T) {
			dir, ok := IsFTPTransferVerb([]byte(tc.verb))
			if dir != tc.dir || ok != (tc.dir != "") {
				t.Fatalf("IsFTPTransferVerb(%q) = %q %v, want %q", tc.verb, dir, ok, tc.dir)
			}
		})
	}
}

func TestFTPHostPort(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
	}{
		{"10,10,1,20,196,34", "10.10.1.20:50210"},
		{"Entering Passive Mode (10,10,1,20,196,34).", "10.10.1.20:50210"},
		{"Entering Passive Mode 192,168,0,1,0,21", "192.168.0.1:21"},
		{"10,10,1,20,196", ""},
		{"10,10,1,256,1,1", ""},
		{"10,10,1,20,0,0", ""},
		{"10,10,1,20,1,1000", ""},
		{"no numbers", ""},
	} {
		ap, ok := FTPHostPort([]byte(tt.in))
		got := ""
		if ok {
			got = ap.String()
		}
		if got != tt.want {
			t.Errorf("FTPHostPort(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFTPExtended(t *testing.T) {
	for _, tt := range []struct {
		in    string
		reply bool
		want  string
	}{
		{"|1|132.235.1.2|6275|", false, "132.235.1.2 6275"},
		{"|2|1080::8:800:200C:417A|5282|", false, "1080::8:800:200c:417a 5282"},
		{"!1!10.0.0.1!21!", false, "10.0.0.1 21"},
		{"Entering Extended Passive Mode (|||6446|)", true, "invalid IP 6446"},
		{"|2|10.0.0.1|21|", false, ""},
		{"|1|10.0.0.1|70000|", false, ""},
		{"|1|10.0.0.1|0|", false, ""},
		{"|1|10.0.0.1|21", false, ""},
		{"|||6446|", false, ""},
		{"Entering Extended Passive Mode |||6446|", true, ""},
		{"Entering Extended Passive Mode (|||64a6|)", true, ""},
	} {
		a, port, ok := FTPExtended([]byte(tt.in), tt.reply)
		got := ""
		if ok {
			got = a.String() + " " + strconv.Itoa(int(port))
		}
		if got != tt.want {
			t.Errorf("FTPExtended(%q, %v) = %q, want %q", tt.in, tt.reply, got, tt.want)
		}
	}
}
