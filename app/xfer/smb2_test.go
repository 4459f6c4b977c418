package xfer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

const sess = uint64(0x0000100000000011)

const (
	accessReadWrite uint32 = 0x0012019f // what Explorer asks to copy a file onto a share
	accessRead      uint32 = 0x00120089 // FILE_READ_DATA|READ_EA|READ_ATTRIBUTES|READ_CONTROL|SYNCHRONIZE
	maximumAllowed  uint32 = 0x02000000
)

// smb2Want lists the fields a case checks.
type smb2Want struct {
	Command           SMB2Command
	Response          bool
	Status            uint32
	MessageID         uint64
	TreeID            uint32
	AsyncID           uint64
	SessionID         uint64
	Path, Name        string
	Cut               bool
	DesiredAccess     uint32
	CreateDisposition uint32
	Write             bool
	Dialect           uint16
	FileID            [16]byte
	Length            uint32
	Partial           bool
}

func (w *smb2Want) check(t *testing.T, m *SMB2Message) {
	t.Helper()
	got := smb2Want{
		m.Command, m.Response, m.Status, m.MessageID, m.TreeID, m.AsyncID, m.SessionID,
		string(m.Path), string(m.Name), m.Cut, m.DesiredAccess, m.CreateDisposition, m.Write,
		m.Dialect, m.FileID, m.Length, m.Partial,
	}
	if got != *w {
		t.Fatalf("got  %+v\nwant %+v", got, *w)
	}
}

// The framing and field values of the NEGOTIATE, TREE_CONNECT, CREATE
// (compounded with QUERY_INFO and CLOSE), CREATE response, WRITE, READ and
// error messages built here were checked against tshark 4.0's smb2
// dissector.
var (
	longName   = strings.Repeat("verylongdirectoryname\\", 60) + "f.bin"
	writeData  = bytes.Repeat([]byte("crane-plc-image!"), 256) // 4096 bytes
	writeFrame = nbss(writeReq(8, fileID, writeData, uint32(len(writeData))))
)

type smb2Case struct {
	name string
	in   []byte
	want smb2Want
	rest int // len(rest)
	err  error
}

var smb2Cases = []smb2Case{
	{name: "negotiate request", in: nbss(negotiateReq()), want: smb2Want{Command: SMB2Negotiate, Dialect: 0x0311}},
	{name: "negotiate response", in: nbss(negotiateRsp(0x0302)), want: smb2Want{Command: SMB2Negotiate, Response: true, Dialect: 0x0302}},
	{
		name: "tree connect",
		in:   nbss(treeConnectReq(4, sess, `\\10.20.1.5\PLC_BACKUP`)),
		want: smb2Want{Command: SMB2TreeConnect, MessageID: 4, SessionID: sess, Path: `\\10.20.1.5\PLC_BACKUP`},
	},
	{
		name: "create overwrite",
		in:   nbss(createReq(hdr{msgID: 5, treeID: 1, sessionID: sess}, accessReadWrite, FileOverwriteIf, `firmware\crane_plc_v2.bin`)),
		want: smb2Want{Command: SMB2Create, MessageID: 5, TreeID: 1, SessionID: sess, Name: `firmware\crane_plc_v2.bin`,
			DesiredAccess: accessReadWrite, CreateDisposition: FileOverwriteIf, Write: true},
	},
	{
		name: "create read",
		in:   nbss(createReq(hdr{msgID: 6, treeID: 1}, accessRead, FileOpen, `backup\plc1.cfg`)),
		want: smb2Want{Command: SMB2Create, MessageID: 6, TreeID: 1, Name: `backup\plc1.cfg`, DesiredAccess: accessRead, CreateDisposition: FileOpen},
	},
	{
		name: "create generic write",
		in:   nbss(createReq(hdr{}, GenericWrite, FileOpen, "a")),
		want: smb2Want{Command: SMB2Create, Name: "a", DesiredAccess: GenericWrite, CreateDisposition: FileOpen, Write: true},
	},
	{
		name: "create append",
		in:   nbss(createReq(hdr{}, FileAppendData, FileOpen, "log.txt")),
		want: smb2Want{Command: SMB2Create, Name: "log.txt", DesiredAccess: FileAppendData, CreateDisposition: FileOpen, Write: true},
	},
	{
		name: "create new read only",
		in:   nbss(createReq(hdr{}, accessRead, FileCreate, "new")),
		want: smb2Want{Command: SMB2Create, Name: "new", DesiredAccess: accessRead, CreateDisposition: FileCreate, Write: true},
	},
	{
		name: "create maximum allowed",
		in:   nbss(createReq(hdr{}, maximumAllowed, FileOpen, "x")),
		want: smb2Want{Command: SMB2Create, Name: "x", DesiredAccess: maximumAllowed, CreateDisposition: FileOpen},
	},
	{
		name: "create share root",
		in:   nbss(createReq(hdr{}, accessRead, FileOpen, "")),
		want: smb2Want{Command: SMB2Create, DesiredAccess: accessRead, CreateDisposition: FileOpen},
	},
	{
		name: "create surrogate pair",
		in:   nbss(createReq(hdr{}, accessRead, FileOpen, "crane\U0001F3D7.bin")),
		want: smb2Want{Command: SMB2Create, Name: "crane\U0001F3D7.bin", DesiredAccess: accessRead, CreateDisposition: FileOpen},
	},
	{
		name: "create long name cut",
		in:   nbss(createReq(hdr{}, accessRead, FileOpen, longName)),
		want: smb2Want{Command: SMB2Create, Name: longName[:smb2NameBuf], Cut: true, DesiredAccess: accessRead, CreateDisposition: FileOpen},
	},
	{
		name: "create response",
		in:   nbss(createRsp(5, fileID)),
		want: smb2Want{Command: SMB2Create, Response: true, MessageID: 5, TreeID: 1, SessionID: sess, FileID: fileID},
	},
	{
		name: "write",
		in:   writeFrame,
		want: smb2Want{Command: SMB2Write, MessageID: 8, TreeID: 1, SessionID: sess, Write: true, FileID: fileID, Length: 4096},
	},
	{
		name: "write first segment",
		in:   writeFrame[:1460],
		want: smb2Want{Command: SMB2Write, MessageID: 8, TreeID: 1, SessionID: sess, Write: true, FileID: fileID, Length: 4096, Partial: true},
	},
	{
		name: "read",
		in:   nbss(readReq(9, fileID, 65536)),
		want: smb2Want{Command: SMB2Read, MessageID: 9, TreeID: 1, SessionID: sess, FileID: fileID, Length: 65536},
	},
	{
		name: "close",
		in:   nbss(closeReq(hdr{msgID: 11}, fileID)),
		want: smb2Want{Command: SMB2Close, MessageID: 11, FileID: fileID},
	},
	{
		name: "error response",
		in:   nbss(errorRsp(SMB2TreeConnect, 0xc00000cc, 4)), // STATUS_BAD_NETWORK_NAME
		want: smb2Want{Command: SMB2TreeConnect, Response: true, Status: 0xc00000cc, MessageID: 4},
	},
	{
		name: "error response to create",
		in:   nbss(errorRsp(SMB2Create, 0xc0000034, 5)), // STATUS_OBJECT_NAME_NOT_FOUND
		want: smb2Want{Command: SMB2Create, Response: true, Status: 0xc0000034, MessageID: 5},
	},
	{
		name: "async pending",
		in: nbss(hdr{cmd: SMB2ChangeNotify, flags: SMB2FlagResponse | SMB2FlagAsync, status: 0x103, msgID: 12,
			asyncID: 0x2a, sessionID: sess}.bytes().u16(9).u8(0).u8(0).u32(0).u8(0)),
		want: smb2Want{Command: SMB2ChangeNotify, Response: true, Status: 0x103, MessageID: 12, AsyncID: 0x2a, SessionID: sess},
	},
	{
		name: "echo",
		in:   nbss(echoReq(10)),
		want: smb2Want{Command: SMB2Echo, MessageID: 10},
	},
	{
		name: "two frames",
		in:   append(nbss(echoReq(1)), nbss(echoReq(2))...),
		want: smb2Want{Command: SMB2Echo, MessageID: 1},
		rest: 4 + 68,
	},
	{
		name: "keep-alive first",
		in:   append([]byte{0x85, 0, 0, 0}, nbss(echoReq(3))...),
		want: smb2Want{Command: SMB2Echo, MessageID: 3},
	},
	{
		// NetBIOS session request (port 139) with called and calling names.
		name: "session request first",
		in:   append(append([]byte{0x81, 0, 0, 68}, make([]byte, 68)...), nbss(echoReq(4))...),
		want: smb2Want{Command: SMB2Echo, MessageID: 4},
	},
	{
		name: "no netbios framing",
		in:   echoReq(5),
		want: smb2Want{Command: SMB2Echo, MessageID: 5},
	},
	{
		name: "unknown command",
		in:   nbss(hdr{cmd: 0x99, msgID: 6}.bytes().u16(2)),
		want: smb2Want{Command: 0x99, MessageID: 6},
	},

	{name: "empty", in: nil, err: ErrNoMessage},
	{name: "keep-alive only", in: []byte{0x85, 0, 0, 0}, err: ErrNoMessage},
	{name: "session request cut", in: []byte{0x81, 0, 0, 68, 0x20}, err: ErrNoMessage},
	{name: "bad netbios type", in: []byte{0x05, 0, 0, 0}, err: ErrNetBIOS},
	{name: "tpkt", in: hx("0300001611e00000000100c0010ac1020100c2020101"), err: ErrNetBIOS},
	{name: "short", in: []byte{0, 0}, err: ErrSMB2Truncated},
	{
		name: "smb1 negotiate",
		in:   nbss(append([]byte("\xffSMBr\x00\x00\x00\x00\x18\x53\xc8"), make([]byte, 23)...), []byte{0, 0x0c, 0, 2, 'N', 'T', ' ', 'L', 'M', ' ', '0', '.', '1', '2', 0}),
		err:  ErrSMB1,
	},
	{name: "transform", in: nbss(append([]byte("\xfdSMB"), make([]byte, 48)...)), err: ErrSMB2Transform},
	{name: "compression transform", in: nbss(append([]byte("\xfcSMB"), make([]byte, 12)...)), err: ErrSMB2Transform},
	{name: "http in frame", in: nbss([]byte("HTTP/1.1 200 OK\r\n")), err: ErrNotSMB},
	{name: "tiny frame", in: nbss([]byte("ab")), err: ErrNotSMB},
	{name: "short header", in: nbss(echoReq(1)[:40]), err: ErrSMB2Length},
	{name: "short header then frame", in: append(nbss(echoReq(1)[:40]), nbss(echoReq(2))...), rest: 72, err: ErrSMB2Length},
	{
		name: "header structure size",
		in:   func() []byte { b := nbss(echoReq(1)); b[8] = 65; return b }(),
		err:  ErrSMB2Header,
	},
	{
		name: "create structure size",
		in:   func() []byte { b := nbss(createReq(hdr{}, accessRead, FileOpen, "a")); b[4+64] = 56; return b }(),
		want: smb2Want{Command: SMB2Create},
		err:  ErrSMB2Structure,
	},
	{
		name: "create body short",
		in:   nbss(hdr{cmd: SMB2Create}.bytes().u16(57).u16(0)),
		want: smb2Want{Command: SMB2Create},
		err:  ErrSMB2Length,
	},
	{
		name: "path past message",
		in:   func() []byte { b := nbss(treeConnectReq(1, 0, `\\a\b`)); b[4+64+6] += 2; return b }(),
		want: smb2Want{Command: SMB2TreeConnect, MessageID: 1},
		err:  ErrSMB2Length,
	},
	{
		name: "path in header",
		in:   func() []byte { b := nbss(treeConnectReq(1, 0, `\\a\b`)); b[4+64+4] = 0x10; return b }(),
		want: smb2Want{Command: SMB2TreeConnect, MessageID: 1},
		err:  ErrSMB2Length,
	},
	{
		name: "path cut by payload end",
		in:   nbss(treeConnectReq(1, 0, `\\10.20.1.5\PLC_BACKUP`))[:4+64+8+10],
		want: smb2Want{Command: SMB2TreeConnect, MessageID: 1, Partial: true},
		err:  ErrSMB2Truncated,
	},
	{
		name: "negotiate dialects past message",
		in:   func() []byte { b := nbss(negotiateReq()); b[4+64+2] = 200; return b }(),
		want: smb2Want{Command: SMB2Negotiate},
		err:  ErrSMB2Length,
	},
	{
		name: "next command unaligned",
		in:   func() []byte { b := nbss(compound(echoReq(1), echoReq(2))); b[4+20] = 68; return b }(),
		want: smb2Want{Command: SMB2Echo, MessageID: 1},
		err:  ErrSMB2Next,
	},
	{
		name: "next command past frame",
		in:   func() []byte { b := nbss(compound(echoReq(1), echoReq(2))); b[4+20] = 80; return b }(),
		want: smb2Want{Command: SMB2Echo, MessageID: 1},
		err:  ErrSMB2Next,
	},
	{
		name: "next command into header",
		in:   func() []byte { b := nbss(compound(echoReq(1), echoReq(2))); b[4+20] = 8; return b }(),
		want: smb2Want{Command: SMB2Echo, MessageID: 1},
		err:  ErrSMB2Next,
	},
}

func TestParseSMB2(t *testing.T) {
	for _, tc := range smb2Cases {
		t.Run(tc.name, func(t *testing.T) {
			in := exact(tc.in)
			m := &SMB2Message{Path: []byte("stale"), Write: true, chain: 7}
			rest, err := ParseSMB2(in, m)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if len(rest) != tc.rest {
				t.Fatalf("len(rest) = %d, want %d", len(rest), tc.rest)
			}
			if len(rest) > 0 && &rest[len(rest)-1] != &in[len(in)-1] {
				t.Fatal("rest is not the tail of the input")
			}
			tc.want.check(t, m)
		})
	}
}

// TestSMB2Compound walks a payload holding a compounded CREATE, QUERY_INFO
// and CLOSE ([MS-SMB2] §3.2.4.1.4, as Explorer sends to read a file's
// attributes) in one NetBIOS frame, followed by an ECHO in a second frame.
func TestSMB2Compound(t *testing.T) {
	chain := compound(
		createReq(hdr{msgID: 5, treeID: 1, sessionID: sess}, accessReadWrite, FileOverwriteIf, `firmware\crane_plc_v2.bin`),
		queryInfoReq(hdr{msgID: 6, flags: SMB2FlagRelated, treeID: 1, sessionID: sess}, relatedFID),
		closeReq(hdr{msgID: 7, flags: SMB2FlagRelated, treeID: 1, sessionID: sess}, relatedFID))
	b := exact(append(nbss(chain), nbss(echoReq(10))...))
	want := []smb2Want{
		{Command: SMB2Create, MessageID: 5, TreeID: 1, SessionID: sess, Name: `firmware\crane_plc_v2.bin`,
			DesiredAccess: accessReadWrite, CreateDisposition: FileOverwriteIf, Write: true},
		{Command: SMB2QueryInfo, MessageID: 6, TreeID: 1, SessionID: sess},
		{Command: SMB2Close, MessageID: 7, TreeID: 1, SessionID: sess, FileID: relatedFID},
		{Command: SMB2Echo, MessageID: 10},
	}
	var m SMB2Message
	for i, w := range want {
		rest, err := ParseSMB2(b, &m)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		w.check(t, &m)
		if related := m.Flags&SMB2FlagRelated != 0; related != (i == 1 || i == 2) {
			t.Fatalf("message %d: related = %v", i, related)
		}
		b = rest
	}
	if len(b) != 0 {
		t.Fatalf("%d bytes left", len(b))
	}
	if _, err := ParseSMB2(b, &m); err != ErrNoMessage {
		t.Fatalf("after the last message: %v", err)
	}
}

// TestSMB2ChainState checks that the frame end remembered for a chain
// applies only to the rest slice it was returned with.
func TestSMB2ChainState(t *testing.T) {
	b := exact(nbss(compound(echoReq(1), echoReq(2), echoReq(3))))
	var m SMB2Message
	rest, err := ParseSMB2(b, &m)
	if err != nil || len(rest) != 72+68 { // ECHO is 68 bytes, padded to 72 in a chain
		t.Fatalf("first: %v, rest %d", err, len(rest))
	}
	// An unrelated raw message, parsed with the same m, is not cut to the
	// chain's remaining length.
	other := exact(createReq(hdr{msgID: 9}, accessRead, FileOpen, longName))
	if _, err := ParseSMB2(other, &m); err != nil || m.MessageID != 9 || !m.Cut {
		t.Fatalf("unrelated message: %v, id %d", err, m.MessageID)
	}
	// The chain's rest with a fresh SMB2Message still parses: its last
	// message just extends to len(b).
	var fresh SMB2Message
	if r, err := ParseSMB2(rest, &fresh); err != nil || fresh.MessageID != 2 || len(r) != 68 {
		t.Fatalf("fresh: %v, id %d, rest %d", err, fresh.MessageID, len(r))
	}
}

// TestSMB2CompoundBadMember shows that a malformed message inside a chain
// is reported and the chain goes on.
func TestSMB2CompoundBadMember(t *testing.T) {
	bad := createReq(hdr{msgID: 1}, accessRead, FileOpen, "x")
	binary.LittleEndian.PutUint16(bad[64+46:], 200) // NameLength past the message
	b := exact(nbss(compound(bad, echoReq(2))))
	var m SMB2Message
	rest, err := ParseSMB2(b, &m)
	if err != ErrSMB2Length || m.Command != SMB2Create {
		t.Fatalf("first: %v %v", err, m.Command)
	}
	if rest, err = ParseSMB2(rest, &m); err != nil || m.Command != SMB2Echo || m.MessageID != 2 || len(rest) != 0 {
		t.Fatalf("second: %v %v %d, rest %d", err, m.Command, m.MessageID, len(rest))
	}
}

// TestSMB2Truncated cuts every valid message at every byte: a prefix is
// ErrNoMessage (empty), ErrSMB2Truncated, or a Partial message whose
// header fields match the whole message's.
func TestSMB2Truncated(t *testing.T) {
	for _, tc := range smb2Cases {
		if tc.err != nil || tc.want.Partial || tc.in[0] != 0 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			var m SMB2Message
			first := 4 + (int(tc.in[1])<<16 | int(tc.in[2])<<8 | int(tc.in[3]))
			for i := range len(tc.in) {
				rest, err := ParseSMB2(exact(tc.in[:i]), &m)
				want := max(i-first, 0)
				if err != nil {
					want = 0
				}
				if len(rest) != want {
					t.Fatalf("prefix %d: rest %d bytes, want %d", i, len(rest), want)
				}
				switch {
				case i == 0 && err == ErrNoMessage:
				case err == ErrSMB2Truncated:
				case err == nil:
					whole := i >= first // the prefix holds the first frame
					if m.Partial == whole || m.Command != tc.want.Command || m.MessageID != tc.want.MessageID {
						t.Fatalf("prefix %d: partial %v, command %v, message id %d", i, m.Partial, m.Command, m.MessageID)
					}
				default:
					t.Fatalf("prefix %d: %v", i, err)
				}
			}
		})
	}
}

// TestSMB2Corrupt flips bytes of every case: no panic, and rest, Path and
// Name stay inside their buffers.
func TestSMB2Corrupt(t *testing.T) {
	for _, tc := range smb2Cases {
		t.Run(tc.name, func(t *testing.T) {
			var m SMB2Message
			for i := range tc.in {
				for _, x := range []byte{0x01, 0x80, 0xff} {
					in := exact(tc.in)
					in[i] ^= x
					rest, _ := ParseSMB2(in, &m)
					if len(rest) > 0 && &rest[len(rest)-1] != &in[len(in)-1] {
						t.Fatalf("byte %d ^ %#x: rest is not the tail of the input", i, x)
					}
					if len(m.Path) > smb2NameBuf || len(m.Name) > smb2NameBuf {
						t.Fatal("name longer than its buffer")
					}
				}
			}
		})
	}
}

func TestProbeSMB(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []byte
		version int
	}{
		{"smb2 negotiate", nbss(negotiateReq()), 2},
		{"smb2 header only", nbss(echoReq(1))[:10], 2},
		{"smb2 first 8 bytes", nbss(echoReq(1))[:8], 2},
		{"smb1", nbss(append([]byte("\xffSMBr"), make([]byte, 40)...)), 1},
		{"encrypted", nbss(append([]byte("\xfdSMB"), make([]byte, 60)...)), 3},
		{"compressed", nbss(append([]byte("\xfcSMB"), make([]byte, 12)...)), 3},
		{"smb2 short frame", nbss(echoReq(1)[:40]), 0},
		{"smb2 bad structure size", func() []byte { b := nbss(echoReq(1)); b[8] = 0; return b }(), 0},
		{"smb1 short frame", nbss([]byte("\xffSMBr\x00\x00\x00")), 0},
		{"encrypted short", nbss(append([]byte("\xfdSMB"), make([]byte, 20)...)), 0},
		{"compressed short", nbss([]byte("\xfcSMB\x00\x00")), 0},
		{"session request", append([]byte{0x81, 0, 0, 68}, make([]byte, 68)...), 0},
		{"raw smb2", echoReq(1), 0},
		{"other", nbss([]byte("\xfaSMB1234")), 0},
		{"tpkt", hx("0300001611e00000000100c0010ac1020100c2020101"), 0},
		{"seven bytes", nbss(echoReq(1))[:7], 0},
		{"empty", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := ProbeSMB(exact(tc.in))
			if v != tc.version || ok != (tc.version != 0) {
				t.Fatalf("ProbeSMB = %d %v, want %d", v, ok, tc.version)
			}
		})
	}
}

func TestUTF16(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		size int
		want string
		cut  bool
	}{
		{"ascii", utf16le(`\\srv\share`), 64, `\\srv\share`, false},
		{"bmp", utf16le("Kr\u00e4n\u6e2f"), 64, "Kr\u00e4n\u6e2f", false},
		{"pair", utf16le("\U0001F3D7"), 64, "\U0001F3D7", false},
		{"lone high", []byte{0x3d, 0xd8, 'a', 0}, 64, "\ufffda", false},
		{"lone high at end", []byte{'a', 0, 0x3d, 0xd8}, 64, "a\ufffd", false},
		{"lone low", []byte{0x00, 0xdc, 'a', 0}, 64, "\ufffda", false},
		{"high high low", []byte{0x3d, 0xd8, 0x3c, 0xd8, 0xd7, 0xdf}, 64, "\ufffd\U0001F3D7", false},
		{"odd byte", []byte{'a', 0, 'b'}, 64, "a\ufffd", false},
		{"control", []byte{'a', 0, 0x0a, 0, 0x7f, 0, 0, 0}, 64, "a\ufffd\ufffd\ufffd", false},
		{"cut ascii", utf16le("abcdef"), 4, "abcd", true},
		{"cut before multibyte", utf16le("ab\u6e2f"), 4, "ab", true},
		{"cut before pair", utf16le("a\U0001F3D7"), 4, "a", true},
		{"exact fit", utf16le("a\U0001F3D7"), 5, "a\U0001F3D7", false},
		{"empty", nil, 4, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]byte, tc.size)
			n, cut := utf16LEToUTF8(dst, exact(tc.in))
			if string(dst[:n]) != tc.want || cut != tc.cut {
				t.Fatalf("= %q %v, want %q %v", dst[:n], cut, tc.want, tc.cut)
			}
		})
	}
}

func TestSMB2CommandString(t *testing.T) {
	for c, want := range map[SMB2Command]string{
		SMB2Negotiate: "NEGOTIATE", SMB2TreeConnect: "TREE_CONNECT", SMB2Create: "CREATE", SMB2Write: "WRITE",
		SMB2IOCtl: "IOCTL", SMB2ServerToClient: "SERVER_TO_CLIENT_NOTIFICATION", 0x14: "command(0x14)", 0xffff: "command(0xffff)",
	} {
		if got := c.String(); got != want {
			t.Errorf("%#x.String() = %q, want %q", uint16(c), got, want)
		}
		if got, _ := c.MarshalText(); string(got) != want {
			t.Errorf("%#x.MarshalText() = %q, want %q", uint16(c), got, want)
		}
	}
}
